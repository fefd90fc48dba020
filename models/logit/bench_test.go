package logit_test

import (
	"testing"

	"lendscore/models/logit"
)

// BenchmarkAccumulatePass measures one IRLS iteration (a full pass summing
// ℓ, gradient and XᵀWX) on 1,000,000 rows × 20 columns.
func BenchmarkAccumulatePass(b *testing.B) {
	x, y, beta := synthetic(1_000_000, 20, 1)
	data := x.RawMatrix().Data
	b.SetBytes(int64(len(data) * 8))
	b.ResetTimer()
	for b.Loop() {
		acc := logit.NewAccumulator(beta)
		if err := acc.AddLabels(data, y, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFit measures a whole fit on 1,000,000 rows × 20 columns; the
// iteration count is reported beside the time.
func BenchmarkFit(b *testing.B) {
	x, y, _ := synthetic(1_000_000, 20, 1)
	iters := 0
	for b.Loop() {
		res, err := logit.Fit(x, y, logit.Options{})
		if err != nil {
			b.Fatal(err)
		}
		iters = res.Iterations
	}
	b.ReportMetric(float64(iters), "iterations")
}
