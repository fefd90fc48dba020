package ingest

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// FuzzReadCSV feeds arbitrary bytes to the CSV reader: it must never panic, every error
// must name the file, on success every batch has the table's one schema and no more rows
// than the input has lines, and reading on several cores in ranges of a few bytes gives the
// batches and the error of one scanner.
func FuzzReadCSV(f *testing.F) {
	if b, err := os.ReadFile("../../testdata/ingest/applicants.csv"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		"a,b\n1,2\n3,4\n",
		"a,b\n1,x\n,NA\n",
		"\xef\xbb\xbfa,b\n\"q,1\",2\n",
		"a,b\n1\n",
		"a,b\n\"unterminated\n",
		"a\n\xff\xfe\n",
		"x,y,z\n1.5,true,2026-01-01\nnan,FALSE,\n",
		"",
		"a,a\n1,2\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := CSVOptions{BatchSize: 3}
		if want, got := readCSVTrace(t, data, opts, 1, 0), readCSVTrace(t, data, opts, 3, 4); got != want {
			t.Fatalf("read on 3 cores in ranges of 4 bytes:\n%s\nwant\n%s", got, want)
		}
		var rows int64
		var first string
		err := ReadCSV(context.Background(), bytes.NewReader(data), "fuzz.csv", CSVOptions{BatchSize: 7}, func(b Batch) error {
			if first == "" {
				first = b.Record.Schema().String()
			} else if b.Record.Schema().String() != first {
				t.Fatalf("batches with different schemas: %s and %s", first, b.Record.Schema())
			}
			rows += b.Record.NumRows()
			return nil
		})
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if lines := int64(bytes.Count(data, []byte("\n"))) + 1; rows > lines {
			t.Fatalf("%d rows from %d lines", rows, lines)
		}
	})
}
