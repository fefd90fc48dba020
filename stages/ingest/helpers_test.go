package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/internal/miniotest"
	"lendscore/pipeline/storage"
)

func TestMain(m *testing.M) { miniotest.Main(m) }

// testSchema has the column types the pipeline's tables use, nested ones included.
var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "customer_id", Type: arrow.BinaryTypes.String},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "count", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Int32},
	{Name: "bad", Type: arrow.PrimitiveTypes.Int8},
	{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "as_of_date", Type: arrow.FixedWidthTypes.Date32},
	{Name: "warnings", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
}, nil)

// makeRecord returns rows [from, from+n) of a deterministic test table.
func makeRecord(mem memory.Allocator, from, n int) arrow.Record {
	b := array.NewRecordBuilder(mem, testSchema)
	defer b.Release()
	for i := from; i < from+n; i++ {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("C%07d", i))
		if i%7 == 3 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.Float64Builder).Append(float64(i) * 1.25)
		}
		if i%11 == 5 {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Int64Builder).Append(int64(i*i) - 1000)
		}
		b.Field(3).(*array.Int32Builder).Append(int32(300 + i%500))
		b.Field(4).(*array.Int8Builder).Append(int8(i % 2))
		if i%13 == 0 {
			b.Field(5).AppendNull()
		} else {
			b.Field(5).(*array.BooleanBuilder).Append(i%3 == 0)
		}
		b.Field(6).(*array.Date32Builder).Append(arrow.Date32(19000 + i%400))
		lb := b.Field(7).(*array.ListBuilder)
		switch i % 4 {
		case 0:
			lb.AppendNull()
		case 1:
			lb.Append(true)
		default:
			lb.Append(true)
			vb := lb.ValueBuilder().(*array.StringBuilder)
			for k := 0; k < i%4; k++ {
				vb.Append(fmt.Sprintf("W%d", k))
			}
		}
	}
	return b.NewRecord()
}

// rows renders every row of the records, one string per row.
func rows(recs ...arrow.Record) []string {
	var out []string
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			var sb strings.Builder
			for j, c := range r.Columns() {
				if j > 0 {
					sb.WriteByte('|')
				}
				if c.IsNull(i) {
					sb.WriteString("null")
				} else {
					sb.WriteString(c.ValueStr(i))
				}
			}
			out = append(out, sb.String())
		}
	}
	return out
}

func tableRows(t *Table) []string {
	recs := make([]arrow.Record, len(t.Batches))
	for i, b := range t.Batches {
		recs[i] = b.Record
	}
	return rows(recs...)
}

// testRoot is a store with an empty root location.
type testRoot struct {
	name   string
	st     storage.Store
	root   storage.Location
	stores *storage.Stores
}

// at returns the location string of rel below the root, keeping globs and trailing slashes.
func (r testRoot) at(rel string) string {
	return strings.TrimSuffix(r.root.String(), "/") + "/" + rel
}

func roots(t *testing.T) []testRoot {
	t.Helper()
	stores := storage.NewStores(storage.Options{})
	local := storage.MustParse(filepath.ToSlash(t.TempDir()) + "/")
	srv := miniotest.Start(t)
	s3root := storage.MustParse("s3://" + srv.Bucket + "/")
	s3, err := stores.For(context.Background(), s3root)
	if err != nil {
		t.Fatal(err)
	}
	return []testRoot{
		{name: "local", st: storage.Local{}, root: local, stores: stores},
		{name: "s3", st: s3, root: s3root, stores: stores},
	}
}

func forEachRoot(t *testing.T, fn func(t *testing.T, r testRoot)) {
	for _, r := range roots(t) {
		t.Run(r.name, func(t *testing.T) { fn(t, r) })
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// memReader is a storage.Reader over bytes.
type memReader struct{ *bytes.Reader }

func (m memReader) Close() error { return nil }

func newMemReader(b []byte) memReader { return memReader{bytes.NewReader(b)} }
