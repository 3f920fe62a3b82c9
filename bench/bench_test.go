package bench

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"spacegraph/gateway"
	"spacegraph/ll2/ll2server"
)

// TestWarmQueriesCostNothing is scenario a: every query of the call table costs its
// pinned calls cold and nothing warm, with the whole-response cache and without it.
func TestWarmQueriesCostNothing(t *testing.T) {
	r, err := UpstreamCalls(Latency)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range r.Rows {
		if row.Warm != 0 || row.WarmNoResponseCache != 0 {
			t.Errorf("%s: warm runs spent %d and %d (no response cache) calls, want 0", row.Query.Name, row.Warm, row.WarmNoResponseCache)
		}
		if !row.Pinned() {
			t.Errorf("%s: cold runs spent %d and %d (no response cache) calls, pinned %d (atMost %v); is the copy of gateway/calls_test.go's table in step?",
				row.Query.Name, row.Cold, row.ColdNoResponseCache, row.Query.Calls, row.Query.AtMost)
		}
	}
	if t.Failed() {
		t.Log("\n" + r.Markdown())
	}
}

// TestColdStampede is scenario c: 64 clients asking a cold gateway the nested query at
// once, over HTTP, share one LL2 call.
func TestColdStampede(t *testing.T) {
	r, err := Stampede(context.Background(), 64, Latency)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Errorf("64 cold clients: %d LL2 calls (want 1), statuses %s, %d errors", r.Calls, r.Result.StatusText(), r.Result.Errors)
	}
}

// TestSimulatedFiveMinutes is scenario e on five simulated minutes: the gateway keeps
// within LL2's 15 calls an hour and never sends a call LL2 refuses.
func TestSimulatedFiveMinutes(t *testing.T) {
	o := DefaultHourOptions()
	o.Duration = 5 * time.Minute
	r, err := SimulatedHour(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if want := 5 * 60 * o.Rate; r.Requests != want {
		t.Errorf("%d requests, want %d", r.Requests, want)
	}
	if !r.OK() {
		t.Errorf("%d calls refused by LL2, at most %d calls in an hour (limit %d)", r.Throttled, r.MaxInWindow, o.Limit)
	}
	for code, n := range r.ErrorsByCode {
		if code != "UPSTREAM_RATE_LIMITED" {
			t.Errorf("%d answers with error code %q: only the spent budget may fail a request", n, code)
		}
	}
	if r.Clean == 0 || r.CacheHits == 0 {
		t.Errorf("%d clean answers, %d from the response cache: the popular queries should be answered", r.Clean, r.CacheHits)
	}
	t.Logf("%d calls, %d clean answers, %d with errors, %d stale", r.Calls, r.Clean, r.WithErrors, r.Stale)
}

// TestTrafficQueriesAreDistinctAndValid checks the mix: distinct queries, each
// answered without error (TrafficQueries checks each on the pager).
func TestTrafficQueriesAreDistinctAndValid(t *testing.T) {
	g, err := NewGateway(gateway.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	qs, err := TrafficQueries(300, 7, g.Handler)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, q := range qs {
		if seen[q] {
			t.Errorf("repeated query %s", q)
		}
		seen[q] = true
	}
}

// TestMemoryBodiesAreDistinctAndValid checks the memory scenario's requests: n
// distinct bodies, and a sample of them answered without error.
func TestMemoryBodiesAreDistinctAndValid(t *testing.T) {
	bodies := MemoryBodies(10_000)
	seen := map[string]bool{}
	for _, b := range bodies {
		if seen[string(b)] {
			t.Fatalf("repeated body %s", b)
		}
		seen[string(b)] = true
	}
	g, err := NewGateway(gateway.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for i := 0; i < len(bodies); i += 37 {
		if _, _, err := ServeOK(g.Handler, bodies[i]); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLoadCountsAndStops checks the load generator on a handler that answers 200 or
// 503: a fixed count is exact, statuses are counted, and a timed run stops.
func TestLoadCountsAndStops(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnsupportedMediaType)
			return
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		if b.String() == "fail" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	bodies := func(i int) []byte {
		if i%4 == 0 {
			return []byte("fail")
		}
		return []byte("{}")
	}
	r, err := Load{URL: srv.URL, Bodies: bodies, Clients: 8, Requests: 400}.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 400 || r.Status[200] != 300 || r.Status[503] != 100 || r.Errors != 0 || r.Latency.Count() != 400 {
		t.Errorf("requests %d, statuses %s, errors %d, latencies %d", r.Requests, r.StatusText(), r.Errors, r.Latency.Count())
	}
	start := time.Now()
	r, err = Load{URL: srv.URL, Body: []byte("{}"), Clients: 4, Duration: 200 * time.Millisecond}.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second || r.Requests == 0 || r.RPS() <= 0 {
		t.Errorf("a 200 ms run took %s with %d requests", el, r.Requests)
	}
	if r.P50() > r.P99() || r.P99() > r.Max() {
		t.Errorf("p50 %s, p99 %s, max %s", r.P50(), r.P99(), r.Max())
	}
}

// TestHistogram checks the histogram's precision and its quantiles.
func TestHistogram(t *testing.T) {
	var h Histogram
	for i := 1; i <= 10000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5 * time.Millisecond}, {0.9, 9 * time.Millisecond}, {0.99, 9900 * time.Microsecond}, {1, 10 * time.Millisecond}} {
		got := h.Quantile(c.q)
		if got < c.want || float64(got) > float64(c.want)*1.008 {
			t.Errorf("q%.2f = %s, want %s within 0.8%% above", c.q, got, c.want)
		}
	}
	if h.Min() != time.Microsecond || h.Max() != 10*time.Millisecond || h.Count() != 10000 {
		t.Errorf("min %s max %s count %d", h.Min(), h.Max(), h.Count())
	}
	if m := h.Mean(); m < 5000*time.Microsecond || m > 5001*time.Microsecond {
		t.Errorf("mean %s", m)
	}
	// Every value is read back as at most 0.8% above itself, never below; past the
	// tracked range it is the range's end, and Max still the value.
	for _, v := range []time.Duration{0, 1, 127, 128, 255, 256, 1000, 123456789, maxTracked} {
		var one Histogram
		one.Record(v)
		if got := one.Quantile(0.5); got != v {
			t.Errorf("value %d alone: quantile %d, want the value (clamped to max)", v, got)
		}
		one.Record(2 * maxTracked)
		if got := one.Quantile(0.99); got < maxTracked || float64(got-maxTracked) > float64(maxTracked)/128 || one.Max() != 2*maxTracked {
			t.Errorf("value %d and one past the range: q0.99 %d, max %d", v, got, one.Max())
		}
	}
	for _, v := range []time.Duration{200, 1000, 123456789} {
		var h2 Histogram
		h2.Record(v)
		h2.Record(v * 2)
		if got := h2.Quantile(0.5); got < v || float64(got-v) > float64(v)/128+1 {
			t.Errorf("value %d: read back as %d", v, got)
		}
	}
	var other Histogram
	other.Record(time.Hour)
	h.Merge(&other)
	if h.Max() != time.Hour || h.Count() != 10001 {
		t.Errorf("after merge: max %s count %d", h.Max(), h.Count())
	}
}

// TestMaxInWindow checks the sliding-window count used by scenario e.
func TestMaxInWindow(t *testing.T) {
	s := time.Second
	if n := maxInWindow([]time.Duration{0, s, 2 * s, 3601 * s, 3602 * s}, time.Hour); n != 3 {
		t.Errorf("got %d, want 3", n)
	}
	// A call exactly one window after another no longer shares its window.
	if n := maxInWindow([]time.Duration{0, 3600 * s}, time.Hour); n != 1 {
		t.Errorf("got %d, want 1", n)
	}
}

// BenchmarkNestedWarm measures the warm nested reference query through the whole
// handler, in-process and in parallel: with the whole-response cache, without it,
// and a ceiling that only writes the same bytes.
func BenchmarkNestedWarm(b *testing.B) {
	for _, c := range []struct {
		name string
		off  bool
	}{{"response-cache", false}, {"no-response-cache", true}} {
		b.Run(c.name, func(b *testing.B) {
			g, err := NewGateway(gateway.Config{ResponseCacheOff: c.off, LL2: ll2server.Options{Latency: Latency}})
			if err != nil {
				b.Fatal(err)
			}
			defer g.Close()
			benchQuery(b, g.Handler, NestedQuery)
		})
	}
	b.Run("ceiling", func(b *testing.B) {
		g, err := NewGateway(gateway.Config{})
		if err != nil {
			b.Fatal(err)
		}
		raw, _, err := ServeOK(g.Handler, Body(NestedQuery, nil))
		g.Close()
		if err != nil {
			b.Fatal(err)
		}
		benchQuery(b, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(raw)
		}), NestedQuery)
	})
}

