package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"

	"lendscore/models/binning"
	"lendscore/models/logit"
	"lendscore/models/scorecard"
	"lendscore/stages/frame"
)

// Selection configures variable selection. Zero values mean the documented defaults.
type Selection struct {
	MinIV           float64 // drop below (default 0.02)
	MaxMissingShare float64 // drop when the train share of missing values is above (0.95)
	MaxSingleShare  float64 // drop when one value holds more than this share (0.95)
	MaxCorrelation  float64 // of WOE values between two variables; the lower IV goes (0.7)
	MaxVIF          float64 // drop the highest VIF above this, repeatedly (10)
	Stepwise        string  // "", forward, backward, both
	Criterion       string  // aic | pvalue
	MaxVariables    int     // 0: no limit
}

func (s *Selection) defaults() {
	def := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&s.MinIV, 0.02)
	def(&s.MaxMissingShare, 0.95)
	def(&s.MaxSingleShare, 0.95)
	def(&s.MaxCorrelation, 0.7)
	def(&s.MaxVIF, 10)
	if s.Criterion == "" {
		s.Criterion = "aic"
	}
}

// Options configure a fit.
type Options struct {
	Model, Version string
	// Candidates are the candidate variables, in report order.
	Candidates []string
	Binning    binning.Config
	// Manual holds hand-set bins: for a numeric variable its cut points, for a categorical
	// one its groups with categories separated by '|'.
	Manual    map[string][]string
	Selection Selection
	Scaling   scorecard.Scaling
	Grades    []scorecard.Grade
	Tiers     scorecard.Tiers
	// Parallelism bounds the variables binned at once (default GOMAXPROCS). Results do not
	// depend on it.
	Parallelism int
}

// VariableReport is one candidate variable in metrics.json: its IV, whether it was selected
// and, when not, why; its coefficient with standard error and p-value, and its VIF.
type VariableReport struct {
	Name           string  `json:"name"`
	Kind           string  `json:"kind"`
	IV             float64 `json:"iv"`
	Selected       bool    `json:"selected"`
	DroppedBecause string  `json:"dropped_because"`
	Coefficient    float64 `json:"coefficient"`
	StdErr         float64 `json:"std_error"`
	PValue         float64 `json:"p_value"`
	VIF            float64 `json:"vif"`
	MissingShare   float64 `json:"missing_share"`
	SingleShare    float64 `json:"single_value_share"`
	Bins           int     `json:"bins"`
}

// Result is a fitted scorecard with everything a validator reviews.
type Result struct {
	// Binned holds the binning of every candidate that could be binned, by name.
	Binned map[string]*binning.Variable
	// Variables reports every candidate in the order of Options.Candidates.
	Variables []VariableReport
	// Fit is the final logistic regression on the WOE of the selected variables.
	Fit *logit.Result
	// Selected names the variables of the scorecard, in model order.
	Selected []string
	// Corr is the correlation matrix of the train WOE values of Selected.
	Corr [][]float64
	// StepLog records the stepwise and sign-check steps, in order.
	StepLog   []string
	Scorecard *scorecard.Scorecard
}

