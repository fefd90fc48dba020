package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// LogLossClip is the bound applied to PDs in LogLoss: p is clipped to
// [LogLossClip, 1 − LogLossClip] so that a confident wrong prediction costs
// ln(1e15) ≈ 34.5 instead of infinity.
const LogLossClip = 1e-15

// Brier returns the Brier score, the mean of (pdᵢ − yᵢ)².
func Brier(pd []float64, y []int8) (float64, error) {
	if err := checkPD(pd, y); err != nil {
		return 0, err
	}
	var sum float64
	for i, p := range pd {
		d := p - float64(y[i])
		sum += d * d
	}
	return sum / float64(len(pd)), nil
}

// LogLoss returns the mean negative log-likelihood
// −mean(yᵢ·ln pᵢ + (1−yᵢ)·ln(1−pᵢ)), with p clipped to
// [LogLossClip, 1−LogLossClip].
func LogLoss(pd []float64, y []int8) (float64, error) {
	if err := checkPD(pd, y); err != nil {
		return 0, err
	}
	var sum float64
	for i, p := range pd {
		p = math.Min(math.Max(p, LogLossClip), 1-LogLossClip)
		if y[i] == 1 {
			sum -= math.Log(p)
		} else {
			sum -= math.Log1p(-p)
		}
	}
	return sum / float64(len(pd)), nil
}

func checkPD(pd []float64, y []int8) error {
	if len(pd) == 0 {
		return fmt.Errorf("%w: no rows", ErrInput)
	}
	if _, err := checkLabels(y, len(pd)); err != nil {
		return err
	}
	return checkProbabilities(pd)
}

// CalibrationGroup is one PD group of a calibration table.
type CalibrationGroup struct {
	MinPD float64 `json:"min_pd"`
	MaxPD float64 `json:"max_pd"`
	Rows  int     `json:"rows"`
	Bads  int     `json:"bads"`
	// ExpectedBads is the sum of the PDs; MeanPD = ExpectedBads/Rows.
	ExpectedBads float64 `json:"expected_bads"`
	MeanPD       float64 `json:"mean_pd"`
	BadRate      float64 `json:"bad_rate"`
}

// HosmerLemeshowResult is the Hosmer-Lemeshow goodness-of-fit test.
type HosmerLemeshowResult struct {
	// Statistic is Σ_g (O_g − E_g)² / (E_g·(1 − E_g/n_g)) over the groups.
	Statistic float64 `json:"statistic"`
	// DF is the number of groups minus 2.
	DF int `json:"df"`
	// P is the upper tail of the chi-square distribution with DF degrees
	// of freedom at Statistic.
	P      float64            `json:"p"`
	Groups []CalibrationGroup `json:"groups"`
}

// HosmerLemeshow tests the calibration of pd with Hosmer & Lemeshow's
// statistic over groups (DefaultGroups when 0) of increasing PD, formed as
// in Gains (equal PDs share a group; empty groups are dropped). It needs at
// least three non-empty groups. A group whose PDs are all 0 (or all 1)
// contributes nothing when its observed count agrees and is an error
// otherwise.
func HosmerLemeshow(pd []float64, y []int8, groups int) (HosmerLemeshowResult, error) {
	groups, err := groupCount(groups)
	if err != nil {
		return HosmerLemeshowResult{}, err
	}
	if err := checkPD(pd, y); err != nil {
		return HosmerLemeshowResult{}, err
	}
	r, err := rankScores(pd, y, HigherBad)
	if err != nil {
		return HosmerLemeshowResult{}, err
	}
	hl := hlGroups{n: r.nBad + r.nGood, groups: groups}
	for g := range r.keys {
		hl.add(r.score[g], r.bads[g], r.goods[g])
	}
	return hl.result()
}

// hlGroups forms the Hosmer-Lemeshow groups of n rows from their distinct PDs, taken in
// increasing order with their bads and goods: a tie block of c rows after rank rows goes
// to group tieGroup(rank, c, n, groups).
type hlGroups struct {
	n, groups int
	rank      int
	bucket    int // the group of the last block + 1 (0: none yet)
	out       []CalibrationGroup
}

func (h *hlGroups) add(pd float64, bads, goods int) {
	c := bads + goods
	b := tieGroup(h.rank, c, h.n, h.groups)
	h.rank += c
	if b+1 != h.bucket {
		h.bucket = b + 1
		h.out = append(h.out, CalibrationGroup{MinPD: pd})
	}
	grp := &h.out[len(h.out)-1]
	grp.MaxPD = pd
	grp.Rows += c
	grp.Bads += bads
	grp.ExpectedBads += pd * float64(c)
}

