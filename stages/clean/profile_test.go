package clean_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
	"lendscore/stages/clean"
	"lendscore/stages/ingest"
)

// TestProfile checks a profile against values worked out by hand. The refused row (a
// negative income) is not profiled.
func TestProfile(t *testing.T) {
	in := map[string]*ingest.Table{"customers": table(t, "customers", schemas.CustomersSchema(), `[
		{"customer_id":"C1","customer_type":"individual","annual_income":10,"employees":null,"onboard_date":"2020-01-03"},
		{"customer_id":"C2","customer_type":"individual","annual_income":20,"onboard_date":"2020-01-01"},
		{"customer_id":"C3","customer_type":"corporate","annual_income":null,"employees":7,"onboard_date":"2020-01-02"},
		{"customer_id":"C4","customer_type":"corporate","annual_income":30,"employees":7,"onboard_date":"2020-01-02"},
		{"customer_id":"C5","customer_type":"corporate","annual_income":-1,"employees":1000,"onboard_date":"1999-01-01"}
	]`)}
	defer release(in)
	res, err := clean.Extracts(context.Background(), in, clean.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	got := map[string]string{}
	for _, p := range res.Tables["customers"].Profile {
		b, _ := json.Marshal(p)
		got[p.Name] = string(b)
	}
	// Four clean rows. Income: 10, 20, null, 30 → null rate 1/4, 3 distinct, mean 20.
	// Employees: null, null, 7, 7 → 1 distinct, mean 7. Onboarding: 3 distinct dates.
	want := map[string]string{
		"customer_id":   `{"name":"customer_id","type":"utf8","rows":4,"nulls":0,"null_rate":0,"distinct":4,"min":"C1","max":"C4"}`,
		"customer_type": `{"name":"customer_type","type":"utf8","rows":4,"nulls":0,"null_rate":0,"distinct":2,"min":"corporate","max":"individual"}`,
		"annual_income": `{"name":"annual_income","type":"float64","rows":4,"nulls":1,"null_rate":0.25,"distinct":3,"min":10,"max":30,"mean":20}`,
		"employees":     `{"name":"employees","type":"int32","rows":4,"nulls":2,"null_rate":0.5,"distinct":1,"min":7,"max":7,"mean":7}`,
		"onboard_date":  `{"name":"onboard_date","type":"date32","rows":4,"nulls":0,"null_rate":0,"distinct":3,"min":"2020-01-01","max":"2020-01-03"}`,
		"gender":        `{"name":"gender","type":"utf8","rows":4,"nulls":4,"null_rate":1,"distinct":0}`,
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s:\n got %s\nwant %s", name, got[name], w)
		}
	}
}

// TestDistinctIsAccurate checks the HyperLogLog estimate on known cardinalities: within
// 3% (about four standard errors of 2^14 registers), exact up to a hundred.
func TestDistinctIsAccurate(t *testing.T) {
	for _, n := range []int{1, 5, 100, 1000, 30_000, 200_000} {
		b := array.NewStringBuilder(memory.DefaultAllocator)
		tsType := &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
		stamps := array.NewTimestampBuilder(memory.DefaultAllocator, tsType)
		for i := range 2 * n { // every value twice
			b.Append(fmt.Sprintf("C%08d", i%n))
			stamps.Append(arrow.Timestamp(1_700_000_000_000 + 1000*(i%n)))
		}
		ids, ds := b.NewArray(), stamps.NewArray()
		schema := arrow.NewSchema([]arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String}, {Name: "ts", Type: tsType}}, nil)
		rec := array.NewRecord(schema, []arrow.Array{ids, ds}, int64(2*n))
		in := map[string]*ingest.Table{"interactions": {Name: "interactions", Schema: schema, Batches: []ingest.Batch{{Record: rec, File: "mem"}}}}
		res, err := clean.Extracts(context.Background(), in, clean.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.Tables["interactions"].Profile[:2] {
			e := math.Abs(float64(p.Distinct)-float64(n)) / float64(n)
			if (n <= 100 && p.Distinct != int64(n)) || e > 0.03 {
				t.Errorf("%d distinct %s: estimated %d (error %.2f%%)", n, p.Name, p.Distinct, 100*e)
			}
		}
		res.Release()
		rec.Release()
		ids.Release()
		ds.Release()
	}
}

func TestCountsJSON(t *testing.T) {
	c := clean.Counts{Input: 3, Used: 2, Quarantined: 1, Reasons: map[string]int64{"orphan:loan_id": 1}}
	b, _ := json.Marshal(c)
	if !strings.Contains(string(b), `"input":3,"used":2,"quarantined":1,"reasons":{"orphan:loan_id":1}`) {
		t.Errorf("counts JSON %s", b)
	}
}
