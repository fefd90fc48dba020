package train

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/models/binning"
	"lendscore/models/scorecard"
	"lendscore/stages/ingest"
)

// shardedTable is a modelling table of n rows in files of the given sizes, with risk signal
// in every candidate: x continuous (more distinct values than KeyCap when n is large), k a
// count with the special value −1, m a ratio binned by hand, c a category.
func shardedTable(t *testing.T, sizes []int, seed uint64) []ingest.Batch {
	t.Helper()
	sch := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "y", Type: arrow.BinaryTypes.String},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "m", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "c", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32},
	}, nil)
	rng := rand.New(rand.NewPCG(seed, 7))
	var batches []ingest.Batch
	id := 0
	for f, size := range sizes {
		b := array.NewRecordBuilder(memory.DefaultAllocator, sch)
		for range size {
			risk := rng.NormFloat64()
			switch {
			case f == 3 && id%1000 == 17: // repeats an id of files 0 and 1 (other shards)
				b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("C%07d", id/5))
			case f == 5 && id%3000 == 1: // repeats an id of file 3
				b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("C%07d", id-9000))
			default:
				b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("C%07d", id))
			}
			id++
			if rng.Float64() < 1/(1+math.Exp(2.2-1.1*risk)) {
				b.Field(1).(*array.StringBuilder).Append("bad")
			} else {
				b.Field(1).(*array.StringBuilder).Append("good")
			}
			if rng.IntN(40) == 0 {
				b.Field(2).AppendNull()
			} else {
				b.Field(2).(*array.Float64Builder).Append(1000 * math.Exp(0.8*risk+0.6*rng.NormFloat64()))
			}
			switch k := int64(math.Round(2 + risk + rng.NormFloat64())); {
			case rng.IntN(25) == 0:
				b.Field(3).(*array.Int64Builder).Append(-1)
			case k < 0:
				b.Field(3).(*array.Int64Builder).Append(0)
			default:
				b.Field(3).(*array.Int64Builder).Append(k)
			}
			b.Field(4).(*array.Float64Builder).Append(math.Round(100*(0.5+0.2*risk+0.3*rng.Float64())) / 100)
			switch {
			case rng.IntN(30) == 0:
				b.Field(5).AppendNull()
			case risk > 0.8:
				b.Field(5).(*array.StringBuilder).Append([]string{"rent", "other"}[rng.IntN(2)])
			default:
				b.Field(5).(*array.StringBuilder).Append([]string{"own", "mortgage", "rent"}[rng.IntN(3)])
			}
			b.Field(6).(*array.Date32Builder).Append(arrow.Date32(18900 + id%400))
		}
		rec := b.NewRecord()
		b.Release()
		// Two batches per file, as a reader hands them.
		half := rec.NumRows() / 2
		for k, r := range []arrow.Record{rec.NewSlice(0, half), rec.NewSlice(half, rec.NumRows())} {
			batches = append(batches, ingest.Batch{Record: r, File: fmt.Sprintf("f%d.parquet", f), FirstRow: int64(k) * half, FileIndex: f})
		}
		rec.Release()
	}
	t.Cleanup(func() {
		for _, b := range batches {
			b.Record.Release()
		}
	})
	return batches
}

func shardRules() Rules {
	return Rules{Target: "y", Bad: "bad", ID: "id", UniqueID: true, Split: Split{Method: "random", TestFraction: 0.3, Seed: 11},
		Candidates: []string{"x", "k", "m", "c"}}
}

func shardOptions() Options {
	cfg := binning.DefaultConfig()
	cfg.Special = []float64{-1}
	return Options{Model: "m", Version: "v", Binning: cfg, Manual: map[string][]string{"m": {"0.4", "0.55", "0.7"}},
		Scaling: scorecard.Scaling{PDO: 20, BasePoints: 600, BaseOdds: 50}}
}

