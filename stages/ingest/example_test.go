package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow/go/v17/arrow/array"

	"lendscore/pipeline/storage"
	"lendscore/stages/ingest"
)

func ExampleReadTable() {
	stores := storage.NewStores(storage.Options{})
	tbl, err := ingest.ReadTable(context.Background(), stores, "applicants", "../../testdata/ingest/applicants.csv", ingest.ReadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tbl.Release()
	for _, f := range tbl.Schema.Fields() {
		fmt.Printf("%s: %s\n", f.Name, f.Type)
	}
	fmt.Println(tbl.NumRows(), "rows from", filepath.Base(tbl.Files[0].Location))
	// Output:
	// applicant_id: utf8
	// age: int64
	// income: float64
	// owns_home: bool
	// region: utf8
	// opened: utf8
	// 4 rows from applicants.csv
}

func ExampleReadCSV() {
	text := "id,score\n1,0.5\n2,NA\n"
	err := ingest.ReadCSV(context.Background(), strings.NewReader(text), "scores.csv", ingest.CSVOptions{}, func(b ingest.Batch) error {
		score := b.Record.Column(1).(*array.Float64)
		for i := 0; i < score.Len(); i++ {
			fmt.Println(b.File, "row", b.FirstRow+int64(i), "score", score.ValueStr(i))
		}
		return nil
	})
	fmt.Println(err)
	// Output:
	// scores.csv row 0 score 0.5
	// scores.csv row 1 score (null)
	// <nil>
}

func ExamplePartWriter() {
	dir, _ := os.MkdirTemp("", "parts")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	stores := storage.NewStores(storage.Options{})
	in, err := ingest.ReadTable(ctx, stores, "applicants", "../../testdata/ingest/applicants.csv", ingest.ReadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer in.Release()

	out := storage.MustParse(dir + "/scored/")
	pw, err := ingest.NewPartWriter(ctx, storage.Local{}, out, in.Schema, ingest.PartOptions{RowsPerPart: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pw.Abort() // a no-op after Close
	for _, b := range in.Batches {
		if err := pw.Write(b.Record); err != nil {
			fmt.Println(err)
			return
		}
	}
	files, err := pw.Close() // every part becomes visible now
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range files {
		fmt.Println(filepath.Base(f.Location), f.Rows, "rows")
	}
	// Output:
	// part-00000.parquet 3 rows
	// part-00001.parquet 1 rows
}
