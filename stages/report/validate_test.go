package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"lendscore/models/metrics"
	"lendscore/models/scorecard"
)

func TestRate(t *testing.T) {
	hi := AtLeast{Green: 0.70, Amber: 0.60}
	lo := Below{Green: 0.10, Amber: 0.25}
	for _, c := range []struct {
		v      float64
		hi, lo Status
	}{
		{0.75, Green, Red},
		{0.70, Green, Red}, // AtLeast includes the bound
		{0.6999, Amber, Red},
		{0.60, Amber, Red},
		{0.5999, Red, Red},
		{0.25, Red, Red}, // Below excludes the bound
		{0.2499, Red, Amber},
		{0.10, Red, Amber},
		{0.0999, Red, Green},
		{0, Red, Green},
		{math.NaN(), Red, Red},
	} {
		if got := hi.Rate(c.v); got != c.hi {
			t.Errorf("AtLeast.Rate(%v) = %s, want %s", c.v, got, c.hi)
		}
		if got := lo.Rate(c.v); got != c.lo {
			t.Errorf("Below.Rate(%v) = %s, want %s", c.v, got, c.lo)
		}
	}
	if got, want := hi.Rule(), "green ≥ 0.7, amber ≥ 0.6"; got != want {
		t.Errorf("Rule = %q, want %q", got, want)
	}
	if got, want := lo.Rule(), "green < 0.1, amber < 0.25"; got != want {
		t.Errorf("Rule = %q, want %q", got, want)
	}
}

func TestThresholdsResolve(t *testing.T) {
	got, err := Thresholds{PSI: Below{Green: 0.05, Amber: 0.2}}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultThresholds()
	want.PSI = Below{Green: 0.05, Amber: 0.2}
	if got != want {
		t.Errorf("resolve kept %+v, want the set band and defaults elsewhere: %+v", got, want)
	}
	for _, bad := range []Thresholds{
		{AUC: AtLeast{Green: 0.6, Amber: 0.7}},
		{CSI: Below{Green: 0.3, Amber: 0.2}},
		{KS: AtLeast{Green: math.NaN(), Amber: 0.1}},
		{HHI: Below{Green: 0.1, Amber: math.Inf(1)}},
	} {
		if _, err := bad.resolve(); err == nil {
			t.Errorf("resolve(%+v) accepted an inverted or infinite band", bad)
		}
	}
}

// testScorecard has one characteristic with two attributes of 50 training
// rows each and the master scale A (PD ≤ 5%), B (≤ 20%), C.
func testScorecard() *scorecard.Scorecard {
	return &scorecard.Scorecard{
		Model: "toy", Version: "v1",
		Characteristics: []scorecard.Characteristic{{
			Name: "age", Kind: "numeric",
			Attributes: []scorecard.Attribute{
				{Label: "[-inf, 30)", Interval: true, Count: 50, Bads: 10, WOE: -0.5, Points: 20},
				{Label: "[30, inf)", Interval: true, Count: 50, Bads: 5, WOE: 0.4, Points: 40},
			},
		}},
		Grades: []scorecard.Grade{{Name: "A", MaxPD: 0.05}, {Name: "B", MaxPD: 0.2}, {Name: "C", MaxPD: 1}},
	}
}

// toyGrade is the grade and PD of a toy score: ≤ 5 → C (40%), ≤ 12 → B
// (10%), else A (2%).
func toyGrade(s float64) (string, float64) {
	switch {
	case s <= 5:
		return "C", 0.4
	case s <= 12:
		return "B", 0.1
	}
	return "A", 0.02
}

func toySample(name string, score []float64, bads ...float64) Sample {
	s := Sample{Name: name, Score: score, Bad: make([]int8, len(score)), PD: make([]float64, len(score)), Grade: make([]string, len(score))}
	for k, x := range score {
		for _, b := range bads {
			if x == b {
				s.Bad[k] = 1
			}
		}
		s.Grade[k], s.PD[k] = toyGrade(x)
	}
	return s
}

