package features

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"lendscore/stages/ingest"
)

var nanF = math.NaN()

// history is a small hand-built history observed at 2024-06-30. The windows are
// 3 months (2024-03-30, 2024-06-30], 6 months (2023-12-30, …] and 12 months
// (2023-06-30, …].
func history() extracts {
	return extracts{
		customers: []custRow{
			{id: "C1", typ: "individual", birth: "1980-07-01", onboard: "2020-01-15", gender: "F",
				occupation: "teacher", region: "north", income: 50000, employees: -1},
			{id: "C2", typ: "corporate", established: "2010-03-15", onboard: "2024-06-30",
				region: "south", industry: "retail", income: 1e6, employees: 25},
			{id: "C3", typ: "individual", birth: "1990-01-01", onboard: "2024-07-01", income: nanF, employees: -1},
		},
		loans: []loanRow{
			{id: "L1", cust: "C1", product: "card", collateral: "credit", principal: 5000, limit: 10000, balance: 4000, orig: "2022-01-01"},
			{id: "L2", cust: "C1", product: "mortgage", collateral: "mortgage", principal: 200000, limit: nanF, balance: 150000, orig: "2021-01-01", mat: "2041-01-01"},
			{id: "L3", cust: "C1", product: "card", collateral: "guarantee", principal: 1000, limit: nanF, balance: 0, orig: "2019-01-01", mat: "2023-01-01"},
			{id: "L4", cust: "C1", product: "personal", collateral: "credit", principal: 3000, limit: nanF, balance: 3000, orig: "2024-08-01", mat: "2027-08-01"},
			{id: "L9", cust: "NOBODY", product: "card", principal: 1, limit: nanF, balance: 1, orig: "2020-01-01"},
		},
		repayments: []repRow{
			// due 2024-01-10, paid 55 days late on 2024-03-05: in the 6- and 12-month windows.
			{loan: "L2", due: "2024-01-10", amountDue: 1000, paid: "2024-03-05", amountPaid: 1000, dpd: 55},
			// 10 days late, in the 3-month window.
			{loan: "L2", due: "2024-05-01", amountDue: 1000, paid: "2024-05-11", amountPaid: 1000, dpd: 10},
			// paid after as_of: 20 days past due at as_of.
			{loan: "L2", due: "2024-06-10", amountDue: 1000, paid: "2024-07-20", amountPaid: 1000, dpd: 40},
			// 106 days late in 2022: before every window.
			{loan: "L2", due: "2022-06-01", amountDue: 1000, paid: "2022-09-15", amountPaid: 1000, dpd: 106},
			// paid early.
			{loan: "L1", due: "2023-08-01", amountDue: 200, paid: "2023-07-28", amountPaid: 200, dpd: 0},
			// due after as_of.
			{loan: "L1", due: "2024-09-01", amountDue: 300, dpd: 30},
			{loan: "LX", due: "2024-01-01", amountDue: 1, dpd: 0},
		},
		interactions: []intRow{
			{cust: "C1", ts: "2024-06-29T10:00:00Z", channel: "web", kind: "inquiry"},
			{cust: "C1", ts: "2024-02-01T09:00:00Z", channel: "phone", kind: "complaint", sat: 2, resolved: "false"},
			{cust: "C1", ts: "2023-12-01T09:00:00Z", channel: "app", kind: "survey", sat: 5, resolved: "true"},
			{cust: "C1", ts: "2023-01-01T09:00:00Z", channel: "branch", kind: "complaint", sat: 1},
			{cust: "C1", ts: "2024-07-05T09:00:00Z", channel: "email", kind: "complaint", sat: 1, resolved: "false"},
			{cust: "C1", ts: "2024-06-30T23:59:59Z", channel: "email", kind: "campaign"},
			{cust: "NOBODY", ts: "2024-01-01T00:00:00Z", channel: "web", kind: "inquiry"},
		},
	}
}

