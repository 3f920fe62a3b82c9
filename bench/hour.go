package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"time"

	"spacegraph/gateway"
	"spacegraph/internal/testkit"
	"spacegraph/ll2/ll2server"
)

// HourOptions configure scenario e.
type HourOptions struct {
	// Queries is the number of distinct queries of the mix (1,000).
	Queries int
	// Rate is the requests per simulated second (50).
	Rate int
	// Duration is the simulated time (an hour; 5 minutes in the tests).
	Duration time.Duration
	// Limit and Window are LL2's throttle and the gateway's budget (15 an hour).
	Limit  int
	Window time.Duration
	// Zipf is the exponent of the queries' popularity.
	Zipf float64
	// Seed chooses the mix and the draws.
	Seed uint64
	// Prefetch runs the gateway in replica mode (gateway.Config.Prefetch): it crawls
	// the whole domain before the traffic starts and answers locally.
	Prefetch bool
}

// DefaultHourOptions returns the reference hour: 1,000 queries, 50 requests a second
// for an hour, 15 calls an hour.
func DefaultHourOptions() HourOptions {
	return HourOptions{Queries: 1000, Rate: 50, Duration: time.Hour, Limit: gateway.AnonymousLimit, Window: time.Hour, Zipf: 1.1, Seed: 1}
}

// HourResult is scenario e: simulated traffic against LL2's anonymous limit.
type HourResult struct {
	// Options are the options the scenario ran with.
	Options HourOptions
	// Requests is the requests sent; Asked the distinct queries among them; TopShare
	// the share of requests that went to the 10 most popular queries.
	Requests, Asked int
	TopShare        float64
	// Calls is the LL2 calls; MaxInWindow the most of them in any sliding window.
	Calls, MaxInWindow int
	// Throttled is the calls LL2 refused with 429 (the gateway must send none).
	Throttled int
	// Clean is the answers with data and no error; CacheHits those answered from the
	// whole-response cache; Stale those marked stale (a copy past its freshness
	// stood in for LL2).
	Clean, CacheHits, Stale int
	// WithErrors is the answers with an error; ErrorsByCode counts them by error code
	// (an answer with two codes counts under each).
	WithErrors   int
	ErrorsByCode map[string]int
	// AskedOK is the distinct queries answered cleanly at least once.
	AskedOK int
	// Status counts the answers by HTTP status.
	Status map[int]int
	// CallTimes are the calls' times from the start (simulated).
	CallTimes []time.Duration
	// Elapsed is the wall time of the run.
	Elapsed time.Duration
}

// OK reports whether the gateway kept within LL2's limit: no call refused, and no
// more than Limit calls in any sliding window.
func (r HourResult) OK() bool { return r.Throttled == 0 && r.MaxInWindow <= r.Options.Limit }

// maxInWindow returns the most calls in any window of length w (a call at t counts
// in (t-w, t], as LL2's and the gateway's sliding windows count).
func maxInWindow(times []time.Duration, w time.Duration) int {
	best, lo := 0, 0
	for hi := range times {
		for times[lo] <= times[hi]-w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// SimulatedHour plays o.Duration of traffic on a simulated clock shared by the
// gateway (caches, budget) and the built-in LL2 server's throttle: o.Rate requests a
// simulated second (the clock advances 1/Rate per request), each drawn with Zipf
// popularity from o.Queries distinct queries, sent one after the other in-process,
// with LL2 answering at once. The gateway's budget is LL2's limit.
func SimulatedHour(ctx context.Context, o HourOptions) (HourResult, error) {
	res := HourResult{Options: o, ErrorsByCode: map[string]int{}, Status: map[int]int{}}
	pager, err := NewGateway(gateway.Config{})
	if err != nil {
		return res, err
	}
	queries, err := TrafficQueries(o.Queries, o.Seed, pager.Handler)
	pager.Close()
	if err != nil {
		return res, err
	}
	bodies := make([][]byte, len(queries))
	for i, q := range queries {
		bodies[i] = Body(q, nil)
	}

	clk := testkit.NewClock()
	start := clk.Now()
	g, err := NewGateway(gateway.Config{
		Now:          clk.Now,
		BudgetLimit:  o.Limit,
		BudgetWindow: o.Window,
		Prefetch:     o.Prefetch,
		LL2:          ll2server.Options{Now: clk.Now, Throttle: ll2server.Throttle{Limit: o.Limit, Window: o.Window}},
	})
	if err != nil {
		return res, err
	}
	defer g.Close()
	if o.Prefetch {
		if err := waitReady(ctx, g.Handler); err != nil {
			return res, err
		}
	}

	zipf := NewZipf(len(queries), o.Zipf, o.Seed)
	res.TopShare = zipf.Share(10)
	step := time.Second / time.Duration(o.Rate)
	n := int(o.Duration / step)
	asked := make([]bool, len(queries))
	askedOK := make([]bool, len(queries))
	calls := 0
	t0 := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		k := zipf.Next()
		asked[k] = true
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(bodies[k]))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		g.Handler.ServeHTTP(rec, req)
		res.Requests++
		res.Status[rec.Code]++
		var a Answer
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
			return res, fmt.Errorf("answer %d is not JSON: %w: %.200s", i, err, rec.Body.Bytes())
		}
		switch {
		case len(a.Errors) > 0:
			res.WithErrors++
			for _, c := range a.Codes() {
				res.ErrorsByCode[c]++
			}
		default:
			res.Clean++
			askedOK[k] = true
		}
		if a.Extensions.Stale {
			res.Stale++
		}
		if rec.Header().Get("X-Cache") == "HIT" {
			res.CacheHits++
		}
		// Background refreshes finish before the clock moves, so that every call is
		// counted at the simulated time it was made.
		for g.Transport.Refreshing() > 0 {
			time.Sleep(50 * time.Microsecond)
		}
		if now := g.LL2.Counters().Total; now > calls {
			for range now - calls {
				res.CallTimes = append(res.CallTimes, clk.Now().Sub(start))
			}
			calls = now
		}
		clk.Advance(step)
	}
	res.Elapsed = time.Since(t0)
	c := g.LL2.Counters()
	res.Calls, res.Throttled = c.Total, c.Throttled
	res.MaxInWindow = maxInWindow(res.CallTimes, o.Window)
	for k := range asked {
		if asked[k] {
			res.Asked++
		}
		if askedOK[k] {
			res.AskedOK++
		}
	}
	return res, ctx.Err()
}

