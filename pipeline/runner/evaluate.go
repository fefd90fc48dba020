package runner

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"lendscore/jobs"
	"lendscore/models/metrics"
	"lendscore/pipeline"
	"lendscore/stages/frame"
	"lendscore/stages/ingest"
	"lendscore/stages/report"
)

// EvaluateOptions say which existing score to evaluate against which labels.
type EvaluateOptions struct {
	Input  string // the table holding the score and the label
	Score  string // score column
	Label  string // label column
	Bad    string // the label value that means bad, compared as text
	Higher metrics.Higher
	By     string // optional grouping column: one sample per value
	Base   string // optional table with the same score column: the PSI reference
	// PD and Grade optionally name columns with each row's PD (for Brier, log-loss,
	// Hosmer-Lemeshow and the central tendency) and grade (for calibration per grade with
	// binomial and Jeffreys tests, and the grade concentration).
	PD     string
	Grade  string
	Output string
	Name   string // run name (default the score column)
}

// EvaluateMetrics is metrics.json of an evaluate run.
type EvaluateMetrics struct {
	Score      string                           `json:"score"`
	Higher     string                           `json:"higher"`
	RunID      string                           `json:"run_id"`
	Rows       RowSummary                       `json:"rows"`
	Samples    map[string]metrics.SampleMetrics `json:"samples"`
	Stability  map[string]float64               `json:"stability"`
	Validation *report.Validation               `json:"validation"`
	Notes      []string                         `json:"notes,omitempty"`
}

