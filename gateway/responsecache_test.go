package gateway_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"spacegraph/gateway"
	"spacegraph/graphqlhttp"
	"spacegraph/internal/testkit"
	"spacegraph/internal/testkit/redistest"
)

// TestResponseCacheKeysOnTheDocument checks that the response cache keys a document by
// its tokens: the same document written with other whitespace, commas, comments or
// string escapes, over GET or POST, is a HIT with the same answer, while a document
// whose answer differs in shape (an alias, the order of fields) or content (an
// argument) is not.
func TestResponseCacheKeysOnTheDocument(t *testing.T) {
	h := newHarness(t, emptyConfig())
	const base = `{ allSpacecraft(first: 3, search: "Dragon") { nodes { name id } } }`
	first, want := h.send("POST", "/graphql", postJSON, jsonBody(base, nil, nil))
	if first.StatusCode != 200 || first.Header.Get("X-Cache") != "" || strings.Contains(string(want), `"errors"`) {
		t.Fatalf("first: %d x-cache %q %s", first.StatusCode, first.Header.Get("X-Cache"), want)
	}
	for _, tc := range []struct {
		name, doc string
		hit       bool
	}{
		{"the same text", base, true},
		{"other whitespace", "\n\t{allSpacecraft( first:3 search:\"Dragon\" ){\n  nodes {\r\n name\n id } } }  \n", true},
		{"commas", `{ allSpacecraft(first: 3, search: "Dragon",) { nodes { name, id, } }, }`, true},
		{"comments", "# the dragons\n{ allSpacecraft(first: 3, search: \"Dragon\") { # three\n nodes { name id } } } # end", true},
		{"a string escape", `{ allSpacecraft(first: 3, search: "Drag\u006fn") { nodes { name id } } }`, true},
		{"a block string", `{ allSpacecraft(first: 3, search: """Dragon""") { nodes { name id } } }`, true},
		{"an alias", `{ allSpacecraft(first: 3, search: "Dragon") { nodes { title: name id } } }`, false},
		{"another field order", `{ allSpacecraft(first: 3, search: "Dragon") { nodes { id name } } }`, false},
		{"another argument", `{ allSpacecraft(first: 2, search: "Dragon") { nodes { name id } } }`, false},
		{"a comment inside a string", `{ allSpacecraft(first: 3, search: "Dragon #x") { nodes { name id } } }`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := h.calls()
			for _, method := range []string{"POST", "GET"} {
				var resp *http.Response
				var raw []byte
				if method == "POST" {
					resp, raw = h.send("POST", "/graphql", postJSON, jsonBody(tc.doc, nil, nil))
				} else {
					resp, raw = h.send("GET", "/graphql?query="+url.QueryEscape(tc.doc), nil, "")
				}
				hit := resp.Header.Get("X-Cache") == "HIT"
				if resp.StatusCode != 200 || strings.Contains(string(raw), `"errors"`) {
					t.Fatalf("%s: %d %s", method, resp.StatusCode, raw)
				}
				if tc.hit && (!hit || string(raw) != string(want)) {
					t.Errorf("%s: x-cache %q, answer %s; want a HIT with %s", method, resp.Header.Get("X-Cache"), raw, want)
				}
				if !tc.hit && method == "POST" && (hit || string(raw) == string(want)) {
					t.Errorf("%s: x-cache %q, answer %s: another document's answer", method, resp.Header.Get("X-Cache"), raw)
				}
			}
			if tc.hit && h.calls() != calls {
				t.Errorf("a HIT spent %d calls", h.calls()-calls)
			}
		})
	}

	// With trusted documents only the manifest's very texts run: another text of the
	// same tokens is refused, not answered from the cache.
	docs, err := graphqlhttp.ParseTrustedDocuments([]byte(fmt.Sprintf(`{"a": %q}`, base)))
	if err != nil {
		t.Fatal(err)
	}
	trusted := newHarness(t, gateway.Config{Protection: gateway.Protection{TrustedDocuments: docs}})
	for range 2 {
		if resp, raw := trusted.send("POST", "/graphql", postJSON, jsonBody(base, nil, nil)); resp.StatusCode != 200 {
			t.Fatalf("the trusted document: %d %s", resp.StatusCode, raw)
		}
	}
	resp, raw := trusted.send("POST", "/graphql", postJSON, jsonBody(base+" # not in the manifest", nil, nil))
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Cache") == "HIT" || !strings.Contains(string(raw), "PERSISTED_QUERY_NOT_FOUND") {
		t.Errorf("a variant of a trusted document: %d x-cache %q %s", resp.StatusCode, resp.Header.Get("X-Cache"), raw)
	}
}

