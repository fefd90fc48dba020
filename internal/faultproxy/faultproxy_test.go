package faultproxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// upstream serves GET /obj/<n> with a 1000-byte body, HEAD likewise without one, and PUT
// with an empty 200; it counts the requests that reach it.
func upstream(t *testing.T) (*httptest.Server, func() int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	body := bytes.Repeat([]byte("0123456789"), 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		io.Copy(io.Discard, r.Body)
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.Header().Set("X-Host", r.Host)
			w.WriteHeader(http.StatusOK)
			if r.Method == http.MethodGet {
				w.Write(body)
			}
		default:
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusOK)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() int { mu.Lock(); defer mu.Unlock(); return n }
}

func start(t *testing.T, cfg Config) *Proxy {
	t.Helper()
	p, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// client does not retry and does not reuse connections, so every request is one attempt.
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// outcome is what a client saw: a status, or an error, and the body it read.
type outcome struct {
	status int
	body   []byte
	err    error
}

func do(t *testing.T, method, url string) outcome {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := client.Do(req)
	if err != nil {
		return outcome{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return outcome{status: resp.StatusCode, body: b, err: err}
}

func TestEachKind(t *testing.T) {
	up, reached := upstream(t)
	tests := []struct {
		kind    Kind
		method  string
		forward bool // the request reaches the server
		check   func(o outcome) error
	}{
		{InternalError, http.MethodGet, false, func(o outcome) error {
			if o.status != 500 || !bytes.Contains(o.body, []byte("<Code>InternalError</Code>")) {
				return fmt.Errorf("want 500 InternalError")
			}
			return nil
		}},
		{SlowDown, http.MethodPut, false, func(o outcome) error {
			if o.status != 503 || !bytes.Contains(o.body, []byte("<Code>SlowDown</Code>")) {
				return fmt.Errorf("want 503 SlowDown")
			}
			return nil
		}},
		{Reset, http.MethodGet, false, func(o outcome) error {
			if o.err == nil || o.status != 0 {
				return fmt.Errorf("want a connection error")
			}
			return nil
		}},
		{Slow, http.MethodGet, true, func(o outcome) error {
			if o.err != nil || o.status != 200 || len(o.body) != 1000 {
				return fmt.Errorf("want the whole response, late")
			}
			return nil
		}},
		{Truncate, http.MethodGet, true, func(o outcome) error {
			// Headers promise 1000 bytes; 500 arrive, then the connection ends.
			if o.status != 200 || len(o.body) != 500 || !errors.Is(o.err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("want 200 with 500 of 1000 bytes and an unexpected EOF")
			}
			return nil
		}},
		{Truncate, http.MethodHead, true, func(o outcome) error {
			if o.err == nil {
				return fmt.Errorf("want the response lost (a connection error)")
			}
			return nil
		}},
		{Truncate, http.MethodPut, true, func(o outcome) error {
			if o.err == nil {
				return fmt.Errorf("want the response lost (a connection error)")
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+tt.method, func(t *testing.T) {
			p := start(t, Config{Target: up.URL, Rate: 1, Kinds: []Kind{tt.kind}, MaxDelay: time.Millisecond})
			before := reached()
			o := do(t, tt.method, p.URL+"/bucket/key")
			if err := tt.check(o); err != nil {
				t.Errorf("%v; got status %d, %d bytes, error %v", err, o.status, len(o.body), o.err)
			}
			if got := reached() - before; got != map[bool]int{true: 1, false: 0}[tt.forward] {
				t.Errorf("%d requests reached the server; forwarded = %v", got, tt.forward)
			}
			if s := p.Stats(); s.Faults[tt.kind] != 1 || s.Total() != 1 || s.Requests != 1 {
				t.Errorf("stats %v", s)
			}
		})
	}
}

func TestForwardsHostUnchanged(t *testing.T) {
	up, _ := upstream(t)
	p := start(t, Config{Target: up.URL})
	o := do(t, http.MethodGet, p.URL+"/b/k")
	if o.err != nil || o.status != 200 {
		t.Fatalf("%+v", o)
	}
	resp, err := client.Get(p.URL + "/b/k")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// SigV4 signs the Host header: the server must see the one the client sent.
	if got, want := resp.Header.Get("X-Host"), strings.TrimPrefix(p.URL, "http://"); got != want {
		t.Errorf("server saw Host %q, want the client's %q", got, want)
	}
}

// pattern runs n distinct requests, each twice (a "retry"), and returns which failed.
func pattern(t *testing.T, p *Proxy, n int) []bool {
	t.Helper()
	var out []bool
	for i := range n {
		for range 2 {
			o := do(t, http.MethodGet, fmt.Sprintf("%s/bucket/obj-%d", p.URL, i))
			out = append(out, o.err != nil || o.status != 200)
		}
	}
	return out
}

func TestDeterministicRate(t *testing.T) {
	up, _ := upstream(t)
	const n = 400 // 800 requests
	cfg := Config{Target: up.URL, Rate: 0.1, Seed: 42, Kinds: Failures}
	a := pattern(t, start(t, cfg), n)
	b := pattern(t, start(t, cfg), n)
	cfg.Seed = 43
	c := pattern(t, start(t, cfg), n)
	failed := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: the same seed gave different faults", i)
		}
		if a[i] {
			failed++
		}
	}
	// Binomial(800, 0.1): mean 80, standard deviation 8.5; ±4 sd.
	if failed < 46 || failed > 114 {
		t.Errorf("%d of %d requests failed at rate 0.1", failed, len(a))
	}
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Error("seeds 42 and 43 gave the same faults")
	}
	// A retry is a new draw: both attempts of a request fail about 1% of the time, not 10%.
	both := 0
	for i := 0; i < len(a); i += 2 {
		if a[i] && a[i+1] {
			both++
		}
	}
	if both > 15 { // Binomial(400, 0.01): mean 4
		t.Errorf("%d of %d requests failed on both attempts", both, n)
	}
}

func TestMatchAndSetRate(t *testing.T) {
	up, _ := upstream(t)
	p := start(t, Config{Target: up.URL, Rate: 1, Kinds: []Kind{InternalError}, Match: Writes})
	if o := do(t, http.MethodGet, p.URL+"/b/k"); o.status != 200 {
		t.Errorf("GET got %d; reads are not eligible", o.status)
	}
	if o := do(t, http.MethodPut, p.URL+"/b/k"); o.status != 500 {
		t.Errorf("PUT got %d; want 500", o.status)
	}
	p.SetRate(0)
	if o := do(t, http.MethodPut, p.URL+"/b/k"); o.status != 200 {
		t.Errorf("PUT after SetRate(0) got %d", o.status)
	}
}

func TestMax(t *testing.T) {
	up, _ := upstream(t)
	p := start(t, Config{Target: up.URL, Rate: 1, Max: 1, Kinds: []Kind{SlowDown}})
	if o := do(t, http.MethodPut, p.URL+"/b/k"); o.status != 503 {
		t.Errorf("first request got %d; want 503", o.status)
	}
	if o := do(t, http.MethodPut, p.URL+"/b/k"); o.status != 200 {
		t.Errorf("retry got %d; want 200 (Max 1)", o.status)
	}
	f := p.Faults()
	if len(f) != 1 || f[0] != (Fault{Kind: SlowDown, Operation: "PutObject", Signature: "PUT /b/k", Attempt: 0}) {
		t.Errorf("faults %+v", f)
	}
}

func TestHold(t *testing.T) {
	up, reached := upstream(t)
	p := start(t, Config{Target: up.URL})
	h := p.Hold(func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/latest.json") })
	if o := do(t, http.MethodGet, p.URL+"/b/other"); o.status != 200 {
		t.Fatalf("%+v", o)
	}
	done := make(chan outcome)
	go func() { done <- do(t, http.MethodPut, p.URL+"/b/out/latest.json") }()
	<-h.Reached()
	if got := h.Request(); got != "PUT /b/out/latest.json" {
		t.Errorf("held %q", got)
	}
	select {
	case o := <-done:
		t.Fatalf("held request answered: %+v", o)
	default:
	}
	if reached() != 1 {
		t.Errorf("%d requests reached the server; the held one must not", reached())
	}
	h.Release()
	if o := <-done; o.status != 200 {
		t.Errorf("released request: %+v", o)
	}
	if reached() != 2 {
		t.Errorf("%d requests reached the server after the release", reached())
	}

	// A dropped request never reaches the server; its client sees the connection reset.
	h = p.Hold(func(r *http.Request) bool { return r.Method == http.MethodPut })
	go func() { done <- do(t, http.MethodPut, p.URL+"/b/out/manifest.json") }()
	<-h.Reached()
	h.Drop()
	if o := <-done; o.err == nil {
		t.Errorf("dropped request answered: %+v", o)
	}
	if reached() != 2 {
		t.Errorf("%d requests reached the server; the dropped one must not", reached())
	}
}

func TestOperation(t *testing.T) {
	tests := []struct{ method, url, want string }{
		{"GET", "/b/k", "GetObject"},
		{"GET", "/b?list-type=2&prefix=x", "ListObjects"},
		{"GET", "/b?uploads", "ListMultipartUploads"},
		{"HEAD", "/b/k", "HeadObject"},
		{"PUT", "/b/k?x-id=PutObject", "PutObject"},
		{"PUT", "/b/k?partNumber=2&uploadId=abc", "UploadPart"},
		{"POST", "/b/k?uploads", "CreateMultipartUpload"},
		{"POST", "/b/k?uploadId=abc", "CompleteMultipartUpload"},
		{"DELETE", "/b/k?uploadId=abc", "AbortMultipartUpload"},
		{"DELETE", "/b/k", "DeleteObject"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.url, nil)
		if got := Operation(r); got != tt.want {
			t.Errorf("%s %s: %s, want %s", tt.method, tt.url, got, tt.want)
		}
	}
	// Signatures leave out random upload ids, so retries of a part are the same signature.
	a := Signature(httptest.NewRequest("PUT", "/b/k?partNumber=2&uploadId=abc", nil))
	b := Signature(httptest.NewRequest("PUT", "/b/k?partNumber=2&uploadId=xyz", nil))
	if a != b {
		t.Errorf("signatures %q and %q differ by upload id", a, b)
	}
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Target: "127.0.0.1:9000"},
		{Target: "http://127.0.0.1:9000", Rate: 1.5},
		{Target: "http://127.0.0.1:9000", Kinds: []Kind{"teapot"}},
	} {
		if p, err := Start(cfg); err == nil {
			p.Close()
			t.Errorf("Start(%+v) succeeded", cfg)
		}
	}
}
