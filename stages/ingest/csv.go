package ingest

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// CSVOptions configure the reading of CSV files.
//
// A CSV file has a header row naming its columns (an empty name becomes column_<n>, 1-based;
// duplicate names are an error). Each column gets one type, the narrowest of int64, float64,
// bool and string that holds every value of the column that is not a missing-value marker:
//
//   - int64: an optional sign and decimal digits without leading zeros ("007" is text, an
//     identifier rather than a number), within the int64 range (longer digit strings are
//     text too: account numbers, not quantities);
//   - float64: decimal notation with an optional fraction and exponent ("1.5", "-.5",
//     "2e-3"); a column of ints and floats is float64; "inf" and hexadecimal are text;
//   - bool: true or false in any letter case; a column mixing bools and numbers is text;
//   - string: everything else, kept as written. Dates stay strings; later stages parse them.
//
// Detection ignores spaces and tabs around a value; string values keep them. A column with
// no value at all is a string column of nulls. Markers of missing values (NullValues) are
// nulls in every column type; with the default markers that includes "NaN", so NaN never
// reaches a float column as a value (stages turn nulls into NaN where they need to).
//
// Types are inferred from the whole file: a seekable input (every storage.Reader) is read
// twice, once to infer and once to parse, so a value on the last row that contradicts the
// first rows still widens its column. An input that cannot seek is inferred from its first
// SampleRows rows, and a later value that does not fit is an error that names it.
type CSVOptions struct {
	// Delimiter separates fields; 0 detects it from the header line: the most frequent of
	// ',', ';', '\t' and '|' outside quotes (',' when none).
	Delimiter byte
	// NullValues are the markers of missing values, compared after trimming spaces; nil
	// means DefaultNullValues. A quoted marker is missing too.
	NullValues []string
	// Types forces the type of the named columns (arrow.PrimitiveTypes.Int64,
	// .Float64, arrow.FixedWidthTypes.Boolean or arrow.BinaryTypes.String), for example to
	// keep numeric-looking identifiers as strings. A value that does not parse is an error.
	Types map[string]arrow.DataType
	// SampleRows is the number of rows that fix the column types of an input that cannot
	// seek; default 10,000.
	SampleRows int
	// BatchSize is the number of rows per batch; default 65,536.
	BatchSize int
	// Allocator allocates the batches; default memory.DefaultAllocator.
	Allocator memory.Allocator

	// procs and rangeBytes override, for tests, the cores (runtime.GOMAXPROCS) and the
	// range size (csvRangeBytes) of a parallel read.
	procs      int
	rangeBytes int
}

// DefaultNullValues returns the markers of missing values used when CSVOptions.NullValues
// is nil: "", NA, N/A, NULL, null, NaN and nan.
func DefaultNullValues() []string {
	return []string{"", "NA", "N/A", "NULL", "null", "NaN", "nan"}
}

const (
	defaultBatchSize  = 64 << 10
	defaultSampleRows = 10_000
)

