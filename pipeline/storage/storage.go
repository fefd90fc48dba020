// Package storage reads and writes the objects of a run on local disk or in an S3-compatible
// object store, behind one small interface.
//
// A location is a local path, a file:// URL or an s3://bucket/prefix URL (contract section 2).
// Writes are atomic for readers: an object written through Create is visible whole, under its
// final name, only after Commit succeeds; until then, and after Abort, nothing is there. That
// property is what lets the publisher promise that a reader following latest.json never sees a
// half-written run.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Scheme names the kind of store a location lives in.
type Scheme string

// The schemes a location may have.
const (
	SchemeFile Scheme = "file"
	SchemeS3   Scheme = "s3"
)

// Location is a parsed location: a local path, or a bucket and key in an object store.
// Key uses forward slashes; for local locations it is the path itself.
type Location struct {
	Scheme Scheme
	Bucket string // empty for local locations
	Key    string // object key or local path; no trailing slash
	// Dir records that the location was written with a trailing slash (a prefix).
	Dir bool
}

// ErrNotExist is returned (wrapped) when an object or path does not exist.
var ErrNotExist = errors.New("does not exist")

// Parse parses a location string: a local path, file://path or s3://bucket/key.
func Parse(s string) (Location, error) {
	if s == "" {
		return Location{}, errors.New("empty location")
	}
	dir := strings.HasSuffix(s, "/")
	switch {
	case strings.HasPrefix(s, "s3://"):
		u, err := url.Parse(s)
		if err != nil {
			return Location{}, fmt.Errorf("location %q: %w", s, err)
		}
		if u.Host == "" {
			return Location{}, fmt.Errorf("location %q: no bucket", s)
		}
		key := strings.Trim(u.Path, "/")
		if hasDotDot(key) {
			return Location{}, fmt.Errorf("location %q: %q is not allowed in a key", s, "..")
		}
		return Location{Scheme: SchemeS3, Bucket: u.Host, Key: key, Dir: dir || key == ""}, nil
	case strings.HasPrefix(s, "file://"):
		p := strings.TrimPrefix(s, "file://")
		if p == "" {
			return Location{}, fmt.Errorf("location %q: empty path", s)
		}
		return Location{Scheme: SchemeFile, Key: cleanLocal(p), Dir: dir}, nil
	case strings.Contains(s, "://"):
		return Location{}, fmt.Errorf("location %q: unsupported scheme (want a path, file:// or s3://)", s)
	}
	return Location{Scheme: SchemeFile, Key: cleanLocal(s), Dir: dir}, nil
}

// MustParse is Parse for locations known to be valid, such as constants in tests; it panics
// on error.
func MustParse(s string) Location {
	l, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return l
}

func cleanLocal(p string) string {
	c := filepath.Clean(p)
	return filepath.ToSlash(c)
}

func hasDotDot(key string) bool {
	for _, part := range strings.Split(key, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

// String formats the location so that Parse(l.String()) == l (up to Dir).
func (l Location) String() string {
	switch l.Scheme {
	case SchemeS3:
		if l.Key == "" {
			return "s3://" + l.Bucket + "/"
		}
		return "s3://" + l.Bucket + "/" + l.Key
	default:
		return l.Key
	}
}

// Join returns the location of elem below l. It refuses elements that would leave l
// (absolute paths or ".." components), so that a run writes only under its output.
func (l Location) Join(elem ...string) (Location, error) {
	rel := path.Join(elem...)
	if path.IsAbs(rel) || hasDotDot(strings.Join(elem, "/")) {
		return Location{}, fmt.Errorf("location %s: %q escapes it", l, strings.Join(elem, "/"))
	}
	if rel == "" || rel == "." {
		return l, nil
	}
	out := l
	out.Dir = false
	switch {
	case l.Key == "":
		out.Key = path.Clean(rel)
	case l.Scheme == SchemeFile && l.Key == ".":
		out.Key = path.Clean(rel)
	default:
		out.Key = path.Clean(l.Key + "/" + rel)
	}
	return out, nil
}

// MustJoin is Join for elements known to stay below l (constant names); it panics otherwise.
func (l Location) MustJoin(elem ...string) Location {
	j, err := l.Join(elem...)
	if err != nil {
		panic(err)
	}
	return j
}

// Rel returns the key of child relative to l, or an error when child is not below l.
func (l Location) Rel(child Location) (string, error) {
	if child.Scheme != l.Scheme || child.Bucket != l.Bucket {
		return "", fmt.Errorf("location %s is not below %s", child, l)
	}
	if l.Key == "" || (l.Scheme == SchemeFile && l.Key == ".") {
		return child.Key, nil
	}
	if child.Key == l.Key {
		return "", nil
	}
	if !strings.HasPrefix(child.Key, l.Key+"/") {
		return "", fmt.Errorf("location %s is not below %s", child, l)
	}
	return strings.TrimPrefix(child.Key, l.Key+"/"), nil
}

// Base returns the last element of the location's key.
func (l Location) Base() string { return path.Base(l.Key) }

// Object describes one stored object.
type Object struct {
	Location Location
	Size     int64
	ModTime  time.Time
}

// Reader reads one object with random access, as Parquet readers need.
type Reader interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
	// Size is the object's size in bytes.
	Size() int64
}

// Writer writes one object. Nothing is visible under the final name until Commit returns
// nil; Abort (or a crash) leaves nothing behind there. Calling Abort after Commit is a no-op,
// so `defer w.Abort()` is the idiom.
type Writer interface {
	io.Writer
	// Commit makes the object visible, whole, under its final name.
	Commit() error
	// Abort discards what was written.
	Abort() error
}

// Store is an object store: the local file system or an S3-compatible service.
type Store interface {
	// Stat describes the object at loc, or returns an error wrapping ErrNotExist.
	Stat(ctx context.Context, loc Location) (Object, error)
	// List returns every object below the prefix loc (recursively), sorted by key.
	List(ctx context.Context, prefix Location) ([]Object, error)
	// Open opens the object at loc for reading.
	Open(ctx context.Context, loc Location) (Reader, error)
	// Create starts writing the object at loc; see Writer.
	Create(ctx context.Context, loc Location) (Writer, error)
	// Delete removes the object at loc; deleting a missing object is not an error.
	Delete(ctx context.Context, loc Location) error
}
