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

	"spacegraph/internal/testkit"
	"spacegraph/internal/testkit/redistest"
)

var t0 = testkit.Epoch

var deployments atomic.Int64

// clients returns n clients on one Redis and one prefix: n processes of one
// deployment. clk may be nil (the real clock).
func clients(t *testing.T, r redistest.Backend, n int, clk *testkit.Clock) []*Client {
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
			// The budgets read Redis's clock: it must move with the test's.
			clk.OnMove(func(d time.Duration) { c.skew.Add(d.Milliseconds()) })
		}
		cs[i] = c
	}
	return cs
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
