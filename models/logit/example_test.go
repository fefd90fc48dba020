package logit_test

import (
	"fmt"

	"lendscore/models/logit"
)

// Fit the Spector and Mazzeo (1980) model of grade improvement; the figures
// are those printed by statsmodels' Logit and Stata's logit.
func ExampleFit() {
	x, y := spector()
	res, err := logit.Fit(x, y, logit.Options{Names: spectorNames})
	if err != nil {
		fmt.Println(err)
		return
	}
	for j, name := range res.Names {
		fmt.Printf("%-5s %8.4f %7.4f %6.3f %.3f\n", name, res.Coef[j], res.StdErr[j], res.Z[j], res.P[j])
	}
	fmt.Printf("log-likelihood %.4f, AIC %.3f\n", res.LogLik, res.AIC)
	// Output:
	// const -13.0213  4.9313 -2.641 0.008
	// GPA     2.8261  1.2629  2.238 0.025
	// TUCE    0.0952  0.1416  0.672 0.501
	// PSI     2.3787  1.0646  2.234 0.025
	// log-likelihood -12.8896, AIC 33.779
}
