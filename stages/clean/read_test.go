package clean_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"

	"lendscore/schemas"
	"lendscore/stages/ingest"
)

// readExtracts reads the four table folders under dir into ingest tables, batchRows rows
// per batch, remembering file and first row as ingest does.
func readExtracts(t testing.TB, dir string, batchRows int64) map[string]*ingest.Table {
	t.Helper()
	out := map[string]*ingest.Table{}
	for _, name := range schemas.ExtractTables() {
		files, err := filepath.Glob(filepath.Join(dir, name, "part-*.parquet"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no part files", name)
		}
		tbl := &ingest.Table{Name: name}
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			pf, err := file.NewParquetReader(fh)
			if err != nil {
				t.Fatal(err)
			}
			fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: batchRows}, memory.DefaultAllocator)
			if err != nil {
				t.Fatal(err)
			}
			rr, err := fr.GetRecordReader(context.Background(), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			var first int64
			for rr.Next() {
				rec := rr.Record()
				rec.Retain()
				tbl.Batches = append(tbl.Batches, ingest.Batch{Record: rec, File: f, FirstRow: first})
				first += rec.NumRows()
			}
			if err := rr.Err(); err != nil && err != io.EOF {
				t.Fatal(err)
			}
			tbl.Schema = rr.Schema()
			rr.Release()
			pf.Close()
			tbl.Files = append(tbl.Files, ingest.FileInfo{Location: f, Rows: first})
		}
		out[name] = tbl
	}
	return out
}
