package train

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Key sets: the mergeable sketch of a numeric variable that sharded training is built on.
//
// Binning needs, per numeric variable, the goods and bads of the train sample at each
// distinct value, in order. A table split over shards cannot ship its distinct values when
// there are millions of them, so a variable is summarised by its key set over all used rows:
// its distinct values while there are at most KeyCap of them (exact), else buckets of values
// that share the top bits of their sort key (sortKey(v) >> shift, 24 bits at first, fewer
// until at most KeyCap buckets are occupied). A bucket never straddles a cut — a manual
// break of the variable, or the bounds of a special value, which thus keeps a bucket of its
// own — and stands for its smallest value. Binning then runs on the key set: pre-bin edges
// are smallest values of buckets, so every value of a bucket falls in the bucket's bin, and
// the per-bin counts are exact.
//
// The resolution is a function of the set of values alone (the finest of exact, 40, 41, …,
// 63 that holds at most KeyCap keys), never of how the rows were split: a shard's key set is
// at least as fine as the table's, the commit coarsens the shards' sets to the finest
// resolution their union allows, and one process gets the same keys, smallest values and
// therefore the same model as any number of shards.

// KeyCap is the most keys a numeric variable's key set holds: a row's key, one more than
// its index (0 is missing), fits in 16 bits.
const KeyCap = 1<<16 - 1

// firstShift is the first bucketed resolution: sort keys shifted right by 40 bits keep the
// sign, the exponent and 12 bits of mantissa, values within 1/4096 of each other.
const firstShift = 40

// maxCuts is the most cuts a variable may have: a bucketed key holds its cut segment in 8
// bits.
const maxCuts = 255

// keySet is the key set of a numeric variable: its keys ascending, with each key's smallest
// value and row count (missing values are not keys).
type keySet struct {
	shift  uint8 // 0: exact values; else the bucket resolution
	keys   []uint64
	mins   []float64
	counts []int64
	cuts   []float64 // ascending: no bucket straddles one
}

// keyCuts returns the cuts of a variable: its manual breaks, and each special value s as
// [s, the next float64 above s), so that a special value keeps a key of its own.
func keyCuts(breaks, special []float64) ([]float64, error) {
	var cuts []float64
	cuts = append(cuts, breaks...)
	for _, s := range special {
		cuts = append(cuts, s, math.Nextafter(s, math.Inf(1)))
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	if len(cuts) > maxCuts {
		return nil, fmt.Errorf("%d manual breaks and special values: at most %d", len(cuts), maxCuts/2)
	}
	return cuts, nil
}

// keyOf returns the key of v (not NaN) at resolution shift.
func keyOf(v float64, shift uint8, cuts []float64) uint64 {
	v += 0 // −0 and 0 are one value
	if shift == 0 {
		return sortKey(v)
	}
	seg := sort.Search(len(cuts), func(i int) bool { return cuts[i] > v }) // cuts ≤ v
	return uint64(seg)<<56 | sortKey(v)>>shift
}

// rekey returns the key at resolution to (≥ from) of a key at resolution from whose
// smallest value is min.
func rekey(k uint64, min float64, from, to uint8, cuts []float64) uint64 {
	if from == to {
		return k
	}
	if from == 0 {
		return keyOf(min, to, cuts)
	}
	const low = 1<<56 - 1
	return k&^low | (k&low)>>(to-from)
}

// newKeySet builds the key set of the values each walks — every distinct value (not NaN)
// once, ascending, with its row count — walking them twice when they are more than KeyCap.
func newKeySet(each func(fn func(v float64, n int64)), cuts []float64) *keySet {
	if distinctValues(each) > KeyCap {
		return bucketKeySet(each, cuts)
	}
	ks := &keySet{cuts: cuts}
	each(func(v float64, n int64) { ks.add(sortKey(v+0), v+0, n) })
	return ks
}

// distinctValues counts the values each walks.
func distinctValues(each func(fn func(v float64, n int64))) int {
	n := 0
	each(func(float64, int64) { n++ })
	return n
}

// bucketKeySet builds the bucketed key set of more than KeyCap values.
func bucketKeySet(each func(fn func(v float64, n int64)), cuts []float64) *keySet {
	ks := &keySet{shift: firstShift, cuts: cuts}
	each(func(v float64, n int64) { ks.add(keyOf(v, firstShift, cuts), v+0, n) })
	ks.fit()
	return ks
}

// add appends a key, or adds to the last when it is the same.
func (ks *keySet) add(k uint64, min float64, n int64) {
	if last := len(ks.keys) - 1; last >= 0 && ks.keys[last] == k {
		ks.counts[last] += n
		ks.mins[last] = math.Min(ks.mins[last], min)
		return
	}
	ks.keys = append(ks.keys, k)
	ks.mins = append(ks.mins, min)
	ks.counts = append(ks.counts, n)
}

// fit coarsens the set until it holds at most KeyCap keys, and returns the index of each
// former key in the coarsened set (nil when nothing changed).
func (ks *keySet) fit() []uint32 {
	var remap []uint32
	for len(ks.keys) > KeyCap {
		to := firstShift
		if ks.shift != 0 {
			to = int(ks.shift) + 1
		}
		step := ks.coarsen(uint8(to))
		if remap == nil {
			remap = step
		} else {
			for i, k := range remap {
				remap[i] = step[k]
			}
		}
	}
	return remap
}

// coarsen rekeys the set at resolution to, merging keys that fall together, and returns the
// index of each former key in the new set.
func (ks *keySet) coarsen(to uint8) []uint32 {
	remap := make([]uint32, len(ks.keys))
	keys, mins, counts := ks.keys, ks.mins, ks.counts
	out := &keySet{shift: to, cuts: ks.cuts, keys: keys[:0], mins: mins[:0], counts: counts[:0]}
	for i := range keys {
		k, m, n := rekey(keys[i], mins[i], ks.shift, to, ks.cuts), mins[i], counts[i]
		out.add(k, m, n) // writes at or before i: the slices are shared
		remap[i] = uint32(len(out.keys) - 1)
	}
	*ks = *out
	return remap
}

// index returns the index of v's key (v not NaN), or −1 when the set has none.
func (ks *keySet) index(v float64) int {
	k := keyOf(v, ks.shift, ks.cuts)
	i, ok := slices.BinarySearch(ks.keys, k)
	if !ok {
		return -1
	}
	return i
}

// mergeKeySets returns the key set of the union of the values of sets (all with the same
// cuts) and, per set, the index in it of each of the set's keys.
func mergeKeySets(sets []*keySet) (*keySet, [][]uint32) {
	var shift uint8
	for _, s := range sets {
		shift = max(shift, s.shift)
	}
	// Each set's keys at the common resolution, still ascending.
	type item struct {
		key uint64
		min float64
		n   int64
		set int
		at  int
	}
	var items []item
	for si, s := range sets {
		for i, k := range s.keys {
			items = append(items, item{rekey(k, s.mins[i], s.shift, shift, s.cuts), s.mins[i], s.counts[i], si, i})
		}
	}
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(a.key, b.key) })
	out := &keySet{shift: shift}
	if len(sets) > 0 {
		out.cuts = sets[0].cuts
	}
	remaps := make([][]uint32, len(sets))
	for si, s := range sets {
		remaps[si] = make([]uint32, len(s.keys))
	}
	for _, it := range items {
		out.add(it.key, it.min, it.n)
		remaps[it.set][it.at] = uint32(len(out.keys) - 1)
	}
	if step := out.fit(); step != nil {
		for _, r := range remaps {
			for i, k := range r {
				r[i] = step[k]
			}
		}
	}
	return out, remaps
}

