package ingest

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// readCSVString reads CSV text (through a seekable reader unless stream is set) and returns
// its schema and its values rendered per column.
func readCSVString(t *testing.T, text string, opts CSVOptions, stream bool) (*arrow.Schema, [][]string, error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	opts.Allocator = mem
	var r io.Reader = strings.NewReader(text)
	if stream {
		r = iotest.HalfReader(struct{ io.Reader }{r}) // not seekable, short reads
	}
	var (
		schema *arrow.Schema
		cols   [][]string
		next   int64
	)
	err := ReadCSV(context.Background(), r, "in.csv", opts, func(b Batch) error {
		if b.File != "in.csv" || b.FirstRow != next {
			t.Errorf("batch of %s at row %d, want in.csv at row %d", b.File, b.FirstRow, next)
		}
		next += b.Record.NumRows()
		schema = b.Record.Schema()
		if cols == nil {
			cols = make([][]string, b.Record.NumCols())
		}
		for j, c := range b.Record.Columns() {
			for i := 0; i < c.Len(); i++ {
				cols[j] = append(cols[j], render(c, i))
			}
		}
		return nil
	})
	return schema, cols, err
}

// render shows value i of a column: "null", or the value as Go prints it, strings quoted.
func render(c arrow.Array, i int) string {
	if c.IsNull(i) {
		return "null"
	}
	if s, ok := c.(*array.String); ok {
		return `"` + s.Value(i) + `"`
	}
	return c.ValueStr(i)
}

func TestCSVInference(t *testing.T) {
	tests := []struct {
		name  string
		csv   string
		types string // column types, comma-separated
		cols  [][]string
	}{
		{"ints", "a,b\n1,-2\n30,+4\n0,-0\n", "int64,int64",
			[][]string{{"1", "30", "0"}, {"-2", "4", "0"}}},
		{"int64 limits", "a\n9223372036854775807\n-9223372036854775808\n", "int64",
			[][]string{{"9223372036854775807", "-9223372036854775808"}}},
		{"beyond int64 is text", "a\n9223372036854775808\n1\n", "utf8",
			[][]string{{`"9223372036854775808"`, `"1"`}}},
		{"floats", "a,b\n1.5,1e3\n-.25,2.\n3,-4.5E-2\n", "float64,float64",
			[][]string{{"1.5", "-0.25", "3"}, {"1000", "2", "-0.045"}}},
		{"ints then a float late", "a\n1\n2\n3\n4.5\n", "float64",
			[][]string{{"1", "2", "3", "4.5"}}},
		{"leading zeros are text", "zip,x\n01234,007\n12345,7\n", "utf8,utf8",
			[][]string{{`"01234"`, `"12345"`}, {`"007"`, `"7"`}}},
		{"mixed number and text", "a\n1\nx\n2.5\n", "utf8",
			[][]string{{`"1"`, `"x"`, `"2.5"`}}},
		{"inf and hex are text", "a,b\ninf,0x10\n1,2\n", "utf8,utf8",
			[][]string{{`"inf"`, `"1"`}, {`"0x10"`, `"2"`}}},
		{"bools", "a\ntrue\nFALSE\nTrue\n", "bool",
			[][]string{{"true", "false", "true"}}},
		{"bool and number is text", "a\ntrue\n1\n", "utf8",
			[][]string{{`"true"`, `"1"`}}},
		{"missing markers", "i,f,s,b\n1,1.5,x,true\nNA,NaN,N/A,NULL\nnull,nan,,\n\"\",\"NA\",\" NA \",null\n", "int64,float64,utf8,bool",
			[][]string{{"1", "null", "null", "null"}, {"1.5", "null", "null", "null"}, {`"x"`, "null", "null", "null"}, {"true", "null", "null", "null"}}},
		{"all missing is a string column", "a,b\n,1\nNA,2\n", "utf8,int64",
			[][]string{{"null", "null"}, {"1", "2"}}},
		{"spaces around numbers", "a,b\n 1 ,\t2.5\n2, x \n", "int64,utf8",
			[][]string{{"1", "2"}, {`"	2.5"`, `" x "`}}},
		{"dates stay strings", "d\n2024-01-31\n2024-02-29\n", "utf8",
			[][]string{{`"2024-01-31"`, `"2024-02-29"`}}},
		{"BOM", "\xef\xbb\xbfid,v\n1,2\n", "int64,int64",
			[][]string{{"1"}, {"2"}}},
		{"quotes", "a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"multi\nline\",\"\"\"\"\n", "utf8,utf8",
			[][]string{{`"x, y"`, "\"multi\nline\""}, {`"say "hi""`, `"""`}}},
		{"quoted numbers are numbers", "a\n\"1\"\n\"2\"\n", "int64",
			[][]string{{"1", "2"}}},
		{"CRLF and blank lines", "a,b\r\n1,x\r\n\r\n\n2,y\r\n", "int64,utf8",
			[][]string{{"1", "2"}, {`"x"`, `"y"`}}},
		{"no final newline", "a,b\n1,2", "int64,int64",
			[][]string{{"1"}, {"2"}}},
		{"empty last field", "a,b\n1,\n2,3\n", "int64,int64",
			[][]string{{"1", "2"}, {"null", "3"}}},
		{"empty header names", ",x\n1,2\n", "int64,int64",
			[][]string{{"1"}, {"2"}}},
		{"unicode", "name\nZoë\n東京\n", "utf8",
			[][]string{{`"Zoë"`, `"東京"`}}},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			name := tt.name
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				schema, cols, err := readCSVString(t, tt.csv, CSVOptions{}, stream)
				if err != nil {
					t.Fatal(err)
				}
				var types []string
				for _, f := range schema.Fields() {
					types = append(types, f.Type.String())
				}
				if got := strings.Join(types, ","); got != tt.types {
					t.Errorf("types %s, want %s", got, tt.types)
				}
				if !equalCols(cols, tt.cols) {
					t.Errorf("values %q\nwant   %q", cols, tt.cols)
				}
			})
		}
	}
}

