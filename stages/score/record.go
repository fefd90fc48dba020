package score

import (
	"bytes"
	"sync"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
)

// RecordBuilder builds the scored table (schemas.ScoredSchema) of a score run batch by
// batch, straight from the columns of a Batch: the Arrow buffers are filled in one pass
// without builders, and the columns that are the same in every row (as_of_date, model,
// version, run id, and the null segment, warning and CRM columns) are built once and shared
// by the records. The records equal those publish.Batches builds from the
// same rows. It is safe for concurrent use.
type RecordBuilder struct {
	scorer                *Scorer
	asOf                  arrow.Date32
	model, version, runID string
	schema                *arrow.Schema
	grades                [][]byte
	reasons               [][]byte // per characteristic; empty: null

	mu       sync.Mutex
	constLen int
	consts   map[int]arrow.Array // column index → shared column of constLen rows, sliced per record
}

// NewRecordBuilder returns a builder of scored records dated asOf, naming the model, its
// version and the run.
func NewRecordBuilder(s *Scorer, asOf arrow.Date32, model, version, runID string) *RecordBuilder {
	r := &RecordBuilder{scorer: s, asOf: asOf, model: model, version: version, runID: runID, schema: schemas.ScoredSchema()}
	for _, g := range s.sc.Grades {
		r.grades = append(r.grades, []byte(g.Name))
	}
	for _, ch := range s.sc.Characteristics {
		r.reasons = append(r.reasons, []byte(ch.ReasonCode))
	}
	return r
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
	cols[colID] = stringArray(n, idData, idOffsets, nil, 0)

	scores := make([]int32, n)
	pds := make([]float64, n)
	for k := 0; k < n; k++ {
		i := row(k)
		scores[k], pds[k] = b.Score[i], b.PD[i]
	}
	cols[colScore] = fromData(array.NewData(arrow.PrimitiveTypes.Int32, n,
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(scores))}, nil, 0, 0))
	cols[colPD] = fromData(array.NewData(arrow.PrimitiveTypes.Float64, n,
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(pds))}, nil, 0, 0))

	cols[colGrade] = codes(n, func(k int) []byte { return r.grades[b.Grade[row(k)]] }, false)
	cols[colTier] = codes(n, func(k int) []byte { return tierBytes[b.Tier[row(k)]] }, false)
	for q := 0; q < 3; q++ {
		reason := b.Reason[q]
		cols[colReason1+q] = codes(n, func(k int) []byte {
			if c := reason[row(k)]; c >= 0 {
				return r.reasons[c]
			}
			return nil
		}, true)
	}
	r.constants(n, cols)
	rec := array.NewRecord(r.schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

var tierBytes = [3][]byte{[]byte(TierNames[0]), []byte(TierNames[1]), []byte(TierNames[2])}

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
			colAsOf: fromData(array.NewData(arrow.FixedWidthTypes.Date32, n,
				[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Date32Traits.CastToBytes(days))}, nil, 0, 0)),
			colSegment:     nullArray(arrow.PrimitiveTypes.Int32, n),
			colSegmentName: nullArray(arrow.BinaryTypes.String, n),
			colWarnings:    emptyLists(n),
			colModel:       repeated(n, r.model),
			colVersion:     repeated(n, r.version),
			colRunID:       repeated(n, r.runID),
			colServiceTier: nullArray(arrow.BinaryTypes.String, n),
			colLifecycle:   nullArray(arrow.BinaryTypes.String, n),
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

// Release releases the shared columns.
func (r *RecordBuilder) Release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.consts {
		c.Release()
	}
	r.consts = nil
}

// codes builds a string column whose row k is text(k); with nullable, an empty text is null.
func codes(n int, text func(k int) []byte, nullable bool) arrow.Array {
	offsets := make([]int32, n+1)
	size := 0
	for k := 0; k < n; k++ {
		size += len(text(k))
	}
	data := make([]byte, 0, size)
	var valid []byte
	nulls := 0
	if nullable {
		valid = make([]byte, bitutil.BytesForBits(int64(n)))
	}
	for k := 0; k < n; k++ {
		t := text(k)
		if nullable {
			if len(t) == 0 {
				nulls++
			} else {
				bitutil.SetBit(valid, k)
			}
		}
		data = append(data, t...)
		offsets[k+1] = int32(len(data))
	}
	return stringArray(n, data, offsets, valid, nulls)
}

func stringArray(n int, data []byte, offsets []int32, valid []byte, nulls int) arrow.Array {
	var vb *memory.Buffer
	if valid != nil {
		vb = memory.NewBufferBytes(valid)
	}
	return fromData(array.NewData(arrow.BinaryTypes.String, n,
		[]*memory.Buffer{vb, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offsets)), memory.NewBufferBytes(data)}, nil, nulls, 0))
}

// repeated is a string column holding s in each of n rows.
func repeated(n int, s string) arrow.Array {
	offsets := make([]int32, n+1)
	for k := range offsets {
		offsets[k] = int32(k * len(s))
	}
	return stringArray(n, bytes.Repeat([]byte(s), n), offsets, nil, 0)
}

// nullArray is a column of type t (int32 or string) with n nulls.
func nullArray(t arrow.DataType, n int) arrow.Array {
	valid := memory.NewBufferBytes(make([]byte, bitutil.BytesForBits(int64(n))))
	if t.ID() == arrow.STRING {
		return fromData(array.NewData(t, n,
			[]*memory.Buffer{valid, memory.NewBufferBytes(make([]byte, 4*(n+1))), memory.NewBufferBytes(nil)}, nil, n, 0))
	}
	return fromData(array.NewData(t, n, []*memory.Buffer{valid, memory.NewBufferBytes(make([]byte, 4*n))}, nil, n, 0))
}

// emptyLists is a list<string> column of n empty (not null) lists.
func emptyLists(n int) arrow.Array {
	lt := schemas.ScoredSchema().Field(colWarnings).Type.(*arrow.ListType)
	child := array.NewData(lt.Elem(), 0, []*memory.Buffer{nil, memory.NewBufferBytes(make([]byte, 4)), memory.NewBufferBytes(nil)}, nil, 0, 0)
	defer child.Release()
	return fromData(array.NewData(lt, n, []*memory.Buffer{nil, memory.NewBufferBytes(make([]byte, 4*(n+1)))},
		[]arrow.ArrayData{child}, 0, 0))
}

// fromData makes the array of d and drops the caller's reference to d.
func fromData(d arrow.ArrayData) arrow.Array {
	defer d.Release()
	return array.MakeFromData(d)
}
