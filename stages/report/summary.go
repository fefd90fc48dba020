package report

import (
	"cmp"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"sync"

	"lendscore/models/metrics"
	"lendscore/models/scorecard"
	"lendscore/stages/frame"
)

// Summary is a sample summarised for Validate instead of held as rows: its scores counted
// by value, its rows' PDs with their labels and grades sorted by PD (on a spill file beyond
// a million rows), its rows per grade and per attribute of each characteristic. Every
// figure Validate reports comes from these, for a sample given as rows too (Validate
// summarises it first), so a summary gives the figures its rows give. A SummaryBuilder
// makes one.
type Summary struct {
	scores metrics.ScoreCounts
	// values are the distinct scores in increasing order, with their rows and bads.
	values               []float64
	valueRows, valueBads []int

	pds        *pdSorter // nil: the sample has no PDs
	grades     []string  // the names grade indices stand for
	scaleLen   int       // grades[:scaleLen] are the master scale's, in scale order
	gradeRows  []int     // rows per grade index; nil: the sample has no grades
	attr       [][]float64
	calibrated sync.Once
	cal        metrics.CalibrationFigures
	calErr     error
}

// Rows returns the number of rows summarised.
func (s *Summary) Rows() int { return s.scores.Rows() }

// Bads returns the number of bads among them.
func (s *Summary) Bads() int { return s.scores.Bads() }

// calibration returns the calibration figures of the sample's PDs (computed once).
func (s *Summary) calibration(groups int) (metrics.CalibrationFigures, error) {
	s.calibrated.Do(func() {
		s.cal, s.calErr = metrics.Calibrate(s.pds.counts(), s.Rows(), groups, s.grades)
	})
	return s.cal, s.calErr
}

// gradeCounts returns the rows per grade: the master scale's grades in scale order, then
// grades off the scale in name order.
func (s *Summary) gradeCounts() []float64 {
	counts := make([]float64, 0, len(s.grades))
	for k := range s.scaleLen {
		counts = append(counts, float64(s.gradeRows[k]))
	}
	off := map[string]float64{}
	for k := s.scaleLen; k < len(s.grades); k++ {
		if s.gradeRows[k] > 0 {
			off[s.grades[k]] = float64(s.gradeRows[k])
		}
	}
	for _, g := range slices.Sorted(maps.Keys(off)) {
		counts = append(counts, off[g])
	}
	return counts
}

// SummaryBuilder summarises a sample batch by batch (Add), with memory that does not grow
// with the rows beyond a million of them when it has a spill: the PDs of each further
// million rows are sorted and go to the spill file, to be merged in order when the figures
// are computed. Add batches from one goroutine at a time; the summary does not depend on
// the order of the rows or of the batches.
type SummaryBuilder struct {
	s     *Summary
	index map[string]int
	attrs []int // attributes per characteristic; nil: no attribute counts
	err   error
	// started says a batch was added, withPD and withGrade whether it had PDs and grades.
	started, withPD, withGrade bool
}

// NewSummaryBuilder returns a builder for a sample scored with sc: grades are indexed from
// sc's master scale, and with attrs the rows of each attribute of each of sc's
// characteristics are counted (Sample.Attr). sc may be nil: no scale and no attribute
// counts. spill, when not nil, takes the PDs beyond a million rows; without it they stay
// in memory.
func NewSummaryBuilder(sc *scorecard.Scorecard, attrs bool, spill *frame.Spill) *SummaryBuilder {
	var scale []string
	var counts []int
	if sc != nil {
		for _, g := range sc.Grades {
			scale = append(scale, g.Name)
		}
		if attrs {
			counts = make([]int, len(sc.Characteristics))
			for c, ch := range sc.Characteristics {
				counts[c] = len(ch.Attributes)
			}
		}
	}
	s := &Summary{grades: scale, scaleLen: len(scale)}
	s.pds = &pdSorter{spill: spill, runRows: pdRunRows}
	b := &SummaryBuilder{s: s, index: map[string]int{}, attrs: counts}
	for k, g := range scale {
		b.index[g] = k
	}
	if counts != nil {
		s.attr = make([][]float64, len(counts))
		for c, n := range counts {
			s.attr[c] = make([]float64, n)
		}
	}
	return b
}

// Add summarises the rows of batch (its Name is ignored): Score and Bad for every row,
// PD and Grade for every row or for none (the same in every batch), Attr when the builder
// counts attributes.
func (b *SummaryBuilder) Add(batch Sample) error {
	if b.err != nil {
		return b.err
	}
	if err := b.add(batch); err != nil {
		b.err = fmt.Errorf("summary: %w", err)
	}
	return b.err
}

