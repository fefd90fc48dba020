package report

import (
	"bytes"
	"html"
	"strings"
)

// document is a card laid out once and written twice, as Markdown and as
// HTML, so that both carry the same sections, tables and numbers.
type document struct {
	title    string
	subtitle string
	sections []section
}

// section is a level-two heading with its content.
type section struct {
	id, title string
	blocks    []block
}

// block is one element of a section.
type block interface {
	markdown(b *bytes.Buffer)
	html(b *bytes.Buffer)
}

// paragraph is a paragraph of plain text.
type paragraph string

func (p paragraph) markdown(b *bytes.Buffer) {
	b.WriteString(mdText(string(p)))
	b.WriteString("\n\n")
}

func (p paragraph) html(b *bytes.Buffer) {
	b.WriteString("<p>")
	b.WriteString(html.EscapeString(string(p)))
	b.WriteString("</p>\n")
}

// subheading is a level-three heading.
type subheading string

func (h subheading) markdown(b *bytes.Buffer) {
	b.WriteString("### ")
	b.WriteString(mdText(string(h)))
	b.WriteString("\n\n")
}

func (h subheading) html(b *bytes.Buffer) {
	b.WriteString("<h3>")
	b.WriteString(html.EscapeString(string(h)))
	b.WriteString("</h3>\n")
}

// list is a bulleted list.
type list []string

