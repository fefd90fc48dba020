package pipeline

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgressLine(t *testing.T) {
	// A stage that has run for a minute shows its elapsed time, and the line is cleared at
	// the end.
	var w syncBuffer
	stop, done := make(chan struct{}), make(chan struct{})
	go showProgress(&w, "features", time.Now().Add(-time.Minute), stop, done)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(w.String(), "features … 1m") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	<-done
	out := w.String()
	if !strings.Contains(out, "\r\033[Kfeatures … 1m") || !strings.HasSuffix(out, "\r\033[K") {
		t.Fatalf("progress output %q", out)
	}

	// A short stage prints nothing.
	var quiet syncBuffer
	stop, done = make(chan struct{}), make(chan struct{})
	go showProgress(&quiet, "score", time.Now(), stop, done)
	close(stop)
	<-done
	if quiet.String() != "" {
		t.Errorf("a short stage printed %q", quiet.String())
	}
}
