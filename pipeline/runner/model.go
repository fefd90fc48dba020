package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"lendscore/jobs"
	"lendscore/models/scorecard"
	"lendscore/pipeline"
	"lendscore/pipeline/storage"
)

// LoadScorecard reads the scorecard a location names: a scorecard.json file, a run folder
// (its model/scorecard.json), or a train job's output (the run its latest.json names). It
// returns the scorecard and the location of the file it read.
func LoadScorecard(ctx context.Context, stores *storage.Stores, location string) (*scorecard.Scorecard, storage.Location, error) {
	loc, err := storage.Parse(location)
	if err != nil {
		return nil, storage.Location{}, fmt.Errorf("model: %w", err)
	}
	st, err := stores.For(ctx, loc)
	if err != nil {
		return nil, storage.Location{}, fmt.Errorf("model %s: %w", loc, err)
	}
	var file storage.Location
	switch {
	case strings.HasSuffix(loc.Key, ".json") && !strings.HasSuffix(loc.Key, pipeline.LatestFile):
		file = loc
	default:
		dir := loc
		if strings.HasSuffix(loc.Key, pipeline.LatestFile) {
			dir.Key = strings.TrimSuffix(strings.TrimSuffix(loc.Key, pipeline.LatestFile), "/")
		}
		if _, err := st.Stat(ctx, dir.MustJoin("model", "scorecard.json")); err == nil {
			file = dir.MustJoin("model", "scorecard.json")
			break
		}
		latest, runDir, err := pipeline.ReadLatest(ctx, st, dir)
		if err != nil {
			return nil, storage.Location{}, fmt.Errorf("model %s: neither a scorecard.json, a run folder nor a train output: %w", loc, err)
		}
		if latest.Kind != "train" {
			return nil, storage.Location{}, fmt.Errorf("model %s: latest.json names a %s run, not a train run", loc, latest.Kind)
		}
		file = runDir.MustJoin("model", "scorecard.json")
	}
	data, err := storage.ReadAll(ctx, st, file)
	if err != nil {
		if errors.Is(err, storage.ErrNotExist) {
			return nil, storage.Location{}, fmt.Errorf("model %s: %w", file, err)
		}
		return nil, storage.Location{}, fmt.Errorf("model %s: %w", file, err)
	}
	sc, err := scorecard.Unmarshal(data)
	if err != nil {
		return nil, storage.Location{}, fmt.Errorf("model %s: %w", file, err)
	}
	return sc, file, nil
}

// startWithModel begins a run that applies a published scorecard (score, backtest, nightly):
// it loads the scorecard the spec's model names and records it in the manifest — the model's
// name and version, the file read and the train run that published it.
func startWithModel(ctx context.Context, spec *jobs.Spec, env *Env) (*pipeline.Run, *scorecard.Scorecard, storage.Location, error) {
	run, err := startRun(ctx, spec, env)
	if err != nil {
		return nil, nil, storage.Location{}, err
	}
	sc, scLoc, err := LoadScorecard(ctx, env.Stores, spec.Model)
	if err != nil {
		return nil, nil, storage.Location{}, err
	}
	run.Update(func(m *pipeline.Manifest) {
		m.Model = sc.Model
		m.Versions.Model = sc.Version
		if m.Notes == nil {
			m.Notes = map[string]any{}
		}
		m.Notes["scorecard"] = scLoc.String()
		m.Notes["model_run_id"] = sc.RunID
	})
	return run, sc, scLoc, nil
}
