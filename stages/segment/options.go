package segment

import (
	"fmt"
	"log/slog"
	"slices"
)

// DefaultFeatures are the segmentation features: value and behaviour columns of the
// customer feature table (package stages/features, default 12-month window).
func DefaultFeatures() []string {
	return []string{
		"recency_days", "frequency_12m", "monetary_12m", "tenure_months",
		"n_products", "utilisation", "mean_satisfaction_12m", "digital_share_12m",
	}
}

// DefaultLog are the heavy-tailed money columns of the feature table that are transformed
// by sign(x)·ln(1 + |x|) before standardising, when they are segmentation features.
func DefaultLog() []string {
	return []string{"monetary_12m", "annual_income", "total_balance", "total_credit_limit", "total_exposure"}
}

// DefaultImputeMax are the columns of the feature table whose missing value means
// "never" — the time since an event that has not happened — so that the largest training
// value, not the mean, stands in for it (when they are features).
func DefaultImputeMax() []string {
	return []string{"recency_days", "days_since_last_contact", "months_since_delinquency"}
}

// Defaults of Options.
const (
	DefaultKMin = 3
	DefaultKMax = 8
)

// Roles names the feature-table columns that the traits (value, engagement, channel,
// risk) and the lifecycle read. They need not be segmentation features; a role whose
// column is not in the frame is left out of the traits.
type Roles struct {
	// Value columns measure the size of the relationship. Default monetary_12m,
	// total_balance, total_exposure.
	Value []string `json:"value"`
	// Frequency counts recent activity (higher is more engaged). Default frequency_12m.
	Frequency string `json:"frequency"`
	// Recency is the days since the last activity (lower is more engaged; missing means
	// never). Default recency_days.
	Recency string `json:"recency"`
	// Digital is the share of digital interactions. Default digital_share_12m.
	Digital string `json:"digital"`
	// Delinquency is the worst days past due of the recent past, the risk evidence without
	// a PD. Default max_dpd_12m.
	Delinquency string `json:"delinquency"`
}

// DefaultRoles are the roles of the default feature table.
func DefaultRoles() Roles {
	return Roles{
		Value:       []string{"monetary_12m", "total_balance", "total_exposure"},
		Frequency:   "frequency_12m",
		Recency:     "recency_days",
		Digital:     "digital_share_12m",
		Delinquency: "max_dpd_12m",
	}
}

func (r Roles) withDefaults() Roles {
	d := DefaultRoles()
	if r.Value == nil {
		r.Value = d.Value
	} else {
		r.Value = slices.Clone(r.Value)
	}
	if r.Frequency == "" {
		r.Frequency = d.Frequency
	}
	if r.Recency == "" {
		r.Recency = d.Recency
	}
	if r.Digital == "" {
		r.Digital = d.Digital
	}
	if r.Delinquency == "" {
		r.Delinquency = d.Delinquency
	}
	return r
}

// Options configures Fit. Zero values take the defaults.
type Options struct {
	// Features are the numeric columns clustered on. Default DefaultFeatures().
	Features []string
	// Log lists the features transformed by sign(x)·ln(1 + |x|) before standardising.
	// Nil means DefaultLog(); an empty non-nil list transforms none.
	Log []string
	// ImputeMax lists the features whose missing values take the largest training value
	// instead of the mean. Nil means DefaultImputeMax(); an empty non-nil list names none.
	ImputeMax []string
	// K is the number of segments; 0 chooses it by silhouette in [KMin, KMax].
	K int
	// KMin and KMax bound the choice of K. Default 3 and 8.
	KMin, KMax int
	// Restarts of k-means. Default 5.
	Restarts int
	// Seed fixes the sample and the k-means seeding.
	Seed uint64
	// SampleRows is the number of rows the centroids are fitted on when there are more.
	// Default 200,000 (kmeans.DefaultSampleRows); negative means all rows.
	SampleRows int
	// SilhouetteSample is the number of rows the silhouette is computed on. Default 4,000.
	SilhouetteSample int
	// Roles names the columns the traits read. Zero fields take DefaultRoles().
	Roles Roles
	// Lifecycle holds the lifecycle rules (used for the dormant trait and stored in the
	// model for Model.Lifecycle). Zero fields take DefaultLifecycleRules().
	Lifecycle LifecycleRules
	// PD optionally gives the probability of default of every row of the frame; the risk
	// trait then compares mean PDs instead of delinquency rates.
	PD []float64
	// Logger receives progress at debug level. Nil discards it.
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.Features == nil {
		o.Features = DefaultFeatures()
	} else {
		o.Features = slices.Clone(o.Features)
	}
	if o.Log == nil {
		o.Log = DefaultLog()
	}
	if o.ImputeMax == nil {
		o.ImputeMax = DefaultImputeMax()
	}
	if o.KMin == 0 {
		o.KMin = DefaultKMin
	}
	if o.KMax == 0 {
		o.KMax = DefaultKMax
	}
	o.Roles = o.Roles.withDefaults()
	o.Lifecycle = o.Lifecycle.withDefaults()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case len(o.Features) == 0:
		return o, fmt.Errorf("segment: no features")
	case o.K == 1 || o.K < 0:
		return o, fmt.Errorf("segment: k = %d; segmentation needs at least 2", o.K)
	case o.K == 0 && (o.KMin < 2 || o.KMax < o.KMin):
		return o, fmt.Errorf("segment: k range [%d, %d] is not a range from 2 up", o.KMin, o.KMax)
	}
	for i, f := range o.Features {
		if slices.Contains(o.Features[:i], f) {
			return o, fmt.Errorf("segment: feature %s is listed twice", f)
		}
	}
	return o, nil
}
