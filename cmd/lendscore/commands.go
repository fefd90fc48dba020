package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"lendscore/gen"
	"lendscore/jobs"
	"lendscore/models/metrics"
	"lendscore/pipeline"
	"lendscore/pipeline/runner"
	"lendscore/pipeline/storage"
)

func isSpecError(err error) bool {
	var se *jobs.SpecError
	return errors.As(err, &se)
}

func (e *environment) cmdVersion(args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	v := pipeline.CurrentVersions()
	fmt.Fprintf(e.stdout, "lendscore %s\ncommit %s\n%s\n", v.Lendscore, v.Commit, v.Go)
	return nil
}

func (e *environment) cmdRun(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	asOf := fs.String("as-of", "", "observation date YYYY-MM-DD")
	var sets multiFlag
	fs.Var(&sets, "set", "override a job-spec key: key=value (repeatable)")
	var place placementFlags
	place.register(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("run: want one job spec, got %d arguments", len(pos))
	}
	spec, err := jobs.Load(pos[0], sets, *asOf)
	if err != nil {
		return err
	}
	return e.runPlaced(ctx, spec, &place)
}

func (e *environment) runJob(ctx context.Context, spec *jobs.Spec) error {
	env, err := e.runnerEnv(spec)
	if err != nil {
		return err
	}
	m, err := runner.Run(ctx, spec, env)
	if err != nil {
		return err
	}
	out, _ := storage.Parse(spec.Output)
	dir, _ := out.Join("runs", m.RunID)
	fmt.Fprintf(e.stdout, "published %s run %s to %s\n", m.Kind, m.RunID, dir)
	for _, f := range m.Outputs {
		if f.Path == "model_card.html" || f.Path == "report/portfolio_report.html" || f.Path == "backtest_card.html" {
			loc, _ := dir.Join(f.Path)
			fmt.Fprintf(e.stdout, "  %s\n", loc)
		}
	}
	return nil
}

