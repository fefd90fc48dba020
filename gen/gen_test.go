package gen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"lendscore/gen"
	"lendscore/pipeline/storage"
	"lendscore/schemas"
)

func generate(t testing.TB, dir string, cfg gen.Config) *gen.Summary {
	t.Helper()
	sum, err := gen.Generate(context.Background(), storage.NewStores(storage.Options{}), storage.MustParse(dir), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// readDir returns every file below dir by relative path.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGenerateIsDeterministic(t *testing.T) {
	for _, rate := range []float64{0, 0.05} {
		base := gen.Config{Customers: 2500, Seed: 7, DirtyRate: rate, CustomersPerPart: 1000,
			Shock: gen.Shock{From: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), Share: 0.1}}
		a, b := base, base
		a.Parallelism, b.Parallelism = 1, 3
		da, db := t.TempDir(), t.TempDir()
		generate(t, da, a)
		generate(t, db, b)
		fa, fb := readDir(t, da), readDir(t, db)
		if len(fa) != 4*3+1 {
			t.Fatalf("rate %g: %d files, want 13 (4 tables × 3 parts + answer key)", rate, len(fa))
		}
		for name, ba := range fa {
			if !bytes.Equal(ba, fb[name]) {
				t.Errorf("rate %g: %s differs between parallelism 1 and 3", rate, name)
			}
		}
		// Another seed gives other data.
		c := base
		c.Seed = 8
		dc := t.TempDir()
		generate(t, dc, c)
		if bytes.Equal(fa["loans/part-00000.parquet"], readDir(t, dc)["loans/part-00000.parquet"]) {
			t.Errorf("rate %g: seeds 7 and 8 gave the same loans", rate)
		}
	}
}

func TestGenerateSchemas(t *testing.T) {
	for _, rate := range []float64{0, 0.01} {
		dir := t.TempDir()
		generate(t, dir, gen.Config{Customers: 300, Seed: 1, DirtyRate: rate})
		for _, table := range schemas.ExtractTables() {
			want, _ := schemas.Extract(table)
			got := readFrame(t, dir, table).schema
			if len(got.Fields()) != len(want.Fields()) {
				t.Fatalf("rate %g %s: %d columns, want %d", rate, table, len(got.Fields()), len(want.Fields()))
			}
			for i, f := range want.Fields() {
				if rate > 0 {
					// Legacy exports: all nullable, two text columns.
					f.Nullable = true
					if table == schemas.Customers && (f.Name == "annual_income" || f.Name == "birth_date") {
						f.Type = arrow.BinaryTypes.String
					}
				}
				g := got.Field(i)
				if g.Name != f.Name || !arrow.TypeEqual(g.Type, f.Type) || g.Nullable != f.Nullable {
					t.Errorf("rate %g %s column %d: got %s %v nullable=%v, want %s %v nullable=%v", rate, table, i, g.Name, g.Type, g.Nullable, f.Name, f.Type, f.Nullable)
				}
			}
		}
	}
}

func day(s string) float64 {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return float64(t.Unix() / 86400)
}

