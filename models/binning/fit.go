package binning

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// FitNumeric bins a numeric variable optimally: x the values (NaN = missing),
// y the labels (1 = bad, 0 = good), w the weights (nil = all 1; the pre-bin
// quantiles count rows, not weights). It runs the three steps of the package
// documentation.
func FitNumeric(name string, x []float64, y []int8, w []float64, cfg Config) (*Variable, error) {
	edges, err := QuantileEdges(x, cfg)
	if err != nil {
		return nil, fmt.Errorf("bin %s: %w", name, err)
	}
	c, err := countNumeric(x, y, w, edges, cfg.Special)
	if err != nil {
		return nil, fmt.Errorf("bin %s: %w", name, err)
	}
	return FitCounts(name, c, cfg)
}

// FitCategorical bins a categorical variable optimally: x the categories
// ("" = missing), y the labels (1 = bad, 0 = good), w the weights (nil = all
// 1).
func FitCategorical(name string, x []string, y []int8, w []float64, cfg Config) (*Variable, error) {
	c := NewCategoricalCounts()
	if err := c.AddCategorical(x, y, w); err != nil {
		return nil, fmt.Errorf("bin %s: %w", name, err)
	}
	return FitCounts(name, c, cfg)
}

// ManualNumeric bins a numeric variable at the given cut points (strictly
// increasing, finite) instead of searching; see [FitNumeric] for the other
// arguments.
func ManualNumeric(name string, x []float64, y []int8, w []float64, breaks []float64, cfg Config) (*Variable, error) {
	c, err := countNumeric(x, y, w, breaks, cfg.Special)
	if err != nil {
		return nil, fmt.Errorf("bin %s: %w", name, err)
	}
	return ApplyManual(name, c, Manual{Breaks: breaks}, cfg)
}

// ManualCategorical bins a categorical variable into the given groups of
// categories instead of searching; see [Manual] for the rules and
// [FitCategorical] for the other arguments.
func ManualCategorical(name string, x []string, y []int8, w []float64, groups [][]string, cfg Config) (*Variable, error) {
	c := NewCategoricalCounts()
	if err := c.AddCategorical(x, y, w); err != nil {
		return nil, fmt.Errorf("bin %s: %w", name, err)
	}
	return ApplyManual(name, c, Manual{Groups: groups}, cfg)
}

func countNumeric(x []float64, y []int8, w []float64, edges, special []float64) (*Counts, error) {
	c, err := NewNumericCounts(edges, special)
	if err != nil {
		return nil, err
	}
	if err := c.AddNumeric(x, y, w); err != nil {
		return nil, err
	}
	return c, nil
}

// Manual is a hand-made binning of one variable.
type Manual struct {
	// Breaks are the cut points of a numeric variable, strictly increasing;
	// each must be one of the edges of the counts it is applied to.
	Breaks []float64 `json:"breaks,omitempty"`
	// Groups are the category groups of a categorical variable, in bin order.
	// A category may appear in one group only. Categories of the counts that no
	// group lists form one more bin at the end, which also receives unseen
	// categories; without such a bin unseen categories go to the largest bin.
	Groups [][]string `json:"groups,omitempty"`
}

// FitCounts is step 3: the optimal binning of counts from step 2. Numeric
// counts use their own special values; cfg.Special is not consulted.
func FitCounts(name string, c *Counts, cfg Config) (*Variable, error) {
	totalGoods, totalBads, err := checkStep3(c, cfg)
	if err != nil {
		return nil, fmt.Errorf("bin %s: %w", name, err)
	}
	var regular []group
	var unseen int
	switch c.Kind {
	case Numeric:
		if n := len(c.Goods); n > MaxPreBins {
			return nil, fmt.Errorf("bin %s: counts have %d pre-bins, the search takes at most %d", name, n, MaxPreBins)
		}
		p := newMergeProblem(c.Goods, c.Bads, totalGoods, totalBads, cfg)
		cuts, _ := p.solveTrend(cfg.Trend, cfg.TrendMargin)
		regular = numericGroups(c, cuts)
	case Categorical:
		items, other := orderCategories(c, cfg, totalGoods+totalBads)
		goods := make([]float64, len(items))
		bads := make([]float64, len(items))
		for i, it := range items {
			goods[i], bads[i] = it.goods, it.bads
		}
		p := newMergeProblem(goods, bads, totalGoods, totalBads, cfg)
		cuts, _ := p.solve(TrendAscending)
		unseen = -1
		for k := range len(cuts) - 1 {
			var g group
			for i := cuts[k]; i < cuts[k+1]; i++ {
				g.goods += items[i].goods
				g.bads += items[i].bads
				g.categories = append(g.categories, items[i].categories...)
				if i == other {
					unseen = k
				}
			}
			slices.Sort(g.categories)
			regular = append(regular, g)
		}
		if len(regular) == 0 {
			regular = []group{{}}
		}
	}
	return assemble(name, c, regular, unseen, cfg, false)
}

