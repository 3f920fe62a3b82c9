package gateway

import (
	"net/http"

	"github.com/99designs/gqlgen/graphql/playground"
)

// playgroundHandler serves GraphiQL at / for exploring the API.
func playgroundHandler(endpoint string) http.Handler {
	return playground.Handler("spacegraph", endpoint)
}
