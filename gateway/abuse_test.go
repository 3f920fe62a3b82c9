package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"spacegraph/bench"
	"spacegraph/gateway"
	"spacegraph/graph"
	"spacegraph/observe"
)

// This file holds abusive documents (testQueries leaves them out): small requests
// that would cost much, refused before they run.

// fullTypeTwelveTimes asks every type's full description twelve times over, under
// the alias limit.
func fullTypeTwelveTimes() string {
	var b strings.Builder
	b.WriteString("{ __schema {")
	for i := range 12 {
		fmt.Fprintf(&b, " t%d: types { ...FullType }", i)
	}
	b.WriteString(` } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } }
  inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`)
	return b.String()
}

// refused checks that r is a request error with the code and nothing else, and that
// nothing reached LL2.
func refused(t *testing.T, h *harness, r response, code string) gqlError {
	t.Helper()
	e := r.errorWith(t, code)
	if r.status != http.StatusOK || r.Data != nil {
		t.Errorf("status %d, data %s: want 200 and no data", r.status, r.Data)
	}
	if h.calls() != 0 {
		t.Errorf("%d LL2 calls for a refused request", h.calls())
	}
	return e
}

// TestIntrospectionIsMeasured sends introspection documents that multiply their
// answer through aliases and fragments: they are refused with QUERY_TOO_COMPLEX (the
// complexity limit, when the alias limit is off), while the introspection queries of
// clients run (TestLegitimateQueriesFitTheDefaults).
func TestIntrospectionIsMeasured(t *testing.T) {
	for _, tc := range []struct {
		name, query string
		prot        gateway.Protection
		limit       string
		message     string
	}{
		{"aliased introspection", bench.IntrospectionAbuse, gateway.Protection{}, "aliases", "number of aliases is 852"},
		{"aliased introspection, no alias limit", bench.IntrospectionAbuse, gateway.Protection{MaxAliases: -1}, "complexity", "complexity is 359557"},
		{"twelve full descriptions of every type", fullTypeTwelveTimes(), gateway.Protection{}, "complexity", "complexity is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, gateway.Config{Protection: tc.prot})
			e := refused(t, h, h.do(tc.query, nil), "QUERY_TOO_COMPLEX")
			if e.Extensions["limit"] != tc.limit || !strings.Contains(e.Message, tc.message) {
				t.Errorf("%s: want the %s limit, %q", e.Message, tc.limit, tc.message)
			}
		})
	}
}

// TestIntrospectionMeasureIsTheAnswer checks that the measure of introspection is the
// number of fields its answer holds (__typename aside), for the queries of clients
// and for documents with aliases, fragments, __type and includeDeprecated.
func TestIntrospectionMeasureIsTheAnswer(t *testing.T) {
	h := newHarness(t, emptyConfig())
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	queries := clientIntrospectionQueries(t)
	for i, q := range []string{
		`{ __schema { a: types { name kind } b: types { ...T } } } fragment T on __Type { name fields { name type { kind ofType { kind name } } } }`,
		`{ __type(name: "Agency") { name fields(includeDeprecated: false) { name args { name type { name } } } interfaces { name } } }`,
		`{ __type(name: "Node") { possibleTypes { name } } t: __type(name: "AgencyOrderField") { enumValues { name __typename } } }`,
		`{ __type(name: "AgencyFilter") { inputFields { name defaultValue type { kind ofType { kind ofType { name } } } } } }`,
		`{ __schema { directives { name locations args(includeDeprecated: true) { name } } queryType { name } mutationType { name } } }`,
	} {
		queries = append(queries, clientQuery{fmt.Sprintf("document %d", i), q})
	}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQueryWithRules(schema, q.query, nil)
			if errs != nil {
				t.Fatal(errs)
			}
			m := graph.MeasureOperation(schema, doc.Operations[0], nil)
			r := h.do(q.query, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("errors %+v", r.Errors)
			}
			var data any
			decode(t, r, &data)
			if n := countFields(data); n != m.Complexity {
				t.Errorf("measured %d, the answer holds %d fields", m.Complexity, n)
			}
		})
	}
}

// countFields counts the fields of an answer, __typename aside.
func countFields(v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k != "__typename" {
				n += 1 + countFields(x)
			}
		}
	case []any:
		for _, x := range v {
			n += countFields(x)
		}
	}
	return n
}