func TestBuildHandComputedFeatures(t *testing.T) {
	out := history().build(t, Options{AsOf: date("2024-06-30")})
	tb := readTable(t, out.Record)
	if got := out.Record.NumRows(); got != 2 {
		t.Fatalf("rows = %d, want 2 (C3 is onboarded after as_of)", got)
	}

	tests := []struct {
		cust, name string
		want       float64
		why        string
	}{
		{"C1", "age_years", 43, "born 1980-07-01, birthday not yet reached on 2024-06-30"},
		{"C1", "years_established", nanF, "individual"},
		{"C1", "annual_income", 50000, ""},
		{"C1", "log_annual_income", math.Log(50001), "ln(1 + 50000)"},
		{"C1", "employees", nanF, "null"},
		{"C1", "tenure_months", 53, "2020-01-15 + 53 months = 2024-06-15 ≤ 2024-06-30 < 2024-07-15"},
		{"C1", "n_loans_total", 3, "L1, L2, L3; L4 originates after as_of"},
		{"C1", "n_loans_active", 2, "L1 (no maturity), L2; L3 matured 2023-01-01"},
		{"C1", "n_products", 2, "card, mortgage"},
		{"C1", "total_credit_limit", 210000, "L1 limit 10000 + L2 principal 200000"},
		{"C1", "total_balance", 155000, "L1 4000 + L2 150000 + 1000 paid after as_of + L3 0"},
		{"C1", "utilisation", 155000.0 / 210000, ""},
		{"C1", "has_mortgage", 1, "L2"},
		{"C1", "has_guarantee", 0, "L3 is closed"},
		{"C1", "max_dpd_3m", 20, "2024-06-10 unpaid at 2024-06-30: 20 days; 2024-05-01 paid 10 days late"},
		{"C1", "max_dpd_6m", 55, "2024-01-10 paid 2024-03-05, after 2023-12-30"},
		{"C1", "max_dpd_12m", 55, "the 106 days of 2022 fall before the window"},
		{"C1", "n_late_12m", 3, "55, 10 and 20 days; the 2023-08-01 instalment was paid early"},
		{"C1", "n_late30_12m", 1, "55 days"},
		{"C1", "months_since_delinquency", 3, "last > 30 DPD on 2024-03-05; 2024-06-05 ≤ as_of < 2024-07-05"},
		{"C1", "paid_due_ratio_12m", 2200.0 / 3200, "due 1000+1000+1000+200, paid by as_of 1000+1000+200"},
		{"C1", "current_dpd", 20, ""},
		{"C1", "currently_past_due", 1, ""},
		{"C1", "n_contacts_12m", 4, "web, phone, app and the email at 23:59:59 on as_of"},
		{"C1", "n_complaints_12m", 1, "the 2023-01-01 complaint is older, the 2024-07-05 one later"},
		{"C1", "mean_satisfaction_12m", 3.5, "(2 + 5) / 2"},
		{"C1", "digital_share_12m", 0.75, "web, app, email of 4"},
		{"C1", "days_since_last_contact", 0, "contact on as_of"},
		{"C1", "n_unresolved_complaints", 2, "2024-02-01 (false) and 2023-01-01 (null)"},
		{"C1", "recency_days", 50, "last payment 2024-05-11: 20 + 30 days"},
		{"C1", "frequency_12m", 3, "2023-07-28, 2024-03-05, 2024-05-11"},
		{"C1", "monetary_12m", 2200, "200 + 1000 + 1000"},
		{"C1", "total_exposure", 161000, "balance 155000 + undrawn 10000 − 4000 of L1"},

		{"C2", "age_years", nanF, "corporate"},
		{"C2", "years_established", 14, "2010-03-15 to 2024-06-30"},
		{"C2", "employees", 25, ""},
		{"C2", "tenure_months", 0, "onboarded on as_of"},
		{"C2", "n_loans_total", 0, ""},
		{"C2", "total_balance", 0, ""},
		{"C2", "utilisation", nanF, "no limit"},
		{"C2", "max_dpd_12m", 0, ""},
		{"C2", "months_since_delinquency", nanF, "never delinquent"},
		{"C2", "paid_due_ratio_12m", nanF, "nothing due"},
		{"C2", "current_dpd", 0, ""},
		{"C2", "n_contacts_12m", 0, ""},
		{"C2", "mean_satisfaction_12m", nanF, ""},
		{"C2", "digital_share_12m", nanF, ""},
		{"C2", "days_since_last_contact", nanF, ""},
		{"C2", "recency_days", nanF, ""},
		{"C2", "total_exposure", 0, ""},
	}
	for _, tt := range tests {
		if got := tb.num(t, tt.cust, tt.name); !sameFloat(got, tt.want) {
			t.Errorf("%s %s = %v, want %v (%s)", tt.cust, tt.name, got, tt.want, tt.why)
		}
	}

	strs := []struct {
		cust, name, want string
		valid            bool
	}{
		{"C1", "customer_type", "individual", true},
		{"C1", "gender", "F", true},
		{"C1", "occupation", "teacher", true},
		{"C1", "region", "north", true},
		{"C1", "industry", "", false},
		{"C2", "customer_type", "corporate", true},
		{"C2", "industry", "retail", true},
		{"C2", "gender", "", false},
	}
	for _, tt := range strs {
		got, valid := tb.str(t, tt.cust, tt.name)
		if got != tt.want || valid != tt.valid {
			t.Errorf("%s %s = %q (valid %v), want %q (valid %v)", tt.cust, tt.name, got, valid, tt.want, tt.valid)
		}
	}
	if got := tb.col(t, AsOfDateColumn).(*array.Date32).Value(0); got != day("2024-06-30") {
		t.Errorf("as_of_date = %v", got)
	}

	c := out.Counts[0]
	if c.CustomersIn != 3 || c.NotOnboarded != 1 || c.RowsOut != 2 {
		t.Errorf("counts in/not onboarded/out = %d/%d/%d, want 3/1/2", c.CustomersIn, c.NotOnboarded, c.RowsOut)
	}
	if c.OrphanLoans != 1 || c.OrphanRepayments != 1 || c.OrphanInteractions != 1 {
		t.Errorf("orphans = %d/%d/%d, want 1/1/1", c.OrphanLoans, c.OrphanRepayments, c.OrphanInteractions)
	}
	if got := c.DataEnd.Format("2006-01-02"); got != "2024-09-01" {
		t.Errorf("derived data end = %s, want 2024-09-01 (the latest due date)", got)
	}
}

