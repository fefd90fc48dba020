package train

import (
	"context"
	"fmt"
	"hash/maphash"
	"iter"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"lendscore/stages/frame"
	"lendscore/stages/ingest"
)

// Rules say how a modelling table is read: its target, id and split, the candidate
// variables, and the row rules of Prepare.
type Rules struct {
	// Target is the label column; a row whose text equals Bad is bad, any other value good.
	Target, Bad string
	// ID, when set, is published as each row's id; with UniqueID a null or repeated id
	// refuses the row (the first occurrence is kept). Without ID the row number is the id.
	ID       string
	UniqueID bool
	// AsOf, when set, is a date32 column kept for every used row (the observation date of
	// a snapshot).
	AsOf  string
	Split Split
	// Candidates are the candidate variables, in report order.
	Candidates []string
	// Categorical names numeric columns that are binned as categories.
	Categorical map[string]bool
	// Shard says the table is one shard's share of a sharded run: rows that need a random
	// sample keep train until the commit assigns them over the whole table, and repeated
	// ids are left for the commit to find among all the shards' rows (Assembler).
	Shard bool
	// Spill, when set, is where the table moves its rows once its columns take more than
	// SpillAbove bytes of memory: the candidates' values, numeric ids and, when the table
	// is fitted, the bins of every row (FitTable). A table larger than memory can then be
	// read and fitted, with the same result; its rows are read back from the spill file
	// (the page cache, else the disk) at every pass. The caller closes the Spill when it is
	// done with the table and its Result. Text ids stay in memory.
	Spill      *frame.Spill
	SpillAbove int64
}

// Candidate is one candidate variable of a Table, held compactly: a numeric column as
// frame.NumericColumn, a categorical one as dictionary codes.
type Candidate struct {
	Name string
	Kind frame.Kind
	Num  *frame.NumericColumn
	Cat  *frame.CategoricalColumn

	// A numeric candidate of a table assembled from shards holds, instead of Num, its key
	// set and each row's key: 0 missing, k+1 key k.
	keys  *keySet
	codes *frame.Codes
}

// Table is a modelling table after the row rules, held compactly for fitting and scoring:
// the label, sample and id of every used row and its candidate variables, the refused rows
// as quarantine records. A Builder makes one from Arrow batches, one batch at a time, so
// the input never needs to be in memory as Arrow: a 10-million-row table of 20 variables
// takes some 40 bytes a row.
type Table struct {
	// Input counts the rows read; Used = Input − refused rows.
	Input int64
	// Refused counts refused rows by reason code (the text before the first ':').
	Refused map[string]int64
	// Quarantine holds the refused rows, unchanged, with _source_file, _source_row and
	// reason (schemas.Quarantine), in input order.
	Quarantine []arrow.Record
	// Bad and Sample hold, per used row in input order, the label (1 = bad) and the sample
	// (0 train, 1 test, 2 oot).
	Bad    []int8
	Sample []uint8
	// Candidates are the candidate variables, in Rules.Candidates order.
	Candidates []*Candidate

	idNum   *frame.NumericColumn // numeric id column
	idText  *frame.TextColumn    // text id column
	asOf    []arrow.Date32
	refused []int64    // input row numbers of the refused rows, ascending
	files   []PartFile // the used rows of each input file, in input order

	// An assembled table's ids stay with the shards that sent them (Assembler).
	idShards []*frame.TextColumn
	idSegs   []idSegment

	spill *frame.Spill // where the rows went (Rules.Spill), nil while they are in memory
}

// Bytes returns the memory the rows of the table's columns take: the candidates' values
// and the ids (what Rules.SpillAbove is compared with).
func (t *Table) Bytes() int64 {
	b := 0
	for _, c := range t.Candidates {
		switch {
		case c.Num != nil:
			b += c.Num.Bytes()
		case c.Cat != nil:
			b += c.Cat.Codes.Bytes()
		case c.codes != nil:
			b += c.codes.Bytes()
		}
	}
	if t.idNum != nil {
		b += t.idNum.Bytes()
	}
	if t.idText != nil {
		b += t.idText.Bytes()
	}
	return int64(b)
}