func (b *SummaryBuilder) add(r Sample) error {
	n := len(r.Score)
	s := b.s
	switch {
	case len(r.Bad) != n:
		return fmt.Errorf("%d scores but %d labels", n, len(r.Bad))
	case r.PD != nil && len(r.PD) != n:
		return fmt.Errorf("%d scores but %d PDs", n, len(r.PD))
	case r.Grade != nil && len(r.Grade) != n:
		return fmt.Errorf("%d scores but %d grades", n, len(r.Grade))
	case b.started && (r.PD != nil) != b.withPD:
		return errors.New("PDs in some batches only")
	case b.started && (r.Grade != nil) != b.withGrade:
		return errors.New("grades in some batches only")
	case b.attrs != nil && len(r.Attr) != len(b.attrs):
		return fmt.Errorf("attribute indices for %d characteristics, want %d", len(r.Attr), len(b.attrs))
	}
	b.started, b.withPD, b.withGrade = true, r.PD != nil, r.Grade != nil
	for c := range s.attr { // none when the builder counts no attributes
		idx, counts := r.Attr[c], s.attr[c]
		if len(idx) != n {
			return fmt.Errorf("%d attribute indices of characteristic %d for %d rows", len(idx), c, n)
		}
		for k, a := range idx {
			if int(a) >= len(counts) {
				return fmt.Errorf("attribute %d of characteristic %d at row %d is out of range [0, %d)", a, c, k, len(counts))
			}
			counts[a]++
		}
	}
	var grades []int
	if r.Grade != nil {
		if s.gradeRows == nil {
			s.gradeRows = make([]int, len(s.grades))
		}
		grades = make([]int, n)
		for i, g := range r.Grade {
			k := b.gradeIndex(g)
			grades[i] = k
			s.gradeRows[k]++
		}
	}
	for i, score := range r.Score {
		s.scores.Add(score, r.Bad[i])
		if r.PD != nil {
			p := r.PD[i]
			if !(p >= 0 && p <= 1) {
				return fmt.Errorf("PD %v is not a probability", p)
			}
			g := -1
			if grades != nil {
				g = grades[i]
			}
			if g >= math.MaxUint16/2 {
				return fmt.Errorf("more than %d grades", math.MaxUint16/2)
			}
			s.pds.add(p, r.Bad[i], g)
		}
	}
	return s.scores.Err()
}

// Merge adds what o summarised to b, as if o's batches had been added to b: builders of
// one sample, made alike, may summarise parts of it on several goroutines and be merged
// in any order. o must not be used after.
func (b *SummaryBuilder) Merge(o *SummaryBuilder) error {
	switch {
	case b.err != nil:
		return b.err
	case o.err != nil:
		b.err = o.err
		return b.err
	case !o.started:
		return nil
	case !b.started:
		b.started, b.withPD, b.withGrade = true, o.withPD, o.withGrade
	case b.withPD != o.withPD || b.withGrade != o.withGrade:
		b.err = errors.New("summary: merging a sample with PDs or grades into one without")
		return b.err
	}
	if len(b.attrs) != len(o.attrs) {
		b.err = errors.New("summary: merging builders of different scorecards")
		return b.err
	}
	s, os := b.s, o.s
	s.scores.Merge(&os.scores)
	for c, counts := range os.attr {
		for a, n := range counts {
			s.attr[c][a] += n
		}
	}
	// o's grades by name: the ones off the scale may have come in another order.
	remap := make([]int, len(os.grades))
	for k, g := range os.grades {
		remap[k] = b.gradeIndex(g)
	}
	if os.gradeRows != nil {
		if s.gradeRows == nil {
			s.gradeRows = make([]int, len(s.grades))
		}
		for k, n := range os.gradeRows {
			s.gradeRows[remap[k]] += n
		}
	}
	return b.s.pds.merge(os.pds, remap)
}

// gradeIndex returns the index of grade g, adding it to the grades when it is new.
func (b *SummaryBuilder) gradeIndex(g string) int {
	k, ok := b.index[g]
	if !ok {
		s := b.s
		k = len(s.grades)
		b.index[g] = k
		s.grades = append(s.grades, g)
		if s.gradeRows != nil {
			s.gradeRows = append(s.gradeRows, 0)
		}
	}
	return k
}

