package report

import (
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"lendscore/models/scorecard"
	"lendscore/pipeline"
	"lendscore/stages/train"
)

// Kind says what run a card describes.
type Kind string

// Card kinds.
const (
	// KindTrain documents a newly fitted scorecard.
	KindTrain Kind = "train"
	// KindBacktest documents how a published model held up on a later
	// labelled snapshot.
	KindBacktest Kind = "backtest"
	// KindEvaluate documents an existing score (a challenger, a bureau
	// score) evaluated against labels.
	KindEvaluate Kind = "evaluate"
)

// Card is everything a model card shows. It holds aggregates only — counts,
// rates, bins, coefficients, test results — and no row-level customer data.
// Every section but the summary, model details, intended use, data and
// caveats is optional and left out when its field is empty.
type Card struct {
	Kind  Kind
	Model ModelDetails
	// IntendedUse is the job spec's own statement of use, shown after the
	// standard text; optional.
	IntendedUse string
	Data        Data
	// Scorecard gives the variables with their bins, WOE and points.
	Scorecard *scorecard.Scorecard
	// Variables is the full candidate table of a train run.
	Variables []train.VariableReport
	// Correlation is the WOE correlation matrix of the selected variables.
	Correlation *Correlation
	// Validation holds performance, calibration, stability and the traffic
	// lights (see Validate).
	Validation *Validation
	// Development describes the development run a backtest compares with.
	Development *Development
	// Migration is the grade migration matrix of a backtest.
	Migration *Migration
	// Notes are caveats particular to this run, shown after the standard
	// ones.
	Notes []string
}

// ModelDetails identifies the model and the run.
type ModelDetails struct {
	Name    string
	Version string
	RunID   string
	// AsOf is the observation date of the data, YYYY-MM-DD.
	AsOf             string
	LendscoreVersion string
	// Fingerprint is the training data fingerprint of the scorecard.
	Fingerprint string
	// Score describes the evaluated score of an evaluate card, e.g.
	// "bureau_score (higher = good)".
	Score string
}

// Data describes the data of the run.
type Data struct {
	// Sources lists the input files per input table, as in the manifest.
	Sources map[string][]pipeline.Input
	// Rows accounts for the rows of each input table.
	Rows   map[string]pipeline.RowCounts
	Target Target
	// Split says how rows were assigned to samples.
	Split string
}

// Target defines the label.
type Target struct {
	Column string
	// Bad is the value of Column that means bad.
	Bad string
	// Definition explains the label in words, e.g. "90+ days past due
	// within 12 months of the observation date".
	Definition string
}

// Correlation is a correlation matrix with its variable names.
type Correlation struct {
	Names  []string    `json:"names"`
	Matrix [][]float64 `json:"matrix"`
}

// Development identifies the development run a backtest compares with.
type Development struct {
	RunID   string
	Version string
	AsOf    string
	// Sample is the development sample whose AUC is the baseline.
	Sample string
}

// Migration counts customers present in both the development and the
// backtest snapshot by grade then (row) and grade now (column).
type Migration struct {
	Grades []string  `json:"grades"`
	Counts [][]int64 `json:"counts"`
}

// check verifies the shapes of the card's optional parts.
func (c *Card) check() error {
	switch c.Kind {
	case KindTrain, KindBacktest, KindEvaluate:
	default:
		return fmt.Errorf("model card: kind %q, want train, backtest or evaluate", c.Kind)
	}
	if c.Model.Name == "" {
		return fmt.Errorf("model card: no model name")
	}
	if m := c.Correlation; m != nil {
		if len(m.Matrix) != len(m.Names) {
			return fmt.Errorf("model card: correlation matrix of %d rows for %d names", len(m.Matrix), len(m.Names))
		}
		for i, row := range m.Matrix {
			if len(row) != len(m.Names) {
				return fmt.Errorf("model card: correlation row %s has %d entries for %d names", m.Names[i], len(row), len(m.Names))
			}
		}
	}
	if m := c.Migration; m != nil {
		if len(m.Counts) != len(m.Grades) {
			return fmt.Errorf("model card: migration matrix of %d rows for %d grades", len(m.Counts), len(m.Grades))
		}
		for i, row := range m.Counts {
			if len(row) != len(m.Grades) {
				return fmt.Errorf("model card: migration row %s has %d entries for %d grades", m.Grades[i], len(row), len(m.Grades))
			}
		}
	}
	return nil
}

