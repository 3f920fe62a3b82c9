package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"spacegraph/bench"

	"spacegraph/gateway"
	"spacegraph/internal/testkit"
	"spacegraph/internal/testkit/redistest"
	"spacegraph/ll2/ll2server"
)

// TestWarmQueriesCostNothing runs every query of the call table twice on one gateway,
// with the whole-response cache and without it: the second run spends no LL2 call
// (the answer cache, the entity cache and the crawled collections answer it).
func TestWarmQueriesCostNothing(t *testing.T) {
	for _, respCache := range []bool{true, false} {
		t.Run(fmt.Sprintf("response cache %v", respCache), func(t *testing.T) {
			d := llScaleFlights() // the call table's flights need them
			h := newHarness(t, gateway.Config{Snapshot: &d, ResponseCacheOff: !respCache})
			for _, c := range callTable() {
				h.ok(c.Query, nil, nil)
				before := h.calls()
				h.ok(c.Query, nil, nil)
				if n := h.calls() - before; n != 0 {
					t.Errorf("%s: warm run spent %d calls", c.Name, n)
				}
			}
		})
	}
}

// TestColdStampede sends the nested reference query from 64 clients at once to a
// cold gateway whose LL2 answers in 20 ms: they share one call, not 64.
func TestColdStampede(t *testing.T) {
	d := llScale()
	h := newHarness(t, gateway.Config{Snapshot: &d, LL2: ll2server.Options{Latency: 20 * time.Millisecond}})
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() {
			<-start
			r := h.do(bench.NestedQuery, nil)
			if len(r.Errors) > 0 {
				errs <- fmt.Errorf("%+v", r.Errors)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if h.calls() != 1 {
		t.Errorf("64 cold clients spent %d LL2 calls, want 1:\n  %s", h.calls(), h.requests())
	}
}

// TestStaleIfError checks that when LL2 fails after the data went stale, the stale
// copy answers and the response says so (extensions.stale, extensions.age).
func TestStaleIfError(t *testing.T) {
	clk := testkit.NewClock()
	h := newHarness(t, gateway.Config{Now: clk.Now, ResponseCacheOff: true})
	const q = `{ spacecraft(ll2Id: 242) { name } }`
	h.ok(q, nil, nil)
	// Past the TTL and the stale-while-revalidate window: a real fetch is due.
	clk.Advance(2*time.Hour + time.Minute)
	h.g.LL2.SetOptions(ll2server.Options{Faults: ll2server.Faults{ServerError: 1}})
	r := h.do(q, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("a stale copy should have answered: %+v", r.Errors)
	}
	if r.Extensions["stale"] != true {
		t.Errorf("extensions %v: want stale true", r.Extensions)
	}
	if age, _ := r.Extensions["age"].(float64); age < 7260 {
		t.Errorf("extensions.age %v, want the copy's age (over two hours)", r.Extensions["age"])
	}
	var out struct{ Spacecraft struct{ Name string } }
	decode(t, r, &out)
	if out.Spacecraft.Name != "Progress MS-02" {
		t.Errorf("got %+v", out)
	}
}

// TestStaleWhileRevalidate checks that a stale answer within the window is served at
// once and refreshed in the background, at the cost of one call.
func TestStaleWhileRevalidate(t *testing.T) {
	clk := testkit.NewClock()
	h := newHarness(t, gateway.Config{Now: clk.Now, ResponseCacheOff: true})
	const q = `{ spacecraft(ll2Id: 242) { name } }`
	h.ok(q, nil, nil)
	clk.Advance(90 * time.Minute) // past the spacecraft TTL (1 h), within the window
	r := h.do(q, nil)
	if r.Extensions["stale"] != true {
		t.Errorf("extensions %v: want stale true", r.Extensions)
	}
	testkit.WaitFor(t, "the background refresh", func() bool { return h.g.Transport.Refreshing() == 0 && h.calls() == 2 })
	r = h.do(q, nil)
	if r.Extensions["stale"] != nil {
		t.Errorf("after the refresh the answer is fresh, got %v", r.Extensions)
	}
	if h.calls() != 2 {
		t.Errorf("%d calls: want the first and the background refresh only", h.calls())
	}
}

// TestBudgetSpentFailsFast checks that when the gateway's budget is spent, a query
// that needs LL2 fails at once with UPSTREAM_RATE_LIMITED and retryAfterSeconds,
// without a call, while cached data is still served.
func TestBudgetSpentFailsFast(t *testing.T) {
	clk := testkit.NewClock()
	h := newHarness(t, gateway.Config{Now: clk.Now, BudgetLimit: 2, BudgetWindow: time.Hour})
	h.ok(`{ spacecraft(ll2Id: 242) { name } }`, nil, nil)
	clk.Advance(10 * time.Minute)
	h.ok(`{ spacecraft(ll2Id: 569) { name } }`, nil, nil)
	r := h.do(`{ spacecraft(ll2Id: 612) { name } }`, nil)
	e := r.errorWith(t, "UPSTREAM_RATE_LIMITED")
	// The oldest call leaves the window 50 minutes from now.
	if secs, _ := e.Extensions["retryAfterSeconds"].(float64); secs != 3000 {
		t.Errorf("retryAfterSeconds %v, want 3000", e.Extensions["retryAfterSeconds"])
	}
	if h.calls() != 2 {
		t.Errorf("%d calls: the spent budget must stop the third", h.calls())
	}
	h.ok(`{ again: spacecraft(ll2Id: 242) { name } }`, nil, nil)
	// The budget frees a call once the first leaves the window.
	clk.Advance(50 * time.Minute)
	h.ok(`{ spacecraft(ll2Id: 612) { name } }`, nil, nil)
	if h.calls() != 3 {
		t.Errorf("%d calls, want 3", h.calls())
	}
}

// TestLL2ThrottleStopsAllCalls checks that after LL2 answers 429, the gateway sends
// nothing more until the wait LL2 gave is over.
func TestLL2ThrottleStopsAllCalls(t *testing.T) {
	h := newHarness(t, gateway.Config{LL2: ll2server.Options{Throttle: ll2server.Throttle{Limit: 1, Window: time.Hour}}})
	h.ok(`{ spacecraft(ll2Id: 242) { name } }`, nil, nil)
	h.do(`{ spacecraft(ll2Id: 569) { name } }`, nil).errorWith(t, "UPSTREAM_RATE_LIMITED")
	seen := h.g.LL2.Counters().Total
	r := h.do(`{ agency(ll2Id: 121) { name } }`, nil)
	r.errorWith(t, "UPSTREAM_RATE_LIMITED")
	if n := h.g.LL2.Counters().Total; n != seen {
		t.Errorf("after a 429 the gateway sent %d more calls", n-seen)
	}
}

// TestResponseCacheAndHTTPCaching checks the whole-response cache and its headers:
// a repeated request is a HIT without resolvers, GETs revalidate with 304, answers
// with errors are never stored, and max-age follows the data's freshness.
func TestResponseCacheAndHTTPCaching(t *testing.T) {
	h := newHarness(t, gateway.Config{})
	get := func(query string, header map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/graphql?query="+urlQuery(query), nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	const q = `{ spacecraft(ll2Id: 242) { name } }`
	first := get(q, nil)
	etag := first.Header.Get("ETag")
	cc := first.Header.Get("Cache-Control")
	if first.StatusCode != 200 || etag == "" || !strings.HasPrefix(cc, "public, max-age=") || first.Header.Get("X-Cache") != "" {
		t.Fatalf("first: %d etag %q cache-control %q x-cache %q", first.StatusCode, etag, cc, first.Header.Get("X-Cache"))
	}
	var maxAge int
	fmt.Sscanf(strings.TrimPrefix(cc, "public, max-age="), "%d", &maxAge)
	if maxAge <= 0 || maxAge > 3600 {
		t.Errorf("max-age %d: want at most the spacecraft TTL (3600)", maxAge)
	}
	calls := h.calls()
	second := get(q, nil)
	if second.Header.Get("X-Cache") != "HIT" || second.Header.Get("ETag") != etag {
		t.Errorf("second: x-cache %q etag %q", second.Header.Get("X-Cache"), second.Header.Get("ETag"))
	}
	if nm := get(q, map[string]string{"If-None-Match": etag}); nm.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", nm.StatusCode)
	}
	// A hit keeps the Vary fields of CORS and gzip beside its own, or a CDN would
	// serve one origin's or one encoding's answer to another.
	hit := get(q, map[string]string{"Origin": "https://app.example", "Accept-Encoding": "gzip"})
	var vary []string
	for _, v := range hit.Header.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			vary = append(vary, strings.TrimSpace(f))
		}
	}
	slices.Sort(vary)
	if hit.Header.Get("X-Cache") != "HIT" || !slices.Equal(vary, []string{"Accept", "Accept-Encoding", "Origin"}) {
		t.Errorf("a hit with Origin and Accept-Encoding: x-cache %q, Vary %q", hit.Header.Get("X-Cache"), vary)
	}
	if h.calls() != calls {
		t.Errorf("cached answers spent %d calls", h.calls()-calls)
	}
	// Variables are a part of the key, in any key order.
	const vq = `query($id: Int) { spacecraft(ll2Id: $id) { name } }`
	a := h.do(vq, map[string]any{"id": 569})
	b := h.do(vq, map[string]any{"id": 242})
	if string(a.Data) == string(b.Data) {
		t.Error("different variables got the same cached answer")
	}
	// Equal variables written in another key order (other bytes) share the answer.
	const two = `query($id: Int, $first: Int) { spacecraft(ll2Id: $id) { name } allAgencies(first: $first) { totalCount } }`
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	h.send("POST", "/graphql", jsonCT, `{"query": "`+two+`", "variables": {"id": 569, "first": 2}}`)
	if resp, _ := h.send("POST", "/graphql", jsonCT, `{"variables": {"first": 2, "id": 569}, "query": "`+two+`"}`); resp.Header.Get("X-Cache") != "HIT" {
		t.Errorf("the same request written in another order missed the cache")
	}
	bad := get(`{ agency(ll2Id: 121) { countries { name } } }`, nil)
	if bad.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("an answer with errors: Cache-Control %q, want no-store", bad.Header.Get("Cache-Control"))
	}
}

