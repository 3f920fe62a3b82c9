package testkit

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Answer is one scripted answer of a FakeLL2.
type Answer struct {
	Status int
	Body   string
	Header map[string]string
	// Err fails the round trip itself (a network error).
	Err error
	// Cut makes the body fail with ErrCut once it has given Body (a connection cut
	// mid-body).
	Cut bool
	// Gate, when set, holds the call until it is closed or the request ends.
	Gate chan struct{}
}

// OK is a 200 answer with body.
func OK(body string) Answer { return Answer{Status: http.StatusOK, Body: body} }

// ErrCut is the error of a Cut body.
var ErrCut = errors.New("connection reset by peer")

// FakeLL2 is the network under the transports that stand in front of LL2 (the
// economy layer, its Redis twin): it counts the calls per path below LL2's version
// root ("spacecraft/1/") and answers each from the path's script, whose last answer
// repeats, or, unscripted, with 200 and a body naming the path and the call:
// {"path":"spacecraft/1/","call":2}. A test can thus tell which call an answer came
// from.
type FakeLL2 struct {
	mu      sync.Mutex
	calls   int
	byPath  map[string]int
	scripts map[string][]Answer
	held    atomic.Int64
}

// NewFakeLL2 returns a network that has seen no call.
func NewFakeLL2() *FakeLL2 {
	return &FakeLL2{byPath: map[string]int{}, scripts: map[string][]Answer{}}
}

// Script sets the answers for path, in order; the last one repeats.
func (f *FakeLL2) Script(path string, as ...Answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts[path] = as
}

// Calls returns the number of calls made.
func (f *FakeLL2) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// CallsFor returns the number of calls made for path.
func (f *FakeLL2) CallsFor(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.byPath[path]
}

// PerPath returns the number of calls made for each path.
func (f *FakeLL2) PerPath() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.byPath))
	for k, v := range f.byPath {
		out[k] = v
	}
	return out
}

// Held returns the number of calls waiting at a Gate.
func (f *FakeLL2) Held() int64 { return f.held.Load() }

// RoundTrip answers req as the script of its path says.
func (f *FakeLL2) RoundTrip(req *http.Request) (*http.Response, error) {
	path := req.URL.Path
	if i := strings.Index(path, "/2.3.0/"); i >= 0 {
		path = path[i+len("/2.3.0/"):]
	} else {
		path = strings.TrimPrefix(path, "/")
	}
	f.mu.Lock()
	f.calls++
	n := f.byPath[path]
	f.byPath[path]++
	var a Answer
	if s := f.scripts[path]; len(s) > 0 {
		a = s[min(n, len(s)-1)]
	} else {
		a = OK(`{"path":"` + path + `","call":` + strconv.Itoa(n+1) + `}`)
	}
	f.mu.Unlock()
	if a.Gate != nil {
		f.held.Add(1)
		select {
		case <-a.Gate:
		case <-req.Context().Done():
			f.held.Add(-1)
			return nil, req.Context().Err()
		}
		f.held.Add(-1)
	}
	if a.Err != nil {
		return nil, a.Err
	}
	h := http.Header{}
	for k, v := range a.Header {
		h.Set(k, v)
	}
	var body io.ReadCloser = io.NopCloser(strings.NewReader(a.Body))
	if a.Cut {
		body = &cutBody{r: strings.NewReader(a.Body)}
	}
	return &http.Response{StatusCode: a.Status, Status: http.StatusText(a.Status), Header: h, Body: body, ContentLength: int64(len(a.Body)), Request: req}, nil
}

// cutBody gives its content, then fails instead of io.EOF.
type cutBody struct{ r *strings.Reader }

func (c *cutBody) Read(p []byte) (int, error) {
	n, _ := c.r.Read(p)
	if n == 0 {
		return 0, ErrCut
	}
	return n, nil
}

func (c *cutBody) Close() error { return nil }

// Response is an HTTP answer as a client reads it, or the error of its round trip.
type Response struct {
	Status int
	Body   string
	Header http.Header
	Err    error
}

// Stale reports whether the answer says it is stale (Warning: 110).
func (r Response) Stale() bool { return strings.HasPrefix(r.Header.Get("Warning"), "110") }

// Get makes a GET of rawURL through rt with ctx and reads the whole answer. A round
// trip that fails is returned as Err; a body that fails to read, whose length is not
// its ContentLength, or a response that does not carry its request fails the test:
// a RoundTripper owes its caller all three.
func Get(t testing.TB, rt http.RoundTripper, ctx context.Context, rawURL string) Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return Response{Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the transport's body: %v", err)
	}
	if resp.ContentLength != int64(len(b)) {
		t.Errorf("ContentLength %d, body %d bytes", resp.ContentLength, len(b))
	}
	if resp.Request != req {
		t.Errorf("response does not carry its request")
	}
	return Response{Status: resp.StatusCode, Body: string(b), Header: resp.Header}
}
