// Package frame turns the Arrow batches of a flat modelling table into typed columns —
// numeric columns as []float64 with NaN for missing, categorical columns as strings with a
// validity mask — the plain shape that binning, regression and scoring work on. String values
// reference the Arrow buffers rather than copying them, so the table must outlive the frame.
//
// It also builds quarantine records: the refused input rows, unchanged, with the file and row
// they came from and the reason they were refused.
package frame

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
	"lendscore/stages/ingest"
)

// Kind says how a column is binned and scored.
type Kind int

// Column kinds.
const (
	Numeric Kind = iota
	Categorical
)

func (k Kind) String() string {
	if k == Numeric {
		return "numeric"
	}
	return "categorical"
}

// Column is one column of a frame.
type Column struct {
	Name string
	Kind Kind
	// Num holds a numeric column; NaN is missing.
	Num []float64
	// Str and Valid hold a categorical column; Valid[i] false is missing.
	Str   []string
	Valid []bool
	// NonFinite counts ±Inf values of a numeric column (they are kept as they are; callers
	// decide whether to refuse the rows).
	NonFinite int
}

// Missing reports whether row i is missing.
func (c *Column) Missing(i int) bool {
	if c.Kind == Numeric {
		return math.IsNaN(c.Num[i])
	}
	return !c.Valid[i]
}

// Text returns row i as text: the value compared with a target's bad value, for example.
func (c *Column) Text(i int) (string, bool) {
	if c.Kind == Categorical {
		return c.Str[i], c.Valid[i]
	}
	v := c.Num[i]
	if math.IsNaN(v) {
		return "", false
	}
	return strconv.FormatFloat(v, 'f', -1, 64), true
}

// Frame is a table as typed columns, in the order of the input schema.
type Frame struct {
	Rows    int
	Columns []*Column
	byName  map[string]*Column
}

// Column returns the named column, or nil.
func (f *Frame) Column(name string) *Column { return f.byName[name] }

// FromTable converts every column of tbl. Integer, floating-point and decimal columns are
// numeric unless named in categorical; strings, booleans, dates and timestamps are
// categorical (dates as YYYY-MM-DD text).
func FromTable(tbl *ingest.Table, categorical map[string]bool) (*Frame, error) {
	n := int(tbl.NumRows())
	f := &Frame{Rows: n, byName: map[string]*Column{}}
	for ci, field := range tbl.Schema.Fields() {
		kind := Categorical
		if isNumeric(field.Type) && !categorical[field.Name] {
			kind = Numeric
		}
		col := &Column{Name: field.Name, Kind: kind}
		if kind == Numeric {
			col.Num = make([]float64, 0, n)
		} else {
			col.Str = make([]string, 0, n)
			col.Valid = make([]bool, 0, n)
		}
		for _, b := range tbl.Batches {
			if err := appendArray(col, b.Record.Column(ci)); err != nil {
				return nil, fmt.Errorf("file %s: column %s: %w", b.File, field.Name, err)
			}
		}
		f.Columns = append(f.Columns, col)
		f.byName[field.Name] = col
	}
	return f, nil
}

func isNumeric(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		return true
	}
	return false
}

func appendArray(col *Column, a arrow.Array) error {
	n := a.Len()
	if col.Kind == Numeric {
		switch arr := a.(type) {
		case *array.Float64:
			for i := 0; i < n; i++ {
				col.appendNum(arr.IsNull(i), arr.Value(i))
			}
		case *array.Float32:
			for i := 0; i < n; i++ {
				col.appendNum(arr.IsNull(i), float64(arr.Value(i)))
			}
		case *array.Int64:
			for i := 0; i < n; i++ {
				col.appendNum(arr.IsNull(i), float64(arr.Value(i)))
			}
		case *array.Int32:
			for i := 0; i < n; i++ {
				col.appendNum(arr.IsNull(i), float64(arr.Value(i)))
			}
		default:
			for i := 0; i < n; i++ {
				if a.IsNull(i) {
					col.appendNum(true, 0)
					continue
				}
				v, err := strconv.ParseFloat(a.ValueStr(i), 64)
				if err != nil {
					return fmt.Errorf("row %d: %q is not a number", i, a.ValueStr(i))
				}
				col.appendNum(false, v)
			}
		}
		return nil
	}
	switch arr := a.(type) {
	case *array.String:
		for i := 0; i < n; i++ {
			col.Str = append(col.Str, arr.Value(i))
			col.Valid = append(col.Valid, arr.IsValid(i))
		}
	case *array.LargeString:
		for i := 0; i < n; i++ {
			col.Str = append(col.Str, arr.Value(i))
			col.Valid = append(col.Valid, arr.IsValid(i))
		}
	case *array.Date32:
		for i := 0; i < n; i++ {
			col.Str = append(col.Str, arr.Value(i).FormattedString())
			col.Valid = append(col.Valid, arr.IsValid(i))
		}
	default:
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				col.Str = append(col.Str, "")
				col.Valid = append(col.Valid, false)
				continue
			}
			col.Str = append(col.Str, a.ValueStr(i))
			col.Valid = append(col.Valid, true)
		}
	}
	return nil
}