// toyInput is the hand-computed validation case:
//
// train: scores 1…20 (higher = better), bads at 1, 2, 3, 5, 8, 12.
// test:  scores 0.5, 1, …, 7 and 11…16, bads at 0.5, 2, 4.5, 6.5, 11, 13;
// attribute 0 for its first 15 rows, 1 for the last 5.
// oot:   scores 1…5, one bad at 1.
func toyInput() ValidationInput {
	var tr, te, oot []float64
	for k := 1; k <= 20; k++ {
		tr = append(tr, float64(k))
	}
	for k := 1; k <= 14; k++ {
		te = append(te, 0.5*float64(k))
	}
	for k := 11; k <= 16; k++ {
		te = append(te, float64(k))
	}
	for k := 1; k <= 5; k++ {
		oot = append(oot, float64(k))
	}
	test := toySample("test", te, 0.5, 2, 4.5, 6.5, 11, 13)
	test.Attr = [][]uint16{make([]uint16, 20)}
	for k := 15; k < 20; k++ {
		test.Attr[0][k] = 1
	}
	return ValidationInput{
		Samples: []Sample{
			toySample("train", tr, 1, 2, 3, 5, 8, 12),
			test,
			toySample("oot", oot, 1),
		},
		Higher:    metrics.HigherGood,
		Scorecard: testScorecard(),
		PSIBins:   2,
	}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestValidateToy(t *testing.T) {
	v, err := Validate(toyInput(), DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	if v.Reference != "train" || v.Higher != "good" {
		t.Errorf("reference %q, higher %q; want train, good", v.Reference, v.Higher)
	}
	// Train PSI bins with 2 bins: the edge is the 10th smallest score, 10.
	if got := v.ReferenceScore; len(got.Edges) != 1 || got.Edges[0] != 10 || got.Counts[0] != 10 || got.Counts[1] != 10 {
		t.Errorf("reference score bins %+v, want edges [10] counts [10 10]", got)
	}

	// The lights, computed independently (pairs counted by hand, p-values
	// from a continued-fraction incomplete beta in Python):
	//
	// train AUC: of the 6·14 (bad, good) pairs the bad scores lower in
	// 14+14+14+13+11+8 = 74, AUC = 74/84 = 0.880952; KS peaks at score 8:
	// 5/6 − 3/14 = 0.619048. Grades: A 8 rows 0 bads (PD 2%), B 7 rows 2 bads
	// (10%), C 5 rows 4 bads (40%); Jeffreys p = BetaCDF(PD; d+½, n−d+½):
	// A 0.436403, B 0.065915, C 0.034320. Hosmer-Lemeshow over the three PD
	// groups: (0−0.16)²/(0.16·0.98) + (2−0.7)²/(0.7·0.9) + (4−2)²/(2·0.6) =
	// 6.179138, df 1, p = erfc(√(x/2)) = 0.012927. HHI of 8, 7, 5 rows:
	// 0.4²+0.35²+0.25² = 0.345, normalised (0.345−⅓)/(⅔) = 0.0175.
	//
	// test AUC 46/84 = 0.547619, KS 0.214286; Jeffreys A (4 rows, 1 bad)
	// 0.014909, B (6, 2) 0.045548, C (10, 3) 0.734925; HL 14.842215, p
	// 0.000117; HHI of 4, 6, 10: (0.38−⅓)/(⅔) = 0.07. PSI: 14 of 20 test
	// scores ≤ 10 against 10 of 20 train scores: 0.2·ln 1.4 + 0.2·ln(1/0.6)
	// = 0.169460. CSI of age: 15/5 rows against the scorecard's 50/50:
	// 0.25·ln 1.5 + 0.25·ln 2 = 0.274653.
	//
	// Central tendency, observed defaults over the sum of PDs: train 6 / (8·0.02 + 7·0.10 +
	// 5·0.40 = 2.86) = 2.097902 (red: beyond ×1.5); test 6 / (4·0.02 + 6·0.10 + 10·0.40 =
	// 4.68) = 1.282051 (amber: within ×1.5, not ×1.25); oot 1 / (5·0.40) = 0.5 (red).
	//
	// oot: one bad, so no AUC or KS and a single PD group, so no HL; Jeffreys
	// C (5, 1) 0.815393; all rows in C: HHI 1; PSI with every score ≤ 10 and
	// the empty bin at 1e-4: 0.5·ln 2 + (1e-4−0.5)·ln(1e-4/0.5) = 4.604318.
	want := []Light{
		{Figure: FigureAUC, Sample: "train", Value: 74.0 / 84, Status: Green},
		{Figure: FigureKS, Sample: "train", Value: 5.0/6 - 3.0/14, Status: Green},
		{Figure: FigureDRRatio, Sample: "train", Value: 6 / 2.86, Status: Red},
		{Figure: FigureHL, Sample: "train", Value: 0.012926521290520028, Status: Amber},
		{Figure: FigureJeffreys, Sample: "train", Subject: "A", Value: 0.43640301829586026, Status: Green},
		{Figure: FigureJeffreys, Sample: "train", Subject: "B", Value: 0.06591549125325832, Status: Green},
		{Figure: FigureJeffreys, Sample: "train", Subject: "C", Value: 0.034320049658929916, Status: Amber},
		{Figure: FigureHHI, Sample: "train", Value: 0.0175, Status: Green},
		{Figure: FigureAUC, Sample: "test", Value: 46.0 / 84, Status: Red},
		{Figure: FigureKS, Sample: "test", Value: 0.2142857142857143, Status: Amber},
		{Figure: FigureDRRatio, Sample: "test", Value: 6 / 4.68, Status: Amber},
		{Figure: FigureHL, Sample: "test", Value: 0.00011688956317735887, Status: Red},
		{Figure: FigureJeffreys, Sample: "test", Subject: "A", Value: 0.014909362555795702, Status: Amber},
		{Figure: FigureJeffreys, Sample: "test", Subject: "B", Value: 0.045548314956402255, Status: Amber},
		{Figure: FigureJeffreys, Sample: "test", Subject: "C", Value: 0.7349254794934903, Status: Green},
		{Figure: FigureHHI, Sample: "test", Value: 0.07, Status: Green},
		{Figure: FigurePSI, Sample: "test", Value: 0.16945957207744072, Status: Amber},
		{Figure: FigureCSI, Sample: "test", Subject: "age", Value: 0.2746530721670274, Status: Red},
		{Figure: FigureDRRatio, Sample: "oot", Value: 0.5, Status: Red},
		{Figure: FigureJeffreys, Sample: "oot", Subject: "C", Value: 0.8153926815910115, Status: Green},
		{Figure: FigureHHI, Sample: "oot", Value: 1, Status: Red},
		{Figure: FigurePSI, Sample: "oot", Value: 4.60431846666895, Status: Red},
	}
	if len(v.Lights) != len(want) {
		for _, l := range v.Lights {
			t.Logf("%+v", l)
		}
		t.Fatalf("%d lights, want %d", len(v.Lights), len(want))
	}
	for i, w := range want {
		g := v.Lights[i]
		if g.Figure != w.Figure || g.Sample != w.Sample || g.Subject != w.Subject || g.Status != w.Status || !near(g.Value, w.Value, 1e-9) {
			t.Errorf("light %d = %+v, want %+v", i, g, w)
		}
		if g.Rule == "" {
			t.Errorf("light %d has no rule", i)
		}
	}
	if v.Status != Red {
		t.Errorf("overall status %s, want red", v.Status)
	}

	// The per-grade table of train: counts, bads and rates by hand; the
	// test p-values agree with the Python values above.
	type row struct {
		grade       string
		rows, bads  int
		dr, pd      float64
		binom, jeff float64
	}
	wantCal := []row{
		{"A", 8, 0, 0, 0.02, 1, 0.43640301829586026},
		{"B", 7, 2, 2.0 / 7, 0.1, 0.14969439999999998, 0.06591549125325832},
		{"C", 5, 4, 0.8, 0.4, 0.08704000000000006, 0.034320049658929916},
	}
	cal := v.Sample("train").Calibration
	if len(cal) != len(wantCal) {
		t.Fatalf("train calibration has %d grades, want %d", len(cal), len(wantCal))
	}
	for i, w := range wantCal {
		g := cal[i]
		if g.Grade != w.grade || g.Rows != w.rows || g.Bads != w.bads || !near(g.BadRate, w.dr, 1e-15) ||
			!near(g.MeanPD, w.pd, 1e-15) || !near(g.BinomialP, w.binom, 1e-9) || !near(g.JeffreysP, w.jeff, 1e-9) {
			t.Errorf("train grade %d = %+v, want %+v", i, g, w)
		}
	}
	if h := v.Sample("train").HHI; h.Grades != 3 || !near(h.HHI, 0.345, 1e-12) {
		t.Errorf("train HHI %+v, want 0.345 over 3 grades", h)
	}

	oot := v.Sample("oot")
	if oot.Metrics != nil || oot.Gains != nil || oot.ROC != nil || oot.HosmerLemeshow != nil {
		t.Errorf("oot with one bad has discrimination figures: %+v", oot)
	}
	if len(oot.Notes) != 2 || !strings.Contains(oot.Notes[0], "no discrimination figures") || !strings.Contains(oot.Notes[1], "hosmer-lemeshow") {
		t.Errorf("oot notes %q, want why AUC and HL are missing", oot.Notes)
	}
	// The HHI of oot counts the empty grades A and B of the master scale.
	if h := oot.HHI; h.Grades != 3 || h.HHI != 1 || h.Normalized != 1 {
		t.Errorf("oot HHI %+v, want 1 over 3 grades", h)
	}

	// Histogram: 20 equal bins over [0.5, 20] shared by all samples.
	h := v.Sample("train").Histogram
	if len(h.Edges) != 21 || h.Edges[0] != 0.5 || h.Edges[20] != 20 {
		t.Errorf("histogram edges %v, want 21 edges from 0.5 to 20", h.Edges)
	}
	goods, bads := 0, 0
	for i := range h.Goods {
		goods += h.Goods[i]
		bads += h.Bads[i]
	}
	if goods != 14 || bads != 6 {
		t.Errorf("train histogram holds %d goods and %d bads, want 14 and 6", goods, bads)
	}

	st := v.Stability()
	if len(st) != 3 || !near(st["psi_score_train_test"], 0.16945957207744072, 1e-12) ||
		!near(st["psi_score_train_oot"], 4.60431846666895, 1e-9) || !near(st["csi_age_train_test"], 0.2746530721670274, 1e-12) {
		t.Errorf("Stability() = %v", st)
	}
	if _, err := json.Marshal(v); err != nil {
		t.Errorf("the validation does not serialise: %v", err)
	}
}

// With attribute indices on the reference sample, CSI compares with them
// rather than with the scorecard's training counts.
func TestValidateCSIFromReferenceSample(t *testing.T) {
	in := toyInput()
	in.Samples[0].Attr = [][]uint16{make([]uint16, 20)}
	for k := 12; k < 20; k++ {
		in.Samples[0].Attr[0][k] = 1
	}
	v, err := Validate(in, Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	// 12/8 against 15/5: 0.15·ln 1.25 + 0.15·ln(1/0.625) = 0.103972.
	c := v.Sample("test").CSI
	if len(c) != 1 || !near(c[0].CSI, 0.10397207708399181, 1e-12) || c[0].Light != Amber {
		t.Errorf("CSI %+v, want 0.103972 amber", c)
	}
	if c[0].Expected[0] != 12 || c[0].Actual[0] != 15 {
		t.Errorf("CSI counts %v against %v, want 12/8 against 15/5", c[0].Expected, c[0].Actual)
	}
}

// A backtest measures against the development baseline.
func TestValidateBaseline(t *testing.T) {
	in := toyInput()
	in.Samples = in.Samples[1:2] // the test sample plays the later snapshot
	dev := metrics.AUCEstimate{AUC: 0.95, SE: 0.01}
	in.Baseline = &Baseline{Score: &ScoreBins{Edges: []float64{10}, Counts: []float64{10, 10}}, AUC: &dev}
	v, err := Validate(in, DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	if v.Reference != DefaultBaselineName {
		t.Errorf("reference %q, want %q", v.Reference, DefaultBaselineName)
	}
	s := v.Samples[0]
	if s.PSI == nil || !near(*s.PSI, 0.16945957207744072, 1e-12) {
		t.Errorf("PSI against the baseline %v, want 0.169460", s.PSI)
	}
	if len(s.CSI) != 1 || !near(s.CSI[0].CSI, 0.2746530721670274, 1e-12) {
		t.Errorf("CSI against the scorecard counts %+v, want 0.274653", s.CSI)
	}
	a := s.AUCChange
	if a == nil {
		t.Fatalf("no AUC change; notes %q", s.Notes)
	}
	// z = (AUC − 0.95)/√(SE² + 0.01²); the one-sided p of a drop is Φ(z).
	z := (s.Metrics.AUC - 0.95) / math.Hypot(s.Metrics.AUCSE, 0.01)
	if !near(a.Diff, 46.0/84-0.95, 1e-12) || !near(a.Z, z, 1e-12) || !near(a.PDrop, 0.5*math.Erfc(-z/math.Sqrt2), 1e-12) {
		t.Errorf("AUC change %+v, want diff %v, z %v", a, 46.0/84-0.95, z)
	}
	if z > -2.33 || a.Light != Red { // Φ(−2.33) ≈ 0.0099
		t.Errorf("AUC fell from 0.95 to 0.55: z %v, light %s, want z < −2.33 and red", z, a.Light)
	}
	if !near(a.P, 2*a.PDrop, 1e-12) {
		t.Errorf("two-sided p %v is not twice the one-sided %v", a.P, a.PDrop)
	}
}

func TestNewScoreBinsMatchesPSI(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a, b := make([]float64, 5000), make([]float64, 3000)
	for i := range a {
		a[i] = math.Round(rng.NormFloat64()*50 + 600)
	}
	for i := range b {
		b[i] = math.Round(rng.NormFloat64()*55 + 590)
	}
	sb, err := NewScoreBins(a, 10)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sb.PSI(b)
	if err != nil {
		t.Fatal(err)
	}
	want, err := metrics.PSI(a, b, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || got == 0 {
		t.Errorf("ScoreBins.PSI = %v, metrics.PSI = %v", got, want)
	}
}

func TestValidateErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*ValidationInput)
		th   Thresholds
		want string
	}{
		{"no samples", func(in *ValidationInput) { in.Samples = nil }, Thresholds{}, "no samples"},
		{"direction", func(in *ValidationInput) { in.Higher = 7 }, Thresholds{}, "direction"},
		{"thresholds", func(in *ValidationInput) {}, Thresholds{PSI: Below{Green: 0.3, Amber: 0.1}}, "thresholds.psi"},
		{"duplicate", func(in *ValidationInput) { in.Samples[1].Name = "train" }, Thresholds{}, "train twice"},
		{"unnamed", func(in *ValidationInput) { in.Samples[1].Name = "" }, Thresholds{}, "without a name"},
		{"labels", func(in *ValidationInput) { in.Samples[0].Bad = in.Samples[0].Bad[1:] }, Thresholds{}, "labels"},
		{"pds", func(in *ValidationInput) { in.Samples[0].PD = in.Samples[0].PD[1:] }, Thresholds{}, "PDs"},
		{"grades", func(in *ValidationInput) { in.Samples[0].Grade = in.Samples[0].Grade[1:] }, Thresholds{}, "grades"},
		{"pd range", func(in *ValidationInput) { in.Samples[2].PD[3] = 1.5 }, Thresholds{}, "not a probability"},
		{"pd nan", func(in *ValidationInput) { in.Samples[2].PD[3] = math.NaN() }, Thresholds{}, "not a probability"},
		{"label value", func(in *ValidationInput) { in.Samples[1].Bad[0] = 2 }, Thresholds{}, "label 2"},
		{"nan score", func(in *ValidationInput) { in.Samples[1].Score[0] = math.NaN() }, Thresholds{}, "score NaN"},
		{"attr without scorecard", func(in *ValidationInput) { in.Scorecard = nil }, Thresholds{}, "no scorecard"},
		{"attr shape", func(in *ValidationInput) { in.Samples[1].Attr = append(in.Samples[1].Attr, nil) }, Thresholds{}, "2 characteristics"},
		{"attr rows", func(in *ValidationInput) { in.Samples[1].Attr[0] = in.Samples[1].Attr[0][1:] }, Thresholds{}, "19 attribute indices"},
		{"attr range", func(in *ValidationInput) { in.Samples[1].Attr[0][4] = 2 }, Thresholds{}, "out of range"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := toyInput()
			c.edit(&in)
			_, err := Validate(in, c.th)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	// A NaN score is bad input, not a thin sample.
	in := toyInput()
	in.Samples[1].Score[0] = math.NaN()
	if _, err := Validate(in, Thresholds{}); !errors.Is(err, metrics.ErrInput) {
		t.Errorf("NaN score: %v, want metrics.ErrInput", err)
	}
}

// Without a reference sample there is no stability, and a note says so.
func TestValidateNoReference(t *testing.T) {
	in := toyInput()
	in.Samples[0].Name = "2024"
	in.Samples[1].Attr = nil
	v, err := Validate(in, Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Reference != "" || v.ReferenceScore != nil || len(v.Stability()) != 0 {
		t.Errorf("stability without a reference: %q %v %v", v.Reference, v.ReferenceScore, v.Stability())
	}
	if len(v.Notes) != 1 || !strings.Contains(v.Notes[0], `no sample "train"`) {
		t.Errorf("notes %q", v.Notes)
	}
	// Another sample may be named the reference.
	in.Reference = "2024"
	v, err = Validate(in, Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Stability(); len(got) != 2 || !near(got["psi_score_2024_test"], 0.16945957207744072, 1e-12) {
		t.Errorf("stability against 2024: %v", got)
	}
}

// The result does not depend on how many samples run at once.
func TestValidateParallelism(t *testing.T) {
	sc := syntheticScorecard()
	samples, _ := syntheticRun(sc, 3000, 1)
	var out [][]byte
	for _, procs := range []int{1, 4} {
		prev := runtime.GOMAXPROCS(procs)
		v, err := Validate(ValidationInput{Samples: samples, Higher: metrics.HigherGood, Scorecard: sc}, Thresholds{})
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, j)
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Error("Validate gives different results with GOMAXPROCS 1 and 4")
	}
}
