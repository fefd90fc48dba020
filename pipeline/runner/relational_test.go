package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lendscore/gen"
	"lendscore/internal/miniotest"
	"lendscore/jobs"
	"lendscore/pipeline"
	"lendscore/pipeline/storage"
)

// generate writes dirty synthetic extracts under out and returns the generator's answer key.
func generate(t *testing.T, stores *storage.Stores, out string, customers int) *gen.Summary {
	t.Helper()
	loc := storage.MustParse(out)
	sum, err := gen.Generate(context.Background(), stores, loc, gen.Config{Customers: customers, Seed: 7, DirtyRate: 0.02, Months: 30})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func relationalSpec(kind, in, out string, extra string) string {
	return fmt.Sprintf(`kind: %s
name: crm
inputs:
  customers: %[2]s/customers/
  loans: %[2]s/loans/
  repayments: %[2]s/repayments/
  interactions: %[2]s/interactions/
output: %[3]s
as_of: 2026-06-30
%[4]s`, kind, in, out, extra)
}

// reasonCode is the code of a reason: the text before the first ':' after the rule name
// (null_required:customer_id → null_required:customer_id; the answer key uses rule:column).
func checkAgainstAnswerKey(t *testing.T, m *pipeline.Manifest, sum *gen.Summary) {
	t.Helper()
	for table, want := range sum.Quarantine {
		got := m.Rows[table]
		if got.Input != sum.Rows[table] {
			t.Errorf("%s: %d input rows, generator wrote %d", table, got.Input, sum.Rows[table])
		}
		if got.Input != got.Used+got.Quarantined {
			t.Errorf("%s: counts do not add up: %+v", table, got)
		}
		var wantTotal int64
		for reason, n := range want {
			wantTotal += n
			if got.ByReason[reason] != n {
				t.Errorf("%s: %d rows quarantined as %s, generator injected %d", table, got.ByReason[reason], reason, n)
			}
		}
		if got.Quarantined != wantTotal {
			t.Errorf("%s: %d quarantined, answer key %d (by reason %v)", table, got.Quarantined, wantTotal, got.ByReason)
		}
	}
}

// TestFeaturesJobOnS3 is the foundation's acceptance path: dirty extracts generated into
// MinIO, a features job reading s3:// and publishing to s3://; every injected fault is in
// quarantine with its reason and the counts add up.
func TestFeaturesJobOnS3(t *testing.T) {
	srv := miniotest.Start(t)
	stores := storage.NewStores(storage.Options{})
	in := "s3://" + srv.Bucket + "/extracts/dt=2026-06-30"
	sum := generate(t, stores, in, 3000)
	out := "s3://" + srv.Bucket + "/features"
	spec, err := jobs.Parse("features.yaml", []byte(relationalSpec("features", in, out, "")), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Run(context.Background(), spec, Env{Stores: stores})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstAnswerKey(t, m, sum)

	// latest.json names the run, and the run holds the feature table, the profile and a
	// quarantine per table that had faults.
	st, _ := stores.For(context.Background(), storage.MustParse(out))
	l, dir, err := pipeline.ReadLatest(context.Background(), st, storage.MustParse(out))
	if err != nil || l.RunID != m.RunID || l.Kind != "features" || l.AsOf != "2026-06-30" {
		t.Fatalf("latest %+v %v", l, err)
	}
	paths := map[string]bool{}
	for _, o := range m.Outputs {
		paths[o.Path] = true
		if _, err := st.Stat(context.Background(), dir.MustJoin(o.Path)); err != nil {
			t.Errorf("output %s listed in the manifest is not there: %v", o.Path, err)
		}
	}
	for _, want := range []string{"features/part-00000.parquet", "profile.json", "features.json", "quarantine/customers/part-00000.parquet", "quarantine/repayments/part-00000.parquet"} {
		if !paths[want] {
			t.Errorf("no %s among the outputs %v", want, paths)
		}
	}
	if m.Rows["features"].Used != m.Rows["customers"].Used {
		t.Errorf("feature rows %d, clean customers %d", m.Rows["features"].Used, m.Rows["customers"].Used)
	}
	prof, err := storage.ReadAll(context.Background(), st, dir.MustJoin("profile.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]struct {
		Columns []struct {
			Name string `json:"name"`
		} `json:"columns"`
	}
	if err := json.Unmarshal(prof, &p); err != nil || len(p["loans"].Columns) < 10 {
		t.Errorf("profile %v: %s", err, prof[:min(len(prof), 200)])
	}
}

// TestTrainRelationalWithOOT trains on features of three snapshots of generated extracts,
// the last one out of time, and checks the samples and their discrimination.
func TestTrainRelationalWithOOT(t *testing.T) {
	dir := t.TempDir()
	stores := storage.NewStores(storage.Options{})
	in := filepath.Join(dir, "extracts")
	sum := generate(t, stores, in, 6000)
	out := filepath.Join(dir, "model")
	spec, err := jobs.Parse("train.yaml", []byte(relationalSpec("train", in, out,
		"split: {method: time, oot_from: 2025-06-30, snapshots: [2024-12-31, 2025-03-31, 2025-06-30]}\n")), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Run(context.Background(), spec, Env{Stores: stores, Now: func() time.Time { return time.Date(2026, 7, 1, 2, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstAnswerKey(t, m, sum)
	data, err := storage.ReadAll(context.Background(), storage.Local{}, storage.MustParse(filepath.Join(out, "runs", m.RunID, "metrics.json")))
	if err != nil {
		t.Fatal(err)
	}
	var mt struct {
		Samples map[string]struct {
			Rows int
			Bads int
			AUC  float64
		}
	}
	json.Unmarshal(data, &mt)
	for _, s := range []string{"train", "test", "oot"} {
		v := mt.Samples[s]
		if v.Rows == 0 || v.Bads == 0 || v.AUC < 0.65 {
			t.Errorf("sample %s: %+v (want rows, bads and AUC ≥ 0.65 from the planted signal)", s, v)
		}
	}
	if !strings.HasPrefix(m.RunID, "20260701T020000.000Z-") {
		t.Errorf("run id %s does not follow the clock", m.RunID)
	}
}