// waitReady waits until h's /readyz answers 200 (the replica's first crawl is done).
func waitReady(ctx context.Context, h http.Handler) error {
	deadline := time.Now().Add(time.Minute)
	for {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, "/readyz", nil))
		if rec.Code == http.StatusOK {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("bench: the replica is not ready: %d %s", rec.Code, rec.Body.Bytes())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Markdown returns the scenario's tables.
func (r HourResult) Markdown() string {
	var b strings.Builder
	o := r.Options
	mode := "The gateway as configured by default (no prefetch)"
	if o.Prefetch {
		mode = "The gateway in replica mode (Prefetch: the whole domain crawled before the traffic, then answered locally)"
	}
	fmt.Fprintf(&b, "%s. %s simulated: %d requests (%d a second, the clock advancing %s per request) drawn with Zipf popularity (s = %.1f; the 10 most popular queries get %.0f%% of the requests) from %d distinct queries, of which %d were asked; LL2's throttle and the gateway's budget %d calls per %s on the shared simulated clock; %s of wall time.\n\n",
		mode, o.Duration, r.Requests, o.Rate, time.Second/time.Duration(o.Rate), o.Zipf, 100*r.TopShare, o.Queries, r.Asked, o.Limit, o.Window, r.Elapsed.Round(100*time.Millisecond))
	b.WriteString("| LL2 calls | most in a sliding window | refused by LL2 (429) | clean answers | from the response cache | served stale | answers with errors | distinct queries answered cleanly |\n")
	b.WriteString("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d (%.1f%%) | %d | %d | %d (%.1f%%) | %d of %d |\n", r.Calls, r.MaxInWindow, r.Throttled,
		r.Clean, pct(r.Clean, r.Requests), r.CacheHits, r.Stale, r.WithErrors, pct(r.WithErrors, r.Requests), r.AskedOK, r.Asked)
	if len(r.ErrorsByCode) > 0 {
		codes := make([]string, 0, len(r.ErrorsByCode))
		for c := range r.ErrorsByCode {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		b.WriteString("\n| error code | answers |\n| --- | ---: |\n")
		for _, c := range codes {
			fmt.Fprintf(&b, "| %s | %d |\n", c, r.ErrorsByCode[c])
		}
	}
	if len(r.CallTimes) > 0 {
		var parts []string
		for i, t := range r.CallTimes {
			if i == 30 {
				parts = append(parts, fmt.Sprintf("… (%d more)", len(r.CallTimes)-i))
				break
			}
			parts = append(parts, fmt.Sprintf("%.2f s", t.Seconds()))
		}
		fmt.Fprintf(&b, "\nCalls at (simulated time from the start): %s.\n", strings.Join(parts, ", "))
	}
	if r.OK() {
		fmt.Fprintf(&b, "\nThe gateway stayed within %d calls per %s and LL2 refused none.\n", o.Limit, o.Window)
	} else {
		b.WriteString("\nFAIL: the gateway exceeded LL2's limit.\n")
	}
	return b.String()
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}
