package report

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"image/color"
	"math"
	"regexp"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"lendscore/models/scorecard"
)

// Chart sizes.
const (
	chartWidth  = 6 * vg.Inch
	chartHeight = 3.6 * vg.Inch
	woeHeight   = 5 * vg.Inch
)

// palette colours samples in the order they come (train, test, oot, …).
var palette = [...]color.RGBA{
	{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, // blue
	{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}, // orange
	{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, // green
	{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, // purple
	{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff}, // brown
	{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}, // pink
	{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}, // grey
	{R: 0xbc, G: 0xbd, B: 0x22, A: 0xff}, // olive
	{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff}, // cyan
}

var (
	colorBad  = color.RGBA{R: 0xcf, G: 0x22, B: 0x2e, A: 0xff}
	colorGood = color.RGBA{R: 0x1a, G: 0x7f, B: 0x37, A: 0xff}
	colorGrey = color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}
	colorBar  = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
)

func sampleColor(i int) color.Color { return palette[i%len(palette)] }

// newPlot returns a plot with a sans-serif face throughout.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	for _, f := range []*font.Font{
		&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font,
	} {
		f.Variant = "Sans"
	}
	p.Legend.Padding = vg.Points(2)
	p.Add(plotter.NewGrid())
	return p
}

// svgNamespace matches the namespace attributes of vgsvg's <svg> tag: an HTML
// parser puts <svg> in the SVG namespace by itself, and the card must hold
// no http(s) address.
var svgNamespace = regexp.MustCompile(`\s+xmlns(:[a-z]+)?="[^"]*"`)

// renderSVG draws onto a w×h SVG canvas and returns the <svg> element ready
// to inline in HTML: without the XML prolog and generator comment, without
// namespace declarations, with the id, class "chart" and an accessible
// title.
func renderSVG(id, title string, w, h vg.Length, paint func(draw.Canvas)) (*chart, error) {
	c := vgsvg.New(w, h)
	paint(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart %s: %w", id, err)
	}
	raw := buf.Bytes()
	start := bytes.Index(raw, []byte("<svg"))
	if start < 0 {
		return nil, fmt.Errorf("chart %s: the renderer wrote no <svg> element", id)
	}
	raw = raw[start:]
	end := bytes.IndexByte(raw, '>')
	if end < 0 {
		return nil, fmt.Errorf("chart %s: unterminated <svg> tag", id)
	}
	attrs := svgNamespace.ReplaceAllString(string(raw[len("<svg"):end]), "")
	var out bytes.Buffer
	fmt.Fprintf(&out, `<svg id="%s" class="chart" role="img" aria-label="%s"%s>`, id, html.EscapeString(title), attrs)
	out.WriteString("\n<title>" + html.EscapeString(title) + "</title>")
	out.Write(raw[end+1:])
	return &chart{id: id, title: title, svg: out.Bytes()}, nil
}

// renderPlot renders one plot.
func renderPlot(id, title string, p *plot.Plot, w, h vg.Length) (*chart, error) {
	return renderSVG(id, title, w, h, func(dc draw.Canvas) { p.Draw(dc) })
}

func line(xys plotter.XYs, c color.Color, dashed bool) (*plotter.Line, error) {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return nil, err
	}
	l.Color = c
	l.Width = vg.Points(1.5)
	if dashed {
		l.Width = vg.Points(1)
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	return l, nil
}

// rocChart draws the ROC curve of every sample that has one.
func rocChart(id string, v *Validation) (*chart, error) {
	p := newPlot("ROC curve", "False positive rate (goods called bad)", "True positive rate (bads called bad)")
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	diag, err := line(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}, colorGrey, true)
	if err != nil {
		return nil, err
	}
	p.Add(diag)
	for i, s := range v.Samples {
		if len(s.ROC) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(s.ROC))
		for k, pt := range s.ROC {
			xys[k] = plotter.XY{X: pt.FPR, Y: pt.TPR}
		}
		l, err := line(xys, sampleColor(i), false)
		if err != nil {
			return nil, fmt.Errorf("roc %s: %w", s.Name, err)
		}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (AUC %.3f)", s.Name, s.Metrics.AUC), l)
	}
	p.Legend.Left, p.Legend.Top = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(8), vg.Points(8)
	return renderPlot(id, "ROC curve per sample", p, chartWidth, chartHeight)
}

