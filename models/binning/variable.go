package binning

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Bin is one bin of a fitted variable with its training counts and WOE.
type Bin struct {
	// Label reads like "[-inf, 12)", "[12, 24), missing", "{A, B}", "missing"
	// or "special -1".
	Label string `json:"label"`
	// Interval is true for the regular bins of a numeric variable, which hold
	// the values in [Lower, Upper). Lower is -inf for the first of them and
	// Upper is +inf for the last; in JSON an infinite bound is left out.
	Interval bool    `json:"interval,omitempty"`
	Lower    float64 `json:"lower"`
	Upper    float64 `json:"upper"`
	// Categories lists the categories of a categorical bin.
	Categories []string `json:"categories,omitempty"`
	// Missing is true for the bin that holds the training missing values.
	Missing bool `json:"missing,omitempty"`
	// Special lists the special values whose training rows this bin holds.
	Special []float64 `json:"special,omitempty"`
	// Count, Goods and Bads are the (weighted) training rows of the bin.
	Count float64 `json:"count"`
	Goods float64 `json:"goods"`
	Bads  float64 `json:"bads"`
	// Share is Count over all rows of the variable.
	Share float64 `json:"share"`
	// EventRate is Bads/Count, 0 for an empty bin.
	EventRate float64 `json:"event_rate"`
	// WOE is ln(%good/%bad), smoothed; IV is this bin's share of the IV.
	WOE float64 `json:"woe"`
	IV  float64 `json:"iv"`
}

// binJSON is the JSON form of a Bin: its bounds, shallower than the
// embedded ones, replace them and are left out when infinite.
type binJSON struct {
	binFields
	Lower *float64 `json:"lower,omitempty"`
	Upper *float64 `json:"upper,omitempty"`
}

// binFields is Bin without its methods.
type binFields Bin

