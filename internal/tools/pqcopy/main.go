// Command pqcopy is the reference that the scoring benchmark is compared with: a plain Arrow
// Parquet read-and-write of a table, nothing else. It reads every *.parquet file under -in
// (sorted by name) with pqarrow — every column, batches of one row group (131,072 rows),
// Arrow's default reader (columns decoded one after the other, one goroutine) — and writes
// the same records to -out as part files of 1,000,000 rows with Arrow's default writer
// properties except: zstd pages, row groups of 131,072 rows, the Arrow schema stored and
// created_by "lendscore", as lendscore's part files have. Everything else is Arrow's default:
// dictionary encoding of every column (falling back to plain pages past a 1 MB dictionary,
// as the id column of distinct values does), statistics on every column, 1 MB data pages,
// data page version 1. The zstd
// codec is the shared encoder stages/ingest registers for the whole process (Arrow v17 builds
// a new encoder, with its megabytes of history buffers, for every page; same bytes, about
// half the time), so the reference is, if anything, faster than a stock Arrow copy.
//
//	go run ./internal/tools/pqcopy -in data/bench/score10m -out /tmp/copy
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"

	// The same zstd codec as lendscore's writer: arrow v17 builds a new encoder per page,
	// ingest registers one shared encoder (same bytes, half the time).
	_ "lendscore/stages/ingest"
)

const (
	rowGroupRows = 128 << 10
	rowsPerPart  = 1_000_000
)

func main() {
	in := flag.String("in", "", "folder of Parquet files")
	out := flag.String("out", "", "output folder")
	flag.Parse()
	if *in == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: pqcopy -in FOLDER -out FOLDER")
		os.Exit(2)
	}
	rows, err := copyTable(context.Background(), *in, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pqcopy:", err)
		os.Exit(1)
	}
	fmt.Printf("copied %d rows\n", rows)
}

// copyTable copies every Parquet file under in to parts under out and returns the rows.
func copyTable(ctx context.Context, in, out string) (int64, error) {
	files, err := filepath.Glob(filepath.Join(in, "*.parquet"))
	if err != nil {
		return 0, err
	}
	sort.Strings(files)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}
	mem := memory.DefaultAllocator
	props := parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCreatedBy("lendscore"),
		parquet.WithMaxRowGroupLength(rowGroupRows),
		parquet.WithAllocator(mem),
	)
	aprops := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem))
	w := &partWriter{dir: out, props: props, aprops: aprops}
	var rows int64
	for _, name := range files {
		n, err := copyFile(ctx, name, w, mem)
		if err != nil {
			return rows, fmt.Errorf("%s: %w", name, err)
		}
		rows += n
	}
	return rows, w.close()
}

func copyFile(ctx context.Context, name string, w *partWriter, mem memory.Allocator) (int64, error) {
	pf, err := file.OpenParquetFile(name, false, file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		return 0, err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: rowGroupRows}, mem)
	if err != nil {
		return 0, err
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return 0, err
	}
	defer rr.Release()
	var rows int64
	for rr.Next() {
		rec := rr.Record()
		if err := w.write(rec); err != nil {
			return rows, err
		}
		rows += rec.NumRows()
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return rows, err
	}
	return rows, nil
}

// partWriter writes records to part-00000.parquet, part-00001.parquet, … starting a new part
// every rowsPerPart rows (records are cut at part boundaries).
type partWriter struct {
	dir    string
	props  *parquet.WriterProperties
	aprops pqarrow.ArrowWriterProperties
	n      int
	f      *os.File
	fw     *pqarrow.FileWriter
	rows   int64
}

func (w *partWriter) write(rec arrow.Record) error {
	for off := int64(0); off < rec.NumRows(); {
		if w.fw == nil {
			f, err := os.Create(filepath.Join(w.dir, fmt.Sprintf("part-%05d.parquet", w.n)))
			if err != nil {
				return err
			}
			w.n++
			w.f = f
			if w.fw, err = pqarrow.NewFileWriter(rec.Schema(), f, w.props, w.aprops); err != nil {
				return err
			}
		}
		n := min(rec.NumRows()-off, rowsPerPart-w.rows)
		s := rec.NewSlice(off, off+n)
		err := w.fw.Write(s)
		s.Release()
		if err != nil {
			return err
		}
		off += n
		w.rows += n
		if w.rows == rowsPerPart {
			if err := w.close(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *partWriter) close() error {
	if w.fw == nil {
		return nil
	}
	// The Parquet writer closes the file it writes to.
	err := w.fw.Close()
	w.fw, w.f, w.rows = nil, nil, 0
	return err
}
