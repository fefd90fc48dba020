package binning

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Counts is step 2: the (weighted) goods and bads of every pre-bin of one
// variable, of its missing values and of each special value. Counts of
// separate chunks of data can be added with [Counts.Merge], which is how a
// streaming fit reuses steps 2 and 3. A Counts is not safe for concurrent use.
type Counts struct {
	Kind Kind `json:"kind"`
	// Edges (numeric) are the pre-bin edges: pre-bin i is [Edges[i-1], Edges[i])
	// with Edges[-1] = -inf and Edges[len] = +inf.
	Edges []float64 `json:"edges,omitempty"`
	// Categories (categorical) names the category of each pre-bin.
	Categories []string `json:"categories,omitempty"`
	// Goods and Bads hold one entry per pre-bin.
	Goods []float64 `json:"goods"`
	Bads  []float64 `json:"bads"`
	// MissingGoods and MissingBads count NaN values or empty categories.
	MissingGoods float64 `json:"missing_goods"`
	MissingBads  float64 `json:"missing_bads"`
	// Special (numeric) lists the special values, counted apart in
	// SpecialGoods and SpecialBads.
	Special      []float64 `json:"special,omitempty"`
	SpecialGoods []float64 `json:"special_goods,omitempty"`
	SpecialBads  []float64 `json:"special_bads,omitempty"`

	index map[string]int // category → pre-bin, rebuilt when stale
}