// TestResponseCacheCannotBePoisoned checks that the response cache keys a request by
// what the transport runs: a body with a second, differently cased "Query" key, a
// query string with a malformed pair, or several Accept headers may not store one
// answer under the key of another request.
func TestResponseCacheCannotBePoisoned(t *testing.T) {
	h := newHarness(t, gateway.Config{})
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	const victim = `{ __typename }`
	// The body runs the agency query; a cache that read "Query" would store its
	// answer under the victim's key.
	resp, raw := h.send("POST", "/graphql", jsonCT, `{"query": "{ a: agency(ll2Id: 121) { name } }", "Query": "`+victim+`"}`)
	if resp.StatusCode != 200 || !strings.Contains(string(raw), "SpaceX") {
		t.Fatalf("the attacker's request: %d %s", resp.StatusCode, raw)
	}
	resp, raw = h.send("POST", "/graphql", jsonCT, jsonBody(victim, nil, nil))
	if resp.Header.Get("X-Cache") == "HIT" || string(raw) != `{"data":{"__typename":"Query"}}` {
		t.Fatalf("the victim's request: x-cache %q, %s", resp.Header.Get("X-Cache"), raw)
	}
	// A malformed pair makes the transport refuse the GET; the cache may not answer it.
	h.send("GET", "/graphql?query=%7B__typename%7D", nil, "")
	if resp, raw := h.send("GET", "/graphql?query=%7B__typename%7D&x=%zz", nil, ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a malformed query string: %d %s (x-cache %q), want 400", resp.StatusCode, raw, resp.Header.Get("X-Cache"))
	}
	// The answer's media type follows every Accept header, and so must the key.
	gr := http.Header{"Accept": {"application/graphql-response+json"}}
	if resp, _ := h.send("GET", "/graphql?query=%7B__typename%7D", gr, ""); !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/graphql-response+json") {
		t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	two := http.Header{"Accept": {"text/html", "application/json"}}
	if resp, _ := h.send("GET", "/graphql?query=%7B__typename%7D", two, ""); !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("Accept: text/html, then application/json: Content-Type %q", resp.Header.Get("Content-Type"))
	}
}

