package warn

import (
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// InteractionSignals computes, from clean interactions (canonical schema) and as of the end
// of asOf, each customer's days since the last complaint and the drop of the latest
// satisfaction score below the mean of the earlier ones of the last 12 months. index maps
// customer id to row; interactions of other customers and after asOf are ignored.
//
// It is NewInteractions, Add for every record and Signals, for interactions held whole.
func InteractionSignals(recs []arrow.Record, asOf time.Time, index map[string]int) (daysSinceComplaint, satisfactionDrop []float64, err error) {
	a := NewInteractions(asOf, index)
	for _, rec := range recs {
		if err := a.Add(rec); err != nil {
			return nil, nil, err
		}
	}
	daysSinceComplaint, satisfactionDrop = a.Signals()
	return daysSinceComplaint, satisfactionDrop, nil
}

// Interactions folds clean interactions, batch by batch, into the per-customer totals
// behind InteractionSignals, so that a nightly run can stream the interactions instead of
// holding them: it keeps five numbers per customer, whatever the number of rows. Rows must
// come in the same order to give the same signals as InteractionSignals over the whole
// table (the satisfaction score kept as the latest among rows of the same instant is the
// first one seen).
type Interactions struct {
	index      map[string]int
	asOf       time.Time
	start, end int64 // ms: the 12 months of satisfaction scores, end exclusive

	lastComplaint []int64 // ms; 0 none
	latestTS      []int64
	latestSat     []float64
	sum, cnt      []float64
}

// NewInteractions starts the totals of the customers of index (customer id to row) as of
// the end of asOf. index is only read, and must not change until Signals returns.
func NewInteractions(asOf time.Time, index map[string]int) *Interactions {
	n := len(index)
	day := asOf.UTC().Truncate(24 * time.Hour)
	return &Interactions{
		index: index, asOf: day,
		end:           day.AddDate(0, 0, 1).UnixMilli(),
		start:         day.AddDate(0, -12, 1).UnixMilli(),
		lastComplaint: make([]int64, n),
		latestTS:      make([]int64, n),
		latestSat:     make([]float64, n),
		sum:           make([]float64, n),
		cnt:           make([]float64, n),
	}
}

// Add folds a batch of clean interactions (the canonical schema; columns found by name,
// extra ones ignored). The batch is only read and may be released when Add returns.
func (a *Interactions) Add(rec arrow.Record) error {
	sch := rec.Schema()
	col := func(name string) (arrow.Array, error) {
		idx := sch.FieldIndices(name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("interactions: no column %s", name)
		}
		return rec.Column(idx[0]), nil
	}
	var cols [4]arrow.Array
	for k, name := range []string{"customer_id", "ts", "kind", "satisfaction"} {
		c, err := col(name)
		if err != nil {
			return err
		}
		cols[k] = c
	}
	ids, ok1 := cols[0].(*array.String)
	ts, ok2 := cols[1].(*array.Timestamp)
	kinds, ok3 := cols[2].(*array.String)
	sats, ok4 := cols[3].(*array.Int8)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return fmt.Errorf("interactions: columns customer_id, ts, kind, satisfaction are %s, %s, %s, %s; want string, timestamp, string, int8",
			cols[0].DataType(), cols[1].DataType(), cols[2].DataType(), cols[3].DataType())
	}
	for r := 0; r < int(rec.NumRows()); r++ {
		i, ok := a.index[ids.Value(r)]
		if !ok || ts.IsNull(r) {
			continue
		}
		t := int64(ts.Value(r))
		if t >= a.end {
			continue
		}
		if kinds.IsValid(r) && kinds.Value(r) == "complaint" && t > a.lastComplaint[i] {
			a.lastComplaint[i] = t
		}
		if sats.IsValid(r) && t >= a.start {
			v := float64(sats.Value(r))
			if t > a.latestTS[i] {
				if a.latestTS[i] != 0 {
					a.sum[i] += a.latestSat[i]
					a.cnt[i]++
				}
				a.latestTS[i], a.latestSat[i] = t, v
			} else {
				a.sum[i] += v
				a.cnt[i]++
			}
		}
	}
	return nil
}

// Signals returns, by row of index, the days since the last complaint and the drop of the
// latest satisfaction score (NaN where there is none), from the rows added so far.
func (a *Interactions) Signals() (daysSinceComplaint, satisfactionDrop []float64) {
	n := len(a.lastComplaint)
	daysSinceComplaint = make([]float64, n)
	satisfactionDrop = make([]float64, n)
	for i := 0; i < n; i++ {
		daysSinceComplaint[i] = math.NaN()
		if a.lastComplaint[i] != 0 {
			d := time.UnixMilli(a.lastComplaint[i]).UTC().Truncate(24 * time.Hour)
			daysSinceComplaint[i] = math.Floor(a.asOf.Sub(d).Hours() / 24)
		}
		satisfactionDrop[i] = math.NaN()
		if a.cnt[i] > 0 {
			satisfactionDrop[i] = a.sum[i]/a.cnt[i] - a.latestSat[i]
		}
	}
	return daysSinceComplaint, satisfactionDrop
}
