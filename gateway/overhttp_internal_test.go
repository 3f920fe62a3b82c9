package gateway

import (
	"bytes"
	"encoding/json"
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
		got, err := responseJSON(resp)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s (%v)\nwant %s (%v)", name, got, err, want, wantErr)
		}
	}
}
