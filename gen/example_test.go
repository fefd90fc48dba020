package gen_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"lendscore/gen"
	"lendscore/pipeline/storage"
)

func ExampleGenerate() {
	dir, _ := os.MkdirTemp("", "gen-example")
	defer os.RemoveAll(dir)
	sum, err := gen.Generate(context.Background(), storage.NewStores(storage.Options{}), storage.MustParse(dir),
		gen.Config{Customers: 1000, Seed: 42, DirtyRate: 0.01})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range []string{"customers", "loans", "repayments", "interactions"} {
		fmt.Println(t, sum.Rows[t], sum.Files[t][0])
	}
	fmt.Printf("bad rate %.3f\n", sum.Signal.BadRate)
	fmt.Println("orphaned loans", sum.Quarantine["loans"]["orphan:customer_id"])
	// Output:
	// customers 1002 customers/part-00000.parquet
	// loans 1643 loans/part-00000.parquet
	// repayments 29300 repayments/part-00000.parquet
	// interactions 2347 interactions/part-00000.parquet
	// bad rate 0.053
	// orphaned loans 11
}

// Two nightly extracts of one world, the day before a shock and its day: the second
// extract's answer key lists the customers the shock made worse.
func ExampleGenerate_shock() {
	root, _ := os.MkdirTemp("", "gen-example")
	defer os.RemoveAll(root)
	stores := storage.NewStores(storage.Options{})
	from := time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)
	cfg := gen.Config{Customers: 1000, Seed: 42, HistoryStart: time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC),
		Shock: gen.Shock{From: from, Share: 0.02}}
	for _, asOf := range []time.Time{from.AddDate(0, 0, -1), from} {
		cfg.AsOf = asOf
		out := storage.MustParse(filepath.Join(root, "dt="+asOf.Format(time.DateOnly)))
		sum, err := gen.Generate(context.Background(), stores, out, cfg)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(asOf.Format(time.DateOnly), "shocked", sum.Shocked.Count, sum.Shocked.IDs[:min(3, len(sum.Shocked.IDs))])
	}
	// Output:
	// 2026-06-14 shocked 0 []
	// 2026-06-15 shocked 12 [C00000152 C00000155 C00000170]
}
