package rediscache

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"spacegraph/internal/redistest"
	"spacegraph/upstream"
)

type logSink struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logSink) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

// outages are the two ways a Redis goes away: it hangs (SIGSTOP: connections are
// accepted and never answered) or it is gone (connections refused, data lost).
var outages = []struct {
	name          string
	stop, restart func(*redistest.Server, testing.TB)
}{
	{"hang", func(s *redistest.Server, _ testing.TB) { s.Pause() }, func(s *redistest.Server, _ testing.TB) { s.Resume() }},
	{"refused", func(s *redistest.Server, _ testing.TB) { s.Kill() }, func(s *redistest.Server, t testing.TB) { s.Restart(t) }},
}

// TestOutageFallsBackAndRecovers stops a real redis-server under a client: the store
// answers from its local copy and writes there, every operation after the first
// failure fails at once with ErrUnavailable, the outage and the recovery are logged
// once each, and after the restart the store writes to Redis again.
func TestOutageFallsBackAndRecovers(t *testing.T) {
	for _, tc := range outages {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			srv := redistest.Start(t)
			logs := &logSink{}
			var changes []bool
			var mu sync.Mutex
			c, err := New(ctx, Options{URL: srv.URL(), Logger: slog.New(slog.NewTextHandler(logs, nil)), ProbeEvery: 100 * time.Millisecond,
				OnHealth: func(d bool) { mu.Lock(); changes = append(changes, d); mu.Unlock() }})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			local := upstream.NewMemoryStore(1 << 20)
			defer local.Close()
			s := c.Store("ans:", local, time.Hour)
			e := upstream.Entry{Status: 200, Body: []byte(`{"a":1}`), Fetched: time.Now(), TTL: time.Hour}
			if err := s.Set(ctx, "a", e, time.Hour); err != nil {
				t.Fatal(err)
			}

			tc.stop(srv, t)
			start := time.Now()
			for i := range 100 {
				if got, ok, err := s.Get(ctx, "a"); !ok || err != nil || !sameEntry(got, e) {
					t.Fatalf("read %d during the outage: %v, %v", i, ok, err)
				}
				if err := s.Set(ctx, "b", e, time.Hour); err != nil {
					t.Fatalf("write %d during the outage: %v", i, err)
				}
			}
			// Only the first operation waited (a timeout at most); the others did
			// not reach the network.
			if took := time.Since(start); took > DefaultTimeout+time.Second {
				t.Errorf("200 operations during the outage took %v", took)
			}
			if !c.Degraded() {
				t.Error("not degraded during the outage")
			}
			if err := c.Redis().Get(ctx, "x").Err(); !errors.Is(err, ErrUnavailable) {
				t.Errorf("a command during the outage: %v, want ErrUnavailable", err)
			}
			if _, ok, _ := s.Get(ctx, "b"); !ok {
				t.Error("what was written during the outage is not read back")
			}

			tc.restart(srv, t)
			waitFor(t, "the probe to find Redis again", func() bool { return !c.Degraded() })
			if err := s.Set(ctx, "c", e, time.Hour); err != nil {
				t.Fatal(err)
			}
			if n, err := c.Redis().Exists(ctx, c.prefix+"ans:c").Result(); n != 1 || err != nil {
				t.Errorf("after the outage, a write did not reach Redis: %d, %v", n, err)
			}
			if a, b := logs.count("redis is unreachable"), logs.count("redis answers again"); a != 1 || b != 1 {
				t.Errorf("logged the outage %d times and the recovery %d times, want once each:\n%s", a, b, logs.b.String())
			}
			mu.Lock()
			defer mu.Unlock()
			if len(changes) != 2 || !changes[0] || changes[1] {
				t.Errorf("OnHealth calls %v, want [true false]", changes)
			}
		})
	}
}
