package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/jobs"
	"lendscore/models/scorecard"
	"lendscore/pipeline"
	"lendscore/pipeline/storage"
	"lendscore/stages/ingest"
	"lendscore/stages/score/pqscan"
)

const testRunID = "20260630T000000.000Z-0000abcd"

func fptr(v float64) *float64 { return &v }

// testScorecard has numeric characteristics read from a float column (with special values
// and infinities in the data) and an integer column, and categorical ones read from a
// string column and a dictionary column; it names the id column customer_id.
func testScorecard(t testing.TB, dir string) string {
	t.Helper()
	s := &scorecard.Scorecard{
		Format: scorecard.FormatV1, Model: "synthetic", Version: "v7", ID: "customer_id", Intercept: -1.3, Scaling: scorecard.DefaultScaling(),
		Characteristics: []scorecard.Characteristic{
			{Name: "income", Kind: "numeric", Coefficient: -0.7, ReasonCode: "INC", MissingAttribute: 3, Attributes: []scorecard.Attribute{
				{Label: "[1000, inf)", Interval: true, Lower: fptr(1000), WOE: 0.6},
				{Label: "[-inf, 200)", Interval: true, Upper: fptr(200), WOE: -0.9},
				{Label: "[200, 1000)", Interval: true, Lower: fptr(200), Upper: fptr(1000), WOE: 0.1},
				{Label: "missing", Missing: true, WOE: -0.2, Special: []float64{-1}},
			}},
			{Name: "loans", Kind: "numeric", Coefficient: -1.1, ReasonCode: "LNS", MissingAttribute: 0, Attributes: []scorecard.Attribute{
				{Label: "[-inf, 1)", Interval: true, Upper: fptr(1), WOE: 0.3, Missing: true},
				{Label: "[1, 3)", Interval: true, Lower: fptr(1), Upper: fptr(3), WOE: -0.1},
				{Label: "[3, inf)", Interval: true, Lower: fptr(3), WOE: -0.8},
			}},
			{Name: "housing", Kind: "categorical", Coefficient: -1, ReasonCode: "HSG", MissingAttribute: 2, UnseenAttribute: 0, Attributes: []scorecard.Attribute{
				{Label: "{rent}", Categories: []string{"rent", "lodger"}, WOE: -0.4},
				{Label: "{own}", Categories: []string{"own", "mortgage"}, WOE: 0.3},
				{Label: "missing", Missing: true, WOE: 0},
			}},
			{Name: "region", Kind: "categorical", Coefficient: -0.5, ReasonCode: "REG", MissingAttribute: 1, UnseenAttribute: 1, Attributes: []scorecard.Attribute{
				{Label: "{north}", Categories: []string{"north"}, WOE: 0.2},
				{Label: "{south}", Categories: []string{"south"}, Missing: true, WOE: -0.2},
			}},
		},
		Grades: scorecard.DefaultGrades(), Tiers: scorecard.DefaultTiers(),
	}
	s.AssignPoints()
	data, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "scorecard.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// testTable returns n rows for testScorecard, starting at id number `from`: about 1% null
// ids, 2% ids repeating an earlier one (dups, within the batch or from `pool`, ids of
// earlier files), 0.3% infinite incomes, nulls, NaN, special values, empty and unseen
// categories, and an unused timestamp column.
func testTable(n int, from int, seed uint64, pool *[]string) arrow.Record {
	rng := rand.New(rand.NewPCG(seed, 11))
	mem := memory.DefaultAllocator
	id := array.NewStringBuilder(mem)
	inc := array.NewFloat64Builder(mem)
	loans := array.NewInt64Builder(mem)
	hous := array.NewStringBuilder(mem)
	reg := array.NewStringBuilder(mem)
	ts := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Millisecond})
	houses := []string{"rent", "lodger", "own", "mortgage", "", "castle"}
	regions := []string{"north", "south", "", "east"}
	for i := 0; i < n; i++ {
		switch r := rng.IntN(100); {
		case r == 0:
			id.AppendNull()
		case r <= 2 && len(*pool) > 0:
			id.Append((*pool)[rng.IntN(len(*pool))])
		default:
			v := fmt.Sprintf("C%07d", from+i)
			id.Append(v)
			*pool = append(*pool, v)
		}
		switch r := rng.IntN(1000); {
		case r < 30:
			inc.AppendNull()
		case r < 33:
			inc.Append(math.Inf(1 - 2*(r%2)))
		case r < 40:
			inc.Append(math.NaN())
		case r < 60:
			inc.Append(-1)
		default:
			inc.Append(math.Round(rng.Float64()*3000*100) / 100)
		}
		if rng.IntN(20) == 0 {
			loans.AppendNull()
		} else {
			loans.Append(int64(rng.IntN(6)))
		}
		if rng.IntN(25) == 0 {
			hous.AppendNull()
		} else {
			hous.Append(houses[rng.IntN(len(houses))])
		}
		if rng.IntN(30) == 0 {
			reg.AppendNull()
		} else {
			reg.Append(regions[rng.IntN(len(regions))])
		}
		ts.Append(arrow.Timestamp(1_700_000_000_000 + int64(i)))
	}
	cols := []arrow.Array{id.NewArray(), inc.NewArray(), loans.NewArray(), hous.NewArray(), reg.NewArray(), ts.NewArray()}
	sch := arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "income", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "loans", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "housing", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "region", Type: cols[4].DataType(), Nullable: true},
		{Name: "updated", Type: cols[5].DataType(), Nullable: true},
	}, nil)
	rec := array.NewRecord(sch, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// writeTestTable writes files of the given row counts as Parquet part files under dir,
// with row groups of rowGroupRows rows.
func writeTestTable(t testing.TB, dir string, rows []int, rowGroupRows int64) {
	t.Helper()
	var pool []string
	from := 0
	for k, n := range rows {
		rec := testTable(n, from, uint64(k+1), &pool)
		from += n
		loc := storage.MustParse(filepath.Join(dir, fmt.Sprintf("f%02d", k)))
		pw, err := ingest.NewPartWriter(context.Background(), storage.Local{}, loc, rec.Schema(), ingest.PartOptions{RowsPerPart: int64(n) + 1, RowGroupRows: rowGroupRows})
		if err != nil {
			t.Fatal(err)
		}
		if err := pw.Write(rec); err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		rec.Release()
		// Move the part up, so the files of the table are dir/f00.parquet, dir/f01.parquet, …
		if err := os.Rename(filepath.Join(loc.Key, "part-00000.parquet"), loc.Key+".parquet"); err != nil {
			t.Fatal(err)
		}
		os.Remove(loc.Key)
	}
}

func scoreSpec(t testing.TB, input, model, out string) *jobs.Spec {
	t.Helper()
	spec, err := jobs.Parse("score.yaml", []byte(fmt.Sprintf("kind: score\nname: s\ninputs: {table: %s}\nmodel: %s\noutput: %s\nas_of: 2026-06-30\n", input, model, out)), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func testEnv() *Env {
	return &Env{Stores: storage.NewStores(storage.Options{}), Log: discardLogger()}
}

// partFiles returns the parts of dir/<table> of a run, in name order.
func partFiles(t testing.TB, runDir, table string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(runDir, table, "part-*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// sameBytes compares the parts of a table in two runs pairwise: the same bytes, up to the
// order of the encoding statistics that Arrow writes in random order (pqscan.Equivalent).
func sameBytes(t *testing.T, table, a, b string) {
	t.Helper()
	pa, pb := partFiles(t, a, table), partFiles(t, b, table)
	if len(pa) != len(pb) {
		t.Fatalf("%s: %d parts versus %d", table, len(pa), len(pb))
	}
	for i := range pa {
		da, _ := os.ReadFile(pa[i])
		db, _ := os.ReadFile(pb[i])
		if err := pqscan.Equivalent(da, db); err != nil {
			t.Errorf("%s: %s and %s differ: %v", table, pa[i], pb[i], err)
		}
	}
}

// sameOutputs compares the outputs of two manifests by path and size (checksums may differ
// where pqscan.Equivalent forgives).
func sameOutputs(t *testing.T, a, b []pipeline.OutputFile) {
	t.Helper()
	key := func(os []pipeline.OutputFile) string {
		var sb strings.Builder
		for _, o := range os {
			fmt.Fprintf(&sb, "%s %d\n", o.Path, o.Size)
		}
		return sb.String()
	}
	if key(a) != key(b) {
		t.Errorf("outputs differ:\n%s\n%s", key(a), key(b))
	}
}

// tableRows reads every part of a table of a run, in name order, as one line per row.
func tableRows(t testing.TB, runDir, table string) []string {
	t.Helper()
	var out []string
	for _, f := range partFiles(t, runDir, table) {
		tbl, err := ingest.ReadTable(context.Background(), storage.NewStores(storage.Options{}), table, f, ingest.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range tbl.Batches {
			for i := 0; i < int(b.Record.NumRows()); i++ {
				var sb strings.Builder
				for _, c := range b.Record.Columns() {
					sb.WriteString(c.ValueStr(i))
					sb.WriteByte('|')
				}
				out = append(out, sb.String())
			}
		}
		tbl.Release()
	}
	return out
}

func runDirOf(spec *jobs.Spec, m *pipeline.Manifest) string {
	return filepath.Join(spec.Output, "runs", m.RunID)
}

// TestScoreStreamingMatchesInMemory scores the same inputs with the streaming job and with
// the job as it was before it streamed (score_ref_test.go), under the same run id: German
// Credit (CSV, a model trained on it, ids by row number) and a generated Parquet table with
// null, repeated and infinite values give the same scored rows and byte-identical quarantine
// files (the scored parts are written with their own encodings now, score.PartWriter, so
// only their rows are compared); a table of three files gives the same rows in the same
// order (parts are cut per file now), and the same row counts.
func TestScoreStreamingMatchesInMemory(t *testing.T) {
	dir := t.TempDir()
	gc, _ := filepath.Abs("../../testdata/germancredit_split.csv")
	gcModel := filepath.Join(dir, "gcmodel")
	runSpec(t, writeSpec(t, dir, fmt.Sprintf("kind: train\nname: gc\ninputs: {table: %s}\ntarget: {column: creditability, bad: bad}\nsplit: {column: sample}\noutput: %s\n", gc, gcModel)))
	model := testScorecard(t, dir)
	one := filepath.Join(dir, "one")
	writeTestTable(t, one, []int{150_000}, 40_000)
	three := filepath.Join(dir, "three")
	writeTestTable(t, three, []int{20_000, 0, 35_000, 9_000}, 8_000)

	for _, tc := range []struct {
		name, input, model string
		identical          bool
	}{
		{"germancredit", gc, gcModel, true},
		{"one file", one, model, true},
		{"three files", three, model, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := scoreSpec(t, tc.input, tc.model, filepath.Join(dir, tc.name, "ref"))
			want, err := runScoreInMemory(context.Background(), ref, testEnv(), testRunID)
			if err != nil {
				t.Fatal(err)
			}
			spec := scoreSpec(t, tc.input, tc.model, filepath.Join(dir, tc.name, "stream"))
			got, err := RunAs(context.Background(), spec, *testEnv(), testRunID)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got.Rows) != fmt.Sprint(want.Rows) {
				t.Errorf("rows %v, want %v", got.Rows, want.Rows)
			}
			if tc.name != "germancredit" && (want.Rows["table"].ByReason["duplicate_key"] == 0 || want.Rows["table"].ByReason["null_id"] == 0 ||
				want.Rows["table"].ByReason["non_finite"] == 0) {
				t.Errorf("the test table lacks refused rows: %v", want.Rows)
			}
			for _, table := range []string{"scored", "quarantine"} {
				if tc.identical && table == "quarantine" {
					sameBytes(t, table, runDirOf(ref, want), runDirOf(spec, got))
				}
				a, b := tableRows(t, runDirOf(ref, want), table), tableRows(t, runDirOf(spec, got), table)
				if len(a) != len(b) {
					t.Fatalf("%s: %d rows, want %d", table, len(b), len(a))
				}
				for i := range a {
					if a[i] != b[i] {
						t.Fatalf("%s row %d:\n got %s\nwant %s", table, i, b[i], a[i])
					}
				}
			}
			if len(got.Inputs["table"]) != len(want.Inputs["table"]) || fmt.Sprint(got.Inputs) != fmt.Sprint(want.Inputs) {
				t.Errorf("inputs %v, want %v", got.Inputs, want.Inputs)
			}
		})
	}
}

// TestScoreSameForAnyGOMAXPROCS scores a table cut into many chunks with 1 and 4 cores:
// every file of the run is the same.
func TestScoreSameForAnyGOMAXPROCS(t *testing.T) {
	dir := t.TempDir()
	model := testScorecard(t, dir)
	in := filepath.Join(dir, "in")
	writeTestTable(t, in, []int{60_000, 45_000}, 5_000)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var dirs []string
	var outputs [][]pipeline.OutputFile
	for _, procs := range []int{1, 4} {
		runtime.GOMAXPROCS(procs)
		spec := scoreSpec(t, in, model, filepath.Join(dir, fmt.Sprint("out", procs)))
		m, err := scoreTable(context.Background(), spec, testEnv(), placement{runID: testRunID, chunkRows: 12_000})
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, runDirOf(spec, m))
		outputs = append(outputs, m.Outputs)
	}
	if n := len(partFiles(t, dirs[0], "scored")); n < 8 {
		t.Fatalf("%d scored parts: the table was not cut into chunks", n)
	}
	sameOutputs(t, outputs[0], outputs[1])
	sameBytes(t, "scored", dirs[0], dirs[1])
	sameBytes(t, "quarantine", dirs[0], dirs[1])
}

// TestScoreRefusals checks the quarantine of a small table by hand: a null id, an id that
// repeats across files (the later row is refused, naming the first row of the table), an
// infinite value (the first such characteristic is named), and a repeated id whose first
// occurrence was itself refused for an infinite value.
func TestScoreRefusals(t *testing.T) {
	dir := t.TempDir()
	model := testScorecard(t, dir)
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	write := func(name string, ids []string, incomes []float64) {
		mem := memory.DefaultAllocator
		ib, fb, lb, hb, rb := array.NewStringBuilder(mem), array.NewFloat64Builder(mem), array.NewInt64Builder(mem), array.NewStringBuilder(mem), array.NewStringBuilder(mem)
		for i, id := range ids {
			if id == "" {
				ib.AppendNull()
			} else {
				ib.Append(id)
			}
			fb.Append(incomes[i])
			lb.Append(1)
			hb.Append("own")
			rb.Append("north")
		}
		cols := []arrow.Array{ib.NewArray(), fb.NewArray(), lb.NewArray(), hb.NewArray(), rb.NewArray()}
		sch := arrow.NewSchema([]arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "income", Type: arrow.PrimitiveTypes.Float64},
			{Name: "loans", Type: arrow.PrimitiveTypes.Int64}, {Name: "housing", Type: arrow.BinaryTypes.String}, {Name: "region", Type: arrow.BinaryTypes.String}}, nil)
		rec := array.NewRecord(sch, cols, int64(len(ids)))
		defer rec.Release()
		if _, err := ingest.WriteParquet(context.Background(), storage.Local{}, storage.MustParse(filepath.Join(in, name)), rec); err != nil {
			t.Fatal(err)
		}
	}
	inf := math.Inf(1)
	write("a.parquet", []string{"A", "B", "", "C", "X"}, []float64{500, 500, 500, 500, inf})
	write("b.parquet", []string{"D", "B", "A", "X", "E"}, []float64{500, inf, 500, 500, 500})
	spec := scoreSpec(t, in, model, filepath.Join(dir, "out"))
	m, err := RunAs(context.Background(), spec, *testEnv(), testRunID)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts := pipeline.RowCounts{Input: 10, Used: 5, Quarantined: 5, ByReason: map[string]int64{"null_id": 1, "duplicate_key": 3, "non_finite": 1}}
	if fmt.Sprint(m.Rows["table"]) != fmt.Sprint(wantCounts) {
		t.Errorf("rows %+v, want %+v", m.Rows["table"], wantCounts)
	}
	var ids []string
	for _, r := range tableRows(t, runDirOf(spec, m), "scored") {
		ids = append(ids, strings.Split(r, "|")[0])
	}
	if fmt.Sprint(ids) != "[A B C D E]" {
		t.Errorf("scored ids %v, want [A B C D E]", ids)
	}
	var quar []string
	for _, r := range tableRows(t, runDirOf(spec, m), "quarantine") {
		f := strings.Split(r, "|")
		quar = append(quar, fmt.Sprintf("%s %s:%s %s", f[0], filepath.Base(f[5]), f[6], f[7]))
	}
	want := []string{
		"(null) a.parquet:2 null_id:customer_id",
		"X a.parquet:4 non_finite:income",
		"B b.parquet:1 duplicate_key:customer_id (first at row 1)",
		"A b.parquet:2 duplicate_key:customer_id (first at row 0)",
		"X b.parquet:3 duplicate_key:customer_id (first at row 4)",
	}
	if strings.Join(quar, "\n") != strings.Join(want, "\n") {
		t.Errorf("quarantine:\n%s\nwant:\n%s", strings.Join(quar, "\n"), strings.Join(want, "\n"))
	}
}

// TestScoreRefusesBadInput names the file, column or table at fault.
func TestScoreRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	model := testScorecard(t, dir)
	in := filepath.Join(dir, "in")
	writeTestTable(t, in, []int{100, 100}, 50)
	// A third file whose schema differs.
	mem := memory.DefaultAllocator
	b := array.NewInt64Builder(mem)
	b.Append(1)
	col := b.NewArray()
	rec := array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{col}, 1)
	other := filepath.Join(dir, "other")
	os.MkdirAll(other, 0o755)
	ingest.WriteParquet(context.Background(), storage.Local{}, storage.MustParse(filepath.Join(other, "x.parquet")), rec)
	os.WriteFile(filepath.Join(dir, "corrupt.parquet"), []byte("PAR1 this is not parquet PAR1"), 0o644)
	for _, tc := range []struct{ input, want string }{
		{other, "column income: the scorecard needs it and the input lacks it"},
		{filepath.Join(dir, "corrupt.parquet"), "corrupt.parquet: not a valid Parquet file"},
		{filepath.Join(dir, "nothing"), "nothing"},
	} {
		_, err := RunAs(context.Background(), scoreSpec(t, tc.input, model, filepath.Join(dir, "out")), *testEnv(), testRunID)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.input, err, tc.want)
		}
	}
	os.Rename(filepath.Join(other, "x.parquet"), filepath.Join(in, "f99.parquet"))
	_, err := RunAs(context.Background(), scoreSpec(t, in, model, filepath.Join(dir, "out")), *testEnv(), testRunID)
	if err == nil || !strings.Contains(err.Error(), "different schemas") || !strings.Contains(err.Error(), "f99.parquet") {
		t.Errorf("mixed schemas: %v", err)
	}
	_ = time.Now
}

