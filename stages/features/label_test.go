package features

import (
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"
)

// labelHistory has one customer per label case, observed at 2023-06-30 with the performance
// window (2023-06-30, 2024-06-30].
func labelHistory() extracts {
	e := extracts{}
	add := func(cust string, reps ...repRow) {
		e.customers = append(e.customers, custRow{id: cust, typ: "individual", onboard: "2020-01-01", income: 1, employees: -1})
		if len(reps) == 0 {
			return
		}
		loan := "L" + cust
		e.loans = append(e.loans, loanRow{id: loan, cust: cust, principal: 1000, limit: nanF, balance: 0, orig: "2020-01-01"})
		for _, r := range reps {
			r.loan = loan
			r.amountDue, r.amountPaid = 100, 100
			e.repayments = append(e.repayments, r)
		}
	}
	// 90 days past due on 2023-11-30, inside the window.
	add("bad_inside", repRow{due: "2023-09-01", paid: "2023-12-15"})
	// 90 days past due only on 2024-07-30, after the window.
	add("bad_after", repRow{due: "2024-05-01"})
	// paid on day 89.
	add("paid_day89", repRow{due: "2023-08-01", paid: "2023-10-29"})
	// paid on day 90: it reached 90 days past due.
	add("paid_day90", repRow{due: "2023-08-01", paid: "2023-10-30"})
	// 121 days past due at as_of: already in default.
	add("defaulted", repRow{due: "2023-03-01", paid: "2023-08-01"})
	// 151 days late but paid before as_of: cured.
	add("cured", repRow{due: "2023-01-01", paid: "2023-06-01"})
	// 60 days past due at as_of, 90 on 2023-07-30.
	add("rolls_bad", repRow{due: "2023-05-01"})
	// a loan originated after as_of that goes bad in the window.
	add("new_loan_bad", repRow{due: "2024-01-01", paid: "2024-04-15"})
	e.loans[len(e.loans)-1].orig = "2023-12-01"
	// no loans.
	add("no_loans")
	// paid on time, plenty of data after the window.
	add("good", repRow{due: "2023-07-01", paid: "2023-07-01"}, repRow{due: "2024-12-31", paid: "2024-12-31"})
	return e
}

func TestLabel(t *testing.T) {
	out := labelHistory().build(t, Options{AsOf: date("2023-06-30"), Label: true})
	tb := readTable(t, out.Record)
	bad := tb.col(t, BadColumn).(*array.Int8)
	status := tb.col(t, LabelStatusColumn).(*array.String)
	tests := []struct {
		cust   string
		bad    int8 // -1: null
		status string
	}{
		{"bad_inside", 1, StatusLabelled},
		{"bad_after", 0, StatusLabelled},
		{"paid_day89", 0, StatusLabelled},
		{"paid_day90", 1, StatusLabelled},
		{"defaulted", -1, StatusDefaulted},
		{"cured", 0, StatusLabelled},
		{"rolls_bad", 1, StatusLabelled},
		{"new_loan_bad", 1, StatusLabelled},
		{"no_loans", 0, StatusLabelled},
		{"good", 0, StatusLabelled},
	}
	for _, tt := range tests {
		r := tb.row[tt.cust]
		got := int8(-1)
		if bad.IsValid(r) {
			got = bad.Value(r)
		}
		if got != tt.bad || status.Value(r) != tt.status {
			t.Errorf("%s: bad %d status %s, want %d %s", tt.cust, got, status.Value(r), tt.bad, tt.status)
		}
	}
	c := out.Counts[0]
	if c.Labelled != 9 || c.Bads != 4 || c.Excluded[StatusDefaulted] != 1 || c.RowsOut != 10 {
		t.Errorf("counts labelled %d bads %d excluded %v rows %d, want 9 4 map[defaulted_at_as_of:1] 10",
			c.Labelled, c.Bads, c.Excluded, c.RowsOut)
	}
	if got := c.PerformanceEnd.Format("2006-01-02"); got != "2024-06-30" {
		t.Errorf("performance end %s", got)
	}
	if got := tb.num(t, "rolls_bad", "current_dpd"); got != 60 {
		t.Errorf("rolls_bad current_dpd = %v, want 60", got)
	}
}

func TestLabelDropUnlabelled(t *testing.T) {
	out := labelHistory().build(t, Options{AsOf: date("2023-06-30"), Label: true, DropUnlabelled: true})
	if out.Record.NumRows() != 9 || out.Counts[0].RowsOut != 9 || out.Counts[0].Excluded[StatusDefaulted] != 1 {
		t.Errorf("rows %d, counts %+v; want 9 rows and the defaulted customer counted", out.Record.NumRows(), out.Counts[0])
	}
	if n := out.Record.Column(out.Record.Schema().FieldIndices(BadColumn)[0]).NullN(); n != 0 {
		t.Errorf("%d null labels left", n)
	}
}

func TestLabelWindowIncomplete(t *testing.T) {
	e := labelHistory()
	// The data ends 2024-12-31; as_of 2024-01-31 needs data up to 2025-01-31.
	out := e.build(t, Options{AsOf: date("2024-01-31"), Label: true})
	c := out.Counts[0]
	if c.Labelled != 0 || c.Excluded[StatusWindowIncomplete] != 10 || c.RowsOut != 10 {
		t.Errorf("counts %+v, want all 10 window_incomplete", c)
	}
	if got := c.DataEnd.Format("2006-01-02"); got != "2024-12-31" {
		t.Errorf("data end %s, want 2024-12-31", got)
	}
	bad := out.Record.Column(out.Record.Schema().FieldIndices(BadColumn)[0])
	if bad.NullN() != 10 {
		t.Errorf("%d null labels, want 10", bad.NullN())
	}

	// An explicit data end decides: at 2023-06-30 the window ends 2024-06-30.
	for _, tt := range []struct {
		end      string
		complete bool
	}{{"2024-06-29", false}, {"2024-06-30", true}} {
		out := e.build(t, Options{AsOf: date("2023-06-30"), Label: true, DataEnd: date(tt.end)})
		if got := out.Counts[0].Labelled > 0; got != tt.complete {
			t.Errorf("data end %s: labelled %d, want complete %v", tt.end, out.Counts[0].Labelled, tt.complete)
		}
	}
}
