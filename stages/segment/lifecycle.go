package segment

import (
	"fmt"
	"math"

	"lendscore/stages/frame"
)

// Lifecycle stages, in the order the rules test them.
const (
	StageNew       = "new"
	StageDormant   = "dormant"
	StageDeclining = "declining"
	StageMature    = "mature"
	StageActive    = "active"
)

// Stages lists the lifecycle stages in the order of a customer's life.
func Stages() []string {
	return []string{StageNew, StageActive, StageMature, StageDeclining, StageDormant}
}

// LifecycleRules are the columns and thresholds of the lifecycle stage. A customer is, by
// the first rule that holds:
//
//  1. new: tenure below NewMonths;
//  2. dormant: no payment for more than DormantDays (recency missing, i.e. never paid,
//     counts as no payment);
//  3. declining: activity falling behind the customer's own rhythm. With a
//     RecentFrequency column (say frequency_3m), when the recent rate scaled to the
//     window, RecentFrequency × WindowMonths / RecentMonths, is below DecliningRate ×
//     Frequency. Without it, when the days since the last payment exceed both
//     DecliningMinDays and DecliningGaps times the customer's usual gap between payments,
//     WindowMonths × 30.44 / Frequency (a Frequency of 0 counts as declining);
//  4. mature: tenure of MatureMonths or more;
//  5. active: everyone else.
//
// A missing tenure is neither new nor mature.
type LifecycleRules struct {
	// Tenure in months. Default tenure_months.
	Tenure string `json:"tenure"`
	// Recency in days since the last payment. Default recency_days.
	Recency string `json:"recency"`
	// Frequency counts the payments of the last WindowMonths. Default frequency_12m.
	Frequency string `json:"frequency"`
	// WindowMonths is Frequency's window. Default 12.
	WindowMonths float64 `json:"window_months"`
	// RecentFrequency optionally counts the payments of the last RecentMonths, for the
	// trend. Default none (the feature table has a single window).
	RecentFrequency string `json:"recent_frequency,omitempty"`
	// RecentMonths is RecentFrequency's window. Default 3.
	RecentMonths float64 `json:"recent_months"`
	// NewMonths: tenure below it is new. Default 6.
	NewMonths float64 `json:"new_months"`
	// MatureMonths: tenure from it is mature. Default 60.
	MatureMonths float64 `json:"mature_months"`
	// DormantDays: no payment for longer is dormant. Default 180.
	DormantDays float64 `json:"dormant_days"`
	// DecliningMinDays and DecliningGaps: see rule 3. Default 45 days and 2 gaps.
	DecliningMinDays float64 `json:"declining_min_days"`
	DecliningGaps    float64 `json:"declining_gaps"`
	// DecliningRate: see rule 3. Default 0.5.
	DecliningRate float64 `json:"declining_rate"`
}

// DefaultLifecycleRules are the rules for the default feature table.
func DefaultLifecycleRules() LifecycleRules {
	return LifecycleRules{
		Tenure: "tenure_months", Recency: "recency_days", Frequency: "frequency_12m",
		WindowMonths: 12, RecentMonths: 3,
		NewMonths: 6, MatureMonths: 60, DormantDays: 180,
		DecliningMinDays: 45, DecliningGaps: 2, DecliningRate: 0.5,
	}
}

func (r LifecycleRules) withDefaults() LifecycleRules {
	d := DefaultLifecycleRules()
	setS := func(v *string, def string) {
		if *v == "" {
			*v = def
		}
	}
	setF := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	setS(&r.Tenure, d.Tenure)
	setS(&r.Recency, d.Recency)
	setS(&r.Frequency, d.Frequency)
	setF(&r.WindowMonths, d.WindowMonths)
	setF(&r.RecentMonths, d.RecentMonths)
	setF(&r.NewMonths, d.NewMonths)
	setF(&r.MatureMonths, d.MatureMonths)
	setF(&r.DormantDays, d.DormantDays)
	setF(&r.DecliningMinDays, d.DecliningMinDays)
	setF(&r.DecliningGaps, d.DecliningGaps)
	setF(&r.DecliningRate, d.DecliningRate)
	return r
}

// Lifecycle returns the lifecycle stage of every row of fr by the rules (zero fields take
// the defaults). The Tenure, Recency and Frequency columns (and RecentFrequency when set)
// must be numeric columns of fr.
func Lifecycle(fr *frame.Frame, rules LifecycleRules) ([]string, error) {
	return lifecycle(func(name string) []float64 { return numeric(fr, name) }, rules)
}

// lifecycle is Lifecycle on the columns of col.
func lifecycle(col columnSource, rules LifecycleRules) ([]string, error) {
	r := rules.withDefaults()
	names := []string{r.Tenure, r.Recency, r.Frequency}
	if r.RecentFrequency != "" {
		names = append(names, r.RecentFrequency)
	}
	cols := make([][]float64, len(names))
	for j, name := range names {
		if cols[j] = col(name); cols[j] == nil {
			return nil, fmt.Errorf("segment: lifecycle: column %s: not a numeric column of the input", name)
		}
	}
	tenure, recency, freq := cols[0], cols[1], cols[2]
	var recent []float64
	if len(cols) > 3 {
		recent = cols[3]
	}
	windowDays := r.WindowMonths * daysPerMonth
	out := make([]string, len(tenure))
	for i := range out {
		t, rec, f := tenure[i], recency[i], freq[i]
		switch {
		case t < r.NewMonths:
			out[i] = StageNew
		case math.IsNaN(rec) || rec > r.DormantDays:
			out[i] = StageDormant
		case declining(rec, f, recent, i, r, windowDays):
			out[i] = StageDeclining
		case t >= r.MatureMonths:
			out[i] = StageMature
		default:
			out[i] = StageActive
		}
	}
	return out, nil
}

// daysPerMonth is the mean length of a Gregorian month.
const daysPerMonth = 365.2425 / 12

// declining is rule 3 of LifecycleRules.
func declining(rec, f float64, recent []float64, i int, r LifecycleRules, windowDays float64) bool {
	if recent != nil {
		rf := recent[i]
		if math.IsNaN(rf) || math.IsNaN(f) {
			return false
		}
		return rf*r.WindowMonths/r.RecentMonths < r.DecliningRate*f
	}
	if math.IsNaN(f) {
		return false
	}
	if f <= 0 {
		return true
	}
	gap := windowDays / f
	return rec > r.DecliningMinDays && rec > r.DecliningGaps*gap
}

// numericColumns returns the values of the named numeric columns of fr.
func numericColumns(fr *frame.Frame, names []string) ([][]float64, error) {
	out := make([][]float64, len(names))
	for j, name := range names {
		c := fr.Column(name)
		if c == nil {
			return nil, fmt.Errorf("column %s: not in the input", name)
		}
		if c.Kind != frame.Numeric {
			return nil, fmt.Errorf("column %s: holds text, want numbers", name)
		}
		out[j] = c.Num
	}
	return out, nil
}
