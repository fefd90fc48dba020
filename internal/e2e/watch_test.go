//go:build linux

package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"
)

// fileEvent is one change to a local output as it happens: a file or folder created, or a
// file renamed into place (a commit of lendscore's local store).
type fileEvent struct {
	Op   string // "mkdir", "create" or "commit"
	Path string // relative to the watched output, slash-separated
}

func (e fileEvent) String() string { return e.Op + " " + e.Path }

// tempFor reports whether the event is about one of lendscore's temporary files
// (.lendscore-tmp-<name>-<random>), and returns the final path it stands for.
func (e fileEvent) tempFor() (string, bool) {
	base := filepath.Base(e.Path)
	const prefix = ".lendscore-tmp-"
	if !strings.HasPrefix(base, prefix) {
		return "", false
	}
	name := strings.TrimPrefix(base, prefix)
	if i := strings.LastIndex(name, "-"); i > 0 {
		name = name[:i]
	}
	return joinRel(filepath.Dir(e.Path), name), true
}

func joinRel(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}

// watcher reports the changes below a local folder with inotify, as they happen, so that a
// test can kill a process right when it starts or finishes writing a given file. Folders
// created below the root are watched as they appear; files created in a new folder before
// its watch is set are reported from a scan of the folder.
type watcher struct {
	f      *os.File
	fd     int // the inotify descriptor; f.Fd() would make it blocking
	root   string
	events chan fileEvent

	mu   sync.Mutex
	dirs map[int32]string // watch descriptor → folder, relative to root
	seen []fileEvent      // every event, in order
	done chan struct{}
}

const watchMask = syscall.IN_CREATE | syscall.IN_MOVED_TO

func watch(t testing.TB, root string) *watcher {
	t.Helper()
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		t.Fatalf("inotify: %v", err)
	}
	w := &watcher{f: os.NewFile(uintptr(fd), "inotify"), fd: fd, root: root, events: make(chan fileEvent, 1<<14), dirs: map[int32]string{}, done: make(chan struct{})}
	if err := w.add("."); err != nil {
		t.Fatalf("inotify: %v", err)
	}
	// Folders that exist already (runs/) are watched too.
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != root {
			rel, _ := filepath.Rel(root, p)
			w.add(filepath.ToSlash(rel))
		}
		return nil
	})
	go w.loop()
	t.Cleanup(w.close)
	return w
}

func (w *watcher) add(rel string) error {
	wd, err := syscall.InotifyAddWatch(w.fd, filepath.Join(w.root, filepath.FromSlash(rel)), watchMask)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.dirs[int32(wd)] = rel
	w.mu.Unlock()
	return nil
}

func (w *watcher) emit(e fileEvent) {
	w.mu.Lock()
	w.seen = append(w.seen, e)
	w.mu.Unlock()
	select {
	case w.events <- e:
	default:
	}
}

func (w *watcher) loop() {
	defer close(w.done)
	defer close(w.events)
	buf := make([]byte, 64<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return // closed
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
			off += syscall.SizeofInotifyEvent + int(ev.Len)
			name = bytes.TrimRight(name, "\x00")
			w.mu.Lock()
			dir, ok := w.dirs[ev.Wd]
			w.mu.Unlock()
			if !ok || len(name) == 0 {
				continue
			}
			rel := joinRel(dir, string(name))
			switch {
			case ev.Mask&syscall.IN_ISDIR != 0 && ev.Mask&syscall.IN_CREATE != 0:
				w.emit(fileEvent{"mkdir", rel})
				if w.add(rel) == nil {
					w.scan(rel)
				}
			case ev.Mask&syscall.IN_CREATE != 0:
				w.emit(fileEvent{"create", rel})
			case ev.Mask&syscall.IN_MOVED_TO != 0:
				w.emit(fileEvent{"commit", rel})
			}
		}
	}
}

// scan reports what a new folder held before its watch was set.
func (w *watcher) scan(rel string) {
	entries, _ := os.ReadDir(filepath.Join(w.root, filepath.FromSlash(rel)))
	for _, e := range entries {
		p := joinRel(rel, e.Name())
		switch {
		case e.IsDir():
			w.emit(fileEvent{"mkdir", p})
			if w.add(p) == nil {
				w.scan(p)
			}
		case strings.HasPrefix(e.Name(), ".lendscore-tmp-"):
			w.emit(fileEvent{"create", p})
		default:
			// Written and committed before the watch was set (the watcher fell behind a
			// busy machine): its writing is reported as well, after the fact, so that a
			// kill point waiting for it is passed, late, rather than missed.
			w.emit(fileEvent{"create", joinRel(rel, ".lendscore-tmp-"+e.Name()+"-scanned")})
			w.emit(fileEvent{"commit", p})
		}
	}
}

// next waits for the next event that match accepts and reports whether one came before
// stop was closed (the process ended).
func (w *watcher) next(match func(fileEvent) bool, stop <-chan struct{}) (fileEvent, bool) {
	for {
		select {
		case e, ok := <-w.events:
			if !ok {
				return fileEvent{}, false
			}
			if match(e) {
				return e, true
			}
		case <-stop:
			// The process is gone, but the watcher may not have read its last changes
			// yet (select picks either ready case): look through them before giving up.
			return w.drain(match)
		}
	}
}

// drain reads every change made so far (up to a marker file it creates, as settle does) and
// returns the first that matches.
func (w *watcher) drain(match func(fileEvent) bool) (fileEvent, bool) {
	marker := filepath.Join(w.root, ".e2e-settle")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		return fileEvent{}, false
	}
	defer os.Remove(marker)
	var found *fileEvent
	for e := range w.events {
		if e.Op == "create" && e.Path == ".e2e-settle" {
			break
		}
		if found == nil && match(e) {
			found = &e
		}
	}
	if found == nil {
		return fileEvent{}, false
	}
	return *found, true
}

// settle waits until the watcher has read every change made so far: it creates a marker
// file in the root and waits for its event.
func (w *watcher) settle(t testing.TB) {
	t.Helper()
	marker := filepath.Join(w.root, ".e2e-settle")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(marker)
	for {
		e, ok := <-w.events
		if !ok || (e.Op == "create" && e.Path == ".e2e-settle") {
			return
		}
	}
}

// close stops the watcher; history is still available.
func (w *watcher) close() {
	if err := w.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		panic(fmt.Sprint("inotify close: ", err))
	}
	<-w.done
}

// history returns every event seen so far.
func (w *watcher) history() []fileEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []fileEvent
	for _, e := range w.seen {
		if e.Path != ".e2e-settle" {
			out = append(out, e)
		}
	}
	return out
}
