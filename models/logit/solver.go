package logit

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// maxHalvings bounds the step halvings tried when a Newton step lowers the
// (penalised) log-likelihood.
const maxHalvings = 40

// singularPivot is the smallest accepted 1 − R² of a column regressed (in
// the information metric) on the intercept and the columns before it; a
// column below it is reported as collinear (VIF above 1e10).
const singularPivot = 1e-10

// Solver runs Newton-Raphson for data that is read in passes. Each
// iteration the caller sums one full pass of the data into the accumulator
// from NewAccumulator (which evaluates the model at Coef) and hands it to
// Update; when Done reports true, Result returns the fit:
//
//	s, err := logit.NewSolver(p, opt)
//	for !s.Done() {
//		acc := s.NewAccumulator()
//		for each batch { acc.AddLabels(x, y, w) }   // or merge per-goroutine accumulators in a fixed order
//		if err := s.Update(acc); err != nil { … }
//	}
//	res, err := s.Result()
//
// Fit is exactly this loop over an in-memory matrix. Options.Weights is
// ignored by the Solver: weights travel with each batch.
type Solver struct {
	p     int
	opt   Options
	names []string

	coef     []float64 // where the next pass is evaluated
	prevCoef []float64 // last accepted iterate
	step     []float64 // last Newton step (possibly halved)
	prevObj  float64   // penalised log-likelihood at prevCoef
	havePrev bool
	halvings int
	iter     int

	started   bool
	final     bool // the next pass only evaluates the statistics at coef
	done      bool
	converged bool
	err       error

	scale  []float64 // 1 for the intercept, max |x_j| for each column
	llNull float64
	last   *Accumulator // accumulator at the coefficients to report
}

// NewSolver returns a solver for p columns (plus the intercept), starting
// from all-zero coefficients.
func NewSolver(p int, opt Options) (*Solver, error) {
	if p < 0 {
		return nil, fmt.Errorf("%w: %d columns", ErrInput, p)
	}
	if opt.MaxIter < 0 {
		return nil, fmt.Errorf("%w: MaxIter %d", ErrInput, opt.MaxIter)
	}
	if opt.MaxIter == 0 {
		opt.MaxIter = DefaultMaxIter
	}
	if !(opt.Tol >= 0) || math.IsInf(opt.Tol, 1) {
		return nil, fmt.Errorf("%w: Tol %v", ErrInput, opt.Tol)
	}
	if opt.Tol == 0 {
		opt.Tol = DefaultTol
	}
	if !(opt.L2 >= 0) || math.IsInf(opt.L2, 1) {
		return nil, fmt.Errorf("%w: L2 penalty %v", ErrInput, opt.L2)
	}
	names, err := columnNames(p, opt.Names)
	if err != nil {
		return nil, err
	}
	P := p + 1
	scale := make([]float64, P)
	scale[0] = 1
	return &Solver{
		p:        p,
		opt:      opt,
		names:    names,
		coef:     make([]float64, P),
		prevCoef: make([]float64, P),
		step:     make([]float64, P),
		scale:    scale,
	}, nil
}

// Coef returns a copy of the coefficients at which the next pass must be
// evaluated (intercept first).
func (s *Solver) Coef() []float64 { return slices.Clone(s.coef) }

// NewAccumulator returns an empty accumulator for the next pass.
func (s *Solver) NewAccumulator() *Accumulator {
	acc := NewAccumulator(s.coef)
	acc.ranges = !s.started
	return acc
}

// Done reports whether the fit has finished, successfully or not.
func (s *Solver) Done() bool { return s.done }

// Iterations returns the number of Newton steps computed so far.
func (s *Solver) Iterations() int { return s.iter }

