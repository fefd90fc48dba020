package metrics_test

import (
	"math"
	"testing"

	"lendscore/models/metrics"
)

const benchRows = 1_000_000

func benchSample() ([]float64, []float64, []int8) {
	s, y := randomSample(benchRows, 99, 1e6)
	pd := make([]float64, len(s))
	for i, v := range s {
		pd[i] = 1 / (1 + math.Exp(-(v - 1)))
	}
	return s, pd, y
}

func BenchmarkAUC(b *testing.B) {
	s, _, y := benchSample()
	for b.Loop() {
		if _, err := metrics.AUC(s, y, metrics.HigherBad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKS(b *testing.B) {
	s, _, y := benchSample()
	for b.Loop() {
		if _, err := metrics.KS(s, y, metrics.HigherBad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeLongTest(b *testing.B) {
	s, pd, y := benchSample()
	for b.Loop() {
		if _, err := metrics.DeLongTest(s, pd, y, metrics.HigherBad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	s, pd, y := benchSample()
	for b.Loop() {
		if _, err := metrics.Evaluate(s, pd, y, metrics.HigherBad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGains(b *testing.B) {
	s, _, y := benchSample()
	for b.Loop() {
		if _, err := metrics.Gains(s, y, metrics.HigherBad, 10); err != nil {
			b.Fatal(err)
		}
	}
}
