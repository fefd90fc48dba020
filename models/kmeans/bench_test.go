package kmeans

import (
	"context"
	"math/rand/v2"
	"testing"
)

// benchData is n rows of 8 columns around 6 centres, the shape of a customer segmentation.
func benchData(n int) []float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	centres := make([][]float64, 6)
	for j := range centres {
		centres[j] = make([]float64, 8)
		for t := range centres[j] {
			centres[j][t] = 3 * rng.NormFloat64()
		}
	}
	x := make([]float64, 0, n*8)
	for i := 0; i < n; i++ {
		for _, v := range centres[rng.IntN(6)] {
			x = append(x, v+rng.NormFloat64())
		}
	}
	return x
}

// BenchmarkFit1M: 1,000,000 rows × 8 columns, k = 6, 5 restarts on the default 200,000-row
// sample, then sizes and inertia over all rows.
func BenchmarkFit1M(b *testing.B) {
	x := benchData(1_000_000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Fit(context.Background(), x, 8, 6, Options{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFit1MAllRows is BenchmarkFit1M without sampling.
func BenchmarkFit1MAllRows(b *testing.B) {
	x := benchData(1_000_000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Fit(context.Background(), x, 8, 6, Options{Seed: 1, SampleRows: -1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAssignAll1M: nearest of 6 centroids for 1,000,000 rows × 8 columns.
func BenchmarkAssignAll1M(b *testing.B) {
	x := benchData(1_000_000)
	m, err := Fit(context.Background(), x, 8, 6, Options{Seed: 1, Restarts: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(x) * 8))
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.AssignAll(x); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSilhouette4000: the default silhouette sample of 4,000 rows × 8 columns.
func BenchmarkSilhouette4000(b *testing.B) {
	x := benchData(100_000)
	m, err := Fit(context.Background(), x, 8, 6, Options{Seed: 1, Restarts: 1})
	if err != nil {
		b.Fatal(err)
	}
	labels, _ := m.AssignAll(x)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Silhouette(x, 8, labels, 6, DefaultSilhouetteSample, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChooseK1M: k = 3 … 8 on 1,000,000 rows × 8 columns with the defaults.
func BenchmarkChooseK1M(b *testing.B) {
	x := benchData(1_000_000)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := ChooseK(context.Background(), x, 8, 3, 8, Options{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