// TestPointInTime changes only what happens after as_of; no feature may move.
func TestPointInTime(t *testing.T) {
	opts := Options{AsOf: date("2024-06-30")}
	base := history().build(t, opts)

	variants := map[string]func(e *extracts){
		"paid later after as_of": func(e *extracts) {
			e.repayments[2].paid = "2025-01-31"
		},
		"late payment after as_of": func(e *extracts) {
			// A payment after as_of also lowers the balance the extract measures later.
			e.repayments = append(e.repayments, repRow{loan: "L2", due: "2024-07-10", amountDue: 1000, paid: "2024-12-01", amountPaid: 1000, dpd: 144})
			e.loans[1].balance -= 1000
		},
		"unpaid instalment due after as_of": func(e *extracts) {
			e.repayments = append(e.repayments, repRow{loan: "L1", due: "2024-07-01", amountDue: 500, dpd: 200})
		},
		"extract days_past_due": func(e *extracts) {
			for i := range e.repayments {
				e.repayments[i].dpd = 999
			}
		},
		"new loan after as_of": func(e *extracts) {
			e.loans = append(e.loans, loanRow{id: "L5", cust: "C2", product: "card", collateral: "mortgage", principal: 9000, limit: 9000, balance: 9000, orig: "2024-07-01"})
			e.repayments = append(e.repayments, repRow{loan: "L5", due: "2024-08-01", amountDue: 100, dpd: 120})
		},
		"complaint after as_of": func(e *extracts) {
			e.interactions = append(e.interactions, intRow{cust: "C2", ts: "2024-07-01T00:00:00Z", channel: "web", kind: "complaint", sat: 1, resolved: "false"})
		},
	}
	for name, change := range variants {
		t.Run(name, func(t *testing.T) {
			e := history()
			change(&e)
			got := e.build(t, opts)
			assertSameFeatures(t, base, got)
		})
	}

	// The control: the same kind of change before as_of does move features.
	e := history()
	e.repayments[2].paid = "2024-06-20"
	moved := e.build(t, opts)
	if sameFloat(readTable(t, moved.Record).num(t, "C1", "current_dpd"), 20) {
		t.Error("paying on 2024-06-20 should clear the 20 days past due at as_of")
	}
}

func assertSameFeatures(t *testing.T, a, b *Output) {
	t.Helper()
	if !a.Record.Schema().Equal(b.Record.Schema()) || a.Record.NumRows() != b.Record.NumRows() {
		t.Fatalf("schemas or row counts differ")
	}
	for j, f := range a.Record.Schema().Fields() {
		x, y := a.Record.Column(j), b.Record.Column(j)
		for i := 0; i < x.Len(); i++ {
			if xf, ok := x.(*array.Float64); ok {
				if v, w := xf.Value(i), y.(*array.Float64).Value(i); !sameFloat(v, w) {
					t.Errorf("%s row %d: %v, now %v", f.Name, i, v, w)
				}
				continue
			}
			if x.ValueStr(i) != y.ValueStr(i) {
				t.Errorf("%s row %d: %s, now %s", f.Name, i, x.ValueStr(i), y.ValueStr(i))
			}
		}
	}
}

