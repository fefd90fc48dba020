package features

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"time"
)

// Thresholds of the repayment definitions, in days past due.
const (
	// BadDaysPastDue is the delinquency that makes a customer bad: an instalment 90 or more
	// days past due.
	BadDaysPastDue = 90
	// SeriousDaysPastDue is the delinquency counted by n_late30_* and
	// months_since_delinquency: more than 30 days past due.
	SeriousDaysPastDue = 30
)

// Defaults of Options.
const (
	DefaultPerformanceWindow = 12 // months
	DefaultWindow            = 12 // months
)

// DefaultDPDWindows are the look-back windows, in months, of the max_dpd_<N>m features.
func DefaultDPDWindows() []int { return []int{3, 6, 12} }

// DefaultDigitalChannels are the interaction channels counted as digital by digital_share.
func DefaultDigitalChannels() []string { return []string{"web", "app", "email"} }

// Options configures Build. Only AsOf is required; zero values take the defaults.
type Options struct {
	// AsOf is the observation date. Only its UTC calendar date counts: the features see the
	// world as it stood at the end of that day.
	AsOf time.Time
	// PerformanceWindow is the length, in months, of the label's performance window
	// (as_of, as_of + PerformanceWindow]. Default 12.
	PerformanceWindow int
	// Label adds the training label: the columns bad and label_status.
	Label bool
	// DataEnd is the last date the extracts cover. A performance window that ends after it
	// is incomplete. Zero means the latest due_date, paid_date or interaction date found in
	// the inputs; set it to the extract date when the repayments extract lists scheduled
	// instalments beyond the extract date.
	DataEnd time.Time
	// DropUnlabelled leaves out of the output the rows excluded from labelling (they are
	// still counted). Only with Label.
	DropUnlabelled bool
	// DPDWindows are the look-back windows, in months, of max_dpd_<N>m. Default 3, 6, 12.
	DPDWindows []int
	// Window is the look-back window, in months, of the behaviour, interaction and RFM
	// features (n_late_<W>m, n_contacts_<W>m, frequency_<W>m, …). Default 12.
	Window int
	// DigitalChannels are the channel values that count as digital. Default web, app, email.
	DigitalChannels []string
	// Workers is the number of goroutines. Default GOMAXPROCS. Results do not depend on it.
	Workers int
	// Logger receives progress at debug level. Nil discards it.
	Logger *slog.Logger
}

// withDefaults returns a copy of o with the zero values replaced by the defaults, or an
// error naming the option that is impossible.
func (o Options) withDefaults() (Options, error) {
	if o.PerformanceWindow == 0 {
		o.PerformanceWindow = DefaultPerformanceWindow
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if len(o.DPDWindows) == 0 {
		o.DPDWindows = DefaultDPDWindows()
	} else {
		o.DPDWindows = slices.Clone(o.DPDWindows)
	}
	if o.DigitalChannels == nil {
		o.DigitalChannels = DefaultDigitalChannels()
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.PerformanceWindow < 0:
		return o, fmt.Errorf("features: performance window %d months is negative", o.PerformanceWindow)
	case o.Window < 0:
		return o, fmt.Errorf("features: window %d months is negative", o.Window)
	case o.DropUnlabelled && !o.Label:
		return o, errors.New("features: DropUnlabelled needs Label")
	}
	for i, w := range o.DPDWindows {
		if w <= 0 {
			return o, fmt.Errorf("features: DPD window %d months is not positive", w)
		}
		if slices.Contains(o.DPDWindows[:i], w) {
			return o, fmt.Errorf("features: DPD window %d months is listed twice", w)
		}
	}
	return o, nil
}
