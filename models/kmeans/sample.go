package kmeans

import "math/rand/v2"

// sampleStream is the PCG stream of Sample, apart from the streams of the restarts.
const sampleStream = 0x53414d504c45 // "SAMPLE"

// Sample returns m distinct row indices out of n, in ascending order, drawn uniformly with
// the seed (selection sampling: row i is taken with probability (m − taken) / (n − i)).
// With m ≥ n it returns every row.
func Sample(n, m int, seed uint64) []int {
	if m >= n {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	if m <= 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, sampleStream))
	idx := make([]int, 0, m)
	for i := 0; i < n && len(idx) < m; i++ {
		if rng.Float64()*float64(n-i) < float64(m-len(idx)) {
			idx = append(idx, i)
		}
	}
	return idx
}
