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

// pointsSample is benchRows scorecard points (integers 300–850, higher is
// better) with their labels: the scores validation usually ranks.
func pointsSample() ([]float64, []int8) {
	s, y := randomSample(benchRows, 99, 1e6)
	for i, v := range s {
		s[i] = math.Round(575 - 60*v)
	}
	return s, y
}

// BenchmarkAUCPoints ranks integer points by counting.
func BenchmarkAUCPoints(b *testing.B) {
	s, y := pointsSample()
	for b.Loop() {
		if _, err := metrics.AUC(s, y, metrics.HigherGood); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeLongTestPoints compares two integer scores, ranked by counting.
func BenchmarkDeLongTestPoints(b *testing.B) {
	s, y := pointsSample()
	s2 := make([]float64, len(s))
	for i, v := range s {
		s2[i] = v + float64(i%7)
	}
	for b.Loop() {
		if _, err := metrics.DeLongTest(s, s2, y, metrics.HigherGood); err != nil {
			b.Fatal(err)
		}
	}
}
