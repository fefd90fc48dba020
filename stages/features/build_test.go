package features

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

func ipcBytes(t testing.TB, rec arrow.Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()))
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDeterministic builds the same book with 1, 2 and 7 workers and from batches of
// different sizes; the tables must be byte-identical.
func TestDeterministic(t *testing.T) {
	var want []byte
	for _, tt := range []struct{ workers, batch int }{{1, 1 << 20}, {2, 1 << 20}, {7, 5000}} {
		in := synthesize(20000, 1, tt.batch)
		out, err := Build(t.Context(), in, Options{AsOf: date("2024-03-31"), Label: true, Workers: tt.workers})
		in.release()
		if err != nil {
			t.Fatal(err)
		}
		got := ipcBytes(t, out.Record)
		if c := out.Counts[0]; c.Bads == 0 || c.Labelled == c.Bads || c.Excluded[StatusDefaulted] == 0 {
			t.Errorf("synthetic book is degenerate: %+v", c)
		}
		out.Release()
		if want == nil {
			want = got
		} else if !bytes.Equal(got, want) {
			t.Errorf("workers %d, batches of %d: table differs from the first build", tt.workers, tt.batch)
		}
	}
}

func TestBuildSnapshots(t *testing.T) {
	e := history()
	in := e.inputs(t)
	dates := []time.Time{date("2024-06-30"), date("2023-12-31")}
	out, err := BuildSnapshots(t.Context(), in, Options{}, dates)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	if len(out.Counts) != 2 {
		t.Fatalf("%d counts, want 2", len(out.Counts))
	}
	// 2024-06-30: C1 and C2; 2023-12-31: C1 only.
	if out.Counts[0].RowsOut != 2 || out.Counts[1].RowsOut != 1 || out.Record.NumRows() != 3 {
		t.Fatalf("rows %d+%d=%d, want 2+1=3", out.Counts[0].RowsOut, out.Counts[1].RowsOut, out.Record.NumRows())
	}
	asOf := out.Record.Column(1).(*array.Date32)
	for i, want := range []string{"2024-06-30", "2024-06-30", "2023-12-31"} {
		if asOf.Value(i) != day(want) {
			t.Errorf("row %d as_of_date %v, want %s", i, asOf.Value(i).FormattedString(), want)
		}
	}
	for i, d := range dates {
		single, err := Build(t.Context(), in, Options{AsOf: d})
		if err != nil {
			t.Fatal(err)
		}
		off := int64(0)
		if i == 1 {
			off = 2
		}
		part := out.Record.NewSlice(off, off+single.Record.NumRows())
		if !array.RecordApproxEqual(part, single.Record, array.WithNaNsEqual(true), array.WithAbsTolerance(0)) {
			t.Errorf("snapshot %s differs from Build at that date", d.Format(time.DateOnly))
		}
		part.Release()
		single.Release()
	}
	// At 2023-12-31 the 3-month window is (2023-09-30, 2023-12-31]: nothing late in it;
	// the 2022 delinquency ended 2022-09-15, 15 whole months earlier.
	tb := readTable(t, out.Record.NewSlice(2, 3))
	for name, want := range map[string]float64{"max_dpd_3m": 0, "months_since_delinquency": 15, "n_late_12m": 0, "frequency_12m": 1} {
		if got := tb.num(t, "C1", name); got != want {
			t.Errorf("2023-12-31 %s = %v, want %v", name, got, want)
		}
	}

	if _, err := BuildSnapshots(t.Context(), in, Options{}, []time.Time{dates[0], dates[0]}); err == nil {
		t.Error("a date listed twice: no error")
	}
}