// TestGenerateRealism checks the clean extracts against the rules of their world: shares,
// domains, keys, dates and the days-past-due arithmetic.
func TestGenerateRealism(t *testing.T) {
	dir := t.TempDir()
	const n = 5000
	sum := generate(t, dir, gen.Config{Customers: n, Seed: 3, Months: 24})
	cu, lo, re, in := readFrame(t, dir, "customers"), readFrame(t, dir, "loans"), readFrame(t, dir, "repayments"), readFrame(t, dir, "interactions")
	if cu.rows != n || int64(lo.rows) != sum.Rows["loans"] || int64(re.rows) != sum.Rows["repayments"] {
		t.Fatalf("rows: customers %d loans %d repayments %d, summary %v", cu.rows, lo.rows, re.rows, sum.Rows)
	}
	asOf, histFirst := day("2026-06-30"), day("2024-07-01") // 24 months: July 2024 – June 2026

	// Customers: ~15% corporates (binomial sd of the share at n=5000: 0.005), ids unique.
	ids, types := cu.strs("customer_id"), cu.strs("customer_type")
	isCorp := map[string]bool{}
	corp := 0
	for i, id := range ids {
		if _, dup := isCorp[id]; dup {
			t.Fatalf("customer %s twice", id)
		}
		isCorp[id] = types[i] == "corporate"
		if types[i] == "corporate" {
			corp++
		} else if types[i] != "individual" {
			t.Fatalf("customer_type %q", types[i])
		}
	}
	if share := float64(corp) / n; share < 0.13 || share > 0.17 {
		t.Errorf("corporate share %.3f, want 0.15 ± 0.02", share)
	}
	onboard, income, birthOK, empOK := cu.nums("onboard_date"), cu.nums("annual_income"), cu.valid("birth_date"), cu.valid("employees")
	for i := range ids {
		if onboard[i] > asOf || income[i] <= 0 || income[i] > 1e9 {
			t.Fatalf("customer %s: onboard %v income %v", ids[i], onboard[i], income[i])
		}
		if birthOK[i] == isCorp[ids[i]] || empOK[i] != isCorp[ids[i]] {
			t.Fatalf("customer %s (corporate %v): birth_date valid %v, employees valid %v", ids[i], isCorp[ids[i]], birthOK[i], empOK[i])
		}
	}

	// Loans: 1–4 per customer, unique ids, products by customer type, valid domains.
	lids, lcust, prod := lo.strs("loan_id"), lo.strs("customer_id"), lo.strs("product")
	coll, rep, rate := lo.strs("collateral"), lo.strs("repayment"), lo.nums("rate")
	orig, mat, matOK := lo.nums("origination_date"), lo.nums("maturity_date"), lo.valid("maturity_date")
	perCust := map[string]int{}
	loanSet := map[string]bool{}
	corpProducts := map[string]bool{"working_capital": true, "project": true, "fixed_asset": true}
	indProducts := map[string]bool{"consumer": true, "credit_card": true, "mortgage": true}
	for i, id := range lids {
		if loanSet[id] {
			t.Fatalf("loan %s twice", id)
		}
		loanSet[id] = true
		corp, ok := isCorp[lcust[i]]
		if !ok {
			t.Fatalf("loan %s: unknown customer %s", id, lcust[i])
		}
		perCust[lcust[i]]++
		if (corp && !corpProducts[prod[i]]) || (!corp && !indProducts[prod[i]]) {
			t.Fatalf("loan %s: product %s for corporate=%v", id, prod[i], corp)
		}
		if !slices.Contains([]string{"credit", "mortgage", "guarantee"}, coll[i]) || !slices.Contains([]string{"installment", "bullet"}, rep[i]) {
			t.Fatalf("loan %s: collateral %q repayment %q", id, coll[i], rep[i])
		}
		if rate[i] <= 0 || rate[i] > 0.36 || orig[i] > asOf || (matOK[i] && mat[i] <= orig[i]) {
			t.Fatalf("loan %s: rate %v origination %v maturity %v", id, rate[i], orig[i], mat[i])
		}
	}
	if len(perCust) != n {
		t.Errorf("%d customers have loans, want all %d", len(perCust), n)
	}
	for c, k := range perCust {
		if k < 1 || k > 4 {
			t.Fatalf("customer %s has %d loans", c, k)
		}
	}

	// Repayments: known loans, due within the history, (loan, due) unique, DPD arithmetic.
	rl, due, paid, paidOK := re.strs("loan_id"), re.nums("due_date"), re.nums("paid_date"), re.valid("paid_date")
	amt, paidAmt, paidAmtOK, dpd := re.nums("amount_due"), re.nums("amount_paid"), re.valid("amount_paid"), re.nums("days_past_due")
	type key struct {
		loan string
		due  float64
	}
	seen := map[key]bool{}
	for i := range rl {
		k := key{rl[i], due[i]}
		if !loanSet[rl[i]] || seen[k] {
			t.Fatalf("repayment %d: loan %s known %v, (loan, due) seen before %v", i, rl[i], loanSet[rl[i]], seen[k])
		}
		seen[k] = true
		if due[i] < histFirst || due[i] > asOf || amt[i] <= 0 {
			t.Fatalf("repayment %d: due %v outside [%v, %v] or amount %v", i, due[i], histFirst, asOf, amt[i])
		}
		want := asOf - due[i]
		if paidOK[i] {
			want = math.Max(0, paid[i]-due[i])
			if paid[i] > asOf || paid[i] < due[i]-5 || !paidAmtOK[i] || paidAmt[i] != amt[i] {
				t.Fatalf("repayment %d: due %v paid %v amount %v paid amount %v", i, due[i], paid[i], amt[i], paidAmt[i])
			}
		} else if paidAmtOK[i] {
			t.Fatalf("repayment %d: unpaid with an amount paid", i)
		}
		if dpd[i] != want {
			t.Fatalf("repayment %d: days_past_due %v, want %v", i, dpd[i], want)
		}
	}

	// Interactions: known customers, within the history, satisfaction only on surveys.
	ic, ts, kind, sat, satOK := in.strs("customer_id"), in.nums("ts"), in.strs("kind"), in.nums("satisfaction"), in.valid("satisfaction")
	kinds := map[string]int{}
	for i := range ic {
		if _, ok := isCorp[ic[i]]; !ok {
			t.Fatalf("interaction %d: unknown customer %s", i, ic[i])
		}
		if d := math.Floor(ts[i] / 86_400_000); d < histFirst || d > asOf {
			t.Fatalf("interaction %d: day %v outside the history", i, d)
		}
		kinds[kind[i]]++
		if satOK[i] != (kind[i] == "survey") || (satOK[i] && (sat[i] < 1 || sat[i] > 5)) {
			t.Fatalf("interaction %d: kind %s satisfaction %v (valid %v)", i, kind[i], sat[i], satOK[i])
		}
	}
	for _, k := range []string{"inquiry", "complaint", "survey", "visit", "campaign"} {
		if kinds[k] == 0 {
			t.Errorf("no %s interactions", k)
		}
	}
}

