package logit_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"lendscore/models/logit"
)

// columns returns the sub-matrix of x holding cols.
func columns(x *mat.Dense, cols ...int) *mat.Dense {
	n, _ := x.Dims()
	out := mat.NewDense(n, len(cols), nil)
	for j, c := range cols {
		out.SetCol(j, mat.Col(nil, c, x))
	}
	return out
}

func aicOf(t *testing.T, x *mat.Dense, y []int8, cols ...int) float64 {
	t.Helper()
	if len(cols) == 0 {
		res, err := logit.Fit(columns(x, 0), y, logit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return -2*res.LLNull + 2
	}
	res, err := logit.Fit(columns(x, cols...), y, logit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res.AIC
}

// On the Spector data every direction and criterion ends with GPA and PSI
// (TUCE has p = 0.50 in the full model). The path is checked against
// separate fits of every candidate model.
func TestStepwiseSpector(t *testing.T) {
	x, y := spector()
	// Independent fits: AIC of each model along the greedy forward path.
	null := aicOf(t, x, y)
	single := []float64{aicOf(t, x, y, 0), aicOf(t, x, y, 1), aicOf(t, x, y, 2)}
	if !(single[0] < single[1] && single[0] < single[2] && single[0] < null) {
		t.Fatalf("GPA should be the best single variable: null %v, singles %v", null, single)
	}
	withGPA := []float64{aicOf(t, x, y, 0, 1), aicOf(t, x, y, 0, 2)}
	if !(withGPA[1] < withGPA[0] && withGPA[1] < single[0]) {
		t.Fatalf("PSI should enter second: %v", withGPA)
	}
	full := aicOf(t, x, y, 0, 1, 2)
	if !(full > withGPA[1]) {
		t.Fatalf("TUCE should not enter: full %v vs %v", full, withGPA[1])
	}

	type move struct {
		action logit.Action
		name   string
		aic    float64
	}
	forward := []move{{logit.Entered, "GPA", single[0]}, {logit.Entered, "PSI", withGPA[1]}}
	backward := []move{{logit.Removed, "TUCE", withGPA[1]}}
	tests := []struct {
		dir   logit.Direction
		crit  logit.Criterion
		moves []move
	}{
		{logit.Forward, logit.AIC, forward},
		{logit.Forward, logit.PValue, forward},
		{logit.Both, logit.AIC, forward},
		{logit.Both, logit.PValue, forward},
		{logit.Backward, logit.AIC, backward},
		{logit.Backward, logit.PValue, backward},
	}
	for _, tt := range tests {
		t.Run(tt.dir.String()+"/"+tt.crit.String(), func(t *testing.T) {
			res, err := logit.Stepwise(x, y, spectorNames, logit.StepwiseOptions{Direction: tt.dir, Criterion: tt.crit})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Selected, []int{0, 2}) {
				t.Errorf("Selected = %v, want [0 2] (GPA, PSI)", res.Selected)
			}
			if len(res.Steps) != len(tt.moves) {
				t.Fatalf("steps = %+v, want %d moves", res.Steps, len(tt.moves))
			}
			for i, m := range tt.moves {
				s := res.Steps[i]
				if s.Step != i+1 || s.Action != m.action || s.Name != m.name || s.Reason == "" {
					t.Errorf("step %d = %+v, want %v %s", i, s, m.action, m.name)
				}
				near(t, "step AIC", s.AIC, m.aic, 1e-9)
			}
			if got := res.Model.Names; !slices.Equal(got, []string{"const", "GPA", "PSI"}) {
				t.Errorf("final model names = %v", got)
			}
		})
	}
}

// A proxy that is the noisy sum of two true drivers enters first; once
// both drivers are in it is redundant, and Both removes it again.
func TestStepwiseBothRemovesRedundantProxy(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	n := 3000
	x := mat.NewDense(n, 3, nil)
	y := make([]int8, n)
	for i := range n {
		a, b := r.NormFloat64(), r.NormFloat64()
		x.SetRow(i, []float64{a, a + b + 0.3*r.NormFloat64(), b})
		if r.Float64() < 1/(1+math.Exp(-(a+b))) {
			y[i] = 1
		}
	}
	names := []string{"a", "proxy", "b"}
	for _, crit := range []logit.Criterion{logit.AIC, logit.PValue} {
		res, err := logit.Stepwise(x, y, names, logit.StepwiseOptions{Direction: logit.Both, Criterion: crit})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Selected, []int{0, 2}) {
			t.Errorf("%v: Selected = %v, want [0 2]", crit, res.Selected)
		}
		var log []string
		for _, s := range res.Steps {
			log = append(log, s.Action.String()+" "+s.Name)
		}
		want := []string{"enter proxy", "enter a", "enter b", "remove proxy"}
		if !slices.Equal(log, want) {
			t.Errorf("%v: log = %v, want %v", crit, log, want)
		}
	}
}

// A candidate that separates the classes cannot be fitted; it is passed
// over and logged once.
func TestStepwiseSkipsSeparatingCandidate(t *testing.T) {
	x, y := spector()
	leak := mat.NewDense(32, 4, nil)
	for i := range 32 {
		leak.SetRow(i, append(slices.Clone(x.RawRowView(i)), float64(y[i])))
	}
	names := append(slices.Clone(spectorNames), "leak")
	res, err := logit.Stepwise(leak, y, names, logit.StepwiseOptions{Criterion: logit.AIC})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Selected, []int{0, 2}) {
		t.Errorf("Selected = %v, want [0 2]", res.Selected)
	}
	skips := 0
	for _, s := range res.Steps {
		if s.Action == logit.Skipped {
			skips++
			if s.Name != "leak" || !strings.Contains(s.Reason, "separation") {
				t.Errorf("skip = %+v", s)
			}
		}
	}
	if skips != 1 {
		t.Errorf("%d skip entries, want 1: %+v", skips, res.Steps)
	}
}

func TestStepwiseForceAndLimits(t *testing.T) {
	x, y := spector()
	res, err := logit.Stepwise(x, y, spectorNames, logit.StepwiseOptions{Direction: logit.Backward, Criterion: logit.PValue, Force: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Selected, []int{0, 1, 2}) || len(res.Steps) != 0 {
		t.Errorf("forced TUCE must stay: %v %+v", res.Selected, res.Steps)
	}
	res, err = logit.Stepwise(x, y, spectorNames, logit.StepwiseOptions{Criterion: logit.AIC, MaxSteps: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Selected, []int{0}) || len(res.Steps) != 1 {
		t.Errorf("MaxSteps 1: %v %+v", res.Selected, res.Steps)
	}
	bad := []logit.StepwiseOptions{
		{Direction: logit.Both, Criterion: logit.PValue, Enter: 0.1, Stay: 0.05},
		{Force: []int{3}},
		{Enter: 1.5},
		{Direction: logit.Direction(7)},
	}
	for _, opt := range bad {
		if _, err := logit.Stepwise(x, y, spectorNames, opt); !errors.Is(err, logit.ErrInput) {
			t.Errorf("%+v: err = %v, want ErrInput", opt, err)
		}
	}
}
