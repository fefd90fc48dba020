package logit_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"lendscore/models/logit"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if !(math.Abs(got-want) <= tol) {
		t.Errorf("%s = %.12g, want %.12g (±%g)", what, got, want, tol)
	}
}

// Reference values: statsmodels/discrete/tests/results/results_discrete.py,
// class Spector, logit() — "Results are from Stata 11" — which statsmodels'
// Logit reproduces in its own test suite. Stata orders the coefficients
// GPA, TUCE, PSI, const; they are reordered here to const first.
var (
	spectorCoef   = []float64{-13.0213483201, 2.82611297201, .0951576702557, 2.37868772835}
	spectorStdErr = []float64{4.93132462871, 1.26294114526, .141554207662, 1.06456430165}
	spectorZ      = []float64{-2.640537645, 2.237723415, 0.6722348408, 2.234423721}
	spectorP      = []float64{.0082774596, .0252390974, .5014342039, .0254552063}
	// Stata's covariance in its own order (GPA, TUCE, PSI, const).
	spectorCovStata = [4][4]float64{
		{1.59502033639, -.036920566629, .427615725153, -4.57347950298},
		{-.036920566629, .0200375937069, .0149126464275, -.346255757562},
		{.427615725153, .0149126464275, 1.13329715236, -2.35916128427},
		{-4.57347950298, -.346255757562, -2.35916128427, 24.3179625937},
	}
	spectorLLF    = -12.8896334653335
	spectorLLNull = -20.5917296966173
	spectorAIC    = 33.779266930667
	spectorBIC    = 39.642210541866
)

func checkSpector(t *testing.T, res *logit.Result) {
	t.Helper()
	if !res.Converged {
		t.Fatalf("not converged")
	}
	wantNames := []string{"const", "GPA", "TUCE", "PSI"}
	for j := range 4 {
		if res.Names[j] != wantNames[j] {
			t.Errorf("Names[%d] = %q, want %q", j, res.Names[j], wantNames[j])
		}
		near(t, "coef "+wantNames[j], res.Coef[j], spectorCoef[j], 1e-8)
		near(t, "stderr "+wantNames[j], res.StdErr[j], spectorStdErr[j], 1e-8)
		near(t, "z "+wantNames[j], res.Z[j], spectorZ[j], 1e-8)
		near(t, "p "+wantNames[j], res.P[j], spectorP[j], 1e-9)
	}
	stata := []int{3, 0, 1, 2} // our index -> Stata's index
	for i := range 4 {
		for j := range 4 {
			near(t, "cov", res.Cov.At(i, j), spectorCovStata[stata[i]][stata[j]], 1e-8)
		}
	}
	near(t, "loglik", res.LogLik, spectorLLF, 1e-9)
	near(t, "llnull", res.LLNull, spectorLLNull, 1e-9)
	near(t, "aic", res.AIC, spectorAIC, 1e-8)
	near(t, "bic", res.BIC, spectorBIC, 1e-8)
	if res.NObs != 32 {
		t.Errorf("NObs = %v, want 32", res.NObs)
	}
}

func TestFitSpectorMatchesStatsmodels(t *testing.T) {
	x, y := spectorAsStata()
	t.Run("int8 labels", func(t *testing.T) {
		res, err := logit.Fit(x, y, logit.Options{Names: spectorNames})
		if err != nil {
			t.Fatal(err)
		}
		checkSpector(t, res)
		if res.Iterations < 3 || res.Iterations > 12 {
			t.Errorf("Iterations = %d, want a handful", res.Iterations)
		}
	})
	t.Run("float64 labels", func(t *testing.T) {
		yf := make([]float64, len(y))
		for i, v := range y {
			yf[i] = float64(v)
		}
		res, err := logit.Fit(x, yf, logit.Options{Names: spectorNames})
		if err != nil {
			t.Fatal(err)
		}
		checkSpector(t, res)
	})
	t.Run("unit weights", func(t *testing.T) {
		w := make([]float64, len(y))
		for i := range w {
			w[i] = 1
		}
		res, err := logit.Fit(x, y, logit.Options{Names: spectorNames, Weights: w})
		if err != nil {
			t.Fatal(err)
		}
		checkSpector(t, res)
	})
	t.Run("matrix view with stride", func(t *testing.T) {
		wide := mat.NewDense(32, 5, nil)
		wide.Slice(0, 32, 1, 4).(*mat.Dense).Copy(x)
		view := wide.Slice(0, 32, 1, 4).(*mat.Dense)
		res, err := logit.Fit(view, y, logit.Options{Names: spectorNames})
		if err != nil {
			t.Fatal(err)
		}
		checkSpector(t, res)
	})
}