func TestBuildCancelled(t *testing.T) {
	in := synthesize(2000, 3, 1<<20)
	defer in.release()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Build(ctx, in, Options{AsOf: date("2024-03-31")}); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestAddMonths(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2024-03-31", -1, "2024-02-29"},
		{"2023-03-31", -1, "2023-02-28"},
		{"2024-06-30", -12, "2023-06-30"},
		{"2024-01-15", 13, "2025-02-15"},
		{"2024-12-31", 2, "2025-02-28"},
		{"1969-12-31", 1, "1970-01-31"},
	}
	for _, tt := range tests {
		if got := dayTime(addMonths(int32(day(tt.from)), tt.n)).Format(time.DateOnly); got != tt.want {
			t.Errorf("addMonths(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
	months := []struct {
		from, to string
		want     int
	}{
		{"2024-01-31", "2024-02-29", 1},
		{"2024-01-31", "2024-02-28", 0},
		{"2020-01-15", "2024-06-14", 52},
		{"2020-01-15", "2024-06-15", 53},
		{"2024-06-30", "2024-06-01", 0},
	}
	for _, tt := range months {
		if got := wholeMonths(int32(day(tt.from)), int32(day(tt.to))); got != tt.want {
			t.Errorf("wholeMonths(%s, %s) = %d, want %d", tt.from, tt.to, got, tt.want)
		}
	}
}

// BenchmarkBuild builds the features of a synthetic book of 1,000,000 customers (about
// 3M loans, 10.5M repayments, 5M interactions) at one as_of, with the label.
func BenchmarkBuild(b *testing.B) {
	in := synthesize(1_000_000, 42, 1<<20)
	defer in.release()
	c, l, r, i := in.rows()
	b.Logf("book: %d customers, %d loans, %d repayments, %d interactions", c, l, r, i)
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		out, err := Build(b.Context(), in, Options{AsOf: date("2024-03-31"), Label: true})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(out.Record.NumRows()), "rows")
		out.Release()
	}
	b.ReportMetric((processCPU()-cpu).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkBuildSnapshots builds four quarterly snapshots of the same book.
func BenchmarkBuildSnapshots(b *testing.B) {
	in := synthesize(1_000_000, 42, 1<<20)
	defer in.release()
	dates := []time.Time{date("2023-06-30"), date("2023-09-30"), date("2023-12-31"), date("2024-03-31")}
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		out, err := BuildSnapshots(b.Context(), in, Options{Label: true}, dates)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(out.Record.NumRows()), "rows")
		out.Release()
	}
	b.ReportMetric((processCPU()-cpu).Seconds()/float64(b.N), "cpu-s/op")
}

// shuffled returns the rows of recs, concatenated and permuted at random.
func shuffled(t *testing.T, recs []arrow.Record, seed uint64) []arrow.Record {
	t.Helper()
	type loc struct{ rec, row int }
	var rows []loc
	for k, r := range recs {
		for i := range int(r.NumRows()) {
			rows = append(rows, loc{k, i})
		}
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	b := array.NewRecordBuilder(memory.DefaultAllocator, recs[0].Schema())
	defer b.Release()
	for _, l := range rows {
		for j, f := range b.Fields() {
			col := recs[l.rec].Column(j)
			if col.IsNull(l.row) {
				f.AppendNull()
				continue
			}
			switch a := col.(type) {
			case *array.String:
				f.(*array.StringBuilder).Append(a.Value(l.row))
			case *array.Float64:
				f.(*array.Float64Builder).Append(a.Value(l.row))
			case *array.Date32:
				f.(*array.Date32Builder).Append(a.Value(l.row))
			case *array.Int32:
				f.(*array.Int32Builder).Append(a.Value(l.row))
			case *array.Int8:
				f.(*array.Int8Builder).Append(a.Value(l.row))
			case *array.Boolean:
				f.(*array.BooleanBuilder).Append(a.Value(l.row))
			case *array.Timestamp:
				f.(*array.TimestampBuilder).Append(a.Value(l.row))
			default:
				t.Fatalf("shuffled: column type %s", col.DataType())
			}
		}
	}
	rec := b.NewRecord()
	t.Cleanup(rec.Release)
	return []arrow.Record{rec}
}

// TestInputOrder shuffles the extracts: the features of each customer must not change (up
// to the rounding of sums taken in another order). Shuffled ids also take the other paths
// of the id index: the map built up front, and the map built after many missed lookups.
func TestInputOrder(t *testing.T) {
	in := synthesize(3000, 5, 1000)
	defer in.release()
	opts := Options{AsOf: date("2024-03-31"), Label: true}
	want, err := Build(t.Context(), in, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()
	for name, mixed := range map[string]Inputs{
		"children": {Customers: in.Customers, Loans: in.Loans,
			Repayments: shuffled(t, in.Repayments, 2), Interactions: shuffled(t, in.Interactions, 3)},
		"all": {Customers: shuffled(t, in.Customers, 4), Loans: shuffled(t, in.Loans, 1),
			Repayments: shuffled(t, in.Repayments, 2), Interactions: shuffled(t, in.Interactions, 3)},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Build(t.Context(), mixed, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			assertSameByCustomer(t, want.Record, got.Record)
		})
	}
}

// assertSameByCustomer compares two feature tables row by row, matching rows by
// customer_id.
func assertSameByCustomer(t *testing.T, want, got arrow.Record) {
	t.Helper()
	if !want.Schema().Equal(got.Schema()) || want.NumRows() != got.NumRows() {
		t.Fatalf("schemas or row counts differ")
	}
	tw, tg := readTable(t, want), readTable(t, got)
	for id, rw := range tw.row {
		rg, ok := tg.row[id]
		if !ok {
			t.Fatalf("customer %s is missing", id)
		}
		for j, f := range want.Schema().Fields() {
			x, y := want.Column(j), got.Column(j)
			if xf, ok := x.(*array.Float64); ok {
				if v, w := xf.Value(rw), y.(*array.Float64).Value(rg); !sameFloat(v, w) {
					t.Errorf("%s %s: %v, now %v", id, f.Name, v, w)
				}
			} else if x.ValueStr(rw) != y.ValueStr(rg) {
				t.Errorf("%s %s: %s, now %s", id, f.Name, x.ValueStr(rw), y.ValueStr(rg))
			}
		}
	}
}

func TestGroupRows(t *testing.T) {
	tests := []struct {
		key       []int32
		groups    int
		sorted    bool
		want      [][]int // rows of each group
		wantNoGrp int64
	}{
		{[]int32{0, 0, -1, 1, 2, 2}, 4, true, [][]int{{0, 1}, {3}, {4, 5}, nil}, 1},
		{[]int32{1, 0, 1, -1}, 2, false, [][]int{{1}, {0, 2}}, 1},
		{[]int32{0, -1, 0}, 1, false, [][]int{{0, 2}}, 1}, // an orphan inside a group
		{[]int32{2, 2, 0}, 3, false, [][]int{{2}, nil, {0, 1}}, 0},
	}
	for _, tt := range tests {
		g, none := groupRows(tt.key, tt.groups)
		if (g.order == nil) != tt.sorted || none != tt.wantNoGrp {
			t.Errorf("%v: sorted %v none %d, want %v %d", tt.key, g.order == nil, none, tt.sorted, tt.wantNoGrp)
		}
		for k, want := range tt.want {
			var rows []int
			for j := g.start[k]; j < g.end[k]; j++ {
				rows = append(rows, g.row(j))
			}
			if !slices.Equal(rows, want) {
				t.Errorf("%v: group %d rows %v, want %v", tt.key, k, rows, want)
			}
		}
	}
}

func TestBuildEmpty(t *testing.T) {
	out, err := Build(t.Context(), Inputs{}, Options{AsOf: date("2024-03-31"), Label: true})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	want, _ := FeatureSchema(Options{Label: true})
	if out.Record.NumRows() != 0 || !out.Record.Schema().Equal(want) {
		t.Errorf("rows %d, schema %v", out.Record.NumRows(), out.Record.Schema())
	}
	if c := out.Counts[0]; c.Excluded[StatusWindowIncomplete] != 0 || !c.DataEnd.IsZero() {
		t.Errorf("counts %+v", c)
	}
}
