package runner

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"lendscore/models/scorecard"
	"lendscore/pipeline/storage"
	"lendscore/schemas"
	"lendscore/stages/ingest"
	"lendscore/stages/publish"
	"lendscore/stages/score"
	"lendscore/stages/train"
)

// cell is the value of row i of a column as text, dictionaries decoded, "∅" for null.
func cell(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "∅"
	}
	switch a := a.(type) {
	case *array.Dictionary:
		return cell(a.Dictionary(), a.GetValueIndex(i))
	case *array.List:
		start, end := a.ValueOffsets(i)
		s := "["
		for k := start; k < end; k++ {
			s += cell(a.ListValues(), int(k)) + ","
		}
		return s + "]"
	}
	return a.ValueStr(i)
}

// TestTrainScoredBuilder builds scored rows — reasons missing, repeated reason codes,
// several records, a last short one — with the builder and with publish.Batches, and
// requires the same values in every cell, both in the records and in the Parquet files the
// part writer makes of them (read back by ingest), as well as the training schema.
func TestTrainScoredBuilder(t *testing.T) {
	sc := &scorecard.Scorecard{
		Grades:          []scorecard.Grade{{Name: "A", MaxPD: 0.05}, {Name: "B", MaxPD: 0.2}, {Name: "C", MaxPD: 1}},
		Characteristics: []scorecard.Characteristic{{ReasonCode: "AGE"}, {ReasonCode: "INC"}, {ReasonCode: "AGE"}, {ReasonCode: "DPD"}},
	}
	asOf := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	const n, batch = 2500, 1000
	want := publish.ScoredRows{AsOf: asOf, Model: "m", ModelVersion: "v1", RunID: "run",
		Scores: &score.Scores{Score: make([]int32, n), PD: make([]float64, n), Grade: make([]string, n), Tier: make([]string, n)},
		IDs:    make([]string, n), Sample: make([]string, n), Bad: make([]int8, n)}
	for q := range want.Scores.Reasons {
		want.Scores.Reasons[q] = make([]string, n)
	}
	results := make([]scorecard.Result, n)
	samples := make([]uint8, n)
	codes := []string{"AGE", "INC", "DPD"}
	tiers := []string{scorecard.TierPrime, scorecard.TierStandard, scorecard.TierHighRisk}
	for i := range n {
		r := scorecard.Result{Score: 400 + i%251, PD: float64(i%997) / 997, Grade: sc.Grades[i%3].Name, Tier: tiers[i*7%3]}
		for q := range i % 4 {
			if q < 3 {
				r.Reasons[q] = codes[(i+q)%3]
			}
		}
		results[i] = r
		samples[i] = uint8(i % 3)
		want.IDs[i] = fmt.Sprintf("id-%d", i*31)
		want.Scores.Score[i], want.Scores.PD[i], want.Scores.Grade[i], want.Scores.Tier[i] = int32(r.Score), r.PD, r.Grade, r.Tier
		for q := range r.Reasons {
			want.Scores.Reasons[q][i] = r.Reasons[q]
		}
		want.Sample[i] = train.SampleNames[samples[i]]
		want.Bad[i] = int8(i % 2)
	}

	b := newTrainScoredBuilder(sc, arrow.Date32FromTime(asOf), "m", "v1", "run", batch)
	defer b.Release()
	rows := newTrainScoredRows(batch, false)
	var got []arrow.Record
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		copy(rows.ids, want.IDs[lo:hi])
		copy(rows.sample, samples[lo:hi])
		copy(rows.bad, want.Bad[lo:hi])
		for i := lo; i < hi; i++ {
			if err := b.set(rows, i-lo, results[i]); err != nil {
				t.Fatal(err)
			}
		}
		got = append(got, b.build(rows, hi-lo))
	}
	wantRecs := publish.Records(want)
	defer func() {
		for _, r := range append(got, wantRecs...) {
			r.Release()
		}
	}()
	table := func(recs []arrow.Record) [][]string {
		var out [][]string
		for _, r := range recs {
			for i := range int(r.NumRows()) {
				var row []string
				for _, c := range r.Columns() {
					row = append(row, cell(c, i))
				}
				out = append(out, row)
			}
		}
		return out
	}
	same := func(what string, got, want [][]string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
		}
		for i := range want {
			if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
				t.Fatalf("%s: row %d\n got %v\nwant %v", what, i, got[i], want[i])
			}
		}
	}
	same("records", table(got), table(wantRecs))

	ctx := context.Background()
	dir := storage.MustParse(t.TempDir() + "/")
	write := func(name string, recs []arrow.Record, opts ingest.PartOptions) [][]string {
		loc := dir.MustJoin(name)
		pw, err := ingest.NewPartWriter(ctx, onePartStore{storage.Local{}, loc}, loc, schemas.ScoredTrainingSchema(), opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if err := pw.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		tbl, err := ingest.ReadTable(ctx, storage.NewStores(storage.Options{}), name, loc.String(), ingest.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer tbl.Release()
		if !tbl.Schema.Equal(schemas.ScoredTrainingSchema()) {
			t.Errorf("%s: schema %s", name, tbl.Schema)
		}
		var recs2 []arrow.Record
		for _, bt := range tbl.Batches {
			recs2 = append(recs2, bt.Record)
		}
		return table(recs2)
	}
	same("files", write("built.parquet", got, trainScoredPartOptions), write("published.parquet", wantRecs, ingest.PartOptions{RowsPerPart: 1<<63 - 1}))
}
