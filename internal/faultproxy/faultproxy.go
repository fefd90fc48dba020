// Package faultproxy is a reverse proxy for tests that stands between an S3 client and an
// S3-compatible server (such as the MinIO of internal/miniotest) and makes the server look
// unreliable: it answers a configurable share of the requests with 500 InternalError or
// 503 SlowDown (with S3 XML error bodies), resets connections, delays responses, or cuts
// response bodies short. It can also hold a chosen request, so that a test can kill the
// client at an exact point of its conversation with the store.
//
// Which requests get a fault is decided from a seed, deterministically: the decision for a
// request depends only on the seed, the request's signature (method, path, the query
// parameters that identify the operation, and the Range header) and how many requests with
// the same signature came before it, never on timing or on the order in which concurrent
// requests arrive. A retry of a failed request is a new draw.
//
// Point a client at Proxy.URL instead of the server (for the AWS SDK and lendscore:
// AWS_ENDPOINT_URL_S3). The proxy forwards the Host header unchanged, so SigV4 signatures
// made for the proxy's address verify at the server.
package faultproxy

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"log"
	"maps"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kind is a kind of fault.
type Kind string

// The faults the proxy injects.
const (
	// InternalError answers 500 with an S3 InternalError body; the request is not forwarded.
	InternalError Kind = "500"
	// SlowDown answers 503 with an S3 SlowDown body, as S3 does when it throttles; the
	// request is not forwarded.
	SlowDown Kind = "503"
	// Reset closes the connection with a TCP reset before answering; the request is not
	// forwarded.
	Reset Kind = "reset"
	// Slow delays the request by up to Config.MaxDelay, then forwards it normally.
	Slow Kind = "slow"
	// Truncate forwards the request, so that it takes effect at the server, then sends
	// the response headers with the full Content-Length and only the first half of the
	// body before closing the connection. A response without a body (a HEAD, an empty
	// PUT response) is lost entirely: the connection is reset instead of answered.
	Truncate Kind = "truncate"
)

// AllKinds lists every kind of fault.
var AllKinds = []Kind{InternalError, SlowDown, Reset, Slow, Truncate}

// Failures lists the kinds of fault that make a request fail (all but Slow).
var Failures = []Kind{InternalError, SlowDown, Reset, Truncate}

// DefaultMaxDelay bounds the delay of a Slow fault when Config.MaxDelay is zero.
const DefaultMaxDelay = 100 * time.Millisecond

// Config configures a Proxy.
type Config struct {
	// Target is the URL of the server the proxy forwards to, e.g. http://127.0.0.1:9000.
	Target string
	// Rate is the share of eligible requests that get a fault, from 0 to 1.
	Rate float64
	// Seed makes a different, equally reproducible, choice of faulty requests.
	Seed uint64
	// Kinds are the faults to choose from, uniformly; nil means AllKinds.
	Kinds []Kind
	// MaxDelay bounds the delay of a Slow fault; zero means DefaultMaxDelay.
	MaxDelay time.Duration
	// Match selects the requests that may get a fault; nil means every request.
	Match func(*http.Request) bool
	// Max bounds the number of faults injected; zero means no bound. With Rate 1 and
	// Max 1, exactly the first eligible request fails and its retry goes through.
	Max int
	// Key returns the signature that a request's fault decision hangs on; nil means
	// Signature. Set it to mask parts of requests that differ between runs of the same
	// work, such as run ids in object keys, so that every run gets the same faults.
	Key func(*http.Request) string
}

// Stats counts what the proxy saw and did.
type Stats struct {
	Requests   int            // requests received
	Operations map[string]int // requests received, by S3 operation (see Operation)
	Faults     map[Kind]int   // faults injected, by kind
	FaultsByOp map[string]int // faults injected, by S3 operation
	Held       int            // requests held by Hold
}

// Total is the number of faults injected.
func (s Stats) Total() int {
	n := 0
	for _, c := range s.Faults {
		n += c
	}
	return n
}

