package gateway

import (
	"net/http"

	"github.com/99designs/gqlgen/graphql"
)

// This file exports internals to the gateway's external tests. It is compiled only
// into the test binary: nothing outside `go test` can reach these.

// PlaygroundExample is a playground tab's document and variables (JSON, "" for none).
type PlaygroundExample struct{ Query, Variables string }

// PlaygroundExamples are the playground's example tabs.
func PlaygroundExamples() []PlaygroundExample {
	out := make([]PlaygroundExample, len(playgroundExamples))
	for i, ex := range playgroundExamples {
		out[i] = PlaygroundExample(ex)
	}
	return out
}

// HandlerWith builds g's handler as New does, with pieces a test owns: wrap goes
// around the routes (inside the request scope, the log and the panic recovery), and
// fields runs around every field's resolver. Tests make the gateway panic or stall
// with them; the production configuration has no such hook.
func HandlerWith(g *Gateway, wrap func(http.Handler) http.Handler, fields graphql.FieldMiddleware) http.Handler {
	srv := g.graphQLServer(fields)
	routes := g.routes(srv)
	if wrap != nil {
		routes = wrap(routes)
	}
	return g.handler(routes)
}
