package clean

import (
	"math"

	"github.com/apache/arrow/go/v17/arrow"

	"lendscore/schemas"
)

// Reason codes: the part of a quarantine reason before the colon. The detail after it
// names the column (or the rule), e.g. "outlier:annual_income".
const (
	CodeUnparseable    = "unparseable"
	CodeNullRequired   = "null_required"
	CodeNegativeAmount = "negative_amount"
	CodeOutlier        = "outlier"
	CodeInvalidValue   = "invalid_value"
	CodeDateOrder      = "date_order"
	CodeDuplicateKey   = "duplicate_key"
	CodeOrphan         = "orphan"
)

// bounds are the hard limits of a numeric, date or timestamp column, in the column's
// canonical unit (dates and timestamps in days since 1970-01-01). A value outside them is an
// outlier.
type bounds struct{ lo, hi float64 }

// Hard outlier bounds. They are documented constants, not statistics of the batch, so a
// row is refused or not whatever else arrives with it.
const (
	maxAmount = 1e9 // any money amount: income, turnover, principal, limit, balance, instalment
)

var (
	amountBounds = bounds{0, maxAmount}
	// dateBounds hold every date and timestamp: 1900-01-01 to 2099-12-31.
	dateBounds = bounds{-25567, 47481}
	// establishedBounds admit old firms: 1800-01-01 to 2099-12-31.
	establishedBounds = bounds{-62091, 47481}
)

// dateRule refuses a row whose column col is later than the extract date (other == ""),
// or earlier than column other minus slack days.
type dateRule struct {
	reason string
	col    string
	other  string
	slack  int32
}

// tableSpec is what the cleaning stage knows about one extract.
type tableSpec struct {
	name   string
	schema *arrow.Schema // canonical
	// amounts must not be negative.
	amounts []string
	// bounds of numeric, date and timestamp columns.
	bounds map[string]bounds
	// enums are the allowed values of categorical columns (nulls are allowed where the
	// column is nullable).
	enums map[string][]string
	dates []dateRule
	// key columns: a value (combination) appears once; nil for none.
	key []string
	// parent names the table and column a row's parentCol must be found in.
	parent, parentCol string
}

// specs are the extracts' rules, in the order the pipeline processes them.
var specs = []*tableSpec{
	{
		name:    schemas.Customers,
		schema:  schemas.CustomersSchema(),
		amounts: []string{"annual_income"},
		bounds: map[string]bounds{
			"annual_income": amountBounds, "employees": {0, 1e6},
			"birth_date": dateBounds, "established_date": establishedBounds, "onboard_date": dateBounds,
		},
		enums: map[string][]string{"customer_type": {"individual", "corporate"}},
		dates: []dateRule{
			{reason: "date_order:birth_date>as_of", col: "birth_date"},
			{reason: "date_order:established_date>as_of", col: "established_date"},
			{reason: "date_order:onboard_date>as_of", col: "onboard_date"},
		},
		key: []string{"customer_id"},
	},
	{
		name:    schemas.Loans,
		schema:  schemas.LoansSchema(),
		amounts: []string{"principal", "credit_limit", "balance"},
		bounds: map[string]bounds{
			"principal": amountBounds, "rate": {0, 1}, "credit_limit": amountBounds, "balance": amountBounds,
			"origination_date": dateBounds, "maturity_date": dateBounds,
		},
		enums: map[string][]string{
			"collateral": {"credit", "mortgage", "guarantee"},
			"repayment":  {"installment", "bullet"},
		},
		dates: []dateRule{
			{reason: "date_order:origination_date>as_of", col: "origination_date"},
			{reason: "date_order:maturity_date<origination_date", col: "maturity_date", other: "origination_date"},
		},
		key:    []string{"loan_id"},
		parent: schemas.Customers, parentCol: "customer_id",
	},
	{
		name:    schemas.Repayments,
		schema:  schemas.RepaymentsSchema(),
		amounts: []string{"amount_due", "amount_paid"},
		bounds: map[string]bounds{
			"due_date": dateBounds, "amount_due": amountBounds, "paid_date": dateBounds,
			"amount_paid": amountBounds, "days_past_due": {0, 36500},
		},
		dates: []dateRule{
			{reason: "date_order:paid_date>as_of", col: "paid_date"},
			{reason: "date_order:paid_date<due_date-366d", col: "paid_date", other: "due_date", slack: 366},
		},
		key:    []string{"loan_id", "due_date"},
		parent: schemas.Loans, parentCol: "loan_id",
	},
	{
		name:   schemas.Interactions,
		schema: schemas.InteractionsSchema(),
		bounds: map[string]bounds{"ts": dateBounds, "satisfaction": {1, 5}},
		enums:  map[string][]string{"kind": {"inquiry", "complaint", "survey", "visit", "campaign"}},
		dates:  []dateRule{{reason: "date_order:ts>as_of", col: "ts"}},
		parent: schemas.Customers, parentCol: "customer_id",
	},
}

func specFor(table string) *tableSpec {
	for _, s := range specs {
		if s.name == table {
			return s
		}
	}
	return nil
}

// reasonTable interns a table's reason strings; row reasons are small integers into it,
// 0 meaning none.
type reasonTable struct {
	names []string
	index map[string]uint16
}

func newReasonTable() *reasonTable {
	return &reasonTable{names: []string{""}, index: map[string]uint16{}}
}

func (r *reasonTable) id(reason string) uint16 {
	if i, ok := r.index[reason]; ok {
		return i
	}
	i := uint16(len(r.names))
	r.names = append(r.names, reason)
	r.index[reason] = i
	return i
}

// keyReason is the duplicate reason of a table: duplicate_key:a+b.
func (s *tableSpec) keyReason() string {
	r := CodeDuplicateKey + ":"
	for i, k := range s.key {
		if i > 0 {
			r += "+"
		}
		r += k
	}
	return r
}

// isTemporal reports whether a canonical type is a date or timestamp.
func isTemporal(t arrow.DataType) bool {
	return t.ID() == arrow.DATE32 || t.ID() == arrow.TIMESTAMP
}

var inf = math.Inf(1)
