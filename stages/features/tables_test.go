package features

import (
	"math"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
)

// Small in-memory extracts for the tests. Empty strings, NaN and negative numbers stand for
// null where the field is nullable.

type custRow struct {
	id, typ                              string
	birth, established, onboard          string
	gender, occupation, region, industry string
	income                               float64
	employees                            int32 // < 0: null
}

type loanRow struct {
	id, cust, product, collateral string
	principal, limit, balance     float64
	orig, mat                     string
}

type repRow struct {
	loan, due  string
	amountDue  float64
	paid       string
	amountPaid float64
	dpd        int32 // < 0: null
}

type intRow struct {
	cust, ts, channel, kind string
	sat                     int8   // 0: null
	resolved                string // "", "true", "false"
}

func day(s string) arrow.Date32 {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return arrow.Date32FromTime(t)
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func appendStr(b array.Builder, s string) {
	if s == "" {
		b.AppendNull()
		return
	}
	b.(*array.StringBuilder).Append(s)
}

func appendDate(b array.Builder, s string) {
	if s == "" {
		b.AppendNull()
		return
	}
	b.(*array.Date32Builder).Append(day(s))
}

func appendF64(b array.Builder, v float64) {
	if math.IsNaN(v) {
		b.AppendNull()
		return
	}
	b.(*array.Float64Builder).Append(v)
}

func customersRecord(rows []custRow) arrow.Record {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schemas.CustomersSchema())
	defer b.Release()
	for _, r := range rows {
		appendStr(b.Field(0), r.id)
		appendStr(b.Field(1), r.typ)
		appendDate(b.Field(2), r.birth)
		appendStr(b.Field(3), r.gender)
		appendStr(b.Field(4), r.occupation)
		appendF64(b.Field(5), r.income)
		appendStr(b.Field(6), r.region)
		appendStr(b.Field(7), r.industry)
		if r.employees < 0 {
			b.Field(8).AppendNull()
		} else {
			b.Field(8).(*array.Int32Builder).Append(r.employees)
		}
		appendDate(b.Field(9), r.established)
		appendDate(b.Field(10), r.onboard)
	}
	return b.NewRecord()
}

func loansRecord(rows []loanRow) arrow.Record {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schemas.LoansSchema())
	defer b.Release()
	for _, r := range rows {
		appendStr(b.Field(0), r.id)
		appendStr(b.Field(1), r.cust)
		appendStr(b.Field(2), r.product)
		appendStr(b.Field(3), "")
		appendStr(b.Field(4), r.collateral)
		appendStr(b.Field(5), "installment")
		appendF64(b.Field(6), r.principal)
		appendF64(b.Field(7), 0.05)
		appendF64(b.Field(8), r.limit)
		appendF64(b.Field(9), r.balance)
		appendDate(b.Field(10), r.orig)
		appendDate(b.Field(11), r.mat)
	}
	return b.NewRecord()
}

func repaymentsRecord(rows []repRow) arrow.Record {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schemas.RepaymentsSchema())
	defer b.Release()
	for _, r := range rows {
		appendStr(b.Field(0), r.loan)
		appendDate(b.Field(1), r.due)
		appendF64(b.Field(2), r.amountDue)
		appendDate(b.Field(3), r.paid)
		appendF64(b.Field(4), r.amountPaid)
		if r.dpd < 0 {
			b.Field(5).AppendNull()
		} else {
			b.Field(5).(*array.Int32Builder).Append(r.dpd)
		}
	}
	return b.NewRecord()
}

func interactionsRecord(rows []intRow) arrow.Record {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schemas.InteractionsSchema())
	defer b.Release()
	for _, r := range rows {
		appendStr(b.Field(0), r.cust)
		ts, err := time.Parse(time.RFC3339, r.ts)
		if err != nil {
			ts = date(r.ts)
		}
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(ts.UnixMilli()))
		appendStr(b.Field(2), r.channel)
		appendStr(b.Field(3), r.kind)
		if r.sat == 0 {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.Int8Builder).Append(r.sat)
		}
		switch r.resolved {
		case "":
			b.Field(5).AppendNull()
		default:
			b.Field(5).(*array.BooleanBuilder).Append(r.resolved == "true")
		}
	}
	return b.NewRecord()
}

// extracts holds the rows of the four extracts of a test.
type extracts struct {
	customers    []custRow
	loans        []loanRow
	repayments   []repRow
	interactions []intRow
}

func (e extracts) inputs(t testing.TB) Inputs {
	in := Inputs{
		Customers:    []arrow.Record{customersRecord(e.customers)},
		Loans:        []arrow.Record{loansRecord(e.loans)},
		Repayments:   []arrow.Record{repaymentsRecord(e.repayments)},
		Interactions: []arrow.Record{interactionsRecord(e.interactions)},
	}
	t.Cleanup(func() {
		for _, rs := range [][]arrow.Record{in.Customers, in.Loans, in.Repayments, in.Interactions} {
			for _, r := range rs {
				r.Release()
			}
		}
	})
	return in
}

// build runs Build on the extracts and fails the test on error.
func (e extracts) build(t testing.TB, opts Options) *Output {
	t.Helper()
	out, err := Build(t.Context(), e.inputs(t), opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	t.Cleanup(out.Release)
	return out
}

// table is a feature table read back by column name and customer.
type table struct {
	rec arrow.Record
	row map[string]int
}

func readTable(t testing.TB, rec arrow.Record) table {
	t.Helper()
	tb := table{rec: rec, row: map[string]int{}}
	ids := rec.Column(0).(*array.String)
	for i := 0; i < ids.Len(); i++ {
		tb.row[ids.Value(i)] = i
	}
	return tb
}

func (tb table) col(t testing.TB, name string) arrow.Array {
	t.Helper()
	idx := tb.rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		t.Fatalf("no column %q", name)
	}
	return tb.rec.Column(idx[0])
}

func (tb table) num(t testing.TB, cust, name string) float64 {
	t.Helper()
	r, ok := tb.row[cust]
	if !ok {
		t.Fatalf("no row for customer %q", cust)
	}
	return tb.col(t, name).(*array.Float64).Value(r)
}

func (tb table) str(t testing.TB, cust, name string) (string, bool) {
	t.Helper()
	r, ok := tb.row[cust]
	if !ok {
		t.Fatalf("no row for customer %q", cust)
	}
	a := tb.col(t, name).(*array.String)
	return a.Value(r), a.IsValid(r)
}

// sameFloat reports whether a and b are equal, or both NaN, or within a relative 1e-12.
func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return a == b || math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
}
