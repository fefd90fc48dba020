package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"lendscore/jobs"
	"lendscore/pipeline"
	"lendscore/schemas"
	"lendscore/stages/clean"
	"lendscore/stages/features"
	"lendscore/stages/ingest"
)

// featuresGCPercent is the garbage collector's target while the repayments and
// interactions stream. The live heap is then the clean customers, the loans' keys and the
// features' totals, and every batch read leaves its decoded rows as garbage: at the default
// target (100) the heap would grow to twice the live heap between collections. At 25 the
// peak RSS of the features job over a million customers drops by about 0.4 GB for about a
// second of CPU.
const featuresGCPercent = 25

// streamFeatures reads and cleans the extracts a spec names and builds the feature table at
// the dates, recording inputs, row accounts and stage timings in the manifest; check, when
// set, runs on the table inside the features stage. The result holds the cleaning
// accounts, profiles and quarantine of every table, and the clean customers (see
// dropCleanRows).
//
// Memory follows the customers and loans, not the history: those two tables are read and
// cleaned whole (stages ingest and clean), as the other two are checked against them; the
// repayments and interactions are then read batch by batch, each batch cleaned
// (clean.Stream) and folded into the features (features.Stream) and dropped, all in the
// features stage. What a streamed table keeps is its refused rows (the quarantine) and a
// byte or so per repayment for the duplicate check.
//
// When a customer's repayments do not come loan by loan in the order of the loans extract
// (features.ErrUnordered), the feature sums cannot be streamed to the same bytes: the two
// tables are then read again, their clean rows kept, and the features built from whole
// tables, as before streaming. The outputs are the same either way.
//
// side, when set, is what the job folds from the repayments and interactions beside the
// features, in the same pass (see sideFold). It is not called on the whole-table path
// (Env.WholeExtracts), where the job reads the whole tables in res instead.
func streamFeatures(ctx context.Context, spec *jobs.Spec, run *pipeline.Run, env *Env, opts features.Options, dates []time.Time, check func(*features.Output) error, side sideFold) (*features.Output, *clean.Result, error) {
	if env.WholeExtracts {
		return wholeFeatures(ctx, spec, run, env, opts, dates, check)
	}
	defer lowerGCPercentTo(featuresGCPercent)()
	res, err := loadTables(ctx, spec, run, env, []string{schemas.Customers, schemas.Loans}, clean.Options{AsOf: spec.AsOfDate(), KeepKeys: true})
	if err != nil {
		return nil, nil, err
	}
	return featureStage(ctx, run, res, check, func(ctx context.Context) (*features.Output, error) {
		out, err := streamChildren(ctx, spec, run, env, res, opts, dates, side)
		if errors.Is(err, features.ErrUnordered) {
			env.Log.Warn("repayments are not grouped by loan in the loans' order: building the features from whole tables", "reason", err)
			out, err = wholeChildren(ctx, spec, run, env, res, opts, dates, side)
		}
		return out, err
	})
}

// sideFold starts what a job folds from the clean repayments and interactions beside the
// features, in the one pass that streams them: given the clean customers and loans
// (parents), it returns the functions that take each batch of those two tables, by table
// name (either may be missing; they borrow the batch). It is called before each pass: once,
// or again when the streamed pass falls back to whole tables, and what the first call
// started must then be dropped, as its pass did not see every row.
type sideFold func(parents *clean.Result) (map[string]func(context.Context, arrow.Record) error, error)

// featureStage runs build and then check in the stage features. On error it releases res
// and the table.
func featureStage(ctx context.Context, run *pipeline.Run, res *clean.Result, check func(*features.Output) error, build func(context.Context) (*features.Output, error)) (*features.Output, *clean.Result, error) {
	var out *features.Output
	err := run.Stage(ctx, "features", func(ctx context.Context) error {
		var err error
		if out, err = build(ctx); err != nil {
			return err
		}
		if check != nil {
			return check(out)
		}
		return nil
	})
	if err != nil {
		if out != nil {
			out.Release()
		}
		res.Release()
		return nil, nil, err
	}
	return out, res, nil
}

// streamChildren streams the repayments and interactions through the cleaning stage into
// the features (and side), and adds their cleaning results to res.
func streamChildren(ctx context.Context, spec *jobs.Spec, run *pipeline.Run, env *Env, res *clean.Result, opts features.Options, dates []time.Time, side sideFold) (*features.Output, error) {
	fs, err := features.NewStream(ctx, res.Tables[schemas.Customers].Clean, res.Tables[schemas.Loans].Clean, opts, dates)
	if err != nil {
		return nil, err
	}
	defer fs.Release()
	use, err := withSide(side, res, map[string]func(context.Context, arrow.Record) error{
		schemas.Repayments: fs.AddRepayments, schemas.Interactions: fs.AddInteractions,
	})
	if err != nil {
		return nil, err
	}
	// The features hold what they need of the loans, and the cleaning their keys: the rest
	// of the clean loans goes before the repayments stream.
	loans := res.Tables[schemas.Loans]
	for _, r := range loans.Clean {
		r.Release()
	}
	loans.Clean = nil
	if err := cleanChildren(ctx, spec, run, env, res, use); err != nil {
		return nil, err
	}
	res.ReleaseKeys()
	return fs.Finish(ctx)
}

