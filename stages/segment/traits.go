package segment

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"lendscore/stages/frame"
)

// Thresholds of the traits (see the package documentation).
const (
	// HighPercentile and LowPercentile: a segment whose customers' mean percentile on a
	// trait is at least HighPercentile is high on it, at most LowPercentile low.
	HighPercentile = 0.65
	LowPercentile  = 0.35
	// DormantShare: a segment with at least this share of dormant customers is dormant.
	DormantShare = 0.5
	// MinDigitalCoverage: the channel trait needs a digital share for at least this share
	// of the segment's customers.
	MinDigitalCoverage = 0.5
	// LowRiskRatio and HighRiskRatio: a segment whose mean PD (or delinquency rate) is at
	// most LowRiskRatio times the population's is low risk, at least HighRiskRatio times
	// high risk.
	LowRiskRatio  = 0.5
	HighRiskRatio = 2.0
	// SeriousDelinquencyDays: without PDs, a customer is delinquent when the Delinquency
	// role column exceeds it.
	SeriousDelinquencyDays = 30
)

// Trait levels.
const (
	LevelHigh   = "high"
	LevelMid    = "mid"
	LevelLow    = "low"
	LevelMedium = "medium"

	EngagementEngaged = "engaged"
	EngagementLow     = "low activity"
	EngagementDormant = "dormant"

	ChannelDigital = "digital"
	ChannelBranch  = "branch"

	RiskBasisPD          = "pd"
	RiskBasisDelinquency = "delinquency"
)

// Service tiers.
const (
	TierVIP      = "VIP"
	TierStandard = "standard"
	TierBasic    = "basic"
)

// Traits are the readings of a segment's training profile that its name and tier are
// built from. Scores are null when their columns are absent.
type Traits struct {
	// Value is high, mid or low ("" without value columns); ValueScore is the mean
	// percentile (0–1) of the segment's customers on the value columns, averaged over the
	// columns (the population's is 0.5).
	Value      string   `json:"value"`
	ValueScore OptFloat `json:"value_score"`
	// Engagement is engaged, low activity, dormant or "" (average); EngagementScore is the
	// mean of the frequency percentile and one minus the recency percentile (never paid
	// ranks as the longest recency). DormantShare is the share of dormant customers.
	Engagement      string   `json:"engagement"`
	EngagementScore OptFloat `json:"engagement_score"`
	DormantShare    OptFloat `json:"dormant_share"`
	// Channel is digital, branch or "" (mixed or unknown); DigitalScore is the mean
	// percentile of the digital share among the segment's customers who have one, and
	// DigitalCoverage the share of its customers who have one.
	Channel         string   `json:"channel"`
	DigitalScore    OptFloat `json:"digital_score"`
	DigitalCoverage OptFloat `json:"digital_coverage"`
	// Risk is low, medium or high ("" without evidence); RiskRatio is the segment's mean PD
	// (RiskBasis pd) or share of delinquent customers (RiskBasis delinquency) over the
	// population's.
	Risk      string   `json:"risk"`
	RiskRatio OptFloat `json:"risk_ratio"`
	RiskBasis string   `json:"risk_basis"`
}

// columnSource returns the values of a numeric column, or nil when there is none.
type columnSource func(name string) []float64

// computeTraits reads the traits of the k clusters that labels (0-based) assigns to the
// rows of the columns of col; pd is nil or the PD of each row.
func computeTraits(col columnSource, labels []int32, k int, o Options, pd []float64) []Traits {
	t := make([]Traits, k)
	r := o.Roles
	value := make([]float64, k)
	nValue := 0
	for _, name := range r.Value {
		c := col(name)
		if c == nil {
			continue
		}
		p, _ := meanPercentiles(c, labels, k, false)
		for j := range value {
			value[j] += p[j]
		}
		nValue++
	}
	for j := range t {
		t[j].ValueScore = OptFloat(math.NaN())
		if nValue > 0 {
			t[j].ValueScore = OptFloat(value[j] / float64(nValue))
		}
		t[j].Value = level(float64(t[j].ValueScore), LevelHigh, LevelMid, LevelLow)
	}

	engagement(col, labels, k, o, t)

	digital, coverage := make([]float64, k), make([]float64, k)
	for j := range digital {
		digital[j], coverage[j] = math.NaN(), math.NaN()
	}
	if c := col(r.Digital); c != nil {
		digital, coverage = meanPercentiles(c, labels, k, false)
	}
	for j := range t {
		t[j].DigitalScore, t[j].DigitalCoverage = OptFloat(digital[j]), OptFloat(coverage[j])
		if coverage[j] >= MinDigitalCoverage {
			t[j].Channel = level(digital[j], ChannelDigital, "", ChannelBranch)
		}
	}

	risk(col, labels, k, o, pd, t)
	return t
}

