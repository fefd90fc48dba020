package gen_test

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"lendscore/gen"
	"lendscore/schemas"
)

// rowText renders row i of batch b of the frame, every column but skip, as text.
func (f *frame) rowText(b, i int, skip string) string {
	var sb strings.Builder
	for _, fld := range f.schema.Fields() {
		if fld.Name == skip {
			continue
		}
		sb.WriteString(f.cols[fld.Name][b].ValueStr(i))
		sb.WriteByte('|')
	}
	return sb.String()
}

// texts renders every row of the frame in file order, every column but skip.
func (f *frame) texts(skip string) []string {
	out := make([]string, 0, f.rows)
	first := f.schema.Field(0).Name
	for b, a := range f.cols[first] {
		for i := range a.Len() {
			out = append(out, f.rowText(b, i, skip))
		}
	}
	return out
}

// byCustomer groups the rows of every table of an extract by customer id, in file order,
// as text: what "the rows of a customer" means when comparing two extracts.
func byCustomer(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range schemas.ExtractTables() {
		f := readFrame(t, dir, table)
		rows := f.texts("")
		var owners []string
		if table == schemas.Repayments {
			for _, l := range f.strs("loan_id") {
				owners = append(owners, "C"+l[1:9]) // L + customer number + sequence
			}
		} else {
			owners = f.strs("customer_id")
		}
		for i, r := range rows {
			out[owners[i]] = append(out[owners[i]], table+": "+r)
		}
	}
	return out
}

// tableFiles returns the Parquet files of an extract (everything but the answer key).
func tableFiles(t *testing.T, dir string) map[string][]byte {
	files := readDir(t, dir)
	delete(files, gen.AnswerKeyName)
	return files
}

