package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"spacegraph/bench"
	"spacegraph/graph"
)

// measureSchema is a small schema with what the measure looks at: connections (by
// their type's name, one inside another's items), nodes(ids:), and introspection's
// lists (four fields of Item, an enum with a deprecated value).
const measureSchema = `
type Query {
  items(first: Int, last: Int): ItemConnection!
  groups(first: Int): GroupConnection!
  nodes(ids: [ID!]!): [Item]!
  item: Item
}
type ItemConnection { nodes: [Item!]! totalCount: Int! }
type GroupConnection { nodes: [Group!]! }
type Group { items(first: Int, last: Int): ItemConnection! }
type Item { id: ID! name: String kind: Kind tags: [String!] }
enum Kind { A B @deprecated(reason: "gone") C }
`

// TestMeasureOperation measures documents on measureSchema: page sizes from literals
// and from coerced variables (and the largest page from a value that is not a coerced
// Int, such as the string a lenient coercion let through), ids, aliases, and
// introspection at the schema's real list sizes.
func TestMeasureOperation(t *testing.T) {
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "measure.graphql", Input: measureSchema})
	if gerr != nil {
		t.Fatal(gerr)
	}
	types := len(schema.Types)
	// fields is the number of fields of every object type, introspection's included,
	// as __Type.fields lists them (without __schema and __type).
	fields := 0
	for _, def := range schema.Types {
		if def.Kind == ast.Object || def.Kind == ast.Interface {
			for _, f := range def.Fields {
				if !strings.HasPrefix(f.Name, "__") {
					fields++
				}
			}
		}
	}
	for _, tc := range []struct {
		name  string
		query string
		vars  map[string]any
		want  graph.Measure
	}{
		{"a connection's default page", `{ items { totalCount } }`, nil,
			graph.Measure{Depth: 2, Complexity: 1 + 10*1, RootFields: 1}},
		{"a literal page size", `{ items(first: 5) { nodes { id name } } }`, nil,
			graph.Measure{Depth: 3, Complexity: 1 + 5*(1+2), RootFields: 1}},
		{"a coerced variable page size", `query($n: Int) { items(first: $n) { totalCount } }`, map[string]any{"n": 100},
			graph.Measure{Depth: 2, Complexity: 1 + 100*1, RootFields: 1}},
		{"the larger of first and last", `{ items(first: 2, last: 7) { totalCount } }`, nil,
			graph.Measure{Depth: 2, Complexity: 1 + 7, RootFields: 1}},
		{"a page over the largest served counts as the largest", `{ items(first: 5000) { totalCount } }`, nil,
			graph.Measure{Depth: 2, Complexity: 1 + 100, RootFields: 1}},
		{"a string that no coercion turned into an Int counts as the largest page", `query($n: Int) { items(first: $n) { totalCount } }`,
			map[string]any{"n": "100"}, graph.Measure{Depth: 2, Complexity: 1 + 100, RootFields: 1}},
		{"a JSON number that no coercion turned into an Int counts as the largest page", `query($n: Int) { items(first: $n) { totalCount } }`,
			map[string]any{"n": json.Number("3")}, graph.Measure{Depth: 2, Complexity: 1 + 100, RootFields: 1}},
		{"a null page size is the default", `query($n: Int) { items(first: $n) { totalCount } }`, map[string]any{"n": nil},
			graph.Measure{Depth: 2, Complexity: 1 + 10, RootFields: 1}},
		{"last alone", `{ items(last: 4) { totalCount } }`, nil,
			graph.Measure{Depth: 2, Complexity: 1 + 4, RootFields: 1}},
		{"a negative page size counts as an empty page", `{ items(first: -5) { totalCount } }`, nil,
			graph.Measure{Depth: 2, Complexity: 1, RootFields: 1}},
		{"a connection in each item of a connection multiplies", `{ groups(first: 3) { nodes { items(first: 5) { totalCount } } } }`, nil,
			graph.Measure{Depth: 4, Complexity: 1 + 3*(1+(1+5*1)), RootFields: 1}},
		{"nested default pages", `{ groups { nodes { items { nodes { id } } } } }`, nil,
			graph.Measure{Depth: 5, Complexity: 1 + 10*(1+(1+10*(1+1))), RootFields: 1}},
		{"an inline fragment counts as its fields", `{ item { ... on Item { id name } } }`, nil,
			graph.Measure{Depth: 2, Complexity: 1 + 2, RootFields: 1}},
		{"nodes(ids:) per id", `{ nodes(ids: ["a", "b", "c"]) { id name } }`, nil,
			graph.Measure{Depth: 2, Complexity: 1 + 3*2, RootFields: 1}},
		{"nodes(ids:) from a variable", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []any{"a", "b"}},
			graph.Measure{Depth: 2, Complexity: 1 + 2, RootFields: 1}},
		{"aliases", `{ a: item { id } b: item { x: id } }`, nil,
			graph.Measure{Depth: 2, Complexity: 4, Aliases: 3, RootFields: 2}},
		{"a fragment counted where it is spread", `{ a: item { ...F } b: item { ...F } } fragment F on Item { n: name }`, nil,
			graph.Measure{Depth: 2, Complexity: 4, Aliases: 4, RootFields: 2}},
		{"__typename costs nothing", `{ __typename item { __typename id } }`, nil,
			graph.Measure{Depth: 2, Complexity: 2, RootFields: 2}},

		// Introspection is one level deep and costs the fields of its answer.
		{"every type's name", `{ __schema { types { name } } }`, nil,
			graph.Measure{Depth: 1, Complexity: 1 + 1 + types, RootFields: 1}},
		{"a type's fields and their types' names", `{ __type(name: "Item") { fields { name type { name } } } }`, nil,
			graph.Measure{Depth: 1, Complexity: 1 + 1 + 4*(1+1+1), RootFields: 1}},
		{"a type's ofType chain, as deep as it wraps", `{ __type(name: "Item") { fields { type { kind ofType { kind ofType { kind ofType { kind } } } } } } }`, nil,
			// id: ID! is NON_NULL of ID: type 1 + kind 1 + ofType (1 + kind 1 + ofType 1, null);
			// name, kind: a named type, ofType null: type 1 + kind 1 + ofType 1;
			// tags: [String!] is LIST of NON_NULL of String: type 1 + kind 1 + ofType (1 + kind
			// 1 + ofType (1 + kind 1 + ofType 1, null)).
			graph.Measure{Depth: 1, Complexity: 1 + 1 + (1 + 1 + 1 + 1 + 1) + 2*(1+1+1) + (1 + 1 + 1 + 1 + 1 + 1 + 1), RootFields: 1}},
		{"enum values without the deprecated", `{ __type(name: "Kind") { enumValues { name } } }`, nil,
			graph.Measure{Depth: 1, Complexity: 1 + 1 + 2, RootFields: 1}},
		{"enum values with the deprecated", `{ __type(name: "Kind") { enumValues(includeDeprecated: true) { name } } }`, nil,
			graph.Measure{Depth: 1, Complexity: 1 + 1 + 3, RootFields: 1}},
		{"a type that does not exist", `{ __type(name: "Nope") { name fields { name } } }`, nil,
			graph.Measure{Depth: 1, Complexity: 1, RootFields: 1}},
		{"the type's name from a variable", `query($t: String!) { __type(name: $t) { fields { name } } }`, map[string]any{"t": "ItemConnection"},
			graph.Measure{Depth: 1, Complexity: 1 + 1 + 2, RootFields: 1}},
		{"aliases multiply introspection", `{ __schema { a: types { name } b: types { name } c: types { name } } }`, nil,
			graph.Measure{Depth: 1, Complexity: 1 + 3*(1+types), Aliases: 3, RootFields: 1}},
		{"fragments spread in fragments multiply it too", `{ __schema { ...S } }
			fragment S on __Schema { a: types { ...T } b: types { ...T } }
			fragment T on __Type { a: fields { name } b: fields { name } }`, nil,
			// Each type: two aliases of its fields (1 + one per field).
			graph.Measure{Depth: 1, Complexity: 1 + 2*(1+2*types+2*fields), Aliases: 2 + 2*2, RootFields: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQueryWithRules(schema, tc.query, nil)
			if errs != nil {
				t.Fatal(errs)
			}
			if got := graph.MeasureOperation(schema, doc.Operations[0], tc.vars); got != tc.want {
				t.Errorf("measure %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestMeasureIntrospectionAbuse measures bench.IntrospectionAbuse (a few hundred
// bytes, an answer of over 4 MiB) and a document that nests ten aliases at each
// level: both measure more than ten times the default complexity limit, the measure
// of each fragment on each object computed once.
func TestMeasureIntrospectionAbuse(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	tenAliases := func(field, spread string) string {
		var b strings.Builder
		for i := range 10 {
			fmt.Fprintf(&b, " a%d: %s { %s }", i, field, spread)
		}
		return b.String()
	}
	for _, tc := range []struct{ name, query string }{
		{"bench.IntrospectionAbuse", bench.IntrospectionAbuse},
		{"ten aliases at each level", "{ __schema { ...S } }\n" +
			"fragment S on __Schema {" + tenAliases("types", "...T") + " }\n" +
			"fragment T on __Type {" + tenAliases("fields", "...F") + " }\n" +
			"fragment F on __Field {" + tenAliases("type", "...N") + " }\n" +
			"fragment N on __Type {" + tenAliases("ofType", "name") + " }"},
	} {
		doc, errs := gqlparser.LoadQueryWithRules(schema, tc.query, nil)
		if errs != nil {
			t.Fatal(errs)
		}
		if m := graph.MeasureOperation(schema, doc.Operations[0], nil); m.Complexity < 10*10000 {
			t.Errorf("%s: complexity %d: want it ten times over the default limit", tc.name, m.Complexity)
		}
	}
}

// TestCountTokens counts tokens as the parser's token limit does: comments count.
func TestCountTokens(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  int
	}{
		{`{ a }`, 3},
		{`{ a(x: "s", y: [1, 2]) { b } }`, 17},
		{"# one comment, however long " + strings.Repeat("x", 1000) + "\n{ a }", 4},
		{strings.Repeat("#\n", 50) + "{ a }", 53},
		{`{ a } "unterminated`, 3},
	} {
		if got := graph.CountTokens(tc.query); got != tc.want {
			t.Errorf("CountTokens(%.40q) = %d, want %d", tc.query, got, tc.want)
		}
	}
}

// TestCapErrors keeps the first hundred errors of a refused request and says that
// there were more.
func TestCapErrors(t *testing.T) {
	list := func(n int) gqlerror.List {
		out := make(gqlerror.List, n)
		for i := range out {
			out[i] = &gqlerror.Error{Message: fmt.Sprint(i)}
		}
		return out
	}
	for _, n := range []int{0, 1, 100, 101, 1500} {
		got := graph.CapErrors(list(n))
		want := min(n, 101)
		if len(got) != want {
			t.Errorf("%d errors: kept %d, want %d", n, len(got), want)
			continue
		}
		if n > 100 {
			last := got[100]
			if last.Message != "Too many validation errors, error limit reached. Validation aborted." || last.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
				t.Errorf("%d errors: the last kept is %+v", n, last)
			}
			if got[99].Message != "99" {
				t.Errorf("%d errors: the hundredth is %q", n, got[99].Message)
			}
		}
	}
}

// TestTooComplexMessage checks the message and extensions of each limit's error.
func TestTooComplexMessage(t *testing.T) {
	e := graph.TooComplex(graph.LimitDocumentBytes, 70000, 65536)
	if e.Message != "query too complex: its document size in bytes is 70000, 4464 over the limit of 65536" ||
		e.Extensions["limit"] != "documentBytes" || e.Extensions["maximum"] != 65536 || e.Extensions["actual"] != 70000 {
		t.Errorf("%+v", e)
	}
	if got := graph.TooComplex(graph.LimitComplexity, math.MaxInt32, 10000); !strings.Contains(got.Message, "complexity is 2147483647") {
		t.Errorf("%s", got.Message)
	}
}

// TestResponseLimit drops data over the bound, whole, for RESPONSE_TOO_LARGE, and
// passes everything else on.
func TestResponseLimit(t *testing.T) {
	data := json.RawMessage(`{"a":"` + strings.Repeat("x", 100) + `"}`)
	for _, tc := range []struct {
		name    string
		limit   int
		resp    *graphql.Response
		dropped bool
	}{
		{"no response", 10, nil, false},
		{"under the bound", 200, &graphql.Response{Data: data}, false},
		{"at the bound", len(data), &graphql.Response{Data: data}, false},
		{"over the bound", 50, &graphql.Response{Data: data, Extensions: map[string]any{"age": 3}}, true},
		{"no bound", 0, &graphql.Response{Data: data}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := graph.ResponseLimit{MaxBytes: tc.limit}.InterceptResponse(context.Background(), func(context.Context) *graphql.Response { return tc.resp })
			if !tc.dropped {
				if got != tc.resp {
					t.Errorf("got %+v, want the response unchanged", got)
				}
				return
			}
			if got.Data != nil || len(got.Errors) != 1 || got.Extensions["age"] != 3 {
				t.Fatalf("got %+v", got)
			}
			e := got.Errors[0]
			if e.Extensions["code"] != "RESPONSE_TOO_LARGE" || e.Extensions["maximum"] != 50 || e.Extensions["actual"] != len(data) ||
				e.Message != fmt.Sprintf("the answer is %d bytes, over the limit of 50: ask for fewer fields, smaller pages or fewer aliases", len(data)) {
				t.Errorf("error %+v", e)
			}
		})
	}
}
