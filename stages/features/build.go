package features

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
	"lendscore/stages/ingest"
)

// Inputs are the four clean extracts in the canonical schemas of package schemas, each as a
// sequence of record batches. Columns are found by name; extra columns are ignored. Build
// only reads them; the caller keeps ownership.
type Inputs struct {
	Customers    []arrow.Record
	Loans        []arrow.Record
	Repayments   []arrow.Record
	Interactions []arrow.Record
}

// FromTables returns the Inputs held by four ingested tables (nil tables give no rows).
func FromTables(customers, loans, repayments, interactions *ingest.Table) Inputs {
	recs := func(t *ingest.Table) []arrow.Record {
		if t == nil {
			return nil
		}
		out := make([]arrow.Record, len(t.Batches))
		for i, b := range t.Batches {
			out[i] = b.Record
		}
		return out
	}
	return Inputs{recs(customers), recs(loans), recs(repayments), recs(interactions)}
}

// Counts accounts for the rows of one as_of date.
type Counts struct {
	AsOf time.Time `json:"as_of"`
	// CustomersIn is the number of rows of the customers extract.
	CustomersIn int64 `json:"customers_in"`
	// NotOnboarded customers were onboarded after as_of: they have no row.
	NotOnboarded int64 `json:"not_onboarded"`
	// RowsOut is the number of rows of this as_of in the output.
	RowsOut int64 `json:"rows_out"`
	// Labelled and Bads count the customers with a label (status labelled) and the bads
	// among them; zero without Options.Label.
	Labelled int64 `json:"labelled"`
	Bads     int64 `json:"bads"`
	// Excluded counts the customers excluded from labelling, by label_status
	// (window_incomplete, defaulted_at_as_of). With DropUnlabelled they have no row.
	Excluded map[string]int64 `json:"excluded,omitempty"`
	// DataEnd is the last date the data covers (Options.DataEnd or derived).
	DataEnd time.Time `json:"data_end"`
	// PerformanceEnd is as_of + the performance window.
	PerformanceEnd time.Time `json:"performance_end"`
	// Orphan rows refer to a customer or loan missing from the extracts; they are ignored.
	OrphanLoans        int64 `json:"orphan_loans"`
	OrphanRepayments   int64 `json:"orphan_repayments"`
	OrphanInteractions int64 `json:"orphan_interactions"`
}

// Output is the feature table and its accounts.
type Output struct {
	// Record holds one row per customer and as_of date in the schema of FeatureSchema:
	// the as_of dates in the order given, customers in input order within each.
	Record arrow.Record
	// Counts has one entry per as_of date, in the same order.
	Counts []Counts
}

// Release releases the record.
func (o *Output) Release() {
	if o.Record != nil {
		o.Record.Release()
		o.Record = nil
	}
}

// Build computes the feature table of the customers at opts.AsOf: one row per customer
// onboarded on or before as_of. See the package documentation for the point-in-time rules
// and FeatureSchema for the columns.
func Build(ctx context.Context, in Inputs, opts Options) (*Output, error) {
	return BuildSnapshots(ctx, in, opts, []time.Time{opts.AsOf})
}

// BuildSnapshots computes the feature tables at several as_of dates (opts.AsOf is ignored)
// and stacks them in one table, told apart by as_of_date: the input of an out-of-time
// validation. The extracts are joined once for all dates.
func BuildSnapshots(ctx context.Context, in Inputs, opts Options, asOf []time.Time) (*Output, error) {
	o, days, err := checkSnapshots(opts, asOf)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	p, err := prepare(ctx, in, o)
	if err != nil {
		return nil, err
	}
	o.Logger.Debug("features: extracts joined", "customers", p.nCust, "loans", len(p.origination),
		"repayments", p.rep.start[len(p.rep.start)-1], "interactions", len(p.intDay),
		"repayments_sorted", p.repRows.order == nil, "elapsed", time.Since(start))
	return p.assemble(ctx, o, days, in.Customers)
}

// checkSnapshots returns the options with their defaults and the as_of dates as day
// numbers, or an error naming what is wrong with them.
func checkSnapshots(opts Options, asOf []time.Time) (Options, []int32, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return o, nil, err
	}
	if len(asOf) == 0 {
		return o, nil, errors.New("features: no as_of date")
	}
	days := make([]int32, len(asOf))
	for i, t := range asOf {
		if t.IsZero() {
			return o, nil, errors.New("features: as_of date is missing")
		}
		days[i] = dayOf(t)
		for _, d := range days[:i] {
			if d == days[i] {
				return o, nil, fmt.Errorf("features: as_of date %s is listed twice", dayTime(d).Format(time.DateOnly))
			}
		}
	}
	return o, days, nil
}

