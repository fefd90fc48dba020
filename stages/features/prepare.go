package features

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"lendscore/schemas"
)

var nan = math.NaN()

// Bits of interaction flags.
const (
	flagComplaint uint8 = 1 << iota
	flagDigital
	flagResolved // resolved is true
)

// Bits of loan flags.
const (
	flagMortgage uint8 = 1 << iota
	flagGuarantee
)

// prepared holds the four extracts joined and grouped by customer, independent of as_of, so
// that several snapshots can be computed from one preparation. Customers keep their input
// order (index c); the loans, repayments and interactions of customer c are the positions
// [start[c], start[c+1]) of flat per-column slices, in input order within the customer.
type prepared struct {
	customers []arrow.Record
	nCust     int

	// per customer, by index
	onboard     []int32
	birth       []int32
	established []int32
	income      []float64
	employees   []float64

	// loans grouped by customer
	loanStart   []int32
	origination []int32
	maturity    []int32
	limit       []float64 // credit_limit, or principal when null
	creditLimit []float64 // NaN when null
	principal   []float64
	balance     []float64 // as extracted; NaN when null
	product     []int32   // product code, 0 = null
	loanFlags   []uint8

	// repayments grouped by customer
	repStart  []int32
	due       []int32
	paid      []int32 // noDate while unpaid
	amountDue []float64
	amountPd  []float64 // 0 when null
	repLoan   []int32   // loan position

	// interactions grouped by customer
	intStart []int32
	intDay   []int32
	intFlags []uint8
	intSat   []int8 // 0 when null

	dataEnd int32 // latest due, paid or interaction day; noDate-free, math.MinInt32 if none

	orphanLoans, orphanRepayments, orphanInteractions int64
}

// prepare validates and joins the inputs.
func prepare(ctx context.Context, in Inputs, o Options) (*prepared, error) {
	p := &prepared{customers: in.Customers, dataEnd: math.MinInt32}
	custIndex, err := p.readCustomers(in.Customers)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	loanIndex, loanPos, loanCust, err := p.readLoans(in.Loans, custIndex)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := p.readRepayments(ctx, in.Repayments, o.Workers, loanIndex, loanPos, loanCust); err != nil {
		return nil, err
	}
	if err := p.readInteractions(ctx, in.Interactions, o, custIndex); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *prepared) readCustomers(recs []arrow.Record) (map[string]int32, error) {
	canon := schemas.CustomersSchema()
	n := 0
	for _, r := range recs {
		n += int(r.NumRows())
	}
	if n > math.MaxInt32-1 {
		return nil, fmt.Errorf("features: customers: %d rows is more than one table can hold", n)
	}
	p.nCust = n
	p.onboard = make([]int32, n)
	p.birth = make([]int32, n)
	p.established = make([]int32, n)
	p.income = make([]float64, n)
	p.employees = make([]float64, n)
	index := make(map[string]int32, n)
	c := 0
	for _, r := range recs {
		cols, err := recordColumns(schemas.Customers, canon, r,
			"customer_id", "onboard_date", "birth_date", "established_date", "annual_income", "employees")
		if err != nil {
			return nil, err
		}
		ids := cols[0].(*array.String)
		income := cols[4].(*array.Float64)
		employees := cols[5].(*array.Int32)
		for i := 0; i < int(r.NumRows()); i, c = i+1, c+1 {
			id := ids.Value(i)
			if _, dup := index[id]; dup {
				return nil, fmt.Errorf("features: customers: customer_id %q appears twice", id)
			}
			index[id] = int32(c)
			p.onboard[c] = dates(cols[1], i)
			p.birth[c] = dates(cols[2], i)
			p.established[c] = dates(cols[3], i)
			p.income[c] = float(income, i)
			if employees.IsNull(i) {
				p.employees[c] = nan
			} else {
				p.employees[c] = float64(employees.Value(i))
			}
		}
	}
	return index, nil
}

