package gateway_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"spacegraph/gateway"
	"spacegraph/internal/testkit"
	"spacegraph/internal/testkit/redistest"
	"spacegraph/observe"
)

// metric returns the value of an unlabelled series of /metrics ("" when absent).
func (h *harness) metric(name string) string {
	h.t.Helper()
	resp, err := http.Get(h.srv.URL + "/metrics")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
			return v
		}
	}
	return ""
}

// TestRedisOutageDegradesGracefully stops the gateway's Redis, as a hang (SIGSTOP:
// connections are accepted and never answered) and as a crash (connections refused,
// data lost), and restarts it: meanwhile every query answers with data, cached or
// not, none waits on Redis for long, /readyz stays 200 and says "degraded", the
// gauge says 1 and the log says it once; when Redis is back the gateway says "ok"
// again and shares its answers with other replicas again.
func TestRedisOutageDegradesGracefully(t *testing.T) {
	d := llScale()
	ids := make([]int, 0, len(d.Spacecraft))
	for _, s := range d.Spacecraft {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	for _, tc := range []struct {
		name          string
		stop, restart func(*redistest.Server, testing.TB)
	}{
		{"hang", func(s *redistest.Server, _ testing.TB) { s.Pause() }, func(s *redistest.Server, _ testing.TB) { s.Resume() }},
		{"refused", func(s *redistest.Server, _ testing.TB) { s.Kill() }, func(s *redistest.Server, t testing.TB) { s.Restart(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Registered first, so run last: once the gateways are closed, neither the
			// health probe nor go-redis's pool is left running.
			// Goroutines of earlier tests still winding down are not this test's.
			ignore := append(goleakOptions(), goleak.IgnoreCurrent())
			t.Cleanup(func() { goleak.VerifyNone(t, ignore...) })
			srv := redistest.Start(t)
			logs := &testkit.Buffer{}
			mk := func(logs io.Writer) *harness {
				h := newHarness(t, gateway.Config{Snapshot: &d, RedisURL: srv.URL(), Metrics: observe.New(observe.Options{}),
					Logger: slog.New(slog.NewTextHandler(logs, nil))})
				t.Cleanup(func() { h.g.Close() })
				return h
			}
			h := mk(logs)
			q := func(i int) string { return fmt.Sprintf(`{ spacecraft(ll2Id: %d) { name } }`, ids[i]) }
			h.ok(q(0), nil, nil)
			if code, rd := h.readyz(); code != 200 || rd.Redis != "ok" {
				t.Fatalf("before the outage: readyz %d %v", code, rd)
			}
			if v := h.metric("spacegraph_redis_degraded"); v != "0" {
				t.Errorf("before the outage: spacegraph_redis_degraded %q, want 0", v)
			}

			tc.stop(srv, t)
			// Uncached queries need the budget, the locks and the caches: all answer
			// from the process. The bound is far above the Redis timeout and far
			// below what a request waited when every operation paid its own.
			var took []time.Duration
			for i := 1; i <= 20; i++ {
				start := time.Now()
				var out struct{ Spacecraft struct{ Name string } }
				h.ok(q(i), nil, &out)
				if out.Spacecraft.Name == "" {
					t.Fatalf("query %d during the outage: no name", i)
				}
				took = append(took, time.Since(start))
				if took[i-1] > 2*time.Second {
					t.Errorf("query %d during the outage took %v", i, took[i-1])
				}
			}
			t.Logf("uncached queries during the outage: the first took %v, the slowest of the others %v", took[0], slices.Max(took[1:]))
			h.ok(`{ again: spacecraft(ll2Id: `+fmt.Sprint(ids[0])+`) { name } }`, nil, nil)
			if code, rd := h.readyz(); code != 200 || rd.Redis != "degraded" || !rd.Ready {
				t.Errorf("during the outage: readyz %d %v, want 200 with redis degraded", code, rd)
			}
			if v := h.metric("spacegraph_redis_degraded"); v != "1" {
				t.Errorf("during the outage: spacegraph_redis_degraded %q, want 1", v)
			}
			if n := strings.Count(logs.String(), "redis is unreachable"); n != 1 {
				t.Errorf("the outage was logged %d times, want once", n)
			}

			tc.restart(srv, t)
			testkit.WaitFor(t, "/readyz to see Redis again", func() bool { _, rd := h.readyz(); return rd.Redis == "ok" })
			if v := h.metric("spacegraph_redis_degraded"); v != "0" {
				t.Errorf("after the outage: spacegraph_redis_degraded %q, want 0", v)
			}
			if n := strings.Count(logs.String(), "redis answers again"); n != 1 {
				t.Errorf("the recovery was logged %d times, want once", n)
			}
			// Shared again: what this replica fetches now, another one finds.
			h.ok(q(30), nil, nil)
			other := mk(io.Discard)
			other.ok(q(30), nil, nil)
			if n := other.calls(); n != 0 {
				t.Errorf("after the outage, another replica spent %d calls on what the first fetched", n)
			}
		})
	}
}

// TestRedisKeysCarryTheUpstream runs two gateways on one Redis and one prefix whose
// built-in servers serve different snapshots (a staging and a production, as far as
// Redis can tell): neither serves the other's answers, from the answer, entity or
// response cache, and neither inherits the other's budget.
func TestRedisKeysCarryTheUpstream(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		prod := llScale()
		staging := llScale()
		staging.Spacecraft = slices.Clone(prod.Spacecraft)
		renamed := *staging.Spacecraft[0]
		renamed.Name = "Staging Copy"
		staging.Spacecraft[0] = &renamed
		id := renamed.ID
		mk := func(d *gateway.Config) *harness {
			d.RedisURL, d.RedisPrefix = r.URL, r.Prefix
			h := newHarness(t, *d)
			t.Cleanup(func() { h.g.Close() })
			return h
		}
		// The embedded staging gateway comes first, unlimited.
		st := mk(&gateway.Config{Snapshot: &staging})
		pr := mk(&gateway.Config{Snapshot: &prod, BudgetLimit: 5, BudgetWindow: time.Hour})
		for _, q := range []string{
			`{ spacecraft(ll2Id: %d) { name } }`,
			`{ a: spacecraft(ll2Id: %d) { name } }`,
			`{ allSpacecraft(first: 5) { nodes { ll2Id name } } } # %d`,
		} {
			q = fmt.Sprintf(q, id)
			var got [2]string
			for i, h := range []*harness{st, pr} {
				r := h.do(q, nil)
				if len(r.Errors) > 0 {
					t.Fatalf("%s: %+v", q, r.Errors)
				}
				got[i] = string(r.Data)
			}
			if !strings.Contains(got[0], "Staging Copy") || strings.Contains(got[1], "Staging Copy") {
				t.Errorf("%s: staging answered %s, production %s", q, got[0], got[1])
			}
		}
		if _, rd := pr.readyz(); rd.Budget.Limit != 5 {
			t.Errorf("production's budget: %v, want its own limit of 5", rd.Budget)
		}
	})
}

