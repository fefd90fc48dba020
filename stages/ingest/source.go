package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"slices"
	"sync"

	"lendscore/pipeline/storage"
)

// maxHashGap is the largest gap between the bytes hashed so far and a ReadAt that the
// source fills at once by reading the gap, so that the checksum keeps up with a Parquet
// reader that skips a few bytes (the file's leading magic number) between the chunks it
// reads. Larger gaps are left for other reads to fill (decoders of row groups in parallel
// read whole column chunks out of order), and for Sum.
const maxHashGap = 4 << 10

// maxHashAhead bounds the bytes a source keeps of reads beyond its hashed prefix.
const maxHashAhead = 64 << 20

// source wraps an opened input file. It computes the file's SHA-256 from the bytes the
// readers pull through it, so that a file is not read twice just for its checksum: a CSV
// file is read start to end, and a Parquet reader reads the column chunks of a row group,
// decoding them in parallel, in any order. Bytes read beyond the hashed prefix are kept
// (up to maxHashAhead) until the prefix reaches them; Sum reads whatever the readers
// skipped. It also remembers I/O errors, so that a failed read is not reported as a
// corrupt file.
type source struct {
	r    storage.Reader
	size int64

	mu     sync.Mutex
	pos    int64 // position of Read
	h      hash.Hash
	hashed int64 // bytes [0, hashed) went into h
	ahead  []aheadRead
	kept   int // bytes in ahead
	ioErr  error
}

// aheadRead is a copy of bytes read at off, beyond the hashed prefix.
type aheadRead struct {
	off int64
	p   []byte
}

func newSource(r storage.Reader) *source {
	return &source{r: r, size: r.Size(), h: sha256.New()}
}

// observe hashes the part of p (read at off) that continues the hashed prefix, and then the
// bytes kept from earlier reads that continue it further; it keeps a copy of p when p lies
// beyond the prefix.
func (s *source) observe(p []byte, off int64) {
	if off > s.hashed {
		if len(p) > 0 && s.kept+len(p) <= maxHashAhead {
			s.ahead = append(s.ahead, aheadRead{off, bytes.Clone(p)})
			s.kept += len(p)
		}
		return
	}
	s.extend(p, off)
	for progress := true; progress && len(s.ahead) > 0; {
		progress = false
		for i := 0; i < len(s.ahead); i++ {
			a := s.ahead[i]
			if a.off > s.hashed {
				continue
			}
			s.extend(a.p, a.off)
			s.kept -= len(a.p)
			s.ahead = slices.Delete(s.ahead, i, i+1)
			i--
			progress = true
		}
	}
}

// extend hashes the part of p (read at off ≤ hashed) beyond the hashed prefix.
func (s *source) extend(p []byte, off int64) {
	if off+int64(len(p)) > s.hashed {
		s.h.Write(p[s.hashed-off:])
		s.hashed = off + int64(len(p))
	}
}

func (s *source) noteErr(err error) {
	if err != nil && err != io.EOF && s.ioErr == nil {
		s.ioErr = err
	}
}

func (s *source) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.r.Read(p)
	s.observe(p[:n], s.pos)
	s.pos += int64(n)
	s.noteErr(err)
	return n, err
}

func (s *source) Seek(offset int64, whence int) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pos, err := s.r.Seek(offset, whence)
	if err == nil {
		s.pos = pos
	}
	s.noteErr(err)
	return pos, err
}

func (s *source) ReadAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gap := off - s.hashed; gap > 0 && gap <= maxHashGap {
		s.fillHash(off)
	}
	n, err := s.r.ReadAt(p, off)
	s.observe(p[:n], off)
	s.noteErr(err)
	return n, err
}

// fillHash hashes the bytes from the hashed prefix up to end, reading only what was not
// kept from earlier reads.
func (s *source) fillHash(end int64) error {
	buf := make([]byte, min(end-s.hashed, 1<<20))
	for s.hashed < end {
		stop := end // the next kept read, whose bytes need not be read again
		for _, a := range s.ahead {
			if a.off > s.hashed && a.off < stop {
				stop = a.off
			}
		}
		chunk := buf[:min(int64(len(buf)), stop-s.hashed)]
		n, err := s.r.ReadAt(chunk, s.hashed)
		s.observe(chunk[:n], s.hashed)
		if n < len(chunk) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			s.noteErr(err)
			return err
		}
	}
	return nil
}

func (s *source) Size() int64 { return s.size }

// Close does nothing: the caller that opened the file closes it.
func (s *source) Close() error { return nil }

// Sum returns the hex SHA-256 of the whole file, reading the parts no reader asked for.
func (s *source) Sum() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hashed < s.size {
		if err := s.fillHash(s.size); err != nil {
			return "", fmt.Errorf("checksum: %w", err)
		}
	}
	return hex.EncodeToString(s.h.Sum(nil)), nil
}

// failedIO returns the first I/O error seen, if any.
func (s *source) failedIO() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ioErr
}
