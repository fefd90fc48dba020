package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lendscore/pipeline"
)

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"0/1", Shard{0, 1}, true}, {"3/4", Shard{3, 4}, true},
		{"4/4", Shard{}, false}, {"-1/4", Shard{}, false}, {"1/0", Shard{}, false}, {"1", Shard{}, false}, {"a/b", Shard{}, false},
	} {
		got, err := ParseShard(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v", tc.in, got, err)
		}
	}
	// Files 0..9 over 4 shards: shard 1 takes 1, 5, 9.
	var mine []int
	for k := 0; k < 10; k++ {
		if (Shard{1, 4}).Owns(k) {
			mine = append(mine, k)
		}
	}
	if fmt.Sprint(mine) != "[1 5 9]" {
		t.Errorf("shard 1/4 owns %v", mine)
	}
	for _, id := range []string{"", "../x", "a/b", ".hidden", strings.Repeat("x", 129)} {
		if CheckRunID(id) == nil {
			t.Errorf("run id %q accepted", id)
		}
	}
}

// latestRunID returns the run latest.json under out names, or "" without one.
func latestRunID(t *testing.T, out string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, pipeline.LatestFile))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	var l pipeline.Latest
	if err == nil {
		err = json.Unmarshal(data, &l)
	}
	if err != nil {
		t.Fatal(err)
	}
	return l.RunID
}

