package gateway_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2"
	gqlast "github.com/vektah/gqlparser/v2/ast"

	"spacegraph/gateway"
	"spacegraph/graph"
	"spacegraph/graphqlhttp"
	"spacegraph/internal/testkit"
	"spacegraph/ll2/ll2server"
	"spacegraph/observe"
	"spacegraph/reqscope"
)

// clientQuery is a document clients send.
type clientQuery struct{ name, query string }

// clientIntrospectionQueries are the introspection queries of GraphiQL, graphql-js
// (every option on) and gqlgen's client (testdata/introspection/README.md).
func clientIntrospectionQueries(t testing.TB) []clientQuery {
	t.Helper()
	out := []clientQuery{
		{"gqlgen's introspection.Query", introspection.Query},
		{"gqlgen's introspection.NewQuery with isOneOf", introspection.NewQuery(introspection.QueryOptions{OneOf: true})},
	}
	for _, name := range []string{"graphiql.graphql", "graphql-js-all-options.graphql"} {
		b, err := os.ReadFile(filepath.Join("testdata", "introspection", name))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, clientQuery{name, string(b)})
	}
	return out
}

// TestLegitimateQueriesFitTheDefaults sends every legitimate query through a gateway
// with the default protection (none may be refused as too complex, nor its answer as
// too large), and reports the largest measure of each limit next to its default.
func TestLegitimateQueriesFitTheDefaults(t *testing.T) {
	queries := legitimateQueries(t)
	if len(queries) < 40 {
		t.Fatalf("only %d legitimate queries found", len(queries))
	}
	h := newHarness(t, emptyConfig())
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var most graph.Measure
	var mostBy [4]string
	mostTokens, mostTokensBy := 0, ""
	mostCalls, mostCallsBy := 0, ""
	// LL2 calls are planned by a gateway that has made none yet, which knows LL2's
	// collections by their usual sizes: h, which has learnt the embedded snapshot's
	// smaller ones, would count fewer.
	cold := newLL2Scale(t)
	mostBytes, mostBytesBy := 0, ""
	mostAnswer, mostAnswerBy := 0, ""
	for _, q := range queries {
		resp, raw := h.send("POST", "/graphql", postJSON, jsonBody(q.query, q.vars, nil))
		r := decodeResponse(t, resp, raw)
		for _, e := range r.Errors {
			if e.Extensions["code"] == "QUERY_TOO_COMPLEX" || e.Extensions["code"] == "RESPONSE_TOO_LARGE" {
				t.Errorf("%s: refused: %s\n%s", q.source, e.Message, q.query)
			}
		}
		if len(raw) > mostAnswer {
			mostAnswer, mostAnswerBy = len(raw), q.source
		}
		doc, errs := gqlparser.LoadQueryWithRules(schema, q.query, nil)
		if errs != nil {
			t.Errorf("%s: %v", q.source, errs)
			continue
		}
		if tokens := graph.CountTokens(q.query); tokens > mostTokens {
			mostTokens, mostTokensBy = tokens, q.source
		}
		if len(q.query) > mostBytes {
			mostBytes, mostBytesBy = len(q.query), q.source
		}
		for _, op := range doc.Operations {
			vars, verrs := graph.CoerceVariables(schema, op, q.vars, false)
			if verrs != nil {
				t.Errorf("%s: variables: %v", q.source, verrs)
				continue
			}
			if calls := graph.PlanCalls(doc, op, vars, cold.g.Catalog.CrawlCost); calls > mostCalls {
				mostCalls, mostCallsBy = calls, q.source
			}
			m := graph.MeasureOperation(schema, op, vars)
			for i, v := range [4][2]int{{m.Depth, most.Depth}, {m.Complexity, most.Complexity}, {m.Aliases, most.Aliases}, {m.RootFields, most.RootFields}} {
				if v[0] > v[1] {
					mostBy[i] = q.source
				}
			}
			most = graph.Measure{Depth: max(most.Depth, m.Depth), Complexity: max(most.Complexity, m.Complexity),
				Aliases: max(most.Aliases, m.Aliases), RootFields: max(most.RootFields, m.RootFields)}
		}
	}
	t.Logf("%d legitimate queries; largest measures against the defaults:", len(queries))
	t.Logf("  depth %d (limit %d), by %s", most.Depth, gateway.DefaultMaxDepth, mostBy[0])
	t.Logf("  complexity %d (limit %d), by %s", most.Complexity, gateway.DefaultMaxComplexity, mostBy[1])
	t.Logf("  aliases %d (limit %d), by %s", most.Aliases, gateway.DefaultMaxAliases, mostBy[2])
	t.Logf("  root fields %d (limit %d), by %s", most.RootFields, gateway.DefaultMaxRootFields, mostBy[3])
	t.Logf("  tokens %d (limit %d), by %s", mostTokens, gateway.DefaultMaxTokens, mostTokensBy)
	t.Logf("  document bytes %d (limit %d), by %s", mostBytes, gateway.DefaultMaxDocumentBytes, mostBytesBy)
	t.Logf("  answer bytes %d (limit %d), by %s", mostAnswer, gateway.DefaultMaxResponseBytes, mostAnswerBy)
	t.Logf("  LL2 calls %d (limit %d), by %s", mostCalls, gateway.DefaultMaxUpstreamCalls, mostCallsBy)
	// LL2's anonymous budget is 15 calls an hour: the call limit cannot leave the
	// heaviest query (8 calls) a quarter of room and stay well under the budget, so
	// it only has to fit.
	if mostCalls > gateway.DefaultMaxUpstreamCalls {
		t.Errorf("the heaviest legitimate query plans %d LL2 calls, over the default limit %d", mostCalls, gateway.DefaultMaxUpstreamCalls)
	}
	// The defaults leave room: legitimate queries stay well under them.
	for _, c := range []struct {
		name        string
		most, limit int
	}{
		{"depth", most.Depth, gateway.DefaultMaxDepth},
		{"complexity", most.Complexity, gateway.DefaultMaxComplexity},
		{"aliases", most.Aliases, gateway.DefaultMaxAliases},
		{"root fields", most.RootFields, gateway.DefaultMaxRootFields},
		{"tokens", mostTokens, gateway.DefaultMaxTokens},
		{"document bytes", mostBytes, gateway.DefaultMaxDocumentBytes},
		{"answer bytes", mostAnswer, gateway.DefaultMaxResponseBytes},
	} {
		if c.most*4 > c.limit*3 {
			t.Errorf("the heaviest legitimate query's %s is %d, within a quarter of the default limit %d", c.name, c.most, c.limit)
		}
	}
}

