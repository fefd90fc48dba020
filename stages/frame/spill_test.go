package frame

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// spillChunks are chunks of every storage a NumericColumn has: 8, 16 and 32-bit offsets,
// raw float64, all missing, with NaNs among them.
func spillChunks(rng *rand.Rand) [][]float64 {
	gen := func(n int, f func(i int) float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			if rng.IntN(17) == 0 {
				v[i] = math.NaN()
			} else {
				v[i] = f(i)
			}
		}
		return v
	}
	return [][]float64{
		gen(70_000, func(int) float64 { return float64(rng.IntN(200)) }),                   // u8
		gen(5_000, func(int) float64 { return float64(rng.IntN(60_000)) / 100 }),           // u16
		gen(66_000, func(int) float64 { return float64(rng.IntN(5)) - 2 }),                 // u8, narrow
		gen(40_000, func(int) float64 { return float64(rng.IntN(1 << 30)) }),               // u32
		gen(30_000, func(int) float64 { return rng.NormFloat64() }),                        // raw
		gen(100, func(int) float64 { return math.NaN() }),                                  // all missing
		gen(20_000, func(i int) float64 { return float64(rng.IntN(3000)) + float64(i%2) }), // u16, narrow for Tally
	}
}

func sameFloats(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// TestSpilledNumericColumn checks that a spilled column reads back every value as the same
// column in memory does, through every way of reading, whether it was spilled before, during
// or after the appends.
func TestSpilledNumericColumn(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	chunks := spillChunks(rng)
	var mem NumericColumn
	for _, ch := range chunks {
		mem.Append(ch)
	}
	n := mem.Len()
	rows := make([]int32, 0, n/3)
	class := make([]int8, 0, n/3)
	for i := 0; i < n; i++ {
		if rng.IntN(3) == 0 {
			rows = append(rows, int32(i))
			class = append(class, int8(rng.IntN(2)))
		}
	}
	for _, at := range []int{0, 3, len(chunks)} { // chunks appended before SpillTo
		s := NewSpill(t.TempDir())
		var c NumericColumn
		for k, ch := range chunks {
			if k == at {
				c.SpillTo(s)
			}
			c.Append(ch)
		}
		if at == len(chunks) {
			c.SpillTo(s)
		}
		if c.Bytes() != 0 {
			t.Errorf("spilled at chunk %d: %d bytes left in memory", at, c.Bytes())
		}
		if got, want := s.Size(), int64(mem.Bytes()); got != want {
			t.Errorf("spilled at chunk %d: spill file %d bytes, want the %d bytes the column took", at, got, want)
		}

		// Decode, in ranges that cross chunks.
		for _, r := range [][2]int{{0, n}, {69_990, 75_020}, {n - 7, n}, {141_000, 141_001}} {
			got, want := make([]float64, r[1]-r[0]), make([]float64, r[1]-r[0])
			c.Decode(got, r[0])
			mem.Decode(want, r[0])
			if !sameFloats(got, want) {
				t.Errorf("spilled at chunk %d: Decode [%d, %d) differs", at, r[0], r[1])
			}
		}
		// Map, narrow and wide chunks.
		f := func(x float64) uint32 {
			if x != x {
				return 7
			}
			return uint32(int64(math.Abs(x)*3) % 1001)
		}
		got, want := make([]uint32, n), make([]uint32, n)
		c.Map(got, 0, f)
		mem.Map(want, 0, f)
		if !slices.Equal(got, want) {
			t.Errorf("spilled at chunk %d: Map differs", at)
		}
		// Tally.
		gc, wc := map[float64][2]int{}, map[float64][2]int{}
		var gm, wm [2]int
		_, grest := c.Tally(rows, class, gc, nil, &gm)
		_, wrest := mem.Tally(rows, class, wc, nil, &wm)
		if gm != wm || len(gc) != len(wc) || !sameFloats(grest[0], wrest[0]) || !sameFloats(grest[1], wrest[1]) {
			t.Errorf("spilled at chunk %d: Tally differs: missing %v vs %v, %d vs %d values counted", at, gm, wm, len(gc), len(wc))
		}
		for v, k := range wc {
			if gc[v] != k {
				t.Errorf("spilled at chunk %d: Tally of %v = %v, want %v", at, v, gc[v], k)
				break
			}
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSpilledCodes checks that spilled codes read back as codes in memory do, that writes
// to spilled blocks land, and that a column widened after it spilled keeps the blocks it
// spilled narrow.
func TestSpilledCodes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 5*codeBlock + 123
	vals := make([]uint32, n)
	for i := range vals {
		vals[i] = uint32(rng.IntN(200))
		if i > 3*codeBlock+10 {
			vals[i] = uint32(rng.IntN(70_000)) // widens the column to 32 bits
		}
	}
	dir := t.TempDir()
	s := NewSpill(dir)
	mem, c := &Codes{}, &Codes{}
	for i, v := range vals {
		if i == codeBlock+5 {
			c.SpillTo(s)
		}
		mem.Append(v)
		c.Append(v)
	}
	if c.Bytes() >= mem.Bytes()/4 {
		t.Errorf("spilled codes hold %d bytes in memory, want under a quarter of %d", c.Bytes(), mem.Bytes())
	}
	check := func(what string) {
		t.Helper()
		got, want := make([]uint32, n), make([]uint32, n)
		c.Decode(got, 0)
		mem.Decode(want, 0)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: Decode differs", what)
		}
		rows := []int32{0, 5, 65_535, 65_536, 70_000, 70_001, 200_000, 200_003, 300_000, n - 1}
		g, w := make([]uint32, len(rows)), make([]uint32, len(rows))
		c.Gather(g, rows)
		mem.Gather(w, rows)
		if !slices.Equal(g, w) {
			t.Fatalf("%s: Gather = %v, want %v", what, g, w)
		}
		for _, i := range rows {
			if c.At(int(i)) != mem.At(int(i)) {
				t.Fatalf("%s: At(%d) = %d, want %d", what, i, c.At(int(i)), mem.At(int(i)))
			}
		}
	}
	check("appended")
	for _, i := range []int{3, codeBlock + 1, 4 * codeBlock} {
		c.Set(i, 9)
		mem.Set(i, 9)
	}
	upd := []uint32{1, 2, 3, 4, 5, 6, 7, 8}
	c.SetAll(2*codeBlock-4, upd)
	mem.SetAll(2*codeBlock-4, upd)
	check("set")
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a code wider than its spilled block was set without a panic")
			}
		}()
		c.Set(7, 300) // block 0 was spilled 8 bits wide
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("Close left %v", left)
	}
}

// TestSpillReportsErrors checks that a spill whose file cannot be created says so.
func TestSpillReportsErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	s := NewSpill(dir)
	var c NumericColumn
	c.SpillTo(s)
	c.Append([]float64{1, 2, 3})
	if err := s.Err(); err == nil {
		t.Fatal("no error from a spill into a directory that does not exist")
	}
	got := make([]float64, 3)
	c.Decode(got, 0) // zeros, not a crash
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("the directory exists")
	}
}
