package redis

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"spacegraph/internal/testkit"
	"spacegraph/internal/testkit/redistest"
)

var t0 = testkit.Epoch

var deployments atomic.Int64

// clients returns n clients on one Redis and one prefix: n processes of one
// deployment. clk may be nil (the real clock).
func clients(t *testing.T, r redistest.Backend, n int, clk *testkit.Clock) []*Client {
	t.Helper()
	// A prefix of their own, so that a test may make several deployments.
	prefix := r.Prefix + strconv.Itoa(int(deployments.Add(1))) + ":"
	cs := make([]*Client, n)
	for i := range cs {
		o := Options{URL: r.URL, Prefix: prefix}
		if clk != nil {
			o.Now = clk.Now
		}
		c, err := New(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if c.Degraded() {
			t.Fatalf("%s: redis unreachable", r.Name)
		}
		t.Cleanup(func() { _ = c.Close() })
		if clk != nil {
			// The budgets read Redis's clock: it must move with the test's.
			clk.OnMove(func(d time.Duration) { c.skew.Add(d.Milliseconds()) })
		}
		cs[i] = c
	}
	return cs
}

const root = "https://ll.thespacedevs.com/2.3.0/"

// get makes a GET of path, below LL2's root, through rt.
func get(t testing.TB, rt http.RoundTripper, path string) testkit.Response {
	t.Helper()
	return testkit.Get(t, rt, context.Background(), root+path)
}
