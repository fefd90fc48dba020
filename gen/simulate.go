package gen

import (
	"math"
	"math/rand/v2"
)

// world holds what every customer's simulation shares: the calendar and the knobs.
//
// The simulated world is fixed by the Config without AsOf: the period of Months calendar
// months from HistoryStart, whose last day (ref) anchors onboarding, ages and
// originations. AsOf only chooses how much of it the extract shows.
type world struct {
	cfg       Config
	dirty     bool
	asOf      int32 // date32
	asOfMonth int   // month number of asOf
	histFirst int   // first month number of the history
	histStart int32 // its first day
	ref       int32 // last day of the simulated period
	months    int   // months simulated: histFirst to asOfMonth
	obs       int32 // observation date of the planted signal: asOf minus 12 months

	driftStrength float64
	driftDay      int32 // first day of the drift
	driftMonth    int   // its month number

	shock      bool    // the shock is visible: its share is positive and From ≤ asOf
	shockShare float64 // Config.Shock.Share
	shockDay   int32   // Config.Shock.From
}

func newWorld(cfg Config) *world {
	w := &world{cfg: cfg, dirty: cfg.DirtyRate > 0}
	w.asOf = dateOf(cfg.AsOf)
	w.asOfMonth = monthOf(w.asOf)
	w.histStart = dateOf(cfg.HistoryStart)
	w.histFirst = monthOf(w.histStart)
	w.ref = dayIn(w.histFirst+cfg.Months, 1) - 1
	w.months = w.asOfMonth - w.histFirst + 1
	w.obs = dateOf(cfg.AsOf.AddDate(-1, 0, 0))
	if cfg.Drift.Strength != 0 {
		w.driftStrength = cfg.Drift.Strength
		w.driftDay = dateOf(cfg.Drift.Start)
		w.driftMonth = monthOf(w.driftDay)
	}
	if cfg.Shock.Share > 0 {
		w.shockShare = cfg.Shock.Share
		w.shockDay = dateOf(cfg.Shock.From)
		w.shock = w.shockDay <= w.asOf
	}
	return w
}

// Category tables. Weights need not sum to one.
var (
	regions       = weighted{[]string{"capital", "north", "south", "east", "west", "central", "coast", "mountain"}, []float64{0.24, 0.12, 0.13, 0.11, 0.12, 0.14, 0.09, 0.05}}
	regionRisk    = []float64{-0.10, 0.05, 0.10, 0.15, 0, -0.05, 0.05, 0.20}
	occupations   = weighted{[]string{"employee", "civil_servant", "self_employed", "professional", "retired", "student", "unemployed"}, []float64{0.55, 0.10, 0.12, 0.08, 0.08, 0.03, 0.04}}
	occIncome     = []float64{0, 0.10, 0.10, 0.40, -0.30, -1.00, -0.90}
	occRisk       = []float64{0, -0.35, 0.25, -0.20, -0.05, 0.30, 0.70}
	industries    = weighted{[]string{"manufacturing", "services", "agriculture", "other"}, []float64{0.25, 0.45, 0.12, 0.18}}
	industryRisk  = []float64{0.10, -0.10, 0.35, 0.20}
	channelsYoung = weighted{channels, []float64{0.15, 0.15, 0.25, 0.35, 0.10}}
	channelsMid   = weighted{channels, []float64{0.20, 0.25, 0.20, 0.20, 0.15}}
	channelsOld   = weighted{channels, []float64{0.40, 0.35, 0.10, 0.10, 0.05}}
	channelsCorp  = weighted{channels, []float64{0.30, 0.30, 0.10, 0.00, 0.30}}
	channels      = []string{"branch", "phone", "web", "app", "email"}
	loanCounts    = []float64{0.58, 0.27, 0.10, 0.05}
)

// weighted is a categorical distribution.
type weighted struct {
	names   []string
	weights []float64
}