// fitSharded fits the table of batches as n shards would: each builds and encodes its
// files' rows, the sketches and rows go through Arrow records, and an assembler rebuilds
// the table, adding the shards' rows in reverse shard order.
func fitSharded(t *testing.T, batches []ingest.Batch, n int, rules Rules) (*Table, *Result, []PartSummary, []string) {
	t.Helper()
	ctx := context.Background()
	opts := shardOptions()
	var sums []PartSummary
	var sketches [][]arrow.Record
	var refused []string // file, row, reason of every refused row
	rows := make([][]arrow.Record, n)
	for i := range n {
		r := rules
		r.Shard = true
		b := NewBuilder(r)
		for _, batch := range batches {
			if batch.FileIndex%n == i {
				if err := b.Add(ctx, batch); err != nil {
					t.Fatal(err)
				}
			}
		}
		tab, err := b.Table()
		if err != nil {
			t.Fatal(err)
		}
		refused = append(refused, quarantined(tab)...)
		p, err := NewPart(ctx, tab, opts.Manual, opts.Binning.Special)
		if err != nil {
			t.Fatal(err)
		}
		// Through JSON, as the summary travels.
		raw, err := json.Marshal(p.Summary)
		if err != nil {
			t.Fatal(err)
		}
		var s PartSummary
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		sums = append(sums, s)
		sketches = append(sketches, []arrow.Record{p.Sketch(memory.DefaultAllocator)})
		if err := p.Rows(memory.DefaultAllocator, 3000, func(rec arrow.Record) error {
			rec.Retain()
			rows[i] = append(rows[i], rec)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		p.Release()
	}
	a, err := NewAssembler(rules, sums, sketches)
	if err != nil {
		t.Fatal(err)
	}
	for i := n - 1; i >= 0; i-- {
		for _, rec := range rows[i] {
			if err := a.Add(i, rec); err != nil {
				t.Fatal(err)
			}
			rec.Release()
		}
	}
	for _, s := range sketches {
		s[0].Release()
	}
	var files []string
	for _, b := range batches {
		if len(files) == b.FileIndex {
			files = append(files, b.File)
		}
	}
	tab, more, err := a.Table(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range more {
		refused = append(refused, fmt.Sprintf("%s %d %s", files[r.File], r.Row, r.Reason))
	}
	slices.Sort(refused)
	res, err := FitTable(ctx, tab, opts)
	if err != nil {
		t.Fatal(err)
	}
	return tab, res, sums, refused
}

// quarantined lists the quarantine records of a table as "file row reason", sorted.
func quarantined(tab *Table) []string {
	var out []string
	for _, q := range tab.Quarantine {
		s := q.Schema()
		fc := q.Column(s.FieldIndices("_source_file")[0]).(*array.String)
		rc := q.Column(s.FieldIndices("_source_row")[0]).(*array.Int64)
		wc := q.Column(s.FieldIndices("reason")[0]).(*array.String)
		for i := range int(q.NumRows()) {
			out = append(out, fmt.Sprintf("%s %d %s", fc.Value(i), rc.Value(i), wc.Value(i)))
		}
	}
	slices.Sort(out)
	return out
}

// TestShardsFitLikeOneProcess fits a table of seven files in one process and as 1, 3 and 4
// shards (and as 3 on one core), and requires the same table (labels, samples, ids), the same refused rows with the
// same reasons (ids repeated within a shard and across shards), the same variable reports
// and scorecard and the same bins for every row. x has more distinct values than a key set
// holds, so it is bucketed: by the one shard that reads them all, by the commit when
// shards of fewer values keep theirs exact.
func TestShardsFitLikeOneProcess(t *testing.T) {
	sizes := []int{9000, 14000, 0, 21000, 11000, 6000, 12000}
	batches := shardedTable(t, sizes, 3)
	timeSplit := shardRules()
	timeSplit.Split = Split{Method: "time", Column: "day", OOTFrom: time.Date(2022, 10, 1, 0, 0, 0, 0, time.UTC), TestFraction: 0.25, Seed: 4}
	for _, rules := range []Rules{shardRules(), timeSplit} {
		t.Run(rules.Split.Method, func(t *testing.T) { shardsFitLikeOneProcess(t, batches, rules) })
	}
}

func shardsFitLikeOneProcess(t *testing.T, batches []ingest.Batch, rules Rules) {
	one, want := fitTable(t, batches, rules) // the fit keeps the rows' labels, samples and ids
	used := one.Used()
	wantRefused := quarantined(one)
	if one.Refused["duplicate_key"] < 20 {
		t.Fatalf("refused %v: the table repeats too few ids", one.Refused)
	}
	ids := make([]string, used)
	one.IDs(ids, 0)
	bad, sample := slices.Clone(one.Bad), slices.Clone(one.Sample)
	for s := range uint8(3) {
		if (s < 2 || rules.Split.Method == "time") && !slices.Contains(sample, s) {
			t.Fatalf("no row in sample %d", s)
		}
	}
	wantJSON := mustJSON(t, want.Scorecard)
	if !slices.ContainsFunc(want.Scorecard.Characteristics, func(c scorecard.Characteristic) bool { return c.Name == "x" }) {
		t.Fatalf("x is not in the scorecard; the test needs it: %s", wantJSON)
	}

	for _, tc := range []struct{ shards, procs int }{{1, 0}, {3, 0}, {4, 0}, {3, 1}} {
		n := tc.shards
		t.Run(fmt.Sprintf("%d shards, GOMAXPROCS %d", n, tc.procs), func(t *testing.T) {
			if tc.procs > 0 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(tc.procs))
			}
			tab, got, sums, refused := fitSharded(t, batches, n, rules)
			if !slices.Equal(refused, wantRefused) || fmt.Sprint(tab.Refused) != fmt.Sprint(one.Refused) {
				t.Errorf("refused %v (%d rows), one process %v (%d rows)", tab.Refused, len(refused), one.Refused, len(wantRefused))
				for i := range min(len(refused), len(wantRefused)) {
					if refused[i] != wantRefused[i] {
						t.Errorf("first difference: %q versus %q", refused[i], wantRefused[i])
						break
					}
				}
			}
			shifts := []uint8{}
			for _, s := range sums {
				shifts = append(shifts, s.Variables[0].Shift)
			}
			t.Logf("x's key set resolution per shard: %v", shifts)
			if n == 1 && shifts[0] == 0 {
				t.Errorf("one shard of %d rows keeps x exact", used)
			}
			if tab.Used() != used || !slices.Equal(tab.Bad, bad) || !slices.Equal(tab.Sample, sample) {
				t.Fatalf("assembled table: %d rows; labels equal %v, samples equal %v", tab.Used(), slices.Equal(tab.Bad, bad), slices.Equal(tab.Sample, sample))
			}
			gotIDs := make([]string, used)
			tab.IDs(gotIDs, 0)
			if !slices.Equal(gotIDs, ids) {
				t.Errorf("ids differ")
			}
			sameFit(t, got, want, used)
		})
	}
}

// sameFit requires got to be the fit of want: the same scorecard, variable report, and bin
// of each of the used rows of every selected variable.
func sameFit(t *testing.T, got, want *Result, used int) {
	t.Helper()
	if g, w := mustJSON(t, got.Scorecard), mustJSON(t, want.Scorecard); g != w {
		t.Errorf("scorecard differs:\n%s\nwant\n%s", g, w)
	}
	if g, w := mustJSON(t, got.Variables), mustJSON(t, want.Variables); g != w {
		t.Errorf("variable reports differ:\n%s\nwant\n%s", g, w)
	}
	for j := range want.Attr {
		a, b := make([]uint32, used), make([]uint32, used)
		want.Attr[j].Decode(a, 0)
		got.Attr[j].Decode(b, 0)
		if !slices.Equal(a, b) {
			t.Errorf("bins of %s differ", want.Selected[j])
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestKeySetsMerge: key sets built from any split of the values and merged equal the key
// set of all the values — exact, and bucketed at the resolution the union needs — and every
// value's key index maps through the merge to its index in the whole.
func TestKeySetsMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cuts, err := keyCuts([]float64{10, 100}, []float64{-1, 9999})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		n     int
		value func() float64
		exact bool
	}{
		{"few values", 50_000, func() float64 { return float64(rng.IntN(3000)) / 8 }, true},
		{"many values", 200_000, func() float64 { return math.Exp(rng.NormFloat64() * 3) }, false},
		{"many values and specials", 150_000, func() float64 {
			switch rng.IntN(20) {
			case 0:
				return -1
			case 1:
				return 9999
			}
			return rng.NormFloat64() * 1e6
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vals := make([]float64, tc.n)
			for i := range vals {
				vals[i] = tc.value()
			}
			whole := keySetOf(vals, cuts)
			if (whole.shift == 0) != tc.exact || len(whole.keys) > KeyCap {
				t.Fatalf("shift %d with %d keys", whole.shift, len(whole.keys))
			}
			for _, s := range []float64{-1, 9999} {
				if !slices.Contains(vals, s) {
					continue
				}
				if i := whole.index(s); i < 0 || whole.mins[i] != s || (i > 0 && whole.mins[i-1] == s) {
					t.Errorf("special value %v has no key of its own", s)
				}
			}
			for _, parts := range []int{2, 5} {
				split := make([][]float64, parts)
				for _, v := range vals { // part 0 has most values: bucketed parts meet exact ones
					k := 0
					if rng.IntN(10) >= 6 {
						k = 1 + rng.IntN(parts-1)
					}
					split[k] = append(split[k], v)
				}
				var sets []*keySet
				for _, p := range split {
					sets = append(sets, keySetOf(p, cuts))
				}
				merged, remaps := mergeKeySets(sets)
				if merged.shift != whole.shift || !slices.Equal(merged.keys, whole.keys) || !slices.Equal(merged.mins, whole.mins) || !slices.Equal(merged.counts, whole.counts) {
					t.Fatalf("%d parts: merged shift %d, %d keys; whole shift %d, %d keys", parts, merged.shift, len(merged.keys), whole.shift, len(whole.keys))
				}
				for p, vs := range split {
					for _, v := range vs[:min(len(vs), 2000)] {
						if got, want := int(remaps[p][sets[p].index(v)]), whole.index(v); got != want {
							t.Fatalf("value %v: key %d through the merge, %d in the whole", v, got, want)
						}
					}
				}
			}
			// Buckets never straddle a cut, and stand for their smallest value.
			for _, v := range vals[:5000] {
				i := whole.index(v)
				if whole.mins[i] > v {
					t.Fatalf("value %v below its key's smallest value %v", v, whole.mins[i])
				}
				for _, c := range cuts {
					if (whole.mins[i] < c) != (v < c) {
						t.Fatalf("value %v and its key's smallest value %v are on two sides of cut %v", v, whole.mins[i], c)
					}
				}
			}
		})
	}
}

// keySetOf builds the key set of values.
func keySetOf(vals []float64, cuts []float64) *keySet {
	s := slices.Clone(vals)
	slices.Sort(s)
	return newKeySet(func(fn func(v float64, n int64)) {
		for i := 0; i < len(s); {
			j := i
			for j < len(s) && s[j] == s[i] {
				j++
			}
			fn(s[i], int64(j-i))
			i = j
		}
	}, cuts)
}

// TestAssemblerRefuses: parts that do not fit together are refused with the reason — a
// summary whose candidates differ from the job's, rows sent twice, rows missing.
func TestAssemblerRefuses(t *testing.T) {
	ctx := context.Background()
	batches := shardedTable(t, []int{500, 700}, 9)
	rules, opts := shardRules(), shardOptions()
	var sums []PartSummary
	var sketches [][]arrow.Record
	var rows [][]arrow.Record
	for i := range 2 {
		r := rules
		r.Shard = true
		b := NewBuilder(r)
		for _, batch := range batches {
			if batch.FileIndex == i {
				b.Add(ctx, batch)
			}
		}
		tab, err := b.Table()
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPart(ctx, tab, opts.Manual, opts.Binning.Special)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, p.Summary)
		sk := p.Sketch(memory.DefaultAllocator)
		t.Cleanup(sk.Release)
		sketches = append(sketches, []arrow.Record{sk})
		rows = append(rows, nil)
		p.Rows(memory.DefaultAllocator, 256, func(rec arrow.Record) error {
			rec.Retain()
			t.Cleanup(rec.Release)
			rows[i] = append(rows[i], rec)
			return nil
		})
	}
	files := []string{"f0.parquet", "f1.parquet"}
	other := rules
	other.Candidates = []string{"x", "k", "c", "m"}
	if _, err := NewAssembler(other, sums, sketches); err == nil || !strings.Contains(err.Error(), "candidate 3 is m, want c") {
		t.Errorf("other candidates: %v", err)
	}
	a, err := NewAssembler(rules, sums, sketches)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range rows[0] {
		if err := a.Add(0, rec); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := a.Table(files); err == nil || !strings.Contains(err.Error(), "were added") {
		t.Errorf("rows missing: %v", err)
	}
	if err := a.Add(0, rows[0][0]); err == nil || !strings.Contains(err.Error(), "more rows of input file 0") {
		t.Errorf("rows sent twice: %v", err)
	}
}
