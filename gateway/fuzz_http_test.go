package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"spacegraph/gateway"
)

// fuzzMethods are picked by the fuzzer's method byte. A byte rather than a string,
// so that the fuzzer spends its time on the request and not on inventing method
// names, which all end in the same 405.
var fuzzMethods = [...]string{
	http.MethodGet, http.MethodPost, http.MethodPut,
	http.MethodOptions, http.MethodHead, http.MethodDelete,
}

// The method bytes of the seeds, by fuzzMethods' order.
const (
	fuzzGET byte = iota
	fuzzPOST
	fuzzPUT
	fuzzOPTIONS
	fuzzHEAD
	fuzzDELETE
)

// The two answer media types, as the gateway writes them: a client's parser keys on
// the exact value, so a stray variant is a bug too.
const (
	fuzzCTJSON     = "application/json; charset=utf-8"
	fuzzCTResponse = "application/graphql-response+json; charset=utf-8"
)

// fuzzStatuses are the statuses /graphql may answer a request that did not time out.
// Listing them, rather than only refusing 5xx, makes a new kind of answer a failure
// to look at rather than something that slips through.
var fuzzStatuses = map[int]bool{
	http.StatusOK:                    true,
	http.StatusNoContent:             true, // OPTIONS without a CORS preflight
	http.StatusBadRequest:            true,
	http.StatusMethodNotAllowed:      true,
	http.StatusNotAcceptable:         true,
	http.StatusRequestEntityTooLarge: true,
	http.StatusRequestURITooLong:     true,
	http.StatusUnsupportedMediaType:  true,
}

