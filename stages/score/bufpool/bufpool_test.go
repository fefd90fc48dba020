package bufpool

import (
	"sync"
	"testing"
	"unsafe"
)

// TestAllocateRecycles: buffers are zeroed, 64-byte aligned, of the size asked, and a
// released buffer of the same size class is handed out again (the same memory), zeroed.
func TestAllocateRecycles(t *testing.T) {
	p := New(1 << 20)
	for _, size := range []int{1, 63, 64, 65, 1000, 4096, 100_000} {
		b := p.Allocate(size)
		if len(b) != size {
			t.Fatalf("size %d: len %d", size, len(b))
		}
		if a := uintptr(unsafe.Pointer(&b[0])); a%64 != 0 {
			t.Errorf("size %d: address %#x not 64-byte aligned", size, a)
		}
		for i := range b {
			b[i] = 0xff
		}
		p.Free(b)
		c := p.Allocate(size)
		if &c[0] != &b[0] {
			t.Errorf("size %d: the released buffer was not reused", size)
		}
		for i, v := range c {
			if v != 0 {
				t.Fatalf("size %d: byte %d of a reused buffer is %#x", size, i, v)
			}
		}
	}
	if p.Held() != 0 {
		t.Errorf("held %d bytes, want 0 (every buffer handed out again)", p.Held())
	}
}

// TestReallocate keeps the leading bytes, zeroes the new ones and releases a moved buffer.
func TestReallocate(t *testing.T) {
	p := New(1 << 20)
	b := p.Allocate(10) // capacity 64
	for i := range b {
		b[i] = byte(i + 1)
	}
	b = p.Reallocate(5, b)
	b = p.Reallocate(40, b) // within the capacity: bytes 5.. were written before, now zero
	for i, v := range b {
		want := byte(0)
		if i < 5 {
			want = byte(i + 1)
		}
		if v != want {
			t.Fatalf("byte %d = %d, want %d", i, v, want)
		}
	}
	old := &b[0]
	b = p.Reallocate(1000, b) // moves to a 1024-byte buffer; the 64-byte one is released
	if b[0] != 1 || b[4] != 5 || b[5] != 0 || len(b) != 1000 {
		t.Errorf("moved buffer %v…", b[:8])
	}
	if p.Held() != 64 {
		t.Errorf("held %d bytes, want the 64 of the old buffer", p.Held())
	}
	if c := p.Allocate(33); &c[0] != old {
		t.Error("the old buffer was not reused")
	}
}

// TestFreeBounds: the free lists hold at most the limit; foreign and odd-sized buffers are
// left alone.
func TestFreeBounds(t *testing.T) {
	p := New(3000)
	bufs := [][]byte{p.Allocate(1024), p.Allocate(1024), p.Allocate(1024)}
	for _, b := range bufs {
		p.Free(b)
	}
	if p.Held() != 2048 {
		t.Errorf("held %d, want 2048 (the third buffer exceeds the limit)", p.Held())
	}
	p.Free(make([]byte, 100))   // capacity not a power of two
	p.Free(make([]byte, 32))    // below the smallest class
	p.Free(make([]byte, 1<<27)) // above the largest
	if p.Held() != 2048 {
		t.Errorf("held %d after foreign buffers, want 2048", p.Held())
	}
	if b := p.Allocate(0); len(b) != 0 {
		t.Errorf("Allocate(0) has %d bytes", len(b))
	}
}

// TestConcurrent allocates and releases from several goroutines (go test -race).
func TestConcurrent(t *testing.T) {
	p := New(1 << 20)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				b := p.Allocate(100 + i%3000)
				for k := range b {
					if b[k] != 0 {
						t.Errorf("dirty byte")
						return
					}
					b[k] = byte(g + 1)
				}
				p.Free(b)
			}
		}()
	}
	wg.Wait()
}
