// Package dupkeys finds the repeated keys of a stream of keys — customer ids repeated in a
// table that must hold one row per customer — with memory that does not grow with the
// number of keys.
//
// The design: each key is reduced to a 64-bit hash (hash/maphash, seeded per Finder, or the
// caller's own hash under the Finder's seed) and stored, 8 bytes per key, in one of 256
// partitions chosen by the top bits of the hash. A partition keeps its last 1,024 hashes in
// memory and appends full blocks of them to one temporary spill file (a megabyte of blocks
// at a time), so a Finder holds 3 MB of buffers whatever the number of keys, and the disk holds 8 bytes per key (80 MB for
// 10,000,000 keys). Inputs of up to about 256,000 keys never touch the disk. Repeated then
// reads one partition at a time (in parallel, one per core) into a hash table of hash →
// count, and returns every hash that occurs more than once: memory for one partition per
// core, 24 bytes per key of a partition (1 MB per core for 10,000,000 keys).
//
// Repeated hashes are candidates, not yet duplicates: two different keys share a 64-bit
// hash with a probability of about n²/2⁶⁵ (3·10⁻⁶ for 10,000,000 keys). The caller reads the
// keys again, in row order, and hands those whose hash repeats to a Resolver, which makes
// the answer exact; it holds the keys of those rows only. The usual input repeats no key,
// and is read once.
package dupkeys

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"runtime"
	"sort"
	"sync"
)

const (
	partitionBits = 8
	partitions    = 1 << partitionBits
	blockEntries  = 1024
	entryBytes    = 8
)

// Finder collects the hashes of keys and finds the hashes that repeat. Add keys from one
// goroutine; Close removes the spill file.
type Finder struct {
	seed maphash.Seed
	dir  string

	buf    [partitions][]uint64
	blocks [partitions][]int64 // spill file offsets of the full blocks of each partition
	spill  *os.File
	size   int64 // bytes in the spill file, and staged for it
	keys   int64
	// staged holds blocks on their way to the spill file, written a megabyte at a time.
	staged []byte
}

// stagedBlocks is the number of blocks written to the spill file at once.
const stagedBlocks = 128

// New returns a Finder that spills to a temporary file in dir ("" is os.TempDir), created
// when first needed.
func New(dir string) *Finder {
	return &Finder{seed: maphash.MakeSeed(), dir: dir}
}

// Hash returns the hash of key that Add takes.
func (f *Finder) Hash(key []byte) uint64 { return maphash.Bytes(f.seed, key) }

// Seed returns the seed of the Finder's hashes, for callers that hash keys themselves
// (equal keys must get equal hashes; how does not matter).
func (f *Finder) Seed() maphash.Seed { return f.seed }

// Keys returns the number of keys added.
func (f *Finder) Keys() int64 { return f.keys }

// Add records a key of hash h (from Hash, or hashed under Seed).
func (f *Finder) Add(h uint64) error {
	p := h >> (64 - partitionBits)
	if f.buf[p] == nil {
		f.buf[p] = make([]uint64, 0, blockEntries)
	}
	f.buf[p] = append(f.buf[p], h)
	f.keys++
	if len(f.buf[p]) == blockEntries {
		return f.flush(int(p))
	}
	return nil
}

// flush appends the buffer of partition p to the spill file as a block.
func (f *Finder) flush(p int) error {
	if f.spill == nil {
		file, err := os.CreateTemp(f.dir, "lendscore-keys-*")
		if err != nil {
			return fmt.Errorf("duplicate keys: spill file: %w", err)
		}
		f.spill = file
		f.staged = make([]byte, 0, stagedBlocks*blockEntries*entryBytes)
	}
	for _, h := range f.buf[p] {
		f.staged = binary.LittleEndian.AppendUint64(f.staged, h)
	}
	f.blocks[p] = append(f.blocks[p], f.size)
	f.size += blockEntries * entryBytes
	f.buf[p] = f.buf[p][:0]
	if len(f.staged) == cap(f.staged) {
		return f.writeStaged()
	}
	return nil
}

