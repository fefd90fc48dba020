package segment

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"lendscore/stages/frame"
)

// Outcomes are the optional per-row results a profile summarises; each slice is nil or has
// one entry per row of the frame.
type Outcomes struct {
	// Score is the scorecard score.
	Score []int32
	// PD is the probability of default.
	PD []float64
	// Grade is the master-scale grade ("" = none).
	Grade []string
	// Bad is the label: 1 = bad, 0 = good, any other value (e.g. −1) unlabelled.
	Bad []int8
	// Lifecycle is the lifecycle stage (see Lifecycle; "" = none).
	Lifecycle []string
}

// SegmentProfile describes one segment of a population.
type SegmentProfile struct {
	Segment int32 `json:"segment"`
	// Name, Tier and Traits come from the model (fixed at fit time, so a nightly run
	// reports the names and tiers CRM systems already know).
	Name   string `json:"name"`
	Tier   string `json:"tier"`
	Traits Traits `json:"traits"`
	// Rows and Share of the population.
	Rows  int     `json:"rows"`
	Share float64 `json:"share"`
	// Features are the means, in original units, of the segmentation features and then
	// of the value and delinquency role columns found in the frame.
	Features []FeatureMean `json:"features"`
	// Labelled rows, bads among them and their ratio (null without labels).
	Labelled int      `json:"labelled"`
	Bads     int      `json:"bads"`
	BadRate  OptFloat `json:"bad_rate"`
	// MeanScore and MeanPD over the rows with a score or a finite PD (null without).
	MeanScore OptFloat `json:"mean_score"`
	MeanPD    OptFloat `json:"mean_pd"`
	// Grades counts the rows by grade, in grade order; Lifecycle by stage, in the order of
	// Stages (then any other value).
	Grades    []Count `json:"grades,omitempty"`
	Lifecycle []Count `json:"lifecycle,omitempty"`
}

// FeatureMean is the mean of one column over a segment's rows with a finite value, beside
// the population's.
type FeatureMean struct {
	Name           string   `json:"name"`
	Mean           OptFloat `json:"mean"`
	PopulationMean OptFloat `json:"population_mean"`
	// MissingShare is the share of the segment's rows without a finite value.
	MissingShare float64 `json:"missing_share"`
}

// Count is the number of rows with one value, and their share of the segment.
type Count struct {
	Value string  `json:"value"`
	Rows  int     `json:"rows"`
	Share float64 `json:"share"`
}

// Profile summarises every segment of the model over the rows of fr, given their segments
// (from Assign) and optional outcomes. It returns one profile per segment, in segment
// order, including empty ones (Rows 0). The model's features must be numeric columns of
// fr; role columns that are absent are skipped.
func Profile(fr *frame.Frame, segments []int32, out Outcomes, m *Model) ([]SegmentProfile, error) {
	n := fr.Rows
	if len(segments) != n {
		return nil, fmt.Errorf("segment: profile: %d segments for %d rows", len(segments), n)
	}
	lengths := []struct {
		what string
		n    int
	}{{"scores", len(out.Score)}, {"PDs", len(out.PD)}, {"grades", len(out.Grade)}, {"labels", len(out.Bad)}, {"lifecycle stages", len(out.Lifecycle)}}
	for _, l := range lengths {
		if l.n != 0 && l.n != n {
			return nil, fmt.Errorf("segment: profile: %d %s for %d rows", l.n, l.what, n)
		}
	}
	k := m.K
	for i, s := range segments {
		if s < 1 || int(s) > k {
			return nil, fmt.Errorf("segment: profile: row %d has segment %d, the model has 1 to %d", i, s, k)
		}
	}
	names := make([]string, 0, len(m.Features)+len(m.Roles.Value)+1)
	for _, f := range m.Features {
		names = append(names, f.Name)
	}
	for _, name := range append(slices.Clone(m.Roles.Value), m.Roles.Delinquency) {
		if !slices.Contains(names, name) && numeric(fr, name) != nil {
			names = append(names, name)
		}
	}
	cols, err := numericColumns(fr, names)
	if err != nil {
		return nil, fmt.Errorf("segment: profile: %w", err)
	}

	ps := make([]SegmentProfile, k)
	rows := make([]int, k)
	for _, s := range segments {
		rows[s-1]++
	}
	for s := range ps {
		seg := m.Segments[s]
		ps[s] = SegmentProfile{
			Segment: seg.ID, Name: seg.Name, Tier: seg.Tier, Traits: seg.Traits,
			Rows: rows[s], Share: float64(rows[s]) / float64(max(n, 1)),
		}
	}
	for j, c := range cols {
		sums, counts := make([]float64, k), make([]int, k)
		var total float64
		var present int
		for i, v := range c {
			if finite(v) {
				sums[segments[i]-1] += v
				counts[segments[i]-1]++
				total += v
				present++
			}
		}
		pop := ratio(total, present)
		for s := range ps {
			ps[s].Features = append(ps[s].Features, FeatureMean{
				Name: names[j], Mean: ratio(sums[s], counts[s]), PopulationMean: pop,
				MissingShare: float64(rows[s]-counts[s]) / float64(max(rows[s], 1)),
			})
		}
	}
	outcomes(ps, segments, out)
	return ps, nil
}

