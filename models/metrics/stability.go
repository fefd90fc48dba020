package metrics

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// PSIEpsilon replaces a zero share (an empty bin) in PSI so that the
// logarithm stays finite: an empty bin counts as holding 0.01% of its
// sample. Shares are not renormalised afterwards.
const PSIEpsilon = 1e-4

// DefaultPSIBins is the number of quantile bins PSI uses when callers pass
// 0 (deciles).
const DefaultPSIBins = 10

// PSIFromCounts returns the population stability index between two
// distributions over the same bins, given as counts (or any non-negative
// weights): PSI = Σ (aᵢ − eᵢ)·ln(aᵢ/eᵢ), with eᵢ and aᵢ the shares of bin i
// in the expected (reference) and actual samples, zero shares replaced by
// PSIEpsilon. The characteristic stability index (CSI) of a variable is the
// same formula over the variable's bins, so it is computed by this
// function too. Rules of thumb: below 0.1 stable, 0.1–0.25 a shift worth a
// look, above 0.25 a significant shift.
func PSIFromCounts(expected, actual []float64) (float64, error) {
	if len(expected) != len(actual) || len(expected) == 0 {
		return 0, fmt.Errorf("%w: %d expected and %d actual bins", ErrInput, len(expected), len(actual))
	}
	var te, ta float64
	for i := range expected {
		e, a := expected[i], actual[i]
		if !(e >= 0) || !(a >= 0) || math.IsInf(e, 0) || math.IsInf(a, 0) {
			return 0, fmt.Errorf("%w: bin %d has counts %v and %v", ErrInput, i, e, a)
		}
		te += e
		ta += a
	}
	if !(te > 0) || !(ta > 0) {
		return 0, fmt.Errorf("%w: empty sample (totals %v and %v)", ErrInput, te, ta)
	}
	var psi float64
	for i := range expected {
		e, a := expected[i]/te, actual[i]/ta
		if e == 0 {
			e = PSIEpsilon
		}
		if a == 0 {
			a = PSIEpsilon
		}
		psi += (a - e) * math.Log(a/e)
	}
	return psi, nil
}

// PSI returns the population stability index of actual against expected
// (the reference sample, e.g. the training scores) over bins (DefaultPSIBins
// when 0) cut at the quantiles of expected: bin i holds values in
// (qᵢ₋₁, qᵢ], with repeated quantiles merged, so heavy ties give fewer
// bins. NaN values, if either sample has any, form one extra bin. Empty
// bins count as PSIEpsilon (see PSIFromCounts).
func PSI(expected, actual []float64, bins int) (float64, error) {
	switch {
	case bins == 0:
		bins = DefaultPSIBins
	case bins < 1:
		return 0, fmt.Errorf("%w: %d bins", ErrInput, bins)
	}
	edges, err := QuantileEdges(expected, bins)
	if err != nil {
		return 0, err
	}
	e, err := BinCounts(expected, edges)
	if err != nil {
		return 0, fmt.Errorf("expected sample: %w", err)
	}
	a, err := BinCounts(actual, edges)
	if err != nil {
		return 0, fmt.Errorf("actual sample: %w", err)
	}
	if e[len(e)-1] == 0 && a[len(a)-1] == 0 {
		e, a = e[:len(e)-1], a[:len(a)-1] // no missing values in either sample
	}
	return PSIFromCounts(e, a)
}

// QuantileEdges returns the inner cut points of bins quantile bins of the
// non-NaN values: the i-th edge is the ⌈i·n/bins⌉-th smallest value, for
// i = 1…bins−1, without repeats and without the maximum (which would leave
// the last bin empty). Bins are (−∞, e₁], (e₁, e₂], …, (eₖ, +∞).
func QuantileEdges(values []float64, bins int) ([]float64, error) {
	if bins < 1 {
		return nil, fmt.Errorf("%w: %d bins", ErrInput, bins)
	}
	sorted := make([]float64, 0, len(values))
	for i, v := range values {
		switch {
		case math.IsNaN(v):
			continue
		case math.IsInf(v, 0):
			return nil, fmt.Errorf("%w: value %v at row %d", ErrInput, v, i)
		}
		sorted = append(sorted, v)
	}
	if len(sorted) == 0 {
		return nil, fmt.Errorf("%w: no non-missing values to cut into bins", ErrInput)
	}
	slices.Sort(sorted)
	n := len(sorted)
	var edges []float64
	for i := 1; i < bins; i++ {
		q := sorted[(i*n+bins-1)/bins-1]
		if q == sorted[n-1] {
			break
		}
		if len(edges) == 0 || q > edges[len(edges)-1] {
			edges = append(edges, q)
		}
	}
	return edges, nil
}

// BinCounts counts values into the bins (−∞, e₁], (e₁, e₂], …, (eₖ, +∞)
// given by the ascending inner edges, plus a last bin for NaN: the result
// has len(edges)+2 entries.
func BinCounts(values []float64, edges []float64) ([]float64, error) {
	if !slices.IsSorted(edges) {
		return nil, fmt.Errorf("%w: bin edges are not ascending", ErrInput)
	}
	counts := make([]float64, len(edges)+2)
	for i, v := range values {
		switch {
		case math.IsNaN(v):
			counts[len(counts)-1]++
		case math.IsInf(v, 0):
			return nil, fmt.Errorf("%w: value %v at row %d", ErrInput, v, i)
		default:
			counts[sort.SearchFloat64s(edges, v)]++
		}
	}
	return counts, nil
}

// HHI returns the Herfindahl-Hirschman index of a distribution given as
// counts (or exposures) per category, Σ sᵢ² over the shares sᵢ, and its
// normalised form (HHI − 1/N)/(1 − 1/N) over the N categories (1 when
// N = 1), which runs from 0 (even spread) to 1 (all in one category). It
// measures rating-grade concentration.
func HHI(counts []float64) (hhi, normalized float64, err error) {
	var total float64
	for i, c := range counts {
		if !(c >= 0) || math.IsInf(c, 0) {
			return 0, 0, fmt.Errorf("%w: count %v at %d", ErrInput, c, i)
		}
		total += c
	}
	if len(counts) == 0 || !(total > 0) {
		return 0, 0, fmt.Errorf("%w: empty distribution", ErrInput)
	}
	for _, c := range counts {
		s := c / total
		hhi += s * s
	}
	n := float64(len(counts))
	if n == 1 {
		return hhi, 1, nil
	}
	return hhi, (hhi - 1/n) / (1 - 1/n), nil
}