func urlQuery(s string) string {
	r := strings.NewReplacer(" ", "%20", "{", "%7B", "}", "%7D", "(", "%28", ")", "%29", ":", "%3A", "$", "%24", "\"", "%22", "\n", "%0A", ",", "%2C")
	return r.Replace(s)
}

// TestEntityCacheAnswersLookups checks that a configuration seen inside a detailed
// spacecraft page answers a later spacecraftConfig lookup, in another request,
// without a call.
func TestEntityCacheAnswersLookups(t *testing.T) {
	d := llScale()
	h := newHarness(t, gateway.Config{Snapshot: &d, ResponseCacheOff: true})
	var page struct {
		AllSpacecraft struct {
			Nodes []struct {
				SpacecraftConfig struct {
					LL2ID int `json:"ll2Id"`
				} `json:"spacecraftConfig"`
			} `json:"nodes"`
		} `json:"allSpacecraft"`
	}
	h.ok(`{ allSpacecraft(first: 5) { nodes { spacecraftConfig { ll2Id capability } } } }`, nil, &page)
	before := h.calls()
	id := page.AllSpacecraft.Nodes[0].SpacecraftConfig.LL2ID
	var out struct{ SpacecraftConfig struct{ Capability *string } }
	h.ok(fmt.Sprintf(`{ spacecraftConfig(ll2Id: %d) { capability crewCapacity agency { foundingYear } } }`, id), nil, &out)
	if out.SpacecraftConfig.Capability == nil {
		t.Error("capability is null; the synthetic data fills it")
	}
	if n := h.calls() - before; n != 0 {
		t.Errorf("the lookup spent %d calls, want 0", n)
	}
}

