package features

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
)

// sliced cuts recs into records of at most n rows (zero-copy slices), so that a stream sees
// other batch boundaries than the records it is given.
func sliced(recs []arrow.Record, n int64) []arrow.Record {
	var out []arrow.Record
	for _, r := range recs {
		for lo := int64(0); lo < r.NumRows(); lo += n {
			out = append(out, r.NewSlice(lo, min(lo+n, r.NumRows())))
		}
	}
	return out
}

// streamBuild builds the table of in with a Stream, the repayments and interactions fed in
// batches of batch rows.
func streamBuild(t *testing.T, in Inputs, opts Options, asOf []time.Time, batch int64) (*Output, error) {
	t.Helper()
	s, err := NewStream(t.Context(), in.Customers, in.Loans, opts, asOf)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sliced(in.Repayments, batch) {
		err := s.AddRepayments(t.Context(), r)
		r.Release()
		if err != nil {
			return nil, err
		}
	}
	for _, r := range sliced(in.Interactions, batch) {
		err := s.AddInteractions(t.Context(), r)
		r.Release()
		if err != nil {
			return nil, err
		}
	}
	return s.Finish(t.Context())
}

// TestStreamEqualsBuild builds a synthetic book (with snapshots, labels and excluded
// customers) whole and by streaming, with several batch sizes, workers and GOMAXPROCS, and
// with the interactions shuffled: the tables must be byte-identical and the counts equal.
func TestStreamEqualsBuild(t *testing.T) {
	in := synthesize(12000, 3, 5000)
	defer in.release()
	asOf := []time.Time{date("2024-03-31"), date("2023-09-30")}
	for _, opts := range []Options{
		{Label: true},
		{Label: true, DropUnlabelled: true, DataEnd: date("2024-06-30"), DPDWindows: []int{1, 24}},
		{},
	} {
		want, err := BuildSnapshots(t.Context(), in, opts, asOf)
		if err != nil {
			t.Fatal(err)
		}
		wantBytes := ipcBytes(t, want.Record)
		wantCounts := fmt.Sprint(want.Counts)
		want.Release()
		for _, tt := range []struct {
			batch           int64
			procs, workers  int
			shuffleContacts bool
		}{{1 << 20, 2, 0, false}, {777, 1, 0, false}, {4096, 4, 3, true}, {1, 2, 1, false}} {
			t.Run(fmt.Sprintf("label=%v/batch=%d/procs=%d/shuffled=%v", opts.Label, tt.batch, tt.procs, tt.shuffleContacts), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(tt.procs))
				src := in
				if tt.shuffleContacts {
					src.Interactions = shuffled(t, in.Interactions, 9)
				}
				o := opts
				o.Workers = tt.workers
				got, err := streamBuild(t, src, o, asOf, tt.batch)
				if err != nil {
					t.Fatal(err)
				}
				defer got.Release()
				if c := fmt.Sprint(got.Counts); c != wantCounts {
					t.Errorf("counts\n got %s\nwant %s", c, wantCounts)
				}
				if !bytes.Equal(ipcBytes(t, got.Record), wantBytes) {
					t.Errorf("streamed table differs from the whole-table one")
				}
			})
		}
	}
}

// TestStreamUnordered: repayments whose loans come back out of order cannot give the
// whole-table sums; the stream says so with ErrUnordered.
func TestStreamUnordered(t *testing.T) {
	in := synthesize(2000, 4, 1000)
	defer in.release()
	in.Repayments = shuffled(t, in.Repayments, 5)
	_, err := streamBuild(t, in, Options{}, []time.Time{date("2024-03-31")}, 1000)
	if !errors.Is(err, ErrUnordered) {
		t.Fatalf("err = %v, want ErrUnordered", err)
	}
}

// BenchmarkStream builds the features of BenchmarkBuild's book with a Stream, the
// repayments and interactions fed in batches of 65,536 rows.
func BenchmarkStream(b *testing.B) {
	in := synthesize(1_000_000, 42, 1<<16)
	defer in.release()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		s, err := NewStream(b.Context(), in.Customers, in.Loans, Options{Label: true}, []time.Time{date("2024-03-31")})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range in.Repayments {
			if err := s.AddRepayments(b.Context(), r); err != nil {
				b.Fatal(err)
			}
		}
		for _, r := range in.Interactions {
			if err := s.AddInteractions(b.Context(), r); err != nil {
				b.Fatal(err)
			}
		}
		out, err := s.Finish(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(out.Record.NumRows()), "rows")
		out.Release()
	}
	b.ReportMetric((processCPU()-cpu).Seconds()/float64(b.N), "cpu-s/op")
}
