package clean_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
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

// streamTable cleans the batches of table name with a Stream, after the parents in whole,
// and returns its result with the clean records it handed out.
func streamTable(t *testing.T, name string, parents *clean.Result, batches []ingest.Batch) (*clean.TableResult, []arrow.Record) {
	t.Helper()
	s, err := clean.NewStream(name, parents, clean.Options{AsOf: gen.DefaultAsOf, KeepKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	var recs []arrow.Record
	for _, b := range batches {
		rec, err := s.Add(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		if rec != nil {
			recs = append(recs, rec)
		}
	}
	tr, err := s.Result()
	if err != nil {
		t.Fatal(err)
	}
	return tr, recs
}

// sameTable fails unless the streamed result of a table equals the whole-table one: counts
// by reason, profile, missing columns, and clean and quarantine records batch by batch.
func sameTable(t *testing.T, want, got *clean.TableResult, gotClean []arrow.Record) {
	t.Helper()
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if a, b := js(want.Counts), js(got.Counts); a != b {
		t.Errorf("%s counts:\n got %s\nwant %s", want.Name, b, a)
	}
	if a, b := js(want.Profile), js(got.Profile); a != b {
		t.Errorf("%s profile:\n got %s\nwant %s", want.Name, b, a)
	}
	if !slices.Equal(want.MissingColumns, got.MissingColumns) || !want.QuarantineSchema.Equal(got.QuarantineSchema) {
		t.Errorf("%s: missing columns %v, quarantine schema %v; want %v, %v", want.Name, got.MissingColumns, got.QuarantineSchema, want.MissingColumns, want.QuarantineSchema)
	}
	for _, c := range []struct {
		what      string
		want, got []arrow.Record
	}{{"clean", want.Clean, gotClean}, {"quarantine", want.Quarantine, got.Quarantine}} {
		if len(c.want) != len(c.got) {
			t.Errorf("%s %s: %d records, want %d", want.Name, c.what, len(c.got), len(c.want))
			continue
		}
		for i := range c.want {
			if !array.RecordEqual(c.want[i], c.got[i]) {
				t.Errorf("%s %s record %d differs", want.Name, c.what, i)
			}
		}
	}
}

// TestStreamEqualsExtracts cleans dirty generated extracts (every fault kind) whole with
// Extracts and the repayments and interactions batch by batch with Stream, at several batch
// sizes, and requires the same outcome.
func TestStreamEqualsExtracts(t *testing.T) {
	dir := t.TempDir()
	sum := generate(t, dir, gen.Config{Customers: 2500, Months: 24, Seed: 5, DirtyRate: 0.1, CustomersPerPart: 1000})
	for _, batch := range []int{7, 1000, 65536} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
			in := readExtracts(t, dir, batch)
			defer release(in)
			whole, err := clean.Extracts(t.Context(), in, clean.Options{AsOf: gen.DefaultAsOf, KeepKeys: true})
			if err != nil {
				t.Fatal(err)
			}
			defer whole.Release()
			parents, err := clean.Extracts(t.Context(), map[string]*ingest.Table{schemas.Customers: in[schemas.Customers], schemas.Loans: in[schemas.Loans]}, clean.Options{AsOf: gen.DefaultAsOf, KeepKeys: true})
			if err != nil {
				t.Fatal(err)
			}
			defer parents.Release()
			reasons := map[string]bool{}
			for _, name := range []string{schemas.Repayments, schemas.Interactions} {
				// Through ingest.StreamTable, as the pipeline reads them.
				var batches []ingest.Batch
				_, err := ingest.StreamTable(t.Context(), storage.NewStores(storage.Options{}), filepath.Join(dir, name)+"/", ingest.ReadOptions{BatchSize: batch}, func(b ingest.Batch) error {
					b.Record.Retain()
					batches = append(batches, b)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				got, recs := streamTable(t, name, parents, batches)
				sameTable(t, whole.Tables[name], got, recs)
				for r := range got.Counts.Reasons {
					reasons[r] = true
				}
				for _, r := range recs {
					r.Release()
				}
				for _, b := range batches {
					b.Record.Release()
				}
				(&clean.Result{Tables: map[string]*clean.TableResult{name: got}}).Release()
			}
			// Every kind of fault the generator injects into the two tables is among the
			// reasons (the counts themselves are checked against Extracts above, and
			// Extracts against the answer key in TestExtractsMatchesTheAnswerKey).
			for _, name := range []string{schemas.Repayments, schemas.Interactions} {
				if len(sum.Quarantine[name]) < 4 {
					t.Fatalf("%s: the generator injected only %v", name, sum.Quarantine[name])
				}
				for r := range sum.Quarantine[name] {
					if !reasons[r] {
						t.Errorf("%s: no row refused as %s", name, r)
					}
				}
			}
		})
	}
}

// TestStreamInterruptedRuns feeds the repayments in an order where the rows of a loan do
// not come together — batches reversed, then the first ones again, so that every row of
// those is a duplicate of a row several batches back — and requires Stream to refuse
// exactly what Extracts refuses.
func TestStreamInterruptedRuns(t *testing.T) {
	dir := t.TempDir()
	generate(t, dir, gen.Config{Customers: 600, Seed: 8, DirtyRate: 0.05, CustomersPerPart: 300})
	in := readExtracts(t, dir, 5)
	defer release(in)
	reps := in[schemas.Repayments]
	shuffled := slices.Clone(reps.Batches)
	slices.Reverse(shuffled)
	shuffled = append(shuffled, reps.Batches[:40]...)
	in[schemas.Repayments] = &ingest.Table{Name: reps.Name, Schema: reps.Schema, Files: reps.Files, Batches: shuffled}
	defer func() { in[schemas.Repayments] = reps }()
	whole, err := clean.Extracts(t.Context(), in, clean.Options{AsOf: gen.DefaultAsOf, KeepKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Release()
	if n := whole.Tables[schemas.Repayments].Counts.Reasons["duplicate_key:loan_id+due_date"]; n < 200 {
		t.Fatalf("only %d duplicates: the test does not exercise repeated runs", n)
	}
	parents, err := clean.Extracts(t.Context(), map[string]*ingest.Table{schemas.Customers: in[schemas.Customers], schemas.Loans: in[schemas.Loans]}, clean.Options{AsOf: gen.DefaultAsOf, KeepKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	defer parents.Release()
	got, recs := streamTable(t, schemas.Repayments, parents, shuffled)
	sameTable(t, whole.Tables[schemas.Repayments], got, recs)
}

// TestStreamRefusesKeyedTables: customers and loans are checked row against row by key
// and must be cleaned whole, with their keys kept for the streams of their children.
func TestStreamRefusesKeyedTables(t *testing.T) {
	for _, name := range []string{schemas.Customers, schemas.Loans, "nope"} {
		if _, err := clean.NewStream(name, nil, clean.Options{}); err == nil {
			t.Errorf("NewStream(%s) did not fail", name)
		}
	}
	dir := t.TempDir()
	generate(t, dir, gen.Config{Customers: 50, Seed: 1})
	in := readExtracts(t, dir, 1000)
	defer release(in)
	parents, err := clean.Extracts(t.Context(), map[string]*ingest.Table{schemas.Loans: in[schemas.Loans]}, clean.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer parents.Release()
	if _, err := clean.NewStream(schemas.Repayments, parents, clean.Options{}); err == nil || !strings.Contains(err.Error(), "KeepKeys") {
		t.Errorf("NewStream with parents cleaned without KeepKeys: %v", err)
	}
}
