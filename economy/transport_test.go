package economy

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"spacegraph/internal/testkit"
	"spacegraph/ll2"
)

// rig is a transport over a fake base, a store on the simulated clock and, when asked,
// a budget.
type rig struct {
	clk    *testkit.Clock
	base   *testkit.FakeLL2
	store  *clockStore
	budget *MemoryBudget
	ev     *events
	tr     *Transport
}

func newRig(t *testing.T, mod func(*Options)) *rig {
	t.Helper()
	r := &rig{clk: testkit.NewClock(), base: testkit.NewFakeLL2(), ev: &events{}}
	r.store = newClockStore(r.clk.Now)
	o := Options{Base: r.base, Store: r.store, Now: r.clk.Now, Observe: r.ev.observe}
	if mod != nil {
		mod(&o)
	}
	if b, ok := o.Budget.(*MemoryBudget); ok {
		r.budget = b
	}
	r.tr = NewTransport(o)
	t.Cleanup(func() { idle(t, r.tr) })
	return r
}

// withBudget gives the rig a budget on its clock.
func (r *rig) withBudget(limit int, window time.Duration) *rig {
	r.budget = NewMemoryBudget(limit, window, r.clk.Now)
	r.tr.o.Budget = r.budget
	return r
}

func (r *rig) get(t *testing.T, path string) testkit.Response {
	t.Helper()
	return testkit.Get(t, r.tr, context.Background(), root+path)
}

// getReport makes a request with a report of its own and returns both.
func (r *rig) getReport(t *testing.T, path string) (testkit.Response, Summary) {
	t.Helper()
	ctx, rep := WithReport(context.Background())
	g := testkit.Get(t, r.tr, ctx, root+path)
	return g, rep.Summary()
}

func wantBody(t *testing.T, g testkit.Response, status int, body string) {
	t.Helper()
	if g.Err != nil {
		t.Fatalf("error %v, want %d %s", g.Err, status, body)
	}
	if g.Status != status || g.Body != body {
		t.Fatalf("got %d %s, want %d %s", g.Status, g.Body, status, body)
	}
}

func TestKey(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{root + "spacecraft/?limit=10&mode=normal", root + "spacecraft/?mode=normal&limit=10"},
		{root + "spacecraft/?limit=10", root + "spacecraft/?limit=10&format=json"},
		{root + "spacecraft/?limit=10", root + "spacecraft/?format=api&limit=10"},
		{root + "spacecraft/", root + "spacecraft/?format=json"},
		{root + "spacecraft/?search=a%20b", root + "spacecraft/?search=a+b"},
	} {
		if ka, kb := key(t, c.a), key(t, c.b); ka != kb {
			t.Errorf("%s and %s: keys %q and %q differ", c.a, c.b, ka, kb)
		}
	}
	for _, c := range []struct{ a, b string }{
		{root + "spacecraft/?limit=10", root + "spacecraft/?limit=20"},
		{root + "spacecraft/?limit=10", root + "spacecraft/?limit=10&offset=10"},
		{root + "spacecraft/?mode=list", root + "spacecraft/?mode=detailed"},
		{root + "spacecraft/", root + "spacecraft/1/"},
		{root + "spacecraft/", root + "agencies/"},
		{root + "spacecraft/", "https://lldev.thespacedevs.com/2.3.0/spacecraft/"},
		{root + "spacecraft/?id=1&id=2", root + "spacecraft/?id=1"},
	} {
		if ka, kb := key(t, c.a), key(t, c.b); ka == kb {
			t.Errorf("%s and %s share the key %q", c.a, c.b, ka)
		}
	}
	if k := key(t, root+"spacecraft/?mode=normal&format=json&limit=5"); k != "ll2:ll.thespacedevs.com/2.3.0/spacecraft/?limit=5&mode=normal" {
		t.Errorf("key %q", k)
	}
}

func key(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return Key(u)
}

func TestTTLsFor(t *testing.T) {
	d := DefaultTTLs()
	custom := TTLs{ByPrefix: map[string]time.Duration{"config/": 24 * time.Hour, "config/countries/": time.Minute, "spacecraft/": time.Hour}, Default: 5 * time.Minute}
	for _, c := range []struct {
		ttls TTLs
		path string
		want time.Duration
	}{
		{d, "spacecraft/", time.Hour},
		{d, "spacecraft/12/", time.Hour},
		{d, "spacecraft_configurations/", 6 * time.Hour},
		{d, "spacecraft_configurations/3/", 6 * time.Hour},
		{d, "agencies/", 6 * time.Hour},
		{d, "spacecraft_configuration_families/1/", 6 * time.Hour},
		{d, "config/spacecraft_statuses/", 24 * time.Hour},
		// Every lookup table is kept a day; flights and docking events change as
		// spacecraft fly and dock, within hours ("spacecraft/" must not take
		// "spacecraft_flights/" for one of its paths, nor leave it a day).
		{d, "config/spacecraft_configuration_types/", 24 * time.Hour},
		{d, "config/agency_types/", 24 * time.Hour},
		{d, "config/countries/?limit=100&offset=100", 24 * time.Hour},
		{d, "config/image_licenses/", 24 * time.Hour},
		{d, "spacecraft_flights/", time.Hour},
		{d, "spacecraft_flights/12/", time.Hour},
		{d, "docking_events/", time.Hour},
		{d, "launches/", time.Hour},
		{d, "", time.Hour},
		{custom, "config/agency_types/", 24 * time.Hour},
		{custom, "config/countries/", time.Minute}, // the longest prefix wins
		{custom, "config/countries/?limit=5", time.Minute},
		{custom, "spacecraft/1/", time.Hour},
		{custom, "spacecraft_configurations/", 5 * time.Minute},
		{custom, "agencies/", 5 * time.Minute},
	} {
		for range 5 { // map order must not matter
			if got := c.ttls.For(c.path); got != c.want {
				t.Fatalf("For(%q) = %v, want %v", c.path, got, c.want)
			}
		}
	}
}

