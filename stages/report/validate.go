package report

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"

	"lendscore/models/metrics"
	"lendscore/models/scorecard"
)

// Sample is the scored rows of one sample (train, test, oot, a value of
// `evaluate --by`, a backtest snapshot). Every slice is indexed by row.
type Sample struct {
	// Name is the sample's name in reports; unique within a ValidationInput.
	Name string
	// Score is the score of each row; ValidationInput.Higher says what a
	// higher score means. Required.
	Score []float64
	// Bad is the label of each row, 1 = bad. Required.
	Bad []int8
	// PD is the probability of default of each row. Optional: without it
	// there is no Brier score, log-loss, Hosmer-Lemeshow or calibration.
	PD []float64
	// Grade is the rating grade of each row. Optional: calibration per grade
	// needs it and PD; grade concentration (HHI) needs it.
	Grade []string
	// Attr is the attribute (bin) index of each row per scorecard
	// characteristic, indexed [characteristic][row] in the order of
	// ValidationInput.Scorecard.Characteristics. Optional: the CSI of each
	// variable needs it.
	Attr [][]uint16
	// Summary, when set, holds the sample summarised (SummaryBuilder) in
	// place of its rows: the slices above are then nil. Validate summarises
	// a sample given as rows the same way, so both give the same figures.
	Summary *Summary
}

// Baseline is what a backtest compares against: the development figures as
// the train run published them.
type Baseline struct {
	// Name labels the baseline in reports (default "development").
	Name string `json:"name"`
	// Score is the development score distribution (Validation.ReferenceScore
	// of the train run); PSI of the score needs it.
	Score *ScoreBins `json:"score,omitempty"`
	// AUC is the development AUC with its DeLong standard error (auc and
	// auc_se of the development sample); the AUC change needs it.
	AUC *metrics.AUCEstimate `json:"auc,omitempty"`
}

// ValidationInput is everything Validate reads.
type ValidationInput struct {
	// Samples in report order.
	Samples []Sample
	// Higher says what a higher score means: metrics.HigherGood for
	// scorecard points (note: the zero value is metrics.HigherBad).
	Higher metrics.Higher
	// Reference names the sample that stability (PSI, CSI) is measured
	// against (default "train"). Ignored when Baseline is set.
	Reference string
	// Baseline, when set, replaces the reference sample: a backtest measures
	// PSI, CSI and the AUC change against development.
	Baseline *Baseline
	// Scorecard, when set, gives the characteristics for CSI (their training
	// counts are the development distribution when the reference sample has
	// no Attr) and the master scale of grades for HHI.
	Scorecard *scorecard.Scorecard
	// Groups is the number of gains and Hosmer-Lemeshow groups (0: deciles).
	Groups int
	// PSIBins is the number of quantile bins of the score PSI (0: 10).
	PSIBins int
	// CurvePoints bounds the points of each ROC and KS curve (0: 200).
	CurvePoints int
	// HistogramBins is the number of score bins of the goods/bads
	// distribution chart (0: 20).
	HistogramBins int
}

// DefaultHistogramBins is the number of score histogram bins when
// ValidationInput.HistogramBins is 0.
const DefaultHistogramBins = 20

// DefaultReference is the sample stability is measured against by default.
const DefaultReference = "train"

// DefaultBaselineName labels a Baseline without a name.
const DefaultBaselineName = "development"

// Figures that carry a traffic light (Light.Figure).
const (
	FigureAUC      = "auc"
	FigureKS       = "ks"
	FigureHL       = "hosmer_lemeshow_p"
	FigureJeffreys = "jeffreys_p"
	FigureHHI      = "hhi"
	FigurePSI      = "psi_score"
	FigureCSI      = "csi"
	FigureAUCDrop  = "auc_drop_p"
	FigureDRRatio  = "default_rate_ratio"
)

// Light is the traffic light of one figure of one sample.
type Light struct {
	Figure string `json:"figure"`
	Sample string `json:"sample"`
	// Subject is the grade (jeffreys_p) or variable (csi) the figure is of.
	Subject string  `json:"subject,omitempty"`
	Value   float64 `json:"value"`
	Status  Status  `json:"status"`
	// Rule is the band applied, e.g. "green < 0.1, amber < 0.25".
	Rule string `json:"rule"`
}