func sameFiles(t *testing.T, what string, a, b map[string][]byte) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d files against %d", what, len(a), len(b))
	}
	for name, x := range a {
		if !bytes.Equal(x, b[name]) {
			t.Errorf("%s: %s differs", what, name)
		}
	}
}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestShock generates one world without and with a shock, on the day before the shock and
// on its day, and checks what the shock changes and what it leaves alone.
func TestShock(t *testing.T) {
	t.Parallel()
	const n, share = 2000, 0.1
	from := date("2026-06-15")
	base := gen.Config{Customers: n, Seed: 5, Months: 24, CustomersPerPart: 800}
	shock := gen.Shock{From: from, Share: share}
	at := func(asOf time.Time, s gen.Shock) (string, *gen.Summary) {
		c := base
		c.AsOf, c.Shock = asOf, s
		dir := t.TempDir()
		return dir, generate(t, dir, c)
	}
	before0, _ := at(from.AddDate(0, 0, -1), gen.Shock{})
	before1, keyBefore := at(from.AddDate(0, 0, -1), shock)
	on0, _ := at(from, gen.Shock{})
	on1, key := at(from, shock)

	// The day before: the shock is not in the extract at all.
	sameFiles(t, "day before the shock, with and without it", tableFiles(t, before0), tableFiles(t, before1))
	if keyBefore.Shocked.Count != 0 || len(keyBefore.Shocked.IDs) != 0 {
		t.Errorf("day before the shock: answer key lists %d shocked customers", keyBefore.Shocked.Count)
	}

	// On the day: the answer key's customers, a share of those onboarded before From.
	if int(key.Shocked.Count) != len(key.Shocked.IDs) || !slices.IsSorted(key.Shocked.IDs) {
		t.Fatalf("answer key: count %d, %d ids, sorted %v", key.Shocked.Count, len(key.Shocked.IDs), slices.IsSorted(key.Shocked.IDs))
	}
	shocked := map[string]bool{}
	for _, id := range key.Shocked.IDs {
		shocked[id] = true
	}
	cu := readFrame(t, on1, "customers")
	eligible := 0
	for _, o := range cu.nums("onboard_date") {
		if o < day("2026-06-15") {
			eligible++
		}
	}
	mean := share * float64(eligible)
	sd := math.Sqrt(mean * (1 - share))
	t.Logf("%d of %d customers onboarded before the shock are shocked, want %.0f ± %.0f (4σ)", len(shocked), eligible, mean, 4*sd)
	if math.Abs(float64(len(shocked))-mean) > 4*sd {
		t.Errorf("%d shocked customers of %d, want %.0f ± %.0f", len(shocked), eligible, mean, 4*sd)
	}

	// Customers the shock misses have the same rows with and without it; those it hits
	// have other rows.
	rows0, rows1 := byCustomer(t, on0), byCustomer(t, on1)
	for id, r0 := range rows0 {
		if same := slices.Equal(r0, rows1[id]); same == shocked[id] {
			t.Errorf("customer %s (shocked %v): rows the same with and without the shock: %v", id, shocked[id], same)
		}
	}
	if len(rows0) != len(rows1) {
		t.Errorf("%d customers without the shock, %d with", len(rows0), len(rows1))
	}

	// How the shocked customers look on the day.
	A, From := day("2026-06-15"), day("2026-06-15")
	currentDPD, running := map[string]float64{}, map[string]bool{}
	re := readFrame(t, on1, "repayments")
	loanIDs, due, paidOK := re.strs("loan_id"), re.nums("due_date"), re.valid("paid_date")
	for i, l := range loanIDs {
		c := "C" + l[1:9]
		if !paidOK[i] {
			currentDPD[c] = math.Max(currentDPD[c], A-due[i])
		}
		if due[i] >= From-gen.ShockLookbackDays && due[i] <= From-30 {
			running[c] = true // a schedule running through the shock: a due date in [From-61, From-30]
		}
	}
	lo := readFrame(t, on1, "loans")
	revBal, revLim, bal, lim := map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]float64{}
	lc, prod, balance, limit := lo.strs("customer_id"), lo.strs("product"), lo.nums("balance"), lo.nums("credit_limit")
	mat, matOK := lo.nums("maturity_date"), lo.valid("maturity_date")
	for i, c := range lc {
		if matOK[i] && mat[i] <= A {
			continue // no longer active
		}
		bal[c] += balance[i]
		lim[c] += limit[i]
		if prod[i] == "credit_card" || prod[i] == "working_capital" {
			revBal[c] += balance[i]
			revLim[c] += limit[i]
		}
	}
	complained := map[string]bool{}
	in := readFrame(t, on1, "interactions")
	ic, ts, kind, sat, satOK, res := in.strs("customer_id"), in.nums("ts"), in.strs("kind"), in.nums("satisfaction"), in.valid("satisfaction"), in.bools("resolved")
	for i, c := range ic {
		if kind[i] == "complaint" && math.Floor(ts[i]/86_400_000) == From && satOK[i] && sat[i] == 1 && !res[i] {
			complained[c] = true
		}
	}
	var nRunning, nRevolving, highTotal int
	for id := range shocked {
		if !complained[id] {
			t.Errorf("shocked customer %s: no unresolved complaint with satisfaction 1 on the shock's day", id)
		}
		if running[id] {
			nRunning++
			if currentDPD[id] < 30 {
				t.Errorf("shocked customer %s: %v days past due on the shock's day, want 30 or more", id, currentDPD[id])
			}
		}
		if revLim[id] > 0 {
			nRevolving++
			if u := revBal[id] / revLim[id]; u <= 0.9 {
				t.Errorf("shocked customer %s: revolving lines %.3f used, want more than 0.9", id, u)
			}
		}
		if lim[id] > 0 && bal[id]/lim[id] > 0.9 {
			highTotal++
		}
	}
	t.Logf("shocked: %d with a running schedule (all 30+ days past due), %d with revolving lines (all > 90%% used), %d with total utilisation > 0.9",
		nRunning, nRevolving, highTotal)
	if nRunning < len(shocked)*3/4 || nRevolving < len(shocked)/4 {
		t.Errorf("only %d running schedules and %d revolving lines among %d shocked customers: the test checks little", nRunning, nRevolving, len(shocked))
	}
	// The unshocked world the same day: hardly anyone is 30+ days past due.
	if late := countAtLeast(currentDPDOf(t, on0, A), shocked, 30); late > len(shocked)/4 {
		t.Errorf("without the shock, %d of the %d customers it hits are 30+ days past due anyway", late, len(shocked))
	}
}