func (o CSVOptions) withDefaults() CSVOptions {
	if o.NullValues == nil {
		o.NullValues = DefaultNullValues()
	}
	if o.SampleRows <= 0 {
		o.SampleRows = defaultSampleRows
	}
	if o.BatchSize <= 0 {
		o.BatchSize = defaultBatchSize
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	return o
}

// ReadCSV reads the CSV file r (named file in errors and batches) and calls fn with each
// batch of rows, in order. fn borrows the record: it is released when fn returns, so fn
// must Retain it to keep it. A file without data rows yields one empty batch, so that its
// schema is known. A seekable r is read twice (see CSVOptions), from its current offset;
// when it also reads at offsets and knows its size (bytes.Reader, every storage.Reader),
// both passes run on all cores (runtime.GOMAXPROCS), with the batches, types and errors of
// one core: fn is still called from one goroutine at a time, in row order, and at most two
// batches per core wait for it.
//
// Errors name the file, the line (1-based; the header is line 1) and the data row (1-based;
// a row may span lines when a quoted field holds line breaks): a row with the wrong number
// of fields (wrapping csv.ErrFieldCount), bytes that are not UTF-8, an unterminated quote.
func ReadCSV(ctx context.Context, r io.Reader, file string, opts CSVOptions, fn func(Batch) error) error {
	opts = opts.withDefaults()
	nulls := newNullSet(opts.NullValues)
	if rs, ok := r.(io.ReadSeeker); ok {
		start, err := rs.Seek(0, io.SeekCurrent)
		if err == nil {
			inf, err := inferCSV(ctx, rs, file, opts, nulls, -1)
			if err != nil {
				return err
			}
			if _, err := rs.Seek(start, io.SeekStart); err != nil {
				return fmt.Errorf("%s: rewind for the second pass: %w", file, err)
			}
			_, err = parseCSV(ctx, rs, file, opts, nulls, inf, fn)
			return err
		}
	}
	rec := &recorder{r: r}
	inf, err := inferCSV(ctx, rec, file, opts, nulls, opts.SampleRows)
	if err != nil {
		return err
	}
	replay := io.MultiReader(bytes.NewReader(rec.buf.Bytes()), r)
	_, err = parseCSV(ctx, replay, file, opts, nulls, inf, fn)
	return err
}

// recorder keeps a copy of what is read through it, so that the rows read to infer the
// types of a non-seekable input can be read again.
type recorder struct {
	r   io.Reader
	buf bytes.Buffer
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.buf.Write(p[:n])
	return n, err
}

// kind is a point in the lattice of inferred column types.
type kind uint8

const (
	kindNull kind = iota // no value seen yet
	kindBool
	kindInt
	kindFloat
	kindString
)

// join returns the narrowest kind that holds values of both a and b.
func join(a, b kind) kind {
	switch {
	case a == b:
		return a
	case a == kindNull:
		return b
	case b == kindNull:
		return a
	case (a == kindInt && b == kindFloat) || (a == kindFloat && b == kindInt):
		return kindFloat
	}
	return kindString
}

func (k kind) dataType() arrow.DataType {
	switch k {
	case kindBool:
		return arrow.FixedWidthTypes.Boolean
	case kindInt:
		return arrow.PrimitiveTypes.Int64
	case kindFloat:
		return arrow.PrimitiveTypes.Float64
	}
	return arrow.BinaryTypes.String
}

func kindOf(t arrow.DataType) (kind, bool) {
	switch t.ID() {
	case arrow.BOOL:
		return kindBool, true
	case arrow.INT64:
		return kindInt, true
	case arrow.FLOAT64:
		return kindFloat, true
	case arrow.STRING:
		return kindString, true
	}
	return 0, false
}

// inference is what the first pass learns about a CSV file.
type inference struct {
	header []string
	kinds  []kind
	forced []bool    // the kind comes from CSVOptions.Types
	rows   int64     // rows seen
	sample int       // rows the kinds rest on when they rest on a sample, else 0
	index  *csvIndex // where the batches start, when the file was inferred in parallel
}

// nullSet matches the markers of missing values; grouping them by length makes a miss (the
// common case) cost a length check and a comparison or two, not a hash.
type nullSet [][]string

func newNullSet(values []string) nullSet {
	var m nullSet
	for _, v := range values {
		for len(m) <= len(v) {
			m = append(m, nil)
		}
		m[len(v)] = append(m[len(v)], v)
	}
	return m
}

func (m nullSet) has(v []byte) bool {
	if len(v) >= len(m) {
		return false
	}
	for _, s := range m[len(v)] {
		if string(v) == s {
			return true
		}
	}
	return false
}

// readHeader reads the header row and checks it against the forced types.
func readHeader(sc *scanner, file string, opts CSVOptions) ([]string, []kind, []bool, error) {
	if err := sc.next(); err != nil {
		if err == io.EOF {
			return nil, nil, nil, fmt.Errorf("%s: empty file: a header row is required", file)
		}
		return nil, nil, nil, csvError(file, 0, err)
	}
	if !utf8.Valid(sc.record) {
		return nil, nil, nil, fmt.Errorf("%s: line %d (header): invalid UTF-8", file, sc.line)
	}
	header := make([]string, len(sc.fields))
	seen := make(map[string]int, len(header))
	for i, f := range sc.fields {
		name := string(f)
		if name == "" {
			name = fmt.Sprintf("column_%d", i+1)
		}
		if j, dup := seen[name]; dup {
			return nil, nil, nil, fmt.Errorf("%s: line %d (header): columns %d and %d are both named %q", file, sc.line, j+1, i+1, name)
		}
		seen[name] = i
		header[i] = name
	}
	kinds := make([]kind, len(header))
	forced := make([]bool, len(header))
	for name, t := range opts.Types {
		i, ok := seen[name]
		if !ok {
			return nil, nil, nil, fmt.Errorf("%s: CSVOptions.Types names column %q, which the file does not have", file, name)
		}
		k, ok := kindOf(t)
		if !ok {
			return nil, nil, nil, fmt.Errorf("%s: column %q: cannot read CSV values as %s (want int64, float64, bool or utf8)", file, name, t)
		}
		kinds[i], forced[i] = k, true
	}
	return header, kinds, forced, nil
}

// csvError adds the file (and data row) to a scanner error.
func csvError(file string, row int64, err error) error {
	var se *errSyntax
	if errors.As(err, &se) {
		if row > 0 {
			return fmt.Errorf("%s: line %d (data row %d): %s", file, se.line, row, se.msg)
		}
		return fmt.Errorf("%s: %w", file, err)
	}
	return fmt.Errorf("read %s: %w", file, err)
}

// checkRecord checks the field count and encoding of the current record.
func checkRecord(sc *scanner, file string, row int64, header []string) error {
	if len(sc.fields) != len(header) {
		return fmt.Errorf("%s: line %d (data row %d): %w: want %d, found %d", file, sc.line, row, csv.ErrFieldCount, len(header), len(sc.fields))
	}
	if !utf8.Valid(sc.record) {
		for j, f := range sc.fields {
			if !utf8.Valid(f) {
				return fmt.Errorf("%s: line %d (data row %d): column %q: invalid UTF-8 (the file must be UTF-8 encoded)", file, sc.line, row, header[j])
			}
		}
		return fmt.Errorf("%s: line %d (data row %d): invalid UTF-8 (the file must be UTF-8 encoded)", file, sc.line, row)
	}
	return nil
}

// inferCSV reads the header and up to maxRows rows (all when maxRows < 0) and infers the
// column kinds. A seekable input read whole is inferred on all cores (see inferParallel).
func inferCSV(ctx context.Context, r io.Reader, file string, opts CSVOptions, nulls nullSet, maxRows int) (*inference, error) {
	if maxRows < 0 {
		if in, ok := parallelInput(r, opts); ok {
			return inferParallel(ctx, in, file, opts, nulls)
		}
	}
	sc := newScanner(r, opts.Delimiter)
	header, kinds, forced, err := readHeader(sc, file, opts)
	if err != nil {
		return nil, err
	}
	inf := &inference{header: header, kinds: kinds, forced: forced}
	inf.rows, err = inferRows(ctx, sc, file, header, forced, nulls, kinds, 0, maxRows, -1, nil)
	if err != nil {
		return nil, err
	}
	if maxRows >= 0 && inf.rows == int64(maxRows) {
		inf.sample = maxRows
	}
	return inf, nil
}

// rowMark is where a scanner stands before a row: the offset of the unconsumed input and
// the line it starts on.
type rowMark struct {
	off, line int64
}

// inferRows reads rows from sc, numbering them from rows+1, and joins the kinds of their
// values into kinds (forced columns are left alone). It stops at the end of the input,
// after maxRows rows in all when maxRows ≥ 0, or before a row when the scanner's offset has
// reached stop when stop ≥ 0. marks, when not nil, receives where each row starts. It
// returns the number of rows in all.
func inferRows(ctx context.Context, sc *scanner, file string, header []string, forced []bool, nulls nullSet, kinds []kind, rows int64, maxRows int, stop int64, marks *[]rowMark) (int64, error) {
	// open lists the columns whose kind can still change.
	var open []int
	for j := range header {
		if !forced[j] && kinds[j] != kindString {
			open = append(open, j)
		}
	}
	for maxRows < 0 || rows < int64(maxRows) {
		if stop >= 0 && sc.offset() >= stop {
			return rows, nil
		}
		if marks != nil {
			*marks = append(*marks, rowMark{sc.offset(), sc.nextAt})
		}
		if err := sc.next(); err != nil {
			if err == io.EOF {
				if marks != nil {
					*marks = (*marks)[:len(*marks)-1]
				}
				return rows, nil
			}
			return rows, csvError(file, rows+1, err)
		}
		rows++
		if err := checkRecord(sc, file, rows, header); err != nil {
			return rows, err
		}
		if rows%defaultBatchSize == 0 {
			if err := ctx.Err(); err != nil {
				return rows, err
			}
		}
		for o := 0; o < len(open); o++ {
			j := open[o]
			v := trimSpace(sc.fields[j])
			if nulls.has(v) {
				continue
			}
			k := join(kinds[j], classify(v, kinds[j]))
			kinds[j] = k
			if k == kindString {
				open[o] = open[len(open)-1]
				open = open[:len(open)-1]
				o--
			}
		}
	}
	return rows, nil
}

// classify returns the narrowest kind of the non-missing value v, given the column's kind
// so far (only what could keep the column narrower than string is checked).
func classify(v []byte, sofar kind) kind {
	switch sofar {
	case kindNull, kindInt:
		if _, ok, integral := parseInt(v); ok {
			return kindInt
		} else if integral {
			return kindString // out of the int64 range: an identifier
		}
		if isFloat(v) {
			return kindFloat
		}
		if _, ok := parseBool(v); ok {
			return kindBool
		}
	case kindFloat:
		if _, ok, integral := parseInt(v); ok || (!integral && isFloat(v)) {
			return kindFloat
		}
	case kindBool:
		if _, ok := parseBool(v); ok {
			return kindBool
		}
	}
	return kindString
}

// parseInt parses an optional sign and digits without leading zeros. integral reports
// that v has that form even when it overflows int64.
func parseInt(v []byte) (n int64, ok, integral bool) {
	i := 0
	neg := false
	if len(v) > 0 && (v[0] == '-' || v[0] == '+') {
		neg = v[0] == '-'
		i = 1
	}
	digits := v[i:]
	if len(digits) == 0 || (digits[0] == '0' && len(digits) > 1) {
		return 0, false, false
	}
	var u uint64
	overflow := false
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false, false
		}
		d := uint64(c - '0')
		if u > (math.MaxUint64-d)/10 {
			overflow = true
			continue
		}
		u = u*10 + d
	}
	switch {
	case overflow:
		return 0, false, true
	case neg && u == 1<<63:
		return math.MinInt64, true, true
	case neg && u < 1<<63:
		return -int64(u), true, true
	case !neg && u <= math.MaxInt64:
		return int64(u), true, true
	}
	return 0, false, true
}

