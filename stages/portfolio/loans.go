package portfolio

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"lendscore/schemas"
)

// noDate stands for a missing date (a null maturity, no unpaid instalment): it compares
// after every real date.
const noDate int32 = math.MaxInt32

// loanBook holds the loans extract, by input row, and what the repayments tell about each
// loan at as_of. The loans' own columns stay in their Arrow records.
type loanBook struct {
	asOf int32

	recs []loanColumns
	ids  []string // views into the Arrow buffers, valid while the records live

	sorted bool // ids strictly ascending
	index  map[string]int32

	oldestUnpaid []int32   // oldest due date ≤ as_of of an instalment unpaid at the end of as_of; noDate if none
	paidAfter    []float64 // amounts paid after as_of
	paidBy       []float64 // amounts paid on or before as_of

	orphanRepayments int64

	// The repayment cursor, carried from one repayments record to the next: the loan of
	// the previous row (cur, by id curID; have once there is one) and the last loan found
	// (hint, the lookup's first guess).
	cur, hint int32
	curID     string
	have      bool
}

// loanColumns are the columns of one loans record that the classification reads.
type loanColumns struct {
	origination, maturity           *array.Date32
	principal, creditLimit, balance *array.Float64
}

// loan states at as_of.
const (
	inBook uint8 = iota
	notOriginated
	closed
)

// readLoans reads the loans extract and indexes it by loan_id.
func readLoans(recs []arrow.Record, asOf int32) (*loanBook, error) {
	canon := schemas.LoansSchema()
	n := 0
	for _, r := range recs {
		n += int(r.NumRows())
	}
	if n > math.MaxInt32-1 {
		return nil, fmt.Errorf("portfolio: loans: %d rows is more than one table can hold", n)
	}
	b := &loanBook{
		asOf:         asOf,
		cur:          -1,
		hint:         -1,
		ids:          make([]string, 0, n),
		oldestUnpaid: make([]int32, n),
		paidAfter:    make([]float64, n),
		paidBy:       make([]float64, n),
	}
	for _, r := range recs {
		cols, err := columns(schemas.Loans, canon, r, "loan_id", "origination_date", "maturity_date", "principal", "credit_limit", "balance")
		if err != nil {
			return nil, err
		}
		ids := cols[0].(*array.String)
		for i := range ids.Len() {
			b.ids = append(b.ids, ids.Value(i))
		}
		b.recs = append(b.recs, loanColumns{
			origination: cols[1].(*array.Date32), maturity: cols[2].(*array.Date32),
			principal: cols[3].(*array.Float64), creditLimit: cols[4].(*array.Float64), balance: cols[5].(*array.Float64),
		})
	}
	for q := range b.oldestUnpaid {
		b.oldestUnpaid[q] = noDate
	}
	b.sorted = true
	for q := 1; q < n && b.sorted; q++ {
		b.sorted = b.ids[q-1] < b.ids[q]
	}
	if !b.sorted {
		b.index = make(map[string]int32, n)
		for q, id := range b.ids {
			if _, dup := b.index[id]; dup {
				return nil, fmt.Errorf("portfolio: loans: loan_id %q appears twice", id)
			}
			b.index[id] = int32(q)
		}
	}
	return b, nil
}

// find returns the row of loan id, or -1 when there is none; prev is the row found for the
// previous repayment row. Repayments grouped by loan in the loans' order find their loan
// at prev + 1 when the loan changes.
func (b *loanBook) find(id string, prev int32) int32 {
	if next := int(prev) + 1; next < len(b.ids) && b.ids[next] == id {
		return int32(next)
	}
	if !b.sorted {
		if q, ok := b.index[id]; ok {
			return q
		}
		return -1
	}
	q := sort.SearchStrings(b.ids, id)
	if q < len(b.ids) && b.ids[q] == id {
		return int32(q)
	}
	return -1
}