// everyField selects every field of typ without arguments: scalars, and, levels deep,
// the objects it embeds (not its connections).
func everyField(schema *gqlast.Schema, typ string, levels int) string {
	var b strings.Builder
	for _, f := range schema.Types[typ].Fields {
		if strings.HasPrefix(f.Name, "__") || len(f.Arguments) > 0 {
			continue
		}
		switch def := schema.Types[f.Type.Name()]; def.Kind {
		case gqlast.Scalar, gqlast.Enum:
			b.WriteString(" " + f.Name)
		case gqlast.Object:
			if levels > 0 && !strings.HasSuffix(def.Name, "Connection") {
				b.WriteString(" " + f.Name + " {" + everyField(schema, def.Name, levels-1) + " }")
			}
		}
	}
	return b.String()
}

// TestHeaviestPagesFitTheResponseLimit asks, on the LL2-scale data, for pages of a
// hundred objects of each list with every field, and the objects they embed as deep
// as the complexity limit allows: the largest legitimate answers. Each must be under
// a tenth of the default response limit, which is what that default is chosen for.
func TestHeaviestPagesFitTheResponseLimit(t *testing.T) {
	h := newLL2Scale(t)
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	largest := 0
	for _, root := range []struct{ field, typ string }{
		{"allSpacecraft", "Spacecraft"}, {"allSpacecraftConfigs", "SpacecraftConfig"}, {"allAgencies", "Agency"}, {"allFamilies", "Family"},
	} {
		for levels := 2; levels >= 0; levels-- {
			q := fmt.Sprintf("{ %s(first: 100) { nodes {%s } } }", root.field, everyField(schema, root.typ, levels))
			resp, raw := h.send("POST", "/graphql", postJSON, jsonBody(q, nil, nil))
			r := decodeResponse(t, resp, raw)
			if len(r.Errors) > 0 && r.Errors[0].Extensions["code"] == "QUERY_TOO_COMPLEX" {
				continue
			}
			if r.Data == nil || string(r.Data) == "null" {
				t.Fatalf("%s: %+v", root.field, r.Errors)
			}
			t.Logf("%s, %d levels of embedded objects: %d bytes", root.field, levels, len(raw))
			largest = max(largest, len(raw))
			break
		}
	}
	if largest == 0 || largest*10 > gateway.DefaultMaxResponseBytes {
		t.Errorf("the largest page is %d bytes: want it under a tenth of the default response limit, %d", largest, gateway.DefaultMaxResponseBytes)
	}
}

// rawClient sends requests as given: no transparent gzip, no redirects.
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// send makes a request to the harness's server and returns the response with its body
// read.
func (h *harness) send(method, path string, header http.Header, body string) (*http.Response, []byte) {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := rawClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp, raw
}

// sendGQL sends a request and decodes its GraphQL answer.
func (h *harness) sendGQL(method, path string, header http.Header, body string) response {
	h.t.Helper()
	resp, raw := h.send(method, path, header, body)
	return decodeResponse(h.t, resp, raw)
}

// decodeResponse decodes a GraphQL answer, failing on anything else.
func decodeResponse(t testing.TB, resp *http.Response, raw []byte) response {
	t.Helper()
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("answer (%d) is not JSON: %v\n%s", resp.StatusCode, err, raw)
	}
	r.status, r.header = resp.StatusCode, resp.Header
	return r
}

// jsonBody encodes a GraphQL request body.
func jsonBody(query string, vars map[string]any, extensions map[string]any) string {
	m := map[string]any{"query": query}
	if query == "" {
		delete(m, "query")
	}
	if vars != nil {
		m["variables"] = vars
	}
	if extensions != nil {
		m["extensions"] = extensions
	}
	b, _ := json.Marshal(m)
	return string(b)
}

var postJSON = http.Header{"Content-Type": {"application/json"}}

// nested returns a query nesting reverse connections: agencies, their configurations,
// those configurations' agency, and again, levels field levels deep (levels ≥ 4).
func nested(levels int) string {
	var open, close strings.Builder
	open.WriteString("{ allAgencies { nodes { ")
	close.WriteString(" } } }")
	depth := 2
	for step := 0; depth+3 < levels; step++ {
		open.WriteString("spacecraftConfigs { nodes { agency { ")
		close.WriteString(" } } }")
		depth += 3
	}
	for ; depth+1 < levels; depth++ {
		open.WriteString("spacecraftConfigs { ")
		close.WriteString(" }")
	}
	return open.String() + "name" + reverse(close.String())
}

func reverse(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}

// aliasFlood is n aliased root fields.
func aliasFlood(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a%d: __typename", i)
	}
	return b.String() + " }"
}

