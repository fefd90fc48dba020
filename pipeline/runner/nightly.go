package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/jobs"
	"lendscore/pipeline"
	"lendscore/pipeline/storage"
	"lendscore/schemas"
	"lendscore/stages/clean"
	"lendscore/stages/features"
	"lendscore/stages/frame"
	"lendscore/stages/ingest"
	"lendscore/stages/portfolio"
	"lendscore/stages/publish"
	"lendscore/stages/report"
	"lendscore/stages/score"
	"lendscore/stages/segment"
	"lendscore/stages/warn"
)

// previousNightly finds the nightly run tonight's compares with: the run latest.json names
// when its as_of is before tonight's; on a rerun of the same (or an earlier) as_of, the run
// that run itself compared with, so that a rerun gives the same output. It returns "" when
// there is none.
func previousNightly(ctx context.Context, st storage.Store, out storage.Location, asOf string) (storage.Location, string, error) {
	l, dir, err := pipeline.ReadLatest(ctx, st, out)
	if errors.Is(err, pipeline.ErrNoRun) {
		return storage.Location{}, "", nil
	}
	if err != nil {
		return storage.Location{}, "", err
	}
	if l.Kind != jobs.KindNightly {
		return storage.Location{}, "", fmt.Errorf("output %s: latest.json names a %s run; a nightly job needs an output of its own", out, l.Kind)
	}
	for hops := 0; hops < 1000; hops++ {
		m, err := pipeline.ReadManifest(ctx, st, dir)
		if err != nil {
			return storage.Location{}, "", fmt.Errorf("previous run %s: %w", dir, err)
		}
		if m.AsOf < asOf {
			return dir, m.RunID, nil
		}
		prev, _ := m.Notes["previous_run"].(string)
		if prev == "" {
			return storage.Location{}, "", nil
		}
		if dir, err = out.Join("runs", prev); err != nil {
			return storage.Location{}, "", err
		}
	}
	return storage.Location{}, "", fmt.Errorf("output %s: the chain of previous runs does not end", out)
}

// readState reads the state table of a nightly run.
func readState(ctx context.Context, env *Env, dir storage.Location) (*warn.State, error) {
	tbl, err := ingest.ReadTable(ctx, env.Stores, "state", dir.MustJoin("state").String()+"/", ingest.ReadOptions{})
	if err != nil {
		return nil, fmt.Errorf("previous state %s: %w", dir, err)
	}
	defer tbl.Release()
	s := &warn.State{}
	for _, b := range tbl.Batches {
		r := b.Record
		ids := r.Column(0).(*array.String)
		sc := r.Column(1).(*array.Int32)
		gr := r.Column(2).(*array.String)
		ti := r.Column(3).(*array.String)
		sg := r.Column(4).(*array.Int32)
		dpd := r.Column(5).(*array.Float64)
		wl := r.Column(6).(*array.List)
		wv := wl.ListValues().(*array.String)
		offs := wl.Offsets()
		for i := 0; i < int(r.NumRows()); i++ {
			s.IDs = append(s.IDs, ids.Value(i))
			s.Score = append(s.Score, sc.Value(i))
			s.Grade = append(s.Grade, gr.Value(i))
			s.Tier = append(s.Tier, ti.Value(i))
			seg := int32(-1)
			if sg.IsValid(i) {
				seg = sg.Value(i)
			}
			s.Segment = append(s.Segment, seg)
			s.CurrentDPD = append(s.CurrentDPD, dpd.Value(i))
			var ws []string
			for j := offs[i]; j < offs[i+1]; j++ {
				ws = append(ws, wv.Value(int(j)))
			}
			s.Warnings = append(s.Warnings, ws)
		}
	}
	return s, nil
}