// A single 0/1 variable: the MLE reproduces the 2×2 table, so the slope is
// the log odds ratio ln(ad/bc) with standard error √(1/a+1/b+1/c+1/d)
// (Woolf), and the intercept is the log odds of the x=0 group.
func TestFitTwoByTwoTable(t *testing.T) {
	// x=0: 30 goods, 10 bads; x=1: 15 goods, 25 bads.
	var xs []float64
	var y []int8
	add := func(x float64, label int8, n int) {
		for range n {
			xs = append(xs, x)
			y = append(y, label)
		}
	}
	add(0, 0, 30)
	add(0, 1, 10)
	add(1, 0, 15)
	add(1, 1, 25)
	res, err := logit.Fit(mat.NewDense(len(y), 1, xs), y, logit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "intercept", res.Coef[0], math.Log(10.0/30), 1e-10)
	near(t, "intercept se", res.StdErr[0], math.Sqrt(1.0/10+1.0/30), 1e-10)
	near(t, "log odds ratio", res.Coef[1], math.Log(25.0*30/(15*10)), 1e-10)
	near(t, "woolf se", res.StdErr[1], math.Sqrt(1.0/30+1.0/10+1.0/15+1.0/25), 1e-10)
	// ℓ = Σ over cells n·ln(p̂): p̂ = 1/4 (x=0) and 25/40 (x=1).
	ll := 10*math.Log(0.25) + 30*math.Log(0.75) + 25*math.Log(25.0/40) + 15*math.Log(15.0/40)
	near(t, "loglik", res.LogLik, ll, 1e-9)
	llNull := 35*math.Log(35.0/80) + 45*math.Log(45.0/80)
	near(t, "llnull", res.LLNull, llNull, 1e-9)
}