// String lists the fault counts, e.g. "7 faults of 93 requests (500: 2, 503: 1, …)".
func (s Stats) String() string {
	var parts []string
	for _, k := range AllKinds {
		if s.Faults[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s: %d", k, s.Faults[k]))
		}
	}
	return fmt.Sprintf("%d faults of %d requests (%s)", s.Total(), s.Requests, strings.Join(parts, ", "))
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	// URL is the proxy's address, e.g. http://127.0.0.1:41234.
	URL string

	cfg       Config
	proxy     *httputil.ReverseProxy
	transport *http.Transport
	server    *http.Server

	mu     sync.Mutex
	rate   float64
	seen   map[string]uint64 // requests per signature
	stats  Stats
	faults []Fault
	holds  []*Hold
}

// Fault is one fault the proxy injected.
type Fault struct {
	Kind      Kind
	Operation string // see Operation
	Signature string // the key of the decision (see Signature and Config.Key)
	Attempt   uint64 // how many requests with the same signature came before
}

// Faults lists the faults injected so far, in the order of the requests.
func (p *Proxy) Faults() []Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Fault(nil), p.faults...)
}

// Start starts a proxy on a free port of 127.0.0.1. Stop it with Close.
func Start(cfg Config) (*Proxy, error) {
	target, err := url.Parse(cfg.Target)
	if err != nil || target.Scheme == "" || target.Host == "" {
		return nil, fmt.Errorf("faultproxy: target %q: want a URL such as http://127.0.0.1:9000", cfg.Target)
	}
	if cfg.Rate < 0 || cfg.Rate > 1 || math.IsNaN(cfg.Rate) {
		return nil, fmt.Errorf("faultproxy: rate %g: want 0 to 1", cfg.Rate)
	}
	if cfg.Kinds == nil {
		cfg.Kinds = AllKinds
	}
	for _, k := range cfg.Kinds {
		if !knownKind(k) {
			return nil, fmt.Errorf("faultproxy: unknown fault kind %q", k)
		}
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = DefaultMaxDelay
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: %w", err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	quiet := log.New(io.Discard, "", 0)
	p := &Proxy{
		URL:       "http://" + l.Addr().String(),
		cfg:       cfg,
		transport: transport,
		rate:      cfg.Rate,
		seen:      map[string]uint64{},
		stats:     Stats{Operations: map[string]int{}, Faults: map[Kind]int{}, FaultsByOp: map[string]int{}},
	}
	p.proxy = &httputil.ReverseProxy{
		// The Host header stays the proxy's: the client signed it.
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(target); pr.Out.Host = pr.In.Host },
		Transport: transport,
		ErrorLog:  quiet,
	}
	p.server = &http.Server{Handler: http.HandlerFunc(p.serve), ErrorLog: quiet}
	go p.server.Serve(l)
	return p, nil
}

func knownKind(k Kind) bool {
	for _, a := range AllKinds {
		if a == k {
			return true
		}
	}
	return false
}

// Close stops the proxy, drops held requests and closes its connections.
func (p *Proxy) Close() error {
	p.mu.Lock()
	holds := p.holds
	p.holds = nil
	p.mu.Unlock()
	for _, h := range holds {
		h.Drop()
	}
	err := p.server.Close()
	p.transport.CloseIdleConnections()
	return err
}

// SetRate changes the share of eligible requests that get a fault from now on.
func (p *Proxy) SetRate(rate float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate = rate
}

// Stats returns what the proxy has counted so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{
		Requests:   p.stats.Requests,
		Operations: maps.Clone(p.stats.Operations),
		Faults:     maps.Clone(p.stats.Faults),
		FaultsByOp: maps.Clone(p.stats.FaultsByOp),
		Held:       p.stats.Held,
	}
}

// Hold makes the proxy hold the next request that match accepts: it is neither forwarded
// nor answered until Release is called (it is then forwarded, without a fault) or Drop (its
// connection is reset; the request never reaches the server). Reached is closed when the
// request arrives, so that a test can act — kill the client — at exactly that point.
//
// A server cannot tell that the client of a request with a body has gone until it reads
// the body, so a held request may outlive its client: Drop it, or Release forwards it.
func (p *Proxy) Hold(match func(*http.Request) bool) *Hold {
	h := &Hold{match: match, reached: make(chan struct{}), release: make(chan struct{}), drop: make(chan struct{})}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holds = append(p.holds, h)
	return h
}