// isFloat reports whether v is decimal floating-point notation: [sign] digits [. digits]
// [e [sign] digits], with at least one mantissa digit and no leading zeros before the point.
func isFloat(v []byte) bool {
	i := 0
	if i < len(v) && (v[i] == '-' || v[i] == '+') {
		i++
	}
	intStart := i
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	intDigits := i - intStart
	if intDigits > 1 && v[intStart] == '0' {
		return false
	}
	fracDigits := 0
	if i < len(v) && v[i] == '.' {
		i++
		s := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		fracDigits = i - s
	}
	if intDigits+fracDigits == 0 {
		return false
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '-' || v[i] == '+') {
			i++
		}
		s := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i == s {
			return false
		}
	}
	return i == len(v)
}

func parseBool(v []byte) (value, ok bool) {
	switch len(v) {
	case 4:
		return true, (v[0]|0x20) == 't' && (v[1]|0x20) == 'r' && (v[2]|0x20) == 'u' && (v[3]|0x20) == 'e'
	case 5:
		return false, (v[0]|0x20) == 'f' && (v[1]|0x20) == 'a' && (v[2]|0x20) == 'l' && (v[3]|0x20) == 's' && (v[4]|0x20) == 'e'
	}
	return false, false
}

func trimSpace(v []byte) []byte {
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	return v
}