// TestResponseSizeLimit checks the bound on one answer: over it, the client gets
// RESPONSE_TOO_LARGE with null data (an executed operation, so 200 in either media
// type; never a body cut short), which no cache keeps; under it, the answer is served
// and cached; the metrics count it as an error with its code. With the defaults,
// aliased introspection, had its complexity not been measured, is refused by size.
func TestResponseSizeLimit(t *testing.T) {
	const query = `{ allSpacecraft(first: 20) { nodes { id name description } } }`
	h := newHarness(t, gateway.Config{Protection: gateway.Protection{MaxResponseBytes: 2000}, Metrics: observe.New(observe.Options{})})
	for _, accept := range []string{"application/json", "application/graphql-response+json"} {
		for range 2 {
			resp, raw := h.send("POST", "/graphql", http.Header{"Content-Type": {"application/json"}, "Accept": {accept}}, jsonBody(query, nil, nil))
			r := decodeResponse(t, resp, raw)
			e := r.errorWith(t, "RESPONSE_TOO_LARGE")
			if resp.StatusCode != http.StatusOK || string(r.Data) != "null" || len(r.Errors) != 1 ||
				resp.Header.Get("X-Cache") == "HIT" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: status %d, data %s, headers %v", accept, resp.StatusCode, r.Data, resp.Header)
			}
			actual, _ := e.Extensions["actual"].(float64)
			if e.Extensions["maximum"] != 2000.0 || actual <= 2000 || !strings.Contains(e.Message, "over the limit of 2000") {
				t.Errorf("error %+v", e)
			}
		}
	}
	if _, metrics := h.send("GET", "/metrics", nil, ""); !strings.Contains(string(metrics), `outcome="error"`) ||
		!strings.Contains(string(metrics), `code="RESPONSE_TOO_LARGE"`) {
		t.Errorf("the metrics do not count the refusals by their code")
	}
	small := `{ spacecraft(ll2Id: 242) { name } }`
	h.ok(small, nil, nil)
	if resp, _ := h.send("POST", "/graphql", postJSON, jsonBody(small, nil, nil)); resp.Header.Get("X-Cache") != "HIT" {
		t.Errorf("an answer under the limit was not cached: %v", resp.Header)
	}

	t.Run("the default catches aliased introspection", func(t *testing.T) {
		h := newHarness(t, gateway.Config{Protection: gateway.Protection{MaxComplexity: -1, MaxAliases: -1}})
		r := h.do(bench.IntrospectionAbuse, nil)
		if e := r.errorWith(t, "RESPONSE_TOO_LARGE"); e.Extensions["maximum"] != float64(gateway.DefaultMaxResponseBytes) || string(r.Data) != "null" {
			t.Errorf("error %+v, data %.100s", e, r.Data)
		}
	})
}

// nestedFirst is a document whose page sizes all come from one variable.
const nestedFirst = `query($n: Int) { allSpacecraft(first: $n) { nodes { spacecraftConfig { spacecraft(first: $n) { nodes {
	spacecraftConfig { spacecraft(first: $n) { nodes { id name } } } } } } } } }`