// waitPrefetched waits until /readyz says replica mode's first crawl is done, checking
// on the way that its status code agrees with its body.
func waitPrefetched(t *testing.T, h *harness) {
	t.Helper()
	testkit.WaitFor(t, "the first crawl of replica mode", func() bool {
		resp, err := http.Get(h.srv.URL + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var rd struct {
			Ready    bool
			Prefetch struct{ Done bool }
		}
		_ = json.NewDecoder(resp.Body).Decode(&rd)
		if (resp.StatusCode == 200) != rd.Ready {
			t.Errorf("readyz status %d with ready %v", resp.StatusCode, rd.Ready)
		}
		return rd.Ready && rd.Prefetch.Done
	})
}

// TestPrefetchReplica checks replica mode: /readyz is 503 until the crawl of the whole
// domain is done, the crawl costs a call per 100 objects, and then every query of the
// call table is answered locally, at no cost.
func TestPrefetchReplica(t *testing.T) {
	d := llScaleFlights()
	h := newHarness(t, gateway.Config{Snapshot: &d, Prefetch: true, ResponseCacheOff: true, LL2: ll2server.Options{Latency: 10 * time.Millisecond}})
	t.Cleanup(func() { h.g.Close() })
	waitPrefetched(t, h)
	// 600 spacecraft, 46 configurations, 311 agencies, 30 families at 100 a call; then
	// what the flights need beyond (catalog.PrefetchFlights): the docking events at
	// 100 a call and the five lookup tables, a call each. The flights need none: the
	// crawl of the detailed spacecraft lists them all.
	docking := (len(d.DockingEvents) + 99) / 100
	if n := h.calls(); n != 6+1+4+1+docking+5 {
		t.Errorf("the prefetch spent %d calls, want %d:\n  %s", n, 6+1+4+1+docking+5, h.requests())
	}
	before := h.calls()
	for _, c := range callTable() {
		h.ok(c.Query, nil, nil)
	}
	if n := h.calls() - before; n != 0 {
		t.Errorf("the call table spent %d calls on a replica, want 0:\n  %s", n, h.requests())
	}
}

// TestPrefetchFreshnessFollowsItsInterval checks that a replica's answers count as
// fresh for as long as its crawls are apart (an hour here), not for the ten minutes of
// an on-demand crawl: otherwise a replica would mark most answers stale and keep them
// out of the response cache. Past the interval, with no new crawl, they are stale.
func TestPrefetchFreshnessFollowsItsInterval(t *testing.T) {
	clk := testkit.NewClock()
	h := newHarness(t, gateway.Config{Now: clk.Now, Prefetch: true, PrefetchEvery: time.Hour, ResponseCacheOff: true})
	t.Cleanup(func() { h.g.Close() })
	waitPrefetched(t, h)
	const q = `{ allSpacecraft(first: 3, search: "Dragon") { totalCount nodes { name } } }`
	clk.Advance(50 * time.Minute)
	calls := h.calls()
	r := h.do(q, nil)
	if len(r.Errors) > 0 || r.Extensions["stale"] == true {
		t.Fatalf("50 minutes into an hour between crawls: errors %v, extensions %v", r.Errors, r.Extensions)
	}
	clk.Advance(20 * time.Minute)
	r = h.do(q, nil)
	if len(r.Errors) > 0 || r.Extensions["stale"] != true {
		t.Fatalf("70 minutes after the last crawl: errors %v, extensions %v; want stale", r.Errors, r.Extensions)
	}
	if h.calls() != calls {
		t.Errorf("a replica spent %d calls on a list query:\n  %s", h.calls()-calls, h.requests())
	}
}

// TestPrefetchRecrawlFetchesFreshData checks that a replica's next crawl, due when its
// pages are past their TTL, fetches them again rather than taking the stale copies
// (which would then pass for a new crawl): what LL2 changed meanwhile shows, and the
// answers are fresh.
func TestPrefetchRecrawlFetchesFreshData(t *testing.T) {
	clk := testkit.NewClock()
	d := llScale()
	h := newHarness(t, gateway.Config{Snapshot: &d, Now: clk.Now, Prefetch: true, PrefetchEvery: time.Hour, ResponseCacheOff: true})
	t.Cleanup(func() { h.g.Close() })
	waitPrefetched(t, h)
	renamed := *d.Spacecraft[0]
	renamed.Name = "Renamed Since The Last Crawl"
	d2 := d
	d2.Spacecraft = slices.Clone(d.Spacecraft)
	d2.Spacecraft[0] = &renamed
	h.g.LL2.SetStore(ll2server.NewStore(d2))
	clk.Advance(time.Hour + time.Minute)
	if err := h.g.Catalog.Prefetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := h.do(`{ allSpacecraft(first: 1, search: "Renamed Since") { totalCount nodes { name } } }`, nil)
	var out struct{ AllSpacecraft struct{ TotalCount int } }
	decode(t, r, &out)
	if out.AllSpacecraft.TotalCount != 1 || r.Extensions["stale"] == true {
		t.Errorf("after the second crawl: %d renamed spacecraft found (want 1), extensions %v", out.AllSpacecraft.TotalCount, r.Extensions)
	}
}

// TestSharedResponseCacheKeepsEachReplicasRules runs replicas on one Redis: two
// configured alike share whole responses, while one with introspection off is not
// served what an open one stored.
func TestSharedResponseCacheKeepsEachReplicasRules(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		mk := func(p gateway.Protection) *harness {
			h := newHarness(t, gateway.Config{RedisURL: r.URL, RedisPrefix: r.Prefix, Protection: p})
			t.Cleanup(func() { h.g.Close() })
			return h
		}
		open, twin, locked := mk(gateway.Protection{}), mk(gateway.Protection{}), mk(gateway.Protection{IntrospectionOff: true})
		const q = `{ __schema { queryType { name } } }`
		jsonCT := http.Header{"Content-Type": {"application/json"}}
		// Twice: the shared cache takes answers asked for again.
		for range 2 {
			if resp, raw := open.send("POST", "/graphql", jsonCT, jsonBody(q, nil, nil)); resp.StatusCode != 200 || !strings.Contains(string(raw), `"Query"`) {
				t.Fatalf("open replica: %d %s", resp.StatusCode, raw)
			}
		}
		if resp, _ := twin.send("POST", "/graphql", jsonCT, jsonBody(q, nil, nil)); resp.Header.Get("X-Cache") != "HIT" {
			t.Errorf("a replica configured alike did not share the stored answer")
		}
		resp, raw := locked.send("POST", "/graphql", jsonCT, jsonBody(q, nil, nil))
		if resp.Header.Get("X-Cache") == "HIT" || strings.Contains(string(raw), `"queryType"`) {
			t.Errorf("a replica with introspection off served an open replica's answer: %s", raw)
		}
	})
}

