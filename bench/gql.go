package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"

	"spacegraph/snapshot"
	"spacegraph/snapshot/synthetic"
)

// LL2Scale returns the synthetic LL2-scale snapshot (600 spacecraft, 46
// configurations, 311 agencies, 30 families), generated once per process.
var LL2Scale = sync.OnceValue(func() snapshot.Data { return synthetic.Generate(synthetic.LL2Scale()) })

// Body returns the JSON body of a GraphQL request.
func Body(query string, variables map[string]any) []byte {
	req := map[string]any{"query": query}
	if len(variables) > 0 {
		req["variables"] = variables
	}
	b, err := json.Marshal(req)
	if err != nil {
		panic(err) // strings and JSON-safe values only
	}
	return b
}

// GQLError is an error of a GraphQL response.
type GQLError struct {
	// Message is the error's text.
	Message string `json:"message"`
	// Extensions carries the error's code.
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// Answer is the part of a GraphQL response the scenarios read.
type Answer struct {
	// Data is the response's data.
	Data json.RawMessage `json:"data"`
	// Errors are the response's errors.
	Errors []GQLError `json:"errors"`
	// Extensions tell whether a stale copy stood in for LL2 and the data's age.
	Extensions struct {
		Stale bool `json:"stale"`
		Age   int  `json:"age"`
	} `json:"extensions"`
}

// Codes returns the distinct error codes of the answer, sorted ("" for an error
// without a code).
func (a Answer) Codes() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range a.Errors {
		if !seen[e.Extensions.Code] {
			seen[e.Extensions.Code] = true
			out = append(out, e.Extensions.Code)
		}
	}
	sort.Strings(out)
	return out
}

// Serve posts body to h in-process and decodes the answer.
func Serve(h http.Handler, body []byte) (status int, raw []byte, a Answer, err error) {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	raw = rec.Body.Bytes()
	if err := json.Unmarshal(raw, &a); err != nil {
		return rec.Code, raw, a, fmt.Errorf("the answer is not JSON (status %d): %w: %.200s", rec.Code, err, raw)
	}
	return rec.Code, raw, a, nil
}

// ServeOK posts a query to h in-process and fails unless it is answered with data
// and no error.
func ServeOK(h http.Handler, body []byte) ([]byte, Answer, error) {
	status, raw, a, err := Serve(h, body)
	if err != nil {
		return raw, a, err
	}
	if status != http.StatusOK || len(a.Errors) > 0 {
		msgs := make([]string, len(a.Errors))
		for i, e := range a.Errors {
			msgs[i] = e.Extensions.Code + ": " + e.Message
		}
		return raw, a, fmt.Errorf("status %d, errors [%s] for %.300s", status, strings.Join(msgs, "; "), body)
	}
	return raw, a, nil
}
