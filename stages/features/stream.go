package features

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"lendscore/schemas"
)

// ErrUnordered is returned (wrapped) by Stream.AddRepayments when a customer's repayment
// rows do not come grouped by loan in the order of the loans extract. The features' sums
// of amounts are float64 sums whose last bits depend on the order of the terms; Build sums
// a customer's repayments loan by loan, so a stream can only give the same bytes when the
// rows come in that order, as extracts sorted like their parent tables (and the generator's)
// do. A caller that gets it can build from whole tables instead.
var ErrUnordered = errors.New("repayments not grouped by loan in the order of the loans")

// Stream builds the feature table like BuildSnapshots, with the customers and loans held
// whole and the repayments and interactions fed batch by batch: every row is folded into
// per-loan and per-customer totals as it arrives and is not kept, so memory follows the
// number of customers and loans (and snapshots), not the length of the history. The
// result is the one BuildSnapshots gives for the same rows, byte for byte.
//
// Repayments must come with each customer's rows grouped by loan, loans in the order of
// the loans extract (see ErrUnordered); interactions may come in any order.
type Stream struct {
	o         Options
	days      []int32
	windows   []window
	p         *prepared
	par       *parents
	customers []arrow.Record
	loanLook  *lookup
	custLook  *lookup
	loanCust  []int32 // customer of each loan position
	lastLoan  []int32 // by customer: loan position of its last repayment folded, -1 none
	repRows   int64
	intRows   int64
	// ids are the id columns the indexes read, retained so that the caller may release
	// the loans once NewStream returns.
	ids []arrow.Array
}

// streamTotals are the totals a Stream folds, by snapshot.
type streamTotals struct {
	rep              [][]repTotals // [snapshot][customer]
	maxDPD           [][]int32     // [snapshot][customer*len(DPDWindows)+window]
	rollback, paidBy [][]float64   // [snapshot][loan position]
	ints             [][]intTotals // [snapshot][customer]
}

// NewStream starts a feature table at the as_of dates asOf (opts.AsOf is ignored, as in
// BuildSnapshots) from the clean customers and loans. The caller keeps the customers alive
// until Finish returns (their strings go into the table); the loans it may release at once.
// Finish or Release releases what the Stream holds.
func NewStream(ctx context.Context, customers, loans []arrow.Record, opts Options, asOf []time.Time) (*Stream, error) {
	o, days, err := checkSnapshots(opts, asOf)
	if err != nil {
		return nil, err
	}
	p, par, err := prepareParents(ctx, customers, loans, o)
	if err != nil {
		return nil, err
	}
	s := &Stream{o: o, days: days, p: p, par: par, customers: customers,
		loanLook: par.loanIndex.lookup(), custLook: par.custIndex.lookup()}
	for _, x := range []*index{par.custIndex, par.loanIndex} {
		for _, ids := range x.ids {
			ids.Retain()
			s.ids = append(s.ids, ids)
		}
	}
	nLoans := len(p.origination)
	s.loanCust = make([]int32, nLoans)
	for c := range p.nCust {
		for q := p.loanStart[c]; q < p.loanStart[c+1]; q++ {
			s.loanCust[q] = int32(c)
		}
	}
	s.lastLoan = make([]int32, p.nCust)
	for c := range s.lastLoan {
		s.lastLoan[c] = -1
	}
	st := &streamTotals{}
	nw := len(o.DPDWindows)
	for k, A := range days {
		s.windows = append(s.windows, windowAt(o, k, A))
		rep := make([]repTotals, p.nCust)
		ints := make([]intTotals, p.nCust)
		for c := range rep {
			rep[c], ints[c] = newRepTotals(), newIntTotals()
		}
		st.rep = append(st.rep, rep)
		st.ints = append(st.ints, ints)
		st.maxDPD = append(st.maxDPD, make([]int32, p.nCust*nw))
		st.rollback = append(st.rollback, make([]float64, nLoans))
		st.paidBy = append(st.paidBy, make([]float64, nLoans))
	}
	p.streamed = st
	return s, nil
}

