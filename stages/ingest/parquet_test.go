package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/pipeline/storage"
)

// writeParts writes rows [0, total) in records of batch rows through a PartWriter.
func writeParts(t *testing.T, st storage.Store, prefix storage.Location, total, batch int, opts PartOptions) []FileInfo {
	t.Helper()
	return writePartsOf(t, st, prefix, testSchema, total, batch, opts, func(from, n int) arrow.Record {
		return makeRecord(memory.DefaultAllocator, from, n)
	})
}

// writePartsOf writes rows [0, total) of schema, made by records(from, n), in records of
// batch rows through a PartWriter.
func writePartsOf(t *testing.T, st storage.Store, prefix storage.Location, schema *arrow.Schema, total, batch int, opts PartOptions, records func(from, n int) arrow.Record) []FileInfo {
	t.Helper()
	pw, err := NewPartWriter(context.Background(), st, prefix, schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Abort()
	for from := 0; from < total; from += batch {
		rec := records(from, min(batch, total-from))
		err := pw.Write(rec)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	files, err := pw.Close()
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestParquetRoundTrip(t *testing.T) {
	forEachRoot(t, func(t *testing.T, r testRoot) {
		ctx := context.Background()
		prefix := storage.MustParse(r.at("scored/"))
		files := writeParts(t, r.st, prefix, 6000, 700, PartOptions{RowsPerPart: 2500, RowGroupRows: 1000})

		var names []string
		var total int64
		for _, f := range files {
			names = append(names, f.Location[len(strings.TrimSuffix(prefix.String(), "/"))+1:])
			data, err := storage.ReadAll(ctx, r.st, storage.MustParse(f.Location))
			if err != nil {
				t.Fatal(err)
			}
			if f.Size != int64(len(data)) || f.SHA256 != sha(data) {
				t.Errorf("%s: FileInfo says %d bytes, sha256 %s; the file has %d bytes, sha256 %s", f.Location, f.Size, f.SHA256, len(data), sha(data))
			}
			total += f.Rows
		}
		if want := []string{"part-00000.parquet", "part-00001.parquet", "part-00002.parquet"}; !slices.Equal(names, want) {
			t.Errorf("parts %v, want %v", names, want)
		}
		if total != 6000 || files[0].Rows != 2500 || files[2].Rows != 1000 {
			t.Errorf("rows per part %d, %d, %d; want 2500, 2500, 1000", files[0].Rows, files[1].Rows, files[2].Rows)
		}

		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		tbl, err := ReadTable(ctx, r.stores, "scored", prefix.String(), ReadOptions{BatchSize: 800, Allocator: mem})
		if err != nil {
			t.Fatal(err)
		}
		if !tbl.Schema.Equal(testSchema) {
			t.Errorf("schema read back:\n%s\nwant\n%s", tbl.Schema, testSchema)
		}
		want := makeRecord(memory.DefaultAllocator, 0, 6000)
		defer want.Release()
		if got, w := tableRows(tbl), rows(want); !slices.Equal(got, w) {
			t.Errorf("read %d rows that differ from the %d written (first: %q vs %q)", len(got), len(w), got[0], w[0])
		}
		if !slices.Equal(tbl.Files, files) {
			t.Errorf("Files read %+v\nwant the written %+v", tbl.Files, files)
		}
		// Batches say where their rows came from.
		next := map[string]int64{}
		for _, b := range tbl.Batches {
			if b.FirstRow != next[b.File] {
				t.Errorf("batch of %s starts at row %d, want %d", b.File, b.FirstRow, next[b.File])
			}
			next[b.File] += b.Record.NumRows()
			if b.Record.NumRows() > 800 {
				t.Errorf("batch of %d rows, more than the batch size 800", b.Record.NumRows())
			}
		}
		tbl.Release()
	})
}

func TestPartWriterDeterministic(t *testing.T) {
	ctx := context.Background()
	dir := storage.MustParse(t.TempDir() + "/")
	var sums [][]string
	for i, batch := range []int{5000, 700, 333, 5000} {
		prefix := dir.MustJoin(fmt.Sprintf("run%d", i))
		files := writeParts(t, storage.Local{}, prefix, 5000, batch, PartOptions{RowsPerPart: 3000, RowGroupRows: 1024})
		var s []string
		for _, f := range files {
			s = append(s, f.SHA256)
			data, err := storage.ReadAll(ctx, storage.Local{}, storage.MustParse(f.Location))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(data, []byte("parquet-go")) {
				t.Errorf("%s names the library version in created_by", f.Location)
			}
			if !bytes.Contains(data, []byte(CreatedBy)) {
				t.Errorf("%s lacks created_by %q", f.Location, CreatedBy)
			}
		}
		sums = append(sums, s)
	}
	for i := 1; i < len(sums); i++ {
		if !slices.Equal(sums[i], sums[0]) {
			t.Errorf("run %d wrote %v, run 0 wrote %v: the bytes depend on how the rows were batched", i, sums[i], sums[0])
		}
	}
}

func TestPartWriterCompression(t *testing.T) {
	dir := storage.MustParse(t.TempDir() + "/")
	sizes := map[string]int64{}
	for _, c := range []string{"zstd", "snappy", "none"} {
		files := writeParts(t, storage.Local{}, dir.MustJoin(c), 3000, 3000, PartOptions{Compression: c})
		sizes[c] = files[0].Size
		tbl, err := ReadTable(context.Background(), storage.NewStores(storage.Options{}), c, files[0].Location, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if tbl.NumRows() != 3000 {
			t.Errorf("%s: read %d rows", c, tbl.NumRows())
		}
		tbl.Release()
	}
	if !(sizes["zstd"] < sizes["none"] && sizes["snappy"] < sizes["none"]) {
		t.Errorf("sizes %v: compression did not shrink the file", sizes)
	}
	if _, err := NewPartWriter(context.Background(), storage.Local{}, dir, testSchema, PartOptions{Compression: "lz5"}); err == nil {
		t.Error("unknown compression accepted")
	}
}

func TestPartWriterAbort(t *testing.T) {
	forEachRoot(t, func(t *testing.T, r testRoot) {
		ctx := context.Background()
		prefix := storage.MustParse(r.at("aborted/"))
		pw, err := NewPartWriter(ctx, r.st, prefix, testSchema, PartOptions{RowsPerPart: 1000, RowGroupRows: 500})
		if err != nil {
			t.Fatal(err)
		}
		rec := makeRecord(memory.DefaultAllocator, 0, 2500) // two full parts and a half
		defer rec.Release()
		if err := pw.Write(rec); err != nil {
			t.Fatal(err)
		}
		if objs, _ := r.st.List(ctx, prefix); len(objs) != 0 {
			t.Errorf("before Close, %d objects visible", len(objs))
		}
		if err := pw.Abort(); err != nil {
			t.Fatal(err)
		}
		if objs, err := r.st.List(ctx, prefix); err != nil || len(objs) != 0 {
			t.Errorf("after Abort, List = %v, %v; want nothing", objs, err)
		}
		if err := pw.Write(rec); err == nil {
			t.Error("Write after Abort succeeded")
		}
		if _, err := pw.Close(); err == nil {
			t.Error("Close after Abort succeeded")
		}
	})
}

func TestPartWriterEmptyTable(t *testing.T) {
	dir := storage.MustParse(t.TempDir() + "/")
	pw, err := NewPartWriter(context.Background(), storage.Local{}, dir.MustJoin("empty"), testSchema, PartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	files, err := pw.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Rows != 0 || !strings.HasSuffix(files[0].Location, "empty/part-00000.parquet") {
		t.Fatalf("files %+v, want one empty part-00000.parquet", files)
	}
	tbl, err := ReadTable(context.Background(), storage.NewStores(storage.Options{}), "empty", dir.MustJoin("empty").String()+"/", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if tbl.NumRows() != 0 || len(tbl.Batches) != 0 || !tbl.Schema.Equal(testSchema) {
		t.Errorf("read %d rows in %d batches with schema %s; want none, with the written schema", tbl.NumRows(), len(tbl.Batches), tbl.Schema)
	}
	if tbl.Files[0].SHA256 != files[0].SHA256 {
		t.Errorf("checksum read %s, written %s", tbl.Files[0].SHA256, files[0].SHA256)
	}
}

func TestPartWriterSchemaMismatch(t *testing.T) {
	dir := storage.MustParse(t.TempDir() + "/")
	other := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	pw, err := NewPartWriter(context.Background(), storage.Local{}, dir.MustJoin("t"), other, PartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := makeRecord(memory.DefaultAllocator, 0, 10)
	defer rec.Release()
	err = pw.Write(rec)
	if err == nil || !strings.Contains(err.Error(), "does not have the table's schema: 1 columns versus 8") {
		t.Errorf("err = %v", err)
	}
	if _, err := pw.Close(); err == nil {
		t.Error("Close after a failed Write succeeded")
	}
	if objs, _ := (storage.Local{}).List(context.Background(), dir); len(objs) != 0 {
		t.Errorf("a failed writer left %v", objs)
	}
}

func TestWriteParquet(t *testing.T) {
	forEachRoot(t, func(t *testing.T, r testRoot) {
		ctx := context.Background()
		loc := storage.MustParse(r.at("one/file.parquet"))
		a := makeRecord(memory.DefaultAllocator, 0, 100)
		b := makeRecord(memory.DefaultAllocator, 100, 50)
		defer a.Release()
		defer b.Release()
		fi, err := WriteParquet(ctx, r.st, loc, a, b)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Location != loc.String() || fi.Rows != 150 {
			t.Errorf("FileInfo %+v", fi)
		}
		rd, err := r.st.Open(ctx, loc)
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Close()
		var got []string
		err = ReadParquet(ctx, rd, loc.String(), ReadOptions{}, func(bt Batch) error {
			got = append(got, rows(bt.Record)...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := append(rows(a), rows(b)...); !slices.Equal(got, want) {
			t.Errorf("read back %d rows that differ from the 150 written", len(got))
		}
		if _, err := WriteParquet(ctx, r.st, loc); err == nil {
			t.Error("WriteParquet without records succeeded")
		}
	})
}

// goodParquet returns the bytes of a valid Parquet file of n test rows.
func goodParquet(t *testing.T, n int) []byte {
	t.Helper()
	dir := storage.MustParse(t.TempDir() + "/")
	rec := makeRecord(memory.DefaultAllocator, 0, n)
	defer rec.Release()
	fi, err := WriteParquet(context.Background(), storage.Local{}, dir.MustJoin("good.parquet"), rec)
	if err != nil {
		t.Fatal(err)
	}
	data, err := storage.ReadAll(context.Background(), storage.Local{}, storage.MustParse(fi.Location))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParquetCorrupt(t *testing.T) {
	good := goodParquet(t, 3000)
	corrupt := func(at int) []byte {
		b := bytes.Clone(good)
		for i := at; i < at+64; i++ {
			b[i] ^= 0x5a
		}
		return b
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "x.parquet: not a valid Parquet file (footer): parquet: file too small (size=0)"},
		{"text", []byte("id,amount\n1,2\n"), "x.parquet: not a valid Parquet file (footer)"},
		{"truncated footer", good[:len(good)-3], "x.parquet: not a valid Parquet file (footer)"},
		{"truncated data", append(bytes.Clone(good[:len(good)/2]), good[len(good)-8:]...), "x.parquet: not a valid Parquet file"},
		{"corrupt footer", corrupt(len(good) - 300), "x.parquet: not a valid Parquet file"},
		{"corrupt data", corrupt(200), "x.parquet: not a valid Parquet file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ReadParquet(context.Background(), newMemReader(tt.data), "x.parquet", ReadOptions{}, func(Batch) error { return nil })
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant %q…", err, tt.want)
			}
		})
	}
}

// failingReader fails every ReadAt below an offset, as a broken connection would.
type failingReader struct {
	memReader
	below int64
}

var errBroken = errors.New("connection reset by peer")

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off < f.below {
		return 0, errBroken
	}
	return f.memReader.ReadAt(p, off)
}

func TestParquetIOErrorIsNotCorruption(t *testing.T) {
	good := goodParquet(t, 3000)
	r := failingReader{memReader: newMemReader(good), below: int64(len(good)) - 2000}
	err := ReadParquet(context.Background(), r, "x.parquet", ReadOptions{}, func(Batch) error { return nil })
	if !errors.Is(err, errBroken) || strings.Contains(err.Error(), "not a valid") || !strings.HasPrefix(err.Error(), "read x.parquet: ") {
		t.Errorf("err = %v; want a read error naming the file, not a corrupt-file error", err)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	storage.Reader
	n *int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.Reader.Read(p)
	*c.n += int64(n)
	return n, err
}

func (c countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.Reader.ReadAt(p, off)
	*c.n += int64(n)
	return n, err
}

// The checksum of a Parquet file comes from the bytes the reader reads anyway: the file is
// not read a second time for it.
func TestParquetChecksumReadsOnce(t *testing.T) {
	good := goodParquet(t, 50_000)
	var n int64
	src := newSource(countingReader{Reader: newMemReader(good), n: &n})
	rows, err := readParquet(context.Background(), src, "x.parquet", ReadOptions{}.withDefaults(), func(Batch) error { return nil })
	if err != nil || rows != 50_000 {
		t.Fatalf("read %d rows, %v", rows, err)
	}
	sum, err := src.Sum()
	if err != nil {
		t.Fatal(err)
	}
	if sum != sha(good) {
		t.Errorf("checksum %s, want %s", sum, sha(good))
	}
	// The footer is read twice (by the reader first, then for the checksum); nothing else.
	if extra := n - int64(len(good)); extra < 0 || extra > 64<<10 {
		t.Errorf("read %d bytes of a %d-byte file: %d extra", n, len(good), extra)
	}
	t.Logf("file %d bytes, read %d", len(good), n)
}

func TestSourceChecksum(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 30_000)
	tests := []struct {
		name string
		read func(s *source)
	}{
		{"nothing read", func(*source) {}},
		{"sequential", func(s *source) { io.Copy(io.Discard, s) }},
		{"twice", func(s *source) { io.Copy(io.Discard, s); s.Seek(0, io.SeekStart); io.Copy(io.Discard, s) }},
		{"random access with gaps and overlaps", func(s *source) {
			buf := make([]byte, 5000)
			for _, off := range []int64{290_000, 4, 5000, 100_000, 7000, 9000, 0, 250_000} {
				s.ReadAt(buf, off)
			}
		}},
		{"seek and read", func(s *source) {
			s.Seek(1000, io.SeekStart)
			io.CopyN(io.Discard, s, 5000)
		}},
	}
	for _, tt := range tests {
		s := newSource(newMemReader(data))
		tt.read(s)
		if sum, err := s.Sum(); err != nil || sum != sha(data) {
			t.Errorf("%s: Sum = %s, %v; want %s", tt.name, sum, err, sha(data))
		}
	}
}

// TestPartWriterDeterministicDistinctValues writes a column of distinct ids whose
// dictionary outgrows Arrow's default limit of 1 MB in every row group: with a fallback to
// plain pages the footer listed each chunk's two page encodings in Go map order, so that the
// same rows gave other bytes from run to run (with sixteen such chunks, four writes all
// agreed by chance in no trial out of 20).
func TestPartWriterDeterministicDistinctValues(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String}}, nil)
	const rows, groupRows = 320_000, 20_000 // 1.2 MB of distinct ids per row group
	b := array.NewStringBuilder(memory.DefaultAllocator)
	for i := range rows {
		b.Append(fmt.Sprintf("customer-%050d", i*7919%rows))
	}
	ids := b.NewArray()
	b.Release()
	rec := array.NewRecord(schema, []arrow.Array{ids}, rows)
	ids.Release()
	defer rec.Release()
	dir := storage.MustParse(t.TempDir() + "/")
	var first string
	for i := range 4 {
		pw, err := NewPartWriter(context.Background(), storage.Local{}, dir.MustJoin(fmt.Sprintf("run%d", i)), schema, PartOptions{RowGroupRows: groupRows})
		if err != nil {
			t.Fatal(err)
		}
		if err := pw.Write(rec); err != nil {
			t.Fatal(err)
		}
		files, err := pw.Close()
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = files[0].SHA256
		} else if files[0].SHA256 != first {
			t.Fatalf("write %d: sha256 %s, write 0: %s", i, files[0].SHA256, first)
		}
	}
}

// TestSourceHashesReadsOutOfOrder reads a file in chunks out of order, as decoders of row
// groups in parallel do, and requires the checksum without reading any byte twice; reads
// beyond what the source keeps are read again by Sum, with the same checksum.
func TestSourceHashesReadsOutOfOrder(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	const chunk = 1 << 16
	var offs []int64
	for off := int64(0); off < int64(len(data)); off += chunk {
		offs = append(offs, off)
	}
	// Pairs swapped: 1, 0, 3, 2, …; and every chunk but the first before it.
	orders := map[string][]int64{"pairs swapped": {}, "first last": slices.Concat(offs[1:], offs[:1])}
	for i := 0; i+1 < len(offs); i += 2 {
		orders["pairs swapped"] = append(orders["pairs swapped"], offs[i+1], offs[i])
	}
	for name, order := range orders {
		var read int64
		s := newSource(countingReader{newMemReader(data), &read})
		buf := make([]byte, chunk)
		for _, off := range order {
			if _, err := s.ReadAt(buf, off); err != nil {
				t.Fatal(err)
			}
		}
		if sum, err := s.Sum(); err != nil || sum != sha(data) {
			t.Errorf("%s: Sum = %s, %v; want %s", name, sum, err, sha(data))
		}
		if read != int64(len(data)) {
			t.Errorf("%s: %d bytes read for a file of %d", name, read, len(data))
		}
	}
}

// TestParquetRowGroupsInParallel reads a file of nine row groups, whose batch size does not
// divide them, on one to four cores: the same batches every time (none straddling a row
// group), the rows written, and no buffer left allocated — also when fn fails half way, when
// the context is cancelled, and when a row group in the middle is corrupt (an error naming
// the file, not a panic).
func TestParquetRowGroupsInParallel(t *testing.T) {
	ctx := context.Background()
	dir := storage.MustParse(t.TempDir() + "/")
	const total = 8500
	files := writeParts(t, storage.Local{}, dir.MustJoin("t"), total, 1300, PartOptions{RowGroupRows: 1000})
	data, err := storage.ReadAll(ctx, storage.Local{}, storage.MustParse(files[0].Location))
	if err != nil {
		t.Fatal(err)
	}
	want := makeRecord(memory.DefaultAllocator, 0, total)
	defer want.Release()
	type batchID struct {
		first, n int64
	}
	read := func(procs int, data []byte, fn func(Batch) error) ([]batchID, []string, error) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		var ids []batchID
		var got []string
		err := ReadParquet(ctx, newMemReader(data), "t.parquet", ReadOptions{BatchSize: 600, Allocator: mem}, func(b Batch) error {
			ids = append(ids, batchID{b.FirstRow, b.Record.NumRows()})
			got = append(got, rows(b.Record)...)
			return fn(b)
		})
		return ids, got, err
	}
	ok := func(Batch) error { return nil }
	first, got, err := read(1, data, ok)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, rows(want)) {
		t.Fatalf("%d rows read that differ from the %d written", len(got), total)
	}
	for _, b := range first {
		if b.first/1000 != (b.first+b.n-1)/1000 {
			t.Errorf("batch of rows [%d, %d) straddles a row group", b.first, b.first+b.n)
		}
	}
	for procs := 2; procs <= 4; procs++ {
		ids, got, err := read(procs, data, ok)
		if err != nil || !slices.Equal(ids, first) || !slices.Equal(got, rows(want)) {
			t.Errorf("%d cores: %v; batches %v, want %v", procs, err, ids, first)
		}
	}
	failing := errors.New("stop")
	for procs := 1; procs <= 2; procs++ {
		calls := 0
		if _, _, err := read(procs, data, func(Batch) error {
			if calls++; calls == 5 {
				return failing
			}
			return nil
		}); !errors.Is(err, failing) {
			t.Errorf("%d cores: failing fn: err = %v", procs, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	calls := 0
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	err = ReadParquet(cctx, newMemReader(data), "t.parquet", ReadOptions{BatchSize: 600, Allocator: mem}, func(Batch) error {
		if calls++; calls == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	mem.AssertSize(t, 0)

	bad := slices.Clone(data)
	for i := len(bad) / 2; i < len(bad)/2+400; i++ {
		bad[i] ^= 0x5a
	}
	for procs := 1; procs <= 2; procs++ {
		if _, _, err := read(procs, bad, ok); err == nil || !strings.HasPrefix(err.Error(), "t.parquet: not a valid Parquet file") {
			t.Errorf("%d cores: corrupt row group: err = %v", procs, err)
		}
	}
}

// TestParquetLargeRowGroupBounded reads a file of one row group of 60 batches: the batches
// decoded ahead of the reader are bounded (aheadBatches), not the whole row group.
func TestParquetLargeRowGroupBounded(t *testing.T) {
	ctx := context.Background()
	dir := storage.MustParse(t.TempDir() + "/")
	const total, batch = 30_000, 500
	files := writeParts(t, storage.Local{}, dir.MustJoin("t"), total, total, PartOptions{RowGroupRows: total})
	data, err := storage.ReadAll(ctx, storage.Local{}, storage.MustParse(files[0].Location))
	if err != nil {
		t.Fatal(err)
	}
	for procs := 1; procs <= 2; procs++ {
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var peak, one int
			var batchBytes int64
			var rows int64
			err := ReadParquet(ctx, newMemReader(data), "t.parquet", ReadOptions{BatchSize: batch, Allocator: mem}, func(b Batch) error {
				if one == 0 {
					time.Sleep(50 * time.Millisecond) // let the decoder run ahead as far as it may
				}
				peak = max(peak, mem.CurrentAlloc())
				if one == 0 {
					one = mem.CurrentAlloc()
					batchBytes = recordBytes(b.Record)
				}
				rows += b.Record.NumRows()
				return nil
			})
			if err != nil || rows != total {
				t.Fatalf("%d cores: %d rows, %v", procs, rows, err)
			}
			// The reader's own buffers (the column chunks, some 10 batches' worth here) come
			// on top of the batches decoded ahead; a whole row group is 60 batches.
			t.Logf("%d cores: peak %d bytes, %.1f batches", procs, peak, float64(peak)/float64(batchBytes))
			if limit := int64(aheadBatches+20) * batchBytes; int64(peak) > limit {
				t.Errorf("%d cores: peak allocation %d bytes, %.1f batches: the row group is not streamed", procs, peak, float64(peak)/float64(batchBytes))
			}
		}()
	}
}

// recordBytes sums the buffer lengths of rec's columns.
func recordBytes(rec arrow.Record) int64 {
	var n int64
	var add func(d arrow.ArrayData)
	add = func(d arrow.ArrayData) {
		for _, b := range d.Buffers() {
			if b != nil {
				n += int64(b.Len())
			}
		}
		for _, c := range d.Children() {
			add(c)
		}
	}
	for _, c := range rec.Columns() {
		add(c.Data())
	}
	return n
}
