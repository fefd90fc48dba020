package frame

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
	"lendscore/stages/ingest"
)

// twoBatches is a table of two batches (rows 0–2 from a.csv, rows 0–1 from b.csv starting at
// file row 10) with an int64, a float64, a string, a date and a bool column.
func twoBatches(t *testing.T) *ingest.Table {
	t.Helper()
	sch := arrow.NewSchema([]arrow.Field{
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}, nil)
	build := func(ns []int64, xs []float64, ss []string, null int) arrow.Record {
		b := array.NewRecordBuilder(memory.DefaultAllocator, sch)
		defer b.Release()
		for i := range ns {
			if i == null {
				for _, f := range b.Fields() {
					f.AppendNull()
				}
				continue
			}
			b.Field(0).(*array.Int64Builder).Append(ns[i])
			b.Field(1).(*array.Float64Builder).Append(xs[i])
			b.Field(2).(*array.StringBuilder).Append(ss[i])
			b.Field(3).(*array.Date32Builder).Append(arrow.Date32(20000 + i))
			b.Field(4).(*array.BooleanBuilder).Append(i%2 == 0)
		}
		return b.NewRecord()
	}
	tbl := &ingest.Table{Schema: sch, Batches: []ingest.Batch{
		{Record: build([]int64{1, 2, 3}, []float64{0.5, math.Inf(1), 2.5}, []string{"a", "b", "c"}, -1), File: "a.csv"},
		{Record: build([]int64{4, 5}, []float64{4.5, 5.5}, []string{"d", "e"}, 1), File: "b.csv", FirstRow: 10},
	}}
	t.Cleanup(tbl.Release)
	return tbl
}

func TestFromTable(t *testing.T) {
	fr, err := FromTable(twoBatches(t), map[string]bool{"n": true})
	if err != nil {
		t.Fatal(err)
	}
	if fr.Rows != 5 {
		t.Fatalf("rows %d", fr.Rows)
	}
	n, x, s, d, b := fr.Column("n"), fr.Column("x"), fr.Column("s"), fr.Column("d"), fr.Column("b")
	if n.Kind != Categorical || x.Kind != Numeric || s.Kind != Categorical || d.Kind != Categorical || b.Kind != Categorical {
		t.Fatalf("kinds n %v x %v s %v d %v b %v (n is forced categorical)", n.Kind, x.Kind, s.Kind, d.Kind, b.Kind)
	}
	if x.Num[0] != 0.5 || !math.IsInf(x.Num[1], 1) || !math.IsNaN(x.Num[4]) || x.NonFinite != 1 {
		t.Errorf("x %v, non-finite %d", x.Num, x.NonFinite)
	}
	if v, ok := n.Text(3); v != "4" || !ok {
		t.Errorf("n row 3 %q %v", v, ok)
	}
	if _, ok := s.Text(4); ok || !s.Missing(4) || s.Missing(0) {
		t.Error("the null row of s is not missing")
	}
	// Date32 20000 is 2024-10-04.
	if v, _ := d.Text(0); v != "2024-10-04" {
		t.Errorf("date %q", v)
	}
	if v, _ := b.Text(1); v != "false" {
		t.Errorf("bool %q", v)
	}
	if v, ok := x.Text(0); v != "0.5" || !ok {
		t.Errorf("x text %q", v)
	}
	if fr.Column("nope") != nil {
		t.Error("an absent column was found")
	}
}

func TestQuarantine(t *testing.T) {
	tbl := twoBatches(t)
	reasons := []string{"", "non_finite:x", "", "", "null_target:y"}
	q, err := Quarantine(context.Background(), tbl, reasons)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, r := range q {
			r.Release()
		}
	}()
	if len(q) != 2 || q[0].NumRows() != 1 || q[1].NumRows() != 1 {
		t.Fatalf("quarantine batches %d", len(q))
	}
	if !q[0].Schema().Equal(schemas.Quarantine(tbl.Schema)) {
		t.Errorf("schema %v", q[0].Schema())
	}
	// Row 1 of a.csv, unchanged; row 11 of b.csv (its second row).
	if v := q[0].Column(0).(*array.Int64).Value(0); v != 2 {
		t.Errorf("kept value %d", v)
	}
	src := func(r arrow.Record) (string, int64, string) {
		k := int(r.NumCols())
		return r.Column(k - 3).(*array.String).Value(0), r.Column(k - 2).(*array.Int64).Value(0), r.Column(k - 1).(*array.String).Value(0)
	}
	if f, row, why := src(q[0]); f != "a.csv" || row != 1 || why != "non_finite:x" {
		t.Errorf("first %s %d %s", f, row, why)
	}
	if f, row, why := src(q[1]); f != "b.csv" || row != 11 || why != "null_target:y" {
		t.Errorf("second %s %d %s", f, row, why)
	}
	none, err := Quarantine(context.Background(), tbl, make([]string, 5))
	if err != nil || none != nil {
		t.Errorf("nothing refused: %v %v", none, err)
	}
}

// TestRefusedRows keeps the refused rows of a record, in runs and alone, nulls included.
func TestRefusedRows(t *testing.T) {
	sch := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sch)
	defer b.Release()
	for i := range 10 {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%4 == 1 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(strings.Repeat("x", i))
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	for _, c := range []struct {
		refused []int
	}{{[]int{0, 1, 2}}, {[]int{1, 2, 5, 8, 9}}, {[]int{9}}, {[]int{0, 3, 6}}} {
		reasons := make([]string, 10)
		for _, i := range c.refused {
			reasons[i] = "r"
		}
		got, err := refusedRows(rec, reasons, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		if int(got.NumRows()) != len(c.refused) {
			t.Fatalf("%v: %d rows", c.refused, got.NumRows())
		}
		ks, ss := got.Column(0).(*array.Int64), got.Column(1).(*array.String)
		for k, i := range c.refused {
			wantNull := i%4 == 1
			if ks.Value(k) != int64(i) || ss.IsNull(k) != wantNull || (!wantNull && ss.Value(k) != strings.Repeat("x", i)) {
				t.Errorf("%v: row %d is %d %q (null %v)", c.refused, k, ks.Value(k), ss.Value(k), ss.IsNull(k))
			}
		}
		got.Release()
	}
}
