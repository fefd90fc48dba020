package gen

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"

	"lendscore/schemas"
)

var (
	date32 = arrow.FixedWidthTypes.Date32
	tsMS   = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
	f64    = arrow.PrimitiveTypes.Float64
	i32    = arrow.PrimitiveTypes.Int32
	i8     = arrow.PrimitiveTypes.Int8
)

// tableSchema is the schema a table is written with: the canonical one for clean extracts.
// Dirty extracts imitate legacy exports: every column is nullable (a required Parquet
// column cannot hold the nulls of the null_required faults), and customers.annual_income
// and customers.birth_date are strings.
func tableSchema(table string, dirty bool) (*arrow.Schema, error) {
	s, err := schemas.Extract(table)
	if err != nil || !dirty {
		return s, err
	}
	fs := s.Fields()
	for i := range fs {
		fs[i].Nullable = true
		if table == schemas.Customers && (fs[i].Name == "annual_income" || fs[i].Name == "birth_date") {
			fs[i].Type = arrow.BinaryTypes.String
		}
	}
	return arrow.NewSchema(fs, nil), nil
}

type customerCols struct {
	id, typ, gender, occupation, region, industry *strCol
	birth, established, onboard                   *numCol[int32]
	birthText, incomeText                         *strCol // dirty extracts
	income                                        *numCol[float64]
	employees                                     *numCol[int32]
}

func newCustomerCols(n int, dirty bool) customerCols {
	c := customerCols{
		id: newStrCol(n, 9*n), typ: newStrCol(n, 11*n), gender: newStrCol(n, n),
		occupation: newStrCol(n, 10*n), region: newStrCol(n, 6*n), industry: newStrCol(n, 2*n),
		established: newNumCol[int32](date32, n), onboard: newNumCol[int32](date32, n),
		employees: newNumCol[int32](i32, n),
	}
	if dirty {
		c.birthText, c.incomeText = newStrCol(n, 10*n), newStrCol(n, 10*n)
	} else {
		c.birth, c.income = newNumCol[int32](date32, n), newNumCol[float64](f64, n)
	}
	return c
}

func (c *customerCols) columns() []column {
	var birth, income column = c.birth, c.income
	if c.birthText != nil {
		birth, income = c.birthText, c.incomeText
	}
	return []column{c.id, c.typ, birth, c.gender, c.occupation, income, c.region, c.industry, c.employees, c.established, c.onboard}
}

type loanCols struct {
	id, customer, product, purpose, collateral, repayment *strCol
	principal, rate, limit, balance                       *numCol[float64]
	origination, maturity                                 *numCol[int32]
}

func newLoanCols(n int) loanCols {
	return loanCols{
		id: newStrCol(n, 11*n), customer: newStrCol(n, 9*n), product: newStrCol(n, 12*n),
		purpose: newStrCol(n, 12*n), collateral: newStrCol(n, 8*n), repayment: newStrCol(n, 11*n),
		principal: newNumCol[float64](f64, n), rate: newNumCol[float64](f64, n),
		limit: newNumCol[float64](f64, n), balance: newNumCol[float64](f64, n),
		origination: newNumCol[int32](date32, n), maturity: newNumCol[int32](date32, n),
	}
}

func (c *loanCols) columns() []column {
	return []column{c.id, c.customer, c.product, c.purpose, c.collateral, c.repayment, c.principal, c.rate, c.limit, c.balance, c.origination, c.maturity}
}

type repaymentCols struct {
	loan           *strCol
	due, paid, dpd *numCol[int32]
	amount, paidAm *numCol[float64]
}

func newRepaymentCols(n int) repaymentCols {
	return repaymentCols{
		loan: newStrCol(n, 11*n), due: newNumCol[int32](date32, n), amount: newNumCol[float64](f64, n),
		paid: newNumCol[int32](date32, n), paidAm: newNumCol[float64](f64, n), dpd: newNumCol[int32](i32, n),
	}
}

func (c *repaymentCols) columns() []column {
	return []column{c.loan, c.due, c.amount, c.paid, c.paidAm, c.dpd}
}

