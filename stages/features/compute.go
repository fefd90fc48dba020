package features

import (
	"context"
	"math"
)

// Label states of a customer, as stored while computing.
const (
	stLabelled uint8 = iota
	stWindowIncomplete
	stDefaulted
)

var statusNames = [...]string{StatusLabelled, StatusWindowIncomplete, StatusDefaulted}

// sink holds the output columns the features are written to, each as long as the whole
// output table.
type sink struct {
	num    [][]float64 // numeric slots
	bad    []int8
	status []uint8
}

// window holds the dates of one snapshot, as day numbers.
type window struct {
	asOf      int32
	start     int32   // start of the behaviour window (exclusive)
	dpdStart  []int32 // starts of the max_dpd windows (exclusive)
	perfEnd   int32   // as_of + performance window (inclusive)
	label     bool
	completed bool // perfEnd ≤ data end
	snapshot  int  // index of the as_of date among those built
}

// blockRows is the number of customers of one work item of compute.
const blockRows = 4096

// compute computes the features at the window's as_of of the customers rows (ascending
// customer indices) into rows base, base+1, … of out.
func (p *prepared) compute(ctx context.Context, w window, workers int, rows []int32, base int, out *sink) error {
	maxLoans := 0
	for c := range p.nCust {
		maxLoans = max(maxLoans, int(p.loanStart[c+1]-p.loanStart[c]))
	}
	blocks := (len(rows) + blockRows - 1) / blockRows
	scratch := make(chan *loanScratch, max(1, workers))
	for range cap(scratch) {
		scratch <- &loanScratch{rollback: make([]float64, maxLoans), paidBy: make([]float64, maxLoans), products: make([]int32, 0, maxLoans), maxDPD: make([]int32, len(w.dpdStart))}
	}
	return parallel(ctx, workers, blocks, func(b int) {
		sc := <-scratch
		defer func() { scratch <- sc }()
		for j := b * blockRows; j < min(len(rows), (b+1)*blockRows); j++ {
			p.customer(int(rows[j]), base+j, w, out, sc)
		}
	})
}

// loanScratch is per-worker working memory for the loans of one customer.
type loanScratch struct {
	rollback []float64 // amount paid after as_of, by loan
	paidBy   []float64 // amount paid on or before as_of, by loan
	products []int32
	maxDPD   []int32 // by max_dpd window
	record   int     // record of the last repayment read
}

// repTotals are the repayment aggregates of one customer at one as_of: what the features
// keep of its repayment rows. They are folded row by row (add), by compute from the rows
// grouped by loan or by a Stream as the rows arrive.
type repTotals struct {
	late, late30, frequency  int32
	currentDPD               int32
	lastDelinquent, lastPaid int32 // math.MinInt32 when none
	dueSum, paidSum          float64
	monetary                 float64
	bad                      bool
}

// newRepTotals returns the totals of no repayment.
func newRepTotals() repTotals {
	return repTotals{lastDelinquent: math.MinInt32, lastPaid: math.MinInt32}
}

// add folds repayment x, of a loan whose amounts paid after and by as_of are rollback and
// paidBy, into t; maxDPD holds the largest delinquency by max_dpd window. The sums are
// order-dependent in their last bits: folded in the same order, the rows give the same
// totals.
func (t *repTotals) add(x repayment, w *window, maxDPD []int32, rollback, paidBy *float64) {
	A := w.asOf
	d, pd := x.due, x.paid
	if pd != noDate {
		if pd > A {
			*rollback += x.amountPaid
		} else {
			*paidBy += x.amountPaid
		}
	}
	if w.label && !t.bad {
		// 90+ days past due on a date t in (A, perfEnd]: the first such date is
		// max(A+1, d+90), and the instalment must still be unpaid before that day.
		first := max(A+1, d+BadDaysPastDue)
		if first <= w.perfEnd && pd >= first {
			t.bad = true
		}
	}
	if d > A {
		return
	}
	end := min(pd, A) // the date the instalment's delinquency, as seen at A, ends
	dpd := end - d    // its days past due then
	if dpd > 0 {
		for k, start := range w.dpdStart {
			if end > start && dpd > maxDPD[k] {
				maxDPD[k] = dpd
			}
		}
		if dpd > SeriousDaysPastDue {
			t.lastDelinquent = max(t.lastDelinquent, end)
		}
	}
	if d > w.start {
		t.dueSum += x.amountDue
		if pd <= A {
			t.paidSum += x.amountPaid
		}
		if dpd > 0 {
			t.late++
		}
		if dpd > SeriousDaysPastDue {
			t.late30++
		}
	}
	if pd > A {
		t.currentDPD = max(t.currentDPD, A-d)
	} else {
		t.lastPaid = max(t.lastPaid, pd)
		if pd > w.start {
			t.frequency++
			t.monetary += x.amountPaid
		}
	}
}

