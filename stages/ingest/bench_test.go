package ingest

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/pipeline/storage"
)

// benchCSV returns a CSV file of rows × 20 columns like a flat modelling table: 8 integer,
// 8 decimal, 2 text and 2 boolean columns, about 1% missing.
func benchCSV(rows int) []byte {
	var b bytes.Buffer
	for j := range 20 {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "c%02d", j)
	}
	b.WriteByte('\n')
	var x uint64 = 42
	for i := range rows {
		for j := range 20 {
			if j > 0 {
				b.WriteByte(',')
			}
			x = x*6364136223846793005 + 1442695040888963407
			r := x >> 33
			if r%100 == 0 {
				b.WriteString("NA")
				continue
			}
			switch {
			case j < 8:
				b.WriteString(strconv.Itoa(int(r % 100000)))
			case j < 16:
				b.WriteString(strconv.FormatFloat(float64(r%1000000)/100, 'f', -1, 64))
			case j < 18:
				fmt.Fprintf(&b, "cat_%d", r%40)
			default:
				b.WriteString(strconv.FormatBool(r%2 == 0))
			}
		}
		_ = i
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// BenchmarkReadCSV parses 1M rows × 20 columns (two passes: inference, then parsing).
func BenchmarkReadCSV(b *testing.B) {
	data := benchCSV(1_000_000)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		var n int64
		err := ReadCSV(context.Background(), bytes.NewReader(data), "bench.csv", CSVOptions{}, func(bt Batch) error {
			n += bt.Record.NumRows()
			return nil
		})
		if err != nil || n != 1_000_000 {
			b.Fatalf("%d rows, %v", n, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/row")
}

// benchRecords returns the 1M-row test table in batches of 64Ki rows.
func benchRecords() []arrow.Record {
	var recs []arrow.Record
	for from := 0; from < 1_000_000; from += defaultBatchSize {
		recs = append(recs, makeRecord(memory.DefaultAllocator, from, min(defaultBatchSize, 1_000_000-from)))
	}
	return recs
}

// memStore is a Store that keeps written objects in memory, to time encoding alone.
type memStore struct {
	storage.Local
	objects map[string][]byte
}

type memWriter struct {
	bytes.Buffer
	key string
	st  *memStore
}

func (w *memWriter) Commit() error { w.st.objects[w.key] = w.Bytes(); return nil }
func (w *memWriter) Abort() error  { return nil }

func (s *memStore) Create(_ context.Context, loc storage.Location) (storage.Writer, error) {
	return &memWriter{key: loc.Key, st: s}, nil
}

// BenchmarkWriteParquet writes 1M rows of the 8-column test table as one zstd part.
func BenchmarkWriteParquet(b *testing.B) {
	recs := benchRecords()
	b.ResetTimer()
	for range b.N {
		st := &memStore{objects: map[string][]byte{}}
		pw, err := NewPartWriter(context.Background(), st, storage.MustParse("out/"), testSchema, PartOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range recs {
			if err := pw.Write(r); err != nil {
				b.Fatal(err)
			}
		}
		files, err := pw.Close()
		if err != nil || len(files) != 1 {
			b.Fatal(files, err)
		}
		b.ReportMetric(float64(files[0].Size)/1e6, "MB/file")
	}
}

// BenchmarkReadParquet reads 1M rows of the 8-column test table from memory.
func BenchmarkReadParquet(b *testing.B) {
	st := &memStore{objects: map[string][]byte{}}
	pw, _ := NewPartWriter(context.Background(), st, storage.MustParse("out/"), testSchema, PartOptions{})
	for _, r := range benchRecords() {
		pw.Write(r)
	}
	if _, err := pw.Close(); err != nil {
		b.Fatal(err)
	}
	data := st.objects["out/part-00000.parquet"]
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		var n int64
		err := ReadParquet(context.Background(), newMemReader(data), "bench.parquet", ReadOptions{}, func(bt Batch) error {
			n += bt.Record.NumRows()
			return nil
		})
		if err != nil || n != 1_000_000 {
			b.Fatalf("%d rows, %v", n, err)
		}
	}
}
