package gateway_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"spacegraph/bench"
	"testing"
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