// MarshalJSON writes the bin; bounds appear only for intervals and only when
// finite.
func (b Bin) MarshalJSON() ([]byte, error) {
	j := binJSON{binFields: binFields(b)}
	if b.Interval {
		if !math.IsInf(b.Lower, 0) {
			j.Lower = &b.Lower
		}
		if !math.IsInf(b.Upper, 0) {
			j.Upper = &b.Upper
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a bin; a missing bound of an interval is infinite.
func (b *Bin) UnmarshalJSON(data []byte) error {
	var j binJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*b = Bin(j.binFields)
	b.Lower, b.Upper = 0, 0
	if b.Interval {
		b.Lower, b.Upper = math.Inf(-1), math.Inf(1)
		if j.Lower != nil {
			b.Lower = *j.Lower
		}
		if j.Upper != nil {
			b.Upper = *j.Upper
		}
	}
	return nil
}

// Variable is a fitted binning: the bins with their WOE and all that scoring
// needs. Treat it as immutable: refit or use [ApplyManual] to change bins.
// Its methods are safe for concurrent use.
type Variable struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Trend is the shape of the event rate along the regular bins.
	Trend Trend `json:"trend"`
	// Edges (numeric) are the cut points: regular bin i is
	// [Edges[i-1], Edges[i]), and the regular bins are Bins[0:len(Edges)+1].
	Edges []float64 `json:"edges,omitempty"`
	// Special (numeric) lists the configured special values. A special value
	// is scored into the bin listing it in Bin.Special, or into MissingBin if
	// it never occurred in training.
	Special []float64 `json:"special,omitempty"`
	Bins    []Bin     `json:"bins"`
	// MissingBin is the bin a missing value is scored into.
	MissingBin int `json:"missing_bin"`
	// UnseenBin (categorical) is the bin a category unseen in training is
	// scored into; for a numeric variable it equals MissingBin.
	UnseenBin int `json:"unseen_bin"`
	// IV is the information value, the sum of the bins' IV.
	IV float64 `json:"iv"`
	// Count, Goods and Bads are the (weighted) training rows.
	Count float64 `json:"count"`
	Goods float64 `json:"goods"`
	Bads  float64 `json:"bads"`
	// Smoothing is the value added to goods and bads for the WOE.
	Smoothing float64 `json:"smoothing"`
	// Manual is true when the bins were set by hand.
	Manual bool `json:"manual,omitempty"`

	categoryBin map[string]int // category → bin
	specialBin  []int          // Special[k] → bin
}

// build checks the lookup fields and prepares the fast lookups.
func (v *Variable) build() error {
	nb := len(v.Bins)
	if nb == 0 {
		return errors.New("no bins")
	}
	if v.MissingBin < 0 || v.MissingBin >= nb {
		return fmt.Errorf("missing_bin %d out of range", v.MissingBin)
	}
	if v.UnseenBin < 0 || v.UnseenBin >= nb {
		return fmt.Errorf("unseen_bin %d out of range", v.UnseenBin)
	}
	switch v.Kind {
	case Numeric:
		if len(v.Edges)+1 > nb {
			return fmt.Errorf("%d edges need %d bins, have %d", len(v.Edges), len(v.Edges)+1, nb)
		}
		if err := checkEdges(v.Edges); err != nil {
			return fmt.Errorf("edges: %w", err)
		}
		if err := checkSpecial(v.Special); err != nil {
			return fmt.Errorf("special values: %w", err)
		}
		v.specialBin = make([]int, len(v.Special))
		for k, s := range v.Special {
			v.specialBin[k] = v.MissingBin
			for i, b := range v.Bins {
				if isSpecial(s, b.Special) {
					v.specialBin[k] = i
				}
			}
		}
	case Categorical:
		v.categoryBin = make(map[string]int)
		for i, b := range v.Bins {
			for _, c := range b.Categories {
				if _, dup := v.categoryBin[c]; dup {
					return fmt.Errorf("category %q is in two bins", c)
				}
				v.categoryBin[c] = i
			}
		}
	default:
		return fmt.Errorf("unknown kind %q", v.Kind)
	}
	return nil
}

// UnmarshalJSON reads a variable written by encoding/json and prepares its
// lookups; it fails on a variable that could not score.
func (v *Variable) UnmarshalJSON(data []byte) error {
	type plain Variable
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*v = Variable(p)
	if err := v.build(); err != nil {
		return fmt.Errorf("binning: variable %q: %w", v.Name, err)
	}
	return nil
}

// Index returns the bin of the numeric value x: MissingBin for NaN, the bin of
// a special value, else the interval holding x (binary search, no
// allocation). On a categorical variable it returns MissingBin for NaN and
// UnseenBin otherwise.
func (v *Variable) Index(x float64) int {
	if x != x {
		return v.MissingBin
	}
	if v.Kind != Numeric {
		return v.UnseenBin
	}
	for k, s := range v.Special {
		if x == s {
			if v.specialBin != nil {
				return v.specialBin[k]
			}
			return v.slowSpecialBin(s)
		}
	}
	return searchEdges(v.Edges, x)
}

// slowSpecialBin finds a special value's bin on a Variable built by hand.
func (v *Variable) slowSpecialBin(s float64) int {
	for i, b := range v.Bins {
		if isSpecial(s, b.Special) {
			return i
		}
	}
	return v.MissingBin
}

// IndexCategory returns the bin of category s: MissingBin for "", UnseenBin
// for a category not seen in training. On a numeric variable s is parsed as a
// number ("" or text that is not a number counts as missing).
func (v *Variable) IndexCategory(s string) int {
	if s == "" {
		return v.MissingBin
	}
	if v.Kind == Numeric {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return v.MissingBin
		}
		return v.Index(x)
	}
	if v.categoryBin != nil {
		if i, ok := v.categoryBin[s]; ok {
			return i
		}
		return v.UnseenBin
	}
	for i, b := range v.Bins {
		for _, c := range b.Categories {
			if c == s {
				return i
			}
		}
	}
	return v.UnseenBin
}

// WOE returns the WOE of the numeric value x.
func (v *Variable) WOE(x float64) float64 { return v.Bins[v.Index(x)].WOE }

// WOECategory returns the WOE of category s.
func (v *Variable) WOECategory(s string) float64 { return v.Bins[v.IndexCategory(s)].WOE }

// TransformNumeric writes the WOE of every x[i] into dst[i]; dst must be as
// long as x.
func (v *Variable) TransformNumeric(dst, x []float64) error {
	if len(dst) != len(x) {
		return fmt.Errorf("binning: %s: destination holds %d values, input %d", v.Name, len(dst), len(x))
	}
	for i, xi := range x {
		dst[i] = v.Bins[v.Index(xi)].WOE
	}
	return nil
}

// TransformCategorical writes the WOE of every x[i] into dst[i]; dst must be
// as long as x.
func (v *Variable) TransformCategorical(dst []float64, x []string) error {
	if len(dst) != len(x) {
		return fmt.Errorf("binning: %s: destination holds %d values, input %d", v.Name, len(dst), len(x))
	}
	for i, xi := range x {
		dst[i] = v.Bins[v.IndexCategory(xi)].WOE
	}
	return nil
}
