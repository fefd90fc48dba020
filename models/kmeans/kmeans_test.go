package kmeans

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
)

// blobs returns n rows per centre, normally scattered with sd around each centre, and the
// index of the centre of each row. Rows are interleaved (centre i%len(centres)).
func blobs(centres [][]float64, n int, sd float64, seed uint64) ([]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := len(centres[0])
	x := make([]float64, 0, n*len(centres)*d)
	truth := make([]int, 0, n*len(centres))
	for i := 0; i < n*len(centres); i++ {
		c := i % len(centres)
		for _, v := range centres[c] {
			x = append(x, v+sd*rng.NormFloat64())
		}
		truth = append(truth, c)
	}
	return x, truth
}

// samePartition reports whether labels and truth put the same rows together: a bijection
// maps the clusters of one onto the other.
func samePartition(labels []int32, truth []int) bool {
	fwd := map[int32]int{}
	back := map[int]int32{}
	for i, l := range labels {
		t := truth[i]
		if f, ok := fwd[l]; ok && f != t {
			return false
		}
		if b, ok := back[t]; ok && b != l {
			return false
		}
		fwd[l], back[t] = t, l
	}
	return true
}

var threeCentres = [][]float64{{0, 0}, {10, 0}, {0, 10}}

func TestFitRecoversBlobs(t *testing.T) {
	x, truth := blobs(threeCentres, 200, 0.5, 7)
	m, err := Fit(context.Background(), x, 2, 3, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	labels, err := m.AssignAll(x)
	if err != nil {
		t.Fatal(err)
	}
	if !samePartition(labels, truth) {
		t.Fatal("clusters do not match the blobs")
	}
	for j, c := range m.Centroids {
		// Each centroid is the mean of 200 points with sd 0.5: within 0.2 of its centre
		// (more than 5 standard errors of 0.035).
		near := false
		for _, want := range threeCentres {
			if math.Hypot(c[0]-want[0], c[1]-want[1]) < 0.2 {
				near = true
			}
		}
		if !near {
			t.Errorf("centroid %d = %v is near no centre", j, c)
		}
		if m.Sizes[j] != 200 {
			t.Errorf("size %d = %d, want 200", j, m.Sizes[j])
		}
	}
	if !m.Converged || m.FitRows != 600 {
		t.Errorf("converged %v, fit rows %d", m.Converged, m.FitRows)
	}
}

// TestFitHandExample: {1, 2, 3} and {10, 11, 12} split into two clusters with centroids 2
// and 11 and inertia 1+0+1 + 1+0+1 = 4.
func TestFitHandExample(t *testing.T) {
	x := []float64{10, 1, 11, 2, 12, 3}
	m, err := Fit(context.Background(), x, 1, 2, Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	got := []float64{m.Centroids[0][0], m.Centroids[1][0]}
	if got[0] > got[1] {
		got[0], got[1] = got[1], got[0]
	}
	if got[0] != 2 || got[1] != 11 || m.Inertia != 4 {
		t.Errorf("centroids %v inertia %v, want [2 11] and 4", got, m.Inertia)
	}
	if m.Sizes[0] != 3 || m.Sizes[1] != 3 {
		t.Errorf("sizes %v", m.Sizes)
	}
}

func TestFitDeterministic(t *testing.T) {
	x, _ := blobs([][]float64{{0, 0, 0}, {3, 1, 0}, {1, 3, 2}, {2, 2, 2}}, 2500, 1.5, 11)
	fit := func(o Options) *Model {
		m, err := Fit(context.Background(), x, 3, 5, o)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, sample := range []int{-1, 9000} {
		base := fit(Options{Seed: 42, SampleRows: sample, Restarts: 2, Workers: 1})
		if sample > 0 && base.FitRows != sample {
			t.Fatalf("fit rows %d, want %d", base.FitRows, sample)
		}
		for _, procs := range []int{1, 2, 4} {
			prev := runtime.GOMAXPROCS(procs)
			other := fit(Options{Seed: 42, SampleRows: sample, Restarts: 2})
			again := fit(Options{Seed: 42, SampleRows: sample, Restarts: 2, Workers: 3})
			runtime.GOMAXPROCS(prev)
			if !reflect.DeepEqual(base, other) || !reflect.DeepEqual(base, again) {
				t.Fatalf("sample %d GOMAXPROCS %d: models differ:\n%+v\n%+v", sample, procs, base, other)
			}
		}
		if reflect.DeepEqual(base, fit(Options{Seed: 43, SampleRows: sample, Restarts: 2})) {
			t.Errorf("sample %d: seeds 42 and 43 gave the same model", sample)
		}
	}
}

// TestSeedKMeansPlusPlus: the seeding is a function of the random stream, and on three far
// apart blobs D² sampling puts one centre in each blob.
func TestSeedKMeansPlusPlus(t *testing.T) {
	x, truth := blobs(threeCentres, 100, 0.3, 5)
	seed := func(s uint64) []float64 {
		f := newFitter(x, 2, 3, 2)
		c, err := f.seed(context.Background(), rand.New(rand.NewPCG(s, 0)))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for s := uint64(0); s < 20; s++ {
		c := seed(s)
		if !reflect.DeepEqual(c, seed(s)) {
			t.Fatalf("seed %d: two seedings differ", s)
		}
		var hit [3]bool
		for j := 0; j < 3; j++ {
			// Each centre is a data row; find which blob it came from.
			for i := range truth {
				if x[2*i] == c[2*j] && x[2*i+1] == c[2*j+1] {
					hit[truth[i]] = true
				}
			}
		}
		if hit != [3]bool{true, true, true} {
			t.Errorf("seed %d: centres %v miss a blob", s, c)
		}
	}
	if reflect.DeepEqual(seed(1), seed(2)) {
		t.Error("different streams gave the same centres")
	}
}

// TestEmptyClustersFewDistinctPoints: three distinct points repeated, k = 5. Two clusters
// must stay empty, the others hold the points; nothing is NaN and the inertia is 0.
func TestEmptyClustersFewDistinctPoints(t *testing.T) {
	var x []float64
	for i := 0; i < 30; i++ {
		x = append(x, float64(i%3), float64(i%3)*2)
	}
	m, err := Fit(context.Background(), x, 2, 5, Options{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	empty, full := 0, 0
	for j, s := range m.Sizes {
		switch s {
		case 0:
			empty++
		case 10:
			full++
		default:
			t.Errorf("cluster %d has %d rows", j, s)
		}
		for _, v := range m.Centroids[j] {
			if math.IsNaN(v) {
				t.Errorf("centroid %d is NaN", j)
			}
		}
	}
	if empty != 2 || full != 3 || m.Inertia != 0 {
		t.Errorf("%d empty, %d full, inertia %v; want 2, 3, 0", empty, full, m.Inertia)
	}
}

// TestRelocateEmpty: rows 0, 1, 2, 10 all in cluster 0 (centroid 3.25), cluster 1 empty.
// The farthest row, 10 (distance² 45.5625), moves to cluster 1: sums become 3 and 10,
// counts 3 and 1.
func TestRelocateEmpty(t *testing.T) {
	f := newFitter([]float64{0, 1, 2, 10}, 1, 2, 1)
	for i, v := range f.x {
		f.labels[i] = 0
		f.dist[i] = (v - 3.25) * (v - 3.25)
	}
	sums := []float64{13, 0}
	counts := []int{4, 0}
	f.relocateEmpty(sums, counts)
	if !reflect.DeepEqual(sums, []float64{3, 10}) || !reflect.DeepEqual(counts, []int{3, 1}) {
		t.Fatalf("sums %v counts %v", sums, counts)
	}
	if f.labels[3] != 1 || f.dist[3] != 0 {
		t.Errorf("row 3: label %d dist %v", f.labels[3], f.dist[3])
	}
}

// TestEmptyClusterDuringIterations: seeding 3 centres where the data are two tight pairs
// far apart plus one outlier; whatever the seeding, all clusters end non-empty because
// there are 5 distinct points for 3 clusters.
func TestNoEmptyClusterWithEnoughPoints(t *testing.T) {
	x := []float64{0, 0.1, 50, 50.1, 1000}
	for s := uint64(0); s < 30; s++ {
		m, err := Fit(context.Background(), x, 1, 3, Options{Seed: s, Restarts: 1})
		if err != nil {
			t.Fatal(err)
		}
		for j, size := range m.Sizes {
			if size == 0 {
				t.Fatalf("seed %d: cluster %d empty (centroids %v)", s, j, m.Centroids)
			}
		}
	}
}

func TestAssignTiesAndShape(t *testing.T) {
	m, err := New([][]float64{{0}, {2}})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Assign([]float64{1}); got != 0 {
		t.Errorf("tie went to %d, want 0", got)
	}
	if got := m.Assign([]float64{1.5}); got != 1 {
		t.Errorf("1.5 went to %d, want 1", got)
	}
	if got := m.Assign([]float64{1, 2}); got != -1 {
		t.Errorf("wrong length gave %d, want -1", got)
	}
	if _, err := m.AssignAll([]float64{1, 2, 3}); err != nil {
		t.Error(err)
	}
	if err := m.AssignTo(make([]int32, 2), []float64{1}); !errors.Is(err, ErrInput) {
		t.Errorf("AssignTo shape error = %v", err)
	}
	if _, err := New([][]float64{{0, 1}, {2}}); !errors.Is(err, ErrInput) {
		t.Errorf("ragged centroids error = %v", err)
	}
}

func TestAssignAllMatchesAssign(t *testing.T) {
	x, _ := blobs([][]float64{{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 0, 2, 0}}, 4000, 1, 3)
	m, err := Fit(context.Background(), x, 4, 3, Options{Seed: 2, Restarts: 1})
	if err != nil {
		t.Fatal(err)
	}
	labels, err := m.AssignAll(x)
	if err != nil {
		t.Fatal(err)
	}
	sizes := make([]int, 3)
	for i, l := range labels {
		if want := m.Assign(x[4*i : 4*i+4]); int(l) != want {
			t.Fatalf("row %d: AssignAll %d, Assign %d", i, l, want)
		}
		sizes[l]++
	}
	if !reflect.DeepEqual(sizes, m.Sizes) {
		t.Errorf("sizes %v, model %v", sizes, m.Sizes)
	}
}

func TestFitRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		x    []float64
		d, k int
		o    Options
	}{
		{"NaN", []float64{0, math.NaN(), 1, 2}, 2, 1, Options{}},
		{"Inf", []float64{0, math.Inf(1)}, 1, 1, Options{}},
		{"ragged", []float64{0, 1, 2}, 2, 1, Options{}},
		{"k above rows", []float64{0, 1}, 1, 3, Options{}},
		{"k zero", []float64{0, 1}, 1, 0, Options{}},
		{"no columns", []float64{0, 1}, 0, 1, Options{}},
		{"negative restarts", []float64{0, 1}, 1, 1, Options{Restarts: -1}},
	}
	for _, c := range cases {
		if _, err := Fit(ctx, c.x, c.d, c.k, c.o); !errors.Is(err, ErrInput) {
			t.Errorf("%s: error %v, want ErrInput", c.name, err)
		}
	}
}

func TestFitCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	x, _ := blobs(threeCentres, 10, 1, 1)
	if _, err := Fit(ctx, x, 2, 3, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestSample(t *testing.T) {
	const n, m = 10000, 1000
	sum := 0
	for seed := uint64(0); seed < 50; seed++ {
		idx := Sample(n, m, seed)
		if len(idx) != m {
			t.Fatalf("seed %d: %d rows, want %d", seed, len(idx), m)
		}
		for i := 1; i < len(idx); i++ {
			if idx[i] <= idx[i-1] {
				t.Fatalf("seed %d: not strictly increasing at %d", seed, i)
			}
		}
		if !reflect.DeepEqual(idx, Sample(n, m, seed)) {
			t.Fatalf("seed %d: not deterministic", seed)
		}
		for _, i := range idx {
			sum += i
		}
	}
	// Uniform draws: the mean index is (n−1)/2 = 4999.5 with standard error about
	// 2887 / √50000 ≈ 13; allow 5 of them.
	if mean := float64(sum) / (50 * m); math.Abs(mean-4999.5) > 65 {
		t.Errorf("mean sampled index %v, want about 4999.5", mean)
	}
	if got := Sample(5, 9, 1); !reflect.DeepEqual(got, []int{0, 1, 2, 3, 4}) {
		t.Errorf("Sample(5, 9) = %v", got)
	}
}

func TestAssignRowsMatchesAssignAll(t *testing.T) {
	x, _ := blobs([][]float64{{0, 0}, {4, 4}}, 5000, 1, 6)
	m, err := Fit(context.Background(), x, 2, 2, Options{Seed: 1, Restarts: 1})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.AssignAll(x)
	got := make([]int32, len(want))
	seen := make([]int32, len(want))
	m.AssignRows(got, func(dst []float64, lo, hi int) {
		copy(dst, x[2*lo:2*hi])
		for i := lo; i < hi; i++ {
			seen[i]++
		}
	})
	if !reflect.DeepEqual(got, want) {
		t.Error("AssignRows differs from AssignAll")
	}
	for i, s := range seen {
		if s != 1 {
			t.Fatalf("row %d filled %d times", i, s)
		}
	}
}
