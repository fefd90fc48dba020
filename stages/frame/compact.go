package frame

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// This file holds the compact column types a trainer keeps in memory instead of the Arrow
// table: a numeric column as scaled integers, a categorical column as dictionary codes, a text
// column as one byte buffer. They copy what they keep, so the Arrow batches they were built
// from can be released at once.

// maxScale is the largest number of decimal digits a NumericColumn chunk stores exactly.
const maxScale = 9

var pow10 = [maxScale + 1]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// NumericColumn holds float64 values compactly and losslessly. Values are appended in chunks
// (one per Append call); a chunk whose values all are k/10^d for integers k with |k| < 2^53
// and one d ≤ 9 stores k − min(k) in the narrowest of 8, 16 and 32 bits (decimal CSV text
// such as 0.352 or 120000 reads back bit for bit); other chunks keep raw float64. NaN
// (missing) is stored as the largest value of the width. A flat table of amounts, counts,
// ratios and scores typically takes 1 to 4 bytes per value instead of 8.
type NumericColumn struct {
	n      int
	chunks []numChunk
	starts []int // first row of each chunk
	ks     []int64
	spill  *Spill // where chunks go once sealed (SpillTo), nil in memory
}

type numChunk struct {
	n     int
	scale uint8
	width uint8 // bytes a value: 1, 2 or 4 (scaled integers) or 8 (raw float64)
	base  int64
	span  int64 // largest offset
	u8    []uint8
	u16   []uint16
	u32   []uint32
	raw   []float64
	// A spilled chunk has no values in memory: they lie at offset at of the spill file.
	spilled bool
	at      int64
}

// Len returns the number of values.
func (c *NumericColumn) Len() int { return c.n }

// Bytes returns the memory the values take.
func (c *NumericColumn) Bytes() int {
	b := 0
	for i := range c.chunks {
		ch := &c.chunks[i]
		b += len(ch.u8) + 2*len(ch.u16) + 4*len(ch.u32) + 8*len(ch.raw)
	}
	return b
}

// Append adds the values v (NaN = missing) as one chunk; a spilled column writes the chunk
// to its spill file at once.
func (c *NumericColumn) Append(v []float64) {
	if len(v) == 0 {
		return
	}
	c.starts = append(c.starts, c.n)
	c.chunks = append(c.chunks, c.encode(v))
	c.n += len(v)
	if c.spill != nil {
		c.spillChunk(&c.chunks[len(c.chunks)-1])
	}
}

// SpillTo moves the values of the column to s, and those of every chunk appended later as
// it is appended. The column reads back the same values, a range at a time.
func (c *NumericColumn) SpillTo(s *Spill) {
	c.spill = s
	for i := range c.chunks {
		c.spillChunk(&c.chunks[i])
	}
}

func (c *NumericColumn) spillChunk(ch *numChunk) {
	if ch.spilled {
		return
	}
	var b []byte
	switch ch.width {
	case 1:
		b = asBytes(ch.u8)
	case 2:
		b = asBytes(ch.u16)
	case 4:
		b = asBytes(ch.u32)
	default:
		b = asBytes(ch.raw)
	}
	ch.at = c.spill.Write(b)
	ch.spilled = true
	ch.u8, ch.u16, ch.u32, ch.raw = nil, nil, nil, nil
}

// view returns rows [off, off+m) of ch as a chunk of m rows whose values are in memory:
// slices of ch's own, or for a spilled chunk values read into a buffer of the spill's pool,
// returned as buf for release.
func (c *NumericColumn) view(ch *numChunk, off, m int) (v numChunk, buf *[]uint64) {
	v = numChunk{n: m, scale: ch.scale, width: ch.width, base: ch.base, span: ch.span}
	if !ch.spilled {
		switch ch.width {
		case 1:
			v.u8 = ch.u8[off : off+m]
		case 2:
			v.u16 = ch.u16[off : off+m]
		case 4:
			v.u32 = ch.u32[off : off+m]
		default:
			v.raw = ch.raw[off : off+m]
		}
		return v, nil
	}
	w := int(ch.width)
	buf = c.spill.buffer(m * w)
	c.spill.ReadAt(bytesOf(buf, m*w), ch.at+int64(off*w))
	switch w {
	case 1:
		v.u8 = asValues[uint8](buf, m)
	case 2:
		v.u16 = asValues[uint16](buf, m)
	case 4:
		v.u32 = asValues[uint32](buf, m)
	default:
		v.raw = asValues[float64](buf, m)
	}
	return v, buf
}