type interactionCols struct {
	customer, channel, kind *strCol
	ts                      *numCol[int64]
	satisfaction            *numCol[int8]
	resolved                *boolCol
}

func newInteractionCols(n int) interactionCols {
	return interactionCols{
		customer: newStrCol(n, 9*n), channel: newStrCol(n, 5*n), kind: newStrCol(n, 8*n),
		ts: newNumCol[int64](tsMS, n), satisfaction: newNumCol[int8](i8, n), resolved: &boolCol{},
	}
}

func (c *interactionCols) columns() []column {
	return []column{c.customer, c.ts, c.channel, c.kind, c.satisfaction, c.resolved}
}

// chunk is the four tables' rows of a contiguous range of customers, with the faults
// injected into them.
type chunk struct {
	cust     customerCols
	loans    loanCols
	reps     repaymentCols
	inter    interactionCols
	rows     map[string]int64
	injected faultCounts
	expected faultCounts
	signal   Signal
	shocked  []int64 // indices of the shocked customers, ascending
}

// sim generates customers one at a time. It holds the random streams and scratch space of
// one worker; each customer reseeds the streams from (seed, customer index), so customers
// can be generated in any order, on any number of workers, with the same result.
//
// A customer's randomness comes from several streams, each consumed in date order by one
// process: the traits of the customer and its loans (a fixed number of draws), the arrears
// episodes (month after month), each loan's payments (instalment after instalment), the
// CRM contacts (one after another in time), the shock, and the faults of the customer row,
// of each loan row, of each loan's repayments and of the interactions. A later extract
// date only makes the processes run longer, so every row dated up to an earlier extract
// date comes out the same (see "Extracts over time" in the package documentation).
type sim struct {
	w                                  *world
	key                                uint64 // the current customer's seed
	pcg, apcg, lpcg, ipcg, spcg, fpcg  rand.PCG
	r, arrears, pay, contact, shock, f *rand.Rand
	cure                               []int32
	episodes                           []episode
	contacts                           []contact
	loans                              []loan
	ch                                 *chunk
	idBuf                              []byte
	// signal flags of the current customer
	active, bad, lateAtObs bool
	// the current customer as the extract sees it
	stressed bool    // in arrears at the extract date, unpaid: revolving lines maxed out
	shocked  bool    // hit by a visible shock
	shockUse float64 // share of each revolving limit drawn after the shock
}

func newSim(w *world) *sim {
	s := &sim{w: w, cure: make([]int32, w.months)}
	s.r, s.arrears, s.pay = rand.New(&s.pcg), rand.New(&s.apcg), rand.New(&s.lpcg)
	s.contact, s.shock, s.f = rand.New(&s.ipcg), rand.New(&s.spcg), rand.New(&s.fpcg)
	return s
}

// Stream tags: each seeds one stream of a customer (see sim). Loan streams add the loan's
// sequence number (1–4) to their tag.
const (
	tagArrears = 1 + iota
	tagContacts
	tagShock
	tagCustomerFault
	tagContactFaults
	tagPayments        = 16
	tagLoanFault       = 32
	tagRepaymentFaults = 48
)

// splitmix64 is a bijective 64-bit mixer, used to derive well-separated stream seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// reseed starts customer idx: its key and its traits stream.
func (s *sim) reseed(idx int64) {
	a := splitmix64(s.w.cfg.Seed ^ splitmix64(uint64(idx)))
	s.key = a
	s.pcg.Seed(a, splitmix64(a))
}

// seed starts the current customer's stream with the given tag in p.
func (s *sim) seed(p *rand.PCG, tag uint64) {
	k := splitmix64(s.key + tag*0xd1b54a32d192ed03)
	p.Seed(k, splitmix64(k^0xa0761d6478bd642f))
}

// seedFaults starts the fault stream with the given tag; clean extracts draw no faults.
func (s *sim) seedFaults(tag uint64) {
	if s.w.dirty {
		s.seed(&s.fpcg, tag)
	}
}

