package gen_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// frame is a table read back from the part files of one folder, for analysis in tests.
type frame struct {
	schema *arrow.Schema
	cols   map[string][]arrow.Array
	rows   int
}

func readFrame(t testing.TB, dir, table string) *frame {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, table, "part-*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("read %s: no part files (%v)", table, err)
	}
	f := &frame{cols: map[string][]arrow.Array{}}
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := pqarrow.ReadTable(context.Background(), fh, nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		fh.Close()
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		if f.schema == nil {
			f.schema = tbl.Schema()
		} else if !f.schema.Equal(tbl.Schema()) {
			t.Fatalf("%s: schema differs from the first part's", name)
		}
		for i, fld := range tbl.Schema().Fields() {
			f.cols[fld.Name] = append(f.cols[fld.Name], tbl.Column(i).Data().Chunks()...)
		}
		f.rows += int(tbl.NumRows())
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