// TestQueryLimits checks that each limit refuses with QUERY_TOO_COMPLEX, names itself
// in extensions.limit and says in the message by how much the query is over, with the
// defaults and with limits set in the configuration; and that a limit set to -1 is
// off.
func TestQueryLimits(t *testing.T) {
	manyNames := "{ allSpacecraft(first: 2) { nodes {" + func() string {
		var b strings.Builder
		for i := range 61 {
			fmt.Fprintf(&b, " n%d: name", i)
		}
		return b.String()
	}() + " } } }"
	tokens60 := "{" + strings.Repeat(" __typename", 58) + " }"
	for _, tc := range []struct {
		name    string
		prot    gateway.Protection
		query   string
		vars    map[string]any
		limit   string
		message string // the measure and how far over, e.g. "is 12, 2 over the limit of 10"
	}{
		{"a 12-level nesting through reverse connections", gateway.Protection{}, nested(12), nil,
			"depth", "depth is 12, 2 over the limit of 10"},
		{"a 200-alias flood", gateway.Protection{}, aliasFlood(200), nil,
			"rootFields", "number of root fields is 200, 170 over the limit of 30"},
		{"a 200-alias flood, root fields unlimited", gateway.Protection{MaxRootFields: -1}, aliasFlood(200), nil,
			"aliases", "number of aliases is 200, 150 over the limit of 50"},
		{"61 aliases below the root", gateway.Protection{}, manyNames, nil,
			"aliases", "number of aliases is 61, 11 over the limit of 50"},
		{"100 pages of 100 spacecraft", gateway.Protection{},
			`{ allSpacecraftConfigs(first: 100) { nodes { spacecraft(first: 100) { nodes { name } } } } }`, nil,
			// 1 + 100 × (nodes 1 + (spacecraft 1 + 100 × (nodes 1 + name 1)))
			"complexity", "complexity is 20201, 10201 over the limit of 10000"},
		{"page sizes from variables", gateway.Protection{},
			`query($n: Int, $m: Int) { allSpacecraftConfigs(first: $n) { nodes { spacecraft(last: $m) { totalCount } } } }`,
			map[string]any{"n": 100, "m": 100},
			// 1 + 100 × (1 + (1 + 100 × 1))
			"complexity", "complexity is 10201, 201 over the limit of 10000"},
		{"nodes(ids:) costs per id", gateway.Protection{MaxComplexity: 10},
			`query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Spacecraft { name } } }`,
			map[string]any{"ids": []string{"a", "b", "c", "d", "e", "f", "g"}},
			// 1 + 7 × (id 1 + name 1)
			"complexity", "complexity is 15, 5 over the limit of 10"},
		{"60 tokens", gateway.Protection{MaxTokens: 50}, tokens60, nil,
			"tokens", "number of tokens is 60, 10 over the limit of 50"},
		{"a README example under a depth limit of 3", gateway.Protection{MaxDepth: 3}, readmeExamples[0].query, nil,
			"depth", "depth is 5, 2 over the limit of 3"},
		{"a root field limit of 1", gateway.Protection{MaxRootFields: 1}, readmeExamples[1].query, nil,
			"rootFields", "number of root fields is 2, 1 over the limit of 1"},
		{"a complexity limit of 10", gateway.Protection{MaxComplexity: 10}, `{ allAgencies { totalCount } }`, nil,
			// 1 + 10 × 1
			"complexity", "complexity is 11, 1 over the limit of 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, gateway.Config{Protection: tc.prot})
			r := h.do(tc.query, tc.vars)
			e := r.errorWith(t, "QUERY_TOO_COMPLEX")
			if len(r.Errors) != 1 || r.status != http.StatusOK || string(r.Data) != "" {
				t.Errorf("status %d, data %s, errors %+v: want 200, one error and no data", r.status, r.Data, r.Errors)
			}
			if e.Extensions["limit"] != tc.limit {
				t.Errorf("limit %v, want %s (%s)", e.Extensions["limit"], tc.limit, e.Message)
			}
			if !strings.Contains(e.Message, tc.message) {
				t.Errorf("message %q, want it to say %q", e.Message, tc.message)
			}
			if h.calls() != 0 {
				t.Errorf("%d LL2 calls for a refused query", h.calls())
			}
		})
	}

	t.Run("limits set to -1 are off", func(t *testing.T) {
		h := newHarness(t, gateway.Config{Protection: gateway.Protection{MaxRootFields: -1, MaxAliases: -1, MaxTokens: -1}})
		var data map[string]string
		h.ok(aliasFlood(700), nil, &data)
		if len(data) != 700 || data["a699"] != "Query" {
			t.Errorf("got %d fields", len(data))
		}
	})
	t.Run("the graphql-response+json answer is 400", func(t *testing.T) {
		h := newHarness(t, emptyConfig())
		resp, raw := h.send("POST", "/graphql", http.Header{"Content-Type": {"application/json"}, "Accept": {"application/graphql-response+json"}},
			jsonBody(nested(12), nil, nil))
		r := decodeResponse(t, resp, raw)
		r.errorWith(t, "QUERY_TOO_COMPLEX")
		if resp.StatusCode != http.StatusBadRequest || bytes.Contains(raw, []byte(`"data"`)) {
			t.Errorf("status %d, body %s: want 400 with no data", resp.StatusCode, raw)
		}
	})
}

