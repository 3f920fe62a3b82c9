package redis

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"spacegraph/economy"
	"spacegraph/internal/testkit"
	"spacegraph/internal/testkit/redistest"
)

func sameEntry(a, b economy.Entry) bool {
	return a.Status == b.Status && a.TTL == b.TTL && a.Fetched.Equal(b.Fetched) && bytes.Equal(a.Body, b.Body)
}

// TestNewURLs checks the forms --redis accepts: a malformed or unknown URL is an error
// that never shows the password, while one server over TLS and one behind Sentinel
// answer (Cluster runs every test of the package); an unreachable server is not an
// error but a client that starts degraded.
func TestNewURLs(t *testing.T) {
	for _, bad := range []string{
		"http://nope",
		"redis://:s3cretpw@127.0.0.1:1/0?bogus=1",
		"redis://:s3cretpw@[::1/0",
		"redis://:s3cretpw@127.0.0.1:1/0?addr=127.0.0.1:2",
		"redis+sentinel://:s3cretpw@127.0.0.1:26379/0",
		"redis+cluster://:s3cretpw@127.0.0.1:7000/3",
		"redis+ring://127.0.0.1:7000",
	} {
		_, err := New(context.Background(), Options{URL: bad})
		if err == nil {
			t.Errorf("%s: accepted", bad)
		} else if strings.Contains(err.Error(), "s3cretpw") {
			t.Errorf("%s: the error shows the password: %v", bad, err)
		}
	}
	ctx := context.Background()
	master := redistest.Start(t)
	for name, url := range map[string]string{
		"tls":      redistest.StartTLS(t).URL(),
		"sentinel": redistest.StartSentinel(t, master).URL(),
	} {
		c, err := New(ctx, Options{URL: url})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Degraded() {
			t.Errorf("%s (%s): degraded", name, url)
		}
		s := c.Store("x:", nil, 0)
		e := economy.Entry{Status: 200, Body: []byte(name), Fetched: t0, TTL: time.Hour}
		if err := s.Set(ctx, "k", e, time.Minute); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if got, ok, err := s.Get(ctx, "k"); !ok || err != nil || !sameEntry(got, e) {
			t.Errorf("%s: Get = %+v, %v, %v", name, got, ok, err)
		}
		_ = c.Close()
	}
	// What the sentinel's master holds is what the client wrote through it.
	direct, _ := New(ctx, Options{URL: master.URL()})
	defer direct.Close()
	if _, ok, _ := direct.Store("x:", nil, 0).Get(ctx, "k"); !ok {
		t.Error("the sentinel client did not write to the master")
	}
	// Nothing listens on port 1: the client starts, degraded, and fails fast.
	c, err := New(ctx, Options{URL: "redis://127.0.0.1:1/0"})
	if err != nil {
		t.Fatalf("New without a server: %v", err)
	}
	defer c.Close()
	if !c.Degraded() {
		t.Error("a client without a server is not degraded")
	}
	if err := c.Redis().Ping(ctx).Err(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("ping while degraded: %v, want ErrUnavailable", err)
	}
}

func TestDefaultPrefix(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		c, err := New(context.Background(), Options{URL: r.URL})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.prefix != "spacegraph:" || c.Store("x:", nil, 0).prefix != "spacegraph:x:" {
			t.Fatalf("prefix %q", c.prefix)
		}
	})
}

