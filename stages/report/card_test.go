package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"lendscore/models/metrics"
)

var (
	svgElement = regexp.MustCompile(`(?s)<svg\b[^>]*>.*?</svg>`)
	svgID      = regexp.MustCompile(`^<svg id="([^"]+)" class="chart"`)
)

// charts returns the inline <svg> elements of an HTML card.
func charts(t *testing.T, page []byte) [][]byte {
	t.Helper()
	if n, m := bytes.Count(page, []byte("<svg")), len(svgElement.FindAll(page, -1)); n != m {
		t.Fatalf("%d <svg tags but %d complete <svg> elements", n, m)
	}
	return svgElement.FindAll(page, -1)
}

// checkCharts asserts that the page has want charts, each a well-formed
// XML element with a unique id, class "chart", a title and drawing.
func checkCharts(t *testing.T, page []byte, want int) {
	t.Helper()
	svgs := charts(t, page)
	if len(svgs) != want {
		t.Errorf("%d charts, want %d", len(svgs), want)
	}
	ids := map[string]bool{}
	for i, s := range svgs {
		m := svgID.FindSubmatch(s)
		if m == nil {
			t.Errorf("chart %d has no id and class: %.120s", i, s)
			continue
		}
		id := string(m[1])
		if ids[id] {
			t.Errorf("chart id %s twice", id)
		}
		ids[id] = true
		if !bytes.Contains(s, []byte("<title>")) || !bytes.Contains(s, []byte("<path")) || !bytes.Contains(s, []byte("<text")) {
			t.Errorf("chart %s lacks a title, paths or text", id)
		}
		d := xml.NewDecoder(bytes.NewReader(s))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("chart %s is not well-formed XML: %v", id, err)
				break
			}
		}
	}
}

// checkSelfContained asserts that the page refers to nothing outside itself
// and runs no script.
func checkSelfContained(t *testing.T, page []byte) {
	t.Helper()
	for _, bad := range []string{"http://", "https://", "<script", "src=", "url(", "@import", "<?xml", "<link", "xlink:href"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("the HTML holds %q", bad)
		}
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllSubmatch(page, -1) {
		if !bytes.HasPrefix(m[1], []byte("#")) {
			t.Errorf("link to %s leaves the page", m[1])
		}
	}
}

func checkHeadings(t *testing.T, md, page []byte, headings []string) {
	t.Helper()
	for _, h := range headings {
		if !bytes.Contains(md, []byte("\n## "+h+"\n")) {
			t.Errorf("Markdown lacks section %q", h)
		}
		if !bytes.Contains(page, []byte("<h2>"+h+"</h2>")) {
			t.Errorf("HTML lacks section %q", h)
		}
	}
	if n := bytes.Count(md, []byte("\n## ")); n != len(headings) {
		t.Errorf("Markdown has %d sections, want %d", n, len(headings))
	}
}

func TestModelCardTrain(t *testing.T) {
	card, ids, err := syntheticCard(2000)
	if err != nil {
		t.Fatal(err)
	}
	md, page, err := ModelCard(card)
	if err != nil {
		t.Fatal(err)
	}
	checkHeadings(t, md, page, []string{
		"Traffic-light summary", "Model details", "Intended use", "Training data", "Scorecard variables",
		"Candidate variables", "WOE correlation", "Performance", "Calibration", "Stability", "Caveats",
	})
	// The summary comes first, before any other section.
	if i, j := bytes.Index(page, []byte("<h2>Traffic-light summary</h2>")), bytes.Index(page, []byte("<h2>")); i != j {
		t.Errorf("the traffic-light summary is not the first section")
	}
	// One ROC chart; per sample a KS, a score distribution and a
	// calibration chart; one WOE chart per characteristic; one PSI chart.
	samples, chars := 3, 3
	checkCharts(t, page, 1+3*samples+chars+1)
	for _, id := range []string{"chart-roc", "chart-ks-train", "chart-distribution-oot", "chart-woe-purpose", "chart-calibration-test", "chart-psi"} {
		if !bytes.Contains(page, []byte(`<svg id="`+id+`"`)) {
			t.Errorf("no chart %s", id)
		}
	}
	checkSelfContained(t, page)
	if bytes.Contains(page, []byte("CUST-")) || bytes.Contains(md, []byte("CUST-")) {
		t.Errorf("a customer id reached the card")
	}
	for _, id := range []string{ids[0], ids[len(ids)/2], ids[len(ids)-1]} {
		if bytes.Contains(page, []byte(id)) || bytes.Contains(md, []byte(id)) {
			t.Errorf("customer id %s in the card", id)
		}
	}
	// Every selected variable's bins and points are in both forms.
	for _, ch := range card.Scorecard.Characteristics {
		for _, a := range ch.Attributes {
			row := "\n| " + mdCell(a.Label) + " "
			if !bytes.Contains(md, []byte(row)) {
				t.Errorf("Markdown lacks bin %s of %s", a.Label, ch.Name)
			}
			if !bytes.Contains(page, []byte(fmt.Sprintf(`<td class="num">%d</td></tr>`, a.Points))) {
				t.Errorf("HTML lacks the points %d of %s", a.Points, a.Label)
			}
		}
	}
	for _, want := range []string{"IV 0.0040 below 0.0200", "Pre-screening of consumer loan applications.", "missing\\_target", "Synthetic data for tests."} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if !bytes.Contains(page, []byte(`<span class="light `+string(card.Validation.Status)+`">`)) {
		t.Errorf("the overall status %s has no light in the HTML", card.Validation.Status)
	}
}

