package report

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"lendscore/models/metrics"
	"lendscore/stages/frame"
)

// TestSummariesValidateLikeRows summarises samples batch by batch, rows shuffled, their PDs
// sorted in runs on a spill file and merged, and requires the validation of their rows,
// figure for figure.
func TestSummariesValidateLikeRows(t *testing.T) {
	sc := syntheticScorecard()
	samples, _ := syntheticRun(sc, 20_000, 11)
	in := ValidationInput{Samples: samples, Higher: metrics.HigherGood, Scorecard: sc}
	want, err := Validate(in, Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	spill := frame.NewSpill(dir)
	rng := rand.New(rand.NewPCG(1, 2))
	summarised := make([]Sample, len(samples))
	for k, s := range samples {
		// Three builders take the batches in turn, as the goroutines of a run do, and are
		// merged out of order.
		var parts []*SummaryBuilder
		for k := range 3 {
			b := NewSummaryBuilder(sc, true, spill)
			// Many runs to merge, some longer than a block of the merge's reads.
			b.s.pds.runRows = []int{1500, pdBlock + 700, 900}[k]
			parts = append(parts, b)
		}
		order := rng.Perm(len(s.Score))
		for k, lo := 0, 0; lo < len(order); k++ {
			b := parts[k%3]
			hi := min(len(order), lo+1+rng.IntN(4000))
			batch := Sample{Attr: make([][]uint16, len(sc.Characteristics))}
			for _, i := range order[lo:hi] {
				batch.Score = append(batch.Score, s.Score[i])
				batch.PD = append(batch.PD, s.PD[i])
				batch.Grade = append(batch.Grade, s.Grade[i])
				batch.Bad = append(batch.Bad, s.Bad[i])
				for c := range sc.Characteristics {
					batch.Attr[c] = append(batch.Attr[c], s.Attr[c][i])
				}
			}
			if err := b.Add(batch); err != nil {
				t.Fatal(err)
			}
			lo = hi
		}
		b := parts[2]
		for _, o := range []*SummaryBuilder{parts[0], parts[1]} {
			if err := b.Merge(o); err != nil {
				t.Fatal(err)
			}
		}
		sum, err := b.Summary()
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.pds.runs) < 8 {
			t.Fatalf("sample %s: %d runs on the spill, want many", s.Name, len(sum.pds.runs))
		}
		summarised[k] = Sample{Name: s.Name, Summary: sum}
	}
	in.Samples = summarised
	sameValidation(t, "summaries", in, want)
	if want.Samples[0].HosmerLemeshow == nil || len(want.Samples[1].CSI) == 0 || len(want.Samples[0].Calibration) == 0 {
		t.Fatal("the rows give no Hosmer-Lemeshow, CSI or calibration: the test compares too little")
	}
	if err := spill.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("spill files left: %v", left)
	}
}

// sameValidation requires Validate of in to give want, the validation of the same samples
// as rows, byte for byte in JSON.
func sameValidation(t *testing.T, what string, in ValidationInput, want *Validation) {
	t.Helper()
	got, err := Validate(in, Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("validation of %s differs from that of rows:\n%s\nversus\n%s", what, firstDifference(string(g), string(w)), firstDifference(string(w), string(g)))
	}
}

// firstDifference returns a's text around its first difference from b.
func firstDifference(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return a[max(0, i-150):min(len(a), i+150)]
}

// TestSummaryBuilderRefuses names what a batch gets wrong.
func TestSummaryBuilderRefuses(t *testing.T) {
	for name, batches := range map[string][]Sample{
		"labels":          {{Score: []float64{1, 2}, Bad: []int8{0}}},
		"PD range":        {{Score: []float64{1}, Bad: []int8{0}, PD: []float64{1.5}}},
		"PDs in one only": {{Score: []float64{1}, Bad: []int8{0}, PD: []float64{0.5}}, {Score: []float64{1}, Bad: []int8{1}}},
		"grades in one":   {{Score: []float64{1}, Bad: []int8{0}}, {Score: []float64{1}, Bad: []int8{1}, Grade: []string{"A"}}},
		"attribute":       {{Score: []float64{1}, Bad: []int8{0}, Attr: [][]uint16{{7}}}},
		"NaN score":       {{Score: []float64{nan()}, Bad: []int8{0}}},
	} {
		b := NewSummaryBuilder(testScorecard(), true, nil)
		var err error
		for _, batch := range batches {
			if batch.Attr == nil {
				batch.Attr = [][]uint16{make([]uint16, len(batch.Score))}
			}
			if err = b.Add(batch); err != nil {
				break
			}
		}
		if err == nil {
			_, err = b.Summary()
		}
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
func nan() float64 { return math.NaN() }

func TestSortPD(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 100, 5000} {
		es := make([]pdEntry, n)
		for i := range es {
			es[i] = pdEntry{key: math.Float64bits(float64(rng.IntN(300)) / 1000), meta: uint16(rng.IntN(9))}
		}
		want := slices.Clone(es)
		slices.SortFunc(want, comparePD)
		sortPD(es)
		if !slices.Equal(es, want) {
			t.Errorf("%d entries: not sorted by key, then meta", n)
		}
	}
}

// TestSummaryMergeRenumbersGrades merges builders that met grades off the scale in another
// order, and requires the figures of the rows.
func TestSummaryMergeRenumbersGrades(t *testing.T) {
	rows := Sample{Name: "all"}
	for i := range 600 {
		rows.Score = append(rows.Score, float64(500+i%40))
		rows.PD = append(rows.PD, float64(1+i%40)/100)
		rows.Grade = append(rows.Grade, []string{"A", "X", "Y"}[i%3])
		rows.Bad = append(rows.Bad, int8(i%5/4))
	}
	sc := testScorecard()
	in := ValidationInput{Samples: []Sample{rows}, Higher: metrics.HigherGood, Scorecard: sc}
	want, err := Validate(in, Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := NewSummaryBuilder(sc, false, nil), NewSummaryBuilder(sc, false, nil)
	half := func(lo, hi int) Sample {
		return Sample{Score: rows.Score[lo:hi], PD: rows.PD[lo:hi], Grade: rows.Grade[lo:hi], Bad: rows.Bad[lo:hi]}
	}
	if err := b.Add(half(2, 600)); err != nil { // meets Y before X
		t.Fatal(err)
	}
	if err := a.Add(half(0, 2)); err != nil { // meets X only
		t.Fatal(err)
	}
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	sum, err := a.Summary()
	if err != nil {
		t.Fatal(err)
	}
	in.Samples = []Sample{{Name: "all", Summary: sum}}
	sameValidation(t, "merged", in, want)
	if len(want.Samples[0].Calibration) != 3 {
		t.Fatalf("calibration of %d grades, want 3", len(want.Samples[0].Calibration))
	}
}
