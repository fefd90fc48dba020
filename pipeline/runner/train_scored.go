package runner

import (
	"fmt"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"lendscore/models/scorecard"
	"lendscore/schemas"
	"lendscore/stages/ingest"
	"lendscore/stages/score/arrays"
	"lendscore/stages/train"
)

// trainScoredPartOptions are the part options of a train run's scored table: customer ids
// and PDs are (nearly) distinct, so a dictionary would only cost a hash per row and a page
// of every value (plain PD pages are also smaller once compressed: flat1m 13.2 -> 11.4 MB).
// Pages are compressed at zstd's fastest level, as a score run's scored parts are.
var trainScoredPartOptions = ingest.PartOptions{RowsPerPart: 1<<63 - 1, PlainColumns: []string{"customer_id", "pd"}, Fast: true}

// trainScoredBuilder builds the records of a train run's scored table
// (schemas.ScoredTrainingSchema) from arrays of scored rows, without Arrow builders. The
// code columns (grade, risk tier, reasons, model, version, run id, sample) are dictionaries
// over the texts they can take, which ingest.PartWriter writes as the Parquet dictionaries
// without hashing a text per row; the columns that hold the same value in every row are
// built once, as long as the longest record, and sliced. The records hold the same values
// as those of publish.Batches. Build may be called concurrently.
type trainScoredBuilder struct {
	schema *arrow.Schema // ScoredTrainingSchema with the code columns as dictionaries
	col    map[string]int
	// The dictionaries of the code columns and the code of each text.
	grades, tiers, reasons, samples arrow.Array
	gradeCode, tierCode, reasonCode map[string]int16
	// consts are the columns of constant values, constLen rows each.
	consts   map[int]arrow.Array
	constLen int
}

// trainCodeColumns are the code columns of the scored training table.
var trainCodeColumns = []string{"grade", "risk_tier", "reason_1", "reason_2", "reason_3", "model_name", "model_version", "run_id", "sample"}

// newTrainScoredBuilder returns a builder of the scored records of sc, dated asOf, naming
// the model, its version and the run; records have at most maxRows rows.
func newTrainScoredBuilder(sc *scorecard.Scorecard, asOf arrow.Date32, model, version, runID string, maxRows int) *trainScoredBuilder {
	fields := schemas.ScoredTrainingSchema().Fields()
	b := &trainScoredBuilder{col: map[string]int{}}
	for i, f := range fields {
		b.col[f.Name] = i
	}
	for _, name := range trainCodeColumns {
		fields[b.col[name]].Type = arrays.CodeType
	}
	b.schema = arrow.NewSchema(fields, nil)
	var grades, reasons []string
	for _, g := range sc.Grades {
		grades = append(grades, g.Name)
	}
	for _, c := range sc.Characteristics {
		reasons = append(reasons, c.ReasonCode)
	}
	b.grades, b.gradeCode = textCodes(grades)
	b.tiers, b.tierCode = textCodes([]string{scorecard.TierPrime, scorecard.TierStandard, scorecard.TierHighRisk})
	b.reasons, b.reasonCode = textCodes(reasons)
	b.samples, _ = arrays.Dictionary(train.SampleNames[:], true)

	n := maxRows
	b.constLen = n
	days := make([]arrow.Date32, n)
	for i := range days {
		days[i] = asOf
	}
	b.consts = map[int]arrow.Array{
		b.col["as_of_date"]:    arrays.Primitive(arrow.FixedWidthTypes.Date32, n, arrow.Date32Traits.CastToBytes(days)),
		b.col["segment"]:       arrays.Nulls(arrow.PrimitiveTypes.Int32, n),
		b.col["segment_name"]:  arrays.Nulls(arrow.BinaryTypes.String, n),
		b.col["warnings"]:      arrays.EmptyLists(fields[b.col["warnings"]].Type.(*arrow.ListType), n),
		b.col["model_name"]:    arrays.Repeated(model, n),
		b.col["model_version"]: arrays.Repeated(version, n),
		b.col["run_id"]:        arrays.Repeated(runID, n),
		b.col["service_tier"]:  arrays.Nulls(arrow.BinaryTypes.String, n),
		b.col["lifecycle"]:     arrays.Nulls(arrow.BinaryTypes.String, n),
	}
	return b
}

// Release releases the dictionaries and the constant columns.
func (b *trainScoredBuilder) Release() {
	for _, c := range b.consts {
		c.Release()
	}
	for _, d := range []arrow.Array{b.grades, b.tiers, b.reasons, b.samples} {
		d.Release()
	}
	b.consts = nil
}

