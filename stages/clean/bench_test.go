package clean_test

import (
	"context"
	"testing"

	"lendscore/gen"
	"lendscore/stages/clean"
)

// BenchmarkExtracts cleans the extracts of 100,000 generated customers (about 2.8M
// repayment rows, 4.7M rows in all) with 1% dirty rows, read in 64k-row batches, and
// reports input rows per second.
func BenchmarkExtracts(b *testing.B) {
	dir := b.TempDir()
	sum := generate(b, dir, gen.Config{Customers: 100_000, Seed: 1, DirtyRate: 0.01, CustomersPerPart: 25_000})
	in := readExtracts(b, dir, 1<<16)
	defer release(in)
	var rows int64
	for _, n := range sum.Rows {
		rows += n
	}
	for b.Loop() {
		res, err := clean.Extracts(context.Background(), in, clean.Options{AsOf: sum.Config.AsOf})
		if err != nil {
			b.Fatal(err)
		}
		res.Release()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
