package observe

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/graph-gophers/dataloader/v7"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the spans this package makes.
const ScopeName = "spacegraph/observe"

// TracingConfig configures SetupTracing. Tracing is off unless an exporter or an
// endpoint is given, here or in the environment.
type TracingConfig struct {
	// Endpoint is the OTLP/HTTP collector's base URL, such as "http://localhost:4318";
	// the traces path /v1/traces is added when the URL has no path, as for
	// OTEL_EXPORTER_OTLP_ENDPOINT. Empty: the OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
	// OTEL_EXPORTER_OTLP_ENDPOINT environment variable; with neither, tracing is off.
	Endpoint string
	// Exporter, when set, receives the spans instead of an OTLP exporter (tests, or
	// another exporter the caller builds).
	Exporter sdktrace.SpanExporter
	// ServiceName and ServiceVersion describe the process (default "spacegraph");
	// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override them.
	ServiceName    string
	ServiceVersion string
	// SampleRatio is the share of operations traced, in (0, 1]; 0 keeps the SDK's
	// default, which reads OTEL_TRACES_SAMPLER and else traces everything.
	SampleRatio float64
	// TrustIncoming continues the trace of an incoming traceparent header. Off by
	// default: on a public gateway any client could otherwise decide what is traced
	// (a sampled parent is always sampled) and attach our spans to its own traces.
	TrustIncoming bool
	// Logger, when set, receives OpenTelemetry's own errors (a collector that cannot
	// be reached, spans dropped), which otherwise go to the standard log package.
	Logger *slog.Logger
	// Getenv reads the environment (nil: os.Getenv); tests replace it.
	Getenv func(string) string
}

// tracingState is the active tracing. It is one atomic pointer, nil when tracing is
// off, so that every hook costs a single load when nobody traces.
type tracingState struct {
	tracer        trace.Tracer
	provider      trace.TracerProvider
	trustIncoming bool
	propagator    propagation.TextMapPropagator
}

var active atomic.Pointer[tracingState]

// tracer returns the active tracing, or nil.
func tracer() *tracingState { return active.Load() }

// TracingOn reports whether SetupTracing enabled tracing and its shutdown has not run.
func TracingOn() bool { return active.Load() != nil }

// SetupTracing starts tracing when c (or the environment) names where spans go, and
// installs the tracer provider and the W3C propagators as OpenTelemetry's globals,
// so that other instrumentation joins the same traces. With nothing configured it
// changes nothing and returns a shutdown that does nothing: every hook of the package
// then stays a no-op. shutdown flushes the spans not yet sent and stops tracing; call
// it once, before the process exits, with a context that bounds the flush.
func SetupTracing(ctx context.Context, c TracingConfig) (shutdown func(context.Context) error, err error) {
	nothing := func(context.Context) error { return nil }
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return nothing, nil
	}
	exp := c.Exporter
	if exp == nil {
		var opts []otlptracehttp.Option
		switch {
		case c.Endpoint != "":
			u, err := otlpURL(c.Endpoint)
			if err != nil {
				return nothing, err
			}
			opts = append(opts, otlptracehttp.WithEndpointURL(u))
		case getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "":
			// The exporter reads these itself, with the headers, timeout and
			// compression variables that go with them.
		default:
			return nothing, nil
		}
		exp, err = otlptracehttp.New(ctx, opts...)
		if err != nil {
			return nothing, fmt.Errorf("observe: OTLP exporter: %w", err)
		}
	}
	name := c.ServiceName
	if name == "" {
		name = "spacegraph"
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", name)}
	if c.ServiceVersion != "" {
		attrs = append(attrs, attribute.String("service.version", c.ServiceVersion))
	}
	// Later detectors win: the environment overrides the configuration.
	res, err := resource.New(ctx, resource.WithAttributes(attrs...), resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil && res == nil {
		return nothing, fmt.Errorf("observe: resource: %w", err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(exp), sdktrace.WithResource(res)}
	if r := c.SampleRatio; r > 0 {
		opts = append(opts, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(min(r, 1)))))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(prop)
	if log := c.Logger; log != nil {
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			log.Warn("tracing failed", "err", err)
		}))
	}
	st := &tracingState{tracer: tp.Tracer(ScopeName), provider: tp, trustIncoming: c.TrustIncoming, propagator: prop}
	active.Store(st)
	var once sync.Once
	return func(ctx context.Context) error {
		var err error
		once.Do(func() {
			active.CompareAndSwap(st, nil)
			err = tp.Shutdown(ctx)
		})
		return err
	}, nil
}

