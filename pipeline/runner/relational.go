package runner

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"lendscore/jobs"
	"lendscore/pipeline"
	"lendscore/schemas"
	"lendscore/stages/clean"
	"lendscore/stages/features"
	"lendscore/stages/ingest"
)

// loadExtracts reads the four relational extracts a spec names and cleans them (stages
// ingest and clean), recording inputs and row accounts in the manifest. The raw tables are
// released once cleaned; the result holds the clean and quarantined rows.
//
// Memory: the extracts are the largest thing a relational job holds (about 1.5 GB for a
// million customers with 28M repayments), and the clean tables share most of their buffers
// with the raw ones. Go collects garbage when the heap has grown by GOGC (100%) over what
// the previous collection found live, so garbage left by one stage (the Parquet decoders'
// buffers, several times the size of the tables they fill; the cleaning stage's working
// memory) would otherwise let the next stage grow the heap towards twice the size of the
// extracts before anything is collected. A collection between the stages starts each one
// from what is live; it costs little, as the extracts are pointer-free buffers that the
// collector does not scan. After cleaning, the freed memory also goes back to the operating
// system: it is scattered in the decoders' small buffers, which the features stage's large
// arrays cannot reuse, so keeping it would only add to the peak.
func loadExtracts(ctx context.Context, spec *jobs.Spec, run *pipeline.Run, env *Env) (*clean.Result, error) {
	return loadTables(ctx, spec, run, env, schemas.ExtractTables(), clean.Options{AsOf: spec.AsOfDate()})
}

