package reqscope_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"spacegraph/economy"
	"spacegraph/reqscope"
)

// TestMiddleware checks the record every request gets: the caller's X-Request-Id when
// it is sane, else a fresh one, echoed in the answer; a report that is the economy's
// report of the request's context; and fields that each layer sets and the log reads.
func TestMiddleware(t *testing.T) {
	for _, tc := range []struct {
		name, sent string
		kept       bool
	}{
		{"sane", "abc-123", true},
		{"none", "", false},
		{"too long", strings.Repeat("x", 65), false},
		{"a space", "a b", false},
		{"not ASCII", "café", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec *reqscope.Record
			var ctx context.Context
			h := reqscope.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				ctx, rec = r.Context(), reqscope.From(r.Context())
			}))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.sent != "" {
				req.Header.Set("X-Request-Id", tc.sent)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			id := rec.ID()
			if (id == tc.sent) != tc.kept || id == "" || w.Header().Get("X-Request-Id") != id {
				t.Errorf("sent %q: id %q, echoed %q", tc.sent, id, w.Header().Get("X-Request-Id"))
			}
			if rec.Report() == nil || rec.Report() != economy.ReportFrom(ctx) {
				t.Error("the record's report is not the economy's report of the request")
			}
			rec.SetRoute("/graphql")
			rec.SetOperation("Q", "ok", "")
			rec.SetResponseCache("hit")
			rec.SetTraceID("t1")
			rec.SetTraceID("t2")
			name, outcome, code := rec.Operation()
			if rec.Route() != "/graphql" || name != "Q" || outcome != "ok" || code != "" || rec.ResponseCache() != "hit" || rec.TraceID() != "t1" {
				t.Errorf("fields: %q %q %q %q %q %q", rec.Route(), name, outcome, code, rec.ResponseCache(), rec.TraceID())
			}
		})
	}
	// Two requests never share an id or a record.
	var ids []string
	h := reqscope.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		ids = append(ids, reqscope.From(r.Context()).ID())
	}))
	for range 2 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	}
	if ids[0] == ids[1] {
		t.Errorf("two requests share the id %q", ids[0])
	}
}

// TestRoute checks that Route names its route in the record, whatever the path.
func TestRoute(t *testing.T) {
	var got string
	h := reqscope.Middleware(reqscope.Route("/graphql", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = reqscope.From(r.Context()).Route()
	})))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/graphql/some/path?x=1", nil))
	if got != "/graphql" {
		t.Errorf("route %q, want /graphql", got)
	}
}

// TestNoRecord checks that a handler run outside Middleware (as some tests run
// one) can still call every method.
func TestNoRecord(t *testing.T) {
	rec := reqscope.From(context.Background())
	rec.SetRoute("/")
	rec.SetOperation("Q", "ok", "")
	rec.SetResponseCache("hit")
	rec.SetTraceID("t")
	name, _, _ := rec.Operation()
	if rec != nil || rec.ID() != "" || rec.Report() != nil || rec.Route() != "" || name != "" || rec.ResponseCache() != "" || rec.TraceID() != "" {
		t.Error("a nil record holds something")
	}
}