func (e *environment) cmdGen(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	customers := fs.Int("customers", 0, "number of customers")
	out := fs.String("out", "", "output location")
	months := fs.Int("months", 0, "months of history (default 36)")
	seed := fs.Uint64("seed", 1, "random seed")
	dirty := fs.Float64("dirty-rate", 0, "fraction of rows per table with a fault")
	asOf := fs.String("as-of", "", "end of the history YYYY-MM-DD (default 2026-06-30)")
	drift := fs.Float64("drift", 0, "strength of the population and risk drift (0: none)")
	driftFrom := fs.String("drift-from", "", "first date of the drift YYYY-MM-DD (default 12 months before --as-of)")
	historyStart := fs.String("history-start", "", "first day of the history, the first of a month YYYY-MM-01 (default: the history ends with the month of --as-of); pin it for a series of extracts across a month end")
	shockShare := fs.Float64("shock-share", 0, "share of customers hit by a shock: from --shock-from they stop paying, max out revolving lines and complain (0: none)")
	shockFrom := fs.String("shock-from", "", "day of the shock YYYY-MM-DD (default --as-of); extracts as of earlier days do not show it")
	endpoint := fs.String("endpoint", "", "S3 endpoint (default: AWS_ENDPOINT_URL_S3)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("gen: unexpected argument %q", pos[0])
	}
	if err := required(fs, "customers", "out"); err != nil {
		return err
	}
	loc, err := storage.Parse(*out)
	if err != nil {
		return usagef("gen: --out: %v", err)
	}
	cfg := gen.Config{Customers: *customers, Months: *months, Seed: *seed, DirtyRate: *dirty}
	if *asOf != "" {
		if cfg.AsOf, err = time.Parse(time.DateOnly, *asOf); err != nil {
			return usagef("gen: --as-of %q is not a date YYYY-MM-DD", *asOf)
		}
	}
	if *drift != 0 {
		end := cfg.AsOf
		if end.IsZero() {
			end = gen.DefaultAsOf
		}
		cfg.Drift = gen.Drift{Strength: *drift, Start: end.AddDate(-1, 0, 0)}
		if *driftFrom != "" {
			if cfg.Drift.Start, err = time.Parse(time.DateOnly, *driftFrom); err != nil {
				return usagef("gen: --drift-from %q is not a date YYYY-MM-DD", *driftFrom)
			}
		}
	}
	if *historyStart != "" {
		if cfg.HistoryStart, err = time.Parse(time.DateOnly, *historyStart); err != nil {
			return usagef("gen: --history-start %q is not a date YYYY-MM-DD", *historyStart)
		}
		if cfg.HistoryStart.Day() != 1 {
			return usagef("gen: --history-start %s: want the first day of a month", *historyStart)
		}
	}
	if *shockFrom != "" && *shockShare == 0 {
		return usagef("gen: --shock-from needs a --shock-share")
	}
	if *shockShare != 0 {
		cfg.Shock = gen.Shock{Share: *shockShare, From: cfg.AsOf}
		if cfg.Shock.From.IsZero() {
			cfg.Shock.From = gen.DefaultAsOf
		}
		if *shockFrom != "" {
			if cfg.Shock.From, err = time.Parse(time.DateOnly, *shockFrom); err != nil {
				return usagef("gen: --shock-from %q is not a date YYYY-MM-DD", *shockFrom)
			}
		}
	}
	switch {
	case *customers < 1:
		return usagef("gen: --customers %d: want 1 or more", *customers)
	case *dirty < 0 || *dirty >= 0.5:
		return usagef("gen: --dirty-rate %g: want 0 ≤ rate < 0.5", *dirty)
	case *months < 0:
		return usagef("gen: --months %d: want a positive number", *months)
	case !(*shockShare >= 0 && *shockShare <= 1):
		return usagef("gen: --shock-share %g: want 0 ≤ share ≤ 1", *shockShare)
	}
	stores := storage.NewStores(storage.Options{Endpoint: *endpoint})
	start := time.Now()
	sum, err := gen.Generate(ctx, stores, loc, cfg)
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	e.log.Info("generated extracts", "location", loc.String(), "customers", sum.Rows["customers"], "loans", sum.Rows["loans"],
		"repayments", sum.Rows["repayments"], "interactions", sum.Rows["interactions"], "seconds", fmt.Sprintf("%.1f", time.Since(start).Seconds()))
	fmt.Fprintf(e.stdout, "wrote %d customers, %d loans, %d repayments, %d interactions to %s\n",
		sum.Rows["customers"], sum.Rows["loans"], sum.Rows["repayments"], sum.Rows["interactions"], loc)
	if sum.Shocked.Count > 0 {
		fmt.Fprintf(e.stdout, "shocked %d customers on %s (listed in %s)\n", sum.Shocked.Count, cfg.Shock.From.Format(time.DateOnly), gen.AnswerKeyName)
	}
	return nil
}

func (e *environment) cmdScore(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("score", flag.ContinueOnError)
	model := fs.String("model", "", "a train output, run folder or scorecard.json")
	input := fs.String("input", "", "the table to score (file, prefix or glob; Parquet or CSV)")
	out := fs.String("out", "", "where to publish the scored run")
	id := fs.String("id", "", "id column (default: the scorecard's)")
	asOf := fs.String("as-of", "", "as_of_date of the scored rows (default today)")
	endpoint := fs.String("endpoint", "", "S3 endpoint (default: AWS_ENDPOINT_URL_S3)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("score: unexpected argument %q", pos[0])
	}
	if err := required(fs, "model", "input", "out"); err != nil {
		return err
	}
	spec := &jobs.Spec{Kind: jobs.KindScore, Name: "score", Inputs: jobs.Inputs{Table: *input}, ID: *id, Output: *out, Model: *model, AsOf: *asOf, Storage: jobs.Storage{Endpoint: *endpoint}}
	if err := spec.Validate(); err != nil {
		return err
	}
	return e.runJob(ctx, spec)
}