// Update consumes one full pass of the data evaluated at Coef and prepares
// the next one. It returns ErrSeparation, ErrSingular or ErrNotConverged
// (wrapped with the details) when the fit cannot go on; Done is then true.
func (s *Solver) Update(acc *Accumulator) error {
	if s.done {
		return fmt.Errorf("logit: Update called after the fit finished")
	}
	if acc == nil || acc.p != s.p || !slices.Equal(acc.coef, s.coef) {
		return fmt.Errorf("%w: the accumulator was not built for the solver's current coefficients", ErrInput)
	}
	if err := s.update(acc); err != nil {
		s.done = true
		s.err = err
		return err
	}
	return nil
}

func (s *Solver) update(acc *Accumulator) error {
	if !s.started {
		if err := s.start(acc); err != nil {
			return err
		}
	}
	if s.final {
		s.last = acc
		s.done, s.converged = true, true
		return nil
	}
	obj := s.penalised(acc)
	if s.havePrev && obj < s.prevObj-1e-12*(1+math.Abs(s.prevObj)) {
		// The full Newton step overshot: halve it and evaluate again.
		if s.halvings >= maxHalvings {
			return fmt.Errorf("%w: %d step halvings did not increase the log-likelihood (%.10g) after %d iterations",
				ErrNotConverged, maxHalvings, s.prevObj, s.iter)
		}
		s.halvings++
		for j := range s.step {
			s.step[j] /= 2
			s.coef[j] = s.prevCoef[j] + s.step[j]
		}
		return nil
	}
	s.halvings = 0
	s.last = acc
	checkSeparation := s.opt.L2 == 0 && acc.perfect > 0
	if checkSeparation && acc.perfect == acc.rows {
		return fmt.Errorf("%w: complete separation: all %d rows are predicted perfectly; %s",
			ErrSeparation, acc.rows, s.diverging(s.step))
	}
	delta, col, err := s.newtonStep(acc)
	if err != nil {
		if checkSeparation {
			return s.quasiSeparation(acc, s.step)
		}
		return s.singular(col)
	}
	s.iter++
	size := 0.0
	for j, d := range delta {
		size += math.Abs(d) * s.scale[j]
	}
	plateau := s.havePrev && math.Abs(obj-s.prevObj) <= s.opt.Tol*(1+math.Abs(obj))
	switch {
	case size <= s.opt.Tol:
		s.done, s.converged = true, true
		return nil
	case plateau && size <= math.Sqrt(s.opt.Tol):
		for j, d := range delta {
			s.coef[j] += d
		}
		s.final = true
		return nil
	case plateau && checkSeparation:
		return s.quasiSeparation(acc, delta)
	case s.iter >= s.opt.MaxIter:
		if checkSeparation {
			return s.quasiSeparation(acc, delta)
		}
		return fmt.Errorf("%w: after %d iterations the Newton step still moves the linear predictor by up to %.3g (tolerance %g); log-likelihood %.10g",
			ErrNotConverged, s.iter, size, s.opt.Tol, acc.logLik)
	}
	copy(s.prevCoef, s.coef)
	copy(s.step, delta)
	for j, d := range delta {
		s.coef[j] += d
	}
	s.prevObj = obj
	s.havePrev = true
	return nil
}

