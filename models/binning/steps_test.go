package binning

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// referenceEdges is QuantileEdges by a full sort: the obvious, slow way.
func referenceEdges(x []float64, preBins int, special []float64) []float64 {
	var v []float64
	for _, xi := range x {
		if !math.IsNaN(xi) && !slices.Contains(special, xi) {
			v = append(v, xi)
		}
	}
	slices.Sort(v)
	m := len(v)
	if m < 2 {
		return nil
	}
	p := min(preBins, m)
	var edges []float64
	for q := 1; q < p; q++ {
		e := v[q*m/p]
		if e > v[0] && !math.IsInf(e, 0) && (len(edges) == 0 || e > edges[len(edges)-1]) {
			edges = append(edges, e)
		}
	}
	return edges
}

func TestQuantileEdges(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	gens := map[string]func(n int) []float64{
		"continuous": func(n int) []float64 {
			x := make([]float64, n)
			for i := range x {
				x[i] = r.NormFloat64() * 1000
			}
			return x
		},
		"few distinct": func(n int) []float64 {
			x := make([]float64, n)
			for i := range x {
				x[i] = float64(r.IntN(4))
			}
			return x
		},
		"heavy ties": func(n int) []float64 {
			x := make([]float64, n)
			for i := range x {
				x[i] = math.Floor(r.ExpFloat64() * 3)
				if r.IntN(10) == 0 {
					x[i] = math.NaN()
				}
				if r.IntN(20) == 0 {
					x[i] = 9999
				}
			}
			return x
		},
		"sorted": func(n int) []float64 {
			x := make([]float64, n)
			for i := range x {
				x[i] = float64(i / 3)
			}
			return x
		},
		"reversed": func(n int) []float64 {
			x := make([]float64, n)
			for i := range x {
				x[i] = float64(n - i)
			}
			return x
		},
		"constant": func(n int) []float64 {
			x := make([]float64, n)
			for i := range x {
				x[i] = 7
			}
			return x
		},
	}
	for name, gen := range gens {
		for _, n := range []int{0, 1, 2, 5, 19, 20, 21, 100, 1000, 30001} {
			for _, pre := range []int{2, 5, 20, 100} {
				x := gen(n)
				orig := slices.Clone(x)
				cfg := DefaultConfig()
				cfg.PreBins = pre
				cfg.Special = []float64{9999}
				got, err := QuantileEdges(x, cfg)
				if err != nil {
					t.Fatal(err)
				}
				want := referenceEdges(x, pre, cfg.Special)
				if !slices.Equal(got, want) {
					t.Fatalf("%s n=%d P=%d: edges %v, want %v", name, n, pre, got, want)
				}
				if !slices.EqualFunc(x, orig, func(a, b float64) bool { return a == b || a != a && b != b }) {
					t.Fatalf("%s: input modified", name)
				}
				if len(got) > pre-1 {
					t.Fatalf("%s: %d edges for %d pre-bins", name, len(got), pre)
				}
				// Every edge is a data value, so no pre-bin splits a run of ties
				// and none is empty.
				c, err := NewNumericCounts(got, cfg.Special)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.AddNumeric(x, make([]int8, len(x)), nil); err != nil {
					t.Fatal(err)
				}
				for i, g := range c.Goods {
					if g == 0 && len(got) > 0 {
						t.Fatalf("%s n=%d: pre-bin %d empty", name, n, i)
					}
				}
			}
		}
	}
	// Negative zero is zero: never an edge "-0".
	z := []float64{-1, -1, math.Copysign(0, -1), math.Copysign(0, -1), 0, 1, 1}
	cfg := DefaultConfig()
	cfg.PreBins = 4 // ranks 1, 3, 5 of 7: -1 (the minimum, dropped), ±0, 1
	if e, _ := QuantileEdges(z, cfg); len(e) != 2 || e[0] != 0 || math.Signbit(e[0]) || e[1] != 1 {
		t.Errorf("edges %v (sign bit %v)", e, math.Signbit(e[0]))
	}

	// Twenty equal-sized pre-bins of distinct values sit at the 5% quantiles.
	x := make([]float64, 1000)
	for i := range x {
		x[i] = float64(999 - i)
	}
	got, _ := QuantileEdges(x, DefaultConfig())
	for q, e := range got {
		if e != float64(50*(q+1)) {
			t.Fatalf("edges %v", got)
		}
	}
}

