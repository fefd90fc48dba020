package segment

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"lendscore/models/kmeans"
	"lendscore/stages/frame"
)

// FormatVersion is the version of the segments.json layout that Marshal writes and Load
// reads.
const FormatVersion = 1

// ArtifactPath is where a run stores the model, relative to the run folder.
const ArtifactPath = "model/segments.json"

// Model is a fitted segmentation: everything needed to assign customers to segments and
// to name them, as the JSON artifact model/segments.json.
type Model struct {
	FormatVersion int `json:"format_version"`
	// Features are the segmentation features with their standardisation, in centroid
	// coordinate order.
	Features []Feature `json:"features"`
	// K is the number of segments, numbered 1 … K.
	K int `json:"k"`
	// Seed and Restarts are those of the fit.
	Seed     uint64 `json:"seed"`
	Restarts int    `json:"restarts"`
	// TrainingRows is the number of rows of the training frame and FitRows the number of
	// them the centroids were computed on (a deterministic sample).
	TrainingRows int `json:"training_rows"`
	FitRows      int `json:"fit_rows"`
	// Inertia is the k-means inertia on the FitRows rows, in standardised units.
	Inertia float64 `json:"inertia"`
	// Silhouette is the mean silhouette on a sample of the fit rows (null when the
	// sample holds a single segment).
	Silhouette OptFloat `json:"silhouette"`
	// KScores lists the silhouette of every k tried when K was chosen.
	KScores []KScore `json:"k_scores,omitempty"`
	// Roles and Lifecycle are the columns and rules the traits and lifecycle read.
	Roles          Roles          `json:"roles"`
	LifecycleRules LifecycleRules `json:"lifecycle"`
	// Segments in segment order: Segments[s-1] is segment s.
	Segments []Segment `json:"segments"`

	km *kmeans.Model
}

// KScore is the silhouette of one candidate k.
type KScore struct {
	K          int      `json:"k"`
	Silhouette OptFloat `json:"silhouette"`
}

// Segment is one segment of a model.
type Segment struct {
	// ID is the segment number, 1 … K.
	ID int32 `json:"id"`
	// Name is unique within the model; Tier is VIP, standard or basic.
	Name string `json:"name"`
	Tier string `json:"tier"`
	// Rows and Share are the training rows assigned to it.
	Rows  int     `json:"training_rows"`
	Share float64 `json:"training_share"`
	// Centroid is in standardised units; CentroidOriginal maps each coordinate back to the
	// feature's units (for a log feature, the geometric-style centre exp(mean ln(1+x)) − 1,
	// not the arithmetic mean, which Profile reports).
	Centroid         []float64 `json:"centroid_z"`
	CentroidOriginal []float64 `json:"centroid_original"`
	// Traits are the training profile readings the name and tier come from.
	Traits Traits `json:"traits"`
}

