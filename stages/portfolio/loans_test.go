package portfolio

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
)

var nan = math.NaN()

// handBook is a book whose days past due, classes and balances at asOfTest are worked out
// by hand in handLoans. Dates are offsets in days from as_of A; every loan but those noted
// has principal 1000, no credit limit, origination A−1800 and maturity A+1900.
func handBook() ([]loanRow, []repRow) {
	loan := func(id string, balance float64) loanRow {
		return loanRow{id: id, cust: "CUST-" + id, principal: 1000, limit: nan, balance: balance, orig: -1800, maturity: 1900}
	}
	unpaid := func(id string, due int) repRow {
		return repRow{loan: id, due: due, paid: none, amountDue: 100, amountPaid: nan}
	}
	paid := func(id string, due, on int, amount float64) repRow {
		return repRow{loan: id, due: due, paid: on, amountDue: amount, amountPaid: amount}
	}
	nullBalance := loan("LNULL", nan)
	notOriginated := loan("LNEW", 5000)
	notOriginated.orig = 1
	closed := loan("LCLOSED", 0)
	closed.maturity = -10
	owing := loan("LOWING", 250)
	owing.maturity = -10
	loans := []loanRow{
		loan("L361", 900), loan("L00", 100), loan("L30", 200), loan("L31", 300), loan("L90", 400),
		loan("L91", 500), loan("L180", 600), loan("L181", 700), loan("L360", 800),
		loan("LCURED", 150), loan("LLATE", 600), loan("LCAP", 950), loan("LTWO", 1000),
		nullBalance, notOriginated, closed, owing, loan("LDUEASOF", 50),
	}
	reps := []repRow{
		paid("L30", -61, -61, 100), unpaid("L30", -30),
		unpaid("L31", -31), unpaid("L90", -90), unpaid("L91", -91), unpaid("L180", -180),
		unpaid("L181", -181), unpaid("L360", -360), unpaid("L361", -361),
		paid("LCURED", -100, 0, 50), // paid on as_of: cured
		paid("LLATE", -45, 1, 200),  // paid the day after as_of: 45 days past due at as_of
		paid("LCAP", -5, 3, 200),    // 950 + 200 rolled back, capped at the principal
		unpaid("LTWO", -95), unpaid("LTWO", -10), unpaid("LTWO", 20),
		paid("LNULL", -60, -58, 300), paid("LNULL", 5, 5, 300), // no balance: 1000 − 300 paid by as_of
		{loan: "LZZ", due: -200, paid: none, amountDue: 1, amountPaid: nan}, // orphans
		{loan: "LZZ", due: -170, paid: none, amountDue: 1, amountPaid: nan},
		paid("LCLOSED", -40, -40, 1000),
		unpaid("LDUEASOF", 0), // due on as_of: not yet past due
		unpaid("LNEW", 30),
	}
	return loans, reps
}

// handLoans are the loans of handBook at as_of: state, days past due, class and balance.
var handLoans = map[string]struct {
	state   uint8
	dpd     int32
	class   string
	balance float64
}{
	"L00":      {inBook, 0, Normal, 100},
	"L30":      {inBook, 30, Normal, 200},
	"L31":      {inBook, 31, SpecialMention, 300},
	"L90":      {inBook, 90, SpecialMention, 400},
	"L91":      {inBook, 91, Substandard, 500},
	"L180":     {inBook, 180, Substandard, 600},
	"L181":     {inBook, 181, Doubtful, 700},
	"L360":     {inBook, 360, Doubtful, 800},
	"L361":     {inBook, 361, Loss, 900},
	"LCURED":   {inBook, 0, Normal, 150},
	"LLATE":    {inBook, 45, SpecialMention, 800}, // 600 + 200 paid after as_of
	"LCAP":     {inBook, 5, Normal, 1000},
	"LTWO":     {inBook, 95, Substandard, 1000}, // the oldest unpaid instalment counts
	"LNULL":    {inBook, 0, Normal, 700},
	"LNEW":     {notOriginated, 0, "", 0},
	"LCLOSED":  {closed, 0, "", 0},
	"LOWING":   {inBook, 0, Normal, 250}, // matured but still owing
	"LDUEASOF": {inBook, 0, Normal, 50},
}

