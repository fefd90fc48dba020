package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"lendscore/internal/miniotest"
)

func TestMain(m *testing.M) { miniotest.Main(m) }

// testStore is a store with a root location that a test may fill.
type testStore struct {
	name string
	st   Store
	root Location
}

// stores returns the local store rooted in a temporary directory and the S3 store rooted
// in a fresh MinIO bucket.
func stores(t *testing.T) []testStore {
	t.Helper()
	local := testStore{name: "local", st: Local{}, root: MustParse(filepath.ToSlash(t.TempDir()) + "/")}
	srv := miniotest.Start(t)
	s3, err := NewS3(context.Background(), Options{})
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	return []testStore{local, {name: "s3", st: s3, root: MustParse("s3://" + srv.Bucket + "/")}}
}

func forEachStore(t *testing.T, fn func(t *testing.T, ts testStore)) {
	for _, ts := range stores(t) {
		t.Run(ts.name, func(t *testing.T) { fn(t, ts) })
	}
}

func put(t *testing.T, st Store, loc Location, data string) {
	t.Helper()
	if err := WriteAll(context.Background(), st, loc, []byte(data)); err != nil {
		t.Fatalf("write %s: %v", loc, err)
	}
}

func keysBelow(t *testing.T, root Location, objs []Object) []string {
	t.Helper()
	var out []string
	for _, o := range objs {
		rel, err := root.Rel(o.Location)
		if err != nil {
			t.Fatalf("listed %s outside %s", o.Location, root)
		}
		out = append(out, rel)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, ts testStore) {
		ctx := context.Background()
		loc := ts.root.MustJoin("a", "b", "data.bin")
		data := bytes.Repeat([]byte("0123456789abcdef"), 100_000) // 1.6 MB
		if err := WriteAll(ctx, ts.st, loc, data); err != nil {
			t.Fatal(err)
		}
		got, err := ReadAll(ctx, ts.st, loc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("read %d bytes, want the %d written", len(got), len(data))
		}
		o, err := ts.st.Stat(ctx, loc)
		if err != nil {
			t.Fatal(err)
		}
		if o.Size != int64(len(data)) || o.Location != loc || o.ModTime.IsZero() {
			t.Errorf("Stat = %+v, want size %d at %s with a time", o, len(data), loc)
		}

		r, err := ts.st.Open(ctx, loc)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if r.Size() != int64(len(data)) {
			t.Errorf("Size() = %d, want %d", r.Size(), len(data))
		}
		// Random access: small reads (windowed on S3), large reads, reads at the end.
		for _, c := range []struct{ off, n int64 }{
			{0, 4}, {int64(len(data)) - 8, 8}, {12345, 70_000}, {1_000_000, 600_000},
			{int64(len(data)) - 100, 100}, {500, 1},
		} {
			buf := make([]byte, c.n)
			n, err := r.ReadAt(buf, c.off)
			if err != nil || int64(n) != c.n || !bytes.Equal(buf, data[c.off:c.off+c.n]) {
				t.Errorf("ReadAt(%d bytes at %d) = %d, %v; want the bytes and nil", c.n, c.off, n, err)
			}
		}
		buf := make([]byte, 10)
		if n, err := r.ReadAt(buf, int64(len(data))-4); n != 4 || err != io.EOF || !bytes.Equal(buf[:4], data[len(data)-4:]) {
			t.Errorf("ReadAt past the end = %d, %v; want 4, EOF", n, err)
		}
		if n, err := r.ReadAt(buf, int64(len(data))); n != 0 || err != io.EOF {
			t.Errorf("ReadAt at the end = %d, %v; want 0, EOF", n, err)
		}
		// Seek, then read sequentially to the end.
		if pos, err := r.Seek(-1000, io.SeekEnd); err != nil || pos != int64(len(data))-1000 {
			t.Fatalf("Seek = %d, %v", pos, err)
		}
		tail, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(tail, data[len(data)-1000:]) {
			t.Errorf("read after Seek: %d bytes, %v; want the last 1000", len(tail), err)
		}
		if _, err := r.Seek(10, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 6)
		if _, err := io.ReadFull(r, head); err != nil || string(head) != "abcdef" {
			t.Errorf("read after Seek(10) = %q, %v; want abcdef", head, err)
		}
	})
}

func TestEmptyObject(t *testing.T) {
	forEachStore(t, func(t *testing.T, ts testStore) {
		ctx := context.Background()
		loc := ts.root.MustJoin("empty")
		put(t, ts.st, loc, "")
		got, err := ReadAll(ctx, ts.st, loc)
		if err != nil || len(got) != 0 {
			t.Errorf("ReadAll = %q, %v; want empty", got, err)
		}
	})
}

