package report

import (
	"fmt"
	"math"
	"math/rand/v2"

	"lendscore/models/metrics"
	"lendscore/models/scorecard"
	"lendscore/pipeline"
	"lendscore/stages/train"
)

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// syntheticScorecard is a three-variable scorecard with a numeric variable
// holding a missing bin, a categorical one and a numeric one.
func syntheticScorecard() *scorecard.Scorecard {
	sc := &scorecard.Scorecard{
		Format: scorecard.FormatV1, Model: "synthetic", Version: "0a1b2c3d4e5f",
		Fingerprint: "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f9", Intercept: -1.2,
		Scaling: scorecard.DefaultScaling(), Grades: scorecard.DefaultGrades(), Tiers: scorecard.DefaultTiers(),
		Characteristics: []scorecard.Characteristic{
			{Name: "age", Kind: "numeric", Coefficient: -0.9, ReasonCode: "AGE", MissingAttribute: 4, Attributes: []scorecard.Attribute{
				{Label: "[-inf, 25)", Interval: true, Upper: ptr(25.0), WOE: -0.62},
				{Label: "[25, 35)", Interval: true, Lower: ptr(25.0), Upper: ptr(35.0), WOE: -0.15},
				{Label: "[35, 50)", Interval: true, Lower: ptr(35.0), Upper: ptr(50.0), WOE: 0.28},
				{Label: "[50, inf)", Interval: true, Lower: ptr(50.0), WOE: 0.55},
				{Label: "missing", Missing: true, WOE: -0.31},
			}},
			{Name: "purpose", Kind: "categorical", Coefficient: -0.8, ReasonCode: "PURPOSE", UnseenAttribute: 1, UnseenRule: "the riskiest bin", Attributes: []scorecard.Attribute{
				{Label: "{car, furniture}", Categories: []string{"car", "furniture"}, WOE: 0.35},
				{Label: "{cash, other}", Categories: []string{"cash", "other"}, WOE: -0.42},
				{Label: "{education}", Categories: []string{"education"}, WOE: 0.05},
			}},
			{Name: "income", Kind: "numeric", Coefficient: -1.1, ReasonCode: "INCOME", MissingAttribute: 0, Attributes: []scorecard.Attribute{
				{Label: "[-inf, 20000), missing", Interval: true, Missing: true, Upper: ptr(20000.0), WOE: -0.48},
				{Label: "[20000, 60000)", Interval: true, Lower: ptr(20000.0), Upper: ptr(60000.0), WOE: 0.08},
				{Label: "[60000, inf)", Interval: true, Lower: ptr(60000.0), WOE: 0.51},
			}},
		},
	}
	sc.AssignPoints()
	return sc
}

// attributeShares are the population shares of each characteristic's
// attributes; drift shifts them towards the risky attributes.
var attributeShares = [][]float64{
	{0.15, 0.30, 0.30, 0.20, 0.05},
	{0.45, 0.35, 0.20},
	{0.30, 0.45, 0.25},
}