// orders returns the hand book in several row orders: as listed (loan ids unsorted: the
// map), loans sorted by id (binary search), repayments grouped in loan order (the
// next-loan path), and repayments shuffled.
func orders(t *testing.T) map[string][2][]arrow.Record {
	loans, reps := handBook()
	out := map[string][2][]arrow.Record{}
	out["as listed"] = [2][]arrow.Record{{loansRecord(t, loans)}, {repaymentsRecord(t, reps)}}

	sorted := slices.Clone(loans)
	slices.SortFunc(sorted, func(a, b loanRow) int { return strings.Compare(a.id, b.id) })
	pos := map[string]int{}
	for i, l := range sorted {
		pos[l.id] = i
	}
	grouped := slices.Clone(reps)
	slices.SortStableFunc(grouped, func(a, b repRow) int {
		pa, okA := pos[a.loan]
		pb, okB := pos[b.loan]
		if !okA {
			pa = -1
		}
		if !okB {
			pb = -1
		}
		return pa - pb
	})
	// Two record batches each, split inside a loan's rows.
	out["sorted, grouped, batched"] = [2][]arrow.Record{
		{loansRecord(t, sorted[:7]), loansRecord(t, sorted[7:])},
		{repaymentsRecord(t, grouped[:5]), repaymentsRecord(t, grouped[5:])},
	}
	shuffled := slices.Clone(reps)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	out["sorted loans, shuffled repayments"] = [2][]arrow.Record{{loansRecord(t, sorted)}, {repaymentsRecord(t, shuffled)}}
	return out
}

func TestLoanDaysPastDueAndBalance(t *testing.T) {
	A := int32(day(0))
	for name, recs := range orders(t) {
		t.Run(name, func(t *testing.T) {
			b, err := readLoans(recs[0], A)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.readRepayments(t.Context(), recs[1]); err != nil {
				t.Fatal(err)
			}
			if b.orphanRepayments != 2 {
				t.Errorf("orphan repayments = %d, want 2", b.orphanRepayments)
			}
			bands := DefaultBands()
			b.each(func(q int, state uint8, dpd int32, bal float64) {
				id := b.ids[q]
				want, ok := handLoans[id]
				if !ok {
					t.Fatalf("loan %s missing from the hand figures", id)
				}
				if state != want.state || dpd != want.dpd || bal != want.balance {
					t.Errorf("%s: state %d, dpd %d, balance %v; want %d, %d, %v", id, state, dpd, bal, want.state, want.dpd, want.balance)
				}
				if state == inBook {
					if got := ClassNames()[bands.class(dpd)]; got != want.class {
						t.Errorf("%s: class %s, want %s", id, got, want.class)
					}
				}
			})
		})
	}
}

