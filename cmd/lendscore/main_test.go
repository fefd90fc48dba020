package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	gc, _ := filepath.Abs("../../testdata/germancredit.csv")
	spec := func(body string) string {
		p := filepath.Join(dir, "job.yaml")
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	good := "kind: train\nname: gc\ninputs: {table: " + gc + "}\ntarget: {column: creditability, bad: bad}\noutput: " + filepath.Join(dir, "out") + "\n"
	tests := []struct {
		name   string
		args   func() []string
		status int
		stderr string // substring
		stdout string // substring
		env    map[string]string
	}{
		{"no command", func() []string { return nil }, 2, "usage", "", nil},
		{"unknown command", func() []string { return []string{"fly"} }, 2, `unknown command "fly"`, "", nil},
		{"version", func() []string { return []string{"version"} }, 0, "", "lendscore ", nil},
		{"bad global flag", func() []string { return []string{"--log-format", "xml", "version"} }, 2, "--log-format", "", nil},
		{"run without a spec", func() []string { return []string{"run"} }, 2, "want one job spec", "", nil},
		{"spec error", func() []string { return []string{"run", spec(good + "colour: red\n")} }, 2, "colour: unknown key", "", nil},
		{"bad --set", func() []string { return []string{"run", spec(good), "--set", "split.test_fraction=2"} }, 2, "split.test_fraction", "", nil},
		{"missing input", func() []string {
			return []string{"run", spec(strings.Replace(good, gc, filepath.Join(dir, "nope.csv"), 1))}
		}, 1, "ingest: ", "", nil},
		{"gen without --out", func() []string { return []string{"gen", "--customers", "10"} }, 2, "--out is required", "", nil},
		{"score without --model", func() []string { return []string{"score", "--input", gc, "--out", dir} }, 2, "--model is required", "", nil},
		{"evaluate with a bad --higher", func() []string {
			return []string{"evaluate", "--input", gc, "--score", "age_in_years", "--label", "creditability", "--bad", "bad", "--higher", "up", "--out", dir}
		}, 2, "--higher", "", nil},
		{"train", func() []string { return []string{"run", spec(good), "--log-format", "json"} }, 0, `"msg":"run published"`, "published train run", nil},
		{"bad table memory", func() []string { return []string{"run", spec(good)} }, 2, `$LENDSCORE_TABLE_MEMORY="lots"`, "", map[string]string{"LENDSCORE_TABLE_MEMORY": "lots"}},
		{"train spilled", func() []string { return []string{"run", spec(good), "--log-format", "json"} }, 0, "keeps its rows in a spill file", "published train run",
			map[string]string{"LENDSCORE_TABLE_MEMORY": "0", "TMPDIR": dir}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var out, errb bytes.Buffer
			got := run(tt.args(), &out, &errb)
			if got != tt.status || !strings.Contains(errb.String(), tt.stderr) || !strings.Contains(out.String(), tt.stdout) {
				t.Fatalf("status %d (want %d)\nstdout: %s\nstderr: %s", got, tt.status, out.String(), errb.String())
			}
		})
	}
}

// TestJSONLogs checks that --log-format json writes one JSON object per line.
func TestJSONLogs(t *testing.T) {
	dir := t.TempDir()
	gc, _ := filepath.Abs("../../testdata/germancredit.csv")
	p := filepath.Join(dir, "job.yaml")
	os.WriteFile(p, []byte("kind: train\nname: gc\ninputs: {table: "+gc+"}\ntarget: {column: creditability, bad: bad}\noutput: "+filepath.Join(dir, "out")+"\n"), 0o644)
	var out, errb bytes.Buffer
	if code := run([]string{"--log-format=json", "run", p}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if len(lines) < 5 {
		t.Fatalf("%d log lines", len(lines))
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["msg"] == nil || m["level"] == nil {
			t.Fatalf("not a JSON log line: %q (%v)", l, err)
		}
	}
}
