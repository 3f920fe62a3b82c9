package gateway_test

import (
	"slices"
	"testing"
	"time"

	"spacegraph/gateway"
	"spacegraph/ll2/ll2server"
)

// TestUpstreamFailuresGivePartialData checks, for each kind of LL2 failure, that the
// failing field is null with an error at its path carrying the contract's code, and
// that the rest of the query still gets its data.
func TestUpstreamFailuresGivePartialData(t *testing.T) {
	const query = `{ a: spacecraft(ll2Id: 242) { name } b: agency(ll2Id: 121) { name abbrev } }`
	for _, tc := range []struct {
		name  string
		fault ll2server.FaultKind
		code  string
	}{
		{"5xx", ll2server.FaultServerError, "UPSTREAM_UNAVAILABLE"},
		{"HTML instead of JSON", ll2server.FaultHTML, "UPSTREAM_BAD_RESPONSE"},
		{"malformed JSON", ll2server.FaultMalformed, "UPSTREAM_BAD_RESPONSE"},
		{"connection cut", ll2server.FaultDrop, "UPSTREAM_UNAVAILABLE"},
		{"stall past the timeout", ll2server.FaultStall, "UPSTREAM_TIMEOUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Both calls fail the same way; the query's other field is then served by
			// a second query, to show the gateway keeps serving.
			h := newHarness(t, gateway.Config{
				UpstreamTimeout: 300 * time.Millisecond,
				LL2:             ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{{Kind: tc.fault, Stall: 5 * time.Second}}}},
			})
			r := h.do(query, nil)
			if len(r.Errors) != 1 {
				t.Fatalf("want exactly one error, got %+v", r.Errors)
			}
			e := r.Errors[0]
			if e.Extensions["code"] != tc.code {
				t.Errorf("code %v, want %s (%s)", e.Extensions["code"], tc.code, e.Message)
			}
			var data struct {
				A *struct{ Name string }
				B *struct{ Name string }
			}
			decode(t, r, &data)
			failed := e.Path[0]
			switch {
			case failed == "a" && data.A == nil && data.B != nil && data.B.Name == "SpaceX":
			case failed == "b" && data.B == nil && data.A != nil && data.A.Name == "Progress MS-02":
			default:
				t.Errorf("error at %v, data %+v %+v: want the failed field null and the other served", e.Path, data.A, data.B)
			}
			// The failed call may still be winding down (a stalled answer is cut at
			// its own deadline, a moment after the request's), and a request that
			// joins it meanwhile shares its fate; once it has ended, the next request
			// makes a call of its own and is served.
			deadline := time.Now().Add(3 * time.Second)
			for r := h.do(query, nil); len(r.Errors) > 0; r = h.do(query, nil) {
				if time.Now().After(deadline) {
					t.Fatalf("the gateway did not serve the query again after the failure: %+v", r.Errors)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// TestRateLimited checks the code and retryAfterSeconds of a throttled call, with and
// without LL2's Retry-After header (then the wait comes from the body text).
func TestRateLimited(t *testing.T) {
	for _, noHeader := range []bool{false, true} {
		h := newHarness(t, gateway.Config{LL2: ll2server.Options{Throttle: ll2server.Throttle{Limit: 1, Window: time.Hour, NoRetryAfter: noHeader}}})
		h.ok(`{ spacecraft(ll2Id: 242) { name } }`, nil, nil)
		r := h.do(`{ spacecraft(ll2Id: 569) { name } }`, nil)
		e := r.errorWith(t, "UPSTREAM_RATE_LIMITED")
		secs, _ := e.Extensions["retryAfterSeconds"].(float64)
		if secs < 3500 || secs > 3600 {
			t.Errorf("retryAfterSeconds %v, want about an hour (no header: %v)", e.Extensions["retryAfterSeconds"], noHeader)
		}
		if !slices.Equal(e.Path, []any{"spacecraft"}) {
			t.Errorf("path %v", e.Path)
		}
	}
}

// TestNodesErrorsAtTheirIndex checks that in nodes(ids:) a failing id is null with an
// error at its own index, a missing id is null without error, and the rest is served.
func TestNodesErrorsAtTheirIndex(t *testing.T) {
	h := newHarness(t, gateway.Config{LL2: ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{{Kind: ll2server.FaultServerError}}}}})
	r := h.do(`{ nodes(ids: ["`+gid("Spacecraft", 242)+`", "`+gid("Spacecraft", 999999)+`"]) { id } }`, nil)
	var data struct{ Nodes []*struct{ ID string } }
	decode(t, r, &data)
	if len(data.Nodes) != 2 || data.Nodes[1] != nil {
		t.Fatalf("nodes %+v", data.Nodes)
	}
	// The two detail calls run concurrently: the scripted fault hit one of them. If it
	// hit the missing id, that id's error is UPSTREAM_UNAVAILABLE instead of a plain null.
	for _, e := range r.Errors {
		if e.Extensions["code"] != "UPSTREAM_UNAVAILABLE" || len(e.Path) != 2 || e.Path[0] != "nodes" {
			t.Errorf("unexpected error %+v", e)
		}
	}
	if len(r.Errors) != 1 {
		t.Errorf("want one error (the faulted call), got %+v", r.Errors)
	}
	if idx := r.Errors[0].Path[1].(float64); (idx == 0) != (data.Nodes[0] == nil) {
		t.Errorf("error at index %v but node 0 is %+v", idx, data.Nodes[0])
	}
}

// TestRootLookups checks the (id, ll2Id) arguments and that a missing object is null.
func TestRootLookups(t *testing.T) {
	h := newHarness(t, gateway.Config{})
	var out struct {
		A, B *struct{ Name string }
		C    *struct{ Name string }
	}
	h.ok(`{ a: spacecraft(ll2Id: 242) { name } b: spacecraft(id: "`+gid("Spacecraft", 242)+`") { name } c: spacecraft(ll2Id: 424242) { name } }`, nil, &out)
	if out.A == nil || out.B == nil || out.A.Name != "Progress MS-02" || *out.A != *out.B || out.C != nil {
		t.Errorf("got %+v %+v %+v", out.A, out.B, out.C)
	}
	for _, tc := range []struct{ query, arg string }{
		{`{ spacecraft { name } }`, "id"},
		{`{ spacecraft(id: "` + gid("Spacecraft", 1) + `", ll2Id: 1) { name } }`, "id"},
		{`{ spacecraft(id: "` + gid("Agency", 121) + `") { name } }`, "id"},
		{`{ agency(id: "bm90IGFuIGlk") { name } }`, "id"},
		{`{ family(ll2Id: -3) { name } }`, "ll2Id"},
		{`{ node(id: "garbage!") { id } }`, "id"},
	} {
		r := h.do(tc.query, nil)
		e := r.errorWith(t, "BAD_USER_INPUT")
		if e.Extensions["argument"] != tc.arg {
			t.Errorf("%s: argument %v, want %s", tc.query, e.Extensions["argument"], tc.arg)
		}
	}
	if h.calls() != 2 {
		t.Errorf("%d calls: want 2 (242 once, 424242 once), bad input none:\n  %s", h.calls(), h.requests())
	}
}