func BenchmarkScoreJob(b *testing.B) {
	dir := b.TempDir()
	model := testScorecard(b, dir)
	in := filepath.Join(dir, "in")
	writeTestTable(b, in, []int{500_000}, 128<<10)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		spec := scoreSpec(b, in, model, filepath.Join(dir, fmt.Sprint("out", i)))
		if _, err := Run(context.Background(), spec, Env{Stores: storage.NewStores(storage.Options{})}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(500_000*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// cancelOnStage is a log handler that cancels a context when the named stage starts.
type cancelOnStage struct {
	slog.Handler
	stage  string
	cancel context.CancelFunc
}

func (h cancelOnStage) Enabled(context.Context, slog.Level) bool { return true }

func (h cancelOnStage) Handle(ctx context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "stage" && a.Value.String() == h.stage && r.Message == "stage started" {
			h.cancel()
		}
		return true
	})
	return nil
}

// TestScoreCancelledPublishesNothing cancels a score run as it starts scoring, and as a
// shard: it fails with the context's error, writes no manifest, shard manifest or
// latest.json, and leaves no spill file of the duplicate-id pass behind.
func TestScoreCancelledPublishesNothing(t *testing.T) {
	dir := t.TempDir()
	model := testScorecard(t, dir)
	in := filepath.Join(dir, "in")
	writeTestTable(t, in, []int{30_000, 20_000}, 5_000)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, shard := range []Shard{{}, {1, 2}} {
		ctx, cancel := context.WithCancel(context.Background())
		env := Env{Stores: storage.NewStores(storage.Options{}), Log: slog.New(cancelOnStage{slog.DiscardHandler, "score", cancel})}
		spec := scoreSpec(t, in, model, filepath.Join(dir, fmt.Sprint("out", shard.Count)))
		var err error
		if shard.Count == 0 {
			_, err = Run(ctx, spec, env)
		} else {
			_, err = RunShard(ctx, spec, env, shard, "")
		}
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("shard %v: %v, want the context's error", shard, err)
		}
		var published []string
		filepath.WalkDir(spec.Output, func(p string, d os.DirEntry, err error) error {
			if err == nil && (d.Name() == pipeline.ManifestFile || d.Name() == pipeline.LatestFile || strings.HasPrefix(d.Name(), "shard-")) {
				published = append(published, p)
			}
			return nil
		})
		if len(published) > 0 {
			t.Errorf("shard %v: a cancelled run wrote %v", shard, published)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) > 0 {
		t.Errorf("left in TMPDIR: %v", left)
	}
}

// TestScoreCSVDialects scores one table written as a plain CSV and as a semicolon CSV whose
// missing values are "?" (read with inputs.csv.null_values): the same scored rows.
func TestScoreCSVDialects(t *testing.T) {
	dir := t.TempDir()
	model := testScorecard(t, dir)
	plain := "customer_id,income,loans,housing,region\n1,250,0,rent,north\n2,,2,own,\n3,1500,4,,south\n4,-1,,lodger,east\n"
	dialect := "customer_id;income;loans;housing;region\n1;250;0;rent;north\n2;?;2;own;?\n3;1500;4;?;south\n4;-1;?;lodger;east\n"
	var rows [2][]string
	for k, text := range []string{plain, dialect} {
		in := filepath.Join(dir, fmt.Sprintf("in%d.csv", k))
		if err := os.WriteFile(in, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		spec := scoreSpec(t, in, model, filepath.Join(dir, fmt.Sprintf("out%d", k)))
		if k == 1 {
			spec.Inputs.CSV.NullValues = []string{"?"}
		}
		m, err := RunAs(context.Background(), spec, *testEnv(), testRunID)
		if err != nil {
			t.Fatalf("table %d: %v", k, err)
		}
		rows[k] = tableRows(t, runDirOf(spec, m), "scored")
	}
	if len(rows[0]) != 4 || !slices.Equal(rows[0], rows[1]) {
		t.Errorf("scored rows differ:\nplain   %q\ndialect %q", rows[0], rows[1])
	}
}
