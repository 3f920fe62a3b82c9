package observe_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/graph-gophers/dataloader/v7"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"spacegraph/observe"
	"spacegraph/reqscope"
)

// keepSpans keeps the spans past shutdown, which the in-memory exporter would forget.
type keepSpans struct{ *tracetest.InMemoryExporter }

func (keepSpans) Shutdown(context.Context) error { return nil }

// startTracing turns tracing on into an in-memory exporter for one test; the returned
// function flushes and turns it off, and returns the spans.
func startTracing(t *testing.T, c observe.TracingConfig) func() tracetest.SpanStubs {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	c.Exporter = keepSpans{exp}
	shutdown, err := observe.SetupTracing(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	done := false
	stop := func() tracetest.SpanStubs {
		if !done {
			done = true
			if err := shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		return exp.GetSpans()
	}
	t.Cleanup(func() { stop() })
	return stop
}

func spanNamed(t *testing.T, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	t.Helper()
	var names []string
	for _, s := range spans {
		if s.Name == name {
			return s
		}
		names = append(names, s.Name)
	}
	t.Fatalf("no span %q among %q", name, names)
	return tracetest.SpanStub{}
}

func attr(s tracetest.SpanStub, key string) string {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value.String()
		}
	}
	return ""
}

// An operation's span is the parent of the loader batch its resolvers cause, and the
// batch's span the parent of the upstream call the batch makes.
func TestTracingSpans(t *testing.T) {
	stop := startTracing(t, observe.TracingConfig{})
	if !observe.TracingOn() {
		t.Fatal("tracing is off after SetupTracing with an exporter")
	}
	ll2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Traceparent") != "" {
			t.Error("a traceparent header went to LL2")
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":12}`)
	}))
	defer ll2.Close()
	client := &http.Client{Transport: observe.TracingTransport(nil)}

	m := observe.New(observe.Options{})
	loader := dataloader.NewBatchedLoader(func(ctx context.Context, keys []int) []*dataloader.Result[string] {
		out := make([]*dataloader.Result[string], len(keys))
		for i := range keys {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ll2.URL+"/2.3.0/spacecraft/12/", nil)
			resp, err := client.Do(req)
			if err != nil {
				out[i] = &dataloader.Result[string]{Error: err}
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			out[i] = &dataloader.Result[string]{Data: string(b)}
		}
		return out
	}, dataloader.WithWait[int, string](time.Millisecond), dataloader.WithTracer[int, string](observe.NewLoaderTracer[int, string]("spacecraft", m)))
	srv := graphQLServer(m, func(ctx context.Context) {
		if _, err := loader.Load(ctx, 12)(); err != nil {
			t.Error(err)
		}
	})
	var buf bytes.Buffer
	h := reqscope.Middleware(observe.LogRequests(slog.New(slog.NewJSONHandler(&buf, nil)), observe.LogOptions{}, srv))

	post(t, h, gql(`query Intro { __schema { queryType { name } } }`, ""))
	post(t, h, gql(`query Broken { nope }`, ""))
	spans := stop()

	op := spanNamed(t, spans, "query Intro")
	batch := spanNamed(t, spans, "dataloader.batch spacecraft")
	call := spanNamed(t, spans, "GET spacecraft/{id}/")
	if op.Parent.IsValid() {
		t.Errorf("the operation span has a parent: %v", op.Parent)
	}
	if batch.Parent.SpanID() != op.SpanContext.SpanID() || batch.SpanContext.TraceID() != op.SpanContext.TraceID() {
		t.Errorf("the batch span's parent is %v, want the operation %v", batch.Parent.SpanID(), op.SpanContext.SpanID())
	}
	if call.Parent.SpanID() != batch.SpanContext.SpanID() {
		t.Errorf("the call span's parent is %v, want the batch %v", call.Parent.SpanID(), batch.SpanContext.SpanID())
	}
	if op.SpanKind != trace.SpanKindServer || call.SpanKind != trace.SpanKindClient {
		t.Errorf("span kinds: operation %v, call %v", op.SpanKind, call.SpanKind)
	}
	for k, want := range map[string]string{"graphql.operation.name": "Intro", "graphql.operation.type": "query", "spacegraph.outcome": "ok"} {
		if got := attr(op, k); got != want {
			t.Errorf("operation %s = %q, want %q", k, got, want)
		}
	}
	if got := attr(batch, "dataloader.batch_size"); got != "1" {
		t.Errorf("batch size attribute %q", got)
	}
	if got := attr(call, "http.response.status_code"); got != "200" {
		t.Errorf("call status attribute %q", got)
	}
	if call.EndTime.Before(call.StartTime) || call.EndTime.IsZero() || op.EndTime.Before(batch.EndTime) {
		t.Errorf("span times: call %v–%v, batch ends %v, operation ends %v", call.StartTime, call.EndTime, batch.EndTime, op.EndTime)
	}

	// A request that does not validate has a span of its own, marked as failed.
	failed := spanNamed(t, spans, "GraphQL Operation")
	if failed.Status.Code != codes.Error || attr(failed, "graphql.error.code") != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("failed request span: status %v, code %q", failed.Status, attr(failed, "graphql.error.code"))
	}

	// The log line carries the trace id of the operation.
	line := logLines(t, &buf)[0]
	if line["trace_id"] != op.SpanContext.TraceID().String() {
		t.Errorf("log trace_id %v, want %v", line["trace_id"], op.SpanContext.TraceID())
	}
}