// TestVariablesAreCoercedAsTheSpecSays sends variables that a lenient coercion took
// (a string for an Int, which the complexity rule counted as the default page while
// the resolver read 100) or mangled: each gets graphql-js's request error, code
// BAD_USER_INPUT, before anything runs; numbers that are integers however written
// run, and measure what runs.
func TestVariablesAreCoercedAsTheSpecSays(t *testing.T) {
	for _, tc := range []struct {
		name    string
		query   string
		vars    string // JSON
		prot    gateway.Protection
		code    string
		message string
		arg     string
	}{
		{"a string for an Int", nestedFirst, `{"n": "100"}`, gateway.Protection{}, "BAD_USER_INPUT",
			`Variable "$n" got invalid value "100"; Int cannot represent non-integer value: "100"`, "$n"},
		{"an Int", nestedFirst, `{"n": 100}`, gateway.Protection{}, "QUERY_TOO_COMPLEX",
			"query too complex: its complexity is 3030301,", ""},
		{"an Int written 100.0", nestedFirst, `{"n": 100.0}`, gateway.Protection{}, "QUERY_TOO_COMPLEX",
			"query too complex: its complexity is 3030301,", ""},
		{"an Int written 1e2", nestedFirst, `{"n": 1e2}`, gateway.Protection{}, "QUERY_TOO_COMPLEX",
			"query too complex: its complexity is 3030301,", ""},
		{"an Int too large for any number", nestedFirst, `{"n": 1e400}`, gateway.Protection{}, "BAD_USER_INPUT",
			`Variable "$n" got invalid value Infinity; Int cannot represent non-integer value: Infinity`, "$n"},
		{"an Int over 32 bits", nestedFirst, `{"n": 4294967396}`, gateway.Protection{}, "BAD_USER_INPUT",
			`Variable "$n" got invalid value 4294967396; Int cannot represent non 32-bit signed integer value: 4294967396`, "$n"},
		{"a string in a nested input object", `query($f: AgencyFilter) { allAgencies(filter: $f) { totalCount } }`,
			`{"f": {"foundingYear": {"gte": "1950"}}}`, gateway.Protection{}, "BAD_USER_INPUT",
			`Variable "$f" got invalid value "1950" at "f.foundingYear.gte"; Int cannot represent non-integer value: "1950"`, "$f.foundingYear.gte"},
		{"an enum value in lower case", `query($o: AgencyOrder) { allAgencies(orderBy: $o) { totalCount } }`,
			`{"o": {"field": "name"}}`, gateway.Protection{}, "BAD_USER_INPUT",
			`Variable "$o" got invalid value "name" at "o.field"; Value "name" does not exist in "AgencyOrderField" enum. Did you mean the enum value "NAME"`, "$o.field"},
		{"an enum value in lower case, suggestions off", `query($o: AgencyOrder) { allAgencies(orderBy: $o) { totalCount } }`,
			`{"o": {"field": "name"}}`, gateway.Protection{IntrospectionOff: true}, "BAD_USER_INPUT",
			`Variable "$o" got invalid value "name" at "o.field"; Value "name" does not exist in "AgencyOrderField" enum.`, "$o.field"},
		{"a number for a Boolean", `query($f: AgencyFilter) { allAgencies(filter: $f) { totalCount } }`,
			`{"f": {"featured": 1}}`, gateway.Protection{}, "BAD_USER_INPUT",
			`Variable "$f" got invalid value 1 at "f.featured"; Boolean cannot represent a non boolean value: 1`, "$f.featured"},
		{"a required variable missing", `query($id: Int!) { spacecraft(ll2Id: $id) { name } }`, `{}`, gateway.Protection{}, "BAD_USER_INPUT",
			`Variable "$id" of required type "Int!" was not provided.`, "$id"},
		{"two operations and no name", `query A { __typename } query B { __typename }`, `{}`, gateway.Protection{}, "GRAPHQL_VALIDATION_FAILED",
			"Must provide operation name if query contains multiple operations.", ""},
		{"no operation", `fragment F on Query { __typename }`, `{}`, gateway.Protection{}, "GRAPHQL_VALIDATION_FAILED",
			"Must provide an operation.", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, gateway.Config{Protection: tc.prot})
			body := fmt.Sprintf(`{"query": %q, "variables": %s}`, tc.query, tc.vars)
			r := h.sendGQL("POST", "/graphql", postJSON, body)
			e := refused(t, h, r, tc.code)
			if !strings.HasPrefix(e.Message, tc.message) || (tc.code == "BAD_USER_INPUT" && e.Extensions["argument"] != tc.arg) {
				t.Errorf("error %+v: want %q naming %s", e, tc.message, tc.arg)
			}
			if tc.prot.IntrospectionOff && strings.Contains(e.Message, "Did you mean") {
				t.Errorf("a suggestion with introspection off: %s", e.Message)
			}
		})
	}

	t.Run("an unknown operation name", func(t *testing.T) {
		h := newHarness(t, emptyConfig())
		r := h.sendGQL("POST", "/graphql", postJSON, `{"query": "query A { __typename }", "operationName": "B"}`)
		if e := refused(t, h, r, "GRAPHQL_VALIDATION_FAILED"); e.Message != `Unknown operation named "B".` {
			t.Errorf("message %q", e.Message)
		}
	})
	t.Run("every variable's errors", func(t *testing.T) {
		h := newHarness(t, emptyConfig())
		r := h.sendGQL("POST", "/graphql", postJSON,
			`{"query": "query($a: Int, $b: [String!]) { allSpacecraft(first: $a) { totalCount } allAgencies(filter: {countryCode: $b}) { totalCount } }",
			  "variables": {"a": "1", "b": ["USA", 2, null]}}`)
		var got []string
		for _, e := range r.Errors {
			got = append(got, fmt.Sprint(e.Extensions["argument"]))
		}
		if strings.Join(got, " ") != "$a $b[1] $b[2]" || r.Data != nil {
			t.Errorf("errors at %v (%+v), want $a, $b[1] and $b[2]", got, r.Errors)
		}
	})
	t.Run("over GET", func(t *testing.T) {
		h := newHarness(t, emptyConfig())
		r := h.sendGQL("GET", "/graphql?"+url.Values{"query": {nestedFirst}, "variables": {`{"n": "100"}`}}.Encode(), nil, "")
		if e := refused(t, h, r, "BAD_USER_INPUT"); e.Extensions["argument"] != "$n" {
			t.Errorf("error %+v", e)
		}
	})
	t.Run("integers however written run as integers", func(t *testing.T) {
		h := newHarness(t, emptyConfig())
		for _, n := range []string{"2", "2.0", "2e0", "0.2e1"} {
			r := h.sendGQL("POST", "/graphql", postJSON,
				fmt.Sprintf(`{"query": "query($n: Int) { allSpacecraft(first: $n) { nodes { id } } }", "variables": {"n": %s}}`, n))
			var data struct {
				AllSpacecraft struct{ Nodes []json.RawMessage }
			}
			if r.Data == nil {
				t.Fatalf("first: %s: %+v", n, r.Errors)
			}
			decode(t, r, &data)
			if len(data.AllSpacecraft.Nodes) != 2 {
				t.Errorf("first: %s: %d nodes (%+v)", n, len(data.AllSpacecraft.Nodes), r.Errors)
			}
		}
	})
}

