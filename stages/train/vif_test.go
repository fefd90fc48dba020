package train

import (
	"context"
	"math"
	"testing"

	"github.com/sajari/regression"

	"lendscore/models/binning"
	"lendscore/stages/frame"
)

// TestVIFMatchesAuxiliaryOLS checks the correlation-matrix VIF against 1/(1−R²) of the
// auxiliary regressions fitted by github.com/sajari/regression on German Credit WOE values.
func TestVIFMatchesAuxiliaryOLS(t *testing.T) {
	fr, cands := germanCredit(t)
	p, err := Prepare(fr, "creditability", "bad", "", Split{Method: "column", Column: "sample"}, cands)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Fit(context.Background(), fr, p, defaultOptions(cands))
	if err != nil {
		t.Fatal(err)
	}
	var rows []int
	for k, s := range p.Sample {
		if s == 0 {
			rows = append(rows, p.Used[k])
		}
	}
	names := res.Selected
	woe := map[string][]float64{}
	for _, n := range names {
		woe[n] = woeColumn(fr.Column(n), res.Binned[n], rows)
	}
	got, err := vif(names, pearsonOf(woe))
	if err != nil {
		t.Fatal(err)
	}
	for i, target := range names {
		var r regression.Regression
		r.SetObserved(target)
		k := 0
		for _, o := range names {
			if o != target {
				r.SetVar(k, o)
				k++
			}
		}
		for row := range rows {
			var xs []float64
			for _, o := range names {
				if o != target {
					xs = append(xs, woe[o][row])
				}
			}
			r.Train(regression.DataPoint(woe[target][row], xs))
		}
		if err := r.Run(); err != nil {
			t.Fatal(err)
		}
		want := 1 / (1 - r.R2)
		if math.Abs(got[i]-want) > 1e-9*want {
			t.Errorf("%s: VIF %v, auxiliary OLS %v", target, got[i], want)
		}
	}
}

func TestVIFCollinear(t *testing.T) {
	a := []float64{1, 2, 3, 4, 5, 6}
	b := []float64{2, 1, 4, 3, 6, 5}
	c := make([]float64, len(a))
	for i := range a {
		c[i] = a[i] + 2*b[i]
	}
	v, err := vif([]string{"a", "b", "c"}, pearsonOf(map[string][]float64{"a": a, "b": b, "c": c}))
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range v {
		if x < 1e6 {
			t.Errorf("variable %d of a collinear set has VIF %v", i, x)
		}
	}
	v, _ = vif([]string{"a", "b"}, pearsonOf(map[string][]float64{"a": a, "b": b}))
	// r(a, b) = 0.8285714285714286 (hand: Σdadb = 14.5, Σda² = Σdb² = 17.5); VIF = 1/(1−r²).
	r := 14.5 / 17.5
	if want := 1 / (1 - r*r); math.Abs(v[0]-want) > 1e-12 || math.Abs(v[1]-want) > 1e-12 {
		t.Errorf("VIF %v, want %v", v, want)
	}
}

// woeColumn returns the WOE of the given rows of col under v (the binning's own lookup).
func woeColumn(col *frame.Column, v *binning.Variable, rows []int) []float64 {
	out := make([]float64, len(rows))
	for k, i := range rows {
		if col.Kind == frame.Numeric {
			out[k] = v.WOE(col.Num[i])
			continue
		}
		s := ""
		if col.Valid[i] {
			s = col.Str[i]
		}
		out[k] = v.WOECategory(s)
	}
	return out
}

// pearsonOf returns the two-pass Pearson correlation between columns of woe: the reference
// the chunked correlations are checked against.
func pearsonOf(woe map[string][]float64) func(a, b string) float64 {
	return func(an, bn string) float64 {
		a, b := woe[an], woe[bn]
		n := float64(len(a))
		var ma, mb float64
		for i := range a {
			ma += a[i]
			mb += b[i]
		}
		ma /= n
		mb /= n
		var sab, saa, sbb float64
		for i := range a {
			da, db := a[i]-ma, b[i]-mb
			sab += da * db
			saa += da * da
			sbb += db * db
		}
		if saa == 0 || sbb == 0 {
			return 0
		}
		return sab / math.Sqrt(saa*sbb)
	}
}
