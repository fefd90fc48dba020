package kmeans

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// fitter holds the rows one Fit clusters and the buffers its runs reuse.
type fitter struct {
	x          []float64
	n, d, k    int
	workers    int
	nc         int       // chunks
	labels     []int32   // cluster of each row
	dist       []float64 // squared distance of each row to its centroid (or nearest centre)
	partSums   []float64 // per chunk: k × d coordinate sums
	partCounts []int     // per chunk: k counts
	partScalar []float64 // per chunk: inertia, potential
	partInt    []int     // per chunk: rows that changed cluster
	partAux    []float64 // per chunk: potential with a candidate centre
	meanVar    float64   // mean variance of the columns
}

// run is the result of one seeding and its Lloyd iterations.
type run struct {
	cent       []float64
	inertia    float64
	iterations int
	converged  bool
	restart    int
}

func newFitter(x []float64, d, k, workers int) *fitter {
	n := len(x) / d
	nc := numChunks(n)
	f := &fitter{
		x: x, n: n, d: d, k: k, workers: workers, nc: nc,
		labels:     make([]int32, n),
		dist:       make([]float64, n),
		partSums:   make([]float64, nc*k*d),
		partCounts: make([]int, nc*k),
		partScalar: make([]float64, nc),
		partInt:    make([]int, nc),
		partAux:    make([]float64, nc),
	}
	f.meanVar = meanVariance(x, n, d)
	return f
}

// meanVariance is the mean over columns of the population variance (two passes).
func meanVariance(x []float64, n, d int) float64 {
	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		for t, v := range x[i*d : i*d+d] {
			mean[t] += v
		}
	}
	for t := range mean {
		mean[t] /= float64(n)
	}
	total := 0.0
	for i := 0; i < n; i++ {
		for t, v := range x[i*d : i*d+d] {
			diff := v - mean[t]
			total += diff * diff
		}
	}
	return total / float64(n*d)
}

// run seeds with k-means++ and iterates Lloyd's algorithm.
func (f *fitter) run(ctx context.Context, rng *rand.Rand, o Options) (*run, error) {
	cent, err := f.seed(ctx, rng)
	if err != nil {
		return nil, err
	}
	tol := o.Tolerance * f.meanVar
	next := make([]float64, len(cent))
	sums := make([]float64, len(cent))
	counts := make([]int, f.k)
	r := &run{}
	for it := 0; it < o.MaxIterations; it++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("kmeans: %w", err)
		}
		changed := f.assign(cent, it == 0, sums, counts)
		r.iterations = it + 1
		if it > 0 && changed == 0 {
			// Same labels as the previous iteration, hence the same means: cent is final.
			r.converged = true
			break
		}
		f.relocateEmpty(sums, counts)
		shift := 0.0
		for j := 0; j < f.k; j++ {
			c := next[j*f.d : j*f.d+f.d]
			if counts[j] == 0 {
				copy(c, cent[j*f.d:j*f.d+f.d]) // stays empty: keep its centroid
				continue
			}
			inv := 1 / float64(counts[j])
			for t := range c {
				c[t] = sums[j*f.d+t] * inv
			}
			shift += sqDist(c, cent[j*f.d:j*f.d+f.d])
		}
		cent, next = next, cent
		if shift <= tol {
			r.converged = true
			break
		}
	}
	r.cent = cent
	r.inertia = f.inertia(cent)
	return r, nil
}

// assign labels every row with its nearest centroid and fills sums and counts with the
// per-cluster totals, adding chunk partials in chunk order. It returns the number of rows
// whose label changed (every row counts on the first iteration).
func (f *fitter) assign(cent []float64, first bool, sums []float64, counts []int) int {
	k, d := f.k, f.d
	forChunks(f.n, f.workers, func(c, lo, hi int) {
		ps := f.partSums[c*k*d : (c+1)*k*d]
		pc := f.partCounts[c*k : (c+1)*k]
		clear(ps)
		clear(pc)
		changed := 0
		for i := lo; i < hi; i++ {
			p := f.x[i*d : i*d+d : i*d+d]
			best, bestD := nearest(p, cent, k)
			if first || f.labels[i] != int32(best) {
				changed++
			}
			f.labels[i] = int32(best)
			f.dist[i] = bestD
			pc[best]++
			s := ps[best*d : best*d+d : best*d+d]
			for t, v := range p {
				s[t] += v
			}
		}
		f.partInt[c] = changed
	})
	clear(sums)
	clear(counts)
	changed := 0
	for c := 0; c < f.nc; c++ {
		for t, v := range f.partSums[c*k*d : (c+1)*k*d] {
			sums[t] += v
		}
		for j, v := range f.partCounts[c*k : (c+1)*k] {
			counts[j] += v
		}
		changed += f.partInt[c]
	}
	return changed
}