// trainScoredRows are scored rows of the training table, one entry per row in each slice.
// Reason codes are -1 where a row has no such reason.
type trainScoredRows struct {
	ids         []string
	dates       []arrow.Date32 // nil: every row is as of the run's date
	score       []int32
	pd          []float64
	grade, tier []int16
	reasons     [3][]int16
	sample      []uint8
	bad         []int8
}

// newTrainScoredRows returns rows of capacity n (dates when the table has its own).
func newTrainScoredRows(n int, dates bool) *trainScoredRows {
	r := &trainScoredRows{ids: make([]string, n), score: make([]int32, n), pd: make([]float64, n),
		grade: make([]int16, n), tier: make([]int16, n), sample: make([]uint8, n), bad: make([]int8, n)}
	for q := range r.reasons {
		r.reasons[q] = make([]int16, n)
	}
	if dates {
		r.dates = make([]arrow.Date32, n)
	}
	return r
}

// set stores the scoring of row q.
func (b *trainScoredBuilder) set(rows *trainScoredRows, q int, res scorecard.Result) error {
	var ok bool
	rows.score[q], rows.pd[q] = int32(res.Score), res.PD
	if rows.grade[q], ok = b.gradeCode[res.Grade]; !ok {
		return fmt.Errorf("grade %q is not one of the scorecard's", res.Grade)
	}
	if rows.tier[q], ok = b.tierCode[res.Tier]; !ok {
		return fmt.Errorf("risk tier %q is unknown", res.Tier)
	}
	for k, reason := range res.Reasons {
		rows.reasons[k][q] = -1
		if reason == "" {
			continue
		}
		if rows.reasons[k][q], ok = b.reasonCode[reason]; !ok {
			return fmt.Errorf("reason %q is not one of the scorecard's", reason)
		}
	}
	return nil
}

// build returns the record of the first m rows. The record owns copies of the rows; the
// caller releases it.
func (b *trainScoredBuilder) build(rows *trainScoredRows, m int) arrow.Record {
	cols := make([]arrow.Array, len(b.schema.Fields()))
	size := 0
	for _, id := range rows.ids[:m] {
		size += len(id)
	}
	data := make([]byte, 0, size)
	offsets := make([]int32, 1, m+1)
	for _, id := range rows.ids[:m] {
		data = append(data, id...)
		offsets = append(offsets, int32(len(data)))
	}
	cols[b.col["customer_id"]] = arrays.Strings(m, data, offsets, nil, 0)
	if rows.dates != nil {
		cols[b.col["as_of_date"]] = arrays.Primitive(arrow.FixedWidthTypes.Date32, m, arrow.Date32Traits.CastToBytes(slices.Clone(rows.dates[:m])))
	}
	cols[b.col["score"]] = arrays.Primitive(arrow.PrimitiveTypes.Int32, m, arrow.Int32Traits.CastToBytes(slices.Clone(rows.score[:m])))
	cols[b.col["pd"]] = arrays.Primitive(arrow.PrimitiveTypes.Float64, m, arrow.Float64Traits.CastToBytes(slices.Clone(rows.pd[:m])))
	cols[b.col["bad"]] = arrays.Primitive(arrow.PrimitiveTypes.Int8, m, arrow.Int8Traits.CastToBytes(slices.Clone(rows.bad[:m])))
	cols[b.col["grade"]] = arrays.NullableCodes(b.grades, slices.Clone(rows.grade[:m]))
	cols[b.col["risk_tier"]] = arrays.NullableCodes(b.tiers, slices.Clone(rows.tier[:m]))
	for k, name := range []string{"reason_1", "reason_2", "reason_3"} {
		cols[b.col[name]] = arrays.NullableCodes(b.reasons, slices.Clone(rows.reasons[k][:m]))
	}
	samples := make([]int16, m)
	for i, s := range rows.sample[:m] {
		samples[i] = int16(s)
	}
	cols[b.col["sample"]] = arrays.NullableCodes(b.samples, samples)
	for i, c := range b.consts {
		if cols[i] != nil {
			continue
		}
		if m == b.constLen {
			c.Retain()
			cols[i] = c
		} else {
			cols[i] = array.NewSlice(c, 0, int64(m))
		}
	}
	rec := array.NewRecord(b.schema, cols, int64(m))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// textCodes returns the distinct non-empty texts, in order of first appearance, as a
// dictionary, and the position of each in it.
func textCodes(texts []string) (arrow.Array, map[string]int16) {
	dict, pos := arrays.Dictionary(texts, true)
	code := make(map[string]int16, dict.Len())
	for i, t := range texts {
		if pos[i] >= 0 {
			code[t] = pos[i]
		}
	}
	return dict, code
}
