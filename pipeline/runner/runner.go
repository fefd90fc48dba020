// Package runner carries out job specs: it reads the inputs a spec names, runs the stages of
// its kind in order — each timed and named in the manifest — and publishes the run. It is the
// only place that knows which stages make a train, score, backtest, nightly or features job;
// the stages themselves take and return plain data.
package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"lendscore/jobs"
	"lendscore/pipeline"
	"lendscore/pipeline/storage"
	"lendscore/stages/ingest"
	"lendscore/stages/publish"
	"lendscore/stages/report"
)

// Env is what a job needs from its caller.
type Env struct {
	Stores *storage.Stores
	Log    *slog.Logger
	// Now returns the current time; tests fix it.
	Now func() time.Time
	// Progress, when set (a terminal), shows the elapsed time of long stages.
	Progress io.Writer
	// WholeExtracts makes features, train, backtest and nightly jobs read all four
	// relational extracts whole instead of streaming the repayments and interactions (see
	// streamFeatures and readNightly). The outputs are the same; the streamed path is
	// tested against this one.
	WholeExtracts bool
	// TableMemory is how many bytes a train run's table may take in memory before its rows
	// go to a spill file in SpillDir ("" is os.TempDir): 0 is a quarter of the memory the
	// process may use (GOMEMLIMIT, the container's limit or the machine's memory); a
	// negative value never spills. A spilled table fits the same model, more slowly.
	TableMemory int64
	SpillDir    string
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// StoreOptions returns the storage options of a spec.
func StoreOptions(spec *jobs.Spec) storage.Options {
	return storage.Options{Endpoint: spec.Storage.Endpoint, Region: spec.Storage.Region, SSE: spec.Storage.SSE, KMSKeyID: spec.Storage.KMSKeyID}
}

// Run carries out the job spec and returns the manifest of the published run.
func Run(ctx context.Context, spec *jobs.Spec, env Env) (*pipeline.Manifest, error) {
	if env.Log == nil {
		env.Log = slog.New(slog.DiscardHandler)
	}
	switch spec.Kind {
	case jobs.KindTrain:
		return runTrain(ctx, spec, &env, "")
	case jobs.KindBacktest:
		return runBacktest(ctx, spec, &env)
	case jobs.KindNightly:
		if !spec.Inputs.Relational() {
			return nil, fmt.Errorf("a nightly job reads the relational extracts (inputs.customers, loans, repayments, interactions)")
		}
		return runNightly(ctx, spec, &env)
	case jobs.KindFeatures:
		if !spec.Inputs.Relational() {
			return nil, fmt.Errorf("a features job reads the relational extracts (inputs.customers, loans, repayments, interactions)")
		}
		return runFeatures(ctx, spec, &env)
	case jobs.KindScore:
		if spec.Inputs.Relational() {
			return nil, fmt.Errorf("scoring relational extracts is the nightly job (kind: nightly)")
		}
		return runScore(ctx, spec, &env)
	}
	return nil, fmt.Errorf("job kind %s is not built yet", spec.Kind)
}

// startRun begins a run of spec under its output.
func startRun(ctx context.Context, spec *jobs.Spec, env *Env) (*pipeline.Run, error) {
	out, err := storage.Parse(spec.Output)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	m := pipeline.Manifest{
		Kind: spec.Kind, Model: spec.Name, AsOf: spec.AsOf, Versions: pipeline.CurrentVersions(),
		Job: spec, Inputs: map[string][]pipeline.Input{}, Rows: map[string]pipeline.RowCounts{},
	}
	m.RunID = pipeline.NewRunID(env.now())
	run, err := pipeline.Start(ctx, env.Stores, out, m, env.Log)
	if err == nil && env.Progress != nil {
		run.ShowProgress(env.Progress)
	}
	return run, err
}

// recordInputs records the files of a table in the manifest.
func recordInputs(run *pipeline.Run, name string, files []ingest.FileInfo) {
	run.Update(func(m *pipeline.Manifest) {
		for _, f := range files {
			m.Inputs[name] = append(m.Inputs[name], pipeline.Input{Location: f.Location, Size: f.Size, SHA256: f.SHA256, Rows: f.Rows})
		}
	})
}

// writeParts writes records as Parquet part files under dir inside the run and records them
// in the manifest.
func writeParts(ctx context.Context, run *pipeline.Run, dir string, schema *arrow.Schema, recs []arrow.Record) error {
	return streamParts(ctx, run, dir, schema, func(write func(arrow.Record) error) error {
		for _, r := range recs {
			if err := write(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeScored writes the scored table batch by batch under dir/scored.
func writeScored(ctx context.Context, run *pipeline.Run, rows publish.ScoredRows) error {
	return streamParts(ctx, run, "scored", rows.Schema(), func(write func(arrow.Record) error) error {
		return publish.Batches(rows, write)
	})
}

// streamParts writes the records that produce hands to its write function as Parquet part
// files under dir inside the run, and records them in the manifest.
func streamParts(ctx context.Context, run *pipeline.Run, dir string, schema *arrow.Schema, produce func(write func(arrow.Record) error) error) error {
	return streamPartsWith(ctx, run, dir, schema, ingest.PartOptions{}, produce)
}

// streamPartsWith is streamParts with the part writer's options.
func streamPartsWith(ctx context.Context, run *pipeline.Run, dir string, schema *arrow.Schema, opts ingest.PartOptions, produce func(write func(arrow.Record) error) error) error {
	loc, err := run.Location(dir)
	if err != nil {
		return err
	}
	pw, err := ingest.NewPartWriter(ctx, run.Store(), loc, schema, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if err := produce(pw.Write); err != nil {
		pw.Abort()
		return fmt.Errorf("%s: %w", dir, err)
	}
	files, err := pw.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	for _, f := range files {
		rel, err := run.Dir.Rel(storage.MustParse(f.Location))
		if err != nil {
			rel = f.Location
		}
		run.RecordOutput(rel, f.Size, f.SHA256)
	}
	return nil
}

// fingerprint identifies the training data and configuration: a SHA-256 over the input
// files' checksums and the spec's modelling keys.
func fingerprint(files []ingest.FileInfo, parts ...string) string {
	h := sha256.New()
	sums := make([]string, len(files))
	for i, f := range files {
		sums[i] = f.SHA256
	}
	sort.Strings(sums)
	h.Write([]byte(strings.Join(sums, "\n")))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// thresholdsOf turns the spec's traffic-light bands into the report's; bands left out keep
// their defaults, and impossible bands are refused when validation runs.
func thresholdsOf(spec *jobs.Spec) report.Thresholds {
	t := spec.Thresholds
	return report.Thresholds{
		AUC: report.AtLeast(t.AUC), KS: report.AtLeast(t.KS), HosmerLemeshowP: report.AtLeast(t.HosmerLemeshowP),
		JeffreysP: report.AtLeast(t.JeffreysP), HHI: report.Below(t.HHI), PSI: report.Below(t.PSI), CSI: report.Below(t.CSI),
		AUCDropP: report.AtLeast(t.AUCDropP), DefaultRateRatio: report.Ratio(t.DefaultRateRatio),
	}
}
