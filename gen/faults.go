package gen

import "math/rand/v2"

// Fault kinds, per table. The reason strings are the cleaning stage's reason codes
// (code:detail) that each fault must be refused with.
const (
	cNullID = iota
	cNullType
	cNullOnboard
	cNegIncome
	cFutureOnboard
	cDuplicate
	cBadIncome
	cBadBirth
	cHugeIncome
	numCustomerFaults
)

var customerReasons = [numCustomerFaults]string{
	cNullID:        "null_required:customer_id",
	cNullType:      "null_required:customer_type",
	cNullOnboard:   "null_required:onboard_date",
	cNegIncome:     "negative_amount:annual_income",
	cFutureOnboard: "date_order:onboard_date>as_of",
	cDuplicate:     "duplicate_key:customer_id",
	cBadIncome:     "unparseable:annual_income",
	cBadBirth:      "unparseable:birth_date",
	cHugeIncome:    "outlier:annual_income",
}

const (
	lNullID = iota
	lNullCustomer
	lNullPrincipal
	lNullOrigination
	lNegPrincipal
	lNegLimit
	lNegBalance
	lMaturityFirst
	lDuplicate
	lOrphan
	lHugeRate
	lHugePrincipal
	numLoanFaults
)

var loanReasons = [numLoanFaults]string{
	lNullID:          "null_required:loan_id",
	lNullCustomer:    "null_required:customer_id",
	lNullPrincipal:   "null_required:principal",
	lNullOrigination: "null_required:origination_date",
	lNegPrincipal:    "negative_amount:principal",
	lNegLimit:        "negative_amount:credit_limit",
	lNegBalance:      "negative_amount:balance",
	lMaturityFirst:   "date_order:maturity_date<origination_date",
	lDuplicate:       "duplicate_key:loan_id",
	lOrphan:          "orphan:customer_id",
	lHugeRate:        "outlier:rate",
	lHugePrincipal:   "outlier:principal",
}

const (
	rNullLoan = iota
	rNullDue
	rNullAmount
	rNegDue
	rNegPaid
	rPaidEarly
	rDuplicate
	rOrphan
	rHugeAmount
	rHugeDPD
	numRepaymentFaults
)

var repaymentReasons = [numRepaymentFaults]string{
	rNullLoan:   "null_required:loan_id",
	rNullDue:    "null_required:due_date",
	rNullAmount: "null_required:amount_due",
	rNegDue:     "negative_amount:amount_due",
	rNegPaid:    "negative_amount:amount_paid",
	rPaidEarly:  "date_order:paid_date<due_date-366d",
	rDuplicate:  "duplicate_key:loan_id+due_date",
	rOrphan:     "orphan:loan_id",
	rHugeAmount: "outlier:amount_due",
	rHugeDPD:    "outlier:days_past_due",
}

const (
	iNullCustomer = iota
	iNullTS
	iFutureTS
	iOrphan
	iBadSatisfaction
	numInteractionFaults
)

var interactionReasons = [numInteractionFaults]string{
	iNullCustomer:    "null_required:customer_id",
	iNullTS:          "null_required:ts",
	iFutureTS:        "date_order:ts>as_of",
	iOrphan:          "orphan:customer_id",
	iBadSatisfaction: "outlier:satisfaction",
}

// Reasons of the rows that lose their parent.
const (
	orphanCustomer = "orphan:customer_id"
	orphanLoan     = "orphan:loan_id"
)

// noFault is the fault kind of a clean row.
const noFault = -1

// fault draws the fault kind of the next row: noFault with probability 1-rate, otherwise
// one of n kinds uniformly. Faults come from their own random stream, so the clean content
// of the extracts is the same at every dirty rate.
func fault(r *rand.Rand, rate float64, n int) int {
	if rate == 0 || r.Float64() >= rate {
		return noFault
	}
	return r.IntN(n)
}

// unparseableIncomes and unparseableDates are what legacy exports put in text columns.
var (
	unparseableIncomes = []string{"n/a", "12,5k", "--", "approx. 40000", "1.2.3"}
	unparseableDates   = []string{"31/02/1980", "1980-02-31", "unknown", "19800231", "00/00/0000"}
)

// faultCounts counts rows by table and reason.
type faultCounts map[string]map[string]int64

func (f faultCounts) add(table, reason string, n int64) {
	m := f[table]
	if m == nil {
		m = map[string]int64{}
		f[table] = m
	}
	m[reason] += n
}

func (f faultCounts) merge(g faultCounts) {
	for t, m := range g {
		for r, n := range m {
			f.add(t, r, n)
		}
	}
}
