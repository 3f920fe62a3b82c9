package ll2server_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"spacegraph/internal/testkit"
	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
)

func throttleEnv(t *testing.T, limit int, window time.Duration, noRetryAfter bool) (*fxEnv, *testkit.Clock) {
	clk := testkit.NewClock()
	e := newEnv(t, fxOnce().data, ll2server.Options{
		Throttle: ll2server.Throttle{Limit: limit, Window: window, NoRetryAfter: noRetryAfter},
		Now:      clk.Now,
	})
	return e, clk
}

// expectThrottled checks a 429 with LL2's body and, unless none, Retry-After.
func expectThrottled(t *testing.T, r fxResp, secs int, retryAfter bool) {
	t.Helper()
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429 (%s)", r.status, r.body)
	}
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	want := `{"detail": "Request was throttled. Expected available in ` + strconv.Itoa(secs) + " " + unit + `."}`
	if !jsonEqual(t, r.body, []byte(want)) {
		t.Errorf("body %s, want %s", r.body, want)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	got, has := r.header.Get("Retry-After"), len(r.header.Values("Retry-After")) > 0
	switch {
	case retryAfter && got != strconv.Itoa(secs):
		t.Errorf("Retry-After %q, want %d", got, secs)
	case !retryAfter && has:
		t.Errorf("Retry-After %q sent with NoRetryAfter", got)
	}
}

func expectOK(t *testing.T, r fxResp) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200 (%s)", r.status, r.body)
	}
}

func throttleInfo(t *testing.T, e *fxEnv, hdr http.Header) ll2.APIThrottle {
	t.Helper()
	r := e.do(http.MethodGet, "api-throttle/", hdr)
	expectOK(t, r)
	var info []ll2.APIThrottle
	mustDecode(t, r.body, &info)
	if len(info) != 1 {
		t.Fatalf("api-throttle/: %s", r.body)
	}
	return info[0]
}

func TestThrottleWindow(t *testing.T) {
	e, clk := throttleEnv(t, 3, time.Hour, false)
	t0 := clk.Now()
	at := func(d time.Duration) { clk.Set(t0.Add(d)) }

	// Three calls pass, on any route (a 404 for an unknown id and a 400 count too).
	at(0)
	expectOK(t, e.get("spacecraft/"))
	at(10 * time.Minute)
	if r := e.get("spacecraft/99999/"); r.status != http.StatusNotFound {
		t.Fatalf("unknown id: %d", r.status)
	}
	at(20 * time.Minute)
	if r := e.get("agencies/?id=x"); r.status != http.StatusBadRequest {
		t.Fatalf("bad filter: %d", r.status)
	}
	// Calls the throttle never sees: unknown paths, redirects, api-throttle/.
	at(25 * time.Minute)
	for _, target := range []string{"nope/", "/2.3.0/spacecraft", "api-throttle/"} {
		if r := e.get(target); r.status == http.StatusTooManyRequests {
			t.Fatalf("%s was throttled", target)
		}
	}
	info := throttleInfo(t, e, nil)
	if info.YourRequestLimit != 3 || info.LimitFrequencySecs != 3600 || info.CurrentUse != 3 || info.NextUseSecs != 2100 || info.Ident != "127.0.0.1" {
		t.Errorf("api-throttle/ at +25m: %+v", info)
	}

	// The fourth is refused until the first leaves the window.
	at(30 * time.Minute)
	expectThrottled(t, e.get("spacecraft/"), 1800, true)
	at(59 * time.Minute)
	expectThrottled(t, e.get("spacecraft/14/"), 60, true) // refusals do not count against the caller
	at(60*time.Minute - 1)
	expectThrottled(t, e.get("spacecraft/"), 1, true)
	at(60*time.Minute - 500*time.Millisecond)
	expectThrottled(t, e.get("spacecraft/"), 1, true) // 0.5 s rounds up
	at(60 * time.Minute)                              // the call at +0 is exactly one window old: gone
	expectOK(t, e.get("spacecraft/"))
	at(60*time.Minute + time.Second)
	expectThrottled(t, e.get("spacecraft/"), 599, true) // the call at +10m leaves at +70m
	info = throttleInfo(t, e, nil)
	if info.CurrentUse != 3 || info.NextUseSecs != 599 {
		t.Errorf("api-throttle/ at +60m1s: %+v", info)
	}
	// Much later everything has left the window.
	at(5 * time.Hour)
	if info := throttleInfo(t, e, nil); info.CurrentUse != 0 || info.NextUseSecs != 0 {
		t.Errorf("api-throttle/ at +5h: %+v", info)
	}
	for i := 0; i < 3; i++ {
		expectOK(t, e.get("spacecraft_configurations/"))
	}
	expectThrottled(t, e.get("spacecraft_configurations/"), 3600, true)

	c := e.srv.Counters()
	if c.Throttled != 6 || c.Total != 13 || c.Faulted != 0 {
		t.Errorf("counters: %+v", c)
	}
}

