package features

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

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
// order (index c). The loans and interactions of customer c are the positions
// [start[c], start[c+1]) of flat per-column slices, in input order within the customer;
// the loan positions q of a customer are contiguous, and the repayments of loan q are the
// rows repRows locates for q, read from their Arrow records through rep.
type prepared struct {
	nCust int

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

	// repayments, in their records, grouped by loan position
	rep     repReader
	repRows grouping

	// interactions grouped by customer
	intStart []int32
	intDay   []int32
	intFlags []uint8
	intSat   []int8 // 0 when null

	dataEnd int32 // latest due, paid or interaction day; math.MinInt32 when there is none

	// streamed, when set, holds the repayment and interaction totals a Stream folded; the
	// row fields above (rep, repRows, int*) are then unused.
	streamed *streamTotals

	orphanLoans, orphanRepayments, orphanInteractions int64
}

// parents are the customers and loans indexed: what the repayments and interactions are
// joined to.
type parents struct {
	custIndex, loanIndex *index
	// loanPos is the position of each input loan in the grouped loan slices (-1: orphan).
	loanPos []int32
}

// prepareParents validates the customers and loans and groups the loans by customer.
func prepareParents(ctx context.Context, customers, loans []arrow.Record, o Options) (*prepared, *parents, error) {
	p := &prepared{dataEnd: math.MinInt32}
	t := time.Now()
	// The two id indexes do not depend on each other: build them side by side.
	var par parents
	var errs [2]error
	err := parallel(ctx, o.Workers, 2, func(i int) {
		if i == 0 {
			par.custIndex, errs[0] = p.readCustomers(customers)
		} else {
			par.loanIndex, errs[1] = newIndex(schemas.Loans, schemas.LoansSchema(), "loan_id", loans)
		}
	})
	if err = cmp.Or(errs[0], errs[1], err); err != nil {
		return nil, nil, err
	}
	o.Logger.Debug("features: customers and loans indexed", "elapsed", time.Since(t))
	t = time.Now()
	if par.loanPos, err = p.readLoans(loans, par.custIndex); err != nil {
		return nil, nil, err
	}
	o.Logger.Debug("features: loans grouped", "elapsed", time.Since(t))
	return p, &par, ctx.Err()
}

// prepare validates and joins the inputs.
func prepare(ctx context.Context, in Inputs, o Options) (*prepared, error) {
	p, par, err := prepareParents(ctx, in.Customers, in.Loans, o)
	if err != nil {
		return nil, err
	}
	t := time.Now()
	step := func(name string) error {
		o.Logger.Debug("features: "+name, "elapsed", time.Since(t))
		t = time.Now()
		return ctx.Err()
	}
	custIndex, loanIndex, loanPos := par.custIndex, par.loanIndex, par.loanPos
	if err := p.readRepayments(ctx, in.Repayments, o.Workers, loanIndex, loanPos); err != nil {
		return nil, err
	}
	if err := step("repayments grouped"); err != nil {
		return nil, err
	}
	if err := p.readInteractions(ctx, in.Interactions, o, custIndex); err != nil {
		return nil, err
	}
	if err := step("interactions grouped"); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *prepared) readCustomers(recs []arrow.Record) (*index, error) {
	idx, err := newIndex(schemas.Customers, schemas.CustomersSchema(), "customer_id", recs)
	if err != nil {
		return nil, err
	}
	canon := schemas.CustomersSchema()
	n := idx.len()
	p.nCust = n
	p.onboard = make([]int32, n)
	p.birth = make([]int32, n)
	p.established = make([]int32, n)
	p.income = make([]float64, n)
	p.employees = make([]float64, n)
	c := 0
	for _, r := range recs {
		cols, err := recordColumns(schemas.Customers, canon, r,
			"onboard_date", "birth_date", "established_date", "annual_income", "employees")
		if err != nil {
			return nil, err
		}
		income := cols[3].(*array.Float64)
		employees := cols[4].(*array.Int32)
		for i := 0; i < int(r.NumRows()); i, c = i+1, c+1 {
			p.onboard[c] = dates(cols[0], i)
			p.birth[c] = dates(cols[1], i)
			p.established[c] = dates(cols[2], i)
			p.income[c] = float(income, i)
			if employees.IsNull(i) {
				p.employees[c] = nan
			} else {
				p.employees[c] = float64(employees.Value(i))
			}
		}
	}
	return idx, nil
}