// currentDPDOf returns each customer's largest days past due over instalments unpaid at A.
func currentDPDOf(t *testing.T, dir string, A float64) map[string]float64 {
	re := readFrame(t, dir, "repayments")
	out := map[string]float64{}
	loanIDs, due, paidOK := re.strs("loan_id"), re.nums("due_date"), re.valid("paid_date")
	for i, l := range loanIDs {
		if !paidOK[i] {
			c := "C" + l[1:9]
			out[c] = math.Max(out[c], A-due[i])
		}
	}
	return out
}

func countAtLeast(v map[string]float64, ids map[string]bool, min float64) int {
	k := 0
	for id := range ids {
		if v[id] >= min {
			k++
		}
	}
	return k
}

// TestConsecutiveDays generates one world on two consecutive days and checks that the
// second extract holds the first one's history unchanged: the same customers, loans,
// instalments and contacts up to the first day, plus what happened on the second day.
func TestConsecutiveDays(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		d     string
		start time.Time
		shock gen.Shock
	}{
		{"within a month", "2026-06-14", time.Time{}, gen.Shock{}},
		{"across a month end, history start pinned", "2026-06-30", date("2024-07-01"), gen.Shock{}},
		{"a shock two weeks earlier", "2026-06-14", time.Time{}, gen.Shock{From: date("2026-05-31"), Share: 0.1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := gen.Config{Customers: 1500, Seed: 9, Months: 24, HistoryStart: c.start, Shock: c.shock, CustomersPerPart: 1000}
			d0, d1 := t.TempDir(), t.TempDir()
			cfg.AsOf = date(c.d)
			generate(t, d0, cfg)
			cfg.AsOf = cfg.AsOf.AddDate(0, 0, 1)
			generate(t, d1, cfg)
			checkNextDay(t, d0, d1, day(c.d))
		})
	}
	// The default history start is the one the answer key records: pinning it changes nothing.
	dflt, pinned := t.TempDir(), t.TempDir()
	sum := generate(t, dflt, gen.Config{Customers: 500, Seed: 2, Months: 24, AsOf: date("2026-06-30")})
	if got := sum.Config.HistoryStart; !got.Equal(date("2024-07-01")) {
		t.Errorf("default history start %s, want 2024-07-01", got.Format(time.DateOnly))
	}
	generate(t, pinned, gen.Config{Customers: 500, Seed: 2, Months: 24, AsOf: date("2026-06-30"), HistoryStart: date("2024-07-01")})
	sameFiles(t, "default and pinned history start", tableFiles(t, dflt), tableFiles(t, pinned))
}

// sameEntities checks that every row of f0 is in f1 under the same id, the same but for
// column skip, and that the rows new in f1 start (dateCol) on day next.
func sameEntities(t *testing.T, what string, f0, f1 *frame, idCol, skip, dateCol string, next float64) {
	t.Helper()
	old := map[string]string{}
	texts0 := f0.texts(skip)
	for i, id := range f0.strs(idCol) {
		old[id] = texts0[i]
	}
	texts1, start1 := f1.texts(skip), f1.nums(dateCol)
	for i, id := range f1.strs(idCol) {
		if r, ok := old[id]; ok {
			if r != texts1[i] {
				t.Errorf("%s %s changed overnight:\n%s\n%s", what, id, r, texts1[i])
			}
			delete(old, id)
		} else if start1[i] != next {
			t.Errorf("%s %s appears overnight, %s day %v", what, id, dateCol, start1[i])
		}
	}
	if len(old) > 0 {
		t.Errorf("%d %ss gone overnight", len(old), what)
	}
}

