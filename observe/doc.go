// Package observe is spacegraph's observability: Prometheus metrics on a registry of
// their own, one structured log line per HTTP request, and OpenTelemetry traces that
// are off unless an OTLP endpoint is configured.
//
// The package only offers hooks; the gateway decides where they go:
//
//   - Metrics collects everything the gateway counts. Its methods are the hooks
//     (UpstreamCall for ll2.Config.Observe, UpstreamEvent for economy.Options.Observe,
//     CacheOutcome for the caches, LoaderBatch, BudgetFunc) and
//     its Handler serves /metrics. A nil *Metrics accepts every call and records
//     nothing, so that tests and tools can build a gateway without metrics.
//   - Instrument measures the HTTP requests (promhttp's instrumentation, by the route
//     the request's record names); LogRequests writes the request's log line from
//     that record (reqscope), in which reqscope.Route names the route and the
//     GraphQL extension the operation and its outcome.
//   - GraphQLExtension records each GraphQL operation (metrics, span, record).
//   - SetupTracing starts tracing; TracingTransport and LoaderTracer add the spans of
//     upstream calls and loader batches under the operation's span.
//
// Every label the package sets is bounded: names that clients choose (operation names)
// or that come from URLs (endpoints) are checked against a charset and a length and
// counted, and past a bound they are reported as "other", so that no client can grow
// the number of series without limit.
package observe
