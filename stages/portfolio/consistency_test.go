package portfolio

import (
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"lendscore/gen"
	"lendscore/pipeline/storage"
	"lendscore/stages/features"
	"lendscore/stages/ingest"
)

// featureColumns runs features.Build and returns, per customer id, its current_dpd and
// total_balance.
func featureColumns(t *testing.T, in features.Inputs) map[string][2]float64 {
	t.Helper()
	out, err := features.Build(t.Context(), in, features.Options{AsOf: asOfTest})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	rec := out.Record
	col := func(name string) arrow.Array {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) == 0 {
			t.Fatalf("features output has no %s", name)
		}
		return rec.Column(idx[0])
	}
	ids := col(features.CustomerIDColumn).(*array.String)
	dpd, bal := col("current_dpd").(*array.Float64), col("total_balance").(*array.Float64)
	m := make(map[string][2]float64, ids.Len())
	for i := range ids.Len() {
		m[ids.Value(i)] = [2]float64{dpd.Value(i), bal.Value(i)}
	}
	return m
}

// perCustomer classifies the loans and returns, per customer id, the largest days past
// due and the sum of the balances of its loans (0 for loans not originated or closed),
// summed in loan order as features does.
func perCustomer(t *testing.T, loans, reps []arrow.Record) map[string][2]float64 {
	t.Helper()
	b, err := readLoans(loans, int32(arrow.Date32FromTime(asOfTest)))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.readRepayments(t.Context(), reps); err != nil {
		t.Fatal(err)
	}
	var custs []string
	for _, r := range loans {
		ids := r.Column(r.Schema().FieldIndices("customer_id")[0]).(*array.String)
		for i := range ids.Len() {
			custs = append(custs, ids.Value(i))
		}
	}
	m := map[string][2]float64{}
	b.each(func(q int, _ uint8, dpd int32, bal float64) {
		v := m[custs[q]]
		m[custs[q]] = [2]float64{math.Max(v[0], float64(dpd)), v[1] + bal}
	})
	return m
}

// A customer with one loan has the loan's days past due as current_dpd and its balance as
// total_balance: the two packages apply one rule.
func TestSameRuleAsFeaturesOneLoanCustomers(t *testing.T) {
	loans, reps := handBook()
	var ids []string
	for _, l := range loans {
		ids = append(ids, l.cust)
	}
	lr, rr := []arrow.Record{loansRecord(t, loans)}, []arrow.Record{repaymentsRecord(t, reps)}
	want := featureColumns(t, features.Inputs{Customers: []arrow.Record{customersRecord(t, ids)}, Loans: lr, Repayments: rr})
	got := perCustomer(t, lr, rr)
	for _, l := range loans {
		if got[l.cust] != want[l.cust] {
			t.Errorf("loan %s: days past due and balance %v, features' current_dpd and total_balance %v", l.id, got[l.cust], want[l.cust])
		}
		if h := handLoans[l.id]; got[l.cust] != [2]float64{float64(h.dpd), h.balance} {
			t.Errorf("loan %s: %v, by hand %v %v", l.id, got[l.cust], h.dpd, h.balance)
		}
	}
}

// On the generator's book (several loans per customer, realistic arrears), the largest
// days past due of a customer's loans is its current_dpd and the sum of their balances
// its total_balance.
func TestSameRuleAsFeaturesGeneratedBook(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a book")
	}
	dir := t.TempDir()
	stores := storage.NewStores(storage.Options{})
	if _, err := gen.Generate(t.Context(), stores, storage.MustParse(dir), gen.Config{Customers: 3000, Seed: 11, Months: 24, AsOf: asOfTest}); err != nil {
		t.Fatal(err)
	}
	tables := map[string][]arrow.Record{}
	for _, name := range []string{"customers", "loans", "repayments"} {
		tb, err := ingest.ReadTable(t.Context(), stores, name, dir+"/"+name+"/", ingest.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(tb.Release)
		tables[name] = features.FromTables(tb, nil, nil, nil).Customers
	}
	want := featureColumns(t, features.Inputs{Customers: tables["customers"], Loans: tables["loans"], Repayments: tables["repayments"]})
	got := perCustomer(t, tables["loans"], tables["repayments"])
	late, checked := 0, 0
	for id, g := range got {
		w, ok := want[id]
		if !ok {
			continue // onboarded after as_of
		}
		checked++
		if g != w {
			t.Errorf("customer %s: largest loan days past due and balance sum %v, features %v", id, g, w)
		}
		if g[0] > 90 {
			late++
		}
	}
	t.Logf("%d customers checked, %d more than 90 days past due", checked, late)
	if checked < 2000 || late == 0 {
		t.Fatalf("only %d customers checked, %d of them more than 90 days past due: the book does not test much", checked, late)
	}
}