// intTotals are the interaction aggregates of one customer at one as_of. They are counts
// and a maximum, so the order of the rows does not matter.
type intTotals struct {
	contacts, complaints, digital, unresolved int32
	satN, satSum                              int32
	lastContact                               int32 // math.MinInt32 when none
}

// newIntTotals returns the totals of no interaction.
func newIntTotals() intTotals { return intTotals{lastContact: math.MinInt32} }

// add folds an interaction on day with flags f and satisfaction sat (0: none) into t.
func (t *intTotals) add(day int32, f uint8, sat int8, w *window) {
	if day > w.asOf {
		return
	}
	t.lastContact = max(t.lastContact, day)
	if f&flagComplaint != 0 && f&flagResolved == 0 {
		t.unresolved++
	}
	if day <= w.start {
		return
	}
	t.contacts++
	if f&flagComplaint != 0 {
		t.complaints++
	}
	if f&flagDigital != 0 {
		t.digital++
	}
	if sat != 0 {
		t.satSum += int32(sat)
		t.satN++
	}
}

// customer computes the features of customer c into row at of out, and writes nothing
// else. Its repayment and interaction totals are folded here from the grouped rows, or
// taken from the stream that folded them.
func (p *prepared) customer(c, at int, w window, out *sink, sc *loanScratch) {
	ls, le := p.loanStart[c], p.loanStart[c+1]
	var (
		rt               repTotals
		it               intTotals
		rollback, paidBy []float64
		dpd              []int32
	)
	if st := p.streamed; st != nil {
		k := w.snapshot
		rt, it = st.rep[k][c], st.ints[k][c]
		nw := len(w.dpdStart)
		dpd = st.maxDPD[k][c*nw : (c+1)*nw]
		rollback, paidBy = st.rollback[k][ls:le], st.paidBy[k][ls:le]
	} else {
		rollback, paidBy = sc.rollback[:le-ls], sc.paidBy[:le-ls]
		clear(rollback)
		clear(paidBy)
		dpd = sc.maxDPD[:len(w.dpdStart)]
		clear(dpd)
		rt = newRepTotals()
		rec := sc.record
		for q := ls; q < le; q++ {
			l := q - ls
			for j := p.repRows.start[q]; j < p.repRows.end[q]; j++ {
				var i int
				rec, i = p.rep.locate(p.repRows.row(j), rec)
				rt.add(p.rep.row(rec, i), &w, dpd, &rollback[l], &paidBy[l])
			}
		}
		sc.record = rec
		it = newIntTotals()
		for i := p.intStart[c]; i < p.intStart[c+1]; i++ {
			it.add(p.intDay[i], p.intFlags[i], p.intSat[i], &w)
		}
	}
	p.write(c, at, w, out, sc, &rt, dpd, rollback, paidBy, &it)
}