// readLoans groups the loans by customer. It returns the loan_id index (input order), the
// position of each input loan in the grouped slices (-1 for an orphan) and the customer of
// each position.
func (p *prepared) readLoans(recs []arrow.Record, custIndex map[string]int32) (map[string]int32, []int32, []int32, error) {
	canon := schemas.LoansSchema()
	n := 0
	for _, r := range recs {
		n += int(r.NumRows())
	}
	if n > math.MaxInt32-1 {
		return nil, nil, nil, fmt.Errorf("features: loans: %d rows is more than one table can hold", n)
	}
	names := []string{"loan_id", "customer_id", "product", "collateral", "principal", "credit_limit", "balance", "origination_date", "maturity_date"}
	cols := make([][]arrow.Array, len(recs))
	for k, r := range recs {
		var err error
		if cols[k], err = recordColumns(schemas.Loans, canon, r, names...); err != nil {
			return nil, nil, nil, err
		}
	}

	// Pass 1: index the loan ids, find each loan's customer, count loans per customer.
	index := make(map[string]int32, n)
	cust := make([]int32, n)
	count := make([]int32, p.nCust+1)
	look := lookup{index: custIndex}
	li := 0
	for k, r := range recs {
		ids, custs := cols[k][0].(*array.String), cols[k][1].(*array.String)
		for i := 0; i < int(r.NumRows()); i, li = i+1, li+1 {
			id := ids.Value(i)
			if _, dup := index[id]; dup {
				return nil, nil, nil, fmt.Errorf("features: loans: loan_id %q appears twice", id)
			}
			index[id] = int32(li)
			c := look.find(custs.Value(i))
			cust[li] = c
			if c < 0 {
				p.orphanLoans++
				continue
			}
			count[c+1]++
		}
	}
	p.loanStart = prefixSums(count)
	m := int(p.loanStart[p.nCust])
	p.origination = make([]int32, m)
	p.maturity = make([]int32, m)
	p.limit = make([]float64, m)
	p.creditLimit = make([]float64, m)
	p.principal = make([]float64, m)
	p.balance = make([]float64, m)
	p.product = make([]int32, m)
	p.loanFlags = make([]uint8, m)
	posCust := make([]int32, m)

	// Pass 2: scatter the loan fields into customer order.
	pos := make([]int32, n)
	next := append([]int32(nil), p.loanStart[:p.nCust]...)
	products := map[string]int32{}
	li = 0
	for k, r := range recs {
		cs := cols[k]
		product, collateral := cs[2].(*array.String), cs[3].(*array.String)
		principal, limit, balance := cs[4].(*array.Float64), cs[5].(*array.Float64), cs[6].(*array.Float64)
		lastProduct, lastCode := "", int32(-1)
		for i := 0; i < int(r.NumRows()); i, li = i+1, li+1 {
			c := cust[li]
			if c < 0 {
				pos[li] = -1
				continue
			}
			q := next[c]
			next[c]++
			pos[li] = q
			posCust[q] = c
			p.origination[q] = dates(cs[7], i)
			p.maturity[q] = dates(cs[8], i)
			p.principal[q] = principal.Value(i)
			p.creditLimit[q] = float(limit, i)
			p.limit[q] = p.creditLimit[q]
			if math.IsNaN(p.limit[q]) {
				p.limit[q] = p.principal[q]
			}
			p.balance[q] = float(balance, i)
			if !product.IsNull(i) {
				v := product.Value(i)
				if lastCode < 0 || v != lastProduct {
					code, ok := products[v]
					if !ok {
						code = int32(len(products) + 1)
						products[v] = code
					}
					lastProduct, lastCode = v, code
				}
				p.product[q] = lastCode
			}
			if !collateral.IsNull(i) {
				switch collateral.Value(i) {
				case "mortgage":
					p.loanFlags[q] |= flagMortgage
				case "guarantee":
					p.loanFlags[q] |= flagGuarantee
				}
			}
		}
	}
	return index, pos, posCust, nil
}

