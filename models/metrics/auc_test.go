package metrics_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"lendscore/models/metrics"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if !(math.Abs(got-want) <= tol) {
		t.Errorf("%s = %.15g, want %.15g (±%g)", what, got, want, tol)
	}
}

func TestAUCHandComputed(t *testing.T) {
	tests := []struct {
		name  string
		score []float64
		y     []int8
		want  float64
	}{
		// scikit-learn's roc_auc_score example: bads 0.35, 0.8; goods 0.1,
		// 0.4; 3 of the 4 (bad, good) pairs are ordered: 0.75.
		{"sklearn example", []float64{0.1, 0.4, 0.35, 0.8}, []int8{0, 0, 1, 1}, 0.75},
		// Bads at 2, 2; goods at 1, 2: each bad beats the good at 1 (1) and
		// ties the good at 2 (½): (1.5+1.5)/4 = 0.75.
		{"ties", []float64{1, 2, 2, 2}, []int8{0, 0, 1, 1}, 0.75},
		// Bads 2, 3; goods 1, 2: 1 + ½ + 1 + 1 = 3.5 of 4.
		{"one tie", []float64{1, 2, 2, 3}, []int8{0, 0, 1, 1}, 0.875},
		{"perfect", []float64{1, 2, 3, 4}, []int8{0, 0, 1, 1}, 1},
		{"reversed", []float64{4, 3, 2, 1}, []int8{0, 0, 1, 1}, 0},
		{"all tied", []float64{7, 7, 7}, []int8{0, 1, 1}, 0.5},
		// −0 and +0 are the same score.
		{"signed zeros tie", []float64{math.Copysign(0, -1), 0}, []int8{0, 1}, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := metrics.AUC(tt.score, tt.y, metrics.HigherBad)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "AUC", got, tt.want, 1e-15)
			got, err = metrics.AUC(tt.score, tt.y, metrics.HigherGood)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "AUC higher=good", got, 1-tt.want, 1e-15)
		})
	}
}

// randomSample draws n rows with scores rounded to create ties.
func randomSample(n int, seed uint64, decimals float64) ([]float64, []int8) {
	r := rand.New(rand.NewPCG(seed, 2))
	s := make([]float64, n)
	y := make([]int8, n)
	for i := range n {
		if r.Float64() < 0.3 {
			y[i] = 1
		}
		v := r.NormFloat64() + 0.8*float64(y[i])
		s[i] = math.Round(v*decimals) / decimals
	}
	return s, y
}

// bruteDeLong is the definition of DeLong et al. (1988) evaluated pair by
// pair, O(m·n): placements V10 of the bads and V01 of the goods.
func bruteDeLong(scores [][]float64, y []int8) (auc []float64, v10, v01 [][]float64) {
	for _, s := range scores {
		var bads, goods []float64
		for i, v := range s {
			if y[i] == 1 {
				bads = append(bads, v)
			} else {
				goods = append(goods, v)
			}
		}
		psi := func(b, g float64) float64 {
			switch {
			case b > g:
				return 1
			case b == g:
				return 0.5
			}
			return 0
		}
		p10 := make([]float64, len(bads))
		p01 := make([]float64, len(goods))
		total := 0.0
		for i, b := range bads {
			for j, g := range goods {
				v := psi(b, g)
				p10[i] += v / float64(len(goods))
				p01[j] += v / float64(len(bads))
				total += v
			}
		}
		auc = append(auc, total/float64(len(bads)*len(goods)))
		v10 = append(v10, p10)
		v01 = append(v01, p01)
	}
	return auc, v10, v01
}

func cov(a, b []float64, ma, mb float64) float64 {
	s := 0.0
	for i := range a {
		s += (a[i] - ma) * (b[i] - mb)
	}
	return s / float64(len(a)-1)
}

func TestDeLongHandComputed(t *testing.T) {
	// Goods at 1, 2; bads at 2, 3, 4 (m = 3, n = 2).
	// V10 = 3/4, 1, 1 (the bad at 2 beats the good at 1, ties the one at 2);
	// V01 = 1, 5/6; AUC = 11/12.
	// S10 = (1/36 + 1/144 + 1/144)/2 = 1/48, S01 = (1/144 + 1/144)/1 = 1/72;
	// Var = S10/3 + S01/2 = 1/144 + 1/144 = 1/72.
	score := []float64{1, 2, 2, 3, 4}
	y := []int8{0, 0, 1, 1, 1}
	got, err := metrics.DeLong(score, y, metrics.HigherBad)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "AUC", got.AUC, 11.0/12, 1e-15)
	near(t, "SE", got.SE, math.Sqrt(1.0/72), 1e-15)
	near(t, "CI low", got.CI95[0], 11.0/12-1.959963984540054*math.Sqrt(1.0/72), 1e-15)
	near(t, "CI high (clipped)", got.CI95[1], 1, 0)
	if got.Bads != 3 || got.Goods != 2 {
		t.Errorf("bads, goods = %d, %d", got.Bads, got.Goods)
	}
}