// TestGraphQLOverHTTP checks the answers the GraphQL over HTTP spec asks for, beyond
// what the graphql-http audit covers: methods, media types, malformed requests, and
// the status of request and field errors in each media type.
func TestGraphQLOverHTTP(t *testing.T) {
	h := newHarness(t, emptyConfig())
	gqlResp := "application/graphql-response+json"
	typename := jsonBody("{ __typename }", nil, nil)
	for _, tc := range []struct {
		name        string
		method      string
		path        string
		header      http.Header
		body        string
		status      int
		contentType string // the answer's media type, "" for any
		allow       string // the Allow header, "" for none expected
		code        string // an error code expected, "" for none
		data        bool   // whether the answer has a data entry
	}{
		{"POST application/json", "POST", "/graphql", postJSON, typename, 200, "application/json", "", "", true},
		{"POST with charset", "POST", "/graphql", http.Header{"Content-Type": {"application/json; charset=UTF-8"}}, typename, 200, "application/json", "", "", true},
		{"GET query", "GET", "/graphql?query=" + url.QueryEscape("{ __typename }"), nil, "", 200, "application/json", "", "", true},
		{"Accept graphql-response+json", "POST", "/graphql", http.Header{"Content-Type": {"application/json"}, "Accept": {gqlResp}}, typename, 200, gqlResp, "", "", true},
		{"Accept both, JSON preferred", "POST", "/graphql", http.Header{"Content-Type": {"application/json"}, "Accept": {gqlResp + ";q=0.5, application/json"}}, typename, 200, "application/json", "", "", true},
		{"Accept both, as the spec's clients send", "POST", "/graphql", http.Header{"Content-Type": {"application/json"}, "Accept": {gqlResp + ", application/json;q=0.9"}}, typename, 200, gqlResp, "", "", true},
		{"Accept */*", "POST", "/graphql", http.Header{"Content-Type": {"application/json"}, "Accept": {"text/html, */*;q=0.1"}}, typename, 200, "application/json", "", "", true},
		{"Accept nothing we produce", "POST", "/graphql", http.Header{"Content-Type": {"application/json"}, "Accept": {"text/html, application/xml"}}, typename, 406, "application/json", "", "BAD_USER_INPUT", false},
		{"mutation over GET", "GET", "/graphql?query=" + url.QueryEscape("mutation { __typename }"), http.Header{"Accept": {gqlResp}}, "", 405, gqlResp, "POST", "BAD_USER_INPUT", false},
		{"named mutation over GET", "GET", "/graphql?operationName=M&query=" + url.QueryEscape("query Q { __typename } mutation M { __typename }"), nil, "", 405, "application/json", "POST", "BAD_USER_INPUT", false},
		{"mutation over POST (the schema has none)", "POST", "/graphql", postJSON, jsonBody("mutation { __typename }", nil, nil), 200, "application/json", "", "GRAPHQL_VALIDATION_FAILED", false},
		{"PUT", "PUT", "/graphql", postJSON, typename, 405, "application/json", "GET, POST, OPTIONS", "BAD_USER_INPUT", false},
		{"OPTIONS without CORS", "OPTIONS", "/graphql", nil, "", 204, "", "GET, POST, OPTIONS", "", false},
		{"POST without Content-Type", "POST", "/graphql", nil, typename, 415, "application/json", "", "BAD_USER_INPUT", false},
		{"POST text/plain", "POST", "/graphql", http.Header{"Content-Type": {"text/plain"}}, typename, 415, "application/json", "", "BAD_USER_INPUT", false},
		{"POST form", "POST", "/graphql", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "query=%7B__typename%7D", 415, "application/json", "", "BAD_USER_INPUT", false},
		{"POST latin-1", "POST", "/graphql", http.Header{"Content-Type": {"application/json; charset=iso-8859-1"}}, typename, 415, "application/json", "", "BAD_USER_INPUT", false},
		{"malformed JSON", "POST", "/graphql", postJSON, `{"query": "{ __typename }"`, 400, "application/json", "", "BAD_USER_INPUT", false},
		{"a JSON array (no batching)", "POST", "/graphql", postJSON, `[` + typename + `]`, 400, "application/json", "", "BAD_USER_INPUT", false},
		{"a JSON string", "POST", "/graphql", postJSON, `"{ __typename }"`, 400, "application/json", "", "BAD_USER_INPUT", false},
		{"an empty body", "POST", "/graphql", postJSON, "", 400, "application/json", "", "BAD_USER_INPUT", false},
		{"no query", "POST", "/graphql", postJSON, `{"variables": {}}`, 400, "application/json", "", "BAD_USER_INPUT", false},
		{"a number for query", "POST", "/graphql", postJSON, `{"query": 1}`, 400, "application/json", "", "BAD_USER_INPUT", false},
		{"a string for variables", "POST", "/graphql", postJSON, `{"query": "{ __typename }", "variables": "{}"}`, 400, "application/json", "", "BAD_USER_INPUT", false},
		{"GET with variables that are not an object", "GET", "/graphql?query=" + url.QueryEscape("{ __typename }") + "&variables=%5B%5D", nil, "", 400, "application/json", "", "BAD_USER_INPUT", false},
		{"a parse error, application/json", "POST", "/graphql", postJSON, jsonBody("{", nil, nil), 200, "application/json", "", "GRAPHQL_PARSE_FAILED", false},
		{"a parse error, graphql-response+json", "POST", "/graphql", http.Header{"Content-Type": {"application/json"}, "Accept": {gqlResp}}, jsonBody("{", nil, nil), 400, gqlResp, "", "GRAPHQL_PARSE_FAILED", false},
		{"a validation error, graphql-response+json", "POST", "/graphql", http.Header{"Content-Type": {"application/json"}, "Accept": {gqlResp}}, jsonBody("{ nope }", nil, nil), 400, gqlResp, "", "GRAPHQL_VALIDATION_FAILED", false},
		{"a variable that does not coerce, graphql-response+json", "POST", "/graphql", http.Header{"Content-Type": {"application/json"}, "Accept": {gqlResp}},
			jsonBody("query($id: Int!) { spacecraft(ll2Id: $id) { name } }", map[string]any{"id": "x"}, nil), 400, gqlResp, "", "BAD_USER_INPUT", false},
		{"a field error, graphql-response+json", "POST", "/graphql", http.Header{"Content-Type": {"application/json"}, "Accept": {gqlResp}},
			jsonBody("{ allSpacecraft(first: 500) { totalCount } }", nil, nil), 200, gqlResp, "", "BAD_USER_INPUT", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, raw := h.send(tc.method, tc.path, tc.header, tc.body)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.status, raw)
			}
			if ct := resp.Header.Get("Content-Type"); tc.contentType != "" && ct != tc.contentType+"; charset=utf-8" {
				t.Errorf("Content-Type %q, want %s; charset=utf-8", ct, tc.contentType)
			}
			if got := resp.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
			if tc.status == http.StatusNoContent {
				return
			}
			// Messages speak of the request, not of the Go types that read it.
			if strings.Contains(string(raw), "Go value") || strings.Contains(string(raw), "json.RawMessage") {
				t.Errorf("the message leaks Go types: %s", raw)
			}
			r := decodeResponse(t, resp, raw)
			if tc.code != "" {
				r.errorWith(t, tc.code)
			} else if len(r.Errors) > 0 {
				t.Errorf("errors %+v", r.Errors)
			}
			var fields map[string]json.RawMessage
			_ = json.Unmarshal(raw, &fields)
			if _, has := fields["data"]; has != tc.data {
				t.Errorf("data entry present: %v, want %v: %s", has, tc.data, raw)
			}
		})
	}
}

