package gateway_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"spacegraph/bench"
	"spacegraph/gateway"
	"spacegraph/graph"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
	"spacegraph/snapshot/synthetic"
)

// planned is what graph.PlanCalls counts for a query on h's gateway as it is now.
func (h *harness) planned(query string, vars map[string]any) int {
	h.t.Helper()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	doc, errs := gqlparser.LoadQueryWithRules(schema, query, nil)
	if errs != nil {
		h.t.Fatalf("%v\n%s", errs, query)
	}
	most := 0
	for _, op := range doc.Operations {
		most = max(most, graph.PlanCalls(doc, op, vars, h.g.Catalog.CrawlCost))
	}
	return most
}

// TestPlannedCallsBoundTheRuns runs every legitimate query on a cold gateway over
// LL2-scale data, with no call limit, and checks that the calls it made are at most
// the calls planned for it, and exactly the pinned count for the upstream-call table.
func TestPlannedCallsBoundTheRuns(t *testing.T) {
	d := llScale()
	pinned := map[string]int{}
	for _, c := range callTable() {
		if !c.AtMost {
			pinned[c.Query] = c.Calls
		}
	}
	most, mostBy := 0, ""
	for _, q := range legitimateQueries(t) {
		h := newHarness(t, gateway.Config{Snapshot: &d, Protection: gateway.Protection{MaxUpstreamCalls: -1}})
		plan := h.planned(q.query, q.vars)
		h.do(q.query, q.vars)
		got := h.calls()
		if got > plan {
			t.Errorf("%s: %d LL2 calls, planned %d:\n  %s\n%s", q.source, got, plan, h.requests(), q.query)
		}
		if want, ok := pinned[q.query]; ok && plan != want {
			t.Errorf("%s: planned %d calls, the table pins %d", q.source, plan, want)
		}
		if plan > most {
			most, mostBy = plan, q.source
		}
		t.Logf("%d/%d %s", got, plan, q.source)
	}
	t.Logf("most planned calls: %d, by %s", most, mostBy)
}

// TestUpstreamCallLimit checks that a request that can need more LL2 calls than the
// limit is refused before any call, with QUERY_TOO_COMPLEX naming the limit: thirty
// aliased searches spent thirty calls, twice LL2's anonymous hourly budget, in one
// request. The same thirty aliases asking the same page need one call and run.
func TestUpstreamCallLimit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prot    gateway.Protection
		query   string
		max     int
		planned int
	}{
		{"thirty distinct searches", gateway.Protection{}, bench.SearchFlood(30, true), gateway.DefaultMaxUpstreamCalls, 30},
		{"eleven distinct searches", gateway.Protection{}, bench.SearchFlood(11, true), gateway.DefaultMaxUpstreamCalls, 11},
		{"the call table's heaviest query under a limit of 7", gateway.Protection{MaxUpstreamCalls: 7}, callTable()[5].Query, 7, 8},
		{"every configuration's spacecraft under a limit of 4", gateway.Protection{MaxUpstreamCalls: 4},
			`{ allSpacecraftConfigs(first: 50) { nodes { spacecraft(first: 1) { nodes { name } } } } }`, 4, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := llScale()
			h := newHarness(t, gateway.Config{Snapshot: &d, Protection: tc.prot})
			r := h.do(tc.query, nil)
			e := r.errorWith(t, "QUERY_TOO_COMPLEX")
			if len(r.Errors) != 1 || string(r.Data) != "" {
				t.Errorf("data %s, errors %+v: want one error and no data", r.Data, r.Errors)
			}
			if e.Extensions["limit"] != "upstreamCalls" || e.Extensions["maximum"] != float64(tc.max) || e.Extensions["actual"] != float64(tc.planned) {
				t.Errorf("extensions %v, want limit upstreamCalls, maximum %d, actual %d", e.Extensions, tc.max, tc.planned)
			}
			if want := fmt.Sprintf("it can need %d LL2 calls, %d over the limit of %d", tc.planned, tc.planned-tc.max, tc.max); !strings.Contains(e.Message, want) {
				t.Errorf("message %q, want it to say %q", e.Message, want)
			}
			if h.calls() != 0 {
				t.Errorf("%d LL2 calls before the refusal, want none:\n  %s", h.calls(), h.requests())
			}
		})
	}
	t.Run("thirty aliases of one search", func(t *testing.T) {
		d := llScale()
		h := newHarness(t, gateway.Config{Snapshot: &d})
		h.ok(bench.SearchFlood(30, false), nil, nil)
		if h.calls() != 1 {
			t.Errorf("%d LL2 calls, want 1:\n  %s", h.calls(), h.requests())
		}
	})
	t.Run("no limit", func(t *testing.T) {
		d := llScale()
		h := newHarness(t, gateway.Config{Snapshot: &d, Protection: gateway.Protection{MaxUpstreamCalls: -1}})
		h.ok(bench.SearchFlood(30, true), nil, nil)
		if h.calls() != 30 {
			t.Errorf("%d LL2 calls, want 30", h.calls())
		}
	})
}

// grown is LL2-scale data with a spacecraft collection that has grown to 1,000: ten
// pages to crawl where the catalog, before LL2 has told it, expects six.
var grown = sync.OnceValue(func() snapshot.Data {
	o := synthetic.LL2Scale()
	o.Spacecraft = 1000
	return synthetic.Generate(o)
})

