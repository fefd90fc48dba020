package runner

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"fmt"
	"lendscore/stages/clean"
	"lendscore/stages/features"
	"strings"
	"time"

	"lendscore/jobs"
	"lendscore/models/binning"
	"lendscore/models/metrics"
	"lendscore/models/scorecard"
	"lendscore/pipeline"
	"lendscore/stages/frame"
	"lendscore/stages/ingest"
	"lendscore/stages/publish"
	"lendscore/stages/report"
	"lendscore/stages/score"
	"lendscore/stages/train"
)

// Metrics is metrics.json of a train run (contract section 4).
type Metrics struct {
	Model      string                           `json:"model"`
	RunID      string                           `json:"run_id"`
	Rows       RowSummary                       `json:"rows"`
	Samples    map[string]metrics.SampleMetrics `json:"samples"`
	Stability  map[string]float64               `json:"stability"`
	Variables  []train.VariableReport           `json:"variables"`
	Fit        *ModelSummary                    `json:"fit,omitempty"`
	Notes      []string                         `json:"notes,omitempty"`
	Validation *report.Validation               `json:"validation,omitempty"`
}

// RowSummary accounts for the input rows of a run.
type RowSummary struct {
	Input       int64            `json:"input"`
	Used        int64            `json:"used"`
	Quarantined int64            `json:"quarantined"`
	ByReason    map[string]int64 `json:"by_reason,omitempty"`
}

// ModelSummary is the fit of the logistic regression, for validators.
type ModelSummary struct {
	Intercept       float64     `json:"intercept"`
	InterceptStdErr float64     `json:"intercept_std_error"`
	LogLik          float64     `json:"log_likelihood"`
	LLNull          float64     `json:"log_likelihood_null"`
	AIC             float64     `json:"aic"`
	BIC             float64     `json:"bic"`
	Iterations      int         `json:"iterations"`
	Selected        []string    `json:"selected"`
	WOECorrelation  [][]float64 `json:"woe_correlation"`
	Steps           []string    `json:"steps,omitempty"`
}

func binningConfig(b jobs.Binning) binning.Config {
	cfg := binning.DefaultConfig()
	if b.MaxBins > 0 {
		cfg.MaxBins = b.MaxBins
	}
	if b.PreBins > 0 {
		cfg.PreBins = b.PreBins
	}
	if b.MinBinShare > 0 {
		cfg.MinBinShare = b.MinBinShare
	}
	if b.MinBads > 0 {
		cfg.MinBads = float64(b.MinBads)
	}
	if b.MinGoods > 0 {
		cfg.MinGoods = float64(b.MinGoods)
	}
	if b.Monotonic != "" {
		cfg.Trend = binning.Trend(b.Monotonic)
	}
	if b.Alpha > 0 {
		cfg.Alpha = b.Alpha
	}
	cfg.Special = b.SpecialValues
	return cfg
}

func gradesOf(g jobs.Grades) ([]scorecard.Grade, scorecard.Tiers) {
	grades := scorecard.DefaultGrades()
	if len(g.PDBounds) > 0 {
		grades = grades[:0]
		bounds := append(append([]float64(nil), g.PDBounds...), 1)
		for i, b := range bounds {
			name := string(rune('A' + i))
			if i < len(g.Names) {
				name = g.Names[i]
			}
			grades = append(grades, scorecard.Grade{Name: name, MaxPD: b})
		}
	}
	tiers := scorecard.DefaultTiers()
	if g.PrimeMaxPD > 0 {
		tiers.PrimeMaxPD = g.PrimeMaxPD
	}
	if g.HighRiskMinPD > 0 {
		tiers.HighRiskMinPD = g.HighRiskMinPD
	}
	return grades, tiers
}

