package report

import (
	"bytes"
	"errors"
	"fmt"
	"math"
)

// Page lays out a report other than the model card — the portfolio report of
// a nightly run, for one — with the card's look: sections, tables whose cells
// may carry a traffic light, and bar charts drawn with gonum/plot and inlined
// as SVG. Like the card it is written twice, as Markdown and as one
// self-contained HTML file (inline CSS, no scripts, no external references),
// with the same sections and numbers; the first section is shown above the
// table of contents, as the card's summary is. The same calls give the same
// bytes.
type Page struct {
	title, subtitle string
	htmlName        string
	sections        []*PageSection
}

// NewPage starts a page. htmlName is the file name the HTML version is
// published under; the Markdown version points to it where it names a chart.
func NewPage(title, subtitle, htmlName string) *Page {
	return &Page{title: title, subtitle: subtitle, htmlName: htmlName}
}

// PageSection is a level-two section of a page; blocks are appended in the
// order of the calls.
type PageSection struct {
	page *Page
	s    section
}

// Section appends a section. id is its HTML element id: lower-case letters,
// digits and '-', unique within the page.
func (p *Page) Section(id, title string) *PageSection {
	s := &PageSection{page: p, s: section{id: id, title: title}}
	p.sections = append(p.sections, s)
	return s
}

// Paragraph appends a paragraph of plain text.
func (s *PageSection) Paragraph(text string) { s.s.blocks = append(s.s.blocks, paragraph(text)) }

// Subheading appends a level-three heading.
func (s *PageSection) Subheading(text string) { s.s.blocks = append(s.s.blocks, subheading(text)) }

// List appends a bulleted list.
func (s *PageSection) List(items ...string) {
	s.s.blocks = append(s.s.blocks, list(append([]string(nil), items...)))
}

// Cell is a table cell; a cell with a Status shows it as a traffic light
// (in Markdown as the status in capitals after the text).
type Cell struct {
	Text   string
	Status Status
}

// PageTable is a table of a page section.
type PageTable struct {
	t *table
}

// Table appends a table with the given header; the columns from index
// numericFrom on are right-aligned (numericFrom ≥ len(head): none). Rows are
// added to the returned table.
func (s *PageSection) Table(numericFrom int, head ...string) *PageTable {
	t := newTable(append([]string(nil), head...)...).right(max(0, numericFrom))
	s.s.blocks = append(s.s.blocks, t)
	return &PageTable{t: t}
}

// Row appends a row of plain-text cells, one per column.
func (t *PageTable) Row(texts ...string) { t.t.add(texts...) }

// RowCells appends a row of cells, one per column.
func (t *PageTable) RowCells(cells ...Cell) {
	row := make([]cell, len(cells))
	for i, c := range cells {
		row[i] = cell{text: c.Text, status: c.Status}
	}
	t.t.addCells(row...)
}

// BarChart is a bar chart of one or more series over named categories,
// the bars of the series side by side in each category, coloured in the
// card's palette in series order.
type BarChart struct {
	// ID is the chart's HTML element id, unique within the page.
	ID     string
	Title  string
	XLabel string
	YLabel string
	// Categories name the groups of bars along the x axis.
	Categories []string
	// Series hold one value per category each.
	Series []BarSeries
}

// BarSeries is one series of a bar chart. A named series is listed in the
// legend.
type BarSeries struct {
	Name   string
	Values []float64
}

// BarChart draws the chart and appends it to the section. Values must be
// finite; the y axis starts at zero unless a value is negative.
func (s *PageSection) BarChart(c BarChart) error {
	if len(c.Categories) == 0 || len(c.Series) == 0 {
		return fmt.Errorf("chart %s: no categories or no series", c.ID)
	}
	p := newPlot(c.Title, c.XLabel, c.YLabel)
	n, k := len(c.Categories), len(c.Series)
	top, negative := 0.0, false
	for i, se := range c.Series {
		if len(se.Values) != n {
			return fmt.Errorf("chart %s: series %q has %d values for %d categories", c.ID, se.Name, len(se.Values), n)
		}
		for _, v := range se.Values {
			if !finite(v) {
				return fmt.Errorf("chart %s: series %q holds %v", c.ID, se.Name, v)
			}
			top = math.Max(top, v)
			negative = negative || v < 0
		}
		b, err := bars(se.Values, sampleColor(i), i, k, n)
		if err != nil {
			return fmt.Errorf("chart %s: %w", c.ID, err)
		}
		p.Add(b)
		if se.Name != "" {
			p.Legend.Add(se.Name, b)
		}
	}
	if !negative {
		p.Y.Min = 0
		if top > 0 {
			// Head room above the highest bar keeps the legend clear of it.
			p.Y.Max = 1.25 * top
		} else {
			p.Y.Max = 1
		}
	}
	p.Legend.Top = true
	p.NominalX(c.Categories...)
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5
	rotateTicks(p, c.Categories)
	ch, err := renderPlot(c.ID, c.Title, p, chartWidth, chartHeight)
	if err != nil {
		return err
	}
	s.s.blocks = append(s.s.blocks, &pageChart{chart: ch, htmlName: s.page.htmlName})
	return nil
}

// pageChart is a chart whose Markdown note names the page's HTML file.
type pageChart struct {
	*chart
	htmlName string
}

func (c *pageChart) markdown(b *bytes.Buffer) {
	b.WriteString("*Chart: " + mdText(c.title) + " (in " + mdText(c.htmlName) + ").*\n\n")
}

// Render writes the page as Markdown and as HTML. It fails when two
// sections or charts share an id or a table row does not have one cell per
// column.
func (p *Page) Render() (md, html []byte, err error) {
	d := &document{title: p.title, subtitle: p.subtitle}
	ids := map[string]bool{}
	use := func(id string) error {
		if id == "" || ids[id] {
			return fmt.Errorf("page %q: element id %q is empty or used twice", p.title, id)
		}
		ids[id] = true
		return nil
	}
	var errs []error
	for _, s := range p.sections {
		errs = append(errs, use(s.s.id))
		for _, bl := range s.s.blocks {
			switch bl := bl.(type) {
			case *pageChart:
				errs = append(errs, use(bl.id))
			case *table:
				for i, row := range bl.rows {
					if len(row) != len(bl.head) {
						errs = append(errs, fmt.Errorf("page %q, section %q: table row %d has %d cells for %d columns", p.title, s.s.title, i+1, len(row), len(bl.head)))
					}
				}
			}
		}
		d.sections = append(d.sections, s.s)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return d.markdown(), d.html(), nil
}
