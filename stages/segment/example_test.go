package segment

import (
	"context"
	"fmt"
	"slices"
)

// A segmentation of synthetic customers in four planted groups: K is chosen by
// silhouette, the segments are named from their profiles, and a model loaded from its
// JSON artifact assigns the same segments.
func ExampleFit() {
	cols, _ := plantedData(2000, 1)
	fr, release, err := buildFrame(plantedColumns, cols)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer release()

	m, err := Fit(context.Background(), fr, Options{Seed: 1}) // K chosen in 3 … 8
	if err != nil {
		fmt.Println(err)
		return
	}
	seg, _ := m.Assign(fr)
	stage, _ := m.Lifecycle(fr)
	profiles, _ := Profile(fr, seg, Outcomes{Lifecycle: stage}, m)
	fmt.Println("k =", m.K)
	for _, p := range profiles {
		fmt.Printf("%d %-42s %-8s %.2f\n", p.Segment, p.Name, p.Tier, p.Share)
	}

	data, _ := m.Marshal() // model/segments.json
	loaded, _ := Load(data)
	again, _ := loaded.Assign(fr)
	fmt.Println("same segments after Load:", slices.Equal(seg, again))
	// Output:
	// k = 4
	// 1 high value, engaged, digital, low risk     VIP      0.31
	// 2 mid value, medium risk                     standard 0.34
	// 3 low value, low activity, branch, high risk basic    0.21
	// 4 low value, dormant, medium risk            basic    0.14
	// same segments after Load: true
}
