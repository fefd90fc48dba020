package ingest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/pipeline/storage"
)

// putParquet writes test rows [from, from+n) as one Parquet file at rel below the root.
func putParquet(t *testing.T, r testRoot, rel string, from, n int) FileInfo {
	t.Helper()
	rec := makeRecord(memory.DefaultAllocator, from, n)
	defer rec.Release()
	fi, err := WriteParquet(context.Background(), r.st, storage.MustParse(r.at(rel)), rec)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func putText(t *testing.T, r testRoot, rel, text string) {
	t.Helper()
	if err := storage.WriteAll(context.Background(), r.st, storage.MustParse(r.at(rel)), []byte(text)); err != nil {
		t.Fatal(err)
	}
}

func TestReadTablePrefixAndGlob(t *testing.T) {
	forEachRoot(t, func(t *testing.T, r testRoot) {
		ctx := context.Background()
		a := putParquet(t, r, "loans/dt=2025-01-31/part-00000.parquet", 0, 1200)
		b := putParquet(t, r, "loans/dt=2025-02-28/part-00000.parquet", 1200, 800)
		putText(t, r, "loans/dt=2025-01-31/_SUCCESS", "")
		putText(t, r, "loans/dt=2025-01-31/.part-00000.parquet.crc", "junk")
		putText(t, r, "loans/README.txt", "not a table")
		want := makeRecord(memory.DefaultAllocator, 0, 2000)
		defer want.Release()

		for _, input := range []string{"loans", "loans/", "loans/dt=*/part-*.parquet", "loans/*/*.parquet"} {
			tbl, err := ReadTable(ctx, r.stores, "loans", r.at(input), ReadOptions{BatchSize: 500})
			if err != nil {
				t.Fatalf("%s: %v", input, err)
			}
			if !slices.Equal(tbl.Files, []FileInfo{a, b}) {
				t.Errorf("%s: files %+v\nwant %+v", input, tbl.Files, []FileInfo{a, b})
			}
			if got := tableRows(tbl); !slices.Equal(got, rows(want)) {
				t.Errorf("%s: %d rows that differ from the 2000 written", input, len(got))
			}
			if tbl.Name != "loans" || tbl.NumRows() != 2000 {
				t.Errorf("%s: table %s with %d rows", input, tbl.Name, tbl.NumRows())
			}
			if last := tbl.Batches[len(tbl.Batches)-1]; last.File != b.Location || last.FirstRow != 500 {
				t.Errorf("%s: last batch from %s at row %d, want %s at 500", input, last.File, last.FirstRow, b.Location)
			}
			tbl.Release()
		}

		// StreamTable sees the same rows without holding them.
		var n int64
		files, err := StreamTable(ctx, r.stores, r.at("loans/"), ReadOptions{}, func(bt Batch) error {
			n += bt.Record.NumRows()
			return nil
		})
		if err != nil || n != 2000 || !slices.Equal(files, []FileInfo{a, b}) {
			t.Errorf("StreamTable: %d rows, files %+v, %v", n, files, err)
		}

		if _, err := ReadTable(ctx, r.stores, "x", r.at("nothing/"), ReadOptions{}); !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("missing input: %v; want ErrNotExist", err)
		}
	})
}

func TestReadTableSchemaMismatch(t *testing.T) {
	forEachRoot(t, func(t *testing.T, r testRoot) {
		putParquet(t, r, "t/part-00000.parquet", 0, 10)
		other := arrow.NewSchema([]arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String}}, nil)
		b := array.NewRecordBuilder(memory.DefaultAllocator, other)
		b.Field(0).(*array.StringBuilder).Append("x")
		rec := b.NewRecord()
		b.Release()
		defer rec.Release()
		if _, err := WriteParquet(context.Background(), r.st, storage.MustParse(r.at("t/part-00001.parquet")), rec); err != nil {
			t.Fatal(err)
		}
		_, err := ReadTable(context.Background(), r.stores, "t", r.at("t/"), ReadOptions{})
		want := "t: " + r.at("t/part-00000.parquet") + " and " + r.at("t/part-00001.parquet") + ": different schemas: 8 columns versus 1"
		if err == nil || err.Error() != want {
			t.Errorf("err = %v\nwant %s", err, want)
		}
	})
}

func TestReadTableCSV(t *testing.T) {
	forEachRoot(t, func(t *testing.T, r testRoot) {
		ctx := context.Background()
		// v is int64 in one file and float64 in the other: the table's v is float64.
		putText(t, r, "flat/a.csv", "id,v,s\n1,10,x\n2,NA,y\n")
		putText(t, r, "flat/b.CSV", "\xef\xbb\xbfid,v,s\n3,2.5,\n")
		tbl, err := ReadTable(ctx, r.stores, "flat", r.at("flat/"), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer tbl.Release()
		wantSchema := arrow.NewSchema([]arrow.Field{
			{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			{Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
			{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		}, nil)
		if !tbl.Schema.Equal(wantSchema) {
			t.Errorf("schema %s, want %s", tbl.Schema, wantSchema)
		}
		if got, want := tableRows(tbl), []string{"1|10|x", "2|null|y", "3|2.5|null"}; !slices.Equal(got, want) {
			t.Errorf("rows %q, want %q", got, want)
		}
		if len(tbl.Files) != 2 || tbl.Files[0].Rows != 2 || tbl.Files[1].Rows != 1 {
			t.Fatalf("files %+v", tbl.Files)
		}
		for _, f := range tbl.Files {
			data, _ := storage.ReadAll(ctx, r.st, storage.MustParse(f.Location))
			if f.SHA256 != sha(data) || f.Size != int64(len(data)) {
				t.Errorf("%s: size %d sha256 %s; want %d %s", f.Location, f.Size, f.SHA256, len(data), sha(data))
			}
		}

		putText(t, r, "bad/a.csv", "id,v\n1,2\n")
		putText(t, r, "bad/b.csv", "id,w\n1,2\n")
		_, err = ReadTable(ctx, r.stores, "bad", r.at("bad/"), ReadOptions{})
		want := r.at("bad/a.csv") + " and " + r.at("bad/b.csv") + ": different columns: id,v versus id,w"
		if err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("err = %v\nwant …%s", err, want)
		}

		putText(t, r, "ragged/a.csv", "id,v\n1,2\n3\n")
		_, err = ReadTable(ctx, r.stores, "ragged", r.at("ragged/a.csv"), ReadOptions{})
		want = r.at("ragged/a.csv") + ": line 3 (data row 2): wrong number of fields: want 2, found 1"
		if err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("err = %v\nwant …%s", err, want)
		}
	})
}

// A table may mix Parquet and CSV files as long as the schemas agree.
func TestReadTableMixedFormats(t *testing.T) {
	r := roots(t)[0]
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	b.Field(0).(*array.Int64Builder).Append(1)
	b.Field(1).(*array.StringBuilder).Append("p")
	rec := b.NewRecord()
	b.Release()
	defer rec.Release()
	if _, err := WriteParquet(context.Background(), r.st, storage.MustParse(r.at("m/a.parquet")), rec); err != nil {
		t.Fatal(err)
	}
	putText(t, r, "m/b.csv", "id,s\n2,c\n")
	tbl, err := ReadTable(context.Background(), r.stores, "m", r.at("m/"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if got := tableRows(tbl); !slices.Equal(got, []string{"1|p", "2|c"}) {
		t.Errorf("rows %q", got)
	}
}
