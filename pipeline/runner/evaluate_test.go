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
