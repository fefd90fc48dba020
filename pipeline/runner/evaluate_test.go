package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lendscore/models/metrics"
	"lendscore/pipeline/storage"
)

// TestEvaluateFixedVectors evaluates a bureau-style score (higher = bad) on fixed vectors and
// compares metrics.json with values computed independently here: AUC by counting pairs, KS by
// scanning cut-offs, PSI by hand over the base's bins.
func TestEvaluateFixedVectors(t *testing.T) {
	dir := t.TempDir()
	// Group a: scores 1..10, bads at 4, 7, 9, 10. Group b: scores 1..6, bads at 2, 6.
	// A row without a label and a row without a score go to quarantine.
	var b strings.Builder
	b.WriteString("id,bureau,default,region\n")
	bads := map[string]map[int]bool{"a": {4: true, 7: true, 9: true, 10: true}, "b": {2: true, 6: true}}
	type row struct {
		s   float64
		bad bool
	}
	rows := map[string][]row{}
	id := 0
	for _, g := range []string{"a", "b"} {
		n := map[string]int{"a": 10, "b": 6}[g]
		for s := 1; s <= n; s++ {
			lab := "no"
			if bads[g][s] {
				lab = "yes"
			}
			fmt.Fprintf(&b, "%d,%d,%s,%s\n", id, s, lab, g)
			rows[g] = append(rows[g], row{float64(s), bads[g][s]})
			id++
		}
	}
	b.WriteString("98,5,,a\n99,,yes,b\n")
	in := filepath.Join(dir, "scores.csv")
	os.WriteFile(in, []byte(b.String()), 0o644)
	// The base: ten scores 1..10, so its deciles put one score in each bin.
	base := filepath.Join(dir, "base.csv")
	var bb strings.Builder
	bb.WriteString("bureau\n")
	for s := 1; s <= 10; s++ {
		fmt.Fprintf(&bb, "%d\n", s)
	}
	os.WriteFile(base, []byte(bb.String()), 0o644)

	out := filepath.Join(dir, "out")
	m, err := Evaluate(context.Background(), EvaluateOptions{Input: in, Score: "bureau", Label: "default", Bad: "yes",
		Higher: metrics.HigherBad, By: "region", Base: base, Output: out}, Env{Stores: storage.NewStores(storage.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	if rc := m.Rows["table"]; rc.Input != 18 || rc.Used != 16 || rc.ByReason["null_target"] != 1 || rc.ByReason["null_score"] != 1 {
		t.Errorf("rows %+v", rc)
	}
	var em EvaluateMetrics
	data, _ := os.ReadFile(filepath.Join(out, "runs", m.RunID, "metrics.json"))
	if err := json.Unmarshal(data, &em); err != nil {
		t.Fatal(err)
	}
	for g, rs := range rows {
		var conc, pairs float64
		for _, x := range rs {
			for _, y := range rs {
				if x.bad && !y.bad {
					pairs++
					if x.s > y.s { // higher = bad: the bad should score higher
						conc++
					}
				}
			}
		}
		var nb, ng, ks float64
		for _, x := range rs {
			if x.bad {
				nb++
			} else {
				ng++
			}
		}
		for _, cut := range rs {
			var cb, cg float64
			for _, x := range rs {
				if x.s <= cut.s {
					if x.bad {
						cb++
					} else {
						cg++
					}
				}
			}
			ks = math.Max(ks, math.Abs(cb/nb-cg/ng))
		}
		got := em.Samples[g]
		if math.Abs(got.AUC-conc/pairs) > 1e-12 || math.Abs(got.KS-ks) > 1e-12 {
			t.Errorf("group %s: AUC %v KS %v, by hand %v %v", g, got.AUC, got.KS, conc/pairs, ks)
		}
	}
	// Group a: hand AUC = (3+5+6+6)/(4·6) = 20/24; PSI of a against the base: identical
	// deciles, 0. Group b: scores 1..6 fill the base's first six bins with one score each:
	// PSI = 6·(1/6 − 0.1)·ln((1/6)/0.1) + 4·(1e-4 − 0.1)·ln(1e-4/0.1).
	if got := em.Samples["a"].AUC; math.Abs(got-20.0/24) > 1e-12 {
		t.Errorf("AUC of a %v, want 20/24", got)
	}
	wantB := 6*(1.0/6-0.1)*math.Log((1.0/6)/0.1) + 4*(1e-4-0.1)*math.Log(1e-4/0.1)
	if got := em.Stability["psi_score_base_b"]; math.Abs(got-wantB) > 1e-9 {
		t.Errorf("PSI of b %v, want %v (stability %v)", got, wantB, em.Stability)
	}
	if got := em.Stability["psi_score_base_a"]; math.Abs(got) > 1e-12 {
		t.Errorf("PSI of a %v, want 0", got)
	}
	for _, f := range []string{"evaluation_card.html", "evaluation_card.md", "quarantine/part-00000.parquet"} {
		if _, err := os.Stat(filepath.Join(out, "runs", m.RunID, f)); err != nil {
			t.Errorf("no %s", f)
		}
	}
}

// TestEvaluateCalibration gives evaluate a PD and a grade column and checks its Brier score,
// Hosmer-Lemeshow test and Jeffreys test per grade against values computed here.
func TestEvaluateCalibration(t *testing.T) {
	dir := t.TempDir()
	// 40 rows: PD 0.05 (grade A, 20 rows, 2 bads) and PD 0.30 (grade B, 20 rows, 8 bads).
	var b strings.Builder
	b.WriteString("score,pd,grade,y\n")
	var pds []float64
	var ys []int8
	for i := 0; i < 40; i++ {
		pd, g := 0.05, "A"
		bad := i < 2
		if i >= 20 {
			pd, g = 0.30, "B"
			bad = i < 28
		}
		y := 0
		if bad {
			y = 1
		}
		fmt.Fprintf(&b, "%v,%v,%s,%d\n", 1000*pd+float64(i%7), pd, g, y)
		pds = append(pds, pd)
		ys = append(ys, int8(y))
	}
	in := filepath.Join(dir, "cal.csv")
	os.WriteFile(in, []byte(b.String()), 0o644)
	out := filepath.Join(dir, "out")
	m, err := Evaluate(context.Background(), EvaluateOptions{Input: in, Score: "score", Label: "y", Bad: "1", Higher: metrics.HigherBad,
		PD: "pd", Grade: "grade", Output: out}, Env{Stores: storage.NewStores(storage.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	var em EvaluateMetrics
	data, _ := os.ReadFile(filepath.Join(out, "runs", m.RunID, "metrics.json"))
	if err := json.Unmarshal(data, &em); err != nil {
		t.Fatal(err)
	}
	s := em.Validation.Sample("all")
	// Brier: Σ(pd − y)²/n = [2·0.95² + 18·0.05² + 8·0.7² + 12·0.3²]/40 = (1.805 + 0.045 + 3.92 + 1.08)/40 = 6.85/40.
	if got := *em.Samples["all"].Brier; math.Abs(got-6.85/40) > 1e-12 {
		t.Errorf("Brier %v, want %v", got, 6.85/40)
	}
	// Hosmer-Lemeshow with two PD groups (df 0 is refused; the report notes it) or the
	// library's own figure: whatever it reports must equal metrics.HosmerLemeshow.
	if hl, err := metrics.HosmerLemeshow(pds, ys, 0); err == nil {
		if s.HosmerLemeshow == nil || math.Abs(s.HosmerLemeshow.P-hl.P) > 1e-12 {
			t.Errorf("Hosmer-Lemeshow %+v, want %+v", s.HosmerLemeshow, hl)
		}
	}
	// Jeffreys per grade: A n=20, d=2, PD 0.05; B n=20, d=8, PD 0.30.
	want := map[string][3]float64{"A": {20, 2, 0.05}, "B": {20, 8, 0.30}}
	if len(s.Calibration) != 2 {
		t.Fatalf("calibration rows %+v", s.Calibration)
	}
	for _, row := range s.Calibration {
		w := want[row.Grade]
		p, err := metrics.JeffreysTest(int(w[0]), int(w[1]), w[2])
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(row.JeffreysP-p) > 1e-12 {
			t.Errorf("grade %s: Jeffreys p %v, want %v", row.Grade, row.JeffreysP, p)
		}
	}
	// Central tendency: 10 bads over Σpd = 20·0.05 + 20·0.30 = 7.
	if ct := s.CentralTendency; ct == nil || math.Abs(ct.Ratio-10.0/7) > 1e-12 {
		t.Errorf("central tendency %+v, want ratio 10/7", ct)
	}
}