func TestTransportFreshHit(t *testing.T) {
	r := newRig(t, nil)
	g := r.get(t, "spacecraft/?limit=10&mode=normal")
	wantBody(t, g, 200, `{"path":"spacecraft/","call":1}`)
	if g.Header.Get("Age") != "0" || g.Stale() || g.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("headers of a miss: %v", g.Header)
	}
	if ev := r.ev.last(); ev != (Event{Path: "spacecraft/", Outcome: "miss", Status: 200}) {
		t.Fatalf("event %+v", ev)
	}
	r.clk.Advance(59 * time.Minute)
	for _, q := range []string{
		"spacecraft/?limit=10&mode=normal",
		"spacecraft/?mode=normal&limit=10",
		"spacecraft/?mode=normal&limit=10&format=json",
		"spacecraft/?format=api&limit=10&mode=normal",
	} {
		g, sum := r.getReport(t, q)
		wantBody(t, g, 200, `{"path":"spacecraft/","call":1}`)
		if g.Header.Get("Age") != "3540" || g.Stale() {
			t.Fatalf("%s: headers of a hit: %v", q, g.Header)
		}
		if want := (Summary{Hits: 1, MaxAge: 59 * time.Minute, MinFresh: time.Minute, FreshKnown: true}); sum != want {
			t.Fatalf("%s: report %+v, want %+v", q, sum, want)
		}
		if ev := r.ev.last(); ev.Outcome != "hit" {
			t.Fatalf("%s: event %+v", q, ev)
		}
	}
	if r.base.Calls() != 1 {
		t.Fatalf("%d base calls, want 1", r.base.Calls())
	}
	// Other parameters are another entry.
	wantBody(t, r.get(t, "spacecraft/?limit=20&mode=normal"), 200, `{"path":"spacecraft/","call":2}`)
	wantBody(t, r.get(t, "spacecraft/?limit=10&mode=detailed"), 200, `{"path":"spacecraft/","call":3}`)
	if r.base.Calls() != 3 || r.store.Len() != 3 {
		t.Fatalf("%d base calls and %d entries, want 3 and 3", r.base.Calls(), r.store.Len())
	}
}

func TestTransportDefaultStore(t *testing.T) {
	b := testkit.NewFakeLL2()
	tr := NewTransport(Options{Base: b})
	defer idle(t, tr)
	if _, ok := tr.Store().(*MemoryStore); !ok {
		t.Fatalf("default store is %T", tr.Store())
	}
	if tr.Budget() != nil {
		t.Fatalf("default budget %v", tr.Budget())
	}
	for range 3 {
		wantBody(t, testkit.Get(t, tr, context.Background(), root+"agencies/1/"), 200, `{"path":"agencies/1/","call":1}`)
	}
	if b.Calls() != 1 {
		t.Fatalf("%d base calls, want 1", b.Calls())
	}
}

func TestTransportTTLPerPath(t *testing.T) {
	ttls := TTLs{ByPrefix: map[string]time.Duration{"spacecraft/": time.Hour, "config/": 24 * time.Hour}, Default: 10 * time.Minute}
	for _, c := range []struct {
		path string
		ttl  time.Duration
	}{
		{"spacecraft/1/", time.Hour},
		{"config/spacecraft_statuses/", 24 * time.Hour},
		{"agencies/1/", 10 * time.Minute},
	} {
		t.Run(c.path, func(t *testing.T) {
			r := newRig(t, func(o *Options) { o.TTLs = ttls })
			_, sum := r.getReport(t, c.path)
			if sum.MinFresh != c.ttl || sum.Calls != 1 {
				t.Fatalf("miss: report %+v, want MinFresh %v", sum, c.ttl)
			}
			r.clk.Advance(c.ttl - time.Second)
			if g := r.get(t, c.path); g.Stale() || r.ev.last().Outcome != "hit" {
				t.Fatalf("a second before the TTL: %+v %+v", g.Header, r.ev.last())
			}
			r.clk.Advance(time.Second)
			if g := r.get(t, c.path); !g.Stale() || r.ev.last().Outcome != "stale" {
				t.Fatalf("at the TTL: %+v %+v", g.Header, r.ev.last())
			}
			idle(t, r.tr)
			if r.base.Calls() != 2 {
				t.Fatalf("%d base calls, want 2 (the miss and the refresh)", r.base.Calls())
			}
		})
	}
}

func TestTransportStaleWhileRevalidate(t *testing.T) {
	r := newRig(t, nil)
	gate, open := newGate(t)
	r.base.Script("spacecraft/1/", testkit.OK(`{"v":1}`), testkit.Answer{Status: 200, Body: `{"v":2}`, Gate: gate})
	wantBody(t, r.get(t, "spacecraft/1/"), 200, `{"v":1}`)

	r.clk.Advance(time.Hour + 5*time.Minute) // past the TTL, within stale-while-revalidate
	g, sum := r.getReport(t, "spacecraft/1/")
	wantBody(t, g, 200, `{"v":1}`)
	if g.Header.Get("Warning") != `110 - "Response is Stale"` || g.Header.Get("Age") != "3900" {
		t.Fatalf("stale headers %v", g.Header)
	}
	if want := (Summary{Hits: 1, Stale: 1, MaxAge: 65 * time.Minute, MinFresh: 0, FreshKnown: true}); sum != want {
		t.Fatalf("report %+v, want %+v (the refresh is not the request's call)", sum, want)
	}
	if ev := r.ev.last(); ev != (Event{Path: "spacecraft/1/", Outcome: "stale", Status: 200}) {
		t.Fatalf("event %+v", ev)
	}
	// The refresh is under way (held at the base); more requests get the stale copy at
	// once and start no other refresh.
	testkit.WaitFor(t, "the refresh to reach the base", func() bool { return r.base.Held() == 1 })
	if r.tr.Refreshing() != 1 {
		t.Fatalf("Refreshing %d, want 1", r.tr.Refreshing())
	}
	for range 10 {
		g := r.get(t, "spacecraft/1/")
		wantBody(t, g, 200, `{"v":1}`)
		if !g.Stale() {
			t.Fatal("stale copy without Warning")
		}
	}
	if n := r.base.CallsFor("spacecraft/1/"); n != 2 || r.tr.Refreshing() != 1 {
		t.Fatalf("%d calls and %d refreshes, want 2 calls (one refresh)", n, r.tr.Refreshing())
	}
	open()
	idle(t, r.tr)
	g, sum = r.getReport(t, "spacecraft/1/")
	wantBody(t, g, 200, `{"v":2}`)
	if g.Stale() || g.Header.Get("Age") != "0" || r.ev.last().Outcome != "hit" {
		t.Fatalf("after the refresh: %v %+v", g.Header, r.ev.last())
	}
	if want := (Summary{Hits: 1, MinFresh: time.Hour, FreshKnown: true}); sum != want {
		t.Fatalf("report %+v, want %+v", sum, want)
	}
	if n := r.base.CallsFor("spacecraft/1/"); n != 2 {
		t.Fatalf("%d calls, want 2", n)
	}
}

