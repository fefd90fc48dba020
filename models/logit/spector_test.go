package logit_test

import "gonum.org/v1/gonum/mat"

// The Spector and Mazzeo (1980) data, as shipped with statsmodels
// (statsmodels.datasets.spector): 32 students; GRADE (1 = improved) against
// GPA, TUCE and PSI (1 = taught with the personalised system of
// instruction).
var spectorRows = [32][4]float64{
	// GPA, TUCE, PSI, GRADE
	{2.66, 20, 0, 0}, {2.89, 22, 0, 0}, {3.28, 24, 0, 0}, {2.92, 12, 0, 0},
	{4.00, 21, 0, 1}, {2.86, 17, 0, 0}, {2.76, 17, 0, 0}, {2.87, 21, 0, 0},
	{3.03, 25, 0, 0}, {3.92, 29, 0, 1}, {2.63, 20, 0, 0}, {3.32, 23, 0, 0},
	{3.57, 23, 0, 0}, {3.26, 25, 0, 1}, {3.53, 26, 0, 0}, {2.74, 19, 0, 0},
	{2.75, 25, 0, 0}, {2.83, 19, 0, 0}, {3.12, 23, 1, 0}, {3.16, 25, 1, 1},
	{2.06, 22, 1, 0}, {3.62, 28, 1, 1}, {2.89, 14, 1, 0}, {3.51, 26, 1, 0},
	{3.54, 24, 1, 1}, {2.83, 27, 1, 1}, {3.39, 17, 1, 1}, {2.67, 24, 1, 0},
	{3.65, 21, 1, 1}, {4.00, 23, 1, 1}, {3.10, 21, 1, 0}, {2.39, 19, 1, 1},
}

var spectorNames = []string{"GPA", "TUCE", "PSI"}

// spector returns the design matrix (without intercept) and the labels.
func spector() (*mat.Dense, []int8) {
	return spectorData(false)
}

// spectorAsStata returns the data as Stata stores them: GPA is a float
// (single precision) variable in Stata's spector.dta, so 2.66 is held as
// 2.6600000858…. The published Stata/statsmodels figures are the maximum
// likelihood estimates for these values; with the decimal values the
// estimates differ by up to 4e-6 (the covariance of the intercept).
func spectorAsStata() (*mat.Dense, []int8) {
	return spectorData(true)
}

func spectorData(float32GPA bool) (*mat.Dense, []int8) {
	x := mat.NewDense(len(spectorRows), 3, nil)
	y := make([]int8, len(spectorRows))
	for i, r := range spectorRows {
		x.SetRow(i, r[:3])
		if float32GPA {
			x.Set(i, 0, float64(float32(r[0])))
		}
		y[i] = int8(r[3])
	}
	return x, y
}
