package report

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
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
		b := NewSummaryBuilder(sc, true, spill)
		b.s.pds.runRows = 1500 // many runs to merge
		order := rng.Perm(len(s.Score))
		for lo := 0; lo < len(order); {
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
		sum, err := b.Summary()
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.pds.runs) < 10 {
			t.Fatalf("sample %s: %d runs on the spill, want many", s.Name, len(sum.pds.runs))
		}
		summarised[k] = Sample{Name: s.Name, Summary: sum}
	}
	in.Samples = summarised
	got, err := Validate(in, Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("validation of summaries differs from that of rows:\n%s\nversus\n%s", firstDifference(string(g), string(w)), firstDifference(string(w), string(g)))
	}
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
