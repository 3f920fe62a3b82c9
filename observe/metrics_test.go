package observe_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"spacegraph/catalog"
	"spacegraph/economy"
	"spacegraph/ll2"
	"spacegraph/observe"
	"spacegraph/protect"
	"spacegraph/reqscope"
)

func TestUpstreamCalls(t *testing.T) {
	m := observe.New(observe.Options{})
	m.UpstreamCall(ll2.Call{Method: "GET", Path: "spacecraft/12/", Status: 200, Duration: 30 * time.Millisecond})
	m.UpstreamCall(ll2.Call{Method: "GET", Path: "spacecraft/7/", Status: 200, Duration: 10 * time.Millisecond})
	m.UpstreamCall(ll2.Call{Method: "GET", Path: "spacecraft/", Query: "limit=10", Status: 429, Duration: time.Millisecond})
	m.UpstreamCall(ll2.Call{Method: "GET", Path: "agencies/3/", Err: errors.New("connection refused"), Duration: 2 * time.Second})
	m.UpstreamCall(ll2.Call{Method: "GET", Path: ll2.PathCountries, Status: 200})

	f := scrape(t, m)
	for _, c := range []struct {
		endpoint, status string
		want             float64
	}{
		{"spacecraft/{id}/", "200", 2},
		{"spacecraft/", "429", 1},
		{"agencies/{id}/", "error", 1},
		{"config/countries/", "200", 1},
	} {
		if got := value(t, f, "spacegraph_upstream_calls_total", map[string]string{"endpoint": c.endpoint, "status": c.status}); got != c.want {
			t.Errorf("upstream calls %s %s = %v, want %v", c.endpoint, c.status, got, c.want)
		}
	}
	n, sum := histogram(t, f, "spacegraph_upstream_call_duration_seconds", map[string]string{"endpoint": "spacecraft/{id}/"})
	if n != 2 || sum < 0.0399 || sum > 0.0401 {
		t.Errorf("duration of spacecraft/{id}/: %d samples, sum %v; want 2, 0.04", n, sum)
	}
	if n, _ := histogram(t, f, "spacegraph_upstream_call_duration_seconds", map[string]string{"endpoint": "agencies/{id}/"}); n != 1 {
		t.Errorf("a failed call is timed too: got %d samples", n)
	}
}

// fakeEntities holds the ids it is given.
type fakeEntities struct{ have map[int]bool }

func (f fakeEntities) Get(_ context.Context, _ catalog.Kind, ids []int, _ ll2.Level) map[int]catalog.Cached {
	out := map[int]catalog.Cached{}
	for _, id := range ids {
		if f.have[id] {
			out[id] = catalog.Cached{}
		}
	}
	return out
}

func (f fakeEntities) GetStale(ctx context.Context, k catalog.Kind, ids []int, l ll2.Level) map[int]catalog.Cached {
	return f.Get(ctx, k, ids, l)
}

func (fakeEntities) Put(context.Context, *catalog.Seen) {}

