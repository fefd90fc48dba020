// Package report turns what a run computed into what a model validator
// reads: the validation figures beyond the headline metrics (gains tables,
// Hosmer-Lemeshow, ROC and KS curves, score distributions, PSI and CSI,
// calibration per grade, grade concentration, the AUC change against
// development) with a green/amber/red traffic light on each, and the model
// card in Markdown and as one self-contained HTML file with inline SVG
// charts.
//
// Validate works on the scored rows of each sample and returns aggregates
// only; ModelCard works on those aggregates and never sees a row. Both are
// deterministic: the same input gives byte-identical output.
package report
