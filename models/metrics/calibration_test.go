package metrics_test

import (
	"errors"
	"math"
	"testing"

	"lendscore/models/metrics"
)

func TestBrierAndLogLossHandComputed(t *testing.T) {
	pd := []float64{0.1, 0.8, 0.5, 0}
	y := []int8{0, 1, 1, 0}
	// Brier: (0.01 + 0.04 + 0.25 + 0)/4 = 0.075.
	b, err := metrics.Brier(pd, y)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "Brier", b, 0.075, 1e-15)
	// Log-loss: −(ln 0.9 + ln 0.8 + ln 0.5 + ln 1)/4.
	l, err := metrics.LogLoss(pd, y)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "log-loss", l, -(math.Log(0.9)+math.Log(0.8)+math.Log(0.5))/4, 1e-15)
	// A confident miss is clipped at 1e-15: −ln(1e-15)/1.
	l, err = metrics.LogLoss([]float64{0}, []int8{1})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "clipped log-loss", l, -math.Log(1e-15), 1e-12)
	if _, err := metrics.Brier([]float64{1.2}, []int8{1}); !errors.Is(err, metrics.ErrInput) {
		t.Errorf("PD 1.2: err = %v", err)
	}
	if _, err := metrics.LogLoss([]float64{math.NaN()}, []int8{1}); !errors.Is(err, metrics.ErrInput) {
		t.Errorf("PD NaN: err = %v", err)
	}
}

func TestHosmerLemeshowHandComputed(t *testing.T) {
	// Four PD levels of 10 rows each; groups = 4 puts each level in its
	// own group (mean ranks 5.5, 15.5, 25.5, 35.5 → ⌊r·4/41⌋ = 0, 1, 2, 3).
	//   PD 0.1: O = 2, E = 1 → (1)²/(1·0.9)
	//   PD 0.2: O = 1, E = 2 → (1)²/(2·0.8)
	//   PD 0.3: O = 4, E = 3 → (1)²/(3·0.7)
	//   PD 0.5: O = 5, E = 5 → 0
	// H = 10/9 + 5/8 + 10/21 = 2.2123016; with df = 2 the chi-square tail
	// is exp(−H/2) = 0.33083.
	var pd []float64
	var y []int8
	for _, lvl := range []struct {
		pd   float64
		bads int
	}{{0.1, 2}, {0.2, 1}, {0.3, 4}, {0.5, 5}} {
		for i := range 10 {
			pd = append(pd, lvl.pd)
			y = append(y, map[bool]int8{true: 1, false: 0}[i < lvl.bads])
		}
	}
	got, err := metrics.HosmerLemeshow(pd, y, 4)
	if err != nil {
		t.Fatal(err)
	}
	h := 10.0/9 + 5.0/8 + 10.0/21
	near(t, "statistic", got.Statistic, h, 1e-12)
	if got.DF != 2 || len(got.Groups) != 4 {
		t.Fatalf("df %d, %d groups", got.DF, len(got.Groups))
	}
	near(t, "p", got.P, math.Exp(-h/2), 1e-12)
	near(t, "p (5 decimals)", got.P, 0.33083, 5e-6)
	g := got.Groups[2]
	if g.Rows != 10 || g.Bads != 4 || g.MinPD != 0.3 || g.MaxPD != 0.3 {
		t.Errorf("group 3 = %+v", g)
	}
	near(t, "expected", g.ExpectedBads, 3, 1e-12)

	if _, err := metrics.HosmerLemeshow(pd[:20], y[:20], 4); !errors.Is(err, metrics.ErrInput) {
		t.Errorf("two PD levels: err = %v, want ErrInput (fewer than 3 groups)", err)
	}
}