func TestSchemaMatchesOutput(t *testing.T) {
	opts := Options{AsOf: date("2024-06-30"), Label: true, DataEnd: date("2025-12-31")}
	out := history().build(t, opts)
	want, err := FeatureSchema(opts)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Record.Schema().Equal(want) {
		t.Errorf("schema\n%v\nwant\n%v", out.Record.Schema(), want)
	}
	fs, err := Features(opts)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{CustomerIDColumn, AsOfDateColumn}
	for _, f := range fs {
		if f.Definition == "" {
			t.Errorf("%s has no definition", f.Name)
		}
		names = append(names, f.Name)
	}
	names = append(names, BadColumn, LabelStatusColumn)
	var got []string
	for _, f := range want.Fields() {
		got = append(got, f.Name)
	}
	if !slices.Equal(got, names) {
		t.Errorf("schema columns %v, want %v", got, names)
	}
	if got[2] != "customer_type" || got[len(got)-3] != "total_exposure" {
		t.Errorf("first feature %s, last %s", got[2], got[len(got)-3])
	}

	custom := Options{AsOf: date("2024-06-30"), DPDWindows: []int{1, 24}, Window: 6}
	s, err := FeatureSchema(custom)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"max_dpd_1m", "max_dpd_24m", "n_late_6m", "n_contacts_6m", "monetary_6m"} {
		if len(s.FieldIndices(name)) != 1 {
			t.Errorf("custom windows: no column %s", name)
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	in := history().inputs(t)
	for name, o := range map[string]Options{
		"no as_of":             {},
		"negative window":      {AsOf: date("2024-06-30"), Window: -1},
		"zero dpd window":      {AsOf: date("2024-06-30"), DPDWindows: []int{0}},
		"twice dpd window":     {AsOf: date("2024-06-30"), DPDWindows: []int{3, 3}},
		"drop without label":   {AsOf: date("2024-06-30"), DropUnlabelled: true},
		"negative performance": {AsOf: date("2024-06-30"), PerformanceWindow: -3},
	} {
		if _, err := Build(t.Context(), in, o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestBadInputErrors(t *testing.T) {
	tests := map[string]struct {
		change func(e *extracts)
		want   string
	}{
		"duplicate customer": {func(e *extracts) { e.customers = append(e.customers, e.customers[0]) }, `customer_id "C1" appears twice`},
		"duplicate loan":     {func(e *extracts) { e.loans = append(e.loans, e.loans[0]) }, `loan_id "L1" appears twice`},
		"null onboard_date":  {func(e *extracts) { e.customers[0].onboard = "" }, `"onboard_date" has 1 nulls`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := history()
			tt.change(&e)
			_, err := Build(t.Context(), e.inputs(t), Options{AsOf: date("2024-06-30")})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %s", err, tt.want)
			}
		})
	}

	e := history()
	in := e.inputs(t)
	in.Repayments = []arrow.Record{in.Customers[0]}
	if _, err := Build(t.Context(), in, Options{AsOf: date("2024-06-30")}); err == nil || !strings.Contains(err.Error(), `repayments: no column "loan_id"`) {
		t.Errorf("wrong table: error %v", err)
	}
}

func TestBalanceAtAsOf(t *testing.T) {
	e := extracts{
		customers: []custRow{
			{id: "A", typ: "individual", onboard: "2020-01-01", income: 1, employees: -1},
			{id: "B", typ: "individual", onboard: "2020-01-01", income: 1, employees: -1},
		},
		loans: []loanRow{
			// no extracted balance: principal 1000 − 100 paid by as_of
			{id: "LA", cust: "A", principal: 1000, limit: nanF, balance: nanF, orig: "2023-01-01", mat: "2026-01-01"},
			// 50 now + 2000 paid after as_of, capped at the principal
			{id: "LB", cust: "B", principal: 1000, limit: nanF, balance: 50, orig: "2023-01-01", mat: "2026-01-01"},
		},
		repayments: []repRow{
			{loan: "LA", due: "2024-05-01", amountDue: 100, paid: "2024-05-01", amountPaid: 100, dpd: 0},
			{loan: "LA", due: "2024-06-01", amountDue: 100, paid: "2024-07-01", amountPaid: 100, dpd: 30},
			{loan: "LB", due: "2024-07-01", amountDue: 2000, paid: "2024-07-01", amountPaid: 2000, dpd: 0},
		},
	}
	tb := readTable(t, e.build(t, Options{AsOf: date("2024-06-30")}).Record)
	for cust, want := range map[string]float64{"A": 900, "B": 1000} {
		if got := tb.num(t, cust, "total_balance"); got != want {
			t.Errorf("%s total_balance = %v, want %v", cust, got, want)
		}
	}
}

func TestFromTables(t *testing.T) {
	in := history().inputs(t)
	table := func(recs []arrow.Record) *ingest.Table {
		tb := &ingest.Table{Schema: recs[0].Schema()}
		for _, r := range recs {
			tb.Batches = append(tb.Batches, ingest.Batch{Record: r})
		}
		return tb
	}
	got := FromTables(table(in.Customers), table(in.Loans), table(in.Repayments), nil)
	if got.Customers[0] != in.Customers[0] || got.Repayments[0] != in.Repayments[0] || got.Interactions != nil {
		t.Errorf("FromTables = %+v", got)
	}
}
