package binning

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// cpuMeter reports the process CPU time per operation (and per row) beside
// the wall time of a benchmark.
type cpuMeter struct {
	b     *testing.B
	start time.Duration
	rows  int
}

func meter(b *testing.B, rows int) *cpuMeter {
	b.ResetTimer()
	return &cpuMeter{b: b, start: processCPU(), rows: rows}
}

func (m *cpuMeter) stop() {
	cpu := float64((processCPU() - m.start).Nanoseconds()) / float64(m.b.N)
	m.b.ReportMetric(cpu/1e6, "cpu-ms/op")
	if m.rows > 0 {
		m.b.ReportMetric(cpu/float64(m.rows), "cpu-ns/row")
	}
}

const benchRows = 1_000_000

// benchColumn is one numeric column of n rows of a credit-like shape: a
// skewed amount with 2% missing, 1% special -1, a risk rising with the amount.
func benchColumn(n int, seed uint64) ([]float64, []int8) {
	r := rand.New(rand.NewPCG(seed, 99))
	x := make([]float64, n)
	y := make([]int8, n)
	for i := range x {
		v := math.Round(math.Exp(7 + r.NormFloat64()))
		p := 0.05 + 0.25*math.Min(v/10000, 1)
		switch r.IntN(100) {
		case 0, 1:
			v = math.NaN()
		case 2:
			v = -1
		}
		x[i] = v
		if r.Float64() < p {
			y[i] = 1
		}
	}
	return x, y
}

func benchConfig() Config {
	cfg := DefaultConfig()
	cfg.Special = []float64{-1}
	return cfg
}

func BenchmarkQuantileEdges(b *testing.B) {
	x, _ := benchColumn(benchRows, 1)
	cfg := benchConfig()
	m := meter(b, benchRows)
	for b.Loop() {
		if _, err := QuantileEdges(x, cfg); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
}

func BenchmarkCountsAddNumeric(b *testing.B) {
	x, y := benchColumn(benchRows, 1)
	cfg := benchConfig()
	edges, _ := QuantileEdges(x, cfg)
	m := meter(b, benchRows)
	for b.Loop() {
		c, _ := NewNumericCounts(edges, cfg.Special)
		if err := c.AddNumeric(x, y, nil); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
}

// BenchmarkFitCounts is step 3 alone: the exact search over 20 pre-bins for
// all four shapes (trend auto).
func BenchmarkFitCounts(b *testing.B) {
	x, y := benchColumn(benchRows, 1)
	cfg := benchConfig()
	edges, _ := QuantileEdges(x, cfg)
	c, _ := NewNumericCounts(edges, cfg.Special)
	_ = c.AddNumeric(x, y, nil)
	for _, pre := range []int{20, 50, 100} {
		b.Run(fmt.Sprintf("prebins=%d", pre), func(b *testing.B) {
			cfg := cfg
			cfg.PreBins = pre
			e, _ := QuantileEdges(x, cfg)
			c, _ := NewNumericCounts(e, cfg.Special)
			_ = c.AddNumeric(x, y, nil)
			m := meter(b, 0)
			for b.Loop() {
				if _, err := FitCounts("x", c, cfg); err != nil {
					b.Fatal(err)
				}
			}
			m.stop()
		})
	}
}

func BenchmarkFitNumeric(b *testing.B) {
	x, y := benchColumn(benchRows, 1)
	cfg := benchConfig()
	m := meter(b, benchRows)
	for b.Loop() {
		if _, err := FitNumeric("x", x, y, nil, cfg); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
}

// BenchmarkFit20Variables bins 20 numeric variables of 1M rows one after the
// other on one core: the budget the pipeline's binning stage relies on.
func BenchmarkFit20Variables(b *testing.B) {
	cols := make([][]float64, 20)
	var y []int8
	for j := range cols {
		cols[j], y = benchColumn(benchRows, uint64(j))
	}
	cfg := benchConfig()
	m := meter(b, len(cols)*benchRows)
	for b.Loop() {
		for j, x := range cols {
			if _, err := FitNumeric(fmt.Sprint("x", j), x, y, nil, cfg); err != nil {
				b.Fatal(err)
			}
		}
	}
	m.stop()
}

func BenchmarkFitCategorical(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	names := []string{"own", "rent", "parents", "company", "other", "student", "council", "mortgage", "", "unknown"}
	x := make([]string, benchRows)
	y := make([]int8, benchRows)
	for i := range x {
		k := min(r.IntN(12), len(names)-1)
		x[i] = names[k]
		if r.Float64() < 0.05+0.03*float64(k) {
			y[i] = 1
		}
	}
	m := meter(b, benchRows)
	for b.Loop() {
		if _, err := FitCategorical("housing", x, y, nil, DefaultConfig()); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
}

func BenchmarkTransformNumeric(b *testing.B) {
	x, y := benchColumn(benchRows, 1)
	v, err := FitNumeric("x", x, y, nil, benchConfig())
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]float64, len(x))
	m := meter(b, benchRows)
	for b.Loop() {
		_ = v.TransformNumeric(dst, x)
	}
	m.stop()
}
