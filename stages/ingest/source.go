package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"sync"

	"lendscore/pipeline/storage"
)

// maxHashGap is the largest gap between the bytes hashed so far and a ReadAt that the
// source fills by reading the gap, so that the checksum keeps up with a Parquet reader that
// skips a few bytes (the file's leading magic number) between the chunks it reads.
const maxHashGap = 64 << 10

// source wraps an opened input file. It computes the file's SHA-256 from the bytes the
// readers pull through it, so that a file is not read twice just for its checksum: a CSV
// file is read start to end, and a Parquet reader reads column chunks in file order. Sum
// reads whatever the readers skipped. It also remembers I/O errors, so that a failed read
// is not reported as a corrupt file.
type source struct {
	r    storage.Reader
	size int64

	mu     sync.Mutex
	pos    int64 // position of Read
	h      hash.Hash
	hashed int64 // bytes [0, hashed) went into h
	ioErr  error
}

func newSource(r storage.Reader) *source {
	return &source{r: r, size: r.Size(), h: sha256.New()}
}

// observe hashes the part of p (read at off) that continues the hashed prefix.
func (s *source) observe(p []byte, off int64) {
	if off <= s.hashed && off+int64(len(p)) > s.hashed {
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

// fillHash hashes the bytes from the hashed prefix up to end.
func (s *source) fillHash(end int64) error {
	buf := make([]byte, min(end-s.hashed, 1<<20))
	for s.hashed < end {
		chunk := buf[:min(int64(len(buf)), end-s.hashed)]
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
