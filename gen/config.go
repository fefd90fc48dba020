package gen

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// DefaultAsOf is the end of the generated history when Config.AsOf is zero. It is a fixed
// date, not today, so that a seed always gives the same bytes.
var DefaultAsOf = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)

// Defaults of Config.
const (
	DefaultMonths           = 36
	DefaultCustomersPerPart = 131072
	// chunkCustomers is the number of customers generated and written together, as one row
	// group per table. Fixed, so that the output does not depend on Parallelism.
	chunkCustomers = 16384
	// maxCustomers keeps customer ids (C + 8 digits) fixed-width.
	maxCustomers = 99_999_999
)

// Config configures a generation. The zero value of every field but Customers has a
// sensible default (see the field docs); Seed 0 is a seed like any other.
type Config struct {
	// Customers is the number of customers to generate (at least 1).
	Customers int `json:"customers"`
	// Months is the length of the repayment and interaction history, in calendar months
	// ending with the month of AsOf (default 36).
	Months int `json:"months"`
	// Seed seeds every random choice; the same Config gives byte-identical files.
	Seed uint64 `json:"seed"`
	// DirtyRate is the fraction (0 ≤ r < 0.5) of rows per table that get one fault. When it
	// is positive, customers.annual_income and customers.birth_date are written as strings
	// (see the package documentation).
	DirtyRate float64 `json:"dirty_rate"`
	// AsOf is the extract date: the end of the history (default DefaultAsOf). Only its UTC
	// calendar date matters.
	AsOf time.Time `json:"as_of"`
	// Drift, when its Strength is non-zero, makes the population and its risk shift from
	// Drift.Start on, for backtests and stability reports to detect.
	Drift Drift `json:"drift"`
	// CustomersPerPart is the number of customers per Parquet part file (default 131072).
	// It changes the file layout, not the rows.
	CustomersPerPart int `json:"customers_per_part"`
	// Parallelism is the number of part files generated at once (default GOMAXPROCS). It
	// never changes the output.
	Parallelism int `json:"-"`
}

// Drift shifts the generated world from Start on. With Strength s > 0:
//   - the monthly log-odds of a customer entering arrears rise by s, ramped in linearly
//     over the six months after Start;
//   - customers onboarded on or after Start earn exp(-0.3·s) times as much and run their
//     revolving lines harder (their financial-stress factor rises by 0.5·s), so the
//     applicant population itself shifts.
//
// Negative strengths shift the other way (an improving economy).
type Drift struct {
	Start    time.Time `json:"start"`
	Strength float64   `json:"strength"`
}

// withDefaults returns c with defaults filled in, or an error naming the first bad field.
func (c Config) withDefaults() (Config, error) {
	if c.Months == 0 {
		c.Months = DefaultMonths
	}
	if c.AsOf.IsZero() {
		c.AsOf = DefaultAsOf
	}
	y, m, d := c.AsOf.UTC().Date()
	c.AsOf = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if c.CustomersPerPart == 0 {
		c.CustomersPerPart = DefaultCustomersPerPart
	}
	if c.Parallelism <= 0 {
		c.Parallelism = runtime.GOMAXPROCS(0)
	}
	switch {
	case c.Customers < 1 || c.Customers > maxCustomers:
		return c, fmt.Errorf("customers %d: want 1 to %d", c.Customers, maxCustomers)
	case c.Months < 1 || c.Months > 600:
		return c, fmt.Errorf("months %d: want 1 to 600", c.Months)
	case !(c.DirtyRate >= 0 && c.DirtyRate < 0.5):
		return c, fmt.Errorf("dirty rate %g: want 0 ≤ rate < 0.5", c.DirtyRate)
	case c.CustomersPerPart < 1:
		return c, errors.New("customers per part must be positive")
	case c.AsOf.Year() < 1950 || c.AsOf.Year() > 2090:
		return c, fmt.Errorf("as-of %s: want a date between 1950 and 2090", c.AsOf.Format(time.DateOnly))
	case c.Drift.Strength != 0 && c.Drift.Start.IsZero():
		return c, errors.New("drift: a strength needs a start date")
	}
	return c, nil
}

// Summary describes a finished generation. It is also written, as JSON, to
// _generator.json beside the table folders: the answer key for tests of the cleaning stage.
type Summary struct {
	Config Config `json:"config"`
	// Rows is the number of rows written per table (faulty rows included).
	Rows map[string]int64 `json:"rows"`
	// Files lists the part files written per table, in order, relative to the output.
	Files map[string][]string `json:"files"`
	// Injected counts the faults placed directly in rows, per table and reason code (see
	// the package documentation for the codes).
	Injected map[string]map[string]int64 `json:"injected"`
	// Quarantine is what a correct cleaning stage refuses, per table and reason: the
	// injected faults plus the rows that lose their parent because of them (a loan of a
	// refused customer is an orphan:customer_id, a repayment of a refused loan an
	// orphan:loan_id, an interaction of a refused customer an orphan:customer_id).
	Quarantine map[string]map[string]int64 `json:"expected_quarantine"`
	// Signal summarises the risk signal planted in the data: the 12-month bad rate
	// (90+ days past due) after the observation date AsOf minus 12 months.
	Signal Signal `json:"signal"`
}

// Signal is the outcome the generator planted, measured on the true (pre-fault) rows: among
// customers with an instalment due in the 12 months after Observation and none 90+ days past
// due at Observation, how many had an instalment reach 90 days past due within those 12
// months (the contract's label). A modeller recomputing it from clean extracts gets the
// same figures (TestGenerateSignal checks this).
type Signal struct {
	Observation time.Time `json:"observation"`
	Customers   int64     `json:"customers"`
	Bads        int64     `json:"bads"`
	BadRate     float64   `json:"bad_rate"`
}
