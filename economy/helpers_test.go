package economy

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"spacegraph/internal/testkit"
)

// t0 is the simulated clock's start.
var t0 = testkit.Epoch

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
