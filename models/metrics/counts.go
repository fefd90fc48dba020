package metrics

import (
	"fmt"
	"math"
	"slices"
)

// Ranking is a sample's scores ranked by risk with ties grouped: its distinct scores, each
// with its number of bads and goods. Every discrimination figure (AUC with its DeLong
// variance, Gini, KS, gains, ROC and KS curves) is computed from it; the functions that
// take rows rank them first. NewRanking ranks rows; ScoreCounts.Ranking ranks counted
// scores, for samples too large to hold as rows, and gives the same figures.
type Ranking struct{ r *ranking }

// NewRanking ranks the scores of rows with labels y; it needs at least one bad and one
// good.
func NewRanking(score []float64, y []int8, higher Higher) (*Ranking, error) {
	r, err := newRanking(score, y, higher)
	if err != nil {
		return nil, err
	}
	return &Ranking{r}, nil
}

// Discrimination returns the figures of SampleMetrics that come from the scores: rows,
// bads, AUC with its DeLong standard error, Gini and KS (Brier and LogLoss stay nil). It
// needs two bads and two goods.
func (r *Ranking) Discrimination() (SampleMetrics, error) { return r.r.discrimination() }

// Gains returns the gains table in groups (DefaultGroups when 0), as Gains does.
func (r *Ranking) Gains(groups int) ([]GainsRow, error) {
	groups, err := groupCount(groups)
	if err != nil {
		return nil, err
	}
	return r.r.gains(groups), nil
}

// ROCCurve returns the ROC curve, as ROCCurve does.
func (r *Ranking) ROCCurve(maxPoints int) ([]ROCPoint, error) {
	maxPoints, err := curvePoints(maxPoints)
	if err != nil {
		return nil, err
	}
	return r.r.roc(maxPoints), nil
}

// KSCurve returns the KS curve, as KSCurve does.
func (r *Ranking) KSCurve(maxPoints int) ([]KSPoint, error) {
	maxPoints, err := curvePoints(maxPoints)
	if err != nil {
		return nil, err
	}
	return r.r.ksCurve(maxPoints), nil
}

// ScoreCounts is a sample summarised by score: the number of bads and goods at each
// distinct score. Scorecard points take a few hundred values however many rows are scored,
// so a sample of any size takes a few kilobytes, and its ranking, distribution and
// quantiles are those of its rows. The zero value is empty; rows may be added in any
// order, and counts merged.
type ScoreCounts struct {
	counts map[float64][2]int // score → goods, bads
	bads   int
	rows   int
	err    error
}

// Add counts a row with score score and label bad (1 bad, 0 good). A NaN or infinite score,
// or another label, is an error that Ranking and Values return.
func (c *ScoreCounts) Add(score float64, bad int8) {
	switch {
	case c.err != nil:
		return
	case math.IsNaN(score) || math.IsInf(score, 0):
		c.err = fmt.Errorf("%w: score %v at row %d", ErrInput, score, c.rows)
		return
	case bad != 0 && bad != 1:
		c.err = fmt.Errorf("%w: label %d at row %d, want 0 or 1", ErrInput, bad, c.rows)
		return
	}
	if c.counts == nil {
		c.counts = map[float64][2]int{}
	}
	if score == 0 {
		score = 0 // −0 and +0 are one score
	}
	k := c.counts[score]
	k[bad]++
	c.counts[score] = k
	c.bads += int(bad)
	c.rows++
}

// Merge adds the counts of o.
func (c *ScoreCounts) Merge(o *ScoreCounts) {
	if c.err == nil && o.err != nil {
		c.err = o.err
	}
	if c.counts == nil && len(o.counts) > 0 {
		c.counts = map[float64][2]int{}
	}
	for v, k := range o.counts {
		a := c.counts[v]
		a[0] += k[0]
		a[1] += k[1]
		c.counts[v] = a
	}
	c.bads += o.bads
	c.rows += o.rows
}

// Rows returns the number of rows counted.
func (c *ScoreCounts) Rows() int { return c.rows }

// Err returns the first error of Add or Merge: a score or label that cannot be counted.
func (c *ScoreCounts) Err() error { return c.err }

// Bads returns the number of bads counted.
func (c *ScoreCounts) Bads() int { return c.bads }

// Values returns the distinct scores in increasing order with the number of rows and of
// bads at each.
func (c *ScoreCounts) Values() (scores []float64, rows, bads []int, err error) {
	if c.err != nil {
		return nil, nil, nil, c.err
	}
	scores = make([]float64, 0, len(c.counts))
	for v := range c.counts {
		scores = append(scores, v)
	}
	slices.Sort(scores)
	rows, bads = make([]int, len(scores)), make([]int, len(scores))
	for i, v := range scores {
		k := c.counts[v]
		rows[i], bads[i] = k[0]+k[1], k[1]
	}
	return scores, rows, bads, nil
}

// Ranking ranks the counted scores as NewRanking ranks the rows they came from.
func (c *ScoreCounts) Ranking(higher Higher) (*Ranking, error) {
	if higher != HigherBad && higher != HigherGood {
		return nil, fmt.Errorf("%w: %v", ErrInput, higher)
	}
	scores, rows, bads, err := c.Values()
	if err != nil {
		return nil, err
	}
	if c.bads == 0 || c.bads == c.rows {
		return nil, fmt.Errorf("%w: %d bads and %d goods", ErrClasses, c.bads, c.rows-c.bads)
	}
	n := len(scores)
	r := &ranking{nBad: c.bads, nGood: c.rows - c.bads, higher: higher,
		keys: make([]uint64, n), score: make([]float64, n), bads: make([]int, n), goods: make([]int, n)}
	for g := range n {
		i := g // increasing risk: increasing scores when a higher score is riskier
		if higher == HigherGood {
			i = n - 1 - g
		}
		r.keys[g], r.score[g] = riskKey(scores[i], higher), scores[i]
		r.bads[g], r.goods[g] = bads[i], rows[i]-bads[i]
	}
	return &Ranking{r}, nil
}

// QuantileEdgesOfCounts is QuantileEdges of the rows that counts summarise: values are the
// distinct values in increasing order and rows the number of rows at each.
func QuantileEdgesOfCounts(values []float64, rows []int, bins int) ([]float64, error) {
	if bins < 1 {
		return nil, fmt.Errorf("%w: %d bins", ErrInput, bins)
	}
	n := 0
	for _, c := range rows {
		n += c
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: no non-missing values to cut into bins", ErrInput)
	}
	// The k-th smallest value (k from 1) is the first whose cumulative count reaches k.
	kth := func(k int) float64 {
		cum := 0
		for i, c := range rows {
			if cum += c; cum >= k {
				return values[i]
			}
		}
		return values[len(values)-1]
	}
	maxV := values[len(values)-1]
	var edges []float64
	for i := 1; i < bins; i++ {
		q := kth((i*n + bins - 1) / bins)
		if q == maxV {
			break
		}
		if len(edges) == 0 || q > edges[len(edges)-1] {
			edges = append(edges, q)
		}
	}
	return edges, nil
}
