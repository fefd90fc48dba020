package publish

import (
	"bytes"
	"encoding/csv"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"lendscore/models/binning"
	"lendscore/schemas"
	"lendscore/stages/score"
)

func TestRecords(t *testing.T) {
	n := BatchRows + 3 // two batches
	sc := &score.Scores{Score: make([]int32, n), PD: make([]float64, n), Grade: make([]string, n), Tier: make([]string, n)}
	for q := range sc.Reasons {
		sc.Reasons[q] = make([]string, n)
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = string(rune('a' + i%26))
		sc.Score[i], sc.PD[i], sc.Grade[i], sc.Tier[i] = int32(500+i%100), 0.01, "C", "prime"
	}
	sc.Reasons[0][0] = "age"
	asOf := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	recs := Records(ScoredRows{IDs: ids, AsOf: asOf, Scores: sc, Model: "m", ModelVersion: "v", RunID: "r",
		Warnings: append([][]string{{"score_drop", "new_dpd30"}}, make([][]string, n-1)...)})
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	if len(recs) != 2 || recs[0].NumRows() != BatchRows || recs[1].NumRows() != 3 {
		t.Fatalf("%d batches", len(recs))
	}
	r := recs[0]
	if !r.Schema().Equal(schemas.ScoredSchema()) {
		t.Fatalf("schema %v", r.Schema())
	}
	col := func(name string) arrow.Array { return r.Column(r.Schema().FieldIndices(name)[0]) }
	if d := col("as_of_date").(*array.Date32).Value(0); d != arrow.Date32FromTime(asOf) {
		t.Errorf("as_of_date %v", d)
	}
	if !col("segment").IsNull(0) || !col("reason_2").IsNull(0) || col("reason_1").(*array.String).Value(0) != "age" || !col("reason_1").IsNull(1) {
		t.Error("nulls where there is no segment or reason")
	}
	w := col("warnings").(*array.List)
	if start, end := w.ValueOffsets(0); end-start != 2 {
		t.Errorf("row 0 has %d warnings", end-start)
	}
	if start, end := w.ValueOffsets(1); end != start || w.IsNull(1) {
		t.Error("row 1: want an empty, non-null warnings list")
	}
	if col("run_id").(*array.String).Value(5) != "r" || col("score").(*array.Int32).Value(5) != 505 {
		t.Error("values")
	}

	// With samples: the training schema and per-row dates.
	days := make([]arrow.Date32, n)
	days[1] = 19000
	tr := Records(ScoredRows{IDs: ids, AsOf: asOf, AsOfDates: days, Scores: sc, Sample: make([]string, n), Bad: make([]int8, n)})
	defer func() {
		for _, r := range tr {
			r.Release()
		}
	}()
	if !tr[0].Schema().Equal(schemas.ScoredTrainingSchema()) || tr[0].Column(1).(*array.Date32).Value(1) != 19000 {
		t.Error("training schema or per-row as_of_date")
	}
}

func TestBinningCSV(t *testing.T) {
	x := make([]float64, 400)
	y := make([]int8, 400)
	for i := range x {
		x[i] = float64(i % 40)
		if i%40 >= 30 && i%3 == 0 || i%11 == 0 {
			y[i] = 1
		}
	}
	x[0] = math.NaN()
	v, err := binning.FitNumeric("x", x, y, nil, binning.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	out := BinningCSV([]string{"x", "absent"}, map[string]*binning.Variable{"x": v}, map[string]bool{"x": true})
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(v.Bins) || rows[0][0] != "variable" || rows[0][9] != "woe" {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	for i, r := range rows[1:] {
		if r[0] != "x" || r[3] != v.Bins[i].Label || r[12] != "true" {
			t.Errorf("row %d: %v", i, r)
		}
	}
}
