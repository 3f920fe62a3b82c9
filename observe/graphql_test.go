package observe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"spacegraph/internal/testkit"
	"spacegraph/ll2"
	"spacegraph/observe"
	"spacegraph/reqscope"
)

func gql(query, operationName string) string {
	b, _ := json.Marshal(map[string]any{"query": query, "operationName": operationName})
	return string(b)
}

func TestGraphQLOperations(t *testing.T) {
	m := observe.New(observe.Options{})
	failRoot := false
	srv := graphQLServer(m, func(ctx context.Context) {
		if failRoot {
			// A field error beside data: the response is partial.
			graphql.AddError(ctx, &gqlerror.Error{Message: "spacecraft 9 not found", Extensions: map[string]any{"code": "NOT_FOUND"}})
		}
	})
	intro := `query Intro { __schema { queryType { name } } }`
	for range 2 {
		if code, body := post(t, srv, gql(intro, "")); code != 200 || strings.Contains(body, "errors") {
			t.Fatalf("introspection: %d %s", code, body)
		}
	}
	// A name the document does not give in operationName is still found.
	post(t, srv, gql(`query Named { __typename }`, "Named"))
	// Request errors: a document that does not validate, one that does not parse.
	post(t, srv, gql(`query Intro { nope }`, ""))
	post(t, srv, gql(`query Unseen { nope }`, ""))
	post(t, srv, gql(`query {`, ""))
	// An anonymous operation.
	post(t, srv, gql(`{ __typename }`, ""))
	failRoot = true
	if _, body := post(t, srv, gql(`query Partly { __schema { queryType { name } } }`, "")); !strings.Contains(body, `"data":{`) || !strings.Contains(body, "NOT_FOUND") {
		t.Fatalf("the partial response is %s", body)
	}

	f := scrape(t, m)
	for _, c := range []struct {
		op, outcome, code string
		want              float64
	}{
		{"Intro", "ok", "", 2},
		{"Named", "ok", "", 1},
		// A name that ran before keeps its label when a request with it fails.
		{"Intro", "error", "GRAPHQL_VALIDATION_FAILED", 1},
		// A name first seen in a failed request takes no label of its own.
		{"other", "error", "GRAPHQL_VALIDATION_FAILED", 1},
		{"anonymous", "error", "GRAPHQL_PARSE_FAILED", 1},
		{"anonymous", "ok", "", 1},
		{"Partly", "partial", "NOT_FOUND", 1},
	} {
		if got := value(t, f, "spacegraph_graphql_operations_total", map[string]string{"operation": c.op, "outcome": c.outcome, "code": c.code}); got != c.want {
			t.Errorf("operations %s/%s/%s = %v, want %v", c.op, c.outcome, c.code, got, c.want)
		}
	}
	if n, sum := histogram(t, f, "spacegraph_graphql_operation_duration_seconds", map[string]string{"operation": "Intro", "outcome": "ok"}); n != 2 || sum <= 0 {
		t.Errorf("Intro durations: %d samples summing %v", n, sum)
	}
	if n, _ := histogram(t, f, "spacegraph_graphql_operation_duration_seconds", map[string]string{"operation": "anonymous", "outcome": "error"}); n != 1 {
		t.Errorf("request errors are timed too: %d samples", n)
	}
}

func TestOperationNameCardinality(t *testing.T) {
	m := observe.New(observe.Options{MaxOperations: 3})
	srv := graphQLServer(m)
	long := "Q" + strings.Repeat("x", 80)
	for _, name := range []string{"A", "B", "C", "D", "E", long} {
		if code, body := post(t, srv, gql(fmt.Sprintf(`query %s { __typename }`, name), "")); code != 200 || strings.Contains(body, "errors") {
			t.Fatalf("%s: %d %s", name, code, body)
		}
	}
	// An operationName that no document could hold fails, and takes no label.
	post(t, srv, gql(`{ __typename }`, "spaces and \"quotes\""))
	f := scrape(t, m)
	if got, want := labelValues(f, "spacegraph_graphql_operations_total", "operation"), []string{"A", "B", "C", "other"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("operation labels %q, want %q", got, want)
	}
	if v := value(t, f, "spacegraph_graphql_operations_total", map[string]string{"operation": "other", "outcome": "ok", "code": ""}); v != 3 {
		t.Errorf("other/ok = %v, want 3 (D, E and the long name)", v)
	}

	// With a list of known operations, only those have their own label.
	m = observe.New(observe.Options{Operations: []string{"Known"}})
	srv = graphQLServer(m)
	post(t, srv, gql(`query Known { __typename }`, ""))
	post(t, srv, gql(`query Unknown { __typename }`, ""))
	f = scrape(t, m)
	if got := labelValues(f, "spacegraph_graphql_operations_total", "operation"); strings.Join(got, ",") != "Known,other" {
		t.Errorf("with an allow list the labels are %q", got)
	}
}