// bytesString views b as a string without copying, for strconv calls, which do not keep it
// (they copy the input into the errors they return).
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// column appends the values of one CSV column to an Arrow builder.
type column struct {
	name    string
	kind    kind
	ints    *array.Int64Builder
	floats  *array.Float64Builder
	bools   *array.BooleanBuilder
	strings *array.StringBuilder
	bytes   int // string bytes of the last batch, to reserve the next one
}

func newColumn(name string, k kind, mem memory.Allocator) *column {
	c := &column{name: name, kind: k}
	switch k {
	case kindInt:
		c.ints = array.NewInt64Builder(mem)
	case kindFloat:
		c.floats = array.NewFloat64Builder(mem)
	case kindBool:
		c.bools = array.NewBooleanBuilder(mem)
	default:
		c.strings = array.NewStringBuilder(mem)
	}
	return c
}

func (c *column) builder() array.Builder {
	switch c.kind {
	case kindInt:
		return c.ints
	case kindFloat:
		return c.floats
	case kindBool:
		return c.bools
	}
	return c.strings
}

func (c *column) reserve(n int) {
	c.builder().Reserve(n)
	if c.strings != nil && c.bytes > 0 {
		c.strings.ReserveData(c.bytes)
	}
}

// append adds raw value v; it reports false when v does not parse as the column's type.
func (c *column) append(v []byte, nulls nullSet) bool {
	t := trimSpace(v)
	if nulls.has(t) {
		c.builder().AppendNull()
		return true
	}
	switch c.kind {
	case kindInt:
		n, ok, _ := parseInt(t)
		if !ok {
			return false
		}
		c.ints.Append(n)
	case kindFloat:
		if !isFloat(t) {
			return false
		}
		f, err := strconv.ParseFloat(bytesString(t), 64)
		if err != nil {
			return false
		}
		c.floats.Append(f)
	case kindBool:
		b, ok := parseBool(t)
		if !ok {
			return false
		}
		c.bools.Append(b)
	default:
		c.strings.BinaryBuilder.Append(v)
	}
	return true
}

