package report

import (
	"fmt"
	"math"
	"strconv"
)

// Status is a traffic light: green (no finding), amber (look closer) or red
// (a finding the validator must address).
type Status string

// The traffic lights, from best to worst.
const (
	Green Status = "green"
	Amber Status = "amber"
	Red   Status = "red"
)

// rank orders statuses from best (0) to worst.
func (s Status) rank() int {
	switch s {
	case Green:
		return 0
	case Amber:
		return 1
	case Red:
		return 2
	}
	return -1
}

// worse returns the worse of two statuses; an empty status counts as none.
func worse(a, b Status) Status {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// AtLeast rates a figure for which higher is better (AUC, KS, p-values):
// green when the value is at least Green, amber when it is at least Amber,
// red below.
type AtLeast struct {
	Green float64 `json:"green"`
	Amber float64 `json:"amber"`
}

// Rate returns the status of v; NaN is red.
func (t AtLeast) Rate(v float64) Status {
	switch {
	case v >= t.Green:
		return Green
	case v >= t.Amber:
		return Amber
	}
	return Red
}

// Rule describes the band, e.g. "green ≥ 0.7, amber ≥ 0.6".
func (t AtLeast) Rule() string {
	return "green ≥ " + num(t.Green) + ", amber ≥ " + num(t.Amber)
}

// Below rates a figure for which lower is better (PSI, CSI, concentration):
// green when the value is below Green, amber when it is below Amber, red
// from Amber up.
type Below struct {
	Green float64 `json:"green"`
	Amber float64 `json:"amber"`
}

// Rate returns the status of v; NaN is red.
func (t Below) Rate(v float64) Status {
	switch {
	case v < t.Green:
		return Green
	case v < t.Amber:
		return Amber
	}
	return Red
}

// Rule describes the band, e.g. "green < 0.1, amber < 0.25".
func (t Below) Rule() string {
	return "green < " + num(t.Green) + ", amber < " + num(t.Amber)
}

// num formats a threshold with the fewest digits that read it back.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Thresholds mark each validation figure green, amber or red. A band left
// zero takes its default, so a job spec may set only the bands it changes.
// The defaults (DefaultThresholds) follow common practice for retail PD
// models and the ECB's instructions for reporting the validation of IRB PD
// models:
//
//   - AUC: green ≥ 0.70, amber ≥ 0.60 (0.5 is a coin toss), per sample.
//   - KS: green ≥ 0.30, amber ≥ 0.20, per sample.
//   - HosmerLemeshowP, the Hosmer-Lemeshow p-value over PD deciles: green
//     ≥ 0.05, amber ≥ 0.01, per sample. On hundreds of thousands of rows
//     the test rejects even immaterial miscalibration; read it with the
//     per-grade table.
//   - JeffreysP, the Jeffreys-test p-value of each grade's mean PD against
//     its observed defaults (small: the PD underestimates the default rate):
//     green ≥ 0.05, amber ≥ 0.01, per grade and sample.
//   - HHI, the normalised Herfindahl-Hirschman index of the grade
//     distribution (0 even spread, 1 all rows in one grade): green < 0.20,
//     amber < 0.30, per sample.
//   - PSI of the score against the reference sample: green < 0.10, amber
//     < 0.25 (the usual "stable / worth a look / significant shift").
//   - CSI of each scorecard variable against the reference: green < 0.10,
//     amber < 0.25.
//   - DefaultRateRatio, the central tendency of a sample: its observed default rate over its
//     mean PD, rated by how far it is from 1 either way (max(r, 1/r)): green ≤ 1.25, amber
//     ≤ 1.5. It is what moves first when the population's risk drifts.
//   - AUCDropP, the one-sided p-value of the hypothesis that the AUC has not
//     fallen since development (Hanley-McNeil z test of independent AUCs):
//     green ≥ 0.05, amber ≥ 0.01; backtests only.
type Thresholds struct {
	AUC              AtLeast `json:"auc"`
	KS               AtLeast `json:"ks"`
	HosmerLemeshowP  AtLeast `json:"hosmer_lemeshow_p"`
	JeffreysP        AtLeast `json:"jeffreys_p"`
	HHI              Below   `json:"hhi"`
	PSI              Below   `json:"psi"`
	CSI              Below   `json:"csi"`
	AUCDropP         AtLeast `json:"auc_drop_p"`
	DefaultRateRatio Ratio   `json:"default_rate_ratio"`
}

// Ratio rates a ratio that should be near 1 by max(r, 1/r): green up to Green, amber up to
// Amber, red beyond (and for a ratio that is 0, infinite or NaN).
type Ratio struct {
	Green float64 `json:"green"`
	Amber float64 `json:"amber"`
}

// Rate returns the status of r.
func (t Ratio) Rate(r float64) Status {
	if !(r > 0) || math.IsInf(r, 0) {
		return Red
	}
	d := math.Max(r, 1/r)
	switch {
	case d <= t.Green:
		return Green
	case d <= t.Amber:
		return Amber
	}
	return Red
}

// Rule describes the band.
func (t Ratio) Rule() string {
	return "green within ×" + num(t.Green) + ", amber within ×" + num(t.Amber) + " of 1"
}

// DefaultThresholds returns the documented default bands.
func DefaultThresholds() Thresholds {
	return Thresholds{
		AUC:              AtLeast{Green: 0.70, Amber: 0.60},
		KS:               AtLeast{Green: 0.30, Amber: 0.20},
		HosmerLemeshowP:  AtLeast{Green: 0.05, Amber: 0.01},
		JeffreysP:        AtLeast{Green: 0.05, Amber: 0.01},
		HHI:              Below{Green: 0.20, Amber: 0.30},
		PSI:              Below{Green: 0.10, Amber: 0.25},
		CSI:              Below{Green: 0.10, Amber: 0.25},
		AUCDropP:         AtLeast{Green: 0.05, Amber: 0.01},
		DefaultRateRatio: Ratio{Green: 1.25, Amber: 1.5},
	}
}

// resolve fills zero bands with their defaults and checks that every band
// is finite and ordered (an amber band between green and red).
func (t Thresholds) resolve() (Thresholds, error) {
	def := DefaultThresholds()
	atLeast := []struct {
		name string
		b    *AtLeast
		d    AtLeast
	}{
		{"auc", &t.AUC, def.AUC}, {"ks", &t.KS, def.KS},
		{"hosmer_lemeshow_p", &t.HosmerLemeshowP, def.HosmerLemeshowP},
		{"jeffreys_p", &t.JeffreysP, def.JeffreysP}, {"auc_drop_p", &t.AUCDropP, def.AUCDropP},
	}
	for _, a := range atLeast {
		if *a.b == (AtLeast{}) {
			*a.b = a.d
		}
		if !finite(a.b.Green) || !finite(a.b.Amber) || a.b.Green < a.b.Amber {
			return t, fmt.Errorf("thresholds.%s: green %v must be at least amber %v", a.name, a.b.Green, a.b.Amber)
		}
	}
	below := []struct {
		name string
		b    *Below
		d    Below
	}{{"hhi", &t.HHI, def.HHI}, {"psi", &t.PSI, def.PSI}, {"csi", &t.CSI, def.CSI}}
	for _, a := range below {
		if *a.b == (Below{}) {
			*a.b = a.d
		}
		if !finite(a.b.Green) || !finite(a.b.Amber) || a.b.Green > a.b.Amber {
			return t, fmt.Errorf("thresholds.%s: green %v must not exceed amber %v", a.name, a.b.Green, a.b.Amber)
		}
	}
	if t.DefaultRateRatio == (Ratio{}) {
		t.DefaultRateRatio = def.DefaultRateRatio
	}
	if r := t.DefaultRateRatio; !finite(r.Green) || !finite(r.Amber) || r.Green < 1 || r.Green > r.Amber {
		return t, fmt.Errorf("thresholds.default_rate_ratio: want 1 ≤ green %v ≤ amber %v", r.Green, r.Amber)
	}
	return t, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