// outcome is what TestGenerateSignal derives per customer from the files alone.
type outcome struct {
	inPopulation, bad bool
	worstDPDAtObs     float64
	complaints        int
	income            float64
	corporate         bool
	drawn, limit      float64 // revolving lines
}

// outcomes labels customers from the files as the contract defines it (bad = an instalment
// reached 90 days past due within the 12 months after the observation date) and gathers
// what they looked like at the observation date.
func outcomes(t *testing.T, dir string, asOf, obs float64) map[string]*outcome {
	cu, lo, re, in := readFrame(t, dir, "customers"), readFrame(t, dir, "loans"), readFrame(t, dir, "repayments"), readFrame(t, dir, "interactions")
	out := map[string]*outcome{}
	ids, types, income := cu.strs("customer_id"), cu.strs("customer_type"), cu.nums("annual_income")
	for i, id := range ids {
		out[id] = &outcome{income: income[i], corporate: types[i] == "corporate"}
	}
	owner := map[string]string{}
	lids, lcust, prod, bal, lim := lo.strs("loan_id"), lo.strs("customer_id"), lo.strs("product"), lo.nums("balance"), lo.nums("credit_limit")
	for i, id := range lids {
		owner[id] = lcust[i]
		if prod[i] == "credit_card" || prod[i] == "working_capital" {
			o := out[lcust[i]]
			o.drawn += bal[i]
			o.limit += lim[i]
		}
	}
	rl, due, paid, paidOK := re.strs("loan_id"), re.nums("due_date"), re.nums("paid_date"), re.valid("paid_date")
	late := map[string]bool{} // 90+ days past due at the observation date: excluded
	for i := range rl {
		c := owner[rl[i]]
		o := out[c]
		reached := !paidOK[i] || paid[i]-due[i] >= 90
		if due[i] > obs {
			o.inPopulation = true
		}
		if reached && due[i]+90 > obs && due[i]+90 <= asOf {
			o.bad = true
		}
		if due[i] <= obs {
			openAtObs := !paidOK[i] || paid[i] > obs
			end := obs
			if !openAtObs {
				end = paid[i]
			}
			o.worstDPDAtObs = math.Max(o.worstDPDAtObs, end-due[i])
			if openAtObs && obs-due[i] >= 90 {
				late[c] = true
			}
		}
	}
	ic, ts, kind := in.strs("customer_id"), in.nums("ts"), in.strs("kind")
	for i := range ic {
		if kind[i] == "complaint" && ts[i] < obs*86_400_000 {
			out[ic[i]].complaints++
		}
	}
	for c := range late {
		out[c].inPopulation = false
	}
	return out
}

// badRate returns the bad rate of the population customers that satisfy keep.
func badRate(os map[string]*outcome, keep func(*outcome) bool) (rate float64, n int) {
	bads := 0
	for _, o := range os {
		if o.inPopulation && keep(o) {
			n++
			if o.bad {
				bads++
			}
		}
	}
	return float64(bads) / float64(n), n
}