// outcomes fills the bad rates, mean scores and PDs, grade and lifecycle mixes.
func outcomes(ps []SegmentProfile, segments []int32, out Outcomes) {
	k := len(ps)
	scoreSum, pdSum := make([]float64, k), make([]float64, k)
	scored, withPD := make([]int, k), make([]int, k)
	for i, s := range segments {
		p := &ps[s-1]
		if out.Bad != nil && (out.Bad[i] == 0 || out.Bad[i] == 1) {
			p.Labelled++
			p.Bads += int(out.Bad[i])
		}
		if out.Score != nil {
			scoreSum[s-1] += float64(out.Score[i])
			scored[s-1]++
		}
		if out.PD != nil && finite(out.PD[i]) {
			pdSum[s-1] += out.PD[i]
			withPD[s-1]++
		}
	}
	for s := range ps {
		ps[s].BadRate = ratio(float64(ps[s].Bads), ps[s].Labelled)
		ps[s].MeanScore = ratio(scoreSum[s], scored[s])
		ps[s].MeanPD = ratio(pdSum[s], withPD[s])
	}
	if out.Grade != nil {
		mixes(ps, segments, out.Grade, nil, func(p *SegmentProfile, c []Count) { p.Grades = c })
	}
	if out.Lifecycle != nil {
		mixes(ps, segments, out.Lifecycle, Stages(), func(p *SegmentProfile, c []Count) { p.Lifecycle = c })
	}
}

// mixes counts the non-empty values of each segment, ordered as in first (values listed
// there, in that order) and then by value, and hands each segment's counts to set.
func mixes(ps []SegmentProfile, segments []int32, values []string, first []string, set func(*SegmentProfile, []Count)) {
	counts := make([]map[string]int, len(ps))
	for s := range counts {
		counts[s] = map[string]int{}
	}
	for i, v := range values {
		if v != "" {
			counts[segments[i]-1][v]++
		}
	}
	for s := range ps {
		keys := make([]string, 0, len(counts[s]))
		for v := range counts[s] {
			keys = append(keys, v)
		}
		slices.SortFunc(keys, func(a, b string) int {
			ia, ib := slices.Index(first, a), slices.Index(first, b)
			switch {
			case ia >= 0 && ib >= 0:
				return ia - ib
			case ia >= 0:
				return -1
			case ib >= 0:
				return 1
			}
			return strings.Compare(a, b)
		})
		c := make([]Count, len(keys))
		for j, v := range keys {
			c[j] = Count{Value: v, Rows: counts[s][v], Share: float64(counts[s][v]) / float64(ps[s].Rows)}
		}
		set(&ps[s], c)
	}
}

// ratio is sum / n, NaN (null) when n is 0.
func ratio(sum float64, n int) OptFloat {
	if n == 0 {
		return OptFloat(math.NaN())
	}
	return OptFloat(sum / float64(n))
}