// ksChart draws the cumulative score distributions of bads and goods of one
// sample and marks where they are furthest apart.
func ksChart(id string, s *SampleReport) (*chart, error) {
	m := s.Metrics
	title := fmt.Sprintf("KS curve, %s: KS %.3f at score %s", s.Name, m.KS, num(m.KSScore))
	p := newPlot(title, "Score", "Cumulative share")
	p.Y.Min, p.Y.Max = 0, 1
	bads := make(plotter.XYs, len(s.KSCurve))
	goods := make(plotter.XYs, len(s.KSCurve))
	var peak plotter.XYs
	for k, pt := range s.KSCurve {
		bads[k] = plotter.XY{X: pt.Score, Y: pt.CumBad}
		goods[k] = plotter.XY{X: pt.Score, Y: pt.CumGood}
		if pt.Score == m.KSScore && peak == nil {
			peak = plotter.XYs{{X: pt.Score, Y: pt.CumGood}, {X: pt.Score, Y: pt.CumBad}}
		}
	}
	lb, err := line(bads, colorBad, false)
	if err != nil {
		return nil, err
	}
	lg, err := line(goods, colorGood, false)
	if err != nil {
		return nil, err
	}
	p.Add(lb, lg)
	p.Legend.Add("bads", lb)
	p.Legend.Add("goods", lg)
	if peak != nil {
		lp, err := line(peak, color.Black, true)
		if err != nil {
			return nil, err
		}
		p.Add(lp)
		p.Legend.Add("KS", lp)
	}
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(8)
	return renderPlot(id, title, p, chartWidth, chartHeight)
}

// distributionChart draws the score distributions of goods and bads of one
// sample as shares of each class per score bin.
func distributionChart(id string, s *SampleReport) (*chart, error) {
	h := s.Histogram
	title := "Score distribution of goods and bads, " + s.Name
	p := newPlot(title, "Score", "Share of the class (%)")
	p.Y.Min = 0
	var nGood, nBad int
	for i := range h.Goods {
		nGood += h.Goods[i]
		nBad += h.Bads[i]
	}
	add := func(counts []int, total int, c color.Color, name string) error {
		if total == 0 {
			return nil
		}
		// A step line over the bins: each bin drawn flat from edge to edge.
		xys := make(plotter.XYs, 0, 2*len(counts))
		for i, n := range counts {
			y := 100 * float64(n) / float64(total)
			xys = append(xys, plotter.XY{X: h.Edges[i], Y: y}, plotter.XY{X: h.Edges[i+1], Y: y})
		}
		l, err := line(xys, c, false)
		if err != nil {
			return err
		}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (%d)", name, total), l)
		return nil
	}
	if err := add(h.Goods, nGood, colorGood, "goods"); err != nil {
		return nil, err
	}
	if err := add(h.Bads, nBad, colorBad, "bads"); err != nil {
		return nil, err
	}
	// Head room above the highest bin keeps the legend clear of the lines.
	ymax := 0.0
	for i := range h.Goods {
		if nGood > 0 {
			ymax = math.Max(ymax, 100*float64(h.Goods[i])/float64(nGood))
		}
		if nBad > 0 {
			ymax = math.Max(ymax, 100*float64(h.Bads[i])/float64(nBad))
		}
	}
	p.Y.Max = 1.3 * ymax
	p.Legend.Top = true
	return renderPlot(id, title, p, chartWidth, chartHeight)
}

// barWidth returns a bar width that fits n groups of k bars in the chart.
func barWidth(n, k int) vg.Length {
	w := 320 / float64(max(n*k, 1))
	return vg.Points(math.Max(3, math.Min(w, 28)))
}

// bars returns a bar chart of values, shifted to position i of k bars in
// each group.
func bars(values []float64, c color.Color, i, k, groups int) (*plotter.BarChart, error) {
	w := barWidth(groups, k)
	b, err := plotter.NewBarChart(plotter.Values(values), w)
	if err != nil {
		return nil, err
	}
	b.Color = c
	b.LineStyle.Width = 0
	b.Offset = w * vg.Length(float64(i)-float64(k-1)/2)
	return b, nil
}

