package metrics

import (
	"encoding/json"
	"iter"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// countedSample is a sample of integer scores (points) with ties, PDs falling with the
// score, and grades cut from the PDs.
func countedSample(n int, seed uint64) (score, pd []float64, y []int8, grade []string) {
	rng := rand.New(rand.NewPCG(seed, 1))
	score, pd, y, grade = make([]float64, n), make([]float64, n), make([]int8, n), make([]string, n)
	for i := range n {
		s := 450 + math.Round(60*rng.NormFloat64())
		lp := -(s-600)/28.85 - math.Log(50) + 0.3*rng.NormFloat64()
		p := 1 / (1 + math.Exp(-lp))
		if i%7 == 0 {
			p = math.Round(p*100) / 100 // ties among PDs too
		}
		score[i], pd[i] = s, p
		if rng.Float64() < p {
			y[i] = 1
		}
		switch {
		case p < 0.05:
			grade[i] = "A"
		case p < 0.2:
			grade[i] = "B"
		default:
			grade[i] = "C"
		}
	}
	return
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestScoreCountsRankLikeRows: counted scores give the rows' discrimination figures, gains,
// curves and quantile edges exactly, whichever way a higher score points and however the
// counts were split and merged.
func TestScoreCountsRankLikeRows(t *testing.T) {
	score, _, y, _ := countedSample(20_000, 3)
	for _, higher := range []Higher{HigherGood, HigherBad} {
		rows, err := NewRanking(score, y, higher)
		if err != nil {
			t.Fatal(err)
		}
		var a, b ScoreCounts
		for i := range score {
			if i%3 == 0 {
				a.Add(score[i], y[i])
			} else {
				b.Add(score[i], y[i])
			}
		}
		a.Merge(&b)
		counted, err := a.Ranking(higher)
		if err != nil {
			t.Fatal(err)
		}
		check := func(what string, f func(r *Ranking) (any, error)) {
			t.Helper()
			want, err := f(rows)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f(counted)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
				t.Errorf("higher %v: %s from counts:\n%s\nfrom rows:\n%s", higher, what, g, w)
			}
		}
		check("discrimination", func(r *Ranking) (any, error) { return r.Discrimination() })
		check("gains", func(r *Ranking) (any, error) { return r.Gains(0) })
		check("roc", func(r *Ranking) (any, error) { return r.ROCCurve(50) })
		check("ks curve", func(r *Ranking) (any, error) { return r.KSCurve(0) })
		want, err := Evaluate(score, nil, y, higher)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := counted.Discrimination(); got != want {
			t.Errorf("higher %v: Discrimination %+v, Evaluate %+v", higher, got, want)
		}
	}
	var c ScoreCounts
	for i := range score {
		c.Add(score[i], y[i])
	}
	values, rows, bads, err := c.Values()
	if err != nil {
		t.Fatal(err)
	}
	if c.Rows() != len(score) || c.Bads() != sum(bads) || sum(rows) != len(score) || !slices.IsSorted(values) {
		t.Fatalf("counts: %d rows, %d bads", c.Rows(), c.Bads())
	}
	for _, bins := range []int{1, 5, 10, 37} {
		want, err := QuantileEdges(score, bins)
		if err != nil {
			t.Fatal(err)
		}
		got, err := QuantileEdgesOfCounts(values, rows, bins)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%d bins: edges %v from counts, %v from rows", bins, got, want)
		}
	}
}

func sum(v []int) int {
	s := 0
	for _, x := range v {
		s += x
	}
	return s
}