// FuzzGraphQLHTTP serves arbitrary requests to /graphql through the whole handler
// (middleware, response cache, transport, executor) over the embedded snapshot. Every
// answer must keep the promises a client relies on: no 5xx, GraphQL-shaped JSON in one
// of the two media types, an extensions.code on every error, data only with 200, and
// errors never cacheable. The committed corpus is in testdata/fuzz/FuzzGraphQLHTTP.
//
// When fuzzing, pass -fuzzminimizetime=3s: with the default of 60s, minimising each
// new large body stalls every worker for half a minute at a time (0 execs/sec in the
// log), which reads like a hang and is not one.
func FuzzGraphQLHTTP(f *testing.F) {
	// One gateway for every execution: building one loads the snapshot, far slower
	// than serving a request. Its caches then carry state from one input to the next,
	// as in production, so a failure may need the inputs served before it: rerun the
	// whole corpus directory, not just the failing file.
	h := newHarness(f, emptyConfig())
	handler := h.g.Handler

	typename := jsonBody("{ __typename }", nil, nil)
	for _, s := range []struct {
		method              byte
		contentType, accept string
		rawQuery            string
		body                string
	}{
		{fuzzPOST, "application/json", "", "", jsonBody("query($id: Int) { spacecraft(ll2Id: $id) { id name } }", map[string]any{"id": 242}, nil)},
		{fuzzGET, "", "", "query=" + url.QueryEscape("{ allAgencies(first: 2) { nodes { name } } }"), ""},
		{fuzzGET, "", "application/graphql-response+json", "query=" + url.QueryEscape("mutation { __typename }"), ""},
		{fuzzPOST, "application/json", "application/graphql-response+json", "", jsonBody("{ nope }", nil, nil)},
		{fuzzPOST, "application/json", "", "", `{"query": "{ __typename }"`},
		{fuzzPOST, "application/json", "", "", `[` + typename + `]`},
		{fuzzPOST, "text/plain", "", "", typename},
		{fuzzPOST, "application/json", "", "", jsonBody("", nil, map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": "00"}})},
		{fuzzPOST, "application/json", "application/graphql-response+json", "", jsonBody(nested(12), nil, nil)},
		{fuzzPOST, "application/json", "", "", jsonBody(aliasFlood(60), nil, nil)},
		// Just over the default body limit: the one refusal the corpus files cannot
		// hold without weighing a quarter of a megabyte each.
		{fuzzPOST, "application/json", "", "", `{"query": "{ __typename }", "variables": {"pad": "` + strings.Repeat("x", gateway.DefaultMaxBodyBytes) + `"}}`},
		{fuzzOPTIONS, "", "", "", ""},
	} {
		f.Add(s.method, s.contentType, s.accept, s.rawQuery, []byte(s.body))
	}

	f.Fuzz(func(t *testing.T, m byte, contentType, accept, rawQuery string, body []byte) {
		method := fuzzMethods[int(m)%len(fuzzMethods)]
		req := httptest.NewRequest(method, "/graphql", bytes.NewReader(body))
		req.URL.RawQuery = asRequestTarget(rawQuery)
		req.RequestURI = req.URL.RequestURI()
		contentType, accept = asHeaderValue(contentType), asHeaderValue(accept)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		rec := httptest.NewRecorder()
		start := time.Now()
		handler.ServeHTTP(rec, req) // a panic that escapes the gateway fails the test
		elapsed := time.Since(start)

		res := rec.Result()
		raw := rec.Body.Bytes()
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("%s %q (Content-Type %q, Accept %q, body %.300q): status %d, Content-Type %q: %s\nanswer: %.500s",
				method, req.URL.RawQuery, contentType, accept, body, res.StatusCode, res.Header.Get("Content-Type"), fmt.Sprintf(format, args...), raw)
		}

		switch {
		case res.StatusCode == http.StatusGatewayTimeout && elapsed >= gateway.DefaultRequestTimeout:
			// The deadline's answer: slow, not broken. It still has to be well formed.
		case !fuzzStatuses[res.StatusCode]:
			fail("unexpected status")
		}
		switch method {
		case http.MethodOptions:
			if res.StatusCode != http.StatusNoContent || len(raw) != 0 || res.Header.Get("Allow") == "" {
				fail("OPTIONS must be 204 with Allow and no body")
			}
			return
		case http.MethodGet, http.MethodPost:
		default:
			if res.StatusCode != http.StatusMethodNotAllowed {
				fail("only GET, POST and OPTIONS are served")
			}
		}
		if res.StatusCode == http.StatusMethodNotAllowed && res.Header.Get("Allow") == "" {
			fail("405 without Allow")
		}

		ct := res.Header.Get("Content-Type")
		if ct != fuzzCTJSON && ct != fuzzCTResponse {
			fail("not a GraphQL media type")
		}
		if ct == fuzzCTResponse && !strings.Contains(strings.ToLower(accept), "application/graphql-response+json") {
			fail("application/graphql-response+json that Accept did not ask for")
		}
		if !utf8.Valid(raw) {
			fail("the answer is not UTF-8")
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(raw, &top); err != nil {
			fail("the answer is not a JSON object: %v", err)
		}
		for k := range top {
			if k != "data" && k != "errors" && k != "extensions" {
				fail("unexpected top-level entry %q", k)
			}
		}
		_, hasData := top["data"]
		rawErrs, hasErrs := top["errors"]
		switch {
		case !hasData && !hasErrs:
			fail("neither data nor errors")
		case hasData && res.StatusCode != http.StatusOK:
			fail("data with a status other than 200")
		case !hasData && res.StatusCode == http.StatusOK && ct == fuzzCTResponse:
			// graphql-response+json says a request that did not run is a 4xx.
			fail("a request error answered 200 in application/graphql-response+json")
		}
		if !hasErrs {
			return
		}
		// A CDN or browser must never reuse an answer that carries errors.
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			fail("errors with Cache-Control %q", cc)
		}
		var list []map[string]json.RawMessage
		if err := json.Unmarshal(rawErrs, &list); err != nil || len(list) == 0 {
			fail("errors is not a non-empty list of objects (%v)", err)
		}
		for i, e := range list {
			for k := range e {
				if k != "message" && k != "locations" && k != "path" && k != "extensions" {
					fail("error %d has an unexpected entry %q", i, k)
				}
			}
			var msg string
			if json.Unmarshal(e["message"], &msg) != nil || strings.TrimSpace(msg) == "" {
				fail("error %d has no message", i)
			}
			var ext struct {
				Code *string `json:"code"`
			}
			if json.Unmarshal(e["extensions"], &ext) != nil || ext.Code == nil || *ext.Code == "" {
				fail("error %d has no extensions.code", i)
			}
			// INTERNAL is what a recovered resolver panic becomes: the status is 200,
			// so only the code tells that the gateway broke on this input.
			if *ext.Code == "INTERNAL" {
				fail("error %d is INTERNAL", i)
			}
		}
	})
}

// asRequestTarget percent-encodes the bytes that cannot reach a handler in a
// request target (net/http answers 400 itself for control characters, and a space
// ends the target), as a client would, so that the fuzzer does not chase requests no
// server could receive.
func asRequestTarget(rawQuery string) string {
	var b strings.Builder
	for i := 0; i < len(rawQuery); i++ {
		if c := rawQuery[i]; c <= ' ' || c == 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(rawQuery[i])
	}
	return b.String()
}

// asHeaderValue is v as net/http would hand it over: without the control characters
// it refuses (tab aside) and without surrounding blanks, which textproto trims.
func asHeaderValue(v string) string {
	// Byte by byte: strings.Map would turn invalid UTF-8, which headers may carry,
	// into U+FFFD.
	b := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if c := v[i]; c >= ' ' && c != 0x7f || c == '\t' {
			b = append(b, c)
		}
	}
	return strings.Trim(string(b), " \t")
}
