package kmeans

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
)

// Defaults of Options.
const (
	DefaultRestarts         = 5
	DefaultMaxIterations    = 300
	DefaultTolerance        = 1e-4
	DefaultSampleRows       = 200_000
	DefaultSilhouetteSample = 4_000
)

// ErrInput reports unusable input: a bad shape, a non-finite value, an impossible k.
var ErrInput = errors.New("kmeans: invalid input")

// Options configures Fit and ChooseK. Zero values take the defaults.
type Options struct {
	// Restarts is the number of seedings, each followed by Lloyd iterations; the run with
	// the lowest inertia is kept. Default 5.
	Restarts int
	// MaxIterations bounds the Lloyd iterations of one run. Default 300.
	MaxIterations int
	// Tolerance stops a run when the summed squared centroid shift of an iteration is at
	// most Tolerance × the mean variance of the columns. Default 1e-4.
	Tolerance float64
	// Seed fixes every random choice.
	Seed uint64
	// SampleRows is the number of rows the centroids are fitted on when there are more
	// (a deterministic sample, see Sample). Default 200,000; negative means all rows.
	SampleRows int
	// SilhouetteSample is the number of rows ChooseK computes the silhouette on. Default
	// 4,000.
	SilhouetteSample int
	// Workers is the number of goroutines. Default GOMAXPROCS. Results do not depend on it.
	Workers int
}

func (o Options) withDefaults() (Options, error) {
	if o.Restarts == 0 {
		o.Restarts = DefaultRestarts
	}
	if o.MaxIterations == 0 {
		o.MaxIterations = DefaultMaxIterations
	}
	if o.Tolerance == 0 {
		o.Tolerance = DefaultTolerance
	}
	if o.SampleRows == 0 {
		o.SampleRows = DefaultSampleRows
	}
	if o.SilhouetteSample == 0 {
		o.SilhouetteSample = DefaultSilhouetteSample
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case o.Restarts < 0:
		return o, fmt.Errorf("%w: %d restarts", ErrInput, o.Restarts)
	case o.MaxIterations < 0:
		return o, fmt.Errorf("%w: %d max iterations", ErrInput, o.MaxIterations)
	case o.Tolerance < 0 || math.IsNaN(o.Tolerance):
		return o, fmt.Errorf("%w: tolerance %v", ErrInput, o.Tolerance)
	case o.SilhouetteSample < 2:
		return o, fmt.Errorf("%w: silhouette sample %d rows", ErrInput, o.SilhouetteSample)
	}
	return o, nil
}

// Model is a fitted clustering.
type Model struct {
	// K is the number of clusters and Dim the number of columns.
	K, Dim int
	// Centroids holds K rows of Dim coordinates.
	Centroids [][]float64
	// Inertia is the sum over all rows given to Fit of the squared Euclidean distance to
	// the nearest centroid.
	Inertia float64
	// Sizes counts the rows given to Fit nearest to each centroid.
	Sizes []int
	// Iterations is the number of Lloyd iterations of the kept run and Converged whether
	// it stopped before MaxIterations.
	Iterations int
	Converged  bool
	// Restart is the index of the kept run.
	Restart int
	// FitRows is the number of rows the centroids were computed on (the sample).
	FitRows int

	// centres holds Centroids as one flat slice (set by Fit and New); Centroids must not
	// be changed afterwards.
	centres []float64
}

// New returns a model with the given centroids (all of one length), for assigning points
// with centroids fitted earlier. Inertia and Sizes are left zero.
func New(centroids [][]float64) (*Model, error) {
	if len(centroids) == 0 {
		return nil, fmt.Errorf("%w: no centroids", ErrInput)
	}
	d := len(centroids[0])
	if d == 0 {
		return nil, fmt.Errorf("%w: centroids have no coordinates", ErrInput)
	}
	m := &Model{K: len(centroids), Dim: d, Centroids: make([][]float64, len(centroids)), Sizes: make([]int, len(centroids))}
	for j, c := range centroids {
		if len(c) != d {
			return nil, fmt.Errorf("%w: centroid %d has %d coordinates, want %d", ErrInput, j, len(c), d)
		}
		for _, v := range c {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: centroid %d is not finite", ErrInput, j)
			}
		}
		m.centres = append(m.centres, c...)
	}
	for j := range m.Centroids {
		m.Centroids[j] = m.centres[j*d : j*d+d : j*d+d]
	}
	return m, nil
}