// The same input gives the same bytes, the charts included.
func TestModelCardDeterministic(t *testing.T) {
	var mds, pages [][]byte
	for range 2 {
		card, _, err := syntheticCard(1500)
		if err != nil {
			t.Fatal(err)
		}
		md, page, err := ModelCard(card)
		if err != nil {
			t.Fatal(err)
		}
		mds, pages = append(mds, md), append(pages, page)
	}
	if !bytes.Equal(mds[0], mds[1]) {
		t.Error("two Markdown cards of the same run differ")
	}
	if !bytes.Equal(pages[0], pages[1]) {
		t.Error("two HTML cards of the same run differ")
	}
	// And the renderer itself: the same chart twice.
	card, _, err := syntheticCard(500)
	if err != nil {
		t.Fatal(err)
	}
	a, err := rocChart("x", card.Validation)
	if err != nil {
		t.Fatal(err)
	}
	b, err := rocChart("x", card.Validation)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.svg, b.svg) {
		t.Error("gonum/plot drew the same ROC chart differently twice")
	}
}

// syntheticBacktest validates the oot sample of a synthetic run against
// the train sample's published figures, as a backtest run would.
func syntheticBacktest(t *testing.T) Card {
	t.Helper()
	card, _, err := syntheticCard(2000)
	if err != nil {
		t.Fatal(err)
	}
	dev := card.Validation
	trainM := dev.Sample("train").Metrics
	sc := card.Scorecard
	samples, _ := syntheticRun(syntheticScorecard(), 2000, 11)
	later := samples[2]
	later.Name = "2025-07-01"
	v, err := Validate(ValidationInput{
		Samples: []Sample{later}, Higher: metrics.HigherGood, Scorecard: sc,
		Baseline: &Baseline{Score: dev.ReferenceScore, AUC: &metrics.AUCEstimate{AUC: trainM.AUC, SE: trainM.AUCSE}},
	}, DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	grades := make([]string, len(sc.Grades))
	counts := make([][]int64, len(sc.Grades))
	for i, g := range sc.Grades {
		grades[i] = g.Name
		counts[i] = make([]int64, len(sc.Grades))
		for j := range counts[i] {
			switch i - j {
			case 0:
				counts[i][j] = 50
			case -1, 1:
				counts[i][j] = 5
			}
		}
	}
	card.Kind = KindBacktest
	card.Variables, card.Correlation = nil, nil
	card.Validation = v
	card.Development = &Development{RunID: "20250101T000000Z-abc123", Version: sc.Version, AsOf: "2025-01-01", Sample: "train"}
	card.Migration = &Migration{Grades: grades, Counts: counts}
	card.Model.RunID, card.Model.AsOf = "20250801T000000Z-def456", "2025-07-01"
	return card
}

func TestModelCardBacktest(t *testing.T) {
	card := syntheticBacktest(t)
	md, page, err := ModelCard(card)
	if err != nil {
		t.Fatal(err)
	}
	checkHeadings(t, md, page, []string{
		"Traffic-light summary", "Model details", "Intended use", "Backtest data", "Scorecard variables",
		"Performance", "Calibration", "Stability", "Backtest against development", "Caveats",
	})
	// ROC, KS, distribution and calibration of the one sample, a WOE chart
	// per characteristic, the PSI chart.
	checkCharts(t, page, 4+len(card.Scorecard.Characteristics)+1)
	checkSelfContained(t, page)
	// 8 grades: 8·50 on the diagonal and 14·5 beside it, 470 customers of
	// whom 400 (85.11%) kept their grade.
	for _, want := range []string{"(backtest)", "AUC change", "Grade migration", "470 customers, 85.11% in the same grade.",
		"| A | 50 | 5 | 0 | 0 | 0 | 0 | 0 | 0 | 55 | 90.91% |", "PSI of the score vs development", "p of an AUC drop since development",
		"| Run id | 20250101T000000Z-abc123 |"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("backtest Markdown lacks %q", want)
		}
	}
	s := card.Validation.Samples[0]
	if s.AUCChange == nil || s.PSI == nil || len(s.CSI) != 3 {
		t.Fatalf("backtest figures missing: %+v", s)
	}
	if !bytes.Contains(md, []byte("| 2025-07-01 | "+f4(s.AUCChange.AUC1)+" | "+f4(s.AUCChange.AUC2)+" |")) {
		t.Errorf("the AUC change row of 2025-07-01 is not in the Markdown")
	}
}

