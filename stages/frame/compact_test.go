package frame

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// TestNumericColumnRoundTrip appends chunks of every shape the encoder distinguishes and
// requires every value back bit for bit, with the width it should have chosen.
func TestNumericColumnRoundTrip(t *testing.T) {
	nan := math.NaN()
	parse := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name  string
		v     []float64
		bytes int // per value
	}{
		{"small integers", []float64{0, 3, 17, -1, nan, 200}, 1},
		{"three decimals", []float64{parse("0.352"), parse("1.5"), nan, parse("0.001"), parse("12.999")}, 2},
		{"amounts", []float64{120000, 35, 987654, nan}, 4},
		{"cents", []float64{parse("1234567.89"), parse("0.01"), parse("99999999.99")}, 8}, // span ≥ 2^32 cents
		{"computed", []float64{0.1 + 0.2, 1.0 / 3}, 8},
		{"negative zero", []float64{1, math.Copysign(0, -1), 2}, 8},
		{"infinities", []float64{1, math.Inf(1), math.Inf(-1)}, 8},
		{"all missing", []float64{nan, nan}, 1},
		{"huge", []float64{1e300, -1e300}, 8},
		{"scale raised late", []float64{1, 2, 3, parse("3.25"), parse("7.5")}, 2},
	}
	for _, c := range cases {
		var col NumericColumn
		col.Append(c.v)
		col.Append(c.v) // a second chunk
		if col.Len() != 2*len(c.v) {
			t.Fatalf("%s: %d values, appended %d", c.name, col.Len(), 2*len(c.v))
		}
		if got, want := col.Bytes(), 2*c.bytes*len(c.v); got != want {
			t.Errorf("%s: %d bytes, want %d", c.name, got, want)
		}
		got := make([]float64, col.Len())
		col.Decode(got, 0)
		for i, g := range got {
			w := c.v[i%len(c.v)]
			if math.Float64bits(g) != math.Float64bits(w) && !(math.IsNaN(g) && math.IsNaN(w)) {
				t.Errorf("%s: value %d is %v (bits %x), want %v (bits %x)", c.name, i, g, math.Float64bits(g), w, math.Float64bits(w))
			}
		}
		// Map evaluates f per value, or once per distinct value of a narrow chunk.
		f := func(x float64) uint32 {
			if x != x {
				return 7
			}
			return uint32(math.Float64bits(x) % 1001)
		}
		mapped := make([]uint32, col.Len())
		col.Map(mapped, 0, f)
		for i, g := range got {
			if mapped[i] != f(g) {
				t.Errorf("%s: Map of value %d (%v) is %d, want %d", c.name, i, g, mapped[i], f(g))
			}
		}
		// A window across the chunk boundary.
		part := make([]float64, 3)
		col.Decode(part, len(c.v)-1)
		for k, g := range part {
			w := c.v[(len(c.v)-1+k)%len(c.v)]
			if math.Float64bits(g) != math.Float64bits(w) && !(math.IsNaN(g) && math.IsNaN(w)) {
				t.Errorf("%s: window value %d is %v, want %v", c.name, k, g, w)
			}
		}
	}
}

// TestNumericColumnRandomDecimals checks the round trip on decimal text of every precision.
func TestNumericColumnRandomDecimals(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for prec := 0; prec <= 12; prec++ {
		v := make([]float64, 1000)
		for i := range v {
			s := strconv.FormatFloat(rng.NormFloat64()*1e4, 'f', prec, 64)
			v[i], _ = strconv.ParseFloat(s, 64)
		}
		var col NumericColumn
		col.Append(v)
		got := make([]float64, len(v))
		col.Decode(got, 0)
		for i := range v {
			if math.Float64bits(got[i]) != math.Float64bits(v[i]) {
				t.Fatalf("precision %d: value %d is %v, want %v", prec, i, got[i], v[i])
			}
		}
		if prec <= 4 && col.Bytes() > 4*len(v) {
			t.Errorf("precision %d: %d bytes for %d values", prec, col.Bytes(), len(v))
		}
	}
}