// relocateEmpty gives every empty cluster the row farthest from its own centroid among the
// clusters with more than one row (ties: the lowest row index), updating sums, counts,
// labels and dist. A cluster stays empty when no row is away from its centroid.
func (f *fitter) relocateEmpty(sums []float64, counts []int) {
	d := f.d
	for j := 0; j < f.k; j++ {
		if counts[j] > 0 {
			continue
		}
		far, farD := -1, 0.0
		for i, v := range f.dist {
			if v > farD && counts[f.labels[i]] > 1 {
				far, farD = i, v
			}
		}
		if far < 0 {
			continue
		}
		old := int(f.labels[far])
		p := f.x[far*d : far*d+d]
		for t, v := range p {
			sums[old*d+t] -= v
			sums[j*d+t] = v
		}
		counts[old]--
		counts[j] = 1
		f.labels[far] = int32(j)
		f.dist[far] = 0
	}
}

// inertia is the sum of squared distances of the rows to their nearest centroid.
func (f *fitter) inertia(cent []float64) float64 {
	k, d := f.k, f.d
	forChunks(f.n, f.workers, func(c, lo, hi int) {
		s := 0.0
		for i := lo; i < hi; i++ {
			_, bestD := nearest(f.x[i*d:i*d+d:i*d+d], cent, k)
			s += bestD
		}
		f.partScalar[c] = s
	})
	return f.sumPartScalar()
}

func (f *fitter) sumPartScalar() float64 {
	s := 0.0
	for _, v := range f.partScalar {
		s += v
	}
	return s
}

// seed picks k centres by greedy k-means++: each new centre is the best of 2 + ⌊ln k⌋ rows
// drawn with probability proportional to the squared distance to the nearest centre so
// far (f.dist), best meaning the lowest resulting potential (sum of those distances).
func (f *fitter) seed(ctx context.Context, rng *rand.Rand) ([]float64, error) {
	d := f.d
	cent := make([]float64, 0, f.k*d)
	first := rng.IntN(f.n)
	cent = append(cent, f.x[first*d:first*d+d]...)
	pot := f.minDist(f.x[first*d:first*d+d], true)
	trials := 2 + int(math.Log(float64(f.k)))
	cand := make([]int, trials)
	for len(cent) < f.k*d {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("kmeans: %w", err)
		}
		for t := range cand {
			cand[t] = f.draw(rng, pot)
		}
		best, bestPot := cand[0], math.Inf(1)
		for _, c := range cand {
			if p := f.potentialWith(f.x[c*d : c*d+d]); p < bestPot {
				best, bestPot = c, p
			}
		}
		cent = append(cent, f.x[best*d:best*d+d]...)
		pot = f.minDist(f.x[best*d:best*d+d], false)
	}
	return cent, nil
}

// minDist lowers f.dist to the squared distance to centre (sets it when reset) and returns
// the potential, keeping per-chunk potentials in f.partScalar for draw.
func (f *fitter) minDist(centre []float64, reset bool) float64 {
	d := f.d
	forChunks(f.n, f.workers, func(c, lo, hi int) {
		s := 0.0
		for i := lo; i < hi; i++ {
			v := sqDist(f.x[i*d:i*d+d:i*d+d], centre)
			if reset || v < f.dist[i] {
				f.dist[i] = v
			}
			s += f.dist[i]
		}
		f.partScalar[c] = s
	})
	return f.sumPartScalar()
}

// potentialWith is the potential if centre were added, without changing f.dist or the
// chunk potentials that draw reads.
func (f *fitter) potentialWith(centre []float64) float64 {
	d := f.d
	part := f.partAux
	forChunks(f.n, f.workers, func(c, lo, hi int) {
		s := 0.0
		for i := lo; i < hi; i++ {
			s += min(f.dist[i], sqDist(f.x[i*d:i*d+d:i*d+d], centre))
		}
		part[c] = s
	})
	s := 0.0
	for _, v := range part {
		s += v
	}
	return s
}

// draw returns a row with probability f.dist[i] / pot, walking the chunk potentials in
// f.partScalar and then the rows of one chunk. With pot 0 (every row on a centre) it
// returns a uniformly drawn row.
func (f *fitter) draw(rng *rand.Rand, pot float64) int {
	if !(pot > 0) {
		return rng.IntN(f.n)
	}
	r := rng.Float64() * pot
	last := -1
	for c := 0; c < f.nc; c++ {
		if f.partScalar[c] <= r {
			r -= f.partScalar[c]
			if f.partScalar[c] > 0 {
				last = c
			}
			continue
		}
		lo, hi := c*chunkRows, min(f.n, (c+1)*chunkRows)
		for i := lo; i < hi; i++ {
			if f.dist[i] > r {
				return i
			}
			r -= f.dist[i]
		}
		last = c
		break
	}
	// Rounding left r at or above the total: take the last row with weight.
	if last < 0 {
		return rng.IntN(f.n)
	}
	lo, hi := last*chunkRows, min(f.n, (last+1)*chunkRows)
	for i := hi - 1; i >= lo; i-- {
		if f.dist[i] > 0 {
			return i
		}
	}
	return rng.IntN(f.n)
}
