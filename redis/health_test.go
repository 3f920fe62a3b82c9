package redis

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"spacegraph/catalog"
	"spacegraph/economy"
	"spacegraph/internal/testkit"
	"spacegraph/internal/testkit/redistest"
	"spacegraph/ll2"
)

// count counts the occurrences of s in what was logged.
func count(logs *testkit.Buffer, s string) int { return strings.Count(logs.String(), s) }

// outages are the two ways a Redis goes away: it hangs (SIGSTOP: connections are
// accepted and never answered) or it is gone (connections refused, data lost).
var outages = []struct {
	name          string
	stop, restart func(*redistest.Server, testing.TB)
}{
	{"hang", func(s *redistest.Server, _ testing.TB) { s.Pause() }, func(s *redistest.Server, _ testing.TB) { s.Resume() }},
	{"refused", func(s *redistest.Server, _ testing.TB) { s.Kill() }, func(s *redistest.Server, t testing.TB) { s.Restart(t) }},
}

// outageClient starts a redis-server of the test's own, to stop and restart, and a
// client of it that probes every 100 ms and logs to the returned sink.
func outageClient(t *testing.T, onHealth func(degraded bool)) (*redistest.Server, *Client, *testkit.Buffer) {
	t.Helper()
	srv := redistest.Start(t)
	logs := &testkit.Buffer{}
	c, err := New(context.Background(), Options{URL: srv.URL(), Logger: slog.New(slog.NewTextHandler(logs, nil)), ProbeEvery: 100 * time.Millisecond, OnHealth: onHealth})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return srv, c, logs
}

// TestOutageFallsBackAndRecovers stops a real redis-server under a client: the store
// answers from its local copy and writes there, every operation after the first
// failure fails at once with ErrUnavailable, the outage and the recovery are logged
// once each, and after the restart the store writes to Redis again.
func TestOutageFallsBackAndRecovers(t *testing.T) {
	for _, tc := range outages {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			var changes []bool
			var mu sync.Mutex
			srv, c, logs := outageClient(t, func(d bool) { mu.Lock(); changes = append(changes, d); mu.Unlock() })
			local := economy.NewMemoryStore(1 << 20)
			defer local.Close()
			s := c.Store("ans:", local, time.Hour)
			e := economy.Entry{Status: 200, Body: []byte(`{"a":1}`), Fetched: time.Now(), TTL: time.Hour}
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
			testkit.WaitFor(t, "the probe to find Redis again", func() bool { return !c.Degraded() })
			if err := s.Set(ctx, "c", e, time.Hour); err != nil {
				t.Fatal(err)
			}
			if n, err := c.Redis().Exists(ctx, c.prefix+"ans:c").Result(); n != 1 || err != nil {
				t.Errorf("after the outage, a write did not reach Redis: %d, %v", n, err)
			}
			if a, b := count(logs, "redis is unreachable"), count(logs, "redis answers again"); a != 1 || b != 1 {
				t.Errorf("logged the outage %d times and the recovery %d times, want once each:\n%s", a, b, logs.String())
			}
			mu.Lock()
			defer mu.Unlock()
			if len(changes) != 2 || !changes[0] || changes[1] {
				t.Errorf("OnHealth calls %v, want [true false]", changes)
			}
		})
	}
}

// TestFlightDuringOutage stops Redis under a cross-process flight: every fetch still
// runs, once, without the lock; once Redis is held unreachable no fetch waits on it
// and none is logged; after the restart the lock is taken again.
func TestFlightDuringOutage(t *testing.T) {
	for _, tc := range outages {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			srv, c, logs := outageClient(t, nil)
			fl := c.Flight()
			// locked runs a flight on key and reports whether its fetch held the lock.
			locked := func(key string) bool {
				t.Helper()
				held, calls := false, 0
				res, err := fl.Do(ctx, key, func(context.Context) (economy.Result, error) {
					calls++
					n, _ := c.Redis().Exists(ctx, c.prefix+"lock:"+key).Result()
					held = n == 1
					return economy.Result{Entry: economy.Entry{Status: 200, Body: []byte(key)}, Usable: true}, nil
				})
				if err != nil || calls != 1 || string(res.Entry.Body) != key {
					t.Fatalf("%s: %+v, %v, %d calls", key, res, err, calls)
				}
				return held
			}
			if !locked("before") {
				t.Fatal("the fetch ran without the lock while Redis answers")
			}

			tc.stop(srv, t)
			if locked("first") {
				t.Fatal("a lock during the outage")
			}
			testkit.WaitFor(t, "the outage to be noticed", c.Degraded)
			start := time.Now()
			for i := range 50 {
				locked("during" + strconv.Itoa(i))
			}
			if took := time.Since(start); took > DefaultTimeout {
				t.Errorf("50 flights while Redis is held unreachable took %v: they waited on it", took)
			}
			if n := strings.Count(logs.String(), "redis lock not taken"); n > 1 {
				t.Errorf("the outage was logged by %d flights, want the first at most:\n%s", n, logs.String())
			}

			tc.restart(srv, t)
			testkit.WaitFor(t, "the probe to find Redis again", func() bool { return !c.Degraded() })
			if !locked("after") {
				t.Error("the fetch ran without the lock after Redis came back")
			}
		})
	}
}