// ScoreBins is a score distribution over quantile bins: bin 0 is
// (−∞, Edges[0]], bin i is (Edges[i−1], Edges[i]], the last is
// (Edges[k−1], +∞).
type ScoreBins struct {
	Edges  []float64 `json:"edges"`
	Counts []float64 `json:"counts"`
}

// NewScoreBins cuts score into bins quantile bins (0: 10) as metrics.PSI
// does, so that PSI against the result equals metrics.PSI against score.
func NewScoreBins(score []float64, bins int) (*ScoreBins, error) {
	values, rows, err := countScores(score)
	if err != nil {
		return nil, err
	}
	return scoreBinsOfCounts(values, rows, bins)
}

// countScores returns the distinct scores in increasing order with their
// rows.
func countScores(score []float64) (values []float64, rows []int, err error) {
	var c metrics.ScoreCounts
	for _, v := range score {
		c.Add(v, 0)
	}
	values, rows, _, err = c.Values()
	return values, rows, err
}

// scoreBinsOfCounts is NewScoreBins of the scores values with rows rows
// each.
func scoreBinsOfCounts(values []float64, rows []int, bins int) (*ScoreBins, error) {
	if bins == 0 {
		bins = metrics.DefaultPSIBins
	}
	edges, err := metrics.QuantileEdgesOfCounts(values, rows, bins)
	if err != nil {
		return nil, err
	}
	if edges == nil {
		edges = []float64{}
	}
	return &ScoreBins{Edges: edges, Counts: binCounts(values, rows, edges)}, nil
}

// binCounts counts the scores values, rows each, into the bins of edges.
func binCounts(values []float64, rows []int, edges []float64) []float64 {
	counts := make([]float64, len(edges)+1)
	for i, v := range values {
		counts[sort.SearchFloat64s(edges, v)] += float64(rows[i])
	}
	return counts
}

// PSI returns the population stability index of score against b.
func (b *ScoreBins) PSI(score []float64) (float64, error) {
	values, rows, err := countScores(score)
	if err != nil {
		return 0, err
	}
	return b.psiOfCounts(values, rows)
}

// psiOfCounts is PSI of the scores values with rows rows each.
func (b *ScoreBins) psiOfCounts(values []float64, rows []int) (float64, error) {
	if len(b.Counts) != len(b.Edges)+1 {
		return 0, fmt.Errorf("%w: %d score bins for %d edges", metrics.ErrInput, len(b.Counts), len(b.Edges))
	}
	if !slices.IsSorted(b.Edges) {
		return 0, fmt.Errorf("%w: bin edges are not ascending", metrics.ErrInput)
	}
	return metrics.PSIFromCounts(b.Counts, binCounts(values, rows, b.Edges))
}

// Histogram counts goods and bads over equal-width score bins shared by all
// samples: bin i is [Edges[i], Edges[i+1]), the last bin closed.
type Histogram struct {
	Edges []float64 `json:"edges"`
	Goods []int     `json:"goods"`
	Bads  []int     `json:"bads"`
}

// GradeRow is the calibration of one grade with the traffic light of its
// Jeffreys test.
type GradeRow struct {
	metrics.GradeCalibration
	Light Status `json:"light"`
}

// Concentration is the Herfindahl-Hirschman index of a sample's grade
// distribution over Grades grades (the master scale when the scorecard is
// known, else the grades seen).
type Concentration struct {
	HHI        float64 `json:"hhi"`
	Normalized float64 `json:"hhi_normalized"`
	Grades     int     `json:"grades"`
	Light      Status  `json:"light"`
}

// CSI is the characteristic stability index of one scorecard variable:
// PSI over its attributes between the reference (Expected) and the sample
// (Actual) counts.
type CSI struct {
	Variable string    `json:"variable"`
	CSI      float64   `json:"csi"`
	Light    Status    `json:"light"`
	Expected []float64 `json:"expected"`
	Actual   []float64 `json:"actual"`
}

