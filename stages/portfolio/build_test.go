package portfolio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"lendscore/stages/report"
)

// tenCustomers are scored customers whose aggregates are worked out by hand in the tests.
func tenCustomers() Customers {
	return Customers{
		Score:        []int32{620, 610, 580, 575, 560, 555, 540, 520, 500, 590},
		PD:           []float64{0.01, 0.015, 0.03, 0.035, 0.05, 0.06, 0.07, 0.12, 0.20, 0.025},
		Grade:        []string{"A", "A", "B", "B", "C", "C", "C", "D", "D", "B"},
		Tier:         []string{"prime", "prime", "standard", "standard", "standard", "standard", "standard", "high_risk", "high_risk", "standard"},
		Segment:      []int32{0, 0, 1, 1, 0, 1, 2, 2, -1, 0},
		SegmentNames: []string{"established, digital", "mass market", "stretched"},
		Warnings: [][]string{nil, {"score_drop"}, {}, {"new_dpd30", "score_drop", "new_dpd30"}, nil,
			{"high_utilisation"}, nil, {"score_drop"}, {"new_dpd30"}, nil},
		Grades: []string{"A", "B", "C", "D", "E"},
	}
}

// developmentBins are the score bins of a development sample of 20 scores.
func developmentBins(t testing.TB) *report.ScoreBins {
	dev := []float64{480, 495, 505, 512, 525, 533, 541, 548, 552, 561, 566, 574, 580, 587, 593, 601, 606, 612, 618, 630}
	b, err := report.NewScoreBins(dev, 5)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func build(t *testing.T, c Customers, dev *report.ScoreBins, o Options) *Report {
	t.Helper()
	loans, reps := handBook()
	r, err := Build(t.Context(), Input{
		AsOf:  asOfTest,
		Loans: []arrow.Record{loansRecord(t, loans)}, Repayments: []arrow.Record{repaymentsRecord(t, reps)},
		Customers: c, Development: dev, Model: "retail", ModelVersion: "v3", RunID: "20250101T020000Z-ab12",
	}, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHighRiskShare(t *testing.T) {
	// Two of the ten customers are high_risk: a share of 0.2.
	for _, c := range []struct {
		target float64
		want   string
	}{{0, AboveTarget}, {0.10, AboveTarget}, {0.19, AboveTarget}, {0.20, WithinTarget}, {0.25, WithinTarget}} {
		r := build(t, tenCustomers(), nil, Options{HighRiskTarget: c.target})
		h := r.HighRisk
		wantTarget := c.target
		if wantTarget == 0 {
			wantTarget = 0.10 // the default
		}
		if h.Customers != 2 || h.Share != 0.2 || h.Target != wantTarget || h.Status != c.want {
			t.Errorf("target %v: %+v, want 2 customers, share 0.2, target %v, %s", c.target, h, wantTarget, c.want)
		}
	}
	if _, err := (Options{HighRiskTarget: 1.5}).withDefaults(); err == nil {
		t.Error("a target of 150% was accepted")
	}
}

func TestCustomerCounts(t *testing.T) {
	r := build(t, tenCustomers(), nil, Options{})
	if r.Customers != 10 {
		t.Errorf("customers = %d", r.Customers)
	}
	wantTiers := []Count{{"prime", 2, 0.2}, {"standard", 6, 0.6}, {"high_risk", 2, 0.2}}
	if !reflect.DeepEqual(r.Tiers, wantTiers) {
		t.Errorf("tiers %+v, want %+v", r.Tiers, wantTiers)
	}

	// Grades: A 2, B 3, C 3, D 2, E 0. Mean PD of A (0.01 + 0.015)/2 = 0.0125, mean score
	// (620 + 610)/2 = 615. HHI 0.2² + 0.3² + 0.3² + 0.2² = 0.26; normalised over five
	// grades (0.26 − 0.2)/(1 − 0.2) = 0.075: green (< 0.20).
	g := r.Grades
	wantN := []int64{2, 3, 3, 2, 0}
	for k, gc := range g.Grades {
		if gc.Name != "ABCDE"[k:k+1] || gc.Customers != wantN[k] {
			t.Errorf("grade %d: %s %d, want %s %d", k, gc.Name, gc.Customers, "ABCDE"[k:k+1], wantN[k])
		}
	}
	if a := g.Grades[0]; math.Abs(*a.MeanPD-0.0125) > 1e-15 || *a.MeanScore != 615 {
		t.Errorf("grade A: mean PD %v, mean score %v; want 0.0125, 615", *a.MeanPD, *a.MeanScore)
	}
	if e := g.Grades[4]; e.MeanPD != nil || e.MeanScore != nil {
		t.Errorf("empty grade E has means %v %v", e.MeanPD, e.MeanScore)
	}
	if math.Abs(g.HHI-0.26) > 1e-12 || math.Abs(g.HHINormalized-0.075) > 1e-12 || g.HHIStatus != report.Green {
		t.Errorf("HHI %v, normalised %v, %s; want 0.26, 0.075, green", g.HHI, g.HHINormalized, g.HHIStatus)
	}

	// Segment × grade, by hand:
	//   established, digital: rows 0 (A), 1 (A), 4 (C), 9 (B)
	//   mass market:          rows 2 (B), 3 (B), 5 (C)
	//   stretched:            rows 6 (C), 7 (D)
	//   unassigned:           row 8 (D)
	want := &SegmentGrade{
		Grades: []string{"A", "B", "C", "D", "E"},
		Segments: []SegmentRow{
			{ID: 0, Name: "established, digital", Customers: 4, Share: 0.4, Counts: []int64{2, 1, 1, 0, 0}},
			{ID: 1, Name: "mass market", Customers: 3, Share: 0.3, Counts: []int64{0, 2, 1, 0, 0}},
			{ID: 2, Name: "stretched", Customers: 2, Share: 0.2, Counts: []int64{0, 0, 1, 1, 0}},
			{ID: -1, Name: "unassigned", Customers: 1, Share: 0.1, Counts: []int64{0, 0, 0, 1, 0}},
		},
		Totals: []int64{2, 3, 3, 2, 0},
	}
	if !reflect.DeepEqual(r.Segments, want) {
		t.Errorf("segment × grade\n got %+v\nwant %+v", r.Segments, want)
	}

	// Warnings: rows 1, 3, 5, 7, 8 have some (row 2's list is empty). score_drop: rows 1,
	// 3, 7; new_dpd30: rows 3 (listed twice, counted once) and 8; high_utilisation: row 5.
	wantW := Warnings{Customers: 5, Share: 0.5, ByCode: []Count{{"score_drop", 3, 0.3}, {"new_dpd30", 2, 0.2}, {"high_utilisation", 1, 0.1}}}
	if !reflect.DeepEqual(r.Warnings, wantW) {
		t.Errorf("warnings %+v, want %+v", r.Warnings, wantW)
	}

	// Σ PD = 0.615 over 10 customers; Σ score = 5650.
	s := r.Score
	if math.Abs(s.ExpectedDefaults-0.615) > 1e-12 || math.Abs(s.MeanPD-0.0615) > 1e-12 || s.MeanScore != 565 {
		t.Errorf("expected defaults %v, mean PD %v, mean score %v; want 0.615, 0.0615, 565", s.ExpectedDefaults, s.MeanPD, s.MeanScore)
	}
	if s.PSI != nil || len(s.Bins) != 0 {
		t.Errorf("PSI without a development sample: %v, %d bins", s.PSI, len(s.Bins))
	}
}

func TestSegmentationOffAndDefaultNames(t *testing.T) {
	c := tenCustomers()
	c.Segment, c.SegmentNames = nil, nil
	if r := build(t, c, nil, Options{}); r.Segments != nil {
		t.Errorf("segmentation off, yet a segment × grade matrix %+v", r.Segments)
	}
	c = tenCustomers()
	c.SegmentNames, c.Grades = nil, nil
	r := build(t, c, nil, Options{})
	var names []string
	for _, s := range r.Segments.Segments {
		names = append(names, s.Name)
	}
	if strings.Join(names, "|") != "segment 0|segment 1|segment 2|unassigned" || strings.Join(r.Segments.Grades, "") != "ABCD" {
		t.Errorf("default names %q, grades %v", names, r.Segments.Grades)
	}
	// Ids from 1, as package segment numbers them: id 0 has no name and no customer, and
	// is left out; a named segment without customers stays.
	c = tenCustomers()
	for i, s := range c.Segment {
		if s >= 0 {
			c.Segment[i] = s + 1
		}
	}
	c.SegmentNames = append([]string{""}, append(c.SegmentNames, "empty")...)
	r = build(t, c, nil, Options{})
	var rows []string
	for _, s := range r.Segments.Segments {
		rows = append(rows, fmt.Sprint(s.ID, " ", s.Name, " ", s.Customers))
	}
	if got := strings.Join(rows, "|"); got != "1 established, digital 4|2 mass market 3|3 stretched 2|4 empty 0|-1 unassigned 1" {
		t.Errorf("segments numbered from 1: %s", got)
	}
}

func TestScorePSI(t *testing.T) {
	dev := developmentBins(t)
	c := tenCustomers()
	r := build(t, c, dev, Options{})
	scores := make([]float64, c.Len())
	for i, s := range c.Score {
		scores[i] = float64(s)
	}
	want, err := dev.PSI(scores)
	if err != nil {
		t.Fatal(err)
	}
	s := r.Score
	if s.PSI == nil || *s.PSI != want {
		t.Fatalf("PSI %v, want ScoreBins.PSI %v", s.PSI, want)
	}
	if s.PSIStatus != report.DefaultThresholds().PSI.Rate(want) {
		t.Errorf("PSI %v rated %s", want, s.PSIStatus)
	}
	// Five development bins of four scores each, cut at the 4th, 8th, 12th and 16th
	// smallest development scores: 512, 548, 574, 601. Tonight's scores: ≤ 512: 500;
	// (512, 548]: 520, 540; (548, 574]: 555, 560; (574, 601]: 575, 580, 590; > 601: 610, 620.
	wantTonight := []int64{1, 2, 2, 3, 2}
	wantEdges := []float64{512, 548, 574, 601}
	if len(s.Bins) != 5 {
		t.Fatalf("%d bins, want 5", len(s.Bins))
	}
	for k, b := range s.Bins {
		if b.Tonight != wantTonight[k] || b.Development != 4 || b.DevelopmentShare != 0.2 || b.TonightShare != float64(wantTonight[k])/10 {
			t.Errorf("bin %d: %+v, want tonight %d, development 4", k, b, wantTonight[k])
		}
		if (k > 0 && *b.Lower != wantEdges[k-1]) || (k == 0 && b.Lower != nil) || (k < 4 && *b.Upper != wantEdges[k]) || (k == 4 && b.Upper != nil) {
			t.Errorf("bin %d bounds %v %v", k, b.Lower, b.Upper)
		}
	}
	// By hand: PSI = Σ (a − 0.2)·ln(a/0.2) over a = 0.1, 0.2, 0.2, 0.3, 0.2
	//             = −0.1·ln 0.5 + 0.1·ln 1.5 = 0.1·ln 3 ≈ 0.1099: amber (0.10 ≤ PSI < 0.25).
	if math.Abs(want-0.1*math.Log(3)) > 1e-12 || s.PSIStatus != report.Amber {
		t.Errorf("PSI %v (%s), by hand 0.1·ln 3 = %v, amber", want, s.PSIStatus, 0.1*math.Log(3))
	}
}

func TestCustomerInputErrors(t *testing.T) {
	for name, c := range map[string]func(*Customers){
		"short pd":        func(c *Customers) { c.PD = c.PD[:3] },
		"short segment":   func(c *Customers) { c.Segment = c.Segment[:3] },
		"short warnings":  func(c *Customers) { c.Warnings = c.Warnings[:1] },
		"NaN pd":          func(c *Customers) { c.PD[4] = math.NaN() },
		"unknown grade":   func(c *Customers) { c.Grade[2] = "Z" },
		"repeated grade":  func(c *Customers) { c.Grades = []string{"A", "B", "A"} },
		"unnamed segment": func(c *Customers) { c.Segment[1] = 7 },
	} {
		cs := tenCustomers()
		c(&cs)
		loans, reps := handBook()
		_, err := Build(t.Context(), Input{AsOf: asOfTest, Loans: []arrow.Record{loansRecord(t, loans)}, Repayments: []arrow.Record{repaymentsRecord(t, reps)}, Customers: cs}, Options{})
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Build(t.Context(), Input{Customers: tenCustomers()}, Options{}); err == nil {
		t.Error("no as_of: no error")
	}
}

func TestNoCustomersNoLoans(t *testing.T) {
	r, err := Build(t.Context(), Input{AsOf: asOfTest, Development: developmentBins(t)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Loans.Loans != 0 || r.Loans.NPLRatio != 0 || r.Customers != 0 || r.Score.PSI != nil || r.HighRisk.Status != WithinTarget {
		t.Errorf("empty run: %+v", r)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Errorf("JSON of an empty report: %v", err)
	}
	if _, _, err := Render(r); err != nil {
		t.Errorf("render of an empty report: %v", err)
	}
}

func TestDeterministic(t *testing.T) {
	var first [3][]byte
	for i := range 3 {
		r := build(t, tenCustomers(), developmentBins(t), Options{})
		j, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		md, html, err := Render(r)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = [3][]byte{j, md, html}
			continue
		}
		for k, b := range [][]byte{j, md, html} {
			if !bytes.Equal(b, first[k]) {
				t.Errorf("run %d: output %d differs", i, k)
			}
		}
	}
}
