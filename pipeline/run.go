// Package pipeline publishes runs: every file a run writes goes under
// <output>/runs/<run_id>/, each recorded with its size and checksum; the manifest is written
// last, and only then is <output>/latest.json replaced to point at the run. A reader that
// follows latest.json therefore never sees a half-written run, and a crash at any point leaves
// latest.json naming the previous complete run.
package pipeline

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"path"
	"sort"
	"sync"
	"time"

	"lendscore/pipeline/storage"
)

// NewRunID returns a run id that sorts by time: the UTC start time to the millisecond and a
// random suffix that keeps concurrent runs apart, e.g. 20261122T101530.123Z-3f9a1c2e.
func NewRunID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:])
}

// Run is one run being written. Create its files with Create or WriteFile, record what it
// read and counted in its Manifest, and finish with Publish. It is safe for concurrent use.
type Run struct {
	ID     string
	Output storage.Location // the job's output location
	Dir    storage.Location // Output/runs/<ID>
	store  storage.Store
	log    *slog.Logger

	mu       sync.Mutex
	manifest Manifest
	stage    map[string]time.Time
	progress io.Writer
}

// ShowProgress makes long stages report their elapsed time on w (a terminal), refreshed in
// place and cleared when the stage ends. Without it a run prints nothing but its logs.
func (r *Run) ShowProgress(w io.Writer) { r.progress = w }

// progressAfter is how long a stage runs before its progress line appears.
const progressAfter = 2 * time.Second

// showProgress writes "stage … 12s" to w every second until stop is closed, then clears it.
func showProgress(w io.Writer, name string, start time.Time, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	shown := false
	for {
		select {
		case <-stop:
			if shown {
				fmt.Fprint(w, "\r\033[K")
			}
			return
		case now := <-t.C:
			if el := now.Sub(start); el >= progressAfter {
				fmt.Fprintf(w, "\r\033[K%s … %s", name, el.Truncate(time.Second))
				shown = true
			}
		}
	}
}

// Start begins a run under output. It writes nothing yet.
func Start(ctx context.Context, stores *storage.Stores, output storage.Location, m Manifest, log *slog.Logger) (*Run, error) {
	st, err := stores.For(ctx, output)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if m.RunID == "" {
		m.RunID = NewRunID(now)
	}
	m.StartedAt = now.UTC().Format(time.RFC3339Nano)
	m.Status = "running"
	dir, err := output.Join("runs", m.RunID)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Run{ID: m.RunID, Output: output, Dir: dir, store: st, log: log, manifest: m, stage: map[string]time.Time{}}, nil
}

// Store is the store the run writes to.
func (r *Run) Store() storage.Store { return r.store }

// Location returns the location of rel (a slash-separated path) inside the run.
func (r *Run) Location(rel string) (storage.Location, error) {
	return r.Dir.Join(rel)
}

// Create starts writing the file rel inside the run. The file is recorded in the manifest,
// with its size and SHA-256, when the returned writer commits.
func (r *Run) Create(ctx context.Context, rel string) (storage.Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("create %s: %w", rel, err)
	}
	loc, err := r.Location(rel)
	if err != nil {
		return nil, err
	}
	w, err := r.store.Create(ctx, loc)
	if err != nil {
		return nil, err
	}
	return &trackedWriter{ctx: ctx, w: w, h: sha256.New(), run: r, rel: path.Clean(rel)}, nil
}

// WriteFile writes data as the file rel inside the run.
func (r *Run) WriteFile(ctx context.Context, rel string, data []byte) error {
	w, err := r.Create(ctx, rel)
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	return w.Commit()
}

// WriteJSON writes v, indented, as the file rel inside the run.
func (r *Run) WriteJSON(ctx context.Context, rel string, v any) error {
	data, err := MarshalJSON(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", rel, err)
	}
	return r.WriteFile(ctx, rel, data)
}

// writeUnlessCancelled writes data as the object at loc, checking ctx after writing and
// before committing, so that a run cancelled while it writes its manifest leaves none.
func writeUnlessCancelled(ctx context.Context, st storage.Store, loc storage.Location, data []byte) error {
	w, err := st.Create(ctx, loc)
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return w.Commit()
}

