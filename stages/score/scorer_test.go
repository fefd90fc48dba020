package score

import (
	"context"
	"hash/maphash"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/models/scorecard"
	"lendscore/stages/frame"
)

// richCard has a numeric characteristic with special values (one claimed twice: the later
// attribute wins, as in Prepare), a numeric one read from an integer column, a categorical
// one read from strings and one read from a dictionary column; its reason codes tie.
func richCard(t testing.TB) *scorecard.Scorecard {
	t.Helper()
	s := &scorecard.Scorecard{
		Format: scorecard.FormatV1, Model: "m", Version: "v1", Intercept: -1.3, Scaling: scorecard.DefaultScaling(),
		Characteristics: []scorecard.Characteristic{
			{Name: "income", Kind: "numeric", Coefficient: -0.7, ReasonCode: "INC", MissingAttribute: 3, Attributes: []scorecard.Attribute{
				{Label: "[1000, inf)", Interval: true, Lower: ptr(1000), WOE: 0.6},
				{Label: "[-inf, 200)", Interval: true, Upper: ptr(200), WOE: -0.9, Special: []float64{-1}},
				{Label: "[200, 1000)", Interval: true, Lower: ptr(200), Upper: ptr(1000), WOE: 0.1},
				{Label: "missing", Missing: true, WOE: -0.2, Special: []float64{-1, -2}},
			}},
			{Name: "loans", Kind: "numeric", Coefficient: -1.1, ReasonCode: "LNS", MissingAttribute: 0, Attributes: []scorecard.Attribute{
				{Label: "[-inf, 1)", Interval: true, Upper: ptr(1), WOE: 0.3, Missing: true},
				{Label: "[1, 3)", Interval: true, Lower: ptr(1), Upper: ptr(3), WOE: -0.1},
				{Label: "[3, inf)", Interval: true, Lower: ptr(3), WOE: -0.8},
			}},
			{Name: "housing", Kind: "categorical", Coefficient: -1, ReasonCode: "HSG", MissingAttribute: 2, UnseenAttribute: 0, Attributes: []scorecard.Attribute{
				{Label: "{rent}", Categories: []string{"rent", "lodger"}, WOE: -0.4},
				{Label: "{own}", Categories: []string{"own", "mortgage"}, WOE: 0.3},
				{Label: "missing", Missing: true, WOE: 0},
			}},
			{Name: "region", Kind: "categorical", Coefficient: -0.5, ReasonCode: "REG", MissingAttribute: 1, UnseenAttribute: 1, Attributes: []scorecard.Attribute{
				{Label: "{north}", Categories: []string{"north"}, WOE: 0.2},
				{Label: "{south, missing}", Categories: []string{"south"}, Missing: true, WOE: -0.2},
			}},
		},
		Grades: scorecard.DefaultGrades(), Tiers: scorecard.DefaultTiers(),
	}
	s.AssignPoints()
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s
}

