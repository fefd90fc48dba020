// Package report turns what a run computed into what a model validator
// reads: the validation figures beyond the headline metrics (gains tables,
// Hosmer-Lemeshow, ROC and KS curves, score distributions, PSI and CSI,
// calibration per grade, grade concentration, the AUC change against
// development) with a green/amber/red traffic light on each, and the model
// card in Markdown and as one self-contained HTML file with inline SVG
// charts.
//
// Validate works on a summary of each sample — its scores counted by value,
// its rows per grade and attribute, its PDs sorted (on a spill file when they
// are many) — given as scored rows or built batch by batch with a
// SummaryBuilder, so that a sample of any size is validated without holding
// its rows; it returns aggregates only. ModelCard works on those aggregates
// and never sees a row. Both are deterministic: the same input gives
// byte-identical output, whatever GOMAXPROCS.
//
// # In a run
//
// A train run validates its samples against the train sample and keeps the
// result in metrics.json, whose "stability" keys come from
// Validation.Stability:
//
//	v, err := report.Validate(report.ValidationInput{
//		Samples:   samples, // train, test, oot: each a Summary (or Score, Bad, PD, Grade, Attr)
//		Higher:    metrics.HigherGood,
//		Scorecard: sc,
//	}, thresholds)
//	md, html, err := report.ModelCard(report.Card{Kind: report.KindTrain, Validation: v, Scorecard: sc, …})
//
// A backtest passes the development figures that the train run published
// (Validation.ReferenceScore and the development sample's AUC and DeLong
// standard error) as a Baseline, and the grade migration to the card. An
// evaluate run passes its --by groups as samples and, with --base, a
// Baseline whose Score is NewScoreBins of the base scores.
package report