// generate returns the chunk of customers [first, end).
func (s *sim) generate(first, end int64) *chunk {
	n := int(end - first)
	ch := &chunk{
		cust: newCustomerCols(n+n/8, s.w.dirty), loans: newLoanCols(2 * n),
		reps: newRepaymentCols(20 * n), inter: newInteractionCols(4 * n),
		injected: faultCounts{}, expected: faultCounts{},
	}
	ch.signal.Observation = s.w.cfg.AsOf.AddDate(-1, 0, 0)
	s.ch = ch
	for idx := first; idx < end; idx++ {
		s.customer(idx)
	}
	ch.rows = map[string]int64{
		schemas.Customers:    int64(ch.cust.onboard.valid.n),
		schemas.Loans:        int64(ch.loans.origination.valid.n),
		schemas.Repayments:   int64(ch.reps.dpd.valid.n),
		schemas.Interactions: int64(ch.inter.resolved.valid.n),
	}
	s.ch = nil
	return ch
}

// quarantined records the reason a correct cleaner must give the row; injected faults
// are counted as such too.
func (s *sim) quarantined(table, reason string, injected bool) {
	s.ch.expected.add(table, reason, 1)
	if injected {
		s.ch.injected.add(table, reason, 1)
	}
}

func (s *sim) customer(idx int64) {
	s.reseed(idx)
	w := s.w
	c := w.newCustomer(s.r, idx)
	nLoans := 1 + weighted{nil, loanCounts}.pick(s.r)
	s.loans = s.loans[:0]
	for seq := 1; seq <= nLoans; seq++ {
		s.loans = append(s.loans, s.newLoan(&c, seq))
	}
	if c.onboard > w.asOf {
		return // not a customer yet
	}
	s.seed(&s.apcg, tagArrears)
	s.episodes = w.arrears(s.arrears, &c, s.cure, s.episodes)
	s.stressed = s.cure[w.months-1] > w.asOf
	s.shocked = w.shock && c.onboard < w.shockDay && w.shocked(idx)
	if s.shocked {
		s.ch.shocked = append(s.ch.shocked, idx)
		s.seed(&s.spcg, tagShock)
		s.shockUse = 0.95 + 0.05*s.shock.Float64()
	}

	s.seedFaults(tagCustomerFault)
	kind := fault(s.f, w.cfg.DirtyRate, numCustomerFaults)
	s.customerRow(&c, kind)
	if kind == cDuplicate {
		s.customerRow(&c, noFault)
		s.quarantined(schemas.Customers, customerReasons[cDuplicate], true)
	} else if kind != noFault {
		s.quarantined(schemas.Customers, customerReasons[kind], true)
	}
	refused := kind != noFault && kind != cDuplicate

	s.active, s.bad, s.lateAtObs = false, false, false
	for i := range s.loans {
		if l := &s.loans[i]; l.orig <= w.asOf {
			s.loan(&c, l, refused)
		}
	}
	s.interactions(&c, refused)
	if s.active && !s.lateAtObs {
		s.ch.signal.Customers++
		if s.bad {
			s.ch.signal.Bads++
		}
	}
}