// AUCChange compares a sample's AUC (AUC1) with development's (AUC2) as
// independent samples; PDrop is the one-sided p-value of "the AUC has not
// fallen", Φ(Z).
type AUCChange struct {
	metrics.AUCComparison
	PDrop float64 `json:"p_drop"`
	Light Status  `json:"light"`
}

// SampleReport holds the validation figures of one sample. A figure the
// sample cannot support (too few bads, no PD) is absent and Notes says why.
type SampleReport struct {
	Name string `json:"name"`
	// Rows and Bads count the sample's rows and bads, whatever else it
	// supports.
	Rows           int                           `json:"rows"`
	Bads           int                           `json:"bads"`
	Metrics        *metrics.SampleMetrics        `json:"metrics,omitempty"`
	Gains          []metrics.GainsRow            `json:"gains,omitempty"`
	HosmerLemeshow *metrics.HosmerLemeshowResult `json:"hosmer_lemeshow,omitempty"`
	ROC            []metrics.ROCPoint            `json:"roc,omitempty"`
	KSCurve        []metrics.KSPoint             `json:"ks_curve,omitempty"`
	Histogram      *Histogram                    `json:"score_histogram,omitempty"`
	Calibration    []GradeRow                    `json:"calibration,omitempty"`
	HHI            *Concentration                `json:"grade_concentration,omitempty"`
	// PSI is the score PSI against the reference; absent for the reference
	// itself.
	PSI       *float64   `json:"psi_score,omitempty"`
	CSI       []CSI      `json:"csi,omitempty"`
	AUCChange *AUCChange `json:"auc_change,omitempty"`
	// CentralTendency compares the sample's observed default rate with its mean PD.
	CentralTendency *CentralTendency `json:"central_tendency,omitempty"`
	Notes           []string         `json:"notes,omitempty"`
}

// CentralTendency is the calibration of a whole sample: observed default rate against mean
// PD, their ratio, and the Jeffreys test of the mean PD against the sample's defaults.
type CentralTendency struct {
	ObservedDR float64 `json:"observed_default_rate"`
	MeanPD     float64 `json:"mean_pd"`
	Ratio      float64 `json:"ratio"`
	JeffreysP  float64 `json:"jeffreys_p"`
	Light      Status  `json:"light"`
}

// Validation is the result of Validate, ready to be merged into
// metrics.json.
type Validation struct {
	// Higher is what a higher score means: "good" or "bad".
	Higher string `json:"higher"`
	// Reference names the distribution PSI and CSI are measured against;
	// empty when there is none.
	Reference string `json:"reference,omitempty"`
	// ReferenceScore is the reference score distribution over the PSI bins;
	// a backtest of this model passes it back as Baseline.Score.
	ReferenceScore *ScoreBins     `json:"reference_score_bins,omitempty"`
	Thresholds     Thresholds     `json:"thresholds"`
	Samples        []SampleReport `json:"samples"`
	// Lights lists every traffic light: by sample, then figure.
	Lights []Light `json:"traffic_lights"`
	// Status is the worst light; empty when there are none.
	Status Status   `json:"status"`
	Notes  []string `json:"notes,omitempty"`
}

// Sample returns the report of the named sample, or nil.
func (v *Validation) Sample(name string) *SampleReport {
	for i := range v.Samples {
		if v.Samples[i].Name == name {
			return &v.Samples[i]
		}
	}
	return nil
}

// Stability returns the stability figures under the keys of metrics.json:
// "psi_score_<reference>_<sample>" and "csi_<variable>_<reference>_<sample>".
func (v *Validation) Stability() map[string]float64 {
	out := map[string]float64{}
	for _, s := range v.Samples {
		if s.PSI != nil {
			out["psi_score_"+v.Reference+"_"+s.Name] = *s.PSI
		}
		for _, c := range s.CSI {
			out["csi_"+c.Variable+"_"+v.Reference+"_"+s.Name] = c.CSI
		}
	}
	return out
}

