package segment

import (
	"math"
	"slices"
	"testing"
)

func TestFitFeature(t *testing.T) {
	nan := math.NaN()
	// 1, 2, 3: mean 2, population variance (1 + 0 + 1) / 3, one missing in four.
	f, err := fitFeature("x", false, false, []float64{1, nan, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if f.Mean != 2 || math.Abs(f.Std-math.Sqrt(2.0/3)) > 1e-15 || f.MissingShare != 0.25 || f.Missing != ImputeMean {
		t.Errorf("fitted %+v", f)
	}
	if z := f.Standardise(nan); z != 0 {
		t.Errorf("missing z = %v, want 0", z)
	}
	if z := f.Standardise(math.Inf(1)); z != 0 {
		t.Errorf("infinite z = %v, want 0", z)
	}
	if z := f.Standardise(3); math.Abs(z-math.Sqrt(1.5)) > 1e-15 {
		t.Errorf("z(3) = %v, want √1.5", z)
	}
	// Impute max: the largest value, 3, has z = √1.5.
	f, _ = fitFeature("x", false, true, []float64{1, nan, 2, 3})
	if z := f.Standardise(nan); math.Abs(z-math.Sqrt(1.5)) > 1e-15 || f.Missing != ImputeMax {
		t.Errorf("missing z with impute max = %v, want √1.5", z)
	}
	// Log: t(e − 1) = 1, t(e² − 1) = 2, t(−(e − 1)) = −1: mean 2/3.
	e := math.E
	f, _ = fitFeature("m", true, false, []float64{e - 1, e*e - 1, -(e - 1)})
	if math.Abs(f.Mean-2.0/3) > 1e-15 {
		t.Errorf("log mean %v, want 2/3", f.Mean)
	}
	for _, x := range []float64{0, 5, 12345.5, -7} {
		if back := f.Original(f.Standardise(x)); math.Abs(back-x) > 1e-9*math.Max(1, math.Abs(x)) {
			t.Errorf("Original(Standardise(%v)) = %v", x, back)
		}
	}
	// A constant feature has std 1 and z 0.
	f, _ = fitFeature("c", false, false, []float64{4, 4})
	if f.Std != 1 || f.Standardise(4) != 0 {
		t.Errorf("constant feature %+v", f)
	}
}

func TestLifecycle(t *testing.T) {
	nan := math.NaN()
	// Columns: tenure, recency, frequency (12 months), frequency_3m.
	rows := []struct {
		tenure, recency, freq, recent float64
		want, wantTrend               string
	}{
		{3, nan, 0, 0, StageNew, StageNew},               // new even without payments
		{5.9, 10, 4, 1, StageNew, StageNew},              //
		{30, nan, 0, 0, StageDormant, StageDormant},      // never paid
		{30, 181, 2, 0, StageDormant, StageDormant},      // no payment for 181 days
		{30, 180, 12, 0, StageDeclining, StageDeclining}, // 180 > 45 and > 2 × 30.4
		{30, 70, 12, 3, StageDeclining, StageActive},     // 70 > 2 × 30.4; 3 × 4 = 12 ≥ 6
		{30, 60, 12, 3, StageActive, StageActive},        // 60 < 2 × 30.4 = 60.87
		{30, 100, 6, 2, StageActive, StageActive},        // 100 < 2 × 60.9; 8 ≥ 3
		{30, 20, 12, 1, StageActive, StageDeclining},     // 1 × 4 = 4 < 0.5 × 12
		{70, 20, 12, 3, StageMature, StageMature},        //
		{70, 100, 12, 3, StageDeclining, StageMature},    // declining before mature
		{nan, 20, 12, 3, StageActive, StageActive},       // unknown tenure
		{60, 20, 12, 3, StageMature, StageMature},        // 60 months is mature
		{30, 40, 1, 0, StageActive, StageDeclining},      // 40 < 45 days; 0 < 0.5
		{30, 10, 0, nan, StageDeclining, StageDeclining}, // frequency 0 counts as declining
	}
	cols := map[string][]float64{}
	for _, r := range rows {
		cols["tenure_months"] = append(cols["tenure_months"], r.tenure)
		cols["recency_days"] = append(cols["recency_days"], r.recency)
		cols["frequency_12m"] = append(cols["frequency_12m"], r.freq)
		cols["frequency_3m"] = append(cols["frequency_3m"], r.recent)
	}
	fr := newFrame(t, []string{"tenure_months", "recency_days", "frequency_12m", "frequency_3m"}, cols)
	got, err := Lifecycle(fr, LifecycleRules{})
	if err != nil {
		t.Fatal(err)
	}
	trend, err := Lifecycle(fr, LifecycleRules{RecentFrequency: "frequency_3m"})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if got[i] != r.want {
			t.Errorf("row %d %+v: %s, want %s", i, r, got[i], r.want)
		}
		// The last row's frequency_3m is missing: the trend rule cannot call it declining
		// (the recency rule is not used when a recent-frequency column is given).
		want := r.wantTrend
		if i == len(rows)-1 {
			want = StageActive
		}
		if trend[i] != want {
			t.Errorf("row %d %+v with frequency_3m: %s, want %s", i, r, trend[i], want)
		}
	}
	if _, err := Lifecycle(fr, LifecycleRules{Tenure: "nope"}); err == nil {
		t.Error("an absent column was accepted")
	}
}

func TestMeanPercentiles(t *testing.T) {
	nan := math.NaN()
	// Values 1, 2, 2, 3 have mid-rank percentiles (0+1)/8, (1+3)/8, (1+3)/8, (3+4)/8 =
	// 0.125, 0.5, 0.5, 0.875. Cluster 0 holds 1 and 2: 0.3125; cluster 1 holds 2 and 3:
	// 0.6875.
	mean, cov := meanPercentiles([]float64{1, 2, 2, 3}, []int32{0, 0, 1, 1}, 2, false)
	if !slices.Equal(mean, []float64{0.3125, 0.6875}) || !slices.Equal(cov, []float64{1, 1}) {
		t.Errorf("mean %v coverage %v", mean, cov)
	}
	// With a missing value: skipped it leaves 1, 3 at 0.25, 0.75; ranked high, the
	// missing value takes (3+4)/8 = 0.875 of 4 and 1, 3 take 0.125, 0.375.
	v, l := []float64{1, nan, 3, 5}, []int32{0, 0, 1, 2}
	mean, cov = meanPercentiles(v, l, 3, false)
	if !slices.Equal(mean, []float64{1.0 / 6, 0.5, 5.0 / 6}) || !slices.Equal(cov, []float64{0.5, 1, 1}) {
		t.Errorf("skipping: mean %v coverage %v", mean, cov)
	}
	mean, _ = meanPercentiles(v, l, 3, true)
	if !slices.Equal(mean, []float64{(0.125 + 0.875) / 2, 0.375, 0.625}) {
		t.Errorf("missing high: mean %v", mean)
	}
}

func TestTier(t *testing.T) {
	want := map[[2]string]string{
		{"high", "low"}: TierVIP, {"high", "medium"}: TierVIP, {"high", "high"}: TierStandard,
		{"mid", "low"}: TierStandard, {"mid", "medium"}: TierStandard, {"mid", "high"}: TierBasic,
		{"low", "low"}: TierStandard, {"low", "medium"}: TierBasic, {"low", "high"}: TierBasic,
		{"", ""}: TierStandard, {"high", ""}: TierVIP, {"", "high"}: TierBasic,
	}
	for in, w := range want {
		if got := Tier(in[0], in[1]); got != w {
			t.Errorf("Tier(%q, %q) = %s, want %s", in[0], in[1], got, w)
		}
	}
}

func TestUniqueNames(t *testing.T) {
	same := Traits{Value: LevelHigh, Risk: LevelLow}
	features := []Feature{{Name: "tenure_months"}, {Name: "utilisation"}, {Name: "frequency_12m"}}
	traits := []Traits{same, same, {Value: LevelLow, Risk: LevelHigh}, same, {}}
	centroids := [][]float64{
		{2, 0, 0},    // farthest from the three alike on tenure (mean 1): higher tenure
		{1, -1.5, 0}, // on utilisation (mean −0.5): lower utilisation
		{0, 0, 0},
		{0, 0, 1}, // tenure 0 vs 1 and frequency 1 vs 1/3: the tenure gap is larger
		{0, 0, 0},
	}
	got := uniqueNames(traits, centroids, features)
	want := []string{
		"high value, low risk (higher tenure)",
		"high value, low risk (lower utilisation)",
		"low value, high risk",
		"high value, low risk (lower tenure)",
		"segment 5",
	}
	if !slices.Equal(got, want) {
		t.Errorf("names\n%q\nwant\n%q", got, want)
	}
	// Nothing tells them apart: the segment number decides.
	got = uniqueNames([]Traits{same, same}, [][]float64{{1, 0, 0}, {1, 0, 0}}, features)
	if !slices.Equal(got, []string{"high value, low risk (segment 1)", "high value, low risk (segment 2)"}) {
		t.Errorf("identical centroids: %q", got)
	}
	for name, want := range map[string]string{
		"frequency_12m": "frequency", "mean_satisfaction_12m": "satisfaction", "n_loans_active": "loans active",
		"digital_share_12m": "digital share", "recency_days": "days since payment", "utilisation": "utilisation",
	} {
		if got := featureLabel(name); got != want {
			t.Errorf("featureLabel(%s) = %q, want %q", name, got, want)
		}
	}
}

func TestCanonicalOrder(t *testing.T) {
	nan := OptFloat(math.NaN())
	traits := []Traits{{ValueScore: 0.2}, {ValueScore: nan}, {ValueScore: 0.9}, {ValueScore: 0.2}}
	centroids := [][]float64{{1, 0}, {0, 0}, {5, 5}, {0, 3}}
	// 0.9 first; the two 0.2 by centroid (0,3) before (1,0); missing value last.
	if got := canonicalOrder(traits, centroids); !slices.Equal(got, []int{2, 3, 0, 1}) {
		t.Errorf("order %v", got)
	}
}
