package metrics

import (
	"fmt"
	"math"
)

// AUC returns the area under the ROC curve: the probability that a random
// bad is riskier than a random good, ties counting one half (the
// Mann-Whitney U statistic divided by bads·goods).
func AUC(score []float64, y []int8, higher Higher) (float64, error) {
	r, err := newRanking(score, y, higher)
	if err != nil {
		return 0, err
	}
	return r.auc(), nil
}

// AUCEstimate is an AUC with its DeLong standard error.
type AUCEstimate struct {
	AUC float64 `json:"auc"`
	// SE is the DeLong et al. (1988) standard error.
	SE float64 `json:"auc_se"`
	// CI95 is AUC ± 1.96·SE, clipped to [0, 1].
	CI95  [2]float64 `json:"auc_ci95"`
	Bads  int        `json:"bads"`
	Goods int        `json:"goods"`
}

// DeLong returns the AUC with its DeLong, DeLong & Clarke-Pearson (1988)
// variance: for one ROC curve, Var = S10/m + S01/n, where S10 is the sample
// variance (divisor m−1) over the m bads of V10 (the share of goods each bad
// outranks, ties ½) and S01 the same over the n goods of V01 (the share of
// bads that outrank each good). It needs at least two bads and two goods.
func DeLong(score []float64, y []int8, higher Higher) (AUCEstimate, error) {
	r, err := newRanking(score, y, higher)
	if err != nil {
		return AUCEstimate{}, err
	}
	return r.deLong()
}

func (r *ranking) deLong() (AUCEstimate, error) {
	if r.nBad < 2 || r.nGood < 2 {
		return AUCEstimate{}, fmt.Errorf("%w: the DeLong variance needs two bads and two goods, have %d and %d",
			ErrClasses, r.nBad, r.nGood)
	}
	a := r.auc()
	v10, v01 := r.placements()
	var s10, s01 float64
	for g := range r.keys {
		d10, d01 := v10[g]-a, v01[g]-a
		s10 += float64(r.bads[g]) * d10 * d10
		s01 += float64(r.goods[g]) * d01 * d01
	}
	m, n := float64(r.nBad), float64(r.nGood)
	se := math.Sqrt(s10/(m-1)/m + s01/(n-1)/n)
	return AUCEstimate{
		AUC:   a,
		SE:    se,
		CI95:  [2]float64{math.Max(0, a-z975*se), math.Min(1, a+z975*se)},
		Bads:  r.nBad,
		Goods: r.nGood,
	}, nil
}

// AUCComparison is a z test of the difference between two AUCs.
type AUCComparison struct {
	AUC1 float64 `json:"auc1"`
	AUC2 float64 `json:"auc2"`
	// Diff is AUC1 − AUC2 and SE its standard error.
	Diff float64 `json:"diff"`
	SE   float64 `json:"se"`
	// Z is Diff/SE and P its two-sided normal p-value. When both scores
	// rank every pair alike (SE = 0 and Diff = 0), Z is 0 and P is 1.
	Z float64 `json:"z"`
	P float64 `json:"p"`
}