// Fit bins the candidates on the train rows of p, selects variables, fits the regression and
// builds the scorecard.
func Fit(ctx context.Context, fr *frame.Frame, p *Prepared, opts Options) (*Result, error) {
	opts.Selection.defaults()
	var trainRows []int
	var yTrain []int8
	for k, s := range p.Sample {
		if s == 0 {
			trainRows = append(trainRows, p.Used[k])
			yTrain = append(yTrain, p.Bad[k])
		}
	}
	nb := 0
	for _, y := range yTrain {
		nb += int(y)
	}
	if nb == 0 || nb == len(yTrain) {
		return nil, fmt.Errorf("the train sample has %d rows and %d bads: the target needs both classes", len(yTrain), nb)
	}
	res := &Result{Binned: map[string]*binning.Variable{}}
	reports, err := binAll(ctx, fr, trainRows, yTrain, opts, res)
	if err != nil {
		return nil, err
	}
	res.Variables = reports
	byName := map[string]*VariableReport{}
	for i := range res.Variables {
		byName[res.Variables[i].Name] = &res.Variables[i]
	}

	// Univariate filters.
	var kept []string
	for i := range res.Variables {
		r := &res.Variables[i]
		switch {
		case r.DroppedBecause != "":
		case r.MissingShare > opts.Selection.MaxMissingShare:
			r.DroppedBecause = fmt.Sprintf("missing share %.3f above %.3f", r.MissingShare, opts.Selection.MaxMissingShare)
		case r.SingleShare > opts.Selection.MaxSingleShare:
			r.DroppedBecause = fmt.Sprintf("single value share %.3f above %.3f", r.SingleShare, opts.Selection.MaxSingleShare)
		case r.Bins < 2:
			r.DroppedBecause = "a single bin: no discrimination"
		case r.IV < opts.Selection.MinIV:
			r.DroppedBecause = fmt.Sprintf("IV %.4f below %.4f", r.IV, opts.Selection.MinIV)
		default:
			kept = append(kept, r.Name)
		}
	}
	// Strongest first: the order of the correlation filter and of the model.
	sort.SliceStable(kept, func(a, b int) bool { return byName[kept[a]].IV > byName[kept[b]].IV })

	woe := map[string][]float64{}
	for _, name := range kept {
		woe[name] = woeColumn(fr.Column(name), res.Binned[name], trainRows)
	}

	// Correlation of WOE values: of two variables above the limit, the lower IV goes.
	var afterCorr []string
	for _, name := range kept {
		drop := ""
		for _, k := range afterCorr {
			if c := pearson(woe[name], woe[k]); math.Abs(c) > opts.Selection.MaxCorrelation {
				drop = fmt.Sprintf("WOE correlation %.3f with %s above %.2f", c, k, opts.Selection.MaxCorrelation)
				break
			}
		}
		if drop != "" {
			byName[name].DroppedBecause = drop
			continue
		}
		afterCorr = append(afterCorr, name)
	}

	// VIF: drop the highest above the limit until none is.
	selected := afterCorr
	for len(selected) > 1 {
		vifs, err := vif(selected, woe)
		if err != nil {
			return nil, err
		}
		worst, wv := -1, opts.Selection.MaxVIF
		for i, v := range vifs {
			byName[selected[i]].VIF = v
			if v > wv {
				worst, wv = i, v
			}
		}
		if worst < 0 {
			break
		}
		byName[selected[worst]].DroppedBecause = fmt.Sprintf("VIF %.2f above %.2f", wv, opts.Selection.MaxVIF)
		selected = append(append([]string(nil), selected[:worst]...), selected[worst+1:]...)
	}
	if opts.Selection.MaxVariables > 0 && len(selected) > opts.Selection.MaxVariables {
		for _, name := range selected[opts.Selection.MaxVariables:] {
			byName[name].DroppedBecause = fmt.Sprintf("beyond the %d strongest variables (selection.max_variables)", opts.Selection.MaxVariables)
		}
		selected = selected[:opts.Selection.MaxVariables]
	}
	if len(selected) == 0 {
		return nil, errors.New("no variable passed selection: see dropped_because in the variable report")
	}

	selected, fit, err := fitModel(ctx, selected, woe, yTrain, opts.Selection, byName, res)
	if err != nil {
		return nil, err
	}
	res.Fit = fit
	res.Selected = selected
	for i, name := range selected {
		r := byName[name]
		r.Selected = true
		r.Coefficient, r.StdErr, r.PValue = fit.Coef[i+1], fit.StdErr[i+1], fit.P[i+1]
	}
	if vifs, err := vif(selected, woe); err == nil && len(selected) > 1 {
		for i, v := range vifs {
			byName[selected[i]].VIF = v
		}
	} else if len(selected) == 1 {
		byName[selected[0]].VIF = 1
	}
	res.Corr = make([][]float64, len(selected))
	for i, a := range selected {
		res.Corr[i] = make([]float64, len(selected))
		for j, b := range selected {
			res.Corr[i][j] = pearson(woe[a], woe[b])
		}
	}
	sc, err := buildScorecard(selected, fit, res.Binned, opts)
	if err != nil {
		return nil, err
	}
	res.Scorecard = sc
	return res, nil
}

// binAll bins every candidate on the train rows, in parallel; results do not depend on the
// parallelism.
func binAll(ctx context.Context, fr *frame.Frame, rows []int, y []int8, opts Options, res *Result) ([]VariableReport, error) {
	reports := make([]VariableReport, len(opts.Candidates))
	vars := make([]*binning.Variable, len(opts.Candidates))
	errs := make([]error, len(opts.Candidates))
	par := opts.Parallelism
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				reports[i], vars[i], errs[i] = binOne(fr.Column(opts.Candidates[i]), rows, y, opts)
			}
		}()
	}
	for i := range opts.Candidates {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err != nil {
			return nil, err
		}
		if vars[i] != nil {
			res.Binned[opts.Candidates[i]] = vars[i]
		}
	}
	return reports, nil
}

