package features

import (
	"math/rand/v2"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
)

// synthesize builds in memory a random book of n customers, about 3 loans each, about 3.5
// instalments per loan and 5 interactions per customer, dated 2012 to mid-2025, in record
// batches of at most batchRows rows. It exists for the benchmark and the determinism test; the
// real generator is package gen.
func synthesize(n int, seed uint64, batchRows int) Inputs {
	rng := rand.New(rand.NewPCG(seed, 7))
	cw := newChunked(schemas.CustomersSchema(), batchRows)
	lw := newChunked(schemas.LoansSchema(), batchRows)
	rw := newChunked(schemas.RepaymentsSchema(), batchRows)
	iw := newChunked(schemas.InteractionsSchema(), batchRows)
	first, last := int32(day("2012-01-01")), int32(day("2025-06-30"))
	products := []string{"card", "personal", "auto", "mortgage", "overdraft"}
	collaterals := []string{"credit", "credit", "mortgage", "guarantee"}
	regions := []string{"north", "south", "east", "west"}
	channels := []string{"branch", "phone", "web", "app", "email"}
	kinds := []string{"inquiry", "complaint", "survey", "visit", "campaign"}
	var buf []byte
	id := func(prefix byte, k, width int) string { // zero-padded, like the generator's ids
		buf = append(buf[:0], prefix)
		for d := width - 1; d >= 0; d-- {
			buf = append(buf, byte('0'+k/pow10[d]%10))
		}
		return string(buf)
	}
	loanNo := 0
	for c := range n {
		cid := id('C', c, 8)
		b := cw.b
		b.Field(0).(*array.StringBuilder).Append(cid)
		onboard := first + rng.Int32N(last-first-400)
		if rng.IntN(5) > 0 {
			b.Field(1).(*array.StringBuilder).Append("individual")
			b.Field(2).(*array.Date32Builder).Append(arrow.Date32(onboard - 365*(20+rng.Int32N(50))))
			b.Field(3).(*array.StringBuilder).Append([]string{"F", "M"}[rng.IntN(2)])
			b.Field(4).(*array.StringBuilder).Append("employee")
			b.Field(5).(*array.Float64Builder).Append(20000 + 80000*rng.Float64())
			b.Field(6).(*array.StringBuilder).Append(regions[rng.IntN(len(regions))])
			b.Field(7).AppendNull()
			b.Field(8).AppendNull()
			b.Field(9).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append("corporate")
			b.Field(2).AppendNull()
			b.Field(3).AppendNull()
			b.Field(4).AppendNull()
			b.Field(5).(*array.Float64Builder).Append(1e5 + 1e7*rng.Float64())
			b.Field(6).(*array.StringBuilder).Append(regions[rng.IntN(len(regions))])
			b.Field(7).(*array.StringBuilder).Append("retail")
			b.Field(8).(*array.Int32Builder).Append(1 + rng.Int32N(500))
			b.Field(9).(*array.Date32Builder).Append(arrow.Date32(onboard - 365*rng.Int32N(30)))
		}
		b.Field(10).(*array.Date32Builder).Append(arrow.Date32(onboard))
		cw.row()

		for range rng.IntN(7) {
			lid := id('L', loanNo, 10)
			loanNo++
			orig := onboard + rng.Int32N(last-onboard)
			principal := 1000 + 50000*rng.Float64()
			b := lw.b
			b.Field(0).(*array.StringBuilder).Append(lid)
			b.Field(1).(*array.StringBuilder).Append(cid)
			b.Field(2).(*array.StringBuilder).Append(products[rng.IntN(len(products))])
			b.Field(3).AppendNull()
			b.Field(4).(*array.StringBuilder).Append(collaterals[rng.IntN(len(collaterals))])
			b.Field(5).(*array.StringBuilder).Append("installment")
			b.Field(6).(*array.Float64Builder).Append(principal)
			b.Field(7).(*array.Float64Builder).Append(0.05)
			if rng.IntN(3) == 0 {
				b.Field(8).(*array.Float64Builder).Append(principal * 1.5)
			} else {
				b.Field(8).AppendNull()
			}
			b.Field(9).(*array.Float64Builder).Append(principal * rng.Float64())
			b.Field(10).(*array.Date32Builder).Append(arrow.Date32(orig))
			b.Field(11).(*array.Date32Builder).Append(arrow.Date32(orig + 365*(1+rng.Int32N(10))))
			lw.row()

			for k := range 1 + rng.Int32N(6) {
				due := orig + 30*(k+1)
				b := rw.b
				b.Field(0).(*array.StringBuilder).Append(lid)
				b.Field(1).(*array.Date32Builder).Append(arrow.Date32(due))
				b.Field(2).(*array.Float64Builder).Append(principal / 12)
				var late int32
				switch u := rng.IntN(100); {
				case u < 85:
					late = -rng.Int32N(5)
				case u < 95:
					late = 1 + rng.Int32N(60)
				case u < 98:
					late = 60 + rng.Int32N(90)
				default:
					late = 1 << 20 // never paid
				}
				if late == 1<<20 || due+late > last {
					b.Field(3).AppendNull()
					b.Field(4).AppendNull()
					b.Field(5).(*array.Int32Builder).Append(max(0, last-due))
				} else {
					b.Field(3).(*array.Date32Builder).Append(arrow.Date32(due + late))
					b.Field(4).(*array.Float64Builder).Append(principal / 12)
					b.Field(5).(*array.Int32Builder).Append(max(0, late))
				}
				rw.row()
			}
		}

		for range rng.IntN(11) {
			b := iw.b
			b.Field(0).(*array.StringBuilder).Append(cid)
			ms := int64(onboard)*msPerDay + rng.Int64N(int64(last-onboard)*msPerDay)
			b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(ms))
			b.Field(2).(*array.StringBuilder).Append(channels[rng.IntN(len(channels))])
			kind := kinds[rng.IntN(len(kinds))]
			b.Field(3).(*array.StringBuilder).Append(kind)
			if kind == "survey" {
				b.Field(4).(*array.Int8Builder).Append(int8(1 + rng.IntN(5)))
			} else {
				b.Field(4).AppendNull()
			}
			b.Field(5).(*array.BooleanBuilder).Append(rng.IntN(4) > 0)
			iw.row()
		}
	}
	return Inputs{cw.done(), lw.done(), rw.done(), iw.done()}
}

var pow10 = [...]int{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// chunked builds a table as record batches of at most size rows.
type chunked struct {
	b       *array.RecordBuilder
	n, size int
	recs    []arrow.Record
}

func newChunked(s *arrow.Schema, size int) *chunked {
	return &chunked{b: array.NewRecordBuilder(memory.DefaultAllocator, s), size: size}
}

func (c *chunked) row() {
	c.n++
	if c.n == c.size {
		c.recs = append(c.recs, c.b.NewRecord())
		c.n = 0
	}
}

func (c *chunked) done() []arrow.Record {
	if c.n > 0 {
		c.recs = append(c.recs, c.b.NewRecord())
	}
	c.b.Release()
	return c.recs
}

func (in Inputs) release() {
	for _, rs := range [][]arrow.Record{in.Customers, in.Loans, in.Repayments, in.Interactions} {
		for _, r := range rs {
			r.Release()
		}
	}
}

func (in Inputs) rows() (c, l, r, i int64) {
	count := func(rs []arrow.Record) (n int64) {
		for _, x := range rs {
			n += x.NumRows()
		}
		return n
	}
	return count(in.Customers), count(in.Loans), count(in.Repayments), count(in.Interactions)
}
