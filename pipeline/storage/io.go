package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// ReadAll returns the whole content of the object at loc.
func ReadAll(ctx context.Context, st Store, loc Location) ([]byte, error) {
	r, err := st.Open(ctx, loc)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		// The readers' errors already name the location (os.PathError, the S3 reader's).
		return nil, err
	}
	return b, nil
}

// WriteAll writes data as the object at loc, atomically.
func WriteAll(ctx context.Context, st Store, loc Location, data []byte) error {
	w, err := st.Create(ctx, loc)
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", loc, err)
	}
	return w.Commit()
}

// Resolve expands an input location into the objects it names, sorted by key: a single
// object, every object below a prefix whose name ends in one of exts (e.g. ".parquet"), or
// the objects matching a glob (path.Match syntax in the last elements of the key). An input
// that names nothing is an error.
func Resolve(ctx context.Context, st Store, loc Location, exts ...string) ([]Object, error) {
	if i := strings.IndexAny(loc.Key, "*?["); i >= 0 {
		return resolveGlob(ctx, st, loc, i)
	}
	if !loc.Dir {
		o, err := st.Stat(ctx, loc)
		switch {
		case err == nil:
			return []Object{o}, nil
		case !errors.Is(err, ErrNotExist):
			// An unreachable store is not an empty prefix: say what failed.
			return nil, fmt.Errorf("input %s: %w", loc, err)
		}
	}
	objs, err := st.List(ctx, loc)
	if err != nil {
		return nil, err
	}
	var out []Object
	for _, o := range objs {
		if hasExt(o.Location.Key, exts) && !hidden(loc, o.Location) {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("input %s: no %s files: %w", loc, strings.Join(exts, " or "), ErrNotExist)
	}
	return out, nil
}

func resolveGlob(ctx context.Context, st Store, loc Location, meta int) ([]Object, error) {
	base := loc
	base.Key = loc.Key[:meta]
	if j := strings.LastIndex(base.Key, "/"); j >= 0 {
		base.Key = base.Key[:j]
	} else {
		base.Key = ""
		if loc.Scheme == SchemeFile {
			base.Key = "."
		}
	}
	base.Dir = true
	objs, err := st.List(ctx, base)
	if err != nil {
		return nil, err
	}
	var out []Object
	for _, o := range objs {
		key := o.Location.Key
		if loc.Scheme == SchemeFile && base.Key == "." {
			key = strings.TrimPrefix(key, "./")
		}
		ok, err := path.Match(loc.Key, key)
		if err != nil {
			return nil, fmt.Errorf("input %s: bad glob: %w", loc, err)
		}
		if ok {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("input %s: the glob matches nothing: %w", loc, ErrNotExist)
	}
	return out, nil
}

func hasExt(key string, exts []string) bool {
	if len(exts) == 0 {
		return true
	}
	for _, e := range exts {
		if strings.HasSuffix(strings.ToLower(key), e) {
			return true
		}
	}
	return false
}

// hidden reports whether an object below prefix sits in a hidden or underscore-prefixed
// file or directory (_SUCCESS, .staging), which Hive-style readers skip.
func hidden(prefix, o Location) bool {
	rel, err := prefix.Rel(o)
	if err != nil {
		return false
	}
	for _, part := range strings.Split(rel, "/") {
		if strings.HasPrefix(part, ".") || strings.HasPrefix(part, "_") {
			return true
		}
	}
	return false
}