// TestBodyLimit checks that a request over the body limit gets 413 (414 for a GET's
// query string) with a GraphQL-shaped JSON error, whether its length is declared or
// not, and that a request under it is served.
func TestBodyLimit(t *testing.T) {
	h := newHarness(t, gateway.Config{Protection: gateway.Protection{MaxBodyBytes: 1024}})
	pad := strings.Repeat(" ", 1100)
	big := jsonBody("{ __typename"+pad+"}", nil, nil)
	check := func(t *testing.T, resp *http.Response, raw []byte, status int) {
		t.Helper()
		if resp.StatusCode != status {
			t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, raw)
		}
		r := decodeResponse(t, resp, raw)
		e := r.errorWith(t, "BAD_USER_INPUT")
		if !strings.Contains(e.Message, "1024") {
			t.Errorf("message %q does not name the limit", e.Message)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type %q", ct)
		}
	}
	t.Run("declared length", func(t *testing.T) {
		resp, raw := h.send("POST", "/graphql", postJSON, big)
		check(t, resp, raw, http.StatusRequestEntityTooLarge)
	})
	t.Run("chunked", func(t *testing.T) {
		req, _ := http.NewRequest("POST", h.srv.URL+"/graphql", io.MultiReader(strings.NewReader(big)))
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = -1
		resp, err := rawClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		check(t, resp, raw, http.StatusRequestEntityTooLarge)
	})
	t.Run("GET query string", func(t *testing.T) {
		resp, raw := h.send("GET", "/graphql?query="+url.QueryEscape("{ __typename"+pad+"}"), nil, "")
		check(t, resp, raw, http.StatusRequestURITooLong)
	})
	t.Run("under the limit", func(t *testing.T) {
		resp, raw := h.send("POST", "/graphql", postJSON, jsonBody("{ __typename"+strings.Repeat(" ", 900)+"}", nil, nil))
		if r := decodeResponse(t, resp, raw); resp.StatusCode != 200 || len(r.Errors) > 0 {
			t.Errorf("status %d: %s", resp.StatusCode, raw)
		}
	})
}

// TestRequestTimeout checks that when the request's deadline passes while LL2 is slow
// the answer comes with an UPSTREAM_TIMEOUT error at the field that waited, that the
// gateway serves the next request, and that a wait deaf to the deadline does not hang
// the answer either.
func TestRequestTimeout(t *testing.T) {
	h := newHarness(t, gateway.Config{
		UpstreamTimeout: 3 * time.Second,
		LL2:             ll2server.Options{Latency: time.Second},
		Protection:      gateway.Protection{RequestTimeout: 50 * time.Millisecond},
	})
	r := h.do(`{ spacecraft(ll2Id: 242) { name } }`, nil)
	e := r.errorWith(t, "UPSTREAM_TIMEOUT")
	// LL2 answers in a second, within the upstream timeout: only the request's
	// deadline can have cut the call.
	if !slices.Equal(e.Path, []any{"spacecraft"}) {
		t.Errorf("error %+v: want it at spacecraft", e)
	}
	if string(r.Data) != `{"spacecraft":null}` || r.status != http.StatusOK {
		t.Errorf("status %d, data %s", r.status, r.Data)
	}
	h.g.LL2.SetOptions(ll2server.Options{})
	h.ok(`{ agency(ll2Id: 121) { name } }`, nil, nil)

	// nodes(ids:) over three families waits for a shared crawl of the families, which
	// does not end with one request's deadline: the deadline's last resort answers a
	// second after the deadline (504), while LL2 takes three.
	d := llScale()
	slow := newHarness(t, gateway.Config{Snapshot: &d, UpstreamTimeout: 10 * time.Second,
		LL2: ll2server.Options{Latency: 3 * time.Second}, Protection: gateway.Protection{RequestTimeout: 50 * time.Millisecond}})
	r = slow.do(fmt.Sprintf(`{ nodes(ids: [%q, %q, %q]) { id } }`, gid("Family", 1), gid("Family", 2), gid("Family", 3)), nil)
	e = r.errorWith(t, "UPSTREAM_TIMEOUT")
	if r.status == http.StatusGatewayTimeout && (e.Extensions["requestId"] != r.header.Get("X-Request-Id") || r.Data != nil) {
		t.Errorf("504: %+v, data %s: want the request id and no data", e, r.Data)
	}
}

