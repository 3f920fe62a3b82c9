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
// coercion makes of them, checked against graphql-js by graphqlhttp's conformance
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

// TestCoerceVariablesBeyondGraphQLJS checks what testdata/coercion.json cannot: the
// error limit, IDs past 2^53 (every digit kept, where JavaScript rounds), suggestions
// hidden, and values built in Go rather than decoded from JSON.
func TestCoerceVariablesBeyondGraphQLJS(t *testing.T) {
	_, schema := loadCoercionCases(t)
	op := func(query string) *ast.OperationDefinition {
		t.Helper()
		doc, errs := gqlparser.LoadQueryWithRules(schema, query, nil)
		if errs != nil {
			t.Fatal(errs)
		}
		return doc.Operations[0]
	}

	t.Run("at most fifty errors, then one saying so", func(t *testing.T) {
		items := make([]any, 60)
		for i := range items {
			items[i] = "x"
		}
		_, errs := graph.CoerceVariables(schema, op(`query($l: [Int!]) { f(l: $l) }`), map[string]any{"l": items}, false)
		if len(errs) != 51 || errs[49].Extensions["argument"] != "$l[49]" ||
			errs[50].Message != "Too many errors processing variables, error limit reached. Execution aborted." || errs[50].Locations != nil {
			t.Errorf("%d errors, the last two %+v %+v", len(errs), errs[len(errs)-2], errs[len(errs)-1])
		}
	})
	t.Run("an ID past 2^53 keeps its digits", func(t *testing.T) {
		got, errs := graph.CoerceVariables(schema, op(`query($id: ID) { f(id: $id) }`), decodeVariables(t, []byte(`{"id": 12345678901234567890}`)), false)
		if errs != nil || got["id"] != "12345678901234567890" {
			t.Errorf("%v %v", got, errs)
		}
	})
	t.Run("no suggestions", func(t *testing.T) {
		_, errs := graph.CoerceVariables(schema, op(`query($e: Color, $o: Filter) { f(e: $e, o: $o) }`),
			map[string]any{"e": "green", "o": map[string]any{"size": 1, "nmae": "x"}}, true)
		if len(errs) != 2 || strings.Contains(errs[0].Message+errs[1].Message, "Did you mean") {
			t.Errorf("%v", errs)
		}
	})
	t.Run("values built in Go", func(t *testing.T) {
		name := "x"
		got, errs := graph.CoerceVariables(schema,
			op(`query($n: Int, $x: Float, $l: [Int!], $o: Filter, $id: ID) { f(i: $n, fl: $x, l: $l, o: $o, id: $id) }`),
			map[string]any{"n": int64(7), "x": float32(0.5), "l": []int{1, 2}, "o": map[string]any{"size": uint8(3), "name": &name}, "id": 9.0}, false)
		want := map[string]any{"n": 7, "x": 0.5, "l": []any{1, 2}, "o": map[string]any{"size": 3, "name": "x", "color": "RED"}, "id": "9"}
		if errs != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("got %#v (%v)\nwant %#v", got, errs, want)
		}
	})
}