// rotateTicks slants long category labels so they do not overlap.
func rotateTicks(p *plot.Plot, labels []string) {
	long := 0
	for _, l := range labels {
		long += len(l)
	}
	if len(labels) > 4 || long > 40 {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
}

// woeChart draws the training count (top) and the WOE (bottom) of every
// attribute of a scorecard characteristic.
func woeChart(id string, ch *scorecard.Characteristic) (*chart, error) {
	labels := make([]string, len(ch.Attributes))
	counts := make([]float64, len(ch.Attributes))
	woe := make([]float64, len(ch.Attributes))
	for i, a := range ch.Attributes {
		labels[i] = a.Label
		counts[i] = float64(a.Count)
		woe[i] = a.WOE
	}
	n := len(labels)
	title := ch.Name + ": training count and WOE per bin"
	top := newPlot(title, "", "Count")
	top.Y.Min = 0
	bottom := newPlot("", "Bin", "WOE = ln(%good / %bad)")
	bc, err := bars(counts, colorGrey, 0, 1, n)
	if err != nil {
		return nil, fmt.Errorf("woe chart %s: %w", ch.Name, err)
	}
	top.Add(bc)
	bw, err := bars(woe, colorBar, 0, 1, n)
	if err != nil {
		return nil, fmt.Errorf("woe chart %s: %w", ch.Name, err)
	}
	bottom.Add(bw)
	for _, p := range []*plot.Plot{top, bottom} {
		p.NominalX(labels...)
		p.X.Min, p.X.Max = -0.5, float64(n)-0.5
	}
	rotateTicks(bottom, labels)
	top.X.Tick.Label.Font.Size = 0 // the bottom plot names the bins
	plots := [][]*plot.Plot{{top}, {bottom}}
	return renderSVG(id, title, chartWidth, woeHeight, func(dc draw.Canvas) {
		tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Points(6), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
		canvases := plot.Align(plots, tiles, dc)
		top.Draw(canvases[0][0])
		bottom.Draw(canvases[1][0])
	})
}

// calibrationChart draws the observed default rate against the mean PD of
// every grade of one sample.
func calibrationChart(id string, s *SampleReport) (*chart, error) {
	title := "Observed and predicted default rate per grade, " + s.Name
	p := newPlot(title, "Grade", "Default rate (%)")
	p.Y.Min = 0
	n := len(s.Calibration)
	labels := make([]string, n)
	obs := make([]float64, n)
	pred := make([]float64, n)
	for i, g := range s.Calibration {
		labels[i] = g.Grade
		obs[i] = 100 * g.BadRate
		pred[i] = 100 * g.MeanPD
	}
	bo, err := bars(obs, colorBad, 0, 2, n)
	if err != nil {
		return nil, err
	}
	bp, err := bars(pred, colorBar, 1, 2, n)
	if err != nil {
		return nil, err
	}
	p.Add(bo, bp)
	p.Legend.Add("observed", bo)
	p.Legend.Add("mean PD", bp)
	p.Legend.Left, p.Legend.Top = true, true
	p.Legend.XOffs = vg.Points(8)
	p.NominalX(labels...)
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5
	return renderPlot(id, title, p, chartWidth, chartHeight)
}

// psiChart draws the PSI of the score and the CSI of every variable of
// each sample compared with the reference, with the amber and red
// thresholds.
func psiChart(id string, v *Validation) (*chart, error) {
	cats := []string{"score"}
	index := map[string]int{"score": 0}
	type series struct {
		name   string
		color  color.Color
		values map[int]float64
	}
	var ss []series
	for i, s := range v.Samples {
		if s.PSI == nil && len(s.CSI) == 0 {
			continue
		}
		se := series{name: s.Name, color: sampleColor(i), values: map[int]float64{}}
		if s.PSI != nil {
			se.values[0] = *s.PSI
		}
		for _, c := range s.CSI {
			k, ok := index[c.Variable]
			if !ok {
				k = len(cats)
				index[c.Variable] = k
				cats = append(cats, c.Variable)
			}
			se.values[k] = c.CSI
		}
		ss = append(ss, se)
	}
	if len(ss) == 0 {
		return nil, errors.New("psi chart: no stability figures")
	}
	title := "Stability against " + v.Reference + ": PSI of the score, CSI per variable"
	p := newPlot(title, "", "PSI / CSI")
	p.Y.Min = 0
	for i, se := range ss {
		vals := make([]float64, len(cats))
		for k, x := range se.values {
			vals[k] = x
		}
		b, err := bars(vals, se.color, i, len(ss), len(cats))
		if err != nil {
			return nil, err
		}
		p.Add(b)
		p.Legend.Add(se.name, b)
	}
	xmin, xmax := -0.5, float64(len(cats))-0.5
	for _, t := range []struct {
		y float64
		c color.Color
	}{{v.Thresholds.PSI.Green, color.RGBA{R: 0xbf, G: 0x87, A: 0xff}}, {v.Thresholds.PSI.Amber, colorBad}} {
		l, err := line(plotter.XYs{{X: xmin, Y: t.y}, {X: xmax, Y: t.y}}, t.c, true)
		if err != nil {
			return nil, err
		}
		p.Add(l)
	}
	p.NominalX(cats...)
	p.X.Min, p.X.Max = xmin, xmax
	rotateTicks(p, cats)
	p.Legend.Left, p.Legend.Top = false, true
	return renderPlot(id, title, p, chartWidth, chartHeight)
}
