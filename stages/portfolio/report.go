package portfolio

import "lendscore/stages/report"

// Report is the portfolio report of one nightly run: aggregates only. Its json tags give
// the published JSON; shares are fractions in [0, 1] and are 0 when there is nothing to
// divide.
type Report struct {
	// AsOf is the observation date, YYYY-MM-DD.
	AsOf         string `json:"as_of"`
	Model        string `json:"model,omitempty"`
	ModelVersion string `json:"model_version,omitempty"`
	RunID        string `json:"run_id,omitempty"`

	Loans Classification `json:"loan_classification"`

	// Customers is the number of scored customers.
	Customers int64 `json:"customers"`
	// HighRisk compares the share of customers in tier high_risk with its target.
	HighRisk HighRisk `json:"high_risk"`
	// Tiers counts the customers per risk tier: prime, standard, high_risk, then any
	// other tier in name order.
	Tiers []Count `json:"tiers"`
	// Grades is the grade mix, in master-scale order.
	Grades GradeMix `json:"grades"`
	// Segments counts the customers per segment and grade; nil when segmentation was off.
	Segments *SegmentGrade `json:"segment_grade,omitempty"`
	// Warnings counts the customers per early-warning code.
	Warnings Warnings `json:"warnings"`
	// Score is tonight's score distribution against the development sample.
	Score ScoreDistribution `json:"score"`
}

// Classification is the five-category loan classification of the book at as_of.
type Classification struct {
	// Bands are the days-past-due bands applied.
	Bands Bands `json:"bands"`
	// Classes are normal, special mention, substandard, doubtful and loss, in that order.
	Classes []Class `json:"classes"`
	// Loans and Balance are the totals of the book.
	Loans   int64   `json:"loans"`
	Balance float64 `json:"balance"`
	// NPLLoans and NPLBalance add up substandard, doubtful and loss.
	NPLLoans   int64   `json:"npl_loans"`
	NPLBalance float64 `json:"npl_balance"`
	// NPLRatio is NPLBalance / Balance; NPLLoanRatio is NPLLoans / Loans.
	NPLRatio     float64 `json:"npl_ratio"`
	NPLLoanRatio float64 `json:"npl_loan_ratio"`
	// NotOriginated counts the loans of the extract originated after as_of, Closed the
	// loans matured by as_of that owe nothing and are not past due: neither is in the book.
	NotOriginated int64 `json:"not_originated"`
	Closed        int64 `json:"closed"`
	// OrphanRepayments counts the repayment rows whose loan_id is not in the loans
	// extract; they are ignored.
	OrphanRepayments int64 `json:"orphan_repayments"`
}

// Class is one loan class: the loans whose days past due at as_of lie in [MinDPD, MaxDPD]
// (MaxDPD null: no upper bound).
type Class struct {
	Name         string  `json:"name"`
	MinDPD       int32   `json:"min_dpd"`
	MaxDPD       *int32  `json:"max_dpd"`
	Loans        int64   `json:"loans"`
	Balance      float64 `json:"balance"`
	LoanShare    float64 `json:"loan_share"`
	BalanceShare float64 `json:"balance_share"`
}

// Status values of HighRisk.
const (
	WithinTarget = "within_target"
	AboveTarget  = "above_target"
)

// HighRisk is the share of customers in tier high_risk against its target.
type HighRisk struct {
	Customers int64   `json:"customers"`
	Share     float64 `json:"share"`
	Target    float64 `json:"target"`
	// Status is within_target when Share ≤ Target, else above_target.
	Status string `json:"status"`
}

// Count is the number of customers in one category and their share of all customers.
type Count struct {
	Name      string  `json:"name"`
	Customers int64   `json:"customers"`
	Share     float64 `json:"share"`
}

// GradeMix is the distribution of customers over the grades.
type GradeMix struct {
	Grades []GradeCount `json:"grades"`
	// HHI is the Herfindahl-Hirschman index of the customer counts per grade and
	// HHINormalized its normalised form (0 even spread, 1 all in one grade), rated by
	// HHIStatus; all zero without customers.
	HHI           float64       `json:"hhi"`
	HHINormalized float64       `json:"hhi_normalized"`
	HHIStatus     report.Status `json:"hhi_status,omitempty"`
	HHIRule       string        `json:"hhi_rule"`
}

// GradeCount is one grade: its customers, their share, mean PD and mean score (null when
// the grade is empty).
type GradeCount struct {
	Name      string   `json:"name"`
	Customers int64    `json:"customers"`
	Share     float64  `json:"share"`
	MeanPD    *float64 `json:"mean_pd"`
	MeanScore *float64 `json:"mean_score"`
}

// SegmentGrade counts the customers per segment (rows) and grade (columns).
type SegmentGrade struct {
	// Grades name the columns, in master-scale order.
	Grades   []string     `json:"grades"`
	Segments []SegmentRow `json:"segments"`
	// Totals are the column sums: the customers per grade.
	Totals []int64 `json:"totals"`
}

// SegmentRow is one segment of the segment × grade matrix. Customers without a segment
// (a negative segment id) form a row with ID -1 named "unassigned".
type SegmentRow struct {
	ID        int32   `json:"id"`
	Name      string  `json:"name"`
	Customers int64   `json:"customers"`
	Share     float64 `json:"share"`
	// Counts has one entry per grade of SegmentGrade.Grades.
	Counts []int64 `json:"counts"`
}

// Warnings counts the customers with early warnings.
type Warnings struct {
	// Customers have at least one warning; Share is their share of all customers.
	Customers int64   `json:"customers"`
	Share     float64 `json:"share"`
	// ByCode counts the customers per warning code, most frequent first (ties by code).
	ByCode []Count `json:"by_code"`
}

// ScoreDistribution is tonight's score distribution, compared with the development
// sample when there is one.
type ScoreDistribution struct {
	// MeanScore and MeanPD are tonight's means; ExpectedDefaults is the sum of the PDs.
	// All are zero without customers.
	MeanScore        float64 `json:"mean_score"`
	MeanPD           float64 `json:"mean_pd"`
	ExpectedDefaults float64 `json:"expected_defaults"`
	// Bins are the development score bins with the development and tonight's counts;
	// empty without a development sample.
	Bins []ScoreBin `json:"bins"`
	// PSI of tonight's scores against the development sample, rated by PSIStatus under
	// PSIRule; null without a development sample or without customers.
	PSI       *float64      `json:"psi"`
	PSIStatus report.Status `json:"psi_status,omitempty"`
	PSIRule   string        `json:"psi_rule"`
}

// ScoreBin is one development score bin (Lower, Upper]; a null bound is open.
type ScoreBin struct {
	Lower            *float64 `json:"lower"`
	Upper            *float64 `json:"upper"`
	Development      float64  `json:"development"`
	DevelopmentShare float64  `json:"development_share"`
	Tonight          int64    `json:"tonight"`
	TonightShare     float64  `json:"tonight_share"`
}
