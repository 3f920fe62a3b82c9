package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"spacegraph/gateway"
	"spacegraph/internal/testkit"
	"spacegraph/internal/testkit/redistest"
	"spacegraph/ll2/ll2server"
)

// liveLL2 is the built-in LL2 server behind a real listener, so that a gateway takes
// it for a live upstream (with a budget synced from api-throttle/). Its api-throttle/
// answer and its answers to data calls can be replaced, to play an LL2 that says
// something wrong.
type liveLL2 struct {
	*ll2server.Server
	url string

	mu       sync.Mutex
	throttle string
	data     http.HandlerFunc
}

func newLiveLL2(t *testing.T, opts ll2server.Options) *liveLL2 {
	t.Helper()
	d := llScale()
	l := &liveLL2{Server: ll2server.New(ll2server.NewStore(d), opts)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		throttle, data := l.throttle, l.data
		l.mu.Unlock()
		switch {
		case throttle != "" && strings.HasSuffix(r.URL.Path, "/api-throttle/"):
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(throttle))
		case data != nil && !strings.HasSuffix(r.URL.Path, "/api-throttle/"):
			data(w, r)
		default:
			l.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	l.url = srv.URL + ll2server.Prefix
	return l
}

// set replaces the api-throttle/ answer ("" : the server's own) and the answers to
// data calls (nil: the server's own).
func (l *liveLL2) set(throttle string, data http.HandlerFunc) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.throttle, l.data = throttle, data
}

// readyz is what /readyz says of the budget.
type readyz struct {
	Ready  bool
	Redis  string
	Budget struct {
		Limit, WindowSeconds, Used, Remaining int
		BlockedForSeconds                     float64
		SyncedWithLL2                         bool
		ThrottleIgnored                       string
	}
}

func (h *harness) readyz() (int, readyz) {
	h.t.Helper()
	resp, err := http.Get(h.srv.URL + "/readyz")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var rd readyz
	if err := json.NewDecoder(resp.Body).Decode(&rd); err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, rd
}

// TestBudgetLimitIsACeiling checks that --budget-limit is a ceiling that LL2's
// api-throttle/ answer may lower but never raise, and that an answer that cannot be
// right (missing, zero, negative, absurd) is ignored: with a limit of 3, eight
// distinct lookups let exactly 3 calls out (or LL2's lower limit), in memory and with
// the budget in Redis.
func TestBudgetLimitIsACeiling(t *testing.T) {
	for _, tc := range []struct {
		name, throttle string
		want           int
		ignored        bool
	}{
		{"a limit of zero", `[{"your_request_limit":0,"limit_frequency_secs":3600,"current_use":0,"next_use_secs":0,"ident":"x"}]`, 3, true},
		{"no fields", `[{}]`, 3, true},
		{"no entry", `[]`, 3, true},
		{"a negative limit", `[{"your_request_limit":-5,"limit_frequency_secs":3600}]`, 3, true},
		{"an absurd limit", `[{"your_request_limit":1000000000,"limit_frequency_secs":3600}]`, 3, true},
		{"a window of zero", `[{"your_request_limit":100,"limit_frequency_secs":0}]`, 3, true},
		{"a window of ten days", `[{"your_request_limit":100,"limit_frequency_secs":864000}]`, 3, true},
		{"an overflowing window", `[{"your_request_limit":100,"limit_frequency_secs":9223372036854775807}]`, 3, true},
		{"a negative count", `[{"your_request_limit":100,"limit_frequency_secs":3600,"current_use":-4}]`, 3, true},
		{"a higher limit", `[{"your_request_limit":300,"limit_frequency_secs":3600}]`, 3, false},
		{"a lower limit", `[{"your_request_limit":2,"limit_frequency_secs":3600}]`, 2, false},
		{"a higher limit on a shorter window", `[{"your_request_limit":300,"limit_frequency_secs":60}]`, 3, false},
	} {
		for _, redis := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/redis=%v", tc.name, redis), func(t *testing.T) {
				ll := newLiveLL2(t, ll2server.Options{})
				ll.set(tc.throttle, nil)
				cfg := gateway.Config{Upstream: ll.url, BudgetLimit: 3, BudgetWindow: time.Hour, ResponseCacheOff: true}
				if redis {
					cfg.RedisURL, cfg.RedisPrefix = redistest.URL(t)
				}
				h := newHarness(t, cfg)
				var rd readyz
				testkit.WaitFor(t, "/readyz to say ready", func() bool {
					code, r := h.readyz()
					rd = r
					return code == http.StatusOK && r.Ready
				})
				if (rd.Budget.ThrottleIgnored != "") != tc.ignored || rd.Budget.SyncedWithLL2 == tc.ignored {
					t.Errorf("readyz budget %+v: want the answer ignored %v", rd.Budget, tc.ignored)
				}
				for id := 1; id <= 8; id++ {
					h.do(fmt.Sprintf(`{ spacecraft(ll2Id: %d) { name } }`, id), nil)
				}
				if n := ll.Counters().Total; n != tc.want {
					t.Errorf("%d calls went out, want %d:\n  %s", n, tc.want, strings.Join(ll.Requests(), "\n  "))
				}
				if _, rd := h.readyz(); rd.Budget.Limit != tc.want || rd.Budget.Remaining != 0 {
					t.Errorf("readyz budget %+v: want limit %d, none left", rd.Budget, tc.want)
				}
			})
		}
	}
}

