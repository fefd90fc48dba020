package gen_test

import (
	"context"
	"fmt"
	"os"

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
	// customers 1000 customers/part-00000.parquet
	// loans 1605 loans/part-00000.parquet
	// repayments 28249 repayments/part-00000.parquet
	// interactions 2372 interactions/part-00000.parquet
	// bad rate 0.078
	// orphaned loans 28
}