func TestTransportStaleWhileRevalidateWindow(t *testing.T) {
	r := newRig(t, func(o *Options) { o.StaleWhileRevalidate = 10 * time.Minute })
	gate, open := newGate(t)
	r.base.Script("spacecraft/1/", testkit.OK(`{"v":1}`), testkit.Answer{Status: 200, Body: `{"v":2}`, Gate: gate})
	r.get(t, "spacecraft/1/")
	// Past TTL + stale-while-revalidate the request waits for the call.
	r.clk.Advance(time.Hour + 10*time.Minute)
	done := make(chan testkit.Response)
	go func() { done <- r.get(t, "spacecraft/1/") }()
	testkit.WaitFor(t, "the call", func() bool { return r.base.Held() == 1 })
	select {
	case g := <-done:
		t.Fatalf("answered %v before the call ended", g)
	default:
	}
	if r.tr.Refreshing() != 0 {
		t.Fatal("a background refresh instead of a call")
	}
	open()
	g := testkit.Recv(t, done)
	wantBody(t, g, 200, `{"v":2}`)
	if g.Stale() || r.ev.last().Outcome != "miss" {
		t.Fatalf("%v %+v", g.Header, r.ev.last())
	}
}

func TestTransportRefreshRespectsReserve(t *testing.T) {
	r := newRig(t, nil).withBudget(5, 24*time.Hour) // 4 calls for the background, 1 kept
	r.base.Script("spacecraft/1/", testkit.OK(`{"v":1}`), testkit.OK(`{"v":2}`))
	r.get(t, "spacecraft/1/")
	for _, p := range []string{"agencies/1/", "agencies/2/", "agencies/3/"} {
		wantBody(t, r.get(t, p), 200, `{"path":"`+p+`","call":1}`)
	}
	r.clk.Advance(time.Hour + time.Minute)
	for range 3 {
		g := r.get(t, "spacecraft/1/")
		wantBody(t, g, 200, `{"v":1}`)
		if !g.Stale() {
			t.Fatal("no Warning on the stale copy")
		}
		idle(t, r.tr)
	}
	if n := r.base.CallsFor("spacecraft/1/"); n != 1 {
		t.Fatalf("the refresh spent the reserve: %d calls", n)
	}
	if s := status(t, r.budget); s.Used != 4 {
		t.Fatalf("used %d, want 4", s.Used)
	}
	// A user still gets the last call.
	wantBody(t, r.get(t, "agencies/4/"), 200, `{"path":"agencies/4/","call":1}`)
	if g := r.get(t, "agencies/5/"); g.Status != http.StatusTooManyRequests {
		t.Fatalf("over the budget: %d %s", g.Status, g.Body)
	}
	if r.base.Calls() != 5 {
		t.Fatalf("%d base calls, want 5", r.base.Calls())
	}
}

func TestTransportMaxBackgroundRefreshes(t *testing.T) {
	r := newRig(t, func(o *Options) { o.MaxBackgroundRefreshes = 1 })
	gate, open := newGate(t)
	r.base.Script("spacecraft/1/", testkit.OK(`{"a":1}`), testkit.Answer{Status: 200, Body: `{"a":2}`, Gate: gate})
	r.base.Script("spacecraft/2/", testkit.OK(`{"b":1}`), testkit.OK(`{"b":2}`))
	r.get(t, "spacecraft/1/")
	r.get(t, "spacecraft/2/")
	r.clk.Advance(time.Hour)
	wantBody(t, r.get(t, "spacecraft/1/"), 200, `{"a":1}`)
	testkit.WaitFor(t, "the first refresh", func() bool { return r.base.Held() == 1 })
	// No room for a second refresh: the stale copy is served and nothing is called.
	wantBody(t, r.get(t, "spacecraft/2/"), 200, `{"b":1}`)
	if r.tr.Refreshing() != 1 || r.base.CallsFor("spacecraft/2/") != 1 {
		t.Fatalf("refreshing %d, calls %d", r.tr.Refreshing(), r.base.CallsFor("spacecraft/2/"))
	}
	open()
	idle(t, r.tr)
	// Now there is room.
	wantBody(t, r.get(t, "spacecraft/2/"), 200, `{"b":1}`)
	idle(t, r.tr)
	wantBody(t, r.get(t, "spacecraft/2/"), 200, `{"b":2}`)
	wantBody(t, r.get(t, "spacecraft/1/"), 200, `{"a":2}`)
}

// TestTransportCloseStopsRefreshes checks that a background refresh does not outlive
// the transport: Close cancels the one waiting on LL2 and returns once it is gone, and
// a stale read after Close starts none.
func TestTransportCloseStopsRefreshes(t *testing.T) {
	r := newRig(t, nil)
	gate, _ := newGate(t)
	r.base.Script("spacecraft/1/", testkit.OK(`{"a":1}`), testkit.Answer{Status: 200, Body: `{"a":2}`, Gate: gate})
	r.get(t, "spacecraft/1/")
	r.clk.Advance(time.Hour)
	wantBody(t, r.get(t, "spacecraft/1/"), 200, `{"a":1}`)
	testkit.WaitFor(t, "the refresh to reach LL2", func() bool { return r.base.Held() == 1 })
	done := make(chan struct{})
	go func() {
		_ = r.tr.Close()
		close(done)
	}()
	testkit.Recv(t, done)
	if n := r.tr.Refreshing(); n != 0 || r.base.Held() != 0 {
		t.Fatalf("after Close: %d refreshes, %d calls held", n, r.base.Held())
	}
	wantBody(t, r.get(t, "spacecraft/1/"), 200, `{"a":1}`)
	if n := r.tr.Refreshing(); n != 0 {
		t.Fatalf("a read after Close started %d refreshes", n)
	}
}

var errNet = errors.New("dial tcp: connection refused")

