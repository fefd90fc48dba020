package clean_test

import (
	"context"
	"path/filepath"
	"testing"

	"lendscore/pipeline/storage"
	"lendscore/schemas"
	"lendscore/stages/ingest"
)

// readExtracts reads the four table folders under dir with the ingest stage, batchRows rows
// per batch.
func readExtracts(t testing.TB, dir string, batchRows int) map[string]*ingest.Table {
	t.Helper()
	out := map[string]*ingest.Table{}
	stores := storage.NewStores(storage.Options{})
	for _, name := range schemas.ExtractTables() {
		tbl, err := ingest.ReadTable(context.Background(), stores, name, filepath.Join(dir, name)+"/", ingest.ReadOptions{BatchSize: batchRows})
		if err != nil {
			t.Fatal(err)
		}
		out[name] = tbl
	}
	return out
}
