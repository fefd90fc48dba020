package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// integerSample draws n integer scores in [lo, lo+span] (many ties when span
// is small against n) with about 30% bads, riskier rows scoring higher.
func integerSample(n int, lo float64, span int, seed uint64) ([]float64, []int8) {
	r := rand.New(rand.NewPCG(seed, 7))
	s := make([]float64, n)
	y := make([]int8, n)
	for i := range n {
		if r.Float64() < 0.3 {
			y[i] = 1
		}
		v := r.IntN(span + 1)
		if y[i] == 1 && r.IntN(2) == 0 {
			v = max(v, r.IntN(span+1))
		}
		s[i] = lo + float64(v)
	}
	return s, y
}

// TestCountingRanksLikeSorting ranks integer scores by counting and by
// sorting and demands the same rankings, bit for bit: the same distinct
// scores in the same order with the same bads and goods (so the same AUC,
// KS, curves, gains, DeLong placements and variances), and the same group of
// every row (DeLongTest's covariances).
func TestCountingRanksLikeSorting(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		lo   float64
		span int
	}{
		{"one row", 1, 600, 0},
		{"one value", 500, 7, 0},
		{"two values", 2000, 0, 1},
		{"few values, radix-sorted", 5000, 3, 9},
		{"scorecard points", 3000, 300, 550},
		{"negative to positive, with −0", 4000, -50, 100},
		{"span 4n", 100, -1000, 400},
	} {
		for _, higher := range []Higher{HigherBad, HigherGood} {
			s, y := integerSample(tc.n, tc.lo, tc.span, uint64(tc.n+tc.span))
			if tc.lo < 0 {
				for i, v := range s {
					if v == 0 && i%2 == 0 {
						s[i] = math.Copysign(0, -1)
					}
				}
			}
			nBad := 0
			for _, v := range y {
				nBad += int(v)
			}
			lo, span, countable, err := integerSpan(s)
			if err != nil || !countable {
				t.Fatalf("%s: integerSpan = %v, %d, %v, %v; want countable", tc.name, lo, span, countable, err)
			}
			counted := countScores(s, y, higher, nBad, lo, span)
			sorted := sortScores(s, y, higher, nBad)
			if !slices.Equal(counted.keys, sorted.keys) || !slices.Equal(counted.bads, sorted.bads) || !slices.Equal(counted.goods, sorted.goods) {
				t.Errorf("%s, higher %v: counting gives %d distinct scores, sorting %d, or other counts", tc.name, higher, len(counted.keys), len(sorted.keys))
				continue
			}
			r, err := rankScores(s, y, higher)
			if err != nil || !r.counted {
				t.Fatalf("%s: rankScores did not count (%v)", tc.name, err)
			}
			sorted.score = slices.Clone(r.score)
			if !slices.Equal(r.rowGroups(s), sorted.rowGroups(s)) {
				t.Errorf("%s, higher %v: rows fall in other groups", tc.name, higher)
			}
			if tc.n > 1 && nBad > 1 && nBad < tc.n-1 {
				a, _ := r.deLong()
				b, _ := sorted.deLong()
				if a != b || math.Float64bits(r.auc()) != math.Float64bits(sorted.auc()) {
					t.Errorf("%s, higher %v: DeLong %+v counted, %+v sorted", tc.name, higher, a, b)
				}
			}
		}
	}
}

// TestIntegerSpan checks which scores are ranked by counting: integers whose
// range is at most 4·n and maxCountSpan, below 2^53; and that a NaN or an
// infinity is refused with its row.
func TestIntegerSpan(t *testing.T) {
	for _, tc := range []struct {
		name      string
		s         []float64
		countable bool
		lo        float64
		span      int
	}{
		{"integers", []float64{3, 1, 2}, true, 1, 2},
		{"range 4n", []float64{0, 8}, true, 0, 8},
		{"range above 4n", []float64{0, 9}, false, 0, 0},
		{"a fraction", []float64{1, 2.5, 3}, false, 1, 0},
		{"PDs", []float64{0.02, 0.3}, false, 0.02, 0},
		{"beyond 2^53", []float64{1 << 54, 1<<54 + 4}, false, 1 << 54, 0},
		{"range above maxCountSpan", append(make([]float64, maxCountSpan), maxCountSpan+1), false, 0, 0},
		{"range maxCountSpan", append(make([]float64, maxCountSpan), maxCountSpan), true, 0, maxCountSpan},
	} {
		lo, span, countable, err := integerSpan(tc.s)
		if err != nil || countable != tc.countable || lo != tc.lo || span != tc.span {
			t.Errorf("%s: %v, %d, %v, %v; want %v, %d, %v", tc.name, lo, span, countable, err, tc.lo, tc.span, tc.countable)
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		if _, _, _, err := integerSpan([]float64{1, bad}); err == nil {
			t.Errorf("score %v: no error", bad)
		}
	}
}