func TestMultiSelect(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for trial := range 300 {
		n := r.IntN(3000)
		a := make([]float64, n)
		distinct := 1 + r.IntN(1+trial)
		for i := range a {
			a[i] = float64(r.IntN(distinct))
		}
		if trial%7 == 0 {
			slices.Sort(a)
		}
		sorted := slices.Sorted(slices.Values(a))
		var ranks []int
		for i := 0; i < n; i += 1 + r.IntN(n/5+1) {
			ranks = append(ranks, i)
		}
		multiSelect(a, ranks)
		for _, k := range ranks {
			if a[k] != sorted[k] {
				t.Fatalf("trial %d: rank %d is %v, want %v", trial, k, a[k], sorted[k])
			}
		}
		if !slices.Equal(slices.Sorted(slices.Values(a)), sorted) {
			t.Fatal("multiSelect lost elements")
		}
	}
}

func TestCountsAgreeWithBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	n := 5000
	x := make([]float64, n)
	y := make([]int8, n)
	w := make([]float64, n)
	for i := range x {
		x[i] = float64(r.IntN(50))
		switch r.IntN(20) {
		case 0:
			x[i] = math.NaN()
		case 1:
			x[i] = -1
		}
		y[i] = int8(r.IntN(2))
		w[i] = float64(r.IntN(4)) / 2
	}
	edges := []float64{3, 10, 10.5, 30, 49}
	special := []float64{-1, -7}
	c, err := NewNumericCounts(edges, special)
	if err != nil {
		t.Fatal(err)
	}
	// Three chunks counted apart and merged, as a streaming fit would.
	for _, part := range [][2]int{{0, 1000}, {1000, 1001}, {1001, n}} {
		d, _ := NewNumericCounts(edges, special)
		if err := d.AddNumeric(x[part[0]:part[1]], y[part[0]:part[1]], w[part[0]:part[1]]); err != nil {
			t.Fatal(err)
		}
		if err := c.Merge(d); err != nil {
			t.Fatal(err)
		}
	}
	bounds := append(append([]float64{math.Inf(-1)}, edges...), math.Inf(1))
	goods := make([]float64, len(edges)+1)
	bads := make([]float64, len(edges)+1)
	var mg, mb, sg, sb float64
	for i, xi := range x {
		switch {
		case math.IsNaN(xi):
			if y[i] == 1 {
				mb += w[i]
			} else {
				mg += w[i]
			}
		case xi == -1:
			if y[i] == 1 {
				sb += w[i]
			} else {
				sg += w[i]
			}
		default:
			for k := range goods {
				if bounds[k] <= xi && xi < bounds[k+1] {
					if y[i] == 1 {
						bads[k] += w[i]
					} else {
						goods[k] += w[i]
					}
				}
			}
		}
	}
	if !slices.Equal(c.Goods, goods) || !slices.Equal(c.Bads, bads) || c.MissingGoods != mg || c.MissingBads != mb ||
		!slices.Equal(c.SpecialGoods, []float64{sg, 0}) || !slices.Equal(c.SpecialBads, []float64{sb, 0}) {
		t.Errorf("counts %+v\nwant goods %v bads %v missing %v/%v special %v/%v", c, goods, bads, mg, mb, sg, sb)
	}

	other, _ := NewNumericCounts([]float64{3}, nil)
	if err := c.Merge(other); err == nil {
		t.Error("merged counts with other edges")
	}
	if _, err := NewNumericCounts([]float64{3, 3}, nil); err == nil {
		t.Error("repeated edge accepted")
	}
	if err := c.AddCategorical([]string{"a"}, []int8{0}, nil); err == nil {
		t.Error("categories added to numeric counts")
	}
}

func TestCategoricalCountsMerge(t *testing.T) {
	a := NewCategoricalCounts()
	if err := a.AddCategorical([]string{"x", "y", "", "x"}, []int8{0, 1, 1, 1}, nil); err != nil {
		t.Fatal(err)
	}
	// Through JSON and back, as a streaming job might persist partial counts.
	data, _ := json.Marshal(a)
	var b Counts
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	if err := b.AddCategorical([]string{"z", "x"}, []int8{0, 0}, []float64{2, 3}); err != nil {
		t.Fatal(err)
	}
	if err := a.Merge(&b); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Categories, []string{"x", "y", "z"}) || !slices.Equal(a.Goods, []float64{5, 0, 2}) ||
		!slices.Equal(a.Bads, []float64{2, 2, 0}) || a.MissingBads != 2 || a.MissingGoods != 0 {
		t.Errorf("merged %+v", a)
	}
	if err := a.AddNumeric([]float64{1}, []int8{0}, nil); err == nil {
		t.Error("numbers added to categorical counts")
	}
	if err := a.Merge(&Counts{Kind: Categorical, Categories: []string{"q", "q"}, Goods: []float64{1, 1}, Bads: []float64{0, 0}}); err == nil {
		t.Error("merged counts with a repeated category")
	}
}

