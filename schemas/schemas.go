// Package schemas holds the Arrow schemas of every table lendscore reads or publishes: the
// four relational extracts (customers, loans, repayments, interactions), the customer feature
// table, the scored table that CRM systems load, the changes table and the quarantine table.
//
// The schemas are the contract with the systems on either side of the pipeline, so they are
// declared once here and every stage refers to them instead of building its own. Field order
// is part of the contract: writers emit columns in this order and readers look columns up by
// name.
package schemas

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
)

// Table names of the relational extracts, as used in job specs (inputs.<name>) and in
// manifests.
const (
	Customers    = "customers"
	Loans        = "loans"
	Repayments   = "repayments"
	Interactions = "interactions"
)

// ReasonColumn is the column that a quarantine table adds to the refused input row.
const ReasonColumn = "reason"

func field(name string, t arrow.DataType, nullable bool) arrow.Field {
	return arrow.Field{Name: name, Type: t, Nullable: nullable}
}

var (
	str   = arrow.BinaryTypes.String
	f64   = arrow.PrimitiveTypes.Float64
	i32   = arrow.PrimitiveTypes.Int32
	i8    = arrow.PrimitiveTypes.Int8
	date  = arrow.FixedWidthTypes.Date32
	tsMS  = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
	boolT = arrow.FixedWidthTypes.Boolean
)

// CustomersSchema is the customers extract: one row per customer. Individuals carry
// birth_date, gender, occupation and annual_income; corporates carry industry, employees and
// established_date (annual_income is then turnover). Fields that do not apply to the customer
// type are null.
func CustomersSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		field("customer_id", str, false),
		field("customer_type", str, false), // individual | corporate
		field("birth_date", date, true),
		field("gender", str, true),
		field("occupation", str, true),
		field("annual_income", f64, true),
		field("region", str, true),
		field("industry", str, true),
		field("employees", i32, true),
		field("established_date", date, true),
		field("onboard_date", date, false),
	}, nil)
}

// LoansSchema is the loans extract: one row per loan.
func LoansSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		field("loan_id", str, false),
		field("customer_id", str, false),
		field("product", str, true),
		field("purpose", str, true),
		field("collateral", str, true), // credit | mortgage | guarantee
		field("repayment", str, true),  // installment | bullet
		field("principal", f64, false),
		field("rate", f64, true),
		field("credit_limit", f64, true),
		field("balance", f64, true),
		field("origination_date", date, false),
		field("maturity_date", date, true),
	}, nil)
}

// RepaymentsSchema is the repayments extract: one row per loan instalment. paid_date is null
// while the instalment is unpaid; days_past_due is measured at the extract date.
func RepaymentsSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		field("loan_id", str, false),
		field("due_date", date, false),
		field("amount_due", f64, false),
		field("paid_date", date, true),
		field("amount_paid", f64, true),
		field("days_past_due", i32, true),
	}, nil)
}

// InteractionsSchema is the CRM interactions extract: one row per contact.
func InteractionsSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		field("customer_id", str, false),
		field("ts", tsMS, false),
		field("channel", str, true),
		field("kind", str, true), // inquiry | complaint | survey | visit | campaign
		field("satisfaction", i8, true),
		field("resolved", boolT, true),
	}, nil)
}

// Extract returns the schema of the named relational extract.
func Extract(table string) (*arrow.Schema, error) {
	switch table {
	case Customers:
		return CustomersSchema(), nil
	case Loans:
		return LoansSchema(), nil
	case Repayments:
		return RepaymentsSchema(), nil
	case Interactions:
		return InteractionsSchema(), nil
	}
	return nil, fmt.Errorf("schemas: unknown extract %q (want customers, loans, repayments or interactions)", table)
}

// ExtractTables lists the relational extracts in the order the pipeline reads them.
func ExtractTables() []string {
	return []string{Customers, Loans, Repayments, Interactions}
}

// ScoredSchema is the scored table that CRM systems load (contract section 6): one row per
// customer and as_of_date. Train and backtest runs add `sample` and `bad` (see
// ScoredTrainingSchema).
func ScoredSchema() *arrow.Schema {
	return arrow.NewSchema(scoredFields(), nil)
}

func scoredFields() []arrow.Field {
	return []arrow.Field{
		field("customer_id", str, false),
		field("as_of_date", date, false),
		field("score", i32, false),
		field("pd", f64, false),
		field("grade", str, false),
		field("risk_tier", str, false), // prime | standard | high_risk
		field("segment", i32, true),
		field("segment_name", str, true),
		field("reason_1", str, true),
		field("reason_2", str, true),
		field("reason_3", str, true),
		field("warnings", arrow.ListOf(str), true),
		field("model_name", str, false),
		field("model_version", str, false),
		field("run_id", str, false),
		// Beyond the contract's minimum, filled by nightly runs: the service tier of the
		// customer's segment (VIP, standard, basic) and the customer's lifecycle stage (new,
		// active, mature, declining, dormant).
		field("service_tier", str, true),
		field("lifecycle", str, true),
	}
}

// ScoredTrainingSchema is ScoredSchema plus the sample the row belonged to (train, test, oot)
// and its label bad (1 = bad), as published by train and backtest runs.
func ScoredTrainingSchema() *arrow.Schema {
	fs := scoredFields()
	fs = append(fs, field("sample", str, false), field("bad", i8, false))
	return arrow.NewSchema(fs, nil)
}

// ChangesSchema is the changes table of a nightly run: customers whose grade, tier or segment
// changed, who gained a warning, who are new or who are gone since the previous run.
func ChangesSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		field("customer_id", str, false),
		field("as_of_date", date, false),
		field("change", str, false), // new | gone | grade | tier | segment | warning
		field("previous", str, true),
		field("current", str, true),
		field("run_id", str, false),
	}, nil)
}

// StateSchema is what a nightly run keeps of each customer for the next run to compare with:
// score, grade, tier, segment (null when segmentation is off), days past due at as_of and the
// warnings raised.
func StateSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		field("customer_id", str, false),
		field("score", i32, false),
		field("grade", str, false),
		field("risk_tier", str, false),
		field("segment", i32, true),
		field("current_dpd", f64, false),
		field("warnings", arrow.ListOf(str), true),
	}, nil)
}

// Quarantine returns the schema of a quarantine table for an input with the given schema:
// the input row unchanged, plus the source file, the row number in that file and the reason.
func Quarantine(input *arrow.Schema) *arrow.Schema {
	fs := append([]arrow.Field(nil), input.Fields()...)
	for i := range fs {
		fs[i].Nullable = true
	}
	fs = append(fs,
		field("_source_file", str, false),
		field("_source_row", arrow.PrimitiveTypes.Int64, false),
		field(ReasonColumn, str, false),
	)
	return arrow.NewSchema(fs, nil)
}
