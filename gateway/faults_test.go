package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"spacegraph/gateway"
	"spacegraph/internal/testkit"
	"spacegraph/internal/testkit/redistest"
	"spacegraph/ll2/ll2server"
)

// contractCodes are the error codes a client may see.
var contractCodes = map[string]bool{
	"BAD_USER_INPUT": true, "NOT_FOUND": true, "UPSTREAM_RATE_LIMITED": true, "UPSTREAM_UNAVAILABLE": true,
	"UPSTREAM_BAD_RESPONSE": true, "UPSTREAM_TIMEOUT": true, "QUERY_TOO_COMPLEX": true,
	"PERSISTED_QUERY_NOT_FOUND": true, "INTERNAL": true, "NOT_IN_SNAPSHOT": true,
}

// faultQueries is the mix the fault tests send: lists, lookups, nested objects that
// need loaders, reverse connections and node lookups, so that every path meets faults.
func faultQueries(r *rand.Rand) string {
	switch r.IntN(6) {
	case 0:
		return fmt.Sprintf(`{ allSpacecraft(first: %d, filter: {status: %d}) { totalCount nodes { name spacecraftConfig { name agency { name } } } } }`, 1+r.IntN(50), 1+r.IntN(5))
	case 1:
		return fmt.Sprintf(`{ a: spacecraft(ll2Id: %d) { name spacecraftConfig { capability } } b: agency(ll2Id: %d) { name totalLaunchCount } }`, 1+r.IntN(600), 1+r.IntN(311))
	case 2:
		return fmt.Sprintf(`{ allSpacecraftConfigs(first: %d) { nodes { name spacecraft(first: 3) { nodes { name } } } } }`, 1+r.IntN(20))
	case 3:
		return fmt.Sprintf(`{ nodes(ids: [%q, %q, %q]) { id } }`, gid("Spacecraft", 1+r.IntN(600)), gid("Agency", 1+r.IntN(311)), gid("Family", 1+r.IntN(30)))
	case 4:
		return fmt.Sprintf(`{ allAgencies(first: 10, orderBy: {field: TOTAL_LAUNCH_COUNT, direction: DESC}, search: "%d") { nodes { name families { nodes { name } } } } }`, r.IntN(10))
	}
	return fmt.Sprintf(`{ allFamilies(last: %d) { nodes { name parent { name } spacecraftConfigs { totalCount } } } }`, 1+r.IntN(30))
}

// checkAnswer reads one gateway answer and reports what is wrong with it, if anything:
// the gateway itself never answers 5xx, the body is a GraphQL response, and every
// error carries a contract code and a path or a location.
func checkAnswer(resp *http.Response, body []byte) error {
	if resp.StatusCode >= 500 {
		return fmt.Errorf("HTTP %d from the gateway: %s", resp.StatusCode, body)
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("not JSON (%v): %.200s", err, body)
	}
	if r.Data == nil && len(r.Errors) == 0 {
		return fmt.Errorf("neither data nor errors: %.200s", body)
	}
	for _, e := range r.Errors {
		code, _ := e.Extensions["code"].(string)
		if !contractCodes[code] {
			return fmt.Errorf("error without a contract code: %+v", e)
		}
		if code == "INTERNAL" {
			return fmt.Errorf("an internal error under faults: %+v", e)
		}
	}
	return nil
}

