package segment

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/stages/frame"
	"lendscore/stages/ingest"
)

// newFrame builds a frame of float64 columns (NaN = null), in the order of names.
func newFrame(t testing.TB, names []string, cols map[string][]float64) *frame.Frame {
	t.Helper()
	fr, release, err := buildFrame(names, cols)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return fr
}

// buildFrame builds a frame of float64 columns (NaN = null); release frees its memory.
func buildFrame(names []string, cols map[string][]float64) (*frame.Frame, func(), error) {
	var fields []arrow.Field
	var arrs []arrow.Array
	rows := 0
	for _, n := range names {
		b := array.NewFloat64Builder(memory.DefaultAllocator)
		for _, x := range cols[n] {
			if math.IsNaN(x) {
				b.AppendNull()
			} else {
				b.Append(x)
			}
		}
		fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Float64, Nullable: true})
		arrs = append(arrs, b.NewArray())
		b.Release()
		rows = len(cols[n])
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), arrs, int64(rows))
	for _, a := range arrs {
		a.Release()
	}
	tbl := &ingest.Table{Schema: rec.Schema(), Batches: []ingest.Batch{{Record: rec, File: "mem"}}}
	fr, err := frame.FromTable(tbl, nil)
	return fr, tbl.Release, err
}

// Planted groups of the synthetic customer table.
const (
	groupPremium = iota // high value, engaged, digital, low risk
	groupCore           // mid value, average, mixed channel, medium risk
	groupRisky          // low value, low activity, branch, high risk
	groupDormant        // no payments, no interactions
	numGroups
)

// plantedColumns are the columns of the synthetic table: the default features and roles.
var plantedColumns = []string{
	"recency_days", "frequency_12m", "monetary_12m", "tenure_months", "n_products", "utilisation",
	"mean_satisfaction_12m", "digital_share_12m", "total_balance", "total_exposure", "max_dpd_12m",
}

// planted returns a synthetic feature table of n customers in four planted groups (30%,
// 35%, 20% and 15%, rows shuffled) and the group of every row.
func planted(t testing.TB, n int, seed uint64) (*frame.Frame, []int) {
	t.Helper()
	cols, groups := plantedData(n, seed)
	return newFrame(t, plantedColumns, cols), groups
}

// plantedData returns the columns of planted.
func plantedData(n int, seed uint64) (map[string][]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	cols := map[string][]float64{}
	for _, c := range plantedColumns {
		cols[c] = make([]float64, n)
	}
	groups := make([]int, n)
	uni := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	logn := func(median float64) float64 { return median * math.Exp(0.3*rng.NormFloat64()) }
	late := func(p float64) float64 {
		if rng.Float64() < p {
			return uni(45, 120)
		}
		return math.Floor(uni(0, 10))
	}
	for i := range groups {
		u := rng.Float64()
		var g int
		switch {
		case u < 0.30:
			g = groupPremium
		case u < 0.65:
			g = groupCore
		case u < 0.85:
			g = groupRisky
		default:
			g = groupDormant
		}
		groups[i] = g
		set := func(name string, v float64) { cols[name][i] = v }
		switch g {
		case groupPremium:
			set("recency_days", math.Floor(uni(3, 25)))
			set("frequency_12m", math.Floor(uni(11, 14)))
			set("monetary_12m", logn(40000))
			set("tenure_months", math.Floor(uni(60, 120)))
			set("n_products", math.Floor(uni(2, 4)))
			set("utilisation", uni(0.2, 0.4))
			set("mean_satisfaction_12m", uni(4, 5))
			set("digital_share_12m", uni(0.8, 1))
			set("total_balance", logn(150000))
			set("max_dpd_12m", 0)
		case groupCore:
			set("recency_days", math.Floor(uni(10, 35)))
			set("frequency_12m", math.Floor(uni(9, 13)))
			set("monetary_12m", logn(8000))
			set("tenure_months", math.Floor(uni(24, 60)))
			set("n_products", math.Floor(uni(1, 3)))
			set("utilisation", uni(0.4, 0.7))
			set("mean_satisfaction_12m", uni(3, 4))
			set("digital_share_12m", uni(0.35, 0.65))
			set("total_balance", logn(30000))
			set("max_dpd_12m", late(0.1))
		case groupRisky:
			set("recency_days", math.Floor(uni(25, 70)))
			set("frequency_12m", math.Floor(uni(5, 10)))
			set("monetary_12m", logn(1500))
			set("tenure_months", math.Floor(uni(12, 48)))
			set("n_products", 1)
			set("utilisation", uni(0.85, 1))
			set("mean_satisfaction_12m", uni(1.5, 3))
			set("digital_share_12m", uni(0, 0.15))
			set("total_balance", logn(4000))
			set("max_dpd_12m", late(0.45))
		case groupDormant:
			rec := math.NaN()
			if rng.Float64() < 0.5 {
				rec = math.Floor(uni(200, 400))
			}
			set("recency_days", rec)
			set("frequency_12m", 0)
			set("monetary_12m", 0)
			set("tenure_months", math.Floor(uni(24, 100)))
			set("n_products", 0)
			set("utilisation", math.NaN())
			set("mean_satisfaction_12m", math.NaN())
			set("digital_share_12m", math.NaN())
			set("total_balance", 0)
			set("max_dpd_12m", late(0.1))
		}
		cols["total_exposure"][i] = cols["total_balance"][i] * 1.3
	}
	return cols, groups
}

// samePartition reports whether two labellings put the same rows together.
func samePartition[A, B comparable](a []A, b []B) bool {
	fwd, back := map[A]B{}, map[B]A{}
	for i := range a {
		if x, ok := fwd[a[i]]; ok && x != b[i] {
			return false
		}
		if y, ok := back[b[i]]; ok && y != a[i] {
			return false
		}
		fwd[a[i]], back[b[i]] = b[i], a[i]
	}
	return true
}

// groupOfSegment returns, for each segment 1 … k, the planted group most of its rows
// come from.
func groupOfSegment(seg []int32, groups []int, k int) []int {
	counts := make([][numGroups]int, k+1)
	for i, s := range seg {
		counts[s][groups[i]]++
	}
	out := make([]int, k+1)
	for s := 1; s <= k; s++ {
		out[s] = slices.Index(counts[s][:], slices.Max(counts[s][:]))
	}
	return out
}