// loadTables is loadExtracts for the tables names (in that order), cleaned with opts: all
// four, or the customers and loans that streamFeatures holds whole.
func loadTables(ctx context.Context, spec *jobs.Spec, run *pipeline.Run, env *Env, names []string, opts clean.Options) (*clean.Result, error) {
	locs := map[string]string{
		schemas.Customers: spec.Inputs.Customers, schemas.Loans: spec.Inputs.Loans,
		schemas.Repayments: spec.Inputs.Repayments, schemas.Interactions: spec.Inputs.Interactions,
	}
	raw := map[string]*ingest.Table{}
	defer func() {
		for _, t := range raw {
			t.Release()
		}
	}()
	err := run.Stage(ctx, "ingest", func(ctx context.Context) error {
		for _, name := range names {
			t, err := ingest.ReadTable(ctx, env.Stores, name, locs[name], ingest.ReadOptions{})
			if err != nil {
				return err // names the table
			}
			raw[name] = t
			recordInputs(run, name, t.Files)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	runtime.GC() // the decoders' garbage (see above)
	var res *clean.Result
	err = run.Stage(ctx, "clean", func(ctx context.Context) error {
		res, err = clean.Extracts(ctx, raw, opts)
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := recordCounts(run, res.Tables[name]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for name, t := range raw {
		t.Release()
		delete(raw, name)
	}
	debug.FreeOSMemory() // the cleaning stage's working memory and the raw rows it did not keep
	return res, nil
}

// recordCounts checks a cleaned table's accounts and puts them in the manifest.
func recordCounts(run *pipeline.Run, t *clean.TableResult) error {
	c := pipeline.RowCounts{Input: t.Counts.Input, Used: t.Counts.Used, Quarantined: t.Counts.Quarantined, ByReason: t.Counts.Reasons}
	if err := c.Check(t.Name); err != nil {
		return err
	}
	run.Update(func(m *pipeline.Manifest) { m.Rows[t.Name] = c })
	return nil
}

// dropCleanRows releases the clean rows of res once the features are built from them,
// keeping what publishCleaning needs (counts, profiles, quarantine), and gives the memory
// they held back to the operating system, so that the stages after the features do not run
// on top of the extracts.
func dropCleanRows(res *clean.Result) {
	for _, t := range res.Tables {
		for _, rec := range t.Clean {
			rec.Release()
		}
		t.Clean = nil
	}
	debug.FreeOSMemory()
}

// publishCleaning writes what the cleaning stage refused (quarantine/<table>/) and its
// data-quality profile (profile.json).
func publishCleaning(ctx context.Context, run *pipeline.Run, res *clean.Result) error {
	type tableProfile struct {
		Counts         clean.Counts          `json:"counts"`
		MissingColumns []string              `json:"missing_columns,omitempty"`
		Columns        []clean.ColumnProfile `json:"columns"`
	}
	prof := map[string]tableProfile{}
	for _, name := range schemas.ExtractTables() {
		t := res.Tables[name]
		if t == nil {
			continue
		}
		prof[name] = tableProfile{Counts: t.Counts, MissingColumns: t.MissingColumns, Columns: t.Profile}
		if len(t.Quarantine) > 0 {
			if err := writeParts(ctx, run, "quarantine/"+name, t.QuarantineSchema, t.Quarantine); err != nil {
				return err
			}
		}
	}
	return run.WriteJSON(ctx, "profile.json", prof)
}

func featureInputs(res *clean.Result) features.Inputs {
	get := func(name string) []arrow.Record {
		if t := res.Tables[name]; t != nil {
			return t.Clean
		}
		return nil
	}
	return features.Inputs{
		Customers: get(schemas.Customers), Loans: get(schemas.Loans),
		Repayments: get(schemas.Repayments), Interactions: get(schemas.Interactions),
	}
}

// runFeatures builds the customer feature table at as_of and publishes it with the cleaning
// accounts, the quarantine and the data-quality profile.
func runFeatures(ctx context.Context, spec *jobs.Spec, env *Env) (*pipeline.Manifest, error) {
	run, err := startRun(ctx, spec, env)
	if err != nil {
		return nil, err
	}
	opts := features.Options{AsOf: spec.AsOfDate(), PerformanceWindow: spec.Features.PerformanceWindowMonths, Label: spec.Features.Label, Logger: env.Log}
	out, res, err := streamFeatures(ctx, spec, run, env, opts, []time.Time{opts.AsOf}, nil, nil)
	if err != nil {
		return nil, err
	}
	defer res.Release()
	defer out.Record.Release()
	dropCleanRows(res)
	err = run.Stage(ctx, "publish", func(ctx context.Context) error {
		if err := writeParts(ctx, run, "features", out.Record.Schema(), []arrow.Record{out.Record}); err != nil {
			return err
		}
		defs, err := features.Features(opts)
		if err != nil {
			return err
		}
		if err := run.WriteJSON(ctx, "features.json", map[string]any{"counts": out.Counts, "features": defs}); err != nil {
			return err
		}
		return publishCleaning(ctx, run, res)
	})
	if err != nil {
		return nil, err
	}
	run.Update(func(m *pipeline.Manifest) {
		m.Rows["features"] = pipeline.RowCounts{Input: out.Record.NumRows(), Used: out.Record.NumRows()}
	})
	return run.Publish(ctx)
}

// trainingSnapshots returns the observation dates of a relational train job: the split's
// snapshots, else as_of minus the performance window — the latest date whose window the
// extracts (dated as_of) cover.
func trainingSnapshots(spec *jobs.Spec) ([]time.Time, error) {
	if len(spec.Split.Snapshots) == 0 {
		return []time.Time{spec.AsOfDate().AddDate(0, -spec.Features.PerformanceWindowMonths, 0)}, nil
	}
	var out []time.Time
	for _, s := range spec.Split.Snapshots {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, fmt.Errorf("split.snapshots: %q: %w", s, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// relationalTable builds the labelled feature table a relational train job fits on: the
// cleaned extracts, features at every snapshot, customers whose label is not known (window
// incomplete, already defaulted) left out and counted. The cleaning result it returns holds
// the accounts, profiles and quarantine, not the clean rows (see dropCleanRows).
func relationalTable(ctx context.Context, spec *jobs.Spec, run *pipeline.Run, env *Env) (*ingest.Table, *clean.Result, error) {
	dates, err := trainingSnapshots(spec)
	if err != nil {
		return nil, nil, err
	}
	opts := features.Options{PerformanceWindow: spec.Features.PerformanceWindowMonths, Label: true, DropUnlabelled: true, DataEnd: spec.AsOfDate(), Logger: env.Log}
	out, res, err := streamFeatures(ctx, spec, run, env, opts, dates, func(out *features.Output) error {
		var notes []string
		for _, c := range out.Counts {
			notes = append(notes, fmt.Sprintf("%s: %d customers labelled, %d bads, excluded %v", c.AsOf.Format(time.DateOnly), c.Labelled, c.Bads, c.Excluded))
		}
		run.Update(func(m *pipeline.Manifest) {
			if m.Notes == nil {
				m.Notes = map[string]any{}
			}
			m.Notes["snapshots"] = out.Counts
		})
		env.Log.Info("training snapshots", "snapshots", strings.Join(notes, "; "))
		if out.Record.NumRows() == 0 {
			return fmt.Errorf("no labelled customers at %v: the performance window (%d months) must end within the data", dates, spec.Features.PerformanceWindowMonths)
		}
		return nil
	}, nil)
	if err != nil {
		return nil, nil, err
	}
	dropCleanRows(res)
	tbl := &ingest.Table{Name: "features", Schema: out.Record.Schema(), Batches: []ingest.Batch{{Record: out.Record, File: "features"}}}
	return tbl, res, nil
}
