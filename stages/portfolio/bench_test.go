package portfolio

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
	"lendscore/stages/report"
)

// bigBook builds a book of nLoans loans (ids ascending, or in a scrambled order when
// scrambled is set) with perLoan monthly instalments each, in record batches of at most
// batch rows, and scored customers (one per three loans). Some instalments are late or
// unpaid.
func bigBook(b *testing.B, nLoans, perLoan, batch int, scrambled bool) (Input, func()) {
	rng := rand.New(rand.NewPCG(3, 4))
	mem := memory.DefaultAllocator
	A := int32(day(0))
	var loans, reps []arrow.Record
	lb := array.NewRecordBuilder(mem, schemas.LoansSchema())
	rb := array.NewRecordBuilder(mem, schemas.RepaymentsSchema())
	defer lb.Release()
	defer rb.Release()
	id := func(q int) string {
		if scrambled {
			q = (q * 7919) % nLoans // a permutation when nLoans is not a multiple of 7919
		}
		return "L" + strconv.Itoa(100_000_000+q)
	}
	ids := make([]string, nLoans)
	for q := range nLoans {
		ids[q] = id(q)
	}
	for q := range nLoans {
		lid := ids[q]
		orig := A - int32(perLoan*30) - rng.Int32N(400)
		for i, v := range []string{lid, "C" + strconv.Itoa(q/3), "personal", "consumption", "credit", "installment"} {
			lb.Field(i).(*array.StringBuilder).Append(v)
		}
		lb.Field(6).(*array.Float64Builder).Append(10000)
		lb.Field(7).(*array.Float64Builder).Append(0.1)
		lb.Field(8).AppendNull()
		lb.Field(9).(*array.Float64Builder).Append(5000 * rng.Float64())
		lb.Field(10).(*array.Date32Builder).Append(arrow.Date32(orig))
		lb.Field(11).(*array.Date32Builder).Append(arrow.Date32(orig + 1800))
		if lb.Field(0).Len() == batch {
			loans = append(loans, lb.NewRecord())
		}
		late := rng.IntN(20) == 0
		for k := range perLoan {
			due := orig + int32(30*(k+1))
			rb.Field(0).(*array.StringBuilder).Append(lid)
			rb.Field(1).(*array.Date32Builder).Append(arrow.Date32(due))
			rb.Field(2).(*array.Float64Builder).Append(300)
			if late && k >= perLoan-3 {
				rb.Field(3).AppendNull()
				rb.Field(4).AppendNull()
			} else {
				rb.Field(3).(*array.Date32Builder).Append(arrow.Date32(due + rng.Int32N(5)))
				rb.Field(4).(*array.Float64Builder).Append(300)
			}
			rb.Field(5).(*array.Int32Builder).Append(0)
			if rb.Field(0).Len() == batch {
				reps = append(reps, rb.NewRecord())
			}
		}
	}
	if lb.Field(0).Len() > 0 {
		loans = append(loans, lb.NewRecord())
	}
	if rb.Field(0).Len() > 0 {
		reps = append(reps, rb.NewRecord())
	}
	nCust := nLoans / 3
	c := Customers{
		Score: make([]int32, nCust), PD: make([]float64, nCust), Grade: make([]string, nCust),
		Tier: make([]string, nCust), Segment: make([]int32, nCust), Warnings: make([][]string, nCust),
		SegmentNames: []string{"a", "b", "c", "d", "e", "f"}, Grades: []string{"A", "B", "C", "D", "E", "F", "G", "H"},
	}
	tiers := []string{"prime", "prime", "prime", "standard", "standard", "high_risk", "high_risk", "high_risk"}
	codes := []string{"score_drop", "new_dpd30", "high_utilisation"}
	devScores := make([]float64, nCust/2)
	for i := range nCust {
		g := rng.IntN(8)
		c.Score[i] = int32(700 - 25*g - rng.IntN(25))
		c.PD[i] = 0.005 * float64(g+1)
		c.Grade[i], c.Tier[i] = c.Grades[g], tiers[g]
		c.Segment[i] = int32(rng.IntN(6))
		if rng.IntN(10) == 0 {
			c.Warnings[i] = []string{codes[rng.IntN(3)]}
		}
		if i < len(devScores) {
			devScores[i] = float64(c.Score[i] + int32(rng.IntN(11)) - 5)
		}
	}
	dev, err := newDevBins(devScores)
	if err != nil {
		b.Fatal(err)
	}
	in := Input{AsOf: asOfTest, Loans: loans, Repayments: reps, Customers: c, Development: dev}
	return in, func() {
		for _, r := range append(loans, reps...) {
			r.Release()
		}
	}
}

// BenchmarkBuild measures Build on the size of the nightly run: 1,000,000 customers,
// 3,000,000 loans and 30,000,000 repayment rows in batches of 1,048,576 rows, repayments
// grouped by loan in the loans' order (as extracts are written).
func BenchmarkBuild(b *testing.B) {
	for _, c := range []struct {
		name      string
		scrambled bool
	}{{"sorted", false}, {"unsorted_ids", true}} {
		b.Run(c.name, func(b *testing.B) {
			in, release := bigBook(b, 3_000_000, 10, 1<<20, c.scrambled)
			defer release()
			b.ResetTimer()
			for b.Loop() {
				if _, err := Build(b.Context(), in, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRender measures Render, whose cost does not grow with the book.
func BenchmarkRender(b *testing.B) {
	in, release := bigBook(b, 30_000, 10, 1<<20, false)
	defer release()
	r, err := Build(b.Context(), in, Options{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := Render(r); err != nil {
			b.Fatal(err)
		}
	}
}

func newDevBins(scores []float64) (*report.ScoreBins, error) { return report.NewScoreBins(scores, 0) }
