package segment

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// plantedWant is what each planted group must be called, in canonical (value) order.
var plantedWant = []struct {
	group int
	name  string
	tier  string
}{
	{groupPremium, "high value, engaged, digital, low risk", TierVIP},
	{groupCore, "mid value, medium risk", TierStandard},
	{groupRisky, "low value, low activity, branch, high risk", TierBasic},
	{groupDormant, "low value, dormant, medium risk", TierBasic},
}

func TestFitRecoversPlantedGroups(t *testing.T) {
	fr, groups := planted(t, 3000, 1)
	for _, k := range []int{4, 0} {
		m, err := Fit(context.Background(), fr, Options{K: k, Seed: 1, SilhouetteSample: 1500})
		if err != nil {
			t.Fatal(err)
		}
		if m.K != 4 {
			t.Fatalf("K option %d: %d segments, want 4 (silhouettes %+v)", k, m.K, m.KScores)
		}
		seg, err := m.Assign(fr)
		if err != nil {
			t.Fatal(err)
		}
		if !samePartition(seg, groups) {
			t.Fatalf("K option %d: segments do not match the planted groups", k)
		}
		gof := groupOfSegment(seg, groups, m.K)
		for s, want := range plantedWant {
			got := m.Segments[s]
			if gof[s+1] != want.group || got.Name != want.name || got.Tier != want.tier {
				t.Errorf("K option %d: segment %d is group %d %q %s, want group %d %q %s",
					k, s+1, gof[s+1], got.Name, got.Tier, want.group, want.name, want.tier)
			}
		}
		if k == 0 {
			if len(m.KScores) != 6 || m.KScores[0].K != 3 {
				t.Errorf("k scores %+v", m.KScores)
			}
			for _, ks := range m.KScores {
				if ks.K != 4 && ks.Silhouette >= m.Silhouette {
					t.Errorf("k = %d silhouette %v not below the chosen %v", ks.K, ks.Silhouette, m.Silhouette)
				}
			}
		}
	}
}

func TestAssignWithLoadedModelEqualsFit(t *testing.T) {
	fr, _ := planted(t, 3000, 2)
	m, err := Fit(context.Background(), fr, Options{K: 4, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Assign(fr)
	if err != nil {
		t.Fatal(err)
	}
	sizes := make([]int, m.K)
	for _, s := range want {
		sizes[s-1]++
	}
	for s, seg := range m.Segments {
		if seg.Rows != sizes[s] {
			t.Errorf("segment %d: fit counted %d rows, Assign %d", s+1, seg.Rows, sizes[s])
		}
	}
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.Assign(fr)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Error("the loaded model assigns differently")
	}
	again, _ := loaded.Marshal()
	if !bytes.Equal(again, data) {
		t.Error("Marshal(Load(data)) differs from data")
	}
	// The artifact holds what the issue asks for.
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"features", "k", "seed", "silhouette", "segments"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("segments.json lacks %q", key)
		}
	}
	seg0 := raw["segments"].([]any)[0].(map[string]any)
	for _, key := range []string{"name", "tier", "centroid_z", "centroid_original", "traits"} {
		if _, ok := seg0[key]; !ok {
			t.Errorf("a segment lacks %q", key)
		}
	}
}