// windowAt returns the window of snapshot k at as_of A (completed is set by assemble, once
// the data end is known).
func windowAt(o Options, k int, A int32) window {
	w := window{
		asOf:     A,
		start:    addMonths(A, -o.Window),
		perfEnd:  addMonths(A, o.PerformanceWindow),
		label:    o.Label,
		snapshot: k,
	}
	for _, m := range o.DPDWindows {
		w.dpdStart = append(w.dpdStart, addMonths(A, -m))
	}
	return w
}

// assemble computes the snapshots at days from the prepared extracts and stacks them in
// one table.
func (p *prepared) assemble(ctx context.Context, o Options, days []int32, customers []arrow.Record) (*Output, error) {
	dataEnd := p.dataEnd
	if !o.DataEnd.IsZero() {
		dataEnd = dayOf(o.DataEnd)
	}
	// The customers of each snapshot: those onboarded on or before its as_of.
	rows := make([][]int32, len(days))
	total := 0
	for k, A := range days {
		for c, d := range p.onboard {
			if d <= A {
				rows[k] = append(rows[k], int32(c))
			}
		}
		total += len(rows[k])
	}
	asm, err := newAssembler(o, columns(o), customers, total)
	if err != nil {
		return nil, err
	}
	defer asm.release()
	out := &Output{}
	for k, A := range days {
		w := windowAt(o, k, A)
		w.completed = dataEnd != math.MinInt32 && w.perfEnd <= dataEnd
		t := time.Now()
		if err := p.compute(ctx, w, o.Workers, rows[k], asm.n, &asm.sink); err != nil {
			return nil, err
		}
		counts := Counts{
			AsOf:               dayTime(A),
			CustomersIn:        int64(p.nCust),
			NotOnboarded:       int64(p.nCust - len(rows[k])),
			PerformanceEnd:     dayTime(w.perfEnd),
			OrphanLoans:        p.orphanLoans,
			OrphanRepayments:   p.orphanRepayments,
			OrphanInteractions: p.orphanInteractions,
		}
		if dataEnd != math.MinInt32 {
			counts.DataEnd = dayTime(dataEnd)
		}
		asm.add(rows[k], A, &counts)
		rows[k] = nil
		out.Counts = append(out.Counts, counts)
		o.Logger.Debug("features: snapshot computed", "as_of", counts.AsOf.Format(time.DateOnly),
			"rows", counts.RowsOut, "elapsed", time.Since(t))
	}
	out.Record = asm.record()
	return out, nil
}

// assembler collects the snapshots into the output columns. The numeric and label columns
// are allocated once for all snapshots and written in place by compute; the strings are
// copied from the customers extract.
type assembler struct {
	sink
	o         Options
	cols      []column
	schema    *arrow.Schema
	customers []arrow.Record
	// per customers record: customer_id, then the categorical sources in column order
	strs   [][]*array.String
	ids    *array.StringBuilder
	cats   []*array.StringBuilder // by column; nil for numeric ones
	asOf   []int32
	status *array.StringBuilder
	n      int // rows so far
}

func newAssembler(o Options, cs []column, customers []arrow.Record, capacity int) (*assembler, error) {
	a := &assembler{o: o, cols: cs, schema: schemaFor(o, cs), customers: customers}
	names := []string{CustomerIDColumn}
	for _, c := range cs {
		if c.Categorical {
			names = append(names, c.src)
		}
	}
	canon := schemas.CustomersSchema()
	for _, r := range customers {
		arrs, err := recordColumns(schemas.Customers, canon, r, names...)
		if err != nil {
			return nil, err
		}
		ss := make([]*array.String, len(arrs))
		for i, x := range arrs {
			ss[i] = x.(*array.String)
		}
		a.strs = append(a.strs, ss)
	}
	a.num = make([][]float64, numFixed+len(o.DPDWindows))
	for k := range a.num {
		a.num[k] = make([]float64, capacity)
	}
	if o.Label {
		a.bad = make([]int8, capacity)
		a.sink.status = make([]uint8, capacity)
	}
	a.asOf = make([]int32, 0, capacity)
	mem := memory.DefaultAllocator
	a.ids = array.NewStringBuilder(mem)
	a.cats = make([]*array.StringBuilder, len(cs))
	for i, c := range cs {
		if c.Categorical {
			a.cats[i] = array.NewStringBuilder(mem)
		}
	}
	if o.Label {
		a.status = array.NewStringBuilder(mem)
	}
	return a, nil
}

