package gateway_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"spacegraph/bench"
	"spacegraph/gateway"
	"spacegraph/snapshot"
)

// BenchmarkNested100 measures the reference query through the whole handler (parse
// cache, executor, resolvers, loaders, catalog, LL2 client, built-in LL2 server
// in-process), beside a ceiling that only writes the same response bytes. Report the
// ratio of the two, measured in the same run.
func BenchmarkNested100(b *testing.B) {
	h := newLL2Scale(b)
	body, _ := json.Marshal(map[string]string{"query": bench.NestedQuery})
	serve := func(handler http.Handler) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		return rec
	}
	first := serve(h.g.Handler)
	if first.Code != http.StatusOK || bytes.Contains(first.Body.Bytes(), []byte(`"errors"`)) {
		b.Fatalf("the reference query failed: %d %s", first.Code, first.Body.Bytes())
	}
	want := first.Body.Bytes()
	b.Run("gateway", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			serve(h.g.Handler)
		}
	})
	b.Run("ceiling", func(b *testing.B) {
		b.ReportAllocs()
		ceiling := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(want)
		})
		for b.Loop() {
			serve(ceiling)
		}
	})
}

// manyBadItems is the document of a costly refusal: a 200 KB comment, then a list of
// 1,500 items of the wrong type, each a validation error.
func manyBadItems() string {
	return "# " + strings.Repeat("x", 200<<10) + "\n{ allAgencies(filter: {countryCode: [" +
		strings.Repeat("1 ", 1500) + "]}) { totalCount } }"
}

// BenchmarkRefuseManyValidationErrors measures the CPU a document with 1,500
// validation errors behind a 200 KB comment costs to refuse, through the whole
// handler: with the defaults (the document limit refuses it unread) and with no
// document limit (parsed, validated, its errors capped and named from one parse).
func BenchmarkRefuseManyValidationErrors(b *testing.B) {
	body, _ := json.Marshal(map[string]string{"query": manyBadItems()})
	for _, c := range []struct {
		name string
		prot gateway.Protection
		code string
	}{
		{"defaults", gateway.Protection{}, "QUERY_TOO_COMPLEX"},
		{"no document limit", gateway.Protection{MaxDocumentBytes: -1}, "BAD_USER_INPUT"},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := newHarness(b, gateway.Config{Protection: c.prot})
			serve := func() *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.g.Handler.ServeHTTP(rec, req)
				return rec
			}
			if rec := serve(); !bytes.Contains(rec.Body.Bytes(), []byte(c.code)) {
				b.Fatalf("the document was not refused with %s: %d %.300s", c.code, rec.Code, rec.Body.Bytes())
			}
			b.ReportAllocs()
			for b.Loop() {
				serve()
			}
		})
	}
}

// BenchmarkExecutors measures reference queries warm, with the response cache off,
// through the whole handler on gqlgen's executor and on the fast one, beside the
// ceiling that only writes the answer: compare the three of one run. The nested query
// has resolvers below its list (the configuration, its agency and families), the flat
// one has none.
func BenchmarkExecutors(b *testing.B) {
	d := llScale()
	for _, q := range []struct{ name, query string }{
		{"nested", bench.NestedQuery},
		{"flat", bench.CallTable()[0].Query},
	} {
		b.Run(q.name, func(b *testing.B) { benchmarkExecutors(b, &d, q.query) })
	}
}

func benchmarkExecutors(b *testing.B, d *snapshot.Data, query string) {
	body, _ := json.Marshal(map[string]string{"query": query})
	serve := func(handler http.Handler) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		return rec
	}
	var want []byte
	for _, tc := range []struct {
		name   string
		gqlgen bool
	}{{"gqlgen", true}, {"fast", false}} {
		h := newHarness(b, gateway.Config{Snapshot: d, ResponseCacheOff: true, GQLGenExecutor: tc.gqlgen})
		first := serve(h.g.Handler)
		if first.Code != http.StatusOK || bytes.Contains(first.Body.Bytes(), []byte(`"errors"`)) {
			b.Fatalf("the query failed: %d %s", first.Code, first.Body.Bytes())
		}
		if want != nil && !bytes.Equal(want, first.Body.Bytes()) {
			b.Fatalf("the executors answer differently")
		}
		want = first.Body.Bytes()
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			start := processCPU()
			for b.Loop() {
				serve(h.g.Handler)
			}
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		})
	}
	b.Run("ceiling", func(b *testing.B) {
		b.ReportAllocs()
		ceiling := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(want)
		})
		start := processCPU()
		for b.Loop() {
			serve(ceiling)
		}
		b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
	})
}

// processCPU is the CPU time the process has used (user and system, every thread):
// per request, it is the figure the goal is stated in, and unlike ns/op it does
// not count the time the benchmark waits for cores that other processes hold.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
