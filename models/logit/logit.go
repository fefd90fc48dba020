// Package logit fits binary logistic regression by Newton-Raphson
// (iteratively reweighted least squares) and reports the statistics a model
// validator expects: coefficients, standard errors, Wald z and p-values,
// the covariance matrix, log-likelihoods, AIC and BIC. Standard errors and
// p-values follow statsmodels' Logit (observed information, two-sided normal
// p-values).
//
// There is one IRLS implementation. An [Accumulator] sums, for fixed
// coefficients, the log-likelihood, gradient and information matrix XᵀWX over
// batches of rows and can be merged across batches or goroutines; a [Solver]
// turns one full pass of accumulated data into the next Newton step. [Fit] is
// that loop over an in-memory matrix; callers whose data does not fit in
// memory drive the same Solver with one pass over their batches per
// iteration.
//
// Fitting failures are typed: [ErrSeparation] (complete or quasi-complete
// separation: the maximum likelihood estimate does not exist),
// [ErrNotConverged] and [ErrSingular] (a column is constant or a linear
// combination of others). Errors are wrapped with what happened and, where
// it can be told, which variable; results never silently hold NaN.
//
// The intercept is added by the package and reported first, named "const".
package logit

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Typed fitting failures; match them with errors.Is.
var (
	// ErrSeparation reports complete or quasi-complete separation: some
	// combination of the variables predicts the response (nearly) perfectly,
	// so the likelihood has no maximum and coefficients grow without bound.
	// An L2 penalty (Options.L2 > 0) makes the estimate exist again.
	ErrSeparation = errors.New("logit: separation")
	// ErrNotConverged reports that Newton-Raphson did not meet the
	// convergence tolerance within Options.MaxIter iterations.
	ErrNotConverged = errors.New("logit: not converged")
	// ErrSingular reports a singular information matrix: a column is
	// constant or a linear combination of the intercept and other columns.
	ErrSingular = errors.New("logit: singular information matrix")
	// ErrInput reports unusable input: mismatched lengths, NaN or infinite
	// values, labels outside [0, 1], negative weights.
	ErrInput = errors.New("logit: invalid input")
)

// InterceptName is the name under which the intercept is reported.
const InterceptName = "const"

// Defaults used when the corresponding Options field is zero.
const (
	DefaultMaxIter = 100
	DefaultTol     = 1e-10
)

// Label is the type of a response value: 0/1 labels as int8 (1 = event), or
// float64 values in [0, 1] (fractional responses are allowed, as in
// statsmodels' Logit).
type Label interface {
	~int8 | ~float64
}

// Options controls a fit. The zero value is ordinary maximum likelihood with
// the default iteration limit and tolerance.
type Options struct {
	// MaxIter bounds the number of Newton iterations (default 100).
	MaxIter int
	// Tol is the convergence tolerance (default 1e-10). The fit has
	// converged when the Newton step changes no row's linear predictor by
	// more than Tol (Σ_j |Δβ_j|·max_i|x_ij| ≤ Tol), or when the penalised
	// log-likelihood changes by at most Tol·(1+|ℓ|) between iterations and
	// the step is below √Tol; in that second case one more pass evaluates
	// the statistics at the final coefficients.
	Tol float64
	// Weights are optional case (frequency) weights, one per row, ≥ 0. The
	// number of observations used by BIC is their sum. Only Fit reads them;
	// streaming callers pass weights to Accumulator.Add per batch.
	Weights []float64
	// L2 is an optional ridge penalty λ: the fit maximises
	// ℓ(β) − λ/2·Σ_{j≥1} β_j² (the intercept is not penalised). Cov is then
	// the inverse of the penalised information matrix, and separation is no
	// longer an error because the penalised estimate always exists.
	L2 float64
	// Names are optional names of the columns of x, used in error messages
	// and Result.Names; they default to x1, x2, ….
	Names []string
}

// Result is a fitted logistic regression. Every slice has p+1 entries, the
// intercept first.
type Result struct {
	// Names of the coefficients: "const" then the column names.
	Names []string
	// Coef holds the estimated coefficients.
	Coef []float64
	// StdErr holds the standard errors, √diag(Cov).
	StdErr []float64
	// Z holds the Wald statistics Coef/StdErr.
	Z []float64
	// P holds two-sided p-values of Z under the standard normal.
	P []float64
	// Cov is the estimated covariance of Coef: the inverse of the
	// (penalised) information matrix XᵀWX at Coef.
	Cov *mat.SymDense
	// LogLik is the log-likelihood at Coef (without the penalty).
	LogLik float64
	// LLNull is the log-likelihood of the intercept-only model.
	LLNull float64
	// AIC is −2·LogLik + 2·k and BIC is −2·LogLik + k·ln(NObs), k = p+1.
	AIC, BIC float64
	// NObs is the number of observations (the sum of the weights).
	NObs float64
	// Iterations is the number of Newton steps computed.
	Iterations int
	// Converged reports whether the convergence criterion was met.
	Converged bool
}

// Fit fits a logistic regression of y on the columns of x (n×p, without an
// intercept column; Fit adds it). See FitContext.
func Fit[Y Label](x *mat.Dense, y []Y, opt Options) (*Result, error) {
	return FitContext(context.Background(), x, y, opt)
}

// FitContext is Fit with a context that is checked between passes over the
// data. On ErrNotConverged the returned Result is the last iterate (with
// Converged false) so that callers can inspect it; on every other error the
// Result is nil.
func FitContext[Y Label](ctx context.Context, x *mat.Dense, y []Y, opt Options) (*Result, error) {
	if x == nil || x.IsEmpty() {
		return nil, fmt.Errorf("%w: empty design matrix", ErrInput)
	}
	raw := x.RawMatrix()
	src := rowSource{data: raw.Data, stride: raw.Stride, n: raw.Rows, p: raw.Cols}
	return fitSource(ctx, src, y, opt)
}

// fitSource runs the IRLS loop over an in-memory row source.
func fitSource[Y Label](ctx context.Context, src rowSource, y []Y, opt Options) (*Result, error) {
	if len(y) != src.n {
		return nil, fmt.Errorf("%w: x has %d rows but y has %d", ErrInput, src.n, len(y))
	}
	if opt.Weights != nil && len(opt.Weights) != src.n {
		return nil, fmt.Errorf("%w: x has %d rows but %d weights", ErrInput, src.n, len(opt.Weights))
	}
	s, err := NewSolver(src.p, opt)
	if err != nil {
		return nil, err
	}
	for !s.Done() {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("logit: fit interrupted after %d iterations: %w", s.Iterations(), err)
		}
		acc := s.NewAccumulator()
		if err := addRows(acc, src, y, opt.Weights); err != nil {
			var ve *valueError
			if errors.As(err, &ve) {
				ve.name = fmt.Sprintf("column %q", s.names[ve.col])
			}
			return nil, err
		}
		if err := s.Update(acc); err != nil {
			return s.Result()
		}
	}
	return s.Result()
}

// columnNames returns the p column names, defaulting to x1…xp.
func columnNames(p int, names []string) ([]string, error) {
	if names != nil {
		if len(names) != p {
			return nil, fmt.Errorf("%w: %d names for %d columns", ErrInput, len(names), p)
		}
		return append([]string(nil), names...), nil
	}
	out := make([]string, p)
	for j := range out {
		out[j] = fmt.Sprintf("x%d", j+1)
	}
	return out, nil
}

// normalP returns the two-sided standard normal p-value of z.
func normalP(z float64) float64 {
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}