// TestRedisBudgetOnRedisClock runs two gateways on one Redis whose clocks are two
// hours apart: the calls of the late one count in the other's window, as both count
// on Redis's clock.
func TestRedisBudgetOnRedisClock(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		d := llScale()
		mk := func(skew time.Duration) *harness {
			h := newHarness(t, gateway.Config{Snapshot: &d, RedisURL: r.URL, RedisPrefix: r.Prefix, BudgetLimit: 3, BudgetWindow: time.Hour,
				ResponseCacheOff: true, Now: func() time.Time { return time.Now().Add(skew) }})
			t.Cleanup(func() { h.g.Close() })
			return h
		}
		late, onTime := mk(-2*time.Hour), mk(0)
		for _, i := range []int{0, 1, 2} {
			late.ok(fmt.Sprintf(`{ spacecraft(ll2Id: %d) { name } }`, d.Spacecraft[i].ID), nil, nil)
		}
		res := onTime.do(fmt.Sprintf(`{ spacecraft(ll2Id: %d) { name } }`, d.Spacecraft[3].ID), nil)
		res.errorWith(t, "UPSTREAM_RATE_LIMITED")
		if late.calls()+onTime.calls() != 3 {
			t.Errorf("two replicas spent %d calls of a shared budget of 3", late.calls()+onTime.calls())
		}
		if _, rd := onTime.readyz(); rd.Budget.Remaining != 0 {
			t.Errorf("readyz budget %v: want nothing remaining", rd.Budget)
		}
	})
}