// stateRecords hands the state table to write, batch by batch (each released after
// write returns), so that the table is never held whole.
func stateRecords(s *warn.State, write func(arrow.Record) error) error {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schemas.StateSchema())
	defer b.Release()
	f := b.Fields()
	for start := 0; start < s.Len() || start == 0; start += publish.BatchRows {
		end := min(start+publish.BatchRows, s.Len())
		for i := start; i < end; i++ {
			f[0].(*array.StringBuilder).Append(s.IDs[i])
			f[1].(*array.Int32Builder).Append(s.Score[i])
			f[2].(*array.StringBuilder).Append(s.Grade[i])
			f[3].(*array.StringBuilder).Append(s.Tier[i])
			if s.Segment[i] >= 0 {
				f[4].(*array.Int32Builder).Append(s.Segment[i])
			} else {
				f[4].AppendNull()
			}
			f[5].(*array.Float64Builder).Append(s.CurrentDPD[i])
			lb := f[6].(*array.ListBuilder)
			lb.Append(true)
			for _, w := range s.Warnings[i] {
				lb.ValueBuilder().(*array.StringBuilder).Append(w)
			}
		}
		if err := writeReleased(b.NewRecord(), write); err != nil {
			return err
		}
		if s.Len() == 0 {
			break
		}
	}
	return nil
}

// changeRecords hands the changes table to write, batch by batch (each released after
// write returns).
func changeRecords(changes []warn.Change, asOf time.Time, runID string, write func(arrow.Record) error) error {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schemas.ChangesSchema())
	defer b.Release()
	f := b.Fields()
	day := arrow.Date32FromTime(asOf)
	wrote := false
	for i, c := range changes {
		f[0].(*array.StringBuilder).Append(c.CustomerID)
		f[1].(*array.Date32Builder).Append(day)
		f[2].(*array.StringBuilder).Append(c.Kind)
		for k, v := range []string{c.Previous, c.Current} {
			if v == "" {
				f[3+k].AppendNull()
			} else {
				f[3+k].(*array.StringBuilder).Append(v)
			}
		}
		f[5].(*array.StringBuilder).Append(runID)
		if (i+1)%publish.BatchRows == 0 {
			if err := writeReleased(b.NewRecord(), write); err != nil {
				return err
			}
			wrote = true
		}
	}
	if b.Field(0).Len() > 0 || !wrote {
		return writeReleased(b.NewRecord(), write)
	}
	return nil
}

// writeReleased hands rec to write and releases it.
func writeReleased(rec arrow.Record, write func(arrow.Record) error) error {
	defer rec.Release()
	return write(rec)
}

// numericColumn returns a numeric column of the feature frame, or NaNs when absent.
func numericColumn(fr *frame.Frame, name string) []float64 {
	if c := fr.Column(name); c != nil && c.Kind == frame.Numeric {
		return c.Num
	}
	out := make([]float64, fr.Rows)
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}