// TestFaultsKeepServing runs each kind of LL2 failure in bursts against a gateway and
// checks that every answer is a well-formed GraphQL response with contract codes (no
// 5xx from the gateway, no INTERNAL), that the gateway serves again when LL2 recovers,
// and that no goroutine is left behind once everything is closed.
func TestFaultsKeepServing(t *testing.T) {
	defer goleak.VerifyNone(t, goleakOptions()...)
	d := llScale()
	for _, tc := range []struct {
		name   string
		faults ll2server.Faults
		thr    ll2server.Throttle
	}{
		{"5xx burst", ll2server.Faults{ServerError: 1}, ll2server.Throttle{}},
		{"malformed JSON", ll2server.Faults{Malformed: 1}, ll2server.Throttle{}},
		{"HTML pages", ll2server.Faults{HTML: 1}, ll2server.Throttle{}},
		{"dropped connections", ll2server.Faults{Drop: 1}, ll2server.Throttle{}},
		{"5 s stalls", ll2server.Faults{Stall: 1, StallFor: 5 * time.Second}, ll2server.Throttle{}},
		{"429 with Retry-After", ll2server.Faults{}, ll2server.Throttle{Limit: 2, Window: time.Hour}},
		{"429 without Retry-After", ll2server.Faults{}, ll2server.Throttle{Limit: 2, Window: time.Hour, NoRetryAfter: true}},
		{"wrong answers", ll2server.Faults{Seed: 3, WrongID: 0.25, ErrorBody: 0.25, ShortPage: 0.25, ShiftedPage: 0.25}, ll2server.Throttle{}},
		{"a mix", ll2server.Faults{Seed: 7, ServerError: 0.1, Malformed: 0.05, Drop: 0.05, HTML: 0.05}, ll2server.Throttle{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := gateway.New(gateway.Config{Snapshot: &d, UpstreamTimeout: 500 * time.Millisecond, ResponseCacheOff: true,
				LL2: ll2server.Options{Faults: tc.faults, Throttle: tc.thr}})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			h := &harness{t: t, g: g, srv: newServer(t, g)}
			r := rand.New(rand.NewPCG(1, 2))
			var wg sync.WaitGroup
			var bad atomic.Value
			for range 8 {
				q := faultQueries(r)
				wg.Go(func() {
					if err := h.post(q); err != nil {
						bad.Store(err)
					}
				})
			}
			wg.Wait()
			if err, _ := bad.Load().(error); err != nil {
				t.Fatal(err)
			}
			// LL2 recovers (the throttle cases keep their window: that is LL2's state).
			g.LL2.SetOptions(ll2server.Options{Throttle: tc.thr})
			if tc.thr.Limit == 0 {
				h.ok(`{ allSpacecraft(first: 3) { nodes { name } } }`, nil, nil)
			}
		})
	}
}

func newServer(t *testing.T, g *gateway.Gateway) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(g.Handler)
	t.Cleanup(s.Close)
	return s
}