// readRepayments groups the repayment rows by customer through their loan.
func (p *prepared) readRepayments(ctx context.Context, recs []arrow.Record, workers int, loanIndex map[string]int32, loanPos, posCust []int32) error {
	canon := schemas.RepaymentsSchema()
	cols := make([][]arrow.Array, len(recs))
	for k, r := range recs {
		var err error
		if cols[k], err = recordColumns(schemas.Repayments, canon, r, "loan_id", "due_date", "amount_due", "paid_date", "amount_paid"); err != nil {
			return err
		}
	}
	chunks, n := splitRows(recs)
	if n > math.MaxInt32-1 {
		return fmt.Errorf("features: repayments: %d rows is more than one table can hold", n)
	}

	// Pass 1, parallel: the loan position of every row and the latest date.
	rowLoan := make([]int32, n)
	latest := make([]int32, len(chunks))
	err := parallel(ctx, workers, len(chunks), func(j int) {
		ch := chunks[j]
		ids := cols[ch.rec][0].(*array.String)
		due, paid := cols[ch.rec][1].(*array.Date32), cols[ch.rec][3].(*array.Date32)
		look := lookup{index: loanIndex}
		end := int32(math.MinInt32)
		for i := ch.lo; i < ch.hi; i++ {
			li := look.find(ids.Value(i))
			q := int32(-1)
			if li >= 0 {
				q = loanPos[li]
			}
			rowLoan[ch.first+i-ch.lo] = q
			end = max(end, int32(due.Value(i)))
			if paid.IsValid(i) {
				end = max(end, int32(paid.Value(i)))
			}
		}
		latest[j] = end
	})
	if err != nil {
		return err
	}
	for _, e := range latest {
		p.dataEnd = max(p.dataEnd, e)
	}

	count := make([]int32, p.nCust+1)
	for _, q := range rowLoan {
		if q < 0 {
			p.orphanRepayments++
			continue
		}
		count[posCust[q]+1]++
	}
	p.repStart = prefixSums(count)
	m := int(p.repStart[p.nCust])
	p.due = make([]int32, m)
	p.paid = make([]int32, m)
	p.amountDue = make([]float64, m)
	p.amountPd = make([]float64, m)
	p.repLoan = make([]int32, m)

	// Pass 2: scatter into customer order, rows of a customer keeping their input order.
	next := append([]int32(nil), p.repStart[:p.nCust]...)
	g := 0
	for k, r := range recs {
		due, paid := cols[k][1].(*array.Date32), cols[k][3].(*array.Date32)
		amountDue, amountPaid := cols[k][2].(*array.Float64), cols[k][4].(*array.Float64)
		for i := 0; i < int(r.NumRows()); i, g = i+1, g+1 {
			q := rowLoan[g]
			if q < 0 {
				continue
			}
			c := posCust[q]
			t := next[c]
			next[c]++
			p.repLoan[t] = q
			p.due[t] = int32(due.Value(i))
			p.paid[t] = dates(paid, i)
			p.amountDue[t] = amountDue.Value(i)
			if amountPaid.IsValid(i) {
				p.amountPd[t] = amountPaid.Value(i)
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// readInteractions groups the interactions by customer.
func (p *prepared) readInteractions(ctx context.Context, recs []arrow.Record, o Options, custIndex map[string]int32) error {
	canon := schemas.InteractionsSchema()
	cols := make([][]arrow.Array, len(recs))
	for k, r := range recs {
		var err error
		if cols[k], err = recordColumns(schemas.Interactions, canon, r, "customer_id", "ts", "channel", "kind", "satisfaction", "resolved"); err != nil {
			return err
		}
	}
	chunks, n := splitRows(recs)
	if n > math.MaxInt32-1 {
		return fmt.Errorf("features: interactions: %d rows is more than one table can hold", n)
	}
	rowCust := make([]int32, n)
	latest := make([]int32, len(chunks))
	err := parallel(ctx, o.Workers, len(chunks), func(j int) {
		ch := chunks[j]
		ids := cols[ch.rec][0].(*array.String)
		day := timestampDays(cols[ch.rec][1])
		look := lookup{index: custIndex}
		end := int32(math.MinInt32)
		for i := ch.lo; i < ch.hi; i++ {
			rowCust[ch.first+i-ch.lo] = look.find(ids.Value(i))
			end = max(end, day(i))
		}
		latest[j] = end
	})
	if err != nil {
		return err
	}
	for _, e := range latest {
		p.dataEnd = max(p.dataEnd, e)
	}
	count := make([]int32, p.nCust+1)
	for _, c := range rowCust {
		if c < 0 {
			p.orphanInteractions++
			continue
		}
		count[c+1]++
	}
	p.intStart = prefixSums(count)
	m := int(p.intStart[p.nCust])
	p.intDay = make([]int32, m)
	p.intFlags = make([]uint8, m)
	p.intSat = make([]int8, m)
	next := append([]int32(nil), p.intStart[:p.nCust]...)
	g := 0
	for k, r := range recs {
		cs := cols[k]
		day := timestampDays(cs[1])
		channel, kind := cs[2].(*array.String), cs[3].(*array.String)
		sat, resolved := cs[4].(*array.Int8), cs[5].(*array.Boolean)
		for i := 0; i < int(r.NumRows()); i, g = i+1, g+1 {
			c := rowCust[g]
			if c < 0 {
				continue
			}
			t := next[c]
			next[c]++
			p.intDay[t] = day(i)
			var f uint8
			if kind.IsValid(i) && kind.Value(i) == "complaint" {
				f |= flagComplaint
			}
			if channel.IsValid(i) && isIn(channel.Value(i), o.DigitalChannels) {
				f |= flagDigital
			}
			if resolved.IsValid(i) && resolved.Value(i) {
				f |= flagResolved
			}
			p.intFlags[t] = f
			if sat.IsValid(i) {
				p.intSat[t] = sat.Value(i)
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func isIn(v string, set []string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

// lookup finds keys in an index, remembering the last key: extracts sorted or grouped by
// the key then need one map access per group instead of one per row.
type lookup struct {
	index   map[string]int32
	last    string
	lastIdx int32
	primed  bool
}

// find returns the index of key, or -1 when the key is unknown.
func (l *lookup) find(key string) int32 {
	if l.primed && key == l.last {
		return l.lastIdx
	}
	v, ok := l.index[key]
	if !ok {
		v = -1
	}
	l.last, l.lastIdx, l.primed = key, v, true
	return v
}

// prefixSums turns counts shifted by one (count[c+1] = rows of c) into start offsets in
// place: start[c] is the first position of c and start[n] the total.
func prefixSums(count []int32) []int32 {
	for c := 1; c < len(count); c++ {
		count[c] += count[c-1]
	}
	return count
}

// rowChunk is a range [lo, hi) of rows of record rec, whose first row is row first of the
// whole table.
type rowChunk struct {
	rec, lo, hi, first int
}

// chunkRows is the number of rows of the work items of the parallel passes.
const chunkRows = 1 << 16

// splitRows cuts the records into chunks of at most chunkRows rows and returns them with
// the total number of rows.
func splitRows(recs []arrow.Record) ([]rowChunk, int) {
	var chunks []rowChunk
	first := 0
	for k, r := range recs {
		n := int(r.NumRows())
		for lo := 0; lo < n; lo += chunkRows {
			hi := min(lo+chunkRows, n)
			chunks = append(chunks, rowChunk{rec: k, lo: lo, hi: hi, first: first + lo})
		}
		first += n
	}
	return chunks, first
}

// parallel runs fn(0) … fn(n-1) on up to workers goroutines and stops handing out work when
// ctx is done. Each fn writes only its own part of the results, so the outcome does not
// depend on the number of workers.
func parallel(ctx context.Context, workers, n int, fn func(i int)) error {
	workers = max(1, min(workers, n))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}