// TestBudgetFallsBackToLocalShare stops Redis under a shared budget of 20 calls: the
// replica spends its local share (2) and no more, and after Redis comes back empty
// (it keeps nothing on disk) the shared budget is seeded again with its limit rather
// than read as unlimited. A replica whose share rounds to nothing makes no call while
// Redis is away.
func TestBudgetFallsBackToLocalShare(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	c, err := New(ctx, Options{URL: srv.URL(), ProbeEvery: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, err := c.Budget(ctx, BudgetOptions{Limit: 20, Window: time.Hour, LocalShare: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	none, err := c.Budget(ctx, BudgetOptions{Limit: 5, Window: time.Hour, LocalShare: 0.1, Scope: "small"})
	if err != nil {
		t.Fatal(err)
	}
	claim(t, b, economy.PriorityUser, true, 0)
	if s := status(t, b); s.Limit != 20 || s.Used != 1 {
		t.Fatalf("shared: %+v", s)
	}

	srv.Kill()
	claim(t, b, economy.PriorityUser, true, 0)
	claim(t, b, economy.PriorityUser, true, 0)
	claim(t, b, economy.PriorityUser, false, time.Hour)
	if s := status(t, b); s.Limit != 2 || s.Used != 2 || s.Remaining(time.Now()) != 0 {
		t.Errorf("local share while Redis is away: %+v", s)
	}
	claim(t, none, economy.PriorityUser, false, noLocalShareWait)
	if s := status(t, none); s.Remaining(time.Now()) != 0 || s.Limit != 5 {
		t.Errorf("no local share while Redis is away: %+v", s)
	}
	// A 429 seen meanwhile holds locally.
	if err := b.Block(ctx, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	srv.Restart(t)
	testkit.WaitFor(t, "the probe to find Redis again", func() bool { return !c.Degraded() })
	claim(t, b, economy.PriorityUser, true, 0)
	if s := status(t, b); s.Limit != 20 || s.Used != 1 || s.Window != time.Hour {
		t.Errorf("after Redis lost the budget: %+v, want it seeded again with limit 20", s)
	}
}

// TestBudgetLocalShareFollowsSync checks that api-throttle/'s count reaches the local
// share too, while Redis is away: a replica may spend its share of what LL2 says
// remains, not of the whole limit.
func TestBudgetLocalShareFollowsSync(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	c, err := New(ctx, Options{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, err := c.Budget(ctx, BudgetOptions{Limit: 100, Window: time.Hour, LocalShare: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	// LL2 counts 70 of 100: 30 remain, of which this replica's share is 3.
	if err := b.Sync(ctx, 100, time.Hour, 70, 0); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		claim(t, b, economy.PriorityUser, true, 0)
	}
	if _, ok, _ := b.Take(ctx, economy.PriorityUser); ok {
		t.Error("a fourth local call after LL2 counted 70 of 100")
	}
}

// TestEntitiesFallBack checks that the entity cache answers from the process while
// Redis is away, with what it put before and during the outage.
func TestEntitiesFallBack(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	c, err := New(ctx, Options{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ttl := catalog.DefaultEntityTTLs()
	local := catalog.NewMemoryEntityCache(100, ttl, 0, nil)
	defer local.Close()
	e := c.Entities(ttl, 0, local)
	e.Put(ctx, &catalog.Seen{Spacecraft: []*catalog.Spacecraft{spacecraft(1, "one", ll2.LevelNormal)}})
	srv.Pause()
	defer srv.Resume()
	e.Put(ctx, &catalog.Seen{Spacecraft: []*catalog.Spacecraft{spacecraft(2, "two", ll2.LevelNormal)}})
	got := e.Get(ctx, catalog.KindSpacecraft, []int{1, 2, 3}, ll2.LevelList)
	if len(got) != 2 || got[1].Value.(*catalog.Spacecraft).Name != "one" || got[2].Value.(*catalog.Spacecraft).Name != "two" {
		t.Errorf("during the outage: %v", got)
	}
}

// TestBudgetOnRedisClock runs two processes whose clocks are two hours apart on one
// budget: the late one's calls are in the other's window, and its block holds for the
// other for as long as it said, since both count on Redis's clock.
func TestBudgetOnRedisClock(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		var bs []*Budget
		for _, skew := range []time.Duration{-2 * time.Hour, 0} {
			c, err := New(ctx, Options{URL: r.URL, Prefix: r.Prefix, Now: func() time.Time { return time.Now().Add(skew) }})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			b, err := c.Budget(ctx, BudgetOptions{Limit: 3, Window: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			bs = append(bs, b)
		}
		late, onTime := bs[0], bs[1]
		for range 3 {
			claim(t, late, economy.PriorityUser, true, 0)
		}
		claim(t, onTime, economy.PriorityUser, false, time.Hour)
		if s := status(t, onTime); s.Used != 3 {
			t.Errorf("the other process counts %d calls, want 3", s.Used)
		}
		if err := late.Block(ctx, late.c.now().Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if s := status(t, onTime); !near(s.BlockedUntil, time.Now().Add(10*time.Minute)) {
			t.Errorf("the other process is blocked until %v, want ten minutes from now", s.BlockedUntil)
		}
	})
}
