package graph

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
)

// TestFastStringsAsGQLGen holds the fast executor's JSON strings to gqlgen's
// MarshalString, byte for byte, over the characters either escapes: the data the
// differential test runs over holds few of them.
func TestFastStringsAsGQLGen(t *testing.T) {
	cases := []string{
		"", "plain", `a "quoted" word`, `back\slash`, "line\nbreak\r\n\ttab",
		"\x00\x01\x1f\x7f controls", "é, ü, 中文, 🚀", "invalid \xff\xfe utf-8", "\u2028\u2029 separators",
		"</script><b>&amp;", "trailing \\",
	}
	// Every byte at every position of the eight-byte steps and their tails.
	for c := range 256 {
		for at := range 19 {
			b := []byte(strings.Repeat("abcdefgh", 3)[:19])
			b[at] = byte(c)
			cases = append(cases, string(b))
		}
	}
	for _, s := range cases {
		var want bytes.Buffer
		graphql.MarshalString(s).MarshalGQL(&want)
		var w fastWriter
		w.str(s)
		if !bytes.Equal(w.b, want.Bytes()) {
			t.Errorf("%q: fast %s, gqlgen %s", s, w.b, want.Bytes())
		}
	}
}

// TestNodesFieldContextAsGQLGen holds nodesFieldContext to gqlgen's field context of
// Query.nodes: the same arguments, whether the ids are string literals (read as they
// are, escapes included) or anything else (gqlgen's own), and the same flags.
func TestNodesFieldContextAsGQLGen(t *testing.T) {
	cases := []struct {
		name, query string
		vars        map[string]any
	}{
		{"string literals", `{ nodes(ids: ["U3BhY2VjcmFmdDox", "QWdlbmN5OjQ0", "U3BhY2VjcmFmdDox"]) { id } }`, nil},
		{"an escaped literal", `{ nodes(ids: ["a\u0062\"c", ""]) { id } }`, nil},
		{"no ids", `{ nodes(ids: []) { id } }`, nil},
		{"an int literal", `{ nodes(ids: ["U3BhY2VjcmFmdDox", 7]) { id } }`, nil},
		{"a variable", `query ($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []any{"U3BhY2VjcmFmdDox", "x"}}},
		{"a variable element", `query ($id: ID!) { nodes(ids: ["U3BhY2VjcmFmdDox", $id]) { id } }`, map[string]any{"id": "QWdlbmN5OjQ0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			schema := NewExecutableSchema(Config{}).Schema()
			doc, errs := gqlparser.LoadQueryWithRules(schema, c.query, nil)
			if errs != nil {
				t.Fatal(errs)
			}
			opCtx := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: c.vars}
			ctx := graphql.WithOperationContext(context.Background(), opCtx)
			ec := newExecutionContext(opCtx, nil, nil)
			field := graphql.CollectFields(opCtx, doc.Operations[0].SelectionSet, []string{"Query"})[0]
			got, err := nodesFieldContext(ec, ctx, field)
			if err != nil {
				t.Fatal(err)
			}
			want, err := ec.fieldContext_Query_nodes(ctx, field)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Args, want.Args) || len(got.Args["ids"].([]string)) != len(want.Args["ids"].([]string)) {
				t.Errorf("args %#v, gqlgen's %#v", got.Args, want.Args)
			}
			if got.Object != want.Object || got.IsMethod != want.IsMethod || got.IsResolver != want.IsResolver ||
				got.Field.Name != want.Field.Name || got.Field.Alias != want.Field.Alias {
				t.Errorf("field context %+v, gqlgen's %+v", got, want)
			}
			_, gotErr := got.Child(ctx, field)
			_, wantErr := want.Child(ctx, field)
			if gotErr == nil || wantErr == nil || gotErr.Error() != wantErr.Error() {
				t.Errorf("Child: %v, gqlgen's %v", gotErr, wantErr)
			}
		})
	}
}