func TestCodesWiden(t *testing.T) {
	var c Codes
	want := []uint32{0, 255, 3, 256, 70000, 1}
	for _, v := range want {
		c.Append(v)
	}
	if c.Len() != len(want) || c.Bytes() != 4*len(want) {
		t.Fatalf("len %d bytes %d", c.Len(), c.Bytes())
	}
	got := make([]uint32, len(want))
	c.Decode(got, 0)
	for i := range want {
		if got[i] != want[i] || c.At(i) != want[i] {
			t.Errorf("code %d: %d / %d, want %d", i, got[i], c.At(i), want[i])
		}
	}
	g := make([]uint32, 2)
	c.Gather(g, []int32{1, 4})
	if g[0] != 255 || g[1] != 70000 {
		t.Errorf("gather %v", g)
	}
	s := NewCodes(3, 300)
	s.Set(2, 300)
	if s.Bytes() != 6 || s.At(2) != 300 || s.At(0) != 0 {
		t.Errorf("NewCodes(3, 300): %d bytes, %d %d", s.Bytes(), s.At(2), s.At(0))
	}
}

func TestCategoricalColumn(t *testing.T) {
	sb := array.NewStringBuilder(memory.DefaultAllocator)
	for _, s := range []string{"b", "a", "", "b"} {
		if s == "" {
			sb.AppendNull()
		} else {
			sb.Append(s)
		}
	}
	sb.Append("") // an empty string is missing too
	strs := sb.NewArray()
	defer strs.Release()
	ib := array.NewInt64Builder(memory.DefaultAllocator)
	ib.AppendValues([]int64{7, 8, 7}, nil)
	ints := ib.NewArray()
	defer ints.Release()
	db := array.NewDate32Builder(memory.DefaultAllocator)
	db.Append(arrow.Date32(20000))
	dates := db.NewArray()
	defer dates.Release()

	c := NewCategoricalColumn()
	c.AppendArray(strs, nil)
	c.AppendArray(ints, []int{0, 2})
	c.AppendArray(dates, nil)
	c.Append("a", true)
	c.Append("zz", false)
	want := []string{"b", "a", "", "b", "", "7", "7", "2024-10-04", "a", ""}
	if c.Codes.Len() != len(want) {
		t.Fatalf("%d codes, want %d", c.Codes.Len(), len(want))
	}
	for i, w := range want {
		if got := c.Text(i); got != w {
			t.Errorf("row %d: %q, want %q", i, got, w)
		}
	}
	// Codes in order of first appearance, 0 missing.
	if len(c.Dict) != 5 || c.Dict[1] != "b" || c.Dict[2] != "a" || c.Dict[3] != "7" || c.Codes.At(2) != 0 {
		t.Errorf("dictionary %q, code of the null %d", c.Dict, c.Codes.At(2))
	}
}

func TestTextColumn(t *testing.T) {
	var c TextColumn
	n := 1<<textBlockBits + 5 // crosses a block
	for i := 0; i < n; i++ {
		c.Append(strconv.Itoa(i), i%7 != 3)
	}
	if c.Len() != n {
		t.Fatalf("len %d", c.Len())
	}
	for _, i := range []int{0, 3, 65535, 65536, n - 1} {
		s, ok := c.Value(i)
		if s != strconv.Itoa(i) || ok != (i%7 != 3) {
			t.Errorf("row %d: %q %v", i, s, ok)
		}
	}
	dst := make([]string, 4)
	c.Strings(dst, 65534)
	for k, s := range dst {
		if s != strconv.Itoa(65534+k) {
			t.Errorf("Strings row %d: %q", 65534+k, s)
		}
	}
}

func BenchmarkNumericColumnAppend(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	v := make([]float64, 1<<16)
	for i := range v {
		v[i], _ = strconv.ParseFloat(strconv.FormatFloat(rng.Float64(), 'f', 3, 64), 64)
	}
	b.SetBytes(int64(8 * len(v)))
	for i := 0; i < b.N; i++ {
		var c NumericColumn
		c.Append(v)
	}
}

