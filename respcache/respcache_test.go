package respcache_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"spacegraph/economy"
	"spacegraph/graphqlhttp"
	"spacegraph/reqscope"
	"spacegraph/respcache"
)

// TestOnlyCleanAnswersAreKept checks how the cache tells an answer with errors: by
// what the transport recorded (reqscope's SetAnswer), so that data with a field
// aliased errors is kept, and an answer with errors is not; without a record, by the
// bytes.
func TestOnlyCleanAnswersAreKept(t *testing.T) {
	for _, tc := range []struct {
		name     string
		record   func(*reqscope.Record)
		body     string
		wantKept bool
	}{
		{"clean, recorded", func(r *reqscope.Record) { r.SetAnswer(false) }, `{"data":{"errors":"a field aliased errors"}}`, true},
		{"errors, recorded", func(r *reqscope.Record) { r.SetAnswer(true) }, `{"errors":[{"message":"x"}],"data":null}`, false},
		{"clean, not recorded", func(*reqscope.Record) {}, `{"data":{"name":"x"}}`, true},
		{"errors, not recorded", func(*reqscope.Record) {}, `{"errors":[{"message":"x"}],"data":null}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := economy.NewMemoryStore(1 << 20)
			runs := 0
			h := reqscope.Middleware(respcache.New(respcache.Options{Store: store}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				runs++
				tc.record(reqscope.From(r.Context()))
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, tc.body)
			})))
			for range 2 {
				req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ a }"}`))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Body.String() != tc.body {
					t.Fatalf("answer %s, want %s", rec.Body.String(), tc.body)
				}
			}
			if kept := runs == 1; kept != tc.wantKept {
				t.Errorf("%d runs for two requests: kept %v, want %v", runs, kept, tc.wantKept)
			}
		})
	}
}

// TestParamsAreReadOnce checks that the parameters the cache read to key a request go
// on to the handler with it (graphqlhttp.Params), so that the transport does not read
// the body again: here the handler finds them with the body gone.
func TestParamsAreReadOnce(t *testing.T) {
	var got string
	h := respcache.New(respcache.Options{Store: economy.NewMemoryStore(1 << 20)}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.NoBody
		p, status, msg := graphqlhttp.Params(r)
		if status != 0 {
			t.Errorf("Params: %d %s", status, msg)
			return
		}
		got = p.Query + " " + p.OperationName
		_, _ = io.WriteString(w, `{"data":{}}`)
	}))
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"query Q { a }","operationName":"Q"}`))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if got != "query Q { a } Q" {
		t.Errorf("the handler read %q", got)
	}
}
