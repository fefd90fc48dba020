package runner

import (
	"context"
	"encoding/json"
	"fmt"
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
	"lendscore/stages/score"
	"lendscore/stages/train"
)

// Metrics is metrics.json of a train run (contract section 4).
type Metrics struct {
	Model     string                           `json:"model"`
	RunID     string                           `json:"run_id"`
	Rows      RowSummary                       `json:"rows"`
	Samples   map[string]metrics.SampleMetrics `json:"samples"`
	Stability map[string]float64               `json:"stability"`
	Variables []train.VariableReport           `json:"variables"`
	Fit       *ModelSummary                    `json:"fit,omitempty"`
	Notes     []string                         `json:"notes,omitempty"`
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

	var tbl *ingest.Table
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
	defer tbl.Release()

	categorical := map[string]bool{}
	for _, c := range spec.Binning.Categorical {
		categorical[c] = true
	}
	var (
		fr         *frame.Frame
		prep       *train.Prepared
		candidates []string
	)
	err = run.Stage(ctx, "clean", func(ctx context.Context) error {
		if fr, err = frame.FromTable(tbl, categorical); err != nil {
			return fmt.Errorf("table %s: %w", spec.Inputs.Table, err)
		}
		if candidates, err = candidatesOf(fr, spec); err != nil {
			return err
		}
		split := train.Split{Method: spec.Split.Method, Column: spec.Split.Column, TestFraction: spec.Split.TestFraction, Seed: spec.Split.Seed}
		if spec.Split.OOTFrom != "" {
			split.OOTFrom, _ = time.Parse(time.DateOnly, spec.Split.OOTFrom)
		}
		if prep, err = train.Prepare(fr, spec.Target.Column, spec.Target.Bad, spec.ID, split, candidates); err != nil {
			return fmt.Errorf("table %s: %w", spec.Inputs.Table, err)
		}
		counts := pipeline.RowCounts{Input: int64(fr.Rows), Used: int64(len(prep.Used)), Quarantined: int64(fr.Rows - len(prep.Used)), ByReason: prep.Refused}
		if err := counts.Check("table"); err != nil {
			return err
		}
		run.Update(func(m *pipeline.Manifest) { m.Rows["table"] = counts })
		return nil
	})
	if err != nil {
		return nil, err
	}

	grades, tiers := gradesOf(spec.Grades)
	fp := fingerprint(tbl.Files, spec.Target.Column, spec.Target.Bad, fmt.Sprintf("%+v", spec.Split), fmt.Sprintf("%+v", spec.Binning), fmt.Sprintf("%+v", spec.Select), strings.Join(candidates, ","))
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
		res.Scorecard.Target, res.Scorecard.BadValue, res.Scorecard.ID = spec.Target.Column, spec.Target.Bad, spec.ID
		return nil
	})
	if err != nil {
		return nil, err
	}

	var scores *score.Scores
	err = run.Stage(ctx, "score", func(ctx context.Context) error {
		scores, err = score.Frame(ctx, res.Scorecard, fr, prep.Used)
		return err
	})
	if err != nil {
		return nil, err
	}

	var mt Metrics
	err = run.Stage(ctx, "validate", func(ctx context.Context) error {
		mt = trainMetrics(spec, run.ID, fr.Rows, prep, scores, res)
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = run.Stage(ctx, "publish", func(ctx context.Context) error {
		return publishTrain(ctx, run, spec, tbl, prep, res, scores, mt, asOf)
	})
	if err != nil {
		return nil, err
	}
	run.Update(func(m *pipeline.Manifest) { m.Versions.Model = res.Scorecard.Version })
	return run.Publish(ctx)
}

// candidatesOf lists the candidate variables: every column but the target, the id, the split
// column and the excluded ones. Excluded or id columns that do not exist are an error.
func candidatesOf(fr *frame.Frame, spec *jobs.Spec) ([]string, error) {
	skip := map[string]bool{spec.Target.Column: true}
	if spec.ID != "" {
		skip[spec.ID] = true
	}
	if spec.Split.Column != "" {
		skip[spec.Split.Column] = true
	}
	for _, x := range spec.Exclude {
		if fr.Column(x) == nil {
			return nil, fmt.Errorf("exclude: column %q is not in the table", x)
		}
		skip[x] = true
	}
	for name := range spec.Binning.Manual {
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

// trainMetrics computes metrics.json.
func trainMetrics(spec *jobs.Spec, runID string, inputRows int, prep *train.Prepared, scores *score.Scores, res *train.Result) Metrics {
	mt := Metrics{
		Model: spec.Name, RunID: runID,
		Rows:      RowSummary{Input: int64(inputRows), Used: int64(len(prep.Used)), Quarantined: int64(inputRows - len(prep.Used)), ByReason: prep.Refused},
		Samples:   map[string]metrics.SampleMetrics{},
		Stability: map[string]float64{},
		Variables: res.Variables,
	}
	scoreOf := map[string][]float64{}
	pdOf := map[string][]float64{}
	ys := map[string][]int8{}
	for k, s := range prep.Sample {
		name := train.SampleNames[s]
		scoreOf[name] = append(scoreOf[name], float64(scores.Score[k]))
		pdOf[name] = append(pdOf[name], scores.PD[k])
		ys[name] = append(ys[name], prep.Bad[k])
	}
	for name := range scoreOf {
		// Discrimination is measured on the published integer score (higher = better), so
		// that it equals what an outside tool computes from the scored table; calibration
		// on the PD.
		m, err := metrics.Evaluate(scoreOf[name], pdOf[name], ys[name], metrics.HigherGood)
		if err != nil {
			mt.Notes = append(mt.Notes, fmt.Sprintf("sample %s: %v", name, err))
			continue
		}
		mt.Samples[name] = m
	}
	if tr, ok := scoreOf[train.SampleTrain]; ok {
		for _, other := range []string{train.SampleTest, train.SampleOOT} {
			if o, ok := scoreOf[other]; ok {
				psi, err := metrics.PSI(tr, o, 10)
				if err != nil {
					mt.Notes = append(mt.Notes, fmt.Sprintf("psi train %s: %v", other, err))
					continue
				}
				mt.Stability["psi_score_train_"+other] = psi
			}
		}
	}
	f := res.Fit
	mt.Fit = &ModelSummary{
		Intercept: f.Coef[0], InterceptStdErr: f.StdErr[0], LogLik: f.LogLik, LLNull: f.LLNull,
		AIC: f.AIC, BIC: f.BIC, Iterations: f.Iterations, Selected: res.Selected, WOECorrelation: res.Corr, Steps: res.StepLog,
	}
	return mt
}

// publishTrain writes the artifacts of a train run.
func publishTrain(ctx context.Context, run *pipeline.Run, spec *jobs.Spec, tbl *ingest.Table, prep *train.Prepared, res *train.Result, scores *score.Scores, mt Metrics, asOf time.Time) error {
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
	mj, err := json.MarshalIndent(mt, "", "  ")
	if err != nil {
		return err
	}
	if err := run.WriteFile(ctx, "metrics.json", append(mj, '\n')); err != nil {
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
	recs := publish.Records(publish.ScoredRows{
		IDs: prep.IDs, AsOf: asOf, Scores: scores, Model: spec.Name, ModelVersion: res.Scorecard.Version,
		RunID: run.ID, Sample: samples, Bad: prep.Bad,
	})
	defer releaseAll(recs)
	if err := writeParts(ctx, run, "scored", recs[0].Schema(), recs); err != nil {
		return err
	}
	q, err := frame.Quarantine(ctx, tbl, prep.Reasons)
	if err != nil {
		return err
	}
	defer releaseAll(q)
	if len(q) > 0 {
		if err := writeParts(ctx, run, "quarantine", q[0].Schema(), q); err != nil {
			return err
		}
	}
	return nil
}
