package kmeans

import (
	"sync"
	"sync/atomic"
)

// chunkRows is the number of rows processed as one unit of work. It is fixed, so partial
// results and the order they are added in do not depend on the number of workers.
const chunkRows = 4096

// numChunks is the number of chunks of n rows.
func numChunks(n int) int { return (n + chunkRows - 1) / chunkRows }

// forChunks calls fn(c, lo, hi) for every chunk c of rows [lo, hi) of n rows, on up to
// workers goroutines. fn must write only to chunk c's own slots.
func forChunks(n, workers int, fn func(c, lo, hi int)) {
	forUnits(numChunks(n), workers, func(c int) { fn(c, c*chunkRows, min(n, (c+1)*chunkRows)) })
}

// forUnits calls fn(u) for every u in [0, units) on up to workers goroutines, handing out
// units in increasing order.
func forUnits(units, workers int, fn func(u int)) {
	workers = max(1, min(workers, units))
	if workers == 1 {
		for u := 0; u < units; u++ {
			fn(u)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				u := int(next.Add(1) - 1)
				if u >= units {
					return
				}
				fn(u)
			}
		}()
	}
	wg.Wait()
}