func TestWriterAtomicity(t *testing.T) {
	forEachStore(t, func(t *testing.T, ts testStore) {
		ctx := context.Background()
		loc := ts.root.MustJoin("out", "x.json")

		w, err := ts.st.Create(ctx, loc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(`{"half":`)); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.st.Stat(ctx, loc); !errors.Is(err, ErrNotExist) {
			t.Errorf("before Commit, Stat = %v; want ErrNotExist", err)
		}
		if objs, _ := ts.st.List(ctx, ts.root); len(objs) != 0 {
			t.Errorf("before Commit, List = %v; want nothing", objs)
		}
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		if _, err := ts.st.Stat(ctx, loc); !errors.Is(err, ErrNotExist) {
			t.Errorf("after Abort, Stat = %v; want ErrNotExist", err)
		}
		if objs, err := ts.st.List(ctx, ts.root); err != nil || len(objs) != 0 {
			t.Errorf("after Abort, List = %v, %v; want nothing", objs, err)
		}
		if _, err := w.Write([]byte("more")); err == nil {
			t.Error("Write after Abort succeeded")
		}
		if err := w.Commit(); err == nil {
			t.Error("Commit after Abort succeeded")
		}

		// An existing object stays whole while it is being replaced.
		put(t, ts.st, loc, "old")
		w, err = ts.st.Create(ctx, loc)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("new but unfinished"))
		if got, _ := ReadAll(ctx, ts.st, loc); string(got) != "old" {
			t.Errorf("during a replacement, read %q; want old", got)
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if got, _ := ReadAll(ctx, ts.st, loc); string(got) != "new but unfinished" {
			t.Errorf("after Commit, read %q", got)
		}
		if err := w.Abort(); err != nil {
			t.Errorf("Abort after Commit = %v; want nil (a no-op)", err)
		}
		if got, _ := ReadAll(ctx, ts.st, loc); string(got) != "new but unfinished" {
			t.Errorf("Abort after Commit changed the object: %q", got)
		}
	})
}

func TestNotExist(t *testing.T) {
	forEachStore(t, func(t *testing.T, ts testStore) {
		ctx := context.Background()
		missing := ts.root.MustJoin("no", "such.parquet")
		if _, err := ts.st.Stat(ctx, missing); !errors.Is(err, ErrNotExist) {
			t.Errorf("Stat: %v; want ErrNotExist", err)
		}
		if _, err := ts.st.Open(ctx, missing); !errors.Is(err, ErrNotExist) {
			t.Errorf("Open: %v; want ErrNotExist", err)
		} else if !strings.Contains(err.Error(), missing.String()) {
			t.Errorf("Open error %q does not name %s", err, missing)
		}
		if err := ts.st.Delete(ctx, missing); err != nil {
			t.Errorf("Delete of a missing object: %v", err)
		}
		if objs, err := ts.st.List(ctx, ts.root.MustJoin("nothing-here")); err != nil || len(objs) != 0 {
			t.Errorf("List of an empty prefix = %v, %v; want nothing, nil", objs, err)
		}
		if _, err := Resolve(ctx, ts.st, ts.root.MustJoin("nothing-here"), ".parquet"); !errors.Is(err, ErrNotExist) {
			t.Errorf("Resolve of an empty prefix: %v; want ErrNotExist", err)
		}
	})
}

func TestDelete(t *testing.T) {
	forEachStore(t, func(t *testing.T, ts testStore) {
		ctx := context.Background()
		loc := ts.root.MustJoin("gone.txt")
		put(t, ts.st, loc, "x")
		if err := ts.st.Delete(ctx, loc); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.st.Stat(ctx, loc); !errors.Is(err, ErrNotExist) {
			t.Errorf("after Delete, Stat = %v", err)
		}
	})
}

// fillTable writes a Hive-style table folder with the litter real ones carry.
func fillTable(t *testing.T, ts testStore) {
	for _, k := range []string{
		"t/dt=2025-01-31/part-00001.parquet",
		"t/dt=2025-01-31/part-00000.parquet",
		"t/dt=2025-01-31/_SUCCESS",
		"t/dt=2025-01-31/.part-00002.parquet.crc",
		"t/dt=2025-01-31/_tmp/part-00009.parquet",
		"t/dt=2025-02-28/part-00000.parquet",
		"t/dt=2025-02-28/notes.txt",
		"t/flat.csv",
		"t/FLAT2.CSV",
		"tx/other.parquet",
	} {
		put(t, ts.st, ts.root.MustJoin(k), k)
	}
}