// TestOptimalAgainstBruteForce checks the dynamic programme against an
// enumeration of every partition of small random problems: same best IV, and
// the returned partition satisfies every constraint.
func TestOptimalAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	shapes := []Trend{TrendAscending, TrendDescending, TrendPeak, TrendValley}
	for trial := range 400 {
		n := 1 + r.IntN(9)
		goods := make([]float64, n)
		bads := make([]float64, n)
		for i := range goods {
			goods[i] = float64(r.IntN(40))
			bads[i] = float64(r.IntN(25))
		}
		var tg, tb float64
		for i := range goods {
			tg += goods[i]
			tb += bads[i]
		}
		tg += float64(r.IntN(10)) // missing and special rows
		tb += float64(r.IntN(5))
		if tg == 0 || tb == 0 {
			continue
		}
		cfg := DefaultConfig()
		cfg.MinBinShare = []float64{0, 0.05, 0.1, 0.2}[r.IntN(4)]
		cfg.MinGoods = float64(r.IntN(4))
		cfg.MinBads = float64(r.IntN(4))
		cfg.MaxBins = 1 + r.IntN(6)
		cfg.Alpha = []float64{1, 0.5, 0.3, 0.05}[r.IntN(4)]
		cfg.Smoothing = []float64{0, 0.5}[r.IntN(2)]
		p := newMergeProblem(goods, bads, tg, tb, cfg)
		for _, shape := range shapes {
			cuts, got := p.solve(shape)
			want := bruteForce(p, shape)
			if math.Abs(got-want) > 1e-9 {
				t.Fatalf("trial %d %s: DP %.12f, brute force %.12f\ngoods %v bads %v cfg %+v", trial, shape, got, want, goods, bads, cfg)
			}
			if v, ok := evaluate(p, shape, cuts); !ok || math.Abs(v-got) > 1e-9 {
				t.Fatalf("trial %d %s: DP cuts %v admissible %v value %v, claimed %v", trial, shape, cuts, ok, v, got)
			}
		}
	}
}

// bruteForce returns the best objective over all partitions of the pre-bins.
func bruteForce(p *mergeProblem, shape Trend) float64 {
	n := len(p.goods)
	best := math.Inf(-1)
	for mask := 0; mask < 1<<(n-1); mask++ {
		cuts := []int{0}
		for i := 1; i < n; i++ {
			if mask&(1<<(i-1)) != 0 {
				cuts = append(cuts, i)
			}
		}
		cuts = append(cuts, n)
		if v, ok := evaluate(p, shape, cuts); ok && v > best {
			best = v
		}
	}
	return best
}

// evaluate checks a partition against every constraint, written out plainly,
// and returns its objective.
func evaluate(p *mergeProblem, shape Trend, cuts []int) (float64, bool) {
	k := len(cuts) - 1
	if k > p.maxBins && k > 1 {
		return 0, false
	}
	var g, b, rate []float64
	total := 0.0
	for i := range k {
		var gi, bi float64
		for j := cuts[i]; j < cuts[i+1]; j++ {
			gi += p.goods[j]
			bi += p.bads[j]
		}
		g, b = append(g, gi), append(b, bi)
		rate = append(rate, bi/(gi+bi))
		total += p.ivTerm(gi, bi)
		if k > 1 && (gi+bi < p.minCount || gi < p.minGoods || bi < p.minBads || gi+bi == 0) {
			return 0, false
		}
	}
	turned := false
	for i := 1; i < k; i++ {
		up, down := rate[i] > rate[i-1], rate[i] < rate[i-1]
		if !up && !down {
			return 0, false
		}
		if p.critical > 0 && chiSquare(g[i-1], b[i-1], g[i], b[i]) < p.critical {
			return 0, false
		}
		switch shape {
		case TrendAscending:
			if !up {
				return 0, false
			}
		case TrendDescending:
			if !down {
				return 0, false
			}
		case TrendPeak:
			if up && turned {
				return 0, false
			}
			turned = turned || down
		case TrendValley:
			if down && turned {
				return 0, false
			}
			turned = turned || up
		}
	}
	return total, true
}
