package logit

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Direction is the search direction of Stepwise.
type Direction int

const (
	// Forward starts from the intercept (plus forced columns) and adds.
	Forward Direction = iota
	// Backward starts from every column and removes.
	Backward
	// Both starts like Forward; after each entry variables may leave again.
	Both
)

func (d Direction) String() string {
	switch d {
	case Forward:
		return "forward"
	case Backward:
		return "backward"
	case Both:
		return "both"
	}
	return "Direction(" + strconv.Itoa(int(d)) + ")"
}

// Criterion decides which variable enters or leaves in Stepwise.
type Criterion int

const (
	// AIC takes, at each step, the entry or removal that lowers the AIC
	// most, and stops when none lowers it (as R's step()).
	AIC Criterion = iota
	// PValue enters the candidate with the smallest Wald p-value in its
	// fitted model if it is below Enter, and removes the model variable with
	// the largest Wald p-value if it is above Stay (as SAS's SELECTION=
	// FORWARD/BACKWARD/STEPWISE with SLENTRY/SLSTAY, but with Wald rather
	// than score tests for entry).
	PValue
)

func (c Criterion) String() string {
	switch c {
	case AIC:
		return "AIC"
	case PValue:
		return "p-value"
	}
	return "Criterion(" + strconv.Itoa(int(c)) + ")"
}

// Defaults used when the corresponding StepwiseOptions field is zero.
const (
	DefaultEnter = 0.05
	DefaultStay  = 0.05
)

// StepwiseOptions controls Stepwise.
type StepwiseOptions struct {
	Direction Direction
	Criterion Criterion
	// Enter is the p-value below which a candidate may enter (PValue
	// criterion; default 0.05).
	Enter float64
	// Stay is the p-value above which a model variable leaves (PValue
	// criterion; default 0.05). With Direction Both, Enter must not exceed
	// Stay, or a variable could enter and leave forever.
	Stay float64
	// Force lists columns kept in every model (never removed).
	Force []int
	// MaxSteps bounds the number of entries plus removals (default 2·p).
	MaxSteps int
	// Fit holds the options of every fit (MaxIter, Tol, Weights, L2);
	// its Names field is ignored in favour of the names argument.
	Fit Options
}

// Action is what happened at one step of Stepwise.
type Action int

const (
	// Entered: a variable entered the model.
	Entered Action = iota
	// Removed: a variable left the model.
	Removed
	// Skipped: a candidate model could not be fitted (separation,
	// singularity, no convergence) and the candidate was passed over; it is
	// logged the first time only.
	Skipped
)

