// Package scorecard holds a fitted credit scorecard as plain data — characteristics, their
// attributes (bins) with WOE and integer points, the logistic-regression intercept and
// coefficients, the points scaling and the master scale of grades and risk tiers — and scores
// rows with it.
//
// The Scorecard value is exactly what scorecard.json holds: everything scoring needs and
// nothing that refers back to training code, so that `lendscore score` reproduces a training
// run's scores from the published file alone. It also writes itself as a PMML 4.4 Scorecard.
//
// Conventions. WOE = ln(%good/%bad), so a higher WOE means lower risk. The model is
// logit P(bad) = β0 + Σ βj·WOEj. Points scale the log odds of good:
//
//	factor = PDO / ln 2,  offset = base points − factor·ln(base odds)
//	score  = offset + factor·ln(odds good) = offset − factor·(β0 + Σ βj·WOEj)
//
// and each attribute gets points = round(−factor·(βj·WOE + β0/n) + offset/n) for n
// characteristics, so the score is the sum of integer points. PD comes from the model itself
// (the logistic function of the unrounded linear predictor), not from the rounded score.
package scorecard

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
)

// Scaling fixes how log odds become points.
type Scaling struct {
	// PDO is the points that double the odds (default 20).
	PDO float64 `json:"pdo"`
	// BasePoints is the score at BaseOdds (default 600).
	BasePoints float64 `json:"base_points"`
	// BaseOdds are the good:bad odds at BasePoints (default 50).
	BaseOdds float64 `json:"base_odds"`
}

// DefaultScaling is 600 points at 50:1 good:bad odds, 20 points to double the odds.
func DefaultScaling() Scaling { return Scaling{PDO: 20, BasePoints: 600, BaseOdds: 50} }

// Factor is PDO / ln 2.
func (s Scaling) Factor() float64 { return s.PDO / math.Ln2 }

// Offset is BasePoints − Factor·ln(BaseOdds).
func (s Scaling) Offset() float64 { return s.BasePoints - s.Factor()*math.Log(s.BaseOdds) }

// Attribute is one bin of a characteristic: a numeric interval [Lower, Upper), a set of
// categories, the missing values, or special values.
type Attribute struct {
	Label string `json:"label"`
	// Interval marks the regular bins of a numeric characteristic, holding [Lower, Upper).
	// Such a bin may also hold the missing values (Missing) when they were merged into it.
	Interval   bool      `json:"interval,omitempty"`
	Lower      *float64  `json:"lower,omitempty"` // nil: −∞
	Upper      *float64  `json:"upper,omitempty"` // nil: +∞
	Categories []string  `json:"categories,omitempty"`
	Missing    bool      `json:"missing,omitempty"`
	Special    []float64 `json:"special,omitempty"`
	WOE        float64   `json:"woe"`
	Points     int       `json:"points"`
	// Count, Bads and EventRate are the training counts, for reports.
	Count     int     `json:"count"`
	Bads      int     `json:"bads"`
	EventRate float64 `json:"event_rate"`
}

// Characteristic is one variable of the scorecard.
type Characteristic struct {
	Name        string      `json:"name"`
	Kind        string      `json:"kind"` // numeric | categorical
	Coefficient float64     `json:"coefficient"`
	ReasonCode  string      `json:"reason_code"`
	Attributes  []Attribute `json:"attributes"`
	// MissingAttribute is the index of the attribute that scores missing values.
	MissingAttribute int `json:"missing_attribute"`
	// UnseenAttribute is the index of the attribute that scores a category not seen in
	// training (categorical characteristics).
	UnseenAttribute int `json:"unseen_attribute"`
	// UnseenRule documents how UnseenAttribute was chosen.
	UnseenRule string `json:"unseen_rule,omitempty"`

	uppers  []float64      // sorted finite uppers of the interval attributes
	ivIndex []int          // attribute index for each interval slot (len(uppers)+1)
	catIdx  map[string]int // category → attribute
	special map[float64]int
}

// Grade is one grade of the master scale: PDs up to MaxPD (inclusive) fall in it.
type Grade struct {
	Name  string  `json:"name"`
	MaxPD float64 `json:"max_pd"` // 1 for the last grade
}