func TestCacheOutcomes(t *testing.T) {
	m := observe.New(observe.Options{})
	// Every outcome of each layer is there from the start, at zero.
	f := scrape(t, m)
	for _, o := range []string{"hit", "miss", "stale", "stale-if-error", "budget", "error"} {
		if v := value(t, f, "spacegraph_cache_outcomes_total", map[string]string{"layer": "answer", "outcome": o}); v != 0 {
			t.Errorf("answer/%s starts at %v", o, v)
		}
	}
	value(t, f, "spacegraph_cache_outcomes_total", map[string]string{"layer": "response", "outcome": "hit"})
	value(t, f, "spacegraph_cache_outcomes_total", map[string]string{"layer": "entity", "outcome": "miss"})

	for _, o := range []string{"hit", "hit", "stale", "stale-if-error", "miss", "budget", "error"} {
		m.UpstreamEvent(economy.Event{Path: "spacecraft/1/", Outcome: o, Status: 200})
	}
	ctx := context.Background()
	m.CacheOutcome(observe.LayerResponse, observe.OutcomeHit)
	m.CacheOutcome(observe.LayerResponse, observe.OutcomeMiss)
	ents := m.EntityCache(fakeEntities{have: map[int]bool{1: true, 2: true}})
	if got := ents.Get(ctx, catalog.KindConfig, []int{1, 2, 3}, ll2.LevelNormal); len(got) != 2 {
		t.Fatalf("the wrapped entity cache answered %d entities, want 2", len(got))
	}
	if got := ents.GetStale(ctx, catalog.KindConfig, []int{3, 1}, ll2.LevelNormal); len(got) != 1 {
		t.Fatalf("the wrapped entity cache's stale lookup answered %d entities, want 1", len(got))
	}
	m.CacheOutcome("bogus-layer", "hit")
	m.CacheOutcome(observe.LayerAnswer, "bogus-outcome")

	f = scrape(t, m)
	for _, c := range []struct {
		layer, outcome string
		want           float64
	}{
		{"answer", "hit", 2}, {"answer", "stale", 1}, {"answer", "stale-if-error", 1},
		{"answer", "miss", 1}, {"answer", "budget", 1}, {"answer", "error", 1},
		{"response", "hit", 1}, {"response", "miss", 1},
		{"entity", "hit", 2}, {"entity", "miss", 1}, {"entity", "stale-if-error", 1},
		{"other", "hit", 1}, {"answer", "other", 1},
	} {
		if got := value(t, f, "spacegraph_cache_outcomes_total", map[string]string{"layer": c.layer, "outcome": c.outcome}); got != c.want {
			t.Errorf("cache %s/%s = %v, want %v", c.layer, c.outcome, got, c.want)
		}
	}
}

func TestLoaderBatches(t *testing.T) {
	m := observe.New(observe.Options{})
	m.LoaderBatch("agency", 4)
	// Through a real loader: three keys in one window are one batch of three.
	l := dataloader.NewBatchedLoader(func(_ context.Context, keys []int) []*dataloader.Result[string] {
		out := make([]*dataloader.Result[string], len(keys))
		for i := range keys {
			out[i] = &dataloader.Result[string]{Data: "x"}
		}
		return out
	}, dataloader.WithWait[int, string](20*time.Millisecond), dataloader.WithTracer[int, string](observe.NewLoaderTracer[int, string]("spacecraft", m)))
	thunks := []dataloader.Thunk[string]{l.Load(context.Background(), 1), l.Load(context.Background(), 2), l.Load(context.Background(), 3)}
	for _, th := range thunks {
		if _, err := th(); err != nil {
			t.Fatal(err)
		}
	}
	f := scrape(t, m)
	if n, sum := histogram(t, f, "spacegraph_loader_batch_size", map[string]string{"loader": "spacecraft"}); n != 1 || sum != 3 {
		t.Errorf("spacecraft batches: %d with %v keys; want 1 with 3", n, sum)
	}
	if n, sum := histogram(t, f, "spacegraph_loader_batch_size", map[string]string{"loader": "agency"}); n != 1 || sum != 4 {
		t.Errorf("agency batches: %d with %v keys; want 1 with 4", n, sum)
	}
}

