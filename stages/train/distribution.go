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
	return d
}

// each calls fn with every distinct value, ascending, and its goods and bads.
func (d *distribution) each(fn func(v float64, goods, bads int)) {
	k, r0, r1 := d.keys, d.rest[0], d.rest[1]
	for len(k) > 0 || len(r0) > 0 || len(r1) > 0 {
		v := math.Inf(1)
		if len(k) > 0 {
			v = k[0]
		}
		if len(r0) > 0 && r0[0] < v {
			v = r0[0]
		}
		if len(r1) > 0 && r1[0] < v {
			v = r1[0]
		}
		var g, b int
		if len(k) > 0 && k[0] == v {
			t := d.tally[k[0]]
			g, b = t[0], t[1]
			k = k[1:]
		}
		for len(r0) > 0 && r0[0] == v {
			g++
			r0 = r0[1:]
		}
		for len(r1) > 0 && r1[0] == v {
			b++
			r1 = r1[1:]
		}
		if g+b == 0 { // +Inf, the largest value, in none of them
			return
		}
		fn(v, g, b)
	}
}

// modeShare returns the share of the most frequent value among n rows, missing values
// counted as one value.
func (d *distribution) modeShare(n int) float64 {
	best := d.missing[0] + d.missing[1]
	d.each(func(_ float64, g, b int) { best = max(best, g+b) })
	return float64(best) / float64(n)
}

// quantileEdges is binning.QuantileEdges over the distribution: the values at ranks
// ⌊q·m/P⌋ (q = 1…P−1, P = min(cfg.PreBins, m)) of the m values that are not special, the
// lowest value and repeats dropped.
func (d *distribution) quantileEdges(cfg binning.Config) []float64 {
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

// counts is binning's step 2 over the distribution: goods and bads per pre-bin of edges,
// per special value and of the missing values.
func (d *distribution) counts(edges, special []float64) (*binning.Counts, error) {
	c, err := binning.NewNumericCounts(edges, special)
	if err != nil {
		return nil, err
	}
	c.MissingGoods, c.MissingBads = float64(d.missing[0]), float64(d.missing[1])
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

// fitNumeric bins a numeric variable from its distribution as binning.FitNumeric (or, with
// breaks, binning.ManualNumeric) does from its values, with the same result.
func (d *distribution) fitNumeric(name string, breaks []float64, manual bool, cfg binning.Config) (*binning.Variable, error) {
	if manual {
		c, err := d.counts(breaks, cfg.Special)
		if err != nil {
			return nil, fmt.Errorf("bin %s: %w", name, err)
		}
		return binning.ApplyManual(name, c, binning.Manual{Breaks: breaks}, cfg)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bin %s: %w", name, err)
	}
	c, err := d.counts(d.quantileEdges(cfg), cfg.Special)
	if err != nil {
		return nil, fmt.Errorf("bin %s: %w", name, err)
	}
	return binning.FitCounts(name, c, cfg)
}