// NewNumericCounts returns empty counts for a numeric variable with the given
// pre-bin edges (strictly increasing, finite) and special values.
func NewNumericCounts(edges, special []float64) (*Counts, error) {
	c := &Counts{
		Kind:         Numeric,
		Edges:        slices.Clone(edges),
		Goods:        make([]float64, len(edges)+1),
		Bads:         make([]float64, len(edges)+1),
		Special:      slices.Clone(special),
		SpecialGoods: make([]float64, len(special)),
		SpecialBads:  make([]float64, len(special)),
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

// NewCategoricalCounts returns empty counts for a categorical variable; the
// categories are added as they are met.
func NewCategoricalCounts() *Counts {
	return &Counts{Kind: Categorical, Goods: []float64{}, Bads: []float64{}}
}

// AddNumeric adds rows to numeric counts: x the values (NaN = missing), y the
// labels (1 = bad, 0 = good) and w the weights (nil = all 1). Nothing is added
// when an argument is invalid.
func (c *Counts) AddNumeric(x []float64, y []int8, w []float64) error {
	if c.Kind != Numeric {
		return fmt.Errorf("binning: AddNumeric on %s counts", c.Kind)
	}
	if err := checkRows(len(x), y, w); err != nil {
		return err
	}
	edges, special := c.Edges, c.Special
	// Accumulate goods and bads interleaved ([2k] goods, [2k+1] bads), so the
	// label indexes instead of branching.
	acc := make([]float64, 2*(len(edges)+1))
	var missing [2]float64
	spec := make([]float64, 2*len(special))
	for i, v := range x {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		yi := int(y[i]) & 1 // 0 or 1, checked above
		if v != v {
			missing[yi] += wi
			continue
		}
		if len(special) > 0 {
			if k := specialIndex(v, special); k >= 0 {
				spec[2*k+yi] += wi
				continue
			}
		}
		acc[2*searchEdges(edges, v)+yi] += wi
	}
	for k := range c.Goods {
		c.Goods[k] += acc[2*k]
		c.Bads[k] += acc[2*k+1]
	}
	for k := range special {
		c.SpecialGoods[k] += spec[2*k]
		c.SpecialBads[k] += spec[2*k+1]
	}
	c.MissingGoods += missing[0]
	c.MissingBads += missing[1]
	return nil
}

// AddCategorical adds rows to categorical counts: x the categories ("" =
// missing), y the labels (1 = bad, 0 = good) and w the weights (nil = all 1).
// Nothing is added when an argument is invalid.
func (c *Counts) AddCategorical(x []string, y []int8, w []float64) error {
	if c.Kind != Categorical {
		return fmt.Errorf("binning: AddCategorical on %s counts", c.Kind)
	}
	if err := checkRows(len(x), y, w); err != nil {
		return err
	}
	c.reindex()
	for i, s := range x {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		bad := y[i] == 1
		if s == "" {
			if bad {
				c.MissingBads += wi
			} else {
				c.MissingGoods += wi
			}
			continue
		}
		k, ok := c.index[s]
		if !ok {
			k = c.addCategory(s)
		}
		if bad {
			c.Bads[k] += wi
		} else {
			c.Goods[k] += wi
		}
	}
	return nil
}

// Merge adds the counts o into c. Numeric counts must have the same edges and
// special values; categorical counts are matched by category name.
func (c *Counts) Merge(o *Counts) error {
	if err := o.check(); err != nil {
		return err
	}
	if c.Kind != o.Kind {
		return fmt.Errorf("binning: merge %s counts into %s counts", o.Kind, c.Kind)
	}
	if c.Kind == Numeric && (!slices.Equal(c.Edges, o.Edges) || !slices.Equal(c.Special, o.Special)) {
		return errors.New("binning: merge numeric counts with different edges or special values")
	}
	c.MissingGoods += o.MissingGoods
	c.MissingBads += o.MissingBads
	if c.Kind == Numeric {
		addTo(c.Goods, o.Goods)
		addTo(c.Bads, o.Bads)
		addTo(c.SpecialGoods, o.SpecialGoods)
		addTo(c.SpecialBads, o.SpecialBads)
		return nil
	}
	c.reindex()
	for i, s := range o.Categories {
		k, ok := c.index[s]
		if !ok {
			k = c.addCategory(s)
		}
		c.Goods[k] += o.Goods[i]
		c.Bads[k] += o.Bads[i]
	}
	return nil
}

// addCategory appends a new category with empty counts and returns its
// pre-bin. The name is copied so that the counts do not keep the caller's
// (possibly large) backing buffer alive.
func (c *Counts) addCategory(s string) int {
	k := len(c.Categories)
	s = strings.Clone(s)
	c.index[s] = k
	c.Categories = append(c.Categories, s)
	c.Goods = append(c.Goods, 0)
	c.Bads = append(c.Bads, 0)
	return k
}

func addTo(dst, src []float64) {
	for i, v := range src {
		dst[i] += v
	}
}

// reindex rebuilds the category index when it does not match Categories (a
// Counts decoded from JSON or built by hand).
func (c *Counts) reindex() {
	if c.index != nil && len(c.index) == len(c.Categories) {
		return
	}
	c.index = make(map[string]int, len(c.Categories))
	for i, s := range c.Categories {
		c.index[s] = i
	}
}

// check reports counts whose parts do not fit together.
func (c *Counts) check() error {
	if c == nil {
		return errors.New("binning: nil counts")
	}
	n := len(c.Goods)
	if len(c.Bads) != n {
		return fmt.Errorf("binning: counts have %d goods but %d bads", n, len(c.Bads))
	}
	switch c.Kind {
	case Numeric:
		if len(c.Edges)+1 != n {
			return fmt.Errorf("binning: %d edges need %d pre-bins, counts have %d", len(c.Edges), len(c.Edges)+1, n)
		}
		if err := checkEdges(c.Edges); err != nil {
			return fmt.Errorf("binning: edges: %w", err)
		}
		if err := checkSpecial(c.Special); err != nil {
			return fmt.Errorf("binning: special values: %w", err)
		}
		if len(c.SpecialGoods) != len(c.Special) || len(c.SpecialBads) != len(c.Special) {
			return errors.New("binning: special counts do not match the special values")
		}
		if len(c.Categories) > 0 {
			return errors.New("binning: numeric counts with categories")
		}
	case Categorical:
		if len(c.Categories) != n {
			return fmt.Errorf("binning: %d categories but %d pre-bins", len(c.Categories), n)
		}
		seen := make(map[string]bool, n)
		for _, s := range c.Categories {
			if s == "" || seen[s] {
				return fmt.Errorf("binning: category %q is empty or repeated", s)
			}
			seen[s] = true
		}
		if len(c.Edges) > 0 || len(c.Special) > 0 {
			return errors.New("binning: categorical counts with edges or special values")
		}
	default:
		return fmt.Errorf("binning: unknown kind %q", c.Kind)
	}
	for _, part := range [][]float64{c.Goods, c.Bads, c.SpecialGoods, c.SpecialBads, {c.MissingGoods, c.MissingBads}} {
		for _, v := range part {
			if !(v >= 0) || math.IsInf(v, 0) {
				return fmt.Errorf("binning: count %v is negative or not finite", v)
			}
		}
	}
	return nil
}

// checkEdges reports cut points that are not finite and strictly increasing.
func checkEdges(edges []float64) error {
	for i, e := range edges {
		if math.IsNaN(e) || math.IsInf(e, 0) || (i > 0 && e <= edges[i-1]) {
			return fmt.Errorf("must be finite and strictly increasing, %d is %v", i, e)
		}
	}
	return nil
}

// checkRows validates the labels and weights of n rows before anything is
// counted, so that a bad row leaves the counts untouched.
func checkRows(n int, y []int8, w []float64) error {
	if len(y) != n {
		return fmt.Errorf("binning: %d values but %d labels", n, len(y))
	}
	if w != nil && len(w) != n {
		return fmt.Errorf("binning: %d values but %d weights", n, len(w))
	}
	for i, v := range y {
		if v != 0 && v != 1 {
			return fmt.Errorf("binning: label %d at row %d: labels must be 0 (good) or 1 (bad)", v, i)
		}
	}
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("binning: weight %v at row %d: weights must be finite and not negative", v, i)
		}
	}
	return nil
}

// specialIndex returns the position of v among the special values, or -1.
func specialIndex(v float64, special []float64) int {
	for k, s := range special {
		if v == s {
			return k
		}
	}
	return -1
}

// searchEdges returns the number of edges ≤ v, which is the index of the
// half-open interval [edges[i-1], edges[i]) holding v. It is a branch-free
// binary search (the comparison becomes a flag, not a jump), about three times
// faster than a branching one on unpredictable data; v must not be NaN.
func searchEdges(edges []float64, v float64) int {
	n := len(edges)
	if n == 0 {
		return 0
	}
	base := 0
	for n > 1 {
		half := n >> 1
		le := 0
		if edges[base+half] <= v {
			le = 1
		}
		base += half * le
		n -= half
	}
	le := 0
	if edges[base] <= v {
		le = 1
	}
	return base + le
}