// TestIntrospectionOff checks that with introspection off `__schema` and `__type` are
// refused before anything runs, `__typename` still works, and validation errors make
// no suggestions (which, with introspection on, they do).
func TestIntrospectionOff(t *testing.T) {
	off := newHarness(t, gateway.Config{Protection: gateway.Protection{IntrospectionOff: true}})
	on := newHarness(t, emptyConfig())
	for _, q := range []string{`{ __schema { types { name } } }`, `{ __type(name: "Spacecraft") { fields { name } } }`,
		`{ spacecraft(ll2Id: 242) { name } t: __type(name: "Query") { name } }`} {
		r := off.do(q, nil)
		e := r.errorWith(t, "GRAPHQL_VALIDATION_FAILED")
		if !strings.Contains(e.Message, "introspection is disabled") || string(r.Data) != "" {
			t.Errorf("%s: %+v, data %s", q, r.Errors, r.Data)
		}
		if r := on.do(q, nil); len(r.Errors) > 0 {
			t.Errorf("introspection on: %s: %+v", q, r.Errors)
		}
	}
	off.ok(`{ __typename spacecraft(ll2Id: 242) { __typename name } }`, nil, nil)
	typo := `{ spacecraft(ll2Id: 242) { nmae } }`
	if e := off.do(typo, nil).errorWith(t, "GRAPHQL_VALIDATION_FAILED"); strings.Contains(e.Message, "Did you mean") {
		t.Errorf("introspection off, a suggestion: %s", e.Message)
	}
	if e := on.do(typo, nil).errorWith(t, "GRAPHQL_VALIDATION_FAILED"); !strings.Contains(e.Message, `Did you mean "name"`) {
		t.Errorf("introspection on, no suggestion: %s", e.Message)
	}
	if off.calls() != 1 {
		t.Errorf("%d LL2 calls, want 1 (refused queries run nothing)", off.calls())
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func persisted(query string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha256Hex(query)}}
}

// getURL is a GET /graphql with the given parameters (JSON-encoded when not strings).
func getURL(params map[string]any) string {
	v := url.Values{}
	for k, p := range params {
		if s, ok := p.(string); ok {
			v.Set(k, s)
			continue
		}
		b, _ := json.Marshal(p)
		v.Set(k, string(b))
	}
	return "/graphql?" + v.Encode()
}

// TestAutomaticPersistedQueries runs Apollo's APQ round trip over POST and over GET:
// the hash alone is PERSISTED_QUERY_NOT_FOUND, the hash with the query registers and
// runs it, and then the hash alone runs it; a hash that does not match is refused.
func TestAutomaticPersistedQueries(t *testing.T) {
	const query = `query Dragon($id: Int!) { spacecraft(ll2Id: $id) { name } }`
	vars := map[string]any{"id": 569}
	want := `{"spacecraft":{"name":"Cargo Dragon"}}`
	for _, method := range []string{"POST", "GET"} {
		t.Run(method, func(t *testing.T) {
			h := newHarness(t, emptyConfig())
			send := func(query string, ext map[string]any) response {
				t.Helper()
				if method == "POST" {
					return h.sendGQL("POST", "/graphql", postJSON, jsonBody(query, vars, ext))
				}
				params := map[string]any{"variables": vars, "extensions": ext}
				if query != "" {
					params["query"] = query
				}
				return h.sendGQL("GET", getURL(params), nil, "")
			}
			r := send("", persisted(query))
			if e := r.errorWith(t, "PERSISTED_QUERY_NOT_FOUND"); e.Message != "PersistedQueryNotFound" || r.status != 200 {
				t.Errorf("status %d, error %+v: want 200 and Apollo's message", r.status, e)
			}
			if r := send(query, persisted(query)); len(r.Errors) > 0 || string(r.Data) != want {
				t.Fatalf("registering: %s %+v", r.Data, r.Errors)
			}
			if r := send("", persisted(query)); len(r.Errors) > 0 || string(r.Data) != want {
				t.Fatalf("by hash: %s %+v", r.Data, r.Errors)
			}
			if r := send("{ __typename }", persisted(query)); len(r.Errors) == 0 {
				t.Errorf("a hash that does not match the query was accepted")
			}
		})
	}
	t.Run("graphql-response+json", func(t *testing.T) {
		h := newHarness(t, emptyConfig())
		resp, raw := h.send("POST", "/graphql", http.Header{"Content-Type": {"application/json"}, "Accept": {"application/graphql-response+json"}},
			jsonBody("", vars, persisted(query)))
		decodeResponse(t, resp, raw).errorWith(t, "PERSISTED_QUERY_NOT_FOUND")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
}

// TestTrustedDocuments checks trusted-documents mode with each manifest format: the
// manifest's documents run by id (POST and GET) and by their text; anything else (an
// unknown id, another text, an APQ registration) is refused with
// PERSISTED_QUERY_NOT_FOUND and 400, before anything runs.
func TestTrustedDocuments(t *testing.T) {
	const spacecraft = `query Spacecraft($id: Int!) { spacecraft(ll2Id: $id) { name } }`
	const agency = `{ agency(ll2Id: 121) { name } }`
	apollo := fmt.Sprintf(`{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
		{"id": %q, "name": "Spacecraft", "type": "query", "body": %q},
		{"id": %q, "name": "Agency", "type": "query", "body": %q}]}`,
		sha256Hex(spacecraft), spacecraft, "agency-v1", agency)
	plain := fmt.Sprintf(`{%q: %q, %q: %q}`, sha256Hex(spacecraft), spacecraft, "agency-v1", agency)
	for _, manifest := range []struct{ name, text string }{{"apollo", apollo}, {"plain", plain}} {
		t.Run(manifest.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "manifest.json")
			if err := os.WriteFile(path, []byte(manifest.text), 0o600); err != nil {
				t.Fatal(err)
			}
			docs, err := graphqlhttp.LoadTrustedDocuments(path)
			if err != nil {
				t.Fatal(err)
			}
			if docs.Len() != 2 {
				t.Fatalf("%d documents", docs.Len())
			}
			h := newHarness(t, gateway.Config{Protection: gateway.Protection{TrustedDocuments: docs}})
			vars := map[string]any{"id": 569}
			byID := func(id string) map[string]any {
				return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": id}}
			}
			for _, ok := range []struct{ name, method, path, body string }{
				{"POST by id", "POST", "/graphql", jsonBody("", vars, byID(sha256Hex(spacecraft)))},
				{"GET by a non-hash id", "GET", getURL(map[string]any{"extensions": byID("agency-v1")}), ""},
				{"POST by text", "POST", "/graphql", jsonBody(spacecraft, vars, nil)},
			} {
				r := h.sendGQL(ok.method, ok.path, postJSON, ok.body)
				if r.status != 200 || len(r.Errors) > 0 || len(r.Data) < 20 {
					t.Errorf("%s: status %d: %s %+v", ok.name, r.status, r.Data, r.Errors)
				}
			}
			calls := h.calls()
			for _, bad := range []struct{ name, body string }{
				{"an unknown id", jsonBody("", nil, byID(sha256Hex("{ __typename }")))},
				{"another text", jsonBody(`{ spacecraft(ll2Id: 242) { name } }`, nil, nil)},
				{"an APQ registration", jsonBody(`{ __typename }`, nil, persisted(`{ __typename }`))},
				{"a manifest id with another text", jsonBody(`{ __typename }`, nil, byID("agency-v1"))},
				{"nothing", `{}`},
			} {
				resp, raw := h.send("POST", "/graphql", postJSON, bad.body)
				r := decodeResponse(t, resp, raw)
				r.errorWith(t, "PERSISTED_QUERY_NOT_FOUND")
				if resp.StatusCode != http.StatusBadRequest || r.Data != nil {
					t.Errorf("%s: status %d: %s", bad.name, resp.StatusCode, raw)
				}
			}
			if h.calls() != calls {
				t.Errorf("refused documents made %d LL2 calls", h.calls()-calls)
			}
		})
	}
	for _, bad := range []string{`[]`, `{"format": "other", "version": 1}`, `{"a": ""}`, `not JSON`} {
		if _, err := graphqlhttp.ParseTrustedDocuments([]byte(bad)); err == nil {
			t.Errorf("manifest %s accepted", bad)
		}
	}
	if _, err := graphqlhttp.LoadTrustedDocuments(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("a missing manifest loaded")
	}
}