func TestTransportStaleIfError(t *testing.T) {
	throttledBody := `{"detail":"Request was throttled. Expected available in 120 seconds."}`
	for _, c := range []struct {
		name string
		fail testkit.Answer
		// budget: the failure is the budget being spent, not an answer.
		budget bool
		// Without a stale copy: the status and body the client sees, or the error.
		status     int
		body       string
		retryAfter string
		err        error
		// calls is what the failing request costs.
		calls int
	}{
		{name: "502", fail: testkit.Answer{Status: 502, Body: `<html>502 Bad Gateway</html>`}, status: 502, body: `<html>502 Bad Gateway</html>`, calls: 1},
		{name: "503", fail: testkit.Answer{Status: 503, Body: `{"detail":"down"}`}, status: 503, body: `{"detail":"down"}`, calls: 1},
		{name: "500 empty", fail: testkit.Answer{Status: 500}, status: 500, calls: 1},
		{name: "429 with Retry-After", fail: testkit.Answer{Status: 429, Body: throttledBody, Header: map[string]string{"Retry-After": "120"}}, status: 429, body: throttledBody, retryAfter: "120", calls: 1},
		{name: "429 without Retry-After", fail: testkit.Answer{Status: 429, Body: throttledBody}, status: 429, body: throttledBody, retryAfter: "120", calls: 1},
		{name: "network error", fail: testkit.Answer{Err: errNet}, err: errNet, calls: 1},
		{name: "cut mid-body", fail: testkit.Answer{Status: 200, Body: `{"results":[{"id":1},`, Cut: true}, err: testkit.ErrCut, calls: 1},
		{name: "malformed JSON", fail: testkit.Answer{Status: 200, Body: `{"results":[{"id":1},`}, status: 200, body: `{"results":[{"id":1},`, calls: 1},
		{name: "HTML 200", fail: testkit.Answer{Status: 200, Body: `<html>maintenance</html>`}, status: 200, body: `<html>maintenance</html>`, calls: 1},
		{name: "budget spent", budget: true, status: 429, calls: 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, func(o *Options) {
				o.StaleWhileRevalidate = time.Minute
				o.MaxStale = 24 * time.Hour
			})
			r.base.Script("spacecraft/1/", testkit.OK(`{"v":1}`), c.fail)
			r.base.Script("spacecraft/2/", c.fail)
			if c.budget {
				r.withBudget(1, 48*time.Hour)
			}
			wantBody(t, r.get(t, "spacecraft/1/"), 200, `{"v":1}`)

			// With a stale copy: it stands in, marked stale.
			r.clk.Advance(2 * time.Hour)
			g, sum := r.getReport(t, "spacecraft/1/")
			wantBody(t, g, 200, `{"v":1}`)
			if !g.Stale() || g.Header.Get("Age") != "7200" {
				t.Fatalf("stale-if-error headers %v", g.Header)
			}
			if want := (Summary{Calls: c.calls, Hits: 1, Stale: 1, MaxAge: 2 * time.Hour, FreshKnown: true}); sum != want {
				t.Fatalf("report %+v, want %+v", sum, want)
			}
			if ev := r.ev.last(); ev != (Event{Path: "spacecraft/1/", Outcome: "stale-if-error", Status: 200}) {
				t.Fatalf("event %+v", ev)
			}
			// The failure was not cached over the stale copy.
			if e, ok, _ := r.store.Get(context.Background(), Key(mustURL(root+"spacecraft/1/"))); !ok || string(e.Body) != `{"v":1}` || !e.Fetched.Equal(t0) {
				t.Fatalf("stored %+v %v", e, ok)
			}
			idle(t, r.tr)

			// Without a stale copy: the failure as LL2 gave it.
			g, sum = r.getReport(t, "spacecraft/2/")
			if c.budget {
				wantThrottled(t, g, r.clk.Now(), 46*time.Hour)
				if ev := r.ev.last(); ev != (Event{Path: "spacecraft/2/", Outcome: "budget", Status: 429}) {
					t.Fatalf("event %+v", ev)
				}
			} else {
				switch {
				case c.err != nil:
					if !errors.Is(g.Err, c.err) {
						t.Fatalf("error %v, want %v", g.Err, c.err)
					}
				default:
					wantBody(t, g, c.status, c.body)
					if g.Stale() || g.Header.Get("Retry-After") != c.retryAfter {
						t.Fatalf("headers %v", g.Header)
					}
				}
				if ev := r.ev.last(); ev.Outcome != "error" || ev.Status != c.status {
					t.Fatalf("event %+v", ev)
				}
			}
			if want := (Summary{Calls: c.calls}); sum != want {
				t.Fatalf("report %+v, want %+v", sum, want)
			}
			// Failures are not cached: the next request calls again.
			r.get(t, "spacecraft/2/")
			if n := r.base.CallsFor("spacecraft/2/"); n != 2*c.calls {
				t.Fatalf("%d calls, want %d", n, 2*c.calls)
			}

			// Past MaxStale the copy is gone and the failure shows.
			r.clk.Advance(23 * time.Hour)
			g = r.get(t, "spacecraft/1/")
			if g.Stale() || (g.Err == nil && g.Body == `{"v":1}`) {
				t.Fatalf("served a copy past MaxStale: %+v", g)
			}
		})
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// wantThrottled checks a 429 in LL2's words with a wait of want.
func wantThrottled(t *testing.T, g testkit.Response, now time.Time, want time.Duration) {
	t.Helper()
	if g.Err != nil || g.Status != http.StatusTooManyRequests {
		t.Fatalf("got %d %v, want 429", g.Status, g.Err)
	}
	var d ll2.Detail
	if err := json.Unmarshal([]byte(g.Body), &d); err != nil {
		t.Fatalf("429 body %q: %v", g.Body, err)
	}
	if d.Detail != ll2.ThrottleDetail(want) {
		t.Fatalf("429 detail %q, want %q", d.Detail, ll2.ThrottleDetail(want))
	}
	// Both say whole seconds, rounded up as DRF does.
	secs := (want + time.Second - 1) / time.Second * time.Second
	if wait, ok := ll2.ParseRetryAfter(http.Header{}, d.Detail, now); !ok || wait != secs {
		t.Fatalf("the body says wait %v (%v), want %v", wait, ok, want)
	}
	if wait, ok := ll2.ParseRetryAfter(g.Header, "", now); !ok || wait != secs {
		t.Fatalf("Retry-After %q says %v, want %v", g.Header.Get("Retry-After"), wait, want)
	}
	if g.Header.Get("Age") != "" || g.Stale() {
		t.Fatalf("headers %v", g.Header)
	}
}

func TestTransportThrottledRoundsUp(t *testing.T) {
	r := newRig(t, nil).withBudget(1, time.Minute)
	r.get(t, "spacecraft/1/")
	r.clk.Advance(20*time.Second + 300*time.Millisecond)
	g := r.get(t, "spacecraft/2/")
	// 39.7 s left: LL2 (and the synthetic answer) say 40.
	if g.Header.Get("Retry-After") != "40" || !strings.Contains(g.Body, "Expected available in 40 seconds.") {
		t.Fatalf("%v %s", g.Header, g.Body)
	}
}

