package runner

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"lendscore/jobs"
	"lendscore/pipeline"
	"lendscore/pipeline/storage"
)

// scoredRow is a row of the scored table as an outside tool reads it (parquet-go, not Arrow).
type scoredRow struct {
	CustomerID string  `parquet:"customer_id"`
	Score      int32   `parquet:"score"`
	PD         float64 `parquet:"pd"`
	Grade      string  `parquet:"grade"`
	Tier       string  `parquet:"risk_tier"`
	Reason1    *string `parquet:"reason_1,optional"`
	Sample     string  `parquet:"sample"`
	Bad        int32   `parquet:"bad"`
}

func readScored(t *testing.T, dir string) []scoredRow {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "scored", "part-*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scored parts in %s: %v", dir, err)
	}
	var out []scoredRow
	for _, f := range files {
		rows, err := parquet.ReadFile[scoredRow](f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, rows...)
	}
	return out
}

// bruteAUC counts every (bad, good) pair: a bad with the lower score is concordant, a tie
// counts half.
func bruteAUC(rows []scoredRow) float64 {
	var num, pairs float64
	for _, b := range rows {
		if b.Bad != 1 {
			continue
		}
		for _, g := range rows {
			if g.Bad != 0 {
				continue
			}
			pairs++
			switch {
			case b.Score < g.Score:
				num++
			case b.Score == g.Score:
				num += 0.5
			}
		}
	}
	return num / pairs
}

// bruteKS is the largest gap between the cumulative bad and good shares over score cut-offs.
func bruteKS(rows []scoredRow) float64 {
	var scores []int32
	var nb, ng float64
	for _, r := range rows {
		scores = append(scores, r.Score)
		if r.Bad == 1 {
			nb++
		} else {
			ng++
		}
	}
	sort.Slice(scores, func(a, b int) bool { return scores[a] < scores[b] })
	ks := 0.0
	for _, cut := range scores {
		var cb, cg float64
		for _, r := range rows {
			if r.Score <= cut {
				if r.Bad == 1 {
					cb++
				} else {
					cg++
				}
			}
		}
		ks = math.Max(ks, math.Abs(cb/nb-cg/ng))
	}
	return ks
}