func TestFitDeterministic(t *testing.T) {
	fr, _ := planted(t, 20000, 4)
	fit := func(o Options) []byte {
		m, err := Fit(context.Background(), fr, o)
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, o := range []Options{{K: 4, Seed: 7, Restarts: 2, SilhouetteSample: 500}, {K: 5, Seed: 7, Restarts: 2, SampleRows: 9000, SilhouetteSample: 500}} {
		base := fit(o)
		for _, procs := range []int{1, 3} {
			prev := runtime.GOMAXPROCS(procs)
			other := fit(o)
			runtime.GOMAXPROCS(prev)
			if !bytes.Equal(base, other) {
				t.Fatalf("options %+v: GOMAXPROCS %d gives another model", o, procs)
			}
		}
	}
}

// TestStableSegmentNumbers: refits with other seeds, and on another draw of similar
// customers, number the planted groups the same way.
func TestStableSegmentNumbers(t *testing.T) {
	fr, groups := planted(t, 4000, 5)
	var first []int32
	for seed := uint64(1); seed <= 3; seed++ {
		m, err := Fit(context.Background(), fr, Options{K: 4, Seed: seed, SilhouetteSample: 500})
		if err != nil {
			t.Fatal(err)
		}
		seg, _ := m.Assign(fr)
		if first == nil {
			first = seg
		} else if !slices.Equal(seg, first) {
			t.Errorf("seed %d numbers the segments differently", seed)
		}
	}
	other, otherGroups := planted(t, 4000, 6)
	m, err := Fit(context.Background(), other, Options{K: 4, Seed: 1, SilhouetteSample: 500})
	if err != nil {
		t.Fatal(err)
	}
	seg, _ := m.Assign(other)
	if got, want := groupOfSegment(seg, otherGroups, 4), groupOfSegment(first, groups, 4); !slices.Equal(got, want) {
		t.Errorf("similar data: segment groups %v, first fit %v", got, want)
	}
}

func TestFitErrors(t *testing.T) {
	fr, _ := planted(t, 50, 1)
	ctx := context.Background()
	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"absent feature", Options{Features: []string{"monetary_12m", "nope"}, K: 2}, "column nope"},
		{"k one", Options{K: 1}, "at least 2"},
		{"bad range", Options{KMin: 5, KMax: 4}, "range"},
		{"duplicate feature", Options{Features: []string{"monetary_12m", "monetary_12m"}, K: 2}, "twice"},
		{"PD length", Options{K: 2, PD: []float64{0.1}}, "PDs"},
	}
	for _, c := range cases {
		if _, err := Fit(ctx, fr, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	empty := newFrame(t, []string{"a", "b"}, map[string][]float64{"a": {1, 2, 3}, "b": {math.NaN(), math.NaN(), math.NaN()}})
	if _, err := Fit(ctx, empty, Options{Features: []string{"a", "b"}, K: 2}); err == nil || !strings.Contains(err.Error(), "feature b: no value") {
		t.Errorf("all-missing feature: %v", err)
	}
}

func TestLoadRejects(t *testing.T) {
	fr, _ := planted(t, 400, 1)
	m, err := Fit(context.Background(), fr, Options{K: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	good, _ := m.Marshal()
	edit := func(f func(map[string]any)) []byte {
		var v map[string]any
		json.Unmarshal(good, &v)
		f(v)
		b, _ := json.Marshal(v)
		return b
	}
	segs := func(v map[string]any) []any { return v["segments"].([]any) }
	cases := map[string][]byte{
		"version":       edit(func(v map[string]any) { v["format_version"] = 99 }),
		"unknown field": edit(func(v map[string]any) { v["extra"] = 1 }),
		"k":             edit(func(v map[string]any) { v["k"] = 4 }),
		"same names": edit(func(v map[string]any) {
			segs(v)[1].(map[string]any)["name"] = segs(v)[0].(map[string]any)["name"]
		}),
		"centroid length": edit(func(v map[string]any) { segs(v)[0].(map[string]any)["centroid_z"] = []float64{1} }),
		"zero std":        edit(func(v map[string]any) { v["features"].([]any)[0].(map[string]any)["std"] = 0 }),
		"not json":        []byte("{"),
	}
	for name, data := range cases {
		if _, err := Load(data); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	if _, err := Load(good); err != nil {
		t.Errorf("good model: %v", err)
	}
}

func TestAssignNeedsFeatures(t *testing.T) {
	fr, _ := planted(t, 200, 1)
	m, err := Fit(context.Background(), fr, Options{K: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	other := newFrame(t, []string{"monetary_12m"}, map[string][]float64{"monetary_12m": {1}})
	if _, err := m.Assign(other); err == nil || !strings.Contains(err.Error(), "recency_days") {
		t.Errorf("error %v, want one naming recency_days", err)
	}
	if m.Name(0) != "" || m.Name(3) != "" || m.Name(1) != m.Segments[0].Name {
		t.Error("Name does not follow the segments")
	}
}
