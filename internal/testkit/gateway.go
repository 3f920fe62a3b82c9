package testkit

import (
	"net/http/httptest"
	"testing"

	"spacegraph/gateway"
)

// Gateway assembles a gateway of cfg and serves it over real HTTP; both are closed
// when the test ends.
func Gateway(t testing.TB, cfg gateway.Config) (*gateway.Gateway, *httptest.Server) {
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