// TestRetryAfterIsCappedToTheWindow checks that a 429 whose wait is longer than the
// budget's window (a garbled Retry-After, or a number so large it overflows) blocks
// the calls for one window at most, and that the client is told that wait.
func TestRetryAfterIsCappedToTheWindow(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retryAfter string
		detail     string
	}{
		{"a week in Retry-After", "604800", "Request was throttled."},
		{"an overflowing Retry-After", "99999999999999999", "Request was throttled."},
		{"a week in the body", "", "Request was throttled. Expected available in 604800 seconds."},
		{"an overflowing body", "", "Request was throttled. Expected available in 99999999999999999999 seconds."},
	} {
		for _, redis := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/redis=%v", tc.name, redis), func(t *testing.T) {
				clk := testkit.NewClock()
				ll := newLiveLL2(t, ll2server.Options{})
				ll.set(`[{"your_request_limit":100,"limit_frequency_secs":3600}]`, nil)
				cfg := gateway.Config{Upstream: ll.url, BudgetLimit: 50, BudgetWindow: time.Hour, ResponseCacheOff: true, Now: clk.Now}
				if redis {
					cfg.RedisURL, cfg.RedisPrefix = redistest.URL(t)
				}
				h := newHarness(t, cfg)
				testkit.WaitFor(t, "/readyz to answer 200", func() bool { code, _ := h.readyz(); return code == http.StatusOK })
				var throttled atomic.Int64
				ll.set(`[{"your_request_limit":100,"limit_frequency_secs":3600}]`, func(w http.ResponseWriter, r *http.Request) {
					throttled.Add(1)
					if tc.retryAfter != "" {
						w.Header().Set("Retry-After", tc.retryAfter)
					}
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusTooManyRequests)
					_ = json.NewEncoder(w).Encode(map[string]string{"detail": tc.detail})
				})
				e := h.do(`{ spacecraft(ll2Id: 1) { name } }`, nil).errorWith(t, "UPSTREAM_RATE_LIMITED")
				if secs, _ := e.Extensions["retryAfterSeconds"].(float64); secs <= 0 || secs > 3600 {
					t.Errorf("retryAfterSeconds %v, want the window (3600) at most", e.Extensions["retryAfterSeconds"])
				}
				if _, rd := h.readyz(); rd.Budget.BlockedForSeconds <= 0 || rd.Budget.BlockedForSeconds > 3600 {
					t.Errorf("readyz budget %+v: want blocked for the window at most", rd.Budget)
				}
				// Blocked: the next lookup waits without a call.
				h.do(`{ spacecraft(ll2Id: 2) { name } }`, nil).errorWith(t, "UPSTREAM_RATE_LIMITED")
				if n := throttled.Load(); n != 1 {
					t.Errorf("%d calls reached LL2 during the block, want 1", n)
				}
				if redis {
					// The shared budget counts on Redis's clock, which the simulated
					// clock does not move: readyz above has shown the block's end.
					return
				}
				// A window later, calls go out again.
				ll.set(`[{"your_request_limit":100,"limit_frequency_secs":3600}]`, nil)
				clk.Advance(time.Hour)
				h.ok(`{ spacecraft(ll2Id: 3) { name } }`, nil, nil)
			})
		}
	}
}