// Spilled reports whether the table's rows were moved to a spill file.
func (t *Table) Spilled() bool { return t.spill != nil }

// SpillTo moves the rows of the table's columns to s, as a Builder does with Rules.Spill:
// for a table made another way (an Assembler's), before it is fitted.
func (t *Table) SpillTo(s *frame.Spill) {
	t.spill = s
	for _, c := range t.Candidates {
		switch {
		case c.Num != nil:
			c.Num.SpillTo(s)
		case c.Cat != nil:
			c.Cat.Codes.SpillTo(s)
		case c.codes != nil:
			c.codes.SpillTo(s)
		}
	}
	if t.idNum != nil {
		t.idNum.SpillTo(s)
	}
}

// spillErr returns the error of the table's spill file, if any.
func (t *Table) spillErr() error {
	if t.spill == nil {
		return nil
	}
	if err := t.spill.Err(); err != nil {
		return fmt.Errorf("the table's rows on local disk: %w", err)
	}
	return nil
}

// Used returns the number of used rows.
func (t *Table) Used() int { return len(t.Bad) }

// Release releases the quarantine records and drops the rows: the table is empty after.
func (t *Table) Release() {
	for _, r := range t.Quarantine {
		r.Release()
	}
	t.Quarantine = nil
	t.Bad, t.Sample, t.Candidates = nil, nil, nil
	t.idNum, t.idText, t.asOf, t.refused = nil, nil, nil, nil
	t.idShards, t.idSegs, t.files = nil, nil, nil
}

// HasAsOf reports whether the table keeps an observation date per row.
func (t *Table) HasAsOf() bool { return t.asOf != nil }

// AsOf writes the observation dates of used rows [start, start+len(dst)) into dst.
func (t *Table) AsOf(dst []arrow.Date32, start int) { copy(dst, t.asOf[start:]) }

// IDs writes the ids of used rows [start, start+len(dst)) into dst: the id column's text
// (numbers as Column.Text writes them; "" when null), or the input row number without an id
// column.
func (t *Table) IDs(dst []string, start int) {
	switch {
	case t.idSegs != nil:
		t.idsFromShards(dst, start)
	case t.idText != nil:
		t.idText.Strings(dst, start)
	case t.idNum != nil:
		v := make([]float64, len(dst))
		t.idNum.Decode(v, start)
		var buf []byte
		ends := make([]int, len(dst))
		for k, x := range v {
			if x == x {
				buf = strconv.AppendFloat(buf, x, 'f', -1, 64)
			}
			ends[k] = len(buf)
		}
		splitText(dst, buf, ends)
	default:
		// Input row numbers: used row k is input row k plus the refused rows before it.
		skipped := 0
		for skipped < len(t.refused) && t.refused[skipped] <= int64(start+skipped) {
			skipped++
		}
		var buf []byte
		ends := make([]int, len(dst))
		for k := range dst {
			row := int64(start + k + skipped)
			for skipped < len(t.refused) && t.refused[skipped] <= row {
				skipped++
				row++
			}
			buf = strconv.AppendInt(buf, row, 10)
			ends[k] = len(buf)
		}
		splitText(dst, buf, ends)
	}
}

// splitText sets dst[k] to buf[ends[k-1]:ends[k]], with one allocation for all of them.
func splitText(dst []string, buf []byte, ends []int) {
	all := string(buf)
	s := 0
	for k, e := range ends {
		dst[k] = all[s:e]
		s = e
	}
}

