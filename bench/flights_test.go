package bench

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"spacegraph/gateway"
)

// flatFlightsBaseline is NestedFlightsQuery without the flights: the same page of 50
// spacecraft at LL2's normal level, the baseline BenchmarkNestedFlights is read against.
const flatFlightsBaseline = `{ allSpacecraft(first: 50) { nodes { name } } }`

// BenchmarkNestedFlights measures the page of 50 spacecraft with their first 3
// flights (NestedFlightsQuery) through the whole handler, in parallel, over
// LL2ScaleFlights: warm with the whole-response cache, warm without it (every request
// resolved again from the answer cache's detailed page), and cold (a fresh gateway a
// request: the detailed page fetched from the built-in server and decoded). Each has
// its baseline, the same page without flights, measured in the same run.
func BenchmarkNestedFlights(b *testing.B) {
	for _, q := range []struct{ name, query string }{{"flights", NestedFlightsQuery}, {"baseline", flatFlightsBaseline}} {
		for _, c := range []struct {
			name string
			off  bool
		}{{"warm-response-cache", false}, {"warm-no-response-cache", true}} {
			b.Run(q.name+"/"+c.name, func(b *testing.B) {
				g, err := NewFlightsGateway(gateway.Config{ResponseCacheOff: c.off})
				if err != nil {
					b.Fatal(err)
				}
				defer g.Close()
				benchQuery(b, g.Handler, q.query)
			})
		}
		b.Run(q.name+"/cold", func(b *testing.B) {
			body := Body(q.query, nil)
			b.ReportAllocs()
			for b.Loop() {
				g, err := NewFlightsGateway(gateway.Config{})
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := ServeOK(g.Handler, body); err != nil {
					b.Fatal(err)
				}
				if n := g.LL2.Counters().Total; n != 1 {
					b.Fatalf("%d LL2 calls, want 1", n)
				}
				g.Close()
			}
		})
	}
}

// benchQuery measures query in-process from parallel goroutines, after a first run
// that warms the caches.
func benchQuery(b *testing.B, h http.Handler, query string) {
	body := Body(query, nil)
	if _, _, err := ServeOK(h, body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d", rec.Code)
				return
			}
		}
	})
}
