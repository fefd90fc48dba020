package ingest

import (
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
)

func TestColumnHint(t *testing.T) {
	schema := func(names ...string) *arrow.Schema {
		fs := make([]arrow.Field, len(names))
		for i, n := range names {
			fs[i] = arrow.Field{Name: n, Type: arrow.BinaryTypes.String}
		}
		return arrow.NewSchema(fs, nil)
	}
	tests := []struct {
		schema *arrow.Schema
		name   string
		want   string
	}{
		{schema("BAD", "LOAN"), "bad", `not in the table (did you mean "BAD"?)`},
		{schema(" bad ", "LOAN"), "bad", `not in the table (did you mean " bad "?)`},
		{schema("BAD;LOAN;VALUE"), "BAD", `not in the table (its only column: "BAD;LOAN;VALUE"; is the delimiter right?)`},
		{schema("a", "b"), "c", `not in the table (its 2 columns: "a", "b")`},
		{schema("c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10", "c11", "c12"), "x",
			`not in the table (its 12 columns: "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10", … 2 more)`},
	}
	for _, tt := range tests {
		if got := ColumnHint(tt.schema, tt.name); got != tt.want {
			t.Errorf("ColumnHint(%v, %q) = %s, want %s", tt.schema, tt.name, got, tt.want)
		}
	}
}
