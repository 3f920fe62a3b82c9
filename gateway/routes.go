package gateway

import (
	"io"
	"net/http"

	"spacegraph/loaders"
)

// routes mounts the endpoints of the contract: /graphql, the playground, /healthz and
// /readyz. Every request gets a request id, panic recovery (an INTERNAL answer
// carrying the id) and compression; /graphql also gets CORS, the refusals on method
// and headers (overhttp.go), the body limit and the request deadline, then the
// response cache and the per-request loaders.
func (g *Gateway) routes(gql http.Handler) http.Handler {
	p := g.cfg.Protection.withDefaults()
	mux := http.NewServeMux()
	graphql := g.responseCache(loaders.Middleware(g.Catalog, g.cfg.LoaderWait, gql))
	mux.Handle("/graphql", withCORS(p, keepVary(checkHTTP(limitBody(p, g.withDeadline(p, graphql))))))
	playground := playgroundHandler("/graphql")
	mux.Handle("GET /{$}", playground)
	mux.Handle("GET "+playgroundAssetsPrefix, playground)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", g.readyz)
	return withRequestID(withGzip(p, g.recoverPanics(p, mux)))
}
