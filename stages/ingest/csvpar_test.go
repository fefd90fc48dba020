package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// readCSVTrace reads data through a seekable reader on procs cores in ranges of rangeBytes
// (procs 1: one scanner) and returns every batch as text (its file, first row, schema and
// values) followed by the error, if any.
func readCSVTrace(t testing.TB, data []byte, opts CSVOptions, procs, rangeBytes int) string {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	opts.Allocator = mem
	opts.procs, opts.rangeBytes = procs, rangeBytes
	var b strings.Builder
	err := ReadCSV(context.Background(), bytes.NewReader(data), "in.csv", opts, func(bt Batch) error {
		fmt.Fprintf(&b, "batch %s row %d: %s\n", bt.File, bt.FirstRow, bt.Record.Schema())
		for i := range int(bt.Record.NumRows()) {
			for j, c := range bt.Record.Columns() {
				if j > 0 {
					b.WriteByte('|')
				}
				b.WriteString(render(c, i))
			}
			b.WriteByte('\n')
		}
		return nil
	})
	fmt.Fprintf(&b, "error: %v\n", err)
	return b.String()
}

// parallelCases are CSV files whose ranges start inside quoted fields, in blank lines and
// in CRLF line ends, and files with errors in various rows.
func parallelCases() map[string]string {
	var plain, quoted, blank, crlf, late, badCount, badQuote, badUTF8, lateString strings.Builder
	plain.WriteString("id,x,flag,name\n")
	quoted.WriteString("id,note,x\n")
	blank.WriteString("a,b\n")
	crlf.WriteString("a,b\r\n")
	late.WriteString("a,b\n")
	lateString.WriteString("a,b\n")
	for i := range 500 {
		fmt.Fprintf(&plain, "%d,%d.%d,%v,n%d\n", i, i, i%7, i%3 == 0, i%11)
		fmt.Fprintf(&quoted, "%d,\"line %d\nsecond, \"\"line\"\"\n\n\",%d\n", i, i, i*2)
		if i%5 == 0 {
			blank.WriteString("\n\n\n")
		}
		fmt.Fprintf(&blank, "%d,x%d\n", i, i)
		fmt.Fprintf(&crlf, "%d,%d\r\n", i, -i)
		fmt.Fprintf(&late, "%d,%d\n", i, i)
		fmt.Fprintf(&lateString, "%d,%d\n", i, i)
	}
	late.WriteString("1.5,true\n")
	lateString.WriteString("007,1\n")
	badCount.WriteString(plain.String() + "1,2\n" + strings.Repeat("3,4.5,true,z\n", 100))
	badQuote.WriteString(quoted.String() + "1,\"open,2\n" + strings.Repeat("3,x,4\n", 50))
	badUTF8.WriteString(plain.String()[:3000] + "\xff\n" + plain.String()[3000:])
	return map[string]string{
		"plain":        plain.String(),
		"quoted":       quoted.String(),
		"blank":        blank.String(),
		"crlf":         crlf.String(),
		"late float":   late.String(),
		"late string":  lateString.String(),
		"field count":  badCount.String(),
		"open quote":   badQuote.String(),
		"bad utf8":     badUTF8.String(),
		"bom":          "\xef\xbb\xbf" + plain.String(),
		"no end break": strings.TrimSuffix(plain.String(), "\n"),
		"header only":  "a,b\n" + strings.Repeat("\n", 300),
	}
}

// TestCSVParallelMatchesSequential checks that reading on several cores in small ranges
// gives the batches (same rows, first rows, schema and values) and the error of one
// scanner, whatever the cores and the range size.
func TestCSVParallelMatchesSequential(t *testing.T) {
	for name, data := range parallelCases() {
		for _, batch := range []int{7, 1000} {
			opts := CSVOptions{BatchSize: batch}
			want := readCSVTrace(t, []byte(data), opts, 1, 0)
			for _, procs := range []int{2, 3} {
				for _, rb := range []int{5, 64, 4096} {
					got := readCSVTrace(t, []byte(data), opts, procs, rb)
					if got != want {
						t.Errorf("%s, batch %d, %d cores, ranges of %d bytes:\n%s\nwant\n%s", name, batch, procs, rb, clip(got), clip(want))
					}
				}
			}
		}
	}
}