func (s *sim) customerRow(c *customer, kind int) {
	w, cc, f := s.w, &s.ch.cust, s.f
	if kind == cNullID {
		cc.id.addNull()
	} else {
		cc.id.addID('C', c.idx+1, 8)
	}
	switch {
	case kind == cNullType:
		cc.typ.addNull()
	case c.corporate:
		cc.typ.add("corporate")
	default:
		cc.typ.add("individual")
	}
	// birth_date
	switch {
	case w.dirty && kind == cBadBirth:
		cc.birthText.add(unparseableDates[f.IntN(len(unparseableDates))])
	case c.corporate && w.dirty:
		cc.birthText.addNull()
	case c.corporate:
		cc.birth.addNull()
	case w.dirty:
		s.idBuf = appendDate(s.idBuf[:0], c.birth)
		cc.birthText.add(string(s.idBuf))
	default:
		cc.birth.add(c.birth)
	}
	if c.corporate {
		cc.gender.addNull()
		cc.occupation.addNull()
	} else {
		cc.gender.add(c.gender)
		cc.occupation.add(occupations.names[c.occupation])
	}
	// annual_income
	income := c.income
	switch kind {
	case cNegIncome:
		income = -(income + 1)
	case cHugeIncome:
		income = 1e12
	}
	switch {
	case w.dirty && kind == cBadIncome:
		cc.incomeText.add(unparseableIncomes[f.IntN(len(unparseableIncomes))])
	case w.dirty:
		s.idBuf = strconv.AppendFloat(s.idBuf[:0], income, 'f', 2, 64)
		cc.incomeText.add(string(s.idBuf))
	default:
		cc.income.add(income)
	}
	cc.region.add(regions.names[c.region])
	if c.corporate {
		cc.industry.add(industries.names[c.industry])
		cc.employees.add(c.employees)
		cc.established.add(c.established)
	} else {
		cc.industry.addNull()
		cc.employees.addNull()
		cc.established.addNull()
	}
	switch kind {
	case cNullOnboard:
		cc.onboard.addNull()
	case cFutureOnboard:
		cc.onboard.add(w.asOf + 1 + int32(f.IntN(3650)))
	default:
		cc.onboard.add(c.onboard)
	}
}

// loan is one simulated loan.
type loan struct {
	custIdx                             int64
	seq                                 int
	product, purpose, collateral, repay string
	principal, rate, limit, drawn       float64
	orig, maturity                      int32
	origMonth, term, dom                int // term 0: revolving without maturity
	payment                             float64
	// balance at the extract date
	balance float64
	// values of the loan row's fault, drawn with its kind
	negBalance   float64 // added to the balance of a negative_amount:balance fault
	maturityBack int32   // days the maturity of a date_order fault lies before origination
}

// revolving reports whether the loan is a line the customer draws on.
func (l *loan) revolving() bool { return l.product == "credit_card" || l.repay == "bullet" }

// Products by customer type, with purposes, collateral weights (credit, mortgage,
// guarantee), term range in months and base rate.
type product struct {
	name       string
	purposes   []string
	collateral []float64
	termMin    int
	termMax    int
	termStep   int
	rate       float64
	bullet     bool
}

var (
	collaterals        = []string{"credit", "mortgage", "guarantee"}
	individualProducts = weighted{[]string{"consumer", "credit_card", "mortgage"}, []float64{0.5, 0.3, 0.2}}
	corporateProducts  = weighted{[]string{"working_capital", "project", "fixed_asset"}, []float64{0.5, 0.2, 0.3}}
	products           = map[string]product{
		"consumer":        {"consumer", []string{"car", "education", "home_improvement", "personal", "medical"}, []float64{0.8, 0, 0.2}, 12, 72, 6, 0.09, false},
		"credit_card":     {"credit_card", []string{"revolving"}, []float64{1, 0, 0}, 0, 0, 1, 0.18, false},
		"mortgage":        {"mortgage", []string{"home_purchase", "refinance"}, []float64{0, 1, 0}, 120, 360, 60, 0.04, false},
		"working_capital": {"working_capital", []string{"inventory", "receivables", "payroll"}, []float64{0.5, 0, 0.5}, 6, 24, 6, 0.06, true},
		"project":         {"project", []string{"expansion", "construction", "equipment"}, []float64{0, 0.4, 0.6}, 36, 84, 12, 0.065, false},
		"fixed_asset":     {"fixed_asset", []string{"machinery", "real_estate", "vehicles"}, []float64{0, 0.7, 0.3}, 36, 120, 12, 0.055, false},
	}
)

