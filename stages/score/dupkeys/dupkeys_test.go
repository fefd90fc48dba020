package dupkeys

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// dupsOf finds the repeated keys of keys the obvious way: row → first row of its key.
func dupsOf(keys []string) map[int64]int64 {
	first := map[string]int64{}
	out := map[int64]int64{}
	for i, k := range keys {
		if f, ok := first[k]; ok {
			out[int64(i)] = f
		} else {
			first[k] = int64(i)
		}
	}
	return out
}

// find runs a Finder and a Resolver over keys as their callers do — every key hashed and
// added, then the keys of repeated hashes resolved in row order — and returns row → first
// row of every duplicate, and whether the finder spilled.
func find(t *testing.T, keys []string, dir string) (map[int64]int64, bool) {
	t.Helper()
	f := New(dir)
	defer f.Close()
	for _, k := range keys {
		if err := f.Add(f.Hash([]byte(k))); err != nil {
			t.Fatal(err)
		}
	}
	spilled := f.spill != nil
	reps, err := f.Repeated(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	repeated := map[uint64]bool{}
	for k, h := range reps {
		if k > 0 && reps[k-1] >= h {
			t.Fatalf("repeated hashes not sorted and distinct at %d", k)
		}
		repeated[h] = true
	}
	r := NewResolver()
	out := map[int64]int64{}
	for i, k := range keys {
		h := f.Hash([]byte(k))
		if !repeated[h] {
			continue
		}
		if first, dup := r.Add(Candidate{Row: int64(i), Hash: h}, []byte(k)); dup {
			out[int64(i)] = first
		}
	}
	return out, spilled
}

func TestFinderMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 1000, 700_000} {
		keys := make([]string, n)
		for i := range keys {
			if i > 0 && rng.IntN(50) == 0 {
				keys[i] = keys[rng.IntN(i)] // a repeat of an earlier key
			} else {
				keys[i] = fmt.Sprintf("C%09d", rng.Uint64()%1e9)
			}
		}
		dir := t.TempDir()
		got, spilled := find(t, keys, dir)
		want := dupsOf(keys)
		if len(got) != len(want) {
			t.Fatalf("n=%d: %d duplicates, want %d", n, len(got), len(want))
		}
		for row, first := range want {
			if got[row] != first {
				t.Fatalf("n=%d: row %d first %d, want %d", n, row, got[row], first)
			}
		}
		if wantSpill := n > partitions*blockEntries; spilled != wantSpill && n == 700_000 {
			t.Errorf("n=%d: spilled %v", n, spilled)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
			t.Errorf("n=%d: Close left %v", n, left)
		}
		if n == 1000 && spilled {
			t.Errorf("1000 keys spilled to disk")
		}
	}
}

// TestResolverSeparatesCollisions feeds keys whose hashes collide on purpose: only equal
// keys are duplicates, and a repeat of the second key names the second key's first row.
func TestResolverSeparatesCollisions(t *testing.T) {
	keys := []string{"a", "b", "a", "c", "b", "b"}
	f := New(t.TempDir())
	defer f.Close()
	for range keys {
		f.Add(42) // every key has hash 42
	}
	reps, err := f.Repeated(context.Background())
	if err != nil || len(reps) != 1 || reps[0] != 42 {
		t.Fatalf("repeated hashes %v, %v; want [42]", reps, err)
	}
	r := NewResolver()
	var got []string
	for i, k := range keys {
		if first, dup := r.Add(Candidate{Row: int64(i), Hash: 42}, []byte(k)); dup {
			got = append(got, fmt.Sprintf("%d<-%d", i, first))
		}
	}
	if fmt.Sprint(got) != "[2<-0 4<-1 5<-1]" {
		t.Errorf("duplicates %v, want [2<-0 4<-1 5<-1]", got)
	}
}

func TestFinderSpillErrorsAreReported(t *testing.T) {
	f := New(filepath.Join(t.TempDir(), "missing", "dir"))
	defer f.Close()
	var err error
	for i := 0; i < blockEntries && err == nil; i++ {
		err = f.Add(uint64(i)) // all in partition 0: the block fills and spills
	}
	if err == nil {
		t.Fatal("no error from a spill directory that does not exist")
	}
}

func BenchmarkFinder(b *testing.B) {
	keys := make([][]byte, 1_000_000)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("C%09d", i))
	}
	b.ResetTimer()
	for range b.N {
		f := New(b.TempDir())
		for _, k := range keys {
			f.Add(f.Hash(k))
		}
		if _, err := f.Repeated(context.Background()); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