// write computes the features of customer c from its totals into row at of out.
func (p *prepared) write(c, at int, w window, out *sink, sc *loanScratch, rt *repTotals, maxDPD []int32, rollback, paidBy []float64, it *intTotals) {
	A := w.asOf
	onboard := p.onboard[c]
	set := func(slot int, v float64) { out.num[slot][at] = v }

	// Demographics.
	set(sAge, yearsSince(p.birth[c], A))
	set(sYearsEstablished, yearsSince(p.established[c], A))
	income := p.income[c]
	set(sAnnualIncome, income)
	if income >= 0 {
		set(sLogAnnualIncome, math.Log1p(income))
	} else {
		set(sLogAnnualIncome, nan)
	}
	set(sEmployees, p.employees[c])
	set(sTenure, float64(wholeMonths(onboard, A)))

	// Repayments.
	for k, v := range maxDPD {
		set(numFixed+k, float64(v))
	}
	set(sLate, float64(rt.late))
	set(sLate30, float64(rt.late30))
	if rt.lastDelinquent == math.MinInt32 {
		set(sMonthsSinceDelinquency, nan)
	} else {
		set(sMonthsSinceDelinquency, float64(wholeMonths(rt.lastDelinquent, A)))
	}
	set(sPaidDueRatio, ratio(rt.paidSum, rt.dueSum))
	set(sCurrentDPD, float64(rt.currentDPD))
	set(sCurrentlyPastDue, indicator(rt.currentDPD > 0))
	if rt.lastPaid == math.MinInt32 {
		set(sRecency, nan)
	} else {
		set(sRecency, float64(A-rt.lastPaid))
	}
	set(sFrequency, float64(rt.frequency))
	set(sMonetary, rt.monetary)

	// Loans.
	ls, le := p.loanStart[c], p.loanStart[c+1]
	var (
		total, active            int
		limit, balance, exposure float64
		mortgage, guarantee      bool
	)
	products := sc.products[:0]
	for q := ls; q < le; q++ {
		if p.origination[q] > A {
			continue
		}
		total++
		b := p.balanceAt(q, rollback[q-ls], paidBy[q-ls])
		balance += b
		exposure += b
		if p.maturity[q] <= A {
			continue
		}
		active++
		limit += p.limit[q]
		if cl := p.creditLimit[q]; !math.IsNaN(cl) {
			exposure += max(0, cl-b)
		}
		mortgage = mortgage || p.loanFlags[q]&flagMortgage != 0
		guarantee = guarantee || p.loanFlags[q]&flagGuarantee != 0
		if !containsCode(products, p.product[q]) {
			products = append(products, p.product[q])
		}
	}
	set(sLoansTotal, float64(total))
	set(sLoansActive, float64(active))
	set(sProducts, float64(len(products)))
	set(sCreditLimit, limit)
	set(sBalance, balance)
	if limit > 0 {
		set(sUtilisation, balance/limit)
	} else {
		set(sUtilisation, nan)
	}
	set(sHasMortgage, indicator(mortgage))
	set(sHasGuarantee, indicator(guarantee))
	set(sExposure, exposure)

	// Interactions.
	set(sContacts, float64(it.contacts))
	set(sComplaints, float64(it.complaints))
	set(sSatisfaction, ratio(float64(it.satSum), float64(it.satN)))
	set(sDigitalShare, ratio(float64(it.digital), float64(it.contacts)))
	if it.lastContact == math.MinInt32 {
		set(sDaysSinceContact, nan)
	} else {
		set(sDaysSinceContact, float64(A-it.lastContact))
	}
	set(sUnresolved, float64(it.unresolved))

	// Label.
	if w.label {
		switch {
		case !w.completed:
			out.status[at] = stWindowIncomplete
		case rt.currentDPD >= BadDaysPastDue:
			out.status[at] = stDefaulted
		default:
			out.status[at] = stLabelled
			if rt.bad {
				out.bad[at] = 1
			}
		}
	}
}

// balanceAt estimates the balance of loan q at as_of. The extract's balance is measured at
// the extract date, so the payments made after as_of are added back (rollback). Without an
// extracted balance it is principal minus what was paid by as_of. The result is kept within
// [0, max(principal, credit_limit, extracted balance)]: payments include interest, so the
// roll-back overstates the balance by the interest part of the later payments.
func (p *prepared) balanceAt(q int32, rollback, paidBy float64) float64 {
	b := p.balance[q]
	ceiling := p.principal[q]
	if cl := p.creditLimit[q]; cl > ceiling {
		ceiling = cl
	}
	if math.IsNaN(b) {
		b = p.principal[q] - paidBy
	} else {
		ceiling = max(ceiling, b)
		b += rollback
	}
	return max(0, min(b, ceiling))
}

// yearsSince returns the whole years from day from to day to, NaN when from is unknown or
// after to.
func yearsSince(from, to int32) float64 {
	if from == noDate || from > to {
		return nan
	}
	return float64(wholeMonths(from, to) / 12)
}

func ratio(num, den float64) float64 {
	if den == 0 {
		return nan
	}
	return num / den
}

func indicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func containsCode(codes []int32, v int32) bool {
	for _, c := range codes {
		if c == v {
			return true
		}
	}
	return false
}
