package logit

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"
)

// chunkRows is the fixed number of rows summed into one partial accumulator
// before partials are merged in row order. It does not depend on
// GOMAXPROCS, so results are bit-identical for any number of threads.
const chunkRows = 8192

// perfectEta is the linear predictor beyond which a row's observed outcome
// counts as perfectly predicted (fitted probability of the observed outcome
// above 1 − 3.1e-7). Used only to diagnose separation.
const perfectEta = 15

// Accumulator sums, for fixed coefficients β (intercept first), the
// logistic log-likelihood ℓ, its gradient Xᵀ(y−μ) and the information
// matrix XᵀWX (W = diag(wᵢ·μᵢ(1−μᵢ))) over batches of rows. Accumulators
// built for the same coefficients can be merged, so batches can be summed
// on different goroutines or machines; merging in a fixed order gives
// identical results.
//
// The zero value is not usable; create one with NewAccumulator or
// Solver.NewAccumulator. An Accumulator is not safe for concurrent use.
type Accumulator struct {
	p       int       // number of columns of x (without the intercept)
	coef    []float64 // p+1 coefficients at which sums are taken
	logLik  float64
	grad    []float64 // p+1
	info    []float64 // (p+1)×(p+1) row-major; upper triangle while summing
	nobs    float64   // Σ w
	sumY    float64   // Σ w·y
	rows    int64     // rows with positive weight
	perfect int64     // rows whose observed 0/1 outcome is perfectly predicted
	// Per-column ranges of x over rows with y < 1 (lo0, hi0) and y > 0
	// (lo1, hi1); they reveal single-variable separation and give the
	// scale of each column for the convergence test. Tracked only when
	// ranges is set (the Solver needs them from its first pass only).
	lo0, hi0, lo1, hi1 []float64
	ranges             bool
}

// NewAccumulator returns an empty accumulator evaluating the model at coef:
// the intercept followed by one coefficient per column of x.
func NewAccumulator(coef []float64) *Accumulator {
	if len(coef) == 0 {
		coef = []float64{0}
	}
	p := len(coef) - 1
	P := p + 1
	a := &Accumulator{
		p:      p,
		coef:   slices.Clone(coef),
		grad:   make([]float64, P),
		info:   make([]float64, P*P),
		lo0:    make([]float64, p),
		hi0:    make([]float64, p),
		lo1:    make([]float64, p),
		hi1:    make([]float64, p),
		ranges: true,
	}
	for j := 0; j < p; j++ {
		a.lo0[j], a.lo1[j] = math.Inf(1), math.Inf(1)
		a.hi0[j], a.hi1[j] = math.Inf(-1), math.Inf(-1)
	}
	return a
}

// emptyLike returns an empty accumulator for the same coefficients.
func (a *Accumulator) emptyLike() *Accumulator {
	b := NewAccumulator(a.coef)
	b.ranges = a.ranges
	return b
}

// Add sums a batch of rows: x holds n rows of p values each (row-major,
// without the intercept), y the n responses in [0, 1] and w optional case
// weights (nil means 1). Large batches are split into fixed chunks that are
// summed in parallel and merged in row order, so the result depends on the
// batch boundaries but not on GOMAXPROCS.
func (a *Accumulator) Add(x, y, w []float64) error {
	return addBatch(a, x, y, w)
}

// AddLabels is Add for 0/1 labels stored as int8 (1 = event).
func (a *Accumulator) AddLabels(x []float64, y []int8, w []float64) error {
	return addBatch(a, x, y, w)
}

func addBatch[Y Label](a *Accumulator, x []float64, y []Y, w []float64) error {
	n := len(y)
	if a.p == 0 {
		if len(x) != 0 {
			return fmt.Errorf("%w: intercept-only accumulator given %d x values", ErrInput, len(x))
		}
	} else if len(x) != n*a.p {
		return fmt.Errorf("%w: %d x values for %d rows of %d columns", ErrInput, len(x), n, a.p)
	}
	if w != nil && len(w) != n {
		return fmt.Errorf("%w: %d weights for %d rows", ErrInput, len(w), n)
	}
	return addRows(a, rowSource{data: x, stride: a.p, n: n, p: a.p}, y, w)
}

