package score

import (
	"sync"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"

	"lendscore/schemas"
	"lendscore/stages/score/arrays"
)

// RecordBuilder builds the scored table (schemas.ScoredSchema) of a score run batch by
// batch, straight from the columns of a Batch: the Arrow buffers are filled in one pass
// without builders, and the columns that are the same in every row (as_of_date, model,
// version, run id, and the null segment, warning and CRM columns) are built once and shared
// by the records.
//
// The code columns — grade, risk_tier, reason_1..3, model_name, model_version, run_id — are
// Arrow dictionaries (int16 indices into the distinct codes, in the scorecard's order), which
// PartWriter writes as Parquet dictionary pages without hashing a string per row; every
// other column has its type in schemas.ScoredSchema. Decoded (Dense), the records equal
// those publish.Batches builds from the same rows, and a PartWriter's file read back holds
// them with the contract's types. It is safe for concurrent use.
type RecordBuilder struct {
	scorer                *Scorer
	asOf                  arrow.Date32
	model, version, runID string
	schema                *arrow.Schema
	gradeDict, tierDict   arrow.Array
	reasonDict            arrow.Array
	gradeCode             []int16 // grade index → dictionary index
	reasonCode            []int16 // characteristic → dictionary index

	mu       sync.Mutex
	constLen int
	consts   map[int]arrow.Array // column index → shared column of constLen rows, sliced per record
}

// NewRecordBuilder returns a builder of scored records dated asOf, naming the model, its
// version and the run.
func NewRecordBuilder(s *Scorer, asOf arrow.Date32, model, version, runID string) *RecordBuilder {
	r := &RecordBuilder{scorer: s, asOf: asOf, model: model, version: version, runID: runID, schema: encodedSchema()}
	var grades, reasons []string
	for _, g := range s.sc.Grades {
		grades = append(grades, g.Name)
	}
	for _, ch := range s.sc.Characteristics {
		reasons = append(reasons, ch.ReasonCode)
	}
	r.gradeDict, r.gradeCode = arrays.Dictionary(grades, false)
	r.tierDict, _ = arrays.Dictionary(TierNames[:], false)
	r.reasonDict, r.reasonCode = arrays.Dictionary(reasons, true)
	return r
}

// codeColumns are the positions of the code columns.
var codeColumns = []int{colGrade, colTier, colReason1, colReason2, colReason3, colModel, colVersion, colRunID}

// nullTextColumns are the positions of the string columns a score run leaves null in every
// row (segment_name, service_tier, lifecycle). They too are built as code columns, of an
// empty dictionary: Arrow writes a dense string column through a []parquet.ByteArray of
// one slice per row, 24 bytes per row to allocate and fill for nothing but nulls, and a
// code column from its indices; the Parquet bytes are the same.
var nullTextColumns = []int{colSegmentName, colServiceTier, colLifecycle}

// encodedSchema is schemas.ScoredSchema with the code columns and the null text columns as
// dictionaries.
func encodedSchema() *arrow.Schema {
	fields := schemas.ScoredSchema().Fields()
	for _, i := range codeColumns {
		fields[i].Type = arrays.CodeType
	}
	for _, i := range nullTextColumns {
		fields[i].Type = arrays.CodeType
	}
	return arrow.NewSchema(fields, nil)
}

// Schema is the schema of the records built.
func (r *RecordBuilder) Schema() *arrow.Schema { return r.schema }

// Scored column positions in schemas.ScoredSchema.
const (
	colID = iota
	colAsOf
	colScore
	colPD
	colGrade
	colTier
	colSegment
	colSegmentName
	colReason1
	colReason2
	colReason3
	colWarnings
	colModel
	colVersion
	colRunID
	colServiceTier
	colLifecycle
	numScoredCols
)

