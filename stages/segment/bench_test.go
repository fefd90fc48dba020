package segment

import (
	"context"
	"testing"

	"lendscore/stages/frame"
)

// benchFrame is the planted customer table with one million rows.
func benchFrame(b *testing.B) *segmentBench {
	b.Helper()
	fr, _ := planted(b, 1_000_000, 1)
	m, err := Fit(context.Background(), fr, Options{K: 6, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	seg, err := m.Assign(fr)
	if err != nil {
		b.Fatal(err)
	}
	return &segmentBench{fr: fr, m: m, seg: seg}
}

type segmentBench = struct {
	fr  *frame.Frame
	m   *Model
	seg []int32
}

// BenchmarkFit1M: 1,000,000 customers, the 8 default features, K = 6, 5 restarts on the
// default 200,000-row sample, traits and names over all rows.
func BenchmarkFit1M(b *testing.B) {
	fr, _ := planted(b, 1_000_000, 1)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Fit(context.Background(), fr, Options{K: 6, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFit1MChooseK is BenchmarkFit1M with K chosen by silhouette in 3 … 8.
func BenchmarkFit1MChooseK(b *testing.B) {
	fr, _ := planted(b, 1_000_000, 1)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Fit(context.Background(), fr, Options{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAssign1M: the nightly assignment of 1,000,000 customers.
func BenchmarkAssign1M(b *testing.B) {
	s := benchFrame(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.m.Assign(s.fr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLifecycle1M: the lifecycle stage of 1,000,000 customers.
func BenchmarkLifecycle1M(b *testing.B) {
	s := benchFrame(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.m.Lifecycle(s.fr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProfile1M: profiles of 1,000,000 customers with scores, PDs, grades, labels
// and lifecycle stages.
func BenchmarkProfile1M(b *testing.B) {
	s := benchFrame(b)
	n := s.fr.Rows
	stage, _ := s.m.Lifecycle(s.fr)
	out := Outcomes{Score: make([]int32, n), PD: make([]float64, n), Grade: make([]string, n), Bad: make([]int8, n), Lifecycle: stage}
	grades := []string{"A", "B", "C", "D", "E", "F", "G", "H"}
	for i := range n {
		out.Score[i] = int32(500 + i%200)
		out.PD[i] = float64(i%100) / 1000
		out.Grade[i] = grades[i%8]
		out.Bad[i] = int8(i % 2)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Profile(s.fr, s.seg, out, s.m); err != nil {
			b.Fatal(err)
		}
	}
}
