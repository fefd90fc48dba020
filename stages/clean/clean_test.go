package clean_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"lendscore/gen"
	"lendscore/pipeline/storage"
	"lendscore/schemas"
	"lendscore/stages/clean"
	"lendscore/stages/ingest"
)

func generate(t testing.TB, dir string, cfg gen.Config) *gen.Summary {
	t.Helper()
	sum, err := gen.Generate(context.Background(), storage.NewStores(storage.Options{}), storage.MustParse(dir), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func release(in map[string]*ingest.Table) {
	for _, t := range in {
		t.Release()
	}
}

// rowsOf renders every row of recs as text, column by column, keyed by the given
// columns: the tests compare rows by content.
func rowsOf(recs []arrow.Record, key ...string) map[string]string {
	out := map[string]string{}
	for _, rec := range recs {
		var keyCols []int
		for _, k := range key {
			keyCols = append(keyCols, rec.Schema().FieldIndices(k)[0])
		}
		for i := range int(rec.NumRows()) {
			var k, v []string
			for _, c := range keyCols {
				k = append(k, rec.Column(c).ValueStr(i))
			}
			for c := range int(rec.NumCols()) {
				v = append(v, rec.Column(c).ValueStr(i))
			}
			out[strings.Join(k, "|")] = strings.Join(v, "|")
		}
	}
	return out
}

func numRows(recs []arrow.Record) int64 {
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	return n
}

// TestExtractsMatchesTheAnswerKey cleans dirty extracts and compares what was refused,
// per table and reason, with the generator's answer key — every injected fault and every
// row orphaned by one, and nothing else — then checks that the clean rows are exactly the
// generator's clean rows, unchanged, and that quarantined rows are the input rows, unchanged,
// with the right source file and row.
func TestExtractsMatchesTheAnswerKey(t *testing.T) {
	for _, rate := range []float64{0.02, 0.1} {
		t.Run(fmt.Sprintf("rate=%g", rate), func(t *testing.T) {
			cfg := gen.Config{Customers: 3000, Seed: 21, DirtyRate: rate, CustomersPerPart: 1000}
			dirtyDir, cleanDir := t.TempDir(), t.TempDir()
			sum := generate(t, dirtyDir, cfg)
			cfg.DirtyRate = 0
			generate(t, cleanDir, cfg)
			in := readExtracts(t, dirtyDir, 4000)
			defer release(in)
			truth := readExtracts(t, cleanDir, 1<<16)
			defer release(truth)

			res, err := clean.Extracts(context.Background(), in, clean.Options{AsOf: sum.Config.AsOf})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Release()
			for _, table := range schemas.ExtractTables() {
				tr := res.Tables[table]
				c := tr.Counts
				if c.Input != sum.Rows[table] || c.Input != c.Used+c.Quarantined || numRows(tr.Clean) != c.Used || numRows(tr.Quarantine) != c.Quarantined {
					t.Errorf("%s: input %d (generated %d), used %d (records %d), quarantined %d (records %d)", table, c.Input, sum.Rows[table], c.Used, numRows(tr.Clean), c.Quarantined, numRows(tr.Quarantine))
				}
				if want := sum.Quarantine[table]; !maps.Equal(c.Reasons, want) {
					for _, r := range slices.Sorted(maps.Keys(mergeKeys(c.Reasons, want))) {
						if c.Reasons[r] != want[r] {
							t.Errorf("%s %s: quarantined %d, answer key %d", table, r, c.Reasons[r], want[r])
						}
					}
				}
				// The reason column agrees with the counts.
				byReason := map[string]int64{}
				for _, q := range tr.Quarantine {
					rs := q.Column(int(q.NumCols()) - 1).(*array.String)
					for i := range rs.Len() {
						byReason[rs.Value(i)]++
					}
				}
				if !maps.Equal(byReason, c.Reasons) {
					t.Errorf("%s: reason column %v, counts %v", table, byReason, c.Reasons)
				}
				for _, rec := range tr.Clean {
					if !rec.Schema().Equal(tr.Schema) {
						t.Fatalf("%s: clean record schema %v", table, rec.Schema())
					}
				}
			}
			checkCleanRowsAreTrue(t, res, truth)
			checkQuarantineIsRaw(t, res, in)

			// Repayments in another order (batches reversed: a loan's rows no longer come
			// in one run) take the other duplicate path and give the same accounts.
			rev := *in["repayments"]
			rev.Batches = slices.Clone(rev.Batches)
			slices.Reverse(rev.Batches)
			shuffled := maps.Clone(in)
			shuffled["repayments"] = &rev
			res2, err := clean.Extracts(context.Background(), shuffled, clean.Options{AsOf: sum.Config.AsOf})
			if err != nil {
				t.Fatal(err)
			}
			defer res2.Release()
			if got := res2.Tables["repayments"].Counts.Reasons; !maps.Equal(got, sum.Quarantine["repayments"]) {
				t.Errorf("repayments in reverse batch order: %v, answer key %v", got, sum.Quarantine["repayments"])
			}
		})
	}
}

func mergeKeys(a, b map[string]int64) map[string]int64 {
	m := maps.Clone(a)
	for k, v := range b {
		m[k] += v
	}
	return m
}

// checkCleanRowsAreTrue checks that every clean row equals the row the generator wrote
// without faults (same seed at dirty rate 0), and that every true row missing from the
// clean output is accounted for by a quarantined row.
func checkCleanRowsAreTrue(t *testing.T, res *clean.Result, truth map[string]*ingest.Table) {
	keys := map[string][]string{"customers": {"customer_id"}, "loans": {"loan_id"}, "repayments": {"loan_id", "due_date"}}
	for table, key := range keys {
		var recs []arrow.Record
		for _, b := range truth[table].Batches {
			recs = append(recs, b.Record)
		}
		want := rowsOf(recs, key...)
		got := rowsOf(res.Tables[table].Clean, key...)
		if int64(len(got)) != res.Tables[table].Counts.Used {
			t.Errorf("%s: %d distinct keys among %d clean rows", table, len(got), res.Tables[table].Counts.Used)
		}
		for k, row := range got {
			if want[k] != row {
				t.Fatalf("%s %s: clean row\n%s\nbut the generator's clean row is\n%s", table, k, row, want[k])
			}
		}
		if lost := int64(len(want) - len(got)); lost > res.Tables[table].Counts.Quarantined {
			t.Errorf("%s: %d true rows missing from the clean output, only %d quarantined", table, lost, res.Tables[table].Counts.Quarantined)
		}
	}
}

// checkQuarantineIsRaw checks every quarantined row against the input row its
// _source_file and _source_row name.
func checkQuarantineIsRaw(t *testing.T, res *clean.Result, in map[string]*ingest.Table) {
	for table, tr := range res.Tables {
		if !tr.QuarantineSchema.Equal(schemas.Quarantine(in[table].Schema)) {
			t.Errorf("%s: quarantine schema %v", table, tr.QuarantineSchema)
		}
		for _, q := range tr.Quarantine {
			ncol := int(q.NumCols())
			files, rows := q.Column(ncol-3).(*array.String), q.Column(ncol-2).(*array.Int64)
			for i := range int(q.NumRows()) {
				b := findBatch(in[table], files.Value(i), rows.Value(i))
				if b == nil {
					t.Fatalf("%s: no input row %s:%d", table, files.Value(i), rows.Value(i))
				}
				r := int(rows.Value(i) - b.FirstRow)
				for c := range ncol - 3 {
					if got, want := q.Column(c).ValueStr(i), b.Record.Column(c).ValueStr(r); got != want {
						t.Fatalf("%s %s:%d column %s: quarantined %q, input %q", table, files.Value(i), rows.Value(i), q.ColumnName(c), got, want)
					}
				}
			}
		}
	}
}

func findBatch(t *ingest.Table, file string, row int64) *ingest.Batch {
	for i, b := range t.Batches {
		if b.File == file && row >= b.FirstRow && row < b.FirstRow+b.Record.NumRows() {
			return &t.Batches[i]
		}
	}
	return nil
}

// TestExtractsIsDeterministic cleans the same input with 1 and 4 goroutines and compares
// accounts, profiles and every output row.
func TestExtractsIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	sum := generate(t, dir, gen.Config{Customers: 2000, Seed: 4, DirtyRate: 0.05, CustomersPerPart: 500})
	in := readExtracts(t, dir, 3000)
	defer release(in)
	var outs []string
	for _, p := range []int{1, 4} {
		res, err := clean.Extracts(context.Background(), in, clean.Options{AsOf: sum.Config.AsOf, Parallelism: p})
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(res)
		var sb strings.Builder
		sb.Write(js)
		for _, table := range schemas.ExtractTables() {
			for _, recs := range [][]arrow.Record{res.Tables[table].Clean, res.Tables[table].Quarantine} {
				for _, rec := range recs {
					b, _ := rec.MarshalJSON()
					sb.Write(b)
				}
			}
		}
		outs = append(outs, sb.String())
		res.Release()
	}
	if outs[0] != outs[1] {
		t.Error("parallelism 1 and 4 give different results")
	}
}

// TestExtractsCleanInputPassesUntouched: a clean extract loses no row, and its records are
// the input's (no copies).
func TestExtractsCleanInputPassesUntouched(t *testing.T) {
	dir := t.TempDir()
	sum := generate(t, dir, gen.Config{Customers: 1000, Seed: 2})
	in := readExtracts(t, dir, 1<<16)
	defer release(in)
	res, err := clean.Extracts(context.Background(), in, clean.Options{AsOf: sum.Config.AsOf})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	for table, tr := range res.Tables {
		if tr.Counts.Quarantined != 0 || tr.Counts.Used != sum.Rows[table] || len(tr.Quarantine) != 0 {
			t.Errorf("%s: %+v", table, tr.Counts)
		}
		if len(tr.Clean) != len(in[table].Batches) || !array.Equal(tr.Clean[0].Column(0), in[table].Batches[0].Record.Column(0)) {
			t.Errorf("%s: clean records differ from the input", table)
		}
	}
}
