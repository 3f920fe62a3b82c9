package redis

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"spacegraph/economy"
	"spacegraph/internal/testkit"
	"spacegraph/internal/testkit/redistest"
)

// replicas returns n transports, each over its own client (one process each), sharing
// one Redis, one fake LL2 and one simulated clock.
func replicas(t *testing.T, r redistest.Backend, n, limit int, window time.Duration) ([]*economy.Transport, *testkit.FakeLL2, *testkit.Clock, []*Budget) {
	t.Helper()
	clk := testkit.NewClock()
	ll2 := testkit.NewFakeLL2()
	cs := clients(t, r, n, clk)
	trs := make([]*economy.Transport, n)
	bs := make([]*Budget, n)
	for i, c := range cs {
		b, err := c.Budget(context.Background(), BudgetOptions{Limit: limit, Window: window})
		if err != nil {
			t.Fatal(err)
		}
		bs[i] = b
		tr := economy.NewTransport(economy.Options{Base: ll2, Store: c.Store("ans:", nil, 0), Flight: c.Flight(), Budget: b, Now: clk.Now})
		t.Cleanup(func() {
			testkit.WaitFor(t, "background refreshes", func() bool { return tr.Refreshing() == 0 })
		})
		trs[i] = tr
	}
	return trs, ll2, clk, bs
}

func TestTransportTwoReplicas(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		trs, ll2, clk, bs := replicas(t, r, 2, 15, time.Hour)
		paths := []string{"spacecraft/1/", "spacecraft/?limit=10", "agencies/121/", "config/spacecraft_statuses/"}
		for _, p := range paths {
			if g := get(t, trs[0], p); g.Status != 200 {
				t.Fatalf("%s: %+v", p, g)
			}
		}
		if ll2.Calls() != len(paths) {
			t.Fatalf("%d calls, want %d", ll2.Calls(), len(paths))
		}
		clk.Advance(10 * time.Minute)
		for _, p := range paths {
			g := get(t, trs[1], p)
			if g.Status != 200 || g.Header.Get("Age") != "600" || g.Header.Get("Warning") != "" {
				t.Fatalf("%s on the second replica: %+v", p, g)
			}
		}
		// Key normalisation holds across replicas.
		if g := get(t, trs[1], "spacecraft/?format=json&limit=10"); g.Status != 200 {
			t.Fatalf("%+v", g)
		}
		if ll2.Calls() != len(paths) {
			t.Fatalf("the second replica called LL2: %d calls", ll2.Calls())
		}
		if s := status(t, bs[1]); s.Used != len(paths) {
			t.Fatalf("shared budget used %d, want %d", s.Used, len(paths))
		}
		// A refresh by one replica serves the other.
		clk.Advance(time.Hour)
		if g := get(t, trs[1], "spacecraft/1/"); g.Header.Get("Warning") == "" || g.Body != `{"path":"spacecraft/1/","call":1}` {
			t.Fatalf("stale copy: %+v", g)
		}
		testkit.WaitFor(t, "the refresh", func() bool { return trs[1].Refreshing() == 0 })
		if g := get(t, trs[0], "spacecraft/1/"); g.Header.Get("Warning") != "" || g.Body != `{"path":"spacecraft/1/","call":2}` {
			t.Fatalf("after the other replica's refresh: %+v", g)
		}
	})
}

func TestTransportReplicasUnderLoad(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		const replicasN, keys, perKey = 3, 30, 6
		trs, ll2, _, bs := replicas(t, r, replicasN, 15, time.Hour)
		type outcome struct {
			path   string
			status int
			body   string
		}
		out := make(chan outcome, keys*perKey)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for k := range keys {
			path := "spacecraft/" + strconv.Itoa(k) + "/"
			for i := range perKey {
				tr := trs[(k+i)%replicasN]
				wg.Go(func() {
					<-start
					g := get(t, tr, path)
					if g.Err != nil {
						t.Error(g.Err)
						return
					}
					out <- outcome{path, g.Status, g.Body}
				})
			}
		}
		close(start)
		wg.Wait()
		close(out)
		byPath := map[string][]outcome{}
		for o := range out {
			byPath[o.path] = append(byPath[o.path], o)
		}
		served := 0
		for path, os := range byPath {
			if len(os) != perKey {
				t.Fatalf("%s: %d answers", path, len(os))
			}
			switch os[0].status {
			case 200:
				served++
			case http.StatusTooManyRequests:
			default:
				t.Fatalf("%s: %+v", path, os[0])
			}
			for _, o := range os {
				// A key is fetched once or refused for all: the budget does not come back
				// while the clock stands still.
				if o.status != os[0].status {
					t.Fatalf("%s: mixed answers %+v", path, os)
				}
				if o.status == 200 && o.body != `{"path":"`+path+`","call":1}` {
					t.Fatalf("%s: body %s", path, o.body)
				}
			}
		}
		if ll2.Calls() != 15 || served != 15 {
			t.Fatalf("%d calls, %d keys served; want 15 and 15 (the budget)", ll2.Calls(), served)
		}
		for p, n := range ll2.PerPath() {
			if n != 1 {
				t.Fatalf("%s called %d times", p, n)
			}
		}
		if s := status(t, bs[0]); s.Used != 15 {
			t.Fatalf("budget used %d", s.Used)
		}
	})
}

func TestTransportReplicas429(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		trs, ll2, clk, _ := replicas(t, r, 2, 15, time.Hour)
		ll2.Script("spacecraft/1/", testkit.Answer{Status: 429, Body: `{"detail":"Request was throttled. Expected available in 60 seconds."}`})
		if g := get(t, trs[0], "spacecraft/1/"); g.Status != 429 {
			t.Fatalf("%+v", g)
		}
		// The other replica does not call until LL2's wait is over.
		g := get(t, trs[1], "agencies/1/")
		if g.Status != 429 || g.Header.Get("Retry-After") != "60" {
			t.Fatalf("second replica while blocked: %+v", g)
		}
		clk.Advance(time.Minute)
		if g := get(t, trs[1], "agencies/1/"); g.Status != 200 {
			t.Fatalf("after the wait: %+v", g)
		}
		if ll2.Calls() != 2 {
			t.Fatalf("%d calls, want 2", ll2.Calls())
		}
	})
}

func TestTransportCorruptSharedEntry(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		clk := testkit.NewClock()
		c := clients(t, r, 1, clk)[0]
		ll2 := testkit.NewFakeLL2()
		tr := economy.NewTransport(economy.Options{Base: ll2, Store: c.Store("ans:", nil, 0), Flight: c.Flight(), Now: clk.Now})
		u := root + "spacecraft/1/"
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if err := c.Redis().Set(context.Background(), c.prefix+"ans:"+economy.Key(req.URL), "not an entry", time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		// A corrupt entry is a miss: the answer is fetched and replaces it.
		for range 2 {
			if g := get(t, tr, "spacecraft/1/"); g.Status != 200 || g.Body != `{"path":"spacecraft/1/","call":1}` {
				t.Fatalf("%+v", g)
			}
		}
		if ll2.Calls() != 1 {
			t.Fatalf("%d calls, want 1", ll2.Calls())
		}
	})
}