// ApplyManual is step 3 with hand-made bins: counts, WOE and IV of the bins
// of m over the counts c. Missing and special values follow the rules of the
// package documentation.
func ApplyManual(name string, c *Counts, m Manual, cfg Config) (*Variable, error) {
	if _, _, err := checkStep3(c, cfg); err != nil {
		return nil, fmt.Errorf("bin %s: %w", name, err)
	}
	var regular []group
	unseen := -1
	switch c.Kind {
	case Numeric:
		if len(m.Groups) > 0 {
			return nil, fmt.Errorf("bin %s: category groups given for a numeric variable", name)
		}
		if err := checkEdges(m.Breaks); err != nil {
			return nil, fmt.Errorf("bin %s: breaks: %w", name, err)
		}
		cuts := []int{0}
		for _, b := range m.Breaks {
			k, found := slices.BinarySearch(c.Edges, b)
			if !found {
				return nil, fmt.Errorf("bin %s: break %v is not an edge of the counts", name, b)
			}
			cuts = append(cuts, k+1)
		}
		cuts = append(cuts, len(c.Goods))
		regular = numericGroups(c, cuts)
	case Categorical:
		if len(m.Breaks) > 0 {
			return nil, fmt.Errorf("bin %s: breaks given for a categorical variable", name)
		}
		var err error
		regular, unseen, err = categoryGroups(c, m.Groups)
		if err != nil {
			return nil, fmt.Errorf("bin %s: %w", name, err)
		}
	}
	return assemble(name, c, regular, unseen, cfg, true)
}

// checkStep3 validates the inputs of step 3 and returns the total goods and
// bads.
func checkStep3(c *Counts, cfg Config) (goods, bads float64, err error) {
	if err := cfg.Validate(); err != nil {
		return 0, 0, err
	}
	if err := c.check(); err != nil {
		return 0, 0, err
	}
	goods, bads = c.totals()
	if !(goods+bads > 0) {
		return 0, 0, errors.New("no rows with positive weight")
	}
	return goods, bads, nil
}

// categoryGroups builds the regular groups of a manual categorical binning and
// returns the index of the group of unlisted categories (or -1).
func categoryGroups(c *Counts, groups [][]string) ([]group, int, error) {
	c.reindex()
	listed := make(map[string]bool)
	var regular []group
	for gi, names := range groups {
		if len(names) == 0 {
			return nil, 0, fmt.Errorf("group %d is empty", gi)
		}
		var g group
		for _, s := range names {
			if s == "" {
				return nil, 0, fmt.Errorf("group %d lists the empty category; missing values are binned apart", gi)
			}
			if listed[s] {
				return nil, 0, fmt.Errorf("category %q is in two groups", s)
			}
			listed[s] = true
			g.categories = append(g.categories, s)
			if k, ok := c.index[s]; ok {
				g.goods += c.Goods[k]
				g.bads += c.Bads[k]
			}
		}
		regular = append(regular, g)
	}
	var rest group
	for k, s := range c.Categories {
		if !listed[s] {
			rest.categories = append(rest.categories, s)
			rest.goods += c.Goods[k]
			rest.bads += c.Bads[k]
		}
	}
	if len(rest.categories) > 0 {
		slices.Sort(rest.categories)
		regular = append(regular, rest)
		return regular, len(regular) - 1, nil
	}
	if len(regular) == 0 {
		regular = []group{{}}
	}
	return regular, -1, nil
}

// totals returns all goods and bads, missing and special values included.
func (c *Counts) totals() (goods, bads float64) {
	goods, bads = c.MissingGoods, c.MissingBads
	for i := range c.Goods {
		goods += c.Goods[i]
		bads += c.Bads[i]
	}
	for i := range c.SpecialGoods {
		goods += c.SpecialGoods[i]
		bads += c.SpecialBads[i]
	}
	return goods, bads
}

// group is a bin under construction.
type group struct {
	goods, bads  float64
	interval     bool
	lower, upper float64
	categories   []string
	missing      bool
	special      []float64
}