// Validate computes the validation figures of every sample in in and marks
// each with a traffic light from th (zero bands take their defaults).
//
// Every figure comes from the sample's summary (its own, or one made of its
// rows; see Summary). Per sample: AUC with DeLong interval, Gini and KS
// (metrics.Ranking), Brier and log-loss (metrics.Calibrate), the gains table
// by score group, ROC and KS curves, the
// goods/bads score histogram, Hosmer-Lemeshow (with PD), calibration per
// grade with binomial and Jeffreys tests (with PD and grades), the HHI of the
// grade distribution (with grades), PSI of the score and CSI of each
// scorecard variable (with Attr) against the reference, and the AUC change
// against Baseline.AUC.
//
// Malformed input (mismatched lengths, labels other than 0/1, NaN scores,
// PDs outside [0, 1], attribute indices out of range) is an error. A figure
// that the data cannot support — a sample with fewer than two bads or
// goods, PDs too uniform for Hosmer-Lemeshow groups — is left out with a
// note, so that one thin `--by` group does not fail a run.
func Validate(in ValidationInput, th Thresholds) (*Validation, error) {
	th, err := th.resolve()
	if err != nil {
		return nil, err
	}
	if in.Higher != metrics.HigherBad && in.Higher != metrics.HigherGood {
		return nil, fmt.Errorf("validate: %v is not a score direction", in.Higher)
	}
	if len(in.Samples) == 0 {
		return nil, errors.New("validate: no samples")
	}
	if err := checkSamples(in); err != nil {
		return nil, err
	}
	sums, err := summaries(in)
	if err != nil {
		return nil, err
	}
	v := &Validation{Higher: in.Higher.String(), Thresholds: th, Samples: make([]SampleReport, len(in.Samples))}

	ref, err := reference(in, sums, v)
	if err != nil {
		return nil, err
	}
	hist := histogramEdges(in, sums)
	// Samples are independent: up to GOMAXPROCS of them at once, each
	// writing only its own report, so the result does not depend on the
	// parallelism.
	errs := make([]error, len(in.Samples))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range in.Samples {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			s, sum := &in.Samples[i], sums[i]
			r := &v.Samples[i]
			r.Name, r.Rows, r.Bads = s.Name, sum.Rows(), sum.Bads()
			if err := sampleFigures(in, sum, r, th, hist); err != nil {
				errs[i] = fmt.Errorf("validate: sample %s: %w", s.Name, err)
				return
			}
			stability(in, s, sum, r, ref, th)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err // the first failing sample, in input order
		}
	}
	for _, r := range v.Samples {
		v.Lights = append(v.Lights, r.lights(th)...)
	}
	for _, l := range v.Lights {
		v.Status = worse(v.Status, l.Status)
	}
	return v, nil
}

// checkSamples verifies names, lengths, PD ranges and attribute shapes.
func checkSamples(in ValidationInput) error {
	seen := map[string]bool{}
	for _, s := range in.Samples {
		switch {
		case s.Name == "":
			return errors.New("validate: a sample without a name")
		case seen[s.Name]:
			return fmt.Errorf("validate: sample %s twice", s.Name)
		case s.Summary != nil && (s.Score != nil || s.Bad != nil || s.PD != nil || s.Grade != nil || s.Attr != nil):
			return fmt.Errorf("validate: sample %s has both rows and a summary", s.Name)
		case s.Summary != nil && s.Summary.attr != nil && (in.Scorecard == nil || len(s.Summary.attr) != len(in.Scorecard.Characteristics)):
			return fmt.Errorf("validate: sample %s counts the attributes of another scorecard", s.Name)
		}
		seen[s.Name] = true
		if s.Summary != nil {
			continue
		}
		n := len(s.Score)
		if len(s.Bad) != n {
			return fmt.Errorf("validate: sample %s: %d scores but %d labels", s.Name, n, len(s.Bad))
		}
		if s.PD != nil && len(s.PD) != n {
			return fmt.Errorf("validate: sample %s: %d scores but %d PDs", s.Name, n, len(s.PD))
		}
		if s.Grade != nil && len(s.Grade) != n {
			return fmt.Errorf("validate: sample %s: %d scores but %d grades", s.Name, n, len(s.Grade))
		}
		for k, p := range s.PD {
			if !(p >= 0 && p <= 1) {
				return fmt.Errorf("validate: sample %s: PD %v at row %d is not a probability", s.Name, p, k)
			}
		}
		if s.Attr == nil {
			continue
		}
		if in.Scorecard == nil {
			return fmt.Errorf("validate: sample %s has attribute indices but there is no scorecard", s.Name)
		}
		chars := in.Scorecard.Characteristics
		if len(s.Attr) != len(chars) {
			return fmt.Errorf("validate: sample %s: attribute indices for %d characteristics, the scorecard has %d", s.Name, len(s.Attr), len(chars))
		}
		for c, idx := range s.Attr {
			if len(idx) != n {
				return fmt.Errorf("validate: sample %s: %d attribute indices of %s for %d rows", s.Name, len(idx), chars[c].Name, n)
			}
			na := len(chars[c].Attributes)
			for k, a := range idx {
				if int(a) >= na {
					return fmt.Errorf("validate: sample %s: attribute %d of %s at row %d is out of range [0, %d)", s.Name, a, chars[c].Name, k, na)
				}
			}
		}
	}
	return nil
}

