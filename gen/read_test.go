package gen_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"lendscore/pipeline/storage"
	"lendscore/stages/ingest"
)

// frame is a table read back from the part files of one folder, for analysis in tests.
type frame struct {
	schema *arrow.Schema
	cols   map[string][]arrow.Array
	rows   int
}

func readFrame(t testing.TB, dir, table string) *frame {
	t.Helper()
	tbl, err := ingest.ReadTable(context.Background(), storage.NewStores(storage.Options{}), table, filepath.Join(dir, table)+"/", ingest.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := &frame{schema: tbl.Schema, cols: map[string][]arrow.Array{}, rows: int(tbl.NumRows())}
	for _, b := range tbl.Batches {
		for i, fld := range b.Record.Schema().Fields() {
			f.cols[fld.Name] = append(f.cols[fld.Name], b.Record.Column(i))
		}
	}
	return f
}

// strs returns a string column; nulls are "".
func (f *frame) strs(name string) []string {
	out := make([]string, 0, f.rows)
	for _, a := range f.cols[name] {
		s := a.(*array.String)
		for i := range s.Len() {
			out = append(out, s.Value(i))
		}
	}
	return out
}

// valid reports, per row, whether the column is non-null.
func (f *frame) valid(name string) []bool {
	out := make([]bool, 0, f.rows)
	for _, a := range f.cols[name] {
		for i := range a.Len() {
			out = append(out, a.IsValid(i))
		}
	}
	return out
}

// nums returns a numeric, date or timestamp column as float64; nulls are 0.
func (f *frame) nums(name string) []float64 {
	out := make([]float64, 0, f.rows)
	for _, a := range f.cols[name] {
		for i := range a.Len() {
			var v float64
			switch a := a.(type) {
			case *array.Float64:
				v = a.Value(i)
			case *array.Int32:
				v = float64(a.Value(i))
			case *array.Int8:
				v = float64(a.Value(i))
			case *array.Date32:
				v = float64(a.Value(i))
			case *array.Timestamp:
				v = float64(a.Value(i))
			default:
				panic("nums: unsupported type " + a.DataType().String())
			}
			out = append(out, v)
		}
	}
	return out
}

func (f *frame) bools(name string) []bool {
	out := make([]bool, 0, f.rows)
	for _, a := range f.cols[name] {
		b := a.(*array.Boolean)
		for i := range b.Len() {
			out = append(out, b.Value(i))
		}
	}
	return out
}