// Fit standardises the features of fr, clusters the rows with k-means (K fixed or chosen
// by silhouette), orders the segments canonically and names them. See the package
// documentation.
func Fit(ctx context.Context, fr *frame.Frame, opts Options) (*Model, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cols, err := numericColumns(fr, o.Features)
	if err != nil {
		return nil, fmt.Errorf("segment: %w", err)
	}
	n := fr.Rows
	if o.PD != nil && len(o.PD) != n {
		return nil, fmt.Errorf("segment: %d PDs for %d rows", len(o.PD), n)
	}
	m := &Model{
		FormatVersion: FormatVersion, Seed: o.Seed, Restarts: o.Restarts, TrainingRows: n,
		Roles: o.Roles, LifecycleRules: o.Lifecycle,
	}
	if m.Restarts == 0 {
		m.Restarts = kmeans.DefaultRestarts
	}
	for j, name := range o.Features {
		f, err := fitFeature(name, slices.Contains(o.Log, name), slices.Contains(o.ImputeMax, name), cols[j])
		if err != nil {
			return nil, fmt.Errorf("segment: %w", err)
		}
		m.Features = append(m.Features, f)
	}
	d := len(m.Features)

	sampleRows := o.SampleRows
	if sampleRows == 0 {
		sampleRows = kmeans.DefaultSampleRows
	}
	if sampleRows < 0 {
		sampleRows = n
	}
	idx := kmeans.Sample(n, sampleRows, o.Seed)
	x := make([]float64, len(idx)*d)
	for r, i := range idx {
		m.standardiseRow(x[r*d:r*d+d], cols, i)
	}
	kopts := kmeans.Options{Restarts: o.Restarts, Seed: o.Seed, SampleRows: -1, SilhouetteSample: o.SilhouetteSample}
	var km *kmeans.Model
	if o.K == 0 {
		var scores []float64
		km, scores, err = kmeans.ChooseK(ctx, x, d, o.KMin, min(o.KMax, len(idx)), kopts)
		for i, s := range scores {
			m.KScores = append(m.KScores, KScore{K: o.KMin + i, Silhouette: silhouetteOrNull(s)})
		}
	} else {
		km, err = kmeans.Fit(ctx, x, d, o.K, kopts)
	}
	if err != nil {
		return nil, fmt.Errorf("segment: %w", err)
	}
	o.Logger.Debug("segment: k-means fitted", "k", km.K, "rows", len(idx), "iterations", km.Iterations, "inertia", km.Inertia)
	m.K, m.FitRows, m.Inertia = km.K, km.FitRows, km.Inertia

	if o.K == 0 {
		m.Silhouette = m.KScores[km.K-o.KMin].Silhouette
	} else {
		sampleLabels := make([]int32, len(idx))
		if err := km.AssignTo(sampleLabels, x); err != nil {
			return nil, fmt.Errorf("segment: %w", err)
		}
		s, err := kmeans.Silhouette(x, d, sampleLabels, km.K, silhouetteSample(o), o.Seed)
		if err != nil {
			s = math.NaN() // the sample holds a single segment
		}
		m.Silhouette = silhouetteOrNull(s)
	}

	// Label every training row with the fitted (unordered) clusters, read the traits on
	// the fit sample, then renumber the clusters in canonical order.
	raw := make([]int32, n)
	km.AssignRows(raw, func(dst []float64, lo, hi int) {
		for i := lo; i < hi; i++ {
			m.standardiseRow(dst[(i-lo)*d:(i-lo)*d+d], cols, i)
		}
	})
	traits := computeTraits(sampledColumns(fr, idx), gather(raw, idx), km.K, o, gather(o.PD, idx))
	order := canonicalOrder(traits, km.Centroids)
	rank := make([]int, km.K)
	for s, j := range order {
		rank[j] = s
	}
	sizes := make([]int, km.K)
	for _, l := range raw {
		sizes[rank[l]]++
	}
	centroids := make([][]float64, km.K)
	ordered := make([]Traits, km.K)
	for s, j := range order {
		centroids[s] = km.Centroids[j]
		ordered[s] = traits[j]
	}
	names := uniqueNames(ordered, centroids, m.Features)
	for s := range order {
		seg := Segment{
			ID: int32(s + 1), Name: names[s], Tier: Tier(ordered[s].Value, ordered[s].Risk),
			Rows: sizes[s], Share: float64(sizes[s]) / float64(n),
			Centroid: centroids[s], CentroidOriginal: make([]float64, d),
			Traits: ordered[s],
		}
		for t, z := range seg.Centroid {
			seg.CentroidOriginal[t] = m.Features[t].Original(z)
		}
		m.Segments = append(m.Segments, seg)
	}
	if m.km, err = kmeans.New(centroids); err != nil {
		return nil, fmt.Errorf("segment: %w", err)
	}
	return m, nil
}

// sampledColumns returns the numeric columns of fr restricted to the rows idx.
func sampledColumns(fr *frame.Frame, idx []int) columnSource {
	return func(name string) []float64 { return gather(numeric(fr, name), idx) }
}

// gather returns v[idx[0]], v[idx[1]], …: v itself when idx lists every row, nil for nil.
func gather[T any](v []T, idx []int) []T {
	if v == nil || len(idx) == len(v) {
		return v
	}
	out := make([]T, len(idx))
	for r, i := range idx {
		out[r] = v[i]
	}
	return out
}

func silhouetteSample(o Options) int {
	if o.SilhouetteSample == 0 {
		return kmeans.DefaultSilhouetteSample
	}
	return o.SilhouetteSample
}