func (e *environment) cmdBacktest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backtest", flag.ContinueOnError)
	model := fs.String("model", "", "a train output, run folder or scorecard.json")
	input := fs.String("input", "", "a later labelled snapshot: a flat table, or a folder of relational extracts (customers/, loans/, repayments/, interactions/)")
	out := fs.String("out", "", "where to publish the backtest run")
	asOf := fs.String("as-of", "", "extract date of relational extracts (default: the generator's or today)")
	target := fs.String("target", "", "label column of a flat table (default: the model's)")
	badValue := fs.String("bad", "", "the value of --target that means bad (default: the model's)")
	endpoint := fs.String("endpoint", "", "S3 endpoint (default: AWS_ENDPOINT_URL_S3)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("backtest: unexpected argument %q", pos[0])
	}
	if err := required(fs, "model", "input", "out"); err != nil {
		return err
	}
	spec := &jobs.Spec{Kind: jobs.KindBacktest, Name: "backtest", Output: *out, Model: *model, AsOf: *asOf,
		Target: jobs.Target{Column: *target, Bad: *badValue}, Storage: jobs.Storage{Endpoint: *endpoint}}
	stores := storage.NewStores(runner.StoreOptions(spec))
	if rel, err := relationalInput(ctx, stores, *input); err != nil {
		return err
	} else if rel {
		base := strings.TrimSuffix(*input, "/")
		spec.Inputs = jobs.Inputs{Customers: base + "/customers/", Loans: base + "/loans/", Repayments: base + "/repayments/", Interactions: base + "/interactions/"}
		if spec.AsOf == "" {
			spec.AsOf = generatedAsOf(ctx, stores, base)
		}
	} else {
		spec.Inputs.Table = *input
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	return e.runJob(ctx, spec)
}

// relationalInput reports whether a location is a folder of relational extracts (it has a
// customers/ folder with Parquet files).
func relationalInput(ctx context.Context, stores *storage.Stores, input string) (bool, error) {
	loc, err := storage.Parse(strings.TrimSuffix(input, "/") + "/customers/")
	if err != nil {
		return false, usagef("--input: %v", err)
	}
	st, err := stores.For(ctx, loc)
	if err != nil {
		return false, err
	}
	objs, err := storage.Resolve(ctx, st, loc, ".parquet")
	return err == nil && len(objs) > 0, nil
}

// generatedAsOf returns the extract date recorded by lendscore gen beside the extracts, or
// "" when there is none.
func generatedAsOf(ctx context.Context, stores *storage.Stores, base string) string {
	loc, err := storage.Parse(base + "/_generator.json")
	if err != nil {
		return ""
	}
	st, err := stores.For(ctx, loc)
	if err != nil {
		return ""
	}
	data, err := storage.ReadAll(ctx, st, loc)
	if err != nil {
		return ""
	}
	var g struct {
		Config struct {
			AsOf time.Time `json:"as_of"`
		} `json:"config"`
	}
	if json.Unmarshal(data, &g) != nil || g.Config.AsOf.IsZero() {
		return ""
	}
	return g.Config.AsOf.Format(time.DateOnly)
}

func (e *environment) cmdEvaluate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	var o runner.EvaluateOptions
	fs.StringVar(&o.Input, "input", "", "the table holding the score and the label")
	fs.StringVar(&o.Score, "score", "", "score column")
	fs.StringVar(&o.Label, "label", "", "label column")
	fs.StringVar(&o.Bad, "bad", "", "the label value that means bad, compared as text")
	higher := fs.String("higher", "bad", "what a higher score means: bad or good")
	fs.StringVar(&o.By, "by", "", "a column: one sample per value")
	fs.StringVar(&o.Base, "base", "", "a table with the same score column: the PSI reference")
	fs.StringVar(&o.Output, "out", "", "where to publish the run")
	fs.StringVar(&o.Name, "name", "", "run name (default the score column)")
	fs.StringVar(&o.PD, "pd", "", "a column with each row's PD: Brier, log-loss, Hosmer-Lemeshow, central tendency")
	fs.StringVar(&o.Grade, "grade", "", "a column with each row's grade (needs --pd): calibration per grade")
	endpoint := fs.String("endpoint", "", "S3 endpoint (default: AWS_ENDPOINT_URL_S3)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("evaluate: unexpected argument %q", pos[0])
	}
	if err := required(fs, "input", "score", "label", "bad", "out"); err != nil {
		return err
	}
	switch *higher {
	case "bad":
		o.Higher = metrics.HigherBad
	case "good":
		o.Higher = metrics.HigherGood
	default:
		return usagef("evaluate: --higher %q: want bad or good", *higher)
	}
	stores := storage.NewStores(storage.Options{Endpoint: *endpoint})
	m, err := runner.Evaluate(ctx, o, runner.Env{Stores: stores, Log: e.log})
	if err != nil {
		return err
	}
	out, _ := storage.Parse(o.Output)
	dir, _ := out.Join("runs", m.RunID)
	fmt.Fprintf(e.stdout, "published evaluate run %s to %s\n", m.RunID, dir)
	return nil
}
