package portfolio

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"lendscore/stages/report"
)

// File names under which a run publishes the report, beside each other.
const (
	JSONName     = "portfolio_report.json"
	MarkdownName = "portfolio_report.md"
	HTMLName     = "portfolio_report.html"
)

// Render writes the report as Markdown and as one self-contained HTML file (inline CSS,
// charts as inline SVG drawn with gonum/plot, no scripts, no external references), with
// the same sections and figures; the Markdown names each chart and points to HTMLName.
// The same report always gives the same bytes.
//
// Sections: the summary (with traffic lights on the high-risk share, the PSI and the
// grade concentration), the loan classification (with a chart of the shares of loans and
// balance per class), the risk tiers, the grade mix (with a chart), segments by grade,
// early warnings, the score distribution against development (with a chart) and the
// definitions.
func Render(r *Report) (md, html []byte, err error) {
	if r == nil {
		return nil, nil, errors.New("portfolio: render: no report")
	}
	if len(r.Loans.Classes) != len(classLabels) {
		return nil, nil, fmt.Errorf("portfolio: render: %d loan classes, want %d", len(r.Loans.Classes), len(classLabels))
	}
	p := report.NewPage(title(r), subtitle(r), HTMLName)
	for _, add := range []func(*report.Page, *Report) error{
		summarySection, classificationSection, tierSection, gradeSection, segmentSection,
		warningSection, scoreSection, definitionSection,
	} {
		if err := add(p, r); err != nil {
			return nil, nil, fmt.Errorf("portfolio: render: %w", err)
		}
	}
	md, html, err = p.Render()
	if err != nil {
		return nil, nil, fmt.Errorf("portfolio: render: %w", err)
	}
	return md, html, nil
}

func title(r *Report) string {
	t := "Portfolio report"
	if r.Model != "" {
		t += ": " + r.Model
		if r.ModelVersion != "" {
			t += " " + r.ModelVersion
		}
	}
	return t + ", as of " + r.AsOf
}

func subtitle(r *Report) string {
	s := "Nightly run"
	if r.RunID != "" {
		s += " " + r.RunID
	}
	return s + ". Aggregates only: counts, balances and shares; no customer-level data."
}

// highRiskLight shows the high-risk status as a traffic light: green within target, red
// above.
func highRiskLight(h HighRisk) report.Status {
	if h.Status == WithinTarget {
		return report.Green
	}
	return report.Red
}

func highRiskStatus(h HighRisk) string {
	if h.Status == WithinTarget {
		return "within target"
	}
	return "above target"
}

func summarySection(p *report.Page, r *Report) error {
	s := p.Section("summary", "Summary")
	t := s.Table(1, "Figure", "Value")
	l := r.Loans
	t.Row("Loans in the book", count(l.Loans))
	t.Row("Balance of the book", money(l.Balance))
	t.Row("NPL ratio (balance more than "+strconv.Itoa(int(l.Bands.SpecialMention))+" days past due)", percent(l.NPLRatio))
	t.Row("Customers scored", count(r.Customers))
	t.RowCells(report.Cell{Text: "High-risk customers (target ≤ " + percent(r.HighRisk.Target) + ")"},
		report.Cell{Text: percent(r.HighRisk.Share) + ", " + highRiskStatus(r.HighRisk), Status: highRiskLight(r.HighRisk)})
	if r.Customers > 0 {
		t.RowCells(report.Cell{Text: "Grade concentration (normalised HHI; " + r.Grades.HHIRule + ")"},
			report.Cell{Text: f4(r.Grades.HHINormalized), Status: r.Grades.HHIStatus})
	}
	if r.Score.PSI != nil {
		t.RowCells(report.Cell{Text: "Score PSI against development (" + r.Score.PSIRule + ")"},
			report.Cell{Text: f4(*r.Score.PSI), Status: r.Score.PSIStatus})
	}
	t.Row("Customers with an early warning", count(r.Warnings.Customers)+" ("+percent(r.Warnings.Share)+")")
	t.Row("Expected defaults (sum of PDs)", strconv.FormatFloat(r.Score.ExpectedDefaults, 'f', 2, 64))
	return nil
}