// ModelCard writes the card as Markdown and as one self-contained HTML file
// (inline CSS, charts as inline <svg> elements with class "chart", no
// scripts, no external references). The traffic-light summary comes first.
// The same card always gives the same bytes.
//
// Charts, drawn with gonum/plot: the ROC curves of all samples; per sample
// with discrimination figures a KS chart; per sample a score distribution
// of goods and bads; per scorecard characteristic its count and WOE per
// bin; per sample with a calibration table observed against predicted
// default rate per grade; and, when there are stability figures, one chart
// of PSI and CSI.
func ModelCard(card Card) (md []byte, html []byte, err error) {
	if err := card.check(); err != nil {
		return nil, nil, err
	}
	b := &cardBuilder{card: &card, ids: map[string]bool{}}
	d := &document{title: b.title(), subtitle: b.subtitle()}
	for _, build := range []func() (*section, error){
		b.summary, b.details, b.intendedUse, b.data, b.variables, b.candidates, b.correlation,
		b.performance, b.calibration, b.stability, b.backtest, b.caveats,
	} {
		s, err := build()
		if err != nil {
			return nil, nil, fmt.Errorf("model card: %w", err)
		}
		if s != nil {
			d.sections = append(d.sections, *s)
		}
	}
	return d.markdown(), d.html(), nil
}

// cardBuilder lays out the sections of one card.
type cardBuilder struct {
	card *Card
	ids  map[string]bool // chart ids in use
}

// chartID returns a unique element id for a chart.
func (b *cardBuilder) chartID(kind, name string) string {
	var s strings.Builder
	s.WriteString("chart-" + kind)
	if name != "" {
		s.WriteByte('-')
		for _, r := range strings.ToLower(name) {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				s.WriteRune(r)
			} else {
				s.WriteByte('_')
			}
		}
	}
	id := s.String()
	for k := 2; b.ids[id]; k++ {
		id = s.String() + "-" + strconv.Itoa(k)
	}
	b.ids[id] = true
	return id
}

func (b *cardBuilder) title() string {
	m := b.card.Model
	t := "Model card: " + m.Name
	if m.Version != "" {
		t += " " + m.Version
	}
	switch b.card.Kind {
	case KindBacktest:
		t += " (backtest)"
	case KindEvaluate:
		t = "Score evaluation card: " + m.Name
	}
	return t
}

func (b *cardBuilder) subtitle() string {
	m := b.card.Model
	var parts []string
	if m.RunID != "" {
		parts = append(parts, "run "+m.RunID)
	}
	if m.AsOf != "" {
		parts = append(parts, "as of "+m.AsOf)
	}
	if m.LendscoreVersion != "" {
		parts = append(parts, "lendscore "+m.LendscoreVersion)
	}
	return strings.Join(parts, " · ")
}

// Section titles; tests and readers rely on them.
const (
	titleSummary     = "Traffic-light summary"
	titleDetails     = "Model details"
	titleIntendedUse = "Intended use"
	titleVariables   = "Scorecard variables"
	titleCandidates  = "Candidate variables"
	titleCorrelation = "WOE correlation"
	titlePerformance = "Performance"
	titleCalibration = "Calibration"
	titleStability   = "Stability"
	titleBacktest    = "Backtest against development"
	titleCaveats     = "Caveats"
)

// dataTitle is the data section's title for the card's kind.
func (b *cardBuilder) dataTitle() string {
	switch b.card.Kind {
	case KindBacktest:
		return "Backtest data"
	case KindEvaluate:
		return "Evaluation data"
	}
	return "Training data"
}

// figureNames names the figures with traffic lights, in summary order.
var figureNames = []struct{ figure, name string }{
	{FigureAUC, "AUC"},
	{FigureKS, "KS"},
	{FigureDRRatio, "Observed default rate / mean PD"},
	{FigureHL, "Hosmer-Lemeshow p"},
	{FigureJeffreys, "Jeffreys p (worst grade)"},
	{FigureHHI, "Grade concentration (normalised HHI)"},
	{FigurePSI, "PSI of the score"},
	{FigureCSI, "CSI (worst variable)"},
	{FigureAUCDrop, "p of an AUC drop since development"},
}

