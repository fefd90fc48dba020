package faultproxy_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"lendscore/internal/faultproxy"
)

// A proxy that throttles the first request to an object store (here a stand-in server) and
// lets the retry through, as a client with retries would see it.
func Example() {
	store := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "object body")
	}))
	defer store.Close()

	p, err := faultproxy.Start(faultproxy.Config{
		Target: store.URL,
		Rate:   1,                                      // every eligible request…
		Max:    1,                                      // …up to one fault in all
		Kinds:  []faultproxy.Kind{faultproxy.SlowDown}, // 503 SlowDown
	})
	if err != nil {
		panic(err)
	}
	defer p.Close()

	for attempt := 1; attempt <= 2; attempt++ {
		resp, err := http.Get(p.URL + "/bucket/key")
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		code := "-"
		if i := strings.Index(string(body), "<Code>"); i >= 0 {
			code = string(body[i+6 : i+6+strings.Index(string(body[i+6:]), "<")])
		}
		fmt.Printf("attempt %d: %d %s\n", attempt, resp.StatusCode, code)
	}
	fmt.Println(p.Stats())
	// Output:
	// attempt 1: 503 SlowDown
	// attempt 2: 200 -
	// 1 faults of 2 requests (503: 1)
}