// DeLongTest compares the AUCs of two scores on the same rows (for
// example a challenger against the champion) with DeLong et al.'s (1988)
// test for correlated ROC curves: Var(A1−A2) = (S10₁₁+S10₂₂−2·S10₁₂)/m +
// (S01₁₁+S01₂₂−2·S01₁₂)/n, with S10 and S01 the covariance matrices of the
// structural components over the m bads and n goods.
func DeLongTest(score1, score2 []float64, y []int8, higher Higher) (AUCComparison, error) {
	if len(score1) != len(score2) {
		return AUCComparison{}, fmt.Errorf("%w: scores of %d and %d rows", ErrInput, len(score1), len(score2))
	}
	r1, err := newRanking(score1, y, higher)
	if err != nil {
		return AUCComparison{}, fmt.Errorf("first score: %w", err)
	}
	r2, err := newRanking(score2, y, higher)
	if err != nil {
		return AUCComparison{}, fmt.Errorf("second score: %w", err)
	}
	if r1.nBad < 2 || r1.nGood < 2 {
		return AUCComparison{}, fmt.Errorf("%w: the DeLong test needs two bads and two goods, have %d and %d",
			ErrClasses, r1.nBad, r1.nGood)
	}
	a1, a2 := r1.auc(), r2.auc()
	v10a, v01a := r1.placements()
	v10b, v01b := r2.placements()
	// Covariances of the per-row components.
	rowsA, rowsB := r1.rowGroups(score1), r2.rowGroups(score2)
	var s10 [3]float64 // 11, 22, 12
	var s01 [3]float64
	for i := range y {
		ga, gb := rowsA[i], rowsB[i]
		if y[i] == 1 {
			da, db := v10a[ga]-a1, v10b[gb]-a2
			s10[0] += da * da
			s10[1] += db * db
			s10[2] += da * db
		} else {
			da, db := v01a[ga]-a1, v01b[gb]-a2
			s01[0] += da * da
			s01[1] += db * db
			s01[2] += da * db
		}
	}
	m, n := float64(r1.nBad), float64(r1.nGood)
	v := (s10[0]+s10[1]-2*s10[2])/(m-1)/m + (s01[0]+s01[1]-2*s01[2])/(n-1)/n
	return zTest(a1, a2, math.Sqrt(math.Max(v, 0)))
}

// CompareIndependentAUCs tests the difference between AUCs measured on
// independent samples (development against a later backtest, two
// portfolios): z = (A1−A2)/√(SE1²+SE2²), as in Hanley & McNeil (1982,
// 1983) for uncorrelated areas. The standard errors may come from DeLong
// or HanleyMcNeilSE.
func CompareIndependentAUCs(a, b AUCEstimate) (AUCComparison, error) {
	for _, e := range []AUCEstimate{a, b} {
		if !(e.AUC >= 0 && e.AUC <= 1) || !(e.SE >= 0) || math.IsInf(e.SE, 0) {
			return AUCComparison{}, fmt.Errorf("%w: AUC %v with standard error %v", ErrInput, e.AUC, e.SE)
		}
	}
	return zTest(a.AUC, b.AUC, math.Hypot(a.SE, b.SE))
}

func zTest(a1, a2, se float64) (AUCComparison, error) {
	c := AUCComparison{AUC1: a1, AUC2: a2, Diff: a1 - a2, SE: se}
	switch {
	case se > 0:
		c.Z = c.Diff / se
		c.P = normalP(c.Z)
	case c.Diff == 0:
		c.Z, c.P = 0, 1
	default:
		return AUCComparison{}, fmt.Errorf("%w: AUCs %v and %v differ with zero standard error", ErrInput, a1, a2)
	}
	return c, nil
}

// HanleyMcNeilSE returns the Hanley & McNeil (1982) standard error of an
// AUC from the area and the class sizes alone, assuming exponential score
// distributions: Var = [A(1−A) + (m−1)(Q1−A²) + (n−1)(Q2−A²)]/(m·n) with
// Q1 = A/(2−A), Q2 = 2A²/(1+A), m bads and n goods. Use it when only summary
// figures of a sample are at hand (a documented development AUC);
// otherwise prefer DeLong.
func HanleyMcNeilSE(auc float64, bads, goods int) (float64, error) {
	if !(auc >= 0 && auc <= 1) || bads < 1 || goods < 1 {
		return 0, fmt.Errorf("%w: AUC %v with %d bads and %d goods", ErrInput, auc, bads, goods)
	}
	a := auc
	q1 := a / (2 - a)
	q2 := 2 * a * a / (1 + a)
	m, n := float64(bads), float64(goods)
	v := (a*(1-a) + (m-1)*(q1-a*a) + (n-1)*(q2-a*a)) / (m * n)
	return math.Sqrt(math.Max(v, 0)), nil
}
