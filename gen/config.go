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
	// Months is the length of the simulated period, in calendar months (default 36): the
	// months from HistoryStart on, which by default end with the month of AsOf. Customers
	// are onboarded and loans originated by the end of the period.
	Months int `json:"months"`
	// Seed seeds every random choice; the same Config gives byte-identical files.
	Seed uint64 `json:"seed"`
	// DirtyRate is the fraction (0 ≤ r < 0.5) of rows per table that get one fault. When it
	// is positive, customers.annual_income and customers.birth_date are written as strings
	// (see the package documentation).
	DirtyRate float64 `json:"dirty_rate"`
	// AsOf is the extract date: the end of the history (default DefaultAsOf). Only its UTC
	// calendar date matters. The extract shows the simulated world as the bank saw it at
	// the end of that day (see "Extracts over time" in the package documentation).
	AsOf time.Time `json:"as_of"`
	// HistoryStart, when set, pins the first day of the history and of the simulated
	// period; it must be the first day of a month, on or before AsOf. When it is zero it
	// is the first day of the month Months-1 months before the month of AsOf (the period
	// then ends with the month of AsOf), and the answer key records the value used.
	// Extracts with the same Seed, Months and HistoryStart show one world at different
	// dates, whatever their AsOf: set it for a series of extracts that crosses a month end.
	HistoryStart time.Time `json:"history_start"`
	// Drift, when its Strength is non-zero, makes the population and its risk shift from
	// Drift.Start on, for backtests and stability reports to detect.
	Drift Drift `json:"drift"`
	// Shock, when its Share is positive, makes a fixed share of customers unable to pay
	// from Shock.From on, for early-warning flags to catch.
	Shock Shock `json:"shock"`
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

// Shock hits a deterministic share of customers on one day, From; a zero Share means no
// shock. Whether customer i is selected depends on Seed and i only (a uniform draw of its
// own below Share), never on AsOf, so every extract of a series has the same shocked
// customers, and a larger Share selects a superset of a smaller one's customers. Selected
// customers onboarded before From are hit. In an extract with AsOf on or after From, a
// shocked customer
//   - has not paid any instalment due on or after From minus ShockLookbackDays days, nor
//     any older one that was still unpaid the day before From (paid_date null, amount_paid
//     null, days_past_due counted to AsOf): every running loan then has an instalment 30
//     or more days past due on From;
//   - has drawn each revolving line (credit_card, and working_capital while it is
//     outstanding) to between 95% and 100% of its limit;
//   - filed a complaint on From (satisfaction 1, unresolved), shown when From is within
//     the history.
//
// An extract with AsOf before From does not show the shock at all: its rows are the rows
// without a shock, byte for byte. The rows of customers the shock does not hit are the
// same with and without it. The shock is a payment reversal as the extracts see it:
// payments recorded in the days before From disappear from the From extract (think of
// returned direct debits), so a scorecard sees the customer 30+ days past due at once.
type Shock struct {
	From  time.Time `json:"from"`
	Share float64   `json:"share"`
}

// ShockLookbackDays is how far before Shock.From the unpaid instalments of a shocked
// customer begin: 61 days, so that every monthly schedule (due dates 28 to 31 days apart)
// has an unpaid instalment due at least 30 days before From.
const ShockLookbackDays = 61

// withDefaults returns c with defaults filled in, or an error naming the first bad field.
func (c Config) withDefaults() (Config, error) {
	if c.Months == 0 {
		c.Months = DefaultMonths
	}
	if c.AsOf.IsZero() {
		c.AsOf = DefaultAsOf
	}
	c.AsOf = utcDate(c.AsOf)
	if !c.Shock.From.IsZero() {
		c.Shock.From = utcDate(c.Shock.From)
	}
	pinned := !c.HistoryStart.IsZero()
	if pinned {
		c.HistoryStart = utcDate(c.HistoryStart)
	} else {
		c.HistoryStart = c.AsOf.AddDate(0, 1-c.Months, 1-c.AsOf.Day())
	}
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
	case !(c.Shock.Share >= 0 && c.Shock.Share <= 1):
		return c, fmt.Errorf("shock share %g: want 0 ≤ share ≤ 1", c.Shock.Share)
	case c.Shock.Share > 0 && c.Shock.From.IsZero():
		return c, errors.New("shock: a share needs a from date")
	case !c.Shock.From.IsZero() && (c.Shock.From.Year() < 1950 || c.Shock.From.Year() > 2090):
		return c, fmt.Errorf("shock from %s: want a date between 1950 and 2090", c.Shock.From.Format(time.DateOnly))
	case pinned && c.HistoryStart.Day() != 1:
		return c, fmt.Errorf("history start %s: want the first day of a month", c.HistoryStart.Format(time.DateOnly))
	case pinned && c.HistoryStart.After(c.AsOf):
		return c, fmt.Errorf("history start %s: after as-of %s", c.HistoryStart.Format(time.DateOnly), c.AsOf.Format(time.DateOnly))
	case pinned && monthNumber(c.AsOf)-monthNumber(c.HistoryStart) >= 600:
		return c, fmt.Errorf("history start %s: want at most 600 months before as-of %s", c.HistoryStart.Format(time.DateOnly), c.AsOf.Format(time.DateOnly))
	}
	return c, nil
}

// utcDate returns the UTC calendar date of t, at midnight UTC.
func utcDate(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// monthNumber returns year*12 + month-1 of t.
func monthNumber(t time.Time) int { return t.Year()*12 + int(t.Month()) - 1 }

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
	// Shocked is the answer key of Config.Shock: the customers of this extract it hit.
	Shocked Shocked `json:"shocked"`
}

// MaxShockedIDs caps Shocked.IDs, so that the answer key stays small (about 1.3 MB at
// the cap) however large the generation.
const MaxShockedIDs = 100_000

// Shocked lists the customers of an extract that Config.Shock hit. Both are empty while
// Shock.From is after AsOf: the extract does not show the shock yet.
type Shocked struct {
	// Count is the number of shocked customers in the extract.
	Count int64 `json:"count"`
	// IDs are their customer ids in ascending order; only the first MaxShockedIDs when
	// Count is larger.
	IDs []string `json:"ids"`
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
