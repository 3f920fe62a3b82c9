package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"spacegraph/economy"
	"spacegraph/graph"
	"spacegraph/graphqlhttp"
	"spacegraph/observe"
)

// graphQLServer builds the GraphQL executor: the GraphQL-over-HTTP transport
// (graphqlhttp), a parsed-document cache that parses and validates the documents it
// lacks itself, with gqlgen's rules listed once (documents; gqlgen parses and
// validates every request without one), the spec's coercion of variables, the query
// limits and the parser's token limit, the bound on LL2 calls per request,
// introspection (and field suggestions) unless switched off, automatic persisted
// queries (or, in trusted-documents mode, the manifest instead), the error presenter
// and the freshness extensions. fields, when set, runs around every resolver (tests make
// resolvers panic or stall with it).
func (g *Gateway) graphQLServer(fields graphql.FieldMiddleware) *handler.Server {
	p, size := g.cfg.Protection, g.cfg.QueryCacheSize
	es := graph.NewFastExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}, graph.FastOptions{FieldMiddleware: fields != nil})
	if g.cfg.GQLGenExecutor {
		es = graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}})
	}
	srv := handler.New(es)
	vars := graph.VariableCoercion{Schema: es.Schema(), HideSuggestions: p.IntrospectionOff}
	srv.AddTransport(graphqlhttp.Transport{Trusted: p.TrustedDocuments, TokenLimit: max(p.MaxTokens, 0), Variables: vars})
	// First, so that it is the outermost extension: it times and sees everything.
	srv.Use(observe.NewGraphQLExtension(g.cfg.Metrics))
	// Next, so that what it drops is all that is dropped, and recorded as an error.
	srv.Use(graph.ResponseLimit{MaxBytes: p.MaxResponseBytes})
	srv.SetQueryCache(newDocuments(size, es.Schema(), validationRules(p.IntrospectionOff, p.IntrospectionOff), max(p.MaxTokens, 0)))
	if p.MaxTokens > 0 {
		srv.SetParserTokenLimit(p.MaxTokens)
	}
	if p.IntrospectionOff {
		srv.SetDisableSuggestion(true)
		srv.SetValidationRulesFn(func() *rules.Rules { return baseRules(true) })
	} else {
		srv.Use(extension.Introspection{})
	}
	if p.TrustedDocuments == nil {
		srv.Use(extension.AutomaticPersistedQuery{Cache: g.persistedQueries(size)})
	}
	// Before the limits, so that they measure the variables that run.
	srv.Use(vars)
	srv.Use(p.limits(es.Schema()))
	srv.Use(graph.CallLimit{Max: p.MaxUpstreamCalls, CrawlCost: g.Catalog.CrawlCost})
	srv.SetErrorPresenter(graph.TokenLimitPresenter(graph.ErrorPresenter(g.log)))
	srv.SetRecoverFunc(graph.Recover(g.log))
	srv.AroundResponses(freshnessExtensions)
	srv.Use(graph.PlanCache{})
	// Fields a partial snapshot does not hold: null, with one NOT_IN_SNAPSHOT error per
	// field path pattern.
	srv.Use(graph.SnapshotGaps{})
	if fields != nil {
		srv.AroundFields(fields)
	}
	return srv
}

// freshnessExtensions tells clients how old the data of a response is and whether a
// stale copy stood in for LL2 (`extensions.age` in seconds, `extensions.stale`).
func freshnessExtensions(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	sum := economy.ReportFrom(ctx).Summary()
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

// responseFingerprint names everything besides the request that decides its answer:
// the schema and the settings that refuse or limit requests. It is a part of every
// response key because replicas share the response cache through Redis, and a replica
// with trusted documents, introspection off, tighter limits or another schema (during
// a rolling deploy) must not serve what a differently configured one stored.
func (g *Gateway) responseFingerprint() string {
	h := sha256.New()
	var sdl strings.Builder
	formatter.NewFormatter(&sdl).FormatSchema(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema())
	h.Write([]byte(sdl.String()))
	p := g.cfg.Protection
	fmt.Fprintf(h, "\x00%d %d %d %d %d %d %d %t\x00", p.MaxDepth, p.MaxComplexity, p.MaxAliases, p.MaxRootFields, p.MaxTokens,
		p.MaxDocumentBytes, p.MaxResponseBytes, p.IntrospectionOff)
	if t := p.TrustedDocuments; t != nil {
		for id, doc := range t.All() {
			fmt.Fprintf(h, "%d:%s%d:%s", len(id), id, len(doc), doc)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