func equalCols(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !equalStrings(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestCSVHeader(t *testing.T) {
	schema, _, err := readCSVString(t, ",x,\n1,2,3\n", CSVOptions{}, false)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range schema.Fields() {
		names = append(names, f.Name)
		if !f.Nullable {
			t.Errorf("column %s is not nullable", f.Name)
		}
	}
	if got := strings.Join(names, ","); got != "column_1,x,column_3" {
		t.Errorf("names %s, want column_1,x,column_3", got)
	}
}

func TestCSVNoRows(t *testing.T) {
	var batches []int64
	err := ReadCSV(context.Background(), strings.NewReader("a,b\n"), "h.csv", CSVOptions{}, func(b Batch) error {
		batches = append(batches, b.Record.NumRows())
		if b.Record.NumCols() != 2 {
			t.Errorf("%d columns, want 2", b.Record.NumCols())
		}
		return nil
	})
	if err != nil || len(batches) != 1 || batches[0] != 0 {
		t.Errorf("batches %v, %v; want one empty batch", batches, err)
	}
}

func TestCSVErrors(t *testing.T) {
	tests := []struct {
		name, csv string
		opts      CSVOptions
		stream    bool
		want      string
		is        error
	}{
		{name: "empty file", csv: "", want: "in.csv: empty file: a header row is required"},
		{name: "ragged row, too few", csv: "a,b,c\n1,2,3\n4,5\n",
			want: "in.csv: line 3 (data row 2): wrong number of fields: want 3, found 2", is: csv.ErrFieldCount},
		{name: "ragged row, too many", csv: "a,b\n1,2\n\n3,4,5\n",
			want: "in.csv: line 4 (data row 2): wrong number of fields: want 2, found 3", is: csv.ErrFieldCount},
		{name: "ragged row after a multi-line field", csv: "a,b\n\"x\ny\",1\n2\n",
			want: "in.csv: line 4 (data row 2): wrong number of fields: want 2, found 1", is: csv.ErrFieldCount},
		{name: "invalid UTF-8", csv: "a,name\n1,ok\n2,caf\xe9\n",
			want: `in.csv: line 3 (data row 2): column "name": invalid UTF-8`},
		{name: "invalid UTF-8 in the header", csv: "a,n\xe4me\n1,2\n",
			want: "in.csv: line 1 (header): invalid UTF-8"},
		{name: "unterminated quote", csv: "a,b\n1,\"open\n2,3\n",
			want: "in.csv: line 2 (data row 1): quoted field never ends"},
		{name: "text after a closing quote", csv: "a,b\n1,\"x\"y\n",
			want: "in.csv: line 2 (data row 1): unexpected 'y' after the closing quote of field 2"},
		{name: "duplicate column", csv: "a,b,a\n1,2,3\n",
			want: `in.csv: line 1 (header): columns 1 and 3 are both named "a"`},
		{name: "forced type misfit", csv: "id,v\n1,x\n", opts: CSVOptions{Types: map[string]arrow.DataType{"v": arrow.PrimitiveTypes.Float64}},
			want: `in.csv: line 2 (data row 1): column "v": "x" is not a valid float64 (the type set in CSVOptions.Types)`},
		{name: "forced type of a missing column", csv: "id\n1\n", opts: CSVOptions{Types: map[string]arrow.DataType{"nope": arrow.BinaryTypes.String}},
			want: `in.csv: CSVOptions.Types names column "nope", which the file does not have`},
		{name: "unsupported forced type", csv: "id\n1\n", opts: CSVOptions{Types: map[string]arrow.DataType{"id": arrow.PrimitiveTypes.Int32}},
			want: `in.csv: column "id": cannot read CSV values as int32`},
		{name: "stream contradicts its sample", csv: "id,v\n1,2\n2,3\n3,x\n", opts: CSVOptions{SampleRows: 2}, stream: true,
			want: `in.csv: line 4 (data row 3): column "v": "x" is not a valid int64, the type inferred from the first 2 rows; set CSVOptions.Types["v"] or read the file from a seekable source`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readCSVString(t, tt.csv, tt.opts, tt.stream)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q\nwant   %q…", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
		})
	}
}

// A seekable file is read twice, so a contradiction on its last row still widens the column.
func TestCSVTwoPassWidensLateValues(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,v\n")
	for i := range 25_000 {
		b.WriteString(strings.Repeat("1", 1+i%5) + ",7\n")
	}
	b.WriteString("1,late text\n")
	schema, cols, err := readCSVString(t, b.String(), CSVOptions{BatchSize: 1000}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := schema.Field(1).Type; !arrow.TypeEqual(got, arrow.BinaryTypes.String) {
		t.Errorf("v is %s, want utf8", got)
	}
	if n := len(cols[1]); n != 25_001 || cols[1][n-1] != `"late text"` || cols[1][0] != `"7"` {
		t.Errorf("v has %d values ending in %s", n, cols[1][n-1])
	}
	// Streamed, the first 10,000 rows decide and the late value is an error.
	if _, _, err := readCSVString(t, b.String(), CSVOptions{}, true); err == nil || !strings.Contains(err.Error(), "line 25002 (data row 25001)") {
		t.Errorf("streamed: %v; want an error at line 25002", err)
	}
}

func TestCSVOptions(t *testing.T) {
	text := "id;amount;note\n007;1,5;-\n010;2;x\n"
	opts := CSVOptions{
		Delimiter:  ';',
		NullValues: []string{"-"},
		Types:      map[string]arrow.DataType{"id": arrow.BinaryTypes.String},
	}
	schema, cols, err := readCSVString(t, text, opts, false)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{`"007"`, `"010"`}, {`"1,5"`, `"2"`}, {"null", `"x"`}}
	if !equalCols(cols, want) {
		t.Errorf("values %q, want %q", cols, want)
	}
	if !arrow.TypeEqual(schema.Field(0).Type, arrow.BinaryTypes.String) {
		t.Errorf("id is %s, want the forced utf8", schema.Field(0).Type)
	}
	// With NullValues set, "" is no longer missing: the empty string is a value.
	_, cols, err = readCSVString(t, "a,b\n,1\n", CSVOptions{NullValues: []string{"NA"}}, false)
	if err != nil || cols[0][0] != `""` {
		t.Errorf("empty field with NullValues [NA] = %v, %v; want the empty string", cols, err)
	}
}

func TestCSVDetectsDelimiter(t *testing.T) {
	tests := []struct {
		name, text string
		want       [][]string
	}{
		{"comma", "a,b\n1,x\n", [][]string{{"1"}, {`"x"`}}},
		{"semicolon, decimal commas", "a;b\n1,5;x\n", [][]string{{`"1,5"`}, {`"x"`}}},
		{"tab", "a\tb\tc\n1\t2\t3\n", [][]string{{"1"}, {"2"}, {"3"}}},
		{"pipe", "a|b\n1|2\n", [][]string{{"1"}, {"2"}}},
		{"quoted commas do not count", "\"a,b,c\";d\n1;2\n", [][]string{{"1"}, {"2"}}},
		{"byte order mark", "\xef\xbb\xbfa;b\n1;2\n", [][]string{{"1"}, {"2"}}},
		{"one column", "a\n1\n2\n", [][]string{{"1", "2"}}},
		{"tie: comma first", "a,b;c\n1,2;3\n", [][]string{{"1"}, {`"2;3"`}}},
		{"no line break", "a;b", nil},
	}
	for _, tt := range tests {
		for _, streamed := range []bool{false, true} {
			_, cols, err := readCSVString(t, tt.text, CSVOptions{}, streamed)
			if err != nil {
				t.Errorf("%s (streamed %v): %v", tt.name, streamed, err)
				continue
			}
			if tt.want == nil {
				if len(cols) != 2 || len(cols[0]) != 0 {
					t.Errorf("%s (streamed %v): %q, want two empty columns", tt.name, streamed, cols)
				}
				continue
			}
			if !equalCols(cols, tt.want) {
				t.Errorf("%s (streamed %v): %q, want %q", tt.name, streamed, cols, tt.want)
			}
		}
	}
}

func TestCSVLongFieldsAndBatches(t *testing.T) {
	long := strings.Repeat("x", 3<<20) // longer than the scanner's buffer
	var b strings.Builder
	b.WriteString("id,text,q\n")
	for i := range 10 {
		b.WriteString(string(rune('0'+i)) + "," + long + ",\"" + strings.Repeat("ab\"\"", 1<<18) + "\"\n")
	}
	var rows, batches int
	err := ReadCSV(context.Background(), strings.NewReader(b.String()), "long.csv", CSVOptions{BatchSize: 4}, func(bt Batch) error {
		batches++
		txt := bt.Record.Column(1).(*array.String)
		q := bt.Record.Column(2).(*array.String)
		for i := 0; i < txt.Len(); i++ {
			if txt.Value(i) != long || q.Value(i) != strings.Repeat(`ab"`, 1<<18) {
				t.Fatalf("row %d: a long field came back wrong", rows)
			}
			rows++
		}
		return nil
	})
	if err != nil || rows != 10 || batches != 3 {
		t.Errorf("%d rows in %d batches, %v; want 10 in 3", rows, batches, err)
	}
}

// The scanner gets the same records however its input is split.
func TestScannerSplits(t *testing.T) {
	text := "a,b,c\r\n\"q,1\",\"x\"\"y\",\n\n\"multi\r\nline\",2,\"\"\r\nlast,row,\"end\""
	want := [][]string{{"a", "b", "c"}, {"q,1", `x"y`, ""}, {"multi\r\nline", "2", ""}, {"last", "row", "end"}}
	wantLines := []int64{1, 2, 4, 6}
	for _, r := range []io.Reader{
		strings.NewReader(text),
		iotest.OneByteReader(strings.NewReader(text)),
		iotest.DataErrReader(strings.NewReader(text)),
	} {
		sc := newScanner(r, ',')
		var got [][]string
		var lines []int64
		for {
			err := sc.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			rec := make([]string, len(sc.fields))
			for i, f := range sc.fields {
				rec[i] = string(f)
			}
			got = append(got, rec)
			lines = append(lines, sc.line)
		}
		if !equalCols(got, want) {
			t.Errorf("records %q\nwant    %q", got, want)
		}
		if len(lines) != len(wantLines) || !equalInts(lines, wantLines) {
			t.Errorf("lines %v, want %v", lines, wantLines)
		}
	}
}

func equalInts(a, b []int64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in           string
		n            int64
		ok, integral bool
	}{
		{"0", 0, true, true}, {"-0", 0, true, true}, {"+12", 12, true, true}, {"-12", -12, true, true},
		{"9223372036854775807", math.MaxInt64, true, true},
		{"-9223372036854775808", math.MinInt64, true, true},
		{"9223372036854775808", 0, false, true},
		{"-9223372036854775809", 0, false, true},
		{"99999999999999999999999", 0, false, true},
		{"007", 0, false, false}, {"", 0, false, false}, {"-", 0, false, false}, {"1.0", 0, false, false}, {"1e3", 0, false, false},
	}
	for _, tt := range tests {
		n, ok, integral := parseInt([]byte(tt.in))
		if n != tt.n || ok != tt.ok || integral != tt.integral {
			t.Errorf("parseInt(%q) = %d, %v, %v; want %d, %v, %v", tt.in, n, ok, integral, tt.n, tt.ok, tt.integral)
		}
	}
}

