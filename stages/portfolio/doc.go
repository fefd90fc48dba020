// Package portfolio writes the portfolio report of a nightly run: how the loan book and
// the scored customers stand at as_of, in figures a credit-risk committee reads — the
// five-category loan classification with its balances and NPL ratio, the share of
// high-risk customers against its target, the grade and segment mix, the early warnings
// raised and the drift of tonight's scores from the development sample (PSI).
//
// Build computes the Report from the clean loans and repayments extracts (whole, or a Book
// the repayments were streamed into batch by batch) and the scored customers; Render writes it as Markdown and as one self-contained HTML file (charts
// inline as SVG, drawn like the model card's), and the Report's json tags give the JSON.
// The report holds aggregates only: Build is never given a customer id, and no figure
// describes fewer than all the customers of a category.
//
// # Loan classification
//
// Each loan is classified by its days past due at as_of, as banks report to their
// supervisor (five categories, the scheme of the Basel Core Principles' asset
// classification and of many national rules). The default bands, in days past due, are
//
//	normal           0 – 30
//	special mention 31 – 90
//	substandard     91 – 180
//	doubtful       181 – 360
//	loss           361 and more
//
// and Options.Bands changes them (a supervisor that puts loans 10 or more days late in
// special mention sets Normal: 9). Non-performing loans (NPL) are the last three
// categories: more than 90 days past due, the Basel default definition. The NPL ratio is
// the NPL balance over the balance of the whole book (0 for an empty book).
//
// Days past due follow the rule of package features, so that a loan's figure here is the
// customer's current_dpd there when the customer has that one loan: an instalment is
// unpaid at the end of as_of A when its paid_date is null or after A; a loan's days past
// due are A − d for the oldest due date d ≤ A of its instalments unpaid at the end of A,
// 0 when there is none (a payment on as_of cures). The extract's days_past_due column,
// measured at the extract date, is not read.
//
// Balances follow features too (its total_balance is the sum over a customer's loans):
// the extract's balance plus the amounts paid after as_of, bounded by [0, max(principal,
// credit_limit, extracted balance)]; without an extracted balance, principal minus the
// amounts paid by as_of, bounded by [0, max(principal, credit_limit)].
//
// The book at as_of holds the loans originated on or before as_of that are not closed. A
// loan is closed when it matured on or before as_of, owes nothing and is not past due;
// closed loans and loans originated after as_of are counted apart. Repayment rows of a
// loan missing from the loans extract are counted and ignored.
//
// # Customers
//
// The high-risk share is the share of scored customers in tier high_risk; it is within
// target when at most Options.HighRiskTarget (default 10%). Customers are counted by
// tier, by grade (with mean PD and score, and the normalised Herfindahl-Hirschman index
// of the grade mix), by segment × grade when segmentation ran, and by warning code (a
// customer counts once per code). Tonight's scores are binned on the development score
// bins (report.ScoreBins of the champion's train sample): the PSI is the one
// report.ScoreBins.PSI gives, rated green below 0.10 and amber below 0.25 by default.
//
// # Speed
//
// The repayments are read once, in their Arrow records, without copying; a Book keeps
// three numbers per loan from them, so a caller can stream them and let each batch go. Loan ids are
// resolved to loan positions by trying the loan of the previous row and the next loan
// first, so a repayments extract grouped by loan in the loans' order — as extracts are
// written — costs one or two string comparisons per row; otherwise by binary search when
// the loan ids ascend, else through a map. Three million loans with thirty million
// repayment rows and a million customers take about a second on two cores. Everything
// runs in input order on one goroutine, so the same input gives the same bytes whatever
// GOMAXPROCS.
package portfolio
