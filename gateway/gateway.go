// Package gateway assembles spacegraph: the LL2 upstream (the built-in server over a
// snapshot, or the live API), the catalog, the GraphQL executor and the HTTP routes.
// server.go's Main drives it; tests and benchmarks build it directly.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"spacegraph/catalog"
	"spacegraph/graph"
	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/loaders"
	"spacegraph/snapshot"
)

// UpstreamEmbedded selects the built-in LL2 server as the upstream.
const UpstreamEmbedded = "embedded"

// Config configures a Gateway. The zero value serves the embedded snapshot.
type Config struct {
	// Upstream is UpstreamEmbedded (or "") or an LL2 base URL such as ll2.ProductionURL.
	Upstream string
	// Token is an LL2 API key.
	Token string
	// SnapshotDir, with the embedded upstream, serves that snapshot directory instead
	// of the one built into the binary.
	SnapshotDir string
	// Snapshot, when set, is served by the embedded upstream (tests and benchmarks).
	Snapshot *ll2server.Data
	// LL2 tunes the embedded upstream (latency, throttle, faults).
	LL2 ll2server.Options
	// UpstreamTimeout bounds each LL2 call (0: ll2.DefaultTimeout).
	UpstreamTimeout time.Duration
	// LoaderWait is the dataloaders' batching window (0: loaders.DefaultWait).
	LoaderWait time.Duration
	// QueryCacheSize is how many parsed and validated documents are kept (0: 1000).
	QueryCacheSize int
	// Logger receives the gateway's logs (nil: discarded).
	Logger *slog.Logger
}

// Gateway is an assembled spacegraph.
type Gateway struct {
	// Handler serves every route.
	Handler http.Handler
	// Catalog is the gateway's access to LL2.
	Catalog *catalog.Catalog
	// Client is the LL2 client the catalog uses.
	Client *ll2.Client
	// LL2 is the built-in upstream, nil when the gateway talks to a live API.
	LL2 *ll2server.Server
	// Snapshot describes the snapshot the built-in upstream serves.
	Snapshot snapshot.Meta
	// Upstream is the base URL of the upstream.
	Upstream string
}

// New assembles a gateway.
func New(cfg Config) (*Gateway, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	g := &Gateway{}
	ccfg := ll2.Config{Token: cfg.Token, Timeout: cfg.UpstreamTimeout}
	switch up := strings.TrimSpace(cfg.Upstream); up {
	case "", UpstreamEmbedded:
		data, meta, err := embeddedData(cfg)
		if err != nil {
			return nil, err
		}
		g.Snapshot = meta
		g.LL2 = ll2server.New(ll2server.NewStore(data), cfg.LL2)
		ccfg.BaseURL = ll2server.EmbeddedBaseURL
		ccfg.Transport = ll2server.Transport(g.LL2)
	default:
		if cfg.SnapshotDir != "" {
			return nil, errors.New("gateway: a snapshot directory is served by the embedded upstream only")
		}
		ccfg.BaseURL = up
	}
	client, err := ll2.New(ccfg)
	if err != nil {
		return nil, err
	}
	g.Client = client
	g.Upstream = client.BaseURL()
	g.Catalog = catalog.New(catalog.Options{Client: client})

	size := cfg.QueryCacheSize
	if size <= 0 {
		size = 1000
	}
	srv := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{Catalog: g.Catalog}}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](size))
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](size)})
	srv.SetErrorPresenter(graph.ErrorPresenter(log, RequestID))
	srv.SetRecoverFunc(graph.Recover(log, RequestID))

	mux := http.NewServeMux()
	mux.Handle("/graphql", loaders.Middleware(g.Catalog, cfg.LoaderWait, srv))
	playground := playgroundHandler("/graphql")
	mux.Handle("GET /{$}", playground)
	mux.Handle("GET "+playgroundAssetsPrefix, playground)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprintf(w, "ready: upstream %s\n", g.Upstream)
	})
	g.Handler = withRequestID(mux)
	return g, nil
}

func embeddedData(cfg Config) (ll2server.Data, snapshot.Meta, error) {
	switch {
	case cfg.Snapshot != nil:
		return *cfg.Snapshot, snapshot.Meta{Source: "given in the configuration"}, nil
	case cfg.SnapshotDir != "":
		return snapshot.LoadDir(cfg.SnapshotDir)
	}
	return snapshot.Embedded()
}

type requestIDKey struct{}

// RequestID returns the id of the request ctx belongs to ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestID gives each request an id: the caller's X-Request-Id when it is sane,
// else a random one. It is echoed in the response and found in every log line.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if len(id) == 0 || len(id) > 64 || strings.ContainsFunc(id, func(c rune) bool { return c < '!' || c > '~' }) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}
