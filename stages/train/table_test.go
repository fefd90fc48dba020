package train

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/models/binning"
	"lendscore/stages/frame"
	"lendscore/stages/ingest"
)

// dirtyTable is a table of n rows, split into batches of batch rows, with every row rule
// exercised: ids out of order with repeats, missing targets, infinite values, unknown
// samples, dates before and after an out-of-time cut.
func dirtyTable(t *testing.T, n, batch int, numericID bool) *ingest.Table {
	t.Helper()
	fields := []arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "y", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "sample", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "c", Type: arrow.BinaryTypes.String, Nullable: true},
	}
	if numericID {
		fields[0].Type = arrow.PrimitiveTypes.Int64
	}
	sch := arrow.NewSchema(fields, nil)
	tbl := &ingest.Table{Schema: sch}
	for start := 0; start < n; start += batch {
		b := array.NewRecordBuilder(memory.DefaultAllocator, sch)
		for i := start; i < min(start+batch, n); i++ {
			id := i
			if i%97 == 5 {
				id = i - 3 // a repeat of an earlier id
			}
			if i > n/2 && i%11 == 0 {
				id = n + (n - i) // out of order from here on
			}
			switch {
			case i%89 == 7:
				b.Field(0).AppendNull()
			case numericID:
				b.Field(0).(*array.Int64Builder).Append(int64(id))
			default:
				b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("c%07d", id))
			}
			switch {
			case i%53 == 1:
				b.Field(1).AppendNull()
			case (i*7)%10 < 3:
				b.Field(1).(*array.StringBuilder).Append("bad")
			default:
				b.Field(1).(*array.StringBuilder).Append("good")
			}
			switch {
			case i%61 == 2:
				b.Field(2).(*array.StringBuilder).Append("holdout?")
			case i%3 == 0:
				b.Field(2).(*array.StringBuilder).Append("test")
			default:
				b.Field(2).(*array.StringBuilder).Append("train")
			}
			b.Field(3).(*array.Date32Builder).Append(arrow.Date32(19000 + i%400))
			switch {
			case i%71 == 3:
				b.Field(4).(*array.Float64Builder).Append(math.Inf(1))
			case i%13 == 0:
				b.Field(4).AppendNull()
			default:
				b.Field(4).(*array.Float64Builder).Append(float64((i*37)%101) / 4)
			}
			b.Field(5).(*array.Int64Builder).Append(int64(i % 9))
			if i%17 == 0 {
				b.Field(6).AppendNull()
			} else {
				b.Field(6).(*array.StringBuilder).Append(string(rune('a' + i%5)))
			}
		}
		rec := b.NewRecord()
		b.Release()
		tbl.Batches = append(tbl.Batches, ingest.Batch{Record: rec, File: "t.csv", FirstRow: int64(start)})
	}
	t.Cleanup(tbl.Release)
	return tbl
}

