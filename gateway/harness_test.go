package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"spacegraph/gateway"
	"spacegraph/internal/testkit/gatewaytest"
	"spacegraph/snapshot"
	"spacegraph/snapshot/synthetic"
)

// llScale is the synthetic LL2-scale snapshot (600 spacecraft, 46 configurations, 311
// agencies, 30 families), generated once for the package.
var llScale = sync.OnceValue(func() snapshot.Data { return synthetic.Generate(synthetic.LL2Scale()) })

// harness is a gateway over the built-in LL2 server, served over real HTTP.
type harness struct {
	t   testing.TB
	g   *gateway.Gateway
	srv *httptest.Server
}

func newHarness(t testing.TB, cfg gateway.Config) *harness {
	t.Helper()
	g, srv := gatewaytest.Serve(t, cfg)
	return &harness{t: t, g: g, srv: srv}
}

// llScaleFlights is llScale with every flight, launch, landing and docking event
// (synthetic.LL2ScaleFlights), generated once for the package.
var llScaleFlights = sync.OnceValue(func() snapshot.Data { return synthetic.Generate(synthetic.LL2ScaleFlights()) })

// newLL2ScaleFlights is a cold gateway over llScaleFlights.
func newLL2ScaleFlights(t testing.TB) *harness {
	d := llScaleFlights()
	return newHarness(t, gateway.Config{Snapshot: &d})
}

// newLL2Scale is a cold gateway over the synthetic LL2-scale data.
func newLL2Scale(t testing.TB) *harness {
	d := llScale()
	return newHarness(t, gateway.Config{Snapshot: &d})
}

// gqlError is an error of a GraphQL response.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions"`
}

// response is a GraphQL response.
type response struct {
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions map[string]any  `json:"extensions"`
	status     int
	header     http.Header
}

// do posts a query and decodes the answer.
func (h *harness) do(query string, vars map[string]any) response {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := http.Post(h.srv.URL+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		h.t.Fatalf("response is not JSON: %v\n%s", err, raw)
	}
	r.status, r.header = resp.StatusCode, resp.Header
	return r
}

// ok posts a query that must succeed and decodes its data into out.
func (h *harness) ok(query string, vars map[string]any, out any) {
	h.t.Helper()
	r := h.do(query, vars)
	if len(r.Errors) > 0 {
		h.t.Fatalf("unexpected errors: %+v\nquery: %s", r.Errors, query)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			h.t.Fatalf("data: %v\n%s", err, r.Data)
		}
	}
}

// calls is how many calls the built-in LL2 server has answered.
func (h *harness) calls() int { return h.g.LL2.Counters().Total }

// requests lists the LL2 requests seen, for failure messages.
func (h *harness) requests() string { return strings.Join(h.g.LL2.Requests(), "\n  ") }

// errorWith returns the first error with the code, or fails.
func (r response) errorWith(t testing.TB, code string) gqlError {
	t.Helper()
	for _, e := range r.Errors {
		if e.Extensions["code"] == code {
			return e
		}
	}
	t.Fatalf("no error with code %s in %+v", code, r.Errors)
	return gqlError{}
}

// emptyConfig is the default configuration: the embedded snapshot.
func emptyConfig() gateway.Config { return gateway.Config{} }

// decode unmarshals a response's data.
func decode(t testing.TB, r response, out any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatalf("data: %v\n%s", err, r.Data)
	}
}
