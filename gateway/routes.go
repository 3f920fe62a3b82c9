package gateway

import (
	"io"
	"net/http"

	"spacegraph/graphqlhttp"
	"spacegraph/loaders"
	"spacegraph/observe"
	"spacegraph/reqscope"
	"spacegraph/respcache"
)

// routes mounts the endpoints of the contract: /graphql, the playground, /healthz and
// /readyz. Every request gets a bound on how long writing its answer may stall, a
// request id, panic recovery (an INTERNAL answer carrying the id) and compression; /graphql also gets CORS, the refusals on method
// and headers (graphqlhttp.Precheck), the body limit, the response cache, then the request
// deadline and the per-request loaders.
func (g *Gateway) routes(gql http.Handler) http.Handler {
	p := g.cfg.Protection.withDefaults()
	m := g.cfg.Metrics
	mux := http.NewServeMux()
	// The response cache sits outside the deadline: a hit is ready at once, and going
	// through the deadline's goroutine and buffer cost it a sixth of its CPU.
	cache := respcache.Options{
		Store: g.Responses, Shared: g.redis != nil, Fingerprint: g.responseFingerprint(),
		Normalize: p.TrustedDocuments == nil, MaxBytes: g.cfg.ResponseCacheMaxBytes,
		Now: g.now, Logger: g.log, Metrics: m,
	}
	graphql := respcache.New(cache, g.withDeadline(p, loaders.Middleware(g.Catalog, g.cfg.LoaderWait, m, gql)))
	mux.Handle("/graphql", m.Middleware("/graphql", withCORS(p, graphqlhttp.Precheck(limitBody(p, graphql)))))
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
	return mux
}

// handler is the gateway's whole handler: what every request goes through on its way
// to the routes.
func (g *Gateway) handler(routes http.Handler) http.Handler {
	p := g.cfg.Protection.withDefaults()
	m := g.cfg.Metrics
	logged := observe.LogRequests(g.log, observe.LogOptions{
		Metrics: m,
		Skip: func(r *http.Request) bool {
			return r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics"
		},
	}, withGzip(p, g.recoverPanics(p, routes)))
	return reqscope.Middleware(withWriteDeadline(p, logged))
}