// An evaluate card of a bare score: no scorecard, PDs or grades.
func TestModelCardEvaluate(t *testing.T) {
	samples, _ := syntheticRun(syntheticScorecard(), 800, 3)
	for i := range samples {
		samples[i].PD, samples[i].Grade, samples[i].Attr = nil, nil, nil
	}
	samples[0].Name, samples[1].Name, samples[2].Name = "north", "south", "east"
	v, err := Validate(ValidationInput{Samples: samples, Higher: metrics.HigherGood}, Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	md, page, err := ModelCard(Card{Kind: KindEvaluate, Model: ModelDetails{Name: "bureau", Score: "bureau_score (higher = good)"}, Validation: v})
	if err != nil {
		t.Fatal(err)
	}
	checkHeadings(t, md, page, []string{"Traffic-light summary", "Model details", "Intended use", "Evaluation data", "Performance", "Stability", "Caveats"})
	checkCharts(t, page, 1+2*3)
	checkSelfContained(t, page)
	if !bytes.Contains(md, []byte("No stability figures")) || !bytes.Contains(md, []byte(`no sample "train"`)) {
		t.Errorf("the evaluate card does not say why it has no stability figures")
	}
}

func TestModelCardErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Card)
		want string
	}{
		{"kind", func(c *Card) { c.Kind = "nightly" }, "kind"},
		{"name", func(c *Card) { c.Model.Name = "" }, "no model name"},
		{"correlation rows", func(c *Card) { c.Correlation.Matrix = c.Correlation.Matrix[:2] }, "correlation matrix"},
		{"correlation row", func(c *Card) { c.Correlation.Matrix[1] = c.Correlation.Matrix[1][:1] }, "correlation row age"},
		{"migration", func(c *Card) { c.Migration = &Migration{Grades: []string{"A", "B"}, Counts: [][]int64{{1, 2}, {3}}} }, "migration row B"},
	} {
		t.Run(c.name, func(t *testing.T) {
			card, _, err := syntheticCard(300)
			if err != nil {
				t.Fatal(err)
			}
			c.edit(&card)
			if _, _, err := ModelCard(card); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestMarkdownEscaping(t *testing.T) {
	for in, want := range map[string]string{
		"PSI < 0.1":      "PSI < 0.1",
		"<script>":       "&lt;script>",
		"a_b*c":          "a\\_b\\*c",
		"[-inf, 25)":     "\\[-inf, 25)",
		"two\nlines":     "two lines",
		"x <1 and y<z":   "x <1 and y&lt;z",
		"trailing <":     "trailing <",
		"back\\slash`go": "back\\\\slash\\`go",
	} {
		if got := mdText(in); got != want {
			t.Errorf("mdText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := mdCell("a|b"); got != "a\\|b" {
		t.Errorf("mdCell(a|b) = %q", got)
	}
}
