package portfolio

import (
	"math"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
)

// Test rows give dates as offsets in days from the as_of date asOfTest, so that the days
// past due can be read off the row.
var asOfTest = time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)

// none marks a missing date offset (a null maturity or paid_date).
const none = math.MinInt32

// day returns the date offset days from asOfTest.
func day(offset int) arrow.Date32 {
	return arrow.Date32FromTime(asOfTest) + arrow.Date32(offset)
}

type loanRow struct {
	id, cust       string
	principal      float64
	limit, balance float64 // NaN: null
	orig, maturity int     // offsets; maturity none: null
}

type repRow struct {
	loan       string
	due, paid  int // offsets; paid none: unpaid
	amountDue  float64
	amountPaid float64 // NaN: null
}

func appendDate(b array.Builder, offset int) {
	if offset == none {
		b.AppendNull()
		return
	}
	b.(*array.Date32Builder).Append(day(offset))
}

func appendFloat(b array.Builder, v float64) {
	if math.IsNaN(v) {
		b.AppendNull()
		return
	}
	b.(*array.Float64Builder).Append(v)
}

// loansRecord builds a loans extract in the canonical schema; the descriptive columns hold
// fixed values.
func loansRecord(t testing.TB, rows []loanRow) arrow.Record {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schemas.LoansSchema())
	defer b.Release()
	for _, r := range rows {
		for i, v := range []string{r.id, r.cust, "personal", "consumption", "credit", "installment"} {
			b.Field(i).(*array.StringBuilder).Append(v)
		}
		b.Field(6).(*array.Float64Builder).Append(r.principal)
		b.Field(7).(*array.Float64Builder).Append(0.1)
		appendFloat(b.Field(8), r.limit)
		appendFloat(b.Field(9), r.balance)
		appendDate(b.Field(10), r.orig)
		appendDate(b.Field(11), r.maturity)
	}
	rec := b.NewRecord()
	t.Cleanup(rec.Release)
	return rec
}

// repaymentsRecord builds a repayments extract in the canonical schema. days_past_due is
// filled with a misleading constant: it must never be read.
func repaymentsRecord(t testing.TB, rows []repRow) arrow.Record {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schemas.RepaymentsSchema())
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r.loan)
		appendDate(b.Field(1), r.due)
		b.Field(2).(*array.Float64Builder).Append(r.amountDue)
		appendDate(b.Field(3), r.paid)
		appendFloat(b.Field(4), r.amountPaid)
		b.Field(5).(*array.Int32Builder).Append(999)
	}
	rec := b.NewRecord()
	t.Cleanup(rec.Release)
	return rec
}

// customersRecord builds a customers extract of individuals onboarded long before as_of.
func customersRecord(t testing.TB, ids []string) arrow.Record {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schemas.CustomersSchema())
	defer b.Release()
	for _, id := range ids {
		b.Field(0).(*array.StringBuilder).Append(id)
		b.Field(1).(*array.StringBuilder).Append("individual")
		for i := 2; i <= 9; i++ {
			b.Field(i).AppendNull()
		}
		appendDate(b.Field(10), -3000)
	}
	rec := b.NewRecord()
	t.Cleanup(rec.Release)
	return rec
}
