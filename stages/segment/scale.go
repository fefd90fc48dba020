package segment

import (
	"fmt"
	"math"
)

// Feature is one segmentation feature and its standardisation, fitted on the training
// population: z = (t(x) − Mean) / Std, with t(x) = sign(x)·ln(1 + |x|) when Log is set and
// t(x) = x otherwise. A missing (NaN) or infinite x gets z = MissingZ: 0, the fitted mean,
// unless Missing is "max", for a feature whose missing value means "never" (the days since
// an event that has not happened), which takes the z-score of the largest training value.
type Feature struct {
	Name string `json:"name"`
	// Log says whether the value is log-transformed before standardising.
	Log bool `json:"log1p"`
	// Missing is how a missing value is imputed, "mean" or "max", and MissingZ the z-score
	// it gets.
	Missing  string  `json:"missing"`
	MissingZ float64 `json:"missing_z"`
	// Mean and Std (population standard deviation) of the transformed finite training
	// values. Std is 1 when they are all equal, so the feature contributes nothing.
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	// MissingShare is the share of training rows without a finite value.
	MissingShare float64 `json:"missing_share"`
}

// signedLog1p is sign(x)·ln(1 + |x|): ln(1 + x) for amounts, symmetric for the rare
// negative one (a credit balance) so that it stays defined.
func signedLog1p(x float64) float64 {
	if x < 0 {
		return -math.Log1p(-x)
	}
	return math.Log1p(x)
}

// Ways of imputing a missing value.
const (
	ImputeMean = "mean"
	ImputeMax  = "max"
)

// fitFeature computes the standardisation of one column.
func fitFeature(name string, log, imputeMax bool, v []float64) (Feature, error) {
	f := Feature{Name: name, Log: log, Missing: ImputeMean}
	var n int
	var sum float64
	largest := math.Inf(-1)
	for _, x := range v {
		if t, ok := f.transform(x); ok {
			sum += t
			n++
			largest = max(largest, t)
		}
	}
	if n == 0 {
		return f, fmt.Errorf("feature %s: no value in %d rows", name, len(v))
	}
	mean := sum / float64(n)
	var ss float64
	for _, x := range v {
		if t, ok := f.transform(x); ok {
			ss += (t - mean) * (t - mean)
		}
	}
	f.Mean = mean
	f.Std = math.Sqrt(ss / float64(n))
	if !(f.Std > 0) {
		f.Std = 1
	}
	f.MissingShare = float64(len(v)-n) / float64(len(v))
	if imputeMax {
		f.Missing = ImputeMax
		f.MissingZ = (largest - f.Mean) / f.Std
	}
	return f, nil
}

// transform returns t(x) and whether x is finite.
func (f *Feature) transform(x float64) (float64, bool) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, false
	}
	if f.Log {
		return signedLog1p(x), true
	}
	return x, true
}

// Standardise returns the z-score of x (MissingZ when x is missing or infinite).
func (f *Feature) Standardise(x float64) float64 {
	t, ok := f.transform(x)
	if !ok {
		return f.MissingZ
	}
	return (t - f.Mean) / f.Std
}

// Original maps a z-score back to the original units: the inverse of Standardise.
func (f *Feature) Original(z float64) float64 {
	t := z*f.Std + f.Mean
	if !f.Log {
		return t
	}
	if t < 0 {
		return -math.Expm1(-t)
	}
	return math.Expm1(t)
}