// TestPersistedQueriesSharedAcrossReplicas registers an automatic persisted query on
// one replica and sends its hash alone to another on the same Redis, as a client does
// whose requests a load balancer spreads: the other runs it. A replica of another
// upstream on the same prefix does not know the hash, as it knows none of the
// others' keys. The response cache is off, so that only the persisted queries can
// answer.
func TestPersistedQueriesSharedAcrossReplicas(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		mk := func(c gateway.Config) *harness {
			c.RedisURL, c.RedisPrefix, c.ResponseCacheOff = r.URL, r.Prefix, true
			h := newHarness(t, c)
			t.Cleanup(func() { h.g.Close() })
			return h
		}
		d := llScale()
		a, b, elsewhere := mk(gateway.Config{}), mk(gateway.Config{}), mk(gateway.Config{Snapshot: &d})
		const query = `query Dragon($id: Int!) { spacecraft(ll2Id: $id) { name } }`
		vars := map[string]any{"id": 569}
		const want = `{"spacecraft":{"name":"Cargo Dragon"}}`
		byHash := func(h *harness) response {
			t.Helper()
			return h.sendGQL("POST", "/graphql", postJSON, jsonBody("", vars, persisted(query)))
		}
		byHash(b).errorWith(t, "PERSISTED_QUERY_NOT_FOUND")
		if r := a.sendGQL("POST", "/graphql", postJSON, jsonBody(query, vars, persisted(query))); len(r.Errors) > 0 || string(r.Data) != want {
			t.Fatalf("registering on the first replica: %s %+v", r.Data, r.Errors)
		}
		if r := byHash(b); len(r.Errors) > 0 || string(r.Data) != want {
			t.Errorf("the hash alone on the second replica: %s %+v", r.Data, r.Errors)
		}
		byHash(elsewhere).errorWith(t, "PERSISTED_QUERY_NOT_FOUND")
	})
}

// TestPersistedQueriesDuringRedisOutage stops the Redis of two replicas: each still
// registers and runs the persisted queries sent to it. Once Redis is back, a hash
// registered on one is known to the other again, and one registered during the
// outage reaches Redis as soon as its replica serves it.
func TestPersistedQueriesDuringRedisOutage(t *testing.T) {
	srv := redistest.Start(t)
	mk := func() *harness {
		h := newHarness(t, gateway.Config{RedisURL: srv.URL(), ResponseCacheOff: true})
		t.Cleanup(func() { h.g.Close() })
		return h
	}
	a, b := mk(), mk()
	query := func(id int) string { return fmt.Sprintf(`{ spacecraft(ll2Id: %d) { name } }`, id) }
	register := func(h *harness, q string) {
		t.Helper()
		if r := h.sendGQL("POST", "/graphql", postJSON, jsonBody(q, nil, persisted(q))); len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"name"`) {
			t.Fatalf("registering %s: %s %+v", q, r.Data, r.Errors)
		}
	}
	byHash := func(h *harness, q string) response {
		t.Helper()
		return h.sendGQL("POST", "/graphql", postJSON, jsonBody("", nil, persisted(q)))
	}
	served := func(h *harness, q string) {
		t.Helper()
		if r := byHash(h, q); len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"name"`) {
			t.Errorf("%s by hash: %s %+v", q, r.Data, r.Errors)
		}
	}

	srv.Kill()
	register(a, query(569))
	served(a, query(569))
	byHash(b, query(569)).errorWith(t, "PERSISTED_QUERY_NOT_FOUND")
	register(b, query(569))
	served(b, query(569))

	srv.Restart(t)
	for _, h := range []*harness{a, b} {
		testkit.WaitFor(t, "/readyz to see Redis again", func() bool { _, rd := h.readyz(); return rd.Redis == "ok" })
	}
	register(a, query(242))
	served(b, query(242))
	// Registered with a during the outage, never in Redis: a third replica learns it
	// once a has served it again.
	c := mk()
	byHash(c, query(569)).errorWith(t, "PERSISTED_QUERY_NOT_FOUND")
	served(a, query(569))
	served(c, query(569))
}
