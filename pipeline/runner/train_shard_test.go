package runner

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"lendscore/jobs"
)

// writeGermanCreditFiles writes German Credit with an id column, in which three ids repeat
// earlier ones (refused by the row rules), as CSV files of the given sizes.
func writeGermanCreditFiles(t *testing.T, dir string, sizes []int) {
	t.Helper()
	writeTableFiles(t, "../../testdata/germancredit.csv", dir, sizes)
}

// writeTableFiles writes the CSV table src with an id column as files of the given sizes
// (see writeGermanCreditFiles).
func writeTableFiles(t *testing.T, src, dir string, sizes []int) {
	t.Helper()
	rows := readCSV(t, src)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	next := 1
	for k, size := range sizes {
		out, err := os.Create(filepath.Join(dir, fmt.Sprintf("gc-%02d.csv", k)))
		if err != nil {
			t.Fatal(err)
		}
		w := csv.NewWriter(out)
		w.Write(append([]string{"applicant"}, rows[0]...))
		for ; size > 0 && next < len(rows); size-- {
			id := fmt.Sprintf("A%04d", next)
			switch next {
			case 500: // in file 4, a repeat of file 0's (one shard of four reads both)
				id = "A0100"
			case 800, 801: // in file 5, repeats of file 2's (other shards)
				id = "A0300"
			}
			w.Write(append([]string{id}, rows[next]...))
			next++
		}
		w.Flush()
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if next != len(rows) {
		t.Fatalf("the sizes hold %d of %d rows", next-1, len(rows)-1)
	}
}

// TestTrainShardsMatchOneProcess trains German Credit, in seven files, as four shards (run
// out of order) and a commit, and in one process under the same run id: the scorecard, its
// PMML, metrics.json, the binning table, the scored rows and the row counts are the same,
// and the quarantine holds the same rows: ids repeated within a shard's files and across
// shards. A random split is assigned by the commit over all
// rows, as one process assigns it; a special value and manual breaks cut the key sets.
func TestTrainShardsMatchOneProcess(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	writeGermanCreditFiles(t, in, []int{150, 90, 200, 10, 260, 130, 160})
	ctx := context.Background()
	spec := func(out string) *jobs.Spec {
		return idTrainSpec(t, in, out, `split: {method: random, test_fraction: 0.3, seed: 5}
binning:
  special_values: [-1]
  manual: {age_in_years: ["26", "35", "50"]}`)
	}
	sharded := spec(filepath.Join(dir, "sharded"))
	for _, i := range []int{3, 1, 0, 2} {
		if _, err := RunShard(ctx, sharded, *testEnv(), Shard{i, 4}, ""); err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	m, err := Commit(ctx, sharded, *testEnv(), 4, "")
	if err != nil {
		t.Fatal(err)
	}
	one := spec(filepath.Join(dir, "one"))
	want, err := RunAs(ctx, one, *testEnv(), m.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(m.Rows) != fmt.Sprint(want.Rows) || want.Rows["table"].ByReason["duplicate_key"] != 3 {
		t.Errorf("rows %v, want %v", m.Rows, want.Rows)
	}
	if fmt.Sprint(m.Inputs) != fmt.Sprint(want.Inputs) {
		t.Errorf("inputs differ:\n%v\n%v", m.Inputs, want.Inputs)
	}
	a, b := runDirOf(one, want), runDirOf(sharded, m)
	sameModel(t, "sharded", a, b)
	t.Logf("rows %v; outputs %d; scored parts %d", m.Rows, len(m.Outputs), len(partFiles(t, b, "scored")))
	qa, qb := tableRows(t, a, "quarantine"), tableRows(t, b, "quarantine")
	slices.Sort(qa)
	slices.Sort(qb)
	if len(qa) != 3 || !slices.Equal(qa, qb) {
		t.Errorf("quarantine: %d rows versus %d in one process:\n%s\nversus\n%s", len(qb), len(qa), strings.Join(qb, "\n"), strings.Join(qa, "\n"))
	}
	var files []string
	for _, o := range m.Outputs {
		if !strings.HasPrefix(o.Path, "shards/") && !strings.HasPrefix(o.Path, "quarantine/") {
			files = append(files, o.Path)
		}
	}
	var wantFiles []string
	for _, o := range want.Outputs {
		if !strings.HasPrefix(o.Path, "quarantine/") {
			wantFiles = append(wantFiles, o.Path)
		}
	}
	if !slices.Equal(files, wantFiles) {
		t.Errorf("outputs %v, want %v", files, wantFiles)
	}
}

// idTrainSpec returns the spec of a train job over the table in with the id column
// applicant (writeGermanCreditFiles), publishing to out, with more keys in rest.
func idTrainSpec(t *testing.T, in, out, rest string) *jobs.Spec {
	t.Helper()
	s, err := jobs.Parse("train.yaml", []byte(fmt.Sprintf(`kind: train
name: gc
inputs: {table: %s}
id: applicant
target: {column: creditability, bad: bad}
output: %s
%s
`, in, out, rest)), nil, "2026-06-30")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sameModel requires the model, metrics, binning table and scored rows of the run in b to
// be those of the run in a, byte for byte.
func sameModel(t *testing.T, what, a, b string) {
	t.Helper()
	for _, f := range []string{"model/scorecard.json", "model/scorecard.pmml", "metrics.json", "binning.csv"} {
		wa, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		wb, err := os.ReadFile(filepath.Join(b, f))
		if err != nil {
			t.Fatal(err)
		}
		if string(wa) != string(wb) {
			t.Errorf("%s: %s differs:\n%s\nversus:\n%s", what, f, firstDiff(string(wb), string(wa)), firstDiff(string(wa), string(wb)))
		}
	}
	sameBytes(t, "scored", a, b)
}

// firstDiff returns a's text around its first difference from b.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return a[max(0, i-200):min(len(a), i+200)]
}

// TestTrainShardsEdgeCases: more shards than files (shards that read nothing), a shard whose
// rows are all refused, a split by a column, and a commit run again after it was killed
// before its manifest: each publishes what one process publishes.
func TestTrainShardsEdgeCases(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	writeTableFiles(t, "../../testdata/germancredit_split.csv", in, []int{400, 350, 250})
	ctx := context.Background()
	spec := func(out, split string) *jobs.Spec {
		t.Helper()
		s, err := jobs.Parse("train.yaml", []byte(fmt.Sprintf("kind: train\nname: gc\ninputs: {table: %s}\nid: applicant\ntarget: {column: creditability, bad: bad}\n%soutput: %s\n", in, split, out)), nil, "2026-06-30")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	same := func(t *testing.T, a, b string) {
		t.Helper()
		for _, f := range []string{"model/scorecard.json", "metrics.json", "binning.csv"} {
			wa, _ := os.ReadFile(filepath.Join(a, f))
			wb, _ := os.ReadFile(filepath.Join(b, f))
			if len(wa) == 0 || string(wa) != string(wb) {
				t.Errorf("%s differs from one process's", f)
			}
		}
		sameBytes(t, "scored", a, b)
	}
	// A fourth file whose rows all lack the target: the shard that reads it uses no row.
	recs := readCSV(t, filepath.Join(in, "gc-00.csv"))
	target := slices.Index(recs[0], "creditability")
	var refused bytes.Buffer
	w := csv.NewWriter(&refused)
	w.Write(recs[0])
	for k, r := range recs[1:11] {
		r[0], r[target] = fmt.Sprintf("Z%03d", k), ""
		w.Write(r)
	}
	w.Flush()
	if err := os.WriteFile(filepath.Join(in, "gc-03.csv"), refused.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, split string
		shards      int
	}{
		{"six shards for four files", "exclude: [sample]\n", 6},
		{"split by a column", "split: {method: column, column: sample}\n", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sharded := spec(filepath.Join(dir, tc.name, "sharded"), tc.split)
			for i := range tc.shards {
				if _, err := RunShard(ctx, sharded, *testEnv(), Shard{i, tc.shards}, ""); err != nil {
					t.Fatalf("shard %d: %v", i, err)
				}
			}
			m, err := Commit(ctx, sharded, *testEnv(), tc.shards, "")
			if err != nil {
				t.Fatal(err)
			}
			one := spec(filepath.Join(dir, tc.name, "one"), tc.split)
			want, err := RunAs(ctx, one, *testEnv(), m.RunID)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(m.Rows) != fmt.Sprint(want.Rows) {
				t.Errorf("rows %v, want %v", m.Rows, want.Rows)
			}
			same(t, runDirOf(one, want), runDirOf(sharded, m))

			// Killed after it wrote its files, before its manifest: run again, it
			// rewrites them and publishes the same run.
			run := runDirOf(sharded, m)
			os.Remove(filepath.Join(run, "manifest.json"))
			os.Remove(filepath.Join(sharded.Output, "latest.json"))
			again, err := Commit(ctx, sharded, *testEnv(), tc.shards, "")
			if err != nil {
				t.Fatalf("commit again: %v", err)
			}
			if again.RunID != m.RunID || fmt.Sprint(again.Rows) != fmt.Sprint(m.Rows) || latestRunID(t, sharded.Output) != m.RunID {
				t.Errorf("commit again: run %s rows %v", again.RunID, again.Rows)
			}
			same(t, runDirOf(one, want), run)
		})
	}
}

// TestTrainShardsRefuseDisagreeingTypes: CSV files are typed per shard; a column that one
// shard reads as numbers and another as text is refused at the commit, by name.
func TestTrainShardsRefuseDisagreeingTypes(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	var a, b strings.Builder
	a.WriteString("id,y,x\n")
	b.WriteString("id,y,x\n")
	for i := range 200 {
		y := []string{"good", "bad"}[i%3/2]
		fmt.Fprintf(&a, "a%d,%s,%d\n", i, y, i%17)
		x := fmt.Sprint(i % 13)
		if i%50 == 0 {
			x = "?"
		}
		fmt.Fprintf(&b, "b%d,%s,%s\n", i, y, x)
	}
	os.WriteFile(filepath.Join(in, "a.csv"), []byte(a.String()), 0o644)
	os.WriteFile(filepath.Join(in, "b.csv"), []byte(b.String()), 0o644)
	spec, err := jobs.Parse("t.yaml", []byte(fmt.Sprintf("kind: train\nname: t\ninputs: {table: %s}\nid: id\ntarget: {column: y, bad: bad}\noutput: %s\n", in, filepath.Join(dir, "out"))), nil, "2026-06-30")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 2 {
		if _, err := RunShard(ctx, spec, *testEnv(), Shard{i, 2}, ""); err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	_, err = Commit(ctx, spec, *testEnv(), 2, "")
	if err == nil || !strings.Contains(err.Error(), "column x") || !strings.Contains(err.Error(), "Parquet") {
		t.Fatalf("commit: %v", err)
	}
}

// readCSV reads a whole CSV file: its header, then its rows.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}