func writeSpec(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runSpec(t *testing.T, path string, sets ...string) *pipeline.Manifest {
	t.Helper()
	spec, err := jobs.Load(path, sets, "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Run(context.Background(), spec, Env{Stores: storage.NewStores(StoreOptions(spec))})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTrainGermanCreditPublishes(t *testing.T) {
	dir := t.TempDir()
	abs, _ := filepath.Abs("../../testdata/germancredit_split.csv")
	out := filepath.Join(dir, "out")
	spec := writeSpec(t, dir, fmt.Sprintf(`
kind: train
name: germancredit
inputs: {table: %s}
target: {column: creditability, bad: bad}
split: {column: sample}
exclude: [sample]
output: %s
`, abs, out))
	m := runSpec(t, spec)
	runDir := filepath.Join(out, "runs", m.RunID)
	for _, f := range []string{"model/scorecard.json", "model/scorecard.pmml", "metrics.json", "binning.csv", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(runDir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	if rc := m.Rows["table"]; rc.Input != 1000 || rc.Used != 1000 || rc.Quarantined != 0 {
		t.Errorf("rows %+v", rc)
	}
	var mt struct {
		Samples map[string]struct {
			Rows, Bads int
			AUC, KS    float64
			CI         [2]float64 `json:"auc_ci95"`
		}
		Variables []struct {
			Name           string
			Selected       bool
			DroppedBecause string `json:"dropped_because"`
		}
	}
	data, _ := os.ReadFile(filepath.Join(runDir, "metrics.json"))
	if err := json.Unmarshal(data, &mt); err != nil {
		t.Fatal(err)
	}
	rows := readScored(t, runDir)
	if len(rows) != 1000 {
		t.Fatalf("%d scored rows", len(rows))
	}
	bySample := map[string][]scoredRow{}
	for _, r := range rows {
		bySample[r.Sample] = append(bySample[r.Sample], r)
	}
	for _, s := range []string{"train", "test"} {
		got := mt.Samples[s]
		want := bySample[s]
		if got.Rows != len(want) {
			t.Errorf("%s: rows %d, scored %d", s, got.Rows, len(want))
		}
		if a := bruteAUC(want); math.Abs(got.AUC-a) > 1e-12 {
			t.Errorf("%s: metrics.json AUC %v, from the scored table %v", s, got.AUC, a)
		}
		if k := bruteKS(want); math.Abs(got.KS-k) > 1e-12 {
			t.Errorf("%s: metrics.json KS %v, from the scored table %v", s, got.KS, k)
		}
		if !(got.CI[0] < got.AUC && got.AUC < got.CI[1]) {
			t.Errorf("%s: CI %v around %v", s, got.CI, got.AUC)
		}
	}
	if mt.Samples["test"].AUC < 0.7 {
		t.Errorf("test AUC %v", mt.Samples["test"].AUC)
	}
	for _, v := range mt.Variables {
		if !v.Selected && v.DroppedBecause == "" {
			t.Errorf("%s dropped without a reason", v.Name)
		}
	}

	// `score` with the published model reproduces the training scores exactly.
	scoreOut := filepath.Join(dir, "scored")
	sspec := writeSpec(t, dir, fmt.Sprintf("kind: score\nname: s\ninputs: {table: %s}\nmodel: %s\noutput: %s\n", abs, out, scoreOut))
	sm := runSpec(t, sspec)
	if sm.Model != "germancredit" {
		t.Errorf("score run model %q", sm.Model)
	}
	rescored, err := filepath.Glob(filepath.Join(scoreOut, "runs", sm.RunID, "scored", "*.parquet"))
	if err != nil || len(rescored) == 0 {
		t.Fatal("score run wrote no scored table")
	}
	type plain struct {
		CustomerID string  `parquet:"customer_id"`
		Score      int32   `parquet:"score"`
		PD         float64 `parquet:"pd"`
		Grade      string  `parquet:"grade"`
	}
	again, err := parquet.ReadFile[plain](rescored[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(rows) {
		t.Fatalf("rescored %d rows, trained %d", len(again), len(rows))
	}
	for i := range rows {
		if again[i].CustomerID != rows[i].CustomerID || again[i].Score != rows[i].Score || again[i].PD != rows[i].PD || again[i].Grade != rows[i].Grade {
			t.Fatalf("row %d: rescored %+v, trained %+v", i, again[i], rows[i])
		}
	}
}

func TestTrainQuarantineAddsUp(t *testing.T) {
	dir := t.TempDir()
	recs := readCSV(t, "../../testdata/germancredit_split.csv")
	target := slices.Index(recs[0], "creditability")
	var rowsOut [][]string
	rowsOut = append(rowsOut, append([]string{"id"}, recs[0]...))
	for i, r := range recs[1:] {
		id := fmt.Sprint(i)
		if i == 5 || i == 6 {
			id = "4" // duplicates of row 4's id
		}
		r = append([]string(nil), r...)
		if i == 10 || i == 11 {
			r[target] = "" // missing target
		}
		rowsOut = append(rowsOut, append([]string{id}, r...))
	}
	in := filepath.Join(dir, "gc.csv")
	w, _ := os.Create(in)
	cw := csv.NewWriter(w)
	cw.WriteAll(rowsOut)
	w.Close()

	out := filepath.Join(dir, "out")
	spec := writeSpec(t, dir, fmt.Sprintf(`
kind: train
name: gc
inputs: {table: %s}
id: id
target: {column: creditability, bad: bad}
split: {method: random, test_fraction: 0.3, seed: 3}
exclude: [sample]
output: %s
`, in, out))
	m := runSpec(t, spec)
	rc := m.Rows["table"]
	if rc.Input != 1000 || rc.Used != 996 || rc.Quarantined != 4 || rc.ByReason["duplicate_key"] != 2 || rc.ByReason["null_target"] != 2 {
		t.Fatalf("rows %+v", rc)
	}
	type qrow struct {
		ID     int64  `parquet:"id"`
		File   string `parquet:"_source_file"`
		Row    int64  `parquet:"_source_row"`
		Reason string `parquet:"reason"`
	}
	qs, err := filepath.Glob(filepath.Join(out, "runs", m.RunID, "quarantine", "*.parquet"))
	if err != nil || len(qs) != 1 {
		t.Fatalf("quarantine files %v %v", qs, err)
	}
	q, err := parquet.ReadFile[qrow](qs[0])
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		row    int64
		reason string
	}{{5, "duplicate_key:id"}, {6, "duplicate_key:id"}, {10, "null_target:creditability"}, {11, "null_target:creditability"}}
	if len(q) != len(want) {
		t.Fatalf("quarantine %+v", q)
	}
	for i, w := range want {
		if q[i].Row != w.row || !strings.HasPrefix(q[i].Reason, w.reason) || q[i].File != in {
			t.Errorf("quarantine row %d: %+v, want row %d %s in %s", i, q[i], w.row, w.reason, in)
		}
	}
	if len(readScored(t, filepath.Join(out, "runs", m.RunID))) != 996 {
		t.Error("scored rows do not match used rows")
	}
}

// TestTrainCSVDialects trains on German Credit with a tenth of duration_in_month missing,
// written as a plain CSV (empty fields) and as a semicolon CSV whose missing values are "?"
// (inputs.csv.null_values): the same binning table, byte for byte.
func TestTrainCSVDialects(t *testing.T) {
	dir := t.TempDir()
	rows := readCSV(t, "../../testdata/germancredit_split.csv")
	col := slices.Index(rows[0], "duration_in_month")
	if col < 0 {
		t.Fatalf("testdata/germancredit_split.csv has no duration_in_month")
	}
	var plain, dialect strings.Builder
	pw, dw := csv.NewWriter(&plain), csv.NewWriter(&dialect)
	dw.Comma = ';'
	for i, r := range rows {
		if i > 0 && i%10 == 3 {
			r[col] = ""
		}
		pw.Write(r)
		if r[col] == "" {
			r[col] = "?"
		}
		dw.Write(r)
	}
	pw.Flush()
	dw.Flush()
	var tables [2][]byte
	for k, text := range []string{plain.String(), dialect.String()} {
		in := filepath.Join(dir, fmt.Sprintf("gc%d.csv", k))
		if err := os.WriteFile(in, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, fmt.Sprintf("out%d", k))
		body := fmt.Sprintf("kind: train\nname: gc\ninputs: {table: %s}\ntarget: {column: creditability, bad: bad}\nsplit: {column: sample}\nexclude: [sample]\noutput: %s\n", in, out)
		if k == 1 {
			body += "inputs: {table: " + in + ", csv: {null_values: [\"?\"]}}\n"
			body = strings.Replace(body, "inputs: {table: "+in+"}\n", "", 1)
		}
		m := runSpec(t, writeSpec(t, dir, body))
		var err error
		if tables[k], err = os.ReadFile(filepath.Join(out, "runs", m.RunID, "binning.csv")); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Contains(tables[0], []byte("duration_in_month")) || !bytes.Contains(tables[0], []byte("missing")) {
		t.Fatalf("the binning table has no missing bin of duration_in_month:\n%s", tables[0])
	}
	if !bytes.Equal(tables[0], tables[1]) {
		t.Errorf("binning tables differ:\n%s\n%s", tables[0], tables[1])
	}
}

// TestTrainWarnsOfNumbersReadAsText trains on a table whose age column marks missing values
// with "?" (as UCI's credit sets do): the log names the column and the marker; with
// inputs.csv.null_values the column is numeric and nothing is logged.
func TestTrainWarnsOfNumbersReadAsText(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("age,colour,y\n")
	for i := range 400 {
		age := strconv.Itoa(20 + i%47)
		if i%50 == 7 {
			age = "?"
		}
		fmt.Fprintf(&b, "%s,%s,%d\n", age, []string{"red", "blue"}[i%2], (i*7919)%5/4)
	}
	in := filepath.Join(dir, "t.csv")
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sets []string
		warn bool
	}{{nil, true}, {[]string{`inputs.csv.null_values=["?"]`}, false}} {
		spec, err := jobs.Parse("t.yaml", []byte(fmt.Sprintf("kind: train\nname: t\ninputs: {table: %s}\ntarget: {column: y, bad: \"1\"}\nsplit: {method: random, test_fraction: 0.3, seed: 1}\noutput: %s\n", in, filepath.Join(dir, "out"))), tc.sets, "")
		if err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		if _, err := Run(context.Background(), spec, Env{Stores: storage.NewStores(storage.Options{}), Log: slog.New(slog.NewTextHandler(&log, nil))}); err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(log.String(), `column=age`) && strings.Contains(log.String(), `such_as="\"?\""`)
		if got != tc.warn || strings.Contains(log.String(), "column=colour") {
			t.Errorf("sets %v: warned %v, want %v:\n%s", tc.sets, got, tc.warn, log.String())
		}
	}
}