func (g *group) count() float64 { return g.goods + g.bads }

func (g *group) rate() float64 {
	if n := g.count(); n > 0 {
		return g.bads / n
	}
	return 0
}

// numericGroups turns cuts over the pre-bins of c into interval groups.
func numericGroups(c *Counts, cuts []int) []group {
	groups := make([]group, 0, len(cuts)-1)
	for k := range len(cuts) - 1 {
		g := group{interval: true, lower: math.Inf(-1), upper: math.Inf(1)}
		if lo := cuts[k]; lo > 0 {
			g.lower = c.Edges[lo-1]
		}
		if hi := cuts[k+1]; hi < len(c.Goods) {
			g.upper = c.Edges[hi-1]
		}
		for i := cuts[k]; i < cuts[k+1]; i++ {
			g.goods += c.Goods[i]
			g.bads += c.Bads[i]
		}
		groups = append(groups, g)
	}
	return groups
}

// categoryItem is a pre-bin of the categorical search: one category or the
// pooled rare categories.
type categoryItem struct {
	categories  []string
	goods, bads float64
	rare        bool
}

// orderCategories pools the rare categories and orders the pre-bins by event
// rate (ties by first category name). It returns the pre-bins and the index of
// the rare group among them, or -1.
func orderCategories(c *Counts, cfg Config, total float64) ([]categoryItem, int) {
	var kept []categoryItem
	rare := categoryItem{rare: true}
	for i, s := range c.Categories {
		n := c.Goods[i] + c.Bads[i]
		if !(n > 0) {
			continue
		}
		it := categoryItem{categories: []string{s}, goods: c.Goods[i], bads: c.Bads[i]}
		if n < cfg.RareShare*total {
			rare.add(it)
			continue
		}
		kept = append(kept, it)
	}
	room := cfg.PreBins
	if len(rare.categories) > 0 {
		room--
	}
	if len(kept) > room {
		// Keep the largest categories; the others join the rare group.
		slices.SortFunc(kept, func(a, b categoryItem) int {
			if c := cmp.Compare(b.goods+b.bads, a.goods+a.bads); c != 0 {
				return c
			}
			return strings.Compare(a.categories[0], b.categories[0])
		})
		for _, it := range kept[cfg.PreBins-1:] {
			rare.add(it)
		}
		kept = kept[:cfg.PreBins-1]
	}
	items := kept
	if len(rare.categories) > 0 {
		slices.Sort(rare.categories)
		items = append(items, rare)
	}
	rate := func(it categoryItem) float64 { return it.bads / (it.goods + it.bads) }
	slices.SortFunc(items, func(a, b categoryItem) int {
		if c := cmp.Compare(rate(a), rate(b)); c != 0 {
			return c
		}
		return strings.Compare(a.categories[0], b.categories[0])
	})
	other := -1
	for i, it := range items {
		if it.rare {
			other = i
		}
	}
	return items, other
}

func (it *categoryItem) add(o categoryItem) {
	it.categories = append(it.categories, o.categories...)
	it.goods += o.goods
	it.bads += o.bads
}