// formatFigure formats the value of a figure with a light.
func formatFigure(figure string, v float64) string {
	switch figure {
	case FigureHL, FigureJeffreys, FigureAUCDrop:
		return formatP(v)
	}
	return f4(v)
}

func f4(v float64) string  { return strconv.FormatFloat(v, 'f', 4, 64) }
func f3(v float64) string  { return strconv.FormatFloat(v, 'f', 3, 64) }
func pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 2, 64) + "%" }
func itoa(n int) string    { return strconv.Itoa(n) }

// formatP formats a p-value: four decimals, or scientific when tiny.
func formatP(p float64) string {
	if p != 0 && p < 0.001 {
		return strconv.FormatFloat(p, 'e', 2, 64)
	}
	return f4(p)
}

// formatCount formats a count that may be fractional (weights).
func formatCount(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func (b *cardBuilder) summary() (*section, error) {
	s := &section{id: "summary", title: titleSummary}
	v := b.card.Validation
	if v == nil || len(v.Lights) == 0 {
		s.blocks = append(s.blocks, paragraph("No traffic lights: the run computed no validation figures."))
		return s, nil
	}
	counts := map[Status]int{}
	for _, l := range v.Lights {
		counts[l.Status]++
	}
	s.blocks = append(s.blocks, paragraph(fmt.Sprintf("Overall: %s. %d red, %d amber and %d green of %d traffic lights.",
		strings.ToUpper(string(v.Status)), counts[Red], counts[Amber], counts[Green], len(v.Lights))))

	var samples []string
	for _, r := range v.Samples {
		samples = append(samples, r.Name)
	}
	t := newTable(append([]string{"Figure"}, samples...)...).right(1)
	overall := []cell{{text: "Overall"}}
	for _, name := range samples {
		var st Status
		for _, l := range v.Lights {
			if l.Sample == name {
				st = worse(st, l.Status)
			}
		}
		overall = append(overall, cell{status: st})
	}
	t.addCells(overall...)
	for _, f := range figureNames {
		row := []cell{{text: f.name}}
		shown := false
		for _, name := range samples {
			row = append(row, summaryCell(v.Lights, f.figure, name))
			shown = shown || row[len(row)-1].status != ""
		}
		if shown {
			t.addCells(row...)
		}
	}
	s.blocks = append(s.blocks, t)
	if v.Reference != "" {
		s.blocks = append(s.blocks, paragraph("PSI and CSI are measured against "+v.Reference+"."))
	}
	th := v.Thresholds
	s.blocks = append(s.blocks, paragraph("Thresholds:"), list{
		"AUC: " + th.AUC.Rule(),
		"KS: " + th.KS.Rule(),
		"Hosmer-Lemeshow p: " + th.HosmerLemeshowP.Rule(),
		"Jeffreys p per grade: " + th.JeffreysP.Rule(),
		"normalised HHI of the grades: " + th.HHI.Rule(),
		"PSI of the score: " + th.PSI.Rule(),
		"CSI per variable: " + th.CSI.Rule(),
		"one-sided p of an AUC drop since development: " + th.AUCDropP.Rule(),
	})
	return s, nil
}

// summaryCell shows the worst light of a figure in a sample: its value, and
// its subject and the number of subjects when the figure has several.
func summaryCell(lights []Light, figure, sample string) cell {
	var worst *Light
	n := 0
	for i := range lights {
		l := &lights[i]
		if l.Figure != figure || l.Sample != sample {
			continue
		}
		n++
		if worst == nil || l.Status.rank() > worst.Status.rank() {
			worst = l
		}
	}
	if worst == nil {
		return cell{text: "–"}
	}
	text := formatFigure(figure, worst.Value)
	if worst.Subject != "" {
		text = fmt.Sprintf("%s %s (of %d)", worst.Subject, text, n)
	}
	return cell{text: text, status: worst.Status}
}

func (b *cardBuilder) details() (*section, error) {
	c := b.card
	m := c.Model
	t := newTable("Item", "Value")
	t.add("Model", m.Name)
	add := func(k, v string) {
		if v != "" {
			t.add(k, v)
		}
	}
	add("Version", m.Version)
	add("Card", string(c.Kind))
	add("Run id", m.RunID)
	add("As of", m.AsOf)
	add("lendscore version", m.LendscoreVersion)
	add("Training data fingerprint", m.Fingerprint)
	add("Score evaluated", m.Score)
	if v := c.Validation; v != nil {
		meaning := "lower risk"
		if v.Higher == "bad" {
			meaning = "higher risk"
		}
		t.add("A higher score means", meaning)
	}
	s := &section{id: "details", title: titleDetails, blocks: []block{t}}
	if sc := c.Scorecard; sc != nil {
		s.blocks = append(s.blocks, paragraph(fmt.Sprintf(
			"A logistic regression of bad on the WOE of %d characteristics (intercept %s), scaled to %s points at %s:1 good:bad odds with %s points to double the odds; scores run from %d to %d. The PD is the model's probability, the grade its place on the master scale.",
			len(sc.Characteristics), f4(sc.Intercept), num(sc.Scaling.BasePoints), num(sc.Scaling.BaseOdds), num(sc.Scaling.PDO), sc.MinScore, sc.MaxScore)))
		if len(sc.Grades) > 0 {
			g := newTable("Grade", "PD from", "PD up to").right(1)
			lo := 0.0
			for _, gr := range sc.Grades {
				g.add(gr.Name, pct(lo), pct(gr.MaxPD))
				lo = gr.MaxPD
			}
			s.blocks = append(s.blocks, subheading("Master scale"), g)
		}
	}
	return s, nil
}

// Standard statements of use, by card kind.
var standardUse = map[Kind][]string{
	KindTrain: {
		"This scorecard ranks customers by the risk that they go bad, as the target below defines it, and turns the score into a probability of default (PD) and a grade on the master scale. It is meant for credit decisions, limit setting, risk-based pricing and portfolio monitoring on the population it was developed on, as one input beside credit policy and human judgement, once an independent validator has signed it off.",
		"It is not meant for populations, products, channels or periods absent from the development data, for decisions taken on the score alone, or for regulatory capital without the calibration to a long-run average default rate and the margins of conservatism that use requires.",
	},
	KindBacktest: {
		"This card reports how a published scorecard held up on a later labelled snapshot: its discrimination, calibration and stability against development. It complements the development card and does not replace it; a red light calls for the validator's review and possibly recalibration or redevelopment.",
	},
	KindEvaluate: {
		"This card reports the validation figures of an existing score against observed outcomes, so that a challenger or a bureau score can be compared with the champion on the same rows. It says how well the score ranked and, where PDs were given, how well they were calibrated on these rows; it does not make the score fit for use.",
	},
}

func (b *cardBuilder) intendedUse() (*section, error) {
	s := &section{id: "intended-use", title: titleIntendedUse}
	for _, p := range standardUse[b.card.Kind] {
		s.blocks = append(s.blocks, paragraph(p))
	}
	if u := strings.TrimSpace(b.card.IntendedUse); u != "" {
		s.blocks = append(s.blocks, paragraph("Stated for this model: "+u))
	}
	return s, nil
}

func (b *cardBuilder) data() (*section, error) {
	c := b.card
	s := &section{id: "data", title: b.dataTitle()}
	d := c.Data
	if len(d.Sources) > 0 {
		t := newTable("Table", "Location", "Rows", "Bytes", "SHA-256")
		t.numeric[2], t.numeric[3] = true, true
		for _, name := range slices.Sorted(maps.Keys(d.Sources)) {
			for _, in := range d.Sources[name] {
				t.add(name, in.Location, strconv.FormatInt(in.Rows, 10), strconv.FormatInt(in.Size, 10), in.SHA256)
			}
		}
		s.blocks = append(s.blocks, subheading("Sources"), t)
	}
	if len(d.Rows) > 0 {
		t := newTable("Table", "Input rows", "Used", "Quarantined").right(1)
		q := newTable("Table", "Quarantine reason", "Rows").right(2)
		for _, name := range slices.Sorted(maps.Keys(d.Rows)) {
			r := d.Rows[name]
			t.add(name, strconv.FormatInt(r.Input, 10), strconv.FormatInt(r.Used, 10), strconv.FormatInt(r.Quarantined, 10))
			for _, reason := range slices.Sorted(maps.Keys(r.ByReason)) {
				q.add(name, reason, strconv.FormatInt(r.ByReason[reason], 10))
			}
		}
		s.blocks = append(s.blocks, subheading("Rows"), t)
		if len(q.rows) > 0 {
			s.blocks = append(s.blocks, q)
		} else {
			s.blocks = append(s.blocks, paragraph("No row was quarantined."))
		}
	}
	var target []string
	if d.Target.Column != "" {
		tg := "Target: column " + d.Target.Column
		if d.Target.Bad != "" {
			tg += ", bad when it reads " + strconv.Quote(d.Target.Bad)
		}
		target = append(target, tg+".")
	}
	if d.Target.Definition != "" {
		target = append(target, "Definition: "+d.Target.Definition)
	}
	if d.Split != "" {
		target = append(target, "Samples: "+d.Split)
	}
	if len(target) > 0 {
		s.blocks = append(s.blocks, subheading("Target and samples"), list(target))
	}
	if v := c.Validation; v != nil {
		t := newTable("Sample", "Rows", "Bads", "Bad rate").right(1)
		for _, r := range v.Samples {
			rate := "–"
			if r.Rows > 0 {
				rate = pct(float64(r.Bads) / float64(r.Rows))
			}
			t.add(r.Name, itoa(r.Rows), itoa(r.Bads), rate)
		}
		s.blocks = append(s.blocks, subheading("Bad rate per sample"), t)
	}
	return s, nil
}

func (b *cardBuilder) variables() (*section, error) {
	sc := b.card.Scorecard
	if sc == nil {
		return nil, nil
	}
	s := &section{id: "variables", title: titleVariables}
	s.blocks = append(s.blocks, paragraph("Each characteristic's bins (attributes) with their training counts, event rate, WOE = ln(%good/%bad) and points; a row's score is the sum of its points."))
	// The charts are most of a card's work (gonum/plot measures every label glyph by
	// glyph), and independent: they are drawn on all cores, their ids given in order first.
	ids := make([]string, len(sc.Characteristics))
	for i := range sc.Characteristics {
		ids[i] = b.chartID("woe", sc.Characteristics[i].Name)
	}
	charts := make([]*chart, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(ids)) {
		wg.Go(func() {
			for i := range next {
				charts[i], errs[i] = woeChart(ids[i], &sc.Characteristics[i])
			}
		})
	}
	for i := range ids {
		next <- i
	}
	close(next)
	wg.Wait()
	// The first failure, not errors.Join's lines: the CLI shows one line.
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for i := range sc.Characteristics {
		ch := &sc.Characteristics[i]
		head := fmt.Sprintf("%s (%s, coefficient %s", ch.Name, ch.Kind, f4(ch.Coefficient))
		if ch.ReasonCode != "" {
			head += ", reason code " + ch.ReasonCode
		}
		s.blocks = append(s.blocks, subheading(head+")"))
		t := newTable("Bin", "Count", "Bads", "Event rate", "WOE", "Points").right(1)
		for j, a := range ch.Attributes {
			label := a.Label
			var tags []string
			if j == ch.MissingAttribute && !a.Missing {
				tags = append(tags, "scores missing values")
			}
			if ch.Kind == "categorical" && j == ch.UnseenAttribute {
				tags = append(tags, "scores unseen categories")
			}
			if len(tags) > 0 {
				label += " (" + strings.Join(tags, "; ") + ")"
			}
			t.add(label, itoa(a.Count), itoa(a.Bads), pct(a.EventRate), f4(a.WOE), itoa(a.Points))
		}
		s.blocks = append(s.blocks, t, charts[i])
	}
	return s, nil
}

func (b *cardBuilder) candidates() (*section, error) {
	vs := b.card.Variables
	if len(vs) == 0 {
		return nil, nil
	}
	s := &section{id: "candidates", title: titleCandidates}
	selected := 0
	for _, v := range vs {
		if v.Selected {
			selected++
		}
	}
	s.blocks = append(s.blocks, paragraph(fmt.Sprintf("%d candidate variables, %d selected. Coefficients are on the WOE scale (negative: more WOE, less risk); p-values are Wald tests.", len(vs), selected)))
	t := newTable("Variable", "Kind", "IV", "Bins", "Selected", "Dropped because", "Coefficient", "Std error", "p-value", "VIF")
	for _, i := range []int{2, 3, 6, 7, 8, 9} {
		t.numeric[i] = true
	}
	for _, v := range vs {
		sel, coef, se, p, vif := "no", "", "", "", ""
		if v.Selected {
			sel, coef, se, p = "yes", f4(v.Coefficient), f4(v.StdErr), formatP(v.PValue)
		}
		if v.VIF > 0 {
			vif = f3(v.VIF)
		}
		t.add(v.Name, v.Kind, f4(v.IV), itoa(v.Bins), sel, v.DroppedBecause, coef, se, p, vif)
	}
	s.blocks = append(s.blocks, t)
	return s, nil
}

func (b *cardBuilder) correlation() (*section, error) {
	m := b.card.Correlation
	if m == nil || len(m.Names) == 0 {
		return nil, nil
	}
	s := &section{id: "correlation", title: titleCorrelation}
	s.blocks = append(s.blocks, paragraph("Pearson correlation of the training WOE values of the selected variables."))
	t := newTable(append([]string{""}, m.Names...)...).right(1)
	for i, row := range m.Matrix {
		cells := []string{m.Names[i]}
		for _, x := range row {
			cells = append(cells, f3(x))
		}
		t.add(cells...)
	}
	s.blocks = append(s.blocks, t)
	return s, nil
}

func (b *cardBuilder) performance() (*section, error) {
	v := b.card.Validation
	s := &section{id: "performance", title: titlePerformance}
	if v == nil {
		s.blocks = append(s.blocks, paragraph("No performance figures were computed."))
		return s, nil
	}
	t := newTable("Sample", "Rows", "Bads", "AUC", "AUC 95% CI", "Gini", "KS", "KS at score", "Brier", "Log-loss", "HL χ² (df)", "HL p").right(1)
	hasROC := false
	for _, r := range v.Samples {
		m := r.Metrics
		if m == nil {
			t.add(r.Name, itoa(r.Rows), itoa(r.Bads), "–", "–", "–", "–", "–", "–", "–", "–", "–")
			continue
		}
		hasROC = hasROC || len(r.ROC) > 0
		brier, logloss, hl, hlp := "–", "–", "–", "–"
		if m.Brier != nil {
			brier = f4(*m.Brier)
		}
		if m.LogLoss != nil {
			logloss = f4(*m.LogLoss)
		}
		if h := r.HosmerLemeshow; h != nil {
			hl, hlp = fmt.Sprintf("%s (%d)", f3(h.Statistic), h.DF), formatP(h.P)
		}
		t.add(r.Name, itoa(m.Rows), itoa(m.Bads), f4(m.AUC), "["+f4(m.AUCCI95[0])+", "+f4(m.AUCCI95[1])+"]",
			f4(m.Gini), f4(m.KS), num(m.KSScore), brier, logloss, hl, hlp)
	}
	s.blocks = append(s.blocks, paragraph("AUC is the Mann-Whitney statistic (ties count one half) with a DeLong 95% interval; Gini = 2·AUC − 1; KS is the largest gap between the cumulative score distributions of bads and goods. Brier score and log-loss measure the PDs."), t)
	if hasROC {
		c, err := rocChart(b.chartID("roc", ""), v)
		if err != nil {
			return nil, err
		}
		s.blocks = append(s.blocks, c)
	}
	for i := range v.Samples {
		r := &v.Samples[i]
		s.blocks = append(s.blocks, subheading("Sample "+r.Name))
		if len(r.KSCurve) > 0 {
			c, err := ksChart(b.chartID("ks", r.Name), r)
			if err != nil {
				return nil, err
			}
			s.blocks = append(s.blocks, c)
		}
		if r.Histogram != nil {
			c, err := distributionChart(b.chartID("distribution", r.Name), r)
			if err != nil {
				return nil, err
			}
			s.blocks = append(s.blocks, c)
		}
		if len(r.Gains) > 0 {
			g := newTable("Group", "Scores", "Rows", "Bads", "Bad rate", "Cum. rows", "Cum. bads", "Cum. goods", "Lift", "Cum. lift").right(2)
			for _, row := range r.Gains {
				g.add(itoa(row.Group), num(row.MinScore)+" – "+num(row.MaxScore), itoa(row.Rows), itoa(row.Bads), pct(row.BadRate),
					pct(row.CumRowShare), pct(row.CumBadShare), pct(row.CumGoodShare), f3(row.Lift), f3(row.CumLift))
			}
			s.blocks = append(s.blocks, paragraph("Gains table, riskiest group first:"), g)
		}
		if h := r.HosmerLemeshow; h != nil {
			g := newTable("PD group", "PD range", "Rows", "Bads", "Expected bads", "Observed rate", "Mean PD").right(2)
			for k, grp := range h.Groups {
				g.add(itoa(k+1), pct(grp.MinPD)+" – "+pct(grp.MaxPD), itoa(grp.Rows), itoa(grp.Bads), f3(grp.ExpectedBads), pct(grp.BadRate), pct(grp.MeanPD))
			}
			s.blocks = append(s.blocks, paragraph(fmt.Sprintf("Hosmer-Lemeshow: χ² = %s with %d degrees of freedom, p = %s.", f4(h.Statistic), h.DF, formatP(h.P))), g)
		}
		if len(r.Notes) > 0 {
			s.blocks = append(s.blocks, list(r.Notes))
		}
	}
	return s, nil
}

func (b *cardBuilder) calibration() (*section, error) {
	v := b.card.Validation
	if v == nil {
		return nil, nil
	}
	s := &section{id: "calibration", title: titleCalibration}
	for i := range v.Samples {
		r := &v.Samples[i]
		if len(r.Calibration) == 0 {
			continue
		}
		t := newTable("Grade", "Rows", "Bads", "Observed rate", "Mean PD", "Binomial p", "Jeffreys p").right(1)
		for _, g := range r.Calibration {
			t.addCells(cell{text: g.Grade}, cell{text: itoa(g.Rows)}, cell{text: itoa(g.Bads)}, cell{text: pct(g.BadRate)},
				cell{text: pct(g.MeanPD)}, cell{text: formatP(g.BinomialP)}, cell{text: formatP(g.JeffreysP), status: g.Light})
		}
		s.blocks = append(s.blocks, subheading("Sample "+r.Name), t)
		c, err := calibrationChart(b.chartID("calibration", r.Name), r)
		if err != nil {
			return nil, err
		}
		s.blocks = append(s.blocks, c)
	}
	if len(s.blocks) > 0 {
		s.blocks = append([]block{paragraph("Per grade: observed default rate against the mean PD, with the one-sided binomial and Jeffreys tests of the ECB's instructions for validating IRB PD models (a small p-value: the PD underestimates the default rate).")}, s.blocks...)
	}
	h := newTable("Sample", "HHI", "Normalised HHI", "Grades").right(1)
	for _, r := range v.Samples {
		if c := r.HHI; c != nil {
			h.addCells(cell{text: r.Name}, cell{text: f4(c.HHI)}, cell{text: f4(c.Normalized), status: c.Light}, cell{text: itoa(c.Grades)})
		}
	}
	if len(h.rows) > 0 {
		s.blocks = append(s.blocks, subheading("Grade concentration"),
			paragraph("Herfindahl-Hirschman index of the rows per grade; normalised, 0 is an even spread over the grades and 1 all rows in one grade."), h)
	}
	if len(s.blocks) == 0 {
		return nil, nil
	}
	return s, nil
}

func (b *cardBuilder) stability() (*section, error) {
	v := b.card.Validation
	if v == nil {
		return nil, nil
	}
	s := &section{id: "stability", title: titleStability}
	psi := newTable("Sample", "PSI of the score vs "+v.Reference).right(1)
	var vars []string
	seen := map[string]bool{}
	var csiSamples []*SampleReport
	for i := range v.Samples {
		r := &v.Samples[i]
		if r.PSI != nil {
			psi.addCells(cell{text: r.Name}, cell{text: f4(*r.PSI), status: v.Thresholds.PSI.Rate(*r.PSI)})
		}
		if len(r.CSI) > 0 {
			csiSamples = append(csiSamples, r)
		}
		for _, c := range r.CSI {
			if !seen[c.Variable] {
				seen[c.Variable] = true
				vars = append(vars, c.Variable)
			}
		}
	}
	if len(psi.rows) == 0 && len(csiSamples) == 0 {
		s.blocks = append(s.blocks, paragraph("No stability figures: there is no reference distribution to compare with."))
		return s, nil
	}
	s.blocks = append(s.blocks, paragraph("Population stability index PSI = Σ (a − e)·ln(a/e) over the shares e of the reference ("+v.Reference+") and a of each sample, over score deciles of the reference; the characteristic stability index CSI is the same over each variable's bins."))
	if len(psi.rows) > 0 {
		s.blocks = append(s.blocks, psi)
	}
	if len(csiSamples) > 0 {
		head := []string{"Variable"}
		for _, r := range csiSamples {
			head = append(head, "CSI "+r.Name)
		}
		t := newTable(head...).right(1)
		for _, name := range vars {
			row := []cell{{text: name}}
			for _, r := range csiSamples {
				c := cell{text: "–"}
				for _, x := range r.CSI {
					if x.Variable == name {
						c = cell{text: f4(x.CSI), status: x.Light}
					}
				}
				row = append(row, c)
			}
			t.addCells(row...)
		}
		s.blocks = append(s.blocks, t)
	}
	c, err := psiChart(b.chartID("psi", ""), v)
	if err != nil {
		return nil, err
	}
	s.blocks = append(s.blocks, c)
	return s, nil
}

func (b *cardBuilder) backtest() (*section, error) {
	c := b.card
	if c.Kind != KindBacktest {
		return nil, nil
	}
	s := &section{id: "backtest", title: titleBacktest}
	if d := c.Development; d != nil {
		t := newTable("Development", "Value")
		for _, kv := range [][2]string{{"Run id", d.RunID}, {"Model version", d.Version}, {"As of", d.AsOf}, {"AUC baseline sample", d.Sample}} {
			if kv[1] != "" {
				t.add(kv[0], kv[1])
			}
		}
		s.blocks = append(s.blocks, t)
	}
	if v := c.Validation; v != nil {
		t := newTable("Sample", "AUC now", "AUC development", "Change", "Std error", "z", "p (two-sided)", "p of a drop").right(1)
		for _, r := range v.Samples {
			if a := r.AUCChange; a != nil {
				t.addCells(cell{text: r.Name}, cell{text: f4(a.AUC1)}, cell{text: f4(a.AUC2)}, cell{text: f4(a.Diff)}, cell{text: f4(a.SE)},
					cell{text: f3(a.Z)}, cell{text: formatP(a.P)}, cell{text: formatP(a.PDrop), status: a.Light})
			}
		}
		if len(t.rows) > 0 {
			s.blocks = append(s.blocks, subheading("AUC change"),
				paragraph("The AUC now against development, as independent samples: z = (AUC now − AUC development)/√(SE now² + SE development²). A small p of a drop says the ranking power has fallen."), t)
		}
	}
	if m := c.Migration; m != nil {
		head := append([]string{"Development grade"}, m.Grades...)
		t := newTable(append(head, "Total", "Same grade")...).right(1)
		var total, same int64
		for i, row := range m.Counts {
			var rt int64
			cells := []string{m.Grades[i]}
			for _, n := range row {
				cells = append(cells, strconv.FormatInt(n, 10))
				rt += n
			}
			total += rt
			same += row[i]
			share := "–"
			if rt > 0 {
				share = pct(float64(row[i]) / float64(rt))
			}
			t.add(append(cells, strconv.FormatInt(rt, 10), share)...)
		}
		text := "Customers present in both snapshots by grade at development (rows) and now (columns)."
		if total > 0 {
			text += fmt.Sprintf(" %d customers, %s in the same grade.", total, pct(float64(same)/float64(total)))
		}
		s.blocks = append(s.blocks, subheading("Grade migration"), paragraph(text), t)
	}
	if len(s.blocks) == 0 {
		s.blocks = append(s.blocks, paragraph("No development figures were given to compare with."))
	}
	return s, nil
}

// standardCaveats apply to every card.
var standardCaveats = []string{
	"All figures describe historical data. Performance on future customers differs as the population, the products and the economy change: monitor PSI and CSI and backtest regularly.",
	"The PD is calibrated to the default rate of the development sample (its central tendency); it is not a long-run average or a downturn PD.",
	"Statistical tests have little power on small grades and samples, and on very large samples Hosmer-Lemeshow and the per-grade tests flag differences too small to matter: read every p-value with its counts.",
	"The variables rank risk; they do not explain it. Review them for proxies of protected characteristics (fair-lending review) before use.",
	"The traffic lights apply fixed thresholds (see the summary). They point a validator at figures to examine; they are not a sign-off.",
	"The card holds aggregates only: no customer-level data.",
}

func (b *cardBuilder) caveats() (*section, error) {
	items := append([]string(nil), standardCaveats...)
	items = append(items, b.card.Notes...)
	if v := b.card.Validation; v != nil {
		items = append(items, v.Notes...)
	}
	return &section{id: "caveats", title: titleCaveats, blocks: []block{list(items)}}, nil
}
