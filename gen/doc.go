// Package gen writes synthetic relational extracts — customers, loans, repayments and CRM
// interactions, in the canonical schemas of package schemas — with a planted, known risk
// signal and, on request, realistically dirty rows. It backs `lendscore gen`, the demo and
// the tests of every later stage.
//
// # The simulated world
//
// About 85% of customers are individuals (age, gender, occupation, lognormal income,
// region) and 15% corporates (industry, employees, establishment date, lognormal turnover
// in annual_income). Each customer carries a latent risk: log-odds built from observable
// traits (low income or turnover, youth, unemployment, young firms, agriculture, some
// regions) plus a latent financial-stress factor, which also drives the utilisation of
// revolving lines (credit cards, working capital), plus noise. Every month of the history a
// customer enters arrears with probability sigmoid(-4 + risk); arrears last one month or
// more (cure chances 55%, 45%, 30%, then 12% a month) and the missed instalments are paid
// together when the customer cures, or stay unpaid at the extract date; a customer still
// in arrears at the extract date has drawn its revolving lines to at least 95% of their
// limits. Riskier customers also pay normal instalments a few days late more often, pay
// higher rates, complain more, answer surveys less happily, and arrears bring collection
// calls. Ordinary contacts come at about 0.73 a year (2.2 in three years), a little more
// often for riskier customers. So past days past due, utilisation, rates, complaints,
// satisfaction and income all carry real signal about future 90+ days past due;
// Summary.Signal reports the planted 12-month bad rate (about 7%).
//
// Customers are onboarded over the 15 years before the end of the simulated period (see
// below), loans (1–4 per customer) originated after onboarding, within the eight years
// before the history or during the period, at least three weeks before its end. Products:
// consumer, credit_card and mortgage for individuals; working_capital (bullet: monthly
// interest, principal at maturity), project and fixed_asset for corporates; collateral
// credit, mortgage or guarantee. Repayments are the monthly instalments due from the start
// of the history to AsOf: amount_due, paid_date (null while unpaid), amount_paid and
// days_past_due as at the extract date (paid: max(0, paid-due); unpaid: AsOf-due); earlier
// instalments count as paid. Loan balances are those at the extract date. Ids are C + 8
// digits for customers and L + 8 + 2 digits for loans.
//
// A Drift (start date and strength) raises the arrears hazard from its start and shifts the
// population onboarded after it (lower incomes, higher utilisation), for backtests and
// stability reports to detect.
//
// # Extracts over time
//
// The simulated world is fixed by the Config without AsOf: Seed, Months, HistoryStart,
// Drift and Shock. Its period is Months calendar months from HistoryStart; by default
// HistoryStart is the first day of the month Months-1 months before the month of AsOf, so
// the period ends with the month of AsOf. AsOf chooses how much of the world an extract
// shows: the customers onboarded by AsOf, the loans originated by AsOf, the instalments
// due and contacts made from HistoryStart to AsOf, with payments made after AsOf still
// unpaid, and balances as at AsOf.
//
// Every process of a customer draws from a random stream of its own in date order (traits,
// arrears month after month, each loan's payments instalment after instalment, contacts one
// after another, faults row after row), so a later AsOf only runs the processes longer.
// Hence two extracts of one world, as of D and D+1, agree on everything up to D: the same
// customers, byte for byte, plus those onboarded on D+1; the same loans, but for their
// balances, plus those originated on D+1; the same instalments, those paid by D unchanged,
// those unpaid on D either paid on D+1 or one day further past due, plus those due on D+1;
// the same contacts up to D, plus those of D+1 (a shock on D+1 aside: see below).
// TestConsecutiveDays checks all of this.
//
// Within a month the default HistoryStart stays put, so daily extracts are one world. At a
// month end it moves on by a month, and with it the period and every date anchored to it:
// the extract as of the first of a month shows another world. For a series of extracts
// that crosses a month end, pin HistoryStart (the answer key records the value a default
// generation used, so the first extract of a series can be continued). AsOf may then run
// past the end of the period: no customers are onboarded and no loans originated after it,
// but payments, arrears and contacts go on. When AsOf is before the end of the period (a
// pinned start, or any day but the last of the month by default), customers onboarded and
// loans originated after AsOf are not in the extract yet, so Customers is the size of the
// world and an extract may hold a few fewer.
//
// Faults come from streams of their own (the customer row, each loan row, each loan's
// repayments, the interactions), drawn row after row as well, so a faulty row mostly stays
// faulty from one day to the next (faults dated relative to AsOf move with it); the
// agreement above is about the clean content.
//
// # A shock
//
// Config.Shock makes a fixed share of customers (chosen from Seed and the customer index
// alone, so the same ones in every extract) unable to pay from Shock.From on. An extract
// as of From or later shows them worse at once: their payments of instalments due since
// From minus ShockLookbackDays days (61) are reversed, and nothing is paid after, so every
// running loan has an instalment 30 or more days past due; their revolving lines are drawn
// to 95–100% of their limits; they filed a complaint on From (satisfaction 1,
// unresolved). An extract as of the day before From is byte for byte the extract without
// a shock, and customers the shock misses have the same rows with and without it. The
// answer key lists the shocked customers of the extract (Summary.Shocked). Two extracts as
// of From-1 and From thus show a nightly run these customers newly 30+ days past due (if
// a loan is running), with a recent complaint, a lower score and, if they answered
// surveys in the year before, falling satisfaction, beside the few customers whom
// ordinary arrears make worse overnight.
//
// # Determinism and scale
//
// Every customer is simulated from its own random streams (math/rand/v2 PCG), seeded from
// (Seed, customer index), so customers are generated in chunks on any number of cores and
// written in order: the same Config gives byte-identical files whatever Parallelism or
// GOMAXPROCS. A chunk of customers becomes one row group per table; part files hold
// Config.CustomersPerPart customers each; nothing holds more than a few chunks in memory.
// One million customers (about 1.6M loans, 28M repayments, 2.2M interactions) take about 17
// CPU-seconds and 270 MB of memory.
//
// # Dirty rows and the answer key
//
// With Config.DirtyRate r > 0, each row of each table gets, with probability r, one fault
// drawn uniformly from its table's kinds (the cleaning stage's reason codes):
//
//	customers:    null_required:{customer_id,customer_type,onboard_date},
//	              negative_amount:annual_income, date_order:onboard_date>as_of (onboarded
//	              in the future), duplicate_key:customer_id (a second copy of the row),
//	              unparseable:{annual_income,birth_date}, outlier:annual_income (1e12)
//	loans:        null_required:{loan_id,customer_id,principal,origination_date},
//	              negative_amount:{principal,credit_limit,balance},
//	              date_order:maturity_date<origination_date, duplicate_key:loan_id,
//	              orphan:customer_id (an unknown customer), outlier:rate (500%),
//	              outlier:principal (1e12)
//	repayments:   null_required:{loan_id,due_date,amount_due},
//	              negative_amount:{amount_due,amount_paid},
//	              date_order:paid_date<due_date-366d (paid years before due),
//	              duplicate_key:loan_id+due_date, orphan:loan_id (an unknown loan),
//	              outlier:amount_due (1e12), outlier:days_past_due (99999)
//	interactions: null_required:{customer_id,ts}, date_order:ts>as_of,
//	              orphan:customer_id, outlier:satisfaction (9)
//
// Faults come from random streams of their own, so the clean content is the same at every
// dirty rate. A duplicate is an extra, identical copy of a clean row right after it.
//
// Unparseable values: Parquet columns are typed, so a number column cannot hold "n/a". Like
// the legacy core-banking exports they imitate, dirty extracts therefore write
// customers.annual_income and customers.birth_date as STRING columns ("52000.00",
// "1980-05-17"), with a few unparseable entries ("n/a", "12,5k", "31/02/1980"); the cleaning
// stage casts string columns to the canonical types. Dirty extracts also declare every
// column nullable (a required Parquet column cannot hold a null). Clean extracts
// (DirtyRate 0) use the canonical schemas exactly.
//
// Generate writes _generator.json beside the table folders: the Config (with the
// HistoryStart used), the rows per table, the shocked customers, the injected faults per
// table and reason, and the expected quarantine per table and
// reason — the injected faults plus the rows that lose their parent because of them (loans
// of a refused customer, repayments of a refused loan, interactions of a refused customer).
// A correct cleaning stage reproduces the expected quarantine exactly.
package gen