func TestScoreCountsRefuse(t *testing.T) {
	for name, add := range map[string]func(c *ScoreCounts){
		"NaN":        func(c *ScoreCounts) { c.Add(math.NaN(), 0) },
		"infinite":   func(c *ScoreCounts) { c.Add(math.Inf(1), 1) },
		"label 2":    func(c *ScoreCounts) { c.Add(3, 2) },
		"one class":  func(c *ScoreCounts) { c.Add(3, 1); c.Add(4, 1) },
		"no rows":    func(c *ScoreCounts) {},
		"merged NaN": func(c *ScoreCounts) { var o ScoreCounts; o.Add(math.NaN(), 1); c.Add(1, 0); c.Add(2, 1); c.Merge(&o) },
	} {
		var c ScoreCounts
		add(&c)
		if _, err := c.Ranking(HigherGood); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// pdCounts counts rows by (PD, grade) in increasing order of PD.
func pdCounts(pd []float64, y []int8, grade []string, names []string) iter.Seq2[PDCount, error] {
	type key struct {
		pd float64
		g  int
	}
	m := map[key][2]int{}
	for i, p := range pd {
		k := key{p, slices.Index(names, grade[i])}
		c := m[k]
		c[y[i]]++
		m[k] = c
	}
	keys := make([]key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.pd != b.pd {
			if a.pd < b.pd {
				return -1
			}
			return 1
		}
		return b.g - a.g // grades of one PD in any order: descending here
	})
	return func(yield func(PDCount, error) bool) {
		for _, k := range keys {
			c := m[k]
			if !yield(PDCount{PD: k.pd, Grade: k.g, Bads: c[1], Goods: c[0]}, nil) {
				return
			}
		}
	}
}

// TestCalibrateLikeRows: the figures Calibrate computes from PD counts are those of the
// row functions: Hosmer-Lemeshow exactly (it sums in PD order either way), Brier, log-loss
// and per-grade means to the last digits of sums taken in another order.
func TestCalibrateLikeRows(t *testing.T) {
	_, pd, y, grade := countedSample(30_000, 5)
	names := []string{"A", "B", "C", "unused"}
	f, err := Calibrate(pdCounts(pd, y, grade, names), len(pd), 0, names)
	if err != nil {
		t.Fatal(err)
	}
	hl, err := HosmerLemeshow(pd, y, 0)
	if err != nil {
		t.Fatal(err)
	}
	if f.HosmerLemeshow == nil || !reflect.DeepEqual(*f.HosmerLemeshow, hl) {
		t.Errorf("Hosmer-Lemeshow %+v, from rows %+v", f.HosmerLemeshow, hl)
	}
	close := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %v, from rows %v", what, got, want)
		}
	}
	brier, _ := Brier(pd, y)
	logLoss, _ := LogLoss(pd, y)
	close("Brier", f.Brier, brier)
	close("log-loss", f.LogLoss, logLoss)
	bads, sumPD := 0, 0.0
	for i := range pd {
		bads += int(y[i])
		sumPD += pd[i]
	}
	if f.Rows != len(pd) || f.Bads != bads {
		t.Errorf("%d rows, %d bads; want %d, %d", f.Rows, f.Bads, len(pd), bads)
	}
	close("sum of PDs", f.SumPD, sumPD)
	cal, err := CalibrationByGrade(grade, pd, y)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Grades) != len(cal) {
		t.Fatalf("grades %+v, from rows %+v", f.Grades, cal)
	}
	for i, g := range cal {
		got := f.Grades[i]
		if got.Grade != g.Grade || got.Rows != g.Rows || got.Bads != g.Bads {
			t.Errorf("grade %d: %+v, from rows %+v", i, got, g)
		}
		close("mean PD of "+g.Grade, got.MeanPD, g.MeanPD)
		close("Jeffreys p of "+g.Grade, got.JeffreysP, g.JeffreysP)
	}

	// Refusals.
	for name, tc := range map[string]struct {
		counts []PDCount
		rows   int
	}{
		"decreasing": {[]PDCount{{PD: 0.2, Grade: -1, Goods: 1}, {PD: 0.1, Grade: -1, Bads: 1}}, 2},
		"not a PD":   {[]PDCount{{PD: 1.5, Grade: -1, Goods: 1}}, 1},
		"grade":      {[]PDCount{{PD: 0.5, Grade: 4, Goods: 1}}, 1},
		"rows":       {[]PDCount{{PD: 0.5, Grade: -1, Goods: 1}}, 2},
		"no rows":    {nil, 0},
	} {
		seq := func(yield func(PDCount, error) bool) {
			for _, c := range tc.counts {
				if !yield(c, nil) {
					return
				}
			}
		}
		if _, err := Calibrate(seq, tc.rows, 0, names); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Too few distinct PDs: no Hosmer-Lemeshow, and why.
	two := func(yield func(PDCount, error) bool) {
		_ = yield(PDCount{PD: 0.1, Grade: -1, Goods: 5, Bads: 1}, nil) && yield(PDCount{PD: 0.3, Grade: -1, Goods: 2, Bads: 2}, nil)
	}
	if f, err := Calibrate(two, 10, 0, nil); err != nil || f.HosmerLemeshow != nil || f.HosmerLemeshowErr == nil || f.Grades != nil {
		t.Errorf("two PDs: %+v, %v", f, err)
	}
}
