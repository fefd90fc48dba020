package ingest

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"

	"lendscore/pipeline/storage"
)

// ReadTable reads the table at input (a location string: a file, a prefix holding *.parquet
// or *.csv files, or a glob; see storage.Resolve) into memory. Every file must have the same
// schema; a mismatch is an error that names both files. The CSV files of a table share
// their inferred column types (a column that is float in one file is float in all).
// Table.Files lists every file with its size, SHA-256 and row count. Files without rows add
// no batches. Errors start with the table's name. The caller must Release the table.
func ReadTable(ctx context.Context, stores *storage.Stores, name, input string, opts ReadOptions) (*Table, error) {
	t := &Table{Name: name}
	files, err := StreamTable(ctx, stores, input, opts, func(b Batch) error {
		if t.Schema == nil {
			t.Schema = b.Record.Schema()
		}
		if b.Record.NumRows() == 0 {
			return nil
		}
		b.Record.Retain()
		t.Batches = append(t.Batches, b)
		return nil
	})
	if err != nil {
		t.Release()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	t.Files = files
	return t, nil
}

// StreamTable reads the table at input like ReadTable, but hands each batch to fn instead of
// holding the table: stages that aggregate as they go need memory for one batch, not for the
// table. fn borrows the record (Retain it to keep it). Every file yields at least one batch,
// an empty one when it has no rows. It returns the files read, for the manifest.
//
// Each file is read once: its checksum is computed from the bytes the readers pull, plus
// whatever bytes they skip. CSV files are the exception: they are read twice (type
// inference, then parsing; see CSVOptions) and all of a table's CSV files stay open between
// the passes.
func StreamTable(ctx context.Context, stores *storage.Stores, input string, opts ReadOptions, fn func(Batch) error) ([]FileInfo, error) {
	opts = opts.withDefaults()
	opts.CSV = opts.CSV.withDefaults()
	st, objs, err := ResolveTable(ctx, stores, input)
	if err != nil {
		return nil, err
	}

	type tableFile struct {
		name string
		csv  bool
		r    storage.Reader
		src  *source
	}
	files := make([]tableFile, len(objs))
	defer func() {
		for _, f := range files {
			if f.r != nil {
				f.r.Close()
			}
		}
	}()
	for i, o := range objs {
		files[i] = tableFile{name: o.Location.String(), csv: strings.HasSuffix(strings.ToLower(o.Location.Key), ".csv")}
	}
	mine := func(i int) bool { return opts.Only == nil || opts.Only(i) }

	// Pass 1 over the CSV files: the column types of the whole table.
	nulls := newNullSet(opts.CSV.NullValues)
	var (
		csvTypes *inference
		csvFirst string
	)
	for i := range files {
		f := &files[i]
		if !f.csv || !mine(i) {
			continue
		}
		if f.r, err = st.Open(ctx, storage.MustParse(f.name)); err != nil {
			return nil, err
		}
		f.src = newSource(f.r)
		inf, err := inferCSV(ctx, f.src, f.name, opts.CSV, nulls, -1)
		if err != nil {
			return nil, err
		}
		if csvTypes == nil {
			csvTypes, csvFirst = inf, f.name
			continue
		}
		if !equalStrings(inf.header, csvTypes.header) {
			return nil, fmt.Errorf("%s and %s: different columns: %s versus %s", csvFirst, f.name,
				strings.Join(csvTypes.header, ","), strings.Join(inf.header, ","))
		}
		for j, k := range inf.kinds {
			csvTypes.kinds[j] = join(csvTypes.kinds[j], k)
		}
		csvTypes.rows += inf.rows
	}

	// Pass 2: every file in order.
	var (
		schema      *arrow.Schema
		schemaFile  string
		infos       []FileInfo
		currentFile string
	)
	checked := func(b Batch) error {
		if b.File != currentFile {
			currentFile = b.File
			s := b.Record.Schema()
			if schema == nil {
				schema, schemaFile = s, b.File
			} else if d := schemaDiff(schema, s); d != "" {
				return fmt.Errorf("%s and %s: different schemas: %s", schemaFile, b.File, d)
			}
		}
		return fn(b)
	}
	for i := range files {
		if !mine(i) {
			continue
		}
		f := &files[i]
		index := func(b Batch) error {
			b.FileIndex = i
			return checked(b)
		}
		var rows int64
		if f.csv {
			if _, err := f.src.Seek(0, io.SeekStart); err != nil {
				return nil, fmt.Errorf("read %s: rewind: %w", f.name, err)
			}
			rows, err = parseCSV(ctx, f.src, f.name, opts.CSV, nulls, csvTypes, index)
		} else {
			if f.r, err = st.Open(ctx, storage.MustParse(f.name)); err != nil {
				return nil, err
			}
			f.src = newSource(f.r)
			rows, err = readParquet(ctx, f.src, f.name, opts, index)
		}
		if err != nil {
			return nil, err
		}
		sum, err := f.src.Sum()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		f.r.Close()
		f.r = nil
		infos = append(infos, FileInfo{Location: f.name, Size: f.src.Size(), SHA256: sum, Rows: rows})
	}
	return infos, nil
}

// schemaDiff describes how b differs from a (field names, types and nullability; metadata
// is ignored), or returns "" when they agree.
func schemaDiff(a, b *arrow.Schema) string {
	if a.NumFields() != b.NumFields() {
		return fmt.Sprintf("%d columns versus %d", a.NumFields(), b.NumFields())
	}
	for i := range a.NumFields() {
		fa, fb := a.Field(i), b.Field(i)
		switch {
		case fa.Name != fb.Name:
			return fmt.Sprintf("column %d is %q versus %q", i+1, fa.Name, fb.Name)
		case !arrow.TypeEqual(fa.Type, fb.Type):
			return fmt.Sprintf("column %q is %s versus %s", fa.Name, fa.Type, fb.Type)
		case fa.Nullable != fb.Nullable:
			return fmt.Sprintf("column %q is nullable=%v versus nullable=%v", fa.Name, fa.Nullable, fb.Nullable)
		}
	}
	return ""
}

// ResolveTable returns the store of a table's location input and the files of the table: the
// file it names, every *.parquet and *.csv file below a prefix, or the files a glob matches
// (storage.Resolve), sorted by key.
func ResolveTable(ctx context.Context, stores *storage.Stores, input string) (storage.Store, []storage.Object, error) {
	loc, err := storage.Parse(input)
	if err != nil {
		return nil, nil, err
	}
	st, err := stores.For(ctx, loc)
	if err != nil {
		return nil, nil, err
	}
	objs, err := storage.Resolve(ctx, st, loc, ".parquet", ".csv")
	if err != nil {
		return nil, nil, err
	}
	return st, objs, nil
}