// summaries returns the summary of every sample: its own, or one made of
// its rows.
func summaries(in ValidationInput) ([]*Summary, error) {
	out := make([]*Summary, len(in.Samples))
	for i, s := range in.Samples {
		if s.Summary != nil {
			out[i] = s.Summary
			continue
		}
		b := NewSummaryBuilder(in.Scorecard, s.Attr != nil, nil)
		rows := s
		rows.Name = ""
		if err := b.Add(rows); err != nil {
			return nil, fmt.Errorf("validate: sample %s: %w", s.Name, err)
		}
		sum, err := b.Summary()
		if err != nil {
			return nil, fmt.Errorf("validate: sample %s: %w", s.Name, err)
		}
		out[i] = sum
	}
	return out, nil
}

// referenceData is the distribution stability is measured against.
type referenceData struct {
	name   string
	sample *Sample     // the reference sample, when it is one of in.Samples
	sum    *Summary    // its summary
	score  *ScoreBins  // nil: no PSI
	attr   [][]float64 // expected counts per characteristic; nil: no CSI
	auc    *metrics.AUCEstimate
}

// reference finds the reference distribution and records it in v.
func reference(in ValidationInput, sums []*Summary, v *Validation) (*referenceData, error) {
	ref := &referenceData{}
	if b := in.Baseline; b != nil {
		ref.name = b.Name
		if ref.name == "" {
			ref.name = DefaultBaselineName
		}
		ref.score, ref.auc = b.Score, b.AUC
		if b.Score == nil {
			v.Notes = append(v.Notes, "the baseline has no score distribution: no PSI of the score")
		}
	} else {
		ref.name = in.Reference
		if ref.name == "" {
			ref.name = DefaultReference
		}
		for i := range in.Samples {
			if in.Samples[i].Name == ref.name {
				ref.sample, ref.sum = &in.Samples[i], sums[i]
			}
		}
		if ref.sample == nil {
			if len(in.Samples) > 1 || in.Reference != "" {
				v.Notes = append(v.Notes, fmt.Sprintf("no sample %q to measure stability against: no PSI or CSI", ref.name))
			}
			return ref, nil
		}
		sb, err := scoreBinsOfCounts(ref.sum.values, ref.sum.valueRows, in.PSIBins)
		if err != nil {
			return nil, fmt.Errorf("validate: reference sample %s: %w", ref.name, err)
		}
		ref.score = sb
	}
	v.Reference = ref.name
	v.ReferenceScore = ref.score
	if sc := in.Scorecard; sc != nil {
		ref.attr = make([][]float64, len(sc.Characteristics))
		for c := range sc.Characteristics {
			ch := &sc.Characteristics[c]
			if ref.sum != nil && ref.sum.attr != nil {
				ref.attr[c] = ref.sum.attr[c]
				continue
			}
			counts := make([]float64, len(ch.Attributes))
			for a, at := range ch.Attributes {
				counts[a] = float64(at.Count)
			}
			ref.attr[c] = counts
		}
	}
	return ref, nil
}