// start checks the first pass: the response must vary, and no single
// column may separate the classes (checked exactly from the per-class
// ranges, so the failing variable can be named at once).
func (s *Solver) start(acc *Accumulator) error {
	s.started = true
	if acc.rows == 0 || !(acc.nobs > 0) {
		return fmt.Errorf("%w: no rows with positive weight", ErrInput)
	}
	ybar := acc.sumY / acc.nobs
	if ybar <= 0 || ybar >= 1 {
		return fmt.Errorf("%w: every row has y = %v, so the intercept diverges", ErrSeparation, math.Round(ybar))
	}
	s.llNull = acc.nobs * (ybar*math.Log(ybar) + (1-ybar)*math.Log1p(-ybar))
	for j := 0; j < s.p; j++ {
		m := 0.0
		for _, v := range []float64{acc.lo0[j], acc.hi0[j], acc.lo1[j], acc.hi1[j]} {
			if !math.IsInf(v, 0) {
				m = math.Max(m, math.Abs(v))
			}
		}
		s.scale[j+1] = m
	}
	if s.opt.L2 > 0 {
		return nil
	}
	for j := 0; j < s.p; j++ {
		lo0, hi0, lo1, hi1 := acc.lo0[j], acc.hi0[j], acc.lo1[j], acc.hi1[j]
		if math.Min(lo0, lo1) == math.Max(hi0, hi1) {
			continue // constant: reported as singular
		}
		name := s.names[j]
		switch {
		case hi0 < lo1:
			return fmt.Errorf("%w: complete separation by %q: every row with y=0 has %s ≤ %g and every row with y=1 has %s ≥ %g",
				ErrSeparation, name, name, hi0, name, lo1)
		case hi1 < lo0:
			return fmt.Errorf("%w: complete separation by %q: every row with y=1 has %s ≤ %g and every row with y=0 has %s ≥ %g",
				ErrSeparation, name, name, hi1, name, lo0)
		case hi0 == lo1:
			return fmt.Errorf("%w: quasi-complete separation by %q: no row with y=0 has %s > %g, no row with y=1 has %s < %g",
				ErrSeparation, name, name, hi0, name, lo1)
		case hi1 == lo0:
			return fmt.Errorf("%w: quasi-complete separation by %q: no row with y=1 has %s > %g, no row with y=0 has %s < %g",
				ErrSeparation, name, name, hi1, name, lo0)
		}
	}
	return nil
}

// penalised returns ℓ(β) − λ/2·Σ_{j≥1} β_j².
func (s *Solver) penalised(acc *Accumulator) float64 {
	obj := acc.logLik
	if s.opt.L2 > 0 {
		for _, b := range acc.coef[1:] {
			obj -= s.opt.L2 / 2 * b * b
		}
	}
	return obj
}

// penalisedInfo returns the full symmetric (penalised) information matrix.
func (s *Solver) penalisedInfo(acc *Accumulator) []float64 {
	P := s.p + 1
	h := acc.symmetricInfo()
	for j := 1; j < P; j++ {
		h[j*P+j] += s.opt.L2
	}
	return h
}

// newtonStep solves (H + λI)δ = g − λβ. On a singular system it returns the
// index of the first collinear coefficient (or -1 if it cannot be told).
func (s *Solver) newtonStep(acc *Accumulator) ([]float64, int, error) {
	P := s.p + 1
	h := s.penalisedInfo(acc)
	if col := dependentColumn(h, P); col >= 0 {
		return nil, col, ErrSingular
	}
	g := slices.Clone(acc.grad)
	for j := 1; j < P; j++ {
		g[j] -= s.opt.L2 * acc.coef[j]
	}
	var ch mat.Cholesky
	if !ch.Factorize(mat.NewSymDense(P, h)) {
		return nil, -1, ErrSingular
	}
	delta := mat.NewVecDense(P, nil)
	if err := ch.SolveVecTo(delta, mat.NewVecDense(P, g)); err != nil {
		var cond mat.Condition
		if !errors.As(err, &cond) {
			return nil, -1, ErrSingular
		}
	}
	d := delta.RawVector().Data
	for _, v := range d {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, -1, ErrSingular
		}
	}
	return d, -1, nil
}

// dependentColumn runs a Cholesky factorisation column by column and
// returns the first column whose pivot falls below singularPivot times its
// diagonal (that column is a linear combination of the earlier ones), or -1.
func dependentColumn(h []float64, P int) int {
	l := make([]float64, P*P)
	for k := 0; k < P; k++ {
		hkk := h[k*P+k]
		d := hkk
		for m := 0; m < k; m++ {
			d -= l[k*P+m] * l[k*P+m]
		}
		if !(hkk > 0) || !(d > singularPivot*hkk) {
			return k
		}
		lkk := math.Sqrt(d)
		l[k*P+k] = lkk
		for i := k + 1; i < P; i++ {
			v := h[i*P+k]
			for m := 0; m < k; m++ {
				v -= l[i*P+m] * l[k*P+m]
			}
			l[i*P+k] = v / lkk
		}
	}
	return -1
}

