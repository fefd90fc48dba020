package score

import (
	"context"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/models/scorecard"
	"lendscore/stages/frame"
	"lendscore/stages/ingest"
)

func ptr(v float64) *float64 { return &v }

func testCard(t *testing.T) *scorecard.Scorecard {
	t.Helper()
	s := &scorecard.Scorecard{
		Format: scorecard.FormatV1, Model: "m", Version: "1", Intercept: -1, Scaling: scorecard.DefaultScaling(),
		Characteristics: []scorecard.Characteristic{
			{Name: "age", Kind: "numeric", Coefficient: -0.8, ReasonCode: "age", MissingAttribute: 2, Attributes: []scorecard.Attribute{
				{Label: "[-inf, 30)", Interval: true, Upper: ptr(30), WOE: -0.5},
				{Label: "[30, inf)", Interval: true, Lower: ptr(30), WOE: 0.4},
				{Label: "missing", Missing: true, WOE: -0.1},
			}},
			{Name: "housing", Kind: "categorical", Coefficient: -1, ReasonCode: "housing", MissingAttribute: 2, UnseenAttribute: 0, Attributes: []scorecard.Attribute{
				{Label: "{rent}", Categories: []string{"rent"}, WOE: -0.4},
				{Label: "{own}", Categories: []string{"own"}, WOE: 0.3},
				{Label: "missing", Missing: true, WOE: 0},
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

// testFrame has n rows cycling through every attribute, missing values and an unseen category.
func testFrame(t *testing.T, n int) *frame.Frame {
	t.Helper()
	ab := array.NewFloat64Builder(memory.DefaultAllocator)
	hb := array.NewStringBuilder(memory.DefaultAllocator)
	ages := []float64{20, 30, 45, math.NaN()}
	houses := []string{"rent", "own", "", "castle", "own"}
	for i := 0; i < n; i++ {
		if a := ages[i%len(ages)]; math.IsNaN(a) {
			ab.AppendNull()
		} else {
			ab.Append(a)
		}
		if h := houses[i%len(houses)]; h == "" {
			hb.AppendNull()
		} else {
			hb.Append(h)
		}
	}
	sch := arrow.NewSchema([]arrow.Field{{Name: "age", Type: arrow.PrimitiveTypes.Float64, Nullable: true}, {Name: "housing", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	rec := array.NewRecord(sch, []arrow.Array{ab.NewArray(), hb.NewArray()}, int64(n))
	tbl := &ingest.Table{Schema: sch, Batches: []ingest.Batch{{Record: rec, File: "mem"}}}
	t.Cleanup(tbl.Release)
	fr, err := frame.FromTable(tbl, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fr
}

// TestFrameMatchesScorecard checks every row against the scorecard's own scoring of the
// attributes the row falls in, worked out by hand from the test frame's cycle.
func TestFrameMatchesScorecard(t *testing.T) {
	sc := testCard(t)
	n := 100_000 // several chunks
	fr := testFrame(t, n)
	got, err := FrameWithAttributes(context.Background(), sc, fr, nil)
	if err != nil {
		t.Fatal(err)
	}
	ageAttr := []int{0, 1, 1, 2}      // 20, 30, 45, missing
	houseAttr := []int{0, 1, 2, 0, 1} // rent, own, missing, unseen → rent's bin, own
	for i := 0; i < n; i++ {
		want := sc.ScoreAttributes([]int{ageAttr[i%4], houseAttr[i%5]}, nil)
		if int(got.Score[i]) != want.Score || got.PD[i] != want.PD || got.Grade[i] != want.Grade || got.Tier[i] != want.Tier ||
			got.Reasons[0][i] != want.Reasons[0] || got.Reasons[1][i] != want.Reasons[1] {
			t.Fatalf("row %d: %d %v %s %s %v, want %+v", i, got.Score[i], got.PD[i], got.Grade[i], got.Tier[i], got.Reasons[0][i], want)
		}
		if int(got.Attr[0][i]) != ageAttr[i%4] || int(got.Attr[1][i]) != houseAttr[i%5] {
			t.Fatalf("row %d: attributes %d %d", i, got.Attr[0][i], got.Attr[1][i])
		}
	}
	// A subset of rows, in the order given.
	sub, err := Frame(context.Background(), sc, fr, []int{7, 3})
	if err != nil {
		t.Fatal(err)
	}
	if sub.Len() != 2 || sub.Score[0] != got.Score[7] || sub.Score[1] != got.Score[3] || sub.Attr != nil {
		t.Errorf("subset %+v", sub)
	}
}

func TestFrameSameForAnyGOMAXPROCS(t *testing.T) {
	sc := testCard(t)
	fr := testFrame(t, 50_000)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(1)
	a, _ := Frame(context.Background(), sc, fr, nil)
	runtime.GOMAXPROCS(4)
	b, _ := Frame(context.Background(), sc, fr, nil)
	for i := range a.Score {
		if a.Score[i] != b.Score[i] || a.PD[i] != b.PD[i] || a.Reasons[0][i] != b.Reasons[0][i] {
			t.Fatalf("row %d differs", i)
		}
	}
}

func TestFrameRefusesMissingOrMistypedColumns(t *testing.T) {
	sc := testCard(t)
	fr := testFrame(t, 3)
	sc2 := *sc
	sc2.Characteristics = append([]scorecard.Characteristic(nil), sc.Characteristics...)
	sc2.Characteristics[1].Name = "income"
	if _, err := Frame(context.Background(), &sc2, fr, nil); err == nil || !strings.Contains(err.Error(), "column income") {
		t.Errorf("missing column: %v", err)
	}
	sc2.Characteristics[1].Name = "housing"
	sc2.Characteristics[1].Kind = "numeric"
	if _, err := Frame(context.Background(), &sc2, fr, nil); err == nil || !strings.Contains(err.Error(), "holds text") {
		t.Errorf("text where a number is needed: %v", err)
	}
}
