package economy

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
	"time"

	"spacegraph/internal/testkit"
)

// t0 is the simulated clock's start.
var t0 = testkit.Epoch

// answer is one scripted answer of the fake base.
type answer struct {
	status int
	body   string
	header map[string]string
	// err fails the round trip itself (a network error).
	err error
	// cut makes the body fail after it has given body (a connection cut mid-body).
	cut bool
	// gate, when set, holds the call until it is closed (or the request ends).
	gate chan struct{}
}

func ok200(body string) answer { return answer{status: http.StatusOK, body: body} }

// fakeBase is the network: it counts calls and answers from a script per path (the
// last answer of a script repeats), or with 200 and a body naming the call.
type fakeBase struct {
	mu      sync.Mutex
	calls   int
	byKey   map[string]int
	scripts map[string][]answer
	entered chan string // receives the URL of each call, when set
	open    atomic.Int64
}

func newBase() *fakeBase {
	return &fakeBase{byKey: map[string]int{}, scripts: map[string][]answer{}}
}

// script sets the answers for a path below the version root ("spacecraft/1/").
func (b *fakeBase) script(path string, as ...answer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.scripts[path] = as
}

func (b *fakeBase) Calls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

func (b *fakeBase) CallsFor(path string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.byKey[path]
}

func (b *fakeBase) RoundTrip(req *http.Request) (*http.Response, error) {
	path := endpointPath(req.URL)
	b.mu.Lock()
	b.calls++
	n := b.byKey[path]
	b.byKey[path]++
	var a answer
	if s := b.scripts[path]; len(s) > 0 {
		a = s[min(n, len(s)-1)]
	} else {
		a = ok200(`{"path":"` + path + `","call":` + strconv.Itoa(n+1) + `}`)
	}
	entered := b.entered
	b.mu.Unlock()
	if entered != nil {
		entered <- req.URL.String()
	}
	if a.gate != nil {
		b.open.Add(1)
		select {
		case <-a.gate:
		case <-req.Context().Done():
			b.open.Add(-1)
			return nil, req.Context().Err()
		}
		b.open.Add(-1)
	}
	if a.err != nil {
		return nil, a.err
	}
	h := http.Header{}
	for k, v := range a.header {
		h.Set(k, v)
	}
	var body io.ReadCloser = io.NopCloser(strings.NewReader(a.body))
	if a.cut {
		body = &cutBody{r: strings.NewReader(a.body)}
	}
	return &http.Response{StatusCode: a.status, Status: http.StatusText(a.status), Header: h, Body: body, ContentLength: int64(len(a.body)), Request: req}, nil
}

var errCut = errors.New("connection reset by peer")

// cutBody gives its content, then fails instead of io.EOF.
type cutBody struct{ r *strings.Reader }

func (c *cutBody) Read(p []byte) (int, error) {
	n, _ := c.r.Read(p)
	if n == 0 {
		return 0, errCut
	}
	return n, nil
}

func (c *cutBody) Close() error { return nil }

// clockStore is a Store that expires entries on the simulated clock, as a real store
// expires them on the real one.
type clockStore struct {
	mu   sync.Mutex
	now  func() time.Time
	m    map[string]clockEntry
	sets int
	fail error
}

type clockEntry struct {
	e     Entry
	until time.Time
}

func newClockStore(now func() time.Time) *clockStore {
	return &clockStore{now: now, m: map[string]clockEntry{}}
}

func (s *clockStore) Get(_ context.Context, key string) (Entry, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return Entry{}, false, s.fail
	}
	ce, ok := s.m[key]
	if !ok || !s.now().Before(ce.until) {
		return Entry{}, false, nil
	}
	return ce.e, true, nil
}

func (s *clockStore) Set(_ context.Context, key string, e Entry, keep time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.sets++
	s.m[key] = clockEntry{e: e, until: s.now().Add(keep)}
	return nil
}

func (s *clockStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// countingFlight counts the callers that entered Do, so that a test knows when they
// all wait.
type countingFlight struct {
	inner   Flight
	entered atomic.Int64
}

func (f *countingFlight) Do(ctx context.Context, key string, fetch func(context.Context) (Result, error)) (Result, error) {
	f.entered.Add(1)
	return f.inner.Do(ctx, key, fetch)
}

// idle waits until the transport runs no background refresh.
func idle(t testing.TB, tr *Transport) {
	t.Helper()
	testkit.WaitFor(t, "background refreshes to end", func() bool { return tr.Refreshing() == 0 })
}

const root = "https://ll.thespacedevs.com/2.3.0/"

// got is a response as the client reads it.
type got struct {
	status int
	body   string
	header http.Header
	err    error
}

func (g got) stale() bool { return strings.HasPrefix(g.header.Get("Warning"), "110") }

// get makes a GET through the transport with ctx and reads the whole answer.
func get(t testing.TB, tr http.RoundTripper, ctx context.Context, rawURL string) got {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return got{err: err}
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
	return got{status: resp.StatusCode, body: string(b), header: resp.Header}
}

// events records the transport's observations.
type events struct {
	mu  sync.Mutex
	all []Event
}

func (e *events) observe(ev Event) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.mu.Unlock()
}

func (e *events) last() Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.all) == 0 {
		return Event{}
	}
	return e.all[len(e.all)-1]
}

// newGate returns a gate for scripted answers and its opener. The gate opens when the
// test ends anyway, so that a failing test leaves no call hanging.
func newGate(t *testing.T) (chan struct{}, func()) {
	t.Helper()
	g := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(g) }) }
	t.Cleanup(open)
	return g, open
}