// runNightly scores last night's extracts with the champion scorecard, raises the early
// warnings, lists the changes since the previous nightly run and publishes the scored table
// CRM systems load.
func runNightly(ctx context.Context, spec *jobs.Spec, env *Env) (*pipeline.Manifest, error) {
	run, sc, scLoc, err := startWithModel(ctx, spec, env)
	if err != nil {
		return nil, err
	}
	pseudo, err := newPseudonymiser(spec)
	if err != nil {
		return nil, err
	}
	prevDir, prevID, err := previousNightly(ctx, run.Store(), run.Output, spec.AsOf)
	if err != nil {
		return nil, err
	}
	run.Update(func(m *pipeline.Manifest) { m.Notes["previous_run"] = prevID })
	var prev *warn.State
	if prevID != "" {
		if prev, err = readState(ctx, env, prevDir); err != nil {
			return nil, err
		}
	}

	asOf := spec.AsOfDate()
	ex, err := readNightly(ctx, spec, run, env)
	if err != nil {
		return nil, err
	}
	defer ex.release()
	out, res := ex.out, ex.res

	var (
		fr       *frame.Frame
		scores   *score.Scores
		cur      *warn.State
		segNames []string
	)
	err = run.Stage(ctx, "score", func(ctx context.Context) error {
		tbl := &ingest.Table{Name: "features", Schema: out.Record.Schema(), Batches: []ingest.Batch{{Record: out.Record, File: "features"}}}
		if fr, err = frame.FromTable(tbl, nil); err != nil {
			return err
		}
		ex.dropFeatureTable()
		if scores, err = score.Frame(ctx, sc, fr, nil); err != nil {
			return fmt.Errorf("features: %w", err)
		}
		cur = &warn.State{IDs: fr.Column(features.CustomerIDColumn).Str, Score: scores.Score, Grade: scores.Grade, Tier: scores.Tier,
			Segment: make([]int32, fr.Rows), CurrentDPD: numericColumn(fr, "current_dpd")}
		for i := range cur.Segment {
			cur.Segment[i] = -1
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	var (
		segModel    *segment.Model
		segReused   bool
		serviceTier []string
		lifecycle   []string
		profiles    []segment.SegmentProfile
	)
	err = run.Stage(ctx, "segment", func(ctx context.Context) error {
		if prevID != "" && !spec.Segments.Refit {
			st := run.Store()
			if data, err := storage.ReadAll(ctx, st, prevDir.MustJoin("model", "segments.json")); err == nil {
				if segModel, err = segment.Load(data); err != nil {
					return fmt.Errorf("segments of %s: %w", prevDir, err)
				}
				segReused = true
			}
		}
		if segModel == nil {
			opts := segment.Options{Features: spec.Segments.Features, K: spec.Segments.K, KMin: spec.Segments.KMin, KMax: spec.Segments.KMax,
				Restarts: spec.Segments.Restarts, Seed: uint64(spec.Seed), PD: scores.PD, Logger: env.Log}
			if segModel, err = segment.Fit(ctx, fr, opts); err != nil {
				return err
			}
		}
		seg, err := segModel.Assign(fr)
		if err != nil {
			return err
		}
		copy(cur.Segment, seg)
		segNames = make([]string, len(seg))
		serviceTier = make([]string, len(seg))
		for i, s := range seg {
			segNames[i] = segModel.Name(s)
			serviceTier[i] = segModel.Segments[s-1].Tier
		}
		if lifecycle, err = segModel.Lifecycle(fr); err != nil {
			return err
		}
		profiles, err = segment.Profile(fr, seg, segment.Outcomes{Score: scores.Score, PD: scores.PD, Grade: scores.Grade, Lifecycle: lifecycle}, segModel)
		return err
	})
	if err != nil {
		return nil, err
	}

	var changes []warn.Change
	var port *portfolio.Report
	var summary warn.Summary
	err = run.Stage(ctx, "warnings", func(ctx context.Context) error {
		sig := warn.Signals{Utilisation: numericColumn(fr, "utilisation"), DaysSinceComplaint: ex.daysSinceComplaint, SatisfactionDrop: ex.satisfactionDrop}
		th := warn.Thresholds{ScoreDrop: spec.Warnings.ScoreDrop, UtilisationAbove: spec.Warnings.UtilisationAbove,
			ComplaintDays: spec.Warnings.ComplaintDays, SatisfactionDrop: spec.Warnings.SatisfactionDrop}
		cur.IDs = pseudo.ids(cur.IDs)
		cur.Warnings = warn.Flags(cur, sig, prev, th)
		changes, summary = warn.Changes(cur, prev)
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = run.Stage(ctx, "report", func(ctx context.Context) error {
		var dev *report.ScoreBins
		if _, dm, err := developmentRun(ctx, env, scLoc); err == nil {
			dev = dm.Validation.ReferenceScore
		} else {
			env.Log.Warn("no development score distribution: the portfolio report has no PSI", "error", err)
		}
		grades := make([]string, len(sc.Grades))
		for i, g := range sc.Grades {
			grades[i] = g.Name
		}
		// The segments' names by id: ids run from 1 (0 is not in use).
		segmentNames := make([]string, len(segModel.Segments)+1)
		for k := range segModel.Segments {
			segmentNames[k+1] = segModel.Name(int32(k + 1))
		}
		in := featureInputs(res)
		port, err = portfolio.Build(ctx, portfolio.Input{
			AsOf: asOf, Loans: in.Loans, Repayments: in.Repayments, Book: ex.book,
			Customers: portfolio.Customers{Score: scores.Score, PD: scores.PD, Grade: scores.Grade, Tier: scores.Tier,
				Segment: segmentsOrNil(cur.Segment), SegmentNames: segmentNames, Warnings: cur.Warnings, Grades: grades},
			Development: dev, Model: sc.Model, ModelVersion: sc.Version, RunID: run.ID,
		}, portfolio.Options{HighRiskTarget: spec.Warnings.HighRiskTarget, Logger: env.Log})
		return err
	})
	if err != nil {
		return nil, err
	}

	err = run.Stage(ctx, "publish", func(ctx context.Context) error {
		if err := writeScored(ctx, run, publish.ScoredRows{IDs: cur.IDs, AsOf: asOf, Scores: scores, Warnings: cur.Warnings,
			Segment: cur.Segment, SegName: segNames, ServiceTier: serviceTier, Lifecycle: lifecycle,
			Model: sc.Model, ModelVersion: sc.Version, RunID: run.ID}); err != nil {
			return err
		}
		if err := streamParts(ctx, run, "state", schemas.StateSchema(), func(write func(arrow.Record) error) error {
			return stateRecords(cur, write)
		}); err != nil {
			return err
		}
		if err := streamParts(ctx, run, "changes", schemas.ChangesSchema(), func(write func(arrow.Record) error) error {
			return changeRecords(changes, asOf, run.ID, write)
		}); err != nil {
			return err
		}
		if err := run.WriteJSON(ctx, "nightly.json", map[string]any{
			"model": sc.Model, "model_version": sc.Version, "as_of": spec.AsOf, "previous_run": prevID,
			"customers": summary, "warnings": warn.CountByCode(cur.Warnings), "features": out.Counts,
		}); err != nil {
			return err
		}
		if err := publishCleaning(ctx, run, res); err != nil {
			return err
		}
		segJSON, err := segModel.Marshal()
		if err != nil {
			return err
		}
		if err := run.WriteFile(ctx, "model/segments.json", segJSON); err != nil {
			return err
		}
		if err := run.WriteJSON(ctx, "report/segments.json", map[string]any{"reused_from_previous_run": segReused, "k": segModel.K, "profiles": profiles}); err != nil {
			return err
		}
		return writePortfolio(ctx, run, port)
	})
	if err != nil {
		return nil, err
	}
	run.Update(func(m *pipeline.Manifest) {
		m.Rows["scored"] = pipeline.RowCounts{Input: int64(cur.Len()), Used: int64(cur.Len())}
	})
	return run.Publish(ctx)
}

// nightlyExtracts is what the nightly job takes from the extracts: the feature table at
// as_of, the cleaning accounts, and what the warnings and the portfolio report need of the
// repayments and interactions.
type nightlyExtracts struct {
	out *features.Output
	res *clean.Result
	// daysSinceComplaint and satisfactionDrop are the interaction signals (package warn) by
	// row of out.
	daysSinceComplaint, satisfactionDrop []float64
	// book is the loan book with the repayments folded in; nil on the whole-table path,
	// where res keeps the clean loans and repayments for the portfolio report.
	book *portfolio.Book
}

func (e *nightlyExtracts) release() {
	e.dropFeatureTable()
	e.res.Release()
	if e.book != nil {
		e.book.Release()
	}
}

// dropFeatureTable releases the feature table once the frame holds it, saving the nightly
// a third of its peak memory: the frame copied the numbers (the bulk of the table) and
// refers to the strings, whose buffers, from the Go allocator (arrow's default, unless
// built with the mallocator tag), live on while referred to. out.Counts stays.
func (e *nightlyExtracts) dropFeatureTable() {
	if e.out.Record != nil {
		e.out.Record.Release()
		e.out.Record = nil
	}
}

// readNightly reads, cleans and folds the extracts of a nightly job in one pass, as
// streamFeatures does for the features job: the customers and loans whole, the repayments
// and interactions batch by batch, each batch folded into the features, the interaction
// signals (warn.Interactions) and the loan book of the portfolio report (portfolio.Book)
// and then dropped. Memory follows the customers and loans, not the history. Once the
// features are built the clean rows go (dropCleanRows): the rest of the run reads the
// feature table.
//
// With Env.WholeExtracts (and only then), the four extracts are held whole, as the
// reference the streamed path is tested against: the signals come from
// warn.InteractionSignals over the whole interactions, and res keeps the clean rows for
// portfolio.Build. The outputs are the same either way.
func readNightly(ctx context.Context, spec *jobs.Spec, run *pipeline.Run, env *Env) (*nightlyExtracts, error) {
	asOf := spec.AsOfDate()
	opts := features.Options{AsOf: asOf, PerformanceWindow: spec.Features.PerformanceWindowMonths, Logger: env.Log}
	dates := []time.Time{asOf}
	if env.WholeExtracts {
		out, res, err := wholeFeatures(ctx, spec, run, env, opts, dates, nil)
		if err != nil {
			return nil, err
		}
		ex := &nightlyExtracts{out: out, res: res}
		ids, err := featureIDs(out)
		if err == nil {
			index := make(map[string]int, len(ids)) // raw ids: the interactions carry them
			for i, id := range ids {
				index[id] = i
			}
			ex.daysSinceComplaint, ex.satisfactionDrop, err = warn.InteractionSignals(res.Tables[schemas.Interactions].Clean, asOf, index)
		}
		if err != nil {
			ex.release()
			return nil, err
		}
		return ex, nil
	}

	var (
		index map[string]int // clean customer id to its row among the clean customers
		ints  *warn.Interactions
		book  *portfolio.Book
	)
	side := func(parents *clean.Result) (map[string]func(context.Context, arrow.Record) error, error) {
		if book != nil { // a pass that fell back: start afresh
			book.Release()
			book = nil
		}
		customers := parents.Tables[schemas.Customers].Clean
		n := 0
		for _, rec := range customers {
			n += int(rec.NumRows())
		}
		index = make(map[string]int, n)
		for _, rec := range customers {
			ids, err := stringColumn(rec, features.CustomerIDColumn)
			if err != nil {
				return nil, fmt.Errorf("customers: %w", err)
			}
			for i := range ids.Len() {
				// A copy: on the fallback the parents are released before the index is
				// last read.
				index[strings.Clone(ids.Value(i))] = len(index)
			}
		}
		ints = warn.NewInteractions(asOf, index)
		var err error
		if book, err = portfolio.NewBook(parents.Tables[schemas.Loans].Clean, asOf); err != nil {
			return nil, err
		}
		return map[string]func(context.Context, arrow.Record) error{
			schemas.Repayments:   func(ctx context.Context, rec arrow.Record) error { return book.AddRepayments(ctx, rec) },
			schemas.Interactions: func(_ context.Context, rec arrow.Record) error { return ints.Add(rec) },
		}, nil
	}
	out, res, err := streamFeatures(ctx, spec, run, env, opts, dates, nil, side)
	if err != nil {
		if book != nil {
			book.Release()
		}
		return nil, err
	}
	ex := &nightlyExtracts{out: out, res: res, book: book}
	// The feature rows are customers onboarded by as_of: the signals go from their rows
	// among the clean customers to their rows in the table.
	ids, err := featureIDs(out)
	if err != nil {
		ex.release()
		return nil, err
	}
	days, drop := ints.Signals()
	ex.daysSinceComplaint, ex.satisfactionDrop = make([]float64, len(ids)), make([]float64, len(ids))
	for i, id := range ids {
		c, ok := index[id]
		if !ok {
			ex.release()
			return nil, fmt.Errorf("features: customer %q is not among the clean customers", id)
		}
		ex.daysSinceComplaint[i], ex.satisfactionDrop[i] = days[c], drop[c]
	}
	dropCleanRows(res)
	return ex, nil
}

// featureIDs returns the customer ids of a feature table, by row.
func featureIDs(out *features.Output) ([]string, error) {
	col, err := stringColumn(out.Record, features.CustomerIDColumn)
	if err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	ids := make([]string, col.Len())
	for i := range ids {
		ids[i] = col.Value(i)
	}
	return ids, nil
}

// stringColumn returns the string column name of rec.
func stringColumn(rec arrow.Record, name string) (*array.String, error) {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil, fmt.Errorf("no column %s", name)
	}
	col, ok := rec.Column(idx[0]).(*array.String)
	if !ok {
		return nil, fmt.Errorf("column %s is %s, not a string", name, rec.Column(idx[0]).DataType())
	}
	return col, nil
}

// segmentsOrNil returns nil when segmentation is off (every segment −1).
func segmentsOrNil(seg []int32) []int32 {
	for _, s := range seg {
		if s >= 0 {
			return seg
		}
	}
	return nil
}

// writePortfolio writes the portfolio report as report/portfolio_report.{json,md,html}.
func writePortfolio(ctx context.Context, run *pipeline.Run, r *portfolio.Report) error {
	if r == nil {
		return nil
	}
	if err := run.WriteJSON(ctx, "report/"+portfolio.JSONName, r); err != nil {
		return err
	}
	md, html, err := portfolio.Render(r)
	if err != nil {
		return fmt.Errorf("portfolio report: %w", err)
	}
	if err := run.WriteFile(ctx, "report/"+portfolio.MarkdownName, md); err != nil {
		return err
	}
	return run.WriteFile(ctx, "report/"+portfolio.HTMLName, html)
}