// Merge adds the sums of b, which must have been built for the same
// coefficients, into a.
func (a *Accumulator) Merge(b *Accumulator) error {
	if b.p != a.p || !slices.Equal(a.coef, b.coef) {
		return fmt.Errorf("%w: merging accumulators built for different coefficients", ErrInput)
	}
	a.merge(b)
	return nil
}

func (a *Accumulator) merge(b *Accumulator) {
	a.logLik += b.logLik
	a.nobs += b.nobs
	a.sumY += b.sumY
	a.rows += b.rows
	a.perfect += b.perfect
	for j, v := range b.grad {
		a.grad[j] += v
	}
	for j, v := range b.info {
		a.info[j] += v
	}
	for j := 0; j < a.p; j++ {
		a.lo0[j] = math.Min(a.lo0[j], b.lo0[j])
		a.hi0[j] = math.Max(a.hi0[j], b.hi0[j])
		a.lo1[j] = math.Min(a.lo1[j], b.lo1[j])
		a.hi1[j] = math.Max(a.hi1[j], b.hi1[j])
	}
}

// Coef returns a copy of the coefficients at which the sums are taken.
func (a *Accumulator) Coef() []float64 { return slices.Clone(a.coef) }

// LogLik returns the summed (weighted) log-likelihood.
func (a *Accumulator) LogLik() float64 { return a.logLik }

// NObs returns the summed weights of the rows added so far.
func (a *Accumulator) NObs() float64 { return a.nobs }

// Gradient returns a copy of the score vector Σ wᵢ(yᵢ−μᵢ)·(1, xᵢ).
func (a *Accumulator) Gradient() []float64 { return slices.Clone(a.grad) }

// Information returns the information matrix Σ wᵢμᵢ(1−μᵢ)·(1, xᵢ)(1, xᵢ)ᵀ.
func (a *Accumulator) Information() *mat.SymDense {
	return mat.NewSymDense(a.p+1, a.symmetricInfo())
}

// symmetricInfo returns a full symmetric copy of the information matrix.
func (a *Accumulator) symmetricInfo() []float64 {
	P := a.p + 1
	h := slices.Clone(a.info)
	for j := 0; j < P; j++ {
		for k := j + 1; k < P; k++ {
			h[k*P+j] = h[j*P+k]
		}
	}
	return h
}

// rowSource describes n rows of a row-major matrix. When cols is nil the
// row values are data[i*stride : i*stride+p]; otherwise they are
// data[i*stride+cols[j]] for j < p = len(cols).
type rowSource struct {
	data   []float64
	stride int
	n, p   int
	cols   []int
}

// addRows sums every row of src into a, in fixed chunks merged in order.
func addRows[Y Label](a *Accumulator, src rowSource, y []Y, w []float64) error {
	n := src.n
	chunks := (n + chunkRows - 1) / chunkRows
	if chunks <= 1 {
		return accumulateRange(a, src, y, w, 0, n)
	}
	parts := make([]*Accumulator, chunks)
	errs := make([]error, chunks)
	workers := min(runtime.GOMAXPROCS(0), chunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1)) - 1
				if c >= chunks {
					return
				}
				part := a.emptyLike()
				lo := c * chunkRows
				errs[c] = accumulateRange(part, src, y, w, lo, min(lo+chunkRows, n))
				parts[c] = part
			}
		}()
	}
	wg.Wait()
	for c, part := range parts {
		if errs[c] != nil {
			return errs[c]
		}
		a.merge(part)
	}
	return nil
}