// runTrain fits a scorecard on a flat modelling table and publishes it.
func runTrain(ctx context.Context, spec *jobs.Spec, env *Env) (*pipeline.Manifest, error) {
	run, err := startRun(ctx, spec, env)
	if err != nil {
		return nil, err
	}
	asOf := spec.AsOfDate()
	if spec.AsOf == "" {
		asOf = env.now().UTC().Truncate(24 * time.Hour)
	}

	var (
		tbl       *ingest.Table
		extracts  *clean.Result
		target    = spec.Target
		id        = spec.ID
		exclude   = spec.Exclude
		split     = spec.Split
		tableName = "table"
	)
	if spec.Inputs.Relational() {
		tableName = "features"
		if tbl, extracts, err = relationalTable(ctx, spec, run, env); err != nil {
			return nil, err
		}
		defer extracts.Release()
		target = jobs.Target{Column: features.BadColumn, Bad: "1"}
		id = ""
		exclude = append([]string{features.CustomerIDColumn, features.AsOfDateColumn, features.LabelStatusColumn}, exclude...)
		if split.Method == "time" && split.Column == "" {
			split.Column = features.AsOfDateColumn
		}
	} else {
		err = run.Stage(ctx, "ingest", func(ctx context.Context) error {
			tbl, err = ingest.ReadTable(ctx, env.Stores, "table", spec.Inputs.Table, ingest.ReadOptions{})
			if err != nil {
				return err
			}
			recordInputs(run, "table", tbl.Files)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	defer tbl.Release()

	categorical := map[string]bool{}
	for _, c := range spec.Binning.Categorical {
		categorical[c] = true
	}
	var (
		fr         *frame.Frame
		prep       *train.Prepared
		candidates []string
		asOfDates  []arrow.Date32
	)
	err = run.Stage(ctx, "prepare", func(ctx context.Context) error {
		if fr, err = frame.FromTable(tbl, categorical); err != nil {
			return fmt.Errorf("table %s: %w", spec.Inputs.Table, err)
		}
		if candidates, err = candidatesOf(fr, target, id, split.Column, exclude, spec.Binning.Manual); err != nil {
			return err
		}
		sp := train.Split{Method: split.Method, Column: split.Column, TestFraction: split.TestFraction, Seed: split.Seed}
		if split.OOTFrom != "" {
			sp.OOTFrom, _ = time.Parse(time.DateOnly, split.OOTFrom)
		}
		if prep, err = train.Prepare(fr, target.Column, target.Bad, id, sp, candidates); err != nil {
			return fmt.Errorf("table %s: %w", tableName, err)
		}
		if spec.Inputs.Relational() {
			prep.IDs, asOfDates = relationalRowKeys(tbl, prep.Used)
		}
		counts := pipeline.RowCounts{Input: int64(fr.Rows), Used: int64(len(prep.Used)), Quarantined: int64(fr.Rows - len(prep.Used)), ByReason: prep.Refused}
		if err := counts.Check(tableName); err != nil {
			return err
		}
		run.Update(func(m *pipeline.Manifest) { m.Rows[tableName] = counts })
		return nil
	})
	if err != nil {
		return nil, err
	}

	grades, tiers := gradesOf(spec.Grades)
	var files []ingest.FileInfo
	run.Update(func(m *pipeline.Manifest) {
		for _, t := range []string{"table", "customers", "loans", "repayments", "interactions"} {
			for _, in := range m.Inputs[t] {
				files = append(files, ingest.FileInfo{Location: in.Location, SHA256: in.SHA256})
			}
		}
	})
	fp := fingerprint(files, target.Column, target.Bad, fmt.Sprintf("%+v", spec.Split), fmt.Sprintf("%+v", spec.Binning), fmt.Sprintf("%+v", spec.Select), strings.Join(candidates, ","))
	var res *train.Result
	err = run.Stage(ctx, "train", func(ctx context.Context) error {
		opts := train.Options{
			Model: spec.Name, Version: fp[:12], Candidates: candidates,
			Binning: binningConfig(spec.Binning), Manual: spec.Binning.Manual,
			Selection: train.Selection{
				MinIV: spec.Select.MinIV, MaxMissingShare: spec.Select.MaxMissingShare, MaxSingleShare: spec.Select.MaxSingleShare,
				MaxCorrelation: spec.Select.MaxCorrelation, MaxVIF: spec.Select.MaxVIF, Stepwise: spec.Select.Stepwise,
				Criterion: spec.Select.Criterion, MaxVariables: spec.Select.MaxVariables,
			},
			Scaling: scorecard.Scaling{PDO: spec.Scaling.PDO, BasePoints: spec.Scaling.BasePoints, BaseOdds: spec.Scaling.BaseOdds},
			Grades:  grades, Tiers: tiers,
		}
		if err := opts.Binning.Validate(); err != nil {
			return fmt.Errorf("binning: %w", err)
		}
		res, err = train.Fit(ctx, fr, prep, opts)
		if err != nil {
			return err
		}
		res.Scorecard.RunID = run.ID
		res.Scorecard.Fingerprint = fp
		res.Scorecard.Target, res.Scorecard.BadValue, res.Scorecard.ID = target.Column, target.Bad, id
		if spec.Inputs.Relational() {
			res.Scorecard.ID = features.CustomerIDColumn
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	var scores *score.Scores
	err = run.Stage(ctx, "score", func(ctx context.Context) error {
		scores, err = score.FrameWithAttributes(ctx, res.Scorecard, fr, prep.Used)
		return err
	})
	if err != nil {
		return nil, err
	}

	var mt Metrics
	err = run.Stage(ctx, "validate", func(ctx context.Context) error {
		mt, err = trainMetrics(spec, run.ID, fr.Rows, prep, scores, res)
		return err
	})
	if err != nil {
		return nil, err
	}

	err = run.Stage(ctx, "publish", func(ctx context.Context) error {
		if extracts != nil {
			if err := publishCleaning(ctx, run, extracts); err != nil {
				return err
			}
		}
		if err := publishTrain(ctx, run, spec, tbl, prep, res, scores, mt, asOf, asOfDates); err != nil {
			return err
		}
		return writeTrainCard(ctx, run, spec, target, res, mt, asOf)
	})
	if err != nil {
		return nil, err
	}
	run.Update(func(m *pipeline.Manifest) { m.Versions.Model = res.Scorecard.Version })
	return run.Publish(ctx)
}

// candidatesOf lists the candidate variables: every column but the target, the id, the split
// column and the excluded ones. Excluded or manually binned columns that do not exist are an
// error.
func candidatesOf(fr *frame.Frame, target jobs.Target, id, splitColumn string, exclude []string, manual map[string][]string) ([]string, error) {
	skip := map[string]bool{target.Column: true}
	if id != "" {
		skip[id] = true
	}
	if splitColumn != "" {
		skip[splitColumn] = true
	}
	for _, x := range exclude {
		if fr.Column(x) == nil {
			return nil, fmt.Errorf("exclude: column %q is not in the table", x)
		}
		skip[x] = true
	}
	for name := range manual {
		if fr.Column(name) == nil {
			return nil, fmt.Errorf("binning.manual: column %q is not in the table", name)
		}
	}
	var out []string
	for _, c := range fr.Columns {
		if !skip[c.Name] {
			out = append(out, c.Name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no candidate variables: every column is the target, id, split or excluded")
	}
	return out, nil
}

// relationalRowKeys returns the customer id and as_of date of the given rows of a feature
// table.
func relationalRowKeys(tbl *ingest.Table, rows []int) ([]string, []arrow.Date32) {
	var ids []string
	var dates []arrow.Date32
	ci := tbl.Schema.FieldIndices(features.CustomerIDColumn)[0]
	di := tbl.Schema.FieldIndices(features.AsOfDateColumn)[0]
	base := 0
	k := 0
	for _, b := range tbl.Batches {
		n := int(b.Record.NumRows())
		idc := b.Record.Column(ci).(*array.String)
		dc := b.Record.Column(di).(*array.Date32)
		for k < len(rows) && rows[k] < base+n {
			i := rows[k] - base
			ids = append(ids, idc.Value(i))
			dates = append(dates, dc.Value(i))
			k++
		}
		base += n
	}
	return ids, dates
}

// trainMetrics computes metrics.json: the contract's figures per sample (discrimination on
// the published integer score, higher = better, so that they equal what an outside tool
// computes from the scored table; calibration on the PD), stability, the variable report,
// and the full validation with its traffic lights.
func trainMetrics(spec *jobs.Spec, runID string, inputRows int, prep *train.Prepared, scores *score.Scores, res *train.Result) (Metrics, error) {
	mt := Metrics{
		Model: spec.Name, RunID: runID,
		Rows:      RowSummary{Input: int64(inputRows), Used: int64(len(prep.Used)), Quarantined: int64(inputRows - len(prep.Used)), ByReason: prep.Refused},
		Samples:   map[string]metrics.SampleMetrics{},
		Variables: res.Variables,
	}
	var samples []report.Sample
	for si, name := range train.SampleNames {
		var idx []int
		for k, s := range prep.Sample {
			if int(s) == si {
				idx = append(idx, k)
			}
		}
		if len(idx) == 0 {
			continue
		}
		smp := report.Sample{Name: name, Score: make([]float64, len(idx)), PD: make([]float64, len(idx)), Grade: make([]string, len(idx)), Bad: make([]int8, len(idx)), Attr: make([][]uint16, len(scores.Attr))}
		for j := range scores.Attr {
			smp.Attr[j] = make([]uint16, len(idx))
		}
		for q, k := range idx {
			smp.Score[q] = float64(scores.Score[k])
			smp.PD[q] = scores.PD[k]
			smp.Grade[q] = scores.Grade[k]
			smp.Bad[q] = prep.Bad[k]
			for j := range scores.Attr {
				smp.Attr[j][q] = scores.Attr[j][k]
			}
		}
		samples = append(samples, smp)
	}
	v, err := report.Validate(report.ValidationInput{Samples: samples, Higher: metrics.HigherGood, Scorecard: res.Scorecard}, thresholdsOf(spec))
	if err != nil {
		return mt, err
	}
	for _, smp := range samples {
		if r := v.Sample(smp.Name); r != nil && r.Metrics != nil {
			mt.Samples[smp.Name] = *r.Metrics
		}
	}
	mt.Stability = v.Stability()
	mt.Validation = v
	mt.Notes = append(mt.Notes, v.Notes...)
	f := res.Fit
	mt.Fit = &ModelSummary{
		Intercept: f.Coef[0], InterceptStdErr: f.StdErr[0], LogLik: f.LogLik, LLNull: f.LLNull,
		AIC: f.AIC, BIC: f.BIC, Iterations: f.Iterations, Selected: res.Selected, WOECorrelation: res.Corr, Steps: res.StepLog,
	}
	return mt, nil
}

// publishTrain writes the artifacts of a train run.
func publishTrain(ctx context.Context, run *pipeline.Run, spec *jobs.Spec, tbl *ingest.Table, prep *train.Prepared, res *train.Result, scores *score.Scores, mt Metrics, asOf time.Time, asOfDates []arrow.Date32) error {
	sc, err := res.Scorecard.Marshal()
	if err != nil {
		return err
	}
	if err := run.WriteFile(ctx, "model/scorecard.json", sc); err != nil {
		return err
	}
	pm, err := res.Scorecard.PMML(pipeline.Version)
	if err != nil {
		return err
	}
	if err := run.WriteFile(ctx, "model/scorecard.pmml", pm); err != nil {
		return err
	}
	if err := run.WriteJSON(ctx, "metrics.json", mt); err != nil {
		return err
	}
	sel := map[string]bool{}
	for _, s := range res.Selected {
		sel[s] = true
	}
	var order []string
	for _, v := range res.Variables {
		order = append(order, v.Name)
	}
	if err := run.WriteFile(ctx, "binning.csv", publish.BinningCSV(order, res.Binned, sel)); err != nil {
		return err
	}
	samples := make([]string, len(prep.Sample))
	for k, s := range prep.Sample {
		samples[k] = train.SampleNames[s]
	}
	pseudo, err := newPseudonymiser(spec)
	if err != nil {
		return err
	}
	if err := writeScored(ctx, run, publish.ScoredRows{
		IDs: pseudo.ids(prep.IDs), AsOf: asOf, AsOfDates: asOfDates, Scores: scores, Model: spec.Name, ModelVersion: res.Scorecard.Version,
		RunID: run.ID, Sample: samples, Bad: prep.Bad,
	}); err != nil {
		return err
	}
	q, err := frame.Quarantine(ctx, tbl, prep.Reasons)
	if err != nil {
		return err
	}
	defer releaseAll(q)
	if len(q) > 0 {
		dir := "quarantine"
		if spec.Inputs.Relational() {
			dir = "quarantine/features"
		}
		if err := writeParts(ctx, run, dir, q[0].Schema(), q); err != nil {
			return err
		}
	}
	return nil
}

// writeTrainCard writes model_card.md and model_card.html.
func writeTrainCard(ctx context.Context, run *pipeline.Run, spec *jobs.Spec, target jobs.Target, res *train.Result, mt Metrics, asOf time.Time) error {
	var m pipeline.Manifest
	run.Update(func(mm *pipeline.Manifest) { m = *mm })
	def := fmt.Sprintf("%s = %q", target.Column, target.Bad)
	if spec.Inputs.Relational() {
		def = fmt.Sprintf("reached 90+ days past due within %d months after the observation date", spec.Features.PerformanceWindowMonths)
	}
	card := report.Card{
		Kind: report.KindTrain,
		Model: report.ModelDetails{
			Name: spec.Name, Version: res.Scorecard.Version, RunID: run.ID, AsOf: asOf.Format(time.DateOnly),
			LendscoreVersion: pipeline.Version, Fingerprint: res.Scorecard.Fingerprint,
		},
		Data: report.Data{
			Sources: m.Inputs, Rows: m.Rows,
			Target: report.Target{Column: target.Column, Bad: target.Bad, Definition: def},
			Split:  splitText(spec.Split),
		},
		Scorecard:   res.Scorecard,
		Variables:   res.Variables,
		Correlation: &report.Correlation{Names: res.Selected, Matrix: res.Corr},
		Validation:  mt.Validation,
		Notes:       mt.Notes,
	}
	md, html, err := report.ModelCard(card)
	if err != nil {
		return fmt.Errorf("model card: %w", err)
	}
	if err := run.WriteFile(ctx, "model_card.md", md); err != nil {
		return err
	}
	return run.WriteFile(ctx, "model_card.html", html)
}

func splitText(s jobs.Split) string {
	switch s.Method {
	case "column":
		return fmt.Sprintf("by the column %s (train / test / oot)", s.Column)
	case "random":
		return fmt.Sprintf("random, stratified by the label: %.0f%% test, seed %d", 100*s.TestFraction, s.Seed)
	case "time":
		snap := ""
		if len(s.Snapshots) > 0 {
			snap = fmt.Sprintf(" over snapshots %s", strings.Join(s.Snapshots, ", "))
		}
		return fmt.Sprintf("out of time from %s%s; before it random, stratified: %.0f%% test, seed %d", s.OOTFrom, snap, 100*s.TestFraction, s.Seed)
	}
	return s.Method
}
