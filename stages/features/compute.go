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

// customer computes the features of customer c into row at of out, and writes nothing
// else.
func (p *prepared) customer(c, at int, w window, out *sink, sc *loanScratch) {
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
	ls, le := p.loanStart[c], p.loanStart[c+1]
	rollback, paidBy := sc.rollback[:le-ls], sc.paidBy[:le-ls]
	clear(rollback)
	clear(paidBy)
	maxDPD := sc.maxDPD[:len(w.dpdStart)]
	clear(maxDPD)
	var (
		late, late30, frequency   int
		dueSum, paidSum, monetary float64
		lastDelinquent, lastPaid  = int32(math.MinInt32), int32(math.MinInt32)
		currentDPD                int32
		bad                       bool
	)
	rec := sc.record
	for q := ls; q < le; q++ {
		l := q - ls
		for j := p.repRows.start[q]; j < p.repRows.end[q]; j++ {
			var i int
			rec, i = p.rep.locate(p.repRows.row(j), rec)
			x := p.rep.row(rec, i)
			d, pd := x.due, x.paid
			if pd != noDate {
				if pd > A {
					rollback[l] += x.amountPaid
				} else {
					paidBy[l] += x.amountPaid
				}
			}
			if w.label && !bad {
				// 90+ days past due on a date t in (A, perfEnd]: the first such date is
				// max(A+1, d+90), and the instalment must still be unpaid before that day.
				t := max(A+1, d+BadDaysPastDue)
				if t <= w.perfEnd && pd >= t {
					bad = true
				}
			}
			if d > A {
				continue
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
					lastDelinquent = max(lastDelinquent, end)
				}
			}
			if d > w.start {
				dueSum += x.amountDue
				if pd <= A {
					paidSum += x.amountPaid
				}
				if dpd > 0 {
					late++
				}
				if dpd > SeriousDaysPastDue {
					late30++
				}
			}
			if pd > A {
				currentDPD = max(currentDPD, A-d)
			} else {
				lastPaid = max(lastPaid, pd)
				if pd > w.start {
					frequency++
					monetary += x.amountPaid
				}
			}
		}
	}
	sc.record = rec
	for k, v := range maxDPD {
		set(numFixed+k, float64(v))
	}
	set(sLate, float64(late))
	set(sLate30, float64(late30))
	if lastDelinquent == math.MinInt32 {
		set(sMonthsSinceDelinquency, nan)
	} else {
		set(sMonthsSinceDelinquency, float64(wholeMonths(lastDelinquent, A)))
	}
	set(sPaidDueRatio, ratio(paidSum, dueSum))
	set(sCurrentDPD, float64(currentDPD))
	set(sCurrentlyPastDue, indicator(currentDPD > 0))
	if lastPaid == math.MinInt32 {
		set(sRecency, nan)
	} else {
		set(sRecency, float64(A-lastPaid))
	}
	set(sFrequency, float64(frequency))
	set(sMonetary, monetary)

	// Loans.
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
	var (
		contacts, complaints, digital, unresolved, satN int
		satSum                                          int
		lastContact                                     = int32(math.MinInt32)
	)
	for i := p.intStart[c]; i < p.intStart[c+1]; i++ {
		day := p.intDay[i]
		if day > A {
			continue
		}
		f := p.intFlags[i]
		lastContact = max(lastContact, day)
		if f&flagComplaint != 0 && f&flagResolved == 0 {
			unresolved++
		}
		if day <= w.start {
			continue
		}
		contacts++
		if f&flagComplaint != 0 {
			complaints++
		}
		if f&flagDigital != 0 {
			digital++
		}
		if sat := p.intSat[i]; sat != 0 {
			satSum += int(sat)
			satN++
		}
	}
	set(sContacts, float64(contacts))
	set(sComplaints, float64(complaints))
	set(sSatisfaction, ratio(float64(satSum), float64(satN)))
	set(sDigitalShare, ratio(float64(digital), float64(contacts)))
	if lastContact == math.MinInt32 {
		set(sDaysSinceContact, nan)
	} else {
		set(sDaysSinceContact, float64(A-lastContact))
	}
	set(sUnresolved, float64(unresolved))

	// Label.
	if w.label {
		switch {
		case !w.completed:
			out.status[at] = stWindowIncomplete
		case currentDPD >= BadDaysPastDue:
			out.status[at] = stDefaulted
		default:
			out.status[at] = stLabelled
			if bad {
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