func silhouetteOrNull(s float64) OptFloat {
	if s == -1 {
		return OptFloat(math.NaN()) // kmeans.ChooseK's mark of a single-cluster sample
	}
	return OptFloat(s)
}

// standardiseRow writes the z-scores of row i of cols into dst.
func (m *Model) standardiseRow(dst []float64, cols [][]float64, i int) {
	for j := range m.Features {
		dst[j] = m.Features[j].Standardise(cols[j][i])
	}
}

// Assign returns the segment (1 … K) of every row of fr: the nearest centroid, in
// standardised units, of the row's standardised features (missing values at the training
// mean). Every feature of the model must be a numeric column of fr. Rows are processed in
// parallel; the result does not depend on GOMAXPROCS.
func (m *Model) Assign(fr *frame.Frame) ([]int32, error) {
	names := make([]string, len(m.Features))
	for j, f := range m.Features {
		names[j] = f.Name
	}
	cols, err := numericColumns(fr, names)
	if err != nil {
		return nil, fmt.Errorf("segment: assign: %w", err)
	}
	d := len(m.Features)
	labels := make([]int32, fr.Rows)
	m.km.AssignRows(labels, func(dst []float64, lo, hi int) {
		for i := lo; i < hi; i++ {
			m.standardiseRow(dst[(i-lo)*d:(i-lo)*d+d], cols, i)
		}
	})
	for i := range labels {
		labels[i]++
	}
	return labels, nil
}

// Name returns the name of segment id, or "" when there is no such segment.
func (m *Model) Name(id int32) string {
	if id < 1 || int(id) > len(m.Segments) {
		return ""
	}
	return m.Segments[id-1].Name
}

// Lifecycle returns the lifecycle stage of every row of fr by the model's rules.
func (m *Model) Lifecycle(fr *frame.Frame) ([]string, error) {
	return Lifecycle(fr, m.LifecycleRules)
}

// Marshal returns the model as indented JSON (the segments.json artifact). The same model
// always gives the same bytes.
func (m *Model) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("segment: marshal: %w", err)
	}
	return append(b, '\n'), nil
}

// Load reads a model written by Marshal and checks it.
func Load(data []byte) (*Model, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("segment: load: %w", err)
	}
	if m.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("segment: load: format version %d, want %d", m.FormatVersion, FormatVersion)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("segment: load: %w", err)
	}
	centroids := make([][]float64, len(m.Segments))
	for s, seg := range m.Segments {
		centroids[s] = seg.Centroid
	}
	km, err := kmeans.New(centroids)
	if err != nil {
		return nil, fmt.Errorf("segment: load: %w", err)
	}
	m.km = km
	return &m, nil
}

// check validates a decoded model.
func (m *Model) check() error {
	d := len(m.Features)
	if d == 0 {
		return fmt.Errorf("no features")
	}
	for _, f := range m.Features {
		if !finite(f.Mean) || !(f.Std > 0) || math.IsInf(f.Std, 0) || !finite(f.MissingZ) {
			return fmt.Errorf("feature %s: mean %v std %v missing z %v", f.Name, f.Mean, f.Std, f.MissingZ)
		}
	}
	if m.K < 2 || len(m.Segments) != m.K {
		return fmt.Errorf("k = %d with %d segments", m.K, len(m.Segments))
	}
	seen := map[string]bool{}
	for s, seg := range m.Segments {
		if seg.ID != int32(s+1) {
			return fmt.Errorf("segment %d has id %d", s+1, seg.ID)
		}
		if len(seg.Centroid) != d {
			return fmt.Errorf("segment %d: centroid has %d coordinates for %d features", seg.ID, len(seg.Centroid), d)
		}
		if seen[seg.Name] {
			return fmt.Errorf("segment %d: name %q is used twice", seg.ID, seg.Name)
		}
		seen[seg.Name] = true
	}
	return nil
}

// OptFloat is a float64 that is null in JSON when it is NaN (not available).
type OptFloat float64

// MarshalJSON writes null for NaN and ±Inf and the shortest exact decimal otherwise.
func (f OptFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads null as NaN.
func (f *OptFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = OptFloat(math.NaN())
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("segment: %s is not a number", b)
	}
	*f = OptFloat(v)
	return nil
}
