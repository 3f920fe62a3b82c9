package gateway_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestStrictJSONParameters checks that JSON in a request is read strictly, and alike
// over GET and POST: trailing data after a value, a name given twice in an object (at
// the top or deep in the variables) and invalid UTF-8 are refused with 400,
// BAD_USER_INPUT and a message in the client's terms, where a lenient reader would
// run one of the two meanings.
func TestStrictJSONParameters(t *testing.T) {
	h := newHarness(t, emptyConfig())
	const q = `query($id: Int) { spacecraft(ll2Id: $id) { name } }`
	get := func(params string) string {
		return "/graphql?query=" + url.QueryEscape(q) + "&" + params
	}
	for _, tc := range []struct {
		name, method, path, body string
		want                     string // in the message
	}{
		{"GET variables with trailing data", "GET", get("variables=" + url.QueryEscape(`{"id":242}junk`)), "",
			"the variables parameter is not valid JSON: more follows the JSON value (at byte 10)"},
		{"GET variables followed by a second object", "GET", get("variables=" + url.QueryEscape(`{"id":242} {"id":569}`)), "",
			"the variables parameter is not valid JSON: more follows the JSON value"},
		{"GET extensions with trailing data", "GET", get("extensions=" + url.QueryEscape(`{}x`)), "",
			"the extensions parameter is not valid JSON: more follows the JSON value (at byte 2)"},
		{"GET a variable twice", "GET", get("variables=" + url.QueryEscape(`{"id":242,"id":569}`)), "",
			`the variables parameter is not valid JSON: the name "id" appears twice in one object`},
		{"GET a name twice deep in the variables", "GET", get("variables=" + url.QueryEscape(`{"f":{"a":[{"b":1,"b":2}]}}`)), "",
			`the variables parameter is not valid JSON: the name "b" appears twice in one object in /f/a/0`},
		{"POST query twice", "POST", "/graphql", `{"query": "{ __typename }", "query": "` + q + `"}`,
			`the request body is not valid JSON: the name "query" appears twice in one object`},
		{"POST a variable twice", "POST", "/graphql", `{"query": "` + q + `", "variables": {"id": 242, "id": 569}}`,
			`the request body is not valid JSON: the name "id" appears twice in one object in /variables`},
		{"POST a name twice deep in the extensions", "POST", "/graphql", `{"query": "{ __typename }", "extensions": {"x": {"y": 1, "y": 1}}}`,
			`the request body is not valid JSON: the name "y" appears twice in one object in /extensions/x`},
		{"POST with trailing data", "POST", "/graphql", `{"query": "{ __typename }"} {"query": "` + q + `"}`,
			"the request body is not valid JSON: more follows the JSON value (at byte 28)"},
		{"POST invalid UTF-8", "POST", "/graphql", "{\"query\": \"{ __typename }\", \"operationName\": \"\xff\"}",
			"the request body is not valid JSON: invalid UTF-8"},
		{"POST cut short", "POST", "/graphql", `{"query": "{ __typename }"`,
			"the request body is not valid JSON: it ends before the JSON value does (at byte 26)"},
		{"POST variables that are not an object", "POST", "/graphql", `{"query": "{ __typename }", "variables": [1]}`,
			"the variables parameter must be an object"},
		{"GET variables that are not an object", "GET", get("variables=" + url.QueryEscape(`[1]`)), "",
			"the variables parameter must be an object"},
		{"POST a number for the query", "POST", "/graphql", `{"query": 1}`,
			"the query parameter must be a string"},
		{"POST a batch", "POST", "/graphql", `[{"query": "{ __typename }"}]`,
			"batches of operations (a JSON array) are not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var header http.Header
			if tc.method == "POST" {
				header = postJSON
			}
			resp, raw := h.send(tc.method, tc.path, header, tc.body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", resp.StatusCode, raw)
			}
			r := decodeResponse(t, resp, raw)
			e := r.errorWith(t, "BAD_USER_INPUT")
			if !strings.Contains(e.Message, tc.want) {
				t.Errorf("message %q, want it to contain %q", e.Message, tc.want)
			}
			if r.Data != nil || strings.Contains(e.Message, "Go ") || strings.Contains(e.Message, "jsontext") {
				t.Errorf("answer %s", raw)
			}
		})
	}
	// The strict reader keeps what the lenient one accepted: whitespace around the
	// value, null parameters.
	for _, ok := range []struct{ method, path, body string }{
		{"GET", get("variables=" + url.QueryEscape(" {\"id\": 242}\n")), ""},
		{"POST", "/graphql", " {\"query\": \"" + q + "\", \"variables\": {\"id\": 242}, \"extensions\": null, \"operationName\": null}\n"},
	} {
		var header http.Header
		if ok.method == "POST" {
			header = postJSON
		}
		resp, raw := h.send(ok.method, ok.path, header, ok.body)
		if r := decodeResponse(t, resp, raw); resp.StatusCode != 200 || len(r.Errors) > 0 || !strings.Contains(string(raw), `"name"`) {
			t.Errorf("%s %s: %d %s", ok.method, ok.path, resp.StatusCode, raw)
		}
	}
}