// Builder builds a Table from the batches of a modelling table.
type Builder struct {
	rules   Rules
	schema  *arrow.Schema
	t       *Table
	ootFrom string
	badNum  float64 // Bad as a number; NaN when a numeric target can never equal it
	err     error

	target, split, id, asOf int // column indices; -1 when absent
	cands                   []int
	tcol, scol, icol        *frame.Column
	candVals                [][]float64 // numeric candidates: values of the batch
	idVals                  []float64
	reasons                 []string
	used                    []int

	row       int64 // input rows so far
	file      int   // the current batch's FileIndex
	firstRow  int64 // the current batch's FirstRow
	fileNames map[int]string
	// seenNum maps the ids of used rows (their float bits) to the used row that has each;
	// seenHash does the same for text ids by a hash of their text, checked against the text
	// of the used row found (the table keeps it): 16 bytes an id instead of a copy of its
	// text. seenOther holds, by text, the few ids whose hash an earlier, different id took,
	// with where they were read (place).
	seenNum   map[uint64]int64
	seenHash  map[uint64]int64
	seenOther map[string]int64
	hashText  func(string) uint64 // maphash with a seed of the builder's; tests make it collide
	lastNum   float64
	lastText  string
	ordered   bool // ids so far strictly increasing: no repeat possible
}

// NewBuilder returns a builder for tables read with rules.
func NewBuilder(rules Rules) *Builder {
	seed := maphash.MakeSeed()
	return &Builder{rules: rules, t: &Table{Refused: map[string]int64{}}, ordered: true, fileNames: map[int]string{},
		hashText: func(s string) uint64 { return maphash.String(seed, s) }}
}

// start resolves the columns of the first batch's schema.
func (b *Builder) start(s *arrow.Schema) error {
	b.schema = s
	col := func(name, what string) (int, error) {
		idx := s.FieldIndices(name)
		if len(idx) == 0 {
			return -1, fmt.Errorf("%s column %q: %s", what, name, ingest.ColumnHint(s, name))
		}
		return idx[0], nil
	}
	r := b.rules
	var err error
	optional := func(name, what string) (int, error) {
		if name == "" {
			return -1, nil
		}
		return col(name, what)
	}
	if b.target, err = col(r.Target, "target"); err != nil {
		return err
	}
	if b.id, err = optional(r.ID, "id"); err != nil {
		return err
	}
	splitCol := ""
	b.split = -1
	if r.Split.Method == "column" || r.Split.Method == "time" {
		splitCol = r.Split.Column
		if b.split, err = col(splitCol, "split"); err != nil {
			return err
		}
	}
	if b.asOf, err = optional(r.AsOf, "as-of"); err != nil {
		return err
	}
	if b.asOf >= 0 && s.Field(b.asOf).Type.ID() != arrow.DATE32 {
		return fmt.Errorf("as-of column %q: %s, want date32", r.AsOf, s.Field(b.asOf).Type)
	}
	kind := func(i int) frame.Kind {
		f := s.Field(i)
		return frame.KindOf(f.Type, r.Categorical[f.Name])
	}
	b.tcol = frame.NewColumn(r.Target, kind(b.target))
	if b.split >= 0 {
		b.scol = frame.NewColumn(splitCol, kind(b.split))
	}
	if b.id >= 0 {
		b.icol = frame.NewColumn(r.ID, kind(b.id))
		if b.icol.Kind == frame.Numeric {
			b.t.idNum = &frame.NumericColumn{}
		} else {
			b.t.idText = &frame.TextColumn{}
		}
	}
	b.badNum = math.NaN()
	if b.tcol.Kind == frame.Numeric {
		if v, err := strconv.ParseFloat(r.Bad, 64); err == nil && frame.FormatNumber(v) == r.Bad {
			b.badNum = v
		}
	}
	b.ootFrom = r.Split.OOTFrom.Format(time.DateOnly)
	for _, name := range r.Candidates {
		ci, err := col(name, "candidate")
		if err != nil {
			return err
		}
		b.cands = append(b.cands, ci)
		c := &Candidate{Name: name, Kind: kind(ci)}
		if c.Kind == frame.Numeric {
			c.Num = &frame.NumericColumn{}
		} else {
			c.Cat = frame.NewCategoricalColumn()
		}
		b.t.Candidates = append(b.t.Candidates, c)
	}
	b.candVals = make([][]float64, len(b.cands))
	if r.UniqueID && b.id >= 0 {
		b.seenNum, b.seenHash, b.seenOther = map[uint64]int64{}, map[uint64]int64{}, map[string]int64{}
	}
	return nil
}

