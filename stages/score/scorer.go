package score

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"

	"lendscore/models/scorecard"
)

// Scorer is a scorecard compiled for scoring Arrow record batches column by column. Each
// characteristic becomes a lookup from values to attribute indices — sorted interval bounds
// for numeric ones, a small open-addressing table of categories for categorical ones — and
// each attribute carries its points, its term β·WOE of the linear predictor and its shortfall
// from the characteristic's best attribute (for reason codes). Scoring a batch allocates
// nothing once the Batch buffers have grown to the batch size.
//
// The results equal scorecard.Scorecard.ScoreAttributes of the attributes that
// NumericAttribute and CategoryAttribute give, bit for bit: the linear predictor adds the
// same products in the same order.
type Scorer struct {
	sc        *scorecard.Scorecard
	chars     []compiled
	grades    []float64 // max PD of each grade
	prime     float64
	highRisk  float64
	intercept float64
}

// compiled is one characteristic ready for scoring.
type compiled struct {
	name    string
	numeric bool
	missing uint16
	// numeric: x < uppers[k] first true gives slot k, whose attribute is slots[k];
	// special values are matched first.
	uppers   []float64
	slots    []uint16
	specials []float64
	specAttr []uint16
	// categorical
	cats catTable
	// per attribute
	points []int32
	term   []float64 // coefficient · WOE
	short  []int32   // max points − points (> 0 loses points)
}

// Tier indices of Batch.Tier, in the order of TierNames.
const (
	TierPrime uint8 = iota
	TierStandard
	TierHighRisk
)

// TierNames are the risk tier names of the scored table, indexed by Batch.Tier.
var TierNames = [3]string{scorecard.TierPrime, scorecard.TierStandard, scorecard.TierHighRisk}

// NewScorer compiles a prepared scorecard (scorecard.Unmarshal or Prepare has run).
func NewScorer(sc *scorecard.Scorecard) (*Scorer, error) {
	if err := sc.Prepare(); err != nil {
		return nil, err
	}
	s := &Scorer{sc: sc, prime: sc.Tiers.PrimeMaxPD, highRisk: sc.Tiers.HighRiskMinPD, intercept: sc.Intercept}
	for _, g := range sc.Grades {
		s.grades = append(s.grades, g.MaxPD)
	}
	maxPoints := sc.MaxPointsAll()
	for j := range sc.Characteristics {
		ch := &sc.Characteristics[j]
		c := compiled{name: ch.Name, numeric: ch.Kind == "numeric", missing: uint16(ch.MissingAttribute)}
		for _, a := range ch.Attributes {
			c.points = append(c.points, int32(a.Points))
			c.term = append(c.term, ch.Coefficient*a.WOE)
			c.short = append(c.short, int32(maxPoints[j]-a.Points))
		}
		if c.numeric {
			c.compileIntervals(ch)
		} else {
			c.cats = newCatTable(ch)
		}
		s.chars = append(s.chars, c)
	}
	return s, nil
}

// compileIntervals builds the bounds of a numeric characteristic as Prepare does: the
// interval attributes sorted by lower bound, each slot ending at the next one's lower bound.
func (c *compiled) compileIntervals(ch *scorecard.Characteristic) {
	type iv struct {
		lower float64
		idx   int
	}
	var ivs []iv
	for j, a := range ch.Attributes {
		for _, v := range a.Special {
			if !slicesContains(c.specials, v) {
				c.specials = append(c.specials, v)
				c.specAttr = append(c.specAttr, uint16(j))
			} else {
				// A later attribute claiming the same special value wins, as in Prepare's map.
				for k, s := range c.specials {
					if s == v {
						c.specAttr[k] = uint16(j)
					}
				}
			}
		}
		if !a.Interval {
			continue
		}
		lo := math.Inf(-1)
		if a.Lower != nil {
			lo = *a.Lower
		}
		ivs = append(ivs, iv{lo, j})
	}
	sort.Slice(ivs, func(a, b int) bool { return ivs[a].lower < ivs[b].lower })
	for k, v := range ivs {
		if k > 0 {
			c.uppers = append(c.uppers, v.lower)
		}
		c.slots = append(c.slots, uint16(v.idx))
	}
}

func slicesContains(xs []float64, v float64) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}

