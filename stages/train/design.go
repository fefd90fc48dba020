package train

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"

	"lendscore/models/logit"
	"lendscore/stages/frame"
)

// chunkRows is the number of train rows summed into one partial result before partials are
// merged in row order: fixed, so sums do not depend on GOMAXPROCS. It equals the chunk of
// logit's in-memory fit, so a fit here gives the same bits as logit.Fit on the same matrix.
const chunkRows = 8192

// design is the WOE design matrix of the train rows, never materialised: the bin index of
// every row per variable and the WOE of every bin.
type design struct {
	rows  []int32 // train rows (indices of used rows), ascending
	y     []int8  // their labels
	codes map[string]*frame.Codes
	woe   map[string][]float64
	index map[string]int // variable → row of corr
	corr  [][]float64    // WOE correlations of the train rows
}

// forChunks runs fn over the train rows in chunks of chunkRows (see ForChunks).
func forChunks(ctx context.Context, n int, fn func(w, c, lo, hi int)) error {
	return ForChunks(ctx, n, chunkRows, func(w, c, lo, hi int) error {
		fn(w, c, lo, hi)
		return nil
	})
}

// Workers returns the number of goroutines ForChunks uses for n rows in chunks of size.
func Workers(n, size int) int { return max(1, min(runtime.GOMAXPROCS(0), (n+size-1)/size)) }