// With no columns the fit is the intercept-only model: β₀ = ln(ȳ/(1−ȳ)),
// se = 1/√(n·ȳ(1−ȳ)).
func TestFitInterceptOnly(t *testing.T) {
	y := []int8{1, 0, 0, 1, 0, 0, 0, 1, 0, 0} // 3 of 10
	s, err := logit.NewSolver(0, logit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for !s.Done() {
		acc := s.NewAccumulator()
		if err := acc.AddLabels(nil, y, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Update(acc); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.Result()
	if err != nil {
		t.Fatal(err)
	}
	near(t, "b0", res.Coef[0], math.Log(3.0/7), 1e-12)
	near(t, "se", res.StdErr[0], 1/math.Sqrt(10*0.3*0.7), 1e-12)
	near(t, "ll = llnull", res.LogLik, res.LLNull, 1e-12)
}

// Frequency weights are equivalent to repeating rows.
func TestFitWeightsEqualRepeatedRows(t *testing.T) {
	x, y := spector()
	w := make([]float64, 32)
	var rows []float64
	var yy []int8
	for i := range 32 {
		w[i] = float64(1 + i%3)
		for range int(w[i]) {
			rows = append(rows, x.RawRowView(i)...)
			yy = append(yy, y[i])
		}
	}
	weighted, err := logit.Fit(x, y, logit.Options{Weights: w})
	if err != nil {
		t.Fatal(err)
	}
	repeated, err := logit.Fit(mat.NewDense(len(yy), 3, rows), yy, logit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for j := range 4 {
		near(t, "coef", weighted.Coef[j], repeated.Coef[j], 1e-9)
		near(t, "se", weighted.StdErr[j], repeated.StdErr[j], 1e-9)
	}
	near(t, "loglik", weighted.LogLik, repeated.LogLik, 1e-9)
	near(t, "bic", weighted.BIC, repeated.BIC, 1e-9)
	if weighted.NObs != float64(len(yy)) {
		t.Errorf("NObs = %v, want %d", weighted.NObs, len(yy))
	}
}

// At the penalised optimum the penalised score is zero: g_j = λβ_j for the
// slopes and g_0 = 0; and Cov is the inverse of (XᵀWX + λI).
func TestFitL2PenaltyStationarity(t *testing.T) {
	x, y := spector()
	const lambda = 2.0
	res, err := logit.Fit(x, y, logit.Options{L2: lambda})
	if err != nil {
		t.Fatal(err)
	}
	acc := logit.NewAccumulator(res.Coef)
	if err := acc.AddLabels(x.RawMatrix().Data, y, nil); err != nil {
		t.Fatal(err)
	}
	g := acc.Gradient()
	near(t, "g0", g[0], 0, 1e-9)
	for j := 1; j < 4; j++ {
		near(t, "g_j - λβ_j", g[j]-lambda*res.Coef[j], 0, 1e-9)
	}
	h := acc.Information()
	var prod mat.Dense
	hp := mat.NewSymDense(4, nil)
	hp.CopySym(h)
	for j := 1; j < 4; j++ {
		hp.SetSym(j, j, hp.At(j, j)+lambda)
	}
	prod.Mul(hp, res.Cov)
	for i := range 4 {
		for j := range 4 {
			want := 0.0
			if i == j {
				want = 1
			}
			near(t, "H·Cov", prod.At(i, j), want, 1e-9)
		}
	}
	// The penalty shrinks the norm of the slopes.
	norm := func(b []float64) float64 { return math.Hypot(math.Hypot(b[1], b[2]), b[3]) }
	if norm(res.Coef) >= norm(spectorCoef) {
		t.Errorf("|slopes| = %v not shrunk (unpenalised %v)", norm(res.Coef), norm(spectorCoef))
	}
}

func TestFitErrors(t *testing.T) {
	col := func(v ...float64) []float64 { return v }
	design := func(cols ...[]float64) *mat.Dense {
		n := len(cols[0])
		m := mat.NewDense(n, len(cols), nil)
		for j, c := range cols {
			m.SetCol(j, c)
		}
		return m
	}
	y := []int8{0, 0, 0, 1, 0, 1, 1, 1}
	noise := col(0.3, -1.2, 0.8, 0.1, 1.5, -0.4, 0.9, -0.7)
	tests := []struct {
		name    string
		x       *mat.Dense
		y       []int8
		opt     logit.Options
		want    error
		mention []string
	}{
		{
			name:    "complete separation by one variable",
			x:       design(noise, col(1, 2, 3, 4.5, 4, 5, 6, 7)),
			y:       y,
			opt:     logit.Options{Names: []string{"noise", "age"}},
			want:    logit.ErrSeparation,
			mention: []string{"complete separation", `"age"`},
		},
		{
			name:    "complete separation by a dummy equal to the label",
			x:       design(noise, col(0, 0, 0, 1, 0, 1, 1, 1), col(0, 0, 1, 1, 0, 1, 0, 1)),
			y:       []int8{0, 0, 0, 1, 0, 1, 1, 1},
			opt:     logit.Options{Names: []string{"noise", "d1", "d2"}},
			want:    logit.ErrSeparation,
			mention: []string{`"d1"`},
		},
		{
			name:    "quasi separation by a dummy with ties at the boundary",
			x:       design(col(1, 0, 1, 0, 0, 1, 0, 1), col(0, 0, 0, 0, 1, 1, 1, 1)),
			y:       []int8{0, 0, 1, 1, 1, 1, 1, 1},
			opt:     logit.Options{Names: []string{"a", "flag"}},
			want:    logit.ErrSeparation,
			mention: []string{"quasi-complete", `"flag"`},
		},
		{
			name: "complete separation by a combination only",
			// x1+x2 > 0 exactly for the bads; neither column alone separates.
			x:       design(col(-2, 1, -1, 2, 0.5, 3, -1, 1), col(1, -2, 0.5, -1, 0, -2, 2, 0.5)),
			y:       []int8{0, 0, 0, 1, 1, 1, 1, 1},
			opt:     logit.Options{Names: []string{"x1", "x2"}},
			want:    logit.ErrSeparation,
			mention: []string{"separation"},
		},
		{
			name: "quasi-complete separation by a combination only",
			// x1+x2 ≥ 0 for every bad and ≤ 0 for every good, with rows of
			// both classes on x1+x2 = 0.
			x: design(col(-2, 1, -1, 2, 0.5, 3, -1, 1, 1, -1, 0.5, -0.5),
				col(1, -2, 0.5, -1, 0, -2, 2, 0.5, -1, 1, -0.5, 0.5)),
			y:       []int8{0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 0},
			want:    logit.ErrSeparation,
			mention: []string{"quasi-complete separation", "8 of 12 rows"},
		},
		{
			name:    "constant response",
			x:       design(noise),
			y:       make([]int8, 8),
			want:    logit.ErrSeparation,
			mention: []string{"every row has y = 0"},
		},
		{
			name:    "constant column",
			x:       design(noise, col(2, 2, 2, 2, 2, 2, 2, 2)),
			y:       y,
			opt:     logit.Options{Names: []string{"noise", "flat"}},
			want:    logit.ErrSingular,
			mention: []string{`"flat"`, "constant or a linear combination"},
		},
		{
			name:    "column equal to the sum of two others",
			x:       design(noise, col(1, 0, 2, 1, 0, 1, 3, 1), col(1.3, -1.2, 2.8, 1.1, 1.5, 0.6, 3.9, 0.3)),
			y:       y,
			opt:     logit.Options{Names: []string{"a", "b", "a_plus_b"}},
			want:    logit.ErrSingular,
			mention: []string{`"a_plus_b"`},
		},
		{
			name:    "missing value",
			x:       design(noise, col(1, 2, math.NaN(), 1, 2, 3, 1, 2)),
			y:       y,
			opt:     logit.Options{Names: []string{"noise", "income"}},
			want:    logit.ErrInput,
			mention: []string{"row 2", `"income"`, "NaN"},
		},
		{
			name:    "label out of range",
			x:       design(noise),
			y:       []int8{0, 0, 2, 1, 0, 1, 1, 1},
			want:    logit.ErrInput,
			mention: []string{"row 2"},
		},
		{
			name:    "too few iterations",
			x:       design(noise),
			y:       y,
			opt:     logit.Options{MaxIter: 1},
			want:    logit.ErrNotConverged,
			mention: []string{"after 1 iterations"},
		},
		{
			name: "negative weight",
			x:    design(noise),
			y:    y,
			opt:  logit.Options{Weights: []float64{1, 1, 1, -1, 1, 1, 1, 1}},
			want: logit.ErrInput,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := logit.Fit(tt.x, tt.y, tt.opt)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if errors.Is(err, logit.ErrNotConverged) {
				if res == nil || res.Converged {
					t.Errorf("want the last iterate with Converged=false, got %+v", res)
				}
			} else if res != nil {
				t.Errorf("want nil result with %v", err)
			}
		})
	}
}

// Separation disappears under an L2 penalty: the penalised estimate exists.
func TestFitL2FitsThroughSeparation(t *testing.T) {
	x := mat.NewDense(8, 1, []float64{1, 2, 3, 4.5, 4, 5, 6, 7})
	y := []int8{0, 0, 0, 1, 0, 1, 1, 1}
	y[3], y[4] = 0, 1 // now x > 4.25 separates perfectly
	res, err := logit.Fit(x, y, logit.Options{L2: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Converged || res.Coef[1] <= 0 {
		t.Errorf("got %+v", res)
	}
	for _, v := range append(res.StdErr, res.P...) {
		if math.IsNaN(v) {
			t.Errorf("NaN in result")
		}
	}
}

// synthetic draws n rows of p standard normal columns and labels from a
// known logistic model.
func synthetic(n, p int, seed uint64) (*mat.Dense, []int8, []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	beta := make([]float64, p+1)
	beta[0] = -2
	for j := 1; j <= p; j++ {
		beta[j] = 0.5 / float64(j)
	}
	x := mat.NewDense(n, p, nil)
	data := x.RawMatrix().Data
	y := make([]int8, n)
	for i := range n {
		eta := beta[0]
		for j := range p {
			v := r.NormFloat64()
			data[i*p+j] = v
			eta += beta[j+1] * v
		}
		if r.Float64() < 1/(1+math.Exp(-eta)) {
			y[i] = 1
		}
	}
	return x, y, beta
}

func TestFitRecoversSimulatedModel(t *testing.T) {
	x, y, beta := synthetic(200_000, 5, 7)
	res, err := logit.Fit(x, y, logit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for j, b := range beta {
		if math.Abs(res.Coef[j]-b) > 4*res.StdErr[j] {
			t.Errorf("coef %d = %v ± %v, true %v", j, res.Coef[j], res.StdErr[j], b)
		}
	}
}

// Results are bit-identical for any GOMAXPROCS: chunks are fixed and merged
// in row order.
func TestFitDeterministicAcrossGOMAXPROCS(t *testing.T) {
	x, y, _ := synthetic(100_003, 6, 11)
	fit := func(procs int) *logit.Result {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		res, err := logit.Fit(x, y, logit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b, c := fit(1), fit(2), fit(5)
	for j := range a.Coef {
		for _, other := range []*logit.Result{b, c} {
			if math.Float64bits(a.Coef[j]) != math.Float64bits(other.Coef[j]) ||
				math.Float64bits(a.StdErr[j]) != math.Float64bits(other.StdErr[j]) {
				t.Fatalf("coef %d differs across GOMAXPROCS: %v vs %v", j, a.Coef[j], other.Coef[j])
			}
		}
	}
	if a.LogLik != b.LogLik || a.LogLik != c.LogLik {
		t.Errorf("loglik differs: %v %v %v", a.LogLik, b.LogLik, c.LogLik)
	}
}

// Streaming: the Solver driven batch by batch (with accumulators merged in
// a fixed order) agrees with Fit on the same rows.
func TestSolverStreamingMatchesFit(t *testing.T) {
	x, y, _ := synthetic(30_000, 4, 3)
	want, err := logit.Fit(x, y, logit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data := x.RawMatrix().Data
	s, err := logit.NewSolver(4, logit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bounds := []int{0, 1234, 9000, 9001, 22222, 30_000}
	for !s.Done() {
		total := s.NewAccumulator()
		for b := 0; b+1 < len(bounds); b++ {
			lo, hi := bounds[b], bounds[b+1]
			part := s.NewAccumulator()
			if err := part.AddLabels(data[lo*4:hi*4], y[lo:hi], nil); err != nil {
				t.Fatal(err)
			}
			if err := total.Merge(part); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Update(total); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Result()
	if err != nil {
		t.Fatal(err)
	}
	for j := range want.Coef {
		near(t, "coef", got.Coef[j], want.Coef[j], 1e-10)
		near(t, "se", got.StdErr[j], want.StdErr[j], 1e-10)
	}
	near(t, "loglik", got.LogLik, want.LogLik, 1e-7)
}

func TestAccumulatorMergeRejectsOtherCoefficients(t *testing.T) {
	a := logit.NewAccumulator([]float64{0, 1})
	b := logit.NewAccumulator([]float64{0, 2})
	if err := a.Merge(b); !errors.Is(err, logit.ErrInput) {
		t.Errorf("err = %v, want ErrInput", err)
	}
	s, _ := logit.NewSolver(1, logit.Options{})
	if err := s.Update(b); !errors.Is(err, logit.ErrInput) {
		t.Errorf("Update with foreign accumulator: err = %v, want ErrInput", err)
	}
}

// The accumulator's sums, checked by hand for two rows at β = (0, 1):
// row 1: x=0, y=1 → η=0, μ=1/2, w=1/4, ℓ=ln(1/2), residual 1/2;
// row 2: x=2, y=0 → η=2, μ=σ(2), w=σ(2)(1−σ(2)), ℓ=−ln(1+e²), residual −σ(2).
func TestAccumulatorHandComputed(t *testing.T) {
	acc := logit.NewAccumulator([]float64{0, 1})
	if err := acc.Add([]float64{0, 2}, []float64{1, 0}, nil); err != nil {
		t.Fatal(err)
	}
	s2 := 1 / (1 + math.Exp(-2))
	near(t, "loglik", acc.LogLik(), math.Log(0.5)-math.Log(1+math.Exp(2)), 1e-15)
	g := acc.Gradient()
	near(t, "g0", g[0], 0.5-s2, 1e-15)
	near(t, "g1", g[1], -2*s2, 1e-15)
	h := acc.Information()
	w2 := s2 * (1 - s2)
	near(t, "h00", h.At(0, 0), 0.25+w2, 1e-15)
	near(t, "h01", h.At(0, 1), 2*w2, 1e-15)
	near(t, "h11", h.At(1, 1), 4*w2, 1e-15)
	near(t, "nobs", acc.NObs(), 2, 0)
}

// Whatever the tolerance, the reported log-likelihood and covariance are
// those at the reported coefficients (a loose tolerance stops on the
// log-likelihood plateau and re-evaluates at the final step).
func TestFitStatisticsMatchCoefficients(t *testing.T) {
	x, y := spector()
	for _, tol := range []float64{1e-3, 1e-6, 0} {
		res, err := logit.Fit(x, y, logit.Options{Tol: tol})
		if err != nil {
			t.Fatal(err)
		}
		acc := logit.NewAccumulator(res.Coef)
		if err := acc.AddLabels(x.RawMatrix().Data, y, nil); err != nil {
			t.Fatal(err)
		}
		if acc.LogLik() != res.LogLik {
			t.Errorf("tol %g: LogLik %v, at Coef %v", tol, res.LogLik, acc.LogLik())
		}
		var inv mat.SymDense
		var ch mat.Cholesky
		ch.Factorize(acc.Information())
		if err := ch.InverseTo(&inv); err != nil {
			t.Fatal(err)
		}
		for j := range 4 {
			near(t, "se at Coef", res.StdErr[j], math.Sqrt(inv.At(j, j)), 1e-12)
			near(t, "coef", res.Coef[j], spectorCoef[j], 1e-5) // decimal data vs Stata: see spectorAsStata
		}
	}
}
