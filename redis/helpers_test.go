package redis

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"spacegraph/internal/redistest"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// clock is a simulated clock shared by the "processes" of a test. Advancing it also
// moves Redis's clock as the budgets of its clients read it.
type clock struct {
	mu      sync.Mutex
	t       time.Time
	clients []*Client
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	for _, cl := range c.clients {
		cl.skew.Add(d.Milliseconds())
	}
	c.mu.Unlock()
}

var deployments atomic.Int64

// clients returns n clients on one Redis and one prefix: n processes of one
// deployment. clk may be nil (the real clock).
func clients(t *testing.T, r redistest.Backend, n int, clk *clock) []*Client {
	t.Helper()
	// A prefix of their own, so that a test may make several deployments.
	prefix := r.Prefix + strconv.Itoa(int(deployments.Add(1))) + ":"
	cs := make([]*Client, n)
	for i := range cs {
		o := Options{URL: r.URL, Prefix: prefix}
		if clk != nil {
			o.Now = clk.Now
		}
		c, err := New(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if c.Degraded() {
			t.Fatalf("%s: redis unreachable", r.Name)
		}
		t.Cleanup(func() { _ = c.Close() })
		if clk != nil {
			clk.mu.Lock()
			clk.clients = append(clk.clients, c)
			clk.mu.Unlock()
		}
		cs[i] = c
	}
	return cs
}

// waitFor polls cond (every few milliseconds, up to 10 s) and fails the test if it
// never holds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// fakeLL2 is the network behind the transports: it counts calls per path and answers
// 200 with a body naming the path, or what a script says.
type fakeLL2 struct {
	mu      sync.Mutex
	calls   int
	byPath  map[string]int
	scripts map[string]scripted
	open    atomic.Int64
}

type scripted struct {
	status int
	body   string
	header map[string]string
	gate   chan struct{}
}

func newFakeLL2() *fakeLL2 {
	return &fakeLL2{byPath: map[string]int{}, scripts: map[string]scripted{}}
}

func (f *fakeLL2) script(path string, s scripted) {
	f.mu.Lock()
	f.scripts[path] = s
	f.mu.Unlock()
}

func (f *fakeLL2) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func (f *fakeLL2) PerPath() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.byPath {
		out[k] = v
	}
	return out
}

func (f *fakeLL2) RoundTrip(req *http.Request) (*http.Response, error) {
	path := strings.TrimPrefix(req.URL.Path, "/2.3.0/")
	f.mu.Lock()
	f.calls++
	f.byPath[path]++
	n := f.byPath[path]
	s, ok := f.scripts[path]
	f.mu.Unlock()
	if !ok {
		s = scripted{status: 200, body: `{"path":"` + path + `","call":` + strconv.Itoa(n) + `}`}
	}
	if s.gate != nil {
		f.open.Add(1)
		defer f.open.Add(-1)
		select {
		case <-s.gate:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	h := http.Header{}
	for k, v := range s.header {
		h.Set(k, v)
	}
	return &http.Response{StatusCode: s.status, Header: h, Body: io.NopCloser(strings.NewReader(s.body)), ContentLength: int64(len(s.body)), Request: req}, nil
}

const root = "https://ll.thespacedevs.com/2.3.0/"

type got struct {
	status int
	body   string
	header http.Header
	err    error
}

func get(t testing.TB, rt http.RoundTripper, path string) got {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, root+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return got{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return got{status: resp.StatusCode, body: string(b), header: resp.Header}
}

// recv receives from ch, failing the test instead of hanging when nothing comes.
func recv[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for a result")
	}
	panic("unreachable")
}
