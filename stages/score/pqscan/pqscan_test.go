package pqscan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/pipeline/storage"
	"lendscore/stages/ingest"
	"lendscore/stages/score/bufpool"
)

// writeFile writes rows 0..n-1 (id, x = 10·id, s) in row groups of 100 rows.
func writeFile(t *testing.T, dir string, n int) storage.Location {
	t.Helper()
	mem := memory.DefaultAllocator
	ib, xb, sb := array.NewInt64Builder(mem), array.NewFloat64Builder(mem), array.NewStringBuilder(mem)
	for i := 0; i < n; i++ {
		ib.Append(int64(i))
		xb.Append(float64(10 * i))
		sb.Append("s")
	}
	sch := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "x", Type: arrow.PrimitiveTypes.Float64}, {Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	rec := array.NewRecord(sch, []arrow.Array{ib.NewArray(), xb.NewArray(), sb.NewArray()}, int64(n))
	defer rec.Release()
	return writeRecord(t, dir, rec)
}

// writeRecord writes rec as a Parquet file under dir in row groups of 100 rows.
func writeRecord(t *testing.T, dir string, rec arrow.Record) storage.Location {
	t.Helper()
	loc := storage.MustParse(filepath.Join(dir, "t"))
	pw, err := ingest.NewPartWriter(context.Background(), storage.Local{}, loc, rec.Schema(), ingest.PartOptions{RowGroupRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.Write(rec); err != nil {
		t.Fatal(err)
	}
	files, err := pw.Close()
	if err != nil {
		t.Fatal(err)
	}
	return storage.MustParse(files[0].Location)
}

func TestScanColumnsAndRowGroups(t *testing.T) {
	dir := t.TempDir()
	loc := writeFile(t, dir, 350)
	f, err := Open(context.Background(), storage.Local{}, loc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Rows != 350 || len(f.RowGroups) != 4 || f.RowGroups[3] != 50 {
		t.Fatalf("rows %d, row groups %v", f.Rows, f.RowGroups)
	}
	if f.Schema.NumFields() != 3 || f.Schema.Field(1).Name != "x" {
		t.Errorf("schema %v", f.Schema)
	}
	// Row groups 1 and 3 (rows 100..199 and 300..349), column x only, in batches of 30.
	var xs []float64
	err = f.Scan(context.Background(), []string{"x"}, []int{1, 3}, 30, func(rec arrow.Record) error {
		if rec.NumCols() != 1 || rec.Schema().Field(0).Name != "x" || rec.NumRows() > 30 {
			t.Fatalf("batch %v", rec.Schema())
		}
		xs = append(xs, rec.Column(0).(*array.Float64).Float64Values()...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != 150 || xs[0] != 1000 || xs[99] != 1990 || xs[100] != 3000 || xs[149] != 3490 {
		t.Errorf("%d values: %v … %v", len(xs), xs[:2], xs[len(xs)-2:])
	}
	if err := f.Scan(context.Background(), []string{"nope"}, []int{0}, 10, nil); err == nil || !strings.Contains(err.Error(), "column nope") {
		t.Errorf("unknown column: %v", err)
	}
	data, _ := os.ReadFile(loc.Key)
	sum := sha256.Sum256(data)
	got, size, err := Checksum(context.Background(), storage.Local{}, loc)
	if err != nil || got != hex.EncodeToString(sum[:]) || size != int64(len(data)) {
		t.Errorf("checksum %s %d %v, want %x %d", got, size, err, sum, len(data))
	}
}

func TestCorruptFilesAreNamed(t *testing.T) {
	dir := t.TempDir()
	loc := writeFile(t, dir, 350)
	data, _ := os.ReadFile(loc.Key)
	for name, content := range map[string][]byte{
		"garbage.parquet":   []byte("PAR1 not a parquet file PAR1"),
		"truncated.parquet": data[:len(data)/2],
		"mangled.parquet":   append(append(append([]byte(nil), data[:200]...), make([]byte, 400)...), data[600:]...),
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, content, 0o644)
		f, err := Open(context.Background(), storage.Local{}, storage.MustParse(p))
		if err == nil {
			err = f.Scan(context.Background(), nil, []int{0, 1, 2, 3}, 64, func(arrow.Record) error { return nil })
			f.Close()
		}
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "not a valid Parquet file") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestEquivalent: two writes of a column whose dictionary falls back to plain pages differ,
// at most, in the order of the footer's encoding statistics; a changed value is reported.
func TestEquivalent(t *testing.T) {
	mem := memory.DefaultAllocator
	sb := array.NewStringBuilder(mem)
	for i := 0; i < 200_000; i++ {
		sb.Append(fmt.Sprintf("customer-%09d", i)) // 3 MB of distinct values: the dictionary falls back
	}
	col := sb.NewArray()
	defer col.Release()
	rec := array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}}, nil), []arrow.Array{col}, int64(col.Len()))
	defer rec.Release()
	dir := t.TempDir()
	var files [][]byte
	for k := 0; k < 12; k++ {
		loc := storage.MustParse(filepath.Join(dir, fmt.Sprint(k, ".parquet")))
		if _, err := ingest.WriteParquet(context.Background(), storage.Local{}, loc, rec); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(loc.Key)
		files = append(files, data)
	}
	for k := 1; k < len(files); k++ {
		if err := Equivalent(files[0], files[k]); err != nil {
			t.Fatalf("write %d: %v", k, err)
		}
	}
	changed := append([]byte(nil), files[0]...)
	changed[100] ^= 1
	if err := Equivalent(files[0], changed); err == nil || !strings.Contains(err.Error(), "offset 100") {
		t.Errorf("a changed byte: %v", err)
	}
}

// TestScanWithPool reads the same file twice through one recycling pool, in batches that
// reuse the buffers of earlier ones: every value is the one written (id, 10·id, "s").
func TestScanWithPool(t *testing.T) {
	dir := t.TempDir()
	loc := writeFile(t, dir, 1_000)
	pool := bufpool.New(1 << 20)
	for pass := 0; pass < 2; pass++ {
		f, err := Open(context.Background(), storage.Local{}, loc, WithAllocator(pool))
		if err != nil {
			t.Fatal(err)
		}
		next := int64(0)
		err = f.Scan(context.Background(), nil, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 64, func(rec arrow.Record) error {
			ids := rec.Column(0).(*array.Int64)
			xs := rec.Column(1).(*array.Float64)
			ss := rec.Column(2).(*array.String)
			for i := 0; i < ids.Len(); i++ {
				if ids.Value(i) != next || xs.Value(i) != float64(10*next) || ss.Value(i) != "s" {
					return fmt.Errorf("pass %d row %d: %d %v %q", pass, next, ids.Value(i), xs.Value(i), ss.Value(i))
				}
				next++
			}
			return nil
		})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if next != 1_000 {
			t.Fatalf("pass %d: %d rows", pass, next)
		}
	}
	if pool.Held() == 0 {
		t.Error("no buffer came back to the pool")
	}
}

// TestScanDictionaries: WithDictionaries reads the named string column as a dictionary of
// int32 indices holding the same strings and nulls, row group by row group (each with its
// own dictionary), leaves other columns as they are, and ignores names that are not string
// columns of the file.
func TestScanDictionaries(t *testing.T) {
	mem := memory.DefaultAllocator
	xb, sb := array.NewFloat64Builder(mem), array.NewStringBuilder(mem)
	const n = 250
	want := make([]string, n)
	for i := 0; i < n; i++ {
		xb.Append(float64(i))
		if i%5 == 0 {
			sb.AppendNull()
			want[i] = "null"
			continue
		}
		want[i] = fmt.Sprint("v", i/100, "-", i%7) // other values in every row group
		sb.Append(want[i])
	}
	sch := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}, {Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	rec := array.NewRecord(sch, []arrow.Array{xb.NewArray(), sb.NewArray()}, n)
	defer rec.Release()
	f, err := Open(context.Background(), storage.Local{}, writeRecord(t, t.TempDir(), rec), WithDictionaries("s", "x", "nope"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	err = f.Scan(context.Background(), []string{"x", "s"}, []int{0, 1, 2}, 64, func(rec arrow.Record) error {
		if _, ok := rec.Column(0).(*array.Float64); !ok {
			t.Fatalf("x read as %s", rec.Column(0).DataType())
		}
		d, ok := rec.Column(1).(*array.Dictionary)
		if !ok || d.Indices().DataType().ID() != arrow.INT32 {
			t.Fatalf("s read as %s", rec.Column(1).DataType())
		}
		values := d.Dictionary().(*array.String)
		for i := 0; i < d.Len(); i++ {
			if d.IsNull(i) {
				got = append(got, "null")
			} else {
				got = append(got, values.Value(d.GetValueIndex(i)))
			}
		}
		return nil
	})
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("read %d values, %v; differ from the %d written", len(got), err, len(want))
	}
}