// Rows returns the number of rows added so far.
func (b *SummaryBuilder) Rows() int { return b.s.Rows() }

// Summary finishes the summary. The builder must not be used after.
func (b *SummaryBuilder) Summary() (*Summary, error) {
	if b.err != nil {
		return nil, b.err
	}
	if err := b.s.pds.finish(); err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	if !b.withPD {
		b.s.pds = nil
	}
	var err error
	if b.s.values, b.s.valueRows, b.s.valueBads, err = b.s.scores.Values(); err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	return b.s, nil
}

// pdRunRows is the number of PDs sorted in memory before they go to the spill as a run.
const pdRunRows = 1 << 20

// pdEntry is one row's PD (its float bits: PDs are not negative, so the bits sort as the
// numbers do) with its grade and label (grade+1 << 1 | bad).
type pdEntry struct {
	key  uint64
	meta uint16
}

const pdEntryBytes = 10

func comparePD(a, b pdEntry) int {
	return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.meta, b.meta))
}

// sortPD sorts entries by key, then meta: an LSD radix sort by bytes (meta's two, then
// key's eight), skipping the bytes on which all entries agree.
func sortPD(es []pdEntry) {
	if len(es) < 256 {
		slices.SortFunc(es, comparePD)
		return
	}
	tmp := make([]pdEntry, len(es))
	src, dst := es, tmp
	digit := func(e pdEntry, d int) byte {
		if d < 2 {
			return byte(e.meta >> (8 * d))
		}
		return byte(e.key >> (8 * (d - 2)))
	}
	for d := range 10 {
		var count [256]int
		for _, e := range src {
			count[digit(e, d)]++
		}
		if count[digit(src[0], d)] == len(src) {
			continue
		}
		pos := 0
		for b, c := range count {
			count[b] = pos
			pos += c
		}
		for _, e := range src {
			b := digit(e, d)
			dst[count[b]] = e
			count[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &es[0] {
		copy(es, src)
	}
}

// pdSorter sorts the PDs of a sample's rows: up to pdRunRows in memory, beyond that in
// sorted runs on the spill (in memory without one), merged when read.
type pdSorter struct {
	spill   *frame.Spill
	runRows int // pdRunRows, or fewer in tests
	buf     []pdEntry
	runs    []pdRun
	mem     [][]pdEntry // sorted runs kept in memory (no spill)
}

// pdRun is a sorted run on the spill: n entries at offset at.
type pdRun struct {
	at int64
	n  int
}

func (p *pdSorter) add(pd float64, bad int8, grade int) {
	if pd == 0 {
		pd = 0 // −0
	}
	if len(p.buf) == cap(p.buf) { // double up to a run: append grows large slices by a quarter
		p.buf = slices.Grow(p.buf, min(max(len(p.buf), 1024), p.runRows-len(p.buf)))
	}
	p.buf = append(p.buf, pdEntry{key: math.Float64bits(pd), meta: uint16(grade+1)<<1 | uint16(bad)})
	if len(p.buf) == p.runRows {
		p.flush()
	}
}

// flush sorts the buffered entries and moves them to a run.
func (p *pdSorter) flush() {
	if len(p.buf) == 0 {
		return
	}
	sortPD(p.buf)
	if p.spill == nil {
		p.mem = append(p.mem, p.buf)
		p.buf = nil
		return
	}
	b := make([]byte, len(p.buf)*pdEntryBytes)
	for i, e := range p.buf {
		binary.LittleEndian.PutUint64(b[i*pdEntryBytes:], e.key)
		binary.LittleEndian.PutUint16(b[i*pdEntryBytes+8:], e.meta)
	}
	p.runs = append(p.runs, pdRun{at: p.spill.Write(b), n: len(p.buf)})
	p.buf = p.buf[:0]
}

// merge takes o's rows, their grades renumbered by remap, as runs of p's.
func (p *pdSorter) merge(o *pdSorter, remap []int) error {
	identity := true
	for k, g := range remap {
		identity = identity && k == g
	}
	if !identity {
		if len(o.runs) > 0 {
			return errors.New("summary: merging PDs on a spill whose grades are numbered otherwise")
		}
		renumber := func(es []pdEntry) {
			for i, e := range es {
				if g := int(e.meta>>1) - 1; g >= 0 {
					es[i].meta = uint16(remap[g]+1)<<1 | e.meta&1
				}
			}
		}
		renumber(o.buf)
		for _, r := range o.mem {
			renumber(r)
			sortPD(r)
		}
	}
	p.runs = append(p.runs, o.runs...)
	p.mem = append(p.mem, o.mem...)
	for _, e := range o.buf {
		p.buf = append(p.buf, e)
		if len(p.buf) == p.runRows {
			p.flush()
		}
	}
	o.buf, o.mem, o.runs = nil, nil, nil
	return nil
}

// finish sorts what is buffered: a sample that fits one run stays in memory.
func (p *pdSorter) finish() error {
	if len(p.runs) > 0 || len(p.mem) > 0 {
		p.flush()
		p.buf = nil
	} else {
		sortPD(p.buf)
		p.mem, p.buf = [][]pdEntry{p.buf}, nil
	}
	if p.spill != nil {
		return p.spill.Err()
	}
	return nil
}

// counts yields the PDs in increasing order, counted by PD and grade.
func (p *pdSorter) counts() iter.Seq2[metrics.PDCount, error] {
	return func(yield func(metrics.PDCount, error) bool) {
		var m pdMerge
		for _, r := range p.mem {
			m.add(&pdCursor{mem: r})
		}
		for _, r := range p.runs {
			m.add(&pdCursor{spill: p.spill, run: r})
		}
		heap.Init(&m)
		var cur metrics.PDCount
		var curKey uint64
		have := false
		for m.Len() > 0 {
			c := m.cursors[0]
			e := c.head
			grade := int(e.meta>>1) - 1
			if have && (e.key != curKey || grade != cur.Grade) {
				if !yield(cur, nil) {
					return
				}
				have = false
			}
			if !have {
				cur, curKey, have = metrics.PDCount{PD: math.Float64frombits(e.key), Grade: grade}, e.key, true
			}
			if e.meta&1 == 1 {
				cur.Bads++
			} else {
				cur.Goods++
			}
			if c.next() {
				heap.Fix(&m, 0)
			} else {
				heap.Pop(&m)
			}
		}
		if p.spill != nil {
			if err := p.spill.Err(); err != nil {
				yield(metrics.PDCount{}, fmt.Errorf("PDs on local disk: %w", err))
				return
			}
		}
		if have {
			yield(cur, nil)
		}
	}
}

// pdCursor reads a sorted run, a block at a time when it is on the spill.
type pdCursor struct {
	mem   []pdEntry
	spill *frame.Spill
	run   pdRun
	read  int       // entries of the run read from the spill
	block []pdEntry // what is left of the block read last
	buf   []pdEntry // the block's storage
	raw   []byte
	head  pdEntry
}

const pdBlock = 4096

// next moves to the next entry and reports whether there is one.
func (c *pdCursor) next() bool {
	if c.spill == nil {
		if len(c.mem) == 0 {
			return false
		}
		c.head, c.mem = c.mem[0], c.mem[1:]
		return true
	}
	if len(c.block) == 0 {
		m := min(pdBlock, c.run.n-c.read)
		if m == 0 {
			return false
		}
		if c.raw == nil {
			c.raw = make([]byte, pdBlock*pdEntryBytes)
			c.buf = make([]pdEntry, pdBlock)
		}
		raw := c.raw[:m*pdEntryBytes]
		c.spill.ReadAt(raw, c.run.at+int64(c.read*pdEntryBytes))
		c.read += m
		c.block = c.buf[:m]
		for i := range c.block {
			c.block[i] = pdEntry{key: binary.LittleEndian.Uint64(raw[i*pdEntryBytes:]), meta: binary.LittleEndian.Uint16(raw[i*pdEntryBytes+8:])}
		}
	}
	c.head, c.block = c.block[0], c.block[1:]
	return true
}

// pdMerge is a heap of run cursors by their head entry.
type pdMerge struct{ cursors []*pdCursor }

func (m *pdMerge) add(c *pdCursor) {
	if c.next() {
		m.cursors = append(m.cursors, c)
	}
}

func (m *pdMerge) Len() int           { return len(m.cursors) }
func (m *pdMerge) Less(i, j int) bool { return comparePD(m.cursors[i].head, m.cursors[j].head) < 0 }
func (m *pdMerge) Swap(i, j int)      { m.cursors[i], m.cursors[j] = m.cursors[j], m.cursors[i] }
func (m *pdMerge) Push(x any)         { m.cursors = append(m.cursors, x.(*pdCursor)) }
func (m *pdMerge) Pop() any {
	c := m.cursors[len(m.cursors)-1]
	m.cursors = m.cursors[:len(m.cursors)-1]
	return c
}
