package metrics

import (
	"fmt"
	"math"
)

// DefaultCurvePoints is the number of points curves are thinned to when
// callers pass 0.
const DefaultCurvePoints = 200

// KSResult is the Kolmogorov-Smirnov statistic of a score.
type KSResult struct {
	// KS is the largest distance between the cumulative score
	// distributions of bads and goods, max |F_bad(s) − F_good(s)|, in [0, 1].
	KS float64 `json:"ks"`
	// Score is where the distance peaks: the last score on the safe side of
	// the best cut. For HigherBad the cut separates score ≤ Score from
	// score > Score; for HigherGood, score ≥ Score from score < Score. The
	// first (safest) cut wins ties.
	Score float64 `json:"ks_score"`
}

// KS returns the Kolmogorov-Smirnov statistic of score between bads and
// goods and the score at which it peaks.
func KS(score []float64, y []int8, higher Higher) (KSResult, error) {
	r, err := newRanking(score, y, higher)
	if err != nil {
		return KSResult{}, err
	}
	return r.ks(), nil
}

func (r *ranking) ks() KSResult {
	var best KSResult
	cumBad, cumGood := 0, 0
	for g := range r.keys {
		cumBad += r.bads[g]
		cumGood += r.goods[g]
		d := math.Abs(float64(cumGood)/float64(r.nGood) - float64(cumBad)/float64(r.nBad))
		if g == 0 || d > best.KS {
			best = KSResult{KS: d, Score: r.score[g]}
		}
	}
	return best
}

// ROCPoint is one point of the ROC curve: rows at least as risky as
// Threshold are called bad.
type ROCPoint struct {
	Threshold float64 `json:"threshold"`
	// FPR is the share of goods called bad (1 − specificity), TPR the share
	// of bads called bad (sensitivity).
	FPR float64 `json:"fpr"`
	TPR float64 `json:"tpr"`
}

// ROCCurve returns the ROC curve from (0, 0) to (1, 1), thinned to at most
// maxPoints points (DefaultCurvePoints when 0) evenly spread along the
// curve; the end points are always kept. The (0, 0) point carries a
// threshold just beyond the riskiest score.
func ROCCurve(score []float64, y []int8, higher Higher, maxPoints int) ([]ROCPoint, error) {
	r, maxPoints, err := curveRanking(score, y, higher, maxPoints)
	if err != nil {
		return nil, err
	}
	return r.roc(maxPoints), nil
}

func (r *ranking) roc(maxPoints int) []ROCPoint {
	G := len(r.keys)
	all := make([]ROCPoint, 0, G+1)
	all = append(all, ROCPoint{Threshold: r.beyond(G - 1)})
	bads, goods := 0, 0
	for g := G - 1; g >= 0; g-- {
		bads += r.bads[g]
		goods += r.goods[g]
		all = append(all, ROCPoint{
			Threshold: r.score[g],
			FPR:       float64(goods) / float64(r.nGood),
			TPR:       float64(bads) / float64(r.nBad),
		})
	}
	keep := thin(len(all), maxPoints, -1, func(i int) float64 {
		return (all[i].FPR - all[i-1].FPR) + (all[i].TPR - all[i-1].TPR)
	})
	out := make([]ROCPoint, len(keep))
	for i, k := range keep {
		out[i] = all[k]
	}
	return out
}

// KSPoint is one point of the KS chart: the cumulative shares of all rows,
// of bads and of goods with a score on the safe side of Score (inclusive).
type KSPoint struct {
	Score      float64 `json:"score"`
	Population float64 `json:"population"`
	CumBad     float64 `json:"cum_bad"`
	CumGood    float64 `json:"cum_good"`
}

// KSCurve returns the cumulative distributions of bads and goods from the
// safest score to the riskiest, starting at zero, thinned to at most
// maxPoints points (DefaultCurvePoints when 0); the end points and the point
// where KS peaks are always kept. The starting point carries a score just
// beyond the safest one.
func KSCurve(score []float64, y []int8, higher Higher, maxPoints int) ([]KSPoint, error) {
	r, maxPoints, err := curveRanking(score, y, higher, maxPoints)
	if err != nil {
		return nil, err
	}
	return r.ksCurve(maxPoints), nil
}

func (r *ranking) ksCurve(maxPoints int) []KSPoint {
	G := len(r.keys)
	n := float64(r.nBad + r.nGood)
	all := make([]KSPoint, 0, G+1)
	all = append(all, KSPoint{Score: r.beyond(-1)})
	cumBad, cumGood := 0, 0
	peak, peakD := 0, -1.0
	for g := range G {
		cumBad += r.bads[g]
		cumGood += r.goods[g]
		p := KSPoint{
			Score:      r.score[g],
			Population: float64(cumBad+cumGood) / n,
			CumBad:     float64(cumBad) / float64(r.nBad),
			CumGood:    float64(cumGood) / float64(r.nGood),
		}
		if d := math.Abs(p.CumGood - p.CumBad); d > peakD {
			peak, peakD = len(all), d
		}
		all = append(all, p)
	}
	keep := thin(len(all), maxPoints, peak, func(i int) float64 {
		return (all[i].CumBad - all[i-1].CumBad) + (all[i].CumGood - all[i-1].CumGood)
	})
	out := make([]KSPoint, len(keep))
	for i, k := range keep {
		out[i] = all[k]
	}
	return out
}

// beyond returns a score just outside the observed range: riskier than the
// riskiest score when g is the last group, safer than the safest when g is
// -1.
func (r *ranking) beyond(g int) float64 {
	riskier := math.Inf(1)
	if r.higher == HigherGood {
		riskier = math.Inf(-1)
	}
	if g < 0 {
		return math.Nextafter(r.score[0], -riskier)
	}
	return math.Nextafter(r.score[g], riskier)
}

// curveRanking checks the number of curve points (0 means
// DefaultCurvePoints) and ranks the scores.
func curveRanking(score []float64, y []int8, higher Higher, maxPoints int) (*ranking, int, error) {
	maxPoints, err := curvePoints(maxPoints)
	if err != nil {
		return nil, 0, err
	}
	r, err := newRanking(score, y, higher)
	return r, maxPoints, err
}

// curvePoints checks the number of curve points asked for (0 means
// DefaultCurvePoints).
func curvePoints(maxPoints int) (int, error) {
	switch {
	case maxPoints == 0:
		return DefaultCurvePoints, nil
	case maxPoints < 4:
		return 0, fmt.Errorf("%w: at least 4 curve points, asked for %d", ErrInput, maxPoints)
	}
	return maxPoints, nil
}

// thin selects at most maxPoints of m points along a curve: the first and
// last, keep (if ≥ 0) and points spaced by at least 1/(maxPoints−3) of the
// total length, where step(i) is the length from point i−1 to point i.
func thin(m, maxPoints, keep int, step func(i int) float64) []int {
	if m <= maxPoints {
		out := make([]int, m)
		for i := range out {
			out[i] = i
		}
		return out
	}
	total := 0.0
	for i := 1; i < m; i++ {
		total += step(i)
	}
	quantum := total / float64(maxPoints-3)
	out := []int{0}
	acc := 0.0
	for i := 1; i < m; i++ {
		acc += step(i)
		if acc >= quantum || i == keep || i == m-1 {
			out = append(out, i)
			acc = 0
		}
	}
	return out
}
