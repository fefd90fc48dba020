package features

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// recordColumns finds the named columns of rec by name and checks them against the
// canonical schema of the table: same type (any unit for timestamps) and no nulls where the
// canonical field is not nullable.
func recordColumns(table string, canon *arrow.Schema, rec arrow.Record, names ...string) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(names))
	for i, name := range names {
		want, ok := canon.FieldsByName(name)
		if !ok {
			return nil, fmt.Errorf("features: %s: canonical schema has no column %q", table, name)
		}
		idx := rec.Schema().FieldIndices(name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("features: %s: no column %q", table, name)
		}
		col := rec.Column(idx[0])
		got := col.DataType()
		same := arrow.TypeEqual(got, want[0].Type)
		if want[0].Type.ID() == arrow.TIMESTAMP {
			same = got.ID() == arrow.TIMESTAMP
		}
		if !same {
			return nil, fmt.Errorf("features: %s: column %q is %s, want %s", table, name, got, want[0].Type)
		}
		if !want[0].Nullable && col.NullN() > 0 {
			return nil, fmt.Errorf("features: %s: column %q has %d nulls (the clean extract has none)", table, name, col.NullN())
		}
		out[i] = col
	}
	return out, nil
}

// dates returns a date32 column as day numbers with nulls as noDate.
func dates(a arrow.Array, i int) int32 {
	if a.IsNull(i) {
		return noDate
	}
	return int32(a.(*array.Date32).Value(i))
}

// float returns a float64 value with null as NaN.
func float(a *array.Float64, i int) float64 {
	if a.IsNull(i) {
		return nan
	}
	return a.Value(i)
}

// timestampDays returns a function giving the UTC day number of row i of a timestamp
// column.
func timestampDays(a arrow.Array) func(i int) int32 {
	ts := a.(*array.Timestamp)
	perDay := int64(msPerDay)
	switch a.DataType().(*arrow.TimestampType).Unit {
	case arrow.Second:
		perDay = 86400
	case arrow.Microsecond:
		perDay = msPerDay * 1000
	case arrow.Nanosecond:
		perDay = msPerDay * 1000_000
	}
	vals := ts.TimestampValues()
	return func(i int) int32 { return int32(floorDiv(int64(vals[i]), perDay)) }
}