// TestResponseCacheStoresBoundedAnswers checks ResponseCacheMaxBytes: an answer
// within it is stored, a larger one is served in full and computed again next time.
func TestResponseCacheStoresBoundedAnswers(t *testing.T) {
	d := llScale()
	h := newHarness(t, gateway.Config{Snapshot: &d, ResponseCacheMaxBytes: 2048})
	for _, tc := range []struct {
		doc    string
		stored bool
	}{
		{`{ allSpacecraft(first: 3) { nodes { name } } }`, true},
		{`{ allSpacecraft(first: 50) { nodes { name serialNumber } } }`, false},
	} {
		first, want := h.send("POST", "/graphql", postJSON, jsonBody(tc.doc, nil, nil))
		second, raw := h.send("POST", "/graphql", postJSON, jsonBody(tc.doc, nil, nil))
		r1, r2 := decodeResponse(t, first, want), decodeResponse(t, second, raw)
		if first.StatusCode != 200 || second.StatusCode != 200 || string(r1.Data) != string(r2.Data) || len(r1.Errors)+len(r2.Errors) > 0 {
			t.Fatalf("%s: %d, %d: %.200s", tc.doc, first.StatusCode, second.StatusCode, raw)
		}
		if hit := second.Header.Get("X-Cache") == "HIT"; hit != tc.stored {
			t.Errorf("%s (%d bytes): stored %v, want %v", tc.doc, len(want), hit, tc.stored)
		}
		if cc := second.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "public, max-age=") {
			t.Errorf("%s: Cache-Control %q: an answer too large for this cache is still one a CDN may keep", tc.doc, cc)
		}
	}
}

// TestSharedResponseCacheAdmitsRepeatedAnswers runs two replicas on one Redis: an
// answer asked for once is not stored in the shared cache (a client looping over
// one-off documents would fill it), one asked for again is, and then serves the other
// replica.
func TestSharedResponseCacheAdmitsRepeatedAnswers(t *testing.T) {
	redisURL, prefix := redistest.URL(t)
	a := newHarness(t, gateway.Config{RedisURL: redisURL, RedisPrefix: prefix})
	b := newHarness(t, gateway.Config{RedisURL: redisURL, RedisPrefix: prefix})
	ask := func(h *harness, doc string) bool {
		t.Helper()
		resp, raw := h.send("POST", "/graphql", postJSON, jsonBody(doc, nil, nil))
		if resp.StatusCode != 200 || strings.Contains(string(raw), `"errors"`) {
			t.Fatalf("%s: %d %s", doc, resp.StatusCode, raw)
		}
		return resp.Header.Get("X-Cache") == "HIT"
	}
	const once, twice = `{ spacecraft(ll2Id: 242) { name } }`, `{ spacecraft(ll2Id: 569) { name } }`
	ask(a, once)
	if ask(b, once) {
		t.Error("an answer asked for once was stored in the shared cache")
	}
	ask(a, twice)
	// The same document in other words is asked for again.
	ask(a, "{spacecraft(ll2Id:569){name}} # again")
	if !ask(b, twice) {
		t.Error("an answer asked for twice was not stored in the shared cache")
	}
}

// TestResponseCacheOutcomeInTheLogLine checks the request's record through the whole
// handler: the log line of a first request tells the LL2 call it spent and the id the
// client sent, that of the same request again tells that the response cache answered
// it (no operation ran, no call was spent).
func TestResponseCacheOutcomeInTheLogLine(t *testing.T) {
	logs := &testkit.Buffer{}
	h := newHarness(t, gateway.Config{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	for _, id := range []string{"first-1", "again-2"} {
		header := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {id}}
		if resp, raw := h.send("POST", "/graphql", header, jsonBody(`{ spacecraft(ll2Id: 242) { name } }`, nil, nil)); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", id, resp.StatusCode, raw)
		}
	}
	var lines []map[string]any
	for l := range strings.SplitSeq(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(l), &rec) == nil && rec["msg"] == "request" {
			lines = append(lines, rec)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("%d request lines:\n%s", len(lines), logs.String())
	}
	if l := lines[0]; l["request_id"] != "first-1" || l["upstream_calls"] != 1.0 || l["cache"] != "miss" || l["outcome"] != "ok" {
		t.Errorf("first request: %v", l)
	}
	if l := lines[1]; l["request_id"] != "again-2" || l["upstream_calls"] != 0.0 || l["cache"] != "response-hit" || l["operation"] != "" {
		t.Errorf("the same request again: %v", l)
	}
}

// TestResponseCacheKeepsDataNamedErrors checks that the response cache tells an
// answer with errors by the operation's errors, not by its bytes: data with a field
// aliased errors is kept and served again, an answer with an error is not.
func TestResponseCacheKeepsDataNamedErrors(t *testing.T) {
	d := llScale()
	h := newHarness(t, gateway.Config{Snapshot: &d})
	for _, tc := range []struct {
		doc    string
		stored bool
	}{
		{`{ errors: allSpacecraft(first: 2) { nodes { name } } }`, true},
		{`{ spacecraft(ll2Id: -1) { name } }`, false},
	} {
		h.send("POST", "/graphql", postJSON, jsonBody(tc.doc, nil, nil))
		second, raw := h.send("POST", "/graphql", postJSON, jsonBody(tc.doc, nil, nil))
		if second.StatusCode != 200 {
			t.Fatalf("%s: %d: %.200s", tc.doc, second.StatusCode, raw)
		}
		if hit := second.Header.Get("X-Cache") == "HIT"; hit != tc.stored {
			t.Errorf("%s: stored %v, want %v: %.200s", tc.doc, hit, tc.stored, raw)
		}
	}
}
