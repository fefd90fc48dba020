package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Local is the Store of the local file system. Writes go to a temporary file beside the
// target, are synced, and are renamed into place on Commit, which is atomic on POSIX file
// systems.
type Local struct{}

// Stat implements Store.
func (Local) Stat(ctx context.Context, loc Location) (Object, error) {
	fi, err := os.Stat(filepath.FromSlash(loc.Key))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Object{}, fmt.Errorf("%s: %w", loc, ErrNotExist)
		}
		return Object{}, err
	}
	if fi.IsDir() {
		// A directory is a prefix, not an object, as on S3.
		return Object{}, fmt.Errorf("%s: is a directory, not a file: %w", loc, ErrNotExist)
	}
	return Object{Location: loc, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// List implements Store. Temporary files of unfinished writes are not listed.
func (Local) List(ctx context.Context, prefix Location) ([]Object, error) {
	root := filepath.FromSlash(prefix.Key)
	var out []Object
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || isTemp(d.Name()) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, Object{
			Location: Location{Scheme: SchemeFile, Key: filepath.ToSlash(p)},
			Size:     fi.Size(),
			ModTime:  fi.ModTime(),
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Location.Key < out[j].Location.Key })
	return out, nil
}

const tempPrefix = ".lendscore-tmp-"

func isTemp(name string) bool {
	return len(name) >= len(tempPrefix) && name[:len(tempPrefix)] == tempPrefix
}

type localFile struct {
	*os.File
	size int64
}

func (f localFile) Size() int64 { return f.size }

// Open implements Store.
func (Local) Open(ctx context.Context, loc Location) (Reader, error) {
	f, err := os.Open(filepath.FromSlash(loc.Key))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", loc, ErrNotExist)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: is a directory", loc)
	}
	return localFile{File: f, size: fi.Size()}, nil
}

type localWriter struct {
	ctx    context.Context // checked last before the rename that makes the file visible
	f      *os.File
	final  string
	closed bool
}

// Create implements Store.
func (Local) Create(ctx context.Context, loc Location) (Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("create %s: %w", loc, err)
	}
	final := filepath.FromSlash(loc.Key)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", loc, err)
	}
	f, err := os.CreateTemp(dir, tempPrefix+filepath.Base(final)+"-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", loc, err)
	}
	return &localWriter{ctx: ctx, f: f, final: final}, nil
}

func (w *localWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

func (w *localWriter) Commit() error {
	if w.closed {
		return fmt.Errorf("commit %s: writer already closed", w.final)
	}
	w.closed = true
	if err := w.f.Sync(); err != nil {
		w.f.Close()
		os.Remove(w.f.Name())
		return fmt.Errorf("commit %s: %w", w.final, err)
	}
	if err := w.f.Close(); err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("commit %s: %w", w.final, err)
	}
	if err := os.Chmod(w.f.Name(), 0o644); err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("commit %s: %w", w.final, err)
	}
	if err := w.ctx.Err(); err != nil {
		// Cancelled while the data was being synced: nothing becomes visible.
		os.Remove(w.f.Name())
		return fmt.Errorf("commit %s: %w", w.final, err)
	}
	if err := os.Rename(w.f.Name(), w.final); err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("commit %s: %w", w.final, err)
	}
	// Sync the directory so that the rename survives a crash.
	if d, err := os.Open(filepath.Dir(w.final)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func (w *localWriter) Abort() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.f.Close()
	return os.Remove(w.f.Name())
}

// Delete implements Store.
func (Local) Delete(ctx context.Context, loc Location) error {
	err := os.Remove(filepath.FromSlash(loc.Key))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", loc, err)
	}
	return nil
}
