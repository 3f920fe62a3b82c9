package gateway_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/formatter"

	"spacegraph/gateway"
	"spacegraph/graph"
	"spacegraph/internal/testkit"
)

// The schema snapshots live in api/: the printed SDL of the executable schema (what
// clients see, descriptions included) and the introspection result, for frontend code
// generators. CI fails when the schema drifts from them; -update rewrites them.

// introspectionQuery is the standard full introspection query of GraphQL clients.
const introspectionQuery = gateway.IntrospectionQuery

func TestSchemaSnapshot(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithComments()).FormatSchema(schema)
	testkit.Golden(t, "../api/schema.graphql", b.Bytes())
	// What `spacegraph schema` prints is the same bytes.
	if !bytes.Equal(gateway.SchemaSDL(), b.Bytes()) {
		t.Error("gateway.SchemaSDL differs from the printed executable schema")
	}

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
	// What `spacegraph schema --json` prints is the same bytes.
	if exported, err := gateway.IntrospectionJSON(); err != nil || !bytes.Equal(exported, append(out, '\n')) {
		t.Errorf("gateway.IntrospectionJSON differs from the introspection answer (%v)", err)
	}
	if h.calls() != 0 {
		t.Errorf("introspection spent %d LL2 calls", h.calls())
	}
}