func classificationSection(p *report.Page, r *Report) error {
	l := r.Loans
	s := p.Section("loan-classification", "Loan classification")
	s.Paragraph("Every loan of the book at as_of in one of five classes by its days past due at as_of. Non-performing loans (NPL) are the substandard, doubtful and loss classes; the NPL ratio is their balance over the balance of the book.")
	t := s.Table(2, "Class", "Days past due", "Loans", "Share of loans", "Balance", "Share of balance")
	for k, c := range l.Classes {
		t.Row(classLabels[k], dpdRange(c), count(c.Loans), percent(c.LoanShare), money(c.Balance), percent(c.BalanceShare))
	}
	t.Row("Non-performing", "more than "+strconv.Itoa(int(l.Bands.SpecialMention)), count(l.NPLLoans), percent(l.NPLLoanRatio), money(l.NPLBalance), percent(l.NPLRatio))
	t.Row("Total", "", count(l.Loans), percent(share(float64(l.Loans), float64(l.Loans))), money(l.Balance), percent(share(l.Balance, l.Balance)))
	s.Paragraph("NPL ratio: " + percent(l.NPLRatio) + " of the balance (" + percent(l.NPLLoanRatio) + " of the loans).")
	s.Paragraph("Not in the book, or not read:")
	s.List("Loans originated after as_of: "+count(l.NotOriginated),
		"Closed loans (matured by as_of, nothing owed, not past due): "+count(l.Closed),
		"Repayment rows naming no loan of the loans extract, ignored: "+count(l.OrphanRepayments))
	loanShare, balanceShare := make([]float64, len(l.Classes)), make([]float64, len(l.Classes))
	for k, c := range l.Classes {
		loanShare[k], balanceShare[k] = 100*c.LoanShare, 100*c.BalanceShare
	}
	return s.BarChart(report.BarChart{
		ID: "chart-classification", Title: "Loans and balance per class", YLabel: "Share (%)",
		Categories: classLabels[:],
		Series:     []report.BarSeries{{Name: "balance", Values: balanceShare}, {Name: "loans", Values: loanShare}},
	})
}

// dpdRange describes a class's days-past-due band, e.g. "31–90" or "361 and more".
func dpdRange(c Class) string {
	if c.MaxDPD == nil {
		return strconv.Itoa(int(c.MinDPD)) + " and more"
	}
	return strconv.Itoa(int(c.MinDPD)) + "–" + strconv.Itoa(int(*c.MaxDPD))
}

func tierSection(p *report.Page, r *Report) error {
	s := p.Section("tiers", "Risk tiers")
	h := r.HighRisk
	s.Paragraph(fmt.Sprintf("%s of the %s customers (%s) are in tier high_risk: %s (at most %s).",
		count(h.Customers), count(r.Customers), percent(h.Share), highRiskStatus(h), percent(h.Target)))
	t := s.Table(1, "Tier", "Customers", "Share")
	for _, c := range r.Tiers {
		cells := []report.Cell{{Text: c.Name}, {Text: count(c.Customers)}, {Text: percent(c.Share)}}
		if c.Name == "high_risk" {
			cells[2].Status = highRiskLight(h)
		}
		t.RowCells(cells...)
	}
	return nil
}

func gradeSection(p *report.Page, r *Report) error {
	s := p.Section("grades", "Grade mix")
	g := r.Grades
	t := s.Table(1, "Grade", "Customers", "Share", "Mean PD", "Mean score")
	shares := make([]float64, len(g.Grades))
	names := make([]string, len(g.Grades))
	for k, c := range g.Grades {
		pd, score := "–", "–"
		if c.MeanPD != nil {
			pd, score = percent(*c.MeanPD), strconv.FormatFloat(*c.MeanScore, 'f', 1, 64)
		}
		t.Row(c.Name, count(c.Customers), percent(c.Share), pd, score)
		shares[k], names[k] = 100*c.Share, c.Name
	}
	if r.Customers == 0 {
		s.Paragraph("No customers were scored.")
		return nil
	}
	s.Paragraph("Grade concentration: Herfindahl-Hirschman index " + f4(g.HHI) + ", normalised " + f4(g.HHINormalized) + " (0 an even spread over the grades, 1 all customers in one grade; " + g.HHIRule + ").")
	return s.BarChart(report.BarChart{
		ID: "chart-grades", Title: "Customers per grade", XLabel: "Grade", YLabel: "Share of customers (%)",
		Categories: names, Series: []report.BarSeries{{Values: shares}},
	})
}

func segmentSection(p *report.Page, r *Report) error {
	s := p.Section("segments", "Segments by grade")
	sg := r.Segments
	if sg == nil {
		s.Paragraph("Segmentation was off in this run.")
		return nil
	}
	s.Paragraph("Customers per segment (rows) and grade (columns).")
	head := append([]string{"Segment"}, sg.Grades...)
	head = append(head, "Total", "Share")
	t := s.Table(1, head...)
	for _, row := range sg.Segments {
		cells := []string{row.Name}
		for _, v := range row.Counts {
			cells = append(cells, count(v))
		}
		t.Row(append(cells, count(row.Customers), percent(row.Share))...)
	}
	cells := []string{"Total"}
	var all int64
	for _, v := range sg.Totals {
		cells = append(cells, count(v))
		all += v
	}
	t.Row(append(cells, count(all), percent(share(float64(all), float64(r.Customers))))...)
	return nil
}