// MarshalJSON encodes v indented, with a final newline and without HTML escaping, so that
// reason codes such as date_order:maturity_date<origination_date read as written.
func MarshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// RecordOutput records a file written inside the run by other means (for example a Parquet
// part written through a storage writer of the run's store) with its size and checksum.
func (r *Run) RecordOutput(rel string, size int64, sha string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.manifest.Outputs = append(r.manifest.Outputs, OutputFile{Path: rel, Size: size, SHA256: sha})
}

type trackedWriter struct {
	ctx  context.Context // a cancelled run commits nothing more
	w    storage.Writer
	h    hash.Hash
	n    int64
	run  *Run
	rel  string
	done bool
}

func (t *trackedWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	t.h.Write(p[:n])
	t.n += int64(n)
	return n, err
}

func (t *trackedWriter) Commit() error {
	if err := t.ctx.Err(); err != nil {
		t.w.Abort()
		t.done = true
		return fmt.Errorf("commit %s: %w", t.rel, err)
	}
	if err := t.w.Commit(); err != nil {
		return err
	}
	t.done = true
	t.run.RecordOutput(t.rel, t.n, hex.EncodeToString(t.h.Sum(nil)))
	return nil
}

func (t *trackedWriter) Abort() error {
	if t.done {
		return nil
	}
	return t.w.Abort()
}

// Update lets the caller change the manifest under the run's lock (to record inputs, row
// counts, metrics summaries).
func (r *Run) Update(f func(m *Manifest)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.manifest)
}

// Stage runs fn as the named stage: it logs the start and end, records the stage's wall time
// in the manifest, and wraps an error with the stage name, so that a failed run says which
// stage failed.
func (r *Run) Stage(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	start := time.Now()
	r.log.Info("stage started", "stage", name, "run_id", r.ID)
	if r.progress != nil {
		stop, done := make(chan struct{}), make(chan struct{})
		go showProgress(r.progress, name, start, stop, done)
		defer func() { close(stop); <-done }()
	}
	err := fn(ctx)
	if err == nil && ctx.Err() != nil {
		// The stage finished, but the run was cancelled meanwhile: stop here.
		err = ctx.Err()
	}
	secs := time.Since(start).Seconds()
	r.Update(func(m *Manifest) {
		m.Stages = append(m.Stages, StageTiming{Name: name, Seconds: secs, OK: err == nil})
	})
	if err != nil {
		r.log.Error("stage failed", "stage", name, "run_id", r.ID, "seconds", secs, "error", err)
		return fmt.Errorf("%s: %w", name, err)
	}
	r.log.Info("stage done", "stage", name, "run_id", r.ID, "seconds", fmt.Sprintf("%.3f", secs))
	return nil
}

// Publish writes the manifest as the run's last file and then replaces latest.json under the
// output to point at the run. Until latest.json is replaced, readers keep seeing the previous
// run.
func (r *Run) Publish(ctx context.Context) (*Manifest, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	r.mu.Lock()
	m := r.manifest
	m.Outputs = append([]OutputFile(nil), r.manifest.Outputs...)
	r.mu.Unlock()
	sort.Slice(m.Outputs, func(i, j int) bool { return m.Outputs[i].Path < m.Outputs[j].Path })
	m.Status = "complete"
	m.FinishedAt = time.Now().UTC().Format(time.RFC3339Nano)
	data, err := MarshalJSON(m)
	if err != nil {
		return nil, fmt.Errorf("publish: encode manifest: %w", err)
	}
	mloc, err := r.Location(ManifestFile)
	if err != nil {
		return nil, err
	}
	if err := writeUnlessCancelled(ctx, r.store, mloc, data); err != nil {
		return nil, fmt.Errorf("publish: manifest: %w", err)
	}
	latest := Latest{RunID: m.RunID, Path: "runs/" + m.RunID, Kind: m.Kind, AsOf: m.AsOf, Model: m.Model}
	ldata, _ := MarshalJSON(latest)
	if err := ctx.Err(); err != nil {
		// The manifest is written but the run is not published: latest.json still names the
		// previous run.
		return nil, fmt.Errorf("publish: %w", err)
	}
	lloc, err := r.Output.Join(LatestFile)
	if err != nil {
		return nil, err
	}
	if err := storage.WriteAll(ctx, r.store, lloc, ldata); err != nil {
		return nil, fmt.Errorf("publish: latest.json: %w", err)
	}
	r.log.Info("run published", "run_id", m.RunID, "location", r.Dir.String())
	return &m, nil
}