func TestTracingTransportErrors(t *testing.T) {
	stop := startTracing(t, observe.TracingConfig{})
	boom := errors.New("connection refused")
	failing := observe.TracingTransport(roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, boom }))
	req := httptest.NewRequest(http.MethodGet, "http://ll2.test/2.3.0/agencies/3/", nil)
	if _, err := failing.RoundTrip(req); !errors.Is(err, boom) {
		t.Fatalf("error %v went through as %v", boom, err)
	}
	notFound := observe.TracingTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 404, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
	}))
	resp, err := notFound.RoundTrip(httptest.NewRequest(http.MethodGet, "http://ll2.test/2.3.0/spacecraft/99/", nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	spans := stop()
	if s := spanNamed(t, spans, "GET agencies/{id}/"); s.Status.Code != codes.Error || len(s.Events) == 0 {
		t.Errorf("failed call span: status %v, %d events", s.Status, len(s.Events))
	}
	if s := spanNamed(t, spans, "GET spacecraft/{id}/"); s.Status.Code != codes.Error || attr(s, "http.response.status_code") != "404" {
		t.Errorf("404 span: status %v, code %q", s.Status, attr(s, "http.response.status_code"))
	}
}

// An LL2 call's span is named by its route, whatever its ids and query; it carries
// the attributes dashboards group by, ends when the body is read to its end, and no
// trace context (traceparent, baggage) goes to LL2, though the globals would send it.
func TestTracingTransportSpan(t *testing.T) {
	stop := startTracing(t, observe.TracingConfig{})
	var sent http.Header
	tr := observe.TracingTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = r.Header.Clone()
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"count":0}`)), Request: r}, nil
	}))
	member, _ := baggage.NewMember("user", "someone")
	bag, _ := baggage.New(member)
	ctx, parent := otel.Tracer("test").Start(baggage.ContextWithBaggage(context.Background(), bag), "parent")
	for _, u := range []string{
		"http://ll2.test/2.3.0/spacecraft/?limit=100&mode=detailed&search=dragon",
		"http://ll2.test/2.3.0/spacecraft/12/?mode=detailed",
	} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		// Read to the end and not closed: the span ends all the same.
		_, _ = io.Copy(io.Discard, resp.Body)
		for _, h := range []string{"Traceparent", "Tracestate", "Baggage"} {
			if v := sent.Get(h); v != "" {
				t.Errorf("%s went to LL2: %q", h, v)
			}
		}
	}
	parent.End()
	spans := stop()
	list := spanNamed(t, spans, "GET spacecraft/")
	one := spanNamed(t, spans, "GET spacecraft/{id}/")
	if list.Parent.SpanID() != parent.SpanContext().SpanID() || one.EndTime.IsZero() {
		t.Errorf("list call: parent %v, want %v; one call ends %v", list.Parent.SpanID(), parent.SpanContext().SpanID(), one.EndTime)
	}
	for k, want := range map[string]string{
		"http.request.method":       "GET",
		"server.address":            "ll2.test",
		"url.path":                  "/2.3.0/spacecraft/",
		"spacegraph.endpoint":       "spacecraft/",
		"http.response.status_code": "200",
	} {
		if got := attr(list, k); got != want {
			t.Errorf("list call %s = %q, want %q", k, got, want)
		}
	}
}

// Incoming trace context is followed only when trusted.
func TestTracingIncomingParent(t *testing.T) {
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, trust := range []bool{false, true} {
		stop := startTracing(t, observe.TracingConfig{TrustIncoming: trust})
		post(t, graphQLServer(nil), gql(`query Intro { __typename }`, ""), "Traceparent", parent)
		op := spanNamed(t, stop(), "query Intro")
		joined := op.SpanContext.TraceID().String() == "4bf92f3577b34da6a3ce929d0e0e4736"
		if joined != trust {
			t.Errorf("trust %v: the operation's trace is %v", trust, op.SpanContext.TraceID())
		}
		if trust && (!op.Parent.IsRemote() || op.Parent.SpanID().String() != "00f067aa0ba902b7") {
			t.Errorf("trusted parent: %v", op.Parent)
		}
	}
}

// With nothing configured, tracing stays off and the hooks pass everything through.
func TestTracingOff(t *testing.T) {
	noEnv := func(string) string { return "" }
	shutdown, err := observe.SetupTracing(context.Background(), observe.TracingConfig{Getenv: noEnv})
	if err != nil || observe.TracingOn() {
		t.Fatalf("tracing on (%v) without configuration, err %v", observe.TracingOn(), err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	body := io.NopCloser(strings.NewReader("{}"))
	tr := observe.TracingTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if trace.SpanContextFromContext(r.Context()).IsValid() {
			t.Error("a span with tracing off")
		}
		return &http.Response{StatusCode: 200, Body: body, Request: r}, nil
	}))
	resp, err := tr.RoundTrip(httptest.NewRequest(http.MethodGet, "http://ll2.test/2.3.0/spacecraft/", nil))
	if err != nil || resp.Body != body {
		t.Errorf("with tracing off the transport changed the response (err %v)", err)
	}
	ctx := context.Background()
	if got, _ := observe.NewLoaderTracer[int, int]("x", nil).TraceBatch(ctx, []int{1}); got != ctx {
		t.Error("with tracing off the loader tracer changed the context")
	}

	// OTEL_SDK_DISABLED wins over an endpoint.
	disabled := func(k string) string {
		if k == "OTEL_SDK_DISABLED" {
			return "true"
		}
		return ""
	}
	if _, err := observe.SetupTracing(ctx, observe.TracingConfig{Endpoint: "http://127.0.0.1:4318", Getenv: disabled}); err != nil || observe.TracingOn() {
		t.Errorf("OTEL_SDK_DISABLED: on %v, err %v", observe.TracingOn(), err)
	}
}

// An endpoint, given or from the environment, turns on the OTLP exporter.
func TestTracingOTLPConfig(t *testing.T) {
	ctx := context.Background()
	if _, err := observe.SetupTracing(ctx, observe.TracingConfig{Endpoint: "collector:4318", Getenv: func(string) string { return "" }}); err == nil {
		t.Error("an endpoint without a scheme was accepted")
	}
	if observe.TracingOn() {
		t.Fatal("tracing on after a bad endpoint")
	}
	for _, c := range []observe.TracingConfig{
		{Endpoint: "http://127.0.0.1:1", SampleRatio: 0.5, Getenv: func(string) string { return "" }},
		{Getenv: func(k string) string {
			if k == "OTEL_EXPORTER_OTLP_ENDPOINT" {
				return "http://127.0.0.1:1"
			}
			return ""
		}},
	} {
		shutdown, err := observe.SetupTracing(ctx, c)
		if err != nil || !observe.TracingOn() {
			t.Fatalf("%+v: on %v, err %v", c, observe.TracingOn(), err)
		}
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := shutdown(sctx); err != nil {
			t.Errorf("shutdown with nothing to send: %v", err)
		}
		cancel()
		if observe.TracingOn() {
			t.Error("tracing still on after shutdown")
		}
	}
}

// The OTLP exporter posts to the endpoint's traces path, and its failures reach the
// configured logger.
func TestTracingOTLPExport(t *testing.T) {
	var paths []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer collector.Close()
	var buf bytes.Buffer
	shutdown, err := observe.SetupTracing(context.Background(), observe.TracingConfig{
		Endpoint: collector.URL,
		Logger:   slog.New(slog.NewJSONHandler(&buf, nil)),
		Getenv:   func(string) string { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	tr := observe.TracingTransport(ll2Answer(nil))
	resp, err := tr.RoundTrip(httptest.NewRequest(http.MethodGet, "http://ll2.test/2.3.0/spacecraft/", nil))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = shutdown(ctx)
	if len(paths) == 0 || paths[0] != "/v1/traces" {
		t.Errorf("the collector was called at %q, want /v1/traces", paths)
	}
	if !strings.Contains(buf.String(), "tracing failed") {
		t.Errorf("the refused export was not logged: %q", buf.String())
	}
}

var _ sdktrace.SpanExporter = keepSpans{}

// BenchmarkTracingTransport measures what the tracing transport adds to each LL2
// call, off (the default) and on (spans made and dropped by a no-op exporter).
func BenchmarkTracingTransport(b *testing.B) {
	body := []byte(`{"count":0,"results":[]}`)
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
	})
	run := func(b *testing.B) {
		tr := observe.TracingTransport(base)
		req := httptest.NewRequest(http.MethodGet, "http://ll2.test/2.3.0/spacecraft/12/?mode=detailed", nil)
		b.ReportAllocs()
		for b.Loop() {
			resp, err := tr.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	b.Run("off", run)
	b.Run("on", func(b *testing.B) {
		shutdown, err := observe.SetupTracing(context.Background(), observe.TracingConfig{Exporter: tracetest.NewNoopExporter()})
		if err != nil {
			b.Fatal(err)
		}
		defer shutdown(context.Background())
		run(b)
	})
}
