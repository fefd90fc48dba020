package train

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"

	"lendscore/models/logit"
	"lendscore/stages/frame"
)

// randomDesign is a design of n train rows over p variables with a few bins each and a
// label drawn from a logistic model of their WOE.
func randomDesign(n, p int, seed uint64) (*design, []string) {
	rng := rand.New(rand.NewPCG(seed, 3))
	d := &design{codes: map[string]*frame.Codes{}, woe: map[string][]float64{}, index: map[string]int{}}
	names := make([]string, p)
	eta := make([]float64, n)
	for j := range names {
		names[j] = string(rune('a' + j))
		bins := 3 + j%4
		w := make([]float64, bins)
		for b := range w {
			w[b] = rng.NormFloat64() * 0.6
		}
		c := frame.NewCodes(n, uint32(bins-1))
		for i := 0; i < n; i++ {
			b := rng.IntN(bins)
			if j > 0 && rng.IntN(3) == 0 {
				b = int(d.codes[names[j-1]].At(i)) % bins // some correlation
			}
			c.Set(i, uint32(b))
			eta[i] -= 0.8 * w[b]
		}
		d.codes[names[j]], d.woe[names[j]], d.index[names[j]] = c, w, j
	}
	d.rows = make([]int32, n)
	d.y = make([]int8, n)
	for i := range d.rows {
		d.rows[i] = int32(i)
		if rng.Float64() < 1/(1+math.Exp(-eta[i]+1)) {
			d.y[i] = 1
		}
	}
	return d, names
}

// TestDesignFitEqualsLogitFit requires the pass-by-pass fit over bin indices to give
// logit.Fit's result on the materialised WOE matrix bit for bit, over several chunks and
// for GOMAXPROCS 1 and 2.
func TestDesignFitEqualsLogitFit(t *testing.T) {
	d, names := randomDesign(3*chunkRows+123, 5, 1)
	want, err := logit.Fit(d.matrix(names), d.y, logit.Options{Names: names})
	if err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		got, err := d.fit(context.Background(), names)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Coef, want.Coef) || !slices.Equal(got.StdErr, want.StdErr) || got.LogLik != want.LogLik || got.Iterations != want.Iterations {
			t.Errorf("GOMAXPROCS %d: coef %v ll %v, logit.Fit %v ll %v", procs, got.Coef, got.LogLik, want.Coef, want.LogLik)
		}
	}
}

// TestCorrelations checks the chunked correlations against a two-pass Pearson: bit for bit
// on one chunk, to 1e-12 on several.
func TestCorrelations(t *testing.T) {
	for _, n := range []int{700, 5*chunkRows + 7} {
		d, names := randomDesign(n, 4, 2)
		corr, err := d.correlations(context.Background(), names)
		if err != nil {
			t.Fatal(err)
		}
		x := d.matrix(names)
		woe := map[string][]float64{}
		for j, name := range names {
			woe[name] = mat.Col(nil, j, x)
		}
		ref := pearsonOf(woe)
		for j, a := range names {
			for k, b := range names {
				got, want := corr[j][k], ref(a, b)
				if n <= chunkRows && got != want || math.Abs(got-want) > 1e-12 {
					t.Errorf("n %d: r(%s, %s) = %v, two-pass %v", n, a, b, got, want)
				}
			}
		}
		if corr[0][1] == 0 {
			t.Error("uncorrelated test data")
		}
	}
}

func TestModeShare(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	nan := math.NaN()
	cases := [][]float64{
		{1, 2, 2, 3, nan, nan, nan},        // NaN is the mode: 3/7
		{math.Copysign(0, -1), 0, 0, 5, 5}, // −0 and 0 are one value: 3/5
		{7},                                // 1
		{-1e300, 1e300, -5, -5, math.Inf(1), -5, 1.5}, // 3/7
	}
	big := make([]float64, 100000) // narrow chunks (quarters) mixed with wide ones
	for i := range big {
		big[i] = math.Round(rng.NormFloat64()*50) / 4
		if i%100 == 0 && i > 50000 {
			big[i] = -rng.Float64()
		}
	}
	wide := make([]float64, 30000) // wide chunks only, with ties
	for i := range wide {
		wide[i] = float64(rng.IntN(5000)) * 1e6
	}
	mixed := make([]float64, 2000) // a narrow chunk, then a raw one holding the same values
	for i := range mixed {
		mixed[i] = float64(i % 10)
		if i >= 1000 && i%7 == 0 {
			mixed[i] = 0.1 + 0.2
		}
	}
	cases = append(cases, big, wide, mixed)
	for _, x := range cases {
		// Reference: sort a copy, count runs (NaN first, −0 == 0).
		s := slices.Clone(x)
		sort.Float64s(s)
		best, run := 0, 0
		for i := range s {
			if i > 0 && (s[i] == s[i-1] || math.IsNaN(s[i]) && math.IsNaN(s[i-1])) {
				run++
			} else {
				run = 1
			}
			best = max(best, run)
		}
		want := float64(best) / float64(len(x))
		// Every row, and the column in chunks of every kind.
		var col frame.NumericColumn
		for i := 0; i < len(x); i += 1000 {
			col.Append(x[i:min(i+1000, len(x))])
		}
		rows := make([]int32, len(x))
		for i := range rows {
			rows[i] = int32(i)
		}
		y := make([]int8, len(x))
		for i := range y {
			y[i] = int8(i % 3 / 2)
		}
		var bs binScratch
		if got := modeShareOf(bs.distribution(&col, rows, y), len(rows)); got != want {
			t.Errorf("mode share of %d values %v, want %v", len(x), got, want)
		}
	}
}

func TestRadixSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 7))
	for _, n := range []int{0, 1, 31, 33, 1000, 200000} {
		x := make([]float64, n)
		for i := range x {
			switch i % 4 {
			case 0:
				x[i] = rng.NormFloat64() * 1e6
			case 1:
				x[i] = float64(rng.IntN(20))
			case 2:
				x[i] = -rng.ExpFloat64()
			default:
				x[i] = math.Ldexp(rng.Float64(), rng.IntN(2000)-1000)
			}
		}
		want := slices.Clone(x)
		slices.Sort(want)
		radixSort(x, 56)
		if !slices.Equal(x, want) {
			t.Errorf("n %d: radix sort differs from slices.Sort", n)
		}
	}
}

func BenchmarkDesignFit(b *testing.B) {
	d, names := randomDesign(1<<20, 12, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.fit(context.Background(), names); err != nil {
			b.Fatal(err)
		}
	}
}

// modeShareOf is modeShare over a distribution.
func modeShareOf(d *distribution, n int) float64 { return modeShare(d, d.missing, n) }
