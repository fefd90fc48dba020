package runner

import (
	"bufio"
	"bytes"
	"cmp"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"lendscore/stages/frame"
	"lendscore/stages/train"
)

// tableMemoryShare is the share of the memory the process may use that a train run's table
// may take before its rows go to local disk: the rest is for the bins, the validation
// samples, the batches in flight and the garbage collector's headroom.
const tableMemoryShare = 4

// tableMemory returns how many bytes a train run's table may hold in memory before it
// spills (Env.TableMemory, or a quarter of memoryLimit), and whether it may spill at all.
func (e *Env) tableMemory() (int64, bool) {
	switch {
	case e.TableMemory < 0:
		return 0, false
	case e.TableMemory > 0:
		return e.TableMemory, true
	}
	return memoryLimit(os.ReadFile) / tableMemoryShare, true
}

// withSpill sets the spill of a train input's rules (see train.Rules.Spill) from the
// environment and returns a function that removes the spill file, or nil when the table may
// not spill.
func (in *trainInput) withSpill(env *Env) (closeSpill func()) {
	limit, ok := env.tableMemory()
	if !ok {
		return func() {}
	}
	s := frame.NewSpill(env.SpillDir)
	in.rules.Spill, in.rules.SpillAbove = s, limit
	return func() {
		if err := s.Close(); err != nil {
			env.Log.Warn("the spill file of the table could not be removed", "error", err)
		}
	}
}

// logSpill says so when a table went to local disk.
func logSpill(env *Env, t *train.Table, rules train.Rules) {
	if t != nil && t.Spilled() {
		env.Log.Info("the table outgrew the memory it may take and keeps its rows in a spill file on local disk",
			"limit_bytes", rules.SpillAbove, "spill_bytes", rules.Spill.Size(), "dir", cmp.Or(env.SpillDir, os.TempDir()))
	}
}

// memoryLimit returns the memory the process may use: the least of the Go runtime's limit
// (GOMEMLIMIT), the cgroup's limit (memory.max, or memory.limit_in_bytes of cgroup v1: a
// container's limit) and the machine's memory (MemTotal). readFile reads the files of /sys
// and /proc.
func memoryLimit(readFile func(string) ([]byte, error)) int64 {
	limit := int64(math.MaxInt64)
	if l := debug.SetMemoryLimit(-1); l > 0 {
		limit = l
	}
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := readFile(f); err == nil {
			if v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && v > 0 {
				limit = min(limit, v)
			}
		}
	}
	if b, err := readFile("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				f := strings.Fields(rest)
				if len(f) == 2 && f[1] == "kB" {
					if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil && kb > 0 {
						limit = min(limit, kb<<10)
					}
				}
			}
		}
	}
	if limit == math.MaxInt64 {
		limit = 4 << 30 // nothing says: assume a small machine
	}
	return limit
}

// ParseBytes reads a size such as 512MiB, 2GiB, 1.5G or 1000000 (bytes): the units are
// k, M, G, T (powers of 1000) and Ki, Mi, Gi, Ti (powers of 1024), with or without a
// trailing B.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), "B")
	mult := 1.0
	for _, u := range []struct {
		suffix string
		mult   float64
	}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}} {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = rest, u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || v*mult >= math.MaxInt64 {
		return 0, &strconv.NumError{Func: "ParseBytes", Num: s, Err: strconv.ErrSyntax}
	}
	return int64(v * mult), nil
}
