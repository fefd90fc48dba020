// Package train fits a credit scorecard on a flat modelling table: it applies the row rules
// of a modelling table (a usable label, finite numbers, unique ids, a known sample), assigns
// rows to the train, test and out-of-time samples, bins every candidate variable on the train
// sample, selects variables with the reason for every drop, fits the logistic regression on
// WOE values, scales points and scores every used row.
//
// Everything here is computation on plain data (a frame.Frame in, a Result out); reading
// inputs and publishing artifacts belong to the caller.
package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"lendscore/stages/frame"
)

// Sample names.
const (
	SampleTrain = "train"
	SampleTest  = "test"
	SampleOOT   = "oot"
)

// SampleNames lists the samples in report order.
var SampleNames = [...]string{SampleTrain, SampleTest, SampleOOT}

// Split says how rows are assigned to samples.
type Split struct {
	// Method is "column", "random" or "time".
	Method string
	// Column holds the sample of each row (method column) or its date (method time).
	Column string
	// TestFraction is the share of non-OOT rows that go to test (methods random and time),
	// drawn stratified by the label.
	TestFraction float64
	Seed         int64
	// OOTFrom starts the out-of-time sample (method time): rows dated on or after it.
	OOTFrom time.Time
}

// Prepared is a modelling table after the row rules: the label and sample of every row, and
// the reason each refused row was refused.
type Prepared struct {
	// Reasons has one entry per input row: "" for a used row, else why it was refused.
	Reasons []string
	// Used lists the input row numbers of the used rows, in input order.
	Used []int
	// Bad and Sample are indexed like Used: the label (1 = bad) and sample index (0 train,
	// 1 test, 2 oot).
	Bad    []int8
	Sample []uint8
	// IDs are the row ids of the used rows: the id column as text, or the row number.
	IDs []string
	// Refused counts refused rows by reason code (the text before the first ':').
	Refused map[string]int64
}

// Prepare applies the row rules to fr: the target must be present (its text equal to bad
// means bad, anything else good), the id must be unique (the first occurrence is kept), the
// sample column (method column) must say train, test or oot, and a numeric candidate variable
// must not be infinite. candidates are the columns whose values are checked.
func Prepare(fr *frame.Frame, target, bad, id string, split Split, candidates []string) (*Prepared, error) {
	tcol := fr.Column(target)
	if tcol == nil {
		return nil, fmt.Errorf("target column %q: not in the table", target)
	}
	var idcol *frame.Column
	if id != "" {
		if idcol = fr.Column(id); idcol == nil {
			return nil, fmt.Errorf("id column %q: not in the table", id)
		}
	}
	var scol *frame.Column
	if split.Method == "column" || split.Method == "time" {
		if scol = fr.Column(split.Column); scol == nil {
			return nil, fmt.Errorf("split column %q: not in the table", split.Column)
		}
	}
	var checks []*frame.Column
	for _, name := range candidates {
		if c := fr.Column(name); c != nil && c.Kind == frame.Numeric && c.NonFinite > 0 {
			checks = append(checks, c)
		}
	}
	p := &Prepared{Reasons: make([]string, fr.Rows), Refused: map[string]int64{}}
	seen := map[string]int{}
	ootFrom := split.OOTFrom.Format(time.DateOnly)
	for i := 0; i < fr.Rows; i++ {
		reason := ""
		tv, ok := tcol.Text(i)
		var y int8
		switch {
		case !ok:
			reason = "null_target:" + target
		case tv == bad:
			y = 1
		}
		var sample uint8
		if reason == "" && scol != nil {
			sv, ok := scol.Text(i)
			switch {
			case !ok:
				reason = "null_sample:" + scol.Name
			case split.Method == "column":
				s, known := sampleOf(sv)
				if !known {
					reason = fmt.Sprintf("invalid_sample:%s=%q", scol.Name, sv)
				}
				sample = s
			default: // time
				d, err := dateOf(sv)
				if err != nil {
					reason = fmt.Sprintf("invalid_date:%s=%q", scol.Name, sv)
				} else if d >= ootFrom {
					sample = 2
				} else {
					sample = 255 // decided below
				}
			}
		}
		if reason == "" {
			for _, c := range checks {
				if math.IsInf(c.Num[i], 0) {
					reason = "non_finite:" + c.Name
					break
				}
			}
		}
		rowID := fmt.Sprint(i)
		if reason == "" && idcol != nil {
			v, ok := idcol.Text(i)
			if !ok {
				reason = "null_id:" + id
			} else if first, dup := seen[v]; dup {
				reason = fmt.Sprintf("duplicate_key:%s (first at row %d)", id, first)
			} else {
				seen[v] = i
				rowID = v
			}
		}
		if reason != "" {
			p.Reasons[i] = reason
			code, _, _ := strings.Cut(reason, ":")
			p.Refused[code]++
			continue
		}
		p.Used = append(p.Used, i)
		p.Bad = append(p.Bad, y)
		p.Sample = append(p.Sample, sample)
		p.IDs = append(p.IDs, rowID)
	}
	if split.Method == "random" || split.Method == "time" || split.Method == "" {
		assignRandom(p.Bad, p.Sample, split)
	}
	return p, nil
}

func sampleOf(v string) (uint8, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "train", "training", "dev", "development":
		return 0, true
	case "test", "validation", "valid", "holdout":
		return 1, true
	case "oot", "out_of_time", "out-of-time":
		return 2, true
	}
	return 0, false
}

func dateOf(v string) (string, error) {
	v = strings.TrimSpace(v)
	if len(v) >= 10 {
		if _, err := time.Parse(time.DateOnly, v[:10]); err == nil {
			return v[:10], nil
		}
	}
	return "", fmt.Errorf("not a date")
}

// assignRandom assigns rows not yet in the OOT sample to train or test, stratified by the
// label: within each class the rows are shuffled with the seed and the first
// round(fraction·n) go to test. The same seed and rows give the same split.
func assignRandom(bad []int8, sample []uint8, split Split) {
	frac := split.TestFraction
	if frac <= 0 {
		frac = 0.3
	}
	rng := rand.New(rand.NewPCG(uint64(split.Seed), 0x6c656e6473636f72))
	idx := make([]int32, 0, len(bad))
	for class := int8(0); class <= 1; class++ {
		idx = idx[:0]
		for k := range bad {
			if bad[k] == class && (split.Method != "time" || sample[k] != 2) {
				idx = append(idx, int32(k))
			}
		}
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		nTest := int(math.Round(frac * float64(len(idx))))
		for j, k := range idx {
			if j < nTest {
				sample[k] = 1
			} else {
				sample[k] = 0
			}
		}
	}
}
