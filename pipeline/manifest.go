package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"lendscore/pipeline/storage"
)

// Names of the files that make a run visible.
const (
	ManifestFile = "manifest.json"
	LatestFile   = "latest.json"
)

// Manifest is the last file of a run: what it read, what it counted, how long each stage
// took, which versions ran, and every file it wrote with size and checksum.
type Manifest struct {
	RunID      string               `json:"run_id"`
	Kind       string               `json:"kind"`
	Model      string               `json:"model"`
	AsOf       string               `json:"as_of,omitempty"`
	Status     string               `json:"status"`
	StartedAt  string               `json:"started_at"`
	FinishedAt string               `json:"finished_at,omitempty"`
	Versions   Versions             `json:"versions"`
	Job        any                  `json:"job,omitempty"`
	Inputs     map[string][]Input   `json:"inputs"`
	Rows       map[string]RowCounts `json:"rows"`
	Stages     []StageTiming        `json:"stages"`
	Outputs    []OutputFile         `json:"outputs"`
	Notes      map[string]any       `json:"notes,omitempty"`
}

// Versions records what produced a run.
type Versions struct {
	Lendscore string `json:"lendscore"`
	Commit    string `json:"commit"`
	Go        string `json:"go"`
	Model     string `json:"model_version,omitempty"`
}

// Input is one input file of a run.
type Input struct {
	Location string `json:"location"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	Rows     int64  `json:"rows"`
}

// RowCounts accounts for the rows of one input table: Input = Used + Quarantined, always.
type RowCounts struct {
	Input       int64            `json:"input"`
	Used        int64            `json:"used"`
	Quarantined int64            `json:"quarantined"`
	ByReason    map[string]int64 `json:"by_reason,omitempty"`
}

// Check reports an error when the counts do not add up.
func (c RowCounts) Check(table string) error {
	if c.Input != c.Used+c.Quarantined {
		return fmt.Errorf("rows of %s do not add up: input %d != used %d + quarantined %d", table, c.Input, c.Used, c.Quarantined)
	}
	var byReason int64
	for _, n := range c.ByReason {
		byReason += n
	}
	if len(c.ByReason) > 0 && byReason != c.Quarantined {
		return fmt.Errorf("rows of %s: quarantine reasons count %d, quarantined %d", table, byReason, c.Quarantined)
	}
	return nil
}

// StageTiming is the wall time of one stage.
type StageTiming struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	OK      bool    `json:"ok"`
}

// OutputFile is one file a run wrote, relative to the run's folder.
type OutputFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Latest is the content of latest.json.
type Latest struct {
	RunID string `json:"run_id"`
	Path  string `json:"path"`
	Kind  string `json:"kind"`
	AsOf  string `json:"as_of"`
	Model string `json:"model"`
}

// ErrNoRun is returned when an output has no published run yet.
var ErrNoRun = errors.New("no published run")

// ReadLatest reads latest.json under output and returns it with the location of the run it
// names.
func ReadLatest(ctx context.Context, st storage.Store, output storage.Location) (Latest, storage.Location, error) {
	loc, err := output.Join(LatestFile)
	if err != nil {
		return Latest{}, storage.Location{}, err
	}
	data, err := storage.ReadAll(ctx, st, loc)
	if err != nil {
		if errors.Is(err, storage.ErrNotExist) {
			return Latest{}, storage.Location{}, fmt.Errorf("%s: %w", output, ErrNoRun)
		}
		return Latest{}, storage.Location{}, err
	}
	var l Latest
	if err := json.Unmarshal(data, &l); err != nil {
		return Latest{}, storage.Location{}, fmt.Errorf("%s: not valid JSON: %w", loc, err)
	}
	if l.Path == "" {
		return Latest{}, storage.Location{}, fmt.Errorf("%s: no path", loc)
	}
	dir, err := output.Join(l.Path)
	if err != nil {
		return Latest{}, storage.Location{}, fmt.Errorf("%s: %w", loc, err)
	}
	return l, dir, nil
}

// ReadManifest reads the manifest of the run at dir.
func ReadManifest(ctx context.Context, st storage.Store, dir storage.Location) (*Manifest, error) {
	data, err := storage.ReadAll(ctx, st, dir.MustJoin(ManifestFile))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %w", dir.MustJoin(ManifestFile), err)
	}
	return &m, nil
}