func buildTable(t *testing.T, tbl *ingest.Table, rules Rules) *Table {
	t.Helper()
	b := NewBuilder(rules)
	for _, batch := range tbl.Batches {
		if err := b.Add(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	tab, err := b.Table()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tab.Release)
	return tab
}

// TestBuilderMatchesPrepare builds tables batch by batch and requires what Prepare gives on
// the whole table as a frame: the same used rows, labels, samples, ids, refusal counts and,
// in the quarantine records, the same reasons in the same rows.
func TestBuilderMatchesPrepare(t *testing.T) {
	cands := []string{"x", "k", "c"}
	splits := map[string]Split{
		"column": {Method: "column", Column: "sample"},
		"random": {Method: "random", TestFraction: 0.3, Seed: 5},
		"time":   {Method: "time", Column: "day", OOTFrom: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), TestFraction: 0.25, Seed: 9},
	}
	for _, numericID := range []bool{false, true} {
		for name, split := range splits {
			for _, batch := range []int{1000, 777} {
				t.Run(fmt.Sprintf("%s/numericID=%v/batch=%d", name, numericID, batch), func(t *testing.T) {
					tbl := dirtyTable(t, 3000, batch, numericID)
					fr, err := frame.FromTable(tbl, nil)
					if err != nil {
						t.Fatal(err)
					}
					p, err := Prepare(fr, "y", "bad", "id", split, cands)
					if err != nil {
						t.Fatal(err)
					}
					tab := buildTable(t, tbl, Rules{Target: "y", Bad: "bad", ID: "id", UniqueID: true, Split: split, Candidates: cands})
					if tab.Input != 3000 || tab.Used() != len(p.Used) {
						t.Fatalf("input %d used %d, Prepare used %d", tab.Input, tab.Used(), len(p.Used))
					}
					if !slices.Equal(tab.Bad, p.Bad) || !slices.Equal(tab.Sample, p.Sample) {
						t.Error("labels or samples differ from Prepare")
					}
					if fmt.Sprint(tab.Refused) != fmt.Sprint(p.Refused) {
						t.Errorf("refused %v, Prepare %v", tab.Refused, p.Refused)
					}
					ids := make([]string, tab.Used())
					tab.IDs(ids, 0)
					if !slices.Equal(ids, p.IDs) {
						t.Error("ids differ from Prepare")
					}
					var rows []int64
					var reasons []string
					for _, q := range tab.Quarantine {
						rc := q.Column(q.Schema().FieldIndices("_source_row")[0]).(*array.Int64)
						rs := q.Column(q.Schema().FieldIndices("reason")[0]).(*array.String)
						for i := 0; i < int(q.NumRows()); i++ {
							rows = append(rows, rc.Value(i))
							reasons = append(reasons, rs.Value(i))
						}
					}
					var wantRows []int64
					var wantReasons []string
					for i, r := range p.Reasons {
						if r != "" {
							wantRows = append(wantRows, int64(i))
							// The table names the file of the first occurrence too.
							wantReasons = append(wantReasons, strings.Replace(r, "(first at row ", "(first at t.csv row ", 1))
						}
					}
					if !slices.Equal(rows, wantRows) || !slices.Equal(reasons, wantReasons) {
						t.Errorf("quarantine %d rows, Prepare refused %d", len(rows), len(wantRows))
					}
					var dup int
					for _, r := range reasons {
						if strings.HasPrefix(r, "duplicate_key") {
							dup++
						}
					}
					if dup == 0 || tab.Refused["non_finite"] == 0 || tab.Refused["null_id"] == 0 {
						t.Errorf("the table exercises too few rules: %v", tab.Refused)
					}
				})
			}
		}
	}
}

// TestBuilderRowNumberIDs: without an id column a used row's id is its input row number.
func TestBuilderRowNumberIDs(t *testing.T) {
	tbl := dirtyTable(t, 500, 64, false)
	tab := buildTable(t, tbl, Rules{Target: "y", Bad: "bad", Split: Split{Method: "column", Column: "sample"}, Candidates: []string{"x"}})
	fr, _ := frame.FromTable(tbl, nil)
	p, _ := Prepare(fr, "y", "bad", "", Split{Method: "column", Column: "sample"}, []string{"x"})
	ids := make([]string, tab.Used())
	tab.IDs(ids, 0)
	if !slices.Equal(ids, p.IDs) {
		t.Errorf("row-number ids differ from Prepare's")
	}
	part := make([]string, 5)
	tab.IDs(part, 100)
	if !slices.Equal(part, p.IDs[100:105]) {
		t.Errorf("ids from row 100: %v, want %v", part, p.IDs[100:105])
	}
}

func TestBuilderErrors(t *testing.T) {
	tbl := dirtyTable(t, 10, 10, false)
	for _, c := range []struct {
		rules Rules
		want  string
	}{
		{Rules{Target: "nope", Candidates: []string{"x"}}, `target column "nope": not in the table`},
		{Rules{Target: "y", ID: "nope", Candidates: []string{"x"}}, `id column "nope": not in the table`},
		{Rules{Target: "y", Split: Split{Method: "column", Column: "nope"}, Candidates: []string{"x"}}, `split column "nope": not in the table`},
		{Rules{Target: "y", Candidates: []string{"nope"}}, `candidate column "nope": not in the table`},
	} {
		b := NewBuilder(c.rules)
		err := b.Add(context.Background(), tbl.Batches[0])
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("rules %+v: error %v, want %q", c.rules, err, c.want)
		}
	}
}

