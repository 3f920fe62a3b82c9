package gateway

import (
	"io"
	"net/http"

	"spacegraph/loaders"
	"spacegraph/observe"
)

// routes mounts the endpoints of the contract: /graphql, the playground, /healthz and
// /readyz. Every request gets a bound on how long writing its answer may stall, a
// request id, panic recovery (an INTERNAL answer carrying the id) and compression; /graphql also gets CORS, the refusals on method
// and headers (overhttp.go), the body limit, the response cache, then the request
// deadline and the per-request loaders.
func (g *Gateway) routes(gql http.Handler) http.Handler {
	p := g.cfg.Protection.withDefaults()
	m := g.cfg.Metrics
	mux := http.NewServeMux()
	// The response cache sits outside the deadline: a hit is ready at once, and needs
	// neither the deadline's goroutine nor its buffer.
	graphql := g.responseCache(g.withDeadline(p, loaders.Middleware(g.Catalog, g.cfg.LoaderWait, m, gql)))
	mux.Handle("/graphql", m.Middleware("/graphql", withCORS(p, checkHTTP(limitBody(p, graphql)))))
	playground := playgroundHandler("/graphql")
	mux.Handle("GET /{$}", m.Middleware("/", playground))
	mux.Handle("GET "+playgroundAssetsPrefix, m.Middleware(playgroundAssetsPrefix, playground))
	mux.Handle("GET /healthz", m.Middleware("/healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})))
	mux.Handle("GET /readyz", m.Middleware("/readyz", http.HandlerFunc(g.readyz)))
	if m != nil && !g.cfg.MetricsPrivate {
		mux.Handle("GET /metrics", m.Middleware("/metrics", m.Handler()))
	}
	logged := observe.LogRequests(g.log, observe.LogOptions{
		RequestID: RequestID,
		Metrics:   m,
		Skip: func(r *http.Request) bool {
			return r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics"
		},
	}, withGzip(p, g.recoverPanics(p, mux)))
	return withWriteDeadline(p, withRequestID(logged))
}