// wholeChildren cleans the repayments and interactions batch by batch, keeps their clean
// rows and builds the features from the four whole tables. streamChildren let the clean
// loans go, so the customers and loans are read and cleaned again, off the record (the
// manifest and res hold their accounts already).
func wholeChildren(ctx context.Context, spec *jobs.Spec, run *pipeline.Run, env *Env, res *clean.Result, opts features.Options, dates []time.Time, side sideFold) (*features.Output, error) {
	parents, err := reloadParents(ctx, spec, env)
	if err != nil {
		return nil, err
	}
	defer parents.Release()
	kept := map[string][]arrow.Record{}
	defer func() {
		for _, recs := range kept {
			for _, r := range recs {
				r.Release()
			}
		}
	}()
	keep := func(name string) func(context.Context, arrow.Record) error {
		return func(_ context.Context, rec arrow.Record) error {
			rec.Retain()
			kept[name] = append(kept[name], rec)
			return nil
		}
	}
	use, err := withSide(side, parents, map[string]func(context.Context, arrow.Record) error{
		schemas.Repayments: keep(schemas.Repayments), schemas.Interactions: keep(schemas.Interactions),
	})
	if err != nil {
		return nil, err
	}
	if err := cleanChildren(ctx, spec, run, env, res, use); err != nil {
		return nil, err
	}
	in := features.Inputs{Customers: parents.Tables[schemas.Customers].Clean, Loans: parents.Tables[schemas.Loans].Clean,
		Repayments: kept[schemas.Repayments], Interactions: kept[schemas.Interactions]}
	return features.BuildSnapshots(ctx, in, opts, dates)
}

// withSide starts side on parents (when set) and returns use with each table's batches
// handed to side's function after use's.
func withSide(side sideFold, parents *clean.Result, use map[string]func(context.Context, arrow.Record) error) (map[string]func(context.Context, arrow.Record) error, error) {
	if side == nil {
		return use, nil
	}
	extra, err := side(parents)
	if err != nil {
		return nil, err
	}
	out := maps.Clone(use)
	for name, fn := range extra {
		first := out[name]
		if first == nil {
			out[name] = fn
			continue
		}
		out[name] = func(ctx context.Context, rec arrow.Record) error {
			if err := first(ctx, rec); err != nil {
				return err
			}
			return fn(ctx, rec)
		}
	}
	return out, nil
}

// reloadParents reads and cleans the customers and loans again, without recording
// anything: the same clean rows loadTables gave.
func reloadParents(ctx context.Context, spec *jobs.Spec, env *Env) (*clean.Result, error) {
	raw := map[string]*ingest.Table{}
	defer func() {
		for _, t := range raw {
			t.Release()
		}
	}()
	for name, loc := range map[string]string{schemas.Customers: spec.Inputs.Customers, schemas.Loans: spec.Inputs.Loans} {
		t, err := ingest.ReadTable(ctx, env.Stores, name, loc, ingest.ReadOptions{})
		if err != nil {
			return nil, err // names the table
		}
		raw[name] = t
	}
	return clean.Extracts(ctx, raw, clean.Options{AsOf: spec.AsOfDate()})
}

// cleanChildren reads the repayments and then the interactions batch by batch, cleans each
// batch against the clean parents in res and hands its clean rows to use[table] (which
// borrows them). The tables' inputs, accounts, profiles and quarantine go to the manifest
// and res.
func cleanChildren(ctx context.Context, spec *jobs.Spec, run *pipeline.Run, env *Env, res *clean.Result, use map[string]func(context.Context, arrow.Record) error) error {
	locs := map[string]string{schemas.Repayments: spec.Inputs.Repayments, schemas.Interactions: spec.Inputs.Interactions}
	for _, name := range []string{schemas.Repayments, schemas.Interactions} {
		cs, err := clean.NewStream(name, res, clean.Options{AsOf: spec.AsOfDate()})
		if err != nil {
			return err
		}
		var stop error // an error of the cleaning or the features, returned as it is
		files, err := ingest.StreamTable(ctx, env.Stores, locs[name], ingest.ReadOptions{}, func(b ingest.Batch) error {
			rec, err := cs.Add(ctx, b)
			if err == nil && rec != nil {
				err = use[name](ctx, rec)
				rec.Release()
			}
			stop = err
			return err
		})
		if err != nil {
			cs.Release()
			if stop != nil {
				return stop
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		recordInputs(run, name, files)
		tr, err := cs.Result()
		if err != nil {
			return err
		}
		res.Tables[name] = tr
		if err := recordCounts(run, tr); err != nil {
			return err
		}
	}
	return nil
}

// wholeFeatures is streamFeatures from whole tables: the four extracts read and cleaned
// whole (loadExtracts), then the features built from them (Env.WholeExtracts).
func wholeFeatures(ctx context.Context, spec *jobs.Spec, run *pipeline.Run, env *Env, opts features.Options, dates []time.Time, check func(*features.Output) error) (*features.Output, *clean.Result, error) {
	res, err := loadExtracts(ctx, spec, run, env)
	if err != nil {
		return nil, nil, err
	}
	return featureStage(ctx, run, res, check, func(ctx context.Context) (*features.Output, error) {
		return features.BuildSnapshots(ctx, featureInputs(res), opts, dates)
	})
}
