// Package metrics computes the validation figures of a credit score:
// discrimination (AUC with DeLong variance and tests, Gini, KS, ROC and KS
// curves, gains tables), calibration (Brier score, log-loss,
// Hosmer-Lemeshow, per-grade binomial and Jeffreys tests), stability (PSI,
// CSI) and concentration (HHI).
//
// Conventions: labels are []int8 with 1 = bad (event) and 0 = good. Every
// function taking a score also takes a Higher saying whether a higher score
// means more risk (a PD, a bad-probability model) or less risk (scorecard
// points, most bureau scores); results are the same as for the score
// negated, and thresholds are reported in the caller's units. PDs are
// probabilities of the bad outcome, in [0, 1].
//
// Inputs are checked: mismatched lengths, NaN or infinite scores and labels
// other than 0/1 give ErrInput; a sample without both classes gives
// ErrClasses. No function returns NaN silently.
//
// Scores are ranked once per call: integer scores of a modest range
// (scorecard points) by counting, others by a radix sort, both O(n);
// everything else is computed from the distinct scores with their counts of
// bads and goods, so the functions run in O(n) plus O(distinct scores).
package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

var (
	// ErrInput reports unusable input: mismatched lengths, NaN or
	// infinite values, labels other than 0 and 1, out-of-range arguments.
	ErrInput = errors.New("metrics: invalid input")
	// ErrClasses reports a sample without enough bads or goods for the
	// figure asked for.
	ErrClasses = errors.New("metrics: not enough bads and goods")
)

// Higher says what a higher score means.
type Higher int

const (
	// HigherBad: a higher score means more risk (PDs, bad-probability
	// model outputs).
	HigherBad Higher = iota
	// HigherGood: a higher score means less risk (scorecard points,
	// bureau scores).
	HigherGood
)

func (h Higher) String() string {
	switch h {
	case HigherBad:
		return "bad"
	case HigherGood:
		return "good"
	}
	return fmt.Sprintf("Higher(%d)", int(h))
}

// z975 is the 97.5% quantile of the standard normal distribution.
const z975 = 1.959963984540054

// Gini returns the Gini coefficient (accuracy ratio) 2·AUC − 1.
func Gini(auc float64) float64 { return 2*auc - 1 }

// normalP returns the two-sided standard normal p-value of z.
func normalP(z float64) float64 { return math.Erfc(math.Abs(z) / math.Sqrt2) }

// checkLabels verifies that y has n entries, all 0 or 1, and counts bads.
func checkLabels(y []int8, n int) (bads int, err error) {
	if len(y) != n {
		return 0, fmt.Errorf("%w: %d values but %d labels", ErrInput, n, len(y))
	}
	for i, v := range y {
		switch v {
		case 1:
			bads++
		case 0:
		default:
			return 0, fmt.Errorf("%w: label %d at row %d, want 0 or 1", ErrInput, v, i)
		}
	}
	return bads, nil
}

// checkProbabilities verifies that every pd lies in [0, 1].
func checkProbabilities(pd []float64) error {
	for i, p := range pd {
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("%w: PD %v at row %d, want a value in [0, 1]", ErrInput, p, i)
		}
	}
	return nil
}