func binOne(col *frame.Column, rows []int, y []int8, opts Options) (VariableReport, *binning.Variable, error) {
	r := VariableReport{Name: col.Name, Kind: col.Kind.String()}
	n := len(rows)
	missing := 0
	var v *binning.Variable
	var err error
	manual, hasManual := opts.Manual[col.Name]
	if col.Kind == frame.Numeric {
		x := make([]float64, n)
		for k, i := range rows {
			x[k] = col.Num[i]
			if math.IsNaN(x[k]) {
				missing++
			}
		}
		r.SingleShare = modeShareFloat(x)
		if missing == n {
			r.MissingShare = 1
			r.DroppedBecause = "all values missing in the train sample"
			return r, nil, nil
		}
		if hasManual {
			breaks := make([]float64, len(manual))
			for k, s := range manual {
				if breaks[k], err = strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
					return r, nil, fmt.Errorf("binning.manual.%s: %q is not a number", col.Name, s)
				}
			}
			v, err = binning.ManualNumeric(col.Name, x, y, nil, breaks, opts.Binning)
		} else {
			v, err = binning.FitNumeric(col.Name, x, y, nil, opts.Binning)
		}
	} else {
		x := make([]string, n)
		for k, i := range rows {
			if col.Valid[i] {
				x[k] = col.Str[i]
			}
			if x[k] == "" {
				missing++
			}
		}
		r.SingleShare = modeShareString(x)
		if missing == n {
			r.MissingShare = 1
			r.DroppedBecause = "all values missing in the train sample"
			return r, nil, nil
		}
		if hasManual {
			groups := make([][]string, len(manual))
			for k, g := range manual {
				groups[k] = strings.Split(g, "|")
			}
			v, err = binning.ManualCategorical(col.Name, x, y, nil, groups, opts.Binning)
		} else {
			v, err = binning.FitCategorical(col.Name, x, y, nil, opts.Binning)
		}
	}
	r.MissingShare = float64(missing) / float64(n)
	if err != nil {
		if hasManual {
			return r, nil, fmt.Errorf("binning.manual.%s: %w", col.Name, err)
		}
		r.DroppedBecause = "binning failed: " + err.Error()
		return r, nil, nil
	}
	r.IV = v.IV
	r.Bins = len(v.Bins)
	return r, v, nil
}

func modeShareFloat(x []float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s) // NaNs first
	best, run := 0, 0
	for i := range s {
		if i > 0 && (s[i] == s[i-1] || math.IsNaN(s[i]) && math.IsNaN(s[i-1])) {
			run++
		} else {
			run = 1
		}
		best = max(best, run)
	}
	return float64(best) / float64(len(x))
}

func modeShareString(x []string) float64 {
	counts := map[string]int{}
	best := 0
	for _, v := range x {
		counts[v]++
		best = max(best, counts[v])
	}
	return float64(best) / float64(len(x))
}

// woeColumn returns the WOE of the given rows of col.
func woeColumn(col *frame.Column, v *binning.Variable, rows []int) []float64 {
	out := make([]float64, len(rows))
	if col.Kind == frame.Numeric {
		for k, i := range rows {
			out[k] = v.Bins[v.Index(col.Num[i])].WOE
		}
		return out
	}
	for k, i := range rows {
		s := ""
		if col.Valid[i] {
			s = col.Str[i]
		}
		out[k] = v.Bins[v.IndexCategory(s)].WOE
	}
	return out
}

func pearson(a, b []float64) float64 {
	n := float64(len(a))
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= n
	mb /= n
	var sab, saa, sbb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}

// vif returns the variance inflation factor of each variable: 1/(1−R²ⱼ) of the OLS
// regression of its WOE on the WOE of the others. It is computed as the diagonal of the
// inverse of the WOE correlation matrix, which equals the auxiliary regressions' figure
// exactly (a test checks it against github.com/sajari/regression) at O(n·p²) instead of one
// QR decomposition of the data per variable. A singular matrix (a perfectly collinear
// variable) gives +Inf.
func vif(names []string, woe map[string][]float64) ([]float64, error) {
	p := len(names)
	out := make([]float64, p)
	if p < 2 {
		for i := range out {
			out[i] = 1
		}
		return out, nil
	}
	corr := mat.NewSymDense(p, nil)
	for i := 0; i < p; i++ {
		corr.SetSym(i, i, 1)
		for j := i + 1; j < p; j++ {
			corr.SetSym(i, j, pearson(woe[names[i]], woe[names[j]]))
		}
	}
	var inv mat.Dense
	if err := inv.Inverse(corr); err != nil {
		var cond mat.Condition
		if !errors.As(err, &cond) {
			for i := range out {
				out[i] = math.Inf(1)
			}
			return out, nil
		}
	}
	for i := range out {
		v := inv.At(i, i)
		if v < 1 || math.IsNaN(v) {
			// Only rounding pushes a diagonal of R⁻¹ below 1; near-singular goes to +Inf.
			if math.IsNaN(v) || v < 0 {
				v = math.Inf(1)
			} else {
				v = 1
			}
		}
		out[i] = v
	}
	return out, nil
}