func TestTransport429BlocksBudget(t *testing.T) {
	for _, c := range []struct {
		name   string
		header map[string]string
		body   string
		wait   time.Duration
	}{
		{"Retry-After seconds", map[string]string{"Retry-After": "120"}, `{"detail":"Request was throttled."}`, 120 * time.Second},
		{"Retry-After date", map[string]string{"Retry-After": t0.Add(90 * time.Second).Format(http.TimeFormat)}, `{}`, 90 * time.Second},
		{"body only", nil, `{"detail":"Request was throttled. Expected available in 300 seconds."}`, 300 * time.Second},
		{"header before body", map[string]string{"Retry-After": "7"}, `{"detail":"Request was throttled. Expected available in 300 seconds."}`, 7 * time.Second},
		{"neither", nil, `Too Many Requests`, time.Minute},
		// A wait longer than the budget's window is cut to it, and the client is
		// told the wait it will see.
		{"Retry-After of a week", map[string]string{"Retry-After": "604800"}, `{"detail":"Request was throttled."}`, time.Hour},
		{"Retry-After past a Duration", map[string]string{"Retry-After": "99999999999999999"}, `{}`, time.Hour},
		{"body of a week", nil, `{"detail":"Request was throttled. Expected available in 604800 seconds."}`, time.Hour},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, nil).withBudget(15, time.Hour)
			r.base.Script("spacecraft/1/", testkit.Answer{Status: 429, Body: c.body, Header: c.header})
			g := r.get(t, "spacecraft/1/")
			wantBody(t, g, 429, c.body)
			wantRetry := strconv.Itoa(int(c.wait / time.Second))
			if c.name == "neither" {
				wantRetry = ""
			}
			if got := g.Header.Get("Retry-After"); got != wantRetry {
				t.Fatalf("Retry-After %q, want %q", got, wantRetry)
			}
			if s := status(t, r.budget); !s.BlockedUntil.Equal(t0.Add(c.wait)) || s.Used != 1 {
				t.Fatalf("budget %+v, want blocked until t0+%v", s, c.wait)
			}
			// Every later call waits, whatever the path.
			for _, p := range []string{"spacecraft/1/", "agencies/1/", "config/countries/"} {
				wantThrottled(t, r.get(t, p), r.clk.Now(), c.wait)
			}
			r.clk.Advance(c.wait / 2)
			wantThrottled(t, r.get(t, "agencies/1/"), r.clk.Now(), c.wait-c.wait/2)
			r.clk.Advance(c.wait - c.wait/2 - time.Millisecond)
			wantThrottled(t, r.get(t, "agencies/1/"), r.clk.Now(), time.Millisecond)
			if r.base.Calls() != 1 {
				t.Fatalf("%d base calls while blocked", r.base.Calls())
			}
			r.clk.Advance(time.Millisecond)
			wantBody(t, r.get(t, "agencies/1/"), 200, `{"path":"agencies/1/","call":1}`)
			if r.base.Calls() != 2 {
				t.Fatalf("%d base calls, want 2", r.base.Calls())
			}
		})
	}
}

func TestTransportNotFoundCached(t *testing.T) {
	r := newRig(t, func(o *Options) { o.NotFoundTTL = 5 * time.Minute })
	r.base.Script("spacecraft/999/", testkit.Answer{Status: 404, Body: `{"detail":"Not found."}`}, testkit.OK(`{"id":999}`))
	g, sum := r.getReport(t, "spacecraft/999/")
	wantBody(t, g, 404, `{"detail":"Not found."}`)
	if want := (Summary{Calls: 1, MinFresh: 5 * time.Minute, FreshKnown: true}); sum != want {
		t.Fatalf("report %+v, want %+v", sum, want)
	}
	if ev := r.ev.last(); ev != (Event{Path: "spacecraft/999/", Outcome: "miss", Status: 404}) {
		t.Fatalf("event %+v", ev)
	}
	r.clk.Advance(5*time.Minute - time.Second)
	g = r.get(t, "spacecraft/999/")
	wantBody(t, g, 404, `{"detail":"Not found."}`)
	if g.Stale() || g.Header.Get("Age") != "299" || r.ev.last().Outcome != "hit" {
		t.Fatalf("cached 404: %v %+v", g.Header, r.ev.last())
	}
	if r.base.Calls() != 1 {
		t.Fatalf("%d base calls, want 1", r.base.Calls())
	}
	// After NotFoundTTL the store has let it go, and LL2 is asked again.
	r.clk.Advance(time.Second)
	wantBody(t, r.get(t, "spacecraft/999/"), 200, `{"id":999}`)
	if r.base.Calls() != 2 {
		t.Fatalf("%d base calls, want 2", r.base.Calls())
	}
}

func TestTransportServerErrorsNotCached(t *testing.T) {
	r := newRig(t, nil)
	r.base.Script("spacecraft/1/", testkit.Answer{Status: 503, Body: `{}`}, testkit.Answer{Status: 500, Body: `{}`}, testkit.OK(`{"v":1}`))
	wantBody(t, r.get(t, "spacecraft/1/"), 503, `{}`)
	wantBody(t, r.get(t, "spacecraft/1/"), 500, `{}`)
	if r.store.sets != 0 {
		t.Fatalf("%d store writes for errors", r.store.sets)
	}
	wantBody(t, r.get(t, "spacecraft/1/"), 200, `{"v":1}`)
	wantBody(t, r.get(t, "spacecraft/1/"), 200, `{"v":1}`)
	if r.base.Calls() != 3 || r.store.sets != 1 {
		t.Fatalf("%d calls, %d writes; want 3, 1", r.base.Calls(), r.store.sets)
	}
}

func TestTransportSharesConcurrentCalls(t *testing.T) {
	const n = 64
	cf := &countingFlight{inner: &MemoryFlight{}}
	r := newRig(t, func(o *Options) { o.Flight = cf })
	r.withBudget(15, time.Hour)
	gate, open := newGate(t)
	body := `{"count":1,"results":[{"id":1,"name":"Dragon"}]}`
	r.base.Script("spacecraft/", testkit.Answer{Status: 200, Body: body, Gate: gate})
	var wg sync.WaitGroup
	results := make([]testkit.Response, n)
	sums := make([]Summary, n)
	for i := range n {
		wg.Go(func() { results[i], sums[i] = r.getReport(t, "spacecraft/?limit=1") })
	}
	testkit.WaitFor(t, "all requests to wait on the one call", func() bool {
		return cf.entered.Load() == n && r.base.Held() == 1
	})
	open()
	wg.Wait()
	calls := 0
	for i := range n {
		wantBody(t, results[i], 200, body)
		calls += sums[i].Calls
		if sums[i].Stale != 0 || !sums[i].FreshKnown || sums[i].MinFresh != time.Hour {
			t.Fatalf("request %d: report %+v", i, sums[i])
		}
	}
	if r.base.Calls() != 1 || calls != 1 {
		t.Fatalf("%d base calls, %d in reports; want 1", r.base.Calls(), calls)
	}
	if s := status(t, r.budget); s.Used != 1 {
		t.Fatalf("budget used %d, want 1", s.Used)
	}
}