// done releases a buffer view returned.
func (c *NumericColumn) done(buf *[]uint64) {
	if buf != nil {
		c.spill.release(buf)
	}
}

// exact reports whether x is k/10^scale for the integer k = round(x·10^scale), |k| < 2^53,
// bit for bit (so −0 is not: it would read back as 0).
func exact(x float64, scale int) (int64, bool) {
	p := pow10[scale]
	k := math.Round(x * p)
	if !(math.Abs(k) < 1<<53) {
		return 0, false
	}
	ki := int64(k)
	return ki, math.Float64bits(float64(ki)/p) == math.Float64bits(x)
}

// encode builds the chunk of v.
func (c *NumericColumn) encode(v []float64) numChunk {
	ch := numChunk{n: len(v)}
	if cap(c.ks) < len(v) {
		c.ks = make([]int64, len(v))
	}
	ks := c.ks[:len(v)]
	scale := 0
	for i, x := range v {
		if x != x {
			continue
		}
		k, ok := exact(x, scale)
		for !ok && scale < maxScale {
			// A finer scale: the values so far stay exact with their k scaled up.
			next := scale + 1
			for ; next <= maxScale; next++ {
				if k, ok = exact(x, next); ok {
					break
				}
			}
			if !ok {
				break
			}
			f := int64(pow10[next-scale])
			for j, y := range v[:i] {
				if y == y {
					if ks[j] > (1<<53)/f || ks[j] < -(1<<53)/f {
						ok = false
						break
					}
					ks[j] *= f
				}
			}
			scale = next
		}
		if !ok {
			ch.raw, ch.width = append([]float64(nil), v...), 8
			return ch
		}
		ks[i] = k
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for i, x := range v {
		if x == x {
			lo, hi = min(lo, ks[i]), max(hi, ks[i])
		}
	}
	if lo > hi { // all missing
		lo, hi = 0, 0
	}
	ch.scale, ch.base, ch.span = uint8(scale), lo, hi-lo
	switch span := uint64(hi - lo); {
	case span < math.MaxUint8:
		ch.u8, ch.width = pack[uint8](v, ks, lo), 1
	case span < math.MaxUint16:
		ch.u16, ch.width = pack[uint16](v, ks, lo), 2
	case span < math.MaxUint32:
		ch.u32, ch.width = pack[uint32](v, ks, lo), 4
	default:
		ch.raw, ch.width = append([]float64(nil), v...), 8
	}
	return ch
}

// offset is the storage of a chunk's scaled integers; its largest value marks NaN.
type offset interface{ ~uint8 | ~uint16 | ~uint32 }

func missingOf[U offset]() U { return ^U(0) }

// pack returns k − lo for every value of v (NaN as the missing mark).
func pack[U offset](v []float64, ks []int64, lo int64) []U {
	out := make([]U, len(v))
	for i, x := range v {
		if x != x {
			out[i] = missingOf[U]()
		} else {
			out[i] = U(ks[i] - lo)
		}
	}
	return out
}

// unpack writes (base + u)/p for every u of src into dst (the missing mark as NaN).
func unpack[U offset](dst []float64, src []U, base int64, p float64) {
	nan, miss := math.NaN(), missingOf[U]()
	for i, u := range src[:len(dst)] {
		if u == miss {
			dst[i] = nan
		} else {
			dst[i] = float64(base+int64(u)) / p
		}
	}
}

// Decode writes the values of rows [start, start+len(dst)) into dst.
func (c *NumericColumn) Decode(dst []float64, start int) {
	if start < 0 || start+len(dst) > c.n {
		panic(fmt.Sprintf("frame: decode rows [%d, %d) of %d", start, start+len(dst), c.n))
	}
	ci := sort.SearchInts(c.starts, start+1) - 1
	for len(dst) > 0 {
		ch := &c.chunks[ci]
		off := start - c.starts[ci]
		m := min(len(dst), ch.n-off)
		v, buf := c.view(ch, off, m)
		v.decode(dst[:m])
		c.done(buf)
		dst, start = dst[m:], start+m
		ci++
	}
}

// decode writes the values of the chunk into dst (len(dst) ≤ n).
func (ch *numChunk) decode(dst []float64) {
	p := pow10[ch.scale]
	switch ch.width {
	case 8:
		copy(dst, ch.raw)
	case 1:
		unpack(dst, ch.u8, ch.base, p)
	case 2:
		unpack(dst, ch.u16, ch.base, p)
	default:
		unpack(dst, ch.u32, ch.base, p)
	}
}

// Map writes f(x) for the values x of rows [start, start+len(dst)) into dst. f must depend
// on x alone: it is evaluated once per distinct value of a chunk whose values are few
// (stored in 8 or 16 bits over a narrow range), else once per row.
func (c *NumericColumn) Map(dst []uint32, start int, f func(float64) uint32) {
	var vals []float64
	var table []uint32
	ci := sort.SearchInts(c.starts, start+1) - 1
	for len(dst) > 0 {
		ch := &c.chunks[ci]
		off := start - c.starts[ci]
		m := min(len(dst), ch.n-off)
		out := dst[:m]
		v, buf := c.view(ch, off, m)
		switch {
		case v.width == 1:
			table = chunkTable(table, &v, f)
			for i, u := range v.u8 {
				out[i] = table[u]
			}
		case v.width == 2 && v.span < int64(m)/4:
			table = chunkTable(table, &v, f)
			for i, u := range v.u16 {
				if u == math.MaxUint16 {
					out[i] = table[len(table)-1]
				} else {
					out[i] = table[u]
				}
			}
		default:
			vals = slices.Grow(vals[:0], m)[:m]
			v.decode(vals)
			for i, x := range vals {
				out[i] = f(x)
			}
		}
		c.done(buf)
		dst, start = dst[m:], start+m
		ci++
	}
}

// Tally counts the values of rows (ascending) by class: row rows[i] is of class class[i] (0
// or 1). The values of chunks whose values are few (stored in 8 bits, or in 16 bits over a
// narrow range) are added to counts[value][class]; those of the other chunks are copied
// out, for the caller to count (by sorting, say): class 0 to the front of buf and class 1
// to its back, buf grown once to the rows of those chunks when it is short. Missing values
// are counted apart, in missing[class]. It returns buf and the values of each class.
func (c *NumericColumn) Tally(rows []int32, class []int8, counts map[float64][2]int, buf []float64, missing *[2]int) (out []float64, rest [2][]float64) {
	wide := 0
	c.chunkParts(rows, false, func(ch *numChunk, _ int, part []int32) {
		if !ch.narrowFor(len(part)) {
			wide += len(part)
		}
	})
	if cap(buf) < wide {
		buf = make([]float64, wide)
	}
	buf = buf[:wide]
	front, back := 0, wide // class 0 values go to buf[:front], class 1 to buf[back:]
	var tally []int
	var vals []float64
	done := 0 // rows of the parts before the current one
	c.chunkParts(rows, true, func(ch *numChunk, first int, part []int32) {
		cls := class[done : done+len(part)]
		done += len(part)
		if !ch.narrowFor(len(part)) {
			vals = slices.Grow(vals[:0], ch.n)[:ch.n]
			ch.decode(vals)
			for i, r := range part {
				switch v := vals[int(r)-first]; {
				case v != v:
					missing[cls[i]]++
				case cls[i] == 0:
					buf[front] = v
					front++
				default:
					back--
					buf[back] = v
				}
			}
			return
		}
		size := 2 * (int(ch.span) + 1)
		tally = slices.Grow(tally[:0], size)[:size]
		clear(tally)
		for i, r := range part {
			var u int
			if ch.width == 1 {
				u = int(ch.u8[int(r)-first])
				if u == math.MaxUint8 {
					missing[cls[i]]++
					continue
				}
			} else {
				u = int(ch.u16[int(r)-first])
				if u == math.MaxUint16 {
					missing[cls[i]]++
					continue
				}
			}
			tally[2*u+int(cls[i])]++
		}
		p := pow10[ch.scale]
		for u := 0; u < size; u += 2 {
			if n0, n1 := tally[u], tally[u+1]; n0+n1 > 0 {
				v := float64(ch.base+int64(u/2)) / p
				a := counts[v]
				a[0] += n0
				a[1] += n1
				counts[v] = a
			}
		}
	})
	return buf, [2][]float64{buf[:front], buf[back:]}
}

// chunkParts calls fn with every chunk that holds some of rows (ascending), in order: the
// chunk's rows from the first of rows in it to the last (with load, their values in memory,
// see view; else the chunk's description alone), the row number of the first of them and
// those rows.
func (c *NumericColumn) chunkParts(rows []int32, load bool, fn func(ch *numChunk, first int, part []int32)) {
	for len(rows) > 0 {
		ci := sort.SearchInts(c.starts, int(rows[0])+1) - 1
		ch := &c.chunks[ci]
		end := c.starts[ci] + ch.n
		k := sort.Search(len(rows), func(k int) bool { return int(rows[k]) >= end })
		first, last := int(rows[0]), int(rows[k-1])
		if !load {
			fn(ch, first, rows[:k])
			rows = rows[k:]
			continue
		}
		v, buf := c.view(ch, first-c.starts[ci], last-first+1)
		fn(&v, first, rows[:k])
		c.done(buf)
		rows = rows[k:]
	}
}

// narrowFor reports whether the values of m rows of the chunk are best counted by value:
// they are stored in 8 bits, or in 16 bits over a range narrow for m rows.
func (ch *numChunk) narrowFor(m int) bool {
	return ch.width == 1 || ch.width == 2 && ch.span < int64(m)/4
}

// chunkTable returns f of every offset of a narrow chunk, and last f(NaN).
func chunkTable(table []uint32, ch *numChunk, f func(float64) uint32) []uint32 {
	n := int(ch.span) + 2
	if ch.width == 1 {
		n = math.MaxUint8 + 1
	}
	table = slices.Grow(table[:0], n)[:n]
	p := pow10[ch.scale]
	for u := range n - 1 {
		table[u] = f(float64(ch.base+int64(u)) / p)
	}
	table[n-1] = f(math.NaN())
	return table
}

// Codes is a column of small non-negative integers (dictionary codes, bin indices) stored in
// the narrowest of 8, 16 and 32 bits that holds the largest value so far, in blocks of
// 65,536, so that a growing column never copies itself whole. A spilled column (SpillTo)
// keeps its last block in memory and the others in the spill file.
type Codes struct {
	n   int
	u8  [][]uint8
	u16 [][]uint16
	u32 [][]uint32

	spill *Spill
	disk  []diskBlock // per block: where a spilled block lies
}

// diskBlock is where a spilled block of Codes lies, with the width it was written in (0:
// the block is in memory).
type diskBlock struct {
	at    int64
	width uint8
}

const (
	codeBlockBits = 16
	codeBlock     = 1 << codeBlockBits
)

// NewCodes returns n zero codes wide enough for values up to maxValue, for Set.
func NewCodes(n int, maxValue uint32) *Codes { return NewCodesIn(n, maxValue, nil) }

// NewCodesIn is NewCodes with the codes spilled to s (when not nil) as they are made: the
// column never holds more than one block in memory.
func NewCodesIn(n int, maxValue uint32, s *Spill) *Codes {
	c := &Codes{spill: s}
	c.widen(maxValue)
	c.grow(n)
	return c
}

// Len returns the number of codes.
func (c *Codes) Len() int { return c.n }

// Bytes returns the memory the codes take.
func (c *Codes) Bytes() int {
	b := 0
	for _, x := range c.u8 {
		b += len(x)
	}
	for _, x := range c.u16 {
		b += 2 * len(x)
	}
	for _, x := range c.u32 {
		b += 4 * len(x)
	}
	return b
}

func (c *Codes) width() int {
	switch {
	case c.u32 != nil:
		return 4
	case c.u16 != nil:
		return 2
	}
	return 1
}

// widen converts the storage to a width that holds v.
func (c *Codes) widen(v uint32) {
	switch w := c.width(); {
	case v > math.MaxUint16 && w < 4:
		c.u32 = convertBlocks[uint32](c.u8, c.u16)
		c.u8, c.u16 = nil, nil
	case v > math.MaxUint8 && w < 2:
		c.u16 = convertBlocks[uint16](c.u8, nil)
		c.u8 = nil
	}
}

func convertBlocks[U uint16 | uint32](b8 [][]uint8, b16 [][]uint16) [][]U {
	out := [][]U{}
	for _, b := range b8 {
		if b == nil { // spilled
			out = append(out, nil)
			continue
		}
		o := make([]U, len(b), codeBlock)
		for i, v := range b {
			o[i] = U(v)
		}
		out = append(out, o)
	}
	for _, b := range b16 {
		if b == nil {
			out = append(out, nil)
			continue
		}
		o := make([]U, len(b), codeBlock)
		for i, v := range b {
			o[i] = U(v)
		}
		out = append(out, o)
	}
	return out
}

// grow adds k zero codes.
func (c *Codes) grow(k int) {
	for k > 0 {
		last := c.n & (codeBlock - 1)
		if last == 0 {
			if c.spill != nil && c.n > 0 {
				c.spillBlock(c.n>>codeBlockBits - 1)
			}
			switch c.width() {
			case 1:
				c.u8 = append(c.u8, make([]uint8, 0, codeBlock))
			case 2:
				c.u16 = append(c.u16, make([]uint16, 0, codeBlock))
			default:
				c.u32 = append(c.u32, make([]uint32, 0, codeBlock))
			}
		}
		m := min(k, codeBlock-last)
		b := c.n >> codeBlockBits
		switch c.width() {
		case 1:
			c.u8[b] = c.u8[b][:last+m]
		case 2:
			c.u16[b] = c.u16[b][:last+m]
		default:
			c.u32[b] = c.u32[b][:last+m]
		}
		c.n += m
		k -= m
	}
}

// Append adds v, widening the storage when v does not fit.
func (c *Codes) Append(v uint32) {
	c.widen(v)
	c.grow(1)
	c.Set(c.n-1, v)
}

// AppendAll adds the codes vs.
func (c *Codes) AppendAll(vs []uint32) {
	hi := uint32(0)
	for _, v := range vs {
		hi = max(hi, v)
	}
	c.widen(hi)
	start := c.n
	c.grow(len(vs))
	c.SetAll(start, vs)
}

// eachBlock calls fn for every block b that rows [start, start+n) touch, with the offset in
// the block of the first of them and their range [lo, hi) relative to start.
func eachBlock(start, n int, fn func(b, off, lo, hi int)) {
	for lo := 0; lo < n; {
		i := start + lo
		off := i & (codeBlock - 1)
		hi := min(n, lo+codeBlock-off)
		fn(i>>codeBlockBits, off, lo, hi)
		lo = hi
	}
}

// SpillTo moves every full block of the codes to s, and every block filled later as the
// column grows past it. The column reads back the same codes, and Set and SetAll write
// through to the file; a value set in a block spilled before the column widened must fit
// the width the block was written in.
func (c *Codes) SpillTo(s *Spill) {
	c.spill = s
	for b := range c.n >> codeBlockBits {
		c.spillBlock(b)
	}
}

// spillBlock writes block b to the spill file and drops it from memory.
func (c *Codes) spillBlock(b int) {
	if b < len(c.disk) && c.disk[b].width != 0 {
		return
	}
	for len(c.disk) <= b {
		c.disk = append(c.disk, diskBlock{})
	}
	d := diskBlock{width: uint8(c.width())}
	switch d.width {
	case 1:
		d.at = c.spill.Write(asBytes(c.u8[b]))
		c.u8[b] = nil
	case 2:
		d.at = c.spill.Write(asBytes(c.u16[b]))
		c.u16[b] = nil
	default:
		d.at = c.spill.Write(asBytes(c.u32[b]))
		c.u32[b] = nil
	}
	c.disk[b] = d
}

// onDisk returns where block b lies when it is spilled.
func (c *Codes) onDisk(b int) (diskBlock, bool) {
	if b < len(c.disk) && c.disk[b].width != 0 {
		return c.disk[b], true
	}
	return diskBlock{}, false
}

// readDisk writes the codes [off, off+len(dst)) of the spilled block d into dst.
func (c *Codes) readDisk(d diskBlock, off int, dst []uint32) {
	w, m := int(d.width), len(dst)
	buf := c.spill.buffer(m * w)
	defer c.spill.release(buf)
	c.spill.ReadAt(bytesOf(buf, m*w), d.at+int64(off*w))
	switch w {
	case 1:
		for i, v := range asValues[uint8](buf, m) {
			dst[i] = uint32(v)
		}
	case 2:
		for i, v := range asValues[uint16](buf, m) {
			dst[i] = uint32(v)
		}
	default:
		copy(dst, asValues[uint32](buf, m))
	}
}

// writeDisk sets the codes [off, off+len(vs)) of the spilled block d to vs.
func (c *Codes) writeDisk(d diskBlock, off int, vs []uint32) {
	w, m := int(d.width), len(vs)
	buf := c.spill.buffer(m * w)
	defer c.spill.release(buf)
	limit := uint32(1)<<(8*w) - 1
	if w == 4 {
		limit = math.MaxUint32
	}
	for _, v := range vs {
		if v > limit {
			panic(fmt.Sprintf("frame: code %d set in a block spilled %d bytes wide", v, w))
		}
	}
	switch w {
	case 1:
		out := asValues[uint8](buf, m)
		for i, v := range vs {
			out[i] = uint8(v)
		}
	case 2:
		out := asValues[uint16](buf, m)
		for i, v := range vs {
			out[i] = uint16(v)
		}
	default:
		copy(asValues[uint32](buf, m), vs)
	}
	c.spill.rewrite(bytesOf(buf, m*w), d.at+int64(off*w))
}

// Set sets code i to v, which must fit the current width. Distinct i may be set
// concurrently.
func (c *Codes) Set(i int, v uint32) {
	b, o := i>>codeBlockBits, i&(codeBlock-1)
	if d, ok := c.onDisk(b); ok {
		c.writeDisk(d, o, []uint32{v})
		return
	}
	switch {
	case c.u8 != nil:
		c.u8[b][o] = uint8(v)
	case c.u16 != nil:
		c.u16[b][o] = uint16(v)
	default:
		c.u32[b][o] = v
	}
}

// At returns code i.
func (c *Codes) At(i int) uint32 {
	b, o := i>>codeBlockBits, i&(codeBlock-1)
	if d, ok := c.onDisk(b); ok {
		var v [1]uint32
		c.readDisk(d, o, v[:])
		return v[0]
	}
	switch {
	case c.u8 != nil:
		return uint32(c.u8[b][o])
	case c.u16 != nil:
		return uint32(c.u16[b][o])
	}
	return c.u32[b][o]
}

// Gather writes the codes of rows into dst (len(dst) ≥ len(rows)). Rows in ascending
// order are read from a spilled column a range at a time.
func (c *Codes) Gather(dst []uint32, rows []int32) {
	dst = dst[:len(rows)]
	if c.spill != nil {
		c.gatherSpilled(dst, rows)
		return
	}
	switch {
	case c.u8 != nil:
		for i, r := range rows {
			dst[i] = uint32(c.u8[r>>codeBlockBits][r&(codeBlock-1)])
		}
	case c.u16 != nil:
		for i, r := range rows {
			dst[i] = uint32(c.u16[r>>codeBlockBits][r&(codeBlock-1)])
		}
	default:
		for i, r := range rows {
			dst[i] = c.u32[r>>codeBlockBits][r&(codeBlock-1)]
		}
	}
}

// gatherSpilled is Gather for a spilled column: each run of rows in one block is decoded
// from the block's range between the run's first and last row.
func (c *Codes) gatherSpilled(dst []uint32, rows []int32) {
	buf := c.spill.buffer(4 * codeBlock)
	defer c.spill.release(buf)
	for k := 0; k < len(rows); {
		b := int(rows[k]) >> codeBlockBits
		end, lo, hi := k+1, int(rows[k]), int(rows[k])
		for end < len(rows) && int(rows[end])>>codeBlockBits == b {
			lo, hi = min(lo, int(rows[end])), max(hi, int(rows[end]))
			end++
		}
		span := asValues[uint32](buf, hi-lo+1)
		c.Decode(span, lo)
		for i, r := range rows[k:end] {
			dst[k+i] = span[int(r)-lo]
		}
		k = end
	}
}

// Decode writes the codes of rows [start, start+len(dst)) into dst.
func (c *Codes) Decode(dst []uint32, start int) {
	eachBlock(start, len(dst), func(b, off, lo, hi int) {
		out := dst[lo:hi]
		if d, ok := c.onDisk(b); ok {
			c.readDisk(d, off, out)
			return
		}
		switch {
		case c.u8 != nil:
			for i, v := range c.u8[b][off : off+len(out)] {
				out[i] = uint32(v)
			}
		case c.u16 != nil:
			for i, v := range c.u16[b][off : off+len(out)] {
				out[i] = uint32(v)
			}
		default:
			copy(out, c.u32[b][off:])
		}
	})
}

// SetAll sets codes [start, start+len(vs)) to vs, which must fit the current width.
// Disjoint ranges may be set concurrently.
func (c *Codes) SetAll(start int, vs []uint32) {
	eachBlock(start, len(vs), func(b, off, lo, hi int) {
		if d, ok := c.onDisk(b); ok {
			c.writeDisk(d, off, vs[lo:hi])
			return
		}
		switch {
		case c.u8 != nil:
			for i, v := range vs[lo:hi] {
				c.u8[b][off+i] = uint8(v)
			}
		case c.u16 != nil:
			for i, v := range vs[lo:hi] {
				c.u16[b][off+i] = uint16(v)
			}
		default:
			copy(c.u32[b][off:], vs[lo:hi])
		}
	})
}

// CategoricalColumn holds a categorical column as dictionary codes: code 0 is missing (null
// or the empty string), code c ≥ 1 is Dict[c]. Categories get codes in order of first
// appearance. Values are read as FromTable reads a categorical column.
type CategoricalColumn struct {
	// Dict lists the categories by code; Dict[0] is "" (missing).
	Dict  []string
	Codes Codes

	index map[string]uint32
	memo  map[uint64]uint32 // non-string arrays: value bits → code
	buf   []uint32
	// recent caches codes by a cheap hash of the text (length, first and last byte): a
	// column of few categories finds most of them here, without hashing the whole text.
	recent [64]recentCode
}

// recentCode is an entry of CategoricalColumn.recent.
type recentCode struct {
	text string // a Dict entry
	code uint32
	set  bool
}

// recentSlot is the slot of s in CategoricalColumn.recent.
func recentSlot(s string) int {
	if s == "" {
		return 0
	}
	return int((uint(len(s))*31 + uint(s[0])*7 + uint(s[len(s)-1])) & 63)
}

// NewCategoricalColumn returns an empty categorical column.
func NewCategoricalColumn() *CategoricalColumn {
	return &CategoricalColumn{Dict: []string{""}, index: map[string]uint32{"": 0}, memo: map[uint64]uint32{}}
}

func (c *CategoricalColumn) code(s string) uint32 {
	e := &c.recent[recentSlot(s)]
	if e.set && e.text == s {
		return e.code
	}
	k, ok := c.index[s]
	if !ok {
		s = strings.Clone(s)
		k = uint32(len(c.Dict))
		c.Dict = append(c.Dict, s)
		c.index[s] = k
	}
	*e = recentCode{text: c.Dict[k], code: k, set: true}
	return k
}

// Append adds one value (valid false, or "": missing).
func (c *CategoricalColumn) Append(s string, valid bool) {
	if !valid {
		c.Codes.Append(0)
		return
	}
	c.Codes.Append(c.code(s))
}

// memoCode returns the code of a non-string value identified by bits, computing its text
// with text the first time.
func (c *CategoricalColumn) memoCode(bits uint64, text func() string) uint32 {
	k, ok := c.memo[bits]
	if !ok {
		k = c.code(text())
		c.memo[bits] = k
	}
	return k
}

// AppendArray appends rows of a (nil: every row) to the column.
func (c *CategoricalColumn) AppendArray(a arrow.Array, rows []int) {
	n := a.Len()
	if rows != nil {
		n = len(rows)
	}
	c.buf = slices.Grow(c.buf[:0], n)[:n]
	at := func(k int) int {
		if rows == nil {
			return k
		}
		return rows[k]
	}
	switch arr := a.(type) {
	case *array.String:
		for k := range c.buf {
			if i := at(k); arr.IsValid(i) {
				c.buf[k] = c.code(arr.Value(i))
			} else {
				c.buf[k] = 0
			}
		}
	case *array.LargeString:
		for k := range c.buf {
			if i := at(k); arr.IsValid(i) {
				c.buf[k] = c.code(arr.Value(i))
			} else {
				c.buf[k] = 0
			}
		}
	case *array.Int64:
		for k := range c.buf {
			if i := at(k); arr.IsValid(i) {
				c.buf[k] = c.memoCode(uint64(arr.Value(i)), func() string { return arr.ValueStr(i) })
			} else {
				c.buf[k] = 0
			}
		}
	case *array.Date32:
		for k := range c.buf {
			if i := at(k); arr.IsValid(i) {
				c.buf[k] = c.memoCode(uint64(arr.Value(i)), func() string { return arr.Value(i).FormattedString() })
			} else {
				c.buf[k] = 0
			}
		}
	default:
		for k := range c.buf {
			if i := at(k); a.IsValid(i) {
				c.buf[k] = c.code(a.ValueStr(i))
			} else {
				c.buf[k] = 0
			}
		}
	}
	c.Codes.AppendAll(c.buf)
}

// Text returns the category of row i ("" when missing).
func (c *CategoricalColumn) Text(i int) string { return c.Dict[c.Codes.At(i)] }

// TextColumn holds one string per row in a single byte buffer (ids, for example).
type TextColumn struct {
	data  []byte
	ends  []uint32 // end of row i relative to bases[i>>textBlockBits]
	bases []int    // start of every block of 2^textBlockBits rows
	null  []bool
}

const textBlockBits = 16

// Len returns the number of rows.
func (c *TextColumn) Len() int { return len(c.ends) }

// Bytes returns the memory the column takes.
func (c *TextColumn) Bytes() int { return len(c.data) + 4*len(c.ends) + len(c.null) }

// Append adds s (valid false: null).
func (c *TextColumn) Append(s string, valid bool) {
	i := len(c.ends)
	if i&(1<<textBlockBits-1) == 0 {
		c.bases = append(c.bases, len(c.data))
	}
	c.data = append(c.data, s...)
	c.ends = append(c.ends, uint32(len(c.data)-c.bases[i>>textBlockBits]))
	c.null = append(c.null, !valid)
}

func (c *TextColumn) span(i int) (int, int) {
	base := c.bases[i>>textBlockBits]
	start := base
	if i&(1<<textBlockBits-1) != 0 {
		start = base + int(c.ends[i-1])
	}
	return start, base + int(c.ends[i])
}

// Value returns row i and whether it is valid.
func (c *TextColumn) Value(i int) (string, bool) {
	s, e := c.span(i)
	return string(c.data[s:e]), !c.null[i]
}

// Strings writes rows [start, start+len(dst)) into dst with a single allocation (nulls as
// "").
func (c *TextColumn) Strings(dst []string, start int) {
	if len(dst) == 0 {
		return
	}
	s0, _ := c.span(start)
	_, e1 := c.span(start + len(dst) - 1)
	all := string(c.data[s0:e1])
	for k := range dst {
		s, e := c.span(start + k)
		dst[k] = all[s-s0 : e-s0]
	}
}

// NumericValues converts a to float64 as FromTable converts a numeric column: nulls are NaN;
// integer, float and decimal arrays convert exactly as strconv.ParseFloat of their text. It
// appends to dst and returns it with the number of ±Inf values.
func NumericValues(dst []float64, a arrow.Array) ([]float64, int, error) {
	col := &Column{Kind: Numeric, Num: dst}
	if err := appendArray(col, a); err != nil {
		return dst, 0, err
	}
	return col.Num, col.NonFinite, nil
}

// KindOf returns the kind FromTable gives a column of type t (categorical forces
// Categorical).
func KindOf(t arrow.DataType, categorical bool) Kind {
	if isNumeric(t) && !categorical {
		return Numeric
	}
	return Categorical
}

// NewColumn returns an empty column.
func NewColumn(name string, kind Kind) *Column { return &Column{Name: name, Kind: kind} }

// AppendArray appends every row of a to c, as FromTable does.
func (c *Column) AppendArray(a arrow.Array) error { return appendArray(c, a) }

// Reset empties c and keeps its storage. Strings of a categorical column reference the Arrow
// buffers they were read from, so a column reused batch by batch must not outlive its batch.
func (c *Column) Reset() {
	c.Num, c.Str, c.Valid, c.NonFinite = c.Num[:0], c.Str[:0], c.Valid[:0], 0
}

// FormatNumber writes a numeric value as Column.Text does.
func FormatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