func (d weighted) pick(r *rand.Rand) int {
	var total float64
	for _, w := range d.weights {
		total += w
	}
	u := r.Float64() * total
	for i, w := range d.weights {
		if u < w {
			return i
		}
		u -= w
	}
	return len(d.weights) - 1
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// round2 rounds to cents.
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// roundTo rounds to a multiple of step.
func roundTo(x, step float64) float64 { return math.Round(x/step) * step }

// poisson draws a Poisson variate (Knuth; the means here are small).
func poisson(r *rand.Rand, mean float64) int {
	l := math.Exp(-mean)
	k, p := 0, r.Float64()
	for p > l {
		k++
		p *= r.Float64()
	}
	return k
}

// customer is one simulated customer: observable traits and the latent risk behind them.
type customer struct {
	idx         int64
	corporate   bool
	birth       int32 // individuals
	age         float64
	gender      string
	occupation  int
	income      float64 // annual income, or turnover for corporates
	region      int
	industry    int
	employees   int32
	established int32
	onboard     int32
	// stress is a latent financial-stress factor: it drives utilisation of revolving lines
	// and the risk.
	stress float64
	// risk is the customer's latent log-odds offset of entering arrears in a month.
	risk float64
}

// Calibration of the arrears process.
const (
	// hazardIntercept is the monthly log-odds of entering arrears for a customer of
	// average risk.
	hazardIntercept = -4.0
	// lateIntercept is the log-odds of paying a normal instalment a few days late.
	lateIntercept = -2.4
)

// cureProb is the chance that a customer in arrears for n months (index n-1, the last
// value repeating) pays everything back in the next month.
var cureProb = []float64{0.55, 0.45, 0.30, 0.12}

func (w *world) newCustomer(r *rand.Rand, idx int64) customer {
	c := customer{idx: idx}
	c.corporate = r.Float64() < 0.15
	c.region = regions.pick(r)
	c.stress = r.NormFloat64()
	noise := 0.5 * r.NormFloat64()
	// Onboarding: uniform over the 15 years before the end of the period.
	c.onboard = w.ref - 1 - int32(r.IntN(15*365))
	drifted := w.driftStrength != 0 && c.onboard >= w.driftDay
	if c.corporate {
		c.industry = industries.pick(r)
		c.employees = int32(clamp(math.Round(math.Exp(math.Log(12)+1.2*r.NormFloat64())), 1, 50000))
		years := 0.5 + 40*math.Pow(r.Float64(), 1.6)
		c.established = w.ref - int32(years*365.25)
		if c.onboard < c.established {
			// Within a year of establishment, before the end of the period (≥ 182 days).
			c.onboard = c.established + int32(r.IntN(int(min(365, w.ref-c.established))))
		}
		z := 0.5 * r.NormFloat64()
		if drifted {
			z -= 0.3 * w.driftStrength
		}
		c.income = clamp(roundTo(float64(c.employees)*math.Exp(math.Log(90000)+z), 100), 10000, 5e8)
		sizeRisk := 0.0
		if c.employees < 5 {
			sizeRisk = 0.3
		}
		ageRisk := 0.0
		switch {
		case years < 3:
			ageRisk = 0.45
		case years > 15:
			ageRisk = -0.25
		}
		c.risk = industryRisk[c.industry] + sizeRisk + ageRisk - 0.35*z/0.5 + regionRisk[c.region]
	} else {
		c.age = clamp(44+13*r.NormFloat64(), 19, 80)
		c.birth = w.ref - int32(c.age*365.25)
		if adult := c.birth + 18*366; c.onboard < adult {
			// Within a year of coming of age, before the end of the period (≥ 351 days).
			c.onboard = adult + int32(r.IntN(int(min(365, w.ref-adult))))
		}
		if r.IntN(2) == 0 {
			c.gender = "F"
		} else {
			c.gender = "M"
		}
		switch {
		case c.age > 64 && r.Float64() < 0.8:
			c.occupation = 4 // retired
		case c.age < 26 && r.Float64() < 0.4:
			c.occupation = 5 // student
		default:
			c.occupation = occupations.pick(r)
		}
		z := 0.6 * r.NormFloat64()
		mu := math.Log(42000) + occIncome[c.occupation] - 0.0004*(c.age-50)*(c.age-50) + z
		if drifted {
			mu -= 0.3 * w.driftStrength
		}
		c.income = clamp(roundTo(math.Exp(mu), 100), 1200, 5e7)
		ageRisk := 0.0
		switch {
		case c.age < 25:
			ageRisk = 0.5
		case c.age < 35:
			ageRisk = 0.2
		case c.age >= 55:
			ageRisk = -0.15
		}
		zInc := (math.Log(c.income) - math.Log(42000)) / 0.6
		c.risk = -0.45*zInc + ageRisk + occRisk[c.occupation] + regionRisk[c.region]
	}
	if drifted {
		c.stress += 0.5 * w.driftStrength
	}
	c.risk += 0.7*c.stress + noise
	return c
}

// driftLogit is the drift's shift of the monthly arrears log-odds in month number mon.
func (w *world) driftLogit(mon int) float64 {
	if w.driftStrength == 0 || mon < w.driftMonth {
		return 0
	}
	return w.driftStrength * math.Min(1, float64(mon-w.driftMonth+1)/6)
}

// unpaid marks an instalment that is still unpaid at the extract date.
const unpaid = math.MaxInt32

// episode is one arrears episode: its first month and the collection contact it may cause.
type episode struct {
	month     int
	call      bool  // the bank calls (or is called)
	callDay   int32 // on this day of the first month
	callMS    int64 // at this time of day
	complaint bool  // the call is a complaint rather than an inquiry
	resolved  bool
}

// arrears simulates the customer's arrears episodes over the months of the history up to
// the month of the extract date, from the customer's own arrears stream r. It fills cure
// (one entry per month): 0 for a normal month, otherwise the date on which the instalments
// due that month are paid, which may lie after the extract date (still unpaid then). It
// returns the episodes, for the CRM contacts they cause. Every draw is made whatever the
// extract date, month after month, so a later extract date only adds months at the end.
func (w *world) arrears(r *rand.Rand, c *customer, cure []int32, eps []episode) []episode {
	clear(cure)
	eps = eps[:0]
	for k := 0; k < w.months; {
		mon := w.histFirst + k
		if r.Float64() >= sigmoid(hazardIntercept+c.risk+w.driftLogit(mon)) {
			k++
			continue
		}
		n := 1
		for r.Float64() >= cureProb[min(n, len(cureProb))-1] {
			n++
		}
		day := dayIn(mon+n, 1+r.IntN(28))
		e := episode{month: mon, call: r.Float64() < 0.35, callDay: dayIn(mon, 1+r.IntN(28)), callMS: r.Int64N(msPerDay)}
		e.complaint = r.Float64() < 0.4
		e.resolved = r.Float64() < 0.5
		eps = append(eps, e)
		for j := k; j < k+n && j < w.months; j++ {
			cure[j] = day
		}
		k += n + 1
	}
	return eps
}

// shocked reports whether Config.Shock selects customer idx: a uniform draw from (Seed,
// idx) alone, below the share.
func (w *world) shocked(idx int64) bool {
	if w.shockShare == 0 {
		return false
	}
	h := splitmix64(w.cfg.Seed ^ splitmix64(uint64(idx)^shockSelectTag))
	return float64(h>>11)/(1<<53) < w.shockShare
}

// shockSelectTag separates the shock's selection from every random stream.
const shockSelectTag = 0x5ec0_c0de_5ec0_c0de
