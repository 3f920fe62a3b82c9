package bench

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"spacegraph/gateway"
)

// TestShapesAnswer checks every reference shape of BenchmarkShapes: answered without
// errors and with its number of objects, with the response cache off and on (where
// each distinct body misses it), so that a broken shape cannot be benchmarked
// unnoticed.
func TestShapesAnswer(t *testing.T) {
	for _, off := range []bool{true, false} {
		g, err := NewGateway(gateway.Config{ResponseCacheOff: off})
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		for _, s := range Shapes() {
			bodies := DistinctBodies(s.Query)
			for n := range 2 { // cold, then warm
				_, a, err := ServeOK(g.Handler, bodies(n))
				if err != nil {
					t.Fatalf("%s (response cache off %v): %v", s.Name, off, err)
				}
				got, err := CountObjects(a.Data)
				if err != nil {
					t.Fatal(err)
				}
				if got != s.Objects {
					t.Errorf("%s (response cache off %v, run %d): %d objects, want %d", s.Name, off, n, got, s.Objects)
				}
			}
		}
	}
}

// TestDistinctBodies checks that the shapes' bodies are distinct valid requests.
func TestDistinctBodies(t *testing.T) {
	bodies := DistinctBodies(`{ a: __typename }`)
	if a, b := bodies(1), bodies(2); bytes.Equal(a, b) {
		t.Errorf("bodies 1 and 2 are both %s", a)
	}
	want := `{"operationName":"S7","query":"query S7 { a: __typename }"}`
	if got := string(bodies(7)); got != want {
		t.Errorf("body 7 = %s, want %s", got, want)
	}
}

// cpuTime returns the process's user and system CPU time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchBodies sends bodies(n), a distinct n for each request, to h in-process from
// parallel goroutines, and reports the process's CPU time per request as cpu-ms/req
// beside ns/op, B/op and allocs/op.
func benchBodies(b *testing.B, h http.Handler, bodies func(int) []byte) {
	var n atomic.Int64
	n.Store(1 << 20) // past the warm-up's numbers
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime(b)
	b.RunParallel(func(pb *testing.PB) {
		// Each goroutine reads its answers into one buffer, as a client reads from a
		// socket: a recorder growing a new body per request was half of what a request
		// allocated here, the server's cost counted twice.
		var body bytes.Buffer
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(bodies(int(n.Add(1)))))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			body.Reset()
			rec.Body = &body
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d: %.300s", rec.Code, rec.Body.Bytes())
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/req")
}

// BenchmarkShapes measures every reference shape (Shapes), warm (LL2's answers
// cached by one run first), every request a distinct document: with the response
// cache off, with it on but missing (each document is new to it too), and a ceiling
// that reads the same requests and writes an answer of the same size, measured in the
// same run so that the figures can be given as ratios.
//
//	go test ./bench/ -run '^$' -bench Shapes -benchmem -count 3
func BenchmarkShapes(b *testing.B) {
	for _, s := range Shapes() {
		bodies := DistinctBodies(s.Query)
		b.Run(s.Name, func(b *testing.B) {
			var answer []byte
			for _, c := range []struct {
				name string
				off  bool
			}{{"response-cache-off", true}, {"response-cache-miss", false}} {
				b.Run(c.name, func(b *testing.B) {
					g, err := NewGateway(gateway.Config{ResponseCacheOff: c.off})
					if err != nil {
						b.Fatal(err)
					}
					defer g.Close()
					raw, _, err := ServeOK(g.Handler, bodies(0)) // warm: LL2's answers cached
					if err != nil {
						b.Fatal(err)
					}
					answer = raw
					calls := g.LL2.Counters().Total
					benchBodies(b, g.Handler, bodies)
					if spent := g.LL2.Counters().Total - calls; spent != 0 {
						b.Errorf("the warm runs spent %d LL2 calls", spent)
					}
				})
			}
			b.Run("ceiling", func(b *testing.B) {
				size := strconv.Itoa(len(answer))
				benchBodies(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var body bytes.Buffer
					_, _ = body.ReadFrom(r.Body)
					w.Header().Set("Content-Type", "application/json")
					w.Header().Set("Content-Length", size)
					_, _ = w.Write(answer)
				}), bodies)
			})
		})
	}
}

// TestShapesThroughputMeasuresOneGatewayAtATime runs the shapes scenario briefly and
// checks that no gateway is measured beside another one still open: the scenario
// closed every shape's gateways only at its end, so that the later shapes ran beside the
// earlier ones' caches and goroutines.
func TestShapesThroughputMeasuresOneGatewayAtATime(t *testing.T) {
	var open, most atomic.Int32
	defer func(f func(gateway.Config) (http.Handler, func() error, error)) { openShapeGateway = f }(openShapeGateway)
	openShapeGateway = func(cfg gateway.Config) (http.Handler, func() error, error) {
		g, err := NewGateway(cfg)
		if err != nil {
			return nil, nil, err
		}
		open.Add(1)
		serve := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := open.Load()
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			g.Handler.ServeHTTP(w, r)
		})
		var once sync.Once
		closeGateway := func() error {
			once.Do(func() { open.Add(-1) })
			return g.Close()
		}
		t.Cleanup(func() { _ = closeGateway() })
		return serve, closeGateway, nil
	}
	rs, err := ShapesThroughput(context.Background(), ThroughputOptions{Clients: 2, Duration: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(Shapes()) {
		t.Fatalf("%d shapes measured, want %d", len(rs), len(Shapes()))
	}
	if n := most.Load(); n != 1 {
		t.Errorf("up to %d gateways open while one served, want 1", n)
	}
}
