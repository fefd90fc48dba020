package binning

import (
	"fmt"
	"math"
)

// Kind says whether a variable is numeric or categorical.
type Kind string

// The kinds of variable.
const (
	Numeric     Kind = "numeric"
	Categorical Kind = "categorical"
)

// Trend is the shape of the event rate (share of bads) along the bins.
// [Config.Trend] asks for a shape; [Variable.Trend] reports the shape found.
type Trend string

// The shapes of the event rate. Auto is only a request; Flat and None are only
// reported (one bin, and a manual binning that is neither monotone nor
// unimodal).
const (
	TrendAuto       Trend = "auto"
	TrendAscending  Trend = "ascending"
	TrendDescending Trend = "descending"
	TrendPeak       Trend = "peak"
	TrendValley     Trend = "valley"
	TrendFlat       Trend = "flat"
	TrendNone       Trend = "none"
)

// MaxPreBins bounds [Config.PreBins]; the exact search costs O(PreBins³·MaxBins).
const MaxPreBins = 100

// Config holds the settings of one binning. Start from [DefaultConfig]; the
// zero value is not valid.
type Config struct {
	// PreBins is the number of quantile pre-bins of a numeric variable and the
	// largest number of categories (rare group included) of a categorical one.
	PreBins int `json:"pre_bins"`
	// MaxBins is the largest number of regular bins (missing and special bins
	// not counted).
	MaxBins int `json:"max_bins"`
	// MinBinShare is the smallest share of all rows a regular bin may hold.
	MinBinShare float64 `json:"min_bin_share"`
	// MinGoods and MinBads are the smallest (weighted) numbers of goods and bads
	// a regular bin may hold.
	MinGoods float64 `json:"min_goods"`
	MinBads  float64 `json:"min_bads"`
	// Trend is the required shape of the event rate of a numeric variable.
	Trend Trend `json:"trend"`
	// TrendMargin is how much more IV (relative) a peak or valley needs over
	// the best monotone binning to be chosen under TrendAuto.
	TrendMargin float64 `json:"trend_margin"`
	// Alpha is the significance level of the test between neighbouring bins:
	// two neighbours whose event rates differ with p > Alpha must be merged.
	// 1 switches the test off.
	Alpha float64 `json:"alpha"`
	// RareShare is the share below which a category is pooled into the rare
	// ("other") group before the search.
	RareShare float64 `json:"rare_share"`
	// Special lists numeric codes (e.g. -1, 9999) that are not amounts but
	// states: they never make edges and get their own bins.
	Special []float64 `json:"special,omitempty"`
	// Smoothing is added to the goods and bads of every non-empty bin when
	// computing WOE; see the package documentation.
	Smoothing float64 `json:"smoothing"`
}

// DefaultConfig returns the recommended settings: 20 pre-bins, at most 8 bins,
// 5% minimum share, one good and one bad per bin, automatic trend with a 10%
// margin for peaks and valleys, significance level 0.3, rare categories below
// 2%, smoothing 0.5, no special values.
func DefaultConfig() Config {
	return Config{
		PreBins:     20,
		MaxBins:     8,
		MinBinShare: 0.05,
		MinGoods:    1,
		MinBads:     1,
		Trend:       TrendAuto,
		TrendMargin: 0.1,
		Alpha:       0.3,
		RareShare:   0.02,
		Smoothing:   0.5,
	}
}

// Validate reports the first impossible setting, naming its field.
func (c Config) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("binning: config %s = %v: %s", field, v, want)
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case c.PreBins < 2 || c.PreBins > MaxPreBins:
		return bad("PreBins", c.PreBins, fmt.Sprintf("must be in [2, %d]", MaxPreBins))
	case c.MaxBins < 1:
		return bad("MaxBins", c.MaxBins, "must be at least 1")
	case !(c.MinBinShare >= 0 && c.MinBinShare < 1):
		return bad("MinBinShare", c.MinBinShare, "must be in [0, 1)")
	case !(c.MinGoods >= 0) || !finite(c.MinGoods):
		return bad("MinGoods", c.MinGoods, "must be finite and not negative")
	case !(c.MinBads >= 0) || !finite(c.MinBads):
		return bad("MinBads", c.MinBads, "must be finite and not negative")
	case !(c.TrendMargin >= 0) || !finite(c.TrendMargin):
		return bad("TrendMargin", c.TrendMargin, "must be finite and not negative")
	case !(c.Alpha > 0 && c.Alpha <= 1):
		return bad("Alpha", c.Alpha, "must be in (0, 1]")
	case !(c.RareShare >= 0 && c.RareShare < 1):
		return bad("RareShare", c.RareShare, "must be in [0, 1)")
	case !(c.Smoothing >= 0) || !finite(c.Smoothing):
		return bad("Smoothing", c.Smoothing, "must be finite and not negative")
	}
	switch c.Trend {
	case TrendAuto, TrendAscending, TrendDescending, TrendPeak, TrendValley:
	default:
		return bad("Trend", fmt.Sprintf("%q", c.Trend), "must be auto, ascending, descending, peak or valley")
	}
	if err := checkSpecial(c.Special); err != nil {
		return fmt.Errorf("binning: config Special: %w", err)
	}
	return nil
}

// checkSpecial reports a special value that is not finite or is repeated.
func checkSpecial(special []float64) error {
	for i, s := range special {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return fmt.Errorf("value %v is not finite (NaN is always missing)", s)
		}
		for _, t := range special[:i] {
			if s == t {
				return fmt.Errorf("value %v is listed twice", s)
			}
		}
	}
	return nil
}
