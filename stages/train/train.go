package train

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"runtime"
	"slices"
	"sort"
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
	// Candidates are the candidate variables, in report order (Fit; FitTable takes the
	// table's).
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
	// Variables reports every candidate in the order of the table's candidates.
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
	// Attr holds, per scorecard characteristic (model order), the attribute index of every
	// used row of the table: what Scorecard.ScoreAttributes takes, equal to what the
	// scorecard's own lookups give for the row's value.
	Attr []*frame.Codes
}

// Fit bins the candidates on the train rows of p, selects variables, fits the regression and
// builds the scorecard. It is FitTable on the candidates of fr.
func Fit(ctx context.Context, fr *frame.Frame, p *Prepared, opts Options) (*Result, error) {
	t, err := tableOf(fr, p, opts.Candidates)
	if err != nil {
		return nil, err
	}
	return FitTable(ctx, t, opts)
}

// tableOf holds the used rows of fr compactly.
func tableOf(fr *frame.Frame, p *Prepared, candidates []string) (*Table, error) {
	t := &Table{Bad: p.Bad, Sample: p.Sample, Refused: p.Refused}
	buf := make([]float64, 0, min(len(p.Used), 1<<16))
	for _, name := range candidates {
		col := fr.Column(name)
		if col == nil {
			return nil, fmt.Errorf("candidate %q: not in the table", name)
		}
		c := &Candidate{Name: name, Kind: col.Kind}
		if col.Kind == frame.Numeric {
			c.Num = &frame.NumericColumn{}
			for start := 0; start < len(p.Used); start += cap(buf) {
				buf = buf[:0]
				for _, i := range p.Used[start:min(start+cap(buf), len(p.Used))] {
					buf = append(buf, col.Num[i])
				}
				c.Num.Append(buf)
			}
		} else {
			c.Cat = frame.NewCategoricalColumn()
			for _, i := range p.Used {
				c.Cat.Append(col.Str[i], col.Valid[i])
			}
		}
		t.Candidates = append(t.Candidates, c)
	}
	return t, nil
}