// richRecord holds n random rows for richCard: boundary values, specials, nulls, NaN,
// ±Inf, empty strings and unseen categories.
func richRecord(n int, seed uint64) arrow.Record {
	rng := rand.New(rand.NewPCG(seed, 7))
	mem := memory.DefaultAllocator
	inc := array.NewFloat64Builder(mem)
	loans := array.NewInt64Builder(mem)
	hous := array.NewStringBuilder(mem)
	reg := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	incomes := []float64{-2, -1, 0, 199.999, 200, 999, 1000, 5000, math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1)}
	houses := []string{"rent", "lodger", "own", "mortgage", "", "castle", "RENT"}
	regions := []string{"north", "south", "", "east"}
	for i := 0; i < n; i++ {
		switch r := rng.IntN(20); {
		case r == 0:
			inc.AppendNull()
		case r < 10:
			inc.Append(incomes[rng.IntN(len(incomes))])
		default:
			inc.Append(rng.Float64() * 3000)
		}
		if rng.IntN(15) == 0 {
			loans.AppendNull()
		} else {
			loans.Append(int64(rng.IntN(6)) - 1)
		}
		if rng.IntN(12) == 0 {
			hous.AppendNull()
		} else {
			hous.Append(houses[rng.IntN(len(houses))])
		}
		if rng.IntN(10) == 0 {
			reg.AppendNull()
		} else {
			reg.AppendString(regions[rng.IntN(len(regions))])
		}
	}
	cols := []arrow.Array{inc.NewArray(), loans.NewArray(), hous.NewArray(), reg.NewArray()}
	sch := arrow.NewSchema([]arrow.Field{
		{Name: "income", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "loans", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "housing", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "region", Type: cols[3].DataType(), Nullable: true},
	}, nil)
	rec := array.NewRecord(sch, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// TestScorerMatchesScorecard checks every row of a batch against the scorecard's own
// attribute lookups (NumericAttribute, CategoryAttribute on the text stages/frame gives) and
// ScoreAttributes: score, PD bit for bit, grade, tier, reasons, and the first non-finite
// characteristic.
func TestScorerMatchesScorecard(t *testing.T) {
	sc := richCard(t)
	s, err := NewScorer(sc)
	if err != nil {
		t.Fatal(err)
	}
	rec := richRecord(20_000, 1)
	defer rec.Release()
	if err := s.Check(rec.Schema()); err != nil {
		t.Fatal(err)
	}
	var b Batch
	if err := s.Score(rec, &b); err != nil {
		t.Fatal(err)
	}
	inc := rec.Column(0).(*array.Float64)
	loans := rec.Column(1).(*array.Int64)
	hous := rec.Column(2).(*array.String)
	reg := rec.Column(3).(*array.Dictionary)
	for i := 0; i < int(rec.NumRows()); i++ {
		x := math.NaN()
		if inc.IsValid(i) {
			x = inc.Value(i)
		}
		l := math.NaN()
		if loans.IsValid(i) {
			l = float64(loans.Value(i))
		}
		h, hv := hous.Value(i), hous.IsValid(i)
		r, rv := "", reg.IsValid(i)
		if rv {
			r = reg.ValueStr(i)
		}
		attr := []int{
			sc.Characteristics[0].NumericAttribute(x),
			sc.Characteristics[1].NumericAttribute(l),
			sc.Characteristics[2].CategoryAttribute(h, hv && h != ""),
			sc.Characteristics[3].CategoryAttribute(r, rv && r != ""),
		}
		want := sc.ScoreAttributes(attr, nil)
		got := struct {
			score   int
			pd      float64
			grade   string
			tier    string
			reasons [3]string
		}{int(b.Score[i]), b.PD[i], s.GradeName(b.Grade[i]), TierNames[b.Tier[i]], [3]string{}}
		for q := range got.reasons {
			if c := b.Reason[q][i]; c >= 0 {
				got.reasons[q] = s.ReasonCode(c)
			}
		}
		if got.score != want.Score || math.Float64bits(got.pd) != math.Float64bits(want.PD) || got.grade != want.Grade ||
			got.tier != want.Tier || got.reasons != want.Reasons {
			t.Fatalf("row %d (income %v loans %v housing %q/%v region %q/%v): got %+v, want %+v", i, x, l, h, hv, r, rv, got, want)
		}
		wantInf := int16(-1)
		if math.IsInf(x, 0) {
			wantInf = 0
		}
		if b.NonFinite[i] != wantInf {
			t.Fatalf("row %d: non-finite %d, want %d", i, b.NonFinite[i], wantInf)
		}
	}
}

// TestScorerMatchesFrame scores the same rows through Frame (the in-memory path) and
// through Scorer: the results must be identical.
func TestScorerMatchesFrame(t *testing.T) {
	sc := testCard(t)
	fr := testFrame(t, 70_000)
	want, err := Frame(context.Background(), sc, fr, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := NewScorer(sc)
	rec := frameRecord(fr)
	defer rec.Release()
	var b Batch
	if err := s.Score(rec, &b); err != nil {
		t.Fatal(err)
	}
	for i := range want.Score {
		if b.Score[i] != want.Score[i] || b.PD[i] != want.PD[i] || s.GradeName(b.Grade[i]) != want.Grade[i] || TierNames[b.Tier[i]] != want.Tier[i] {
			t.Fatalf("row %d differs", i)
		}
	}
}

// frameRecord turns the test frame back into an Arrow record.
func frameRecord(fr *frame.Frame) arrow.Record {
	ab := array.NewFloat64Builder(memory.DefaultAllocator)
	hb := array.NewStringBuilder(memory.DefaultAllocator)
	age, h := fr.Column("age"), fr.Column("housing")
	for i := 0; i < fr.Rows; i++ {
		if math.IsNaN(age.Num[i]) {
			ab.AppendNull()
		} else {
			ab.Append(age.Num[i])
		}
		if h.Valid[i] {
			hb.Append(h.Str[i])
		} else {
			hb.AppendNull()
		}
	}
	sch := arrow.NewSchema([]arrow.Field{{Name: "age", Type: arrow.PrimitiveTypes.Float64, Nullable: true}, {Name: "housing", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	return array.NewRecord(sch, []arrow.Array{ab.NewArray(), hb.NewArray()}, int64(fr.Rows))
}

func TestScorerCheck(t *testing.T) {
	s, _ := NewScorer(richCard(t))
	rec := richRecord(3, 2)
	defer rec.Release()
	fields := rec.Schema().Fields()
	missing := arrow.NewSchema(fields[1:], nil)
	if err := s.Check(missing); err == nil || err.Error() != "column income: the scorecard needs it and the input lacks it" {
		t.Errorf("missing column: %v", err)
	}
	text := append([]arrow.Field{{Name: "income", Type: arrow.BinaryTypes.String}}, fields[1:]...)
	if err := s.Check(arrow.NewSchema(text, nil)); err == nil || err.Error() != "column income: the scorecard bins it as numeric and the input holds text" {
		t.Errorf("text column: %v", err)
	}
}

func TestIDColumn(t *testing.T) {
	mem := memory.DefaultAllocator
	fb := array.NewFloat64Builder(mem)
	fb.AppendValues([]float64{12, 1.5, math.NaN(), 1e21}, nil)
	fb.AppendNull()
	ib := array.NewInt64Builder(mem)
	ib.AppendValues([]int64{7, -3, 9007199254740993}, nil)
	ub := array.NewUint8Builder(mem)
	ub.AppendValues([]uint8{200}, nil)
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"C1", ""}, nil)
	db := array.NewDate32Builder(mem)
	db.Append(arrow.Date32FromTime(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)))
	for _, tc := range []struct {
		col   arrow.Array
		texts []string // "" with valid false
		valid []bool
	}{
		{fb.NewArray(), []string{"12", "1.5", "", "1000000000000000000000", ""}, []bool{true, true, false, true, false}},
		{ib.NewArray(), []string{"7", "-3", "9007199254740993"}, []bool{true, true, true}},
		{ub.NewArray(), []string{"200"}, []bool{true}},
		{sb.NewArray(), []string{"C1", ""}, []bool{true, true}},
		{db.NewArray(), []string{"2026-01-02"}, []bool{true}},
	} {
		c := NewIDColumn(tc.col)
		for i := range tc.texts {
			if c.Valid(i) != tc.valid[i] {
				t.Errorf("%s row %d: valid %v", tc.col.DataType(), i, c.Valid(i))
				continue
			}
			if tc.valid[i] {
				if got := string(c.Append(nil, i)); got != tc.texts[i] {
					t.Errorf("%s row %d: %q, want %q", tc.col.DataType(), i, got, tc.texts[i])
				}
			}
		}
	}
}

// TestScorerDictionaryIndices: categorical columns read as dictionaries of int32 indices (how
// pqscan reads them), nulls and an offset included, score as the same columns as strings.
func TestScorerDictionaryIndices(t *testing.T) {
	s, _ := NewScorer(richCard(t))
	full := richRecord(5000, 9)
	defer full.Release()
	rec := full.NewSlice(3, full.NumRows()) // a slice: columns with an offset
	defer rec.Release()
	cols := rec.Columns()
	dictCols := make([]arrow.Array, len(cols))
	fields := rec.Schema().Fields()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	for j, c := range cols {
		if fields[j].Name != "housing" && fields[j].Name != "region" {
			c.Retain()
			dictCols[j] = c
			continue
		}
		b := array.NewDictionaryBuilder(memory.DefaultAllocator, dt).(*array.BinaryDictionaryBuilder)
		for i := 0; i < c.Len(); i++ {
			if c.IsNull(i) {
				b.AppendNull()
			} else {
				b.AppendString(c.ValueStr(i))
			}
		}
		full := b.NewArray()
		dictCols[j] = array.NewSlice(full, 0, int64(full.Len())) // same rows, through a slice
		full.Release()
		b.Release()
		fields[j].Type = dt
	}
	drec := array.NewRecord(arrow.NewSchema(fields, nil), dictCols, rec.NumRows())
	defer drec.Release()
	for _, c := range dictCols {
		c.Release()
	}
	var want, got Batch
	if err := s.Score(rec, &want); err != nil {
		t.Fatal(err)
	}
	if err := s.Score(drec, &got); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < want.Len(); i++ {
		if !sameRow(&got, i, &want, i) {
			t.Fatalf("row %d: score %d pd %v, want %d %v", i, got.Score[i], got.PD[i], want.Score[i], want.PD[i])
		}
	}
}

// scoredRich scores n rows of richRecord (seed) with richCard; the caller releases the record.
func scoredRich(t *testing.T, n int, seed uint64) (*Scorer, arrow.Record, *Batch) {
	t.Helper()
	s, err := NewScorer(richCard(t))
	if err != nil {
		t.Fatal(err)
	}
	rec := richRecord(n, seed)
	var b Batch
	if err := s.Score(rec, &b); err != nil {
		t.Fatal(err)
	}
	return s, rec, &b
}

// sameRow reports whether row i of a and row j of b are scored alike: every field.
func sameRow(a *Batch, i int, b *Batch, j int) bool {
	return a.Score[i] == b.Score[j] && a.PD[i] == b.PD[j] && a.Grade[i] == b.Grade[j] && a.Tier[i] == b.Tier[j] &&
		a.Reason[0][i] == b.Reason[0][j] && a.Reason[1][i] == b.Reason[1][j] && a.Reason[2][i] == b.Reason[2][j]
}

func TestScorerSameForAnyBatching(t *testing.T) {
	// Scoring a record whole or in slices gives the same rows (no state between batches).
	s, rec, whole := scoredRich(t, 3000, 4)
	defer rec.Release()
	var part Batch
	for off := int64(0); off < rec.NumRows(); off += 700 {
		sl := rec.NewSlice(off, min(off+700, rec.NumRows()))
		s.Score(sl, &part)
		for i := 0; i < part.Len(); i++ {
			if !sameRow(&part, i, whole, int(off)+i) {
				t.Fatalf("row %d differs in a slice", int(off)+i)
			}
		}
		sl.Release()
	}
}

func BenchmarkScorer(b *testing.B) {
	s, _ := NewScorer(richCard(b))
	rec := richRecord(128<<10, 5)
	defer rec.Release()
	var batch Batch
	b.ResetTimer()
	for range b.N {
		if err := s.Score(rec, &batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(rec.NumRows())/b.Elapsed().Seconds(), "rows/s")
}

// TestIDColumnHashes: Hashes gives one hash per row with an id, numbered from first; equal
// ids hash alike, in a sliced column too, and the distinct ids here hash apart (integers
// never collide: their hash is a bijection).
func TestIDColumnHashes(t *testing.T) {
	mem := memory.DefaultAllocator
	ib := array.NewInt64Builder(mem)
	ib.AppendValues([]int64{7, -3, 7, 0}, []bool{true, true, true, true})
	ib.AppendNull()
	ib.Append(-3)
	i32 := array.NewInt32Builder(mem)
	i32.AppendValues([]int32{7, 5, 7}, nil)
	i32.AppendNull()
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"C1", "", "C1", "C2"}, nil)
	sb.AppendNull()
	fb := array.NewFloat64Builder(mem)
	fb.AppendValues([]float64{1.5, math.NaN(), 1.5, 2}, nil)
	seed := maphash.MakeSeed()
	for _, tc := range []struct {
		col  arrow.Array
		rows []int64 // rows with an id, numbered from 100
		same [][2]int
	}{
		{ib.NewArray(), []int64{100, 101, 102, 103, 105}, [][2]int{{0, 2}, {1, 5}}},
		{i32.NewArray(), []int64{100, 101, 102}, [][2]int{{0, 2}}},
		{sb.NewArray(), []int64{100, 101, 102, 103}, [][2]int{{0, 2}}},
		{fb.NewArray(), []int64{100, 102, 103}, [][2]int{{0, 2}}},
	} {
		c := NewIDColumn(tc.col)
		hashes, rows := c.Hashes(seed, 100, nil, nil)
		if !slices.Equal(rows, tc.rows) || len(hashes) != len(rows) {
			t.Errorf("%s: rows %v (%d hashes), want %v", tc.col.DataType(), rows, len(hashes), tc.rows)
			continue
		}
		byRow := map[int]uint64{}
		for k, r := range rows {
			byRow[int(r-100)] = hashes[k]
		}
		distinct := map[uint64]bool{}
		for _, h := range hashes {
			distinct[h] = true
		}
		for _, p := range tc.same {
			if byRow[p[0]] != byRow[p[1]] {
				t.Errorf("%s: rows %d and %d hold the same id and hash apart", tc.col.DataType(), p[0], p[1])
			}
		}
		if want := len(hashes) - len(tc.same); len(distinct) != want {
			t.Errorf("%s: %d distinct hashes, want %d", tc.col.DataType(), len(distinct), want)
		}
		// A slice hashes its rows as the whole column does.
		sl := array.NewSlice(tc.col, 2, int64(tc.col.Len()))
		sh, sr := NewIDColumn(sl).Hashes(seed, 102, nil, nil)
		for k, r := range sr {
			if sh[k] != byRow[int(r-100)] {
				t.Errorf("%s: row %d of a slice hashes to %x, the column to %x", tc.col.DataType(), r-100, sh[k], byRow[int(r-100)])
			}
		}
		sl.Release()
		tc.col.Release()
	}
}

// TestBatchAppendRows gathers runs of rows of a batch, and an empty run, into another: the
// rows in order, every field.
func TestBatchAppendRows(t *testing.T) {
	_, rec, whole := scoredRich(t, 100, 6)
	defer rec.Release()
	var got Batch
	runs := [][2]int{{0, 10}, {10, 10}, {20, 35}, {99, 100}}
	var rows []int
	for _, r := range runs {
		got.AppendRows(whole, r[0], r[1])
		for i := r[0]; i < r[1]; i++ {
			rows = append(rows, i)
		}
	}
	if got.Len() != len(rows) {
		t.Fatalf("%d rows gathered, want %d", got.Len(), len(rows))
	}
	for k, i := range rows {
		if !sameRow(&got, k, whole, i) {
			t.Fatalf("gathered row %d differs from row %d", k, i)
		}
	}
	got.Truncate()
	if got.Len() != 0 {
		t.Errorf("%d rows after Truncate", got.Len())
	}
}
