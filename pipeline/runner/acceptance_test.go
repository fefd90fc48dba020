package runner

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lendscore/gen"
	"lendscore/internal/miniotest"
	"lendscore/jobs"
	"lendscore/pipeline"
	"lendscore/pipeline/storage"
)

// download copies every object below prefix (an s3:// location) into a local folder and
// returns it, so that the scored tables can be read as an outside tool would.
func download(t *testing.T, stores *storage.Stores, prefix string) string {
	t.Helper()
	ctx := context.Background()
	loc := storage.MustParse(prefix + "/")
	st, err := stores.For(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := st.List(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, o := range objs {
		rel, _ := loc.Rel(o.Location)
		data, err := storage.ReadAll(ctx, st, o.Location)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, data, 0o644)
	}
	return dir
}

// TestTwoNightsOnS3 is the nightly acceptance path: extracts of two consecutive days in
// MinIO, a shock between them that makes some customers worse, a champion trained on the
// first day; the second night's scored table carries every contract column, its changes
// table lists the shocked customers' warnings, and score-drop warnings single them out.
func TestTwoNightsOnS3(t *testing.T) {
	srv := miniotest.Start(t)
	stores := storage.NewStores(storage.Options{})
	ctx := context.Background()
	bucket := "s3://" + srv.Bucket
	shock := gen.Shock{From: time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC), Share: 0.05}
	var shocked map[string]bool
	for _, day := range []string{"2026-06-14", "2026-06-15"} {
		asOf, _ := time.Parse(time.DateOnly, day)
		sum, err := gen.Generate(ctx, stores, storage.MustParse(bucket+"/extracts/dt="+day), gen.Config{
			Customers: 4000, Seed: 11, Months: 30, AsOf: asOf, Shock: shock,
			HistoryStart: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		})
		if err != nil {
			t.Fatal(err)
		}
		shocked = map[string]bool{}
		for _, id := range sum.Shocked.IDs {
			shocked[id] = true
		}
	}
	if len(shocked) < 100 {
		t.Fatalf("only %d shocked customers", len(shocked))
	}
	in := func(day string) string { return bucket + "/extracts/dt=" + day }
	run := func(kind, input, out, extra, asOf string) *pipeline.Manifest {
		spec, err := jobs.Parse(kind+".yaml", []byte(relationalSpec(kind, input, out, extra)), nil, asOf)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Run(ctx, spec, Env{Stores: stores})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	model := bucket + "/model"
	run("train", in("2026-06-14"), model, "", "2026-06-14")
	nightly := bucket + "/nightly"
	first := run("nightly", in("2026-06-14"), nightly, "model: "+model+"\n", "2026-06-14")
	second := run("nightly", in("2026-06-15"), nightly, "model: "+model+"\n", "2026-06-15")
	if second.Notes["previous_run"] != first.RunID {
		t.Fatalf("second night compared with %v, want %s", second.Notes["previous_run"], first.RunID)
	}
	local := download(t, stores, nightly+"/runs/"+second.RunID)
	rows := readParts[crmRow](t, filepath.Join(local, "scored"))
	var drops, shockedDrops, shockedRows int
	for _, r := range rows {
		if r.ModelName != "crm" || r.RunID != second.RunID || r.Segment == nil || r.SegmentName == nil || r.Grade == "" {
			t.Fatalf("row without a contract column: %+v", r)
		}
		drop := false
		for _, w := range r.Warnings {
			if w == "score_drop" {
				drop = true
			}
		}
		if shocked[r.CustomerID] {
			shockedRows++
		}
		if drop {
			drops++
			if shocked[r.CustomerID] {
				shockedDrops++
			}
		}
	}
	// Most shocked customers lose 30 points or more overnight; few others do.
	if shockedDrops < shockedRows/2 || drops-shockedDrops > len(rows)/50 {
		t.Errorf("score_drop: %d of %d shocked customers, %d of %d others", shockedDrops, shockedRows, drops-shockedDrops, len(rows)-shockedRows)
	}
	type change struct {
		CustomerID string  `parquet:"customer_id"`
		Change     string  `parquet:"change"`
		Current    *string `parquet:"current,optional"`
	}
	changes := readParts[change](t, filepath.Join(local, "changes"))
	gained := map[string]bool{}
	for _, c := range changes {
		if c.Change == "warning" && c.Current != nil && *c.Current == "score_drop" {
			gained[c.CustomerID] = true
		}
	}
	if len(gained) != drops {
		t.Errorf("changes list %d customers gaining score_drop, the scored table has %d", len(gained), drops)
	}
	t.Logf("score_drop: %d of %d shocked customers, %d of %d others; %d changes", shockedDrops, shockedRows, drops-shockedDrops, len(rows)-shockedRows, len(changes))
}