func TestStoreRoundTrip(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		cs := clients(t, r, 2, nil)
		s1, s2 := cs[0].Store("ans:", nil, 0), cs[1].Store("ans:", nil, 0)
		if _, ok, err := s1.Get(ctx, "missing"); ok || err != nil {
			t.Fatalf("Get(missing) = %v, %v", ok, err)
		}
		for name, e := range map[string]economy.Entry{
			"200":    {Status: 200, Body: []byte(`{"count":1,"results":[{"id":1}]}`), Fetched: t0, TTL: time.Hour},
			"404":    {Status: 404, Body: []byte(`{"detail":"Not found."}`), Fetched: t0.Add(time.Millisecond), TTL: 10 * time.Minute},
			"binary": {Status: 200, Body: []byte("\x00sg1\x00\xff\r\n"), Fetched: t0.Add(123456789), TTL: 1},
			"empty":  {Status: 200, Fetched: t0, TTL: time.Second},
			"big":    {Status: 200, Body: bytes.Repeat([]byte(`{"x":"y"},`), 200_000), Fetched: t0, TTL: time.Hour},
		} {
			if err := s1.Set(ctx, name, e, time.Hour); err != nil {
				t.Fatal(err)
			}
			// The other process reads what this one wrote.
			got, ok, err := s2.Get(ctx, name)
			if !ok || err != nil || !sameEntry(got, e) {
				t.Fatalf("%s: Get = %d %v %v %d bytes, %v, %v", name, got.Status, got.Fetched, got.TTL, len(got.Body), ok, err)
			}
		}
		// The key is the client's prefix, the store's, then the key; it expires with keep.
		ttl, err := cs[0].Redis().PTTL(ctx, cs[0].prefix+"ans:200").Result()
		if err != nil || ttl <= 59*time.Minute || ttl > time.Hour {
			t.Fatalf("PTTL %v, %v", ttl, err)
		}
		// A store of another prefix is another namespace.
		if _, ok, _ := cs[0].Store("resp:", nil, 0).Get(ctx, "200"); ok {
			t.Fatal("stores of different prefixes share keys")
		}
		// Set replaces.
		e := economy.Entry{Status: 200, Body: []byte(`{"v":2}`), Fetched: t0.Add(time.Hour), TTL: time.Hour}
		if err := s2.Set(ctx, "200", e, time.Hour); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := s1.Get(ctx, "200"); !sameEntry(got, e) {
			t.Fatalf("Set did not replace: %s", got.Body)
		}
	})
}

func TestStoreExpiry(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		s := clients(t, r, 1, nil)[0].Store("ans:", nil, 0)
		e := economy.Entry{Status: 200, Body: []byte(`{}`), Fetched: time.Now(), TTL: time.Hour}
		if err := s.Set(ctx, "short", e, 300*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if err := s.Set(ctx, "zero", e, 0); err != nil { // kept at least a millisecond, not forever
			t.Fatal(err)
		}
		if err := s.Set(ctx, "long", e, time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.Get(ctx, "short"); !ok || err != nil {
			t.Fatalf("entry gone at once: %v %v", ok, err)
		}
		for _, k := range []string{"short", "zero"} {
			testkit.WaitFor(t, k+" to expire", func() bool {
				_, ok, err := s.Get(ctx, k)
				return !ok && err == nil
			})
		}
		if _, ok, _ := s.Get(ctx, "long"); !ok {
			t.Fatal("long entry expired")
		}
	})
}

func TestStoreCorrupt(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		c := clients(t, r, 1, nil)[0]
		s := c.Store("ans:", nil, 0)
		good, _ := economy.Entry{Status: 200, Body: []byte(`{}`), Fetched: t0, TTL: time.Hour}.MarshalBinary()
		for name, v := range map[string]string{
			"garbage":   "garbage",
			"empty":     "",
			"truncated": string(good[:6]),
			"json":      `{"Status":200,"Body":"e30="}`,
		} {
			if err := c.Redis().Set(ctx, c.prefix+"ans:"+name, v, time.Hour).Err(); err != nil {
				t.Fatal(err)
			}
			e, ok, err := s.Get(ctx, name)
			if !errors.Is(err, economy.ErrCorrupt) || ok || e.Status != 0 {
				t.Fatalf("%s: Get = %+v, %v, %v; want ErrCorrupt", name, e, ok, err)
			}
		}
		// A Redis error is an error, not a miss: a key of another type.
		if err := c.Redis().HSet(ctx, c.prefix+"ans:hash", "a", "b").Err(); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.Get(ctx, "hash"); err == nil || ok {
			t.Fatalf("Get of a hash = %v, %v", ok, err)
		}
	})
}

// fetcher is what a transport does in a flight: look in the shared store, else call
// (counted) and store the answer.
type fetcher struct {
	calls   atomic.Int64
	running chan struct{} // receives when a call starts, if set
	release chan struct{} // holds each call until closed, if set
}

func (f *fetcher) fetch(s *Store, key, body string) func(context.Context) (economy.Result, error) {
	return func(ctx context.Context) (economy.Result, error) {
		if e, ok, err := s.Get(ctx, key); err == nil && ok {
			return economy.Result{Entry: e, Usable: true}, nil
		}
		f.calls.Add(1)
		if f.running != nil {
			f.running <- struct{}{}
		}
		if f.release != nil {
			<-f.release
		}
		e := economy.Entry{Status: 200, Body: []byte(body), Fetched: time.Now(), TTL: time.Hour}
		if err := s.Set(ctx, key, e, time.Hour); err != nil {
			return economy.Result{}, err
		}
		return economy.Result{Entry: e, Usable: true}, nil
	}
}

