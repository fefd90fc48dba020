package binning_test

import (
	"fmt"
	"math"

	"lendscore/models/binning"
)

// loans returns the duration (months) and label of n loans: longer loans go
// bad more often. The "random" draw is a fixed pseudo-random sequence.
func loans(n int) ([]float64, []int8) {
	x := make([]float64, n)
	y := make([]int8, n)
	for i := range x {
		x[i] = float64(6 + 6*(i%10)) // 6, 12, …, 60 months
		if draw := float64(i*7919%1000) / 1000; draw < 0.05+x[i]/120 {
			y[i] = 1
		}
	}
	return x, y
}

func ExampleFitNumeric() {
	x, y := loans(2000)
	x[0], x[1] = math.NaN(), math.NaN() // two missing values: too few for a bin of their own
	v, err := binning.FitNumeric("duration", x, y, nil, binning.DefaultConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range v.Bins {
		fmt.Printf("%-22s %5.0f rows  bad rate %.3f  WOE %+.3f\n", b.Label, b.Count, b.EventRate, b.WOE)
	}
	fmt.Printf("IV %.3f, trend %s\n", v.IV, v.Trend)
	fmt.Println("36 months scores in", v.Bins[v.Index(36)].Label)
	fmt.Println("missing scores in", v.Bins[v.Index(math.NaN())].Label)
	// Output:
	// [-inf, 12)               199 rows  bad rate 0.095  WOE +1.498
	// [12, 18)                 199 rows  bad rate 0.151  WOE +0.987
	// [18, 24)                 200 rows  bad rate 0.200  WOE +0.649
	// [24, 30)                 200 rows  bad rate 0.250  WOE +0.364
	// [30, 36)                 200 rows  bad rate 0.300  WOE +0.115
	// [36, 42)                 200 rows  bad rate 0.350  WOE -0.112
	// [42, 54)                 400 rows  bad rate 0.425  WOE -0.426
	// [54, inf), missing       402 rows  bad rate 0.525  WOE -0.827
	// IV 0.473, trend ascending
	// 36 months scores in [36, 42)
	// missing scores in [54, inf), missing
}

func ExampleFitCategorical() {
	var x []string
	var y []int8
	add := func(category string, rows, bads int) {
		for i := range rows {
			x = append(x, category)
			y = append(y, map[bool]int8{true: 1}[i < bads])
		}
	}
	add("owner", 500, 50)
	add("tenant", 300, 90)
	add("with parents", 150, 30)
	add("other", 30, 15) // 3%: its own group would be too small
	add("company flat", 15, 2)
	add("", 5, 1) // missing

	cfg := binning.DefaultConfig()
	cfg.RareShare = 0.02 // company flat (1.5%) is pooled as rare
	v, err := binning.FitCategorical("housing", x, y, nil, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range v.Bins {
		fmt.Printf("%-40s %4.0f rows  bad rate %.3f  WOE %+.3f\n", b.Label, b.Count, b.EventRate, b.WOE)
	}
	fmt.Println("a category never seen scores in", v.Bins[v.IndexCategory("boat")].Label)
	// Output:
	// {company flat, owner}                     515 rows  bad rate 0.101  WOE +0.721
	// {with parents}, missing                   155 rows  bad rate 0.200  WOE -0.083
	// {other, tenant}                           330 rows  bad rate 0.318  WOE -0.697
	// a category never seen scores in {company flat, owner}
}

// A streaming fit: edges from a first sample, counts chunk by chunk, then the
// optimal merge on the summed counts.
func ExampleFitCounts() {
	x, y := loans(3000)
	cfg := binning.DefaultConfig()
	edges, err := binning.QuantileEdges(x[:1000], cfg) // step 1 on a sample
	if err != nil {
		fmt.Println(err)
		return
	}
	total, _ := binning.NewNumericCounts(edges, cfg.Special)
	for start := 0; start < len(x); start += 1000 { // step 2, chunk by chunk
		chunk, _ := binning.NewNumericCounts(edges, cfg.Special)
		if err := chunk.AddNumeric(x[start:start+1000], y[start:start+1000], nil); err != nil {
			fmt.Println(err)
			return
		}
		if err := total.Merge(chunk); err != nil {
			fmt.Println(err)
			return
		}
	}
	v, err := binning.FitCounts("duration", total, cfg) // step 3
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d pre-bins merged into %d bins, edges %v, IV %.3f\n", len(edges)+1, len(v.Bins), v.Edges, v.IV)
	// Output:
	// 10 pre-bins merged into 8 bins, edges [12 18 24 30 36 42 54], IV 0.469
}

func ExampleManualNumeric() {
	x, y := loans(2000)
	// A validator prefers round cut points at 1 and 3 years.
	v, err := binning.ManualNumeric("duration", x, y, nil, []float64{12, 36}, binning.DefaultConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range v.Bins {
		fmt.Printf("%-10s %5.0f rows  bad rate %.3f  WOE %+.3f\n", b.Label, b.Count, b.EventRate, b.WOE)
	}
	fmt.Printf("IV %.3f, manual %v\n", v.IV, v.Manual)
	// Output:
	// [-inf, 12)   200 rows  bad rate 0.100  WOE +1.446
	// [12, 36)     800 rows  bad rate 0.225  WOE +0.505
	// [36, inf)   1000 rows  bad rate 0.450  WOE -0.529
	// IV 0.390, manual true
}

func ExampleVariable_TransformNumeric() {
	x, y := loans(2000)
	v, _ := binning.FitNumeric("duration", x, y, nil, binning.DefaultConfig())
	woe := make([]float64, 3)
	if err := v.TransformNumeric(woe, []float64{6, 36, math.NaN()}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+.3f\n", woe) // missing: no training missing, so the largest bin
	// Output:
	// [+1.448 -0.112 -0.426]
}
