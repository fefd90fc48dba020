// Command csvparquet converts a flat table (CSV or Parquet, a file, prefix or glob) into
// Parquet part files written by lendscore's own part writer (zstd, row groups of 131,072
// rows), so that benchmarks of Parquet-to-Parquet jobs have an input: the flatgen table of
// internal/tools/flatgen as Parquet, for example.
//
//	go run ./internal/tools/flatgen -rows 10000000 -seed 2 -out data/bench/flat10m.csv
//	go run ./internal/tools/csvparquet -in data/bench/flat10m.csv -out data/bench/score10m -rows-per-part 1000000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"lendscore/pipeline/storage"
	"lendscore/stages/ingest"
)

func main() {
	in := flag.String("in", "", "input table (file, prefix or glob; CSV or Parquet)")
	out := flag.String("out", "", "output folder (local path or s3://…)")
	perPart := flag.Int64("rows-per-part", 1_000_000, "rows per Parquet part file")
	limit := flag.Int64("limit", 0, "copy only the first N rows (0: all)")
	flag.Parse()
	if *in == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: csvparquet -in TABLE -out FOLDER [-rows-per-part N] [-limit N]")
		os.Exit(2)
	}
	if err := convert(context.Background(), *in, *out, *perPart, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "csvparquet:", err)
		os.Exit(1)
	}
}

func convert(ctx context.Context, in, out string, perPart, limit int64) error {
	stores := storage.NewStores(storage.Options{})
	loc, err := storage.Parse(out)
	if err != nil {
		return err
	}
	st, err := stores.For(ctx, loc)
	if err != nil {
		return err
	}
	var (
		pw   *ingest.PartWriter
		rows int64
	)
	_, err = ingest.StreamTable(ctx, stores, in, ingest.ReadOptions{}, func(b ingest.Batch) error {
		if pw == nil {
			if pw, err = ingest.NewPartWriter(ctx, st, loc, b.Record.Schema(), ingest.PartOptions{RowsPerPart: perPart}); err != nil {
				return err
			}
		}
		rec := b.Record
		if limit > 0 && rows+rec.NumRows() > limit {
			rec = rec.NewSlice(0, max(0, limit-rows))
			defer rec.Release()
		}
		rows += rec.NumRows()
		return pw.Write(rec)
	})
	if err != nil {
		if pw != nil {
			pw.Abort()
		}
		return err
	}
	files, err := pw.Close()
	if err != nil {
		return err
	}
	fmt.Printf("wrote %d rows in %d parts to %s\n", rows, len(files), loc)
	return nil
}