// TestUpstreamCallLimitWhileRunning checks the limit on the calls an operation makes
// while it runs, for the calls the count before it could not foresee: seven spacecraft
// by id are one crawl of six pages as far as the gateway knows, but LL2's collection
// has grown to ten pages. With a limit of 8 the crawl stops at the eighth call, and
// the objects it was to bring get a QUERY_TOO_COMPLEX error each, not a call.
func TestUpstreamCallLimitWhileRunning(t *testing.T) {
	d := grown()
	h := newHarness(t, gateway.Config{Snapshot: &d, Protection: gateway.Protection{MaxUpstreamCalls: 8}})
	var ids []string
	for i := range 7 {
		ids = append(ids, gid("Spacecraft", 101+i*100))
	}
	query := `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Spacecraft { name } } }`
	vars := map[string]any{"ids": ids}
	if p := h.planned(query, vars); p != 6 {
		t.Fatalf("planned %d calls, want 6 (one crawl of the 600 spacecraft the catalog expects)", p)
	}
	r := h.do(query, vars)
	if h.calls() != 8 {
		t.Errorf("%d LL2 calls, want the limit, 8:\n  %s", h.calls(), h.requests())
	}
	var out struct {
		Nodes []*struct{ ID string } `json:"nodes"`
	}
	decode(t, r, &out)
	if len(out.Nodes) != 7 || len(r.Errors) != 7 {
		t.Fatalf("%d nodes, %d errors; want 7 of each: %s %+v", len(out.Nodes), len(r.Errors), r.Data, r.Errors)
	}
	for i, e := range r.Errors {
		if out.Nodes[i] != nil {
			t.Errorf("node %d: %+v, want null", i, out.Nodes[i])
		}
		want := []any{"nodes", float64(i)}
		if e.Extensions["code"] != "QUERY_TOO_COMPLEX" || e.Extensions["limit"] != "upstreamCalls" || e.Extensions["maximum"] != float64(8) ||
			!strings.Contains(e.Message, "LL2 calls past the limit of 8") || fmt.Sprint(e.Path) != fmt.Sprint(want) {
			t.Errorf("error %d: %+v; want QUERY_TOO_COMPLEX at %v naming the limit upstreamCalls of 8", i, e, want)
		}
	}

	// The first page told the catalog the collection's size: seven ids are now seven
	// detail calls rather than a crawl of ten pages, and fit the limit.
	if p := h.planned(query, vars); p != 7 {
		t.Errorf("planned %d calls for the second run, want 7", p)
	}
	before := h.calls()
	var again struct {
		Nodes []struct{ ID, Name string } `json:"nodes"`
	}
	h.ok(query, vars, &again)
	if len(again.Nodes) != 7 || again.Nodes[6].ID != ids[6] || again.Nodes[6].Name == "" {
		t.Errorf("second run: %+v, want the 7 spacecraft", again.Nodes)
	}
	if n := h.calls() - before; n != 7 {
		t.Errorf("second run: %d LL2 calls, want 7:\n  %s", n, h.requests())
	}
}

// TestFailedCrawlIsLL2sFailure fails one LL2 call of a crawl that a batch of ids
// chose as cheaper than a detail call each (the agencies of a page of spacecraft, the
// families of nodes of every type): the objects it was to bring are null with LL2's
// error (their nulls reaching up as the schema says), not fetched one by one. Those
// detail calls were calls the plan did not count: they took the room of other fields
// and ran into the call limit, whose QUERY_TOO_COMPLEX errors then blamed the query
// for LL2's failure, and hid it.
func TestFailedCrawlIsLL2sFailure(t *testing.T) {
	for _, q := range []struct{ name, query string }{
		{"the agencies of a page of spacecraft", callTable()[2].Query},
		{"nodes of every type", callTable()[5].Query},
	} {
		for _, fault := range []ll2server.FaultKind{ll2server.FaultServerError, ll2server.FaultDrop, ll2server.FaultMalformed, ll2server.FaultErrorBody} {
			// The first call is the page of spacecraft (or one of the nodes' calls),
			// the second the crawl's first page; the third is one of its others.
			for _, at := range []int{1, 2} {
				t.Run(fmt.Sprintf("%s/fault %d at call %d", q.name, fault, at), func(t *testing.T) {
					d := llScale()
					script := make([]ll2server.Fault, at+1)
					script[at] = ll2server.Fault{Kind: fault}
					h := newHarness(t, gateway.Config{Snapshot: &d, ResponseCacheOff: true, LL2: ll2server.Options{Faults: ll2server.Faults{Script: script}}})
					r := h.do(q.query, nil)
					upstream := 0
					for _, e := range r.Errors {
						code, _ := e.Extensions["code"].(string)
						if code == "QUERY_TOO_COMPLEX" {
							t.Fatalf("a legitimate query under a failing LL2 got %s at %v: %s\nLL2 saw:\n  %s", code, e.Path, e.Message, h.requests())
						}
						if strings.HasPrefix(code, "UPSTREAM_") && len(e.Path) > 0 {
							upstream++
						}
					}
					if upstream == 0 {
						t.Errorf("errors %+v: want LL2's at their fields", r.Errors)
					}
				})
			}
		}
	}
}
