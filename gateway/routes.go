package gateway

import (
	"io"
	"net/http"

	"spacegraph/loaders"
)

// routes mounts the endpoints of the contract: /graphql (through the response cache
// and the per-request loaders), the playground, /healthz and /readyz.
func (g *Gateway) routes(gql http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/graphql", g.responseCache(loaders.Middleware(g.Catalog, g.cfg.LoaderWait, gql)))
	playground := playgroundHandler("/graphql")
	mux.Handle("GET /{$}", playground)
	mux.Handle("GET "+playgroundAssetsPrefix, playground)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", g.readyz)
	return withRequestID(mux)
}