// keyHistogram is the train sample of a numeric variable over its key set: per key with
// train rows, the key's smallest value and its goods and bads, ascending.
type keyHistogram struct {
	values []float64
	goods  []int
	bads   []int
}

func (h *keyHistogram) each(fn func(v float64, goods, bads int)) {
	for i, v := range h.values {
		fn(v, h.goods[i], h.bads[i])
	}
}

// histogramOf returns the train histogram over ks of a distribution of train rows.
func (ks *keySet) histogramOf(d valueCounts) *keyHistogram {
	h := &keyHistogram{}
	at := -1
	d.each(func(v float64, g, b int) {
		k := keyOf(v, ks.shift, ks.cuts)
		for at < 0 || ks.keys[at] != k {
			at++ // the keys are ascending, as are the values; every value has a key
		}
		if n := len(h.values); n > 0 && h.values[n-1] == ks.mins[at] {
			h.goods[n-1] += g
			h.bads[n-1] += b
			return
		}
		h.values = append(h.values, ks.mins[at])
		h.goods = append(h.goods, g)
		h.bads = append(h.bads, b)
	})
	return h
}

// histogramOfCodes returns the train histogram over ks from goods and bads per key.
func (ks *keySet) histogramOfCodes(goods, bads []int) *keyHistogram {
	h := &keyHistogram{}
	for i := range ks.keys {
		if goods[i]+bads[i] > 0 {
			h.values = append(h.values, ks.mins[i])
			h.goods = append(h.goods, goods[i])
			h.bads = append(h.bads, bads[i])
		}
	}
	return h
}

// trainValues returns the train values of a numeric candidate over rows (the train rows,
// labelled y): its exact distribution, or its histogram over the key set of all used rows
// when these hold more than KeyCap distinct values; and the goods and bads of its missing
// values. other lists the used rows outside the train sample.
func (s *binScratch) trainValues(c *Candidate, rows, other []int32, y []int8, breaks, special []float64) (valueCounts, [2]int, error) {
	cuts, err := keyCuts(breaks, special)
	if err != nil {
		return nil, [2]int{}, err
	}
	if c.keys != nil { // an assembled table: the keys of the rows' values
		if !slices.Equal(c.keys.cuts, cuts) {
			return nil, [2]int{}, fmt.Errorf("the shards cut the values at %v, the job spec at %v", c.keys.cuts, cuts)
		}
		nk := len(c.keys.keys) + 1
		goods, bads := make([]int, nk), make([]int, nk)
		codes := slices.Grow(s.codes[:0], decodeChunk)[:decodeChunk]
		for start := 0; start < len(rows); start += decodeChunk {
			part := rows[start:min(start+decodeChunk, len(rows))]
			c.codes.Gather(codes[:len(part)], part)
			for k, code := range codes[:len(part)] {
				if y[start+k] == 1 {
					bads[code]++
				} else {
					goods[code]++
				}
			}
		}
		s.codes = codes
		return c.keys.histogramOfCodes(goods[1:], bads[1:]), [2]int{goods[0], bads[0]}, nil
	}
	d := s.distribution(c.Num, rows, y)
	if len(s.zeros) < len(other) {
		s.zeros = make([]int8, len(other))
	}
	var o distribution
	o.tally = map[float64][2]int{}
	s.restOther, o.rest = c.Num.Tally(other, s.zeros[:len(other)], o.tally, s.restOther, &o.missing)
	o.finish()
	all := eachOfBoth(d, &o)
	if distinctValues(all) <= KeyCap {
		return d, d.missing, nil
	}
	return bucketKeySet(all, cuts).histogramOf(d), d.missing, nil
}
