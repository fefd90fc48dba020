package clean_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
	"lendscore/stages/clean"
	"lendscore/stages/ingest"
)

func ExampleExtracts() {
	batch := func(table, rows string) *ingest.Table {
		schema, _ := schemas.Extract(table)
		rec, _, _ := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(rows))
		return &ingest.Table{Name: table, Schema: schema, Batches: []ingest.Batch{{Record: rec, File: table + ".parquet"}}}
	}
	in := map[string]*ingest.Table{
		"customers": batch("customers", `[
			{"customer_id":"C1","customer_type":"individual","annual_income":42000,"onboard_date":"2020-03-01"},
			{"customer_id":"C2","customer_type":"individual","annual_income":-1,"onboard_date":"2021-05-01"}]`),
		"loans": batch("loans", `[
			{"loan_id":"L1","customer_id":"C1","principal":5000,"rate":0.07,"origination_date":"2024-01-15"},
			{"loan_id":"L2","customer_id":"C2","principal":9000,"rate":0.09,"origination_date":"2024-02-01"},
			{"loan_id":"L1","customer_id":"C1","principal":5000,"rate":0.07,"origination_date":"2024-01-15"}]`),
	}
	res, err := clean.Extracts(context.Background(), in, clean.Options{AsOf: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Release()
	for _, name := range []string{"customers", "loans"} {
		c := res.Tables[name].Counts
		fmt.Println(name, c.Input, "=", c.Used, "+", c.Quarantined, c.Reasons)
	}
	// Output:
	// customers 2 = 1 + 1 map[negative_amount:annual_income:1]
	// loans 3 = 1 + 2 map[duplicate_key:loan_id:1 orphan:customer_id:1]
}

// The repayments stream in two batches after the loans were cleaned whole: the second
// batch repeats a due date of L1 from the first (duplicate) and names a loan that was
// refused (orphan).
func ExampleNewStream() {
	asOf := clean.Options{AsOf: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)}
	batch := func(table, file, rows string) ingest.Batch {
		schema, _ := schemas.Extract(table)
		rec, _, _ := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(rows))
		return ingest.Batch{Record: rec, File: file}
	}
	loans := batch("loans", "loans.parquet", `[
		{"loan_id":"L1","customer_id":"C1","principal":5000,"rate":0.07,"origination_date":"2024-01-15"},
		{"loan_id":"L2","customer_id":"C1","principal":-9,"rate":0.09,"origination_date":"2024-02-01"}]`)
	parents, err := clean.Extracts(context.Background(), map[string]*ingest.Table{
		"loans": {Name: "loans", Schema: loans.Record.Schema(), Batches: []ingest.Batch{loans}},
	}, clean.Options{AsOf: asOf.AsOf, KeepKeys: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer parents.Release()

	s, err := clean.NewStream("repayments", parents, asOf)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range []ingest.Batch{
		batch("repayments", "part-0.parquet", `[
			{"loan_id":"L1","due_date":"2024-02-15","amount_due":450},
			{"loan_id":"L1","due_date":"2024-03-15","amount_due":450}]`),
		batch("repayments", "part-1.parquet", `[
			{"loan_id":"L1","due_date":"2024-02-15","amount_due":450},
			{"loan_id":"L1","due_date":"2024-04-15","amount_due":450},
			{"loan_id":"L2","due_date":"2024-03-01","amount_due":800}]`),
	} {
		rec, err := s.Add(context.Background(), b)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(b.File, "clean rows:", rec.NumRows()) // fold them into the features here
		rec.Release()
	}
	tr, err := s.Result()
	if err != nil {
		fmt.Println(err)
		return
	}
	c := tr.Counts
	fmt.Println("repayments", c.Input, "=", c.Used, "+", c.Quarantined, c.Reasons)
	// Output:
	// part-0.parquet clean rows: 2
	// part-1.parquet clean rows: 1
	// repayments 5 = 3 + 2 map[duplicate_key:loan_id+due_date:1 orphan:loan_id:1]
}
