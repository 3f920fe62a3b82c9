package gateway_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/formatter"

	"spacegraph/graph"
	"spacegraph/internal/testkit"
)

// The schema snapshots live in api/: the printed SDL of the executable schema (what
// clients see, descriptions included) and the introspection result, for frontend code
// generators. CI fails when the schema drifts from them; -update rewrites them.

// introspectionQuery is the standard full introspection query of GraphQL clients.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

func TestSchemaSnapshot(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithComments()).FormatSchema(schema)
	testkit.Golden(t, "../api/schema.graphql", b.Bytes())

	// The printed schema must say what the source says: every type, field, argument and
	// enum value of the contract described.
	for _, typ := range schema.Types {
		if typ.BuiltIn || strings.HasPrefix(typ.Name, "__") {
			continue
		}
		if typ.Description == "" {
			t.Errorf("type %s has no description", typ.Name)
		}
		for _, f := range typ.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if f.Description == "" {
				t.Errorf("field %s.%s has no description", typ.Name, f.Name)
			}
			for _, a := range f.Arguments {
				if a.Description == "" {
					t.Errorf("argument %s.%s(%s) has no description", typ.Name, f.Name, a.Name)
				}
			}
		}
		for _, v := range typ.EnumValues {
			if v.Description == "" {
				t.Errorf("enum value %s.%s has no description", typ.Name, v.Name)
			}
		}
	}
}

func TestIntrospectionSnapshot(t *testing.T) {
	h := newHarness(t, emptyConfig())
	r := h.do(introspectionQuery, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("introspection failed: %+v", r.Errors)
	}
	var v any
	if err := json.Unmarshal(r.Data, &v); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(map[string]any{"data": v}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "../api/introspection.json", append(out, '\n'))
	if h.calls() != 0 {
		t.Errorf("introspection spent %d LL2 calls", h.calls())
	}
}