// engagement fills the engagement traits.
func engagement(col columnSource, labels []int32, k int, o Options, t []Traits) {
	score := make([]float64, k)
	parts := 0
	if c := col(o.Roles.Frequency); c != nil {
		p, _ := meanPercentiles(c, labels, k, false)
		for j := range score {
			score[j] += p[j]
		}
		parts++
	}
	if c := col(o.Roles.Recency); c != nil {
		p, _ := meanPercentiles(c, labels, k, true)
		for j := range score {
			score[j] += 1 - p[j]
		}
		parts++
	}
	dormant := make([]float64, k)
	stages, err := lifecycle(col, o.Lifecycle)
	for j := range dormant {
		dormant[j] = math.NaN()
	}
	if err == nil {
		counts := make([]int, k)
		clear(dormant)
		for i, s := range stages {
			counts[labels[i]]++
			if s == StageDormant {
				dormant[labels[i]]++
			}
		}
		for j := range dormant {
			dormant[j] /= float64(counts[j])
		}
	}
	for j := range t {
		t[j].EngagementScore = OptFloat(math.NaN())
		if parts > 0 {
			t[j].EngagementScore = OptFloat(score[j] / float64(parts))
		}
		t[j].DormantShare = OptFloat(dormant[j])
		if dormant[j] >= DormantShare {
			t[j].Engagement = EngagementDormant
		} else {
			t[j].Engagement = level(float64(t[j].EngagementScore), EngagementEngaged, "", EngagementLow)
		}
	}
}

// risk fills the risk traits from pd or, without it, the Delinquency role column.
func risk(col columnSource, labels []int32, k int, o Options, pd []float64, t []Traits) {
	var ind func(i int) float64
	basis := RiskBasisPD
	if pd != nil {
		ind = func(i int) float64 { return pd[i] }
	} else if c := col(o.Roles.Delinquency); c != nil {
		basis = RiskBasisDelinquency
		ind = func(i int) float64 {
			if math.IsNaN(c[i]) {
				return math.NaN()
			}
			if c[i] > SeriousDelinquencyDays {
				return 1
			}
			return 0
		}
	} else {
		for j := range t {
			t[j].RiskRatio = OptFloat(math.NaN())
		}
		return
	}
	sums, counts := make([]float64, k), make([]int, k)
	var total float64
	var n int
	for i, l := range labels {
		v := ind(i)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		sums[l] += v
		counts[l]++
		total += v
		n++
	}
	pop := total / float64(n)
	for j := range t {
		t[j].RiskBasis = basis
		ratio := math.NaN()
		if counts[j] > 0 && pop > 0 {
			ratio = sums[j] / float64(counts[j]) / pop
		}
		t[j].RiskRatio = OptFloat(ratio)
		switch {
		case n > 0 && pop == 0:
			t[j].Risk = LevelLow // no risk anywhere
		case math.IsNaN(ratio):
		case ratio <= LowRiskRatio:
			t[j].Risk = LevelLow
		case ratio >= HighRiskRatio:
			t[j].Risk = LevelHigh
		default:
			t[j].Risk = LevelMedium
		}
	}
}

// level maps a percentile score to high, mid or low ("" for NaN).
func level(score float64, high, mid, low string) string {
	switch {
	case math.IsNaN(score):
		return ""
	case score >= HighPercentile:
		return high
	case score <= LowPercentile:
		return low
	}
	return mid
}

// numeric returns the values of a numeric column of fr, or nil.
func numeric(fr *frame.Frame, name string) []float64 {
	if name == "" {
		return nil
	}
	c := fr.Column(name)
	if c == nil || c.Kind != frame.Numeric {
		return nil
	}
	return c.Num
}

