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
func InteractionSignals(recs []arrow.Record, asOf time.Time, index map[string]int) (daysSinceComplaint, satisfactionDrop []float64, err error) {
	n := len(index)
	daysSinceComplaint = make([]float64, n)
	satisfactionDrop = make([]float64, n)
	lastComplaint := make([]int64, n) // ms; 0 none
	latestTS := make([]int64, n)
	latestSat := make([]float64, n)
	sum := make([]float64, n)
	cnt := make([]float64, n)
	end := asOf.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1).UnixMilli() // exclusive
	start := asOf.UTC().Truncate(24*time.Hour).AddDate(0, -12, 1).UnixMilli()
	for _, rec := range recs {
		sch := rec.Schema()
		col := func(name string) (arrow.Array, error) {
			idx := sch.FieldIndices(name)
			if len(idx) == 0 {
				return nil, fmt.Errorf("interactions: no column %s", name)
			}
			return rec.Column(idx[0]), nil
		}
		ida, err := col("customer_id")
		if err != nil {
			return nil, nil, err
		}
		tsa, err := col("ts")
		if err != nil {
			return nil, nil, err
		}
		ka, err := col("kind")
		if err != nil {
			return nil, nil, err
		}
		sa, err := col("satisfaction")
		if err != nil {
			return nil, nil, err
		}
		ids, ts, kinds, sats := ida.(*array.String), tsa.(*array.Timestamp), ka.(*array.String), sa.(*array.Int8)
		for r := 0; r < int(rec.NumRows()); r++ {
			i, ok := index[ids.Value(r)]
			if !ok || ts.IsNull(r) {
				continue
			}
			t := int64(ts.Value(r))
			if t >= end {
				continue
			}
			if kinds.IsValid(r) && kinds.Value(r) == "complaint" && t > lastComplaint[i] {
				lastComplaint[i] = t
			}
			if sats.IsValid(r) && t >= start {
				v := float64(sats.Value(r))
				if t > latestTS[i] {
					if latestTS[i] != 0 {
						sum[i] += latestSat[i]
						cnt[i]++
					}
					latestTS[i], latestSat[i] = t, v
				} else {
					sum[i] += v
					cnt[i]++
				}
			}
		}
	}
	asOfDay := asOf.UTC().Truncate(24 * time.Hour)
	for i := 0; i < n; i++ {
		daysSinceComplaint[i] = math.NaN()
		if lastComplaint[i] != 0 {
			d := time.UnixMilli(lastComplaint[i]).UTC().Truncate(24 * time.Hour)
			daysSinceComplaint[i] = math.Floor(asOfDay.Sub(d).Hours() / 24)
		}
		satisfactionDrop[i] = math.NaN()
		if cnt[i] > 0 {
			satisfactionDrop[i] = sum[i]/cnt[i] - latestSat[i]
		}
	}
	return daysSinceComplaint, satisfactionDrop, nil
}
