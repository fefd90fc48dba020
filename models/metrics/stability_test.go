package metrics_test

import (
	"errors"
	"math"
	"slices"
	"testing"

	"lendscore/models/metrics"
)

func TestPSIFromCountsHandComputed(t *testing.T) {
	tests := []struct {
		name             string
		expected, actual []float64
		want             float64
	}{
		// Shares e = .1 .2 .3 .4, a = .2 .2 .3 .3:
		// (.1)·ln 2 + (−.1)·ln(.75) = 0.0693147 + 0.0287682.
		{"shift", []float64{10, 20, 30, 40}, []float64{20, 20, 30, 30}, 0.1*math.Ln2 - 0.1*math.Log(0.75)},
		{"same shares", []float64{1, 2, 3}, []float64{10, 20, 30}, 0},
		// An empty expected bin counts as 1e-4: e = (1e-4, .5, .5),
		// a = (.1, .45, .45): (.0999)·ln(1000) + 2·(−.05)·ln(.9).
		{"empty bin", []float64{0, 50, 50}, []float64{10, 45, 45}, 0.0999*math.Log(1000) - 0.1*math.Log(0.9)},
		{"empty in both", []float64{0, 5}, []float64{0, 7}, 0},
	}
	for _, tt := range tests {
		got, err := metrics.PSIFromCounts(tt.expected, tt.actual)
		if err != nil {
			t.Fatal(err)
		}
		near(t, tt.name, got, tt.want, 1e-15)
	}
	for _, bad := range [][2][]float64{
		{{1, 2}, {1}},
		{{0, 0}, {1, 1}},
		{{1, -1}, {1, 1}},
		{{1, math.NaN()}, {1, 1}},
		{nil, nil},
	} {
		if _, err := metrics.PSIFromCounts(bad[0], bad[1]); !errors.Is(err, metrics.ErrInput) {
			t.Errorf("%v: err = %v", bad, err)
		}
	}
}

func TestQuantileEdgesAndPSI(t *testing.T) {
	v := []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	// 4 bins of 10 values: edges at the ⌈2.5⌉ = 3rd, 5th and ⌈7.5⌉ = 8th
	// smallest values, 3, 5 and 8, so counts 3, 2, 3, 2.
	edges, err := metrics.QuantileEdges(v, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(edges, []float64{3, 5, 8}) {
		t.Errorf("edges = %v", edges)
	}
	counts, _ := metrics.BinCounts(v, edges)
	if !slices.Equal(counts, []float64{3, 2, 3, 2, 0}) {
		t.Errorf("counts = %v", counts)
	}
	// Ties merge quantiles: seven 0s and three 1s give one edge, 0.
	edges, _ = metrics.QuantileEdges([]float64{0, 0, 0, 0, 0, 0, 0, 1, 1, 1}, 10)
	if !slices.Equal(edges, []float64{0}) {
		t.Errorf("tied edges = %v", edges)
	}

	// Deciles of 1…100 cut at 10, 20, …, 90; the actual sample puts 20
	// values in the first bin, 10 in each of the next eight and none in
	// (90, ∞), so PSI is PSIFromCounts of those counts.
	expected := make([]float64, 100)
	for i := range expected {
		expected[i] = float64(i + 1)
	}
	var actual []float64
	for bin := range 9 {
		n := 10
		if bin == 0 {
			n = 20
		}
		for range n {
			actual = append(actual, float64(bin*10+5))
		}
	}
	got, err := metrics.PSI(expected, actual, 0)
	if err != nil {
		t.Fatal(err)
	}
	e := []float64{10, 10, 10, 10, 10, 10, 10, 10, 10, 10}
	a := []float64{20, 10, 10, 10, 10, 10, 10, 10, 10, 0}
	want, _ := metrics.PSIFromCounts(e, a)
	near(t, "PSI", got, want, 1e-15)
	same, _ := metrics.PSI(expected, expected, 0)
	near(t, "PSI of a sample with itself", same, 0, 0)

	// Missing values form their own bin when either sample has any.
	withNaN := append(slices.Clone(expected[:90]), math.NaN(), math.NaN())
	got, err = metrics.PSI(expected, withNaN, 10)
	if err != nil {
		t.Fatal(err)
	}
	a = []float64{10, 10, 10, 10, 10, 10, 10, 10, 10, 0, 2}
	want, _ = metrics.PSIFromCounts(append(e, 0), a)
	near(t, "PSI with NaN", got, want, 1e-15)
}

func TestHHI(t *testing.T) {
	tests := []struct {
		counts     []float64
		hhi, normd float64
	}{
		{[]float64{1, 1, 1, 1}, 0.25, 0},
		{[]float64{10, 0, 0}, 1, 1},
		// Shares .75, .25: .5625 + .0625 = .625; (.625 − .5)/(1 − .5) = .25.
		{[]float64{3, 1}, 0.625, 0.25},
		{[]float64{7}, 1, 1},
	}
	for _, tt := range tests {
		h, n, err := metrics.HHI(tt.counts)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "HHI", h, tt.hhi, 1e-15)
		near(t, "normalised HHI", n, tt.normd, 1e-15)
	}
	if _, _, err := metrics.HHI([]float64{0, 0}); !errors.Is(err, metrics.ErrInput) {
		t.Errorf("empty: err = %v", err)
	}
}