// Tiers split customers into the CRM risk tiers of the scored table by PD.
type Tiers struct {
	// PrimeMaxPD: PD up to this value is prime.
	PrimeMaxPD float64 `json:"prime_max_pd"`
	// HighRiskMinPD: PD above this value is high_risk; between the two is standard.
	HighRiskMinPD float64 `json:"high_risk_min_pd"`
}

// Risk tier names of the scored table (contract section 6).
const (
	TierPrime    = "prime"
	TierStandard = "standard"
	TierHighRisk = "high_risk"
)

// DefaultGrades is the default master scale: eight grades A–H with PD bounds
// 0.5%, 1%, 2%, 4%, 8%, 15%, 30%.
func DefaultGrades() []Grade {
	bounds := []float64{0.005, 0.01, 0.02, 0.04, 0.08, 0.15, 0.30, 1}
	g := make([]Grade, len(bounds))
	for i, b := range bounds {
		g[i] = Grade{Name: string(rune('A' + i)), MaxPD: b}
	}
	return g
}

// DefaultTiers are prime up to 2% PD (grades A–C), high_risk above 8% (grades F–H).
func DefaultTiers() Tiers { return Tiers{PrimeMaxPD: 0.02, HighRiskMinPD: 0.08} }

// Scorecard is a fitted scorecard, as published in scorecard.json.
type Scorecard struct {
	Format          string           `json:"format"` // "lendscore-scorecard/1"
	Model           string           `json:"model"`
	Version         string           `json:"version"`
	RunID           string           `json:"run_id,omitempty"`
	Target          string           `json:"target,omitempty"`
	BadValue        string           `json:"bad_value,omitempty"`
	ID              string           `json:"id,omitempty"`
	Fingerprint     string           `json:"training_fingerprint"`
	Intercept       float64          `json:"intercept"`
	Scaling         Scaling          `json:"scaling"`
	Characteristics []Characteristic `json:"characteristics"`
	Grades          []Grade          `json:"grades"`
	Tiers           Tiers            `json:"tiers"`
	// BaselineMin and BaselineMax are the smallest and largest possible scores.
	MinScore int `json:"min_score"`
	MaxScore int `json:"max_score"`
}

// MaxAttributes bounds the attributes of one characteristic, so that attribute indices fit in
// a uint16 when scoring keeps them for every row.
const MaxAttributes = 1<<16 - 1

// FormatV1 identifies the scorecard.json format.
const FormatV1 = "lendscore-scorecard/1"

// AssignPoints computes every attribute's integer points from the coefficients, the
// intercept and the scaling, and the score range.
func (s *Scorecard) AssignPoints() {
	n := float64(len(s.Characteristics))
	f, off := s.Scaling.Factor(), s.Scaling.Offset()
	s.MinScore, s.MaxScore = 0, 0
	for i := range s.Characteristics {
		c := &s.Characteristics[i]
		lo, hi := math.MaxInt, math.MinInt
		for j := range c.Attributes {
			a := &c.Attributes[j]
			p := -f*(c.Coefficient*a.WOE+s.Intercept/n) + off/n
			a.Points = int(math.Round(p))
			lo, hi = min(lo, a.Points), max(hi, a.Points)
		}
		s.MinScore += lo
		s.MaxScore += hi
	}
}