func (a Action) String() string {
	switch a {
	case Entered:
		return "enter"
	case Removed:
		return "remove"
	case Skipped:
		return "skip"
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// Step is one entry of the stepwise log.
type Step struct {
	// Step numbers entries and removals from 1; a Skipped entry carries
	// the number of the step being searched.
	Step   int
	Action Action
	// Column is the index of the variable in x; Name its name.
	Column int
	Name   string
	// PValue is the variable's Wald p-value in the model it entered, or in
	// the model it left.
	PValue float64
	// AIC is the AIC of the model after the step (0 for Skipped).
	AIC float64
	// Reason says why, in words: the criterion values, or the fit error.
	Reason string
}

// StepwiseResult is the outcome of Stepwise.
type StepwiseResult struct {
	// Selected holds the column indices of the final model, ascending.
	Selected []int
	// Steps is the log of entries, removals and skipped candidates.
	Steps []Step
	// Model is the fit of the final model (its coefficients follow
	// Selected).
	Model *Result
}

// Stepwise selects columns of x by stepwise logistic regression. names
// gives one name per column (nil means x1…xp). See StepwiseContext.
func Stepwise[Y Label](x *mat.Dense, y []Y, names []string, opt StepwiseOptions) (*StepwiseResult, error) {
	return StepwiseContext(context.Background(), x, y, names, opt)
}

// StepwiseContext is Stepwise with a context checked between fits. Ties
// are broken towards the lower column index, so the search is
// deterministic. The search stops when no move satisfies the criterion,
// when MaxSteps moves were made, or when a model repeats.
func StepwiseContext[Y Label](ctx context.Context, x *mat.Dense, y []Y, names []string, opt StepwiseOptions) (*StepwiseResult, error) {
	if x == nil || x.IsEmpty() {
		return nil, fmt.Errorf("%w: empty design matrix", ErrInput)
	}
	raw := x.RawMatrix()
	p := raw.Cols
	names, err := columnNames(p, names)
	if err != nil {
		return nil, err
	}
	if err := normaliseStepwise(&opt, p); err != nil {
		return nil, err
	}
	sw := &stepwise[Y]{
		ctx:     ctx,
		src:     rowSource{data: raw.Data, stride: raw.Stride, n: raw.Rows, p: p},
		y:       y,
		names:   names,
		opt:     opt,
		forced:  make([]bool, p),
		skipped: make([]bool, p),
	}
	for _, c := range opt.Force {
		sw.forced[c] = true
	}
	return sw.run()
}

func normaliseStepwise(opt *StepwiseOptions, p int) error {
	if opt.Direction < Forward || opt.Direction > Both {
		return fmt.Errorf("%w: stepwise direction %v", ErrInput, opt.Direction)
	}
	if opt.Criterion < AIC || opt.Criterion > PValue {
		return fmt.Errorf("%w: stepwise criterion %v", ErrInput, opt.Criterion)
	}
	if opt.Enter == 0 {
		opt.Enter = DefaultEnter
	}
	if opt.Stay == 0 {
		opt.Stay = DefaultStay
	}
	if !(opt.Enter > 0 && opt.Enter <= 1) || !(opt.Stay > 0 && opt.Stay <= 1) {
		return fmt.Errorf("%w: stepwise thresholds Enter=%v Stay=%v must be in (0, 1]", ErrInput, opt.Enter, opt.Stay)
	}
	if opt.Criterion == PValue && opt.Direction == Both && opt.Enter > opt.Stay {
		return fmt.Errorf("%w: stepwise Enter=%v exceeds Stay=%v, so a variable could enter and leave forever", ErrInput, opt.Enter, opt.Stay)
	}
	for _, c := range opt.Force {
		if c < 0 || c >= p {
			return fmt.Errorf("%w: forced column %d out of range [0, %d)", ErrInput, c, p)
		}
	}
	if opt.MaxSteps < 0 {
		return fmt.Errorf("%w: MaxSteps %d", ErrInput, opt.MaxSteps)
	}
	if opt.MaxSteps == 0 {
		opt.MaxSteps = max(2*p, 1)
	}
	return nil
}

// stepwise holds the state of one search.
type stepwise[Y Label] struct {
	ctx     context.Context
	src     rowSource
	y       []Y
	names   []string
	opt     StepwiseOptions
	forced  []bool
	skipped []bool // candidates whose failure was already logged

	in      []int   // current model columns, ascending
	cur     *Result // fit of the current model
	steps   []Step
	step    int // moves made so far
	visited map[string]bool
}

// fit fits the model on cols (ascending).
func (s *stepwise[Y]) fit(cols []int) (*Result, error) {
	src := s.src
	src.cols = cols
	src.p = len(cols)
	opt := s.opt.Fit
	opt.Names = make([]string, len(cols))
	for j, c := range cols {
		opt.Names[j] = s.names[c]
	}
	return fitSource(s.ctx, src, s.y, opt)
}

func key(cols []int) string {
	var b strings.Builder
	for _, c := range cols {
		b.WriteString(strconv.Itoa(c))
		b.WriteByte(',')
	}
	return b.String()
}

func with(cols []int, c int) []int {
	out := append(slices.Clone(cols), c)
	slices.Sort(out)
	return out
}

func without(cols []int, c int) []int {
	out := slices.Clone(cols)
	return slices.Delete(out, slices.Index(out, c), slices.Index(out, c)+1)
}

// pValueOf returns the Wald p-value of column c in a fit on cols.
func pValueOf(res *Result, cols []int, c int) float64 {
	return res.P[slices.Index(cols, c)+1]
}

// candidate is a fitted model one move away from the current one.
type candidate struct {
	action Action
	column int
	cols   []int
	res    *Result
	pValue float64
}

func (s *stepwise[Y]) run() (*StepwiseResult, error) {
	p := s.src.p
	if s.opt.Direction == Backward {
		for c := range p {
			s.in = append(s.in, c)
		}
	} else {
		s.in = slices.Clone(s.opt.Force)
		slices.Sort(s.in)
		s.in = slices.Compact(s.in)
	}
	cur, err := s.fit(s.in)
	if err != nil {
		return nil, fmt.Errorf("stepwise: starting model (%d columns): %w", len(s.in), err)
	}
	s.cur = cur
	s.visited = map[string]bool{key(s.in): true}
	for s.step < s.opt.MaxSteps {
		if err := s.ctx.Err(); err != nil {
			return nil, fmt.Errorf("stepwise: interrupted after %d steps: %w", s.step, err)
		}
		var moved bool
		var err error
		if s.opt.Criterion == AIC {
			moved, err = s.aicStep()
		} else {
			moved, err = s.pValueStep()
		}
		if err != nil {
			return nil, err
		}
		if !moved {
			break
		}
		if s.visited[key(s.in)] {
			break // the search came back to an earlier model
		}
		s.visited[key(s.in)] = true
	}
	return &StepwiseResult{Selected: slices.Clone(s.in), Steps: s.steps, Model: s.cur}, nil
}

// neighbours fits every model one move away: one more column (Entered)
// or one unforced column less (Removed). Candidates that cannot be fitted
// are logged as Skipped and passed over.
func (s *stepwise[Y]) neighbours(action Action) ([]candidate, error) {
	var out []candidate
	for c := range s.src.p {
		in := slices.Contains(s.in, c)
		var cols []int
		switch {
		case action == Entered && !in:
			cols = with(s.in, c)
		case action == Removed && in && !s.forced[c]:
			cols = without(s.in, c)
		default:
			continue
		}
		res, err := s.fit(cols)
		if err != nil {
			if s.ctx.Err() != nil {
				return nil, fmt.Errorf("stepwise: %w", s.ctx.Err())
			}
			s.skip(c, err)
			continue
		}
		// The p-value of the variable in the model that holds it.
		pv := pValueOf(res, cols, c)
		if action == Removed {
			pv = pValueOf(s.cur, s.in, c)
		}
		out = append(out, candidate{action: action, column: c, cols: cols, res: res, pValue: pv})
	}
	return out, nil
}

func (s *stepwise[Y]) skip(c int, err error) {
	if s.skipped[c] {
		return
	}
	s.skipped[c] = true
	s.steps = append(s.steps, Step{Step: s.step + 1, Action: Skipped, Column: c, Name: s.names[c], Reason: err.Error()})
}

func (s *stepwise[Y]) apply(c candidate, reason string) {
	s.step++
	s.in = c.cols
	s.cur = c.res
	s.steps = append(s.steps, Step{
		Step: s.step, Action: c.action, Column: c.column, Name: s.names[c.column],
		PValue: c.pValue, AIC: c.res.AIC, Reason: reason,
	})
}

// aicStep makes the single move (entry or removal, as the direction
// allows) that lowers the AIC most.
func (s *stepwise[Y]) aicStep() (bool, error) {
	var cands []candidate
	for _, action := range []Action{Entered, Removed} {
		if (action == Entered && s.opt.Direction == Backward) || (action == Removed && s.opt.Direction == Forward) {
			continue
		}
		more, err := s.neighbours(action)
		if err != nil {
			return false, err
		}
		cands = append(cands, more...)
	}
	best := -1
	for i, c := range cands {
		if best < 0 || c.res.AIC < cands[best].res.AIC ||
			(c.res.AIC == cands[best].res.AIC && c.column < cands[best].column) {
			best = i
		}
	}
	// Demand a real improvement, not rounding noise.
	if best < 0 || !(cands[best].res.AIC < s.cur.AIC-1e-9*(1+math.Abs(s.cur.AIC))) {
		return false, nil
	}
	c := cands[best]
	s.apply(c, fmt.Sprintf("AIC %.4f → %.4f", s.cur.AIC, c.res.AIC))
	return true, nil
}

// pValueStep makes one forward entry (Forward, Both) followed, for Both,
// by the removals it triggers; or one backward removal (Backward).
func (s *stepwise[Y]) pValueStep() (bool, error) {
	if s.opt.Direction == Backward {
		return s.removeWorst()
	}
	add, err := s.neighbours(Entered)
	if err != nil {
		return false, err
	}
	best := -1
	for i, c := range add {
		if best < 0 || c.pValue < add[best].pValue {
			best = i
		}
	}
	if best < 0 || !(add[best].pValue < s.opt.Enter) {
		return false, nil
	}
	c := add[best]
	s.apply(c, fmt.Sprintf("p = %.4g < enter %.4g", c.pValue, s.opt.Enter))
	if s.opt.Direction == Both {
		for s.step < s.opt.MaxSteps {
			removed, err := s.removeWorst()
			if err != nil {
				return false, err
			}
			if !removed {
				break
			}
		}
	}
	return true, nil
}

// removeWorst removes the unforced model variable with the largest Wald
// p-value if it exceeds Stay.
func (s *stepwise[Y]) removeWorst() (bool, error) {
	worst, worstP := -1, 0.0
	for _, c := range s.in {
		if s.forced[c] {
			continue
		}
		if pv := pValueOf(s.cur, s.in, c); worst < 0 || pv > worstP {
			worst, worstP = c, pv
		}
	}
	if worst < 0 || !(worstP > s.opt.Stay) {
		return false, nil
	}
	cols := without(s.in, worst)
	res, err := s.fit(cols)
	if err != nil {
		return false, fmt.Errorf("stepwise: refitting without %q: %w", s.names[worst], err)
	}
	s.apply(candidate{action: Removed, column: worst, cols: cols, res: res, pValue: worstP},
		fmt.Sprintf("p = %.4g > stay %.4g", worstP, s.opt.Stay))
	return true, nil
}
