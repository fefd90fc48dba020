package portfolio

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	r := build(t, tenCustomers(), developmentBins(t), Options{})
	md, html, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	m, h := string(md), string(html)
	for _, want := range []string{
		"# Portfolio report: retail v3, as of 2024-12-31",
		"## Summary", "## Loan classification", "## Risk tiers", "## Grade mix", "## Segments by grade",
		"## Early warnings", "## Score distribution against development", "## Definitions",
		"| Special mention | 31–90 | 3 | 18.75% | 1,500.00 | 17.75% |", // 3/16 loans, 1500/8450
		"| Loss | 361 and more | 1 | 6.25% | 900.00 | 10.65% |",
		"| Total |  | 16 | 100.00% | 8,450.00 | 100.00% |",
		"NPL ratio: 53.25% of the balance (37.50% of the loans).", // 4500/8450
		"20.00%, above target RED",
		"| established, digital | 2 | 1 | 1 | 0 | 0 | 4 | 40.00% |",
		"| unassigned | 0 | 0 | 0 | 1 | 0 | 1 | 10.00% |",
		"| score\\_drop | 3 | 30.00% |",
		"| 575–601 | 4 | 20.00% | 3 | 30.00% |",
		"0.1099 AMBER",
		"*Chart: Loans and balance per class (in portfolio\\_report.html).*",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	for _, want := range []string{
		`<section id="summary">`, `<section id="loan-classification">`, `<section id="segments">`,
		`<svg id="chart-classification" class="chart"`, `<svg id="chart-grades" class="chart"`, `<svg id="chart-score" class="chart"`,
		`<span class="light red">red</span>`, `<span class="light amber">amber</span>`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	for _, bad := range []string{"http://", "https://", "<script", "src=", "url(", "@import", "<?xml", "<link", "xlink:href"} {
		if strings.Contains(h, bad) {
			t.Errorf("html is not self-contained: holds %q", bad)
		}
	}
	// Aggregates only: no customer or loan id of the extracts reaches any output.
	for _, id := range []string{"CUST-", "LCURED", "LTWO", "LDUEASOF", "LNULL", "LOWING", "LZZ"} {
		for name, out := range map[string]string{"markdown": m, "html": h, "json": string(j)} {
			if strings.Contains(out, id) {
				t.Errorf("%s holds the id %q", name, id)
			}
		}
	}
}

func TestRenderWithoutOptionalParts(t *testing.T) {
	c := tenCustomers()
	c.Segment, c.SegmentNames, c.Warnings = nil, nil, nil
	md, _, err := Render(build(t, c, nil, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Segmentation was off in this run.", "No development score distribution was given: no PSI.", "0 customers (0.00%) have at least one early warning."} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if _, _, err := Render(&Report{}); err == nil {
		t.Error("a report without loan classes rendered")
	}
}

func TestGroup(t *testing.T) {
	for in, want := range map[float64]string{0: "0.00", 999.5: "999.50", 1000: "1,000.00", -1234567.891: "-1,234,567.89", 12345678: "12,345,678.00"} {
		if got := money(in); got != want {
			t.Errorf("money(%v) = %q, want %q", in, got, want)
		}
	}
	if got := count(1234567); got != "1,234,567" {
		t.Errorf("count = %q", got)
	}
}
