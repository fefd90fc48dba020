package features_test

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
	"lendscore/stages/features"
)

func day(s string) arrow.Date32 {
	t, _ := time.Parse(time.DateOnly, s)
	return arrow.Date32FromTime(t)
}

// A customer with one card: an instalment paid 20 days late in April 2024, one on time in
// May, and one due 2024-08-01 that is never paid — 90 days past due on 2024-10-30, inside
// the 12-month performance window after as_of 2024-06-30, so the customer is bad.
func ExampleBuild() {
	mem := memory.DefaultAllocator
	cb := array.NewRecordBuilder(mem, schemas.CustomersSchema())
	defer cb.Release()
	cb.Field(0).(*array.StringBuilder).Append("C1")
	cb.Field(1).(*array.StringBuilder).Append("individual")
	cb.Field(2).(*array.Date32Builder).Append(day("1985-05-20"))
	for _, i := range []int{3, 4} {
		cb.Field(i).AppendNull() // gender, occupation
	}
	cb.Field(5).(*array.Float64Builder).Append(42000)
	cb.Field(6).(*array.StringBuilder).Append("north")
	for _, i := range []int{7, 8, 9} {
		cb.Field(i).AppendNull() // industry, employees, established_date
	}
	cb.Field(10).(*array.Date32Builder).Append(day("2021-03-01"))
	customers := cb.NewRecord()
	defer customers.Release()

	lb := array.NewRecordBuilder(mem, schemas.LoansSchema())
	defer lb.Release()
	for i, v := range []string{"L1", "C1", "credit_card", "purchases", "credit", "installment"} {
		lb.Field(i).(*array.StringBuilder).Append(v)
	}
	for i, v := range []float64{2000, 0.19, 5000, 2500} { // principal, rate, credit_limit, balance
		lb.Field(6 + i).(*array.Float64Builder).Append(v)
	}
	lb.Field(10).(*array.Date32Builder).Append(day("2021-03-01"))
	lb.Field(11).AppendNull()
	loans := lb.NewRecord()
	defer loans.Release()

	rb := array.NewRecordBuilder(mem, schemas.RepaymentsSchema())
	defer rb.Release()
	for _, r := range []struct{ due, paid string }{{"2024-04-01", "2024-04-21"}, {"2024-05-01", "2024-05-01"}, {"2024-08-01", ""}} {
		rb.Field(0).(*array.StringBuilder).Append("L1")
		rb.Field(1).(*array.Date32Builder).Append(day(r.due))
		rb.Field(2).(*array.Float64Builder).Append(100)
		if r.paid == "" {
			rb.Field(3).AppendNull()
			rb.Field(4).AppendNull()
		} else {
			rb.Field(3).(*array.Date32Builder).Append(day(r.paid))
			rb.Field(4).(*array.Float64Builder).Append(100)
		}
		rb.Field(5).AppendNull() // days_past_due: never read
	}
	repayments := rb.NewRecord()
	defer repayments.Release()

	out, err := features.Build(context.Background(), features.Inputs{
		Customers:  []arrow.Record{customers},
		Loans:      []arrow.Record{loans},
		Repayments: []arrow.Record{repayments},
	}, features.Options{
		AsOf:    time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC),
		Label:   true,
		DataEnd: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer out.Release()
	rec := out.Record
	for _, name := range []string{"customer_id", "as_of_date", "age_years", "tenure_months", "utilisation",
		"max_dpd_3m", "n_late_12m", "recency_days", "digital_share_12m", "bad", "label_status"} {
		col := rec.Column(rec.Schema().FieldIndices(name)[0])
		fmt.Printf("%s: %s\n", name, col.ValueStr(0))
	}
	c := out.Counts[0]
	fmt.Printf("rows %d, labelled %d, bads %d\n", c.RowsOut, c.Labelled, c.Bads)
	// Output:
	// customer_id: C1
	// as_of_date: 2024-06-30
	// age_years: 39
	// tenure_months: 39
	// utilisation: 0.5
	// max_dpd_3m: 20
	// n_late_12m: 1
	// recency_days: 60
	// digital_share_12m: NaN
	// bad: 1
	// label_status: labelled
	// rows 1, labelled 1, bads 1
}

// Features lists the columns with their definitions, for documentation and model cards.
func ExampleFeatures() {
	fs, err := features.Features(features.Options{DPDWindows: []int{6}, Window: 6})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range fs[19:23] {
		fmt.Printf("%s (%s): %s\n", f.Name, f.Group, f.Definition)
	}
	// Output:
	// max_dpd_6m (repayment): Largest days past due reached on a date in (as_of − 6 months, as_of]; 0 without delinquency.
	// n_late_6m (repayment): Instalments due in (as_of − 6 months, as_of] that are more than 0 days past due at as_of (paid late, or unpaid after the due date).
	// n_late30_6m (repayment): Instalments due in (as_of − 6 months, as_of] that are more than 30 days past due at as_of.
	// months_since_delinquency (repayment): Whole months from the last date on or before as_of with an instalment more than 30 days past due to as_of (0 when still so at as_of); NaN when never.
}
