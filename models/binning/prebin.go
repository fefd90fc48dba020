package binning

import (
	"math"
	"math/bits"
	"slices"
)

// QuantileEdges is step 1 for a numeric variable: it returns the candidate
// edges, strictly increasing and finite, at the quantiles q/P (q = 1…P−1,
// P = cfg.PreBins) of the values of x that are neither NaN nor one of
// cfg.Special. Each edge is an observed value and the pre-bin boundary lies just
// before it, so equal values always share a pre-bin; repeated quantiles give one
// edge and an edge at the minimum (an empty first pre-bin) is dropped. The
// quantile of rank r is the r-th smallest value (from 0), r = ⌊q·m/P⌋ for m
// usable values. x is not modified.
//
// The quantiles are exact and found without sorting: a first pass counts the
// values per radix bucket (the top 16 bits of an order-preserving key), a
// second copies out only the buckets that hold a wanted rank, and a
// quickselect finds the ranks inside them.
func QuantileEdges(x []float64, cfg Config) ([]float64, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	special := cfg.Special
	hist := make([]int, 1<<radixBits)
	m := 0
	lowest := math.Inf(1)
	for _, v := range x {
		if v != v || isSpecial(v, special) {
			continue
		}
		lowest = min(lowest, v)
		hist[radixBucket(v)]++
		m++
	}
	if m < 2 {
		return nil, nil
	}
	p := min(cfg.PreBins, m)
	ranks := make([]int, 0, p-1)
	for q := 1; q < p; q++ {
		r := q * m / p
		if len(ranks) == 0 || r > ranks[len(ranks)-1] {
			ranks = append(ranks, r)
		}
	}

	// The buckets holding the ranks, with the ranks relative to each bucket.
	type bucket struct {
		values []float64
		ranks  []int
	}
	var buckets []bucket
	slot := make([]uint8, 1<<radixBits) // bucket → 1 + index into buckets, 0 if not wanted
	below := 0                          // values in the buckets before b
	next := 0                           // next rank to place
	for b, n := range hist {
		if next == len(ranks) {
			break
		}
		if ranks[next] >= below+n {
			below += n
			continue
		}
		bk := bucket{values: make([]float64, 0, n)}
		for next < len(ranks) && ranks[next] < below+n {
			bk.ranks = append(bk.ranks, ranks[next]-below)
			next++
		}
		buckets = append(buckets, bk)
		slot[b] = uint8(len(buckets))
		below += n
	}
	for _, v := range x {
		if v != v || isSpecial(v, special) {
			continue
		}
		if s := slot[radixBucket(v)]; s != 0 {
			buckets[s-1].values = append(buckets[s-1].values, v)
		}
	}

	edges := make([]float64, 0, len(ranks))
	for _, bk := range buckets {
		multiSelect(bk.values, bk.ranks)
		for _, r := range bk.ranks {
			v := bk.values[r]
			if v <= lowest || math.IsInf(v, 0) || (len(edges) > 0 && v <= edges[len(edges)-1]) {
				continue
			}
			edges = append(edges, v+0) // +0 turns -0 into 0
		}
	}
	return edges, nil
}

// radixBits is the number of top key bits that choose a bucket in
// QuantileEdges: 16 bits are the sign, the exponent and 4 bits of mantissa,
// so a bucket spans 1/16 of a binary order of magnitude.
const radixBits = 16

// radixBucket returns the top radixBits bits of an unsigned key that orders
// like the float64 v (v not NaN; -0 and 0 share the key of 0).
func radixBucket(v float64) int {
	u := math.Float64bits(v + 0) // -0 + 0 = 0
	u ^= uint64(int64(u)>>63) | 1<<63
	return int(u >> (64 - radixBits))
}

// isSpecial reports whether v is one of the special values.
func isSpecial(v float64, special []float64) bool {
	for _, s := range special {
		if v == s {
			return true
		}
	}
	return false
}

// multiSelect rearranges a (which holds no NaN) so that a[r] is its r-th
// smallest element for every r in ranks (ascending, distinct). It is a
// deterministic quickselect that follows only the sides holding a wanted rank:
// O(n·log(len(ranks))) on average, with a fall back to sorting when the
// recursion grows too deep.
func multiSelect(a []float64, ranks []int) {
	selectRange(a, 0, len(a), ranks, 2*bits.Len(uint(len(a))))
}

func selectRange(a []float64, lo, hi int, ranks []int, depth int) {
	for len(ranks) > 0 {
		if hi-lo <= 24 {
			insertionSort(a[lo:hi])
			return
		}
		if depth == 0 {
			slices.Sort(a[lo:hi])
			return
		}
		depth--
		split := hoarePartition(a, lo, hi)
		if split <= lo || split >= hi {
			slices.Sort(a[lo:hi])
			return
		}
		// Elements of a[lo:split] are ≤ every element of a[split:hi].
		k, _ := slices.BinarySearch(ranks, split)
		left, right := ranks[:k], ranks[k:]
		if len(left) > 0 {
			selectRange(a, lo, split, left, depth)
		}
		ranks, lo = right, split
	}
}

// hoarePartition partitions a[lo:hi] around the median of its first, middle
// and last elements and returns s with a[lo:s] ≤ pivot ≤ a[s:hi]. Equal
// elements stop both scans, so long runs of ties are split evenly.
func hoarePartition(a []float64, lo, hi int) int {
	mid := lo + (hi-lo)/2
	x, y, z := a[lo], a[mid], a[hi-1]
	if x > y {
		x, y = y, x
	}
	if y > z {
		y = z
		if x > y {
			y = x
		}
	}
	pivot := y
	i, j := lo-1, hi
	for {
		for {
			i++
			if a[i] >= pivot {
				break
			}
		}
		for {
			j--
			if a[j] <= pivot {
				break
			}
		}
		if i >= j {
			return j + 1
		}
		a[i], a[j] = a[j], a[i]
	}
}

func insertionSort(a []float64) {
	for i := 1; i < len(a); i++ {
		v := a[i]
		j := i
		for j > 0 && a[j-1] > v {
			a[j] = a[j-1]
			j--
		}
		a[j] = v
	}
}