func clip(s string) string {
	if len(s) > 2000 {
		return s[:1000] + "\n…\n" + s[len(s)-1000:]
	}
	return s
}

// TestCSVParallelIndex checks the batch starts a parallel inference notes: the offset and
// line of every third row of a file with a two-line field on row 4.
func TestCSVParallelIndex(t *testing.T) {
	// Lines: 1 header, rows 1–3 on lines 2–4, row 4 on lines 5–6, rows 5–9 on lines 7–11.
	data := "a,b\n1,x\n2,x\n3,x\n4,\"x\ny\"\n5,x\n6,x\n7,x\n8,x\n9,x\n"
	opts := CSVOptions{BatchSize: 3, procs: 2, rangeBytes: 5}.withDefaults()
	in, ok := parallelInput(strings.NewReader(data), opts)
	if !ok {
		t.Fatal("not read in parallel")
	}
	inf, err := inferParallel(context.Background(), in, "in.csv", opts, newNullSet(opts.NullValues))
	if err != nil {
		t.Fatal(err)
	}
	// Row 1 starts at byte 4 (after "a,b\n"), each row of 4 bytes after it; row 4 is 8 bytes.
	want := []rowMark{{4, 2}, {16, 5}, {32, 9}}
	if inf.index == nil || fmt.Sprint(inf.index.batches) != fmt.Sprint(want) || inf.index.rows != 9 {
		t.Errorf("index %+v, want batches %v of 9 rows", inf.index, want)
	}
}

// TestCSVParallelCancelled checks that a parallel read stops when its context is cancelled
// and when the callback fails, releasing the batches parsed ahead.
func TestCSVParallelCancelled(t *testing.T) {
	data := []byte(parallelCases()["plain"])
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	opts := CSVOptions{BatchSize: 10, Allocator: mem, procs: 3, rangeBytes: 100}

	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := ReadCSV(ctx, bytes.NewReader(data), "c.csv", opts, func(Batch) error {
		if n++; n == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n > 2 {
		t.Errorf("after %d batches err = %v, want context.Canceled after 2", n, err)
	}

	stop := errors.New("stop")
	n = 0
	err = ReadCSV(context.Background(), bytes.NewReader(data), "c.csv", opts, func(Batch) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("after %d batches err = %v, want the callback's error after 1", n, err)
	}
}

// TestReadTableCSVParallel checks that a table of several CSV files read on several cores
// (local and S3) has the rows, batches and file checksums of one core: the first file's
// batches come from the parallel index, the others' from the header-checked parse.
func TestReadTableCSVParallel(t *testing.T) {
	cases := parallelCases()
	forEachRoot(t, func(t *testing.T, r testRoot) {
		ctx := context.Background()
		putText(t, r, "par/a.csv", cases["quoted"])
		putText(t, r, "par/b.csv", "id,note,x\n"+strings.SplitN(cases["quoted"], "\n", 2)[1])
		read := func(procs int) (string, []FileInfo) {
			opts := ReadOptions{BatchSize: 70}
			opts.CSV.procs, opts.CSV.rangeBytes = procs, 300
			tbl, err := ReadTable(ctx, r.stores, "par", r.at("par/"), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.Release()
			var b strings.Builder
			for _, bt := range tbl.Batches {
				fmt.Fprintf(&b, "%s@%d:%d ", bt.File, bt.FirstRow, bt.Record.NumRows())
			}
			return b.String() + strings.Join(tableRows(tbl), "\n"), tbl.Files
		}
		want, wantFiles := read(1)
		got, gotFiles := read(3)
		if got != want {
			t.Errorf("on 3 cores:\n%s\nwant\n%s", clip(got), clip(want))
		}
		if fmt.Sprint(gotFiles) != fmt.Sprint(wantFiles) || len(gotFiles) != 2 || gotFiles[0].Rows != 500 {
			t.Errorf("files %+v, want %+v (500 rows each)", gotFiles, wantFiles)
		}
	})
}