func TestIsFloat(t *testing.T) {
	for in, want := range map[string]bool{
		"1": true, "1.5": true, "-.5": true, "5.": true, "1e10": true, "1E-3": true, "+2.5e+3": true, "0.001": true,
		".": false, "e5": false, "1e": false, "1.2.3": false, "00.5": false, "inf": false, "NaN": false,
		"0x1p3": false, "1_000": false, "": false, " 1": false,
	} {
		if got := isFloat([]byte(in)); got != want {
			t.Errorf("isFloat(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestJoinKinds(t *testing.T) {
	all := []kind{kindNull, kindBool, kindInt, kindFloat, kindString}
	for _, a := range all {
		for _, b := range all {
			if join(a, b) != join(b, a) {
				t.Errorf("join(%d, %d) != join(%d, %d)", a, b, b, a)
			}
		}
		if join(a, kindNull) != a || join(a, kindString) != kindString || join(a, a) != a {
			t.Errorf("join with %d breaks the lattice", a)
		}
	}
	if join(kindInt, kindFloat) != kindFloat || join(kindBool, kindInt) != kindString || join(kindBool, kindFloat) != kindString {
		t.Error("join of bool, int and float is wrong")
	}
}

func TestCSVCancelled(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("a\n")
	for range 3 * defaultBatchSize {
		b.WriteString("1\n")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := ReadCSV(ctx, bytes.NewReader(b.Bytes()), "c.csv", CSVOptions{}, func(Batch) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestCSVCallbackError(t *testing.T) {
	stop := errors.New("stop")
	err := ReadCSV(context.Background(), strings.NewReader("a\n1\n"), "c.csv", CSVOptions{}, func(Batch) error { return stop })
	if err != stop {
		t.Errorf("err = %v, want the callback's error unchanged", err)
	}
}