// With deciles of a calibrated PD the statistic behaves like χ²(8): on a
// sample drawn from the PDs themselves it should not reject.
func TestHosmerLemeshowCalibratedSample(t *testing.T) {
	s, _ := randomSample(50_000, 12, 1e6)
	pd := make([]float64, len(s))
	y := make([]int8, len(s))
	for i, v := range s {
		pd[i] = 1 / (1 + math.Exp(-(v - 1.5)))
		// A deterministic "draw": compare with a low-discrepancy sequence.
		if math.Mod(float64(i)*0.6180339887498949, 1) < pd[i] {
			y[i] = 1
		}
	}
	got, err := metrics.HosmerLemeshow(pd, y, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.DF != 8 || got.P < 0.01 {
		t.Errorf("calibrated PDs rejected: %+v", got.Statistic)
	}
	shifted := make([]float64, len(pd))
	for i, p := range pd {
		shifted[i] = p * 0.7
	}
	got, err = metrics.HosmerLemeshow(shifted, y, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.P > 1e-6 {
		t.Errorf("PDs 30%% too low not rejected: p = %v", got.P)
	}
}

// binomialTail sums the binomial probabilities P(X = j), j ≥ k, from
// log-gamma: an evaluation independent of the incomplete beta function.
func binomialTail(n, k int, p float64) float64 {
	s := 0.0
	for j := k; j <= n; j++ {
		lg1, _ := math.Lgamma(float64(n + 1))
		lg2, _ := math.Lgamma(float64(j + 1))
		lg3, _ := math.Lgamma(float64(n - j + 1))
		s += math.Exp(lg1 - lg2 - lg3 + float64(j)*math.Log(p) + float64(n-j)*math.Log1p(-p))
	}
	return s
}

func TestBinomialTest(t *testing.T) {
	tests := []struct {
		n, k int
		pd   float64
		want float64
	}{
		{10, 0, 0.05, 1},                         // P(X ≥ 0) = 1
		{10, 10, 0.5, math.Pow(0.5, 10)},         // all default: pdⁿ
		{20, 1, 0.02, 1 - math.Pow(0.98, 20)},    // at least one: 1 − (1−pd)ⁿ
		{50, 7, 0.08, binomialTail(50, 7, 0.08)}, // summed pmf
		{1000, 30, 0.02, binomialTail(1000, 30, 0.02)},
		{5, 2, 0, 0},
		{5, 2, 1, 1},
	}
	for _, tt := range tests {
		got, err := metrics.BinomialTest(tt.n, tt.k, tt.pd)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "binomial p", got, tt.want, 1e-12)
	}
	// By hand: n = 3, k = 2, pd = 0.1: 3·0.01·0.9 + 0.001 = 0.028.
	got, _ := metrics.BinomialTest(3, 2, 0.1)
	near(t, "binomial n=3 k=2", got, 0.028, 1e-15)
	for _, bad := range [][3]float64{{0, 0, 0.1}, {5, 6, 0.1}, {5, -1, 0.1}, {5, 1, 1.5}, {5, 1, math.NaN()}} {
		if _, err := metrics.BinomialTest(int(bad[0]), int(bad[1]), bad[2]); !errors.Is(err, metrics.ErrInput) {
			t.Errorf("%v: err = %v", bad, err)
		}
	}
}

// betaCDF integrates the Beta(a, b) density on [0, x] by Simpson's rule
// (with the normalising constant from log-gamma): independent of gonum's
// incomplete beta function. The density must be smooth on [0, x].
func betaCDF(a, b, x float64) float64 {
	lga, _ := math.Lgamma(a)
	lgb, _ := math.Lgamma(b)
	lgab, _ := math.Lgamma(a + b)
	f := func(t float64) float64 {
		if t == 0 {
			return 0
		}
		return math.Exp(lgab - lga - lgb + (a-1)*math.Log(t) + (b-1)*math.Log1p(-t))
	}
	const m = 20000
	h := x / m
	s := f(0) + f(x)
	for i := 1; i < m; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(float64(i)*h)
	}
	return s * h / 3
}

func TestJeffreysTest(t *testing.T) {
	// n = 1, k = 0: Beta(½, 3/2), whose CDF is (2/π)(asin √x + √(x(1−x)))
	// (substitute t = sin²θ in ∫ t^−½ (1−t)^½ dt / B(½, 3/2), B = π/2).
	for _, x := range []float64{0.01, 0.2, 0.7} {
		got, err := metrics.JeffreysTest(1, 0, x)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "Jeffreys n=1 k=0", got, 2/math.Pi*(math.Asin(math.Sqrt(x))+math.Sqrt(x*(1-x))), 1e-13)
	}
	for _, tt := range []struct {
		n, k int
		pd   float64
	}{{20, 3, 0.1}, {200, 9, 0.03}, {1000, 25, 0.02}} {
		got, err := metrics.JeffreysTest(tt.n, tt.k, tt.pd)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "Jeffreys", got, betaCDF(float64(tt.k)+0.5, float64(tt.n-tt.k)+0.5, tt.pd), 1e-9)
	}
	// More defaults than the PD predicts gives a small p-value.
	low, _ := metrics.JeffreysTest(1000, 40, 0.02)
	if low > 0.001 {
		t.Errorf("40 defaults of 1000 at PD 2%%: p = %v, want < 0.001", low)
	}
}

func TestCalibrationByGrade(t *testing.T) {
	grade := []string{"B", "A", "B", "A", "B", "C", "C", "A"}
	pd := []float64{0.2, 0.01, 0.3, 0.03, 0.1, 0.5, 0.7, 0.02}
	y := []int8{1, 0, 0, 0, 0, 1, 1, 1}
	got, err := metrics.CalibrationByGrade(grade, pd, y)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Grade != "A" || got[1].Grade != "B" || got[2].Grade != "C" {
		t.Fatalf("grades %+v", got)
	}
	a := got[0] // PDs 0.01, 0.03, 0.02; one default of three.
	if a.Rows != 3 || a.Bads != 1 {
		t.Errorf("A = %+v", a)
	}
	near(t, "A mean PD", a.MeanPD, 0.02, 1e-15)
	near(t, "A default rate", a.BadRate, 1.0/3, 1e-15)
	near(t, "A binomial", a.BinomialP, 1-math.Pow(0.98, 3), 1e-15)
	jb, _ := metrics.JeffreysTest(3, 1, 0.02)
	near(t, "A Jeffreys", a.JeffreysP, jb, 0)
	c := got[2] // PDs 0.5, 0.7; two defaults of two: binomial 0.6².
	near(t, "C binomial", c.BinomialP, 0.36, 1e-15)
	if _, err := metrics.CalibrationByGrade(grade[:3], pd, y); !errors.Is(err, metrics.ErrInput) {
		t.Errorf("short grades: err = %v", err)
	}
}