func TestTransportWaiterGivesUp(t *testing.T) {
	cf := &countingFlight{inner: &MemoryFlight{}}
	r := newRig(t, func(o *Options) { o.Flight = cf })
	gate, open := newGate(t)
	r.base.Script("spacecraft/1/", testkit.Answer{Status: 200, Body: `{"v":1}`, Gate: gate})

	leader := make(chan testkit.Response)
	go func() { leader <- r.get(t, "spacecraft/1/") }()
	testkit.WaitFor(t, "the call", func() bool { return r.base.Held() == 1 })

	ctx, cancel := context.WithCancel(context.Background())
	waiter := make(chan testkit.Response)
	go func() { waiter <- testkit.Get(t, r.tr, ctx, root+"spacecraft/1/") }()
	testkit.WaitFor(t, "the waiter", func() bool { return cf.entered.Load() == 2 })
	cancel()
	if g := testkit.Recv(t, waiter); !errors.Is(g.Err, context.Canceled) {
		t.Fatalf("waiter got %+v, want context.Canceled", g)
	}
	// The call goes on for the leader.
	open()
	wantBody(t, testkit.Recv(t, leader), 200, `{"v":1}`)
	wantBody(t, r.get(t, "spacecraft/1/"), 200, `{"v":1}`)
	if r.base.Calls() != 1 {
		t.Fatalf("%d base calls, want 1", r.base.Calls())
	}
}

func TestTransportLeaderGivesUp(t *testing.T) {
	cf := &countingFlight{inner: &MemoryFlight{}}
	r := newRig(t, func(o *Options) { o.Flight = cf })
	gate, open := newGate(t)
	r.base.Script("spacecraft/1/", testkit.Answer{Status: 200, Body: `{"v":1}`, Gate: gate})

	ctx, cancel := context.WithCancel(context.Background())
	leader := make(chan testkit.Response)
	go func() { leader <- testkit.Get(t, r.tr, ctx, root+"spacecraft/1/") }()
	testkit.WaitFor(t, "the call", func() bool { return r.base.Held() == 1 })
	waiter := make(chan testkit.Response)
	go func() { waiter <- r.get(t, "spacecraft/1/") }()
	testkit.WaitFor(t, "the waiter", func() bool { return cf.entered.Load() == 2 })
	cancel()
	if g := testkit.Recv(t, leader); !errors.Is(g.Err, context.Canceled) {
		t.Fatalf("leader got %+v, want context.Canceled", g)
	}
	// The call was not cancelled with the request that started it.
	open()
	wantBody(t, testkit.Recv(t, waiter), 200, `{"v":1}`)
	if r.base.Calls() != 1 {
		t.Fatalf("%d base calls, want 1", r.base.Calls())
	}
}

func TestTransportCallTimeout(t *testing.T) {
	r := newRig(t, func(o *Options) { o.CallTimeout = 20 * time.Millisecond })
	gate, _ := newGate(t) // opens only when the test ends
	r.base.Script("spacecraft/1/", testkit.OK(`{"v":1}`), testkit.Answer{Status: 200, Body: `{"v":2}`, Gate: gate})
	r.base.Script("spacecraft/2/", testkit.Answer{Status: 200, Body: `{"v":2}`, Gate: gate})
	if g := r.get(t, "spacecraft/2/"); !errors.Is(g.Err, context.DeadlineExceeded) {
		t.Fatalf("got %+v, want a deadline error", g)
	}
	// With a copy, the hanging call ends in the copy.
	r.get(t, "spacecraft/1/")
	r.clk.Advance(3 * time.Hour)
	g := r.get(t, "spacecraft/1/")
	wantBody(t, g, 200, `{"v":1}`)
	if !g.Stale() {
		t.Fatal("not marked stale")
	}
}

func TestTransportReport(t *testing.T) {
	r := newRig(t, nil)
	ctx, rep := WithReport(context.Background())
	if ReportFrom(ctx) != rep {
		t.Fatal("ReportFrom does not find the report")
	}
	testkit.Get(t, r.tr, ctx, root+"spacecraft/1/") // miss, TTL 1h
	r.clk.Advance(20 * time.Minute)
	testkit.Get(t, r.tr, ctx, root+"spacecraft/1/")               // hit, age 20m, 40m left
	testkit.Get(t, r.tr, ctx, root+"config/spacecraft_statuses/") // miss, 24h left
	if want := (Summary{Calls: 2, Hits: 1, MaxAge: 20 * time.Minute, MinFresh: 40 * time.Minute, FreshKnown: true}); rep.Summary() != want {
		t.Fatalf("report %+v, want %+v", rep.Summary(), want)
	}
	r.clk.Advance(50 * time.Minute)
	testkit.Get(t, r.tr, ctx, root+"spacecraft/1/") // stale, age 70m
	idle(t, r.tr)
	if want := (Summary{Calls: 2, Hits: 2, Stale: 1, MaxAge: 70 * time.Minute, MinFresh: 0, FreshKnown: true}); rep.Summary() != want {
		t.Fatalf("report %+v, want %+v", rep.Summary(), want)
	}
	if r.base.Calls() != 3 {
		t.Fatalf("%d base calls, want 3 (with the refresh)", r.base.Calls())
	}

	// Data from elsewhere counts too.
	_, rep2 := WithReport(context.Background())
	rep2.UseData(t0.Add(-10*time.Minute), time.Hour, t0, false)
	rep2.UseData(t0.Add(-2*time.Hour), time.Hour, t0, true)
	if want := (Summary{Stale: 1, MaxAge: 2 * time.Hour, MinFresh: 0, FreshKnown: true}); rep2.Summary() != want {
		t.Fatalf("UseData report %+v, want %+v", rep2.Summary(), want)
	}
	_, rep3 := WithReport(context.Background())
	rep3.UseData(t0.Add(-10*time.Minute), time.Hour, t0, false)
	if want := (Summary{MaxAge: 10 * time.Minute, MinFresh: 50 * time.Minute, FreshKnown: true}); rep3.Summary() != want {
		t.Fatalf("UseData report %+v, want %+v", rep3.Summary(), want)
	}

	// No report: every method is a no-op.
	var none *Report
	if ReportFrom(context.Background()) != nil {
		t.Fatal("a report from nowhere")
	}
	none.UseData(t0, time.Hour, t0, true)
	none.LimitCalls(1)
	if err := none.take(); err != nil {
		t.Fatal(err)
	}
	none.untake()
	none.hit()
	if none.Summary() != (Summary{}) {
		t.Fatal("nil report has content")
	}
	testkit.Get(t, r.tr, context.Background(), root+"spacecraft/7/")

	// A request that used no data does not know freshness.
	r2 := newRig(t, nil).withBudget(1, time.Hour)
	r2.get(t, "spacecraft/1/")
	if g, sum := r2.getReport(t, "spacecraft/2/"); g.Status != 429 || sum != (Summary{}) {
		t.Fatalf("throttled request: %d, report %+v", g.Status, sum)
	}
}