// otlpURL checks an endpoint URL and adds the traces path to a bare base URL, which is
// how OTEL_EXPORTER_OTLP_ENDPOINT is read, so that both ways of configuring mean the
// same.
func otlpURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("observe: OTLP endpoint %q: want http(s)://host:port[/path]", s)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

// TracingTransport returns a RoundTripper that makes a client span of each request it
// carries with otelhttp, named by the method and LL2 endpoint ("GET spacecraft/{id}/",
// never the ids or the query) and ended when the body is read to its end or closed,
// so that the span covers the download. Besides otelhttp's attributes it records
// url.path, the endpoint (spacegraph.endpoint) and an exception event for a call that
// failed. Below the answer cache (economy.Options.Base) it traces the calls that reach
// LL2 and spend the budget. It adds no trace headers: LL2 is someone else's API and
// does not take part in our traces. With tracing off it only calls base (nil:
// http.DefaultTransport), so that an untraced call costs one atomic load.
func TracingTransport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &tracingTransport{base: base}
}

type tracingTransport struct {
	base http.RoundTripper
	// traced is otelhttp's transport for the tracing in force, made on its first
	// call: tracing may start after the transport is made, and start again with
	// another tracer provider (tests).
	traced atomic.Pointer[tracedTransport]
}

type tracedTransport struct {
	st *tracingState
	rt http.RoundTripper
}

// noPropagation injects nothing, so that no traceparent or baggage header reaches LL2.
var noPropagation = propagation.NewCompositeTextMapPropagator()

// RoundTrip carries req inside a client span when tracing is on.
func (t *tracingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ts := tracer()
	if ts == nil {
		return t.base.RoundTrip(req)
	}
	tt := t.traced.Load()
	if tt == nil || tt.st != ts {
		tt = &tracedTransport{st: ts, rt: otelhttp.NewTransport(spanDetails{t.base},
			otelhttp.WithTracerProvider(ts.provider),
			otelhttp.WithPropagators(noPropagation),
			// The LL2 calls are counted in Prometheus (Metrics.UpstreamCall); OpenTelemetry
			// carries traces only.
			otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
				return r.Method + " " + Endpoint(r.URL.Path)
			}),
		)}
		t.traced.Store(tt)
	}
	return tt.rt.RoundTrip(req)
}

// spanDetails runs inside otelhttp's span and adds what otelhttp does not record: the
// path and endpoint (its url.full holds the query, too fine to group by) and the
// error as an event, with its message, beside otelhttp's error.type.
type spanDetails struct{ base http.RoundTripper }

func (d spanDetails) RoundTrip(req *http.Request) (*http.Response, error) {
	span := trace.SpanFromContext(req.Context())
	span.SetAttributes(
		attribute.String("url.path", req.URL.Path),
		attribute.String("spacegraph.endpoint", Endpoint(req.URL.Path)),
	)
	resp, err := d.base.RoundTrip(req)
	if err != nil {
		span.RecordError(err)
	}
	return resp, err
}

// LoaderTracer is a dataloader.Tracer (for dataloader.WithTracer) that records each
// batch of a loader: its size in Metrics (m may be nil) and, with tracing on, a span
// "dataloader.batch LOADER" under the operation's span, around the batch function, so
// that the upstream calls a batch makes appear below it. Loads are not traced one by
// one: a span per key would drown the trace of a nested query.
//
// The library hands the batch's finish function the results slice as it was before
// the batch ran (always empty), so a batch span cannot tell failed keys; the spans of
// the calls below it do.
type LoaderTracer[K comparable, V any] struct {
	dataloader.NoopTracer[K, V]
	loader string
	m      *Metrics
}

// NewLoaderTracer returns the tracer of the loader named loader.
func NewLoaderTracer[K comparable, V any](loader string, m *Metrics) *LoaderTracer[K, V] {
	return &LoaderTracer[K, V]{loader: loader, m: m}
}

// TraceBatch records a batch of keys and returns the context the batch function runs
// in.
func (t *LoaderTracer[K, V]) TraceBatch(ctx context.Context, keys []K) (context.Context, dataloader.TraceBatchFinishFunc[V]) {
	t.m.LoaderBatch(t.loader, len(keys))
	ts := tracer()
	if ts == nil {
		return ctx, func([]*dataloader.Result[V]) {}
	}
	ctx, span := ts.tracer.Start(ctx, "dataloader.batch "+t.loader,
		trace.WithAttributes(
			attribute.String("dataloader.name", t.loader),
			attribute.Int("dataloader.batch_size", len(keys)),
		))
	return ctx, func([]*dataloader.Result[V]) { span.End() }
}
