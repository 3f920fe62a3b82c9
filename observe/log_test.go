package observe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"spacegraph/economy"
	"spacegraph/observe"
	"spacegraph/reqscope"
)

// logLines decodes the JSON lines a test logged.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	buf.Reset()
	return out
}

func TestLogLine(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	m := observe.New(observe.Options{})
	// The resolvers' stand-in asks LL2 for a spacecraft through the answer cache, as
	// the catalog would: the first request spends a call, the second hits the cache.
	tr := economy.NewTransport(economy.Options{Base: ll2Answer(nil), Observe: m.UpstreamEvent})
	srv := graphQLServer(m, func(ctx context.Context) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://ll2.test/2.3.0/spacecraft/12/", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	})
	// The request's record, with its id and report, comes from the outermost layer, as
	// in the gateway.
	h := reqscope.Middleware(observe.LogRequests(log, observe.LogOptions{}, m.Instrument(reqscope.Route("/graphql", srv))))

	query := gql(`query Intro { __schema { queryType { name } } }`, "")
	post(t, h, query, "X-Request-Id", "req-1")
	post(t, h, query, "X-Request-Id", "req-1")
	lines := logLines(t, &buf)
	if len(lines) != 2 {
		t.Fatalf("%d log lines for 2 requests", len(lines))
	}
	want := map[string]any{
		"level": "INFO", "msg": "request", "request_id": "req-1", "method": "POST", "route": "/graphql",
		"path": "/graphql", "status": 200.0, "operation": "Intro", "outcome": "ok", "code": "",
		"upstream_calls": 1.0, "cache_hits": 0.0, "stale": 0.0, "cache": "miss",
	}
	for k, v := range want {
		if lines[0][k] != v {
			t.Errorf("first line: %s = %#v, want %#v\n%v", k, lines[0][k], v, lines[0])
		}
	}
	for _, k := range []string{"duration_ms", "bytes", "time"} {
		if _, ok := lines[0][k]; !ok {
			t.Errorf("no %s in %v", k, lines[0])
		}
	}
	if d, _ := lines[0]["duration_ms"].(float64); d <= 0 {
		t.Errorf("duration_ms = %v", lines[0]["duration_ms"])
	}
	if n, _ := lines[0]["bytes"].(float64); n <= 0 {
		t.Errorf("bytes = %v", lines[0]["bytes"])
	}
	if lines[1]["upstream_calls"] != 0.0 || lines[1]["cache_hits"] != 1.0 || lines[1]["cache"] != "hit" {
		t.Errorf("second line: calls %v, hits %v, cache %v; want 0, 1, hit", lines[1]["upstream_calls"], lines[1]["cache_hits"], lines[1]["cache"])
	}
	if _, ok := lines[0]["trace_id"]; ok {
		t.Error("a trace id without tracing")
	}

	// A request error: its code is in the line.
	post(t, h, gql(`query Intro { nope }`, ""))
	line := logLines(t, &buf)[0]
	if line["outcome"] != "error" || line["code"] != "GRAPHQL_VALIDATION_FAILED" || line["operation"] != "Intro" {
		t.Errorf("request error line: %v", line)
	}
}

func TestLogLineResponseCacheAndErrors(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	m := observe.New(observe.Options{})
	mux := http.NewServeMux()
	mux.Handle("/graphql", reqscope.Route("/graphql", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The response cache answers without GraphQL running.
		m.CacheOutcome(observe.LayerResponse, observe.OutcomeHit)
		reqscope.From(r.Context()).SetResponseCache(observe.OutcomeHit)
		_, _ = w.Write([]byte(`{"data":{}}`))
	})))
	mux.Handle("/fail", reqscope.Route("/fail", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})))
	mux.Handle("/healthz", reqscope.Route("/healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})))
	h := reqscope.Middleware(observe.LogRequests(log, observe.LogOptions{
		Skip: func(r *http.Request) bool { return r.URL.Path == "/healthz" },
	}, m.Instrument(mux)))

	for _, p := range []string{"/graphql", "/fail", "/nowhere", "/healthz"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	lines := logLines(t, &buf)
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3 (healthz is skipped): %v", len(lines), lines)
	}
	if l := lines[0]; l["cache"] != "response-hit" || l["route"] != "/graphql" || l["operation"] != "" {
		t.Errorf("response cache hit: %v", l)
	}
	if l := lines[1]; l["level"] != "ERROR" || l["status"] != 503.0 || l["route"] != "/fail" {
		t.Errorf("server error: %v", l)
	}
	if l := lines[2]; l["status"] != 404.0 || l["route"] != "" || l["cache"] != "none" {
		t.Errorf("no route: %v", l)
	}
	f := scrape(t, m)
	if v := value(t, f, "spacegraph_cache_outcomes_total", map[string]string{"layer": "response", "outcome": "hit"}); v != 1 {
		t.Errorf("response hits = %v", v)
	}
	// The request no route served is counted as unmatched, and only it.
	if v := value(t, f, "spacegraph_http_requests_total", map[string]string{"route": "unmatched", "method": "get", "code": "404"}); v != 1 {
		t.Errorf("unmatched requests = %v", v)
	}
	if got := labelValues(f, "spacegraph_http_requests_total", "route"); strings.Join(got, ",") != "/fail,/graphql,/healthz,unmatched" {
		t.Errorf("routes counted: %q", got)
	}
}

// A panic is logged as a 500 on its way to the recovery middleware above.
func TestLogLinePanic(t *testing.T) {
	var buf bytes.Buffer
	h := observe.LogRequests(slog.New(slog.NewJSONHandler(&buf, nil)), observe.LogOptions{}, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))
	func() {
		defer func() { _ = recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	}()
	if l := logLines(t, &buf); len(l) != 1 || l[0]["status"] != 500.0 || l[0]["request_id"] != "" {
		t.Errorf("panic line: %v", l)
	}
}
