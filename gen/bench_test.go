package gen_test

import (
	"testing"

	"lendscore/gen"
)

// BenchmarkGenerate generates 100,000 customers (about 2.8M repayment rows) per op, with
// and without dirty rows, and reports rows written per second over all four tables.
func BenchmarkGenerate(b *testing.B) {
	for _, c := range []struct {
		name string
		rate float64
	}{{"clean", 0}, {"dirty1pct", 0.01}} {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			var rows int64
			for b.Loop() {
				sum := generate(b, dir, gen.Config{Customers: 100_000, Seed: 1, DirtyRate: c.rate, CustomersPerPart: 25_000})
				rows = 0
				for _, n := range sum.Rows {
					rows += n
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