// add completes the snapshot of the customers rows just computed into rows a.n, a.n+1, …:
// it drops the unlabelled rows when asked, appends the strings and fills counts.
func (a *assembler) add(rows []int32, asOf int32, counts *Counts) {
	base := a.n
	if a.o.Label {
		kept := rows[:0]
		for j, c := range rows {
			st := a.sink.status[base+j]
			if st == stLabelled {
				counts.Labelled++
				counts.Bads += int64(a.bad[base+j])
			} else {
				if counts.Excluded == nil {
					counts.Excluded = map[string]int64{}
				}
				counts.Excluded[statusNames[st]]++
				if a.o.DropUnlabelled {
					continue
				}
			}
			// Move row base+j up to base+len(kept) (a no-op until a row is dropped).
			if to, from := base+len(kept), base+j; to != from {
				for _, col := range a.num {
					col[to] = col[from]
				}
				a.bad[to], a.sink.status[to] = a.bad[from], a.sink.status[from]
			}
			kept = append(kept, c)
		}
		rows = kept
	}
	counts.RowsOut = int64(len(rows))
	a.n += len(rows)

	var cat []*array.StringBuilder
	for _, b := range a.cats {
		if b != nil {
			cat = append(cat, b)
		}
	}
	a.ids.Reserve(len(rows))
	for j, b := range cat {
		b.Reserve(len(rows))
		var bytes int
		for _, ss := range a.strs {
			bytes += len(ss[j+1].ValueBytes())
		}
		b.ReserveData(bytes)
	}
	k, first := 0, 0
	for _, r := range rows {
		for int(r) >= first+int(a.customers[k].NumRows()) {
			first += int(a.customers[k].NumRows())
			k++
		}
		i := int(r) - first
		ss := a.strs[k]
		a.ids.Append(ss[0].Value(i))
		for j, b := range cat {
			if col := ss[j+1]; col.IsValid(i) {
				b.Append(col.Value(i))
			} else {
				b.AppendNull()
			}
		}
	}
	for range rows {
		a.asOf = append(a.asOf, asOf)
	}
	if a.o.Label {
		a.status.Reserve(len(rows))
		for j := range rows {
			a.status.Append(statusNames[a.sink.status[base+j]])
		}
	}
}

// record builds the output record; numeric columns share the computed slices.
func (a *assembler) record() arrow.Record {
	n := a.n
	arrs := make([]arrow.Array, 0, a.schema.NumFields())
	arrs = append(arrs, a.ids.NewArray())
	arrs = append(arrs, fromSlice(arrow.FixedWidthTypes.Date32, arrow.Int32Traits.CastToBytes(a.asOf), n, nil))
	for i, c := range a.cols {
		if c.Categorical {
			arrs = append(arrs, a.cats[i].NewArray())
		} else {
			arrs = append(arrs, fromSlice(arrow.PrimitiveTypes.Float64, arrow.Float64Traits.CastToBytes(a.num[c.slot][:n]), n, nil))
		}
	}
	if a.o.Label {
		valid := make([]bool, n)
		for i, st := range a.sink.status[:n] {
			valid[i] = st == stLabelled
		}
		arrs = append(arrs, fromSlice(arrow.PrimitiveTypes.Int8, arrow.Int8Traits.CastToBytes(a.bad[:n]), n, valid))
		arrs = append(arrs, a.status.NewArray())
	}
	rec := array.NewRecord(a.schema, arrs, int64(n))
	for _, x := range arrs {
		x.Release()
	}
	return rec
}

// fromSlice wraps fixed-width values (and, when valid is not nil, their validity) as an
// Arrow array without copying the values.
func fromSlice(t arrow.DataType, values []byte, n int, valid []bool) arrow.Array {
	var bitmap *memory.Buffer
	nulls := 0
	if valid != nil {
		bits := make([]byte, (n+7)/8)
		for i, ok := range valid {
			if ok {
				bits[i/8] |= 1 << (i % 8)
			} else {
				nulls++
			}
		}
		bitmap = memory.NewBufferBytes(bits)
	}
	data := array.NewData(t, n, []*memory.Buffer{bitmap, memory.NewBufferBytes(values)}, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func (a *assembler) release() {
	a.ids.Release()
	for _, b := range a.cats {
		if b != nil {
			b.Release()
		}
	}
	if a.status != nil {
		a.status.Release()
	}
}
