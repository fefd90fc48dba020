package portfolio_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
	"lendscore/stages/portfolio"
	"lendscore/stages/report"
)

// date returns a date32 day.
func date(s string) arrow.Date32 {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return arrow.Date32FromTime(t)
}

// A book of three loans at as_of 2025-06-30: L1 pays on time, L2 has left its
// 2025-05-31 instalment unpaid (30 days past due: still normal), L3 its 2025-03-01
// instalment (121 days past due: substandard, non-performing).
func ExampleBuild() {
	mem := memory.DefaultAllocator
	lb := array.NewRecordBuilder(mem, schemas.LoansSchema())
	defer lb.Release()
	for _, l := range []struct {
		id      string
		balance float64
	}{{"L1", 4000}, {"L2", 2500}, {"L3", 3500}} {
		for i, v := range []string{l.id, "C-" + l.id, "personal", "car", "credit", "installment"} {
			lb.Field(i).(*array.StringBuilder).Append(v)
		}
		lb.Field(6).(*array.Float64Builder).Append(5000) // principal
		lb.Field(7).(*array.Float64Builder).Append(0.08) // rate
		lb.Field(8).AppendNull()                         // credit_limit
		lb.Field(9).(*array.Float64Builder).Append(l.balance)
		lb.Field(10).(*array.Date32Builder).Append(date("2024-01-15"))
		lb.Field(11).(*array.Date32Builder).Append(date("2027-01-15"))
	}
	loans := lb.NewRecord()
	defer loans.Release()

	rb := array.NewRecordBuilder(mem, schemas.RepaymentsSchema())
	defer rb.Release()
	for _, r := range []struct{ loan, due, paid string }{
		{"L1", "2025-06-15", "2025-06-14"},
		{"L2", "2025-04-30", "2025-04-30"}, {"L2", "2025-05-31", ""},
		{"L3", "2025-03-01", ""}, {"L3", "2025-04-01", "2025-04-03"},
	} {
		rb.Field(0).(*array.StringBuilder).Append(r.loan)
		rb.Field(1).(*array.Date32Builder).Append(date(r.due))
		rb.Field(2).(*array.Float64Builder).Append(160)
		if r.paid == "" {
			rb.Field(3).AppendNull()
			rb.Field(4).AppendNull()
		} else {
			rb.Field(3).(*array.Date32Builder).Append(date(r.paid))
			rb.Field(4).(*array.Float64Builder).Append(160)
		}
		rb.Field(5).AppendNull()
	}
	repayments := rb.NewRecord()
	defer repayments.Release()

	// The development sample's scores, binned as the train run publishes them: quartiles
	// cut at 540, 580 and 620. Tonight's four scores fall one in each, as the development
	// sample does, so the PSI is 0.
	dev, err := report.NewScoreBins([]float64{520, 540, 560, 580, 600, 620, 640, 660}, 4)
	if err != nil {
		log.Fatal(err)
	}
	r, err := portfolio.Build(context.Background(), portfolio.Input{
		AsOf:  time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC),
		Loans: []arrow.Record{loans}, Repayments: []arrow.Record{repayments},
		Customers: portfolio.Customers{
			Score:    []int32{610, 575, 530, 650},
			PD:       []float64{0.02, 0.05, 0.12, 0.01},
			Grade:    []string{"B", "C", "D", "A"},
			Tier:     []string{"prime", "standard", "high_risk", "prime"},
			Warnings: [][]string{nil, nil, {"new_dpd30"}, nil},
			Grades:   []string{"A", "B", "C", "D"},
		},
		Development: dev,
		Model:       "retail",
	}, portfolio.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range r.Loans.Classes {
		fmt.Printf("%-15s %d loans %7.2f\n", c.Name, c.Loans, c.Balance)
	}
	fmt.Printf("NPL ratio %.2f%%\n", 100*r.Loans.NPLRatio)
	fmt.Printf("high risk %.0f%% against %.0f%%: %s\n", 100*r.HighRisk.Share, 100*r.HighRisk.Target, r.HighRisk.Status)
	fmt.Printf("PSI %.4f (%s)\n", *r.Score.PSI, r.Score.PSIStatus)

	md, html, err := portfolio.Render(r)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(md) > 0, len(html) > 0)
	// Output:
	// normal          2 loans 6500.00
	// special_mention 0 loans    0.00
	// substandard     1 loans 3500.00
	// doubtful        0 loans    0.00
	// loss            0 loans    0.00
	// NPL ratio 35.00%
	// high risk 25% against 10%: above_target
	// PSI 0.0000 (green)
	// true true
}
