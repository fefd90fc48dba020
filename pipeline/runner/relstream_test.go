package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"lendscore/gen"
	"lendscore/jobs"
	"lendscore/pipeline"
	"lendscore/pipeline/storage"
	"lendscore/schemas"
	"lendscore/stages/ingest"
	"lendscore/stages/portfolio"
)

// runRelational runs a relational job of kind on the extracts under in (repayments from
// reps when set) into out, streamed or from whole tables, with GOMAXPROCS procs, and
// returns the manifest, the run's folder and its log.
func runRelational(t *testing.T, kind, in, reps, out, extra string, whole bool, procs int) (*pipeline.Manifest, string, string) {
	t.Helper()
	return runRelationalAt(t, kind, in, reps, out, extra, "", whole, procs)
}

// runRelationalAt is runRelational at as_of asOf ("" keeps the spec's, 2026-06-30).
func runRelationalAt(t *testing.T, kind, in, reps, out, extra, asOf string, whole bool, procs int) (*pipeline.Manifest, string, string) {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	body := relationalSpec(kind, in, out, extra)
	if reps != "" {
		body = strings.Replace(body, in+"/repayments/", reps+"/", 1)
	}
	spec, err := jobs.Parse(kind+".yaml", []byte(body), nil, asOf)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 7, 1, 2, 0, 0, 0, time.UTC) }
	var log bytes.Buffer
	env := Env{Stores: storage.NewStores(storage.Options{}), Now: now, WholeExtracts: whole, Log: slog.New(slog.NewTextHandler(&log, nil))}
	m, err := Run(context.Background(), spec, env)
	if err != nil {
		t.Fatal(err)
	}
	return m, filepath.Join(out, "runs", m.RunID), log.String()
}

