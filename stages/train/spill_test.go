package train

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"lendscore/stages/frame"
	"lendscore/stages/ingest"
)

// fitTable builds the table of batches with rules and fits it.
func fitTable(t *testing.T, batches []ingest.Batch, rules Rules) (*Table, *Result) {
	t.Helper()
	ctx := context.Background()
	b := NewBuilder(rules)
	for _, batch := range batches {
		if err := b.Add(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	tab, err := b.Table()
	if err != nil {
		t.Fatal(err)
	}
	res, err := FitTable(ctx, tab, shardOptions())
	if err != nil {
		t.Fatal(err)
	}
	return tab, res
}

// TestSpilledTableFitsTheSame fits a table whose rows went to a spill file, from the start
// or once it outgrew a limit, and requires what the table in memory gives: the same
// scorecard, variable report, bins and scores of every row, and ids.
func TestSpilledTableFitsTheSame(t *testing.T) {
	batches := shardedTable(t, []int{9000, 14000, 21000, 11000}, 5)
	wantTab, want := fitTable(t, batches, shardRules())
	used := wantTab.Used()
	wantIDs := make([]string, used)
	wantTab.IDs(wantIDs, 0)
	full := wantTab.Bytes() // what the rows took in memory, before FitTable released them

	for _, above := range []int64{0, 300_000} {
		t.Run(fmt.Sprintf("above %d bytes", above), func(t *testing.T) {
			dir := t.TempDir()
			s := frame.NewSpill(dir)
			rules := shardRules()
			rules.Spill, rules.SpillAbove = s, above
			tab, got := fitTable(t, batches, rules)
			if !tab.Spilled() {
				t.Fatal("the table did not spill")
			}
			if s.Size() == 0 {
				t.Fatal("nothing in the spill file")
			}
			files, _ := filepath.Glob(filepath.Join(dir, "lendscore-spill-*"))
			if len(files) != 1 {
				t.Errorf("spill files %v, want one", files)
			}
			t.Logf("table %d bytes in memory; spill file %d bytes", full, s.Size())
			sameFit(t, got, want, used)
			for j := range got.Attr {
				if got.Attr[j].Bytes() > 1<<16 {
					t.Errorf("bins of %s hold %d bytes in memory, want at most one block", want.Selected[j], got.Attr[j].Bytes())
				}
			}
			var scores, wantScores []int
			for _, r := range got.Scored(0, used) {
				scores = append(scores, r.Score)
			}
			for _, r := range want.Scored(0, used) {
				wantScores = append(wantScores, r.Score)
			}
			if !slices.Equal(scores, wantScores) {
				t.Error("scores differ")
			}
			ids := make([]string, used)
			tab.IDs(ids, 0)
			if !slices.Equal(ids, wantIDs) {
				t.Error("ids differ")
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
				t.Errorf("Close left %v", files)
			}
		})
	}
}

// TestSpilledAssemblyFitsTheSame assembles a table from three shards into a spill and
// requires the fit of the table in memory.
func TestSpilledAssemblyFitsTheSame(t *testing.T) {
	batches := shardedTable(t, []int{9000, 14000, 21000, 11000}, 5)
	_, want := fitTable(t, batches, shardRules())
	s := frame.NewSpill(t.TempDir())
	defer s.Close()
	rules := shardRules()
	rules.Spill = s
	tab, got, _, _ := fitSharded(t, batches, 3, rules)
	if !tab.Spilled() || s.Size() == 0 {
		t.Fatalf("the assembled table did not spill (%d bytes in the spill file)", s.Size())
	}
	sameFit(t, got, want, tab.Used())
}

// TestSpilledNumericIDs reads a table with numeric ids and refused rows into a spill and
// requires the ids and rows the table in memory holds.
func TestSpilledNumericIDs(t *testing.T) {
	tbl := dirtyTable(t, 3000, 700, true)
	rules := Rules{Target: "y", Bad: "bad", ID: "id", UniqueID: true, Split: Split{Method: "random", TestFraction: 0.3, Seed: 5},
		Candidates: []string{"x", "k", "c"}}
	want := buildTable(t, tbl, rules)
	s := frame.NewSpill(t.TempDir())
	defer s.Close()
	rules.Spill = s
	got := buildTable(t, tbl, rules)
	if !got.Spilled() || got.Bytes() >= want.Bytes()/2 {
		t.Fatalf("spilled %v, %d bytes in memory (in memory: %d)", got.Spilled(), got.Bytes(), want.Bytes())
	}
	a, b := make([]string, want.Used()), make([]string, got.Used())
	want.IDs(a, 0)
	got.IDs(b, 0)
	if !slices.Equal(a, b) || !slices.Equal(want.Bad, got.Bad) || !slices.Equal(want.Sample, got.Sample) {
		t.Error("ids, labels or samples differ")
	}
	if fmt.Sprint(got.Refused) != fmt.Sprint(want.Refused) {
		t.Errorf("refused %v, want %v", got.Refused, want.Refused)
	}
}
