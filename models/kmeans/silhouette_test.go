package kmeans

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
)

func TestSilhouetteHand(t *testing.T) {
	cases := []struct {
		name   string
		x      []float64
		labels []int32
		want   float64
	}{
		// {0, 1} and {4, 5}: s(0) = (4.5−1)/4.5 = 7/9, s(1) = (3.5−1)/3.5 = 5/7, and the
		// same for 5 and 4; mean (7/9 + 5/7) / 2 = 47/63.
		{"two pairs", []float64{0, 1, 4, 5}, []int32{0, 0, 1, 1}, 47.0 / 63},
		// {0, 1} and the singleton {10}: s(0) = (10−1)/10, s(1) = (9−1)/9, s(10) = 0;
		// mean (0.9 + 8/9) / 3.
		{"singleton", []float64{0, 1, 10}, []int32{0, 0, 1}, (0.9 + 8.0/9) / 3},
		// Wrongly split: {0, 4} and {1, 5}: a = 4 for every point; b(0) = (1+5)/2 = 3,
		// b(4) = (3+1)/2 = 2, b(1) = (1+3)/2 = 2, b(5) = (5+1)/2 = 3; s = (b − 4)/4 gives
		// −1/4, −1/2, −1/2, −1/4; mean −0.375.
		{"bad split", []float64{0, 1, 4, 5}, []int32{0, 1, 0, 1}, -0.375},
	}
	for _, c := range cases {
		got, err := Silhouette(c.x, 1, c.labels, 2, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s: silhouette %v, want %v", c.name, got, c.want)
		}
	}
}

// TestSilhouetteTwoDimensions: a 2-d example with Euclidean (not squared) distances.
// Points (0,0), (0,3) in cluster 0 and (4,0) in cluster 1. s(0,0): a = 3, b = 4 → 1/4.
// s(0,3): a = 3, b = 5 → 2/5. s(4,0) = 0 (singleton). Mean (0.25 + 0.4) / 3.
func TestSilhouetteTwoDimensions(t *testing.T) {
	got, err := Silhouette([]float64{0, 0, 0, 3, 4, 0}, 2, []int32{0, 0, 1}, 2, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := 0.65 / 3; math.Abs(got-want) > 1e-15 {
		t.Errorf("silhouette %v, want %v", got, want)
	}
}

func TestSilhouetteSampleDeterministic(t *testing.T) {
	x, truth := blobs(threeCentres, 1000, 1, 2)
	labels := make([]int32, len(truth))
	for i, c := range truth {
		labels[i] = int32(c)
	}
	a, err := Silhouette(x, 2, labels, 3, 500, 4)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Silhouette(x, 2, labels, 3, 500, 4)
	all, _ := Silhouette(x, 2, labels, 3, 0, 4)
	if a != b {
		t.Errorf("same seed: %v and %v", a, b)
	}
	// The blobs are far apart: the silhouette is high and the sample estimate is close to
	// the exact value on all 3,000 rows.
	if all < 0.8 || math.Abs(a-all) > 0.02 {
		t.Errorf("sample %v, all rows %v", a, all)
	}
}

func TestSilhouetteErrors(t *testing.T) {
	if _, err := Silhouette([]float64{0, 1}, 1, []int32{0, 0}, 2, 0, 1); !errors.Is(err, ErrInput) {
		t.Errorf("one cluster: %v", err)
	}
	if _, err := Silhouette([]float64{0, 1}, 1, []int32{0, 2}, 2, 0, 1); !errors.Is(err, ErrInput) {
		t.Errorf("label out of range: %v", err)
	}
	if _, err := Silhouette([]float64{0, 1}, 1, []int32{0}, 2, 0, 1); !errors.Is(err, ErrInput) {
		t.Errorf("length mismatch: %v", err)
	}
}

func TestChooseKFindsThreeBlobs(t *testing.T) {
	x, truth := blobs(threeCentres, 300, 1, 8)
	opts := Options{Seed: 5}
	best, scores, err := ChooseK(context.Background(), x, 2, 2, 6, opts)
	if err != nil {
		t.Fatal(err)
	}
	if best.K != 3 || len(scores) != 5 {
		t.Fatalf("chose k = %d from %v, want 3", best.K, scores)
	}
	for i, s := range scores {
		if i != 1 && s >= scores[1] {
			t.Errorf("k = %d scores %v, not below k = 3's %v", i+2, s, scores[1])
		}
	}
	labels, _ := best.AssignAll(x)
	if !samePartition(labels, truth) {
		t.Error("chosen model does not recover the blobs")
	}
	fit, err := Fit(context.Background(), x, 2, 3, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(best, fit) {
		t.Error("ChooseK's model differs from Fit with the chosen k")
	}
}