// meanPercentiles returns, for each of the k clusters, the mean percentile of its rows'
// values of v within the whole column, and the share of its rows that have one. The
// percentile of a value is its mid-rank, (#below + #at or below) / 2n, so the population's
// mean is 0.5 and ties share a percentile. Missing (non-finite) values are skipped, or,
// with missingHigh, rank together above every value.
func meanPercentiles(v []float64, labels []int32, k int, missingHigh bool) (mean, coverage []float64) {
	sorted := make([]float64, 0, len(v))
	for _, x := range v {
		if finite(x) {
			sorted = append(sorted, x)
		}
	}
	slices.Sort(sorted)
	// Distinct values with the number of values below each.
	distinct := sorted[:0:0]
	var below []int
	for i, x := range sorted {
		if i == 0 || x != sorted[i-1] {
			distinct = append(distinct, x)
			below = append(below, i)
		}
	}
	below = append(below, len(sorted))
	total := len(sorted)
	if missingHigh {
		total = len(v)
	}
	missingPct := float64(len(sorted)+total) / (2 * float64(total))
	sums, counts, rows := make([]float64, k), make([]int, k), make([]int, k)
	for i, x := range v {
		l := labels[i]
		rows[l]++
		var p float64
		switch {
		case finite(x):
			u, _ := slices.BinarySearch(distinct, x)
			p = float64(below[u]+below[u+1]) / (2 * float64(total))
		case missingHigh:
			p = missingPct
		default:
			continue
		}
		sums[l] += p
		counts[l]++
	}
	mean, coverage = make([]float64, k), make([]float64, k)
	for j := range mean {
		mean[j], coverage[j] = math.NaN(), math.NaN()
		if counts[j] > 0 {
			mean[j] = sums[j] / float64(counts[j])
		}
		if rows[j] > 0 {
			coverage[j] = float64(counts[j]) / float64(rows[j])
		}
	}
	return mean, coverage
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Tier is the service tier of a segment by its value and risk levels:
//
//	value \ risk   low        medium     high
//	high           VIP        VIP        standard
//	mid            standard   standard   basic
//	low            standard   basic      basic
//
// An unknown value counts as mid, an unknown risk as medium.
func Tier(value, risk string) string {
	return [3][3]string{
		{TierVIP, TierVIP, TierStandard},
		{TierStandard, TierStandard, TierBasic},
		{TierStandard, TierBasic, TierBasic},
	}[levelIndex(value, LevelHigh, LevelLow)][levelIndex(risk, LevelLow, LevelHigh)]
}

// levelIndex is 0 for first, 2 for last and 1 for anything else.
func levelIndex(l, first, last string) int {
	switch l {
	case first:
		return 0
	case last:
		return 2
	}
	return 1
}

// baseName builds the name of a segment from its traits: value, engagement, channel and
// risk, the empty ones left out, e.g. "high value, engaged, digital, low risk".
func baseName(t Traits) string {
	var parts []string
	if t.Value != "" {
		parts = append(parts, t.Value+" value")
	}
	if t.Engagement != "" {
		parts = append(parts, t.Engagement)
	}
	if t.Channel != "" {
		parts = append(parts, t.Channel)
	}
	if t.Risk != "" {
		parts = append(parts, t.Risk+" risk")
	}
	return strings.Join(parts, ", ")
}

// uniqueNames returns the base names of the segments (in canonical order, centroids in
// standardised space) made unique. Segments that read alike get, each, a qualifier naming
// the feature on which its centroid stands farthest from the mean of those segments'
// centroids, "(higher tenure)" or "(lower utilisation)"; if that still leaves two alike,
// or a name is empty, the segment number is appended.
func uniqueNames(traits []Traits, centroids [][]float64, features []Feature) []string {
	names := make([]string, len(traits))
	for j, t := range traits {
		names[j] = baseName(t)
	}
	groups := map[string][]int{}
	for j, n := range names {
		groups[n] = append(groups[n], j)
	}
	for _, g := range groups {
		if len(g) < 2 {
			continue
		}
		d := len(features)
		mean := make([]float64, d)
		for _, j := range g {
			for t := range mean {
				mean[t] += centroids[j][t] / float64(len(g))
			}
		}
		for _, j := range g {
			best, bestGap := 0, -1.0
			for t := range mean {
				if gap := math.Abs(centroids[j][t] - mean[t]); gap > bestGap {
					best, bestGap = t, gap
				}
			}
			if bestGap == 0 {
				continue // nothing tells it apart: the segment number will
			}
			dir := "higher"
			if centroids[j][best] < mean[best] {
				dir = "lower"
			}
			names[j] += " (" + dir + " " + featureLabel(features[best].Name) + ")"
		}
	}
	seen := map[string]int{}
	for _, n := range names {
		seen[n]++
	}
	for j, n := range names {
		if n == "" {
			names[j] = "segment " + strconv.Itoa(j+1)
		} else if seen[n] > 1 {
			names[j] = n + " (segment " + strconv.Itoa(j+1) + ")"
		}
	}
	return names
}

// featureLabel is the reader's word for a feature-table column in a name qualifier.
func featureLabel(name string) string {
	known := map[string]string{
		"recency_days":            "days since payment",
		"tenure_months":           "tenure",
		"n_products":              "products",
		"days_since_last_contact": "days since contact",
	}
	if l, ok := known[name]; ok {
		return l
	}
	l := strings.TrimPrefix(name, "n_")
	l = strings.TrimPrefix(l, "mean_")
	if i := strings.LastIndexByte(l, '_'); i > 0 && strings.HasSuffix(l, "m") {
		if _, err := strconv.Atoi(l[i+1 : len(l)-1]); err == nil {
			l = l[:i] // a window suffix such as _12m
		}
	}
	return strings.ReplaceAll(l, "_", " ")
}

// canonicalOrder returns the clusters in segment order: by descending value score
// (missing last), then by centroid coordinates ascending, then by index.
func canonicalOrder(traits []Traits, centroids [][]float64) []int {
	order := make([]int, len(traits))
	for j := range order {
		order[j] = j
	}
	slices.SortStableFunc(order, func(a, b int) int {
		va, vb := float64(traits[a].ValueScore), float64(traits[b].ValueScore)
		switch {
		case math.IsNaN(va) && !math.IsNaN(vb):
			return 1
		case !math.IsNaN(va) && math.IsNaN(vb):
			return -1
		case va != vb && !math.IsNaN(va):
			return cmp.Compare(vb, va)
		}
		return slices.Compare(centroids[a], centroids[b])
	})
	return order
}