func TestTransportPassThrough(t *testing.T) {
	r := newRig(t, nil).withBudget(1, time.Hour)
	r.base.Script("api-throttle/", testkit.OK(`[{"your_request_limit":15}]`))
	r.get(t, "spacecraft/1/") // spends the budget
	for range 3 {
		wantBody(t, r.get(t, "api-throttle/"), 200, `[{"your_request_limit":15}]`)
	}
	req, _ := http.NewRequest(http.MethodPost, root+"spacecraft/1/", strings.NewReader(`{}`))
	for range 2 {
		resp, err := r.tr.RoundTrip(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("POST: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	if r.base.CallsFor("api-throttle/") != 3 || r.base.CallsFor("spacecraft/1/") != 3 || r.store.Len() != 1 {
		t.Fatalf("calls %d %d, entries %d", r.base.CallsFor("api-throttle/"), r.base.CallsFor("spacecraft/1/"), r.store.Len())
	}
	if s := status(t, r.budget); s.Used != 1 {
		t.Fatalf("pass-through calls were counted: used %d", s.Used)
	}
}

func TestTransportStoreFailure(t *testing.T) {
	r := newRig(t, nil)
	r.store.fail = errors.New("store down")
	for i := range 3 {
		wantBody(t, r.get(t, "spacecraft/1/"), 200, `{"path":"spacecraft/1/","call":`+strconv.Itoa(i+1)+`}`)
	}
	if r.base.Calls() != 3 {
		t.Fatalf("%d base calls, want 3", r.base.Calls())
	}
}

func TestTransportMaxConcurrentCalls(t *testing.T) {
	r := newRig(t, func(o *Options) { o.MaxConcurrentCalls = 2 })
	r.withBudget(15, time.Hour)
	gate, open := newGate(t)
	const n = 5
	for i := range n {
		r.base.Script("spacecraft/"+strconv.Itoa(i+1)+"/", testkit.Answer{Status: 200, Body: `{"id":` + strconv.Itoa(i+1) + `}`, Gate: gate})
	}
	results := make(chan testkit.Response, n)
	for i := range n {
		go func() { results <- r.get(t, "spacecraft/"+strconv.Itoa(i+1)+"/") }()
	}
	testkit.WaitFor(t, "two calls out", func() bool { return r.base.Held() == 2 })
	// The three others wait for a slot before they claim the budget: a call that
	// waits has not spent anything yet.
	if s := status(t, r.budget); s.Used != 2 {
		t.Fatalf("budget used %d while two calls are out, want 2", s.Used)
	}
	if got := r.base.Calls(); got != 2 {
		t.Fatalf("%d calls reached the base past a bound of 2", got)
	}
	open()
	for range n {
		if g := testkit.Recv(t, results); g.Err != nil || g.Status != 200 {
			t.Fatalf("got %+v", g)
		}
	}
	if r.base.Calls() != n {
		t.Fatalf("%d base calls, want %d", r.base.Calls(), n)
	}
}

func TestTransportConcurrencyWaitEndsWithContext(t *testing.T) {
	r := newRig(t, func(o *Options) { o.MaxConcurrentCalls = 1 })
	gate, open := newGate(t)
	r.base.Script("spacecraft/1/", testkit.Answer{Status: 200, Body: `{"id":1}`, Gate: gate})
	first := make(chan testkit.Response, 1)
	go func() { first <- r.get(t, "spacecraft/1/") }()
	testkit.WaitFor(t, "the first call", func() bool { return r.base.Held() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if g := testkit.Get(t, r.tr, ctx, root+"spacecraft/2/"); !errors.Is(g.Err, context.DeadlineExceeded) {
		t.Fatalf("a call waiting for a slot past its deadline got %+v, want DeadlineExceeded", g)
	}
	if r.base.CallsFor("spacecraft/2/") != 0 {
		t.Fatal("the call that gave up reached the base")
	}
	open()
	wantBody(t, testkit.Recv(t, first), 200, `{"id":1}`)
}

// rejecting is a client's check that refuses bodies holding "bad".
func rejecting(body []byte) error {
	if strings.Contains(string(body), "bad") {
		return errors.New("a bad answer")
	}
	return nil
}

// getChecked makes a request carrying the rejecting check, with a report of its own.
func (r *rig) getChecked(t *testing.T, ctx context.Context, path string) (testkit.Response, Summary) {
	t.Helper()
	ctx, rep := WithReport(ll2.WithBodyCheck(ctx, rejecting))
	g := testkit.Get(t, r.tr, ctx, root+path)
	return g, rep.Summary()
}

// TestTransportKeepsNoRejectedAnswer checks that an answer the client's check
// rejects is neither kept nor put over a good copy: without a copy the client gets it
// (and reports it), with one the copy stands in, stale; a background refresh that
// brings one leaves the copy; and the next request calls again.
func TestTransportKeepsNoRejectedAnswer(t *testing.T) {
	ctx := context.Background()
	key := func(path string) string { return Key(mustURL(root + path)) }

	t.Run("no copy", func(t *testing.T) {
		r := newRig(t, nil)
		r.base.Script("spacecraft/1/", testkit.OK(`{"v":"bad"}`), testkit.OK(`{"v":1}`))
		g, sum := r.getChecked(t, ctx, "spacecraft/1/")
		wantBody(t, g, 200, `{"v":"bad"}`)
		if sum != (Summary{Calls: 1}) || r.ev.last() != (Event{Path: "spacecraft/1/", Outcome: "error", Status: 200}) {
			t.Fatalf("report %+v, event %+v", sum, r.ev.last())
		}
		if _, ok, _ := r.store.Get(ctx, key("spacecraft/1/")); ok {
			t.Fatal("the rejected answer was kept")
		}
		g, _ = r.getChecked(t, ctx, "spacecraft/1/")
		wantBody(t, g, 200, `{"v":1}`)
		if n := r.base.CallsFor("spacecraft/1/"); n != 2 {
			t.Fatalf("%d calls, want 2", n)
		}
	})

	t.Run("stale-if-error", func(t *testing.T) {
		r := newRig(t, func(o *Options) { o.StaleWhileRevalidate = time.Minute })
		r.base.Script("spacecraft/1/", testkit.OK(`{"v":1}`), testkit.OK(`{"v":"bad"}`), testkit.OK(`{"v":2}`))
		r.getChecked(t, ctx, "spacecraft/1/")
		r.clk.Advance(2 * time.Hour)
		g, sum := r.getChecked(t, ctx, "spacecraft/1/")
		wantBody(t, g, 200, `{"v":1}`)
		if !g.Stale() || sum.Stale != 1 || r.ev.last().Outcome != "stale-if-error" {
			t.Fatalf("headers %v, report %+v, event %+v", g.Header, sum, r.ev.last())
		}
		if e, ok, _ := r.store.Get(ctx, key("spacecraft/1/")); !ok || string(e.Body) != `{"v":1}` || !e.Fetched.Equal(t0) {
			t.Fatalf("kept %+v %v, want the good copy", e, ok)
		}
		g, _ = r.getChecked(t, ctx, "spacecraft/1/")
		wantBody(t, g, 200, `{"v":2}`)
	})

	t.Run("background refresh", func(t *testing.T) {
		r := newRig(t, nil)
		r.base.Script("spacecraft/1/", testkit.OK(`{"v":1}`), testkit.OK(`{"v":"bad"}`), testkit.OK(`{"v":2}`))
		r.getChecked(t, ctx, "spacecraft/1/")
		r.clk.Advance(time.Hour + time.Minute)
		g, _ := r.getChecked(t, ctx, "spacecraft/1/")
		wantBody(t, g, 200, `{"v":1}`)
		idle(t, r.tr)
		// The refresh brought the bad answer: the stale copy stays, and the next
		// request refreshes again.
		if e, ok, _ := r.store.Get(ctx, key("spacecraft/1/")); !ok || string(e.Body) != `{"v":1}` {
			t.Fatalf("kept %+v %v, want the good copy", e, ok)
		}
		g, _ = r.getChecked(t, ctx, "spacecraft/1/")
		wantBody(t, g, 200, `{"v":1}`)
		idle(t, r.tr)
		g, _ = r.getChecked(t, ctx, "spacecraft/1/")
		wantBody(t, g, 200, `{"v":2}`)
		if n := r.base.CallsFor("spacecraft/1/"); n != 3 {
			t.Fatalf("%d calls, want 3", n)
		}
	})

	t.Run("revalidate", func(t *testing.T) {
		r := newRig(t, nil)
		r.base.Script("spacecraft/1/", testkit.OK(`{"v":1}`), testkit.OK(`{"v":"bad"}`), testkit.OK(`{"v":2}`))
		r.getChecked(t, ctx, "spacecraft/1/")
		// A fresh copy is doubted: the call goes out; its bad answer leaves the copy,
		// which stands in; a good one replaces it.
		g, _ := r.getChecked(t, WithRevalidate(ctx), "spacecraft/1/")
		wantBody(t, g, 200, `{"v":1}`)
		g, _ = r.getChecked(t, WithRevalidate(ctx), "spacecraft/1/")
		wantBody(t, g, 200, `{"v":2}`)
		g, _ = r.getChecked(t, ctx, "spacecraft/1/")
		wantBody(t, g, 200, `{"v":2}`)
		if n := r.base.CallsFor("spacecraft/1/"); n != 3 {
			t.Fatalf("%d calls, want 3", n)
		}
	})
}

// TestTransportKept checks the client's short way to a kept answer (ll2.Keeper): a
// fresh 200 answer in the process's store comes back with the same accounting as a
// hit through RoundTrip, and everything else (missing, stale, not 200, revalidated,
// a shared store) is left to RoundTrip.
func TestTransportKept(t *testing.T) {
	r := newRig(t, func(o *Options) { o.Store = NewMemoryStore(1 << 20) })
	u := func(path string) *url.URL {
		v, err := url.Parse(root + path)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	kept := func(ctx context.Context, path string) (string, bool) {
		v := u(path)
		q := v.Query()
		q.Del("format")
		b, ok := r.tr.Kept(ctx, v.Host, v.Path, q.Encode())
		return string(b), ok
	}
	if _, ok := kept(context.Background(), "spacecraft/?limit=10&mode=normal"); ok {
		t.Fatal("Kept answered before any call")
	}
	wantBody(t, r.get(t, "spacecraft/?limit=10&mode=normal"), 200, `{"path":"spacecraft/","call":1}`)
	r.clk.Advance(59 * time.Minute)
	_, want := r.getReport(t, "spacecraft/?mode=normal&limit=10")
	for _, q := range []string{"spacecraft/?limit=10&mode=normal", "spacecraft/?mode=normal&limit=10&format=json"} {
		ctx, rep := WithReport(context.Background())
		body, ok := kept(ctx, q)
		if !ok || body != `{"path":"spacecraft/","call":1}` {
			t.Fatalf("%s: Kept = %q, %v", q, body, ok)
		}
		if rep.Summary() != want {
			t.Fatalf("%s: report %+v, want RoundTrip's %+v", q, rep.Summary(), want)
		}
		if ev := r.ev.last(); ev != (Event{Path: "spacecraft/", Outcome: "hit", Status: 200}) {
			t.Fatalf("%s: event %+v", q, ev)
		}
	}
	if _, ok := kept(WithRevalidate(context.Background()), "spacecraft/?limit=10&mode=normal"); ok {
		t.Fatal("Kept answered a request that revalidates")
	}
	r.base.Script("spacecraft/999999/", testkit.Answer{Status: 404, Body: `{"detail":"Not found."}`})
	wantBody(t, r.get(t, "spacecraft/999999/"), 404, `{"detail":"Not found."}`) // kept
	if _, ok := kept(context.Background(), "spacecraft/999999/"); ok {
		t.Fatal("Kept answered a kept 404")
	}
	r.clk.Advance(2 * time.Minute)
	if _, ok := kept(context.Background(), "spacecraft/?limit=10&mode=normal"); ok {
		t.Fatal("Kept answered a stale answer")
	}
	if r.base.Calls() != 2 {
		t.Fatalf("%d base calls, want 2", r.base.Calls())
	}

	shared := newRig(t, nil) // a store of its own kind, as Redis's is
	shared.get(t, "spacecraft/1/")
	if _, ok := shared.tr.Kept(context.Background(), "ll.thespacedevs.com", "/2.3.0/spacecraft/1/", ""); ok {
		t.Fatal("Kept read a store that is not the process's own")
	}
}

// TestMemoryStoreWeighsCapacity checks that a body is weighed by its capacity, which
// is what it holds of the heap, not by its length.
func TestMemoryStoreWeighsCapacity(t *testing.T) {
	s := NewMemoryStore(1 << 20)
	body := make([]byte, 100, 10_000)
	if err := s.Set(context.Background(), "k", Entry{Status: 200, Body: body, Fetched: time.Now(), TTL: time.Hour}, time.Hour); err != nil {
		t.Fatal(err)
	}
	s.c.CleanUp()
	if w := s.WeightedSize(); w < 10_000 {
		t.Errorf("a body of length 100 and capacity 10,000 weighs %d", w)
	}
}
