package score_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
	"lendscore/stages/publish"
	"lendscore/stages/score"
)

// TestRecordBuilderMatchesPublish builds the scored records of a batch, whole and with rows
// left out, and compares them with publish.Batches of the same rows.
func TestRecordBuilderMatchesPublish(t *testing.T) {
	sc := score.RichCard(t)
	s, _ := score.NewScorer(sc)
	rec := score.RichRecord(5_000, 3)
	defer rec.Release()
	var b score.Batch
	if err := s.Score(rec, &b); err != nil {
		t.Fatal(err)
	}
	asOf := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	rb := score.NewRecordBuilder(s, arrow.Date32FromTime(asOf), sc.Model, sc.Version, "20260630T000000.000Z-00000000")
	defer rb.Release()
	for _, keep := range [][]int32{nil, {4, 0, 17, 4999}, {}} {
		rows := keep
		if rows == nil {
			rows = make([]int32, b.Len())
			for i := range rows {
				rows[i] = int32(i)
			}
		}
		var data []byte
		offsets := []int32{0}
		want := publish.ScoredRows{AsOf: asOf, Model: sc.Model, ModelVersion: sc.Version, RunID: "20260630T000000.000Z-00000000",
			Scores: &score.Scores{}}
		for _, i := range rows {
			id := "C" + strconv.Itoa(int(i))
			data = append(data, id...)
			offsets = append(offsets, int32(len(data)))
			want.IDs = append(want.IDs, id)
			want.Scores.Score = append(want.Scores.Score, b.Score[i])
			want.Scores.PD = append(want.Scores.PD, b.PD[i])
			want.Scores.Grade = append(want.Scores.Grade, s.GradeName(b.Grade[i]))
			want.Scores.Tier = append(want.Scores.Tier, score.TierNames[b.Tier[i]])
			for q := range 3 {
				r := ""
				if c := b.Reason[q][i]; c >= 0 {
					r = s.ReasonCode(c)
				}
				want.Scores.Reasons[q] = append(want.Scores.Reasons[q], r)
			}
		}
		built := rb.Build(data, offsets, &b, keep)
		got := dense(built)
		built.Release()
		wantRecs := publish.Records(want)
		if len(wantRecs) != 1 {
			t.Fatalf("%d records", len(wantRecs))
		}
		if !array.RecordEqual(got, wantRecs[0]) || !got.Schema().Equal(wantRecs[0].Schema()) {
			t.Errorf("keep %v: records differ:\n%v\n%v", keep, got, wantRecs[0])
		}
		got.Release()
		wantRecs[0].Release()
	}
}

// dense decodes the dictionary columns of a built record into the string columns of the
// contract's schema (schemas.ScoredSchema), value by value.
func dense(rec arrow.Record) arrow.Record {
	cols := make([]arrow.Array, rec.NumCols())
	for i, c := range rec.Columns() {
		d, ok := c.(*array.Dictionary)
		if !ok {
			c.Retain()
			cols[i] = c
			continue
		}
		vals := d.Dictionary().(*array.String)
		sb := array.NewStringBuilder(memory.DefaultAllocator)
		for k := 0; k < d.Len(); k++ {
			if d.IsNull(k) {
				sb.AppendNull()
				continue
			}
			sb.Append(vals.Value(d.GetValueIndex(k)))
		}
		cols[i] = sb.NewArray()
		sb.Release()
	}
	out := array.NewRecord(schemas.ScoredSchema(), cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return out
}
