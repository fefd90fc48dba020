package warn

import (
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
)

var nan = math.NaN()

func TestFlags(t *testing.T) {
	prev := &State{
		IDs: []string{"a", "b", "c"}, Score: []int32{600, 600, 600}, Grade: []string{"A", "A", "A"},
		Tier: []string{"prime", "prime", "prime"}, Segment: []int32{0, 0, 0}, CurrentDPD: []float64{0, 45, 0},
		Warnings: [][]string{nil, {NewDPD30}, nil},
	}
	cur := &State{
		IDs:        []string{"a", "b", "c", "d"},
		Score:      []int32{570, 590, 571, 500},
		CurrentDPD: []float64{30, 60, 29, 31},
	}
	sig := Signals{
		Utilisation:        []float64{0.95, 0.9, nan, 0.5},
		DaysSinceComplaint: []float64{30, 31, nan, 0},
		SatisfactionDrop:   []float64{1, 0.99, nan, 2.5},
	}
	got := Flags(cur, sig, prev, Thresholds{})
	want := [][]string{
		// a: dropped 30 (= threshold), newly 30 DPD, utilisation above 0.9, complaint 30 days ago, satisfaction fell by 1.
		{ScoreDrop, NewDPD30, HighUtilisation, RecentComplaint, SatisfactionFalling},
		// b: dropped 10; already past 30 at the previous run; utilisation exactly 0.9 is not above.
		nil,
		// c: dropped 29 points; 29 DPD.
		nil,
		// d: new customer, 31 DPD, complaint today, satisfaction fell 2.5.
		{NewDPD30, RecentComplaint, SatisfactionFalling},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("flags\n got %v\nwant %v", got, want)
	}
	// First run: no previous state, so no score drops; DPD 30+ counts as new.
	got = Flags(cur, sig, nil, Thresholds{ScoreDrop: 5, UtilisationAbove: 0.99})
	if !reflect.DeepEqual(got[0], []string{NewDPD30, RecentComplaint, SatisfactionFalling}) {
		t.Errorf("first run flags of a: %v", got[0])
	}
	counts := CountByCode(want)
	if counts[NewDPD30] != 2 || counts[ScoreDrop] != 1 || len(counts) != len(Codes()) {
		t.Errorf("counts %v", counts)
	}
}

func TestChanges(t *testing.T) {
	prev := &State{
		IDs: []string{"a", "b", "gone"}, Grade: []string{"A", "B", "C"}, Tier: []string{"prime", "standard", "standard"},
		Segment: []int32{1, 2, 0}, Warnings: [][]string{{HighUtilisation}, nil, nil},
	}
	cur := &State{
		IDs: []string{"a", "b", "new"}, Grade: []string{"B", "B", "D"}, Tier: []string{"standard", "standard", "standard"},
		Segment: []int32{1, 3, 2}, Warnings: [][]string{{HighUtilisation, ScoreDrop}, nil, {NewDPD30}},
	}
	got, sum := Changes(cur, prev)
	want := []Change{
		{"a", ChangeGrade, "A", "B"},
		{"a", ChangeTier, "prime", "standard"},
		{"a", ChangeWarning, "", ScoreDrop},
		{"b", ChangeSegment, "2", "3"},
		{"new", ChangeNew, "", "D"},
		{"gone", ChangeGone, "C", ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("changes\n got %v\nwant %v", got, want)
	}
	if sum.New != 1 || sum.Gone != 1 || sum.Customers != 3 || sum.Previous != 3 || sum.ByKind[ChangeGrade] != 1 {
		t.Errorf("summary %+v", sum)
	}
	all, sum := Changes(cur, nil)
	if len(all) != 3 || sum.New != 3 {
		t.Errorf("first run: %v %+v", all, sum)
	}
}

func TestInteractionSignals(t *testing.T) {
	asOf := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schemas.InteractionsSchema())
	defer b.Release()
	add := func(id string, day string, kind string, sat int8) {
		d, _ := time.Parse(time.DateOnly, day)
		b.Field(0).(*array.StringBuilder).Append(id)
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(d.Add(10 * time.Hour).UnixMilli()))
		b.Field(2).(*array.StringBuilder).Append("web")
		b.Field(3).(*array.StringBuilder).Append(kind)
		if sat > 0 {
			b.Field(4).(*array.Int8Builder).Append(sat)
		} else {
			b.Field(4).AppendNull()
		}
		b.Field(5).(*array.BooleanBuilder).Append(true)
	}
	add("a", "2026-06-01", "complaint", 0)
	add("a", "2026-06-20", "complaint", 0)
	add("a", "2026-07-02", "complaint", 0) // after as_of: ignored
	add("a", "2026-01-10", "survey", 5)
	add("a", "2026-03-10", "survey", 4)
	add("a", "2026-06-29", "survey", 2) // latest: mean before 4.5, drop 2.5
	add("a", "2025-05-01", "survey", 1) // older than 12 months: ignored
	add("b", "2026-06-30", "survey", 3) // one score only: no drop
	add("zzz", "2026-06-30", "complaint", 0)
	rec := b.NewRecord()
	defer rec.Release()
	days, drop, err := InteractionSignals([]arrow.Record{rec}, asOf, map[string]int{"a": 0, "b": 1, "c": 2})
	if err != nil {
		t.Fatal(err)
	}
	if days[0] != 10 || !math.IsNaN(days[1]) || !math.IsNaN(days[2]) {
		t.Errorf("days since complaint %v", days)
	}
	if drop[0] != 2.5 || !math.IsNaN(drop[1]) || !math.IsNaN(drop[2]) {
		t.Errorf("satisfaction drop %v", drop)
	}
	// Streamed in batches of every size, the same signals.
	for size := int64(1); size <= rec.NumRows(); size++ {
		a := NewInteractions(asOf, map[string]int{"a": 0, "b": 1, "c": 2})
		for lo := int64(0); lo < rec.NumRows(); lo += size {
			part := rec.NewSlice(lo, min(lo+size, rec.NumRows()))
			if err := a.Add(part); err != nil {
				t.Fatal(err)
			}
			part.Release()
		}
		sd, sp := a.Signals()
		if fmt.Sprint(sd, sp) != fmt.Sprint(days, drop) {
			t.Errorf("batches of %d: %v %v, want %v %v", size, sd, sp, days, drop)
		}
	}
}
