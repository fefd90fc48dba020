package score_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/parquet/file"

	"lendscore/pipeline/storage"
	"lendscore/schemas"
	"lendscore/stages/ingest"
	"lendscore/stages/score"
	"lendscore/stages/score/arrays"
)

// scoredRecords scores a batch of rich rows and builds n records of them (every row, then
// rows left out), with ids C<row>.
func scoredRecords(t *testing.T, rows int) (*score.RecordBuilder, []arrow.Record) {
	t.Helper()
	sc := score.RichCard(t)
	s, _ := score.NewScorer(sc)
	rec := score.RichRecord(rows, 5)
	defer rec.Release()
	var b score.Batch
	if err := s.Score(rec, &b); err != nil {
		t.Fatal(err)
	}
	rb := score.NewRecordBuilder(s, arrow.Date32FromTime(time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)), sc.Model, sc.Version, "20260630T000000.000Z-00000000")
	var recs []arrow.Record
	for _, keep := range [][]int32{nil, {3, 1, int32(rows - 1)}, nil} {
		var data []byte
		offsets := []int32{0}
		n := rows
		if keep != nil {
			n = len(keep)
		}
		for k := 0; k < n; k++ {
			i := k
			if keep != nil {
				i = int(keep[k])
			}
			data = append(data, "C"+strconv.Itoa(i)...)
			offsets = append(offsets, int32(len(data)))
		}
		recs = append(recs, rb.Build(data, offsets, &b, keep))
	}
	return rb, recs
}

// partRowGroupRows is the row-group size of the parts the tests write.
const partRowGroupRows = 3000