// ForChunks calls fn(w, c, lo, hi) for every chunk c = [lo, hi) of n rows, size rows at a
// time, on Workers(n, size) goroutines; w numbers the goroutine, for scratch space. Chunks
// are taken in order. fn writes only chunk c's results, which the caller merges in chunk
// order, so results do not depend on GOMAXPROCS. The first error stops the work and is
// returned.
func ForChunks(ctx context.Context, n, size int, fn func(w, c, lo, hi int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	chunks := (n + size - 1) / size
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range Workers(n, size) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				c := int(next.Add(1)) - 1
				if c >= chunks {
					return
				}
				lo := c * size
				if err := fn(w, c, lo, min(lo+size, n)); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return context.Cause(ctx)
}

// scratch is one worker's buffers for the WOE of a chunk of rows.
type scratch struct {
	x     []float64
	codes []uint32
}

// scratches returns a scratch per worker for chunks of p values a row.
func scratches(n, p int) []scratch {
	s := make([]scratch, Workers(n, chunkRows))
	rows := min(n, chunkRows)
	for w := range s {
		s[w] = scratch{x: make([]float64, rows*p), codes: make([]uint32, rows)}
	}
	return s
}

// fill writes the WOE of rows [lo, hi) of the train rows for names into x (row-major,
// len(names) values a row), using codes as scratch.
func (d *design) fill(x []float64, codes []uint32, names []string, lo, hi int) {
	p := len(names)
	codes = codes[:hi-lo]
	for j, name := range names {
		d.codes[name].Gather(codes, d.rows[lo:hi])
		w := d.woe[name]
		for i, c := range codes {
			x[i*p+j] = w[c]
		}
	}
}

// correlations computes the Pearson correlation of the WOE of every pair of names over the
// train rows: the means first, then the centred cross products, both summed per chunk and
// merged in order. On one chunk (up to 8,192 rows) the sums run in row order exactly as a
// two-pass Pearson over two columns does.
func (d *design) correlations(ctx context.Context, names []string) ([][]float64, error) {
	p, n := len(names), len(d.rows)
	chunks := (n + chunkRows - 1) / chunkRows
	sums := make([][]float64, chunks)
	buf := scratches(n, p)
	err := forChunks(ctx, n, func(w, c, lo, hi int) {
		x := buf[w].x[:(hi-lo)*p]
		d.fill(x, buf[w].codes, names, lo, hi)
		s := make([]float64, p)
		for i := 0; i < hi-lo; i++ {
			for j, v := range x[i*p : i*p+p] {
				s[j] += v
			}
		}
		sums[c] = s
	})
	if err != nil {
		return nil, err
	}
	mean := make([]float64, p)
	for _, s := range sums {
		for j, v := range s {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	cross := make([][]float64, chunks)
	err = forChunks(ctx, n, func(w, c, lo, hi int) {
		x := buf[w].x[:(hi-lo)*p]
		d.fill(x, buf[w].codes, names, lo, hi)
		s := make([]float64, p*p)
		for i := 0; i < hi-lo; i++ {
			row := x[i*p : i*p+p]
			for j := range row {
				row[j] -= mean[j]
			}
			for j, a := range row {
				sj := s[j*p : j*p+p]
				for k := j; k < p; k++ {
					sj[k] += a * row[k]
				}
			}
		}
		cross[c] = s
	})
	if err != nil {
		return nil, err
	}
	s := make([]float64, p*p)
	for _, part := range cross {
		for j, v := range part {
			s[j] += v
		}
	}
	corr := make([][]float64, p)
	for j := range corr {
		corr[j] = make([]float64, p)
	}
	for j := 0; j < p; j++ {
		for k := j; k < p; k++ {
			saa, sbb, sab := s[j*p+j], s[k*p+k], s[j*p+k]
			r := 0.0
			if saa != 0 && sbb != 0 {
				r = sab / math.Sqrt(saa*sbb)
			}
			corr[j][k], corr[k][j] = r, r
		}
	}
	return corr, nil
}

// pearson returns the WOE correlation of a and b.
func (d *design) pearson(a, b string) float64 { return d.corr[d.index[a]][d.index[b]] }

// fit runs logistic regression of the label on the WOE of names over the train rows: the
// logit Solver with one pass over the rows per Newton step, each pass summed per chunk on
// all cores and merged in order.
func (d *design) fit(ctx context.Context, names []string) (*logit.Result, error) {
	s, err := logit.NewSolver(len(names), logit.Options{Names: names})
	if err != nil {
		return nil, err
	}
	n := len(d.rows)
	chunks := (n + chunkRows - 1) / chunkRows
	parts := make([]*logit.Accumulator, chunks)
	errs := make([]error, chunks)
	buf := scratches(n, len(names))
	for !s.Done() {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("logit: fit interrupted after %d iterations: %w", s.Iterations(), err)
		}
		err := forChunks(ctx, n, func(w, c, lo, hi int) {
			x := buf[w].x[:(hi-lo)*len(names)]
			d.fill(x, buf[w].codes, names, lo, hi)
			part := s.NewAccumulator()
			errs[c] = part.AddLabels(x, d.y[lo:hi], nil)
			parts[c] = part
		})
		if err != nil {
			return nil, err
		}
		acc := s.NewAccumulator()
		for c, part := range parts {
			if errs[c] != nil {
				return nil, errs[c]
			}
			if err := acc.Merge(part); err != nil {
				return nil, err
			}
		}
		if err := s.Update(acc); err != nil {
			return s.Result()
		}
	}
	return s.Result()
}

// matrix returns the WOE of the train rows for names as a dense matrix (stepwise selection
// works on one).
func (d *design) matrix(names []string) *mat.Dense {
	n, p := len(d.rows), len(names)
	x := make([]float64, n*p)
	codes := make([]uint32, chunkRows)
	for lo := 0; lo < n; lo += chunkRows {
		hi := min(lo+chunkRows, n)
		d.fill(x[lo*p:hi*p], codes, names, lo, hi)
	}
	return mat.NewDense(n, p, x)
}

// sortKey maps a float64 (not NaN) to an unsigned key with the same order.
func sortKey(v float64) uint64 {
	u := math.Float64bits(v)
	if u>>63 == 1 {
		return ^u
	}
	return u | 1<<63
}

// radixSort sorts a (no NaN) in place by the bytes of sortKey from bit shift down: an
// American flag sort (most significant byte first, permuting in place), insertion sort for
// small buckets, and no work on a byte all values share.
func radixSort(a []float64, shift uint) {
	for {
		if len(a) <= 32 {
			slices.Sort(a) // an insertion sort at this size
			return
		}
		var count [256]int
		for _, v := range a {
			count[byte(sortKey(v)>>shift)]++
		}
		if count[byte(sortKey(a[0])>>shift)] == len(a) {
			if shift == 0 {
				return
			}
			shift -= 8
			continue
		}
		var start, end [256]int
		sum := 0
		for b, c := range count {
			start[b] = sum
			sum += c
			end[b] = sum
		}
		next := start
		for b := range 256 {
			for next[b] < end[b] {
				v := a[next[b]]
				d := int(byte(sortKey(v) >> shift))
				for d != b {
					v, a[next[d]] = a[next[d]], v
					next[d]++
					d = int(byte(sortKey(v) >> shift))
				}
				a[next[b]] = v
				next[b]++
			}
		}
		if shift == 0 {
			return
		}
		for b := range 256 {
			if count[b] > 1 {
				radixSort(a[start[b]:end[b]], shift-8)
			}
		}
		return
	}
}
