package publish

import (
	"bytes"
	"encoding/csv"
	"strconv"

	"lendscore/models/binning"
)

// BinningCSV returns binning.csv: one line per bin of every binned variable, in the given
// variable order, with count, share, goods, bads, event rate, WOE and the bin's IV, plus the
// variable's total IV and whether it was selected.
func BinningCSV(order []string, vars map[string]*binning.Variable, selected map[string]bool) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"variable", "kind", "bin", "label", "count", "share", "goods", "bads", "event_rate", "woe", "bin_iv", "variable_iv", "selected", "trend"})
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }
	for _, name := range order {
		v := vars[name]
		if v == nil {
			continue
		}
		for i, b := range v.Bins {
			w.Write([]string{
				v.Name, string(v.Kind), strconv.Itoa(i), b.Label,
				g(b.Count), g(b.Share), g(b.Goods), g(b.Bads), g(b.EventRate), g(b.WOE), g(b.IV),
				g(v.IV), strconv.FormatBool(selected[name]), string(v.Trend),
			})
		}
	}
	w.Flush()
	return buf.Bytes()
}