// checkNextDay checks that the extract in d1 (as of D+1) continues the one in d0 (as of D).
func checkNextDay(t *testing.T, d0, d1 string, D float64) {
	t.Helper()
	next := D + 1
	// Customers: the same rows, and new ones onboarded on D+1.
	sameEntities(t, "customer", readFrame(t, d0, "customers"), readFrame(t, d1, "customers"), "customer_id", "", "onboard_date", next)
	// Loans: the same loans (all but the balance), and new ones originated on D+1.
	sameEntities(t, "loan", readFrame(t, d0, "loans"), readFrame(t, d1, "loans"), "loan_id", "balance", "origination_date", next)

	// Repayments: paid rows unchanged; unpaid ones a day later or paid on D+1; new rows due on D+1.
	type key struct {
		loan string
		due  float64
	}
	type rep struct {
		text              string
		paid              bool
		paidDate, amt, am float64
		dpd               float64
	}
	read := func(dir string) map[key]rep {
		f := readFrame(t, dir, "repayments")
		out := map[key]rep{}
		texts, ids, due := f.texts(""), f.strs("loan_id"), f.nums("due_date")
		paidOK, paid, amt, am, dpd := f.valid("paid_date"), f.nums("paid_date"), f.nums("amount_due"), f.nums("amount_paid"), f.nums("days_past_due")
		for i := range ids {
			out[key{ids[i], due[i]}] = rep{texts[i], paidOK[i], paid[i], amt[i], am[i], dpd[i]}
		}
		return out
	}
	r0, r1 := read(d0), read(d1)
	var paidOvernight, newDue, stillUnpaid int
	for k, a := range r0 {
		b, ok := r1[k]
		switch {
		case !ok:
			t.Errorf("repayment %v gone overnight", k)
		case a.paid && a.text != b.text:
			t.Errorf("paid repayment %v changed overnight:\n%s\n%s", k, a.text, b.text)
		case !a.paid && b.paid:
			paidOvernight++
			if b.paidDate != next || b.am != a.amt {
				t.Errorf("repayment %v unpaid on D, paid on day %v (amount %v of %v)", k, b.paidDate, b.am, a.amt)
			}
		case !a.paid:
			stillUnpaid++
			if b.amt != a.amt || b.dpd != a.dpd+1 {
				t.Errorf("repayment %v unpaid on both days: amount %v → %v, days past due %v → %v", k, a.amt, b.amt, a.dpd, b.dpd)
			}
		}
	}
	for k, b := range r1 {
		if _, ok := r0[k]; !ok {
			newDue++
			if k.due != next {
				t.Errorf("repayment %v appears overnight: %s", k, b.text)
			}
		}
	}
	t.Logf("overnight: %d instalments paid, %d newly due, %d still unpaid", paidOvernight, newDue, stillUnpaid)
	if paidOvernight == 0 || newDue == 0 || stillUnpaid == 0 {
		t.Errorf("nothing happened overnight: the comparison tests little")
	}

	// Interactions: the contacts up to D are D's contacts, in the same order.
	i0, i1 := readFrame(t, d0, "interactions"), readFrame(t, d1, "interactions")
	want := i0.texts("")
	var got []string
	ts1, texts := i1.nums("ts"), i1.texts("")
	for i := range texts {
		if ts1[i] < next*86_400_000 {
			got = append(got, texts[i])
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("interactions up to D differ: %d rows against %d", len(got), len(want))
	}
	if len(texts) == len(want) {
		t.Errorf("no contact on D+1 among %d: the comparison tests little", len(want))
	}
}
