package train

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"lendscore/models/binning"
	"lendscore/stages/frame"
)

// TestDistributionMatchesBinning requires binning from the tallied distribution to give
// exactly what binning.QuantileEdges, FitNumeric and ManualNumeric give on the values: same
// edges, same variable, byte for byte in JSON. The columns mix narrow chunks (few values),
// wide ones (many) and raw ones (−0, computed values), with missing and special values, on a
// subset of rows.
func TestDistributionMatchesBinning(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	gen := map[string]func(i int) float64{
		"small ints": func(i int) float64 { return float64(rng.IntN(12)) },
		"amounts":    func(i int) float64 { return math.Round(math.Exp(8 + 2*rng.NormFloat64())) },
		"ratios":     func(i int) float64 { return math.Round(rng.Float64()*1000) / 1000 },
		"mixed": func(i int) float64 {
			if i > 3000 && i%5 == 0 {
				return rng.Float64() * 3 // raw chunk values
			}
			if i%777 == 0 {
				return math.Copysign(0, -1)
			}
			return float64(rng.IntN(4))
		},
		"two values": func(i int) float64 { return float64(i % 2 * 7) },
		"one value":  func(i int) float64 { return 5 },
	}
	cfg := binning.DefaultConfig()
	cfg.Special = []float64{-1, 9999}
	for name, g := range gen {
		n := 9000
		x := make([]float64, n)
		for i := range x {
			switch {
			case i%41 == 0:
				x[i] = math.NaN()
			case i%53 == 0:
				x[i] = -1
			default:
				x[i] = g(i)
			}
		}
		var col frame.NumericColumn
		for i := 0; i < n; i += 2048 {
			col.Append(x[i:min(i+2048, n)])
		}
		// Every third row is left out, as test rows are.
		var rows []int32
		var xs []float64
		var y []int8
		for i := 0; i < n; i++ {
			if i%3 != 2 {
				rows = append(rows, int32(i))
				xs = append(xs, x[i])
				bad := int8(0)
				if rng.Float64() < 0.2+0.05*math.Min(math.Abs(x[i]), 8)/8 {
					bad = 1
				}
				y = append(y, bad)
			}
		}
		var s binScratch
		d := s.distribution(&col, rows, y)
		wantEdges, err := binning.QuantileEdges(xs, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := quantileEdges(d, cfg); !slices.Equal(got, wantEdges) {
			t.Errorf("%s: edges %v, QuantileEdges %v", name, got, wantEdges)
		}
		same := func(what string, got *binning.Variable, gotErr error, want *binning.Variable, wantErr error) {
			t.Helper()
			if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
				t.Errorf("%s %s: error %v, want %v", name, what, gotErr, wantErr)
				return
			}
			a, _ := json.Marshal(got)
			b, _ := json.Marshal(want)
			if string(a) != string(b) {
				t.Errorf("%s %s:\n got %s\nwant %s", name, what, a, b)
			}
		}
		got, gotErr := fitNumeric(d, d.missing, "v", nil, false, cfg)
		want, wantErr := binning.FitNumeric("v", xs, y, nil, cfg)
		same("fit", got, gotErr, want, wantErr)
		if len(wantEdges) > 0 {
			breaks := wantEdges[:1]
			got, gotErr := fitNumeric(d, d.missing, "v", breaks, true, cfg)
			want, wantErr := binning.ManualNumeric("v", xs, y, nil, breaks, cfg)
			same("manual", got, gotErr, want, wantErr)
		}
		got, gotErr = fitNumeric(d, d.missing, "v", []float64{3, 2}, true, cfg)
		want, wantErr = binning.ManualNumeric("v", xs, y, nil, []float64{3, 2}, cfg)
		same("bad breaks", got, gotErr, want, wantErr)
	}
}

func BenchmarkDistribution(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	var col frame.NumericColumn
	x := make([]float64, 1<<16)
	for c := 0; c < 16; c++ {
		for i := range x {
			x[i] = math.Round(rng.ExpFloat64()*1e4) / 100
		}
		col.Append(x)
	}
	rows := make([]int32, col.Len())
	y := make([]int8, col.Len())
	for i := range rows {
		rows[i] = int32(i)
		y[i] = int8(rng.IntN(2))
	}
	cfg := binning.DefaultConfig()
	var s binScratch
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := s.distribution(&col, rows, y)
		if _, err := fitNumeric(d, d.missing, "x", nil, false, cfg); err != nil {
			b.Fatal(err)
		}
		modeShare(d, d.missing, len(rows))
	}
}
