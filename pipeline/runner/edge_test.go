package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lendscore/jobs"
	"lendscore/pipeline/storage"
)

// TestTrainBadTables: tables a scorecard cannot come from fail with a message that names
// the table and the rule; a constant column is dropped with its reason.
func TestTrainBadTables(t *testing.T) {
	var constant strings.Builder
	constant.WriteString("x,k,y\n")
	for i := 0; i < 200; i++ {
		y := "good"
		if (i%17 < 6) != (i%7 == 0) { // x predicts y, with noise
			y = "bad"
		}
		fmt.Fprintf(&constant, "%d,7,%s\n", i%17, y)
	}
	var oneClass strings.Builder
	oneClass.WriteString("x,y\n")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&oneClass, "%d,good\n", i)
	}
	tests := []struct {
		name, csv, want string
	}{
		{"header only", "x,y\n", "both classes"},
		{"one class", oneClass.String(), "both classes"},
		{"no target column", "x,z\n1,2\n", `target column "y"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "t.csv")
			os.WriteFile(in, []byte(tt.csv), 0o644)
			spec, err := jobs.Parse("t.yaml", []byte(fmt.Sprintf("kind: train\nname: t\ninputs: {table: %s}\ntarget: {column: y, bad: bad}\noutput: %s\n", in, filepath.Join(dir, "out"))), nil, "")
			if err != nil {
				t.Fatal(err)
			}
			_, err = Run(context.Background(), spec, Env{Stores: storage.NewStores(storage.Options{})})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want it to say %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "out", "latest.json")); !os.IsNotExist(err) {
				t.Error("a failed run published latest.json")
			}
		})
	}
	t.Run("constant column", func(t *testing.T) {
		dir := t.TempDir()
		in := filepath.Join(dir, "t.csv")
		os.WriteFile(in, []byte(constant.String()), 0o644)
		spec, _ := jobs.Parse("t.yaml", []byte(fmt.Sprintf("kind: train\nname: t\ninputs: {table: %s}\ntarget: {column: y, bad: bad}\noutput: %s\nselection: {min_iv: 0.0001}\n", in, filepath.Join(dir, "out"))), nil, "")
		m, err := Run(context.Background(), spec, Env{Stores: storage.NewStores(storage.Options{})})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(filepath.Join(dir, "out", "runs", m.RunID, "metrics.json"))
		if !strings.Contains(string(data), `"name": "k"`) || !strings.Contains(string(data), "single value share 1.000") {
			t.Errorf("the constant column k is not dropped for its single value: %s", data[:min(len(data), 400)])
		}
	})
}
