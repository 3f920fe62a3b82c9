package ll2server_test

// Benchmarks of the built-in server on a synthetic snapshot of 100,000 spacecraft
// (synthetic.Large), far more than LL2's 600, to show what a query costs when it must
// filter, search or order much more than one page. Each query is measured warm (the
// server's memoised selection is reused, as when a client pages through a result or
// repeats a query) and cold (a fresh server, so the selection is computed again),
// and next to a baseline that only encodes the same ten results, so that the figures
// can be read as ratios rather than as absolute times on one machine.
//
//	go test -run '^$' -bench . -benchtime 200x ./ll2/ll2server/

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot/synthetic"
)

// benchQuery is one list request of the benchmarks, without mode.
type benchQuery struct {
	name  string
	query string
}

var benchQueries = []benchQuery{
	{"first", "limit=10"},
	{"deep-by-time_in_space", "limit=10&offset=90000&ordering=-time_in_space"},
	{"filtered", "limit=10&status=1&in_space=true"},
	{"searched", "limit=10&search=Synthetic+0999"},
}

var benchModes = []ll2.Level{ll2.LevelNormal, ll2.LevelDetailed}

// benchFixture is the large store, shared by every benchmark; it is built once
// because generating and normalising 100,000 spacecraft takes about a second.
type benchFixture struct {
	store *ll2server.Store
	// results holds each query's ten records, keyed by query name and mode, as the
	// server selected them, for the baseline.
	results map[string][]*ll2.SpacecraftDetailed
	counts  map[string]int
}

var benchLarge = sync.OnceValue(func() *benchFixture {
	f := &benchFixture{
		store:   ll2server.NewStore(synthetic.Generate(synthetic.Large())),
		results: map[string][]*ll2.SpacecraftDetailed{},
		counts:  map[string]int{},
	}
	byID := map[int]*ll2.SpacecraftDetailed{}
	for _, s := range f.store.Spacecraft() {
		byID[s.ID] = s
	}
	srv := ll2server.New(f.store, ll2server.Options{})
	for _, q := range benchQueries {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, benchRequest(q, ll2.LevelNormal))
		var page struct {
			Count   int `json:"count"`
			Results []struct {
				ID int `json:"id"`
			} `json:"results"`
		}
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &page) != nil {
			panic("bench: " + q.query + ": " + rec.Body.String())
		}
		for _, r := range page.Results {
			f.results[q.name] = append(f.results[q.name], byID[r.ID])
		}
		f.counts[q.name] = page.Count
	}
	return f
})

func benchRequest(q benchQuery, mode ll2.Level) *http.Request {
	return httptest.NewRequest(http.MethodGet, ll2server.EmbeddedBaseURL+"spacecraft/?"+q.query+"&mode="+mode.String(), nil)
}

// checkBenchAnswer makes sure a benchmark measures a real page, not an error.
func checkBenchAnswer(b *testing.B, f *benchFixture, q benchQuery, rec *httptest.ResponseRecorder) {
	b.Helper()
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: HTTP %d: %s", q.query, rec.Code, rec.Body.String())
	}
	if len(f.results[q.name]) != 10 {
		b.Fatalf("%s: %d results (count %d), want a full page of 10", q.query, len(f.results[q.name]), f.counts[q.name])
	}
}

// BenchmarkSpacecraftList serves each query warm: the server has seen it before and
// reuses the memoised selection, so the cost is paging, projecting and encoding.
func BenchmarkSpacecraftList(b *testing.B) {
	f := benchLarge()
	for _, q := range benchQueries {
		for _, mode := range benchModes {
			b.Run(q.name+"/"+mode.String(), func(b *testing.B) {
				srv := ll2server.New(f.store, ll2server.Options{})
				req := benchRequest(q, mode)
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				checkBenchAnswer(b, f, q, rec)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					rec := httptest.NewRecorder()
					srv.ServeHTTP(rec, req)
				}
				b.ReportMetric(float64(f.counts[q.name]), "matches")
			})
		}
	}
}

// BenchmarkSpacecraftListCold serves each query on a fresh server, so that every call
// filters, searches and orders all 100,000 spacecraft, as the first call of a query does.
func BenchmarkSpacecraftListCold(b *testing.B) {
	f := benchLarge()
	for _, q := range benchQueries {
		b.Run(q.name+"/normal", func(b *testing.B) {
			req := benchRequest(q, ll2.LevelNormal)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				srv := ll2server.New(f.store, ll2server.Options{})
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("HTTP %d", rec.Code)
				}
			}
			b.ReportMetric(float64(f.counts[q.name]), "matches")
		})
	}
}

// BenchmarkEncodeBaseline only encodes each query's ten results at the level asked,
// the projections made beforehand: the least any server must do for the same page.
func BenchmarkEncodeBaseline(b *testing.B) {
	f := benchLarge()
	for _, q := range benchQueries {
		for _, mode := range benchModes {
			b.Run(q.name+"/"+mode.String(), func(b *testing.B) {
				results := make([]any, len(f.results[q.name]))
				for i, s := range f.results[q.name] {
					if mode == ll2.LevelDetailed {
						results[i] = s.Detailed()
					} else {
						results[i] = s.Normal()
					}
				}
				page := ll2.Page[any]{Count: f.counts[q.name], Results: results}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					var buf bytes.Buffer
					enc := json.NewEncoder(&buf)
					enc.SetEscapeHTML(false)
					if err := enc.Encode(page); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