// syntheticRun scores n rows per sample (train, test, oot) from the
// scorecard, drawing each attribute from attributeShares (oot drifted) and
// each label from the row's PD. It returns customer ids too, which must
// never reach a card.
func syntheticRun(sc *scorecard.Scorecard, n int, seed uint64) (samples []Sample, ids []string) {
	rng := rand.New(rand.NewPCG(seed, 99))
	maxPoints := sc.MaxPointsAll()
	for si, name := range []string{"train", "test", "oot"} {
		s := Sample{Name: name, Score: make([]float64, n), PD: make([]float64, n), Bad: make([]int8, n), Grade: make([]string, n),
			Attr: make([][]uint16, len(sc.Characteristics))}
		for c := range s.Attr {
			s.Attr[c] = make([]uint16, n)
		}
		attr := make([]int, len(sc.Characteristics))
		for k := range n {
			ids = append(ids, fmt.Sprintf("CUST-%07d", si*n+k))
			for c, shares := range attributeShares {
				u := rng.Float64()
				if name == "oot" {
					u = math.Pow(u, 1.4) // towards the first (riskier) attributes
				}
				a := 0
				for acc := shares[0]; u > acc && a < len(shares)-1; acc += shares[a] {
					a++
				}
				attr[c] = a
				s.Attr[c][k] = uint16(a)
			}
			r := sc.ScoreAttributes(attr, maxPoints)
			s.Score[k], s.PD[k], s.Grade[k] = float64(r.Score), r.PD, r.Grade
			if rng.Float64() < r.PD {
				s.Bad[k] = 1
			}
		}
		samples = append(samples, s)
	}
	// The scorecard's training counts are those of the train sample.
	for c := range sc.Characteristics {
		for a := range sc.Characteristics[c].Attributes {
			at := &sc.Characteristics[c].Attributes[a]
			at.Count, at.Bads = 0, 0
		}
		for k, a := range samples[0].Attr[c] {
			at := &sc.Characteristics[c].Attributes[a]
			at.Count++
			at.Bads += int(samples[0].Bad[k])
		}
		for a := range sc.Characteristics[c].Attributes {
			at := &sc.Characteristics[c].Attributes[a]
			if at.Count > 0 {
				at.EventRate = float64(at.Bads) / float64(at.Count)
			}
		}
	}
	return samples, ids
}

// syntheticCard validates a synthetic run and builds its train card.
func syntheticCard(n int) (Card, []string, error) {
	sc := syntheticScorecard()
	samples, ids := syntheticRun(sc, n, 7)
	v, err := Validate(ValidationInput{Samples: samples, Higher: metrics.HigherGood, Scorecard: sc}, DefaultThresholds())
	if err != nil {
		return Card{}, nil, err
	}
	card := Card{
		Kind: KindTrain,
		Model: ModelDetails{Name: "synthetic", Version: sc.Version, RunID: "20250101T000000Z-abc123", AsOf: "2025-01-01",
			LendscoreVersion: "0.1.0-test", Fingerprint: sc.Fingerprint},
		IntendedUse: "Pre-screening of consumer loan applications.",
		Data: Data{
			Sources: map[string][]pipeline.Input{"table": {{Location: "s3://bank/extracts/table.parquet", Size: 123456, SHA256: "9f86d081884c7d65", Rows: int64(3*n + 5)}}},
			Rows:    map[string]pipeline.RowCounts{"table": {Input: int64(3*n + 5), Used: int64(3 * n), Quarantined: 5, ByReason: map[string]int64{"duplicate_id": 2, "missing_target": 3}}},
			Target:  Target{Column: "default_flag", Bad: "1", Definition: "90+ days past due within 12 months of the observation date."},
			Split:   "random, 1/3 each in train, test and oot",
		},
		Scorecard: sc,
		Variables: []train.VariableReport{
			{Name: "age", Kind: "numeric", IV: 0.21, Selected: true, Coefficient: -0.9, StdErr: 0.08, PValue: 1e-12, VIF: 1.1, Bins: 5},
			{Name: "purpose", Kind: "categorical", IV: 0.15, Selected: true, Coefficient: -0.8, StdErr: 0.09, PValue: 2e-9, VIF: 1.05, Bins: 3},
			{Name: "income", Kind: "numeric", IV: 0.25, Selected: true, Coefficient: -1.1, StdErr: 0.07, PValue: 3e-15, VIF: 1.12, Bins: 3},
			{Name: "phone", Kind: "categorical", IV: 0.004, DroppedBecause: "IV 0.0040 below 0.0200", Bins: 2},
		},
		Correlation: &Correlation{Names: []string{"income", "age", "purpose"}, Matrix: [][]float64{{1, 0.21, -0.05}, {0.21, 1, 0.1}, {-0.05, 0.1, 1}}},
		Validation:  v,
		Notes:       []string{"Synthetic data for tests."},
	}
	return card, ids, nil
}