// FitTable bins the candidates of t on its train rows, selects variables, fits the
// regression and builds the scorecard. It releases each candidate's values once the
// candidate is binned (its bin indices replace them), so a table is fitted once. Results do
// not depend on Options.Parallelism or GOMAXPROCS.
func FitTable(ctx context.Context, t *Table, opts Options) (*Result, error) {
	opts.Selection.defaults()
	nTrain := 0
	for _, s := range t.Sample {
		if s == 0 {
			nTrain++
		}
	}
	trainRows := make([]int32, 0, nTrain)
	otherRows := make([]int32, 0, len(t.Sample)-nTrain)
	yTrain := make([]int8, 0, nTrain)
	for k, s := range t.Sample {
		if s == 0 {
			trainRows = append(trainRows, int32(k))
			yTrain = append(yTrain, t.Bad[k])
		} else {
			otherRows = append(otherRows, int32(k))
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
	reports, codes, err := binAll(ctx, t, trainRows, otherRows, yTrain, opts, res)
	if err == nil {
		err = t.spillErr()
	}
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
	for name := range codes {
		if !slices.Contains(kept, name) {
			delete(codes, name) // not needed any more
		}
	}

	d := &design{rows: trainRows, y: yTrain, codes: codes, woe: map[string][]float64{}, index: map[string]int{}}
	for i, name := range kept {
		d.woe[name] = woeTable(res.Binned[name])
		d.index[name] = i
	}
	if d.corr, err = d.correlations(ctx, kept); err != nil {
		return nil, err
	}

	// Correlation of WOE values: of two variables above the limit, the lower IV goes.
	var afterCorr []string
	for _, name := range kept {
		drop := ""
		for _, k := range afterCorr {
			if c := d.pearson(name, k); math.Abs(c) > opts.Selection.MaxCorrelation {
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
		vifs, err := vif(selected, d.pearson)
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

	selected, fit, err := fitModel(ctx, selected, d, opts.Selection, byName, res)
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
	if vifs, err := vif(selected, d.pearson); err == nil && len(selected) > 1 {
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
			res.Corr[i][j] = d.pearson(a, b)
		}
	}
	sc, err := buildScorecard(selected, fit, res.Binned, opts)
	if err != nil {
		return nil, err
	}
	res.Scorecard = sc
	for _, name := range selected {
		res.Attr = append(res.Attr, codes[name])
	}
	if err := t.spillErr(); err != nil {
		return nil, err
	}
	return res, nil
}

// binAll bins every candidate on the train rows, in parallel, and returns the reports and
// the bin index of every used row of each binned candidate; results do not depend on the
// parallelism. Each candidate's values are released once it is binned.
func binAll(ctx context.Context, t *Table, rows, other []int32, y []int8, opts Options, res *Result) ([]VariableReport, map[string]*frame.Codes, error) {
	n := len(t.Candidates)
	reports := make([]VariableReport, n)
	vars := make([]*binning.Variable, n)
	codes := make([]*frame.Codes, n)
	errs := make([]error, n)
	err := forEachCandidate(ctx, n, opts.Parallelism, func(i int, s *binScratch) {
		c := t.Candidates[i]
		reports[i], vars[i], codes[i], errs[i] = binOne(c, t.Used(), rows, other, y, opts, s, t.spill)
		c.Num, c.Cat, c.keys, c.codes = nil, nil, nil, nil
	})
	if err != nil {
		return nil, nil, err
	}
	out := map[string]*frame.Codes{}
	for i, err := range errs {
		if err != nil {
			return nil, nil, err
		}
		if vars[i] != nil {
			name := t.Candidates[i].Name
			res.Binned[name] = vars[i]
			out[name] = codes[i]
		}
	}
	return reports, out, nil
}

// forEachCandidate calls fn(i, s) for every candidate i < n on up to par goroutines
// (GOMAXPROCS when par ≤ 0), each with scratch buffers of its own, candidates taken in
// order. Once ctx is done no candidate is started; ctx's error is returned.
func forEachCandidate(ctx context.Context, n, par int, fn func(i int, s *binScratch)) error {
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(par, n) {
		wg.Go(func() {
			var s binScratch
			for i := range next {
				fn(i, &s)
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return ctx.Err()
}

// binScratch holds one binning worker's buffers, reused from variable to variable.
type binScratch struct {
	rest      []float64 // values of wide chunks, goods and bads
	restOther []float64 // values of wide chunks outside the train sample
	zeros     []int8
	codes     []uint32
	goods     []float64
	bads      []float64
	seen      []bool
}

// decodeChunk is the number of rows decoded at a time.
const decodeChunk = 1 << 14

func binOne(c *Candidate, used int, rows, other []int32, y []int8, opts Options, s *binScratch, spill *frame.Spill) (VariableReport, *binning.Variable, *frame.Codes, error) {
	r := VariableReport{Name: c.Name, Kind: c.Kind.String()}
	n := len(rows)
	missing := 0
	var v *binning.Variable
	var err error
	manual, hasManual := opts.Manual[c.Name]
	if c.Kind == frame.Numeric {
		breaks, err := manualBreaks(c.Name, opts.Manual)
		if err != nil {
			return r, nil, nil, err
		}
		h, miss, err := s.trainValues(c, rows, other, y, breaks, opts.Binning.Special)
		if err != nil {
			return r, nil, nil, fmt.Errorf("bin %s: %w", c.Name, err)
		}
		missing = miss[0] + miss[1]
		if missing == n {
			r.SingleShare, r.MissingShare = 1, 1
			r.DroppedBecause = "all values missing in the train sample"
			return r, nil, nil, nil
		}
		v, err = fitNumeric(h, miss, c.Name, breaks, hasManual, opts.Binning)
		r.SingleShare = modeShare(h, miss, n)
	} else {
		var counts *binning.Counts
		counts, missing, r.SingleShare = s.categoryCounts(c.Cat, rows, y)
		if missing == n {
			r.MissingShare = 1
			r.DroppedBecause = "all values missing in the train sample"
			return r, nil, nil, nil
		}
		if hasManual {
			groups := make([][]string, len(manual))
			for k, g := range manual {
				groups[k] = strings.Split(g, "|")
			}
			v, err = binning.ApplyManual(c.Name, counts, binning.Manual{Groups: groups}, opts.Binning)
		} else {
			v, err = binning.FitCounts(c.Name, counts, opts.Binning)
		}
		if err != nil {
			err = fmt.Errorf("bin %s: %w", c.Name, err)
		}
	}
	r.MissingShare = float64(missing) / float64(n)
	if err != nil {
		if hasManual {
			return r, nil, nil, fmt.Errorf("binning.manual.%s: %w", c.Name, err)
		}
		r.DroppedBecause = "binning failed: " + err.Error()
		return r, nil, nil, nil
	}
	r.IV = v.IV
	r.Bins = len(v.Bins)
	return r, v, s.binCodes(c, v, used, spill), nil
}

// categoryCounts counts the goods and bads of every category over rows (ascending); the
// categories come in order of first appearance, as binning.Counts.AddCategorical adds them.
// It also returns the number of missing values and the share of the most frequent value
// (missing counted as one value).
func (s *binScratch) categoryCounts(col *frame.CategoricalColumn, rows []int32, y []int8) (*binning.Counts, int, float64) {
	nd := len(col.Dict)
	s.goods = slices.Grow(s.goods[:0], nd)[:nd]
	s.bads = slices.Grow(s.bads[:0], nd)[:nd]
	s.seen = slices.Grow(s.seen[:0], nd)[:nd]
	clear(s.goods)
	clear(s.bads)
	clear(s.seen)
	if cap(s.codes) < decodeChunk {
		s.codes = make([]uint32, decodeChunk)
	}
	var order []uint32
	for start := 0; start < len(rows); start += decodeChunk {
		part := rows[start:min(start+decodeChunk, len(rows))]
		codes := s.codes[:len(part)]
		col.Codes.Gather(codes, part)
		for k, code := range codes {
			if y[start+k] == 1 {
				s.bads[code]++
			} else {
				s.goods[code]++
			}
			if !s.seen[code] {
				s.seen[code] = true
				order = append(order, code)
			}
		}
	}
	c := binning.NewCategoricalCounts()
	c.MissingGoods, c.MissingBads = s.goods[0], s.bads[0]
	best := 0.0
	for code := range nd {
		best = max(best, s.goods[code]+s.bads[code])
	}
	for _, code := range order {
		if code != 0 {
			c.Categories = append(c.Categories, col.Dict[code])
			c.Goods = append(c.Goods, s.goods[code])
			c.Bads = append(c.Bads, s.bads[code])
		}
	}
	return c, int(s.goods[0] + s.bads[0]), best / float64(len(rows))
}

// binCodes returns the bin of every used row of c under v: the attribute index the
// scorecard built from v gives the row's value. With spill set, the bins go to the spill
// file as they are written.
func (s *binScratch) binCodes(c *Candidate, v *binning.Variable, used int, spill *frame.Spill) *frame.Codes {
	out := frame.NewCodesIn(used, uint32(len(v.Bins)-1), spill)
	if c.Kind == frame.Categorical {
		binOf := make([]uint32, len(c.Cat.Dict))
		for code, cat := range c.Cat.Dict {
			binOf[code] = uint32(v.IndexCategory(cat))
		}
		s.mapCodes(out, &c.Cat.Codes, binOf)
		return out
	}
	l := newNumericLookup(v)
	if c.keys != nil { // the bin of a key is that of its smallest value
		binOf := make([]uint32, len(c.keys.keys)+1)
		binOf[0] = l.missing
		for k, m := range c.keys.mins {
			binOf[k+1] = l.bin(m)
		}
		s.mapCodes(out, c.codes, binOf)
		return out
	}
	codes := slices.Grow(s.codes[:0], decodeChunk)[:decodeChunk]
	for start := 0; start < used; start += decodeChunk {
		part := codes[:min(decodeChunk, used-start)]
		c.Num.Map(part, start, l.bin)
		out.SetAll(start, part)
	}
	s.codes = codes
	return out
}

// mapCodes sets out[i] to binOf[codes[i]] for every row.
func (s *binScratch) mapCodes(out, codes *frame.Codes, binOf []uint32) {
	buf := slices.Grow(s.codes[:0], decodeChunk)[:decodeChunk]
	for start := 0; start < out.Len(); start += decodeChunk {
		part := buf[:min(decodeChunk, out.Len()-start)]
		codes.Decode(part, start)
		for k, code := range part {
			part[k] = binOf[code]
		}
		out.SetAll(start, part)
	}
	s.codes = buf
}

// numericLookup finds the bin of a numeric value as the scorecard's NumericAttribute does:
// the missing bin for NaN, the bin holding a special value seen in training, else the
// interval [edge, next edge) holding the value (a special value never seen in training
// included).
type numericLookup struct {
	edges      []float64
	special    []float64
	specialBin []uint32
	missing    uint32
}

func newNumericLookup(v *binning.Variable) *numericLookup {
	l := &numericLookup{edges: v.Edges, missing: uint32(v.MissingBin)}
	for i, b := range v.Bins {
		for _, sv := range b.Special {
			l.special = append(l.special, sv)
			l.specialBin = append(l.specialBin, uint32(i))
		}
	}
	return l
}

func (l *numericLookup) bin(x float64) uint32 {
	if x != x {
		return l.missing
	}
	for k, sv := range l.special {
		if x == sv {
			return l.specialBin[k]
		}
	}
	lo, hi := 0, len(l.edges)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if l.edges[m] <= x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return uint32(lo)
}

// woeTable returns the WOE of every bin of v.
func woeTable(v *binning.Variable) []float64 {
	w := make([]float64, len(v.Bins))
	for i, b := range v.Bins {
		w[i] = b.WOE
	}
	return w
}

// vif returns the variance inflation factor of each variable: 1/(1−R²ⱼ) of the OLS
// regression of its WOE on the WOE of the others. It is computed as the diagonal of the
// inverse of the WOE correlation matrix, which equals the auxiliary regressions' figure
// exactly (a test checks it against github.com/sajari/regression) at O(p³) once the
// correlations are known, instead of one QR decomposition of the data per variable. A
// singular matrix (a perfectly collinear variable) gives +Inf.
func vif(names []string, corr func(a, b string) float64) ([]float64, error) {
	p := len(names)
	out := make([]float64, p)
	if p < 2 {
		for i := range out {
			out[i] = 1
		}
		return out, nil
	}
	cm := mat.NewSymDense(p, nil)
	for i := 0; i < p; i++ {
		cm.SetSym(i, i, 1)
		for j := i + 1; j < p; j++ {
			cm.SetSym(i, j, corr(names[i], names[j]))
		}
	}
	var inv mat.Dense
	if err := inv.Inverse(cm); err != nil {
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
func fitModel(ctx context.Context, selected []string, d *design, sel Selection, byName map[string]*VariableReport, res *Result) ([]string, *logit.Result, error) {
	if sel.Stepwise != "" && sel.Stepwise != "none" {
		var err error
		selected, err = stepwise(ctx, selected, d, sel, byName, res)
		if err != nil {
			return nil, nil, err
		}
	}
	for {
		r, err := d.fit(ctx, selected)
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

// ScoredRow is the scoring of one row: its attribute index per scorecard characteristic
// (reused from row to row) and what Scorecard.ScoreAttributes makes of them.
type ScoredRow struct {
	Attr []int
	scorecard.Result
}

// Scored scores used rows [lo, hi) of the table r was fitted on, in order. Distinct ranges
// may be scored concurrently.
func (r *Result) Scored(lo, hi int) iter.Seq2[int, ScoredRow] {
	return func(yield func(int, ScoredRow) bool) {
		maxPoints := r.Scorecard.MaxPointsAll()
		p := len(r.Attr)
		const chunk = 1 << 12
		codes := make([]uint32, p*chunk)
		row := ScoredRow{Attr: make([]int, p)}
		for start := lo; start < hi; start += chunk {
			end := min(start+chunk, hi)
			m := end - start
			for j, c := range r.Attr {
				c.Decode(codes[j*chunk:j*chunk+m], start)
			}
			for i := 0; i < m; i++ {
				for j := range row.Attr {
					row.Attr[j] = int(codes[j*chunk+i])
				}
				row.Result = r.Scorecard.ScoreAttributes(row.Attr, maxPoints)
				if !yield(start+i, row) {
					return
				}
			}
		}
	}
}