func TestThrottleNoRetryAfter(t *testing.T) {
	e, _ := throttleEnv(t, 2, time.Minute, true)
	expectOK(t, e.get("spacecraft/"))
	expectOK(t, e.get("spacecraft/"))
	expectThrottled(t, e.get("spacecraft/"), 60, false)
}

func TestThrottlePerCaller(t *testing.T) {
	e, clk := throttleEnv(t, 2, time.Hour, false)
	t0 := clk.Now()
	anon := http.Header(nil)
	keyA := http.Header{"Authorization": {"Token key-a"}}
	keyB := http.Header{"Authorization": {"Token key-b"}}
	get := func(h http.Header) fxResp { return e.do(http.MethodGet, "spacecraft/", h) }

	expectOK(t, get(anon))
	expectOK(t, get(anon))
	expectThrottled(t, get(anon), 3600, true)
	// Another key has its own budget, untouched by the anonymous caller's.
	clk.Set(t0.Add(15 * time.Minute))
	expectOK(t, get(keyA))
	expectOK(t, get(keyA))
	expectThrottled(t, get(keyA), 3600, true)
	expectOK(t, get(keyB))
	expectThrottled(t, get(anon), 2700, true)

	a := throttleInfo(t, e, keyA)
	if a.CurrentUse != 2 || a.Ident != "key-a" || a.NextUseSecs != 3600 {
		t.Errorf("key-a: %+v", a)
	}
	if b := throttleInfo(t, e, keyB); b.CurrentUse != 1 || b.NextUseSecs != 0 {
		t.Errorf("key-b: %+v", b)
	}
	if n := throttleInfo(t, e, anon); n.CurrentUse != 2 || n.NextUseSecs != 2700 {
		t.Errorf("anonymous: %+v", n)
	}

	// Reset forgets the history; SetOptions keeps it.
	e.srv.Reset()
	expectOK(t, get(anon))
	expectOK(t, get(anon))
	opts := e.srv.Options()
	opts.Throttle.Limit = 3
	e.srv.SetOptions(opts)
	expectOK(t, get(anon))
	expectThrottled(t, get(anon), 3600, true) // the three calls since Reset are all at +15m
	if got := e.srv.Options().Throttle.Limit; got != 3 {
		t.Errorf("Options().Throttle.Limit = %d", got)
	}
	// Without a throttle, nothing is refused.
	e.srv.SetOptions(ll2server.Options{})
	for i := 0; i < 10; i++ {
		expectOK(t, get(anon))
	}
}

// TestThrottleConcurrent hammers one budget from many goroutines: exactly Limit calls
// pass, whatever the interleaving.
func TestThrottleConcurrent(t *testing.T) {
	e, _ := throttleEnv(t, 25, time.Hour, false)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				res, err := e.client.Get(e.base() + "spacecraft/?limit=1")
				if err != nil {
					t.Error(err)
					return
				}
				var body json.RawMessage
				_ = json.NewDecoder(res.Body).Decode(&body)
				res.Body.Close()
				mu.Lock()
				codes[res.StatusCode]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if codes[200] != 25 || codes[429] != 55 {
		t.Errorf("status counts %v, want 25×200 and 55×429", codes)
	}
	if c := e.srv.Counters(); c.Throttled != 55 || c.Total != 80 {
		t.Errorf("counters %+v", c)
	}
}
