package graph_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"spacegraph/graph"
)

// coercionCases is testdata/coercion.json: variable values and what the spec's
// coercion makes of them, checked against graphql-js by the gateway's conformance
// tests.
type coercionCases struct {
	Schema string `json:"schema"`
	Cases  []struct {
		Name      string          `json:"name"`
		Query     string          `json:"query"`
		Variables json.RawMessage `json:"variables"`
		Coerced   json.RawMessage `json:"coerced"`
		Errors    []string        `json:"errors"`
	} `json:"cases"`
}

func loadCoercionCases(t *testing.T) (coercionCases, *ast.Schema) {
	t.Helper()
	b, err := os.ReadFile("testdata/coercion.json")
	if err != nil {
		t.Fatal(err)
	}
	var c coercionCases
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "coercion.graphql", Input: c.Schema})
	if gerr != nil {
		t.Fatal(gerr)
	}
	return c, schema
}

// decodeVariables decodes variables as the transport does: numbers as json.Number.
func decodeVariables(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var vars map[string]any
	if err := dec.Decode(&vars); err != nil {
		t.Fatal(err)
	}
	return vars
}

// TestCoerceVariables checks CoerceVariables on every case of testdata/coercion.json:
// the coerced values (compared as JSON), or graphql-js's messages, each error with
// code BAD_USER_INPUT and the variable in extensions.argument.
func TestCoerceVariables(t *testing.T) {
	cases, schema := loadCoercionCases(t)
	for _, tc := range cases.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			doc, gerrs := gqlparser.LoadQueryWithRules(schema, tc.Query, nil)
			if gerrs != nil {
				t.Fatal(gerrs)
			}
			got, errs := graph.CoerceVariables(schema, doc.Operations[0], decodeVariables(t, tc.Variables), false)
			var messages []string
			for _, e := range errs {
				messages = append(messages, e.Message)
				arg, _ := e.Extensions["argument"].(string)
				if e.Extensions["code"] != "BAD_USER_INPUT" || !strings.HasPrefix(arg, "$") || len(e.Locations) != 1 {
					t.Errorf("error %q: extensions %v, locations %v", e.Message, e.Extensions, e.Locations)
				}
			}
			if !slices.Equal(messages, tc.Errors) {
				t.Errorf("errors\n  %q\nwant\n  %q", messages, tc.Errors)
			}
			if tc.Coerced == nil {
				return
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			var gotJSON, wantJSON any
			_ = json.Unmarshal(b, &gotJSON)
			_ = json.Unmarshal(tc.Coerced, &wantJSON)
			if !reflect.DeepEqual(gotJSON, wantJSON) {
				t.Errorf("coerced %s, want %s", b, tc.Coerced)
			}
		})
	}
}