// Build returns the scored record of the rows keep of b (every row when keep is nil), in
// that order. ids holds the customer ids of those rows as one string column's buffers:
// idData the texts one after the other, idOffsets (len(keep)+1 entries) where each starts.
// The record takes ownership of idData and idOffsets. The caller releases the record.
func (r *RecordBuilder) Build(idData []byte, idOffsets []int32, b *Batch, keep []int32) arrow.Record {
	n := b.Len()
	if keep != nil {
		n = len(keep)
	}
	row := func(k int) int {
		if keep != nil {
			return int(keep[k])
		}
		return k
	}
	cols := make([]arrow.Array, numScoredCols)
	cols[colID] = arrays.Strings(n, idData, idOffsets, nil, 0)

	scores := make([]int32, n)
	pds := make([]float64, n)
	for k := 0; k < n; k++ {
		i := row(k)
		scores[k], pds[k] = b.Score[i], b.PD[i]
	}
	cols[colScore] = arrays.Primitive(arrow.PrimitiveTypes.Int32, n, arrow.Int32Traits.CastToBytes(scores))
	cols[colPD] = arrays.Primitive(arrow.PrimitiveTypes.Float64, n, arrow.Float64Traits.CastToBytes(pds))

	grade := make([]int16, n)
	tier := make([]int16, n)
	for k := 0; k < n; k++ {
		i := row(k)
		grade[k] = r.gradeCode[b.Grade[i]]
		tier[k] = int16(b.Tier[i])
	}
	cols[colGrade] = arrays.Codes(r.gradeDict, grade, nil, 0)
	cols[colTier] = arrays.Codes(r.tierDict, tier, nil, 0)
	for q := 0; q < 3; q++ {
		reason := b.Reason[q]
		idx := make([]int16, n)
		valid := make([]byte, bitutil.BytesForBits(int64(n)))
		nulls := 0
		for k := 0; k < n; k++ {
			c := reason[row(k)]
			if c >= 0 {
				c = r.reasonCode[c]
			}
			if c < 0 {
				nulls++
				continue
			}
			idx[k] = c
			bitutil.SetBit(valid, k)
		}
		cols[colReason1+q] = arrays.Codes(r.reasonDict, idx, valid, nulls)
	}
	r.constants(n, cols)
	rec := array.NewRecord(r.schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// constants fills the columns that do not vary by row: slices of columns built once, as long
// as the longest record so far, and shared by every record.
func (r *RecordBuilder) constants(n int, cols []arrow.Array) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.consts == nil || r.constLen < n {
		for _, c := range r.consts {
			c.Release()
		}
		r.constLen = n
		days := make([]arrow.Date32, n)
		for i := range days {
			days[i] = r.asOf
		}
		r.consts = map[int]arrow.Array{
			colAsOf:        arrays.Primitive(arrow.FixedWidthTypes.Date32, n, arrow.Date32Traits.CastToBytes(days)),
			colSegment:     arrays.Nulls(arrow.PrimitiveTypes.Int32, n),
			colSegmentName: arrays.NullCodes(n),
			colWarnings:    arrays.EmptyLists(schemas.ScoredSchema().Field(colWarnings).Type.(*arrow.ListType), n),
			colModel:       arrays.Repeated(r.model, n),
			colVersion:     arrays.Repeated(r.version, n),
			colRunID:       arrays.Repeated(r.runID, n),
			colServiceTier: arrays.NullCodes(n),
			colLifecycle:   arrays.NullCodes(n),
		}
	}
	for i, c := range r.consts {
		if c.Len() == n {
			c.Retain()
			cols[i] = c
		} else {
			cols[i] = array.NewSlice(c, 0, int64(n))
		}
	}
}

// Release releases the shared columns and dictionaries.
func (r *RecordBuilder) Release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.consts {
		c.Release()
	}
	r.consts = nil
	for _, d := range []arrow.Array{r.gradeDict, r.tierDict, r.reasonDict} {
		if d != nil {
			d.Release()
		}
	}
	r.gradeDict, r.tierDict, r.reasonDict = nil, nil, nil
}
