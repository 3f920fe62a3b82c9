package graphqlhttp

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestResponseJSONAsMarshal checks that responseJSON gives json.Marshal's bytes for
// every shape of response, HTML-sensitive characters and errors included.
func TestResponseJSONAsMarshal(t *testing.T) {
	yes := true
	data := json.RawMessage(`{"a":"x","b":[1,2,{"c":null}]}`)
	for name, resp := range map[string]*graphql.Response{
		"data":                 {Data: data},
		"data and extensions":  {Data: data, Extensions: map[string]any{"age": 12, "stale": true}},
		"html in strings":      {Data: json.RawMessage(`{"a":"<b>&amp;</b>","b":"x>y"}`)},
		"line separators":      {Data: json.RawMessage("{\"a\":\"x\u2028y\u2029z\",\"b\":\"€ – ‘q’\"}")},
		"escapes kept":         {Data: json.RawMessage(`{"a":"\"\\\n\u0001"}`)},
		"errors":               {Data: data, Errors: gqlerror.List{{Message: "bad <thing>", Path: ast.Path{ast.PathName("a")}}}},
		"errors, no data":      {Errors: gqlerror.List{{Message: "m"}}},
		"null data":            {Data: json.RawMessage(`null`)},
		"no data":              {},
		"incremental fields":   {Data: data, Label: "l", Path: ast.Path{ast.PathName("a"), ast.PathIndex(1)}, HasNext: &yes},
		"empty extensions map": {Data: data, Extensions: map[string]any{}},
	} {
		want, wantErr := json.Marshal(resp)
		// A reused buffer, as the pool lends them: what an earlier answer left must go.
		buf := bytes.NewBufferString("an earlier answer")
		buf.Reset()
		err := responseJSON(buf, resp)
		got := buf.Bytes()
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s (%v)\nwant %s (%v)", name, got, err, want, wantErr)
		}
	}
}

// BenchmarkReadPOST measures reading a POST's parameters: a typical request (a
// document of half a kilobyte and a few variables) and a large one (a 200 KB
// document and 2,000 variables' worth of list).
func BenchmarkReadPOST(b *testing.B) {
	q := strings.Repeat("{ allSpacecraft(first: 10) { nodes { id name spacecraftConfig { name agency { name } } } } }\n", 5)
	small, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{"id": 12, "first": 10, "s": "abc", "f": map[string]any{"a": []any{1, 2, 3}}}})
	large, _ := json.Marshal(map[string]any{"query": strings.Repeat(q, 400), "variables": map[string]any{"ids": make([]int, 2000)}})
	for _, c := range []struct {
		name string
		body []byte
	}{{"typical", small}, {"large", large}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				r := &http.Request{Body: io.NopCloser(bytes.NewReader(c.body))}
				if _, status, msg := readPOST(r); status != 0 {
					b.Fatal(msg)
				}
			}
		})
	}
}