// fitModel fits the regression on the selected variables, runs the optional stepwise
// selection, then drops and refits while a coefficient contradicts its WOE (with WOE =
// ln(%good/%bad) every coefficient must be negative).
func fitModel(ctx context.Context, selected []string, woe map[string][]float64, y []int8, sel Selection, byName map[string]*VariableReport, res *Result) ([]string, *logit.Result, error) {
	fit := func(names []string) (*logit.Result, error) {
		x := mat.NewDense(len(y), len(names), nil)
		for j, name := range names {
			col := woe[name]
			for i := range y {
				x.Set(i, j, col[i])
			}
		}
		return logit.FitContext(ctx, x, y, logit.Options{Names: names})
	}
	if sel.Stepwise != "" && sel.Stepwise != "none" {
		var err error
		selected, err = stepwise(ctx, selected, woe, y, sel, byName, res)
		if err != nil {
			return nil, nil, err
		}
	}
	for {
		r, err := fit(selected)
		if err != nil {
			return nil, nil, fmt.Errorf("logistic regression on %s: %w", strings.Join(selected, ", "), err)
		}
		worst, worstP := -1, -1.0
		for j := range selected {
			if r.Coef[j+1] > 0 && r.P[j+1] > worstP {
				worst, worstP = j, r.P[j+1]
			}
		}
		if worst < 0 {
			return selected, r, nil
		}
		name := selected[worst]
		byName[name].DroppedBecause = fmt.Sprintf("coefficient %+.4f contradicts the WOE trend (sign check)", r.Coef[worst+1])
		res.StepLog = append(res.StepLog, fmt.Sprintf("sign check: dropped %s (coefficient %+.4f, p %.3g)", name, r.Coef[worst+1], worstP))
		selected = append(append([]string(nil), selected[:worst]...), selected[worst+1:]...)
		if len(selected) == 0 {
			return nil, nil, errors.New("every variable failed the sign check")
		}
	}
}

// buildScorecard turns the binnings and the fit into a scorecard with points.
func buildScorecard(selected []string, fit *logit.Result, binned map[string]*binning.Variable, opts Options) (*scorecard.Scorecard, error) {
	sc := &scorecard.Scorecard{
		Format:    scorecard.FormatV1,
		Model:     opts.Model,
		Version:   opts.Version,
		Intercept: fit.Coef[0],
		Scaling:   opts.Scaling,
		Grades:    opts.Grades,
		Tiers:     opts.Tiers,
	}
	if sc.Scaling == (scorecard.Scaling{}) {
		sc.Scaling = scorecard.DefaultScaling()
	}
	if len(sc.Grades) == 0 {
		sc.Grades = scorecard.DefaultGrades()
	}
	if sc.Tiers == (scorecard.Tiers{}) {
		sc.Tiers = scorecard.DefaultTiers()
	}
	for j, name := range selected {
		v := binned[name]
		ch := scorecard.Characteristic{
			Name:             name,
			Kind:             string(v.Kind),
			Coefficient:      fit.Coef[j+1],
			ReasonCode:       name,
			MissingAttribute: v.MissingBin,
			UnseenAttribute:  v.UnseenBin,
		}
		if v.Kind == binning.Categorical {
			ch.UnseenRule = "scored as the bin " + v.Bins[v.UnseenBin].Label
		}
		for _, b := range v.Bins {
			a := scorecard.Attribute{
				Label: b.Label, Interval: b.Interval, Categories: b.Categories, Missing: b.Missing, Special: b.Special,
				WOE: b.WOE, Count: int(b.Count), Bads: int(b.Bads), EventRate: b.EventRate,
			}
			if b.Interval {
				if !math.IsInf(b.Lower, -1) {
					lo := b.Lower
					a.Lower = &lo
				}
				if !math.IsInf(b.Upper, 1) {
					hi := b.Upper
					a.Upper = &hi
				}
			}
			ch.Attributes = append(ch.Attributes, a)
		}
		sc.Characteristics = append(sc.Characteristics, ch)
	}
	sc.AssignPoints()
	if err := sc.Prepare(); err != nil {
		return nil, err
	}
	return sc, nil
}
