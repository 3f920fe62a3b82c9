package gateway

import (
	"net/http"

	"spacegraph/graphqlhttp"
	"spacegraph/loaders"
	"spacegraph/observe"
	"spacegraph/protect"
	"spacegraph/reqscope"
	"spacegraph/respcache"
)

// handler is the path every request takes to the routes, outermost first: the
// request's record (reqscope: its id and its report), the bound on how long writing
// its answer may stall, its log line, its metrics, compression, and panic recovery
// (an INTERNAL answer carrying the id). The metrics sit outside the recovery, so
// that they count the 500 it answers for a panic, as the client gets it.
func (g *Gateway) handler(routes http.Handler) http.Handler {
	p := g.cfg.Protection
	stall := p.RequestTimeout
	if stall <= 0 {
		stall = DefaultRequestTimeout
	}
	h := protect.Recover(g.log, routes)
	if !p.GzipOff {
		h = protect.Gzip(h)
	}
	h = g.cfg.Metrics.Instrument(h)
	h = observe.LogRequests(g.log, observe.LogOptions{
		Skip: func(r *http.Request) bool {
			return r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics"
		},
	}, h)
	return reqscope.Middleware(protect.WriteDeadline(stall, h))
}

// routes mounts the endpoints of the contract: /graphql, the playground, /healthz,
// /readyz and, unless it is served apart, /metrics. /graphql's path, outermost first:
// CORS, the refusals on method and headers (graphqlhttp.Precheck), the body limit, the
// response cache, the request deadline, the per-request loaders, then the GraphQL
// server gql.
func (g *Gateway) routes(gql http.Handler) http.Handler {
	p := g.cfg.Protection
	m := g.cfg.Metrics
	mux := http.NewServeMux()
	cache := respcache.Options{
		Store: g.Responses, Shared: g.redis != nil, Fingerprint: g.responseFingerprint(),
		Normalize: p.TrustedDocuments == nil, MaxBytes: g.cfg.ResponseCacheMaxBytes,
		Now: g.now, Logger: g.log, Metrics: m,
	}
	// The response cache sits outside the deadline: a hit is ready at once, and needs
	// neither the deadline's goroutine nor its buffer.
	graphql := respcache.New(cache, protect.Deadline(p.RequestTimeout, g.log, loaders.Middleware(g.Catalog, g.cfg.LoaderWait, m, gql)))
	graphql = graphqlhttp.Precheck(protect.BodyLimit(p.MaxBodyBytes, graphql))
	mux.Handle("/graphql", reqscope.Route("/graphql", protect.CORS(p.CORSOrigins, p.CORSMaxAge, graphql)))
	playground := playgroundHandler("/graphql")
	mux.Handle("GET /{$}", reqscope.Route("/", playground))
	mux.Handle("GET "+playgroundAssetsPrefix, reqscope.Route(playgroundAssetsPrefix, playground))
	mux.Handle("GET /healthz", reqscope.Route("/healthz", http.HandlerFunc(healthz)))
	mux.Handle("GET /readyz", reqscope.Route("/readyz", http.HandlerFunc(g.readyz)))
	if m != nil && !g.cfg.MetricsPrivate {
		mux.Handle("GET /metrics", reqscope.Route("/metrics", m.Handler()))
	}
	return mux
}
