// Package features turns the clean relational extracts (customers, loans, repayments,
// interactions) into the customer feature table: one row per customer at an observation
// date as_of, with the demographic, relationship, repayment, interaction and RFM features
// of a behavioural scorecard and, for training snapshots, the label bad.
//
// # Point in time
//
// Nothing dated after as_of reaches a feature. A day is a UTC calendar date; as_of stands
// for the end of that day. Only customers onboarded on or before as_of get a row; only
// loans originated on or before as_of, repayment rows with due_date ≤ as_of and interactions on or before as_of are used.
// A paid_date after as_of means unpaid at as_of. The extract's days_past_due, measured at the
// extract date, is never read: days past due are derived from due_date and paid_date.
//
// Days past due (DPD). An instalment with due date d and paid date p (p = ∞ while unpaid)
// is, on date t, t − d days past due when d < t ≤ p, and 0 otherwise; it reaches its largest
// DPD, p − d, on the day it is paid, the figure extracts record as days_past_due. Seen at
// as_of A, an instalment due by A ends its delinquency at e = min(p, A) with DPD e − d.
// Hence:
//   - max_dpd_<N>m is the largest e − d over the instalments with d ≤ A and e inside
//     (A − N months, A]: the worst delinquency on any date of the window;
//   - an instalment due in the window is late (n_late) when e − d > 0 and seriously late
//     (n_late30) when e − d > 30;
//   - the last date of serious delinquency is the largest e with e − d > 30;
//     months_since_delinquency counts the whole months from it to A, NaN when none;
//   - current_dpd is A − d for the oldest instalment unpaid at the end of A (p > A), 0 when
//     none: a payment on as_of cures.
//
// Windows are calendar months: (A − N months, A], a day of month missing in the target
// month clamped to its last day (2024-03-31 minus one month is 2024-02-29).
//
// Balances. The loans extract carries the balance at the extract date, which for a past
// as_of would leak. The balance at as_of is the extracted balance plus the amounts paid
// after as_of (the payments are rolled back), bounded by [0, max(principal, credit_limit,
// extracted balance)]; without an extracted balance it is principal minus the amounts paid
// by as_of. Payments include interest, so the roll-back slightly overstates balances of
// old snapshots; it is exact when as_of is the extract date. Loan status (active) comes from
// the dates: originated on or before as_of, maturity_date after as_of or null.
//
// What the extracts cannot date. The customers extract is a current snapshot: region,
// annual_income, employees and the like are taken as extracted; age and years established
// are computed at as_of. An interaction's resolved flag is as extracted too, so a complaint
// resolved after as_of counts as resolved.
//
// # Label
//
// With Options.Label, bad = 1 when any instalment of any of the customer's loans (including
// loans originated after as_of) is 90 or more days past due on some date t in the
// performance window (A, A + W months]: with t* = max(A + 1, d + 90), when t* ≤ A + W and the
// instalment is still unpaid on t* (p ≥ t*, or never paid). Otherwise bad = 0, also for
// customers without loans (good unless there is evidence). label_status says which:
//   - labelled: bad is 0 or 1;
//   - window_incomplete: A + W is after the last date the data covers (Options.DataEnd, or
//     the latest due_date, paid_date or interaction date of the extracts); bad is null;
//   - defaulted_at_as_of: current_dpd ≥ 90 at as_of, so the customer is already in default
//     and cannot become bad; bad is null. This is standard practice: a scorecard predicts
//     new defaults among performing customers.
//
// Excluded customers keep their row (bad null) unless Options.DropUnlabelled; either way
// Counts.Excluded counts them by status.
//
// # Missing values
//
// Numeric features are float64 and NaN means missing: a ratio with nothing to divide
// (utilisation, paid_due_ratio, mean_satisfaction, digital_share), a date that never
// happened (months_since_delinquency, days_since_last_contact, recency_days) or a null in
// the extract. Counts, sums and maxima over nothing are 0: a customer without loans has
// n_loans_total 0, total_balance 0, max_dpd 0, utilisation NaN. Categorical features are
// strings and null when unknown.
//
// # Performance
//
// The extracts are joined once, without copying the big tables. customer_id and loan_id
// are indexed by row number; ids listed in ascending order (as the generator writes them)
// need no map, others get one map each, with keys read straight from the Arrow buffers.
// Lookups try the row found last and the next row first, so children sorted like their
// parents cost a string comparison per row. Loans and interactions are copied into small
// per-column slices grouped by customer; repayments stay in their Arrow records and are
// only located: the rows of each loan form a range when the extract is sorted by loan,
// else a stable counting sort orders them. The features of each customer are then computed
// from its own rows, blocks of customers in parallel, straight into the output columns;
// every value depends only on the customer's rows in input order, so results are identical
// for any number of workers. One million customers with 28 million repayments (the
// generator's book) take about 1 to 2 s on two cores once the memory is warm.
//
// # Streaming
//
// Stream builds the same table with the customers and loans held whole and the repayments
// and interactions fed batch by batch: each row is folded, for every snapshot, into the
// totals of its loan (amounts paid by and after as_of) and of its customer (counts, latest
// dates, largest delinquencies, sums of amounts) and is not kept. Build folds the same totals
// with the same code (repTotals, intTotals), so the results agree byte for byte. Counts and
// maxima do not depend on the order of the rows; float sums do in their last bits, and Build
// sums a customer's repayments loan by loan in the loans' order, so Stream refuses with
// ErrUnordered repayments where a customer's loans come back out of that order. Interactions
// may come in any order.
package features
