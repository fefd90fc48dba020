package train

import (
	"cmp"
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/stages/frame"
)

// Sharded training. Each shard of a train run reads its share of the input files, applies
// the row rules (Rules.Shard: random samples are left to the commit) and encodes the rows it
// keeps as a Part: a summary (rows read, refused by reason, used per input file), a sketch
// (per numeric candidate its key set over the shard's rows, per categorical one its
// categories, each with its row count) and the rows themselves as compact codes (input
// file, label, sample, id, and per candidate the index of the row's key or category). The
// commit merges the sketches — key sets to the finest resolution the whole table allows,
// categories to one dictionary — and an Assembler places every shard's rows at their
// position in the whole table, as codes into the merged sketch; FitTable then bins from the
// merged sketch and the train rows' codes, and fits as it would on one process's table.
// The two give the same model: the key sets do not depend on how the rows were split
// (keys.go), and the rows are in the same order.

// PartFile counts the used rows of one input file of a shard.
type PartFile struct {
	// Index is the file's position among the table's files, in key order.
	Index int   `json:"file"`
	Input int64 `json:"input_rows"`
	Used  int64 `json:"used_rows"`
}

// PartVariable describes one candidate of a Part.
type PartVariable struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // numeric or categorical
	// Shift is the resolution of a numeric candidate's key set: 0 for exact values, else
	// the number of low bits of the sort key that a bucket drops.
	Shift uint8 `json:"shift,omitempty"`
	// Cuts are the values no bucket straddles: manual breaks and special values' bounds.
	Cuts []float64 `json:"cuts,omitempty"`
	// Keys is the number of keys (numeric) or categories (categorical) in the sketch.
	Keys int `json:"keys"`
}

// PartSummary is what a shard reports of its rows and candidates.
type PartSummary struct {
	Input     int64            `json:"input_rows"`
	Used      int64            `json:"used_rows"`
	Refused   map[string]int64 `json:"refused_rows"`
	Bads      int64            `json:"bads"`
	Files     []PartFile       `json:"files"`
	Variables []PartVariable   `json:"variables"`
}

// Part is a shard's table encoded for the commit.
type Part struct {
	Summary PartSummary
	t       *Table
}

