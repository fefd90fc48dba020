package score

import (
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
	r.gradeDict, r.gradeCode = dictionaryOf(grades, false)
	r.tierDict, _ = dictionaryOf(TierNames[:], false)
	r.reasonDict, r.reasonCode = dictionaryOf(reasons, true)
	return r
}

// codeType is the type of the code columns of built records.
var codeType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}

// codeColumns are the positions of the code columns.
var codeColumns = []int{colGrade, colTier, colReason1, colReason2, colReason3, colModel, colVersion, colRunID}

// encodedSchema is schemas.ScoredSchema with the code columns as dictionaries.
func encodedSchema() *arrow.Schema {
	fields := schemas.ScoredSchema().Fields()
	for _, i := range codeColumns {
		fields[i].Type = codeType
	}
	return arrow.NewSchema(fields, nil)
}

// dictionaryOf returns the distinct texts among texts, in order of first appearance, as a
// string column, and the position of each text in it. With emptyIsNull an empty text has no
// position (-1): a row coded by it is null.
func dictionaryOf(texts []string, emptyIsNull bool) (arrow.Array, []int16) {
	var (
		data    []byte
		offsets = []int32{0}
		seen    = map[string]int16{}
		pos     = make([]int16, len(texts))
	)
	for i, t := range texts {
		if t == "" && emptyIsNull {
			pos[i] = -1
			continue
		}
		k, ok := seen[t]
		if !ok {
			k = int16(len(seen))
			seen[t] = k
			data = append(data, t...)
			offsets = append(offsets, int32(len(data)))
		}
		pos[i] = k
	}
	return stringArray(len(seen), data, offsets, nil, 0), pos
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

	grade := make([]int16, n)
	tier := make([]int16, n)
	for k := 0; k < n; k++ {
		i := row(k)
		grade[k] = r.gradeCode[b.Grade[i]]
		tier[k] = int16(b.Tier[i])
	}
	cols[colGrade] = dictionaryArray(r.gradeDict, grade, nil, 0)
	cols[colTier] = dictionaryArray(r.tierDict, tier, nil, 0)
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
		cols[colReason1+q] = dictionaryArray(r.reasonDict, idx, valid, nulls)
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

func stringArray(n int, data []byte, offsets []int32, valid []byte, nulls int) arrow.Array {
	var vb *memory.Buffer
	if valid != nil {
		vb = memory.NewBufferBytes(valid)
	}
	return fromData(array.NewData(arrow.BinaryTypes.String, n,
		[]*memory.Buffer{vb, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offsets)), memory.NewBufferBytes(data)}, nil, nulls, 0))
}

// repeated is a code column holding s in each of n rows.
func repeated(n int, s string) arrow.Array {
	dict, _ := dictionaryOf([]string{s}, false)
	defer dict.Release()
	return dictionaryArray(dict, make([]int16, n), nil, 0)
}

// dictionaryArray is a code column of indices into dict (valid: nil when no row is null).
func dictionaryArray(dict arrow.Array, indices []int16, valid []byte, nulls int) arrow.Array {
	var vb *memory.Buffer
	if valid != nil {
		vb = memory.NewBufferBytes(valid)
	}
	d := array.NewData(codeType, len(indices), []*memory.Buffer{vb, memory.NewBufferBytes(arrow.Int16Traits.CastToBytes(indices))}, nil, nulls, 0)
	d.SetDictionary(dict.Data().(*array.Data))
	return fromData(d)
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
