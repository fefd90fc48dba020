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

func writePart(t *testing.T, ctx context.Context, path string, recs []arrow.Record) (ingest.FileInfo, error) {
	t.Helper()
	loc := storage.MustParse(path)
	w, err := score.NewPartWriter(ctx, storage.Local{}, loc, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			return ingest.FileInfo{}, err
		}
	}
	return w.Close()
}

// TestPartWriterRoundTrip writes scored records and reads the file back as any reader of the
// scored table does (stages/ingest): the contract's schema, one row group per record, and
// the rows of the records decoded; a second write gives the same bytes and checksum.
func TestPartWriterRoundTrip(t *testing.T) {
	rb, recs := scoredRecords(t, 3000)
	defer rb.Release()
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	fa, err := writePart(t, context.Background(), a, recs)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := writePart(t, context.Background(), b, recs)
	if err != nil {
		t.Fatal(err)
	}
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ba, bb) || fa.SHA256 != fb.SHA256 || fa.Size != int64(len(ba)) || fa.Rows != 6003 {
		t.Errorf("two writes differ or are misdescribed: %+v %+v (%d bytes)", fa, fb, len(ba))
	}

	pf, err := file.OpenParquetFile(a, false)
	if err != nil {
		t.Fatal(err)
	}
	if pf.NumRowGroups() != len(recs) {
		t.Errorf("%d row groups, want %d", pf.NumRowGroups(), len(recs))
	}
	// Plain pages for the columns of distinct values, dictionary pages for the codes.
	rg := pf.MetaData().RowGroup(0)
	for _, tc := range []struct {
		col  int
		dict bool
	}{{0, false}, {3, false}, {2, true}, {4, true}, {8, true}, {14, true}} {
		cc, _ := rg.ColumnChunk(tc.col)
		if cc.HasDictionaryPage() != tc.dict {
			t.Errorf("column %d: dictionary page %v, want %v", tc.col, cc.HasDictionaryPage(), tc.dict)
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

	aborted := filepath.Join(dir, "aborted.parquet")
	w, err := score.NewPartWriter(context.Background(), storage.Local{}, storage.MustParse(aborted), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(recs[0]); err != nil {
		t.Fatal(err)
	}
	w.Abort()

	cancelled := filepath.Join(dir, "cancelled.parquet")
	ctx, cancel := context.WithCancel(context.Background())
	w, err = score.NewPartWriter(ctx, storage.Local{}, storage.MustParse(cancelled), nil)
	if err != nil {
		t.Fatal(err)
	}
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

	wrong := filepath.Join(dir, "wrong.parquet")
	short := recs[0].NewSlice(0, 10)
	defer short.Release()
	narrow := array.NewRecord(arrow.NewSchema(short.Schema().Fields()[:3], nil), short.Columns()[:3], 10)
	defer narrow.Release()
	if _, err := writePart(t, context.Background(), wrong, []arrow.Record{narrow}); err == nil {
		t.Error("a record of 3 columns: no error")
	}

	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}

	empty := filepath.Join(dir, "empty.parquet")
	f, err := writePart(t, context.Background(), empty, nil)
	if err != nil || f.Rows != 0 {
		t.Fatalf("empty part: %+v, %v", f, err)
	}
	tbl, err := ingest.ReadTable(context.Background(), storage.NewStores(storage.Options{}), "scored", empty, ingest.ReadOptions{})
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