func TestClassification(t *testing.T) {
	// By hand from handLoans:
	//   normal          L00 100, L30 200, LCURED 150, LCAP 1000, LNULL 700, LOWING 250, LDUEASOF 50: 7 loans, 2450
	//   special mention L31 300, L90 400, LLATE 800: 3 loans, 1500
	//   substandard     L91 500, L180 600, LTWO 1000: 3 loans, 2100
	//   doubtful        L181 700, L360 800: 2 loans, 1500
	//   loss            L361 900: 1 loan, 900
	// Book: 16 loans, 8450. NPL: 6 loans, 2100 + 1500 + 900 = 4500; ratio 4500/8450.
	wantLoans := []int64{7, 3, 3, 2, 1}
	wantBalance := []float64{2450, 1500, 2100, 1500, 900}
	for name, recs := range orders(t) {
		t.Run(name, func(t *testing.T) {
			c, err := classify(t.Context(), recs[0], recs[1], int32(day(0)), DefaultBands())
			if err != nil {
				t.Fatal(err)
			}
			// The repayments streamed into a Book row by row: the same classification.
			book, err := NewBook(recs[0], day(0).ToTime())
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs[1] {
				for i := range r.NumRows() {
					row := r.NewSlice(i, i+1)
					if err := book.AddRepayments(t.Context(), row); err != nil {
						t.Fatal(err)
					}
					row.Release()
				}
			}
			if got := book.b.classify(DefaultBands()); !reflect.DeepEqual(got, c) {
				t.Errorf("streamed book: %+v, want %+v", got, c)
			}
			book.Release()
			for k, cl := range c.Classes {
				if cl.Name != ClassNames()[k] || cl.Loans != wantLoans[k] || cl.Balance != wantBalance[k] {
					t.Errorf("class %d: %s %d loans %v; want %s %d loans %v", k, cl.Name, cl.Loans, cl.Balance, ClassNames()[k], wantLoans[k], wantBalance[k])
				}
				if cl.LoanShare != float64(wantLoans[k])/16 || cl.BalanceShare != wantBalance[k]/8450 {
					t.Errorf("class %s: shares %v %v", cl.Name, cl.LoanShare, cl.BalanceShare)
				}
			}
			if c.Loans != 16 || c.Balance != 8450 || c.NPLLoans != 6 || c.NPLBalance != 4500 {
				t.Errorf("totals: %d loans %v, NPL %d loans %v; want 16 8450, 6 4500", c.Loans, c.Balance, c.NPLLoans, c.NPLBalance)
			}
			if want := 4500.0 / 8450; math.Abs(c.NPLRatio-want) > 1e-15 || c.NPLLoanRatio != 0.375 {
				t.Errorf("NPL ratio %v (loans %v), want %v (0.375)", c.NPLRatio, c.NPLLoanRatio, want)
			}
			if c.NotOriginated != 1 || c.Closed != 1 || c.OrphanRepayments != 2 {
				t.Errorf("not originated %d, closed %d, orphans %d; want 1, 1, 2", c.NotOriginated, c.Closed, c.OrphanRepayments)
			}
			// The bands as reported.
			if c.Classes[1].MinDPD != 31 || *c.Classes[1].MaxDPD != 90 || c.Classes[4].MinDPD != 361 || c.Classes[4].MaxDPD != nil {
				t.Errorf("bands: special mention %d–%d, loss from %d (max %v)", c.Classes[1].MinDPD, *c.Classes[1].MaxDPD, c.Classes[4].MinDPD, c.Classes[4].MaxDPD)
			}
		})
	}
}

func TestBands(t *testing.T) {
	// A supervisor that puts loans 10 or more days late in special mention, and a loan
	// table checked at each boundary.
	b := Bands{Normal: 9, SpecialMention: 90, Substandard: 180, Doubtful: 360}
	for _, c := range []struct {
		dpd  int32
		want string
	}{{0, Normal}, {9, Normal}, {10, SpecialMention}, {90, SpecialMention}, {91, Substandard}, {360, Doubtful}, {361, Loss}, {5000, Loss}} {
		if got := ClassNames()[b.class(c.dpd)]; got != c.want {
			t.Errorf("%d days past due: %s, want %s", c.dpd, got, c.want)
		}
	}
	for _, bad := range []Bands{{Normal: -1, SpecialMention: 90, Substandard: 180, Doubtful: 360}, {Normal: 30, SpecialMention: 30, Substandard: 180, Doubtful: 360}, {Normal: 30, SpecialMention: 90, Substandard: 400, Doubtful: 360}} {
		if _, err := (Options{Bands: bad}).withDefaults(); err == nil {
			t.Errorf("bands %+v accepted", bad)
		}
	}
}

func TestLoanInputErrors(t *testing.T) {
	loans, reps := handBook()
	good := []arrow.Record{loansRecord(t, loans)}
	dup := []arrow.Record{loansRecord(t, append(slices.Clone(loans), loans[0]))}
	if _, err := classify(t.Context(), dup, nil, int32(day(0)), DefaultBands()); err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("duplicate loan id: error %v", err)
	}
	repRec := []arrow.Record{repaymentsRecord(t, reps)}
	if _, err := classify(t.Context(), repRec, repRec, int32(day(0)), DefaultBands()); err == nil || !strings.Contains(err.Error(), `no column "origination_date"`) {
		t.Errorf("repayments as loans: error %v", err)
	}
	if _, err := classify(t.Context(), good, good, int32(day(0)), DefaultBands()); err == nil || !strings.Contains(err.Error(), `repayments: no column "due_date"`) {
		t.Errorf("loans as repayments: error %v", err)
	}
}
