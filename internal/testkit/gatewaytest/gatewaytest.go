// Package gatewaytest serves a whole gateway over real HTTP for the tests of the
// packages above it (the gateway's, the GraphQL-over-HTTP audit's); it is apart from
// testkit because the packages below the gateway use testkit too.
package gatewaytest

import (
	"net/http/httptest"
	"testing"

	"spacegraph/gateway"
)

// Serve assembles a gateway of cfg and serves it over real HTTP; both are closed
// when the test ends.
func Serve(t testing.TB, cfg gateway.Config) (*gateway.Gateway, *httptest.Server) {
	t.Helper()
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler)
	t.Cleanup(func() {
		srv.Close()
		_ = g.Close()
	})
	return g, srv
}
