package segment

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// profileModel is a two-segment model over feature a with value column v; the
// delinquency role column is absent from the test frame.
func profileModel() *Model {
	return &Model{
		K:        2,
		Features: []Feature{{Name: "a", Mean: 0, Std: 1, Missing: ImputeMean}},
		Roles:    Roles{Value: []string{"v"}, Delinquency: "max_dpd_12m"},
		Segments: []Segment{{ID: 1, Name: "one", Tier: TierVIP}, {ID: 2, Name: "two", Tier: TierBasic}},
	}
}

func TestProfile(t *testing.T) {
	nan := math.NaN()
	fr := newFrame(t, []string{"a", "v"}, map[string][]float64{
		"a": {1, 3, nan, 10, 20},
		"v": {100, 200, 300, nan, 0},
	})
	seg := []int32{1, 1, 1, 2, 2}
	out := Outcomes{
		Score:     []int32{600, 620, 640, 500, 520},
		PD:        []float64{0.01, 0.02, nan, 0.2, 0.1},
		Grade:     []string{"B", "A", "B", "", "F"},
		Bad:       []int8{0, 1, -1, 1, 1},
		Lifecycle: []string{"mature", "dormant", "new", "active", "zzz"},
	}
	ps, err := Profile(fr, seg, out, profileModel())
	if err != nil {
		t.Fatal(err)
	}
	// By hand. Segment 1 (rows 0–2): a = 1, 3 and a missing value: mean 2, missing 1/3;
	// v mean 200; score (600+620+640)/3 = 620; PD (0.01+0.02)/2 = 0.015; labels 0 and 1
	// (−1 is unlabelled): bad rate 1/2. Segment 2 (rows 3–4): a mean 15; v = 0 and a
	// missing value: mean 0, missing 1/2; score 510; PD 0.15; two bads of two.
	// Population: a (1+3+10+20)/4 = 8.5, v (100+200+300+0)/4 = 150.
	want := []SegmentProfile{
		{
			Segment: 1, Name: "one", Tier: TierVIP, Rows: 3, Share: 0.6,
			Features: []FeatureMean{
				{Name: "a", Mean: 2, PopulationMean: 8.5, MissingShare: 1.0 / 3},
				{Name: "v", Mean: 200, PopulationMean: 150, MissingShare: 0},
			},
			Labelled: 2, Bads: 1, BadRate: 0.5, MeanScore: 620, MeanPD: 0.015,
			Grades:    []Count{{"A", 1, 1.0 / 3}, {"B", 2, 2.0 / 3}},
			Lifecycle: []Count{{"new", 1, 1.0 / 3}, {"mature", 1, 1.0 / 3}, {"dormant", 1, 1.0 / 3}},
		},
		{
			Segment: 2, Name: "two", Tier: TierBasic, Rows: 2, Share: 0.4,
			Features: []FeatureMean{
				{Name: "a", Mean: 15, PopulationMean: 8.5, MissingShare: 0},
				{Name: "v", Mean: 0, PopulationMean: 150, MissingShare: 0.5},
			},
			Labelled: 2, Bads: 2, BadRate: 1, MeanScore: 510, MeanPD: 0.15000000000000002,
			Grades:    []Count{{"F", 1, 0.5}},
			Lifecycle: []Count{{"active", 1, 0.5}, {"zzz", 1, 0.5}},
		},
	}
	if !reflect.DeepEqual(ps, want) {
		t.Errorf("profiles\n%+v\nwant\n%+v", ps, want)
	}
}

func TestProfileWithoutOutcomes(t *testing.T) {
	fr := newFrame(t, []string{"a", "v"}, map[string][]float64{"a": {1, 2}, "v": {3, 4}})
	ps, err := Profile(fr, []int32{1, 1}, Outcomes{}, profileModel())
	if err != nil {
		t.Fatal(err)
	}
	if ps[1].Rows != 0 || !math.IsNaN(float64(ps[1].Features[0].Mean)) || !math.IsNaN(float64(ps[0].BadRate)) {
		t.Errorf("empty segment or missing labels: %+v", ps)
	}
	b, err := json.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"bad_rate":null`) || !strings.Contains(string(b), `"mean":null`) {
		t.Errorf("JSON %s lacks nulls for what is not available", b)
	}
}

func TestProfileErrors(t *testing.T) {
	fr := newFrame(t, []string{"a", "v"}, map[string][]float64{"a": {1, 2}, "v": {3, 4}})
	m := profileModel()
	cases := map[string]struct {
		seg []int32
		out Outcomes
	}{
		"segment 0":      {[]int32{0, 1}, Outcomes{}},
		"segment 3":      {[]int32{1, 3}, Outcomes{}},
		"short segments": {[]int32{1}, Outcomes{}},
		"short scores":   {[]int32{1, 2}, Outcomes{Score: []int32{1}}},
	}
	for name, c := range cases {
		if _, err := Profile(fr, c.seg, c.out, m); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
