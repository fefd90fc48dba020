package binning

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// synthetic draws n rows with x uniform on [0, 100) and P(bad | x) = risk(x).
func synthetic(n int, seed uint64, risk func(x float64) float64) ([]float64, []int8) {
	r := rand.New(rand.NewPCG(seed, 7))
	x := make([]float64, n)
	y := make([]int8, n)
	for i := range x {
		x[i] = math.Floor(r.Float64()*1000) / 10
		if r.Float64() < risk(x[i]) {
			y[i] = 1
		}
	}
	return x, y
}

func eventRates(bins []Bin) []float64 {
	var r []float64
	for _, b := range bins {
		r = append(r, b.EventRate)
	}
	return r
}

func TestWOEHandComputed(t *testing.T) {
	counts := func(goods, bads []float64) *Counts {
		return &Counts{Kind: Numeric, Edges: []float64{10}, Goods: goods, Bads: bads}
	}
	ln := math.Log
	for _, tc := range []struct {
		name          string
		c             *Counts
		smoothing     float64
		woe           []float64
		iv, smoothUse float64
	}{
		// %good = 3/4, 1/4; %bad = 1/4, 3/4: WOE ±ln 3, IV = 2·(1/2)·ln 3.
		{"unsmoothed", counts([]float64{3, 1}, []float64{1, 3}), 0, []float64{ln(3), -ln(3)}, ln(3), 0},
		// (3.5, 1.5)/5 and (1.5, 3.5)/5: WOE ±ln(7/3), IV = 2·0.4·ln(7/3).
		{"smoothed", counts([]float64{3, 1}, []float64{1, 3}), 0.5, []float64{ln(7.0 / 3), -ln(7.0 / 3)}, 0.8 * ln(7.0/3), 0.5},
		// Empty cells with smoothing 0 fall back to 0.5: (4.5, 0.5)/5 and
		// (0.5, 4.5)/5: WOE ±ln 9, IV = 2·0.8·ln 9.
		{"empty cells", counts([]float64{4, 0}, []float64{0, 4}), 0, []float64{ln(9), -ln(9)}, 1.6 * ln(9), 0.5},
		// Three rows of weight: (2+1)/(3+2) etc. with s = 1:
		// %good = 3/5, 2/5; %bad = 1/3, 2/3 (bads 0 and 1 → 1/3, 2/3).
		{"smoothing 1", counts([]float64{2, 1}, []float64{0, 1}), 1, []float64{ln((3.0 / 5) / (1.0 / 3)), ln((2.0 / 5) / (2.0 / 3))},
			(3.0/5-1.0/3)*ln((3.0/5)/(1.0/3)) + (2.0/5-2.0/3)*ln((2.0/5)/(2.0/3)), 1},
	} {
		cfg := DefaultConfig()
		cfg.Smoothing = tc.smoothing
		v, err := ApplyManual(tc.name, tc.c, Manual{Breaks: []float64{10}}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range tc.woe {
			if math.Abs(v.Bins[i].WOE-w) > 1e-12 {
				t.Errorf("%s: bin %d WOE %.17g, want %.17g", tc.name, i, v.Bins[i].WOE, w)
			}
		}
		if math.Abs(v.IV-tc.iv) > 1e-12 {
			t.Errorf("%s: IV %.17g, want %.17g", tc.name, v.IV, tc.iv)
		}
		if v.Smoothing != tc.smoothUse {
			t.Errorf("%s: smoothing %v, want %v", tc.name, v.Smoothing, tc.smoothUse)
		}
	}
}

func TestEmptyManualBinIsNeutral(t *testing.T) {
	x := []float64{1, 2, 3, 4, 30, 31, 32, 33}
	y := []int8{0, 0, 0, 1, 1, 1, 1, 0}
	cfg := DefaultConfig()
	cfg.Smoothing = 0
	v, err := ManualNumeric("x", x, y, nil, []float64{10, 20}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Bins[1]; got.Count != 0 || got.WOE != 0 || got.IV != 0 || got.Label != "[10, 20)" {
		t.Fatalf("empty bin: %+v", got)
	}
	// The other bins: 3 good 1 bad and 1 good 3 bad, as in the hand case.
	if math.Abs(v.IV-math.Log(3)) > 1e-12 {
		t.Errorf("IV %.17g, want ln 3", v.IV)
	}
}

func TestMonotoneSynthetic(t *testing.T) {
	for _, tc := range []struct {
		name  string
		risk  func(float64) float64
		trend Trend
	}{
		{"ascending", func(x float64) float64 { return 0.05 + 0.4*x/100 }, TrendAscending},
		{"descending", func(x float64) float64 { return 0.5 - 0.4*x/100 }, TrendDescending},
	} {
		x, y := synthetic(20000, 1, tc.risk)
		cfg := DefaultConfig()
		v, err := FitNumeric(tc.name, x, y, nil, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if v.Trend != tc.trend {
			t.Errorf("%s: trend %s", tc.name, v.Trend)
		}
		r := eventRates(v.Bins)
		for i := 1; i < len(r); i++ {
			if (tc.trend == TrendAscending) != (r[i] > r[i-1]) {
				t.Errorf("%s: event rates %v not %s", tc.name, r, tc.trend)
			}
		}
		// A strong linear signal on 20000 rows fills all 8 bins.
		if len(v.Bins) != cfg.MaxBins {
			t.Errorf("%s: %d bins, want %d", tc.name, len(v.Bins), cfg.MaxBins)
		}
		checkConstraints(t, v, cfg)
	}
}

func TestUShapeValleyAndPeak(t *testing.T) {
	u := func(x float64) float64 { return 0.1 + 0.5*math.Pow((x-50)/50, 2) }
	x, y := synthetic(20000, 2, u)
	v, err := FitNumeric("u", x, y, nil, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if v.Trend != TrendValley {
		t.Errorf("U shape: trend %s, event rates %v", v.Trend, eventRates(v.Bins))
	}
	// The same data forced to be monotone is monotone, with a lower IV.
	cfg := DefaultConfig()
	cfg.Trend = TrendAscending
	m, err := FitNumeric("u", x, y, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m.Trend != TrendAscending && m.Trend != TrendFlat {
		t.Errorf("forced ascending: trend %s", m.Trend)
	}
	if m.IV >= v.IV {
		t.Errorf("monotone IV %.4f ≥ valley IV %.4f", m.IV, v.IV)
	}

	for i := range y {
		y[i] = 1 - y[i]
	}
	p, err := FitNumeric("n", x, y, nil, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if p.Trend != TrendPeak {
		t.Errorf("inverted U: trend %s, event rates %v", p.Trend, eventRates(p.Bins))
	}
}

// A slight bend in an otherwise monotone risk is not worth a turn: auto keeps
// the monotone binning unless the peak or valley is clearly better.
func TestAutoPrefersMonotone(t *testing.T) {
	bend := func(x float64) float64 {
		if x > 90 {
			return 0.33 - 0.03*(x-90)/10
		}
		return 0.05 + 0.28*x/90
	}
	x, y := synthetic(20000, 3, bend)
	v, err := FitNumeric("bend", x, y, nil, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if v.Trend != TrendAscending {
		t.Errorf("trend %s, event rates %v", v.Trend, eventRates(v.Bins))
	}
}

func TestMinShareAndMaxBins(t *testing.T) {
	x, y := synthetic(5000, 4, func(x float64) float64 { return 0.02 + 0.5*x/100 })
	for _, tc := range []struct {
		share   float64
		max     int
		atLeast int // a strong signal fills the bins up to the alignment of the pre-bins
		atMost  int
	}{{0.05, 8, 8, 8}, {0.15, 8, 5, 6}, {0.05, 3, 3, 3}, {0.3, 2, 2, 2}, {0.05, 1, 1, 1}} {
		cfg := DefaultConfig()
		cfg.MinBinShare, cfg.MaxBins = tc.share, tc.max
		v, err := FitNumeric("x", x, y, nil, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Bins) < tc.atLeast || len(v.Bins) > tc.atMost {
			t.Errorf("share %v max %d: %d bins, want %d to %d", tc.share, tc.max, len(v.Bins), tc.atLeast, tc.atMost)
		}
		checkConstraints(t, v, cfg)
	}
}

func TestMinGoodsBads(t *testing.T) {
	x, y := synthetic(2000, 5, func(x float64) float64 { return 0.001 + 0.1*x/100 })
	cfg := DefaultConfig()
	cfg.MinBads = 25
	v, err := FitNumeric("x", x, y, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkConstraints(t, v, cfg)
	if len(v.Bins) < 2 {
		t.Errorf("only %d bins", len(v.Bins))
	}
}

func TestSignificance(t *testing.T) {
	// Two halves with event rates 0.30 and 0.32 on 1000 rows: χ² ≈ 0.47, p ≈
	// 0.49, so α = 0.3 keeps one bin and α = 1 splits.
	var x []float64
	var y []int8
	for i := range 1000 {
		x = append(x, float64(i/500))
		bad := (i < 500 && i%100 < 30) || (i >= 500 && i%100 < 32)
		y = append(y, map[bool]int8{true: 1}[bad])
	}
	cfg := DefaultConfig()
	v, err := FitNumeric("x", x, y, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Bins) != 1 || v.Trend != TrendFlat || v.IV != 0 {
		t.Errorf("α = 0.3: %d bins, trend %s, IV %v", len(v.Bins), v.Trend, v.IV)
	}
	cfg.Alpha = 1
	if v, _ = FitNumeric("x", x, y, nil, cfg); len(v.Bins) != 2 {
		t.Errorf("α = 1: %d bins, want 2", len(v.Bins))
	}
	// χ² by hand: N(ad − bc)²/(n1 n2 G B) = 1000·(350·160−340·150)²/(500·500·690·310).
	want := 1000 * math.Pow(350*160-340*150, 2) / (500 * 500 * 690 * 310)
	if got := chiSquare(350, 150, 340, 160); math.Abs(got-want) > 1e-12 {
		t.Errorf("chiSquare %v, want %v", got, want)
	}
	// P(χ²₁ > 3.841458820694124) = 0.05.
	if c := chiSquareCritical(0.05); math.Abs(c-3.841458820694124) > 1e-9 {
		t.Errorf("critical value %v", c)
	}
}

func TestMissingBin(t *testing.T) {
	x, y := synthetic(10000, 6, func(x float64) float64 { return 0.05 + 0.3*x/100 })
	// Large missing group (10%) with a high event rate: its own bin.
	r := rand.New(rand.NewPCG(6, 6))
	for i := range 1000 {
		x[i] = math.NaN()
		y[i] = map[bool]int8{true: 1}[r.Float64() < 0.6]
	}
	v, err := FitNumeric("x", x, y, nil, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	mb := v.Bins[v.MissingBin]
	if mb.Label != "missing" || mb.Interval || !mb.Missing || mb.Count != 1000 || v.MissingBin != len(v.Bins)-1 {
		t.Errorf("missing bin %d: %+v", v.MissingBin, mb)
	}
	if got := v.Index(math.NaN()); got != v.MissingBin {
		t.Errorf("Index(NaN) = %d", got)
	}
	if math.IsNaN(v.Edges[0]) {
		t.Error("NaN edge")
	}

	// Small missing group (0.5%) with the highest event rate: merged into the
	// bin with the nearest event rate, the last one.
	for i := 50; i < 1000; i++ {
		x[i] = float64(i % 100)
	}
	for i := range 50 {
		y[i] = 1
	}
	v, err = FitNumeric("x", x, y, nil, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	last := len(v.Bins) - 1
	if v.MissingBin != last || !v.Bins[last].Missing || !strings.HasSuffix(v.Bins[last].Label, ", missing") || !v.Bins[last].Interval {
		t.Errorf("small missing: bin %d of %d, %+v", v.MissingBin, len(v.Bins), v.Bins[last])
	}

	// No missing values in training: missing is scored in the largest bin.
	v, err = FitNumeric("x", x[1000:], y[1000:], nil, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	largest := 0
	for i, b := range v.Bins {
		if b.Missing {
			t.Errorf("bin %s marked missing", b.Label)
		}
		if b.Count > v.Bins[largest].Count {
			largest = i
		}
	}
	if v.MissingBin != largest {
		t.Errorf("MissingBin %d, largest bin %d", v.MissingBin, largest)
	}
}

func TestSpecialValues(t *testing.T) {
	x, y := synthetic(10000, 8, func(x float64) float64 { return 0.05 + 0.3*x/100 })
	r := rand.New(rand.NewPCG(8, 8))
	// -1 on 15% of rows, event rate 0.5: its own bin. 9999 on 0.4% of rows,
	// event rate 0.1: merged into the bin with the nearest event rate.
	for i := range 1500 {
		x[i] = -1
		y[i] = map[bool]int8{true: 1}[r.Float64() < 0.5]
	}
	for i := 1500; i < 1540; i++ {
		x[i] = 9999
		y[i] = map[bool]int8{true: 1}[i%10 == 0]
	}
	cfg := DefaultConfig()
	cfg.Special = []float64{-1, 9999, -2}
	v, err := FitNumeric("x", x, y, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range v.Edges {
		if e <= 0 || e >= 100 {
			t.Errorf("edge %v comes from a special value", e)
		}
	}
	sb := v.Index(-1)
	if b := v.Bins[sb]; b.Label != "special -1" || b.Count != 1500 || b.Interval {
		t.Errorf("special -1 bin: %+v", b)
	}
	// 9999 (event rate 0.1) joins the regular bin with the nearest rate.
	best, dist := 0, math.Inf(1)
	for i, b := range regularBins(v) {
		if d := math.Abs(b.EventRate - 0.1); d < dist {
			best, dist = i, d
		}
	}
	if got := v.Index(9999); got >= len(regularBins(v)) || !slices.Contains(v.Bins[got].Special, 9999) {
		t.Errorf("9999 in bin %d: %+v", got, v.Bins[got])
	} else if got != best {
		t.Errorf("9999 merged into bin %d, nearest event rate is bin %d", got, best)
	}
	// -2 never occurred: scored like a missing value.
	if got := v.Index(-2); got != v.MissingBin {
		t.Errorf("Index(-2) = %d, MissingBin %d", got, v.MissingBin)
	}
	if v.Count != 10000 {
		t.Errorf("count %v", v.Count)
	}
}

func TestRareAndUnseenCategories(t *testing.T) {
	// A 40% (event rate .1), B 30% (.3), C 22.5% (.5), G 2.5% (.8) and the
	// rare D, E, F (1.5%, 1%, 0.5% < RareShare 2%), pooled into one group.
	var x []string
	var y []int8
	add := func(cat string, n, bads int) {
		for i := range n {
			x = append(x, cat)
			y = append(y, map[bool]int8{true: 1}[i < bads])
		}
	}
	add("A", 4000, 400)
	add("B", 3000, 900)
	add("C", 2250, 1125)
	add("G", 250, 200)
	add("D", 150, 100)
	add("E", 100, 70)
	add("F", 50, 30)
	add("", 200, 20)
	v, err := FitCategorical("c", x, y, nil, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	other := v.IndexCategory("D")
	if v.IndexCategory("E") != other || v.IndexCategory("F") != other {
		t.Errorf("rare categories split: D %d E %d F %d", other, v.IndexCategory("E"), v.IndexCategory("F"))
	}
	if got := v.IndexCategory("never seen"); got != other {
		t.Errorf("unseen category in bin %d, rare group in %d", got, other)
	}
	if v.UnseenBin != other {
		t.Errorf("UnseenBin %d", v.UnseenBin)
	}
	// Bins are ordered by event rate: A first.
	if v.IndexCategory("A") != 0 || !slices.Equal(v.Bins[0].Categories, []string{"A"}) {
		t.Errorf("first bin %+v", v.Bins[0])
	}
	if v.Trend != TrendAscending {
		t.Errorf("trend %s", v.Trend)
	}
	// Missing (2%, rate .1) is too small for its own bin: it joins A.
	if v.IndexCategory("") != 0 || v.Bins[0].Label != "{A}, missing" {
		t.Logf("bins: %+v", v.Bins)
		t.Errorf("missing in bin %d", v.IndexCategory(""))
	}
	for _, b := range v.Bins {
		if math.IsNaN(b.WOE) || math.IsInf(b.WOE, 0) {
			t.Errorf("bin %s WOE %v", b.Label, b.WOE)
		}
	}

	// Without rare categories an unseen one goes to the largest bin.
	v, err = FitCategorical("c", x[:9250], y[:9250], nil, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.IndexCategory("never seen"), v.IndexCategory("A"); got != want {
		t.Errorf("unseen in bin %d, largest (A) is %d", got, want)
	}
}

func TestManualBreaks(t *testing.T) {
	x := []float64{1, 5, 5, 10, 12, 20, 25, math.NaN(), -1, 30}
	y := []int8{0, 1, 0, 0, 1, 1, 0, 1, 0, 1}
	cfg := DefaultConfig()
	cfg.Special = []float64{-1}
	cfg.MinBinShare = 0
	v, err := ManualNumeric("x", x, y, nil, []float64{5, 20}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// [−inf,5): {1} · [5,20): {5,5,10,12} · [20,inf): {20,25,30}; missing (1
	// bad) and −1 (1 good) have an empty cell, so they are merged by event
	// rate: missing (1.0) into [20, inf) (2/3), −1 (0.0) into [−inf, 5) (0).
	want := []struct {
		label       string
		goods, bads float64
	}{
		{"[-inf, 5), special -1", 2, 0},
		{"[5, 20)", 2, 2},
		{"[20, inf), missing", 1, 3},
	}
	if len(v.Bins) != len(want) {
		t.Fatalf("bins %+v", v.Bins)
	}
	for i, w := range want {
		if b := v.Bins[i]; b.Label != w.label || b.Goods != w.goods || b.Bads != w.bads {
			t.Errorf("bin %d: %q %v/%v, want %q %v/%v", i, b.Label, b.Goods, b.Bads, w.label, w.goods, w.bads)
		}
	}
	if !v.Manual || v.Index(5) != 1 || v.Index(4.999) != 0 || v.Index(20) != 2 || v.Index(math.Inf(1)) != 2 {
		t.Errorf("lookup: manual %v, 5→%d 4.999→%d 20→%d", v.Manual, v.Index(5), v.Index(4.999), v.Index(20))
	}

	// ApplyManual needs the breaks among the edges of the counts.
	c, _ := NewNumericCounts([]float64{5, 10, 20}, nil)
	_ = c.AddNumeric([]float64{1, 11}, []int8{0, 1}, nil)
	if _, err := ApplyManual("x", c, Manual{Breaks: []float64{7}}, cfg); err == nil || !strings.Contains(err.Error(), "not an edge") {
		t.Errorf("break off the edges: %v", err)
	}
	for _, bad := range [][]float64{{20, 5}, {5, 5}, {math.NaN()}, {math.Inf(1)}} {
		if _, err := ManualNumeric("x", x, y, nil, bad, cfg); err == nil {
			t.Errorf("breaks %v accepted", bad)
		}
	}
}

func TestManualGroups(t *testing.T) {
	x := []string{"a", "b", "c", "d", "a", "b", "c", "d", "e", ""}
	y := []int8{0, 1, 0, 1, 0, 1, 1, 0, 1, 0}
	cfg := DefaultConfig()
	cfg.MinBinShare = 0
	v, err := ManualCategorical("g", x, y, nil, [][]string{{"c", "a"}, {"b"}, {"z"}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	labels := []string{}
	for _, b := range v.Bins {
		labels = append(labels, b.Label)
	}
	// Groups in the given order, then the unlisted d and e; the missing row
	// (one good) is merged into the bin of event rate nearest to 0: {c, a}
	// (rate 1/4).
	want := []string{"{c, a}, missing", "{b}", "{z}", "{d, e}"}
	if !slices.Equal(labels, want) {
		t.Errorf("labels %q, want %q", labels, want)
	}
	if v.UnseenBin != 3 || v.IndexCategory("new") != 3 || v.IndexCategory("z") != 2 {
		t.Errorf("unseen %d, new→%d, z→%d", v.UnseenBin, v.IndexCategory("new"), v.IndexCategory("z"))
	}
	if v.Bins[2].Count != 0 || v.Bins[2].WOE != 0 {
		t.Errorf("empty group: %+v", v.Bins[2])
	}
	for _, groups := range [][][]string{{{"a"}, {"a"}}, {{}}, {{""}}} {
		if _, err := ManualCategorical("g", x, y, nil, groups, cfg); err == nil {
			t.Errorf("groups %q accepted", groups)
		}
	}
}

func TestDegenerateInputs(t *testing.T) {
	nan := math.NaN()
	cfg := DefaultConfig()
	for _, tc := range []struct {
		name string
		x    []float64
		y    []int8
	}{
		{"all missing", []float64{nan, nan, nan}, []int8{0, 1, 0}},
		{"one value", []float64{3, 3, 3, 3}, []int8{0, 1, 0, 0}},
		{"no bads", []float64{1, 2, 3, 4, 5, 6}, []int8{0, 0, 0, 0, 0, 0}},
		{"no goods", []float64{1, 2, 3, 4, 5, 6}, []int8{1, 1, 1, 1, 1, 1}},
		{"infinities", []float64{math.Inf(-1), 1, 2, math.Inf(1), math.Inf(1)}, []int8{0, 1, 0, 1, 1}},
	} {
		v, err := FitNumeric(tc.name, tc.x, tc.y, nil, cfg)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		for _, b := range v.Bins {
			if math.IsNaN(b.WOE) || math.IsInf(b.WOE, 0) || math.IsNaN(b.IV) {
				t.Errorf("%s: bin %s WOE %v IV %v", tc.name, b.Label, b.WOE, b.IV)
			}
		}
		for _, x := range []float64{nan, -5, 0, 3, 1e300, math.Inf(1)} {
			if i := v.Index(x); i < 0 || i >= len(v.Bins) {
				t.Errorf("%s: Index(%v) = %d", tc.name, x, i)
			}
		}
		if _, err := json.Marshal(v); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if _, err := FitNumeric("empty", nil, nil, nil, cfg); err == nil {
		t.Error("no rows accepted")
	}
	if _, err := FitNumeric("zero weight", []float64{1}, []int8{1}, []float64{0}, cfg); err == nil {
		t.Error("zero total weight accepted")
	}
	many := make([]float64, MaxPreBins)
	for i := range many {
		many[i] = float64(i)
	}
	if c, _ := NewNumericCounts(many, nil); c != nil {
		_ = c.AddNumeric(many, make([]int8, len(many)), nil)
		if _, err := FitCounts("many", c, cfg); err == nil || !strings.Contains(err.Error(), "at most 100") {
			t.Errorf("%d pre-bins: %v", MaxPreBins+1, err)
		}
	}
	if _, err := FitCategorical("empty", []string{"", ""}, []int8{0, 1}, nil, cfg); err != nil {
		t.Errorf("all-missing categorical: %v", err)
	}
}

func TestInvalidRows(t *testing.T) {
	cfg := DefaultConfig()
	for _, tc := range []struct {
		name string
		y    []int8
		w    []float64
		want string
	}{
		{"label", []int8{0, 2}, nil, "label 2 at row 1"},
		{"short labels", []int8{0}, nil, "2 values but 1 labels"},
		{"weight", []int8{0, 1}, []float64{1, -1}, "weight -1 at row 1"},
		{"NaN weight", []int8{0, 1}, []float64{math.NaN(), 1}, "weight NaN at row 0"},
		{"short weights", []int8{0, 1}, []float64{1}, "2 values but 1 weights"},
	} {
		_, err := FitNumeric("v", []float64{1, 2}, tc.y, tc.w, cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "bin v: ") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// A failed Add leaves the counts untouched.
	c, _ := NewNumericCounts([]float64{1}, nil)
	_ = c.AddNumeric([]float64{0, 2}, []int8{0, 1}, nil)
	if err := c.AddNumeric([]float64{0, 2}, []int8{1, 5}, nil); err == nil {
		t.Fatal("bad label accepted")
	}
	if !slices.Equal(c.Goods, []float64{1, 0}) || !slices.Equal(c.Bads, []float64{0, 1}) {
		t.Errorf("counts changed: %v %v", c.Goods, c.Bads)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		field string
		mod   func(*Config)
	}{
		{"PreBins", func(c *Config) { c.PreBins = 1 }},
		{"PreBins", func(c *Config) { c.PreBins = MaxPreBins + 1 }},
		{"MaxBins", func(c *Config) { c.MaxBins = 0 }},
		{"MinBinShare", func(c *Config) { c.MinBinShare = 1 }},
		{"MinBinShare", func(c *Config) { c.MinBinShare = math.NaN() }},
		{"MinGoods", func(c *Config) { c.MinGoods = -1 }},
		{"MinBads", func(c *Config) { c.MinBads = math.Inf(1) }},
		{"TrendMargin", func(c *Config) { c.TrendMargin = -0.1 }},
		{"Alpha", func(c *Config) { c.Alpha = 0 }},
		{"Alpha", func(c *Config) { c.Alpha = 1.5 }},
		{"RareShare", func(c *Config) { c.RareShare = -0.01 }},
		{"Smoothing", func(c *Config) { c.Smoothing = -1 }},
		{"Trend", func(c *Config) { c.Trend = "flat" }},
		{"Special", func(c *Config) { c.Special = []float64{math.NaN()} }},
		{"Special", func(c *Config) { c.Special = []float64{-1, -1} }},
	} {
		cfg := DefaultConfig()
		tc.mod(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "config "+tc.field+" ") && !strings.Contains(err.Error(), "config "+tc.field+":") {
			t.Errorf("%s: %v", tc.field, err)
		}
		if _, err := FitNumeric("v", []float64{1, 2}, []int8{0, 1}, nil, cfg); err == nil {
			t.Errorf("%s: FitNumeric accepted the config", tc.field)
		}
	}
	if err := (Config{}).Validate(); err == nil {
		t.Error("zero Config accepted")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	x, y := synthetic(5000, 9, func(x float64) float64 { return 0.05 + 0.3*x/100 })
	for i := 0; i < 600; i += 2 {
		x[i] = math.NaN()
	}
	x[1], x[3] = -1, -1
	cfg := DefaultConfig()
	cfg.Special = []float64{-1}
	num, err := FitNumeric("num", x, y, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cats := []string{"a", "b", "c", "d", "e", "f", "g", ""}
	xs := make([]string, len(x))
	for i := range xs {
		xs[i] = cats[int(x[i]/13)%len(cats)]
		if math.IsNaN(x[i]) {
			xs[i] = "r"
		}
	}
	cat, err := FitCategorical("cat", xs, y, nil, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []*Variable{num, cat} {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("Inf")) || bytes.Contains(data, []byte("NaN")) {
			t.Errorf("%s: %s", v.Name, data)
		}
		var back Variable
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		again, _ := json.Marshal(&back)
		if !bytes.Equal(data, again) {
			t.Errorf("%s: JSON changed in a round trip:\n%s\n%s", v.Name, data, again)
		}
		if !math.IsInf(back.Bins[0].Lower, -1) && v.Kind == Numeric {
			t.Errorf("%s: first lower bound %v", v.Name, back.Bins[0].Lower)
		}
		for _, x := range []float64{math.NaN(), -1, -2, 0, 3.3, 50, 99.9, 1e9} {
			if back.Index(x) != v.Index(x) {
				t.Errorf("%s: Index(%v) %d after round trip, %d before", v.Name, x, back.Index(x), v.Index(x))
			}
		}
		for _, s := range append(cats, "r", "unseen") {
			if back.IndexCategory(s) != v.IndexCategory(s) {
				t.Errorf("%s: IndexCategory(%q) changed", v.Name, s)
			}
		}
		// A Variable built by hand (no lookups prepared) scores the same.
		plain := Variable{Name: back.Name, Kind: back.Kind, Edges: back.Edges, Special: back.Special,
			Bins: back.Bins, MissingBin: back.MissingBin, UnseenBin: back.UnseenBin}
		for _, s := range append(cats, "r", "unseen", "-1", "x") {
			if plain.IndexCategory(s) != v.IndexCategory(s) {
				t.Errorf("%s: hand-built IndexCategory(%q) = %d, want %d", v.Name, s, plain.IndexCategory(s), v.IndexCategory(s))
			}
		}
	}
	for _, bad := range []string{
		`{"kind":"numeric","bins":[{"label":"x"}],"missing_bin":3}`,
		`{"kind":"numeric","edges":[1,2],"bins":[{"label":"x"}]}`,
		`{"kind":"categorical","bins":[{"categories":["a"]},{"categories":["a"]}]}`,
		`{"kind":"other","bins":[{}]}`,
	} {
		var v Variable
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestDeterministic(t *testing.T) {
	x, y := synthetic(3000, 10, func(x float64) float64 { return 0.1 + 0.3*math.Sin(x/20) })
	cats := make([]string, len(x))
	for i := range x {
		cats[i] = string(rune('a' + int(x[i])%17))
	}
	fit := func(perm []int) ([]byte, []byte) {
		xp, yp, cp := make([]float64, len(x)), make([]int8, len(x)), make([]string, len(x))
		for i, j := range perm {
			xp[i], yp[i], cp[i] = x[j], y[j], cats[j]
		}
		n, err := FitNumeric("n", xp, yp, nil, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		c, err := FitCategorical("c", cp, yp, nil, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(n)
		b, _ := json.Marshal(c)
		return a, b
	}
	n1, c1 := fit(allRows(len(x)))
	perm := rand.New(rand.NewPCG(1, 1)).Perm(len(x))
	n2, c2 := fit(perm)
	if !bytes.Equal(n1, n2) || !bytes.Equal(c1, c2) {
		t.Error("row order changed the binning")
	}
}

func TestTransform(t *testing.T) {
	x, y := synthetic(2000, 11, func(x float64) float64 { return 0.05 + 0.3*x/100 })
	v, err := FitNumeric("x", x, y, nil, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float64, len(x))
	if err := v.TransformNumeric(dst, x); err != nil {
		t.Fatal(err)
	}
	for i, xi := range x {
		b := v.Bins[v.Index(xi)]
		if dst[i] != b.WOE || (xi < b.Lower || xi >= b.Upper) {
			t.Fatalf("x=%v: WOE %v in bin %s", xi, dst[i], b.Label)
		}
	}
	if err := v.TransformNumeric(dst[:3], x); err == nil {
		t.Error("short destination accepted")
	}
	if got := v.IndexCategory("55.5"); got != v.Index(55.5) {
		t.Errorf("IndexCategory(\"55.5\") = %d", got)
	}
	if v.IndexCategory("n/a") != v.MissingBin {
		t.Error("text on a numeric variable is not missing")
	}

	c, err := FitCategorical("c", []string{"a", "b", "a", "b", "a", "b"}, []int8{0, 1, 0, 1, 0, 0}, nil, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	cd := make([]float64, 3)
	if err := c.TransformCategorical(cd, []string{"a", "zzz", ""}); err != nil {
		t.Fatal(err)
	}
	if cd[0] != c.WOECategory("a") || cd[1] != c.Bins[c.UnseenBin].WOE || cd[2] != c.Bins[c.MissingBin].WOE {
		t.Errorf("categorical WOE %v", cd)
	}
	if c.Index(1) != c.UnseenBin || c.Index(math.NaN()) != c.MissingBin {
		t.Error("Index on a categorical variable")
	}
}