// Assign returns the index of the centroid nearest to point (squared Euclidean distance;
// ties go to the lowest index), or -1 when point does not have Dim values. point should be
// finite: a NaN coordinate makes every distance NaN and gives 0.
func (m *Model) Assign(point []float64) int {
	if len(point) != m.Dim {
		return -1
	}
	best, _ := nearest(point, m.flat(), m.K)
	return best
}

// AssignTo writes into labels the nearest centroid of each row of the flat row-major x
// (len(x) = len(labels) × Dim), in the calling goroutine and without allocating; callers
// that parallelise themselves use it on their own chunks.
func (m *Model) AssignTo(labels []int32, x []float64) error {
	if len(x) != len(labels)*m.Dim {
		return fmt.Errorf("%w: %d values for %d rows of %d columns", ErrInput, len(x), len(labels), m.Dim)
	}
	assignRange(labels, nil, x, m.flat(), m.K, m.Dim)
	return nil
}

// AssignAll returns the nearest centroid of every row of the flat row-major x, using
// GOMAXPROCS goroutines over fixed chunks of rows.
func (m *Model) AssignAll(x []float64) ([]int32, error) {
	if len(x)%m.Dim != 0 {
		return nil, fmt.Errorf("%w: %d values are not rows of %d columns", ErrInput, len(x), m.Dim)
	}
	n := len(x) / m.Dim
	labels := make([]int32, n)
	cent := m.flat()
	forChunks(n, runtime.GOMAXPROCS(0), func(c, lo, hi int) {
		assignRange(labels[lo:hi], nil, x[lo*m.Dim:hi*m.Dim], cent, m.K, m.Dim)
	})
	return labels, nil
}

// AssignRows labels n = len(labels) rows that the caller produces on demand: fill writes
// rows [lo, hi) as flat row-major values into dst (len (hi−lo) × Dim). It is called for
// fixed chunks of rows on GOMAXPROCS goroutines at once (never twice for a row), so rows
// can be standardised or gathered chunk by chunk without materialising all of them.
func (m *Model) AssignRows(labels []int32, fill func(dst []float64, lo, hi int)) {
	cent := m.flat()
	n := len(labels)
	workers := runtime.GOMAXPROCS(0)
	bufs := make(chan []float64, workers)
	for w := 0; w < workers; w++ {
		bufs <- make([]float64, chunkRows*m.Dim)
	}
	forChunks(n, workers, func(c, lo, hi int) {
		buf := <-bufs
		dst := buf[:(hi-lo)*m.Dim]
		fill(dst, lo, hi)
		assignRange(labels[lo:hi], nil, dst, cent, m.K, m.Dim)
		bufs <- buf
	})
}

// flat returns the centroids as one flat slice.
func (m *Model) flat() []float64 {
	if len(m.centres) == m.K*m.Dim {
		return m.centres
	}
	cent := make([]float64, 0, m.K*m.Dim)
	for _, c := range m.Centroids {
		cent = append(cent, c...)
	}
	return cent
}

// assignRange labels the rows of x by their nearest centroid of cent (k × d, flat) and,
// when dist is not nil, stores the squared distances.
func assignRange(labels []int32, dist []float64, x, cent []float64, k, d int) {
	for i := range labels {
		best, bestD := nearest(x[i*d:i*d+d:i*d+d], cent, k)
		labels[i] = int32(best)
		if dist != nil {
			dist[i] = bestD
		}
	}
}

// nearest returns the index of the centroid of cent (k rows of len(p), flat) nearest to p
// and its squared distance; ties go to the lowest index. Every assignment in the package
// goes through it, so they all agree to the last bit.
func nearest(p, cent []float64, k int) (int, float64) {
	d := len(p)
	best, bestD := 0, math.Inf(1)
	for j := 0; j < k; j++ {
		c := cent[j*d : j*d+d : j*d+d]
		var s0, s1, s2, s3 float64
		t := 0
		for ; t+3 < len(c); t += 4 {
			d0 := p[t] - c[t]
			d1 := p[t+1] - c[t+1]
			d2 := p[t+2] - c[t+2]
			d3 := p[t+3] - c[t+3]
			s0 += d0 * d0
			s1 += d1 * d1
			s2 += d2 * d2
			s3 += d3 * d3
		}
		for ; t < len(c); t++ {
			d0 := p[t] - c[t]
			s0 += d0 * d0
		}
		if s := (s0 + s1) + (s2 + s3); s < bestD {
			best, bestD = j, s
		}
	}
	return best, bestD
}