// orderKey maps a finite float64 to a uint64 with the same order (−0 and
// +0 map to the same key).
func orderKey(v float64) uint64 {
	if v == 0 {
		v = 0 // turns −0 into +0
	}
	b := math.Float64bits(v)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// fromKey inverts orderKey.
func fromKey(k uint64) float64 {
	if k>>63 == 1 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// sortKeys sorts keys ascending.
func sortKeys(keys []uint64) { sortKeysWithRows(keys, nil) }

// sortKeysWithRows sorts keys ascending and, unless rows is nil, permutes
// rows alike. Large inputs go through an LSD radix sort by bytes that skips
// the bytes on which all keys agree.
func sortKeysWithRows(keys []uint64, rows []uint32) {
	if len(keys) < 1024 {
		if rows == nil {
			slices.Sort(keys)
		} else {
			sort.Sort(keyRows{keys, rows})
		}
		return
	}
	kbuf := make([]uint64, len(keys))
	var rbuf []uint32
	if rows != nil {
		rbuf = make([]uint32, len(rows))
	}
	ks, kd, rs, rd := keys, kbuf, rows, rbuf
	for shift := uint(0); shift < 64; shift += 8 {
		var count [256]int
		for _, k := range ks {
			count[byte(k>>shift)]++
		}
		if count[byte(ks[0]>>shift)] == len(ks) {
			continue
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for i, k := range ks {
			d := byte(k >> shift)
			kd[count[d]] = k
			if rs != nil {
				rd[count[d]] = rs[i]
			}
			count[d]++
		}
		ks, kd, rs, rd = kd, ks, rd, rs
	}
	if &ks[0] != &keys[0] {
		copy(keys, ks)
		copy(rows, rs)
	}
}

type keyRows struct {
	keys []uint64
	rows []uint32
}

func (k keyRows) Len() int           { return len(k.keys) }
func (k keyRows) Less(i, j int) bool { return k.keys[i] < k.keys[j] }
func (k keyRows) Swap(i, j int) {
	k.keys[i], k.keys[j] = k.keys[j], k.keys[i]
	k.rows[i], k.rows[j] = k.rows[j], k.rows[i]
}

// ranking holds the distinct scores of a sample in increasing order of
// risk, with the number of bads and goods at each.
type ranking struct {
	keys   []uint64  // risk-ordered keys of the distinct scores, ascending
	score  []float64 // the distinct scores in the caller's units
	bads   []int
	goods  []int
	nBad   int
	nGood  int
	higher Higher
	// counted says the scores were ranked by counting: they are integers
	// among lo, lo+1, …, lo+span.
	counted bool
	lo      float64
	span    int
}

// riskKey returns the key ordering v by increasing risk.
func riskKey(v float64, higher Higher) uint64 {
	if higher == HigherGood {
		return orderKey(-v)
	}
	return orderKey(v)
}

// newRanking sorts score by risk and groups ties. It checks the inputs and
// demands at least one bad and one good.
func newRanking(score []float64, y []int8, higher Higher) (*ranking, error) {
	r, err := rankScores(score, y, higher)
	if err != nil {
		return nil, err
	}
	if r.nBad == 0 || r.nGood == 0 {
		return nil, fmt.Errorf("%w: %d bads and %d goods", ErrClasses, r.nBad, r.nGood)
	}
	return r, nil
}

// rankScores is newRanking without the demand for both classes. Scores that
// are all integers within a modest range (scorecard points, bureau scores)
// are ranked by counting; others are sorted. Both give the same ranking.
func rankScores(score []float64, y []int8, higher Higher) (*ranking, error) {
	if higher != HigherBad && higher != HigherGood {
		return nil, fmt.Errorf("%w: %v", ErrInput, higher)
	}
	nBad, err := checkLabels(y, len(score))
	if err != nil {
		return nil, err
	}
	lo, span, countable, err := integerSpan(score)
	if err != nil {
		return nil, err
	}
	var r *ranking
	if countable {
		r = countScores(score, y, higher, nBad, lo, span)
	} else {
		r = sortScores(score, y, higher, nBad)
	}
	r.score = make([]float64, len(r.keys))
	for g, k := range r.keys {
		v := fromKey(k)
		if higher == HigherGood {
			v = -v
		}
		if v == 0 {
			v = 0 // no −0 in reports
		}
		r.score[g] = v
	}
	return r, nil
}

// maxCountSpan bounds the range of integer scores ranked by counting: its
// counts take 8 bytes a value of the range (32 MiB at most).
const maxCountSpan = 1 << 22

// integerSpan checks that every score is finite and says whether all are
// integers whose range, span = max − min, is small enough to count them:
// at most 4·n (so that the counts cost no more than the rows) and at most
// maxCountSpan. lo is the smallest score.
func integerSpan(score []float64) (lo float64, span int, countable bool, err error) {
	integers := true
	hi := math.Inf(-1)
	lo = math.Inf(1)
	for i, v := range score {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, 0, false, fmt.Errorf("%w: score %v at row %d", ErrInput, v, i)
		}
		lo, hi = min(lo, v), max(hi, v)
		if v != math.Trunc(v) {
			integers = false
		}
	}
	if !integers || len(score) == 0 || len(score) > math.MaxInt32 {
		return lo, 0, false, nil
	}
	// Integers beyond 2^53 are not all representable: count only below it,
	// where hi − lo is exact.
	if d := hi - lo; math.Abs(lo) <= 1<<53 && math.Abs(hi) <= 1<<53 && d <= maxCountSpan && d <= 4*float64(len(score)) {
		return lo, int(d), true, nil
	}
	return lo, 0, false, nil
}

// countScores ranks integer scores lo, lo+1, …, lo+span by counting the
// bads and goods at each value.
func countScores(score []float64, y []int8, higher Higher, nBad int, lo float64, span int) *ranking {
	bads := make([]int32, span+1)
	goods := make([]int32, span+1)
	for i, v := range score {
		if y[i] == 1 {
			bads[int(v-lo)]++
		} else {
			goods[int(v-lo)]++
		}
	}
	distinct := 0
	for v := range bads {
		if bads[v] != 0 || goods[v] != 0 {
			distinct++
		}
	}
	r := &ranking{
		nBad: nBad, nGood: len(score) - nBad, higher: higher,
		keys:    make([]uint64, 0, distinct),
		bads:    make([]int, 0, distinct),
		goods:   make([]int, 0, distinct),
		counted: true, lo: lo, span: span,
	}
	// Increasing risk: increasing scores when a higher score is riskier,
	// decreasing ones otherwise.
	for k := range bads {
		v := k
		if higher == HigherGood {
			v = span - k
		}
		if bads[v] == 0 && goods[v] == 0 {
			continue
		}
		r.keys = append(r.keys, riskKey(lo+float64(v), higher))
		r.bads = append(r.bads, int(bads[v]))
		r.goods = append(r.goods, int(goods[v]))
	}
	return r
}

// sortScores ranks scores by sorting their keys, bads and goods apart, and
// merging them.
func sortScores(score []float64, y []int8, higher Higher, nBad int) *ranking {
	nGood := len(y) - nBad
	badKeys := make([]uint64, 0, nBad)
	goodKeys := make([]uint64, 0, nGood)
	for i, v := range score {
		if y[i] == 1 {
			badKeys = append(badKeys, riskKey(v, higher))
		} else {
			goodKeys = append(goodKeys, riskKey(v, higher))
		}
	}
	sortKeys(badKeys)
	sortKeys(goodKeys)
	size := len(score)
	r := &ranking{
		nBad: nBad, nGood: nGood, higher: higher,
		keys:  make([]uint64, 0, size),
		bads:  make([]int, 0, size),
		goods: make([]int, 0, size),
	}
	i, j := 0, 0
	for i < len(badKeys) || j < len(goodKeys) {
		var k uint64
		switch {
		case j == len(goodKeys) || (i < len(badKeys) && badKeys[i] <= goodKeys[j]):
			k = badKeys[i]
		default:
			k = goodKeys[j]
		}
		b, g := 0, 0
		for i < len(badKeys) && badKeys[i] == k {
			b++
			i++
		}
		for j < len(goodKeys) && goodKeys[j] == k {
			g++
			j++
		}
		r.keys = append(r.keys, k)
		r.bads = append(r.bads, b)
		r.goods = append(r.goods, g)
	}
	return r
}

// auc returns the Mann-Whitney AUC: the share of (bad, good) pairs in which
// the bad is riskier, ties counting one half.
func (r *ranking) auc() float64 {
	// The sum is of integers and halves below 2^53, so it is exact.
	var pairs float64
	goodsBelow := 0
	for g := range r.keys {
		pairs += float64(r.bads[g]) * (float64(goodsBelow) + 0.5*float64(r.goods[g]))
		goodsBelow += r.goods[g]
	}
	return pairs / (float64(r.nBad) * float64(r.nGood))
}

// placements returns, for each distinct score, DeLong's structural
// components: v10[g] is the share of goods a bad at score g outranks
// (ties ½), v01[g] the share of bads that outrank a good at score g.
func (r *ranking) placements() (v10, v01 []float64) {
	v10 = make([]float64, len(r.keys))
	v01 = make([]float64, len(r.keys))
	goodsBelow := 0
	badsAbove := r.nBad
	for g := range r.keys {
		badsAbove -= r.bads[g]
		v10[g] = (float64(goodsBelow) + 0.5*float64(r.goods[g])) / float64(r.nGood)
		v01[g] = (float64(badsAbove) + 0.5*float64(r.bads[g])) / float64(r.nBad)
		goodsBelow += r.goods[g]
	}
	return v10, v01
}

// rowGroups returns, for each row of score (the scores r was built from),
// the index of its distinct score in r.
func (r *ranking) rowGroups(score []float64) []int32 {
	if r.counted {
		return r.countedRowGroups(score)
	}
	keys := make([]uint64, len(score))
	rows := make([]uint32, len(score))
	for i, v := range score {
		keys[i] = riskKey(v, r.higher)
		rows[i] = uint32(i)
	}
	sortKeysWithRows(keys, rows)
	groups := make([]int32, len(score))
	g := int32(0)
	for i, k := range keys {
		if i > 0 && k != keys[i-1] {
			g++
		}
		groups[rows[i]] = g
	}
	return groups
}

// countedRowGroups is rowGroups for a ranking made by counting: each value of
// the range looks its group up in a table.
func (r *ranking) countedRowGroups(score []float64) []int32 {
	group := make([]int32, r.span+1)
	for g, v := range r.score {
		group[int(v-r.lo)] = int32(g)
	}
	groups := make([]int32, len(score))
	for i, v := range score {
		groups[i] = group[int(v-r.lo)]
	}
	return groups
}