func TestBudgetGauges(t *testing.T) {
	m := observe.New(observe.Options{})
	f := scrape(t, m)
	if f["spacegraph_upstream_budget_remaining"] != nil {
		t.Fatal("budget gauges before a callback is registered")
	}
	ok := true
	m.BudgetFunc(func(context.Context) (int, int, bool) { return 11, 15, ok })
	f = scrape(t, m)
	if v := value(t, f, "spacegraph_upstream_budget_remaining", nil); v != 11 {
		t.Errorf("remaining = %v, want 11", v)
	}
	if v := value(t, f, "spacegraph_upstream_budget_limit", nil); v != 15 {
		t.Errorf("limit = %v, want 15", v)
	}
	ok = false
	if f := scrape(t, m); f["spacegraph_upstream_budget_remaining"] != nil || f["spacegraph_upstream_budget_limit"] != nil {
		t.Error("an unreadable budget still shows gauges")
	}

	// BudgetOf reads an economy.Budget at each scrape.
	now := time.Unix(1_700_000_000, 0)
	b := economy.NewMemoryBudget(15, time.Hour, func() time.Time { return now })
	m.BudgetFunc(observe.BudgetOf(b, func() time.Time { return now }))
	for range 4 {
		if _, ok, err := b.Take(context.Background(), economy.PriorityUser); !ok || err != nil {
			t.Fatalf("take: %v %v", ok, err)
		}
	}
	f = scrape(t, m)
	if v := value(t, f, "spacegraph_upstream_budget_remaining", nil); v != 11 {
		t.Errorf("remaining after 4 calls of 15 = %v, want 11", v)
	}
	if err := b.Block(context.Background(), now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	f = scrape(t, m)
	if v := value(t, f, "spacegraph_upstream_budget_remaining", nil); v != 0 {
		t.Errorf("remaining while blocked = %v, want 0", v)
	}
	// A budget that hangs does not hang the scrape.
	slow := observe.New(observe.Options{BudgetTimeout: 20 * time.Millisecond})
	slow.BudgetFunc(func(ctx context.Context) (int, int, bool) {
		<-ctx.Done()
		return 0, 0, false
	})
	start := time.Now()
	scrape(t, slow)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a hanging budget held the scrape for %v", d)
	}
}

// TestHTTPInstrument serves requests through Instrument as the gateway does, the routes
// named in the request's record, with the panic recovery inside Instrument (as the
// gateway has it) and outside: either way each request is counted once, by route,
// method and code, a panic as a 500 (whether or not the handler had begun its
// answer), a request no route took as "unmatched", and timed by route.
func TestHTTPInstrument(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		name  string
		chain func(m *observe.Metrics, routes http.Handler) http.Handler
	}{
		{"recovery inside", func(m *observe.Metrics, routes http.Handler) http.Handler {
			return m.Instrument(protect.Recover(log, routes))
		}},
		{"recovery outside", func(m *observe.Metrics, routes http.Handler) http.Handler {
			return protect.Recover(log, m.Instrument(routes))
		}},
		{"no recovery", func(m *observe.Metrics, routes http.Handler) http.Handler {
			return m.Instrument(routes)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := observe.New(observe.Options{})
			var inFlight float64
			mux := http.NewServeMux()
			mux.Handle("/graphql", reqscope.Route("/graphql", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inFlight = value(t, scrape(t, m), "spacegraph_http_requests_in_flight", nil)
				if r.URL.Query().Get("fail") != "" {
					w.WriteHeader(http.StatusBadRequest)
					return
				}
				_, _ = w.Write([]byte("{}"))
			})))
			mux.Handle("/boom", reqscope.Route("/boom", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("late") != "" {
					_, _ = w.Write([]byte("{"))
				}
				panic("boom")
			})))
			mux.Handle("GET /healthz", reqscope.Route("/healthz", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
			h := reqscope.Middleware(tc.chain(m, mux))
			serve := func(method, target string) (status int, panicked bool) {
				defer func() {
					if recover() != nil {
						panicked = true
					}
				}()
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
				return rec.Code, false
			}
			for _, c := range []struct {
				method, target string
				status         int
			}{
				{"GET", "/graphql", 200},
				{"GET", "/graphql", 200},
				{"GET", "/graphql?fail=1", 400},
				{"POST", "/graphql", 200},
				{"BREW", "/graphql", 200},
				{"GET", "/boom", 500},
				{"GET", "/boom?late=1", 200},
				{"GET", "/nowhere", 404},
				{"POST", "/healthz", 405},
			} {
				status, panicked := serve(c.method, c.target)
				switch {
				case tc.name == "no recovery" && strings.HasPrefix(c.target, "/boom"):
					if !panicked {
						t.Errorf("%s %s: Instrument swallowed the panic", c.method, c.target)
					}
				case c.target == "/boom?late=1":
					// Too late for a clean answer: the recovery cuts the connection.
					if !panicked {
						t.Errorf("%s %s: the begun answer was not cut", c.method, c.target)
					}
				case panicked || status != c.status:
					t.Errorf("%s %s: status %d (panicked %v), want %d", c.method, c.target, status, panicked, c.status)
				}
			}
			if inFlight != 1 {
				t.Errorf("in flight during a request = %v, want 1", inFlight)
			}

			f := scrape(t, m)
			for _, c := range []struct {
				route, method, code string
				want                float64
			}{
				{"/graphql", "get", "200", 2},
				{"/graphql", "get", "400", 1},
				{"/graphql", "post", "200", 1},
				{"/graphql", "unknown", "200", 1},
				{"/boom", "get", "500", 2},
				{"unmatched", "get", "404", 1},
				{"unmatched", "post", "405", 1},
			} {
				if got := value(t, f, "spacegraph_http_requests_total", map[string]string{"route": c.route, "method": c.method, "code": c.code}); got != c.want {
					t.Errorf("requests %s %s %s = %v, want %v", c.route, c.method, c.code, got, c.want)
				}
			}
			if n := len(f["spacegraph_http_requests_total"].GetMetric()); n != 7 {
				t.Errorf("%d series of spacegraph_http_requests_total, want 7:\n%s", n, describe(f["spacegraph_http_requests_total"]))
			}
			for route, want := range map[string]uint64{"/graphql": 5, "/boom": 2, "unmatched": 2} {
				if n, _ := histogram(t, f, "spacegraph_http_request_duration_seconds", map[string]string{"route": route}); n != want {
					t.Errorf("%s durations: %d samples, want %d", route, n, want)
				}
			}
			if v := value(t, f, "spacegraph_http_requests_in_flight", nil); v != 0 {
				t.Errorf("in flight after the requests = %v, want 0", v)
			}
		})
	}
}