// histogramEdges returns equal-width edges spanning the scores of every
// sample.
func histogramEdges(in ValidationInput, sums []*Summary) []float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range sums {
		if v := s.values; len(v) > 0 {
			lo, hi = math.Min(lo, v[0]), math.Max(hi, v[len(v)-1])
		}
	}
	if lo > hi {
		return nil
	}
	if hi == lo {
		lo, hi = lo-0.5, hi+0.5
	}
	bins := in.HistogramBins
	if bins <= 0 {
		bins = DefaultHistogramBins
	}
	edges := make([]float64, bins+1)
	for i := range edges {
		edges[i] = lo + (hi-lo)*float64(i)/float64(bins)
	}
	edges[bins] = hi
	return edges
}

func histogram(edges []float64, s *Summary) *Histogram {
	bins := len(edges) - 1
	h := &Histogram{Edges: edges, Goods: make([]int, bins), Bads: make([]int, bins)}
	lo, width := edges[0], (edges[bins]-edges[0])/float64(bins)
	for k, x := range s.values {
		b := min(max(int((x-lo)/width), 0), bins-1)
		h.Bads[b] += s.valueBads[k]
		h.Goods[b] += s.valueRows[k] - s.valueBads[k]
	}
	return h
}

// sampleFigures computes the figures of one sample that need no reference.
func sampleFigures(in ValidationInput, s *Summary, r *SampleReport, th Thresholds, hist []float64) error {
	if hist != nil {
		r.Histogram = histogram(hist, s)
	}
	var cal *metrics.CalibrationFigures
	if s.pds != nil && s.Rows() > 0 {
		c, err := s.calibration(in.Groups)
		if err != nil {
			return fmt.Errorf("calibration: %w", err)
		}
		cal = &c
		n := c.Rows
		ct := &CentralTendency{ObservedDR: float64(c.Bads) / float64(n), MeanPD: c.SumPD / float64(n)}
		if ct.MeanPD > 0 {
			ct.Ratio = ct.ObservedDR / ct.MeanPD
		}
		if p, err := metrics.JeffreysTest(n, c.Bads, ct.MeanPD); err == nil {
			ct.JeffreysP = p
		}
		ct.Light = th.DefaultRateRatio.Rate(ct.Ratio)
		r.CentralTendency = ct
	}
	if err := discrimination(in, s, cal, r); err != nil {
		return err
	}
	if cal != nil {
		if cal.HosmerLemeshow != nil {
			r.HosmerLemeshow = cal.HosmerLemeshow
		} else {
			// Too few distinct PDs for the groups is a property of the data.
			r.Notes = append(r.Notes, fmt.Sprintf("hosmer-lemeshow: %v", cal.HosmerLemeshowErr))
		}
	}
	if s.gradeRows == nil {
		return nil
	}
	if cal != nil {
		r.Calibration = make([]GradeRow, len(cal.Grades))
		for g, c := range cal.Grades {
			r.Calibration[g] = GradeRow{GradeCalibration: c, Light: th.JeffreysP.Rate(c.JeffreysP)}
		}
	}
	counts := s.gradeCounts()
	hhi, norm, err := metrics.HHI(counts)
	if err != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("hhi: %v", err))
		return nil
	}
	r.HHI = &Concentration{HHI: hhi, Normalized: norm, Grades: len(counts), Light: th.HHI.Rate(norm)}
	return nil
}

