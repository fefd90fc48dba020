package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lendscore/pipeline/storage"
)

func TestRunIDSortsByTime(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 15, 30, 0, time.UTC)
	a := NewRunID(t0)
	b := NewRunID(t0.Add(time.Millisecond))
	c := NewRunID(t0.Add(24 * time.Hour))
	if !(a < b && b < c) {
		t.Fatalf("run ids do not sort by time: %s %s %s", a, b, c)
	}
	if !strings.HasPrefix(a, "20261122T101530.000Z-") {
		t.Errorf("run id %s", a)
	}
}

func TestPublishWritesManifestLastThenLatest(t *testing.T) {
	ctx := context.Background()
	out := storage.MustParse(t.TempDir())
	stores := storage.NewStores(storage.Options{})

	publish := func(body string) *Manifest {
		r, err := Start(ctx, stores, out, Manifest{Kind: "train", Model: "m", AsOf: "2026-01-31"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.WriteFile(ctx, "metrics.json", []byte(body)); err != nil {
			t.Fatal(err)
		}
		// Until Publish, latest.json must not name this run.
		if l, _, err := ReadLatest(ctx, storage.Local{}, out); err == nil && l.RunID == r.ID {
			t.Fatal("latest.json names the run before it was published")
		}
		err = r.Stage(ctx, "score", func(context.Context) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		m, err := r.Publish(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if _, _, err := ReadLatest(ctx, storage.Local{}, out); !errors.Is(err, ErrNoRun) {
		t.Fatalf("empty output: %v, want ErrNoRun", err)
	}
	m1 := publish("{}")
	m2 := publish(`{"a":1}`)
	l, dir, err := ReadLatest(ctx, storage.Local{}, out)
	if err != nil {
		t.Fatal(err)
	}
	if l.RunID != m2.RunID || l.Path != "runs/"+m2.RunID || l.Kind != "train" || l.AsOf != "2026-01-31" || l.Model != "m" {
		t.Fatalf("latest %+v, want run %s", l, m2.RunID)
	}
	got, err := ReadManifest(ctx, storage.Local{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "complete" || len(got.Outputs) != 1 || got.Outputs[0].Path != "metrics.json" || got.Outputs[0].Size != 7 {
		t.Fatalf("manifest %+v", got)
	}
	// sha256 of `{"a":1}`
	if got.Outputs[0].SHA256 != "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862" {
		t.Errorf("checksum %s", got.Outputs[0].SHA256)
	}
	if len(got.Stages) != 1 || got.Stages[0].Name != "score" || !got.Stages[0].OK {
		t.Errorf("stages %+v", got.Stages)
	}
	if _, err := os.Stat(filepath.Join(out.Key, "runs", m1.RunID, ManifestFile)); err != nil {
		t.Errorf("first run lost: %v", err)
	}
}

func TestStageWrapsErrorWithName(t *testing.T) {
	ctx := context.Background()
	r, err := Start(ctx, storage.NewStores(storage.Options{}), storage.MustParse(t.TempDir()), Manifest{Kind: "train"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = r.Stage(ctx, "clean", func(context.Context) error { return boom })
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "clean: ") {
		t.Fatalf("error %v", err)
	}
}

func TestCreateRefusesEscapes(t *testing.T) {
	ctx := context.Background()
	r, err := Start(ctx, storage.NewStores(storage.Options{}), storage.MustParse(t.TempDir()), Manifest{Kind: "train"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"../x", "a/../../x", "/etc/passwd"} {
		if _, err := r.Create(ctx, rel); err == nil {
			t.Errorf("Create(%q) accepted", rel)
		}
	}
}

func TestRowCountsCheck(t *testing.T) {
	tests := []struct {
		c  RowCounts
		ok bool
	}{
		{RowCounts{Input: 10, Used: 7, Quarantined: 3}, true},
		{RowCounts{Input: 10, Used: 7, Quarantined: 2}, false},
		{RowCounts{Input: 10, Used: 7, Quarantined: 3, ByReason: map[string]int64{"a": 1, "b": 2}}, true},
		{RowCounts{Input: 10, Used: 7, Quarantined: 3, ByReason: map[string]int64{"a": 1}}, false},
	}
	for _, tt := range tests {
		if err := tt.c.Check("t"); (err == nil) != tt.ok {
			t.Errorf("%+v: %v", tt.c, err)
		}
	}
}

// TestCancelledRunPublishesNothing: once the run's context is cancelled, a stage that
// finishes still fails, files are not committed and latest.json is not replaced.
func TestCancelledRunPublishesNothing(t *testing.T) {
	out := storage.MustParse(t.TempDir())
	stores := storage.NewStores(storage.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	r, err := Start(ctx, stores, out, Manifest{Kind: "train"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := r.Create(ctx, "scored/part-00000.parquet")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("rows"))
	err = r.Stage(ctx, "publish", func(context.Context) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("stage after cancel: %v", err)
	}
	if err := w.Commit(); !errors.Is(err, context.Canceled) {
		t.Errorf("commit after cancel: %v", err)
	}
	if _, err := os.Stat(filepath.Join(r.Dir.Key, "scored", "part-00000.parquet")); !os.IsNotExist(err) {
		t.Errorf("a cancelled write is visible: %v", err)
	}
	if _, err := r.Publish(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("publish after cancel: %v", err)
	}
	if _, _, err := ReadLatest(context.Background(), storage.Local{}, out); !errors.Is(err, ErrNoRun) {
		t.Errorf("latest.json after a cancelled run: %v", err)
	}
}
