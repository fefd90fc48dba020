package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"lendscore/jobs"
	"lendscore/models/metrics"
	"lendscore/models/scorecard"
	"lendscore/pipeline"
	"lendscore/pipeline/storage"
	"lendscore/stages/clean"
	"lendscore/stages/features"
	"lendscore/stages/frame"
	"lendscore/stages/ingest"
	"lendscore/stages/publish"
	"lendscore/stages/report"
	"lendscore/stages/score"
	"lendscore/stages/train"
)

// BacktestMetrics is metrics.json of a backtest run.
type BacktestMetrics struct {
	Model       string                           `json:"model"`
	RunID       string                           `json:"run_id"`
	Development report.Development               `json:"development"`
	Rows        RowSummary                       `json:"rows"`
	Samples     map[string]metrics.SampleMetrics `json:"samples"`
	Stability   map[string]float64               `json:"stability"`
	Migration   *report.Migration                `json:"grade_migration,omitempty"`
	Validation  *report.Validation               `json:"validation"`
	Notes       []string                         `json:"notes,omitempty"`
}

// development is what a backtest compares with: the train run that published the model.
type development struct {
	dir      storage.Location
	details  report.Development
	baseline *report.Baseline
	grades   map[string]string // customer id → grade at the latest development as_of
}

// devMetrics is what other runs read of a train run's metrics.json.
type devMetrics struct {
	Samples    map[string]metrics.SampleMetrics `json:"samples"`
	Validation struct {
		ReferenceScore *report.ScoreBins `json:"reference_score_bins"`
	} `json:"validation"`
}

// developmentRun returns the folder of the train run that published the scorecard at scLoc
// (…/runs/<id>/model/scorecard.json) and its metrics.
func developmentRun(ctx context.Context, env *Env, scLoc storage.Location) (storage.Location, *devMetrics, error) {
	dir := scLoc
	for i := 0; i < 2; i++ { // …/runs/<id>/model/scorecard.json → …/runs/<id>
		k := strings.LastIndex(dir.Key, "/")
		if k < 0 {
			return storage.Location{}, nil, fmt.Errorf("model %s: not inside a train run, so there is no development run to compare with", scLoc)
		}
		dir.Key = dir.Key[:k]
	}
	st, err := env.Stores.For(ctx, dir)
	if err != nil {
		return storage.Location{}, nil, err
	}
	data, err := storage.ReadAll(ctx, st, dir.MustJoin("metrics.json"))
	if err != nil {
		return storage.Location{}, nil, fmt.Errorf("development run %s: %w", dir, err)
	}
	var dm devMetrics
	if err := json.Unmarshal(data, &dm); err != nil {
		return storage.Location{}, nil, fmt.Errorf("development run %s: metrics.json: %w", dir, err)
	}
	return dir, &dm, nil
}

// loadDevelopment reads the development run of a scorecard: its metrics (reference score
// distribution, AUC of the test sample, else train) and its scored table (grades).
func loadDevelopment(ctx context.Context, env *Env, sc *scorecard.Scorecard, scLoc storage.Location) (*development, error) {
	dir, dm, err := developmentRun(ctx, env, scLoc)
	if err != nil {
		return nil, err
	}
	st, err := env.Stores.For(ctx, dir)
	if err != nil {
		return nil, err
	}
	man, err := pipeline.ReadManifest(ctx, st, dir)
	if err != nil {
		return nil, fmt.Errorf("development run %s: %w", dir, err)
	}
	d := &development{dir: dir, details: report.Development{RunID: man.RunID, Version: sc.Version, AsOf: man.AsOf}}
	d.baseline = &report.Baseline{Name: "development", Score: dm.Validation.ReferenceScore}
	for _, s := range []string{train.SampleTest, train.SampleTrain} {
		if m, ok := dm.Samples[s]; ok {
			d.details.Sample = s
			d.baseline.AUC = &metrics.AUCEstimate{AUC: m.AUC, SE: m.AUCSE, CI95: m.AUCCI95, Bads: m.Bads, Goods: m.Rows - m.Bads}
			break
		}
	}
	// Grades of the development scored table, the latest as_of per customer.
	tbl, err := ingest.ReadTable(ctx, env.Stores, "development", dir.MustJoin("scored").String()+"/", ingest.ReadOptions{})
	if err != nil {
		return nil, fmt.Errorf("development run %s: scored table: %w", dir, err)
	}
	defer tbl.Release()
	d.grades = map[string]string{}
	latest := map[string]arrow.Date32{}
	for _, b := range tbl.Batches {
		r := b.Record
		ids := r.Column(0).(*array.String)
		days := r.Column(1).(*array.Date32)
		gr := r.Column(4).(*array.String)
		for i := 0; i < int(r.NumRows()); i++ {
			id := ids.Value(i)
			if day, ok := latest[id]; !ok || days.Value(i) >= day {
				latest[id] = days.Value(i)
				d.grades[id] = gr.Value(i)
			}
		}
	}
	return d, nil
}