// TestOperationNamesAgeOut checks that, once the operation labels are all taken, a
// name unused for OperationIdle gives its place to a new one and its series go, while
// names in use keep theirs; and that a client naming its operation "other" cannot make
// the overflow's series go.
func TestOperationNamesAgeOut(t *testing.T) {
	clk := testkit.NewClock()
	m := observe.New(observe.Options{MaxOperations: 3, OperationIdle: time.Hour, Now: clk.Now})
	srv := graphQLServer(m)
	run := func(names ...string) {
		t.Helper()
		for _, name := range names {
			if code, body := post(t, srv, gql(fmt.Sprintf(`query %s { __typename }`, name), "")); code != 200 || strings.Contains(body, "errors") {
				t.Fatalf("%s: %d %s", name, code, body)
			}
		}
	}
	labels := func() string {
		t.Helper()
		ops := labelValues(scrape(t, m), "spacegraph_graphql_operations_total", "operation")
		durations := labelValues(scrape(t, m), "spacegraph_graphql_operation_duration_seconds", "operation")
		if strings.Join(ops, ",") != strings.Join(durations, ",") {
			t.Errorf("operations labelled %q, durations %q", ops, durations)
		}
		return strings.Join(ops, ",")
	}
	run("A", "B", "C", "D", "other")
	if got := labels(); got != "A,B,C,other" {
		t.Fatalf("labels %q, want A,B,C,other", got)
	}
	clk.Advance(30 * time.Minute)
	run("A", "E")
	clk.Advance(31 * time.Minute)
	// B and C have been idle for an hour, A for half of one: E takes a freed place,
	// B's and C's series are gone, the overflow's stay.
	run("E")
	if got := labels(); got != "A,E,other" {
		t.Errorf("after an hour: labels %q, want A,E,other", got)
	}
	if v := value(t, scrape(t, m), "spacegraph_graphql_operations_total", map[string]string{"operation": "other", "outcome": "ok", "code": ""}); v != 3 {
		t.Errorf("other/ok = %v, want 3 (D, the name \"other\" and E's first run)", v)
	}
	run("F", "G")
	if got := labels(); got != "A,E,F,other" {
		t.Errorf("then: labels %q, want A,E,F,other (G waits for a place)", got)
	}
	// In use all along, A is never released, however long the process runs.
	for range 5 {
		clk.Advance(50 * time.Minute)
		run("A")
	}
	run("H")
	if got := labels(); !strings.Contains(got, "A") || !strings.Contains(got, "H") {
		t.Errorf("after five quiet hours for E and F: labels %q, want A and H among them", got)
	}
}

func TestEndpointNames(t *testing.T) {
	for in, want := range map[string]string{
		"spacecraft/":                           "spacecraft/",
		"spacecraft/12/":                        "spacecraft/{id}/",
		"spacecraft_configurations/7/":          "spacecraft_configurations/{id}/",
		"config/countries/":                     "config/countries/",
		"api-throttle/":                         "api-throttle/",
		"/2.3.0/agencies/44/":                   "agencies/{id}/",
		"/api/2.3.0/spacecraft/1/?format=json":  "spacecraft/{id}/",
		"spacecraft":                            "spacecraft/",
		"":                                      "/",
		"/2.3.0/":                               "/",
		"spacecraft/<script>/":                  "other",
		"a/b/c/d/e/":                            "other",
		"spacecraft/" + strings.Repeat("x", 70): "other",
	} {
		if got := observe.Endpoint(in); got != want {
			t.Errorf("Endpoint(%q) = %q, want %q", in, got, want)
		}
	}
}

// Endpoints, routes, loaders and codes are bounded as operation names are.
func TestOtherLabelBounds(t *testing.T) {
	m := observe.New(observe.Options{})
	for i := range 200 {
		m.UpstreamCall(observeCall(fmt.Sprintf("kind%d/", i)))
		m.LoaderBatch(fmt.Sprintf("loader%d", i), 1)
	}
	m.LoaderBatch("bad name", 1)
	// Routes are named by the code, not by clients; still, a name with a space, and
	// names past the bound, are "other".
	mux := http.NewServeMux()
	for i := range 40 {
		mux.Handle(fmt.Sprintf("/r%d", i), reqscope.Route(fmt.Sprintf("/r%d", i), http.NotFoundHandler()))
	}
	mux.Handle("/space", reqscope.Route("has space", http.NotFoundHandler()))
	h := reqscope.Middleware(m.Instrument(mux))
	for i := range 40 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, fmt.Sprintf("/r%d", i), nil))
	}
	f := scrape(t, m)
	if n := len(labelValues(f, "spacegraph_http_request_duration_seconds", "route")); n != 33 {
		t.Errorf("%d route labels for 40 routes, want 33 (32 and other)", n)
	}
	m = observe.New(observe.Options{})
	h = reqscope.Middleware(m.Instrument(mux))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/space", nil))
	if got := labelValues(scrape(t, m), "spacegraph_http_request_duration_seconds", "route"); strings.Join(got, ",") != "other" {
		t.Errorf("a route with a space is labelled %q", got)
	}

	if n := len(labelValues(f, "spacegraph_upstream_calls_total", "endpoint")); n > 65 {
		t.Errorf("%d endpoint labels", n)
	}
	if n := len(labelValues(f, "spacegraph_loader_batch_size", "loader")); n > 33 {
		t.Errorf("%d loader labels", n)
	}
}

func observeCall(path string) ll2.Call { return ll2.Call{Method: "GET", Path: path, Status: 200} }
