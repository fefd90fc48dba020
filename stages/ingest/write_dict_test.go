package ingest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/file"

	"lendscore/pipeline/storage"
)

// dictTestSchema is the table of the dictionary tests: an id, a grade, a nullable reason.
var dictTestSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.BinaryTypes.String},
	{Name: "grade", Type: arrow.BinaryTypes.String},
	{Name: "reason", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// dictTestValue is row i's value of column j ("" = null).
func dictTestValue(i, j int) string {
	switch j {
	case 0:
		return fmt.Sprintf("c%07d", i)
	case 1:
		return string(rune('A' + i*7%5))
	}
	if i%4 == 0 {
		return ""
	}
	return fmt.Sprintf("R%d", i%9)
}

// dictRecord builds rows [from, from+n) with grade and reason dictionary-encoded over the
// dictionaries given (which must hold every value of the rows), or dense when dicts is nil.
func dictRecord(t *testing.T, from, n int, dicts [2][]string) arrow.Record {
	t.Helper()
	mem := memory.DefaultAllocator
	ids := array.NewStringBuilder(mem)
	defer ids.Release()
	for i := from; i < from+n; i++ {
		ids.Append(dictTestValue(i, 0))
	}
	cols := []arrow.Array{ids.NewArray()}
	fields := dictTestSchema.Fields()
	for k := range 2 {
		j := k + 1
		if dicts[k] == nil {
			b := array.NewStringBuilder(mem)
			for i := from; i < from+n; i++ {
				if v := dictTestValue(i, j); v != "" {
					b.Append(v)
				} else {
					b.AppendNull()
				}
			}
			cols = append(cols, b.NewArray())
			b.Release()
			continue
		}
		db := array.NewStringBuilder(mem)
		db.AppendValues(dicts[k], nil)
		dict := db.NewArray()
		db.Release()
		idx := array.NewInt16Builder(mem)
		for i := from; i < from+n; i++ {
			v := dictTestValue(i, j)
			if v == "" {
				idx.AppendNull()
				continue
			}
			p := slices.Index(dicts[k], v)
			if p < 0 {
				t.Fatalf("%q not in the dictionary %v", v, dicts[k])
			}
			idx.Append(int16(p))
		}
		indices := idx.NewArray()
		idx.Release()
		dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}
		cols = append(cols, array.NewDictionaryArray(dt, indices, dict))
		indices.Release()
		dict.Release()
		fields[j].Type = dt
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// TestPartWriterDictionaryColumns writes the same rows with dense string columns and with
// dictionary-encoded ones — dictionaries in another order than the values appear, with
// values no row uses, differing from record to record (unified within a row group), in
// records that straddle row groups — and requires the same rows, nulls and schema back,
// bytes that do not depend on how the rows were batched, and every grade and reason chunk
// dictionary-encoded without a fall back to plain pages.
func TestPartWriterDictionaryColumns(t *testing.T) {
	ctx := context.Background()
	dir := storage.MustParse(t.TempDir() + "/")
	const total = 5000
	grades := []string{"E", "D", "C", "B", "A", "Z"}
	reasons := []string{"R8", "R7", "R6", "R5", "R4", "R3", "R2", "R1", "R0", "unused"}
	tests := []struct {
		name  string
		batch int
		dicts func(from int) [2][]string
	}{
		{"dense", 700, func(int) [2][]string { return [2][]string{} }},
		{"dictionaries", 700, func(int) [2][]string { return [2][]string{grades, reasons} }},
		{"dictionaries, other batches", 333, func(int) [2][]string { return [2][]string{grades, reasons} }},
		{"dictionaries that differ", 700, func(from int) [2][]string {
			if from/700%2 == 1 {
				return [2][]string{slices.Concat(grades[3:], grades[:3]), reasons}
			}
			return [2][]string{grades, reasons}
		}},
	}
	want := make([]string, 0, total)
	for i := range total {
		want = append(want, fmt.Sprintf("%s|%s|%s", dictTestValue(i, 0), dictTestValue(i, 1), dictTestValue(i, 2)))
	}
	sums := map[string]string{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := dir.MustJoin(strings.ReplaceAll(tc.name, " ", "_"))
			files := writePartsOf(t, storage.Local{}, prefix, dictTestSchema, total, tc.batch, PartOptions{RowsPerPart: 3000, RowGroupRows: 1024}, func(from, n int) arrow.Record {
				return dictRecord(t, from, n, tc.dicts(from))
			})
			var s []string
			for _, f := range files {
				s = append(s, f.SHA256)
			}
			sums[tc.name] = strings.Join(s, ",")

			tbl, err := ReadTable(ctx, storage.NewStores(storage.Options{}), "t", prefix.String(), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.Release()
			if !tbl.Schema.Equal(dictTestSchema) {
				t.Errorf("schema read back %s, want %s", tbl.Schema, dictTestSchema)
			}
			var got []string
			for _, b := range tbl.Batches {
				cols := make([]*array.String, 3)
				for j := range cols {
					cols[j] = b.Record.Column(j).(*array.String)
				}
				for i := range int(b.Record.NumRows()) {
					v := make([]string, 3)
					for j, c := range cols {
						if c.IsValid(i) {
							v[j] = c.Value(i)
						} else if j != 2 {
							t.Fatalf("null in column %d", j)
						}
					}
					got = append(got, strings.Join(v, "|"))
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%d rows read back that differ from the %d written", len(got), len(want))
			}
			for _, f := range files {
				data, err := storage.ReadAll(ctx, storage.Local{}, storage.MustParse(f.Location))
				if err != nil {
					t.Fatal(err)
				}
				r, err := file.NewParquetReader(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				for g := range r.NumRowGroups() {
					for j := 1; j < 3; j++ {
						cc, err := r.MetaData().RowGroup(g).ColumnChunk(j)
						if err != nil {
							t.Fatal(err)
						}
						// A fall back to plain pages would add a second PLAIN.
						if enc := fmt.Sprint(cc.Encodings()); !cc.HasDictionaryPage() || enc != "[RLE_DICTIONARY PLAIN RLE]" {
							t.Errorf("%s row group %d column %d: dictionary page %v, encodings %s; want a dictionary and no fall back", f.Location, g, j, cc.HasDictionaryPage(), enc)
						}
					}
				}
			}
		})
	}
	if a, b := sums["dictionaries"], sums["dictionaries, other batches"]; a != b {
		t.Errorf("the bytes depend on how the rows were batched: %s versus %s", a, b)
	}
}

// TestPartWriterPlainColumns checks that a plain column has no dictionary page and reads
// back the same, that a column without statistics has none while the others have theirs,
// and that naming a column the schema lacks is an error.
func TestPartWriterPlainColumns(t *testing.T) {
	ctx := context.Background()
	dir := storage.MustParse(t.TempDir() + "/")
	if _, err := NewPartWriter(ctx, storage.Local{}, dir, dictTestSchema, PartOptions{PlainColumns: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), `plain column "nope" is not in the schema`) {
		t.Errorf("err = %v", err)
	}
	if _, err := NewPartWriter(ctx, storage.Local{}, dir, dictTestSchema, PartOptions{NoStatsColumns: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), `column "nope" without statistics is not in the schema`) {
		t.Errorf("err = %v", err)
	}
	loc := dir.MustJoin("t.parquet")
	pw, err := NewPartWriter(ctx, storage.Local{}, loc, dictTestSchema, PartOptions{RowsPerPart: 1<<63 - 1, PlainColumns: []string{"id"}, NoStatsColumns: []string{"grade"}})
	if err != nil {
		t.Fatal(err)
	}
	pw.partName = func(int) (storage.Location, error) { return loc, nil }
	rec := dictRecord(t, 0, 3000, [2][]string{})
	defer rec.Release()
	if err := pw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if _, err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := storage.ReadAll(ctx, storage.Local{}, loc)
	if err != nil {
		t.Fatal(err)
	}
	r, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for j, want := range []struct{ dict, stats bool }{{false, true}, {true, false}, {true, true}} {
		cc, err := r.MetaData().RowGroup(0).ColumnChunk(j)
		if err != nil {
			t.Fatal(err)
		}
		if cc.HasDictionaryPage() != want.dict {
			t.Errorf("column %d: dictionary page %v, want %v", j, cc.HasDictionaryPage(), want.dict)
		}
		if set, _ := cc.StatsSet(); set != want.stats {
			t.Errorf("column %d: statistics %v, want %v", j, set, want.stats)
		}
	}
	tbl, err := ReadTable(ctx, storage.NewStores(storage.Options{}), "t", loc.String(), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	var got []string
	for _, b := range tbl.Batches {
		ids := b.Record.Column(0).(*array.String)
		for i := range ids.Len() {
			got = append(got, ids.Value(i))
		}
	}
	if len(got) != 3000 || got[0] != "c0000000" || got[2999] != "c0002999" {
		t.Errorf("ids read back: %d, first %q, last %q", len(got), got[0], got[len(got)-1])
	}
}

// TestPartWriterFast writes one table at zstd's default and at its fastest level (Fast): the
// same rows read back, different bytes, and the fast bytes the same from write to write.
func TestPartWriterFast(t *testing.T) {
	ctx := context.Background()
	dir := storage.MustParse(t.TempDir() + "/")
	read := func(f FileInfo) ([]byte, []string) {
		data, err := storage.ReadAll(ctx, storage.Local{}, storage.MustParse(f.Location))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := ReadParquet(ctx, newMemReader(data), f.Location, ReadOptions{}, func(b Batch) error {
			got = append(got, rows(b.Record)...)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return data, got
	}
	def, defRows := read(writeParts(t, storage.Local{}, dir.MustJoin("default"), 20_000, 5000, PartOptions{})[0])
	fast, fastRows := read(writeParts(t, storage.Local{}, dir.MustJoin("fast"), 20_000, 5000, PartOptions{Fast: true})[0])
	again, _ := read(writeParts(t, storage.Local{}, dir.MustJoin("again"), 20_000, 5000, PartOptions{Fast: true})[0])
	if len(defRows) != 20_000 || !slices.Equal(defRows, fastRows) {
		t.Errorf("fast rows differ from default rows (%d, %d rows)", len(fastRows), len(defRows))
	}
	if bytes.Equal(def, fast) {
		t.Errorf("Fast wrote the default level's bytes")
	}
	if !bytes.Equal(fast, again) {
		t.Errorf("two fast writes differ")
	}
}