// Hanley & McNeil (1982), Table I: CT ratings 1–5 of 58 normal and 51
// abnormal patients. Published: area 0.893, Hanley-McNeil SE 0.032. Stata's
// roctab (DeLong standard error) on the same data, hanley.dta, prints area
// 0.8932, std. err. 0.0307, 95% CI 0.83295 to 0.95339.
func TestHanleyMcNeilRatingData(t *testing.T) {
	normal := []int{33, 6, 6, 11, 2}
	abnormal := []int{3, 2, 2, 11, 33}
	var score []float64
	var y []int8
	for r := range 5 {
		for range normal[r] {
			score, y = append(score, float64(r+1)), append(y, 0)
		}
		for range abnormal[r] {
			score, y = append(score, float64(r+1)), append(y, 1)
		}
	}
	got, err := metrics.DeLong(score, y, metrics.HigherBad)
	if err != nil {
		t.Fatal(err)
	}
	// By hand: Σ over abnormal ratings of count × (normals below + ½ tied)
	// = 3·16.5 + 2·36 + 2·42 + 11·50.5 + 33·57 = 2642 of 51·58 = 2958 pairs.
	near(t, "AUC", got.AUC, 2642.0/2958, 1e-15)
	near(t, "AUC published", got.AUC, 0.893, 0.0005)
	near(t, "DeLong SE (Stata)", got.SE, 0.0307, 0.00005)
	near(t, "CI low (Stata)", got.CI95[0], 0.83295, 0.000005)
	near(t, "CI high (Stata)", got.CI95[1], 0.95339, 0.000005)
	se, err := metrics.HanleyMcNeilSE(got.AUC, 51, 58)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "Hanley-McNeil SE (published)", se, 0.032, 0.0005)
	// By hand at A = 0.893: Q1 = A/(2−A) = 0.806685, Q2 = 2A²/(1+A) =
	// 0.842524, A² = 0.797449, so Var = (0.095551 + 50·0.009236 +
	// 57·0.045075)/2958 = 0.0010570.
	se893, _ := metrics.HanleyMcNeilSE(0.893, 51, 58)
	near(t, "Hanley-McNeil SE at 0.893", se893, math.Sqrt(0.0010570), 1e-6)
}

func TestDeLongMatchesBruteForce(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		s, y := randomSample(400, seed, 4)
		got, err := metrics.DeLong(s, y, metrics.HigherBad)
		if err != nil {
			t.Fatal(err)
		}
		auc, v10, v01 := bruteDeLong([][]float64{s}, y)
		m, n := float64(len(v10[0])), float64(len(v01[0]))
		want := cov(v10[0], v10[0], auc[0], auc[0])/m + cov(v01[0], v01[0], auc[0], auc[0])/n
		near(t, "AUC", got.AUC, auc[0], 1e-13)
		near(t, "variance", got.SE*got.SE, want, 1e-12*want)
	}
}

func TestDeLongTestPaired(t *testing.T) {
	s1, y := randomSample(300, 9, 10)
	r := rand.New(rand.NewPCG(4, 4))
	s2 := make([]float64, len(s1))
	for i := range s1 {
		s2[i] = math.Round((s1[i]+0.8*r.NormFloat64())*4) / 4
	}
	got, err := metrics.DeLongTest(s1, s2, y, metrics.HigherBad)
	if err != nil {
		t.Fatal(err)
	}
	auc, v10, v01 := bruteDeLong([][]float64{s1, s2}, y)
	m, n := float64(len(v10[0])), float64(len(v01[0]))
	v := (cov(v10[0], v10[0], auc[0], auc[0])+cov(v10[1], v10[1], auc[1], auc[1])-2*cov(v10[0], v10[1], auc[0], auc[1]))/m +
		(cov(v01[0], v01[0], auc[0], auc[0])+cov(v01[1], v01[1], auc[1], auc[1])-2*cov(v01[0], v01[1], auc[0], auc[1]))/n
	z := (auc[0] - auc[1]) / math.Sqrt(v)
	near(t, "AUC1", got.AUC1, auc[0], 1e-13)
	near(t, "AUC2", got.AUC2, auc[1], 1e-13)
	near(t, "SE", got.SE, math.Sqrt(v), 1e-12)
	near(t, "Z", got.Z, z, 1e-9)
	// p from gonum's normal CDF, independently of math.Erfc.
	near(t, "P", got.P, 2*distuv.UnitNormal.CDF(-math.Abs(z)), 1e-12)
	if !(got.AUC1 > got.AUC2 && got.Z > 0) {
		t.Errorf("the noisier score should have the lower AUC: %+v", got)
	}

	same, err := metrics.DeLongTest(s1, s1, y, metrics.HigherBad)
	if err != nil {
		t.Fatal(err)
	}
	if same.Z != 0 || same.P != 1 || same.Diff != 0 {
		t.Errorf("identical scores: %+v, want Z 0, P 1", same)
	}
}