// TestShardsMatchOneProcess scores a table of seven files (ids repeated across files that
// different shards score) in three shards, run out of order, and commits them: until the
// commit, latest.json names the run before; after it, every scored and quarantine file, the
// row counts, the inputs and the outputs equal those of one process under the same run id.
func TestShardsMatchOneProcess(t *testing.T) {
	dir := t.TempDir()
	model := testScorecard(t, dir)
	in := filepath.Join(dir, "in")
	writeTestTable(t, in, []int{9_000, 4_000, 0, 12_000, 7_000, 3_000, 8_000}, 2_500)
	ctx := context.Background()

	out := filepath.Join(dir, "sharded")
	spec := scoreSpec(t, in, model, out)
	before, err := Run(ctx, spec, *testEnv()) // an earlier, ordinary run under the same output
	if err != nil {
		t.Fatal(err)
	}
	id, err := ShardRunID(ctx, spec, *testEnv(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, "20260630T000000.000Z-") {
		t.Errorf("run id %s does not start with the as_of", id)
	}
	for _, i := range []int{2, 0} {
		if _, err := RunShard(ctx, spec, *testEnv(), Shard{i, 3}, ""); err != nil {
			t.Fatal(err)
		}
	}
	_, err = Commit(ctx, spec, *testEnv(), 3, "")
	if err == nil || !strings.Contains(err.Error(), "shard 1 of 3 has not finished") {
		t.Fatalf("commit with a shard missing: %v", err)
	}
	if got := latestRunID(t, out); got != before.RunID {
		t.Fatalf("latest.json names %q before the commit, want the earlier run %s", got, before.RunID)
	}
	if _, err := RunShard(ctx, spec, *testEnv(), Shard{1, 3}, ""); err != nil {
		t.Fatal(err)
	}
	m, err := Commit(ctx, spec, *testEnv(), 3, "")
	if err != nil {
		t.Fatal(err)
	}
	if m.RunID != id || latestRunID(t, out) != id {
		t.Fatalf("committed run %s, latest %s, want %s", m.RunID, latestRunID(t, out), id)
	}

	one := scoreSpec(t, in, model, filepath.Join(dir, "one"))
	want, err := RunAs(ctx, one, *testEnv(), id)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(m.Rows) != fmt.Sprint(want.Rows) || want.Rows["table"].ByReason["duplicate_key"] == 0 {
		t.Errorf("rows %v, want %v", m.Rows, want.Rows)
	}
	if fmt.Sprint(m.Inputs) != fmt.Sprint(want.Inputs) {
		t.Errorf("inputs differ:\n%v\n%v", m.Inputs, want.Inputs)
	}
	sameOutputs(t, m.Outputs, want.Outputs)
	for _, table := range []string{"scored", "quarantine"} {
		a, b := partFiles(t, runDirOf(one, want), table), partFiles(t, runDirOf(spec, m), table)
		for i := range a {
			if i < len(b) && filepath.Base(a[i]) != filepath.Base(b[i]) {
				t.Errorf("%s part %d: %s versus %s", table, i, filepath.Base(a[i]), filepath.Base(b[i]))
			}
		}
		sameBytes(t, table, runDirOf(one, want), runDirOf(spec, m))
	}

	// Committed: a second commit says so, and a shard of the run is refused.
	if again, err := Commit(ctx, spec, *testEnv(), 3, ""); !errors.Is(err, pipeline.ErrCommitted) || again.RunID != id {
		t.Errorf("second commit: %v", err)
	}
	if _, err := RunShard(ctx, spec, *testEnv(), Shard{0, 3}, ""); err == nil || !strings.Contains(err.Error(), "already committed") {
		t.Errorf("a shard of a committed run: %v", err)
	}
}

// TestCommitRefusesMismatchedShards: shards that planned different job specs under one run
// id, a shard count that differs, and a file no shard lists are refused, and nothing is
// published.
func TestCommitRefusesMismatchedShards(t *testing.T) {
	dir := t.TempDir()
	model := testScorecard(t, dir)
	in := filepath.Join(dir, "in")
	writeTestTable(t, in, []int{3_000, 2_000, 1_000}, 1_000)
	ctx := context.Background()
	out := filepath.Join(dir, "out")
	spec := scoreSpec(t, in, model, out)
	other := scoreSpec(t, in, model, out)
	other.Name = "renamed"

	if _, err := RunShard(ctx, spec, *testEnv(), Shard{0, 2}, "r1"); err != nil {
		t.Fatal(err)
	}
	if _, err := RunShard(ctx, other, *testEnv(), Shard{1, 2}, "r1"); err != nil {
		t.Fatal(err)
	}
	if _, err := Commit(ctx, spec, *testEnv(), 2, "r1"); err == nil || !strings.Contains(err.Error(), "planned different inputs or job specs") {
		t.Errorf("different specs: %v", err)
	}
	if _, err := Commit(ctx, spec, *testEnv(), 3, "r1"); err == nil || !strings.Contains(err.Error(), "another shard count") {
		t.Errorf("different shard count: %v", err)
	}

	if _, err := RunShard(ctx, spec, *testEnv(), Shard{0, 2}, "r2"); err != nil {
		t.Fatal(err)
	}
	if _, err := RunShard(ctx, spec, *testEnv(), Shard{1, 2}, "r2"); err != nil {
		t.Fatal(err)
	}
	stray := filepath.Join(out, "runs", "r2", "scored", "part-00009-00000.parquet")
	os.WriteFile(stray, []byte("left over"), 0o644)
	if _, err := Commit(ctx, spec, *testEnv(), 2, "r2"); err == nil || !strings.Contains(err.Error(), "part-00009-00000.parquet") {
		t.Errorf("a stray file: %v", err)
	}
	if latestRunID(t, out) != "" {
		t.Errorf("a refused commit published %s", latestRunID(t, out))
	}
	os.Remove(stray)
	if _, err := Commit(ctx, spec, *testEnv(), 2, "r2"); err != nil {
		t.Errorf("commit once the stray file is gone: %v", err)
	}

	if _, err := RunShard(ctx, scoreSpec(t, in, model, out), *testEnv(), Shard{0, 2}, "../escape"); err == nil {
		t.Error("a run id with a path was accepted")
	}
	noAsOf := scoreSpec(t, in, model, out)
	noAsOf.AsOf = ""
	if _, err := RunShard(ctx, noAsOf, *testEnv(), Shard{0, 2}, ""); err == nil || !strings.Contains(err.Error(), "as_of") {
		t.Errorf("a shard without as_of: %v", err)
	}
}