// Add applies the row rules to the rows of one batch and keeps what the table needs of
// them; the batch is not retained. Batches must come in input order and share a schema.
func (b *Builder) Add(ctx context.Context, batch ingest.Batch) error {
	if b.err != nil {
		return b.err
	}
	if err := b.add(ctx, batch); err != nil {
		b.err = err
		return err
	}
	return nil
}

func (b *Builder) add(ctx context.Context, batch ingest.Batch) error {
	rec := batch.Record
	if b.schema == nil {
		if err := b.start(rec.Schema()); err != nil {
			return err
		}
	}
	n := int(rec.NumRows())
	if f := b.t.files; len(f) == 0 || f[len(f)-1].Index != batch.FileIndex {
		b.t.files = append(b.t.files, PartFile{Index: batch.FileIndex})
		b.fileNames[batch.FileIndex] = batch.File
	}
	b.file, b.firstRow = batch.FileIndex, batch.FirstRow
	if n == 0 {
		return nil
	}
	r := b.rules
	fail := func(name string, err error) error {
		return fmt.Errorf("file %s: column %s: %w", batch.File, name, err)
	}
	b.tcol.Reset()
	if err := b.tcol.AppendArray(rec.Column(b.target)); err != nil {
		return fail(r.Target, err)
	}
	if b.scol != nil {
		b.scol.Reset()
		if err := b.scol.AppendArray(rec.Column(b.split)); err != nil {
			return fail(b.scol.Name, err)
		}
	}
	if b.icol != nil {
		b.icol.Reset()
		if err := b.icol.AppendArray(rec.Column(b.id)); err != nil {
			return fail(r.ID, err)
		}
	}
	var inf []int // numeric candidates holding ±Inf in this batch, in candidate order
	for j, c := range b.t.Candidates {
		if c.Kind != frame.Numeric {
			continue
		}
		vals, nonFinite, err := frame.NumericValues(b.candVals[j][:0], rec.Column(b.cands[j]))
		if err != nil {
			return fail(c.Name, err)
		}
		b.candVals[j] = vals
		if nonFinite > 0 {
			inf = append(inf, j)
		}
	}

	if cap(b.reasons) < n {
		b.reasons = make([]string, n)
	}
	reasons := b.reasons[:n]
	b.used = b.used[:0]
	refused := 0
	for i := 0; i < n; i++ {
		row := b.row + int64(i)
		reason := ""
		var y int8
		if b.tcol.Kind == frame.Numeric {
			switch v := b.tcol.Num[i]; {
			case math.IsNaN(v):
				reason = "null_target:" + r.Target
			case math.Float64bits(v) == math.Float64bits(b.badNum):
				y = 1
			}
		} else {
			switch tv, ok := b.tcol.Text(i); {
			case !ok:
				reason = "null_target:" + r.Target
			case tv == r.Bad:
				y = 1
			}
		}
		var sample uint8
		if reason == "" && b.scol != nil {
			sv, ok := b.scol.Text(i)
			switch {
			case !ok:
				reason = "null_sample:" + b.scol.Name
			case r.Split.Method == "column":
				s, known := sampleOf(sv)
				if !known {
					reason = fmt.Sprintf("invalid_sample:%s=%q", b.scol.Name, sv)
				}
				sample = s
			default: // time
				d, err := dateOf(sv)
				if err != nil {
					reason = fmt.Sprintf("invalid_date:%s=%q", b.scol.Name, sv)
				} else if d >= b.ootFrom {
					sample = 2
				} else {
					sample = 255 // decided by assignRandom
				}
			}
		}
		if reason == "" {
			for _, j := range inf {
				if math.IsInf(b.candVals[j][i], 0) {
					reason = "non_finite:" + b.t.Candidates[j].Name
					break
				}
			}
		}
		if reason == "" && b.seenNum != nil {
			reason = b.checkID(i, place(b.file, b.firstRow+int64(i)))
		}
		reasons[i] = reason
		if reason != "" {
			code, _, _ := strings.Cut(reason, ":")
			b.t.Refused[code]++
			b.t.refused = append(b.t.refused, row)
			refused++
			continue
		}
		b.used = append(b.used, i)
		b.t.Bad = append(b.t.Bad, y)
		b.t.Sample = append(b.t.Sample, sample)
	}
	used := b.used

	if b.icol != nil {
		if b.icol.Kind == frame.Numeric {
			b.idVals = b.idVals[:0]
			for _, i := range used {
				b.idVals = append(b.idVals, b.icol.Num[i])
			}
			b.t.idNum.Append(b.idVals)
		} else {
			for _, i := range used {
				b.t.idText.Append(b.icol.Str[i], b.icol.Valid[i])
			}
		}
	}
	if b.asOf >= 0 {
		dc := rec.Column(b.asOf).(*array.Date32)
		for _, i := range used {
			b.t.asOf = append(b.t.asOf, dc.Value(i))
		}
	}
	for j, c := range b.t.Candidates {
		if c.Kind == frame.Numeric {
			vals := b.candVals[j]
			if len(used) < n {
				k := 0
				for _, i := range used {
					vals[k] = vals[i]
					k++
				}
				vals = vals[:k]
			}
			c.Num.Append(vals)
			continue
		}
		if len(used) == n {
			c.Cat.AppendArray(rec.Column(b.cands[j]), nil)
		} else {
			c.Cat.AppendArray(rec.Column(b.cands[j]), used)
		}
	}
	if refused > 0 {
		q, err := frame.Quarantine(ctx, &ingest.Table{Schema: b.schema, Batches: []ingest.Batch{batch}}, reasons)
		if err != nil {
			return err
		}
		b.t.Quarantine = append(b.t.Quarantine, q...)
	}
	b.lastText = strings.Clone(b.lastText)
	b.row += int64(n)
	b.t.Input = b.row
	f := &b.t.files[len(b.t.files)-1]
	f.Input += int64(n)
	f.Used += int64(n - refused)
	if r.Spill != nil && b.t.spill == nil && b.t.Bytes() > r.SpillAbove {
		b.t.SpillTo(r.Spill)
	}
	return b.t.spillErr()
}