func TestCompareIndependentAUCs(t *testing.T) {
	// z = 0.05/√(0.02² + 0.03²) = 0.05/√0.0013 = 1.386750…
	got, err := metrics.CompareIndependentAUCs(metrics.AUCEstimate{AUC: 0.80, SE: 0.02}, metrics.AUCEstimate{AUC: 0.75, SE: 0.03})
	if err != nil {
		t.Fatal(err)
	}
	z := 0.05 / math.Sqrt(0.0013)
	near(t, "Z", got.Z, z, 1e-12)
	near(t, "P", got.P, 2*distuv.UnitNormal.CDF(-z), 1e-12)
	near(t, "P (3 decimals)", got.P, 0.166, 0.0005)
	if _, err := metrics.CompareIndependentAUCs(metrics.AUCEstimate{AUC: 1.2}, metrics.AUCEstimate{AUC: 0.5}); !errors.Is(err, metrics.ErrInput) {
		t.Errorf("err = %v, want ErrInput", err)
	}
}

// Properties: AUC(−s) = 1 − AUC(s); AUC is invariant under increasing
// transformations; Gini = 2·AUC − 1.
func TestAUCProperties(t *testing.T) {
	s, y := randomSample(5000, 5, 3)
	neg := make([]float64, len(s))
	exp := make([]float64, len(s))
	for i, v := range s {
		neg[i] = -v
		exp[i] = math.Exp(v)
	}
	a, _ := metrics.AUC(s, y, metrics.HigherBad)
	an, _ := metrics.AUC(neg, y, metrics.HigherBad)
	ae, _ := metrics.AUC(exp, y, metrics.HigherBad)
	ag, _ := metrics.AUC(neg, y, metrics.HigherGood)
	near(t, "AUC(-s)", an, 1-a, 1e-14)
	near(t, "AUC(exp s)", ae, a, 0)
	near(t, "AUC(-s, higher good)", ag, a, 0)
	near(t, "Gini", metrics.Gini(a), 2*a-1, 0)
	d1, _ := metrics.DeLong(s, y, metrics.HigherBad)
	d2, _ := metrics.DeLong(neg, y, metrics.HigherGood)
	if d1 != d2 {
		t.Errorf("DeLong differs under negation with HigherGood: %+v vs %+v", d1, d2)
	}
}

func TestAUCInputErrors(t *testing.T) {
	tests := []struct {
		name  string
		score []float64
		y     []int8
		want  error
	}{
		{"length mismatch", []float64{1, 2}, []int8{0}, metrics.ErrInput},
		{"NaN score", []float64{1, math.NaN()}, []int8{0, 1}, metrics.ErrInput},
		{"infinite score", []float64{1, math.Inf(1)}, []int8{0, 1}, metrics.ErrInput},
		{"label 2", []float64{1, 2}, []int8{0, 2}, metrics.ErrInput},
		{"no bads", []float64{1, 2}, []int8{0, 0}, metrics.ErrClasses},
		{"empty", nil, nil, metrics.ErrClasses},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := metrics.AUC(tt.score, tt.y, metrics.HigherBad); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := metrics.DeLong([]float64{1, 2, 3}, []int8{0, 1, 1}, metrics.HigherBad); !errors.Is(err, metrics.ErrClasses) {
		t.Errorf("DeLong with one good: err = %v, want ErrClasses", err)
	}
	if _, err := metrics.AUC([]float64{1, 2}, []int8{0, 1}, metrics.Higher(5)); !errors.Is(err, metrics.ErrInput) {
		t.Errorf("bad Higher: err = %v", err)
	}
}

// The radix sort path (≥ 1024 rows) agrees with the pair definition.
func TestAUCLargeSampleMatchesBruteForce(t *testing.T) {
	s, y := randomSample(3000, 8, 100)
	for i := range s {
		if i%7 == 0 {
			s[i] = -s[i] // mix signs to exercise the key transform
		}
	}
	got, err := metrics.AUC(s, y, metrics.HigherBad)
	if err != nil {
		t.Fatal(err)
	}
	auc, _, _ := bruteDeLong([][]float64{s}, y)
	near(t, "AUC", got, auc[0], 1e-13)
}
