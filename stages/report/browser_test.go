package report

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromium returns the path of Debian's chromium, skipping the test when it
// is missing — unless CI is set, where the browser check must run.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed and CI is set: the card's browser check needs Debian's chromium package (apt-get install -y chromium)")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium): skipping the headless browser check of the HTML card")
	return ""
}

// runChromium runs headless chromium on a local file with networking,
// updates and sync off, and returns its standard output.
func runChromium(t *testing.T, bin, file string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), "file://"+file)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// TestModelCardInChromium loads the HTML card in headless Chromium and
// checks that the parsed DOM holds every chart with its drawing, then draws
// every chart on a grid and checks that each cell shows coloured plot
// marks (a browser that did not render the SVG would at most show its text
// in black).
func TestModelCardInChromium(t *testing.T) {
	bin := chromium(t)
	card, _, err := syntheticCard(1500)
	if err != nil {
		t.Fatal(err)
	}
	_, page, err := ModelCard(card)
	if err != nil {
		t.Fatal(err)
	}
	checkInChromium(t, bin, page)
}

// checkInChromium runs the two Chromium checks on an HTML card.
func checkInChromium(t *testing.T, bin string, page []byte) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "model_card.html")
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range charts(t, page) {
		ids = append(ids, string(svgID.FindSubmatch(s)[1]))
	}

	dom := runChromium(t, bin, file, "--dump-dom")
	for _, h := range []string{"Traffic-light summary", "Performance", "Caveats"} {
		if !bytes.Contains(dom, []byte("<h2>"+h+"</h2>")) {
			t.Errorf("the DOM lacks section %q", h)
		}
	}
	domCharts := svgElement.FindAll(dom, -1)
	if len(domCharts) != len(ids) {
		t.Errorf("the DOM holds %d charts, the card %d", len(domCharts), len(ids))
	}
	for _, id := range ids {
		el := regexp.MustCompile(`(?s)<svg id="` + id + `" class="chart"[^>]*>(.*?)</svg>`).FindSubmatch(dom)
		switch {
		case el == nil:
			t.Errorf("chart %s is not in the DOM", id)
		case !regexp.MustCompile(`<path [^>]*d="M`).Match(el[1]) || !bytes.Contains(el[1], []byte("<text")):
			t.Errorf("chart %s is empty in the DOM", id)
		}
	}

	// Every chart on a grid of 400×300 px cells, one screenshot. The last
	// cell is a control: the first chart with its <svg> turned into a <div>,
	// which a browser shows as bare black text, and which must fail the
	// pixel check.
	const cols, w, h = 3, 400, 300
	svgs := charts(t, page)
	control := bytes.ReplaceAll(bytes.ReplaceAll(svgs[0], []byte("<svg"), []byte("<div")), []byte("</svg>"), []byte("</div>"))
	cells := append(svgs[:len(svgs):len(svgs)], control)
	rows := (len(cells) + cols - 1) / cols
	var grid bytes.Buffer
	grid.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:0;background:#fff}` +
		`.cell{position:absolute;width:400px;height:300px;overflow:hidden}.cell svg{width:400px;height:300px}</style></head><body>`)
	for i, s := range cells {
		fmt.Fprintf(&grid, `<div class="cell" style="left:%dpx;top:%dpx">%s</div>`, (i%cols)*w, (i/cols)*h, s)
	}
	grid.WriteString("</body></html>")
	gridFile := filepath.Join(dir, "grid.html")
	if err := os.WriteFile(gridFile, grid.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "grid.png")
	runChromium(t, bin, gridFile, "--hide-scrollbars", "--force-device-scale-factor=1",
		fmt.Sprintf("--window-size=%d,%d", cols*w, rows*h), "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	const minPixels = 200
	cell := func(i int) image.Rectangle {
		return image.Rect((i%cols)*w, (i/cols)*h, (i%cols+1)*w, (i/cols+1)*h)
	}
	fewest := -1
	for i, id := range ids {
		n := colouredPixels(img, cell(i))
		if n < minPixels {
			t.Errorf("chart %s shows %d coloured pixels in Chromium, want a drawn chart", id, n)
		}
		if fewest < 0 || n < fewest {
			fewest = n
		}
	}
	n := colouredPixels(img, cell(len(ids)))
	if n >= minPixels {
		t.Errorf("the control cell (a chart's text without SVG) shows %d coloured pixels: the check cannot tell a drawn chart", n)
	}
	t.Logf("%d charts rendered, the fewest with %d coloured pixels; the text-only control has %d", len(ids), fewest, n)
}

// colouredPixels counts the saturated pixels of img in r: plot lines and
// bars, not black text, grey grid or white background.
func colouredPixels(img image.Image, r image.Rectangle) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			hi, lo := max(cr, cg, cb)>>8, min(cr, cg, cb)>>8
			if hi-lo > 60 {
				n++
			}
		}
	}
	return n
}