// TestCORS checks preflights (answered, cached with Access-Control-Max-Age) and the
// headers of actual requests, for any origin by default and for a configured list.
func TestCORS(t *testing.T) {
	preflight := http.Header{"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"POST"},
		"Access-Control-Request-Headers": {"content-type"}}
	actual := http.Header{"Origin": {"https://app.example"}, "Content-Type": {"application/json"}}
	t.Run("default: any origin", func(t *testing.T) {
		h := newHarness(t, emptyConfig())
		resp, _ := h.send("OPTIONS", "/graphql", preflight, "")
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
			resp.Header.Get("Access-Control-Max-Age") != "3600" || !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.EqualFold(resp.Header.Get("Access-Control-Allow-Headers"), "content-type") {
			t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
		}
		resp, raw := h.send("POST", "/graphql", actual, jsonBody("{ __typename }", nil, nil))
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
			t.Errorf("actual request: %d %v %s", resp.StatusCode, resp.Header, raw)
		}
	})
	t.Run("a list of origins", func(t *testing.T) {
		h := newHarness(t, gateway.Config{Protection: gateway.Protection{CORSOrigins: []string{"https://app.example"}, CORSMaxAge: 10 * time.Minute}})
		resp, _ := h.send("OPTIONS", "/graphql", preflight, "")
		if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || resp.Header.Get("Access-Control-Max-Age") != "600" {
			t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
		}
		resp, _ = h.send("POST", "/graphql", actual, jsonBody("{ __typename }", nil, nil))
		if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || !slices.Contains(resp.Header.Values("Vary"), "Origin") {
			t.Errorf("allowed origin: %v", resp.Header)
		}
		other := http.Header{"Origin": {"https://evil.example"}, "Content-Type": {"application/json"}}
		resp, _ = h.send("POST", "/graphql", other, jsonBody("{ __typename }", nil, nil))
		if resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("another origin allowed: %v", resp.Header)
		}
	})
	t.Run("no origins", func(t *testing.T) {
		h := newHarness(t, gateway.Config{Protection: gateway.Protection{CORSOrigins: []string{}}})
		resp, _ := h.send("OPTIONS", "/graphql", preflight, "")
		if resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Allow") == "" {
			t.Errorf("preflight answered: %d %v", resp.StatusCode, resp.Header)
		}
	})
}