func (c *column) newArray() arrow.Array {
	if c.strings != nil {
		c.bytes = c.strings.DataLen()
	}
	return c.builder().NewArray()
}

func (c *column) release() { c.builder().Release() }

// csvSchema returns the Arrow schema of a CSV file with the given header and kinds.
func csvSchema(header []string, kinds []kind) *arrow.Schema {
	fields := make([]arrow.Field, len(header))
	for i, name := range header {
		fields[i] = arrow.Field{Name: name, Type: kinds[i].dataType(), Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// parseCSV reads the file with the kinds of inf and calls fn with each batch; it returns the
// number of data rows.
func parseCSV(ctx context.Context, r io.Reader, file string, opts CSVOptions, nulls nullSet, inf *inference, fn func(Batch) error) (int64, error) {
	if in, ok := parallelInput(r, opts); ok {
		rows, done, err := parseParallel(ctx, in, file, opts, nulls, inf, fn)
		if done {
			if err == nil {
				_, err = r.(io.Seeker).Seek(in.size, io.SeekStart)
			}
			return rows, err
		}
	}
	sc := newScanner(r, opts.Delimiter)
	header, _, _, err := readHeader(sc, file, opts)
	if err != nil {
		return 0, err
	}
	if !equalStrings(header, inf.header) {
		return 0, fmt.Errorf("%s: the header changed between the two passes over the file", file)
	}
	schema := csvSchema(inf.header, inf.kinds)
	cols := make([]*column, len(header))
	for j := range cols {
		cols[j] = newColumn(header[j], inf.kinds[j], opts.Allocator)
		defer cols[j].release()
	}
	var (
		row     int64 // data rows read
		first   int64 // first row of the pending batch
		pending int
		batches int
	)
	flush := func() error {
		arrs := make([]arrow.Array, len(cols))
		for j, c := range cols {
			arrs[j] = c.newArray()
		}
		rec := array.NewRecord(schema, arrs, int64(pending))
		for _, a := range arrs {
			a.Release()
		}
		defer rec.Release()
		batches++
		b := Batch{Record: rec, File: file, FirstRow: first}
		first += int64(pending)
		pending = 0
		return fn(b)
	}
	// batchRows is the size of the next batch: the rows left when the first pass counted
	// them all (a small file does not clear room for a whole batch), else BatchSize.
	batchRows := func() int {
		if inf.sample == 0 && inf.rows-row < int64(opts.BatchSize) {
			return int(max(inf.rows-row, 0))
		}
		return opts.BatchSize
	}
	for _, c := range cols {
		c.reserve(batchRows())
	}
	for {
		if err := sc.next(); err != nil {
			if err == io.EOF {
				break
			}
			return row, csvError(file, row+1, err)
		}
		row++
		if err := checkRecord(sc, file, row, header); err != nil {
			return row, err
		}
		for j, c := range cols {
			if !c.append(sc.fields[j], nulls) {
				return row, misfit(file, sc.line, row, c, sc.fields[j], inf)
			}
		}
		pending++
		if pending == opts.BatchSize {
			if err := ctx.Err(); err != nil {
				return row, err
			}
			if err := flush(); err != nil {
				return row, err
			}
			for _, c := range cols {
				c.reserve(batchRows())
			}
		}
	}
	if pending > 0 || batches == 0 {
		if err := flush(); err != nil {
			return row, err
		}
	}
	return row, nil
}

// misfit explains a value that does not parse as its column's type.
func misfit(file string, line, row int64, c *column, v []byte, inf *inference) error {
	shown := string(v)
	if len(shown) > 40 {
		shown = shown[:40] + "…"
	}
	j := indexOf(inf.header, c.name)
	switch {
	case inf.forced[j]:
		return fmt.Errorf("%s: line %d (data row %d): column %q: %q is not a valid %s (the type set in CSVOptions.Types)", file, line, row, c.name, shown, c.kind.dataType())
	case inf.sample > 0:
		return fmt.Errorf("%s: line %d (data row %d): column %q: %q is not a valid %s, the type inferred from the first %d rows; set CSVOptions.Types[%q] or read the file from a seekable source", file, line, row, c.name, shown, c.kind.dataType(), inf.sample, c.name)
	}
	return fmt.Errorf("%s: line %d (data row %d): column %q: %q is not a valid %s; the file changed between the two passes over it", file, line, row, c.name, shown, c.kind.dataType())
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}