// sqDist is the squared Euclidean distance of two points of equal length, summed as in
// nearest.
func sqDist(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1 float64
	i := 0
	for ; i+1 < len(a); i += 2 {
		d0 := a[i] - b[i]
		d1 := a[i+1] - b[i+1]
		s0 += d0 * d0
		s1 += d1 * d1
	}
	if i < len(a) {
		d0 := a[i] - b[i]
		s0 += d0 * d0
	}
	return s0 + s1
}

// checkData validates the shape and values of x and returns the number of rows.
func checkData(x []float64, d int) (int, error) {
	if d <= 0 {
		return 0, fmt.Errorf("%w: %d columns", ErrInput, d)
	}
	if len(x)%d != 0 {
		return 0, fmt.Errorf("%w: %d values are not rows of %d columns", ErrInput, len(x), d)
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("%w: row %d column %d is %v", ErrInput, i/d, i%d, v)
		}
	}
	return len(x) / d, nil
}

// Fit clusters the rows of the flat row-major x (d columns) into k clusters. See the
// package documentation for the algorithm, sampling and determinism.
func Fit(ctx context.Context, x []float64, d, k int, opts Options) (*Model, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	n, err := checkData(x, d)
	if err != nil {
		return nil, err
	}
	if k < 1 || k > n {
		return nil, fmt.Errorf("%w: k = %d with %d rows", ErrInput, k, n)
	}
	fitX := sampleData(x, n, d, o)
	return fitSample(ctx, x, fitX, d, k, o)
}

// sampleData returns the rows Fit computes centroids on: x itself, or a sample.
func sampleData(x []float64, n, d int, o Options) []float64 {
	if o.SampleRows < 0 || n <= o.SampleRows {
		return x
	}
	idx := Sample(n, o.SampleRows, o.Seed)
	s := make([]float64, 0, len(idx)*d)
	for _, i := range idx {
		s = append(s, x[i*d:i*d+d]...)
	}
	return s
}

// fitSample runs the restarts on fitX and reports sizes and inertia over all of x.
func fitSample(ctx context.Context, x, fitX []float64, d, k int, o Options) (*Model, error) {
	f := newFitter(fitX, d, k, o.Workers)
	var best *run
	for r := 0; r < o.Restarts; r++ {
		rng := rand.New(rand.NewPCG(o.Seed, uint64(k)<<32|uint64(r)))
		cur, err := f.run(ctx, rng, o)
		if err != nil {
			return nil, err
		}
		cur.restart = r
		if best == nil || cur.inertia < best.inertia {
			best = cur
		}
	}
	m := &Model{
		K: k, Dim: d, Centroids: make([][]float64, k),
		Iterations: best.iterations, Converged: best.converged, Restart: best.restart,
		FitRows: f.n,
	}
	for j := range m.Centroids {
		m.Centroids[j] = best.cent[j*d : j*d+d : j*d+d]
	}
	m.centres = best.cent
	m.Sizes, m.Inertia = summarise(x, best.cent, d, k, o.Workers)
	return m, nil
}

// summarise returns the cluster sizes and inertia of all rows of x for the centroids cent.
func summarise(x, cent []float64, d, k, workers int) ([]int, float64) {
	n := len(x) / d
	nc := numChunks(n)
	counts := make([]int, nc*k)
	inertia := make([]float64, nc)
	forChunks(n, workers, func(c, lo, hi int) {
		cnt := counts[c*k : c*k+k]
		s := 0.0
		for i := lo; i < hi; i++ {
			best, bestD := nearest(x[i*d:i*d+d:i*d+d], cent, k)
			cnt[best]++
			s += bestD
		}
		inertia[c] = s
	})
	sizes := make([]int, k)
	total := 0.0
	for c := 0; c < nc; c++ {
		for j := range sizes {
			sizes[j] += counts[c*k+j]
		}
		total += inertia[c]
	}
	return sizes, total
}
