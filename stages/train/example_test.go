package train_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/models/binning"
	"lendscore/models/scorecard"
	"lendscore/stages/ingest"
	"lendscore/stages/train"
)

// exampleFiles returns a modelling table of two files: an id, a label and two variables
// that carry risk.
func exampleFiles() []ingest.Batch {
	sch := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "y", Type: arrow.BinaryTypes.String},
		{Name: "income", Type: arrow.PrimitiveTypes.Float64},
		{Name: "home", Type: arrow.BinaryTypes.String},
	}, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	var out []ingest.Batch
	for f := range 2 {
		b := array.NewRecordBuilder(memory.DefaultAllocator, sch)
		for i := range 3000 {
			risk := rng.NormFloat64()
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("C%d-%04d", f, i))
			y := "good"
			if rng.Float64() < 0.1+0.15*max(risk, 0) {
				y = "bad"
			}
			b.Field(1).(*array.StringBuilder).Append(y)
			b.Field(2).(*array.Float64Builder).Append(float64(int(40000 - 9000*risk + 3000*rng.NormFloat64())))
			home := "own"
			if risk+rng.NormFloat64() > 0.5 {
				home = "rent"
			}
			b.Field(3).(*array.StringBuilder).Append(home)
		}
		out = append(out, ingest.Batch{Record: b.NewRecord(), File: fmt.Sprintf("part-%d.parquet", f), FileIndex: f})
		b.Release()
	}
	return out
}

// Two shards each encode their file's rows as a Part; an Assembler rebuilds the whole table
// from what they leave (summaries, sketches and rows as codes, which a sharded run writes as
// JSON and Parquet), and FitTable fits the same scorecard as on one process's table.
func ExampleAssembler() {
	ctx := context.Background()
	files := exampleFiles()
	rules := train.Rules{Target: "y", Bad: "bad", ID: "id", UniqueID: true,
		Split: train.Split{Method: "random", TestFraction: 0.3, Seed: 1}, Candidates: []string{"income", "home"}}
	opts := train.Options{Binning: binning.DefaultConfig(), Scaling: scorecard.Scaling{PDO: 20, BasePoints: 600, BaseOdds: 50}}

	// One process.
	b := train.NewBuilder(rules)
	for _, f := range files {
		b.Add(ctx, f)
	}
	whole, _ := b.Table()
	one, _ := train.FitTable(ctx, whole, opts)

	// Two shards and the commit.
	var sums []train.PartSummary
	var sketches [][]arrow.Record
	var rows [][]arrow.Record
	for i, f := range files {
		r := rules
		r.Shard = true
		b := train.NewBuilder(r)
		b.Add(ctx, f)
		t, _ := b.Table()
		p, err := train.NewPart(ctx, t, nil, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		sums = append(sums, p.Summary)
		sketches = append(sketches, []arrow.Record{p.Sketch(memory.DefaultAllocator)})
		rows = append(rows, nil)
		p.Rows(memory.DefaultAllocator, 1024, func(rec arrow.Record) error {
			rec.Retain()
			rows[i] = append(rows[i], rec)
			return nil
		})
	}
	a, err := train.NewAssembler(rules, sums, sketches)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range rows {
		for _, rec := range rows[i] {
			a.Add(i, rec)
		}
	}
	assembled, refused, _ := a.Table([]string{files[0].File, files[1].File})
	sharded, _ := train.FitTable(ctx, assembled, opts)

	j1, _ := json.Marshal(one.Scorecard)
	j2, _ := json.Marshal(sharded.Scorecard)
	fmt.Println("rows:", assembled.Used(), "refused at the commit:", len(refused))
	fmt.Println("selected:", sharded.Selected)
	fmt.Println("same scorecard as one process:", string(j1) == string(j2))
	// Output:
	// rows: 6000 refused at the commit: 0
	// selected: [income home]
	// same scorecard as one process: true
}