// AddRepayments folds a batch of clean repayments (the canonical schema, extra columns
// ignored) into the totals. The batch is only read.
func (s *Stream) AddRepayments(ctx context.Context, rec arrow.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cols, err := recordColumns(schemas.Repayments, schemas.RepaymentsSchema(), rec, "loan_id", "due_date", "amount_due", "paid_date", "amount_paid")
	if err != nil {
		return err
	}
	ids := cols[0].(*array.String)
	due := cols[1].(*array.Date32).Date32Values()
	amountDue := cols[2].(*array.Float64).Float64Values()
	paid, amountPaid := cols[3].(*array.Date32), cols[4].(*array.Float64)
	p, st, nw := s.p, s.p.streamed, len(s.o.DPDWindows)
	for i := range int(rec.NumRows()) {
		x := repayment{due: int32(due[i]), paid: noDate, amountDue: amountDue[i]}
		p.dataEnd = max(p.dataEnd, x.due)
		if paid.IsValid(i) {
			x.paid = int32(paid.Value(i))
			p.dataEnd = max(p.dataEnd, x.paid)
		}
		if amountPaid.IsValid(i) {
			x.amountPaid = amountPaid.Value(i)
		}
		q := int32(-1)
		if li := s.loanLook.find(ids.Value(i)); li >= 0 {
			q = s.par.loanPos[li]
		}
		if q < 0 {
			p.orphanRepayments++
			continue
		}
		c := s.loanCust[q]
		if q < s.lastLoan[c] {
			return fmt.Errorf("features: repayments row %d of the stream (loan %s): %w", s.repRows+int64(i), ids.Value(i), ErrUnordered)
		}
		s.lastLoan[c] = q
		for k := range s.windows {
			st.rep[k][c].add(x, &s.windows[k], st.maxDPD[k][int(c)*nw:(int(c)+1)*nw], &st.rollback[k][q], &st.paidBy[k][q])
		}
	}
	s.repRows += rec.NumRows()
	return nil
}

// AddInteractions folds a batch of clean interactions (the canonical schema, extra columns
// ignored) into the totals. The batch is only read.
func (s *Stream) AddInteractions(ctx context.Context, rec arrow.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cols, err := recordColumns(schemas.Interactions, schemas.InteractionsSchema(), rec, "customer_id", "ts", "channel", "kind", "satisfaction", "resolved")
	if err != nil {
		return err
	}
	ids := cols[0].(*array.String)
	day := timestampDays(cols[1])
	channel, kind := cols[2].(*array.String), cols[3].(*array.String)
	sat, resolved := cols[4].(*array.Int8), cols[5].(*array.Boolean)
	p, st := s.p, s.p.streamed
	for i := range int(rec.NumRows()) {
		d := day(i)
		p.dataEnd = max(p.dataEnd, d)
		c := s.custLook.find(ids.Value(i))
		if c < 0 {
			p.orphanInteractions++
			continue
		}
		f, v := interactionFlags(kind, channel, resolved, i, s.o.DigitalChannels), int8(0)
		if sat.IsValid(i) {
			v = sat.Value(i)
		}
		for k := range s.windows {
			st.ints[k][c].add(d, f, v, &s.windows[k])
		}
	}
	s.intRows += rec.NumRows()
	return nil
}

// Finish computes the feature table from the totals. The Stream cannot be used after.
func (s *Stream) Finish(ctx context.Context) (*Output, error) {
	s.o.Logger.Debug("features: stream folded", "customers", s.p.nCust, "loans", len(s.p.origination),
		"repayments", s.repRows, "interactions", s.intRows)
	out, err := s.p.assemble(ctx, s.o, s.days, s.customers)
	s.Release()
	return out, err
}

// Release releases what the Stream holds; it cannot be used after. Finish calls it.
func (s *Stream) Release() {
	for _, ids := range s.ids {
		ids.Release()
	}
	s.ids, s.p, s.par, s.loanLook, s.custLook = nil, nil, nil, nil, nil
}
