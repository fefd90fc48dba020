// Package clean is the cleaning stage: it turns the relational extracts as read (package
// ingest) into clean tables in the canonical schemas of package schemas, sends every row it
// refuses to quarantine unchanged with a reason, keeps the accounts (input = used +
// quarantined, per table and reason) and profiles the clean columns.
//
// # Schema checks
//
// Columns are found by name; their order and extra columns do not matter (extra columns
// are kept in quarantine rows, not in clean ones). A required (non-nullable) canonical
// column that is missing, a column present twice, or a column whose type cannot be cast
// fails the call with an error naming table, file and column:
//
//	clean customers: file s3://bank/x/customers/part-0.parquet: column annual_income: cannot cast bool to float64
//
// A missing optional column is filled with nulls and listed in TableResult.MissingColumns.
// Casts (see cast in cast.go for the full list): numbers of any width to float64 or to
// int32/int8 (out of range: outlier), text to numbers, dates (YYYY-MM-DD, RFC 3339),
// timestamps and booleans, dates and timestamps of any unit into each other, dictionary
// columns decoded, integers to text. Blank text is null; other text that does not parse is
// unparseable. NaN is null. Dirty generator extracts store customers.annual_income and
// birth_date as text, as legacy exports do.
//
// # Row rules and reason codes
//
// A refused row gets one reason, code:detail, the first that applies in this order (within
// a rule, columns in canonical order):
//
//	unparseable:<col>        text that is not a value of the column's type
//	null_required:<col>      null in a required column
//	negative_amount:<col>    annual_income, principal, credit_limit, balance, amount_due,
//	                         amount_paid below zero
//	outlier:<col>            outside the hard bounds below, or a number the type cannot hold
//	invalid_value:<col>      customer_type not individual|corporate, collateral not
//	                         credit|mortgage|guarantee, repayment not installment|bullet,
//	                         kind not inquiry|complaint|survey|visit|campaign
//	date_order:<rule>        birth_date>as_of, established_date>as_of, onboard_date>as_of,
//	                         origination_date>as_of, maturity_date<origination_date,
//	                         paid_date>as_of, paid_date<due_date-366d, ts>as_of
//	                         (the >as_of rules only when Options.AsOf is set)
//	duplicate_key:<key>      customer_id, loan_id, loan_id+due_date
//	orphan:<col>             loans.customer_id and interactions.customer_id not among the
//	                         used customers; repayments.loan_id not among the used loans
//
// Outlier bounds are fixed constants, not statistics of the batch, so a row's fate does not
// depend on what arrives with it: money amounts (annual_income, principal, credit_limit,
// balance, amount_due, amount_paid) at most 1e9; rate in [0, 1]; employees in [0, 1e6];
// days_past_due in [0, 36500]; satisfaction in [1, 5]; every date and timestamp from
// 1900-01-01 to 2099-12-31, except established_date from 1800-01-01.
//
// Duplicates: among the rows that pass the row rules, the first occurrence of a key in
// input order (files in the order given, rows in file order) is used and every later one is
// quarantined as duplicate_key. A row refused by a row rule does not claim its key, so a
// broken first copy followed by a good one keeps the good one.
//
// Orphans are checked after duplicates, parents first: a loan whose customer is absent or
// was refused is orphan:customer_id, and so are its repayments, in turn, orphan:loan_id. A
// table whose parent table is not among the inputs is not checked for orphans.
//
// # Outputs
//
// Per table: the clean rows as Arrow records in the canonical schema (a batch with no
// refused row passes through without a copy), the quarantine records (schemas.Quarantine of
// the input schema: the raw columns as read, _source_file, _source_row — the 0-based row in
// that file — and reason), the counts, and a profile per canonical column of the clean rows:
// null rate, distinct count (HyperLogLog, 2^14 registers, about 0.8% standard error, exact
// up to a hundred), min, max and mean. Everything is deterministic: the same input gives
// the same result whatever Options.Parallelism or GOMAXPROCS.
//
// # Streaming
//
// Stream cleans the repayments or the interactions batch by batch after their parents were
// cleaned whole with Extracts, giving every row the reason Extracts gives it, the same clean
// and quarantine records batch for batch, the same counts and the same profile (profiles
// accumulate batch by batch in input order, so even the float sums agree). It keeps the
// refused rows, for the quarantine, and for the (loan_id, due_date) duplicate check the
// due dates of every loan, sorted and delta-encoded in one byte arena as each loan's run of
// rows ends (about a byte per row): a loan whose rows come back later, after other loans',
// is checked against them exactly. Nothing else grows with the rows.
//
// # Speed
//
// Row rules are column-at-a-time passes over flat Arrow buffers. Keys are looked up in a
// map once per change of value (rows of one loan arrive together), repayment keys are
// bucketed with a counting sort rather than a map of composite keys, and rows are copied
// into the outputs with exactly sized buffers.
package clean
