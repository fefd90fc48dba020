package report_test

import (
	"bufio"
	"bytes"
	"fmt"
	"log"

	"lendscore/models/metrics"
	"lendscore/stages/report"
)

// twoSamples returns a train and a test sample of scorecard points (higher
// = better) with PDs and grades.
func twoSamples() []report.Sample {
	grade := func(s float64) (string, float64) {
		switch {
		case s < 520:
			return "C", 0.30
		case s < 560:
			return "B", 0.10
		}
		return "A", 0.02
	}
	sample := func(name string, score []float64, bad []int8) report.Sample {
		s := report.Sample{Name: name, Score: score, Bad: bad}
		for _, x := range score {
			g, pd := grade(x)
			s.Grade, s.PD = append(s.Grade, g), append(s.PD, pd)
		}
		return s
	}
	return []report.Sample{
		sample("train",
			[]float64{480, 495, 505, 512, 525, 533, 541, 548, 552, 561, 566, 574, 580, 587, 593, 601},
			[]int8{1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}),
		sample("test",
			[]float64{470, 490, 500, 515, 522, 530, 538, 545, 556, 563, 570, 578, 585, 590, 598, 610},
			[]int8{1, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0}),
	}
}

// Validate on a train and a test sample: the train AUC is 46/55 = 0.8364
// (of the 5·11 bad-good pairs the bad scores lower in 11+11+10+9+5), and
// Hosmer-Lemeshow over the three PD levels flags the 2% grade A, where one
// bad in 7 rows is seven times the expected 0.14.
func ExampleValidate() {
	v, err := report.Validate(report.ValidationInput{
		Samples: twoSamples(),
		Higher:  metrics.HigherGood, // scorecard points: higher is safer
		PSIBins: 4,
	}, report.DefaultThresholds())
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range v.Lights {
		if l.Subject == "" {
			fmt.Printf("%-6s %-17s %.4f %s\n", l.Sample, l.Figure, l.Value, l.Status)
		}
	}
	fmt.Println("overall:", v.Status)
	// Output:
	// train  auc               0.8364 green
	// train  ks                0.6182 green
	// train  default_rate_ratio 2.7174 red
	// train  hosmer_lemeshow_p 0.0017 red
	// train  hhi               0.0273 green
	// test   auc               0.7636 green
	// test   ks                0.5273 green
	// test   default_rate_ratio 2.7174 red
	// test   hosmer_lemeshow_p 0.0017 red
	// test   hhi               0.0273 green
	// test   psi_score         0.0639 green
	// overall: red
}

func ExampleModelCard() {
	v, err := report.Validate(report.ValidationInput{Samples: twoSamples(), Higher: metrics.HigherGood, PSIBins: 4}, report.Thresholds{})
	if err != nil {
		log.Fatal(err)
	}
	md, html, err := report.ModelCard(report.Card{
		Kind:       report.KindEvaluate,
		Model:      report.ModelDetails{Name: "challenger", Score: "points (higher = good)"},
		Validation: v,
	})
	if err != nil {
		log.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(md))
	for sc.Scan() {
		if line := sc.Text(); bytes.HasPrefix([]byte(line), []byte("#")) && !bytes.HasPrefix([]byte(line), []byte("###")) {
			fmt.Println(line)
		}
	}
	fmt.Println("charts:", bytes.Count(html, []byte(`<svg id="chart-`)))
	// Output:
	// # Score evaluation card: challenger
	// ## Traffic-light summary
	// ## Model details
	// ## Intended use
	// ## Evaluation data
	// ## Performance
	// ## Calibration
	// ## Stability
	// ## Caveats
	// charts: 8
}

// A sample summarised batch by batch, as a train run summarises the rows it scores, gives
// the figures of its rows: the train AUC of ExampleValidate, from two batches.
func ExampleSummaryBuilder() {
	train := twoSamples()[0]
	b := report.NewSummaryBuilder(nil, false, nil) // no scorecard; PDs stay in memory
	for _, part := range [][2]int{{0, 9}, {9, 16}} {
		lo, hi := part[0], part[1]
		err := b.Add(report.Sample{Score: train.Score[lo:hi], Bad: train.Bad[lo:hi], PD: train.PD[lo:hi], Grade: train.Grade[lo:hi]})
		if err != nil {
			log.Fatal(err)
		}
	}
	sum, err := b.Summary()
	if err != nil {
		log.Fatal(err)
	}
	v, err := report.Validate(report.ValidationInput{
		Samples: []report.Sample{{Name: "train", Summary: sum}},
		Higher:  metrics.HigherGood,
	}, report.DefaultThresholds())
	if err != nil {
		log.Fatal(err)
	}
	s := v.Sample("train")
	fmt.Printf("rows %d, bads %d, AUC %.4f, grades %d\n", s.Rows, s.Bads, s.Metrics.AUC, len(s.Calibration))
	// Output: rows 16, bads 5, AUC 0.8364, grades 3
}