// TestGzip checks that answers are gzipped for clients that accept it (the ETag made
// weak, and still revalidating), not for others, and not when compression is off.
func TestGzip(t *testing.T) {
	const query = `{ allSpacecraft(first: 20) { nodes { id name serialNumber description } } }`
	path := getURL(map[string]any{"query": query})
	h := newHarness(t, emptyConfig())
	plainResp, plain := h.send("GET", path, nil, "")
	if plainResp.Header.Get("Content-Encoding") != "" || len(plain) < 2048 {
		t.Fatalf("without Accept-Encoding: %v, %d bytes", plainResp.Header, len(plain))
	}
	resp, raw := h.send("GET", path, http.Header{"Accept-Encoding": {"gzip"}}, "")
	if resp.Header.Get("Content-Encoding") != "gzip" || !slices.Contains(resp.Header.Values("Vary"), "Accept-Encoding") {
		t.Fatalf("with Accept-Encoding: gzip: %v", resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unzipped, plain) || len(raw) >= len(plain) {
		t.Errorf("gzipped %d bytes to %d (%v); equal: %v", len(plain), len(raw), err, bytes.Equal(unzipped, plain))
	}
	etag := resp.Header.Get("ETag")
	if etag != plainResp.Header.Get("ETag") || !strings.HasPrefix(etag, "W/") {
		t.Errorf("ETag %q gzipped, %q plain: want one weak tag for both", etag, plainResp.Header.Get("ETag"))
	}
	// The 304 carries the tag the 200 carried (it has no encoding to weaken it by).
	if resp, _ := h.send("GET", path, http.Header{"Accept-Encoding": {"gzip"}, "If-None-Match": {etag}}, ""); resp.StatusCode != http.StatusNotModified || resp.Header.Get("ETag") != etag {
		t.Errorf("revalidation with the weak ETag: %d, ETag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}

	off := newHarness(t, gateway.Config{Protection: gateway.Protection{GzipOff: true}})
	if resp, _ := off.send("GET", path, http.Header{"Accept-Encoding": {"gzip"}}, ""); resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("compression off, yet %v", resp.Header)
	}
}

// serveWith serves h's gateway with pieces the test owns (gateway.HandlerWith) in
// place of its own handler.
func (h *harness) serveWith(wrap func(http.Handler) http.Handler, fields graphql.FieldMiddleware) {
	h.t.Helper()
	srv := httptest.NewServer(gateway.HandlerWith(h.g, wrap, fields))
	h.t.Cleanup(srv.Close)
	h.srv = srv
}

// TestPanicsBecomeInternalErrors makes the gateway panic in a handler around its
// routes and in a resolver (pieces the test owns, put in through gateway.HandlerWith):
// the client gets an INTERNAL error carrying the request id and nothing of the panic,
// the log gets the detail and the stack under that id, /metrics counts the status the
// client got (a 500 for a panic in HTTP middleware, which no route served), and the
// gateway goes on serving.
func TestPanicsBecomeInternalErrors(t *testing.T) {
	boom := func(ctx context.Context) {
		if reqscope.From(ctx).ID() == "boom-1" {
			panic("secret detail 42")
		}
	}
	for _, tc := range []struct {
		stage  string
		wrap   func(http.Handler) http.Handler
		fields graphql.FieldMiddleware
		status int
		series string
	}{
		{"middleware", func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				boom(r.Context())
				next.ServeHTTP(w, r)
			})
		}, nil, http.StatusInternalServerError, `spacegraph_http_requests_total{code="500",method="post",route="unmatched"} 1`},
		{"resolver", nil, func(ctx context.Context, next graphql.Resolver) (any, error) {
			if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Object == "Query" {
				boom(ctx)
			}
			return next(ctx)
		}, http.StatusOK, `spacegraph_http_requests_total{code="200",method="post",route="/graphql"} 1`},
	} {
		t.Run(tc.stage, func(t *testing.T) {
			logs := &testkit.Buffer{}
			h := newHarness(t, gateway.Config{Logger: slog.New(slog.NewTextHandler(logs, nil)), Metrics: observe.New(observe.Options{})})
			h.serveWith(tc.wrap, tc.fields)
			resp, raw := h.send("POST", "/graphql", http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"boom-1"}},
				jsonBody(`{ spacecraft(ll2Id: 242) { name } }`, nil, nil))
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.status, raw)
			}
			r := decodeResponse(t, resp, raw)
			e := r.errorWith(t, "INTERNAL")
			if e.Extensions["requestId"] != "boom-1" || !strings.Contains(e.Message, "boom-1") {
				t.Errorf("error %+v: want the request id", e)
			}
			if bytes.Contains(raw, []byte("secret")) || bytes.Contains(raw, []byte(".go:")) {
				t.Errorf("the answer leaks the panic: %s", raw)
			}
			if l := logs.String(); !strings.Contains(l, "secret detail 42") || !strings.Contains(l, "boom-1") || !strings.Contains(l, "goroutine") {
				t.Errorf("the log lacks the detail, the id or the stack:\n%s", l)
			}
			if _, scrape := h.send("GET", "/metrics", nil, ""); !bytes.Contains(scrape, []byte(tc.series)) {
				t.Errorf("/metrics lacks %s:\n%s", tc.series, scrape)
			}
			h.ok(`{ spacecraft(ll2Id: 242) { name } }`, nil, nil)
		})
	}
}

// TestDeadlineLogLineCountsTheCallsSpent cuts a request with the deadline's last
// resort (a resolver middleware, the test's, that once its field has spent an LL2 call
// does not heed its context): the request's log line, written when the 504 goes out
// while the abandoned work still runs, tells the call and the request id the client
// got, because every layer reads the one record of the request.
func TestDeadlineLogLineCountsTheCallsSpent(t *testing.T) {
	logs := &testkit.Buffer{}
	release := make(chan struct{})
	h := newHarness(t, gateway.Config{
		Logger:     slog.New(slog.NewJSONHandler(logs, nil)),
		Protection: gateway.Protection{RequestTimeout: 200 * time.Millisecond},
	})
	t.Cleanup(func() { close(release) })
	h.serveWith(nil, func(ctx context.Context, next graphql.Resolver) (any, error) {
		res, err := next(ctx)
		if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Object == "Query" {
			<-release
		}
		return res, err
	})
	resp, raw := h.send("POST", "/graphql", http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"slow-2"}},
		jsonBody(`{ spacecraft(ll2Id: 242) { name } }`, nil, nil))
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504: %s", resp.StatusCode, raw)
	}
	var line map[string]any
	for l := range strings.SplitSeq(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(l), &rec) == nil && rec["msg"] == "request" {
			line = rec
		}
	}
	if line == nil || line["request_id"] != "slow-2" || line["status"] != 504.0 || line["upstream_calls"] != 1.0 {
		t.Errorf("the request's log line: %v\n%s", line, logs.String())
	}
}