// accumulateRange sums rows [lo, hi) of src into a. It is the hot loop of
// every fit: one exp and one log1p per row, and (p+1)(p+2)/2 multiply-adds
// for the upper triangle of the information matrix.
func accumulateRange[Y Label](a *Accumulator, src rowSource, y []Y, w []float64, lo, hi int) error {
	p := a.p
	P := p + 1
	z := make([]float64, P)
	z[0] = 1
	beta := a.coef
	grad := a.grad
	info := a.info
	lo0, hi0, lo1, hi1 := a.lo0, a.hi0, a.lo1, a.hi1
	var logLik, nobs, sumY float64
	var rows, perfect int64
	zPending := make([]float64, P)
	pendingW := 0.0
	pending := false
	for i := lo; i < hi; i++ {
		wt := 1.0
		if w != nil {
			wt = w[i]
			if !(wt >= 0) || math.IsInf(wt, 1) {
				return fmt.Errorf("%w: row %d has weight %v", ErrInput, i, wt)
			}
			if wt == 0 {
				continue
			}
		}
		yi := float64(y[i])
		if !(yi >= 0 && yi <= 1) {
			return fmt.Errorf("%w: row %d has response %v, want a value in [0, 1]", ErrInput, i, yi)
		}
		eta := beta[0]
		base := i * src.stride
		if src.cols == nil {
			row := src.data[base : base+p]
			for j, v := range row {
				z[j+1] = v
				eta += beta[j+1] * v
			}
		} else {
			for j, c := range src.cols {
				v := src.data[base+c]
				z[j+1] = v
				eta += beta[j+1] * v
			}
		}
		if math.IsNaN(eta) || math.IsInf(eta, 0) {
			return badRow(i, z[1:])
		}
		// μ = 1/(1+e^−η) computed without overflow; e = e^−|η|.
		e := math.Exp(-math.Abs(eta))
		inv := 1 / (1 + e)
		mu := inv
		if eta < 0 {
			mu = e * inv
		}
		wgt := wt * e * inv * inv // wᵢ·μ(1−μ)
		resid := wt * (yi - mu)
		logLik += wt * (yi*eta - (math.Max(eta, 0) + math.Log1p(e)))
		nobs += wt
		sumY += wt * yi
		rows++
		if (yi == 1 && eta >= perfectEta) || (yi == 0 && eta <= -perfectEta) {
			perfect++
		}
		if a.ranges {
			// Values are finite here (η is), so plain comparisons suffice.
			xs := z[1:]
			if yi < 1 {
				for j, v := range xs[:len(lo0)] {
					if v < lo0[j] {
						lo0[j] = v
					}
					if v > hi0[j] {
						hi0[j] = v
					}
				}
			}
			if yi > 0 {
				for j, v := range xs[:len(lo1)] {
					if v < lo1[j] {
						lo1[j] = v
					}
					if v > hi1[j] {
						hi1[j] = v
					}
				}
			}
		}
		for j, v := range z[:len(grad)] {
			grad[j] += resid * v
		}
		// Information updates go two rows at a time, halving the loads
		// and stores of the matrix.
		if pending {
			rank2(info, P, pendingW, zPending, wgt, z)
			pending = false
		} else {
			copy(zPending, z)
			pendingW = wgt
			pending = true
		}
	}
	if pending {
		rank1(info, P, pendingW, zPending)
	}
	a.logLik += logLik
	a.nobs += nobs
	a.sumY += sumY
	a.rows += rows
	a.perfect += perfect
	return nil
}

// rank1 adds a·z zᵀ to the upper triangle of the P×P matrix h.
func rank1(h []float64, P int, a float64, z []float64) {
	for j := 0; j < P; j++ {
		aj := a * z[j]
		hrow := h[j*P+j : j*P+P]
		zz := z[j:P]
		zz = zz[:len(hrow)]
		for k, v := range zz {
			hrow[k] += aj * v
		}
	}
}

// rank2 adds a·z zᵀ + b·u uᵀ to the upper triangle of the P×P matrix h.
func rank2(h []float64, P int, a float64, z []float64, b float64, u []float64) {
	for j := 0; j < P; j++ {
		aj := a * z[j]
		bj := b * u[j]
		hrow := h[j*P+j : j*P+P]
		zz := z[j:P]
		zz = zz[:len(hrow)]
		uu := u[j:P]
		uu = uu[:len(hrow)]
		for k := range hrow {
			hrow[k] += aj*zz[k] + bj*uu[k]
		}
	}
}

// valueError reports a non-finite x value; it unwraps to ErrInput.
type valueError struct {
	row, col int // col is the position among the columns being fitted
	value    float64
	name     string
}

func (e *valueError) Error() string {
	col := e.name
	if col == "" {
		col = fmt.Sprintf("column %d", e.col)
	}
	return fmt.Sprintf("%v: row %d %s is %v (missing values must be imputed or binned first)", ErrInput, e.row, col, e.value)
}

func (e *valueError) Unwrap() error { return ErrInput }

// badRow reports the first non-finite value of row i.
func badRow(i int, xs []float64) error {
	for j, v := range xs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &valueError{row: i, col: j, value: v}
		}
	}
	return fmt.Errorf("%w: row %d gives a non-finite linear predictor", ErrInput, i)
}