func (s *sim) newLoan(c *customer, seq int) loan {
	w, r := s.w, s.r
	var p product
	if c.corporate {
		p = products[corporateProducts.names[corporateProducts.pick(r)]]
	} else {
		p = products[individualProducts.names[individualProducts.pick(r)]]
		if p.name == "mortgage" && (c.age > 64 || c.income < 20000) {
			p = products["consumer"]
		}
	}
	l := loan{custIdx: c.idx, seq: seq, product: p.name}
	l.purpose = p.purposes[r.IntN(len(p.purposes))]
	l.collateral = collaterals[weighted{collaterals, p.collateral}.pick(r)]
	l.repay = "installment"
	if p.bullet {
		l.repay = "bullet"
	}
	if p.termMax > 0 {
		l.term = p.termMin + p.termStep*r.IntN((p.termMax-p.termMin)/p.termStep+1)
	}
	// Origination: after onboarding, within the eight years before the history or the
	// period itself, at least three weeks before its end. Loans originated after the
	// extract date are not in the extract yet.
	lo := max(c.onboard, dayIn(w.histFirst-96, 1))
	hi := w.ref - 20
	if lo < hi {
		l.orig = lo + int32(r.IntN(int(hi-lo)))
	} else {
		l.orig = c.onboard
	}
	l.origMonth = monthOf(l.orig)
	_, _, d := civil(l.orig)
	l.dom = min(d, 28)
	if l.term > 0 {
		l.maturity = dayIn(l.origMonth+l.term, l.dom)
	}
	u := r.Float64()
	switch p.name {
	case "consumer":
		l.principal = clamp(roundTo(c.income*(0.1+0.4*u), 100), 1000, 80000)
	case "credit_card":
		l.principal = clamp(roundTo(c.income*(0.05+0.25*u), 100), 500, 50000)
	case "mortgage":
		l.principal = clamp(roundTo(c.income*(2.5+2.5*u), 1000), 30000, 2e6)
	case "working_capital":
		l.principal = clamp(roundTo(c.income*(0.03+0.12*u), 100), 5000, 5e7)
	case "project":
		l.principal = clamp(roundTo(c.income*(0.1+0.4*u), 1000), 10000, 1e8)
	default:
		l.principal = clamp(roundTo(c.income*(0.05+0.25*u), 1000), 10000, 1e8)
	}
	// Risk-based pricing: riskier customers pay more.
	l.rate = math.Round(clamp(p.rate+0.012*c.risk+0.008*r.NormFloat64(), 0.01, 0.36)*1e4) / 1e4
	l.limit = l.principal
	util := sigmoid(0.2 + 1.3*c.stress + 0.6*r.NormFloat64())
	l.drawn = round2(l.limit * util)
	i := l.rate / 12
	switch {
	case p.name == "credit_card":
		l.payment = math.Max(25, round2(0.05*l.drawn))
	case p.bullet:
		l.payment = math.Max(1, round2(l.drawn*i))
	default:
		l.payment = round2(l.principal * i / (1 - math.Pow(1+i, -float64(l.term))))
	}
	return l
}

// outstanding is the principal left on an amortising loan after paid instalments.
func (l *loan) outstanding(paid int) float64 {
	if paid >= l.term {
		return 0
	}
	i := l.rate / 12
	g := math.Pow(1+i, float64(l.term))
	return round2(l.principal * (g - math.Pow(1+i, float64(paid))) / (g - 1))
}

