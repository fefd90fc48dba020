package runner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"

	"lendscore/jobs"
	"lendscore/pipeline"
	"lendscore/pipeline/storage"
)

// crmRow is the scored table as a CRM system loads it (read with parquet-go).
type crmRow struct {
	CustomerID   string   `parquet:"customer_id"`
	AsOfDate     int32    `parquet:"as_of_date"`
	Score        int32    `parquet:"score"`
	PD           float64  `parquet:"pd"`
	Grade        string   `parquet:"grade"`
	RiskTier     string   `parquet:"risk_tier"`
	Segment      *int32   `parquet:"segment,optional"`
	SegmentName  *string  `parquet:"segment_name,optional"`
	Reason1      *string  `parquet:"reason_1,optional"`
	Reason2      *string  `parquet:"reason_2,optional"`
	Reason3      *string  `parquet:"reason_3,optional"`
	Warnings     []string `parquet:"warnings,list"`
	ModelName    string   `parquet:"model_name"`
	ModelVersion string   `parquet:"model_version"`
	RunID        string   `parquet:"run_id"`
}

func readParts[T any](t *testing.T, dir string) []T {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "part-*.parquet"))
	if len(files) == 0 {
		t.Fatalf("no parts in %s", dir)
	}
	var out []T
	for _, f := range files {
		rows, err := parquet.ReadFile[T](f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, rows...)
	}
	return out
}

func TestNightlyChain(t *testing.T) {
	dir := t.TempDir()
	stores := storage.NewStores(storage.Options{})
	in := filepath.Join(dir, "extracts")
	generate(t, stores, in, 3000)
	model := filepath.Join(dir, "model")
	run := func(kind, out, extra, asOf string) *pipeline.Manifest {
		spec, err := jobs.Parse(kind+".yaml", []byte(relationalSpec(kind, in, out, extra)), nil, asOf)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Run(context.Background(), spec, Env{Stores: stores})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	run("train", model, "", "")
	nightly := filepath.Join(dir, "nightly")
	first := run("nightly", nightly, "model: "+model+"\n", "2026-06-29")
	second := run("nightly", nightly, "model: "+model+"\n", "2026-06-30")
	rerun := run("nightly", nightly, "model: "+model+"\n", "2026-06-30")

	if first.Notes["previous_run"] != "" || second.Notes["previous_run"] != first.RunID || rerun.Notes["previous_run"] != first.RunID {
		t.Fatalf("previous runs: %v, %v, %v", first.Notes["previous_run"], second.Notes["previous_run"], rerun.Notes["previous_run"])
	}
	rows := readParts[crmRow](t, filepath.Join(nightly, "runs", second.RunID, "scored"))
	if int64(len(rows)) != second.Rows["customers"].Used {
		t.Errorf("%d scored rows for %d clean customers", len(rows), second.Rows["customers"].Used)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.CustomerID] {
			t.Fatalf("customer %s twice", r.CustomerID)
		}
		seen[r.CustomerID] = true
		if r.ModelName != "crm" || r.RunID != second.RunID || r.Grade == "" || r.PD <= 0 || r.PD >= 1 {
			t.Fatalf("row %+v", r)
		}
		switch r.RiskTier {
		case "prime", "standard", "high_risk":
		default:
			t.Fatalf("tier %q", r.RiskTier)
		}
	}
	// Segments: every row has one; the second night reuses the first night's model; a day
	// later (recency and tenure moved by a day) almost every customer keeps its segment. With
	// unchanged data (the rerun below) every row is identical.
	firstRows := readParts[crmRow](t, filepath.Join(nightly, "runs", first.RunID, "scored"))
	firstSeg := map[string]int32{}
	for _, r := range firstRows {
		if r.Segment == nil || r.SegmentName == nil || *r.SegmentName == "" {
			t.Fatalf("first night: row without a segment: %+v", r)
		}
		firstSeg[r.CustomerID] = *r.Segment
	}
	moved := 0
	for _, r := range rows {
		if r.Segment == nil || *r.Segment != firstSeg[r.CustomerID] {
			moved++
		}
	}
	if moved > len(rows)/100 {
		t.Errorf("%d of %d customers changed segment between two consecutive nights", moved, len(rows))
	}
	m1, _ := os.ReadFile(filepath.Join(nightly, "runs", first.RunID, "model", "segments.json"))
	m2, _ := os.ReadFile(filepath.Join(nightly, "runs", second.RunID, "model", "segments.json"))
	if len(m1) == 0 || string(m1) != string(m2) {
		t.Error("the second night did not carry the first night's segment model")
	}
	// The rerun gives the same rows (apart from the run id).
	again := readParts[crmRow](t, filepath.Join(nightly, "runs", rerun.RunID, "scored"))
	for i := range rows {
		a, b := rows[i], again[i]
		a.RunID, b.RunID = "", ""
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Fatalf("rerun row %d differs:\n%s\n%s", i, ja, jb)
		}
	}
	var summary struct {
		Customers struct{ New, Gone, Customers int } `json:"customers"`
	}
	data, _ := os.ReadFile(filepath.Join(nightly, "runs", second.RunID, "nightly.json"))
	json.Unmarshal(data, &summary)
	if summary.Customers.New != 0 || summary.Customers.Gone != 0 || summary.Customers.Customers != len(rows) {
		t.Errorf("second night: %+v", summary.Customers)
	}
	for _, f := range []string{"report/portfolio_report.json", "report/portfolio_report.md", "report/portfolio_report.html"} {
		if _, err := os.Stat(filepath.Join(nightly, "runs", second.RunID, f)); err != nil {
			t.Errorf("no %s", f)
		}
	}
	var port struct {
		Customers int `json:"customers"`
		Score     struct {
			PSI *float64 `json:"psi"`
		} `json:"score"`
	}
	pdata, _ := os.ReadFile(filepath.Join(nightly, "runs", second.RunID, "report/portfolio_report.json"))
	if err := json.Unmarshal(pdata, &port); err != nil || port.Customers != len(rows) || port.Score.PSI == nil {
		t.Errorf("portfolio report: %d customers for %d scored rows, PSI %v (%v)", port.Customers, len(rows), port.Score.PSI, err)
	}
	type change struct {
		CustomerID string `parquet:"customer_id"`
		Change     string `parquet:"change"`
	}
	firstChanges := readParts[change](t, filepath.Join(nightly, "runs", first.RunID, "changes"))
	if len(firstChanges) != len(rows) {
		t.Errorf("first night: %d changes, want every customer new (%d)", len(firstChanges), len(rows))
	}
}