// runFiles returns the files of a run folder by relative path, run ids masked, leaving out
// the manifest, the model card (stage timings), the scored rows (compared by readScored)
// and a nightly run's changes (compared by sameNightlyRows): their run ids are compressed.
func runFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "manifest.json" || strings.HasPrefix(rel, "model_card") || strings.HasPrefix(rel, "scored/") || strings.HasPrefix(rel, "changes/") {
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = runIDs.ReplaceAll(b, []byte("RUN"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameRuns fails unless two runs published the same files, row counts and inputs.
func sameRuns(t *testing.T, want, got string, mw, mg *pipeline.Manifest) {
	t.Helper()
	sameFiles(t, want, got, mw, mg)
	if _, err := os.Stat(filepath.Join(want, "scored")); err == nil {
		a, b := readScored(t, want), readScored(t, got)
		if len(a) != len(b) {
			t.Fatalf("%d scored rows, want %d", len(b), len(a))
		}
		text := func(r scoredRow) string {
			reason := "<null>"
			if r.Reason1 != nil {
				reason = *r.Reason1
			}
			r.Reason1 = nil
			return fmt.Sprintf("%+v %s", r, reason)
		}
		for i := range a {
			if x, y := text(a[i]), text(b[i]); x != y {
				t.Fatalf("scored row %d: %s, want %s", i, y, x)
			}
		}
	}
}

// sameFiles fails unless two runs published the same files (runFiles) and the same row
// counts, inputs and notes in their manifests, run ids masked.
func sameFiles(t *testing.T, want, got string, mw, mg *pipeline.Manifest) {
	t.Helper()
	fw, fg := runFiles(t, want), runFiles(t, got)
	if a, b := slices.Sorted(maps.Keys(fw)), slices.Sorted(maps.Keys(fg)); !slices.Equal(a, b) {
		t.Fatalf("files %v, want %v", b, a)
	}
	for name, b := range fw {
		if !bytes.Equal(b, fg[name]) {
			t.Errorf("%s differs from the whole-table run's", name)
		}
	}
	js := func(v any) string { b, _ := json.Marshal(v); return runIDs.ReplaceAllString(string(b), "RUN") }
	if a, b := js(mw.Rows), js(mg.Rows); a != b {
		t.Errorf("manifest rows\n got %s\nwant %s", b, a)
	}
	if a, b := js(mw.Inputs), js(mg.Inputs); a != b {
		t.Errorf("manifest inputs\n got %s\nwant %s", b, a)
	}
	if a, b := js(mw.Notes), js(mg.Notes); a != b {
		t.Errorf("manifest notes\n got %s\nwant %s", b, a)
	}
}

// reversedRepayments writes the repayments under in to a new folder with their batches of
// 997 rows in reverse order: the rows of many customers' loans no longer come loan by loan
// in the loans' order, and duplicates come runs apart.
func reversedRepayments(t *testing.T, in string) string {
	t.Helper()
	ctx := context.Background()
	stores := storage.NewStores(storage.Options{})
	tbl, err := ingest.ReadTable(ctx, stores, schemas.Repayments, in+"/repayments/", ingest.ReadOptions{BatchSize: 997})
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	var recs []arrow.Record
	for _, b := range slices.Backward(tbl.Batches) {
		recs = append(recs, b.Record)
	}
	out := filepath.Join(t.TempDir(), "repayments")
	if _, err := ingest.WriteParquet(ctx, storage.Local{}, storage.MustParse(filepath.Join(out, "part-00000.parquet")), recs...); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStreamedJobsEqualWholeTables runs features and relational train jobs on dirty
// generated extracts (every fault kind) with the repayments and interactions streamed,
// with GOMAXPROCS 1 and 2, and from whole tables, and requires the same published files
// (features, quarantine, profile, model, metrics, binning, scored rows) and manifest row
// counts, inputs and notes. Repayments out of loan order take the fallback and give the
// same files too.
func TestStreamedJobsEqualWholeTables(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "extracts")
	sum, err := gen.Generate(context.Background(), storage.NewStores(storage.Options{}), storage.MustParse(in),
		gen.Config{Customers: 2500, Seed: 3, DirtyRate: 0.05, Months: 30, CustomersPerPart: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{schemas.Repayments, schemas.Interactions} {
		if len(sum.Quarantine[table]) < 3 {
			t.Fatalf("%s: faults %v: the extracts are not dirty enough", table, sum.Quarantine[table])
		}
	}
	reversed := reversedRepayments(t, in)
	train := "split: {method: time, oot_from: 2025-06-30, snapshots: [2024-12-31, 2025-03-31, 2025-06-30]}\n"
	for _, tt := range []struct{ name, kind, reps, extra string }{
		{"features", "features", "", ""},
		{"features-labelled", "features", "", "features: {label: true}\n"},
		{"train", "train", "", train},
		{"features-reversed", "features", reversed, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mw, want, _ := runRelational(t, tt.kind, in, tt.reps, filepath.Join(dir, tt.name, "whole"), tt.extra, true, 2)
			if tt.reps == "" {
				checkAgainstAnswerKey(t, mw, sum)
			}
			for _, procs := range []int{1, 2} {
				mg, got, log := runRelational(t, tt.kind, in, tt.reps, filepath.Join(dir, tt.name, fmt.Sprint("streamed", procs)), tt.extra, false, procs)
				if fellBack := strings.Contains(log, "not grouped by loan"); fellBack != (tt.reps != "") {
					t.Errorf("fell back to whole tables: %v, want %v", fellBack, tt.reps != "")
				}
				sameRuns(t, want, got, mw, mg)
			}
		})
	}
}

// TestStreamedNightlyEqualsWholeTables runs two consecutive nightly jobs (the second
// compares with the first's state: changes, score drops, reused segments) on dirty
// generated extracts with the repayments and interactions streamed, with GOMAXPROCS 1 and
// 2, and from whole tables, and requires the same published files — state, changes,
// nightly.json, portfolio report, segments, quarantine, profile — the same scored rows
// and the same manifest row counts, inputs and notes, run ids masked. Repayments out of
// loan order take the fallback and give the same files too.
func TestStreamedNightlyEqualsWholeTables(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "extracts")
	if _, err := gen.Generate(context.Background(), storage.NewStores(storage.Options{}), storage.MustParse(in),
		gen.Config{Customers: 2500, Seed: 5, DirtyRate: 0.05, Months: 30, CustomersPerPart: 1000}); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "model")
	runRelational(t, "train", in, "", model, "", false, 2)
	reversed := reversedRepayments(t, in)
	// A low threshold for the score drop, so that the second night raises some.
	extra := "model: " + model + "\nwarnings: {score_drop: 5}\n"
	// The first night is a quarter earlier: customers onboarded since are quarantined on the
	// first night (dated after its as_of) and new on the second.
	nights := []string{"2026-03-31", "2026-06-30"}
	for _, tt := range []struct{ name, reps string }{{"nightly", ""}, {"nightly-reversed", reversed}} {
		t.Run(tt.name, func(t *testing.T) {
			type night struct {
				m   *pipeline.Manifest
				dir string
			}
			var want []night
			for _, asOf := range nights {
				m, d, _ := runRelationalAt(t, "nightly", in, tt.reps, filepath.Join(dir, tt.name, "whole"), extra, asOf, true, 2)
				want = append(want, night{m, d})
			}
			checkNightlyCovers(t, want[0].dir, want[1].dir)
			for _, procs := range []int{1, 2} {
				for k, asOf := range nights {
					mg, got, log := runRelationalAt(t, "nightly", in, tt.reps, filepath.Join(dir, tt.name, fmt.Sprint("streamed", procs)), extra, asOf, false, procs)
					if fellBack := strings.Contains(log, "not grouped by loan"); fellBack != (tt.reps != "") {
						t.Errorf("fell back to whole tables: %v, want %v", fellBack, tt.reps != "")
					}
					sameFiles(t, want[k].dir, got, want[k].m, mg)
					sameNightlyRows(t, want[k].dir, got)
				}
			}
		})
	}
}

// checkNightlyCovers fails unless nightly runs raised between them every warning the
// interactions and repayments drive, and their portfolio reports have loans past due, so
// that comparing runs compares those figures.
func checkNightlyCovers(t *testing.T, dirs ...string) {
	t.Helper()
	warnings := map[string]int{}
	for _, dir := range dirs {
		var nightly struct {
			Warnings map[string]int `json:"warnings"`
		}
		var port portfolio.Report
		var segs struct {
			K int `json:"k"`
		}
		for name, v := range map[string]any{"nightly.json": &nightly, "report/portfolio_report.json": &port, "report/segments.json": &segs} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, v); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		for code, n := range nightly.Warnings {
			warnings[code] += n
		}
		if port.Loans.NPLLoans == 0 {
			t.Errorf("%s: portfolio report: no non-performing loans", dir)
		}
		// One row per segment, numbered from 1 as in the scored table, each named.
		if port.Segments == nil {
			t.Fatalf("%s: portfolio report: no segments", dir)
		}
		rows := port.Segments.Segments
		if segs.K < 2 || len(rows) != segs.K {
			t.Errorf("%s: portfolio report: %d segment rows for k = %d", dir, len(rows), segs.K)
		}
		for k, r := range rows {
			if r.ID != int32(k+1) || r.Name == "" || r.Customers == 0 {
				t.Errorf("%s: portfolio report: segment row %d: %+v", dir, k, r)
			}
		}
	}
	for _, code := range []string{"score_drop", "new_dpd30", "recent_complaint", "satisfaction_falling"} {
		if warnings[code] == 0 {
			t.Errorf("no %s warning: %v", code, warnings)
		}
	}
}

// changeRow is a row of a nightly run's changes table.
type changeRow struct {
	CustomerID string  `parquet:"customer_id"`
	AsOfDate   int32   `parquet:"as_of_date"`
	Change     string  `parquet:"change"`
	Previous   *string `parquet:"previous,optional"`
	Current    *string `parquet:"current,optional"`
	RunID      string  `parquet:"run_id"`
}

// sameNightlyRows fails unless two nightly runs published the same scored rows and the
// same changes, run ids aside.
func sameNightlyRows(t *testing.T, want, got string) {
	t.Helper()
	sameRows(t, "scored", readParts[crmRow](t, filepath.Join(want, "scored")), readParts[crmRow](t, filepath.Join(got, "scored")),
		func(r *crmRow) { r.RunID = "" })
	sameRows(t, "changes", readParts[changeRow](t, filepath.Join(want, "changes")), readParts[changeRow](t, filepath.Join(got, "changes")),
		func(r *changeRow) { r.RunID = "" })
}

// sameRows fails unless rows a and b are the same once mask has cleared what may differ.
func sameRows[T any](t *testing.T, table string, a, b []T, mask func(*T)) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d rows, want %d", table, len(b), len(a))
	}
	for i := range a {
		mask(&a[i])
		mask(&b[i])
		ja, _ := json.Marshal(a[i])
		jb, _ := json.Marshal(b[i])
		if !bytes.Equal(ja, jb) {
			t.Fatalf("%s row %d: %s, want %s", table, i, jb, ja)
		}
	}
}