// Evaluate computes the validation figures of an existing score (a bureau score, a
// challenger model) against labels and publishes them like any run: metrics.json, a card,
// the quarantine of unusable rows.
func Evaluate(ctx context.Context, o EvaluateOptions, env Env) (*pipeline.Manifest, error) {
	if env.Log == nil {
		env.Log = discardLogger()
	}
	name := o.Name
	if name == "" {
		name = sanitizeName(o.Score)
	}
	spec := &jobs.Spec{Kind: "evaluate", Name: name, Output: o.Output, Inputs: jobs.Inputs{Table: o.Input}}
	run, err := startRun(ctx, spec, &env)
	if err != nil {
		return nil, err
	}
	var tbl *ingest.Table
	err = run.Stage(ctx, "ingest", func(ctx context.Context) error {
		if tbl, err = ingest.ReadTable(ctx, env.Stores, "table", o.Input, ingest.ReadOptions{}); err != nil {
			return err
		}
		recordInputs(run, "table", tbl.Files)
		return nil
	})
	if err != nil {
		return nil, err
	}
	defer tbl.Release()

	var (
		fr      *frame.Frame
		reasons []string
		groups  = map[string]*report.Sample{}
		refused = map[string]int64{}
		used    int
	)
	err = run.Stage(ctx, "prepare", func(ctx context.Context) error {
		if fr, err = frame.FromTable(tbl, nil); err != nil {
			return fmt.Errorf("table %s: %w", o.Input, err)
		}
		sc, lab := fr.Column(o.Score), fr.Column(o.Label)
		switch {
		case sc == nil:
			return fmt.Errorf("table %s: score column %q is not in the table", o.Input, o.Score)
		case sc.Kind != frame.Numeric:
			return fmt.Errorf("table %s: score column %q holds text, not numbers", o.Input, o.Score)
		case lab == nil:
			return fmt.Errorf("table %s: label column %q is not in the table", o.Input, o.Label)
		}
		var pdc, gradec *frame.Column
		if o.PD != "" {
			if pdc = fr.Column(o.PD); pdc == nil || pdc.Kind != frame.Numeric {
				return fmt.Errorf("table %s: --pd column %q is not a numeric column of the table", o.Input, o.PD)
			}
		}
		if o.Grade != "" {
			if pdc == nil {
				return fmt.Errorf("--grade needs --pd: calibration per grade compares each grade's PDs with its defaults")
			}
			if gradec = fr.Column(o.Grade); gradec == nil {
				return fmt.Errorf("table %s: --grade column %q is not in the table", o.Input, o.Grade)
			}
		}
		var by *frame.Column
		if o.By != "" {
			if by = fr.Column(o.By); by == nil {
				return fmt.Errorf("table %s: --by column %q is not in the table", o.Input, o.By)
			}
		}
		reasons = make([]string, fr.Rows)
		for i := 0; i < fr.Rows; i++ {
			s := sc.Num[i]
			lv, ok := lab.Text(i)
			group := "all"
			if by != nil {
				g, gok := by.Text(i)
				if !gok {
					g = "(missing)"
				}
				group = g
			}
			switch {
			case math.IsNaN(s):
				reasons[i] = "null_score:" + o.Score
			case math.IsInf(s, 0):
				reasons[i] = "non_finite:" + o.Score
			case !ok:
				reasons[i] = "null_target:" + o.Label
			case pdc != nil && !(pdc.Num[i] >= 0 && pdc.Num[i] <= 1):
				reasons[i] = "invalid_pd:" + o.PD
			}
			var grade string
			if gradec != nil && reasons[i] == "" {
				g, gok := gradec.Text(i)
				if !gok {
					reasons[i] = "null_grade:" + o.Grade
				}
				grade = g
			}
			if reasons[i] != "" {
				refused[codeOf(reasons[i])]++
				continue
			}
			smp := groups[group]
			if smp == nil {
				smp = &report.Sample{Name: group}
				groups[group] = smp
			}
			smp.Score = append(smp.Score, s)
			if pdc != nil {
				smp.PD = append(smp.PD, pdc.Num[i])
			}
			if gradec != nil {
				smp.Grade = append(smp.Grade, grade)
			}
			var y int8
			if lv == o.Bad {
				y = 1
			}
			smp.Bad = append(smp.Bad, y)
			used++
		}
		counts := pipeline.RowCounts{Input: int64(fr.Rows), Used: int64(used), Quarantined: int64(fr.Rows - used), ByReason: refused}
		run.Update(func(m *pipeline.Manifest) { m.Rows["table"] = counts })
		return counts.Check("table")
	})
	if err != nil {
		return nil, err
	}
	var baseline *report.Baseline
	if o.Base != "" {
		err = run.Stage(ctx, "base", func(ctx context.Context) error {
			bt, err := ingest.ReadTable(ctx, env.Stores, "base", o.Base, ingest.ReadOptions{})
			if err != nil {
				return err
			}
			defer bt.Release()
			recordInputs(run, "base", bt.Files)
			bf, err := frame.FromTable(bt, nil)
			if err != nil {
				return fmt.Errorf("base %s: %w", o.Base, err)
			}
			c := bf.Column(o.Score)
			if c == nil || c.Kind != frame.Numeric {
				return fmt.Errorf("base %s: no numeric score column %q", o.Base, o.Score)
			}
			var vals []float64
			for _, v := range c.Num {
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					vals = append(vals, v)
				}
			}
			bins, err := report.NewScoreBins(vals, 0)
			if err != nil {
				return fmt.Errorf("base %s: %w", o.Base, err)
			}
			baseline = &report.Baseline{Name: "base", Score: bins}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	em := EvaluateMetrics{Score: o.Score, Higher: o.Higher.String(), RunID: run.ID, Samples: map[string]metrics.SampleMetrics{},
		Rows: RowSummary{Input: int64(fr.Rows), Used: int64(used), Quarantined: int64(fr.Rows - used), ByReason: refused}}
	err = run.Stage(ctx, "validate", func(ctx context.Context) error {
		var samples []report.Sample
		for _, g := range names {
			samples = append(samples, *groups[g])
		}
		if len(samples) == 0 {
			return fmt.Errorf("table %s: no row has both a score and a label", o.Input)
		}
		in := report.ValidationInput{Samples: samples, Higher: o.Higher, Baseline: baseline, Reference: names[0]}
		v, err := report.Validate(in, report.DefaultThresholds())
		if err != nil {
			return err
		}
		em.Validation, em.Stability, em.Notes = v, v.Stability(), v.Notes
		for _, g := range names {
			if r := v.Sample(g); r != nil && r.Metrics != nil {
				em.Samples[g] = *r.Metrics
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = run.Stage(ctx, "publish", func(ctx context.Context) error {
		if err := run.WriteJSON(ctx, "metrics.json", em); err != nil {
			return err
		}
		q, err := frame.Quarantine(ctx, tbl, reasons)
		if err != nil {
			return err
		}
		defer releaseAll(q)
		if len(q) > 0 {
			if err := writeParts(ctx, run, "quarantine", q[0].Schema(), q); err != nil {
				return err
			}
		}
		var m pipeline.Manifest
		run.Update(func(mm *pipeline.Manifest) { m = *mm })
		card := report.Card{
			Kind:       report.KindEvaluate,
			Model:      report.ModelDetails{Name: name, RunID: run.ID, AsOf: env.now().UTC().Format(time.DateOnly), LendscoreVersion: pipeline.Version, Score: fmt.Sprintf("%s (higher = %s)", o.Score, o.Higher)},
			Data:       report.Data{Sources: m.Inputs, Rows: m.Rows, Target: report.Target{Column: o.Label, Bad: o.Bad}, Split: splitByText(o.By)},
			Validation: em.Validation,
			Notes:      em.Notes,
		}
		md, html, err := report.ModelCard(card)
		if err != nil {
			return fmt.Errorf("card: %w", err)
		}
		if err := run.WriteFile(ctx, "evaluation_card.md", md); err != nil {
			return err
		}
		return run.WriteFile(ctx, "evaluation_card.html", html)
	})
	if err != nil {
		return nil, err
	}
	return run.Publish(ctx)
}

func splitByText(by string) string {
	if by == "" {
		return "all rows as one sample"
	}
	return "one sample per value of " + by
}

// sanitizeName turns a column name into a run name (letters, digits, - _ .).
func sanitizeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "evaluate"
	}
	return string(b)
}