// readLoans groups the loans by customer. It returns the position of each input loan in the
// grouped slices (-1 for an orphan).
func (p *prepared) readLoans(recs []arrow.Record, custIndex *index) ([]int32, error) {
	canon := schemas.LoansSchema()
	n := 0
	for _, r := range recs {
		n += int(r.NumRows())
	}
	names := []string{"customer_id", "product", "collateral", "principal", "credit_limit", "balance", "origination_date", "maturity_date"}
	cols := make([][]arrow.Array, len(recs))
	for k, r := range recs {
		var err error
		if cols[k], err = recordColumns(schemas.Loans, canon, r, names...); err != nil {
			return nil, err
		}
	}

	// Pass 1: find each loan's customer.
	cust := make([]int32, n)
	look := custIndex.lookup()
	li := 0
	for k, r := range recs {
		custs := cols[k][0].(*array.String)
		for i := 0; i < int(r.NumRows()); i, li = i+1, li+1 {
			cust[li] = look.find(custs.Value(i))
		}
	}
	p.loanStart, p.orphanLoans = groupStarts(cust, p.nCust)
	m := int(p.loanStart[p.nCust])
	p.origination = make([]int32, m)
	p.maturity = make([]int32, m)
	p.limit = make([]float64, m)
	p.creditLimit = make([]float64, m)
	p.principal = make([]float64, m)
	p.balance = make([]float64, m)
	p.product = make([]int32, m)
	p.loanFlags = make([]uint8, m)

	// Pass 2: scatter the loan fields into customer order.
	pos := make([]int32, n)
	next := append([]int32(nil), p.loanStart[:p.nCust]...)
	products := map[string]int32{}
	li = 0
	for k, r := range recs {
		cs := cols[k]
		product, collateral := cs[1].(*array.String), cs[2].(*array.String)
		principal, limit, balance := cs[3].(*array.Float64), cs[4].(*array.Float64), cs[5].(*array.Float64)
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
			p.origination[q] = dates(cs[6], i)
			p.maturity[q] = dates(cs[7], i)
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
	return pos, nil
}

// readRepayments indexes the repayment rows by loan. The rows stay in their Arrow records:
// only the loan of each row is resolved, and the rows of each loan are located (see
// grouping).
func (p *prepared) readRepayments(ctx context.Context, recs []arrow.Record, workers int, loanIndex *index, loanPos []int32) error {
	canon := schemas.RepaymentsSchema()
	p.rep = repReader{start: []int{0}}
	ids := make([]*array.String, len(recs))
	for k, r := range recs {
		cols, err := recordColumns(schemas.Repayments, canon, r, "loan_id", "due_date", "amount_due", "paid_date", "amount_paid")
		if err != nil {
			return err
		}
		ids[k] = cols[0].(*array.String)
		p.rep.add(cols[1:])
	}
	chunks, n := splitRows(recs)
	if n > math.MaxInt32-1 {
		return fmt.Errorf("features: repayments: %d rows is more than one table can hold", n)
	}

	// The loan position of every row, and the latest date, in parallel.
	rowLoan := make([]int32, n)
	latest := make([]int32, len(chunks))
	err := parallel(ctx, workers, len(chunks), func(j int) {
		ch := chunks[j]
		look := loanIndex.lookup()
		due, paid := p.rep.due[ch.rec], p.rep.paid[ch.rec]
		end := int32(math.MinInt32)
		for i := ch.lo; i < ch.hi; i++ {
			q := int32(-1)
			if li := look.find(ids[ch.rec].Value(i)); li >= 0 {
				q = loanPos[li]
			}
			rowLoan[ch.first+i-ch.lo] = q
			end = max(end, int32(due[i]))
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
	p.repRows, p.orphanRepayments = groupRows(rowLoan, len(p.origination))
	return nil
}

// repReader reads repayment rows by row number across the record batches.
type repReader struct {
	start      []int // row number of the first row of each record; then the total
	due        [][]arrow.Date32
	paid       []*array.Date32
	amountDue  [][]float64
	amountPaid []*array.Float64
}

// add appends a record's due_date, amount_due, paid_date and amount_paid columns.
func (r *repReader) add(cols []arrow.Array) {
	r.due = append(r.due, cols[0].(*array.Date32).Date32Values())
	r.amountDue = append(r.amountDue, cols[1].(*array.Float64).Float64Values())
	r.paid = append(r.paid, cols[2].(*array.Date32))
	r.amountPaid = append(r.amountPaid, cols[3].(*array.Float64))
	r.start = append(r.start, r.start[len(r.start)-1]+cols[0].Len())
}

// locate returns the record and the row within it of row g; k is the record of the
// previous call, which is usually right.
func (r *repReader) locate(g int, k int) (int, int) {
	if g < r.start[k] || g >= r.start[k+1] {
		k = sort.SearchInts(r.start, g+1) - 1
	}
	return k, g - r.start[k]
}

// repayment is one repayment row as the features use it.
type repayment struct {
	due, paid             int32 // paid is noDate while unpaid
	amountDue, amountPaid float64
}

// row reads row i of record k; a null amount_paid reads as 0.
func (r *repReader) row(k, i int) repayment {
	x := repayment{due: int32(r.due[k][i]), paid: noDate, amountDue: r.amountDue[k][i]}
	if p := r.paid[k]; p.IsValid(i) {
		x.paid = int32(p.Value(i))
	}
	if a := r.amountPaid[k]; a.IsValid(i) {
		x.amountPaid = a.Value(i)
	}
	return x
}

// grouping locates the rows of each group (a loan, a customer) of a table: the rows of
// group k are rows(k) = [start[k], end[k]) of order, in input order, where order is the
// identity when nil.
type grouping struct {
	start, end []int32
	order      []int32
}

// groupRows groups rows by key (the group of each row, -1 for none) and returns the
// grouping and the number of rows without group. When every group's rows are already
// contiguous and the groups in ascending order — extracts sorted like their parent table —
// no order is needed; otherwise a stable counting sort builds it.
func groupRows(key []int32, groups int) (grouping, int64) {
	g := grouping{start: make([]int32, groups), end: make([]int32, groups)}
	var none int64
	sorted := true
	last, prev := int32(-1), int32(-1)
	for _, k := range key {
		if k < 0 {
			none++
		} else if k < last || (k == last && prev != k) {
			sorted = false
		} else {
			last = k
		}
		prev = k
	}
	if sorted {
		for r, k := range key {
			if k < 0 {
				continue
			}
			if g.end[k] == 0 {
				g.start[k] = int32(r)
			}
			g.end[k] = int32(r) + 1
		}
		return g, none
	}
	for _, k := range key {
		if k >= 0 {
			g.end[k]++
		}
	}
	var sum int32
	for k, n := range g.end {
		g.start[k], g.end[k] = sum, sum
		sum += n
	}
	g.order = make([]int32, sum)
	for r, k := range key {
		if k >= 0 {
			g.order[g.end[k]] = int32(r)
			g.end[k]++
		}
	}
	return g, none
}

// row returns the row number at position j of the grouping.
func (g *grouping) row(j int32) int {
	if g.order == nil {
		return int(j)
	}
	return int(g.order[j])
}

// readInteractions groups the interactions by customer.
func (p *prepared) readInteractions(ctx context.Context, recs []arrow.Record, o Options, custIndex *index) error {
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
		look := custIndex.lookup()
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
	p.intStart, p.orphanInteractions = groupStarts(rowCust, p.nCust)
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
			p.intFlags[t] = interactionFlags(kind, channel, resolved, i, o.DigitalChannels)
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

// interactionFlags returns the flags of interaction row i.
func interactionFlags(kind, channel *array.String, resolved *array.Boolean, i int, digital []string) uint8 {
	var f uint8
	if kind.IsValid(i) && kind.Value(i) == "complaint" {
		f |= flagComplaint
	}
	if channel.IsValid(i) && isIn(channel.Value(i), digital) {
		f |= flagDigital
	}
	if resolved.IsValid(i) && resolved.Value(i) {
		f |= flagResolved
	}
	return f
}

func isIn(v string, set []string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

// index maps the ids of a table (customer_id, loan_id) to their row numbers, in input
// order across the record batches. The keys are read from the Arrow buffers without
// copying, so the index lives only as long as the records.
//
// Extracts usually list their ids in ascending order (the generator's zero-padded ids do).
// Then no id can repeat and no map is needed up front: lookups follow the order (see
// lookup) and fall back to binary search, and only when lookups keep missing is the map
// built after all.
type index struct {
	table, name string
	ids         []*array.String
	start       []int // start[k]: row number of the first row of ids[k]; start[len(ids)]: total
	sorted      bool  // ids strictly ascending

	once sync.Once
	rows map[string]int32
}

// newIndex indexes the column name of the records of table, refusing a duplicate id.
func newIndex(table string, canon *arrow.Schema, name string, recs []arrow.Record) (*index, error) {
	x := &index{table: table, name: name, start: []int{0}}
	for _, r := range recs {
		cols, err := recordColumns(table, canon, r, name)
		if err != nil {
			return nil, err
		}
		x.ids = append(x.ids, cols[0].(*array.String))
		x.start = append(x.start, x.start[len(x.start)-1]+int(r.NumRows()))
	}
	if n := x.len(); n > math.MaxInt32-1 {
		return nil, fmt.Errorf("features: %s: %d rows is more than one table can hold", table, n)
	}
	x.sorted = true
	prev, first := "", true
	for _, ids := range x.ids {
		for i := range ids.Len() {
			id := ids.Value(i)
			if !first && id <= prev {
				x.sorted = false
				break
			}
			prev, first = id, false
		}
		if !x.sorted {
			break
		}
	}
	if !x.sorted {
		if err := x.buildMap(true); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// buildMap fills the id map, refusing duplicates when check is set.
func (x *index) buildMap(check bool) error {
	x.rows = make(map[string]int32, x.len())
	row := int32(0)
	for _, ids := range x.ids {
		for i := range ids.Len() {
			id := ids.Value(i)
			before := len(x.rows)
			x.rows[id] = row
			if check && len(x.rows) == before {
				return fmt.Errorf("features: %s: %s %q appears twice", x.table, x.name, id)
			}
			row++
		}
	}
	return nil
}

func (x *index) len() int { return x.start[len(x.start)-1] }

// at returns the id of row r.
func (x *index) at(r int32) string {
	k := sort.SearchInts(x.start, int(r)+1) - 1
	return x.ids[k].Value(int(r) - x.start[k])
}

// search finds id by binary search in a sorted index.
func (x *index) search(id string) int32 {
	n := x.len()
	r := sort.Search(n, func(r int) bool { return x.at(int32(r)) >= id })
	if r < n && x.at(int32(r)) == id {
		return int32(r)
	}
	return -1
}

// lookup returns a new lookup into x, for one goroutine.
func (x *index) lookup() *lookup { return &lookup{x: x, last: -1} }

// maxSearches is the number of binary searches a lookup makes in a sorted index before it
// asks for the map.
const maxSearches = 256

// lookup finds ids in an index. Extracts are usually sorted or grouped the same way (the
// loans of a customer together, the repayments of a loan together, in the order of the
// parent table), so before anything else it tries the row found last and the row after it;
// in such extracts most ids then cost one or two string comparisons.
type lookup struct {
	x        *index
	last     int32 // row found last, or -1
	lastKey  string
	nextKey  string // id of row last+1, when hasNext
	hasNext  bool
	searches int
}

// find returns the row of id, or -1 when the id is unknown.
func (l *lookup) find(id string) int32 {
	if l.last >= 0 {
		if id == l.lastKey {
			return l.last
		}
		if !l.hasNext && int(l.last)+1 < l.x.len() {
			l.nextKey, l.hasNext = l.x.at(l.last+1), true
		}
		if l.hasNext && id == l.nextKey {
			l.last, l.lastKey, l.hasNext = l.last+1, id, false
			return l.last
		}
	}
	var r int32
	switch x := l.x; {
	case !x.sorted:
		var ok bool
		if r, ok = x.rows[id]; !ok {
			r = -1
		}
	case l.searches < maxSearches:
		l.searches++
		r = x.search(id)
	default:
		x.once.Do(func() { _ = x.buildMap(false) })
		var ok bool
		if r, ok = x.rows[id]; !ok {
			r = -1
		}
	}
	if r >= 0 {
		l.last, l.lastKey, l.hasNext = r, id, false
	}
	return r
}

// groupStarts counts the rows of each group (key: the group of each row, -1 for none) and
// returns where each group starts when the rows are laid out group by group — start[k] for
// group k, start[groups] the total — and the number of rows without group.
func groupStarts(key []int32, groups int) ([]int32, int64) {
	start := make([]int32, groups+1)
	var none int64
	for _, k := range key {
		if k < 0 {
			none++
			continue
		}
		start[k+1]++
	}
	for k := 1; k <= groups; k++ {
		start[k] += start[k-1]
	}
	return start, none
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