// assemble adds the missing and special bins to the regular groups, computes
// WOE and IV, and builds the variable. unseen is the regular group receiving
// unseen categories, or -1 for the largest.
func assemble(name string, c *Counts, regular []group, unseen int, cfg Config, manual bool) (*Variable, error) {
	totalGoods, totalBads := c.totals()
	total := totalGoods + totalBads
	trend := realizedTrend(regular)
	nRegular := len(regular)
	bins := regular

	// Missing and special values: their own bin when large enough, else merged.
	var small []group
	extra := func(g group) {
		if !(g.count() > 0) {
			return
		}
		if g.goods > 0 && g.bads > 0 && g.goods >= cfg.MinGoods && g.bads >= cfg.MinBads && g.count() >= cfg.MinBinShare*total {
			bins = append(bins, g)
		} else {
			small = append(small, g)
		}
	}
	extra(group{missing: true, goods: c.MissingGoods, bads: c.MissingBads})
	for k, s := range c.Special {
		extra(group{special: []float64{s}, goods: c.SpecialGoods[k], bads: c.SpecialBads[k]})
	}
	for _, g := range small {
		// The nearest event rate among the non-empty bins (an empty bin has
		// none); the first bin when all are empty.
		target, dist := 0, math.Inf(1)
		for i := range bins {
			if d := math.Abs(bins[i].rate() - g.rate()); bins[i].count() > 0 && d < dist {
				target, dist = i, d
			}
		}
		t := &bins[target]
		t.goods += g.goods
		t.bads += g.bads
		t.missing = t.missing || g.missing
		t.special = append(t.special, g.special...)
	}

	largest := 0
	for i := 1; i < nRegular; i++ {
		if bins[i].count() > bins[largest].count() {
			largest = i
		}
	}
	v := &Variable{
		Name:       name,
		Kind:       c.Kind,
		Trend:      trend,
		Special:    slices.Clone(c.Special),
		MissingBin: largest,
		UnseenBin:  largest,
		Count:      total,
		Goods:      totalGoods,
		Bads:       totalBads,
		Manual:     manual,
	}
	if c.Kind == Numeric {
		v.UnseenBin = -1 // set to MissingBin below
	} else if unseen >= 0 {
		v.UnseenBin = unseen
	}
	for i, g := range bins {
		if i > 0 && g.interval {
			v.Edges = append(v.Edges, g.lower)
		}
		if g.missing {
			v.MissingBin = i
		}
		b := Bin{
			Label:      label(&g),
			Interval:   g.interval,
			Lower:      g.lower,
			Upper:      g.upper,
			Categories: g.categories,
			Missing:    g.missing,
			Special:    g.special,
			Count:      g.count(),
			Goods:      g.goods,
			Bads:       g.bads,
			Share:      g.count() / total,
			EventRate:  g.rate(),
		}
		v.Bins = append(v.Bins, b)
	}
	if v.UnseenBin < 0 {
		v.UnseenBin = v.MissingBin
	}
	v.Smoothing, v.IV = fillWOE(v.Bins, cfg.Smoothing)
	if err := v.build(); err != nil {
		return nil, fmt.Errorf("bin %s: inconsistent bins: %w", name, err)
	}
	return v, nil
}

// fillWOE sets WOE and IV of every bin and returns the smoothing used and the
// total IV; see the package documentation for the formulas.
func fillWOE(bins []Bin, smoothing float64) (float64, float64) {
	var goods, bads float64
	k := 0
	zeroCell := false
	for _, b := range bins {
		if b.Count > 0 {
			goods += b.Goods
			bads += b.Bads
			k++
			zeroCell = zeroCell || b.Goods == 0 || b.Bads == 0
		}
	}
	s := smoothing
	if s == 0 && zeroCell {
		s = 0.5
	}
	iv := 0.0
	for i := range bins {
		b := &bins[i]
		if !(b.Count > 0) {
			b.WOE, b.IV = 0, 0
			continue
		}
		pg := (b.Goods + s) / (goods + float64(k)*s)
		pb := (b.Bads + s) / (bads + float64(k)*s)
		b.WOE = math.Log(pg / pb)
		b.IV = (pg - pb) * b.WOE
		iv += b.IV
	}
	return s, iv
}

// realizedTrend names the shape of the event rates of the non-empty groups.
func realizedTrend(groups []group) Trend {
	var rates []float64
	for i := range groups {
		if groups[i].count() > 0 {
			rates = append(rates, groups[i].rate())
		}
	}
	var first, last, changes int // directions: +1 up, -1 down
	for i := 1; i < len(rates); i++ {
		var d int
		switch {
		case rates[i] > rates[i-1]:
			d = 1
		case rates[i] < rates[i-1]:
			d = -1
		default:
			continue
		}
		if first == 0 {
			first = d
		} else if d != last {
			changes++
		}
		last = d
	}
	switch {
	case first == 0:
		return TrendFlat
	case changes == 0 && first > 0:
		return TrendAscending
	case changes == 0:
		return TrendDescending
	case changes == 1 && first > 0:
		return TrendPeak
	case changes == 1:
		return TrendValley
	}
	return TrendNone
}

// label writes a bin's readable label.
func label(g *group) string {
	var parts []string
	if g.interval {
		parts = append(parts, "["+formatBound(g.lower)+", "+formatBound(g.upper)+")")
	}
	if !g.interval && !g.missing && len(g.special) == 0 || len(g.categories) > 0 {
		parts = append(parts, "{"+strings.Join(g.categories, ", ")+"}")
	}
	if g.missing {
		parts = append(parts, "missing")
	}
	for _, s := range g.special {
		parts = append(parts, "special "+formatBound(s))
	}
	return strings.Join(parts, ", ")
}

func formatBound(x float64) string {
	switch {
	case math.IsInf(x, -1):
		return "-inf"
	case math.IsInf(x, 1):
		return "inf"
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}