// discrimination computes the figures that need bads and goods: the sample
// metrics (with Brier and log-loss from cal, when the sample has PDs),
// gains, ROC and KS curves. A sample without enough of both gets a note
// instead.
func discrimination(in ValidationInput, s *Summary, cal *metrics.CalibrationFigures, r *SampleReport) error {
	rank, err := s.scores.Ranking(in.Higher)
	var m metrics.SampleMetrics
	if err == nil {
		m, err = rank.Discrimination()
	}
	if errors.Is(err, metrics.ErrClasses) {
		r.Notes = append(r.Notes, fmt.Sprintf("no discrimination figures: %v", err))
		return nil
	}
	if err != nil {
		return err
	}
	if cal != nil {
		m.Brier, m.LogLoss = &cal.Brier, &cal.LogLoss
	}
	r.Metrics = &m
	// The ranking has both classes, so these cannot fail on the data; an
	// error here is a defect worth failing on.
	if r.Gains, err = rank.Gains(in.Groups); err != nil {
		return fmt.Errorf("gains: %w", err)
	}
	if r.ROC, err = rank.ROCCurve(in.CurvePoints); err != nil {
		return fmt.Errorf("roc: %w", err)
	}
	if r.KSCurve, err = rank.KSCurve(in.CurvePoints); err != nil {
		return fmt.Errorf("ks curve: %w", err)
	}
	return nil
}

// stability computes PSI, CSI and the AUC change of one sample against the
// reference; failures become notes (a reference is optional).
func stability(in ValidationInput, s *Sample, sum *Summary, r *SampleReport, ref *referenceData, th Thresholds) {
	if ref.sample == s {
		return
	}
	if ref.score != nil {
		if psi, err := ref.score.psiOfCounts(sum.values, sum.valueRows); err != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("psi: %v", err))
		} else {
			r.PSI = &psi
		}
	}
	if ref.attr != nil && sum.attr != nil {
		for c, ch := range in.Scorecard.Characteristics {
			actual := sum.attr[c]
			csi, err := metrics.PSIFromCounts(ref.attr[c], actual)
			if err != nil {
				r.Notes = append(r.Notes, fmt.Sprintf("csi %s: %v", ch.Name, err))
				continue
			}
			r.CSI = append(r.CSI, CSI{Variable: ch.Name, CSI: csi, Light: th.CSI.Rate(csi), Expected: ref.attr[c], Actual: actual})
		}
	}
	if ref.auc != nil && r.Metrics != nil {
		cur := metrics.AUCEstimate{AUC: r.Metrics.AUC, SE: r.Metrics.AUCSE}
		c, err := metrics.CompareIndependentAUCs(cur, *ref.auc)
		if err != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("auc change: %v", err))
			return
		}
		pDrop := 0.5 * math.Erfc(-c.Z/math.Sqrt2)
		r.AUCChange = &AUCChange{AUCComparison: c, PDrop: pDrop, Light: th.AUCDropP.Rate(pDrop)}
	}
}

// lights lists the traffic lights of one sample's figures.
func (r *SampleReport) lights(th Thresholds) []Light {
	var out []Light
	add := func(figure, subject string, v float64, st Status, rule string) {
		out = append(out, Light{Figure: figure, Sample: r.Name, Subject: subject, Value: v, Status: st, Rule: rule})
	}
	if m := r.Metrics; m != nil {
		add(FigureAUC, "", m.AUC, th.AUC.Rate(m.AUC), th.AUC.Rule())
		add(FigureKS, "", m.KS, th.KS.Rate(m.KS), th.KS.Rule())
	}
	if ct := r.CentralTendency; ct != nil {
		add(FigureDRRatio, "", ct.Ratio, ct.Light, th.DefaultRateRatio.Rule())
	}
	if hl := r.HosmerLemeshow; hl != nil {
		add(FigureHL, "", hl.P, th.HosmerLemeshowP.Rate(hl.P), th.HosmerLemeshowP.Rule())
	}
	for _, g := range r.Calibration {
		add(FigureJeffreys, g.Grade, g.JeffreysP, g.Light, th.JeffreysP.Rule())
	}
	if h := r.HHI; h != nil {
		add(FigureHHI, "", h.Normalized, h.Light, th.HHI.Rule())
	}
	if r.PSI != nil {
		add(FigurePSI, "", *r.PSI, th.PSI.Rate(*r.PSI), th.PSI.Rule())
	}
	for _, c := range r.CSI {
		add(FigureCSI, c.Variable, c.CSI, c.Light, th.CSI.Rule())
	}
	if a := r.AUCChange; a != nil {
		add(FigureAUCDrop, "", a.PDrop, a.Light, th.AUCDropP.Rule())
	}
	return out
}
