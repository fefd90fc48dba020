package report

import (
	"testing"

	"lendscore/models/metrics"
)

// BenchmarkValidate validates three samples of 1M scored rows each (train,
// test, oot) with PDs, grades and attribute indices of three variables.
func BenchmarkValidate(b *testing.B) {
	sc := syntheticScorecard()
	samples, _ := syntheticRun(sc, 1_000_000, 5)
	in := ValidationInput{Samples: samples, Higher: metrics.HigherGood, Scorecard: sc}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Validate(in, DefaultThresholds()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(3*len(samples[0].Score))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkModelCard writes the train card of a three-sample run with 14
// charts.
func BenchmarkModelCard(b *testing.B) {
	card, _, err := syntheticCard(20_000)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := ModelCard(card); err != nil {
			b.Fatal(err)
		}
	}
}