// TestNumericColumnMapNarrow covers the table path of Map on a 16-bit chunk with few
// distinct values.
func TestNumericColumnMapNarrow(t *testing.T) {
	v := make([]float64, 5000)
	for i := range v {
		v[i] = float64(i%300) + 0.5
		if i%97 == 0 {
			v[i] = math.NaN()
		}
	}
	var col NumericColumn
	col.Append(v)
	if col.Bytes() != 2*len(v) {
		t.Fatalf("%d bytes: want a 16-bit chunk", col.Bytes())
	}
	f := func(x float64) uint32 {
		if x != x {
			return 1 << 20
		}
		return uint32(x * 2)
	}
	got := make([]uint32, 4000)
	col.Map(got, 1000, f)
	for k, g := range got {
		if want := f(v[1000+k]); g != want {
			t.Fatalf("row %d: %d, want %d", 1000+k, g, want)
		}
	}
}

// TestTally tallies every third row of a column of narrow chunks (few small integers),
// chunks of three decimals over a wide range and raw ones (computed values, −0), with
// missing values, reusing a too short buffer, and requires the counts of values by class —
// tallied plus copied out — to equal a count of the values themselves.
func TestTally(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var col NumericColumn
	var all []float64
	for c := range 6 {
		x := make([]float64, 1000+c*37)
		for i := range x {
			switch {
			case i%29 == 0:
				x[i] = math.NaN()
			case c%3 == 0:
				x[i] = float64(rng.IntN(7))
			case c%3 == 1:
				x[i] = math.Round(rng.Float64()*1e6) / 1000
			case i%50 == 0:
				x[i] = math.Copysign(0, -1)
			default:
				x[i] = rng.Float64() / 3
			}
		}
		col.Append(x)
		all = append(all, x...)
	}
	var rows []int32
	var class []int8
	want := map[float64][2]int{}
	var wantMissing [2]int
	for i := 0; i < len(all); i += 3 {
		k := int8(rng.IntN(2))
		rows = append(rows, int32(i))
		class = append(class, k)
		if v := all[i]; v != v {
			wantMissing[k]++
		} else {
			n := want[v+0]
			n[k]++
			want[v+0] = n
		}
	}
	got := map[float64][2]int{}
	var missing [2]int
	buf, rest := col.Tally(rows, class, got, make([]float64, 5), &missing)
	for k, vals := range rest {
		for _, v := range vals {
			n := got[v+0]
			n[k]++
			got[v+0] = n
		}
	}
	if len(rest[0])+len(rest[1]) > len(buf) {
		t.Errorf("%d values copied out into a buffer of %d", len(rest[0])+len(rest[1]), len(buf))
	}
	if missing != wantMissing {
		t.Errorf("missing %v, want %v", missing, wantMissing)
	}
	if len(got) != len(want) {
		t.Errorf("%d distinct values, want %d", len(got), len(want))
	}
	for v, n := range want {
		if got[v] != n {
			t.Errorf("value %v: %v by class, want %v", v, got[v], n)
		}
	}
}

func BenchmarkCategoricalAppendArray(b *testing.B) {
	cats := []string{"north", "south", "central", "islands", "east", "west", "student", "farmer", "self_employed", "retired", "mortgage", "rent", "family", "other"}
	rng := rand.New(rand.NewPCG(5, 6))
	sb := array.NewStringBuilder(memory.DefaultAllocator)
	for range 1 << 16 {
		if rng.IntN(50) == 0 {
			sb.AppendNull()
		} else {
			sb.Append(cats[rng.IntN(len(cats))])
		}
	}
	arr := sb.NewArray()
	defer arr.Release()
	b.ResetTimer()
	for range b.N {
		c := NewCategoricalColumn()
		c.AppendArray(arr, nil)
	}
}