func warningSection(p *report.Page, r *Report) error {
	s := p.Section("warnings", "Early warnings")
	w := r.Warnings
	s.Paragraph(fmt.Sprintf("%s customers (%s) have at least one early warning. A customer counts once per warning code.", count(w.Customers), percent(w.Share)))
	if len(w.ByCode) == 0 {
		return nil
	}
	t := s.Table(1, "Warning", "Customers", "Share of customers")
	for _, c := range w.ByCode {
		t.Row(c.Name, count(c.Customers), percent(c.Share))
	}
	return nil
}

func scoreSection(p *report.Page, r *Report) error {
	s := p.Section("score", "Score distribution against development")
	sc := r.Score
	s.Paragraph(fmt.Sprintf("Tonight: mean score %s, mean PD %s, expected defaults %s.",
		strconv.FormatFloat(sc.MeanScore, 'f', 1, 64), percent(sc.MeanPD), strconv.FormatFloat(sc.ExpectedDefaults, 'f', 2, 64)))
	if len(sc.Bins) == 0 {
		s.Paragraph("No development score distribution was given: no PSI.")
		return nil
	}
	psi := "not computed (no customers)"
	if sc.PSI != nil {
		psi = f4(*sc.PSI) + " (" + sc.PSIRule + ")"
	}
	s.Paragraph("Population stability index PSI = Σ (a − e)·ln(a/e) over the shares e of the development sample and a of tonight's customers in the development score bins: " + psi + ".")
	t := s.Table(1, "Score", "Development", "Development share", "Tonight", "Tonight share")
	labels := make([]string, len(sc.Bins))
	devShare, nowShare := make([]float64, len(sc.Bins)), make([]float64, len(sc.Bins))
	for k, b := range sc.Bins {
		labels[k] = binLabel(b)
		t.Row(labels[k], countFloat(b.Development), percent(b.DevelopmentShare), count(b.Tonight), percent(b.TonightShare))
		devShare[k], nowShare[k] = 100*b.DevelopmentShare, 100*b.TonightShare
	}
	if sc.PSI != nil {
		t.RowCells(report.Cell{Text: "PSI"}, report.Cell{}, report.Cell{}, report.Cell{}, report.Cell{Text: f4(*sc.PSI), Status: sc.PSIStatus})
	}
	return s.BarChart(report.BarChart{
		ID: "chart-score", Title: "Score distribution: development and tonight", XLabel: "Score", YLabel: "Share (%)",
		Categories: labels,
		Series:     []report.BarSeries{{Name: "development", Values: devShare}, {Name: "tonight", Values: nowShare}},
	})
}

// binLabel names a score bin (lower, upper]: "≤ 520", "521–545" when the bounds are
// whole numbers, "(520.5, 545]" otherwise, "> 610".
func binLabel(b ScoreBin) string {
	switch {
	case b.Lower == nil && b.Upper == nil:
		return "all"
	case b.Lower == nil:
		return "≤ " + number(*b.Upper)
	case b.Upper == nil:
		return "> " + number(*b.Lower)
	}
	lo, hi := *b.Lower, *b.Upper
	if lo == math.Trunc(lo) && hi == math.Trunc(hi) {
		if lo+1 == hi {
			return number(hi)
		}
		return number(lo+1) + "–" + number(hi)
	}
	return "(" + number(lo) + ", " + number(hi) + "]"
}

func definitionSection(p *report.Page, r *Report) error {
	s := p.Section("definitions", "Definitions")
	s.List(
		"Days past due at as_of A: A − d for the oldest due date d ≤ A of the loan's instalments still unpaid at the end of A (no paid date, or paid after A); 0 when every instalment due by A is paid. The customer's current_dpd feature is the largest over the customer's loans.",
		"Balance at as_of: the extracted balance plus the amounts paid after as_of, within [0, max(principal, credit limit, extracted balance)]; principal minus the amounts paid by as_of when the extract has no balance.",
		"The book: loans originated on or before as_of, except those matured by as_of that owe nothing and are not past due.",
		"NPL ratio: balance of substandard, doubtful and loss over the balance of the book.",
		"High-risk share: customers in tier high_risk over all scored customers; within target when at most the target.",
		"PSI: "+r.Score.PSIRule+"; grade concentration (normalised HHI): "+r.Grades.HHIRule+".",
	)
	return nil
}

// Number formats.

func f4(v float64) string      { return strconv.FormatFloat(v, 'f', 4, 64) }
func percent(v float64) string { return strconv.FormatFloat(100*v, 'f', 2, 64) + "%" }
func number(v float64) string  { return strconv.FormatFloat(v, 'f', -1, 64) }

// count formats a count with thousands separators: 1,234,567.
func count(n int64) string { return group(strconv.FormatInt(n, 10)) }

// countFloat formats a count held as a float64 (whole unless weighted).
func countFloat(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return group(strconv.FormatFloat(v, 'f', 0, 64))
	}
	return money(v)
}

// money formats an amount with two decimals and thousands separators: 1,234,567.89.
func money(v float64) string { return group(strconv.FormatFloat(v, 'f', 2, 64)) }

// group inserts thousands separators into the integer part of a formatted number.
func group(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}
