package jobs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes the job-spec parser panic, and that every refusal is
// a SpecError (exit status 2), never some other error.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, "")
		}
	}
	f.Add([]byte(trainSpec), "split.test_fraction=0.2")
	f.Add([]byte("kind: [\n"), "")
	f.Add([]byte("{}"), "a.b.c=[1,2")
	f.Add([]byte("kind: train\nname: x\ninputs: {table: t}\noutput: o\ntarget: {column: y, bad: 1}\nsplit: {method: time, oot_from: 2026-01-01, column: d}\n"), "")
	f.Fuzz(func(t *testing.T, data []byte, set string) {
		var sets []string
		if set != "" {
			sets = []string{set}
		}
		s, err := Parse("fuzz.yaml", data, sets, "")
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("refusal %v is not a SpecError", err)
			}
			return
		}
		if s.Kind == "" || s.Name == "" || s.Output == "" {
			t.Fatalf("accepted a spec without kind, name or output: %+v", s)
		}
	})
}