// writeStaged writes the staged blocks to the spill file.
func (f *Finder) writeStaged() error {
	if len(f.staged) == 0 {
		return nil
	}
	if _, err := f.spill.WriteAt(f.staged, f.size-int64(len(f.staged))); err != nil {
		return fmt.Errorf("duplicate keys: spill file: %w", err)
	}
	f.staged = f.staged[:0]
	return nil
}

// Close removes the spill file.
func (f *Finder) Close() error {
	if f.spill == nil {
		return nil
	}
	name := f.spill.Name()
	err := f.spill.Close()
	f.spill = nil
	return errors.Join(err, os.Remove(name))
}

// Repeated returns every hash added more than once, sorted. The partitions are read in
// parallel, one per core.
func (f *Finder) Repeated(ctx context.Context) ([]uint64, error) {
	if f.spill != nil {
		if err := f.writeStaged(); err != nil {
			return nil, err
		}
	}
	var (
		mu      sync.Mutex
		out     []uint64
		firstEr error
		next    = make(chan int)
		wg      sync.WaitGroup
	)
	workers := min(runtime.GOMAXPROCS(0), partitions)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var t table
			var hashes []uint64
			raw := make([]byte, blockEntries*entryBytes)
			for p := range next {
				var err error
				hashes, err = f.partition(p, hashes[:0], raw)
				if err == nil {
					found := t.repeated(hashes)
					mu.Lock()
					out = append(out, found...)
					mu.Unlock()
				}
				if err != nil {
					mu.Lock()
					if firstEr == nil {
						firstEr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for p := 0; p < partitions && ctx.Err() == nil; p++ {
		next <- p
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstEr != nil {
		return nil, firstEr
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// partition reads the hashes of partition p: its spilled blocks, then its buffer.
func (f *Finder) partition(p int, dst []uint64, raw []byte) ([]uint64, error) {
	for _, off := range f.blocks[p] {
		if _, err := f.spill.ReadAt(raw, off); err != nil && err != io.EOF {
			return nil, fmt.Errorf("duplicate keys: spill file: %w", err)
		}
		for i := 0; i < blockEntries; i++ {
			dst = append(dst, binary.LittleEndian.Uint64(raw[i*entryBytes:]))
		}
	}
	return append(dst, f.buf[p]...), nil
}

// table is an open-addressing hash table from key hash to the count of keys.
type table struct {
	hashes []uint64
	counts []int32
}

// repeated returns the hashes that occur more than once among hashes, once each.
func (t *table) repeated(hashes []uint64) []uint64 {
	size := 16
	for size < 2*len(hashes) {
		size *= 2
	}
	if cap(t.hashes) < size {
		t.hashes, t.counts = make([]uint64, size), make([]int32, size)
	}
	t.hashes, t.counts = t.hashes[:size], t.counts[:size]
	clear(t.counts)
	mask := uint64(size - 1)
	var out []uint64
	for _, h := range hashes {
		k := h & mask
		for t.counts[k] != 0 && t.hashes[k] != h {
			k = (k + 1) & mask
		}
		t.hashes[k] = h
		t.counts[k]++
		if t.counts[k] == 2 {
			out = append(out, h)
		}
	}
	return out
}

// Candidate is a row whose key's hash repeats (Finder.Repeated).
type Candidate struct {
	Row  int64
	Hash uint64
}

// Resolver turns candidates into exact duplicates: fed every candidate row with its key,
// in row order, it says whether the key was seen before and at which row.
type Resolver struct {
	groups map[uint64][]seen
}

type seen struct {
	key string
	row int64
}

// NewResolver returns an empty Resolver.
func NewResolver() *Resolver { return &Resolver{groups: map[uint64][]seen{}} }

// Add takes the next candidate in row order and its key, and returns the row of the key's
// first occurrence and true when the key occurred before.
func (r *Resolver) Add(c Candidate, key []byte) (first int64, dup bool) {
	g := r.groups[c.Hash]
	for _, s := range g {
		if s.key == string(key) {
			return s.row, true
		}
	}
	r.groups[c.Hash] = append(g, seen{string(key), c.Row})
	return 0, false
}
