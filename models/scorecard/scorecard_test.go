package scorecard

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"
)

func f(v float64) *float64 { return &v }

// testCard is a two-characteristic scorecard whose points are checked by hand below.
func testCard(t *testing.T) *Scorecard {
	t.Helper()
	s := &Scorecard{
		Format: FormatV1, Model: "m", Version: "1",
		Intercept: -1.0,
		Scaling:   DefaultScaling(),
		Characteristics: []Characteristic{
			{
				Name: "age", Kind: "numeric", Coefficient: -0.8, ReasonCode: "age",
				Attributes: []Attribute{
					{Label: "[-inf, 30)", Interval: true, Upper: f(30), WOE: -0.5},
					{Label: "[30, 50)", Interval: true, Lower: f(30), Upper: f(50), WOE: 0.2},
					{Label: "[50, inf)", Interval: true, Lower: f(50), WOE: 0.6},
					{Label: "missing", Missing: true, WOE: -0.1},
					{Label: "special -1", Special: []float64{-1}, WOE: -1.0},
				},
				MissingAttribute: 3,
			},
			{
				Name: "housing", Kind: "categorical", Coefficient: -1.0, ReasonCode: "housing",
				Attributes: []Attribute{
					{Label: "{rent}", Categories: []string{"rent"}, WOE: -0.4},
					{Label: "{own, free}", Categories: []string{"own", "free"}, WOE: 0.3},
					{Label: "missing", Missing: true, WOE: 0},
				},
				MissingAttribute: 2, UnseenAttribute: 0, UnseenRule: "riskiest bin",
			},
		},
		Grades: DefaultGrades(),
		Tiers:  DefaultTiers(),
	}
	s.AssignPoints()
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestScaling(t *testing.T) {
	s := DefaultScaling()
	// factor = 20/ln2 = 28.853900817779268; offset = 600 − factor·ln 50 = 487.1228762045055
	if math.Abs(s.Factor()-28.853900817779268) > 1e-12 || math.Abs(s.Offset()-487.1228762045055) > 1e-9 {
		t.Fatalf("factor %v offset %v", s.Factor(), s.Offset())
	}
}

func TestPointsByHand(t *testing.T) {
	s := testCard(t)
	// age [50, inf): −28.8539·(−0.8·0.6 + (−1)/2) + 487.1229/2 = 28.2769 + 243.5614 = 271.84 → 272
	// housing {own, free}: −28.8539·(−1·0.3 − 0.5) + 243.5614 = 23.0831 + 243.5614 = 266.64 → 267
	if got := s.Characteristics[0].Attributes[2].Points; got != 272 {
		t.Errorf("age [50,inf) points %d, want 272", got)
	}
	if got := s.Characteristics[1].Attributes[1].Points; got != 267 {
		t.Errorf("housing own points %d, want 267", got)
	}
	r := s.ScoreAttributes([]int{2, 1}, nil)
	if r.Score != 272+267 {
		t.Errorf("score %d", r.Score)
	}
	// PD = logistic(−1 + (−0.8)(0.6) + (−1)(0.3)) = logistic(−1.78) = 0.14430...
	want := 1 / (1 + math.Exp(1.78))
	if math.Abs(r.PD-want) > 1e-15 {
		t.Errorf("pd %v, want %v", r.PD, want)
	}
	if r.Grade != "F" || r.Tier != TierHighRisk {
		t.Errorf("grade %s tier %s", r.Grade, r.Tier)
	}
	if r.Reasons != [3]string{} {
		t.Errorf("a row at maximum points has reasons %v", r.Reasons)
	}
	// The unrounded score matches the PD: score ≈ offset + factor·ln((1−pd)/pd).
	exact := s.Scaling.Offset() + s.Scaling.Factor()*math.Log((1-r.PD)/r.PD)
	if math.Abs(exact-float64(r.Score)) > 1 {
		t.Errorf("score %d far from exact %v", r.Score, exact)
	}
}

func TestLookup(t *testing.T) {
	s := testCard(t)
	age, housing := &s.Characteristics[0], &s.Characteristics[1]
	tests := []struct {
		x    float64
		want int
	}{
		{math.Inf(-1), 0}, {29.999, 0}, {30, 1}, {49.9, 1}, {50, 2}, {1e300, 2}, {math.NaN(), 3}, {-1, 4},
	}
	for _, tt := range tests {
		if got := age.NumericAttribute(tt.x); got != tt.want {
			t.Errorf("age %v → %d, want %d", tt.x, got, tt.want)
		}
	}
	cats := []struct {
		s     string
		valid bool
		want  int
	}{{"rent", true, 0}, {"own", true, 1}, {"free", true, 1}, {"castle", true, 0}, {"", false, 2}}
	for _, tt := range cats {
		if got := housing.CategoryAttribute(tt.s, tt.valid); got != tt.want {
			t.Errorf("housing %q → %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestReasonsWorstFirst(t *testing.T) {
	s := testCard(t)
	// age special −1 (WOE −1) loses more than housing rent (WOE −0.4).
	r := s.ScoreAttributes([]int{4, 0}, s.MaxPointsAll())
	if r.Reasons != [3]string{"age", "housing", ""} {
		t.Errorf("reasons %v", r.Reasons)
	}
	r = s.ScoreAttributes([]int{2, 0}, nil)
	if r.Reasons != [3]string{"housing", "", ""} {
		t.Errorf("reasons %v", r.Reasons)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	s := testCard(t)
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, attrs := range [][]int{{0, 0}, {1, 2}, {4, 1}} {
		if a, b := s.ScoreAttributes(attrs, nil), back.ScoreAttributes(attrs, nil); a != b {
			t.Errorf("%v: %+v != %+v", attrs, a, b)
		}
	}
	b2, _ := back.Marshal()
	if string(b) != string(b2) {
		t.Error("JSON does not round-trip byte for byte")
	}
}

func TestPrepareRefuses(t *testing.T) {
	tests := []struct {
		name string
		edit func(s *Scorecard)
		want string
	}{
		{"gap", func(s *Scorecard) { s.Characteristics[0].Attributes[1].Lower = f(31) }, "gap"},
		{"not covering", func(s *Scorecard) { s.Characteristics[0].Attributes[0].Lower = f(0) }, "cover"},
		{"duplicate category", func(s *Scorecard) { s.Characteristics[1].Attributes[0].Categories = []string{"own"} }, "two attributes"},
		{"missing index", func(s *Scorecard) { s.Characteristics[1].MissingAttribute = 9 }, "missing_attribute"},
		{"nan woe", func(s *Scorecard) { s.Characteristics[1].Attributes[0].WOE = math.NaN() }, "WOE"},
		{"grades", func(s *Scorecard) { s.Grades[2].MaxPD = 0.001 }, "does not increase"},
		{"unnamed grade", func(s *Scorecard) { s.Grades[0].Name = "" }, "no name"},
		{"duplicate grade", func(s *Scorecard) { s.Grades[1].Name = "A" }, "A twice"},
		{"grade not covering", func(s *Scorecard) { s.Grades = s.Grades[:3] }, "not 1"},
		{"tiers crossed", func(s *Scorecard) { s.Tiers = Tiers{PrimeMaxPD: 0.5, HighRiskMinPD: 0.1} }, "tiers"},
		{"unnamed characteristic", func(s *Scorecard) { s.Characteristics[0].Name = "" }, "no name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testCard(t)
			tt.edit(s)
			err := s.Prepare()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := Unmarshal([]byte(`{"format":"other"}`)); err == nil {
		t.Error("foreign format accepted")
	}
}

func TestPMML(t *testing.T) {
	s := testCard(t)
	b, err := s.PMML("test")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{
		`<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">`,
		`useReasonCodes="true" reasonCodeAlgorithm="pointsBelow"`,
		`baselineMethod="max"`,
		`<SimplePredicate field="age" operator="isMissing"></SimplePredicate>`,
		`<SimplePredicate field="age" operator="equal" value="-1"></SimplePredicate>`,
		`<SimplePredicate field="age" operator="greaterOrEqual" value="30"></SimplePredicate>`,
		`<Array n="2" type="string">&#34;own&#34; &#34;free&#34;</Array>`,
		`<True></True>`,
		`feature="reasonCode" rank="1"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("PMML lacks %s", want)
		}
	}
	// Well-formed, and every Attribute holds exactly one predicate.
	var doc struct {
		Chars []struct {
			Name     string `xml:"name,attr"`
			Baseline int    `xml:"baselineScore,attr"`
			Attrs    []struct {
				Score int `xml:"partialScore,attr"`
				Inner []struct {
					XMLName xml.Name
				} `xml:",any"`
			} `xml:"Attribute"`
		} `xml:"Scorecard>Characteristics>Characteristic"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Chars) != 2 {
		t.Fatalf("%d characteristics", len(doc.Chars))
	}
	// age: missing, special, 3 intervals; housing: missing, 2 sets, catch-all.
	if n0, n1 := len(doc.Chars[0].Attrs), len(doc.Chars[1].Attrs); n0 != 5 || n1 != 4 {
		t.Errorf("attributes %d and %d, want 5 and 4", n0, n1)
	}
	for _, c := range doc.Chars {
		for _, a := range c.Attrs {
			if len(a.Inner) != 1 {
				t.Errorf("%s: attribute with %d predicates", c.Name, len(a.Inner))
			}
		}
	}
	if doc.Chars[0].Baseline != s.Characteristics[0].MaxPoints() {
		t.Errorf("baseline %d", doc.Chars[0].Baseline)
	}
}
