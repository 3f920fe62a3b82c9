// Package observe is spacegraph's observability: Prometheus metrics on a registry of
// their own, one structured log line per HTTP request, and OpenTelemetry traces that
// are off unless an OTLP endpoint is configured.
//
// The package only offers hooks; the gateway decides where they go:
//
//   - Metrics collects everything the gateway counts. Its methods are the hooks
//     (UpstreamCall for ll2.Config.Observe, UpstreamEvent for economy.Options.Observe,
//     ResponseCache and CacheOutcome for the caches, LoaderBatch, BudgetFunc) and
//     its Handler serves /metrics. A nil *Metrics accepts every call and records
//     nothing, so that tests and tools can build a gateway without metrics.
//   - Middleware measures one route; LogRequests writes the request's log line.
//     They share a RequestInfo, which the GraphQL extension fills with the
//     operation's name and outcome and the upstream report.
//   - GraphQLExtension records each GraphQL operation (metrics, span, request info).
//   - SetupTracing starts tracing; TracingTransport and LoaderTracer add the spans of
//     upstream calls and loader batches under the operation's span.
//
// Every label the package sets is bounded: names that clients choose (operation names)
// or that come from URLs (endpoints) are checked against a charset and a length and
// counted, and past a bound they are reported as "other", so that no client can grow
// the number of series without limit.
package observe
