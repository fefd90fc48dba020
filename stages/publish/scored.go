// Package publish turns stage results into the tables and files a run publishes: the scored
// table in the contract schema (schemas.ScoredSchema), binning.csv and the like. It builds
// Arrow records and bytes; the pipeline writes them.
package publish

import (
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
	"lendscore/stages/score"
)

// ScoredRows describes the rows of a scored table: one per customer.
type ScoredRows struct {
	IDs  []string
	AsOf time.Time
	// AsOfDates, when set, gives each row its own as_of_date (training on several
	// snapshots); otherwise every row has AsOf.
	AsOfDates []arrow.Date32
	Scores    *score.Scores
	Segment   []int32  // nil: no segments (null)
	SegName   []string // nil: no segments
	// ServiceTier and Lifecycle per row; nil: null.
	ServiceTier []string
	Lifecycle   []string
	// Warnings per row; nil: none for every row.
	Warnings                   [][]string
	Model, ModelVersion, RunID string
	// Sample and Bad are set for train and backtest runs (ScoredTrainingSchema).
	Sample []string
	Bad    []int8
}

// BatchRows is the number of rows per record that Records builds.
const BatchRows = 1 << 16

// Schema is the schema of the scored table of r: schemas.ScoredTrainingSchema with Sample
// set, else schemas.ScoredSchema.
func (r ScoredRows) Schema() *arrow.Schema {
	if r.Sample != nil {
		return schemas.ScoredTrainingSchema()
	}
	return schemas.ScoredSchema()
}

// Records builds the whole scored table as records of at most BatchRows rows.
func Records(r ScoredRows) []arrow.Record {
	var out []arrow.Record
	_ = Batches(r, func(rec arrow.Record) error {
		rec.Retain()
		out = append(out, rec)
		return nil
	})
	return out
}

// Batches builds the scored table one record of at most BatchRows rows at a time and hands
// each to fn, which borrows it (Retain to keep it); memory stays one batch whatever the
// number of rows. An empty table yields one empty record.
func Batches(r ScoredRows, fn func(arrow.Record) error) error {
	sch := r.Schema()
	mem := memory.DefaultAllocator
	day := arrow.Date32FromTime(r.AsOf)
	n := len(r.IDs)
	for start := 0; start < n || (n == 0 && start == 0); start += BatchRows {
		end := min(start+BatchRows, n)
		b := array.NewRecordBuilder(mem, sch)
		b.Reserve(end - start)
		f := b.Fields()
		for i := start; i < end; i++ {
			f[0].(*array.StringBuilder).Append(r.IDs[i])
			if r.AsOfDates != nil {
				f[1].(*array.Date32Builder).Append(r.AsOfDates[i])
			} else {
				f[1].(*array.Date32Builder).Append(day)
			}
			f[2].(*array.Int32Builder).Append(r.Scores.Score[i])
			f[3].(*array.Float64Builder).Append(r.Scores.PD[i])
			f[4].(*array.StringBuilder).Append(r.Scores.Grade[i])
			f[5].(*array.StringBuilder).Append(r.Scores.Tier[i])
			if r.Segment != nil {
				f[6].(*array.Int32Builder).Append(r.Segment[i])
				f[7].(*array.StringBuilder).Append(r.SegName[i])
			} else {
				f[6].AppendNull()
				f[7].AppendNull()
			}
			for q := 0; q < 3; q++ {
				if v := r.Scores.Reasons[q][i]; v != "" {
					f[8+q].(*array.StringBuilder).Append(v)
				} else {
					f[8+q].AppendNull()
				}
			}
			lb := f[11].(*array.ListBuilder)
			lb.Append(true)
			if r.Warnings != nil {
				vb := lb.ValueBuilder().(*array.StringBuilder)
				for _, w := range r.Warnings[i] {
					vb.Append(w)
				}
			}
			f[12].(*array.StringBuilder).Append(r.Model)
			f[13].(*array.StringBuilder).Append(r.ModelVersion)
			f[14].(*array.StringBuilder).Append(r.RunID)
			for k, col := range [][]string{r.ServiceTier, r.Lifecycle} {
				if col != nil && col[i] != "" {
					f[15+k].(*array.StringBuilder).Append(col[i])
				} else {
					f[15+k].AppendNull()
				}
			}
			if r.Sample != nil {
				f[17].(*array.StringBuilder).Append(r.Sample[i])
				f[18].(*array.Int8Builder).Append(r.Bad[i])
			}
		}
		rec := b.NewRecord()
		b.Release()
		err := fn(rec)
		rec.Release()
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	return nil
}