// coefName returns the name of coefficient j (0 is the intercept).
func (s *Solver) coefName(j int) string {
	if j == 0 {
		return InterceptName
	}
	return s.names[j-1]
}

func (s *Solver) singular(col int) error {
	switch {
	case col < 0:
		return fmt.Errorf("%w: the Newton system could not be solved", ErrSingular)
	case col == 0:
		return fmt.Errorf("%w: no information on the intercept", ErrSingular)
	default:
		earlier := make([]string, 0, col)
		for j := 0; j < col; j++ {
			earlier = append(earlier, s.coefName(j))
		}
		if len(earlier) > 6 {
			earlier = append(earlier[:5], "…")
		}
		return fmt.Errorf("%w: column %q is constant or a linear combination of %s",
			ErrSingular, s.coefName(col), strings.Join(earlier, ", "))
	}
}

// diverging names the slope that moves the linear predictor most along the
// direction d (the last Newton step): the variable driving separation.
func (s *Solver) diverging(d []float64) string {
	best, bestSize := -1, 0.0
	for j := 1; j < len(d); j++ {
		if size := math.Abs(d[j]) * s.scale[j]; size > bestSize {
			best, bestSize = j, size
		}
	}
	if best < 0 {
		return "the coefficients grow without bound"
	}
	return fmt.Sprintf("the coefficient of %q grows without bound (now %.4g)", s.coefName(best), s.coef[best])
}

func (s *Solver) quasiSeparation(acc *Accumulator, d []float64) error {
	return fmt.Errorf("%w: quasi-complete separation: %d of %d rows are predicted perfectly and %s",
		ErrSeparation, acc.perfect, acc.rows, s.diverging(d))
}

// Result returns the fitted model once Done is true. After ErrNotConverged
// it returns the last iterate (Converged false) together with that error.
func (s *Solver) Result() (*Result, error) {
	if !s.done {
		return nil, fmt.Errorf("logit: Result called before the fit finished")
	}
	if s.err != nil {
		if errors.Is(s.err, ErrNotConverged) {
			res, _ := s.result(false)
			return res, s.err
		}
		return nil, s.err
	}
	return s.result(s.converged)
}

// result assembles the statistics at the coefficients of the last
// accumulator.
func (s *Solver) result(converged bool) (*Result, error) {
	acc := s.last
	if acc == nil {
		return nil, fmt.Errorf("logit: no data was evaluated")
	}
	P := s.p + 1
	h := s.penalisedInfo(acc)
	var ch mat.Cholesky
	if !ch.Factorize(mat.NewSymDense(P, h)) {
		return nil, s.singular(dependentColumn(h, P))
	}
	cov := mat.NewSymDense(P, nil)
	if err := ch.InverseTo(cov); err != nil {
		var cond mat.Condition
		if !errors.As(err, &cond) {
			return nil, s.singular(dependentColumn(h, P))
		}
	}
	res := &Result{
		Names:      append([]string{InterceptName}, s.names...),
		Coef:       slices.Clone(acc.coef),
		StdErr:     make([]float64, P),
		Z:          make([]float64, P),
		P:          make([]float64, P),
		Cov:        cov,
		LogLik:     acc.logLik,
		LLNull:     s.llNull,
		NObs:       acc.nobs,
		Iterations: s.iter,
		Converged:  converged,
	}
	for j := 0; j < P; j++ {
		v := cov.At(j, j)
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: variance of %q is %v", ErrSingular, s.coefName(j), v)
		}
		res.StdErr[j] = math.Sqrt(v)
		res.Z[j] = res.Coef[j] / res.StdErr[j]
		res.P[j] = normalP(res.Z[j])
	}
	k := float64(P)
	res.AIC = -2*res.LogLik + 2*k
	res.BIC = -2*res.LogLik + k*math.Log(res.NObs)
	return res, nil
}
