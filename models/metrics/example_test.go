package metrics_test

import (
	"fmt"
	"log"

	"lendscore/models/metrics"
)

// Scorecard points counted as they are scored rank like the rows: of the 2·3 bad-good pairs
// the bad scores lower in 1 + 1 + 1 + 0.5 + 1 + 1 (the tie at 560 counts a half), so
// AUC = 5.5/6.
func ExampleScoreCounts() {
	var c metrics.ScoreCounts
	for i, score := range []float64{520, 560, 560, 600, 640} {
		bad := int8(0)
		if i < 2 {
			bad = 1
		}
		c.Add(score, bad)
	}
	r, err := c.Ranking(metrics.HigherGood)
	if err != nil {
		log.Fatal(err)
	}
	m, err := r.Discrimination()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("rows %d, bads %d, AUC %.4f\n", m.Rows, m.Bads, m.AUC)
	// Output: rows 5, bads 2, AUC 0.9167
}

// Calibrate reads a sample's PDs in increasing order, counted by PD and grade: here 100
// rows at 2% with 3 bads and 100 at 10% with 9, so Brier = (97·0.02² + 3·0.98² + 91·0.1² +
// 9·0.9²)/200 = 0.0556.
func ExampleCalibrate() {
	counts := []metrics.PDCount{{PD: 0.02, Grade: 0, Bads: 3, Goods: 97}, {PD: 0.10, Grade: 1, Bads: 9, Goods: 91}}
	seq := func(yield func(metrics.PDCount, error) bool) {
		for _, c := range counts {
			if !yield(c, nil) {
				return
			}
		}
	}
	f, err := metrics.Calibrate(seq, 200, 0, []string{"A", "B"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("mean PD %.3f, observed %.3f, Brier %.4f\n", f.SumPD/float64(f.Rows), float64(f.Bads)/float64(f.Rows), f.Brier)
	for _, g := range f.Grades {
		fmt.Printf("%s: %d rows, %d bads, mean PD %.2f\n", g.Grade, g.Rows, g.Bads, g.MeanPD)
	}
	// Output:
	// mean PD 0.060, observed 0.060, Brier 0.0556
	// A: 100 rows, 3 bads, mean PD 0.02
	// B: 100 rows, 9 bads, mean PD 0.10
}
