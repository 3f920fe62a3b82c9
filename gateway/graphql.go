package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"spacegraph/graph"
	"spacegraph/upstream"
)

// graphQLServer builds the GraphQL executor: explicit transports, a parsed-document
// LRU (gqlgen parses and validates every request without one), persisted queries,
// the error presenter and the freshness extensions.
func (g *Gateway) graphQLServer() http.Handler {
	size := g.cfg.QueryCacheSize
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
	srv.SetErrorPresenter(graph.ErrorPresenter(g.log, RequestID))
	srv.SetRecoverFunc(graph.Recover(g.log, RequestID))
	srv.AroundResponses(freshnessExtensions)
	return srv
}

// freshnessExtensions tells clients how old the data of a response is and whether a
// stale copy stood in for LL2 (`extensions.age` in seconds, `extensions.stale`).
func freshnessExtensions(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	sum := upstream.ReportFrom(ctx).Summary()
	if sum.MaxAge <= 0 && sum.Stale == 0 {
		return resp
	}
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	resp.Extensions["age"] = int(sum.MaxAge / time.Second)
	if sum.Stale > 0 {
		resp.Extensions["stale"] = true
	}
	return resp
}