// loan writes a loan originated by the extract date, its repayments and its balance then.
func (s *sim) loan(c *customer, l *loan, customerRefused bool) {
	w := s.w
	s.seedFaults(tagLoanFault + uint64(l.seq))
	kind := fault(s.f, w.cfg.DirtyRate, numLoanFaults)
	switch kind {
	case lNegBalance:
		l.negBalance = 1 + 1000*s.f.Float64()
	case lMaturityFirst:
		l.maturityBack = 1 + int32(s.f.IntN(3650))
	}
	refused := customerRefused || (kind != noFault && kind != lDuplicate)
	s.seedFaults(tagRepaymentFaults + uint64(l.seq))
	s.seed(&s.lpcg, tagPayments+uint64(l.seq))
	shockFrom := w.shockDay - ShockLookbackDays

	// Instalments: month j = 1.. after origination, those due within the history.
	last := w.asOfMonth - l.origMonth
	if l.term > 0 {
		last = min(last, l.term)
	}
	first := max(1, w.histFirst-l.origMonth)
	paidCount := first - 1 // instalments before the history were paid
	repaid := false        // the final instalment of a bullet loan is paid
	lateP := sigmoid(lateIntercept + 0.8*c.risk)
	for j := first; j <= last; j++ {
		mon := l.origMonth + j
		due := dayIn(mon, l.dom)
		if due > w.asOf {
			break
		}
		var paid int32
		if cd := s.cure[mon-w.histFirst]; cd != 0 {
			paid = cd
		} else if s.pay.Float64() < lateP {
			paid = due + 1 + int32(s.pay.IntN(25))
		} else {
			paid = due - int32(s.pay.IntN(6))
		}
		if s.shocked && (due >= shockFrom || paid >= w.shockDay) {
			paid = unpaid
		}
		if paid > w.asOf {
			paid = unpaid
		}
		if paid != unpaid {
			paidCount++
		}
		amount := l.payment
		if l.repay == "bullet" && j == l.term {
			amount = round2(amount + l.drawn)
			repaid = paid != unpaid
		}
		s.track(due, paid)
		s.repayment(l, due, amount, paid, refused)
	}
	switch {
	case l.product == "credit_card":
		l.balance = l.drawn
	case l.repay == "bullet":
		if !repaid {
			l.balance = l.drawn
		}
	default:
		l.balance = l.outstanding(paidCount)
	}
	if l.revolving() && l.balance > 0 {
		if s.stressed {
			l.balance = math.Max(l.balance, round2(0.95*l.limit))
		}
		if s.shocked {
			l.balance = math.Max(l.balance, round2(s.shockUse*l.limit))
		}
	}
	s.loanRow(l, kind)
	if kind == lDuplicate {
		s.loanRow(l, noFault)
		s.quarantined(schemas.Loans, loanReasons[kind], true)
	} else if kind != noFault {
		s.quarantined(schemas.Loans, loanReasons[kind], true)
	}
	if customerRefused && (kind == noFault || kind == lDuplicate) {
		s.quarantined(schemas.Loans, orphanCustomer, false)
	}
}

// track updates the planted-signal flags with one instalment.
func (s *sim) track(due, paid int32) {
	w := s.w
	reached := paid == unpaid || paid-due >= 90 // the instalment reached 90 days past due
	if due > w.obs {
		s.active = true
	}
	if reached && due+90 > w.obs && due+90 <= w.asOf {
		s.bad = true
	}
	if reached && due+90 <= w.obs && (paid == unpaid || paid > w.obs) {
		s.lateAtObs = true
	}
}

func (s *sim) loanRow(l *loan, kind int) {
	lc := &s.ch.loans
	if kind == lNullID {
		lc.id.addNull()
	} else {
		s.idBuf = appendLoanID(s.idBuf[:0], l.custIdx, l.seq)
		lc.id.add(string(s.idBuf))
	}
	switch kind {
	case lNullCustomer:
		lc.customer.addNull()
	case lOrphan:
		lc.customer.addID('C', l.custIdx+1, 9) // nine digits: never a real customer id
	default:
		lc.customer.addID('C', l.custIdx+1, 8)
	}
	lc.product.add(l.product)
	lc.purpose.add(l.purpose)
	lc.collateral.add(l.collateral)
	lc.repayment.add(l.repay)
	switch kind {
	case lNullPrincipal:
		lc.principal.addNull()
	case lNegPrincipal:
		lc.principal.add(-l.principal)
	case lHugePrincipal:
		lc.principal.add(1e12)
	default:
		lc.principal.add(l.principal)
	}
	if kind == lHugeRate {
		lc.rate.add(5)
	} else {
		lc.rate.add(l.rate)
	}
	if kind == lNegLimit {
		lc.limit.add(-l.limit)
	} else {
		lc.limit.add(l.limit)
	}
	if kind == lNegBalance {
		lc.balance.add(-round2(l.balance + l.negBalance))
	} else {
		lc.balance.add(l.balance)
	}
	if kind == lNullOrigination {
		lc.origination.addNull()
	} else {
		lc.origination.add(l.orig)
	}
	switch {
	case kind == lMaturityFirst:
		lc.maturity.add(l.orig - l.maturityBack)
	case l.term == 0:
		lc.maturity.addNull()
	default:
		lc.maturity.add(l.maturity)
	}
}

