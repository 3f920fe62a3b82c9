package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/vektah/gqlparser/v2/formatter"

	"spacegraph/graph"
)

// This file gives the contract without a server, for the schema snapshot tests of
// frontend repositories (`spacegraph schema`, `spacegraph schema --json`): the same
// bytes as api/schema.graphql and api/introspection.json, which the gateway's tests
// keep in step with the executable schema.

// IntrospectionQuery is the standard full introspection query of GraphQL clients, the
// one api/introspection.json answers.
const IntrospectionQuery = `query IntrospectionQuery {
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

// SchemaSDL returns the printed schema, descriptions included: api/schema.graphql.
func SchemaSDL() []byte {
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithComments()).FormatSchema(schema)
	return b.Bytes()
}

// IntrospectionJSON returns the answer of IntrospectionQuery, indented, as a gateway
// over the embedded snapshot gives it (introspection makes no LL2 call):
// api/introspection.json.
func IntrospectionJSON() ([]byte, error) {
	g, err := New(Config{})
	if err != nil {
		return nil, err
	}
	defer g.Close()
	body, _ := json.Marshal(map[string]any{"query": IntrospectionQuery})
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	g.Handler.ServeHTTP(w, r)
	var resp struct {
		Data   any               `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != http.StatusOK || len(resp.Errors) > 0 {
		return nil, fmt.Errorf("introspection: status %d, %v: %s", w.Code, err, strings.TrimSpace(w.Body.String()))
	}
	out, err := json.MarshalIndent(map[string]any{"data": resp.Data}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
