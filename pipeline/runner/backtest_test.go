package runner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lendscore/gen"
	"lendscore/jobs"
	"lendscore/pipeline/storage"
	"lendscore/stages/report"
)

// TestBacktestReportsDrift trains on one generated world, then backtests on a later snapshot
// generated without drift and on one generated with drift: the central tendency (observed
// default rate over mean PD) is green without drift and red with it, and the AUC change,
// PSI, CSI and grade migration are reported for both.
func TestBacktestReportsDrift(t *testing.T) {
	dir := t.TempDir()
	stores := storage.NewStores(storage.Options{})
	ctx := context.Background()
	in := filepath.Join(dir, "extracts")
	generate(t, stores, in, 6000)
	model := filepath.Join(dir, "model")
	spec, err := jobs.Parse("train.yaml", []byte(relationalSpec("train", in, model, "")), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, spec, Env{Stores: stores}); err != nil {
		t.Fatal(err)
	}
	later := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	ratio := map[string]report.CentralTendency{}
	for _, c := range []struct {
		name  string
		drift gen.Drift
	}{
		{"steady", gen.Drift{}},
		{"drift", gen.Drift{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Strength: 1.5}},
	} {
		snap := filepath.Join(dir, c.name)
		if _, err := gen.Generate(ctx, stores, storage.MustParse(snap), gen.Config{Customers: 6000, Seed: 8, Months: 30, AsOf: later, Drift: c.drift}); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "bt-"+c.name)
		bspec, err := jobs.Parse("bt.yaml", []byte(relationalSpec("backtest", snap, out, "model: "+model+"\n")), nil, "2027-06-30")
		if err != nil {
			t.Fatal(err)
		}
		m, err := Run(ctx, bspec, Env{Stores: stores})
		if err != nil {
			t.Fatal(err)
		}
		runDir := filepath.Join(out, "runs", m.RunID)
		for _, f := range []string{"metrics.json", "backtest_card.md", "backtest_card.html", "scored/part-00000.parquet"} {
			if _, err := os.Stat(filepath.Join(runDir, f)); err != nil {
				t.Errorf("%s: no %s", c.name, f)
			}
		}
		var bm BacktestMetrics
		data, _ := os.ReadFile(filepath.Join(runDir, "metrics.json"))
		if err := json.Unmarshal(data, &bm); err != nil {
			t.Fatal(err)
		}
		s := bm.Validation.Sample("backtest")
		if s == nil || s.CentralTendency == nil || s.AUCChange == nil || s.PSI == nil || len(s.CSI) == 0 {
			t.Fatalf("%s: backtest report lacks figures: %+v", c.name, s)
		}
		if bm.Migration == nil || len(bm.Migration.Grades) == 0 {
			t.Errorf("%s: no grade migration for customers present in both", c.name)
		}
		if bm.Development.RunID == "" || bm.Development.Sample != "test" {
			t.Errorf("%s: development %+v", c.name, bm.Development)
		}
		ratio[c.name] = *s.CentralTendency
	}
	if st := ratio["steady"]; st.Light != report.Green {
		t.Errorf("steady world: observed/predicted %.3f (%s), want green", st.Ratio, st.Light)
	}
	if dr := ratio["drift"]; dr.Light != report.Red || dr.Ratio < 1.5 {
		t.Errorf("drifted world: observed/predicted %.3f (%s), want red", dr.Ratio, dr.Light)
	}
}
