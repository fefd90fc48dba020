package train

import (
	"math"
	"sort"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/stages/frame"
	"lendscore/stages/ingest"
)

// mustFrame builds a frame from columns given as []string ("" = null) or []float64 (NaN =
// null), in name order.
func mustFrame(t *testing.T, cols map[string]any) *frame.Frame {
	t.Helper()
	names := make([]string, 0, len(cols))
	for n := range cols {
		names = append(names, n)
	}
	sort.Strings(names)
	var fields []arrow.Field
	var arrs []arrow.Array
	rows := 0
	for _, n := range names {
		switch v := cols[n].(type) {
		case []string:
			b := array.NewStringBuilder(memory.DefaultAllocator)
			for _, s := range v {
				if s == "" {
					b.AppendNull()
				} else {
					b.Append(s)
				}
			}
			fields = append(fields, arrow.Field{Name: n, Type: arrow.BinaryTypes.String, Nullable: true})
			arrs = append(arrs, b.NewArray())
			rows = len(v)
		case []float64:
			b := array.NewFloat64Builder(memory.DefaultAllocator)
			for _, x := range v {
				if math.IsNaN(x) {
					b.AppendNull()
				} else {
					b.Append(x)
				}
			}
			fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Float64, Nullable: true})
			arrs = append(arrs, b.NewArray())
			rows = len(v)
		}
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), arrs, int64(rows))
	tbl := &ingest.Table{Schema: rec.Schema(), Batches: []ingest.Batch{{Record: rec, File: "mem"}}}
	t.Cleanup(tbl.Release)
	fr, err := frame.FromTable(tbl, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fr
}