// appendLoanID appends the id of a customer's seq-th loan: L, the customer number in
// eight digits, the sequence in two.
func appendLoanID(b []byte, custIdx int64, seq int) []byte {
	b = appendID(b, 'L', custIdx+1, 8)
	return appendPadded(b, int64(seq), 2)
}

func (s *sim) repayment(l *loan, due int32, amount float64, paid int32, loanRefused bool) {
	kind := fault(s.f, s.w.cfg.DirtyRate, numRepaymentFaults)
	s.repaymentRow(l, due, amount, paid, kind)
	switch {
	case kind == rDuplicate:
		s.repaymentRow(l, due, amount, paid, noFault)
		s.quarantined(schemas.Repayments, repaymentReasons[kind], true)
		if loanRefused {
			s.quarantined(schemas.Repayments, orphanLoan, false)
		}
	case kind != noFault:
		s.quarantined(schemas.Repayments, repaymentReasons[kind], true)
	case loanRefused:
		s.quarantined(schemas.Repayments, orphanLoan, false)
	}
}

func (s *sim) repaymentRow(l *loan, due int32, amount float64, paid int32, kind int) {
	rc, f, w := &s.ch.reps, s.f, s.w
	switch kind {
	case rNullLoan:
		rc.loan.addNull()
	case rOrphan:
		s.idBuf = appendLoanID(s.idBuf[:0], l.custIdx, 50+l.seq) // never a real loan id
		rc.loan.add(string(s.idBuf))
	default:
		s.idBuf = appendLoanID(s.idBuf[:0], l.custIdx, l.seq)
		rc.loan.add(string(s.idBuf))
	}
	if kind == rNullDue {
		rc.due.addNull()
	} else {
		rc.due.add(due)
	}
	switch kind {
	case rNullAmount:
		rc.amount.addNull()
	case rNegDue:
		rc.amount.add(-amount)
	case rHugeAmount:
		rc.amount.add(1e12)
	default:
		rc.amount.add(amount)
	}
	dpd := w.asOf - due
	if kind == rPaidEarly {
		paid = due - 400 - int32(f.IntN(2000))
	}
	if paid == unpaid {
		rc.paid.addNull()
	} else {
		rc.paid.add(paid)
		dpd = max(0, paid-due)
	}
	switch {
	case kind == rNegPaid:
		rc.paidAm.add(-amount)
	case paid == unpaid:
		rc.paidAm.addNull()
	default:
		rc.paidAm.add(amount)
	}
	if kind == rHugeDPD {
		dpd = 99999
	}
	rc.dpd.add(dpd)
}

// contact is one CRM interaction before it is written.
type contact struct {
	ts           int64
	channel      string
	kind         string
	satisfaction int8 // 0: none
	resolved     int8 // -1 none, 0 false, 1 true
}

var (
	contactKinds  = []string{"inquiry", "complaint", "survey", "visit", "campaign"}
	contactWeight = []float64{0.35, 0.07, 0.20, 0.18, 0.20}
)

// contactsPerDay is the rate of a customer's ordinary CRM contacts (2.2 over three years),
// raised for riskier customers.
const contactsPerDay = 2.2 / (3 * 365.25)

