package kmeans_test

import (
	"context"
	"fmt"
	"slices"

	"lendscore/models/kmeans"
)

// Six points on a line form two groups around 2 and 11.
func ExampleFit() {
	x := []float64{1, 2, 3, 10, 11, 12} // six rows of one column
	m, err := kmeans.Fit(context.Background(), x, 1, 2, kmeans.Options{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	centres := []float64{m.Centroids[0][0], m.Centroids[1][0]}
	slices.Sort(centres)
	fmt.Println("centroids:", centres, "inertia:", m.Inertia)
	fmt.Println("2.4 goes with", m.Centroids[m.Assign([]float64{2.4})][0])
	// Output:
	// centroids: [2 11] inertia: 4
	// 2.4 goes with 2
}

// Points 0 and 1 against 4 and 5: the silhouette is (7/9 + 5/7) / 2 = 47/63.
func ExampleSilhouette() {
	s, err := kmeans.Silhouette([]float64{0, 1, 4, 5}, 1, []int32{0, 0, 1, 1}, 2, 0, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.6f\n", s)
	// Output: 0.746032
}

// Three groups of points: the silhouette is highest for k = 3.
func ExampleChooseK() {
	var x []float64
	for i := 0; i < 30; i++ {
		g := float64(i % 3 * 10)
		x = append(x, g+float64(i%5)*0.1, g-float64(i%4)*0.1)
	}
	m, scores, err := kmeans.ChooseK(context.Background(), x, 2, 2, 5, kmeans.Options{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("k =", m.K, "of", len(scores), "candidates")
	// Output: k = 3 of 4 candidates
}
