// Package bufpool is an Arrow memory.Allocator that recycles the buffers released to it.
//
// Arrow's Go allocator leaves every buffer to the garbage collector, so a Parquet reader or
// writer that streams millions of rows allocates (and the kernel maps, and the runtime
// zeroes) fresh memory for every batch and page, and the collector runs every few batches.
// Scoring reads and writes the same shapes of buffers batch after batch; recycling them
// keeps the heap small and steady and takes most of that work away.
//
// Buffers come in power-of-two capacities from 64 bytes to 64 MiB; a released buffer goes
// back on its size's free list, while the lists hold less than the pool's limit, and is
// handed out again, zeroed as a new one would be. Buffers outside those sizes, or released
// while the lists are full, are left to the garbage collector.
package bufpool

import (
	"math/bits"
	"sync"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

const (
	minShift = 6  // 64 bytes: Arrow's alignment
	maxShift = 26 // 64 MiB
)

// Pool is a recycling memory.Allocator, safe for concurrent use. Buffers it hands out are
// 64-byte aligned and zeroed, as memory.GoAllocator's are.
type Pool struct {
	mu    sync.Mutex
	free  [maxShift + 1][][]byte
	held  int64 // bytes on the free lists
	limit int64
}

var _ memory.Allocator = (*Pool)(nil)

// New returns a pool whose free lists hold at most limit bytes.
func New(limit int64) *Pool { return &Pool{limit: limit} }

// class returns the shift of the smallest pooled capacity that holds size bytes, or -1.
func class(size int) int {
	if size > 1<<maxShift {
		return -1
	}
	s := bits.Len(uint(size - 1))
	return max(s, minShift)
}

// Allocate returns a zeroed buffer of size bytes.
func (p *Pool) Allocate(size int) []byte {
	c := class(size)
	if size <= 0 || c < 0 {
		return memory.DefaultAllocator.Allocate(size)
	}
	p.mu.Lock()
	if n := len(p.free[c]); n > 0 {
		b := p.free[c][n-1]
		p.free[c][n-1] = nil
		p.free[c] = p.free[c][:n-1]
		p.held -= int64(cap(b))
		p.mu.Unlock()
		b = b[:size]
		clear(b)
		return b
	}
	p.mu.Unlock()
	// Go allocates power-of-two sizes from 64 bytes at multiples of their size (up to a
	// page, and page-aligned beyond), so the buffer is 64-byte aligned.
	return make([]byte, size, 1<<c)
}

// Reallocate returns a buffer of size bytes that begins with the bytes of b, and releases b
// if it moved; bytes beyond len(b) are zero.
func (p *Pool) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		old := len(b)
		b = b[:size]
		if size > old {
			clear(b[old:])
		}
		return b
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

// Free takes back a buffer that Allocate or Reallocate returned and nobody uses any more.
func (p *Pool) Free(b []byte) {
	c := cap(b)
	if c < 1<<minShift || c > 1<<maxShift || c&(c-1) != 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held+int64(c) > p.limit {
		return
	}
	s := bits.TrailingZeros(uint(c))
	p.free[s] = append(p.free[s], b[:0])
	p.held += int64(c)
}

// Held returns the bytes on the pool's free lists.
func (p *Pool) Held() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held
}
