package ingest

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
)

// ColumnHint says why a column a job names is not in a table's schema, for the message
// that refuses the job: the column of another case or with spaces around it when there is
// one ("did you mean"), else the columns the table has (the first ten). A table read with
// the wrong delimiter shows up as one column whose name holds them all.
func ColumnHint(s *arrow.Schema, name string) string {
	want := strings.ToLower(strings.TrimSpace(name))
	for _, f := range s.Fields() {
		if strings.ToLower(strings.TrimSpace(f.Name)) == want {
			return fmt.Sprintf("not in the table (did you mean %q?)", f.Name)
		}
	}
	if s.NumFields() == 1 {
		return fmt.Sprintf("not in the table (its only column: %q; is the delimiter right?)", s.Field(0).Name)
	}
	names := make([]string, 0, 10)
	for i, f := range s.Fields() {
		if i == 10 {
			names = append(names, fmt.Sprintf("… %d more", s.NumFields()-10))
			break
		}
		names = append(names, fmt.Sprintf("%q", f.Name))
	}
	return fmt.Sprintf("not in the table (its %d columns: %s)", s.NumFields(), strings.Join(names, ", "))
}
