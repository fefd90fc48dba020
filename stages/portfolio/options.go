package portfolio

import (
	"fmt"
	"log/slog"
	"math"

	"lendscore/stages/report"
)

// The loan classes, from best to worst.
const (
	Normal         = "normal"
	SpecialMention = "special_mention"
	Substandard    = "substandard"
	Doubtful       = "doubtful"
	Loss           = "loss"
)

// ClassNames lists the loan classes from best to worst.
func ClassNames() []string { return []string{Normal, SpecialMention, Substandard, Doubtful, Loss} }

// classLabels are the class names as the report prints them.
var classLabels = [...]string{"Normal", "Special mention", "Substandard", "Doubtful", "Loss"}

// nplFrom is the first non-performing class (substandard).
const nplFrom = 2

// Bands are the upper bounds, in days past due at as_of, of the first four loan classes:
// a loan is normal up to Normal days past due, special mention up to SpecialMention,
// substandard up to Substandard, doubtful up to Doubtful and loss beyond. The zero value
// means DefaultBands.
type Bands struct {
	Normal         int32 `json:"normal"`
	SpecialMention int32 `json:"special_mention"`
	Substandard    int32 `json:"substandard"`
	Doubtful       int32 `json:"doubtful"`
}

// DefaultBands are the usual bands: normal ≤ 30, special mention 31–90, substandard
// 91–180, doubtful 181–360, loss > 360 days past due.
func DefaultBands() Bands {
	return Bands{Normal: 30, SpecialMention: 90, Substandard: 180, Doubtful: 360}
}

// class returns the class index (0 normal … 4 loss) of a loan dpd days past due.
func (b Bands) class(dpd int32) int {
	switch {
	case dpd <= b.Normal:
		return 0
	case dpd <= b.SpecialMention:
		return 1
	case dpd <= b.Substandard:
		return 2
	case dpd <= b.Doubtful:
		return 3
	}
	return 4
}

// upper returns the bounds as a slice, in class order.
func (b Bands) upper() [4]int32 {
	return [4]int32{b.Normal, b.SpecialMention, b.Substandard, b.Doubtful}
}

// DefaultHighRiskTarget is the default ceiling of the share of high-risk customers.
const DefaultHighRiskTarget = 0.10

// Options configures Build. The zero value takes every default.
type Options struct {
	// HighRiskTarget is the largest share of customers in tier high_risk that is within
	// target, in (0, 1]. Default 0.10.
	HighRiskTarget float64
	// Bands are the days-past-due bands of the loan classes. Default DefaultBands.
	Bands Bands
	// PSI rates the score's PSI against the development sample. Default green < 0.10,
	// amber < 0.25 (report.DefaultThresholds().PSI).
	PSI report.Below
	// HHI rates the normalised Herfindahl-Hirschman index of the grade mix. Default
	// green < 0.20, amber < 0.30 (report.DefaultThresholds().HHI).
	HHI report.Below
	// Logger receives the timings at debug level. Nil discards them.
	Logger *slog.Logger
}

// withDefaults returns o with zero values replaced by the defaults, or an error naming
// the option that is impossible.
func (o Options) withDefaults() (Options, error) {
	def := report.DefaultThresholds()
	if o.HighRiskTarget == 0 {
		o.HighRiskTarget = DefaultHighRiskTarget
	}
	if o.Bands == (Bands{}) {
		o.Bands = DefaultBands()
	}
	if o.PSI == (report.Below{}) {
		o.PSI = def.PSI
	}
	if o.HHI == (report.Below{}) {
		o.HHI = def.HHI
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if !(o.HighRiskTarget > 0 && o.HighRiskTarget <= 1) {
		return o, fmt.Errorf("portfolio: high-risk target %v is not a share in (0, 1]", o.HighRiskTarget)
	}
	b := o.Bands
	if !(b.Normal >= 0 && b.Normal < b.SpecialMention && b.SpecialMention < b.Substandard && b.Substandard < b.Doubtful) {
		return o, fmt.Errorf("portfolio: bands %d, %d, %d, %d days past due do not rise from 0", b.Normal, b.SpecialMention, b.Substandard, b.Doubtful)
	}
	for _, t := range []struct {
		name string
		b    report.Below
	}{{"PSI", o.PSI}, {"HHI", o.HHI}} {
		if math.IsNaN(t.b.Green) || math.IsNaN(t.b.Amber) || t.b.Green > t.b.Amber {
			return o, fmt.Errorf("portfolio: %s band: green %v must not exceed amber %v", t.name, t.b.Green, t.b.Amber)
		}
	}
	return o, nil
}