// readRepayments reads every repayment row once and keeps, per loan, the oldest due date
// unpaid at the end of as_of and the amounts paid by and after as_of.
func (b *loanBook) readRepayments(ctx context.Context, recs []arrow.Record) error {
	for _, r := range recs {
		if err := b.addRepayments(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// addRepayments is readRepayments for the next record of the repayments.
func (b *loanBook) addRepayments(ctx context.Context, r arrow.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	canon := schemas.RepaymentsSchema()
	A := b.asOf
	cols, err := columns(schemas.Repayments, canon, r, "loan_id", "due_date", "paid_date", "amount_paid")
	if err != nil {
		return err
	}
	ids := cols[0].(*array.String)
	due := cols[1].(*array.Date32).Date32Values()
	paidCol, amountCol := cols[2].(*array.Date32), cols[3].(*array.Float64)
	paid, amount := paidCol.Date32Values(), amountCol.Float64Values()
	paidNulls, amountNulls := paidCol.NullN() > 0, amountCol.NullN() > 0
	cur, curID, have, hint := b.cur, b.curID, b.have, b.hint
	for i := range int(r.NumRows()) {
		if id := ids.Value(i); !have || id != curID {
			cur, curID, have = b.find(id, hint), id, true
			if cur >= 0 {
				hint = cur
			}
		}
		q := cur
		if q < 0 {
			b.orphanRepayments++
			continue
		}
		p := noDate // while unpaid
		if !paidNulls || paidCol.IsValid(i) {
			p = int32(paid[i])
			a := 0.0 // a null amount_paid counts as nothing paid
			if !amountNulls || amountCol.IsValid(i) {
				a = amount[i]
			}
			if p > A {
				b.paidAfter[q] += a
			} else {
				b.paidBy[q] += a
			}
		}
		if d := int32(due[i]); d <= A && p > A && d < b.oldestUnpaid[q] {
			b.oldestUnpaid[q] = d
		}
	}
	// curID is a view into r, which the caller may release: the next record compares
	// with a copy.
	b.cur, b.curID, b.have, b.hint = cur, strings.Clone(curID), have, hint
	return nil
}

// each calls fn for every loan, in input order, with its state at as_of, its days past due
// and its balance (both 0 unless the loan is in the book).
func (b *loanBook) each(fn func(q int, state uint8, dpd int32, balance float64)) {
	A := b.asOf
	q := 0
	for _, c := range b.recs {
		orig := c.origination.Date32Values()
		for i := range c.origination.Len() {
			if int32(orig[i]) > A {
				fn(q, notOriginated, 0, 0)
				q++
				continue
			}
			var dpd int32
			if d := b.oldestUnpaid[q]; d != noDate {
				dpd = A - d
			}
			bal := balanceAt(c.principal.Value(i), orNaN(c.creditLimit, i), orNaN(c.balance, i), b.paidAfter[q], b.paidBy[q])
			if c.maturity.IsValid(i) && int32(c.maturity.Value(i)) <= A && bal == 0 && dpd == 0 {
				fn(q, closed, 0, 0)
			} else {
				fn(q, inBook, dpd, bal)
			}
			q++
		}
	}
}

// balanceAt is the balance of a loan at as_of: the extracted balance rolled back by the
// payments made after as_of, or principal minus the payments made by as_of when the
// extract has no balance (NaN), kept within [0, max(principal, credit_limit, extracted
// balance)]. It is package features' rule.
func balanceAt(principal, creditLimit, balance, paidAfter, paidBy float64) float64 {
	ceiling := principal
	if creditLimit > ceiling {
		ceiling = creditLimit
	}
	v := balance
	if math.IsNaN(v) {
		v = principal - paidBy
	} else {
		ceiling = max(ceiling, v)
		v += paidAfter
	}
	return max(0, min(v, ceiling))
}

// orNaN returns value i, NaN when null.
func orNaN(a *array.Float64, i int) float64 {
	if a.IsNull(i) {
		return math.NaN()
	}
	return a.Value(i)
}

// columns finds the named columns of rec and checks them against the canonical schema of
// table: the same type, and no nulls where the canonical field has none.
func columns(table string, canon *arrow.Schema, rec arrow.Record, names ...string) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(names))
	for i, name := range names {
		f, _ := canon.FieldsByName(name)
		idx := rec.Schema().FieldIndices(name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("portfolio: %s: no column %q", table, name)
		}
		col := rec.Column(idx[0])
		if !arrow.TypeEqual(col.DataType(), f[0].Type) {
			return nil, fmt.Errorf("portfolio: %s: column %q is %s, want %s", table, name, col.DataType(), f[0].Type)
		}
		if !f[0].Nullable && col.NullN() > 0 {
			return nil, fmt.Errorf("portfolio: %s: column %q has %d nulls (the clean extract has none)", table, name, col.NullN())
		}
		out[i] = col
	}
	return out, nil
}

// Book is the loan book of the report for a caller that streams the repayments instead of
// holding them: NewBook reads the clean loans, AddRepayments folds each batch of clean
// repayments into a few numbers per loan, and Input.Book hands the result to Build, which
// gives the report it gives from the whole Loans and Repayments. Memory follows the number
// of loans, not of repayment rows.
type Book struct {
	b    *loanBook
	cols []arrow.Array // the loans' columns the book reads, retained
}

// NewBook reads the clean loans extract (the canonical schema; columns found by name) at
// the UTC calendar date of asOf. The Book retains the columns it reads, so the caller may
// release the records at once; Release lets them go.
func NewBook(loans []arrow.Record, asOf time.Time) (*Book, error) {
	b, err := readLoans(loans, int32(arrow.Date32FromTime(asOf.UTC())))
	if err != nil {
		return nil, err
	}
	k := &Book{b: b}
	for _, r := range loans {
		for _, name := range []string{"loan_id", "origination_date", "maturity_date", "principal", "credit_limit", "balance"} {
			col := r.Column(r.Schema().FieldIndices(name)[0]) // readLoans found it
			col.Retain()
			k.cols = append(k.cols, col)
		}
	}
	return k, nil
}

// AddRepayments folds the next batch of clean repayments (the canonical schema; columns
// found by name). Batches are read in the order given; the record is only read and may be
// released when AddRepayments returns.
func (k *Book) AddRepayments(ctx context.Context, rec arrow.Record) error {
	return k.b.addRepayments(ctx, rec)
}

// Release lets go of the loans' columns; the Book cannot be used after.
func (k *Book) Release() {
	for _, c := range k.cols {
		c.Release()
	}
	k.cols, k.b = nil, nil
}

// asOf returns the book's date.
func (k *Book) asOf() string {
	return arrow.Date32(k.b.asOf).ToTime().Format(time.DateOnly)
}
