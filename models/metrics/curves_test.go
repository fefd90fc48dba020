package metrics_test

import (
	"math"
	"slices"
	"testing"

	"lendscore/models/metrics"
)

func TestKSHandComputed(t *testing.T) {
	// Goods at 1, 2, 3; bads at 2, 4, 5. After each distinct score:
	//   score:   1    2    3    4    5
	//   F_good: 1/3  2/3   1    1    1
	//   F_bad:   0   1/3  1/3  2/3   1
	// The distance peaks at 2/3 after score 3.
	score := []float64{1, 2, 3, 2, 4, 5}
	y := []int8{0, 0, 0, 1, 1, 1}
	got, err := metrics.KS(score, y, metrics.HigherBad)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "KS", got.KS, 2.0/3, 1e-15)
	near(t, "KS score", got.Score, 3, 0)

	// The same ranking as scorecard points (higher = safer): negate.
	pts := []float64{-1, -2, -3, -2, -4, -5}
	got, err = metrics.KS(pts, y, metrics.HigherGood)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "KS higher good", got.KS, 2.0/3, 1e-15)
	near(t, "KS score higher good", got.Score, -3, 0)
}

func TestROCCurveHandComputed(t *testing.T) {
	score := []float64{1, 2, 3, 2, 4, 5}
	y := []int8{0, 0, 0, 1, 1, 1}
	got, err := metrics.ROCCurve(score, y, metrics.HigherBad, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Calling bad every row at least as risky as the threshold.
	want := []metrics.ROCPoint{
		{Threshold: math.Nextafter(5, math.Inf(1)), FPR: 0, TPR: 0},
		{Threshold: 5, FPR: 0, TPR: 1.0 / 3},
		{Threshold: 4, FPR: 0, TPR: 2.0 / 3},
		{Threshold: 3, FPR: 1.0 / 3, TPR: 2.0 / 3},
		{Threshold: 2, FPR: 2.0 / 3, TPR: 1},
		{Threshold: 1, FPR: 1, TPR: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d points, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		near(t, "threshold", got[i].Threshold, want[i].Threshold, 0)
		near(t, "FPR", got[i].FPR, want[i].FPR, 1e-15)
		near(t, "TPR", got[i].TPR, want[i].TPR, 1e-15)
	}
	// The trapezoids under the curve give the AUC: 0 + 0 + 2/9 + 5/18 +
	// 1/3 = 5/6, the Mann-Whitney value (bads 2, 4, 5 over goods 1, 2, 3:
	// 1.5 + 3 + 3 = 7.5 of 9).
	area := 0.0
	for i := 1; i < len(got); i++ {
		area += (got[i].FPR - got[i-1].FPR) * (got[i].TPR + got[i-1].TPR) / 2
	}
	near(t, "area", area, 5.0/6, 1e-15)
	auc, _ := metrics.AUC(score, y, metrics.HigherBad)
	near(t, "AUC", auc, 5.0/6, 1e-15)
}

func TestCurvesAreThinned(t *testing.T) {
	s, y := randomSample(200_000, 3, 1e6)
	ks, err := metrics.KS(s, y, metrics.HigherBad)
	if err != nil {
		t.Fatal(err)
	}
	for _, maxPoints := range []int{0, 4, 50, 200} {
		limit := maxPoints
		if limit == 0 {
			limit = metrics.DefaultCurvePoints
		}
		roc, err := metrics.ROCCurve(s, y, metrics.HigherBad, maxPoints)
		if err != nil {
			t.Fatal(err)
		}
		if len(roc) > limit || len(roc) < limit/2 {
			t.Errorf("ROC with max %d: %d points", limit, len(roc))
		}
		first, last := roc[0], roc[len(roc)-1]
		if first.FPR != 0 || first.TPR != 0 || last.FPR != 1 || last.TPR != 1 {
			t.Errorf("ROC ends %+v %+v", first, last)
		}
		if !slices.IsSortedFunc(roc, func(a, b metrics.ROCPoint) int { return int(math.Copysign(1, a.FPR-b.FPR)) }) {
			t.Errorf("ROC not monotone")
		}
		kc, err := metrics.KSCurve(s, y, metrics.HigherBad, maxPoints)
		if err != nil {
			t.Fatal(err)
		}
		if len(kc) > limit {
			t.Errorf("KS curve with max %d: %d points", limit, len(kc))
		}
		best, at := 0.0, 0.0
		for _, p := range kc {
			if d := math.Abs(p.CumGood - p.CumBad); d > best {
				best, at = d, p.Score
			}
		}
		near(t, "KS on thinned curve", best, ks.KS, 1e-15)
		near(t, "KS score on thinned curve", at, ks.Score, 0)
		if kc[0].Population != 0 || kc[len(kc)-1].Population != 1 {
			t.Errorf("KS curve ends %+v %+v", kc[0], kc[len(kc)-1])
		}
	}
	if _, err := metrics.ROCCurve(s, y, metrics.HigherBad, 3); err == nil {
		t.Errorf("3 points accepted")
	}
}

func TestGainsHandComputed(t *testing.T) {
	// Scores 1…10, bads at 10, 9, 7, 2; two groups. Ranks by decreasing
	// risk are 1…10 and group = ⌊rank·2/11⌋: ranks 1–5 (scores 10…6) form
	// group 1 with bads 10, 9, 7; ranks 6–10 (scores 5…1) group 2 with the
	// bad at 2. Overall bad rate 0.4.
	score := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	y := []int8{0, 1, 0, 0, 0, 0, 1, 0, 1, 1}
	got, err := metrics.Gains(score, y, metrics.HigherBad, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []metrics.GainsRow{
		{Group: 1, MinScore: 6, MaxScore: 10, Rows: 5, Bads: 3, BadRate: 0.6, CumRowShare: 0.5,
			CumBadShare: 0.75, CumGoodShare: 2.0 / 6, Lift: 1.5, CumLift: 1.5},
		{Group: 2, MinScore: 1, MaxScore: 5, Rows: 5, Bads: 1, BadRate: 0.2, CumRowShare: 1,
			CumBadShare: 1, CumGoodShare: 1, Lift: 0.5, CumLift: 1},
	}
	checkGains(t, got, want)

	// Ties stay together: a block of four 5s has mean rank 2.5 → group
	// ⌊2.5·2/11⌋ = 0; six 1s have mean rank 7.5 → ⌊15/11⌋ = 1.
	score = []float64{5, 5, 5, 5, 1, 1, 1, 1, 1, 1}
	y = []int8{1, 1, 0, 1, 0, 0, 1, 0, 0, 0}
	got, err = metrics.Gains(score, y, metrics.HigherBad, 2)
	if err != nil {
		t.Fatal(err)
	}
	want = []metrics.GainsRow{
		{Group: 1, MinScore: 5, MaxScore: 5, Rows: 4, Bads: 3, BadRate: 0.75, CumRowShare: 0.4,
			CumBadShare: 0.75, CumGoodShare: 1.0 / 6, Lift: 1.875, CumLift: 1.875},
		{Group: 2, MinScore: 1, MaxScore: 1, Rows: 6, Bads: 1, BadRate: 1.0 / 6, CumRowShare: 1,
			CumBadShare: 1, CumGoodShare: 1, Lift: 1.0 / 6 / 0.4, CumLift: 1},
	}
	checkGains(t, got, want)

	// One score for everyone: a single group, whatever was asked.
	got, err = metrics.Gains([]float64{3, 3, 3, 3}, []int8{0, 1, 0, 1}, metrics.HigherBad, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Rows != 4 || got[0].Lift != 1 {
		t.Errorf("all tied: %+v", got)
	}
}

func checkGains(t *testing.T, got, want []metrics.GainsRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d groups, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Group != w.Group || g.Rows != w.Rows || g.Bads != w.Bads || g.MinScore != w.MinScore || g.MaxScore != w.MaxScore {
			t.Errorf("group %d = %+v, want %+v", i, g, w)
		}
		near(t, "bad rate", g.BadRate, w.BadRate, 1e-15)
		near(t, "cum rows", g.CumRowShare, w.CumRowShare, 1e-15)
		near(t, "cum bads", g.CumBadShare, w.CumBadShare, 1e-15)
		near(t, "cum goods", g.CumGoodShare, w.CumGoodShare, 1e-15)
		near(t, "lift", g.Lift, w.Lift, 1e-15)
		near(t, "cum lift", g.CumLift, w.CumLift, 1e-15)
	}
}

func TestGainsDecilesOnLargeSample(t *testing.T) {
	s, y := randomSample(100_000, 6, 1e6)
	rows, err := metrics.Gains(s, y, metrics.HigherBad, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 10 {
		t.Fatalf("%d groups, want 10", len(rows))
	}
	total := 0
	for i, r := range rows {
		total += r.Rows
		if r.Rows < 9_900 || r.Rows > 10_100 {
			t.Errorf("group %d has %d rows", i+1, r.Rows)
		}
		if i > 0 && r.MaxScore > rows[i-1].MinScore {
			t.Errorf("groups overlap: %+v after %+v", r, rows[i-1])
		}
	}
	if total != 100_000 || rows[9].CumBadShare != 1 {
		t.Errorf("total %d, last cum share %v", total, rows[9].CumBadShare)
	}
	if !(rows[0].Lift > 1.5 && rows[9].Lift < 0.7) {
		t.Errorf("lifts %v … %v", rows[0].Lift, rows[9].Lift)
	}
}