// Hold is a request held by the proxy; see Proxy.Hold.
type Hold struct {
	match   func(*http.Request) bool
	reached chan struct{}
	release chan struct{}
	drop    chan struct{}
	once    sync.Once
	op      string
}

// Reached is closed when the held request has arrived.
func (h *Hold) Reached() <-chan struct{} { return h.reached }

// Request names the held request ("PUT /bucket/key"), once Reached is closed.
func (h *Hold) Request() string {
	select {
	case <-h.reached:
		return h.op
	default:
		return ""
	}
}

// Release lets the held request (or the next one that matches) through. After Drop or
// Release, further calls do nothing.
func (h *Hold) Release() { h.once.Do(func() { close(h.release) }) }

// Drop resets the connection of the held request (or of the next one that matches)
// without forwarding it. After Drop or Release, further calls do nothing.
func (h *Hold) Drop() { h.once.Do(func() { close(h.drop) }) }

// decision is what the proxy does with one request.
type decision struct {
	kind  Kind // "" for none
	delay time.Duration
	hold  *Hold
}

func (p *Proxy) decide(r *http.Request) decision {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Requests++
	p.stats.Operations[Operation(r)]++
	for i, h := range p.holds {
		if h.match(r) {
			p.holds = append(p.holds[:i:i], p.holds[i+1:]...)
			p.stats.Held++
			h.op = r.Method + " " + r.URL.Path
			return decision{hold: h}
		}
	}
	if p.cfg.Match != nil && !p.cfg.Match(r) {
		return decision{}
	}
	sig := Signature(r)
	if p.cfg.Key != nil {
		sig = p.cfg.Key(r)
	}
	n := p.seen[sig]
	p.seen[sig] = n + 1
	if p.rate <= 0 || len(p.cfg.Kinds) == 0 || (p.cfg.Max > 0 && p.stats.Total() >= p.cfg.Max) {
		return decision{}
	}
	h1 := draw(p.cfg.Seed, sig, n, 1)
	if unit(h1) >= p.rate {
		return decision{}
	}
	h2 := draw(p.cfg.Seed, sig, n, 2)
	d := decision{kind: p.cfg.Kinds[h2%uint64(len(p.cfg.Kinds))]}
	if d.kind == Slow {
		d.delay = time.Duration(unit(draw(p.cfg.Seed, sig, n, 3)) * float64(p.cfg.MaxDelay))
	}
	p.stats.Faults[d.kind]++
	p.stats.FaultsByOp[Operation(r)]++
	p.faults = append(p.faults, Fault{Kind: d.kind, Operation: Operation(r), Signature: sig, Attempt: n})
	return d
}