// The wrappers keep a handler's streaming: flushes reach the connection, through the
// writer itself or http.ResponseController.
func TestWrappersFlush(t *testing.T) {
	m := observe.New(observe.Options{})
	for _, flush := range []func(http.ResponseWriter) error{
		func(w http.ResponseWriter) error { w.(http.Flusher).Flush(); return nil },
		func(w http.ResponseWriter) error { return http.NewResponseController(w).Flush() },
	} {
		h := observe.LogRequests(slog.New(slog.DiscardHandler), observe.LogOptions{}, m.Instrument(reqscope.Route("/s", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("a"))
			if err := flush(w); err != nil {
				t.Error(err)
			}
		}))))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/s", nil))
		if !rec.Flushed {
			t.Error("the flush did not reach the connection")
		}
	}
}

func TestRuntimeAndProcessCollectors(t *testing.T) {
	f := scrape(t, observe.New(observe.Options{}))
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total", "process_open_fds"} {
		if f[name] == nil {
			t.Errorf("no %s", name)
		}
	}
}

// A nil *Metrics takes every call, so that a gateway can run without metrics.
func TestNilMetrics(t *testing.T) {
	var m *observe.Metrics
	m.UpstreamCall(ll2.Call{Path: "spacecraft/"})
	m.UpstreamEvent(economy.Event{Outcome: "hit"})
	m.CacheOutcome(observe.LayerAnswer, observe.OutcomeHit)
	m.LoaderBatch("x", 1)
	m.BudgetFunc(nil)
	if m.EntityCache(nil) != nil || m.Registry() != nil {
		t.Error("a nil Metrics made something")
	}
	rec := httptest.NewRecorder()
	m.Instrument(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })).
		ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	if rec.Code != http.StatusTeapot {
		t.Errorf("status %d went through as %d", http.StatusTeapot, rec.Code)
	}
	rec = httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("a nil Metrics serves /metrics with %d", rec.Code)
	}
}
