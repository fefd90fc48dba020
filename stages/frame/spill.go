package frame

import (
	"fmt"
	"os"
	"sync"
	"unsafe"
)

// Spill is a temporary file that the compact columns of a table move their values to when
// the table outgrows the memory it may take: NumericColumn chunks and Codes blocks, written
// once as they are sealed and read back a range at a time (ReadAt) when they are used. The
// columns keep only where each chunk or block lies, so a table held this way takes memory
// for its dictionaries and bookkeeping, not for its rows, and the page cache (or the disk)
// holds the rest. A spilled column reads back the same values as one in memory, so what is
// computed from it does not change.
//
// Reads may run on many goroutines at once. An I/O error is kept (the first one, see Err)
// rather than returned by every read: the reads that fail give zeros, and the caller checks
// Err when a pass over the table is done, as bufio.Scanner's callers do.
type Spill struct {
	dir string

	mu   sync.Mutex
	file *os.File
	size int64
	err  error
	bufs sync.Pool
}

// NewSpill returns a Spill whose file is created in dir ("" is os.TempDir) when first
// written to.
func NewSpill(dir string) *Spill { return &Spill{dir: dir} }

// Size returns the number of bytes written to the spill file.
func (s *Spill) Size() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size
}

// Err returns the first error of a write or read, or nil.
func (s *Spill) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close removes the spill file. Columns spilled to s cannot be read after.
func (s *Spill) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file == nil {
		return s.err
	}
	name := s.file.Name()
	err := s.file.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	s.file = nil
	if err != nil {
		return fmt.Errorf("spill file %s: %w", name, err)
	}
	return s.err
}

// fail records the first error.
func (s *Spill) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

// Write appends b to the spill file and returns where it lies, for ReadAt. After an error
// (see Err) it writes nothing.
func (s *Spill) Write(b []byte) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.dir, "lendscore-spill-*")
		if err != nil {
			s.err = fmt.Errorf("spill file: %w", err)
			return 0
		}
		s.file = f
	}
	at := s.size
	if _, err := s.file.WriteAt(b, at); err != nil {
		s.err = fmt.Errorf("spill file %s: %w", s.file.Name(), err)
		return 0
	}
	s.size += int64(len(b))
	return at
}

// ReadAt reads len(b) bytes written at offset at into b; after an error (see Err) b holds
// zeros.
func (s *Spill) ReadAt(b []byte, at int64) {
	s.mu.Lock()
	f, failed := s.file, s.err != nil
	s.mu.Unlock()
	if failed || f == nil {
		clear(b)
		return
	}
	if _, err := f.ReadAt(b, at); err != nil {
		clear(b)
		s.fail(fmt.Errorf("spill file %s: %w", f.Name(), err))
	}
}

// rewrite writes b at offset at, over bytes written before.
func (s *Spill) rewrite(b []byte, at int64) {
	s.mu.Lock()
	f, failed := s.file, s.err != nil
	s.mu.Unlock()
	if failed || f == nil {
		return
	}
	if _, err := f.WriteAt(b, at); err != nil {
		s.fail(fmt.Errorf("spill file %s: %w", f.Name(), err))
	}
}

// buffer returns a scratch buffer of n bytes, 8-byte aligned, from the pool; release it
// with release.
func (s *Spill) buffer(n int) *[]uint64 {
	p, _ := s.bufs.Get().(*[]uint64)
	if p == nil {
		p = new([]uint64)
	}
	if words := (n + 7) / 8; cap(*p) < words {
		*p = make([]uint64, words)
	}
	return p
}

func (s *Spill) release(p *[]uint64) { s.bufs.Put(p) }

// bytesOf returns the first n bytes of a word buffer.
func bytesOf(p *[]uint64, n int) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&(*p)[0])), n)
}

// asBytes returns the memory of v as bytes (the machine's byte order: a spill file is read
// back by the process that wrote it).
func asBytes[T uint8 | uint16 | uint32 | float64](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*int(unsafe.Sizeof(v[0])))
}

// asValues returns the first n values of type T in a word buffer.
func asValues[T uint8 | uint16 | uint32 | float64](p *[]uint64, n int) []T {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&(*p)[0])), n)
}