func (h *hlGroups) result() (HosmerLemeshowResult, error) {
	out := h.out
	if len(out) < 3 {
		return HosmerLemeshowResult{}, fmt.Errorf("%w: Hosmer-Lemeshow needs at least 3 PD groups, the data give %d", ErrInput, len(out))
	}
	res := HosmerLemeshowResult{DF: len(out) - 2, Groups: out}
	for i := range out {
		grp := &out[i]
		grp.MeanPD = grp.ExpectedBads / float64(grp.Rows)
		grp.BadRate = float64(grp.Bads) / float64(grp.Rows)
		d := float64(grp.Bads) - grp.ExpectedBads
		v := grp.ExpectedBads * (1 - grp.MeanPD)
		switch {
		case v > 0:
			res.Statistic += d * d / v
		case d != 0:
			return HosmerLemeshowResult{}, fmt.Errorf("%w: group with PDs in [%v, %v] has %d bads where its PDs allow no variance",
				ErrInput, grp.MinPD, grp.MaxPD, grp.Bads)
		}
	}
	res.P = distuv.ChiSquared{K: float64(res.DF)}.Survival(res.Statistic)
	return res, nil
}

// BinomialTest returns the one-sided p-value of observing at least
// defaults defaults among n obligors when each defaults independently with
// probability pd: P(X ≥ defaults), X ~ Binomial(n, pd), computed exactly
// from the binomial CDF (a regularised incomplete beta function). A small
// p-value says the PD underestimates the default rate.
func BinomialTest(n, defaults int, pd float64) (float64, error) {
	if err := checkGrade(n, defaults, pd); err != nil {
		return 0, err
	}
	switch {
	case defaults == 0:
		return 1, nil
	case pd == 0:
		return 0, nil
	case pd == 1:
		return 1, nil
	}
	// P(X ≥ k) = I_pd(k, n−k+1).
	return mathext.RegIncBeta(float64(defaults), float64(n-defaults+1), pd), nil
}

// JeffreysTest returns the p-value of the Jeffreys test of the ECB
// instructions for the validation of IRB PD models: the CDF at pd of the
// posterior Beta(defaults + ½, n − defaults + ½) of the default rate under
// the Jeffreys prior. A small p-value says the PD underestimates the
// default rate.
func JeffreysTest(n, defaults int, pd float64) (float64, error) {
	if err := checkGrade(n, defaults, pd); err != nil {
		return 0, err
	}
	return distuv.Beta{Alpha: float64(defaults) + 0.5, Beta: float64(n-defaults) + 0.5}.CDF(pd), nil
}

func checkGrade(n, defaults int, pd float64) error {
	if n < 1 || defaults < 0 || defaults > n || !(pd >= 0 && pd <= 1) {
		return fmt.Errorf("%w: %d defaults among %d obligors with PD %v", ErrInput, defaults, n, pd)
	}
	return nil
}

// GradeCalibration is the calibration of one rating grade.
type GradeCalibration struct {
	Grade string `json:"grade"`
	Rows  int    `json:"rows"`
	Bads  int    `json:"bads"`
	// MeanPD is the arithmetic mean of the grade's PDs; both tests use it.
	MeanPD    float64 `json:"mean_pd"`
	BadRate   float64 `json:"bad_rate"`
	BinomialP float64 `json:"binomial_p"`
	JeffreysP float64 `json:"jeffreys_p"`
}

// CalibrationByGrade groups rows by grade and runs the binomial and
// Jeffreys tests of each grade's mean PD against its defaults. Grades come
// in increasing mean PD (then name).
func CalibrationByGrade(grade []string, pd []float64, y []int8) ([]GradeCalibration, error) {
	if len(grade) != len(pd) {
		return nil, fmt.Errorf("%w: %d grades for %d PDs", ErrInput, len(grade), len(pd))
	}
	if err := checkPD(pd, y); err != nil {
		return nil, err
	}
	index := map[string]int{}
	var out []GradeCalibration
	var sums []float64
	last, lastIdx := "", -1
	for i, g := range grade {
		k := lastIdx
		if k < 0 || g != last {
			var ok bool
			if k, ok = index[g]; !ok {
				k = len(out)
				index[g] = k
				out = append(out, GradeCalibration{Grade: g})
				sums = append(sums, 0)
			}
			last, lastIdx = g, k
		}
		out[k].Rows++
		out[k].Bads += int(y[i])
		sums[k] += pd[i]
	}
	return gradeTests(out, sums)
}

// gradeTests completes the calibration of grades with the sums of their PDs: the mean PD,
// bad rate and both tests of each, in increasing mean PD (then name).
func gradeTests(out []GradeCalibration, sums []float64) ([]GradeCalibration, error) {
	for k := range out {
		gc := &out[k]
		gc.MeanPD = math.Min(sums[k]/float64(gc.Rows), 1) // rounding must not leave [0, 1]
		gc.BadRate = float64(gc.Bads) / float64(gc.Rows)
		var err error
		if gc.BinomialP, err = BinomialTest(gc.Rows, gc.Bads, gc.MeanPD); err != nil {
			return nil, fmt.Errorf("grade %q: %w", gc.Grade, err)
		}
		if gc.JeffreysP, err = JeffreysTest(gc.Rows, gc.Bads, gc.MeanPD); err != nil {
			return nil, fmt.Errorf("grade %q: %w", gc.Grade, err)
		}
	}
	slices.SortFunc(out, func(a, b GradeCalibration) int {
		return cmp.Or(cmp.Compare(a.MeanPD, b.MeanPD), cmp.Compare(a.Grade, b.Grade))
	})
	return out, nil
}