// draw hashes the seed, the signature, the occurrence and a salt into 64 bits.
func draw(seed uint64, sig string, n uint64, salt byte) uint64 {
	h := fnv.New64a()
	var b [17]byte
	binary.LittleEndian.PutUint64(b[:8], seed)
	binary.LittleEndian.PutUint64(b[8:16], n)
	b[16] = salt
	h.Write(b[:])
	io.WriteString(h, sig)
	// FNV's high bits mix poorly for short inputs: finish with splitmix64.
	z := h.Sum64() + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// unit maps 64 random bits to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// Signature identifies a request for the fault decision: method, path, the query
// parameters that name the S3 operation and its part (values of random ones such as
// uploadId and of signature parameters are left out) and the Range header.
func Signature(r *http.Request) string {
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte(' ')
	b.WriteString(r.URL.Path)
	for _, k := range keys {
		b.WriteByte(' ')
		b.WriteString(k)
		if k == "uploadId" || k == "continuation-token" || strings.HasPrefix(strings.ToLower(k), "x-amz-") {
			continue
		}
		b.WriteByte('=')
		b.WriteString(q.Get(k))
	}
	if rg := r.Header.Get("Range"); rg != "" {
		b.WriteString(" range=")
		b.WriteString(rg)
	}
	return b.String()
}

// Operation names the S3 operation of a request, roughly: GetObject, HeadObject,
// PutObject, UploadPart, CreateMultipartUpload, CompleteMultipartUpload,
// AbortMultipartUpload, ListObjects, DeleteObject, or the method otherwise.
func Operation(r *http.Request) string {
	q := r.URL.Query()
	switch r.Method {
	case http.MethodGet:
		if q.Has("uploads") {
			return "ListMultipartUploads"
		}
		if q.Has("list-type") || strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 0 {
			return "ListObjects"
		}
		return "GetObject"
	case http.MethodHead:
		return "HeadObject"
	case http.MethodPut:
		if q.Has("partNumber") {
			return "UploadPart"
		}
		return "PutObject"
	case http.MethodPost:
		if q.Has("uploads") {
			return "CreateMultipartUpload"
		}
		if q.Has("uploadId") {
			return "CompleteMultipartUpload"
		}
	case http.MethodDelete:
		if q.Has("uploadId") {
			return "AbortMultipartUpload"
		}
		return "DeleteObject"
	}
	return r.Method
}

// Writes selects the requests that change the store (PUT, POST, DELETE), for Config.Match.
func Writes(r *http.Request) bool { return r.Method != http.MethodGet && r.Method != http.MethodHead }

// Reads selects the requests that read the store (GET, HEAD), for Config.Match.
func Reads(r *http.Request) bool { return !Writes(r) }

// UploadParts selects the part uploads of multipart uploads, for Config.Match.
func UploadParts(r *http.Request) bool {
	return r.Method == http.MethodPut && r.URL.Query().Has("partNumber")
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	d := p.decide(r)
	if d.hold != nil {
		close(d.hold.reached)
		select {
		case <-d.hold.release:
		case <-d.hold.drop:
			reset(w)
			return
		case <-r.Context().Done():
			return
		}
	}
	switch d.kind {
	case InternalError:
		s3Error(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	case SlowDown:
		s3Error(w, r, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		return
	case Reset:
		reset(w)
		return
	case Slow:
		t := time.NewTimer(d.delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	case Truncate:
		cw := &cutWriter{w: w, head: r.Method == http.MethodHead}
		p.proxy.ServeHTTP(cw, r)
		if cw.lost {
			reset(w)
		}
		return
	}
	p.proxy.ServeHTTP(w, r)
}

// s3Error answers with an S3 error document.
func s3Error(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Error><Code>%s</Code><Message>%s</Message><Resource>%s</Resource><RequestId>faultproxy</RequestId></Error>`,
		code, msg, xmlEscape(r.URL.Path))
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		io.WriteString(w, body)
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// reset takes the connection over and closes it with a TCP reset, unanswered.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// cutWriter passes on the headers and the first half of a response body, then aborts the
// connection. A response without a body is not passed on at all (lost).
type cutWriter struct {
	w           http.ResponseWriter
	head        bool
	wroteHeader bool
	lost        bool
	limit, n    int64
}

func (c *cutWriter) Header() http.Header { return c.w.Header() }

func (c *cutWriter) WriteHeader(code int) {
	if c.wroteHeader {
		return
	}
	if code < 200 { // informational (100 Continue): not the response yet
		c.w.WriteHeader(code)
		return
	}
	c.wroteHeader = true
	size, err := strconv.ParseInt(c.w.Header().Get("Content-Length"), 10, 64)
	if c.head || err != nil || size <= 1 {
		c.lost = true
		return
	}
	c.limit = size / 2
	c.w.WriteHeader(code)
}

func (c *cutWriter) Write(b []byte) (int, error) {
	if !c.wroteHeader {
		c.WriteHeader(http.StatusOK)
	}
	if c.lost {
		return len(b), nil
	}
	if c.n+int64(len(b)) >= c.limit {
		c.w.Write(b[:c.limit-c.n])
		http.NewResponseController(c.w).Flush()
		// The server closes the connection on this panic, without logging it.
		panic(http.ErrAbortHandler)
	}
	c.n += int64(len(b))
	return c.w.Write(b)
}

func (c *cutWriter) Flush() {
	if c.wroteHeader && !c.lost {
		http.NewResponseController(c.w).Flush()
	}
}