func (l list) markdown(b *bytes.Buffer) {
	for _, item := range l {
		b.WriteString("- ")
		b.WriteString(mdText(item))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
}

func (l list) html(b *bytes.Buffer) {
	b.WriteString("<ul>\n")
	for _, item := range l {
		b.WriteString("<li>")
		b.WriteString(html.EscapeString(item))
		b.WriteString("</li>\n")
	}
	b.WriteString("</ul>\n")
}

// cell is one table cell; a cell with a status shows it as a traffic light.
type cell struct {
	text   string
	status Status
}

// table is a table with a header row. Columns listed in numeric are
// right-aligned.
type table struct {
	head    []string
	rows    [][]cell
	numeric []bool
}

// newTable starts a table; columns whose header is in numeric are
// right-aligned.
func newTable(head ...string) *table {
	return &table{head: head, numeric: make([]bool, len(head))}
}

// right marks columns from index i on as numeric.
func (t *table) right(from int) *table {
	for i := from; i < len(t.numeric); i++ {
		t.numeric[i] = true
	}
	return t
}

// add appends a row of plain text cells.
func (t *table) add(texts ...string) {
	row := make([]cell, len(texts))
	for i, s := range texts {
		row[i] = cell{text: s}
	}
	t.rows = append(t.rows, row)
}

// addCells appends a row of cells.
func (t *table) addCells(cells ...cell) { t.rows = append(t.rows, cells) }

func (t *table) markdown(b *bytes.Buffer) {
	b.WriteByte('|')
	for _, h := range t.head {
		b.WriteString(" " + mdCell(h) + " |")
	}
	b.WriteString("\n|")
	for i := range t.head {
		if t.numeric[i] {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteByte('\n')
	for _, row := range t.rows {
		b.WriteByte('|')
		for _, c := range row {
			s := c.text
			if c.status != "" {
				s = strings.TrimSpace(s + " " + strings.ToUpper(string(c.status)))
			}
			b.WriteString(" " + mdCell(s) + " |")
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
}

func (t *table) html(b *bytes.Buffer) {
	b.WriteString("<div class=\"scroll\"><table>\n<thead><tr>")
	for i, h := range t.head {
		if t.numeric[i] {
			b.WriteString("<th class=\"num\">")
		} else {
			b.WriteString("<th>")
		}
		b.WriteString(html.EscapeString(h))
		b.WriteString("</th>")
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, row := range t.rows {
		b.WriteString("<tr>")
		for i, c := range row {
			if i < len(t.numeric) && t.numeric[i] {
				b.WriteString("<td class=\"num\">")
			} else {
				b.WriteString("<td>")
			}
			b.WriteString(html.EscapeString(c.text))
			if c.status != "" {
				if c.text != "" {
					b.WriteByte(' ')
				}
				b.WriteString(`<span class="light ` + string(c.status) + `">` + string(c.status) + "</span>")
			}
			b.WriteString("</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table></div>\n")
}

// chart is an SVG chart, inlined in HTML; Markdown names it and points to
// the HTML card.
type chart struct {
	id, title string
	svg       []byte // an <svg> element without XML prolog
}

func (c *chart) markdown(b *bytes.Buffer) {
	b.WriteString("*Chart: " + mdText(c.title) + " (in model_card.html).*\n\n")
}

func (c *chart) html(b *bytes.Buffer) {
	b.WriteString("<figure>\n")
	b.Write(c.svg)
	b.WriteString("<figcaption>" + html.EscapeString(c.title) + "</figcaption>\n</figure>\n")
}

// mdEscaper escapes the characters that Markdown reads as markup.
var mdEscaper = strings.NewReplacer("\\", "\\\\", "*", "\\*", "_", "\\_", "`", "\\`", "[", "\\[", "]", "\\]", "\n", " ")

// mdText escapes s for Markdown text; a '<' that could open an HTML tag
// becomes "&lt;", one before a space or digit ("PSI < 0.1") stays.
func mdText(s string) string {
	s = mdEscaper.Replace(s)
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '<' && i+1 < len(s) && s[i+1] != ' ' && (s[i+1] < '0' || s[i+1] > '9') {
			b.WriteString("&lt;")
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mdCell escapes a table cell.
func mdCell(s string) string {
	return strings.ReplaceAll(mdText(s), "|", "\\|")
}

// markdown writes the document as Markdown.
func (d *document) markdown() []byte {
	var b bytes.Buffer
	b.WriteString("# " + mdText(d.title) + "\n\n")
	if d.subtitle != "" {
		b.WriteString(mdText(d.subtitle) + "\n\n")
	}
	for _, s := range d.sections {
		b.WriteString("## " + mdText(s.title) + "\n\n")
		for _, bl := range s.blocks {
			bl.markdown(&b)
		}
	}
	return b.Bytes()
}

// style is the card's stylesheet, inlined so the HTML needs nothing else.
const style = `body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1b1f24;margin:0;background:#f6f7f9;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:24px 32px;background:#fff}
h1{font-size:1.7em;margin:0 0 4px}
h2{font-size:1.3em;border-bottom:2px solid #d0d7de;padding-bottom:4px;margin-top:2em}
h3{font-size:1.05em;margin-top:1.5em}
.subtitle{color:#57606a;margin-top:0}
nav ol{columns:2;font-size:.92em}
table{border-collapse:collapse;margin:8px 0 16px;font-size:.88em}
th,td{border:1px solid #d0d7de;padding:3px 8px;vertical-align:top}
th{background:#f0f2f5;text-align:left}
.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}
.light{display:inline-block;min-width:3.6em;text-align:center;border-radius:3px;padding:0 4px;font-size:.85em;font-weight:600;color:#fff}
.light.green{background:#1a7f37}.light.amber{background:#bf8700}.light.red{background:#cf222e}
figure{margin:12px 0 20px}
figcaption{font-size:.85em;color:#57606a}
svg.chart{max-width:100%;height:auto;display:block}
@media print{body{background:#fff}main{padding:0}section{break-inside:avoid-page}}
`

// html writes the document as one self-contained HTML page.
func (d *document) html() []byte {
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	b.WriteString("<title>" + html.EscapeString(d.title) + "</title>\n<style>\n" + style + "</style>\n</head>\n<body>\n<main>\n")
	b.WriteString("<h1>" + html.EscapeString(d.title) + "</h1>\n")
	if d.subtitle != "" {
		b.WriteString("<p class=\"subtitle\">" + html.EscapeString(d.subtitle) + "</p>\n")
	}
	for i, s := range d.sections {
		b.WriteString("<section id=\"" + s.id + "\">\n<h2>" + html.EscapeString(s.title) + "</h2>\n")
		for _, bl := range s.blocks {
			bl.html(&b)
		}
		b.WriteString("</section>\n")
		if i == 0 && len(d.sections) > 1 {
			// The first section (the traffic-light summary) stays on top;
			// the table of contents follows it.
			b.WriteString("<nav><h2>Contents</h2><ol>\n")
			for _, s := range d.sections[1:] {
				b.WriteString("<li><a href=\"#" + s.id + "\">" + html.EscapeString(s.title) + "</a></li>\n")
			}
			b.WriteString("</ol></nav>\n")
		}
	}
	b.WriteString("</main>\n</body>\n</html>\n")
	return b.Bytes()
}