// places yields where each used row was read, in order: its input file (FileIndex) and its
// row in that file, the refused rows skipped.
func (t *Table) places() iter.Seq2[int, int64] {
	return func(yield func(int, int64) bool) {
		var input int64 // input row of the file's first row
		ri := 0
		for _, f := range t.files {
			for r := range f.Input {
				if ri < len(t.refused) && t.refused[ri] == input+r {
					ri++
					continue
				}
				if !yield(f.Index, r) {
					return
				}
			}
			input += f.Input
		}
	}
}

// place packs where a row was read: its input file (FileIndex) and its row in the file.
func place(file int, row int64) int64 { return int64(file)<<40 | row }

// duplicateReason is the reason a row whose id repeats the row at place first is refused
// for: it names the file and row of the first, which do not depend on how the table's files
// were shared out.
func (b *Builder) duplicateReason(first int64) string {
	return fmt.Sprintf("duplicate_key:%s (first at %s row %d)", b.rules.ID, b.fileNames[int(first>>40)], first&(1<<40-1))
}

// checkID applies the id rules to row i of the batch (read at place at): a null id refuses
// the row, and so does an id equal to an earlier used row's (the first occurrence is kept).
// Strictly increasing ids, the common case of sorted extracts, need no lookup table; the
// table is built from the ids kept so far at the first id out of order.
func (b *Builder) checkID(i int, at int64) string {
	r := b.rules
	next := int64(b.t.Used()) // the used row this one becomes, if kept
	if b.icol.Kind == frame.Numeric {
		v := b.icol.Num[i]
		if math.IsNaN(v) {
			return "null_id:" + r.ID
		}
		if r.Shard {
			return "" // repeats are found over all shards (Assembler)
		}
		if b.ordered {
			if next == 0 || v > b.lastNum {
				b.lastNum = v
				return ""
			}
			b.ordered = false
			b.fillSeen()
		}
		key := math.Float64bits(v)
		if first, dup := b.seenNum[key]; dup {
			return b.duplicateReason(b.placeOfUsed(first))
		}
		b.seenNum[key] = next
		return ""
	}
	s, ok := b.icol.Text(i)
	if !ok {
		return "null_id:" + r.ID
	}
	if r.Shard {
		return ""
	}
	if b.ordered {
		if next == 0 || s > b.lastText {
			b.lastText = s // cloned when the batch ends
			return ""
		}
		b.ordered = false
		b.fillSeen()
	}
	h := b.hashText(s)
	first, taken := b.seenHash[h]
	switch {
	case !taken:
		b.seenHash[h] = next
	case b.usedText(first) == s:
		return b.duplicateReason(b.placeOfUsed(first))
	default: // another id has this hash
		if place, dup := b.seenOther[s]; dup {
			return b.duplicateReason(place)
		}
		b.seenOther[strings.Clone(s)] = at
	}
	return ""
}

