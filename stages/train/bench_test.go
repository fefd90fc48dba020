package train

import (
	"context"
	"testing"
)

// BenchmarkFitGermanCredit is one train run's fitting work on German Credit (1,000 rows, 20
// candidates): binning, selection, regression and the scorecard.
func BenchmarkFitGermanCredit(b *testing.B) {
	fr, cands := germanCredit(b)
	p, err := Prepare(fr, "creditability", "bad", "", Split{Method: "column", Column: "sample"}, cands)
	if err != nil {
		b.Fatal(err)
	}
	opts := defaultOptions(cands)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Fit(context.Background(), fr, p, opts); err != nil {
			b.Fatal(err)
		}
	}
}