// manyErrors is a document that makes 1,500 validation errors (a list of numbers
// where strings go) behind a comment of commentBytes.
func manyErrors(commentBytes int) string {
	return "# " + strings.Repeat("x", commentBytes) + "\n{ allAgencies(filter: {countryCode: [" +
		strings.Repeat("1 ", 1500) + "]}) { totalCount } }"
}

// TestRefusalsAreCheap sends documents that are costly to refuse: 1,500 validation
// errors are answered with the first hundred (each naming its argument) and one
// saying there were more; a document of 200 KB, most of it a comment, is refused by
// its size before it is parsed; one of three thousand comment lines by its tokens,
// comments counted.
func TestRefusalsAreCheap(t *testing.T) {
	h := newHarness(t, emptyConfig())
	r := h.do(manyErrors(50<<10), nil)
	if len(r.Errors) != 101 || r.Data != nil {
		t.Fatalf("%d errors, data %s: want 101 and no data", len(r.Errors), r.Data)
	}
	for _, e := range r.Errors[:100] {
		if e.Extensions["code"] != "BAD_USER_INPUT" || e.Extensions["argument"] != "filter.countryCode" {
			t.Fatalf("error %+v: want BAD_USER_INPUT naming filter.countryCode", e)
		}
	}
	if last := r.Errors[100]; last.Message != "Too many validation errors, error limit reached. Validation aborted." ||
		last.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("the last error %+v", last)
	}

	e := refused(t, h, h.do(manyErrors(200<<10), nil), "QUERY_TOO_COMPLEX")
	if e.Extensions["limit"] != "documentBytes" || e.Extensions["maximum"] != float64(gateway.DefaultMaxDocumentBytes) {
		t.Errorf("error %+v: want the document size limit", e)
	}

	comments := strings.Repeat("# a comment\n", 3000) + "{ __typename }"
	e = refused(t, h, h.do(comments, nil), "QUERY_TOO_COMPLEX")
	if e.Extensions["limit"] != "tokens" || !strings.Contains(e.Message, "number of tokens is 3003,") {
		t.Errorf("error %+v: want the token limit, comments counted", e)
	}
}
