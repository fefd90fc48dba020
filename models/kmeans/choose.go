package kmeans

import (
	"context"
	"fmt"
)

// ChooseK fits k = kMin … kMax clusters and keeps the k with the highest mean silhouette
// (ties: the smaller k). The silhouette of each k is computed, as in Silhouette, on one
// deterministic sample of opts.SilhouetteSample rows of x, the same rows for every k. It
// returns the model of the chosen k (equal to Fit with that k and opts) and the silhouette
// of every k, scores[k−kMin]; a k whose sample falls in a single cluster (data with fewer
// distinct points than k, say) scores −1, the lowest silhouette. kMin must be at least 2.
func ChooseK(ctx context.Context, x []float64, d, kMin, kMax int, opts Options) (*Model, []float64, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	n, err := checkData(x, d)
	if err != nil {
		return nil, nil, err
	}
	if kMin < 2 || kMax < kMin || kMax > n {
		return nil, nil, fmt.Errorf("%w: k from %d to %d with %d rows", ErrInput, kMin, kMax, n)
	}
	fitX := sampleData(x, n, d, o)
	idx := sampleWithStream(n, o.SilhouetteSample, o.Seed)
	sx := make([]float64, 0, len(idx)*d)
	for _, i := range idx {
		sx = append(sx, x[i*d:i*d+d]...)
	}
	labels := make([]int32, len(idx))
	var best *Model
	bestScore := 0.0
	scores := make([]float64, 0, kMax-kMin+1)
	for k := kMin; k <= kMax; k++ {
		m, err := fitSample(ctx, x, fitX, d, k, o)
		if err != nil {
			return nil, nil, fmt.Errorf("k = %d: %w", k, err)
		}
		if err := m.AssignTo(labels, sx); err != nil {
			return nil, nil, err
		}
		s, err := silhouetteExact(sx, labels, d, k, o.Workers)
		if err != nil {
			s = -1 // the sample holds a single cluster
		}
		scores = append(scores, s)
		if best == nil || s > bestScore {
			best, bestScore = m, s
		}
	}
	return best, scores, nil
}