// Prepare validates the scorecard and builds its lookup tables. Load calls it; code that
// builds a Scorecard in memory calls it before scoring.
func (s *Scorecard) Prepare() error {
	if len(s.Characteristics) == 0 {
		return errors.New("scorecard has no characteristics")
	}
	if s.Scaling.PDO <= 0 || s.Scaling.BaseOdds <= 0 {
		return fmt.Errorf("scorecard scaling %+v is impossible", s.Scaling)
	}
	if len(s.Grades) == 0 {
		return errors.New("scorecard has no grades")
	}
	names := map[string]bool{}
	for i, g := range s.Grades {
		switch {
		case g.Name == "":
			return fmt.Errorf("scorecard grades: grade %d has no name", i+1)
		case names[g.Name]:
			return fmt.Errorf("scorecard grades: %s twice", g.Name)
		case !(g.MaxPD > 0 && g.MaxPD <= 1):
			return fmt.Errorf("scorecard grades: %s max_pd %v is not a probability in (0, 1]", g.Name, g.MaxPD)
		case i > 0 && g.MaxPD <= s.Grades[i-1].MaxPD:
			return fmt.Errorf("scorecard grades: %s max_pd %v does not increase", g.Name, g.MaxPD)
		}
		names[g.Name] = true
	}
	if last := s.Grades[len(s.Grades)-1]; last.MaxPD != 1 {
		return fmt.Errorf("scorecard grades: the last grade %s ends at max_pd %v, not 1, so some PDs have no grade", last.Name, last.MaxPD)
	}
	if t := s.Tiers; !(t.PrimeMaxPD >= 0 && t.PrimeMaxPD <= t.HighRiskMinPD && t.HighRiskMinPD <= 1) {
		return fmt.Errorf("scorecard tiers: want 0 ≤ prime_max_pd %v ≤ high_risk_min_pd %v ≤ 1", t.PrimeMaxPD, t.HighRiskMinPD)
	}
	seen := map[string]bool{}
	for i := range s.Characteristics {
		c := &s.Characteristics[i]
		if c.Name == "" {
			return fmt.Errorf("scorecard: characteristic %d has no name", i+1)
		}
		if seen[c.Name] {
			return fmt.Errorf("scorecard: characteristic %s twice", c.Name)
		}
		seen[c.Name] = true
		if err := c.prepare(); err != nil {
			return fmt.Errorf("scorecard characteristic %s: %w", c.Name, err)
		}
	}
	return nil
}

func (c *Characteristic) prepare() error {
	n := len(c.Attributes)
	if n == 0 {
		return errors.New("no attributes")
	}
	if n > MaxAttributes {
		return fmt.Errorf("%d attributes, more than %d", n, MaxAttributes)
	}
	if c.MissingAttribute < 0 || c.MissingAttribute >= n {
		return fmt.Errorf("missing_attribute %d out of range", c.MissingAttribute)
	}
	if c.UnseenAttribute < 0 || c.UnseenAttribute >= n {
		return fmt.Errorf("unseen_attribute %d out of range", c.UnseenAttribute)
	}
	for _, a := range c.Attributes {
		if math.IsNaN(a.WOE) || math.IsInf(a.WOE, 0) {
			return fmt.Errorf("attribute %s: WOE %v", a.Label, a.WOE)
		}
	}
	c.special = map[float64]int{}
	c.catIdx = nil
	c.uppers, c.ivIndex = nil, nil
	switch c.Kind {
	case "numeric":
		type iv struct {
			lower float64
			upper float64
			idx   int
		}
		var ivs []iv
		for j, a := range c.Attributes {
			for _, v := range a.Special {
				c.special[v] = j
			}
			if !a.Interval {
				continue
			}
			lo, hi := math.Inf(-1), math.Inf(1)
			if a.Lower != nil {
				lo = *a.Lower
			}
			if a.Upper != nil {
				hi = *a.Upper
			}
			ivs = append(ivs, iv{lo, hi, j})
		}
		if len(ivs) == 0 {
			return errors.New("no interval attributes")
		}
		sort.Slice(ivs, func(a, b int) bool { return ivs[a].lower < ivs[b].lower })
		if !math.IsInf(ivs[0].lower, -1) || !math.IsInf(ivs[len(ivs)-1].upper, 1) {
			return errors.New("intervals do not cover the real line")
		}
		for k := 1; k < len(ivs); k++ {
			if ivs[k].lower != ivs[k-1].upper {
				return fmt.Errorf("intervals leave a gap or overlap at %v", ivs[k].lower)
			}
		}
		for k, v := range ivs {
			if k < len(ivs)-1 {
				c.uppers = append(c.uppers, v.upper)
			}
			c.ivIndex = append(c.ivIndex, v.idx)
		}
	case "categorical":
		c.catIdx = map[string]int{}
		for j, a := range c.Attributes {
			for _, cat := range a.Categories {
				if _, dup := c.catIdx[cat]; dup {
					return fmt.Errorf("category %q in two attributes", cat)
				}
				c.catIdx[cat] = j
			}
		}
	default:
		return fmt.Errorf("kind %q (want numeric or categorical)", c.Kind)
	}
	return nil
}