// usedText returns the id of used row k: kept in the table, or one of this batch's.
func (b *Builder) usedText(k int64) string {
	if kept := int64(b.t.idText.Len()); k >= kept {
		return b.icol.Str[b.used[k-kept]]
	}
	s, _ := b.t.idText.Value(int(k))
	return s
}

// placeOfUsed returns where used row k was read (place): for a row of this batch from the
// batch's first row, for an earlier one from the files' counts and the refused rows.
func (b *Builder) placeOfUsed(k int64) int64 {
	t := b.t
	if kept := int64(len(t.Bad) - len(b.used)); k >= kept {
		return place(b.file, b.firstRow+int64(b.used[k-kept]))
	}
	var input int64 // input row of the file's first row
	for _, f := range t.files {
		if k >= f.Used {
			k -= f.Used
			input += f.Input
			continue
		}
		// The smallest row r of the file with k+1 used rows in [0, r]: rows minus the
		// refused ones among them.
		refusedTo := func(r int64) int64 {
			return int64(sort.Search(len(t.refused), func(q int) bool { return t.refused[q] > input+r })) -
				int64(sort.Search(len(t.refused), func(q int) bool { return t.refused[q] >= input }))
		}
		r := sort.Search(int(f.Input), func(r int) bool { return int64(r)+1-refusedTo(int64(r)) > k })
		return place(f.Index, int64(r))
	}
	panic(fmt.Sprintf("train: used row %d beyond the table's", k))
}

// fillSeen fills the lookup table of ids with the ids of the used rows so far: those kept
// in the table and those of the current batch (b.used, not yet appended).
func (b *Builder) fillSeen() {
	if b.icol.Kind == frame.Numeric {
		kept := make([]float64, b.t.idNum.Len())
		b.t.idNum.Decode(kept, 0)
		for k, v := range kept {
			b.seenNum[math.Float64bits(v)] = int64(k)
		}
		for k, i := range b.used {
			b.seenNum[math.Float64bits(b.icol.Num[i])] = int64(len(kept) + k)
		}
		return
	}
	for k := range int64(b.t.idText.Len() + len(b.used)) {
		s := b.usedText(k)
		h := b.hashText(s)
		if _, taken := b.seenHash[h]; taken { // the ids so far differ: another id's hash
			b.seenOther[strings.Clone(s)] = b.placeOfUsed(k)
			continue
		}
		b.seenHash[h] = k
	}
}

// Table finishes the table: rows not yet in a sample are assigned to train or test at
// random (methods random, time and the default), stratified by the label.
func (b *Builder) Table() (*Table, error) {
	if b.err != nil {
		return nil, b.err
	}
	if b.schema == nil {
		return nil, fmt.Errorf("the table has no columns")
	}
	t := b.t
	if m := b.rules.Split.Method; !b.rules.Shard && (m == "random" || m == "time" || m == "") {
		assignRandom(t.Bad, t.Sample, b.rules.Split)
	}
	return t, nil
}
