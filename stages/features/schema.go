package features

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
)

// Column names of the feature table that are not features.
const (
	CustomerIDColumn  = "customer_id"
	AsOfDateColumn    = "as_of_date"
	BadColumn         = "bad"
	LabelStatusColumn = "label_status"
)

// Values of label_status.
const (
	// StatusLabelled: the performance window is complete and bad is 0 or 1.
	StatusLabelled = "labelled"
	// StatusWindowIncomplete: as_of + the performance window ends after the data; bad is null.
	StatusWindowIncomplete = "window_incomplete"
	// StatusDefaulted: the customer was already 90+ days past due at as_of; bad is null.
	StatusDefaulted = "defaulted_at_as_of"
)

// Feature groups, in table order.
const (
	GroupDemographics = "demographics"
	GroupRelationship = "relationship"
	GroupRepayment    = "repayment"
	GroupInteractions = "interactions"
	GroupRFM          = "rfm"
)

// Feature describes one column of the feature table.
type Feature struct {
	Name string
	// Group is one of the Group constants.
	Group string
	// Categorical features are strings (null when unknown); the others are float64 with
	// NaN for missing.
	Categorical bool
	// Definition says exactly how the value is derived.
	Definition string
}

// numeric slots: the per-customer float64 columns that compute fills. The max_dpd windows
// follow numFixed, one slot each.
const (
	sAge = iota
	sYearsEstablished
	sAnnualIncome
	sLogAnnualIncome
	sEmployees
	sTenure
	sLoansTotal
	sLoansActive
	sProducts
	sCreditLimit
	sBalance
	sUtilisation
	sHasMortgage
	sHasGuarantee
	sLate
	sLate30
	sMonthsSinceDelinquency
	sPaidDueRatio
	sCurrentDPD
	sCurrentlyPastDue
	sContacts
	sComplaints
	sSatisfaction
	sDigitalShare
	sDaysSinceContact
	sUnresolved
	sRecency
	sFrequency
	sMonetary
	sExposure
	numFixed
)

// column is one feature column: a string copied from the customers extract (src) or a
// numeric slot.
type column struct {
	Feature
	src  string
	slot int
}