// TestGenerateSignal checks that the planted risk is there, as a modeller would find it
// from the files alone: a realistic bad rate, and higher bad rates for customers with past
// arrears, complaints, low incomes or stretched credit lines.
func TestGenerateSignal(t *testing.T) {
	dir := t.TempDir()
	sum := generate(t, dir, gen.Config{Customers: 20000, Seed: 11})
	asOf, obs := day("2026-06-30"), day("2025-06-30")
	os := outcomes(t, dir, asOf, obs)
	all, n := badRate(os, func(*outcome) bool { return true })
	t.Logf("bad rate %.4f over %d customers (generator says %.4f over %d)", all, n, sum.Signal.BadRate, sum.Signal.Customers)
	if all < 0.05 || all > 0.15 {
		t.Errorf("12-month bad rate %.4f, want 5%%–15%%", all)
	}
	if int64(n) != sum.Signal.Customers || math.Abs(all-sum.Signal.BadRate) > 1e-12 {
		t.Errorf("files give %d customers at bad rate %.5f; the summary says %d at %.5f", n, all, sum.Signal.Customers, sum.Signal.BadRate)
	}
	var incomes []float64
	for _, o := range os {
		if !o.corporate && o.inPopulation {
			incomes = append(incomes, o.income)
		}
	}
	slices.Sort(incomes)
	q1, q3 := incomes[len(incomes)/4], incomes[3*len(incomes)/4]
	for _, c := range []struct {
		name       string
		risky, low func(*outcome) bool
		minRatio   float64
	}{
		{"past 30+ days past due", func(o *outcome) bool { return o.worstDPDAtObs >= 30 }, func(o *outcome) bool { return o.worstDPDAtObs < 30 }, 2},
		{"complained", func(o *outcome) bool { return o.complaints > 0 }, func(o *outcome) bool { return o.complaints == 0 }, 1.3},
		{"income bottom quartile", func(o *outcome) bool { return !o.corporate && o.income <= q1 }, func(o *outcome) bool { return !o.corporate && o.income >= q3 }, 1.5},
		{"utilisation ≥ 80%", func(o *outcome) bool { return o.limit > 0 && o.drawn >= 0.8*o.limit }, func(o *outcome) bool { return o.limit > 0 && o.drawn < 0.5*o.limit }, 1.5},
	} {
		hi, nh := badRate(os, c.risky)
		lo, nl := badRate(os, c.low)
		t.Logf("%s: bad rate %.4f (n=%d) vs %.4f (n=%d), ratio %.2f", c.name, hi, nh, lo, nl, hi/lo)
		if hi < c.minRatio*lo {
			t.Errorf("%s: bad rate %.4f vs %.4f, want a ratio ≥ %.1f", c.name, hi, lo, c.minRatio)
		}
	}
}

func TestGenerateDrift(t *testing.T) {
	start := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	base := gen.Config{Customers: 20000, Seed: 5}
	drifted := base
	drifted.Drift = gen.Drift{Start: start, Strength: 1}
	d0, d1 := t.TempDir(), t.TempDir()
	s0, s1 := generate(t, d0, base), generate(t, d1, drifted)
	t.Logf("bad rate %.4f without drift, %.4f with", s0.Signal.BadRate, s1.Signal.BadRate)
	if s1.Signal.BadRate < 1.3*s0.Signal.BadRate {
		t.Errorf("drift raised the bad rate from %.4f to %.4f only", s0.Signal.BadRate, s1.Signal.BadRate)
	}
	// Individuals onboarded after the start earn exp(-0.3) ≈ 0.74 times as much.
	meanIncome := func(dir string) float64 {
		cu := readFrame(t, dir, "customers")
		types, income, onboard := cu.strs("customer_type"), cu.nums("annual_income"), cu.nums("onboard_date")
		var sum float64
		var n int
		for i := range types {
			if types[i] == "individual" && onboard[i] >= day("2025-07-01") {
				sum += income[i]
				n++
			}
		}
		return sum / float64(n)
	}
	m0, m1 := meanIncome(d0), meanIncome(d1)
	if r := m1 / m0; r < 0.65 || r > 0.83 {
		t.Errorf("mean income after the drift start: ratio %.3f to the undrifted, want about 0.74", r)
	}
}

