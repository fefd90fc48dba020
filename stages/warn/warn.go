// Package warn raises the early-warning flags of a nightly run and lists what changed since
// the previous one, so that relationship managers see who needs attention and CRM systems can
// load deltas instead of the whole table.
//
// A nightly run remembers, per customer, the little the next run compares against (State):
// score, grade, tier, segment, days past due and the warnings raised. The flags, each with a
// configurable threshold:
//
//   - score_drop: the score fell by at least ScoreDrop points since the previous run;
//   - new_dpd30: 30 or more days past due at as_of, and not at the previous run (or the
//     customer is new);
//   - high_utilisation: utilisation (balance over limit) above UtilisationAbove;
//   - recent_complaint: a complaint in the last ComplaintDays days;
//   - satisfaction_falling: the latest satisfaction score is at least SatisfactionDrop below
//     the mean of the customer's earlier scores in the last 12 months.
package warn

import (
	"math"
	"strconv"
)

// Warning codes, in the order they are listed on a row.
const (
	ScoreDrop           = "score_drop"
	NewDPD30            = "new_dpd30"
	HighUtilisation     = "high_utilisation"
	RecentComplaint     = "recent_complaint"
	SatisfactionFalling = "satisfaction_falling"
)

// Codes lists every warning code in row order.
func Codes() []string {
	return []string{ScoreDrop, NewDPD30, HighUtilisation, RecentComplaint, SatisfactionFalling}
}

// Thresholds configure the flags.
type Thresholds struct {
	ScoreDrop        int     // points (default 30)
	UtilisationAbove float64 // share (default 0.9)
	ComplaintDays    int     // days (default 30)
	SatisfactionDrop float64 // satisfaction points (default 1)
}

func (t Thresholds) withDefaults() Thresholds {
	if t.ScoreDrop <= 0 {
		t.ScoreDrop = 30
	}
	if t.UtilisationAbove <= 0 {
		t.UtilisationAbove = 0.9
	}
	if t.ComplaintDays <= 0 {
		t.ComplaintDays = 30
	}
	if t.SatisfactionDrop <= 0 {
		t.SatisfactionDrop = 1
	}
	return t
}

// State is what a nightly run keeps of each customer for the next run. Segment is -1 when
// segmentation is off.
type State struct {
	IDs        []string
	Score      []int32
	Grade      []string
	Tier       []string
	Segment    []int32
	CurrentDPD []float64
	Warnings   [][]string
}

// Len is the number of customers.
func (s *State) Len() int { return len(s.IDs) }

// index maps customer id to row.
func (s *State) index() map[string]int {
	m := make(map[string]int, len(s.IDs))
	for i, id := range s.IDs {
		m[id] = i
	}
	return m
}

// Signals are tonight's per-customer measures behind the flags that are not in State.
type Signals struct {
	Utilisation []float64 // NaN: no limit
	// DaysSinceComplaint is the days from the last complaint to as_of; NaN: none.
	DaysSinceComplaint []float64
	// SatisfactionDrop is the mean of the earlier scores of the last 12 months minus the
	// latest score; NaN when there are not two scores.
	SatisfactionDrop []float64
}

// Flags returns the warnings of every customer of cur (which must have Warnings unset),
// comparing with prev (nil on the first run).
func Flags(cur *State, sig Signals, prev *State, th Thresholds) [][]string {
	th = th.withDefaults()
	var pidx map[string]int
	if prev != nil {
		pidx = prev.index()
	}
	out := make([][]string, cur.Len())
	for i, id := range cur.IDs {
		var w []string
		p, seen := -1, false
		if pidx != nil {
			p, seen = pidx[id]
		}
		if seen && int(prev.Score[p])-int(cur.Score[i]) >= th.ScoreDrop {
			w = append(w, ScoreDrop)
		}
		if cur.CurrentDPD[i] >= 30 && !(seen && prev.CurrentDPD[p] >= 30) {
			w = append(w, NewDPD30)
		}
		if u := sig.Utilisation[i]; !math.IsNaN(u) && u > th.UtilisationAbove {
			w = append(w, HighUtilisation)
		}
		if d := sig.DaysSinceComplaint[i]; !math.IsNaN(d) && d <= float64(th.ComplaintDays) {
			w = append(w, RecentComplaint)
		}
		if d := sig.SatisfactionDrop[i]; !math.IsNaN(d) && d >= th.SatisfactionDrop {
			w = append(w, SatisfactionFalling)
		}
		out[i] = w
	}
	return out
}

// Change kinds of the changes table.
const (
	ChangeNew     = "new"
	ChangeGone    = "gone"
	ChangeGrade   = "grade"
	ChangeTier    = "tier"
	ChangeSegment = "segment"
	ChangeWarning = "warning"
)

// Change is one row of the changes table.
type Change struct {
	CustomerID string
	Kind       string
	Previous   string // "" when there is none (null)
	Current    string
}

// Summary counts what changed.
type Summary struct {
	Customers int            `json:"customers"`
	Previous  int            `json:"previous_customers"`
	New       int            `json:"new"`
	Gone      int            `json:"gone"`
	ByKind    map[string]int `json:"by_kind"`
}

// Changes lists the customers of cur that are new, whose grade, tier or segment changed, or
// who gained a warning since prev, and the customers of prev that are gone; tonight's
// customers in their order, then the gone ones in prev's order. With prev nil every
// customer is new.
func Changes(cur, prev *State) ([]Change, Summary) {
	sum := Summary{Customers: cur.Len(), ByKind: map[string]int{}}
	var out []Change
	add := func(c Change) {
		out = append(out, c)
		sum.ByKind[c.Kind]++
	}
	var pidx map[string]int
	if prev != nil {
		pidx = prev.index()
		sum.Previous = prev.Len()
	}
	present := make(map[string]bool, cur.Len())
	for i, id := range cur.IDs {
		present[id] = true
		p, seen := pidx[id]
		if !seen {
			sum.New++
			add(Change{id, ChangeNew, "", cur.Grade[i]})
			continue
		}
		if prev.Grade[p] != cur.Grade[i] {
			add(Change{id, ChangeGrade, prev.Grade[p], cur.Grade[i]})
		}
		if prev.Tier[p] != cur.Tier[i] {
			add(Change{id, ChangeTier, prev.Tier[p], cur.Tier[i]})
		}
		if prev.Segment[p] != cur.Segment[i] {
			add(Change{id, ChangeSegment, segText(prev.Segment[p]), segText(cur.Segment[i])})
		}
		had := map[string]bool{}
		for _, w := range prev.Warnings[p] {
			had[w] = true
		}
		for _, w := range cur.Warnings[i] {
			if !had[w] {
				add(Change{id, ChangeWarning, "", w})
			}
		}
	}
	if prev != nil {
		for p, id := range prev.IDs {
			if !present[id] {
				sum.Gone++
				add(Change{id, ChangeGone, prev.Grade[p], ""})
			}
		}
	}
	return out, sum
}

func segText(s int32) string {
	if s < 0 {
		return ""
	}
	return strconv.Itoa(int(s))
}

// CountByCode counts customers per warning code, every code present (zero when unused).
func CountByCode(w [][]string) map[string]int {
	out := map[string]int{}
	for _, c := range Codes() {
		out[c] = 0
	}
	for _, ws := range w {
		for _, c := range ws {
			out[c]++
		}
	}
	return out
}