// numericAttr is NumericAttribute of the compiled characteristic. The slot of x is the
// number of upper bounds at or below it (the bounds are sorted), counted without branches.
func (c *compiled) numericAttr(x float64) uint16 {
	if x != x { // NaN: missing
		return c.missing
	}
	for k, s := range c.specials {
		if x == s {
			return c.specAttr[k]
		}
	}
	k := 0
	for _, u := range c.uppers {
		k += b2i(x >= u)
	}
	return c.slots[k]
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// numericAttrs sets the attribute of every row of a numeric column of values vals (nulls:
// its validity bitmap, the first row at bit off; nil when no row is null), and marks ±Inf
// rows as non-finite for characteristic j.
func numericAttrs[T float64 | float32 | int64 | int32](c *compiled, vals []T, nulls []byte, off int, attr []uint16, nonFinite []int16, j int16) {
	attr = attr[:len(vals)]
	for i, v := range vals {
		if nulls != nil && !bitutil.BitIsSet(nulls, off+i) {
			attr[i] = c.missing
			continue
		}
		x := float64(v)
		attr[i] = c.numericAttr(x)
		if math.IsInf(x, 0) && nonFinite[i] < 0 {
			nonFinite[i] = j
		}
	}
}

// Columns returns the names of the input columns the scorecard reads, in the order of its
// characteristics.
func (s *Scorer) Columns() []string {
	out := make([]string, len(s.chars))
	for j, c := range s.chars {
		out[j] = c.name
	}
	return out
}

// Categorical returns the names of the input columns that the scorecard bins as categories.
func (s *Scorer) Categorical() []string {
	var out []string
	for _, c := range s.chars {
		if !c.numeric {
			out = append(out, c.name)
		}
	}
	return out
}

// Scorecard returns the scorecard the scorer was compiled from.
func (s *Scorer) Scorecard() *scorecard.Scorecard { return s.sc }

// Check reports whether records of schema can be scored: every characteristic must be a
// column, and a numeric characteristic a numeric column. The errors read as Frame's.
func (s *Scorer) Check(schema *arrow.Schema) error {
	for _, c := range s.chars {
		idx := schema.FieldIndices(c.name)
		if len(idx) == 0 {
			return fmt.Errorf("column %s: the scorecard needs it and the input lacks it", c.name)
		}
		if c.numeric && !IsNumeric(schema.Field(idx[0]).Type) {
			return fmt.Errorf("column %s: the scorecard bins it as numeric and the input holds text", c.name)
		}
	}
	return nil
}

// IsNumeric reports whether values of type t are numbers that numeric characteristics bin
// (integers, floating point and decimals); everything else is categorical text.
func IsNumeric(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		return true
	}
	return false
}

// Batch holds the scoring of every row of one record batch, column by column. Its buffers
// are reused from batch to batch.
type Batch struct {
	Score []int32
	PD    []float64
	// Grade indexes the scorecard's grades; Tier indexes TierNames.
	Grade []uint8
	Tier  []uint8
	// Reason holds the characteristic index of the three reason codes, worst first; -1
	// where fewer characteristics lose points.
	Reason [3][]int16
	// NonFinite is, per row, the index of the first characteristic (in scorecard order)
	// whose value is ±Inf, or -1. Such rows are scored all the same; callers refuse them.
	NonFinite []int16

	attr  [][]uint16 // attribute index per characteristic and row
	eta   []float64  // linear predictor per row
	short [3][]int32 // shortfalls of the reasons per row
}

// Len is the number of rows scored.
func (b *Batch) Len() int { return len(b.Score) }

// AppendRows appends the scoring of rows [from, to) of src (score, PD, grade, tier,
// reasons), so that a Batch can gather the rows of several batches into one record.
func (b *Batch) AppendRows(src *Batch, from, to int) {
	b.Score = append(b.Score, src.Score[from:to]...)
	b.PD = append(b.PD, src.PD[from:to]...)
	b.Grade = append(b.Grade, src.Grade[from:to]...)
	b.Tier = append(b.Tier, src.Tier[from:to]...)
	for q := range b.Reason {
		b.Reason[q] = append(b.Reason[q], src.Reason[q][from:to]...)
	}
}

// Truncate empties the batch, keeping its buffers.
func (b *Batch) Truncate() {
	b.Score, b.PD, b.Grade, b.Tier = b.Score[:0], b.PD[:0], b.Grade[:0], b.Tier[:0]
	for q := range b.Reason {
		b.Reason[q] = b.Reason[q][:0]
	}
}