func TestList(t *testing.T) {
	forEachStore(t, func(t *testing.T, ts testStore) {
		fillTable(t, ts)
		objs, err := ts.st.List(context.Background(), ts.root.MustJoin("t"))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"t/FLAT2.CSV",
			"t/dt=2025-01-31/.part-00002.parquet.crc",
			"t/dt=2025-01-31/_SUCCESS",
			"t/dt=2025-01-31/_tmp/part-00009.parquet",
			"t/dt=2025-01-31/part-00000.parquet",
			"t/dt=2025-01-31/part-00001.parquet",
			"t/dt=2025-02-28/notes.txt",
			"t/dt=2025-02-28/part-00000.parquet",
			"t/flat.csv",
		}
		if got := keysBelow(t, ts.root, objs); !slices.Equal(got, want) {
			t.Errorf("List = %q\nwant   %q", got, want)
		}
		for _, o := range objs {
			if rel, _ := ts.root.Rel(o.Location); o.Size != int64(len(rel)) {
				t.Errorf("%s: size %d, want %d", o.Location, o.Size, len(rel))
			}
		}
	})
}

// under returns the location string of rel below root, keeping rel's glob characters and
// trailing slash, which Join would clean away.
func under(root Location, rel string) string {
	return strings.TrimSuffix(root.String(), "/") + "/" + rel
}

func TestResolve(t *testing.T) {
	tests := []struct {
		input string // relative to the store's root
		exts  []string
		want  []string
	}{
		{"t/dt=2025-01-31/part-00001.parquet", []string{".parquet"}, []string{"t/dt=2025-01-31/part-00001.parquet"}},
		// A single file is taken as named, whatever its extension.
		{"t/dt=2025-02-28/notes.txt", []string{".parquet"}, []string{"t/dt=2025-02-28/notes.txt"}},
		{"t/dt=2025-01-31/", []string{".parquet"}, []string{"t/dt=2025-01-31/part-00000.parquet", "t/dt=2025-01-31/part-00001.parquet"}},
		{"t", []string{".parquet"}, []string{
			"t/dt=2025-01-31/part-00000.parquet", "t/dt=2025-01-31/part-00001.parquet", "t/dt=2025-02-28/part-00000.parquet",
		}},
		{"t/", []string{".parquet", ".csv"}, []string{
			"t/FLAT2.CSV", "t/dt=2025-01-31/part-00000.parquet", "t/dt=2025-01-31/part-00001.parquet",
			"t/dt=2025-02-28/part-00000.parquet", "t/flat.csv",
		}},
		{"t/dt=*/part-00000.parquet", []string{".parquet"}, []string{"t/dt=2025-01-31/part-00000.parquet", "t/dt=2025-02-28/part-00000.parquet"}},
		{"t/dt=2025-01-31/part-0000[01].parquet", nil, []string{"t/dt=2025-01-31/part-00000.parquet", "t/dt=2025-01-31/part-00001.parquet"}},
		{"t/*.csv", nil, []string{"t/flat.csv"}},
	}
	forEachStore(t, func(t *testing.T, ts testStore) {
		fillTable(t, ts)
		for _, tt := range tests {
			in, err := Parse(under(ts.root, tt.input))
			if err != nil {
				t.Fatal(err)
			}
			objs, err := Resolve(context.Background(), ts.st, in, tt.exts...)
			if err != nil {
				t.Errorf("Resolve(%s): %v", tt.input, err)
				continue
			}
			if got := keysBelow(t, ts.root, objs); !slices.Equal(got, tt.want) {
				t.Errorf("Resolve(%s) = %q\nwant %q", tt.input, got, tt.want)
			}
		}
		for _, bad := range []string{"t/*.json", "t/dt=2025-03-31/", "zz"} {
			in := MustParse(under(ts.root, bad))
			if _, err := Resolve(context.Background(), ts.st, in, ".parquet"); !errors.Is(err, ErrNotExist) {
				t.Errorf("Resolve(%s) = %v; want ErrNotExist", bad, err)
			}
		}
	})
}

func TestStoresFor(t *testing.T) {
	miniotest.Start(t)
	s := NewStores(Options{})
	ctx := context.Background()
	local, err := s.For(ctx, MustParse("out/x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := local.(Local); !ok {
		t.Errorf("For(out/x) = %T, want Local", local)
	}
	a, err := s.For(ctx, MustParse("s3://b/x"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.For(ctx, MustParse("s3://c/y"))
	if a != b {
		t.Error("For made two S3 stores; want one shared")
	}
	if _, err := s.For(ctx, Location{Scheme: "gs"}); err == nil {
		t.Error("For(gs://) succeeded")
	}
}

func Example() {
	ctx := context.Background()
	stores := NewStores(Options{})
	out, err := Parse("out/example/")
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := stores.For(ctx, out)
	if err != nil {
		fmt.Println(err)
		return
	}
	loc := out.MustJoin("hello.txt")
	w, err := st.Create(ctx, loc)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Abort() // a no-op once committed
	fmt.Fprintln(w, "hello")
	if err := w.Commit(); err != nil { // now, and only now, readers see the object
		fmt.Println(err)
		return
	}
	b, _ := ReadAll(ctx, st, loc)
	fmt.Print(string(b))
	st.Delete(ctx, loc)
	// Output: hello
}