// TestGenerateFaults checks the answer key against the files: the fault rate, every kind
// present, and the injected counts that can be seen in the files directly.
func TestGenerateFaults(t *testing.T) {
	dir := t.TempDir()
	const rate = 0.05
	sum := generate(t, dir, gen.Config{Customers: 3000, Seed: 9, DirtyRate: rate})
	kinds := map[string]int{"customers": 9, "loans": 12, "repayments": 10, "interactions": 5}
	for table, want := range kinds {
		inj := sum.Injected[table]
		if len(inj) != want {
			t.Errorf("%s: %d fault kinds injected, want %d: %v", table, len(inj), want, inj)
		}
		var faults int64
		for _, n := range inj {
			faults += n
		}
		// Duplicates add rows, so the base is rows minus duplicates.
		rows := sum.Rows[table] - inj["duplicate_key:customer_id"] - inj["duplicate_key:loan_id"] - inj["duplicate_key:loan_id+due_date"]
		sd := math.Sqrt(float64(rows) * rate * (1 - rate))
		if math.Abs(float64(faults)-rate*float64(rows)) > 4*sd {
			t.Errorf("%s: %d faults in %d rows, want %.0f ± %.0f", table, faults, rows, rate*float64(rows), 4*sd)
		}
		var expected int64
		for _, n := range sum.Quarantine[table] {
			expected += n
		}
		if expected < faults {
			t.Errorf("%s: expected quarantine %d below the %d injected faults", table, expected, faults)
		}
	}
	// Counts visible in the files.
	cu, re := readFrame(t, dir, "customers"), readFrame(t, dir, "repayments")
	nullIDs, badIncome := 0, 0
	idOK, incomes := cu.valid("customer_id"), cu.strs("annual_income")
	for i := range idOK {
		if !idOK[i] {
			nullIDs++
		}
		if _, err := strconv.ParseFloat(incomes[i], 64); incomes[i] != "" && err != nil {
			badIncome++
		}
	}
	if int64(nullIDs) != sum.Injected["customers"]["null_required:customer_id"] {
		t.Errorf("%d customers without id, answer key says %d", nullIDs, sum.Injected["customers"]["null_required:customer_id"])
	}
	if int64(badIncome) != sum.Injected["customers"]["unparseable:annual_income"] {
		t.Errorf("%d unparseable incomes, answer key says %d", badIncome, sum.Injected["customers"]["unparseable:annual_income"])
	}
	dpd := re.nums("days_past_due")
	huge := 0
	for _, d := range dpd {
		if d == 99999 {
			huge++
		}
	}
	if int64(huge) != sum.Injected["repayments"]["outlier:days_past_due"] {
		t.Errorf("%d repayments at 99999 days past due, answer key says %d", huge, sum.Injected["repayments"]["outlier:days_past_due"])
	}
	// The answer key on disk is the summary.
	var onDisk gen.Summary
	b, err := os.ReadFile(filepath.Join(dir, gen.AnswerKeyName))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &onDisk); err != nil {
		t.Fatal(err)
	}
	if onDisk.Quarantine["loans"]["orphan:customer_id"] != sum.Quarantine["loans"]["orphan:customer_id"] || onDisk.Rows["repayments"] != sum.Rows["repayments"] {
		t.Errorf("_generator.json differs from the summary")
	}
}

func TestGenerateDeletesStaleParts(t *testing.T) {
	dir := t.TempDir()
	generate(t, dir, gen.Config{Customers: 300, CustomersPerPart: 100})
	generate(t, dir, gen.Config{Customers: 150, CustomersPerPart: 100})
	for _, table := range schemas.ExtractTables() {
		files, _ := filepath.Glob(filepath.Join(dir, table, "*"))
		if len(files) != 2 {
			t.Errorf("%s: %v, want part-00000 and part-00001 only", table, files)
		}
	}
}

func TestGenerateRejectsBadConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  gen.Config
		want string
	}{
		{gen.Config{}, "customers 0"},
		{gen.Config{Customers: 10, Months: -1}, "months -1"},
		{gen.Config{Customers: 10, DirtyRate: 0.5}, "dirty rate 0.5"},
		{gen.Config{Customers: 10, DirtyRate: math.NaN()}, "dirty rate NaN"},
		{gen.Config{Customers: 10, Drift: gen.Drift{Strength: 1}}, "drift"},
		{gen.Config{Customers: 10, Shock: gen.Shock{Share: 0.1}}, "shock: a share needs a from date"},
		{gen.Config{Customers: 10, Shock: gen.Shock{From: gen.DefaultAsOf, Share: 1.5}}, "shock share 1.5"},
		{gen.Config{Customers: 10, Shock: gen.Shock{From: gen.DefaultAsOf, Share: math.NaN()}}, "shock share NaN"},
		{gen.Config{Customers: 10, Shock: gen.Shock{From: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)}}, "shock from 1900-01-01"},
		{gen.Config{Customers: 10, HistoryStart: time.Date(2024, 7, 2, 0, 0, 0, 0, time.UTC)}, "history start 2024-07-02: want the first day of a month"},
		{gen.Config{Customers: 10, HistoryStart: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)}, "history start 2026-07-01: after as-of 2026-06-30"},
		{gen.Config{Customers: 10, HistoryStart: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)}, "at most 600 months"},
	} {
		_, err := gen.Generate(context.Background(), storage.NewStores(storage.Options{}), storage.MustParse(t.TempDir()), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", c.cfg, err, c.want)
		}
	}
}