// NumericAttribute returns the attribute index of value x (NaN is missing).
func (c *Characteristic) NumericAttribute(x float64) int {
	if math.IsNaN(x) {
		return c.MissingAttribute
	}
	if len(c.special) > 0 {
		if j, ok := c.special[x]; ok {
			return j
		}
	}
	// First slot whose upper bound exceeds x: intervals are [lower, upper).
	i := sort.Search(len(c.uppers), func(i int) bool { return x < c.uppers[i] })
	return c.ivIndex[i]
}

// CategoryAttribute returns the attribute index of category s; valid false means missing.
func (c *Characteristic) CategoryAttribute(s string, valid bool) int {
	if !valid {
		return c.MissingAttribute
	}
	if j, ok := c.catIdx[s]; ok {
		return j
	}
	return c.UnseenAttribute
}

// MaxPoints returns the most points any attribute of c gives.
func (c *Characteristic) MaxPoints() int {
	m := math.MinInt
	for _, a := range c.Attributes {
		m = max(m, a.Points)
	}
	return m
}

// Result is the scoring of one row.
type Result struct {
	Score   int
	PD      float64
	Grade   string
	Tier    string
	Reasons [3]string // worst first; "" when fewer than three characteristics lose points
}

// ScoreAttributes scores one row given the attribute index of each characteristic (in the
// order of s.Characteristics). maxPoints may be nil or the precomputed MaxPoints of each
// characteristic.
func (s *Scorecard) ScoreAttributes(attr []int, maxPoints []int) Result {
	var r Result
	eta := s.Intercept
	type loss struct {
		short int
		c     int
	}
	var worst [3]loss
	nw := 0
	for c := range s.Characteristics {
		ch := &s.Characteristics[c]
		a := &ch.Attributes[attr[c]]
		r.Score += a.Points
		eta += ch.Coefficient * a.WOE
		mp := 0
		if maxPoints != nil {
			mp = maxPoints[c]
		} else {
			mp = ch.MaxPoints()
		}
		short := mp - a.Points
		if short <= 0 {
			continue
		}
		// Insert into the top three by shortfall; ties keep characteristic order.
		l := loss{short, c}
		pos := nw
		for pos > 0 && worst[pos-1].short < l.short {
			pos--
		}
		if pos < 3 {
			end := min(nw, 2)
			for k := end; k > pos; k-- {
				worst[k] = worst[k-1]
			}
			worst[pos] = l
			nw = min(nw+1, 3)
		}
	}
	for k := 0; k < nw; k++ {
		r.Reasons[k] = s.Characteristics[worst[k].c].ReasonCode
	}
	r.PD = logistic(eta)
	r.Grade = s.GradeOf(r.PD)
	r.Tier = s.TierOf(r.PD)
	return r
}

func logistic(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// GradeOf returns the grade of a PD on the master scale.
func (s *Scorecard) GradeOf(pd float64) string {
	for _, g := range s.Grades {
		if pd <= g.MaxPD {
			return g.Name
		}
	}
	return s.Grades[len(s.Grades)-1].Name
}

// TierOf returns the risk tier of a PD.
func (s *Scorecard) TierOf(pd float64) string {
	switch {
	case pd <= s.Tiers.PrimeMaxPD:
		return TierPrime
	case pd > s.Tiers.HighRiskMinPD:
		return TierHighRisk
	}
	return TierStandard
}

// MaxPointsAll returns MaxPoints of every characteristic, for ScoreAttributes.
func (s *Scorecard) MaxPointsAll() []int {
	mp := make([]int, len(s.Characteristics))
	for i := range s.Characteristics {
		mp[i] = s.Characteristics[i].MaxPoints()
	}
	return mp
}

// Marshal returns the scorecard as indented JSON (scorecard.json).
func (s *Scorecard) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Unmarshal reads a scorecard.json and prepares it for scoring.
func Unmarshal(data []byte) (*Scorecard, error) {
	var s Scorecard
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("scorecard: not valid JSON: %w", err)
	}
	if s.Format != FormatV1 {
		return nil, fmt.Errorf("scorecard: format %q is not %q", s.Format, FormatV1)
	}
	if err := s.Prepare(); err != nil {
		return nil, err
	}
	return &s, nil
}
