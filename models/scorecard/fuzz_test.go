package scorecard

import (
	"math"
	"testing"
)

// FuzzUnmarshal checks that the model loader never panics on a damaged scorecard.json, and
// that a scorecard it accepts scores every kind of value without panicking or giving a NaN.
func FuzzUnmarshal(f *testing.F) {
	s := &Scorecard{
		Format: FormatV1, Model: "m", Version: "1", Intercept: -1, Scaling: DefaultScaling(),
		Characteristics: []Characteristic{
			{Name: "x", Kind: "numeric", Coefficient: -0.5, ReasonCode: "x", MissingAttribute: 2, Attributes: []Attribute{
				{Label: "lo", Interval: true, Upper: ptr(3), WOE: -0.2},
				{Label: "hi", Interval: true, Lower: ptr(3), WOE: 0.4},
				{Label: "missing", Missing: true, WOE: 0},
			}},
			{Name: "c", Kind: "categorical", Coefficient: -1, ReasonCode: "c", MissingAttribute: 1, Attributes: []Attribute{
				{Label: "{a}", Categories: []string{"a"}, WOE: 0.3},
				{Label: "{b}", Categories: []string{"b"}, WOE: -0.3},
			}},
		},
		Grades: DefaultGrades(), Tiers: DefaultTiers(),
	}
	s.AssignPoints()
	good, _ := s.Marshal()
	f.Add(good)
	f.Add([]byte(`{"format":"lendscore-scorecard/1","characteristics":[]}`))
	f.Add([]byte(`{"format":"lendscore-scorecard/1","scaling":{"pdo":20,"base_odds":50},"grades":[{"name":"A","max_pd":1}],"characteristics":[{"name":"x","kind":"numeric","attributes":[{"interval":true}]}]}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Unmarshal(data)
		if err != nil {
			return
		}
		attr := make([]int, len(sc.Characteristics))
		for _, x := range []float64{math.NaN(), math.Inf(-1), -1, 0, 3, 1e308, math.Inf(1)} {
			for j := range sc.Characteristics {
				ch := &sc.Characteristics[j]
				if ch.Kind == "numeric" {
					attr[j] = ch.NumericAttribute(x)
				} else {
					attr[j] = ch.CategoryAttribute("zzz-unseen", x == 0)
				}
			}
			r := sc.ScoreAttributes(attr, nil)
			if math.IsNaN(r.PD) || r.Grade == "" || r.Tier == "" {
				t.Fatalf("value %v scored %+v", x, r)
			}
		}
	})
}

func ptr(v float64) *float64 { return &v }
