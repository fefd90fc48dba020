package runner

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lendscore/jobs"
)

// TestSpilledTrainMatchesMemory runs a train job whose table may take no memory (every row
// goes to a spill file) and requires the outputs of the run that held the table in memory,
// byte for byte, for one process and for the commit of four shards; the spill files are
// gone when the runs end.
func TestSpilledTrainMatchesMemory(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	writeGermanCreditFiles(t, in, []int{150, 90, 200, 10, 260, 130, 160})
	ctx := context.Background()
	spec := func(out string) *jobs.Spec {
		return idTrainSpec(t, in, out, "split: {method: random, test_fraction: 0.3, seed: 9}")
	}
	memEnv := *testEnv()
	memEnv.TableMemory = -1
	mem := spec(filepath.Join(dir, "memory"))
	want, err := RunAs(ctx, mem, memEnv, "")
	if err != nil {
		t.Fatal(err)
	}
	spillDir := filepath.Join(dir, "spill")
	if err := os.Mkdir(spillDir, 0o755); err != nil {
		t.Fatal(err)
	}
	spillEnv := *testEnv()
	var logs bytes.Buffer
	spillEnv.TableMemory, spillEnv.SpillDir, spillEnv.Log = 1, spillDir, slog.New(slog.NewTextHandler(&logs, nil))
	spilled := func(what string) {
		t.Helper()
		if !strings.Contains(logs.String(), "keeps its rows in a spill file") {
			t.Errorf("%s: the table did not spill; log:\n%s", what, logs.String())
		}
		logs.Reset()
	}

	one := spec(filepath.Join(dir, "one"))
	got, err := RunAs(ctx, one, spillEnv, want.RunID)
	if err != nil {
		t.Fatal(err)
	}
	spilled("one process")
	sharded := spec(filepath.Join(dir, "sharded"))
	for i := range 4 {
		if _, err := RunShard(ctx, sharded, spillEnv, Shard{i, 4}, want.RunID); err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
		spilled(fmt.Sprintf("shard %d", i))
	}
	committed, err := Commit(ctx, sharded, spillEnv, 4, want.RunID)
	if err != nil {
		t.Fatal(err)
	}
	spilled("commit")
	a := runDirOf(mem, want)
	for name, b := range map[string]string{"one process": runDirOf(one, got), "four shards": runDirOf(sharded, committed)} {
		sameModel(t, name, a, b)
	}
	if left, _ := os.ReadDir(spillDir); len(left) != 0 {
		t.Errorf("spill files left behind: %v", left)
	}
}

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1000000", 1_000_000, true}, {"512MiB", 512 << 20, true}, {"2Gi", 2 << 30, true},
		{"1.5G", 1_500_000_000, true}, {"64k", 64_000, true}, {"300MB", 300_000_000, true}, {" 1 KiB ", 1024, true},
		{"", 0, false}, {"lots", 0, false}, {"-1G", 0, false}, {"1PiB0", 0, false}, {"9e30", 0, false},
	} {
		got, err := ParseBytes(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d (ok %v)", c.in, got, err, c.want, c.ok)
		}
	}
}

// TestMemoryLimit reads the container's limit and the machine's memory from the files a
// Linux system has, and takes the least.
func TestMemoryLimit(t *testing.T) {
	meminfo := "MemTotal:       24576000 kB\nMemFree:         1000 kB\n"
	for _, c := range []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"machine", map[string]string{"/proc/meminfo": meminfo}, 24576000 << 10},
		{"cgroup v2", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory.max": "2147483648\n"}, 2 << 30},
		{"cgroup v2 without a limit", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory.max": "max\n"}, 24576000 << 10},
		{"cgroup v1", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory/memory.limit_in_bytes": "1073741824"}, 1 << 30},
		{"nothing to read", map[string]string{}, 4 << 30},
	} {
		read := func(name string) ([]byte, error) {
			if v, ok := c.files[name]; ok {
				return []byte(v), nil
			}
			return nil, os.ErrNotExist
		}
		if got := memoryLimit(read); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}