// post sends a query and checks the answer with checkAnswer.
func (h *harness) post(query string) error {
	body, _ := json.Marshal(map[string]string{"query": query})
	resp, err := http.Post(h.srv.URL+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return checkAnswer(resp, raw)
}

func goleakOptions() []goleak.Option {
	return []goleak.Option{
		// Connections of http.DefaultClient to test servers already closed linger
		// until their idle timer fires.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	}
}

// TestLoadWithFaults drives 64 concurrent clients for a while (30 s by default,
// SPACEGRAPH_LOAD_SECONDS to change) against a gateway whose LL2 fails often, and
// checks that the gateway never crashes or answers 5xx itself, that memory stays
// bounded, and that every answer is a proper GraphQL response.
func TestLoadWithFaults(t *testing.T) {
	seconds := 30
	if s := os.Getenv("SPACEGRAPH_LOAD_SECONDS"); s != "" {
		fmt.Sscanf(s, "%d", &seconds)
	}
	if testing.Short() {
		seconds = 3
	}
	d := llScale()
	g, err := gateway.New(gateway.Config{Snapshot: &d, UpstreamTimeout: 300 * time.Millisecond, CacheBytes: 16 << 20,
		LL2: ll2server.Options{Latency: 2 * time.Millisecond, Faults: ll2server.Faults{Seed: 11, ServerError: 0.05, Malformed: 0.02, Drop: 0.02, HTML: 0.01, Stall: 0.01, StallFor: 2 * time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	h := &harness{t: t, g: g, srv: newServer(t, g)}
	deadline := time.Now().Add(time.Duration(seconds) * time.Second)
	var (
		wg                   sync.WaitGroup
		requests, withErrors atomic.Int64
		bad                  atomic.Value
	)
	for c := range 64 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 99))
			for time.Now().Before(deadline) {
				q := faultQueries(r)
				body, _ := json.Marshal(map[string]string{"query": q})
				resp, err := http.Post(h.srv.URL+"/graphql", "application/json", bytes.NewReader(body))
				if err != nil {
					bad.Store(err)
					return
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				requests.Add(1)
				if err := checkAnswer(resp, raw); err != nil {
					bad.Store(err)
					return
				}
				if bytes.Contains(raw, []byte(`"errors":`)) {
					withErrors.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if err, _ := bad.Load().(error); err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	c := g.LL2.Counters()
	t.Logf("%d s, 64 clients: %d requests (%.0f/s), %d with errors; LL2: %d calls, %d faulted; heap in use %d MiB",
		seconds, requests.Load(), float64(requests.Load())/float64(seconds), withErrors.Load(), c.Total, c.Faulted, ms.HeapInuse>>20)
	if ms.HeapInuse > 512<<20 {
		t.Errorf("heap in use %d MiB after the load: not bounded", ms.HeapInuse>>20)
	}
	if requests.Load() < int64(seconds) {
		t.Errorf("only %d requests in %d s", requests.Load(), seconds)
	}
}

// TestBadAnswersAreNotKept checks that a 200 from LL2 that the client rejects (another
// object, an error body, a short page) is an upstream error, UPSTREAM_BAD_RESPONSE with
// partial data, and is not kept: LL2 mended, the next request gets the right answer,
// and a good copy kept earlier stands in (marked stale) instead of being replaced. In
// memory and in Redis.
func TestBadAnswersAreNotKept(t *testing.T) {
	const (
		lookup = `{ spacecraft(ll2Id: 242) { name } }`
		page   = `{ allSpacecraft(first: 5) { totalCount nodes { name } } }`
	)
	for _, tc := range []struct {
		name  string
		query string
		fault ll2server.FaultKind
		// null is the field left null beside the error ("": the whole data, for a
		// non-null field).
		null string
	}{
		{"another object", lookup, ll2server.FaultWrongID, "spacecraft"},
		{"an error body for an object", lookup, ll2server.FaultErrorBody, "spacecraft"},
		{"an error body for a page", page, ll2server.FaultErrorBody, ""},
		{"a short page", page, ll2server.FaultShortPage, ""},
	} {
		for _, redis := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/redis=%v", tc.name, redis), func(t *testing.T) {
				d := llScale()
				clk := testkit.NewClock()
				cfg := gateway.Config{Snapshot: &d, Now: clk.Now, ResponseCacheOff: true}
				if redis {
					cfg.RedisURL, cfg.RedisPrefix = redistest.URL(t)
				}
				h := newHarness(t, cfg)
				inject := func() {
					h.g.LL2.SetOptions(ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{{Kind: tc.fault}}}})
				}
				// The right answer, from a gateway of its own.
				ref := newHarness(t, gateway.Config{Snapshot: &d, ResponseCacheOff: true}).do(tc.query, nil)
				if len(ref.Errors) > 0 {
					t.Fatalf("reference: %+v", ref.Errors)
				}

				// No copy: the bad answer is an error, and is not kept.
				inject()
				r := h.do(tc.query, nil)
				r.errorWith(t, "UPSTREAM_BAD_RESPONSE")
				var fields map[string]json.RawMessage
				decode(t, r, &fields)
				if (tc.null == "" && fields != nil) || (tc.null != "" && string(fields[tc.null]) != "null") {
					t.Errorf("data %s: want %q null beside the error", r.Data, tc.null)
				}
				r = h.do(tc.query, nil)
				if len(r.Errors) > 0 || string(r.Data) != string(ref.Data) {
					t.Fatalf("LL2 mended: %s %+v, want %s", r.Data, r.Errors, ref.Data)
				}

				// A good copy kept, past its freshness: the bad answer leaves it, and
				// it stands in.
				clk.Advance(2*time.Hour + time.Minute)
				inject()
				r = h.do(tc.query, nil)
				if len(r.Errors) > 0 || string(r.Data) != string(ref.Data) || r.Extensions["stale"] != true {
					t.Fatalf("with a good copy: %s %+v %v, want the copy, stale", r.Data, r.Errors, r.Extensions)
				}
				r = h.do(tc.query, nil)
				if len(r.Errors) > 0 || string(r.Data) != string(ref.Data) || r.Extensions["stale"] != nil {
					t.Fatalf("LL2 mended: %s %+v %v, want fresh data", r.Data, r.Errors, r.Extensions)
				}
			})
		}
	}
}

// TestCrawlThatDoesNotAddUpIsFetchedAgain checks a crawl whose pages are each well
// formed but do not add up (one page shifted by an object, as when LL2's collection
// changes between calls): the gateway fetches the pages again from LL2 instead of
// answering without the object it missed, and does not keep the shifted page for
// later crawls. In memory and in Redis.
func TestCrawlThatDoesNotAddUpIsFetchedAgain(t *testing.T) {
	// The reverse connection over every configuration crawls the spacecraft.
	const q = `{ allSpacecraftConfigs(first: 100) { nodes { name spacecraft(first: 1) { totalCount } } } }`
	for _, redis := range []bool{false, true} {
		t.Run(fmt.Sprintf("redis=%v", redis), func(t *testing.T) {
			d := llScale()
			clk := testkit.NewClock()
			ref := newHarness(t, gateway.Config{Snapshot: &d, ResponseCacheOff: true}).do(q, nil)
			if len(ref.Errors) > 0 {
				t.Fatalf("reference: %+v", ref.Errors)
			}
			// The configurations, the crawl's first page, then one later page shifted.
			// The crawl made twice is more calls than one request may make by default.
			cfg := gateway.Config{Snapshot: &d, Now: clk.Now, ResponseCacheOff: true, Protection: gateway.Protection{MaxUpstreamCalls: -1}, LL2: ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{
				{}, {}, {Kind: ll2server.FaultShiftedPage},
			}}}}
			if redis {
				cfg.RedisURL, cfg.RedisPrefix = redistest.URL(t)
			}
			h := newHarness(t, cfg)
			r := h.do(q, nil)
			if len(r.Errors) > 0 || string(r.Data) != string(ref.Data) {
				t.Fatalf("first crawl: %+v\n%s\nwant %s\nLL2 saw:\n  %s", r.Errors, r.Data, ref.Data, h.requests())
			}
			// 1 call for the configurations, 6 pages, the 6 again.
			if n := h.calls(); n != 13 {
				t.Errorf("%d calls, want 13:\n  %s", n, h.requests())
			}
			// Once the crawl is no longer fresh, the next one is made of the kept pages:
			// they add up.
			clk.Advance(11 * time.Minute)
			r = h.do(q, nil)
			if len(r.Errors) > 0 || string(r.Data) != string(ref.Data) {
				t.Fatalf("crawl from the kept pages: %+v\n%s\nwant %s", r.Errors, r.Data, ref.Data)
			}
			if n := h.calls(); n != 13 {
				t.Errorf("%d calls, want no more than 13", n)
			}
		})
	}
	t.Run("LL2 keeps shifting", func(t *testing.T) {
		d := llScale()
		h := newHarness(t, gateway.Config{Snapshot: &d, ResponseCacheOff: true, Protection: gateway.Protection{MaxUpstreamCalls: -1}})
		h.ok(`{ allSpacecraftConfigs(first: 100) { nodes { name } } }`, nil, nil)
		h.g.LL2.SetOptions(ll2server.Options{Faults: ll2server.Faults{ShiftedPage: 1}})
		before := h.calls()
		r := h.do(q, nil)
		// The connections fail with the reason (their nulls reach the root, the
		// fields being non-null); none is answered short of an object.
		e := r.errorWith(t, "UPSTREAM_BAD_RESPONSE")
		if !strings.Contains(e.Message, "do not add up") && !strings.Contains(e.Message, "distinct objects") {
			t.Errorf("message %q", e.Message)
		}
		if strings.Contains(string(r.Data), `"totalCount"`) {
			t.Errorf("data %s: want no connection answered", r.Data)
		}
		// The crawl and one more, no further.
		if n := h.calls() - before; n != 12 {
			t.Errorf("%d calls, want 12:\n  %s", n, h.requests())
		}
	})
}