func (c *Column) appendNum(null bool, v float64) {
	if null {
		v = math.NaN()
	} else if math.IsInf(v, 0) {
		c.NonFinite++
	}
	c.Num = append(c.Num, v)
}

// refusedRows returns the rows of rec whose reason is not empty: the record's columns sliced
// at every run of such rows and concatenated (Arrow's filter kernel grows the buffers of a
// string column a row at a time, which costs seconds a million rows).
func refusedRows(rec arrow.Record, reasons []string, mem memory.Allocator) (arrow.Record, error) {
	var runs [][2]int64
	for i := 0; i < len(reasons); {
		if reasons[i] == "" {
			i++
			continue
		}
		j := i + 1
		for j < len(reasons) && reasons[j] != "" {
			j++
		}
		runs = append(runs, [2]int64{int64(i), int64(j)})
		i = j
	}
	if len(runs) == 1 {
		return rec.NewSlice(runs[0][0], runs[0][1]), nil
	}
	rows := int64(0)
	for _, r := range runs {
		rows += r[1] - r[0]
	}
	cols := make([]arrow.Array, rec.NumCols())
	parts := make([]arrow.Array, len(runs))
	for c, col := range rec.Columns() {
		for k, r := range runs {
			parts[k] = array.NewSlice(col, r[0], r[1])
		}
		joined, err := array.Concatenate(parts, mem)
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			for _, a := range cols[:c] {
				a.Release()
			}
			return nil, fmt.Errorf("column %s: %w", rec.ColumnName(c), err)
		}
		cols[c] = joined
	}
	out := array.NewRecord(rec.Schema(), cols, rows)
	for _, a := range cols {
		a.Release()
	}
	return out, nil
}

// Quarantine builds the quarantine records of tbl: every row whose reason (indexed by row
// number over the whole table, "" = kept) is not empty, unchanged, plus _source_file,
// _source_row and reason (schemas.Quarantine). It returns nil when no row was refused.
func Quarantine(ctx context.Context, tbl *ingest.Table, reasons []string) ([]arrow.Record, error) {
	qschema := schemas.Quarantine(tbl.Schema)
	mem := memory.DefaultAllocator
	var out []arrow.Record
	var base int
	for _, b := range tbl.Batches {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := int(b.Record.NumRows())
		refused := 0
		for _, r := range reasons[base : base+n] {
			if r != "" {
				refused++
			}
		}
		if refused == 0 {
			base += n
			continue
		}
		kept, err := refusedRows(b.Record, reasons[base:base+n], mem)
		if err != nil {
			return nil, fmt.Errorf("quarantine: %w", err)
		}
		src := array.NewStringBuilder(mem)
		row := array.NewInt64Builder(mem)
		why := array.NewStringBuilder(mem)
		for i := 0; i < n; i++ {
			if r := reasons[base+i]; r != "" {
				src.Append(b.File)
				row.Append(b.FirstRow + int64(i))
				why.Append(r)
			}
		}
		cols := append([]arrow.Array(nil), kept.Columns()...)
		extra := []arrow.Array{src.NewArray(), row.NewArray(), why.NewArray()}
		cols = append(cols, extra...)
		out = append(out, array.NewRecord(qschema, cols, int64(refused)))
		kept.Release()
		for _, a := range extra {
			a.Release()
		}
		src.Release()
		row.Release()
		why.Release()
		base += n
	}
	return out, nil
}