// TestRedisReplicasShareEverything runs two gateways on one Redis: what the first
// fetched costs the second nothing, and together they never exceed the budget.
func TestRedisReplicasShareEverything(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		d := llScale()
		mk := func() *harness {
			h := newHarness(t, gateway.Config{Snapshot: &d, RedisURL: r.URL, RedisPrefix: r.Prefix, BudgetLimit: 8, BudgetWindow: time.Hour, ResponseCacheOff: true})
			t.Cleanup(func() { h.g.Close() })
			return h
		}
		a, b := mk(), mk()
		for _, c := range callTable()[:2] {
			a.ok(c.Query, nil, nil)
		}
		spentA := a.calls()
		for _, c := range callTable()[:2] {
			b.ok(c.Query, nil, nil)
		}
		if b.calls() != 0 {
			t.Errorf("the second replica spent %d calls on what the first fetched:\n  %s", b.calls(), b.requests())
		}
		// Now both spend what is left of the shared budget, concurrently, on distinct
		// lookups; the two together may not exceed it.
		var wg sync.WaitGroup
		for i := range 20 {
			h := a
			if i%2 == 1 {
				h = b
			}
			wg.Go(func() { h.do(fmt.Sprintf(`{ spacecraft(ll2Id: %d) { name } }`, 100+i), nil) })
		}
		wg.Wait()
		if total := a.calls() + b.calls(); total > 8 {
			t.Errorf("two replicas spent %d calls with a shared budget of 8 (first: %d before the race)", total, spentA)
		}
		var rd struct {
			Budget struct{ Remaining, Limit int }
		}
		resp, err := http.Get(b.srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		_ = json.NewDecoder(resp.Body).Decode(&rd)
		resp.Body.Close()
		if rd.Budget.Limit != 8 || rd.Budget.Remaining != 0 {
			t.Errorf("readyz budget %+v, want limit 8 and nothing left", rd.Budget)
		}
	})
}