func (b *Batch) reset(n, chars int) {
	b.Score = resize(b.Score, n)
	b.PD = resize(b.PD, n)
	b.Grade = resize(b.Grade, n)
	b.Tier = resize(b.Tier, n)
	for q := range b.Reason {
		b.Reason[q] = resize(b.Reason[q], n)
	}
	b.eta = resize(b.eta, n)
	for q := range b.short {
		b.short[q] = resize(b.short[q], n)
	}
	b.NonFinite = resize(b.NonFinite, n)
	for i := range b.NonFinite {
		b.NonFinite[i] = -1
	}
	if len(b.attr) != chars {
		b.attr = make([][]uint16, chars)
	}
	for j := range b.attr {
		b.attr[j] = resize(b.attr[j], n)
	}
}

func resize[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// Score scores every row of rec, which must hold the scorecard's columns (Check its schema
// first), into b.
func (s *Scorer) Score(rec arrow.Record, b *Batch) error {
	n := int(rec.NumRows())
	b.reset(n, len(s.chars))
	sch := rec.Schema()
	for j := range s.chars {
		c := &s.chars[j]
		idx := sch.FieldIndices(c.name)
		if len(idx) == 0 {
			return fmt.Errorf("column %s: the scorecard needs it and the input lacks it", c.name)
		}
		col := rec.Column(idx[0])
		if c.numeric {
			if err := b.numbers(c, int16(j), col); err != nil {
				return fmt.Errorf("column %s: %w", c.name, err)
			}
			continue
		}
		if err := c.categories(col, b.attr[j]); err != nil {
			return fmt.Errorf("column %s: %w", c.name, err)
		}
	}
	s.combine(b, n)
	return nil
}

// combine adds up the attributes of every row: score, PD, grade, tier, reasons. It goes
// characteristic by characteristic over the rows (tight loops over one attribute column),
// adding to each row's linear predictor in characteristic order, as ScoreAttributes does,
// so the sums are the same to the bit.
func (s *Scorer) combine(b *Batch, n int) {
	score, eta := b.Score[:n], b.eta[:n]
	for i := range score {
		score[i], eta[i] = 0, s.intercept
	}
	// The three largest shortfalls of each row so far, largest first, and their
	// characteristics; an empty place has shortfall 0 and characteristic -1.
	w0, w1, w2 := b.short[0][:n], b.short[1][:n], b.short[2][:n]
	r0, r1, r2 := b.Reason[0][:n], b.Reason[1][:n], b.Reason[2][:n]
	for i := range w0 {
		w0[i], w1[i], w2[i] = 0, 0, 0
		r0[i], r1[i], r2[i] = -1, -1, -1
	}
	for j := range s.chars {
		c := &s.chars[j]
		attr := b.attr[j][:n]
		points, term, short := c.points, c.term, c.short
		for i, a := range attr {
			score[i] += points[a]
			eta[i] += term[a]
		}
		// A shortfall enters the top three only when larger than the third; ties keep
		// characteristic order (scorecard.ScoreAttributes).
		cj := int16(j)
		for i, a := range attr {
			sh := short[a]
			switch {
			case sh <= w2[i]:
			case sh <= w1[i]:
				w2[i], r2[i] = sh, cj
			case sh <= w0[i]:
				w2[i], r2[i] = w1[i], r1[i]
				w1[i], r1[i] = sh, cj
			default:
				w2[i], r2[i] = w1[i], r1[i]
				w1[i], r1[i] = w0[i], r0[i]
				w0[i], r0[i] = sh, cj
			}
		}
	}
	grade, tier, pds := b.Grade[:n], b.Tier[:n], b.PD[:n]
	last := len(s.grades) - 1
	for i, x := range eta {
		pd := logistic(x)
		pds[i] = pd
		g := last
		for k, m := range s.grades {
			if pd <= m {
				g = k
				break
			}
		}
		grade[i] = uint8(g)
		switch {
		case pd <= s.prime:
			tier[i] = TierPrime
		case pd > s.highRisk:
			tier[i] = TierHighRisk
		default:
			tier[i] = TierStandard
		}
	}
}

// logistic is the scorecard's PD of a linear predictor, computed as scorecard does.
func logistic(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// GradeName returns the name of grade index g of Batch.Grade.
func (s *Scorer) GradeName(g uint8) string { return s.sc.Grades[g].Name }

// ReasonCode returns the reason code of characteristic j of Batch.Reason.
func (s *Scorer) ReasonCode(j int16) string { return s.sc.Characteristics[j].ReasonCode }

// CharacteristicName returns the name of characteristic j (Batch.NonFinite).
func (s *Scorer) CharacteristicName(j int16) string { return s.chars[j].name }

// numbers sets the attributes of numeric characteristic j from column col, NaN where
// null, converted as frame does: other numeric types than float64, float32, int64 and int32
// through their text.
func (b *Batch) numbers(c *compiled, j int16, col arrow.Array) error {
	attr := b.attr[j]
	var nulls []byte
	if col.NullN() > 0 {
		nulls = col.NullBitmapBytes()
	}
	off := col.Data().Offset()
	switch a := col.(type) {
	case *array.Float64:
		numericAttrs(c, a.Float64Values(), nulls, off, attr, b.NonFinite, j)
	case *array.Float32:
		numericAttrs(c, a.Float32Values(), nulls, off, attr, b.NonFinite, j)
	case *array.Int64:
		numericAttrs(c, a.Int64Values(), nulls, off, attr, b.NonFinite, j)
	case *array.Int32:
		numericAttrs(c, a.Int32Values(), nulls, off, attr, b.NonFinite, j)
	default:
		xs := make([]float64, col.Len())
		for i := range xs {
			if col.IsNull(i) {
				continue
			}
			v, err := strconv.ParseFloat(col.ValueStr(i), 64)
			if err != nil {
				return fmt.Errorf("row %d: %q is not a number", i, col.ValueStr(i))
			}
			xs[i] = v
		}
		numericAttrs(c, xs, nulls, off, attr, b.NonFinite, j)
	}
	return nil
}

// categories sets the attribute of every row of a categorical characteristic. A null or
// empty value is missing, as in Frame.
func (c *compiled) categories(col arrow.Array, attr []uint16) error {
	switch a := col.(type) {
	case *array.String:
		stringAttrs(c, a, attr)
	case *array.LargeString:
		stringAttrs(c, a, attr)
	case *array.Dictionary:
		// The dictionary's values are looked up once per batch, the rows by index.
		dict := a.Dictionary()
		byIndex := make([]uint16, dict.Len())
		if err := c.categories(dict, byIndex); err != nil {
			return err
		}
		if ix, ok := a.Indices().(*array.Int32); ok {
			// Int32 indices (how pqscan reads a dictionary): one pass over the values.
			nulls := ix.NullN() > 0
			for i, k := range ix.Int32Values()[:len(attr)] {
				if nulls && ix.IsNull(i) {
					attr[i] = c.missing
					continue
				}
				attr[i] = byIndex[k]
			}
			break
		}
		for i := range attr {
			if a.IsNull(i) {
				attr[i] = c.missing
				continue
			}
			attr[i] = byIndex[a.GetValueIndex(i)]
		}
	case *array.Date32:
		for i := range attr {
			if a.IsNull(i) {
				attr[i] = c.missing
				continue
			}
			attr[i] = c.category(a.Value(i).FormattedString())
		}
	default:
		for i := range attr {
			if col.IsNull(i) {
				attr[i] = c.missing
				continue
			}
			attr[i] = c.category(col.ValueStr(i))
		}
	}
	return nil
}

// stringAttrs sets the attribute of every row of a string column.
func stringAttrs[A interface {
	IsNull(int) bool
	Value(int) string
}](c *compiled, a A, attr []uint16) {
	for i := range attr {
		if a.IsNull(i) {
			attr[i] = c.missing
			continue
		}
		attr[i] = c.category(a.Value(i))
	}
}

// category returns the attribute of a non-null category value.
func (c *compiled) category(v string) uint16 {
	if v == "" {
		return c.missing
	}
	return c.cats.lookup(v)
}

// catTable maps the categories of a characteristic to attributes: open addressing over a
// power-of-two table, FNV-1a hashes, linear probing; a value that is not a category gets
// the unseen attribute.
type catTable struct {
	mask   uint32
	keys   []string
	attrs  []uint16
	used   []bool
	unseen uint16
}

func newCatTable(ch *scorecard.Characteristic) catTable {
	n := 0
	for _, a := range ch.Attributes {
		n += len(a.Categories)
	}
	size := 8
	for size < 2*n {
		size *= 2
	}
	t := catTable{mask: uint32(size - 1), keys: make([]string, size), attrs: make([]uint16, size), used: make([]bool, size),
		unseen: uint16(ch.UnseenAttribute)}
	for j, a := range ch.Attributes {
		for _, cat := range a.Categories {
			k := fnv(cat) & t.mask
			for t.used[k] && t.keys[k] != cat {
				k = (k + 1) & t.mask
			}
			t.keys[k], t.attrs[k], t.used[k] = cat, uint16(j), true
		}
	}
	return t
}

func (t *catTable) lookup(v string) uint16 {
	k := fnv(v) & t.mask
	for t.used[k] {
		if t.keys[k] == v {
			return t.attrs[k]
		}
		k = (k + 1) & t.mask
	}
	return t.unseen
}

func fnv(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