func TestFlightAcrossProcesses(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		cs := clients(t, r, 2, nil)
		stores := []*Store{cs[0].Store("ans:", nil, 0), cs[1].Store("ans:", nil, 0)}
		flights := []*Flight{cs[0].Flight(), cs[1].Flight()}
		const key = "ll2:spacecraft/1/"
		lock := cs[0].prefix + "lock:" + key
		f := &fetcher{release: make(chan struct{})}
		var entered atomic.Int64
		var wg sync.WaitGroup
		results := make([]economy.Result, 20)
		errs := make([]error, 20)
		for i := range 20 {
			wg.Go(func() {
				p := i % 2
				entered.Add(1)
				results[i], errs[i] = flights[p].Do(ctx, key, f.fetch(stores[p], key, `{"id":1}`))
			})
		}
		testkit.WaitFor(t, "every caller and the one call", func() bool {
			n, _ := cs[0].Redis().Exists(ctx, lock).Result()
			return entered.Load() == 20 && f.calls.Load() == 1 && n == 1
		})
		close(f.release)
		wg.Wait()
		for i := range 20 {
			if errs[i] != nil || string(results[i].Entry.Body) != `{"id":1}` || !results[i].Usable {
				t.Fatalf("caller %d: %+v, %v", i, results[i], errs[i])
			}
		}
		if f.calls.Load() != 1 {
			t.Fatalf("%d calls, want 1", f.calls.Load())
		}
		if n, _ := cs[0].Redis().Exists(ctx, lock).Result(); n != 0 {
			t.Fatal("the lock outlived the flight")
		}
		// Errors reach the caller, and the lock is released after them too.
		boom := errors.New("boom")
		_, err := flights[1].Do(ctx, "ll2:other", func(context.Context) (economy.Result, error) { return economy.Result{}, boom })
		if !errors.Is(err, boom) {
			t.Fatalf("error %v, want boom", err)
		}
		if n, _ := cs[0].Redis().Exists(ctx, cs[0].prefix+"lock:ll2:other").Result(); n != 0 {
			t.Fatal("the lock outlived a failed flight")
		}
	})
}

func TestFlightCrashedHolder(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		cs := clients(t, r, 2, nil)
		const key = "ll2:spacecraft/2/"
		lock := cs[0].prefix + "lock:" + key
		// A holder that died without unlocking: only its lease frees the key.
		if err := cs[0].Redis().Set(ctx, lock, "dead", 300*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
		f := &fetcher{}
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		res, err := cs[1].Flight().Do(dctx, key, f.fetch(cs[1].Store("ans:", nil, 0), key, `{"id":2}`))
		if err != nil || string(res.Entry.Body) != `{"id":2}` || f.calls.Load() != 1 {
			t.Fatalf("after the lease: %+v, %v, %d calls", res, err, f.calls.Load())
		}
	})
}

func TestFlightLeaseOverrun(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		cs := clients(t, r, 2, nil)
		const key = "ll2:spacecraft/3/"
		lock := cs[0].prefix + "lock:" + key
		// Process 1 holds the lock with a short lease and hangs past it.
		f1 := cs[0].Flight()
		f1.lease = 300 * time.Millisecond
		hang := &fetcher{running: make(chan struct{}, 1), release: make(chan struct{})}
		done1 := make(chan error)
		go func() {
			_, err := f1.Do(ctx, key, hang.fetch(cs[0].Store("ans:", nil, 0), key, `{"by":1}`))
			done1 <- err
		}()
		testkit.Recv(t, hang.running)
		// Process 2 gets the lock when the lease runs out, and calls itself.
		second := &fetcher{running: make(chan struct{}, 1), release: make(chan struct{})}
		done2 := make(chan economy.Result)
		go func() {
			res, err := cs[1].Flight().Do(ctx, key, second.fetch(cs[1].Store("ans:", nil, 0), key, `{"by":2}`))
			if err != nil {
				t.Error(err)
			}
			done2 <- res
		}()
		testkit.Recv(t, second.running)
		token2, err := cs[0].Redis().Get(ctx, lock).Result()
		if err != nil {
			t.Fatalf("process 2 runs without the lock: %v", err)
		}
		// Process 1 wakes up and unlocks: it must not release process 2's lock.
		close(hang.release)
		if err := testkit.Recv(t, done1); err != nil {
			t.Fatal(err)
		}
		if v, err := cs[0].Redis().Get(ctx, lock).Result(); err != nil || v != token2 {
			t.Fatalf("process 1 released process 2's lock: %q, %v", v, err)
		}
		close(second.release)
		if res := testkit.Recv(t, done2); string(res.Entry.Body) != `{"by":2}` {
			t.Fatalf("process 2 got %s", res.Entry.Body)
		}
		if n, _ := cs[0].Redis().Exists(ctx, lock).Result(); n != 0 {
			t.Fatal("process 2's lock outlived its flight")
		}
	})
}