// interactions writes the customer's CRM contacts from the start of the history (or
// onboarding) to the extract date: ordinary contacts, a Poisson process drawn one contact
// after another; collection calls of arrears episodes; the complaint of a shock.
func (s *sim) interactions(c *customer, customerRefused bool) {
	w := s.w
	s.seed(&s.ipcg, tagContacts)
	r := s.contact
	start := max(c.onboard, w.histStart)
	rate := contactsPerDay * (1 + 0.15*math.Max(0, c.risk))
	// Riskier customers complain more; the complaint share rises with the latent risk.
	var weights [5]float64
	copy(weights[:], contactWeight)
	weights[1] *= math.Exp(0.6 * c.risk)
	kinds := weighted{contactKinds, weights[:]}
	chans := channelsMid
	switch {
	case c.corporate:
		chans = channelsCorp
	case c.age < 35:
		chans = channelsYoung
	case c.age >= 60:
		chans = channelsOld
	}
	s.contacts = s.contacts[:0]
	first, end := int64(start)*msPerDay, int64(w.asOf+1)*msPerDay
	for x := r.ExpFloat64() / rate; ; x += r.ExpFloat64() / rate {
		ts := first + int64(x*msPerDay)
		if ts >= end {
			break
		}
		ct := contact{ts: ts, resolved: -1}
		k := kinds.pick(r)
		ct.kind = contactKinds[k]
		ct.channel = channels[chans.pick(r)]
		switch ct.kind {
		case "visit":
			ct.channel = "branch"
		case "survey":
			ct.satisfaction = int8(clamp(math.Round(3.6-0.45*c.risk+0.9*r.NormFloat64()), 1, 5))
		case "complaint":
			ct.resolved = b2i(r.Float64() < clamp(0.65-0.1*c.risk, 0.1, 0.95))
		case "inquiry":
			ct.resolved = b2i(r.Float64() < 0.92)
		}
		s.contacts = append(s.contacts, ct)
	}
	// Arrears bring collection calls and complaints.
	for _, e := range s.episodes {
		if !e.call || e.callDay < start || e.callDay > w.asOf {
			continue
		}
		ct := contact{ts: int64(e.callDay)*msPerDay + e.callMS, channel: "phone", kind: "inquiry", resolved: b2i(e.resolved)}
		if e.complaint {
			ct.kind = "complaint"
		}
		s.contacts = append(s.contacts, ct)
	}
	// The shock's complaint, in office hours on its day.
	if s.shocked && w.shockDay >= start {
		ct := contact{ts: int64(w.shockDay)*msPerDay + 8*3_600_000 + s.shock.Int64N(10*3_600_000),
			kind: "complaint", channel: channels[chans.pick(s.shock)], satisfaction: 1, resolved: 0}
		s.contacts = append(s.contacts, ct)
	}
	// Insertion sort by time: a handful of contacts per customer.
	cs := s.contacts
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].ts < cs[j-1].ts; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
	s.seedFaults(tagContactFaults)
	for i := range cs {
		kind := fault(s.f, w.cfg.DirtyRate, numInteractionFaults)
		s.interactionRow(c, &cs[i], kind)
		switch {
		case kind != noFault:
			s.quarantined(schemas.Interactions, interactionReasons[kind], true)
		case customerRefused:
			s.quarantined(schemas.Interactions, orphanCustomer, false)
		}
	}
}

func b2i(b bool) int8 {
	if b {
		return 1
	}
	return 0
}

func (s *sim) interactionRow(c *customer, ct *contact, kind int) {
	ic, w := &s.ch.inter, s.w
	switch kind {
	case iNullCustomer:
		ic.customer.addNull()
	case iOrphan:
		ic.customer.addID('C', c.idx+1, 9)
	default:
		ic.customer.addID('C', c.idx+1, 8)
	}
	switch kind {
	case iNullTS:
		ic.ts.addNull()
	case iFutureTS:
		ic.ts.add(int64(w.asOf+1)*msPerDay + s.f.Int64N(365*msPerDay))
	default:
		ic.ts.add(ct.ts)
	}
	ic.channel.add(ct.channel)
	ic.kind.add(ct.kind)
	switch {
	case kind == iBadSatisfaction:
		ic.satisfaction.add(9)
	case ct.satisfaction == 0:
		ic.satisfaction.addNull()
	default:
		ic.satisfaction.add(ct.satisfaction)
	}
	if ct.resolved < 0 {
		ic.resolved.addNull()
	} else {
		ic.resolved.add(ct.resolved == 1)
	}
}
