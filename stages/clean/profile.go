package clean

import (
	"math"
	"math/bits"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// ColumnProfile is the data-quality profile of one column of the clean rows.
type ColumnProfile struct {
	Name     string  `json:"name"`
	Type     string  `json:"type"`
	Rows     int64   `json:"rows"`
	Nulls    int64   `json:"nulls"`
	NullRate float64 `json:"null_rate"`
	// Distinct is the number of distinct non-null values, estimated with HyperLogLog
	// (2^14 registers: standard error about 0.8%; below about 40,000 distinct values it
	// switches to linear counting, which is more precise still: counts up to a hundred, such
	// as the categories of a column, come out exact).
	Distinct int64 `json:"distinct"`
	// Min and Max are numbers for numeric columns, YYYY-MM-DD for dates, RFC 3339 for
	// timestamps and byte-wise extremes for strings; absent when every value is null.
	Min any `json:"min,omitempty"`
	Max any `json:"max,omitempty"`
	// Mean is the mean of numeric columns and the share of true for booleans.
	Mean *float64 `json:"mean,omitempty"`
}

// profileColumn profiles column col of recs.
func profileColumn(f arrow.Field, recs []arrow.Record, col int) ColumnProfile {
	pr := newProfiler(f)
	for _, rec := range recs {
		pr.add(rec.Column(col))
	}
	return pr.profile()
}

// profiler accumulates the profile of one column over its batches, in order: fed the
// batches of a table one after another it gives what profileColumn gives for all of them
// (the same sum in the same order, the same sketch).
type profiler struct {
	p        ColumnProfile
	typ      arrow.DataType
	h        hll
	sum      float64
	lo, hi   float64
	slo, shi string
	seen     bool
}

func newProfiler(f arrow.Field) *profiler {
	return &profiler{p: ColumnProfile{Name: f.Name, Type: f.Type.String()}, typ: f.Type, lo: math.Inf(1), hi: math.Inf(-1)}
}

// add profiles the values of arr.
func (pr *profiler) add(arr arrow.Array) {
	p := &pr.p
	p.Rows += int64(arr.Len())
	p.Nulls += int64(arr.NullN())
	switch a := arr.(type) {
	case *array.String:
		// The extremes of this batch point into its buffers: only the final ones are
		// copied, as the batch may be released before the profile is read.
		var lo, hi string
		seen := false
		for i := range a.Len() {
			if a.IsNull(i) {
				continue
			}
			v := a.Value(i)
			pr.h.add(hashString(v))
			if !seen || v < lo {
				lo = v
			}
			if !seen || v > hi {
				hi = v
			}
			seen = true
		}
		if seen {
			if !pr.seen || lo < pr.slo {
				pr.slo = strings.Clone(lo)
			}
			if !pr.seen || hi > pr.shi {
				pr.shi = strings.Clone(hi)
			}
			pr.seen = true
		}
	case *array.Boolean:
		for i := range a.Len() {
			if a.IsValid(i) {
				v := 0.0
				if a.Value(i) {
					v = 1
				}
				pr.h.add(mix64(uint64(v)))
				pr.sum += v
			}
		}
	default:
		get := valuesOf(arr)
		if ts, ok := arr.(*array.Timestamp); ok {
			get = func(i int) float64 { return float64(ts.Value(i)) } // milliseconds
		}
		for i := range arr.Len() {
			if arr.IsNull(i) {
				continue
			}
			v := get(i)
			pr.h.add(mix64(math.Float64bits(v + 0))) // +0: -0 and 0 are one value
			pr.sum += v
			if v < pr.lo {
				pr.lo = v
			}
			if v > pr.hi {
				pr.hi = v
			}
		}
	}
}

// profile returns the profile of the values added so far.
func (pr *profiler) profile() ColumnProfile {
	p := pr.p
	valid := p.Rows - p.Nulls
	if p.Rows > 0 {
		p.NullRate = float64(p.Nulls) / float64(p.Rows)
	}
	if valid == 0 {
		return p
	}
	p.Distinct = pr.h.estimate()
	mean := pr.sum / float64(valid)
	switch pr.typ.ID() {
	case arrow.STRING:
		p.Min, p.Max = pr.slo, pr.shi
	case arrow.BOOL:
		p.Mean = &mean
	case arrow.DATE32:
		p.Min, p.Max = dayString(pr.lo), dayString(pr.hi)
	case arrow.TIMESTAMP:
		p.Min = time.UnixMilli(int64(pr.lo)).UTC().Format(time.RFC3339Nano)
		p.Max = time.UnixMilli(int64(pr.hi)).UTC().Format(time.RFC3339Nano)
	default:
		p.Min, p.Max, p.Mean = pr.lo, pr.hi, &mean
	}
	return p
}

func dayString(d float64) string {
	return time.Unix(int64(d)*86400, 0).UTC().Format(time.DateOnly)
}

// hll is a HyperLogLog sketch with 2^14 one-byte registers (Flajolet et al. 2007, with
// the linear-counting correction for small cardinalities).
type hll struct {
	reg []uint8
}

const hllBits = 14

func (h *hll) add(x uint64) {
	if h.reg == nil {
		h.reg = make([]uint8, 1<<hllBits)
	}
	j := x >> (64 - hllBits)
	rho := uint8(bits.LeadingZeros64(x<<hllBits|1<<(hllBits-1)) + 1)
	if rho > h.reg[j] {
		h.reg[j] = rho
	}
}

func (h *hll) estimate() int64 {
	if h.reg == nil {
		return 0
	}
	m := float64(len(h.reg))
	var sum float64
	zeros := 0
	for _, r := range h.reg {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	alpha := 0.7213 / (1 + 1.079/m)
	e := alpha * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int64(math.Round(e))
}

// hashString is FNV-1a followed by a 64-bit finaliser: a fixed, seedless hash, so that
// profiles are the same run to run.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix64(h)
}

// mix64 is the SplitMix64 finaliser (Steele et al. 2014). Unlike MurmurHash3's fmix64 it
// adds a constant first, which keeps inputs with long runs of zero bits (round floats,
// timestamps) from colliding in the sketch's registers.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