// migration counts customers present in both samples by development grade (rows) and
// backtest grade (columns), over the master scale.
func migration(sc *scorecard.Scorecard, dev map[string]string, ids, grades []string) *report.Migration {
	pos := map[string]int{}
	m := &report.Migration{}
	for i, g := range sc.Grades {
		pos[g.Name] = i
		m.Grades = append(m.Grades, g.Name)
	}
	m.Counts = make([][]int64, len(m.Grades))
	for i := range m.Counts {
		m.Counts[i] = make([]int64, len(m.Grades))
	}
	any := false
	for k, id := range ids {
		if g, ok := dev[id]; ok {
			if a, ok := pos[g]; ok {
				if b, ok := pos[grades[k]]; ok {
					m.Counts[a][b]++
					any = true
				}
			}
		}
	}
	if !any {
		return nil
	}
	return m
}

// runBacktest applies a published model to a later labelled snapshot — a flat table with
// the label, or relational extracts whose performance window after the observation date has
// passed — and reports how it held up against development.
func runBacktest(ctx context.Context, spec *jobs.Spec, env *Env) (*pipeline.Manifest, error) {
	run, sc, scLoc, err := startWithModel(ctx, spec, env)
	if err != nil {
		return nil, err
	}
	dev, err := loadDevelopment(ctx, env, sc, scLoc)
	if err != nil {
		return nil, err
	}
	run.Update(func(m *pipeline.Manifest) { m.Notes["development_run"] = dev.details.RunID })

	var (
		tbl       *ingest.Table
		extracts  *clean.Result
		target    = spec.Target
		id        = spec.ID
		tableName = "table"
		asOf      = spec.AsOfDate()
	)
	if target.Column == "" {
		target = jobs.Target{Column: sc.Target, Bad: sc.BadValue}
	}
	if id == "" {
		id = sc.ID
	}
	if spec.Inputs.Relational() {
		tableName = "features"
		obs := asOf.AddDate(0, -spec.Features.PerformanceWindowMonths, 0)
		if len(spec.Split.Snapshots) > 0 {
			obs, _ = time.Parse(time.DateOnly, spec.Split.Snapshots[0])
		}
		bt := *spec
		bt.Split.Snapshots = []string{obs.Format(time.DateOnly)}
		if tbl, extracts, err = relationalTable(ctx, &bt, run, env); err != nil {
			return nil, err
		}
		defer extracts.Release()
		target, id, asOf = jobs.Target{Column: features.BadColumn, Bad: "1"}, features.CustomerIDColumn, obs
	} else {
		err = run.Stage(ctx, "ingest", func(ctx context.Context) error {
			tbl, err = ingest.ReadTable(ctx, env.Stores, "table", spec.Inputs.Table, tableReadOptions(spec))
			if err != nil {
				return err
			}
			recordInputs(run, "table", tbl.Files)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if spec.AsOf == "" {
			asOf = env.now().UTC().Truncate(24 * time.Hour)
		}
	}
	defer tbl.Release()
	if target.Column == "" {
		return nil, &jobs.SpecError{Key: "target.column", Msg: "missing, and the model does not name its target"}
	}

	var (
		fr   *frame.Frame
		prep *train.Prepared
	)
	err = run.Stage(ctx, "prepare", func(ctx context.Context) error {
		categorical := map[string]bool{}
		for _, ch := range sc.Characteristics {
			if ch.Kind == "categorical" {
				categorical[ch.Name] = true
			}
		}
		if fr, err = frame.FromTable(tbl, categorical); err != nil {
			return fmt.Errorf("table %s: %w", tableName, err)
		}
		var names []string
		for _, ch := range sc.Characteristics {
			names = append(names, ch.Name)
		}
		if prep, err = train.Prepare(fr, target.Column, target.Bad, id, train.Split{Method: "all"}, names); err != nil {
			return fmt.Errorf("table %s: %w", tableName, err)
		}
		counts := pipeline.RowCounts{Input: int64(fr.Rows), Used: int64(len(prep.Used)), Quarantined: int64(fr.Rows - len(prep.Used)), ByReason: prep.Refused}
		run.Update(func(m *pipeline.Manifest) { m.Rows[tableName] = counts })
		return counts.Check(tableName)
	})
	if err != nil {
		return nil, err
	}
	var scores *score.Scores
	err = run.Stage(ctx, "score", func(ctx context.Context) error {
		scores, err = score.FrameWithAttributes(ctx, sc, fr, prep.Used)
		if err != nil {
			return fmt.Errorf("table %s: %w", tableName, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	bm := BacktestMetrics{Model: sc.Model, RunID: run.ID, Development: dev.details, Samples: map[string]metrics.SampleMetrics{},
		Rows: RowSummary{Input: int64(fr.Rows), Used: int64(len(prep.Used)), Quarantined: int64(fr.Rows - len(prep.Used)), ByReason: prep.Refused}}
	err = run.Stage(ctx, "validate", func(ctx context.Context) error {
		smp := report.Sample{Name: "backtest", Score: make([]float64, len(prep.Used)), PD: scores.PD, Grade: scores.Grade, Bad: prep.Bad, Attr: scores.Attr}
		for k, s := range scores.Score {
			smp.Score[k] = float64(s)
		}
		v, err := report.Validate(report.ValidationInput{Samples: []report.Sample{smp}, Higher: metrics.HigherGood, Baseline: dev.baseline, Scorecard: sc}, thresholdsOf(spec))
		if err != nil {
			return err
		}
		bm.Validation = v
		bm.Stability = v.Stability()
		bm.Notes = v.Notes
		if r := v.Sample("backtest"); r != nil && r.Metrics != nil {
			bm.Samples["backtest"] = *r.Metrics
		}
		bm.Migration = migration(sc, dev.grades, prep.IDs, scores.Grade)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = run.Stage(ctx, "publish", func(ctx context.Context) error {
		if err := run.WriteJSON(ctx, "metrics.json", bm); err != nil {
			return err
		}
		samples := make([]string, len(prep.Used))
		for i := range samples {
			samples[i] = "backtest"
		}
		if err := writeScored(ctx, run, publish.ScoredRows{IDs: prep.IDs, AsOf: asOf, Scores: scores, Model: sc.Model, ModelVersion: sc.Version, RunID: run.ID, Sample: samples, Bad: prep.Bad}); err != nil {
			return err
		}
		if extracts != nil {
			if err := publishCleaning(ctx, run, extracts); err != nil {
				return err
			}
		}
		q, err := frame.Quarantine(ctx, tbl, prep.Reasons)
		if err != nil {
			return err
		}
		defer releaseAll(q)
		if len(q) > 0 {
			if err := writeParts(ctx, run, "quarantine/"+tableName, q[0].Schema(), q); err != nil {
				return err
			}
		}
		var m pipeline.Manifest
		run.Update(func(mm *pipeline.Manifest) { m = *mm })
		card := report.Card{
			Kind:        report.KindBacktest,
			Model:       report.ModelDetails{Name: sc.Model, Version: sc.Version, RunID: run.ID, AsOf: asOf.Format(time.DateOnly), LendscoreVersion: pipeline.Version, Fingerprint: sc.Fingerprint},
			Data:        report.Data{Sources: m.Inputs, Rows: m.Rows, Target: report.Target{Column: target.Column, Bad: target.Bad}},
			Scorecard:   sc,
			Validation:  bm.Validation,
			Development: &dev.details,
			Migration:   bm.Migration,
			Notes:       bm.Notes,
		}
		md, html, err := report.ModelCard(card)
		if err != nil {
			return fmt.Errorf("backtest card: %w", err)
		}
		if err := run.WriteFile(ctx, "backtest_card.md", md); err != nil {
			return err
		}
		return run.WriteFile(ctx, "backtest_card.html", html)
	})
	if err != nil {
		return nil, err
	}
	return run.Publish(ctx)
}