func TestFlightWaiterGivesUp(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		c := clients(t, r, 1, nil)[0]
		const key = "ll2:spacecraft/4/"
		lock := c.prefix + "lock:" + key
		if err := c.Redis().Set(ctx, lock, "other", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		f := &fetcher{}
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan error)
		go func() {
			_, err := c.Flight().Do(wctx, key, f.fetch(c.Store("ans:", nil, 0), key, `{}`))
			done <- err
		}()
		cancel()
		if err := testkit.Recv(t, done); !errors.Is(err, context.Canceled) {
			t.Fatalf("waiter: %v, want context.Canceled", err)
		}
		// The wait goes on for the process: when the holder is gone, it fetches.
		c.Redis().Del(ctx, lock)
		testkit.WaitFor(t, "the fetch and the unlock", func() bool {
			stored, _ := c.Redis().Exists(ctx, c.prefix+"ans:"+key).Result()
			locked, _ := c.Redis().Exists(ctx, lock).Result()
			return f.calls.Load() == 1 && stored == 1 && locked == 0
		})
	})
}

func TestFlightWithoutRedis(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		c, err := New(context.Background(), Options{URL: r.URL, Prefix: r.Prefix})
		if err != nil {
			t.Fatal(err)
		}
		fl := c.Flight()
		_ = c.Close()
		// Redis is away: the call is made without the lock.
		calls := 0
		res, err := fl.Do(context.Background(), "k", func(context.Context) (economy.Result, error) {
			calls++
			return economy.Result{Entry: economy.Entry{Status: 200, Body: []byte(`{}`)}, Usable: true}, nil
		})
		if err != nil || calls != 1 || string(res.Entry.Body) != `{}` {
			t.Fatalf("without Redis: %+v, %v, %d calls", res, err, calls)
		}
		// A store without a local fallback has nothing then: a miss, not an error.
		if _, ok, err := c.Store("a:", nil, 0).Get(context.Background(), "k"); ok || err != nil {
			t.Fatalf("store read without Redis: %v, %v; want a miss", ok, err)
		}
	})
}

func TestManyKeysManyFlights(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		cs := clients(t, r, 3, nil)
		f := &fetcher{}
		var wg sync.WaitGroup
		for k := range 10 {
			key := "ll2:k" + strconv.Itoa(k)
			for i := range 9 {
				c := cs[i%3]
				wg.Go(func() {
					res, err := c.Flight().Do(ctx, key, f.fetch(c.Store("ans:", nil, 0), key, `"`+key+`"`))
					if err != nil || string(res.Entry.Body) != `"`+key+`"` {
						t.Errorf("%s: %s, %v", key, res.Entry.Body, err)
					}
				})
			}
		}
		wg.Wait()
		if f.calls.Load() != 10 {
			t.Fatalf("%d calls for 10 keys", f.calls.Load())
		}
	})
}

// BenchmarkFlight measures an uncontended cross-process flight: taking the key's lock,
// a fetch that does nothing, and letting the lock go.
func BenchmarkFlight(b *testing.B) {
	for _, c := range []struct {
		name string
		url  func(testing.TB) (string, string)
	}{{"single", redistest.URL}, {"cluster", redistest.ClusterURL}} {
		b.Run(c.name, func(b *testing.B) {
			u, prefix := c.url(b)
			cl, err := New(context.Background(), Options{URL: u, Prefix: prefix})
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			fl := cl.Flight()
			fetch := func(context.Context) (economy.Result, error) { return economy.Result{Usable: true}, nil }
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fl.Do(ctx, "ll2:spacecraft/1/", fetch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
