package train

import (
	"fmt"
	"math"
	"slices"

	"lendscore/models/binning"
	"lendscore/stages/frame"
)

// distribution is the train distribution of a numeric variable, exactly: its distinct
// values with their goods and bads, in ascending order, walked by each. It is what
// binning.FitNumeric computes quantiles and counts from, held without copying the values
// where they are few: narrow chunks are tallied by value, the values of wide chunks sorted
// in place, goods and bads apart, and the three merged as they are walked.
type distribution struct {
	keys    []float64 // the tallied values, ascending
	tally   map[float64][2]int
	rest    [2][]float64 // values of wide chunks, goods and bads, ascending
	missing [2]int
}

// newDistribution tallies the rows (ascending) of col with labels y, reusing the buffers of
// s.
func (s *binScratch) distribution(col *frame.NumericColumn, rows []int32, y []int8) *distribution {
	d := &distribution{tally: map[float64][2]int{}}
	s.rest, d.rest = col.Tally(rows, y, d.tally, s.rest, &d.missing)
	d.finish()
	return d
}

// finish sorts the values of wide chunks and the tallied values.
func (d *distribution) finish() {
	for c := range d.rest {
		for i, v := range d.rest[c] {
			d.rest[c][i] = v + 0 // −0 and 0 are one value
		}
		radixSort(d.rest[c], 56)
	}
	d.keys = make([]float64, 0, len(d.tally))
	for v := range d.tally {
		d.keys = append(d.keys, v)
	}
	slices.Sort(d.keys)
}

// valueCounts is the train sample of a numeric variable as distinct values with their goods
// and bads, ascending: a distribution, or a keyHistogram when the values are too many.
type valueCounts interface {
	each(fn func(v float64, goods, bads int))
}

// cursor walks a distribution's distinct values, ascending.
type cursor struct {
	d         *distribution
	k, r0, r1 int
}

// next returns the next distinct value and its goods and bads; ok is false at the end.
func (c *cursor) next() (v float64, g, b int, ok bool) {
	d := c.d
	v = math.Inf(1)
	if c.k < len(d.keys) {
		v = d.keys[c.k]
	}
	if c.r0 < len(d.rest[0]) && d.rest[0][c.r0] < v {
		v = d.rest[0][c.r0]
	}
	if c.r1 < len(d.rest[1]) && d.rest[1][c.r1] < v {
		v = d.rest[1][c.r1]
	}
	if c.k < len(d.keys) && d.keys[c.k] == v {
		t := d.tally[v]
		g, b = t[0], t[1]
		c.k++
	}
	for c.r0 < len(d.rest[0]) && d.rest[0][c.r0] == v {
		g++
		c.r0++
	}
	for c.r1 < len(d.rest[1]) && d.rest[1][c.r1] == v {
		b++
		c.r1++
	}
	return v, g, b, g+b > 0 // +Inf, the largest value, in none of them: the end
}

// each calls fn with every distinct value, ascending, and its goods and bads.
func (d *distribution) each(fn func(v float64, goods, bads int)) {
	c := cursor{d: d}
	for {
		v, g, b, ok := c.next()
		if !ok {
			return
		}
		fn(v, g, b)
	}
}

// eachOfBoth calls fn with every distinct value of a and b, ascending, and its rows in both.
func eachOfBoth(a, b *distribution) func(fn func(v float64, n int64)) {
	return func(fn func(v float64, n int64)) {
		ca, cb := cursor{d: a}, cursor{d: b}
		va, ga, ba, oka := ca.next()
		vb, gb, bb, okb := cb.next()
		for oka || okb {
			switch {
			case oka && (!okb || va < vb):
				fn(va, int64(ga+ba))
				va, ga, ba, oka = ca.next()
			case okb && (!oka || vb < va):
				fn(vb, int64(gb+bb))
				vb, gb, bb, okb = cb.next()
			default:
				fn(va, int64(ga+ba+gb+bb))
				va, ga, ba, oka = ca.next()
				vb, gb, bb, okb = cb.next()
			}
		}
	}
}

// modeShare returns the share of the most frequent value among n rows, missing values
// counted as one value.
func modeShare(d valueCounts, missing [2]int, n int) float64 {
	best := missing[0] + missing[1]
	d.each(func(_ float64, g, b int) { best = max(best, g+b) })
	return float64(best) / float64(n)
}

// quantileEdges is binning.QuantileEdges over the train values: the values at ranks
// ⌊q·m/P⌋ (q = 1…P−1, P = min(cfg.PreBins, m)) of the m values that are not special, the
// lowest value and repeats dropped.
func quantileEdges(d valueCounts, cfg binning.Config) []float64 {
	m := 0
	lowest := math.Inf(1)
	d.each(func(v float64, g, b int) {
		if !slices.Contains(cfg.Special, v) {
			m += g + b
			lowest = min(lowest, v)
		}
	})
	if m < 2 {
		return nil
	}
	p := min(cfg.PreBins, m)
	var ranks []int
	for q := 1; q < p; q++ {
		if r := q * m / p; len(ranks) == 0 || r > ranks[len(ranks)-1] {
			ranks = append(ranks, r)
		}
	}
	var edges []float64
	below := 0 // values before v
	d.each(func(v float64, g, b int) {
		if slices.Contains(cfg.Special, v) {
			return
		}
		below += g + b
		for len(ranks) > 0 && ranks[0] < below {
			ranks = ranks[1:]
			if v <= lowest || math.IsInf(v, 0) || (len(edges) > 0 && v <= edges[len(edges)-1]) {
				continue
			}
			edges = append(edges, v+0)
		}
	})
	return edges
}

// countsOf is binning's step 2 over the train values: goods and bads per pre-bin of edges,
// per special value and of the missing values.
func countsOf(d valueCounts, missing [2]int, edges, special []float64) (*binning.Counts, error) {
	c, err := binning.NewNumericCounts(edges, special)
	if err != nil {
		return nil, err
	}
	c.MissingGoods, c.MissingBads = float64(missing[0]), float64(missing[1])
	e := 0
	d.each(func(v float64, g, b int) {
		if k := slices.Index(special, v); k >= 0 {
			c.SpecialGoods[k] += float64(g)
			c.SpecialBads[k] += float64(b)
			return
		}
		for e < len(edges) && edges[e] <= v {
			e++
		}
		c.Goods[e] += float64(g)
		c.Bads[e] += float64(b)
	})
	return c, nil
}

// fitNumeric bins a numeric variable from the counts of its train values as binning.FitNumeric (or, with
// breaks, binning.ManualNumeric) does from its values, with the same result.
func fitNumeric(d valueCounts, missing [2]int, name string, breaks []float64, manual bool, cfg binning.Config) (*binning.Variable, error) {
	if manual {
		c, err := countsOf(d, missing, breaks, cfg.Special)
		if err != nil {
			return nil, fmt.Errorf("bin %s: %w", name, err)
		}
		return binning.ApplyManual(name, c, binning.Manual{Breaks: breaks}, cfg)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bin %s: %w", name, err)
	}
	c, err := countsOf(d, missing, quantileEdges(d, cfg), cfg.Special)
	if err != nil {
		return nil, fmt.Errorf("bin %s: %w", name, err)
	}
	return binning.FitCounts(name, c, cfg)
}
