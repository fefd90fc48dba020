package runner

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"lendscore/jobs"
	"lendscore/pipeline"
	"lendscore/stages/frame"
	"lendscore/stages/ingest"
	"lendscore/stages/publish"
	"lendscore/stages/score"
)

// runScoreInMemory is the score job as it was before it streamed (commit 48528f9): the whole
// table in memory, then scored, then written. The streaming job must publish the same rows,
// and the same bytes of quarantined rows.
func runScoreInMemory(ctx context.Context, spec *jobs.Spec, env *Env, runID string) (*pipeline.Manifest, error) {
	run, err := startRunAs(ctx, spec, env, runID)
	if err != nil {
		return nil, err
	}
	sc, scLoc, err := LoadScorecard(ctx, env.Stores, spec.Model)
	if err != nil {
		return nil, err
	}
	run.Update(func(m *pipeline.Manifest) {
		m.Versions.Model = sc.Version
		m.Model = sc.Model
		m.Notes = map[string]any{"scorecard": scLoc.String(), "model_run_id": sc.RunID}
	})
	pseudo, err := newPseudonymiser(spec)
	if err != nil {
		return nil, err
	}
	asOf := spec.AsOfDate()
	if spec.AsOf == "" {
		asOf = env.now().UTC().Truncate(24 * time.Hour)
	}
	var tbl *ingest.Table
	err = run.Stage(ctx, "ingest", func(ctx context.Context) error {
		tbl, err = ingest.ReadTable(ctx, env.Stores, "table", spec.Inputs.Table, ingest.ReadOptions{})
		if err != nil {
			return err
		}
		recordInputs(run, "table", tbl.Files)
		return nil
	})
	if err != nil {
		return nil, err
	}
	defer tbl.Release()

	id := spec.ID
	if id == "" {
		id = sc.ID
	}
	var (
		fr      *frame.Frame
		reasons []string
		used    []int
		ids     []string
		refused = map[string]int64{}
	)
	err = run.Stage(ctx, "clean", func(ctx context.Context) error {
		categorical := map[string]bool{}
		for _, ch := range sc.Characteristics {
			if ch.Kind == "categorical" {
				categorical[ch.Name] = true
			}
		}
		if fr, err = frame.FromTable(tbl, categorical); err != nil {
			return fmt.Errorf("table %s: %w", spec.Inputs.Table, err)
		}
		var idcol *frame.Column
		if id != "" {
			if idcol = fr.Column(id); idcol == nil {
				return fmt.Errorf("table %s: id column %q is not in the table", spec.Inputs.Table, id)
			}
		}
		reasons = make([]string, fr.Rows)
		seen := map[string]int{}
		for i := 0; i < fr.Rows; i++ {
			rowID := strconv.Itoa(i)
			if idcol != nil {
				v, ok := idcol.Text(i)
				switch {
				case !ok:
					reasons[i] = "null_id:" + id
				case seen[v] > 0:
					reasons[i] = fmt.Sprintf("duplicate_key:%s (first at row %d)", id, seen[v]-1)
				default:
					seen[v] = i + 1
					rowID = v
				}
			}
			if reasons[i] == "" {
				for _, ch := range sc.Characteristics {
					if c := fr.Column(ch.Name); c != nil && c.Kind == frame.Numeric && math.IsInf(c.Num[i], 0) {
						reasons[i] = "non_finite:" + ch.Name
						break
					}
				}
			}
			if reasons[i] != "" {
				refused[codeOf(reasons[i])]++
				continue
			}
			used = append(used, i)
			ids = append(ids, rowID)
		}
		counts := pipeline.RowCounts{Input: int64(fr.Rows), Used: int64(len(used)), Quarantined: int64(fr.Rows - len(used)), ByReason: refused}
		run.Update(func(m *pipeline.Manifest) { m.Rows["table"] = counts })
		return counts.Check("table")
	})
	if err != nil {
		return nil, err
	}
	var scores *score.Scores
	err = run.Stage(ctx, "score", func(ctx context.Context) error {
		scores, err = score.Frame(ctx, sc, fr, used)
		if err != nil {
			return fmt.Errorf("table %s: %w", spec.Inputs.Table, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = run.Stage(ctx, "publish", func(ctx context.Context) error {
		if err := writeScored(ctx, run, publish.ScoredRows{IDs: pseudo.ids(ids), AsOf: asOf, Scores: scores, Model: sc.Model, ModelVersion: sc.Version, RunID: run.ID}); err != nil {
			return err
		}
		q, err := frame.Quarantine(ctx, tbl, reasons)
		if err != nil {
			return err
		}
		defer releaseAll(q)
		if len(q) > 0 {
			return writeParts(ctx, run, "quarantine", q[0].Schema(), q)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return run.Publish(ctx)
}