// columns lists the feature columns in table order for the (defaulted) options.
func columns(o Options) []column {
	w := fmt.Sprintf("_%dm", o.Window)
	win := fmt.Sprintf("(as_of − %d months, as_of]", o.Window)
	cat := func(name, group, def string) column {
		return column{Feature: Feature{Name: name, Group: group, Categorical: true, Definition: def}, src: name}
	}
	num := func(slot int, name, group, def string) column {
		return column{Feature: Feature{Name: name, Group: group, Definition: def}, slot: slot}
	}
	cs := []column{
		cat("customer_type", GroupDemographics, "individual or corporate, from the customers extract."),
		num(sAge, "age_years", GroupDemographics, "Whole years from birth_date to as_of; NaN without birth_date (corporates)."),
		num(sYearsEstablished, "years_established", GroupDemographics, "Whole years from established_date to as_of; NaN without established_date (individuals)."),
		num(sAnnualIncome, "annual_income", GroupDemographics, "annual_income as extracted (turnover for corporates); NaN when null."),
		num(sLogAnnualIncome, "log_annual_income", GroupDemographics, "ln(1 + annual_income); NaN when annual_income is null or negative."),
		cat("region", GroupDemographics, "From the customers extract; null when unknown."),
		cat("industry", GroupDemographics, "From the customers extract (corporates); null otherwise."),
		num(sEmployees, "employees", GroupDemographics, "Number of employees (corporates); NaN when null."),
		cat("gender", GroupDemographics, "From the customers extract (individuals); null otherwise."),
		cat("occupation", GroupDemographics, "From the customers extract (individuals); null otherwise."),

		num(sTenure, "tenure_months", GroupRelationship, "Whole calendar months from onboard_date to as_of."),
		num(sLoansTotal, "n_loans_total", GroupRelationship, "Loans originated on or before as_of."),
		num(sLoansActive, "n_loans_active", GroupRelationship, "Loans active at as_of: originated on or before as_of, maturity_date after as_of or null."),
		num(sProducts, "n_products", GroupRelationship, "Distinct product values among the active loans (a null product counts as one value)."),
		num(sCreditLimit, "total_credit_limit", GroupRelationship, "Sum over active loans of credit_limit, or principal when credit_limit is null."),
		num(sBalance, "total_balance", GroupRelationship, "Sum over loans originated on or before as_of of the balance at as_of (see the package doc: the extract balance rolled back by the payments made after as_of)."),
		num(sUtilisation, "utilisation", GroupRelationship, "total_balance / total_credit_limit; NaN when total_credit_limit is 0."),
		num(sHasMortgage, "has_mortgage", GroupRelationship, "1 when an active loan has collateral mortgage, else 0."),
		num(sHasGuarantee, "has_guarantee", GroupRelationship, "1 when an active loan has collateral guarantee, else 0."),
	}
	for k, m := range o.DPDWindows {
		cs = append(cs, num(numFixed+k, fmt.Sprintf("max_dpd_%dm", m), GroupRepayment,
			fmt.Sprintf("Largest days past due reached on a date in (as_of − %d months, as_of]; 0 without delinquency.", m)))
	}
	cs = append(cs,
		num(sLate, "n_late"+w, GroupRepayment, "Instalments due in "+win+" that are more than 0 days past due at as_of (paid late, or unpaid after the due date)."),
		num(sLate30, "n_late30"+w, GroupRepayment, "Instalments due in "+win+" that are more than 30 days past due at as_of."),
		num(sMonthsSinceDelinquency, "months_since_delinquency", GroupRepayment, "Whole months from the last date on or before as_of with an instalment more than 30 days past due to as_of (0 when still so at as_of); NaN when never."),
		num(sPaidDueRatio, "paid_due_ratio"+w, GroupRepayment, "Sum of amount_paid (paid on or before as_of) over sum of amount_due, over the instalments due in "+win+"; NaN when nothing was due."),
		num(sCurrentDPD, "current_dpd", GroupRepayment, "Days past due at as_of: as_of − the oldest due_date of an instalment unpaid at the end of as_of; 0 when none."),
		num(sCurrentlyPastDue, "currently_past_due", GroupRepayment, "1 when current_dpd > 0, else 0."),

		num(sContacts, "n_contacts"+w, GroupInteractions, "Interactions (any channel and kind) in "+win+"."),
		num(sComplaints, "n_complaints"+w, GroupInteractions, "Interactions of kind complaint in "+win+"."),
		num(sSatisfaction, "mean_satisfaction"+w, GroupInteractions, "Mean of the non-null satisfaction scores in "+win+"; NaN when none."),
		num(sDigitalShare, "digital_share"+w, GroupInteractions, "Share of the interactions in "+win+" through a digital channel (web, app, email by default); NaN without interactions."),
		num(sDaysSinceContact, "days_since_last_contact", GroupInteractions, "Days from the last interaction on or before as_of to as_of; NaN when never."),
		num(sUnresolved, "n_unresolved_complaints", GroupInteractions, "Complaints on or before as_of whose resolved flag is not true (false or null, as extracted)."),

		num(sRecency, "recency_days", GroupRFM, "Days from the last paid_date on or before as_of to as_of; NaN when nothing was paid."),
		num(sFrequency, "frequency"+w, GroupRFM, "Instalments paid in "+win+"."),
		num(sMonetary, "monetary"+w, GroupRFM, "Sum of amount_paid of the instalments paid in "+win+"."),
		num(sExposure, "total_exposure", GroupRFM, "total_balance plus the undrawn part, max(0, credit_limit − balance at as_of), of the active loans that have a credit_limit."),
	)
	return cs
}

// Features lists the feature columns of the table Build returns for opts, in table order
// (between as_of_date and the label columns), each with its definition.
func Features(opts Options) ([]Feature, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cs := columns(o)
	fs := make([]Feature, len(cs))
	for i, c := range cs {
		fs[i] = c.Feature
	}
	return fs, nil
}

// FeatureSchema is the schema of the table Build returns for opts: customer_id (string),
// as_of_date (date32), the features in the order of Features (categoricals nullable
// strings, the rest float64 with NaN for missing) and, when opts.Label is set, bad (int8,
// 1 = bad, null when not labelled) and label_status (string).
func FeatureSchema(opts Options) (*arrow.Schema, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return schemaFor(o, columns(o)), nil
}

func schemaFor(o Options, cs []column) *arrow.Schema {
	fs := make([]arrow.Field, 0, len(cs)+4)
	fs = append(fs,
		arrow.Field{Name: CustomerIDColumn, Type: arrow.BinaryTypes.String},
		arrow.Field{Name: AsOfDateColumn, Type: arrow.FixedWidthTypes.Date32},
	)
	for _, c := range cs {
		if c.Categorical {
			fs = append(fs, arrow.Field{Name: c.Name, Type: arrow.BinaryTypes.String, Nullable: true})
		} else {
			fs = append(fs, arrow.Field{Name: c.Name, Type: arrow.PrimitiveTypes.Float64})
		}
	}
	if o.Label {
		fs = append(fs,
			arrow.Field{Name: BadColumn, Type: arrow.PrimitiveTypes.Int8, Nullable: true},
			arrow.Field{Name: LabelStatusColumn, Type: arrow.BinaryTypes.String},
		)
	}
	return arrow.NewSchema(fs, nil)
}