// SketchSchema is the schema of a Part's sketch: one row per key of a numeric candidate
// (its smallest value) or per category of a categorical one, with its rows.
var SketchSchema = arrow.NewSchema([]arrow.Field{
	{Name: "variable", Type: arrow.PrimitiveTypes.Int32},
	{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "category", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "rows", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// Names of the fixed columns of a Part's rows — input file, row in it, label, sample, id; a
// column per candidate, named after it, follows with the row's code.
const (
	RowFileColumn   = "_file"
	RowRowColumn    = "_row"
	RowBadColumn    = "_bad"
	RowSampleColumn = "_sample"
	RowIDColumn     = "_id"
)

// rowFixed is the number of fixed columns of a Part's rows.
const rowFixed = 5

// RowsSchema returns the schema of the rows of a part whose summary is s.
func RowsSchema(s PartSummary) *arrow.Schema {
	fields := []arrow.Field{
		{Name: RowFileColumn, Type: arrow.PrimitiveTypes.Int32},
		{Name: RowRowColumn, Type: arrow.PrimitiveTypes.Int64},
		{Name: RowBadColumn, Type: arrow.PrimitiveTypes.Int8},
		{Name: RowSampleColumn, Type: arrow.PrimitiveTypes.Uint8},
		{Name: RowIDColumn, Type: arrow.BinaryTypes.String},
	}
	for _, v := range s.Variables {
		fields = append(fields, arrow.Field{Name: v.Name, Type: arrow.PrimitiveTypes.Uint32})
	}
	return arrow.NewSchema(fields, nil)
}

// cutsOf returns the cuts of every candidate: its manual breaks (numeric candidates) and
// the special values' bounds.
func cutsOf(name string, manual map[string][]string, special []float64) ([]float64, error) {
	breaks, err := manualBreaks(name, manual)
	if err != nil {
		return nil, err
	}
	cuts, err := keyCuts(breaks, special)
	if err != nil {
		return nil, fmt.Errorf("candidate %s: %w", name, err)
	}
	return cuts, nil
}

// NewPart encodes a shard's table (built with Rules.Shard): every numeric candidate becomes
// its key set over the used rows and each row's key, cut at the candidate's manual breaks
// (manual) and at the special values. The table's rows are encoded in place: t is the part's
// and must not be fitted.
func NewPart(ctx context.Context, t *Table, manual map[string][]string, special []float64) (*Part, error) {
	if t.idText == nil && t.idNum == nil {
		return nil, fmt.Errorf("a sharded train run needs an id column: row numbers do not carry across shards")
	}
	p := &Part{t: t, Summary: PartSummary{Input: t.Input, Used: int64(t.Used()), Refused: t.Refused, Files: t.files}}
	for _, y := range t.Bad {
		p.Summary.Bads += int64(y)
	}
	n := t.Used()
	all := make([]int32, n)
	for k := range all {
		all[k] = int32(k)
	}
	zeros := make([]int8, n)
	errs := make([]error, len(t.Candidates))
	err := forEachCandidate(ctx, len(t.Candidates), 0, func(i int, s *binScratch) {
		errs[i] = s.encode(t.Candidates[i], all, zeros, manual, special)
	})
	if err != nil {
		return nil, err
	}
	for i, c := range t.Candidates {
		if errs[i] != nil {
			return nil, errs[i]
		}
		v := PartVariable{Name: c.Name, Kind: c.Kind.String()}
		if c.keys != nil {
			v.Shift, v.Cuts, v.Keys = c.keys.shift, c.keys.cuts, len(c.keys.keys)
		} else {
			v.Keys = len(c.Cat.Dict) - 1
		}
		p.Summary.Variables = append(p.Summary.Variables, v)
	}
	return p, nil
}

// encode replaces a numeric candidate's values by its key set and each row's key.
func (s *binScratch) encode(c *Candidate, all []int32, zeros []int8, manual map[string][]string, special []float64) error {
	if c.Kind != frame.Numeric {
		return nil
	}
	cuts, err := cutsOf(c.Name, manual, special)
	if err != nil {
		return err
	}
	d := s.distribution(c.Num, all, zeros)
	ks := newKeySet(func(fn func(v float64, n int64)) {
		d.each(func(v float64, g, b int) { fn(v, int64(g+b)) })
	}, cuts)
	n := len(all)
	codes := frame.NewCodes(n, uint32(len(ks.keys)))
	buf := slices.Grow(s.codes[:0], decodeChunk)[:decodeChunk]
	for start := 0; start < n; start += decodeChunk {
		part := buf[:min(decodeChunk, n-start)]
		c.Num.Map(part, start, func(v float64) uint32 {
			if v != v {
				return 0
			}
			return uint32(ks.index(v) + 1)
		})
		codes.SetAll(start, part)
	}
	s.codes = buf
	c.keys, c.codes, c.Num = ks, codes, nil
	return nil
}

// Sketch returns the part's sketch (SketchSchema).
func (p *Part) Sketch(mem memory.Allocator) arrow.Record {
	b := array.NewRecordBuilder(mem, SketchSchema)
	defer b.Release()
	vb := b.Field(0).(*array.Int32Builder)
	xb := b.Field(1).(*array.Float64Builder)
	cb := b.Field(2).(*array.StringBuilder)
	nb := b.Field(3).(*array.Int64Builder)
	for i, c := range p.t.Candidates {
		if c.keys != nil {
			for k, m := range c.keys.mins {
				vb.Append(int32(i))
				xb.Append(m)
				cb.AppendNull()
				nb.Append(c.keys.counts[k])
			}
			continue
		}
		counts := make([]int64, len(c.Cat.Dict))
		buf := make([]uint32, decodeChunk)
		for start := 0; start < p.t.Used(); start += decodeChunk {
			part := buf[:min(decodeChunk, p.t.Used()-start)]
			c.Cat.Codes.Decode(part, start)
			for _, code := range part {
				counts[code]++
			}
		}
		for code := 1; code < len(c.Cat.Dict); code++ {
			vb.Append(int32(i))
			xb.AppendNull()
			cb.Append(c.Cat.Dict[code])
			nb.Append(counts[code])
		}
	}
	return b.NewRecord()
}

// Rows calls fn with the part's rows (RowsSchema), size rows at a time, in input order. fn
// borrows each record.
func (p *Part) Rows(mem memory.Allocator, size int, fn func(arrow.Record) error) error {
	t := p.t
	b := array.NewRecordBuilder(mem, RowsSchema(p.Summary))
	defer b.Release()
	fileOf := make([]int32, 0, size)
	rowOf := make([]int64, 0, size)
	ids := make([]string, size)
	codes := make([]uint32, size)
	start := 0 // the first row of the batch being gathered
	flush := func() error {
		m := len(rowOf)
		b.Field(0).(*array.Int32Builder).AppendValues(fileOf, nil)
		b.Field(1).(*array.Int64Builder).AppendValues(rowOf, nil)
		b.Field(2).(*array.Int8Builder).AppendValues(t.Bad[start:start+m], nil)
		b.Field(3).(*array.Uint8Builder).AppendValues(t.Sample[start:start+m], nil)
		t.IDs(ids[:m], start)
		b.Field(4).(*array.StringBuilder).AppendValues(ids[:m], nil)
		for j, c := range t.Candidates {
			if c.codes != nil {
				c.codes.Decode(codes[:m], start)
			} else {
				c.Cat.Codes.Decode(codes[:m], start)
			}
			b.Field(rowFixed+j).(*array.Uint32Builder).AppendValues(codes[:m], nil)
		}
		start += m
		fileOf, rowOf = fileOf[:0], rowOf[:0]
		rec := b.NewRecord()
		defer rec.Release()
		return fn(rec)
	}
	for file, row := range t.places() {
		fileOf = append(fileOf, int32(file))
		rowOf = append(rowOf, row)
		if len(rowOf) == size {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(rowOf) > 0 {
		return flush()
	}
	return nil
}

// Release drops the part's rows and quarantine records.
func (p *Part) Release() { p.t.Release() }

// Quarantine returns the refused rows of the shard (see Table.Quarantine).
func (p *Part) Quarantine() []arrow.Record { return p.t.Quarantine }

// Assembler rebuilds the table of a sharded train run from the parts of its shards: the
// merged sketch, and every shard's rows at their position in the whole table.
type Assembler struct {
	rules     Rules
	t         *Table
	shards    []PartSummary
	starts    map[int]int64 // input file → position of its next used row
	left      map[int]int64 // input file → used rows not yet added
	firsts    []fileStart   // input files by position of their first used row
	rowInFile []int64       // per position, the row's row in its input file
	remaps    [][][]uint32  // [shard][candidate] shard code → merged code
	ids       []*frame.TextColumn
	idSegs    []idSegment
	nextLocal []int // per shard, the rows added so far
}

// fileStart is the position of an input file's first used row in the whole table.
type fileStart struct {
	file int
	pos  int64
}

// Refusal is a row the commit refuses: a repeat of an id that another shard read first.
type Refusal struct {
	File   int   // the input file (FileIndex)
	Row    int64 // the row in it
	Reason string
}

// idSegment is a run of rows of the whole table whose ids one shard holds.
type idSegment struct {
	start, n int // in the whole table
	shard    int
	local    int // in the shard's ids
}

// NewAssembler merges the summaries and sketches (SketchSchema records) of the shards of a
// run, in shard order, for a table read with rules. A shard that read no file has no
// variables and no sketch.
func NewAssembler(rules Rules, shards []PartSummary, sketches [][]arrow.Record) (*Assembler, error) {
	if len(shards) == 0 || len(sketches) != len(shards) {
		return nil, fmt.Errorf("%d shard summaries and %d sketches", len(shards), len(sketches))
	}
	a := &Assembler{rules: rules, shards: shards, t: &Table{Refused: map[string]int64{}}, starts: map[int]int64{}, left: map[int]int64{}}
	var files []PartFile
	var used int64
	for _, s := range shards {
		a.t.Input += s.Input
		used += s.Used
		for r, n := range s.Refused {
			a.t.Refused[r] += n
		}
		files = append(files, s.Files...)
		a.ids = append(a.ids, &frame.TextColumn{})
	}
	a.nextLocal = make([]int, len(shards))
	sort.Slice(files, func(i, j int) bool { return files[i].Index < files[j].Index })
	var pos int64
	for i, f := range files {
		if i > 0 && files[i-1].Index == f.Index {
			return nil, fmt.Errorf("input file %d was read by two shards", f.Index)
		}
		a.starts[f.Index] = pos
		a.left[f.Index] = f.Used
		a.firsts = append(a.firsts, fileStart{f.Index, pos})
		pos += f.Used
	}
	if pos != used {
		return nil, fmt.Errorf("the shards' files hold %d used rows, their summaries %d", pos, used)
	}
	n := int(used)
	a.rowInFile = make([]int64, n)
	a.t.Bad = make([]int8, n)
	a.t.Sample = make([]uint8, n)

	var first []PartVariable
	for _, s := range shards {
		if len(s.Variables) > 0 {
			first = s.Variables
			break
		}
	}
	if len(first) != len(rules.Candidates) {
		return nil, fmt.Errorf("the shards have %d candidates, the job %d", len(first), len(rules.Candidates))
	}
	empty := make([]bool, len(shards)) // shards that read no file: nothing to disagree on
	for si, s := range shards {
		if len(s.Variables) == 0 && len(s.Files) == 0 && s.Input == 0 {
			empty[si] = true
			continue
		}
		if len(s.Variables) != len(first) {
			return nil, fmt.Errorf("shard %d has %d candidates, shard 0 %d", si, len(s.Variables), len(first))
		}
		for j, v := range s.Variables {
			switch {
			case v.Name != rules.Candidates[j]:
				return nil, fmt.Errorf("shard %d: candidate %d is %s, want %s", si, j+1, v.Name, rules.Candidates[j])
			case v.Kind != first[j].Kind:
				return nil, fmt.Errorf("column %s: one shard read it as %s, shard %d as %s (CSV files are typed per shard: write the table as Parquet, or mark the column's missing values with inputs.csv.null_values)",
					v.Name, first[j].Kind, si, v.Kind)
			case !slices.Equal(v.Cuts, first[j].Cuts):
				return nil, fmt.Errorf("candidate %s: shard %d cuts at %v, another shard at %v", v.Name, si, v.Cuts, first[j].Cuts)
			}
		}
	}
	sets := make([][]*keySet, len(first))   // [candidate][shard]
	dicts := make([][][]string, len(first)) // [candidate][shard]
	for j := range first {
		sets[j] = make([]*keySet, len(shards))
		dicts[j] = make([][]string, len(shards))
		for si, s := range shards {
			if first[j].Kind == frame.Numeric.String() {
				sets[j][si] = &keySet{cuts: first[j].Cuts}
				if !empty[si] {
					sets[j][si].shift = s.Variables[j].Shift
				}
			} else {
				dicts[j][si] = []string{""}
			}
		}
	}
	for si, recs := range sketches {
		for _, rec := range recs {
			if err := addSketch(rec, si, first, sets, dicts); err != nil {
				return nil, err
			}
		}
	}
	a.remaps = make([][][]uint32, len(shards))
	for si := range shards {
		a.remaps[si] = make([][]uint32, len(first))
	}
	// The codes go to the spill as they are placed when the table would take more than
	// Rules.SpillAbove: a code a row per candidate, of the width its largest value needs.
	var spill *frame.Spill
	if rules.Spill != nil {
		var bytes int64
		for j, v := range first {
			most := 0
			if v.Kind == frame.Numeric.String() {
				for _, ks := range sets[j] {
					most += len(ks.keys)
				}
			} else {
				for _, d := range dicts[j] {
					most += len(d)
				}
			}
			bytes += int64(n) * int64(codeWidth(uint32(most)))
		}
		if bytes > rules.SpillAbove {
			spill, a.t.spill = rules.Spill, rules.Spill
		}
	}
	for j, v := range first {
		c := &Candidate{Name: v.Name}
		if v.Kind == frame.Numeric.String() {
			for si, ks := range sets[j] {
				if empty[si] && len(ks.keys) == 0 {
					continue
				}
				if empty[si] || len(ks.keys) != shards[si].Variables[j].Keys || !slices.IsSorted(ks.keys) {
					return nil, fmt.Errorf("shard %d: the sketch of %s does not match its summary", si, v.Name)
				}
			}
			merged, remaps := mergeKeySets(sets[j])
			c.Kind, c.keys, c.codes = frame.Numeric, merged, frame.NewCodesIn(n, uint32(len(merged.keys)), spill)
			for si, m := range remaps { // a row's code is its key's index + 1, 0 missing
				r := make([]uint32, len(m)+1)
				for k, to := range m {
					r[k+1] = to + 1
				}
				a.remaps[si][j] = r
			}
		} else {
			// One dictionary, categories in shard order; code 0 stays missing.
			dict, index := []string{""}, map[string]uint32{}
			for si, d := range dicts[j] {
				r := make([]uint32, len(d))
				for code, cat := range d[1:] {
					to, ok := index[cat]
					if !ok {
						to = uint32(len(dict))
						dict, index[cat] = append(dict, cat), to
					}
					r[code+1] = to
				}
				a.remaps[si][j] = r
			}
			c.Kind, c.Cat = frame.Categorical, &frame.CategoricalColumn{Dict: dict, Codes: *frame.NewCodesIn(n, uint32(len(dict)-1), spill)}
		}
		a.t.Candidates = append(a.t.Candidates, c)
	}
	return a, nil
}

// codeWidth returns the bytes a code up to v takes in frame.Codes.
func codeWidth(v uint32) int {
	switch {
	case v > math.MaxUint16:
		return 4
	case v > math.MaxUint8:
		return 2
	}
	return 1
}

// addSketch adds the keys and categories of a sketch record of shard si.
func addSketch(rec arrow.Record, si int, first []PartVariable, sets [][]*keySet, dicts [][][]string) error {
	if !rec.Schema().Equal(SketchSchema) {
		return fmt.Errorf("shard %d: sketch schema %s", si, rec.Schema())
	}
	vs := rec.Column(0).(*array.Int32).Int32Values()
	xs := rec.Column(1).(*array.Float64)
	cs := rec.Column(2).(*array.String)
	ns := rec.Column(3).(*array.Int64).Int64Values()
	for r, j := range vs {
		if j < 0 || int(j) >= len(first) {
			return fmt.Errorf("shard %d: sketch row %d names candidate %d of %d", si, r+1, j, len(first))
		}
		if ks := sets[j][si]; ks != nil {
			v := xs.Value(r)
			ks.keys = append(ks.keys, keyOf(v, ks.shift, ks.cuts))
			ks.mins = append(ks.mins, v)
			ks.counts = append(ks.counts, ns[r])
		} else {
			dicts[j][si] = append(dicts[j][si], cs.Value(r))
		}
	}
	return nil
}

// Add places rows of shard's part (RowsSchema, in the order Part.Rows gave them).
func (a *Assembler) Add(shard int, rec arrow.Record) error {
	if shard < 0 || shard >= len(a.shards) {
		return fmt.Errorf("shard %d of %d", shard, len(a.shards))
	}
	want := RowsSchema(a.shards[shard])
	if !rec.Schema().Equal(want) {
		return fmt.Errorf("shard %d: rows schema %s, want %s", shard, rec.Schema(), want)
	}
	n := int(rec.NumRows())
	file := rec.Column(0).(*array.Int32).Int32Values()
	rows := rec.Column(1).(*array.Int64).Int64Values()
	bad := rec.Column(2).(*array.Int8).Int8Values()
	sample := rec.Column(3).(*array.Uint8).Uint8Values()
	ids := rec.Column(4).(*array.String)
	buf := make([]uint32, 0, n)
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && file[hi] == file[lo] {
			hi++
		}
		start, ok := a.starts[int(file[lo])]
		if !ok {
			return fmt.Errorf("shard %d: rows of input file %d, which no shard summary lists", shard, file[lo])
		}
		if a.left[int(file[lo])] -= int64(hi - lo); a.left[int(file[lo])] < 0 {
			return fmt.Errorf("shard %d: more rows of input file %d than its summary counts", shard, file[lo])
		}
		a.starts[int(file[lo])] = start + int64(hi-lo)
		at := int(start)
		copy(a.t.Bad[at:], bad[lo:hi])
		copy(a.t.Sample[at:], sample[lo:hi])
		copy(a.rowInFile[at:], rows[lo:hi])
		local := a.nextLocal[shard]
		for k := lo; k < hi; k++ {
			a.ids[shard].Append(ids.Value(k), true)
		}
		a.nextLocal[shard] += hi - lo
		if s := len(a.idSegs) - 1; s >= 0 && a.idSegs[s].shard == shard && a.idSegs[s].start+a.idSegs[s].n == at && a.idSegs[s].local+a.idSegs[s].n == local {
			a.idSegs[s].n += hi - lo
		} else {
			a.idSegs = append(a.idSegs, idSegment{start: at, n: hi - lo, shard: shard, local: local})
		}
		for j, c := range a.t.Candidates {
			codes := rec.Column(rowFixed + j).(*array.Uint32).Uint32Values()[lo:hi]
			remap := a.remaps[shard][j]
			buf = buf[:0]
			for _, code := range codes {
				if int(code) >= len(remap) {
					return fmt.Errorf("shard %d: candidate %s: code %d beyond its sketch", shard, c.Name, code)
				}
				buf = append(buf, remap[code])
			}
			if c.codes != nil {
				c.codes.SetAll(at, buf)
			} else {
				c.Cat.Codes.SetAll(at, buf)
			}
		}
		lo = hi
	}
	return nil
}

// Table returns the whole table: rows that need a random sample get one, over all rows, as
// one process assigns them. Of the rows that share an id (the shards leave repeats to the
// commit), the one read first (by input file and row) is kept and the others are refused,
// as one process would refuse them: they are returned, in input order, for the caller to
// quarantine, and the table's Refused counts them. files names the table's input files by
// FileIndex, for the reasons.
func (a *Assembler) Table(files []string) (*Table, []Refusal, error) {
	t := a.t
	var placed int
	for _, s := range a.idSegs {
		placed += s.n
	}
	if placed != len(t.Bad) {
		return nil, nil, fmt.Errorf("%d of the %d used rows of the shards were added", placed, len(t.Bad))
	}
	sort.Slice(a.idSegs, func(i, j int) bool { return a.idSegs[i].start < a.idSegs[j].start })
	t.idShards, t.idSegs = a.ids, a.idSegs
	dups := repeatedIDs(t)
	var refusals []Refusal
	if len(dups) > 0 {
		drop := make([]bool, len(t.Bad))
		for _, d := range dups {
			ff, fr := a.placeOf(d.first)
			if ff >= len(files) {
				return nil, nil, fmt.Errorf("input file %d of %d", ff, len(files))
			}
			reason := fmt.Sprintf("duplicate_key:%s (first at %s row %d)", a.rules.ID, files[ff], fr)
			for _, p := range d.repeats {
				drop[p] = true
				f, r := a.placeOf(p)
				refusals = append(refusals, Refusal{File: f, Row: r, Reason: reason})
			}
		}
		sort.Slice(refusals, func(i, j int) bool {
			if refusals[i].File != refusals[j].File {
				return refusals[i].File < refusals[j].File
			}
			return refusals[i].Row < refusals[j].Row
		})
		t.Refused["duplicate_key"] += int64(len(refusals))
		a.compact(drop)
	}
	a.rowInFile = nil
	if m := a.rules.Split.Method; m == "random" || m == "time" || m == "" {
		assignRandom(t.Bad, t.Sample, a.rules.Split)
	}
	return t, refusals, nil
}

// placeOf returns the input file and the row in it of the row at position p.
func (a *Assembler) placeOf(p int) (int, int64) {
	k := sort.Search(len(a.firsts), func(k int) bool { return a.firsts[k].pos > int64(p) }) - 1
	return a.firsts[k].file, a.rowInFile[p]
}

// compact removes the rows marked in drop from the table.
func (a *Assembler) compact(drop []bool) {
	t := a.t
	keep := make([]int32, 0, len(drop))
	for p, d := range drop {
		if !d {
			keep = append(keep, int32(p))
		}
	}
	n := len(keep)
	for k, p := range keep {
		t.Bad[k], t.Sample[k] = t.Bad[p], t.Sample[p]
	}
	t.Bad, t.Sample = t.Bad[:n], t.Sample[:n]
	buf := make([]uint32, decodeChunk)
	gather := func(c *frame.Codes, maxValue uint32) *frame.Codes {
		out := frame.NewCodesIn(n, maxValue, t.spill)
		for start := 0; start < n; start += decodeChunk {
			part := buf[:min(decodeChunk, n-start)]
			c.Gather(part, keep[start:start+len(part)])
			out.SetAll(start, part)
		}
		return out
	}
	for _, c := range t.Candidates {
		if c.codes != nil {
			c.codes = gather(c.codes, uint32(len(c.keys.keys)))
		} else {
			c.Cat.Codes = *gather(&c.Cat.Codes, uint32(len(c.Cat.Dict)-1))
		}
	}
	ids := &frame.TextColumn{}
	one := make([]string, 1)
	for _, p := range keep {
		t.idsFromShards(one, int(p))
		ids.Append(one[0], true)
	}
	t.idShards, t.idSegs, t.idText = nil, nil, ids
}

// repeat is an id that several used rows share: the position of the first and of the others.
type repeat struct {
	first   int
	repeats []int
}

// repeatedIDs finds the ids that several used rows of t share, by their first position.
func repeatedIDs(t *Table) []repeat {
	n := t.Used()
	seed := maphash.MakeSeed()
	type entry struct {
		h   uint64
		row int32
	}
	// By hash, rows ascending among equal hashes: the ids are hashed twice, to count the
	// rows of each partition (the top 16 bits), then to place them; each small partition
	// is then sorted stably.
	const parts = 1 << 16
	var ends [parts + 1]int
	ids := make([]string, decodeChunk)
	eachHash := func(fn func(h uint64, row int)) {
		for start := 0; start < n; start += decodeChunk {
			part := ids[:min(decodeChunk, n-start)]
			t.IDs(part, start)
			for k, s := range part {
				fn(maphash.String(seed, s), start+k)
			}
		}
	}
	eachHash(func(h uint64, _ int) { ends[h>>48+1]++ })
	for p := 1; p <= parts; p++ {
		ends[p] += ends[p-1]
	}
	hs := make([]entry, n)
	next := ends
	eachHash(func(h uint64, row int) {
		hs[next[h>>48]] = entry{h, int32(row)}
		next[h>>48]++
	})
	for p := range parts {
		slices.SortStableFunc(hs[ends[p]:ends[p+1]], func(a, b entry) int { return cmp.Compare(a.h, b.h) })
	}
	var out []repeat
	one, two := make([]string, 1), make([]string, 1)
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && hs[hi].h == hs[lo].h {
			hi++
		}
		// Rows of one hash, by position: group those of equal ids (a hash collision
		// between different ids is possible, if unlikely).
		for i := lo; i < hi && hi-lo > 1; i++ {
			if hs[i].row < 0 {
				continue
			}
			t.IDs(one, int(hs[i].row))
			r := repeat{first: int(hs[i].row)}
			for j := i + 1; j < hi; j++ {
				if hs[j].row < 0 {
					continue
				}
				if t.IDs(two, int(hs[j].row)); two[0] == one[0] {
					r.repeats = append(r.repeats, int(hs[j].row))
					hs[j].row = -1
				}
			}
			if len(r.repeats) > 0 {
				out = append(out, r)
			}
		}
		lo = hi
	}
	sort.Slice(out, func(i, j int) bool { return out[i].first < out[j].first })
	return out
}

// idsFromShards writes the ids of rows [start, start+len(dst)) of an assembled table.
func (t *Table) idsFromShards(dst []string, start int) {
	i := sort.Search(len(t.idSegs), func(i int) bool { return t.idSegs[i].start+t.idSegs[i].n > start })
	for len(dst) > 0 && i < len(t.idSegs) {
		s := t.idSegs[i]
		off := start - s.start
		m := min(len(dst), s.n-off)
		t.idShards[s.shard].Strings(dst[:m], s.local+off)
		dst, start = dst[m:], start+m
		i++
	}
}

// manualBreaks parses a numeric candidate's manual breaks (nil without any).
func manualBreaks(name string, manual map[string][]string) ([]float64, error) {
	m, ok := manual[name]
	if !ok {
		return nil, nil
	}
	breaks := make([]float64, len(m))
	for k, t := range m {
		v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err != nil || math.IsNaN(v) {
			return nil, fmt.Errorf("binning.manual.%s: %q is not a number", name, t)
		}
		breaks[k] = v
	}
	return breaks, nil
}