// BenchmarkHistogramRecord measures the load generator's per-request bookkeeping.
func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	d := time.Duration(1)
	for b.Loop() {
		h.Record(d)
		d = d*33 + 7
		d %= time.Second
	}
}

// TestGoLimitLeavesOutWhatIsNotGos checks the Go memory limit the memory scenario sets:
// the bound plus the overhead less the resident memory the runtime does not manage.
// With the whole of the bound plus the overhead, as before, the runtime was let spend
// on its heap the memory the binary's code takes, and the peak RSS ran past the check
// by about that much.
func TestGoLimitLeavesOutWhatIsNotGos(t *testing.T) {
	notGo, err := notGoRSS()
	if err != nil {
		t.Fatal(err)
	}
	rss, err := ProcStatus("VmRSS")
	if err != nil {
		t.Fatal(err)
	}
	// The test binary's code is resident, and it is not the runtime's.
	if notGo < 1<<20 || notGo >= rss {
		t.Errorf("resident memory not Go's: %d bytes of an RSS of %d", notGo, rss)
	}
	const mib = 1 << 20
	for _, tc := range []struct{ notGo, want uint64 }{
		{24 * mib, 138 * mib},
		{0, 162 * mib},
		{500 * mib, 81 * mib}, // misread: never below half
	} {
		r := MemoryResult{Bound: 48 * mib, Overhead: 114 * mib, NotGo: tc.notGo}
		if got := r.GoLimit(); got != tc.want {
			t.Errorf("GoLimit with %d MiB not Go's = %d MiB, want %d MiB", tc.notGo/mib, got/mib, tc.want/mib)
		}
	}
}