// TestAttrMatchesScorecard fits on a table whose special value -1 occurs only outside the
// train sample, and requires the attribute of every used row to be the one the scorecard's
// own lookups give its value, as `lendscore score` computes it.
func TestAttrMatchesScorecard(t *testing.T) {
	n := 4000
	x := make([]float64, n)
	cat := make([]string, n)
	y := make([]string, n)
	sample := make([]string, n)
	for i := range x {
		x[i] = float64(i % 50)
		if i%10 == 0 {
			x[i] = math.NaN()
		}
		cat = append(cat[:i], []string{"p", "q", "r", "s"}[i%4])
		sample[i] = "train"
		if i%3 == 0 {
			sample[i] = "test"
			if i%9 == 0 {
				x[i] = -1 // special, never in train
				cat[i] = "unseen"
			}
		}
		bad := (i%50 > 30 && i%3 != 1) || i%7 == 0
		if cat[i] == "r" && i%2 == 0 {
			bad = true
		}
		y[i] = map[bool]string{true: "bad", false: "good"}[bad]
	}
	fr := mustFrame(t, map[string]any{"x": x, "cat": cat, "y": y, "sample": sample})
	p, err := Prepare(fr, "y", "bad", "", Split{Method: "column", Column: "sample"}, []string{"x", "cat"})
	if err != nil {
		t.Fatal(err)
	}
	opts := defaultOptions([]string{"x", "cat"})
	opts.Binning.Special = []float64{-1}
	opts.Selection.MinIV = 1e-9
	res, err := Fit(context.Background(), fr, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Selected) != 2 {
		t.Fatalf("selected %v: the test needs both variables", res.Selected)
	}
	sc := res.Scorecard
	// The case under test: binning scores an unseen special value as missing, the scorecard
	// (and so `lendscore score`) by its interval.
	xi := slices.Index(res.Selected, "x")
	if got, bin := sc.Characteristics[xi].NumericAttribute(-1), res.Binned["x"].Index(-1); got == bin {
		t.Fatalf("the special value -1 gets attribute %d both ways: the test does not exercise the difference", got)
	}
	checked := 0
	for j, ch := range sc.Characteristics {
		col := fr.Column(ch.Name)
		for k, i := range p.Used {
			var want int
			if ch.Kind == string(binning.Numeric) {
				want = ch.NumericAttribute(col.Num[i])
			} else {
				want = ch.CategoryAttribute(col.Str[i], col.Valid[i] && col.Str[i] != "")
			}
			if got := int(res.Attr[j].At(k)); got != want {
				t.Fatalf("%s row %d: attribute %d, the scorecard says %d", ch.Name, i, got, want)
			}
			checked++
		}
	}
	if checked != 2*n {
		t.Errorf("checked %d", checked)
	}
	// Scoring through Result.Scored equals ScoreAttributes on those attributes.
	mp := sc.MaxPointsAll()
	rows := 0
	for k, r := range res.Scored(0, len(p.Used)) {
		if want := sc.ScoreAttributes(r.Attr, mp); r.Result != want || k != rows {
			t.Fatalf("row %d: %+v, want %+v", k, r.Result, want)
		}
		rows++
	}
	if rows != len(p.Used) {
		t.Errorf("scored %d rows of %d", rows, len(p.Used))
	}
}

// TestBuilderIDHashCollisions: text ids are looked up by a hash of their text; ids that
// share a hash must still be told apart. With a hash that makes most ids collide, the
// builder refuses exactly the rows, for exactly the reasons, that it refuses with its own.
func TestBuilderIDHashCollisions(t *testing.T) {
	tbl := dirtyTable(t, 3000, 400, false)
	rules := Rules{Target: "y", Bad: "bad", ID: "id", UniqueID: true, Split: Split{Method: "random", TestFraction: 0.3, Seed: 5},
		Candidates: []string{"x", "k", "c"}}
	want := buildTable(t, tbl, rules)
	b := NewBuilder(rules)
	b.hashText = func(s string) uint64 { return uint64(s[len(s)-1]) } // ten hashes for all ids
	for _, batch := range tbl.Batches {
		if err := b.Add(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	got, err := b.Table()
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if want.Refused["duplicate_key"] < 20 {
		t.Fatalf("refused %v: too few repeated ids to test", want.Refused)
	}
	if len(b.seenOther) < 100 {
		t.Fatalf("%d ids looked up by text: the hash does not collide enough", len(b.seenOther))
	}
	if fmt.Sprint(got.Refused) != fmt.Sprint(want.Refused) || !slices.Equal(got.Bad, want.Bad) || !slices.Equal(got.Sample, want.Sample) {
		t.Errorf("refused %v, want %v", got.Refused, want.Refused)
	}
	if g, w := quarantined(got), quarantined(want); !slices.Equal(g, w) {
		t.Errorf("quarantine differs: %d rows versus %d", len(g), len(w))
	}
}
