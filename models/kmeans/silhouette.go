package kmeans

import (
	"fmt"
	"math"
	"runtime"
)

// silhouetteStream separates the silhouette sample from Fit's sample of the same seed.
const silhouetteStream = 0x5349_4c48 // "SILH"

// Silhouette returns the mean silhouette coefficient of the clustering labels (values in
// [0, k)) of the rows of the flat row-major x (d columns), computed exactly on a
// deterministic sample of sampleSize rows (all rows when sampleSize ≤ 0 or ≥ the rows;
// DefaultSilhouetteSample is a good size). For a sampled row i in cluster A, a(i) is its
// mean Euclidean distance to the other sampled rows of A, b(i) the smallest mean distance
// to the sampled rows of another cluster, and s(i) = (b − a) / max(a, b); a row alone in
// its cluster within the sample has s = 0 (Rousseeuw 1987; scikit-learn's convention). The
// sample must hold at least two clusters. Cost: O(sampleSize² × d).
func Silhouette(x []float64, d int, labels []int32, k, sampleSize int, seed uint64) (float64, error) {
	n, err := checkData(x, d)
	if err != nil {
		return 0, err
	}
	if len(labels) != n {
		return 0, fmt.Errorf("%w: %d labels for %d rows", ErrInput, len(labels), n)
	}
	for i, l := range labels {
		if l < 0 || int(l) >= k {
			return 0, fmt.Errorf("%w: label %d of row %d outside [0, %d)", ErrInput, l, i, k)
		}
	}
	if sampleSize <= 0 {
		sampleSize = n
	}
	idx := sampleWithStream(n, sampleSize, seed)
	px := make([]float64, 0, len(idx)*d)
	pl := make([]int32, len(idx))
	for s, i := range idx {
		px = append(px, x[i*d:i*d+d]...)
		pl[s] = labels[i]
	}
	return silhouetteExact(px, pl, d, k, runtime.GOMAXPROCS(0))
}

// sampleWithStream is Sample with the silhouette's own stream of the seed.
func sampleWithStream(n, m int, seed uint64) []int {
	return Sample(n, m, seed^silhouetteStream)
}

// silhouetteRows is the number of rows of one unit of silhouette work.
const silhouetteRows = 64

// silhouetteExact is the mean silhouette of all rows of x.
func silhouetteExact(x []float64, labels []int32, d, k, workers int) (float64, error) {
	m := len(labels)
	counts := make([]int, k)
	for _, l := range labels {
		counts[l]++
	}
	nonEmpty := 0
	for _, c := range counts {
		if c > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < 2 {
		return 0, fmt.Errorf("%w: silhouette needs two clusters, the sample has %d", ErrInput, nonEmpty)
	}
	s := make([]float64, m)
	units := (m + silhouetteRows - 1) / silhouetteRows
	forUnits(units, workers, func(u int) {
		sums := make([]float64, k)
		for i := u * silhouetteRows; i < min(m, (u+1)*silhouetteRows); i++ {
			clear(sums)
			p := x[i*d : i*d+d : i*d+d]
			for j := 0; j < m; j++ {
				sums[labels[j]] += math.Sqrt(sqDist(p, x[j*d:j*d+d:j*d+d]))
			}
			own := labels[i]
			if counts[own] == 1 {
				continue // s = 0
			}
			a := sums[own] / float64(counts[own]-1)
			b := math.Inf(1)
			for c, cnt := range counts {
				if c != int(own) && cnt > 0 {
					b = min(b, sums[c]/float64(cnt))
				}
			}
			if den := max(a, b); den > 0 {
				s[i] = (b - a) / den
			}
		}
	})
	total := 0.0
	for _, v := range s {
		total += v
	}
	return total / float64(m), nil
}