// newPartWriter starts a scored part under the prefix dir with score.PartOptions.
func newPartWriter(t *testing.T, ctx context.Context, dir string) *ingest.PartWriter {
	t.Helper()
	opts := score.PartOptions(nil)
	opts.RowGroupRows = partRowGroupRows
	w, err := ingest.NewPartWriter(ctx, storage.Local{}, storage.MustParse(dir+"/"), schemas.ScoredSchema(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// writePart writes recs as the scored part dir/part-00000.parquet.
func writePart(t *testing.T, ctx context.Context, dir string, recs []arrow.Record) (ingest.FileInfo, error) {
	t.Helper()
	w := newPartWriter(t, ctx, dir)
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			return ingest.FileInfo{}, err
		}
	}
	files, err := w.Close()
	if err != nil {
		return ingest.FileInfo{}, err
	}
	if len(files) != 1 {
		t.Fatalf("%d parts, want 1", len(files))
	}
	return files[0], nil
}

// TestPartWriterRoundTrip writes scored records with score.PartOptions and reads the file
// back as any reader of the scored table does (stages/ingest): the contract's schema, rows
// regrouped into row groups of partRowGroupRows, the encodings PartOptions chooses, and the
// rows of the records decoded; a second write gives the same bytes and checksum.
func TestPartWriterRoundTrip(t *testing.T) {
	rb, recs := scoredRecords(t, 3000)
	defer rb.Release()
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	dir := t.TempDir()
	fa, err := writePart(t, context.Background(), filepath.Join(dir, "a"), recs)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := writePart(t, context.Background(), filepath.Join(dir, "b"), recs)
	if err != nil {
		t.Fatal(err)
	}
	a := filepath.Join(dir, "a", "part-00000.parquet")
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(filepath.Join(dir, "b", "part-00000.parquet"))
	if !bytes.Equal(ba, bb) || fa.SHA256 != fb.SHA256 || fa.Size != int64(len(ba)) || fa.Rows != 6003 {
		t.Errorf("two writes differ or are misdescribed: %+v %+v (%d bytes)", fa, fb, len(ba))
	}

	pf, err := file.OpenParquetFile(a, false)
	if err != nil {
		t.Fatal(err)
	}
	// 6,003 rows: 3,000 + 3,000 (the 3 rows of the second record and 2,997 of the third) + 3.
	if pf.NumRowGroups() != 3 || pf.MetaData().RowGroup(2).NumRows() != 3 {
		t.Errorf("%d row groups, want 3 (the last of 3 rows)", pf.NumRowGroups())
	}
	// Plain pages for the columns of distinct values, dictionary pages for the others;
	// statistics for all but the code columns.
	for g := range pf.NumRowGroups() {
		rg := pf.MetaData().RowGroup(g)
		for _, tc := range []struct {
			col         int
			dict, stats bool
		}{{0, false, true}, {3, false, true}, {1, true, true}, {2, true, true}, {4, true, false}, {8, true, false}, {14, true, false}} {
			cc, _ := rg.ColumnChunk(tc.col)
			if cc.HasDictionaryPage() != tc.dict {
				t.Errorf("row group %d, column %d: dictionary page %v, want %v", g, tc.col, cc.HasDictionaryPage(), tc.dict)
			}
			if set, _ := cc.StatsSet(); set != tc.stats {
				t.Errorf("row group %d, column %d: statistics %v, want %v", g, tc.col, set, tc.stats)
			}
		}
	}
	pf.Close()

	tbl, err := ingest.ReadTable(context.Background(), storage.NewStores(storage.Options{}), "scored", a, ingest.ReadOptions{BatchSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if got, want := columnsOf(tbl.Schema), ingestSchema(t, recs[0]); got != want {
		t.Errorf("schema read back:\n%s\nwant\n%s", got, want)
	}
	var got []string
	for _, bt := range tbl.Batches {
		got = append(got, rowsOf(bt.Record)...)
	}
	var want []string
	for _, r := range recs {
		d := dense(r)
		want = append(want, rowsOf(d)...)
		d.Release()
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows read back, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

// TestPartWriterNothingVisible: an aborted, a cancelled and a failed write leave no file; a
// writer without rows writes a readable file of the scored schema.
func TestPartWriterNothingVisible(t *testing.T) {
	rb, recs := scoredRecords(t, 500)
	defer rb.Release()
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	dir := t.TempDir()

	w := newPartWriter(t, context.Background(), filepath.Join(dir, "aborted"))
	if err := w.Write(recs[0]); err != nil {
		t.Fatal(err)
	}
	w.Abort()

	ctx, cancel := context.WithCancel(context.Background())
	w = newPartWriter(t, ctx, filepath.Join(dir, "cancelled"))
	if err := w.Write(recs[0]); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := w.Write(recs[1]); !errors.Is(err, context.Canceled) {
		t.Errorf("write after cancel: %v, want context.Canceled", err)
	}
	if _, err := w.Close(); err == nil {
		t.Error("close after a failed write: no error")
	}

	wrong := filepath.Join(dir, "wrong")
	short := recs[0].NewSlice(0, 10)
	defer short.Release()
	narrow := array.NewRecord(arrow.NewSchema(short.Schema().Fields()[:3], nil), short.Columns()[:3], 10)
	defer narrow.Release()
	if _, err := writePart(t, context.Background(), wrong, []arrow.Record{narrow}); err == nil {
		t.Error("a record of 3 columns: no error")
	}

	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("left behind: %s", path)
		}
		return nil
	})

	f, err := writePart(t, context.Background(), filepath.Join(dir, "empty"), nil)
	if err != nil || f.Rows != 0 {
		t.Fatalf("empty part: %+v, %v", f, err)
	}
	tbl, err := ingest.ReadTable(context.Background(), storage.NewStores(storage.Options{}), "scored", f.Location, ingest.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if tbl.NumRows() != 0 || columnsOf(tbl.Schema) != ingestSchema(t, recs[0]) {
		t.Errorf("empty part: %d rows, schema %s", tbl.NumRows(), columnsOf(tbl.Schema))
	}
}

// ingestSchema is the schema read back from the dense rows of rec written by stages/ingest's
// writer in the contract's schema: what the scored table's readers saw before PartWriter.
func ingestSchema(t *testing.T, rec arrow.Record) string {
	t.Helper()
	d := dense(rec)
	defer d.Release()
	if !d.Schema().Equal(schemas.ScoredSchema()) {
		t.Fatalf("dense schema %s", d.Schema())
	}
	path := filepath.Join(t.TempDir(), "ingest.parquet")
	if _, err := ingest.WriteParquet(context.Background(), storage.Local{}, storage.MustParse(path), d); err != nil {
		t.Fatal(err)
	}
	tbl, err := ingest.ReadTable(context.Background(), storage.NewStores(storage.Options{}), "scored", path, ingest.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	return columnsOf(tbl.Schema)
}

// columnsOf describes a schema's columns: names, types, nullability.
func columnsOf(s *arrow.Schema) string {
	var b bytes.Buffer
	for _, f := range s.Fields() {
		b.WriteString(f.Name + " " + f.Type.String() + " " + strconv.FormatBool(f.Nullable) + "\n")
	}
	return b.String()
}

// rowsOf prints each row of rec as its values separated by |.
func rowsOf(rec arrow.Record) []string {
	out := make([]string, rec.NumRows())
	for i := range out {
		var b bytes.Buffer
		for _, c := range rec.Columns() {
			b.WriteString(c.ValueStr(i))
			b.WriteByte('|')
		}
		out[i] = b.String()
	}
	return out
}

// TestNullCodesWriteAsNullStrings: a string column of nulls written from a code column of an
// empty dictionary (arrays.NullCodes, how RecordBuilder builds segment_name, service_tier and
// lifecycle) gives the bytes of the same column written as plain Arrow strings, statistics
// and all, over row groups that split the records.
func TestNullCodesWriteAsNullStrings(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	write := func(dir string, col func(n int) arrow.Array) []byte {
		opts := ingest.PartOptions{Compression: "zstd", Fast: true, RowGroupRows: 1000}
		w, err := ingest.NewPartWriter(context.Background(), storage.Local{}, storage.MustParse(dir+"/"), schema, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{700, 700, 1} {
			c := col(n)
			rec := array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "s", Type: c.DataType(), Nullable: true}}, nil), []arrow.Array{c}, int64(n))
			c.Release()
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
			rec.Release()
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "part-00000.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	dir := t.TempDir()
	codes := write(filepath.Join(dir, "codes"), arrays.NullCodes)
	strs := write(filepath.Join(dir, "strings"), func(n int) arrow.Array { return arrays.Nulls(arrow.BinaryTypes.String, n) })
	if !bytes.Equal(codes, strs) {
		t.Errorf("null code column: %d bytes, differing from the %d bytes of null strings", len(codes), len(strs))
	}
}
