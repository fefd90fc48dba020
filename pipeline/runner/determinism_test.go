package runner

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
)

// runIDs matches run ids wherever they appear, so that two runs' files can be compared with
// the run id (and only it) masked.
var runIDs = regexp.MustCompile(`\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}`)

// TestTrainDeterministic runs the same train job twice, with GOMAXPROCS 1 and 2, and requires
// byte-identical artifacts apart from the run id: scorecard, PMML, metrics, binning table and
// every scored row.
func TestTrainDeterministic(t *testing.T) {
	dir := t.TempDir()
	abs, _ := filepath.Abs("../../testdata/germancredit.csv")
	var runs []string
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for i, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		out := filepath.Join(dir, fmt.Sprint("out", i))
		spec := writeSpec(t, dir, fmt.Sprintf("kind: train\nname: gc\ninputs: {table: %s}\ntarget: {column: creditability, bad: bad}\nsplit: {method: random, seed: 11}\noutput: %s\nas_of: 2026-06-30\n", abs, out))
		m := runSpec(t, spec)
		runs = append(runs, filepath.Join(out, "runs", m.RunID))
	}
	for _, f := range []string{"model/scorecard.json", "model/scorecard.pmml", "metrics.json", "binning.csv"} {
		a, err1 := os.ReadFile(filepath.Join(runs[0], f))
		b, err2 := os.ReadFile(filepath.Join(runs[1], f))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", f, err1, err2)
		}
		a, b = runIDs.ReplaceAll(a, []byte("RUN")), runIDs.ReplaceAll(b, []byte("RUN"))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between runs", f)
		}
	}
	r0, r1 := readScored(t, runs[0]), readScored(t, runs[1])
	if len(r0) != len(r1) {
		t.Fatalf("scored rows %d and %d", len(r0), len(r1))
	}
	deref := func(s *string) string {
		if s == nil {
			return "<null>"
		}
		return *s
	}
	for i := range r0 {
		a, b := r0[i], r1[i]
		ra, rb := deref(a.Reason1), deref(b.Reason1)
		a.Reason1, b.Reason1 = nil, nil
		if a != b || ra != rb {
			t.Fatalf("row %d differs: %+v %s vs %+v %s", i, a, ra, b, rb)
		}
	}
}
