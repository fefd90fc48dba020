package runner

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"lendscore/jobs"
	"lendscore/models/binning"
	"lendscore/models/metrics"
	"lendscore/models/scorecard"
	"lendscore/pipeline"
	"lendscore/schemas"
	"lendscore/stages/clean"
	"lendscore/stages/features"
	"lendscore/stages/frame"
	"lendscore/stages/ingest"
	"lendscore/stages/publish"
	"lendscore/stages/report"
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

// trainGCPercent is the GOGC of a train run when the environment does not set one, and
// validateGCPercent its GOGC while it validates: the samples and the rankings validation
// sorts are the most a run holds at once, and collecting them often costs little.
const (
	trainGCPercent    = 30
	validateGCPercent = 15
)

// largeTableRows is the size from which a train run hands the memory of its table back to
// the operating system once the rows are scored (a full collection and scavenge: worth it
// only when the table was large).
const largeTableRows = 100_000

// runTrain fits a scorecard on a flat modelling table and publishes it.
//
// The table is read once, batch by batch: each batch goes through the row rules (refused
// rows become quarantine records at once) and the used rows' candidate variables are kept
// compactly (train.Table), so the Arrow table is never held whole. Binning replaces each
// variable's values by bin indices; selection, the regression (one pass over the bin
// indices per Newton step), scoring and the scored table all work from them.
func runTrain(ctx context.Context, spec *jobs.Spec, env *Env, runID string) (*pipeline.Manifest, error) {
	// A train run holds its table (then its bin indices, then the validation samples) in
	// memory, while reading and writing make garbage at a high rate: with the default GOGC
	// of 100 the heap grows to twice what is live between collections. Once the table is
	// large (and unless the environment sets GOGC) the run collects at trainGCPercent; the
	// large arrays hold no pointers, so collecting more often costs little. A small table
	// keeps the default: below a few MB of heap a low GOGC only multiplies collections.
	in := newTrainInput(spec)
	defer in.restore()
	defer in.withSpill(env)()
	run, err := startRunAs(ctx, spec, env, runID)
	if err != nil {
		return nil, err
	}
	asOf := spec.AsOfDate()
	if spec.AsOf == "" {
		asOf = env.now().UTC().Truncate(24 * time.Hour)
	}

	var extracts *clean.Result
	tableName := in.tableName
	var t *train.Table
	if in.relational {
		var tbl *ingest.Table
		if tbl, extracts, err = relationalTable(ctx, spec, run, env); err != nil {
			return nil, err
		}
		defer extracts.Release()
		err = run.Stage(ctx, "prepare", func(ctx context.Context) error {
			defer tbl.Release()
			for _, batch := range tbl.Batches {
				if err := in.add(ctx, batch); err != nil {
					return fmt.Errorf("table %s: %w", tableName, err)
				}
			}
			if in.b == nil {
				return fmt.Errorf("table %s: no rows", tableName)
			}
			t, err = in.b.Table()
			return err
		})
	} else {
		err = run.Stage(ctx, "ingest", func(ctx context.Context) error {
			if t, err = in.readTable(ctx, run, env, nil); err == nil && t == nil {
				err = fmt.Errorf("table %s: no columns", spec.Inputs.Table)
			}
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	defer t.Release()
	logSpill(env, t, in.rules)
	counts := tableCounts(t)
	if err := counts.Check(tableName); err != nil {
		return nil, err
	}
	run.Update(func(m *pipeline.Manifest) { m.Rows[tableName] = counts })
	return fitTrain(ctx, run, spec, env, in, t, extracts, asOf)
}

// fitTrain fits the scorecard of a train job on its table t, scores and validates it and
// publishes the run: the stages after the table is read, for one process and for the commit
// of a sharded run alike. The run's manifest counts the table's rows.
func fitTrain(ctx context.Context, run *pipeline.Run, spec *jobs.Spec, env *Env, in *trainInput, t *train.Table, extracts *clean.Result, asOf time.Time) (*pipeline.Manifest, error) {
	target, id, relational, tableName, candidates := in.target, in.id, in.relational, in.tableName, in.rules.Candidates
	var counts pipeline.RowCounts
	run.Update(func(m *pipeline.Manifest) { counts = m.Rows[tableName] })
	var err error
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
		warnNumbersAsText(env.Log, t)
		res, err = train.FitTable(ctx, t, opts)
		if err != nil {
			return err
		}
		res.Scorecard.RunID = run.ID
		res.Scorecard.Fingerprint = fp
		res.Scorecard.Target, res.Scorecard.BadValue, res.Scorecard.ID = target.Column, target.Bad, id
		if relational {
			res.Scorecard.ID = features.CustomerIDColumn
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	var samples []report.Sample
	err = run.Stage(ctx, "score", func(ctx context.Context) error {
		// One scoring of every row gives the scored table and the validation samples, which
		// are summaries (their PDs on the table's spill when it spilled).
		var spill *frame.Spill
		if t.Spilled() {
			spill = in.rules.Spill
		}
		if samples, err = writeTrainScored(ctx, run, spec, t, res, asOf, spill); err != nil {
			return err
		}
		if len(t.Quarantine) > 0 {
			dir := "quarantine"
			if relational {
				dir = "quarantine/features"
			}
			if err := writeParts(ctx, run, dir, t.Quarantine[0].Schema(), t.Quarantine); err != nil {
				return err
			}
		}
		// The rows are scored and written: what is left is validation, on the samples.
		used := t.Used()
		t.Release()
		res.Attr = nil
		if used >= largeTableRows {
			debug.FreeOSMemory()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	var mt Metrics
	err = run.Stage(ctx, "validate", func(ctx context.Context) error {
		if counts.Used >= largeTableRows {
			defer lowerGCPercentTo(validateGCPercent)()
		}
		rows := RowSummary{Input: counts.Input, Used: counts.Used, Quarantined: counts.Quarantined, ByReason: counts.ByReason}
		mt, err = trainMetrics(spec, run.ID, rows, samples, res)
		return err
	})
	if err != nil {
		return nil, err
	}
	samples = nil

	err = run.Stage(ctx, "publish", func(ctx context.Context) error {
		if extracts != nil {
			if err := publishCleaning(ctx, run, extracts); err != nil {
				return err
			}
		}
		// The card (charts, mostly) is drawn while the model files are written and synced.
		var wg sync.WaitGroup
		var cardErr error
		wg.Go(func() { cardErr = writeTrainCard(ctx, run, spec, target, res, mt, asOf) })
		err := publishTrain(ctx, run, spec, res, mt)
		wg.Wait()
		if err != nil { // one error, one line: the model files' first
			return err
		}
		return cardErr
	})
	if err != nil {
		return nil, err
	}
	run.Update(func(m *pipeline.Manifest) { m.Versions.Model = res.Scorecard.Version })
	return run.Publish(ctx)
}

// pipelined runs read, which hands batches to its argument in order, and consumes each batch
// on a second goroutine, one batch behind, so that reading (decoding Parquet, parsing CSV)
// and consuming overlap on two cores. The first error stops both and is returned.
func pipelined(ctx context.Context, read func(func(ingest.Batch) error) error, consume func(context.Context, ingest.Batch) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	batches := make(chan ingest.Batch, 1)
	done := make(chan error, 1)
	go func() {
		var err error
		for b := range batches {
			if err == nil {
				if err = consume(ctx, b); err != nil {
					cancel(err)
				}
			}
			b.Record.Release()
		}
		done <- err
	}()
	readErr := read(func(b ingest.Batch) error {
		b.Record.Retain()
		select {
		case batches <- b:
			return nil
		case <-ctx.Done():
			b.Record.Release()
			return context.Cause(ctx)
		}
	})
	close(batches)
	if err := <-done; err != nil {
		return err
	}
	return readErr
}

// candidatesOf lists the candidate variables among the columns: every column but the
// target, the id, the split column and the excluded ones. Excluded or manually binned
// columns that do not exist are an error.
func candidatesOf(columns []string, target jobs.Target, id, splitColumn string, exclude []string, manual map[string][]string) ([]string, error) {
	skip := map[string]bool{target.Column: true}
	if id != "" {
		skip[id] = true
	}
	if splitColumn != "" {
		skip[splitColumn] = true
	}
	for _, x := range exclude {
		if !slices.Contains(columns, x) {
			return nil, fmt.Errorf("exclude: column %q is not in the table", x)
		}
		skip[x] = true
	}
	for name := range manual {
		if !slices.Contains(columns, name) {
			return nil, fmt.Errorf("binning.manual: column %q is not in the table", name)
		}
	}
	var out []string
	for _, c := range columns {
		if !skip[c] {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no candidate variables: every column is the target, id, split or excluded")
	}
	return out, nil
}

// scoredPartRows is the number of rows of each scored part file of a train run: parts are
// written in parallel, one per goroutine, so the table is cut at fixed rows whatever the
// number of cores.
const scoredPartRows = 500_000

// writeTrainScored scores every used row of t and writes the scored table,
// scored/part-NNNNN.parquet of scoredPartRows rows each, in row order, and summarises the
// validation samples from the same scores (sampleSummaries; PDs on spill when it is not
// nil). Parts are scored, built and written in parallel, each by one goroutine, so the parts
// do not depend on the number of cores.
func writeTrainScored(ctx context.Context, run *pipeline.Run, spec *jobs.Spec, t *train.Table, res *train.Result, asOf time.Time, spill *frame.Spill) ([]report.Sample, error) {
	n := t.Used()
	pseudo, err := newPseudonymiser(spec)
	if err != nil {
		return nil, err
	}
	batch := min(publish.BatchRows, max(n, 1))
	builder := newTrainScoredBuilder(res.Scorecard, arrow.Date32FromTime(asOf), spec.Name, res.Scorecard.Version, run.ID, batch)
	defer builder.Release()
	parts := max(1, (n+scoredPartRows-1)/scoredPartRows)
	outputs := make([][]pipeline.OutputFile, parts)
	bufs := make([]*trainScoredRows, train.Workers(max(n, 1), scoredPartRows))
	sums := newSampleSummaries(res.Scorecard, len(bufs), spill)
	err = train.ForChunks(ctx, max(n, 1), scoredPartRows, func(w, k, lo, end int) error {
		end = min(end, n)
		if bufs[w] == nil {
			bufs[w] = newTrainScoredRows(batch, t.HasAsOf())
		}
		rows := bufs[w]
		rel := fmt.Sprintf("scored/part-%05d.parquet", k)
		loc, err := run.Location(rel)
		if err != nil {
			return err
		}
		pw, err := ingest.NewPartWriter(ctx, onePartStore{run.Store(), loc}, loc, schemas.ScoredTrainingSchema(), trainScoredPartOptions)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		for ; lo < end || lo == 0; lo += batch {
			hi := min(lo+batch, end)
			m := hi - lo
			t.IDs(rows.ids[:m], lo)
			copy(rows.ids, pseudo.ids(rows.ids[:m]))
			if rows.dates != nil {
				t.AsOf(rows.dates[:m], lo)
			}
			copy(rows.sample, t.Sample[lo:hi])
			copy(rows.bad, t.Bad[lo:hi])
			for i, r := range res.Scored(lo, hi) {
				if err := builder.set(rows, i-lo, r.Result); err != nil {
					pw.Abort()
					return fmt.Errorf("%s: row %d: %w", rel, i, err)
				}
				sums.row(w, t.Sample[i], t.Bad[i], r)
			}
			if err := sums.flush(w); err != nil {
				pw.Abort()
				return err
			}
			rec := builder.build(rows, m)
			err := ctx.Err()
			if err == nil {
				err = pw.Write(rec)
			}
			rec.Release()
			if err != nil {
				pw.Abort()
				return fmt.Errorf("%s: %w", rel, err)
			}
			if n == 0 {
				break
			}
		}
		files, err := pw.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		for _, f := range files {
			outputs[k] = append(outputs[k], pipeline.OutputFile{Path: rel, Size: f.Size, SHA256: f.SHA256})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scored: %w", err)
	}
	for _, out := range outputs {
		for _, o := range out {
			run.RecordOutput(o.Path, o.Size, o.SHA256)
		}
	}
	return sums.samples()
}

// sampleSummaries summarises the validation samples of a train run as its rows are scored
// (report.SummaryBuilder): per sample its scores counted by value, its PDs, grades and
// labels sorted by PD — on spill beyond a million rows when it is not nil — and, for every
// sample but train (whose attribute counts are the scorecard's own), its rows per attribute
// (for CSI). Each goroutine summarises the rows it scores into builders of its own, merged
// at the end: a summary does not depend on the order of its rows, so the samples do not
// depend on the number of cores.
type sampleSummaries struct {
	workers []summaryWorker
}

// summaryWorker is one goroutine's builders and the batch of rows it is gathering.
type summaryWorker struct {
	builders [len(train.SampleNames)]*report.SummaryBuilder
	batches  [len(train.SampleNames)]report.Sample
}

func newSampleSummaries(sc *scorecard.Scorecard, workers int, spill *frame.Spill) *sampleSummaries {
	s := &sampleSummaries{workers: make([]summaryWorker, workers)}
	for w := range s.workers {
		for si := range train.SampleNames {
			s.workers[w].builders[si] = report.NewSummaryBuilder(sc, si != 0, spill)
		}
	}
	return s
}

// row adds a scored row of sample si with label bad to goroutine w's batch.
func (s *sampleSummaries) row(w int, si uint8, bad int8, r train.ScoredRow) {
	smp := &s.workers[w].batches[si]
	if si != 0 && smp.Attr == nil {
		smp.Attr = make([][]uint16, len(r.Attr))
	}
	smp.Score = append(smp.Score, float64(r.Score))
	smp.PD = append(smp.PD, r.PD)
	smp.Grade = append(smp.Grade, r.Grade)
	smp.Bad = append(smp.Bad, bad)
	for j := range smp.Attr {
		smp.Attr[j] = append(smp.Attr[j], uint16(r.Attr[j]))
	}
}

// flush summarises goroutine w's batch and empties it.
func (s *sampleSummaries) flush(w int) error {
	wk := &s.workers[w]
	for si := range wk.batches {
		smp := &wk.batches[si]
		if len(smp.Score) > 0 {
			if err := wk.builders[si].Add(*smp); err != nil {
				return fmt.Errorf("sample %s: %w", train.SampleNames[si], err)
			}
		}
		smp.Score, smp.PD, smp.Grade, smp.Bad = smp.Score[:0], smp.PD[:0], smp.Grade[:0], smp.Bad[:0]
		for j := range smp.Attr {
			smp.Attr[j] = smp.Attr[j][:0]
		}
	}
	return nil
}

// samples merges the goroutines' summaries and returns the samples that have rows, in
// report order.
func (s *sampleSummaries) samples() ([]report.Sample, error) {
	var samples []report.Sample
	for si, name := range train.SampleNames {
		b := s.workers[0].builders[si]
		for _, wk := range s.workers[1:] {
			if err := b.Merge(wk.builders[si]); err != nil {
				return nil, fmt.Errorf("sample %s: %w", name, err)
			}
		}
		if b.Rows() == 0 {
			continue
		}
		sum, err := b.Summary()
		if err != nil {
			return nil, fmt.Errorf("sample %s: %w", name, err)
		}
		samples = append(samples, report.Sample{Name: name, Summary: sum})
	}
	return samples, nil
}

// trainMetrics computes metrics.json: the contract's figures per sample (discrimination on
// the published integer score, higher = better, so that they equal what an outside tool
// computes from the scored table; calibration on the PD), stability, the variable report,
// and the full validation with its traffic lights.
func trainMetrics(spec *jobs.Spec, runID string, rows RowSummary, samples []report.Sample, res *train.Result) (Metrics, error) {
	mt := Metrics{
		Model: spec.Name, RunID: runID, Rows: rows,
		Samples:   map[string]metrics.SampleMetrics{},
		Variables: res.Variables,
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

// publishTrain writes the artifacts of a train run but the scored table and the quarantine
// (the score stage writes them).
func publishTrain(ctx context.Context, run *pipeline.Run, spec *jobs.Spec, res *train.Result, mt Metrics) error {
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
	return run.WriteFile(ctx, "binning.csv", publish.BinningCSV(order, res.Binned, sel))
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

// warnNumbersAsText logs the categorical candidates that look like numbers with a few
// markers among them (UCI sets write "?" for missing values): at least 20 distinct values,
// nine in ten of them numbers. Read as text they are binned as categories; the markers
// belong in inputs.csv.null_values.
func warnNumbersAsText(log *slog.Logger, t *train.Table) {
	for _, c := range t.Candidates {
		if c.Cat == nil || len(c.Cat.Dict) < 21 {
			continue
		}
		var others []string
		numbers := 0
		for _, v := range c.Cat.Dict[1:] {
			if _, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				numbers++
			} else if len(others) < 3 {
				others = append(others, strconv.Quote(v))
			}
		}
		if numbers*10 >= 9*(len(c.Cat.Dict)-1) && numbers < len(c.Cat.Dict)-1 {
			log.Warn("a column of numbers is read as text because of a few other values; if they mark missing values, list them in inputs.csv.null_values",
				"column", c.Name, "numbers", numbers, "other_values", len(c.Cat.Dict)-1-numbers, "such_as", strings.Join(others, ", "))
		}
	}
}

// trainInput is how a train job reads its table: the target, id and split (those of the
// features table for relational inputs), and the row rules.
type trainInput struct {
	spec       *jobs.Spec
	target     jobs.Target
	id         string
	exclude    []string
	split      jobs.Split
	tableName  string
	relational bool
	// rules are the row rules; their candidates are known once the table's columns are.
	rules train.Rules

	b         *train.Builder // made for the first batch read
	rowsRead  int64
	restoreGC func() // set once the GC target was lowered
}

func newTrainInput(spec *jobs.Spec) *trainInput {
	in := &trainInput{spec: spec, target: spec.Target, id: spec.ID, exclude: spec.Exclude, split: spec.Split,
		tableName: "table", relational: spec.Inputs.Relational()}
	if in.relational {
		in.tableName = "features"
		in.target = jobs.Target{Column: features.BadColumn, Bad: "1"}
		in.id = ""
		in.exclude = append([]string{features.CustomerIDColumn, features.AsOfDateColumn, features.LabelStatusColumn}, in.exclude...)
		if in.split.Method == "time" && in.split.Column == "" {
			in.split.Column = features.AsOfDateColumn
		}
	}
	categorical := map[string]bool{}
	for _, c := range spec.Binning.Categorical {
		categorical[c] = true
	}
	sp := train.Split{Method: in.split.Method, Column: in.split.Column, TestFraction: in.split.TestFraction, Seed: in.split.Seed}
	if in.split.OOTFrom != "" {
		sp.OOTFrom, _ = time.Parse(time.DateOnly, in.split.OOTFrom)
	}
	in.rules = train.Rules{Target: in.target.Column, Bad: in.target.Bad, ID: in.id, UniqueID: in.id != "", Split: sp, Categorical: categorical}
	if in.relational {
		in.rules.ID, in.rules.AsOf = features.CustomerIDColumn, features.AsOfDateColumn
	}
	return in
}

// add feeds a batch to the table builder, made for the first batch's schema (choosing the
// candidates), and lowers the GC target for the rest of the run once the table is large
// (see runTrain).
func (in *trainInput) add(ctx context.Context, batch ingest.Batch) error {
	if in.b == nil {
		var names []string
		for _, f := range batch.Record.Schema().Fields() {
			names = append(names, f.Name)
		}
		candidates, err := candidatesOf(names, in.target, in.id, in.split.Column, in.exclude, in.spec.Binning.Manual)
		if err != nil {
			return err
		}
		in.rules.Candidates = candidates
		in.b = train.NewBuilder(in.rules)
	}
	if in.rowsRead += batch.Record.NumRows(); in.rowsRead >= largeTableRows && in.restoreGC == nil {
		in.restoreGC = lowerGCPercentTo(trainGCPercent)
	}
	return in.b.Add(ctx, batch)
}

// readTable reads the job's flat table through the row rules, batch by batch (only the
// files k with only(k) when only is set: a shard's share), and records the files read in
// the run's manifest. It returns nil when there was no file to read.
func (in *trainInput) readTable(ctx context.Context, run *pipeline.Run, env *Env, only func(k int) bool) (*train.Table, error) {
	table := in.spec.Inputs.Table
	opts := tableReadOptions(in.spec)
	opts.Only = only
	var files []ingest.FileInfo
	err := pipelined(ctx, func(fn func(ingest.Batch) error) (err error) {
		files, err = ingest.StreamTable(ctx, env.Stores, table, opts, fn)
		return err
	}, in.add)
	if err != nil {
		return nil, tableError(table, err)
	}
	recordInputs(run, "table", files)
	if in.b == nil {
		return nil, nil
	}
	t, err := in.b.Table()
	if err != nil {
		return nil, tableError(table, err)
	}
	return t, nil
}

// restore undoes what reading did to the GC target.
func (in *trainInput) restore() {
	if in.restoreGC != nil {
		in.restoreGC()
	}
}

// tableCounts returns the row accounts of a table after the row rules.
func tableCounts(t *train.Table) pipeline.RowCounts {
	return pipeline.RowCounts{Input: t.Input, Used: int64(t.Used()), Quarantined: t.Input - int64(t.Used()), ByReason: t.Refused}
}
