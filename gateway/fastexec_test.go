package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"spacegraph/bench"
	"spacegraph/gateway"
	"spacegraph/ll2/ll2server"
)

// These tests hold the fast executor (graph.NewFastExecutableSchema) to gqlgen's: a
// gateway of each, over the same upstream, gets the same requests in the same order,
// and every answer must be the same bytes. Only what gqlgen itself leaves to chance
// may differ: the order of errors that concurrent resolvers raise (compared as sets)
// and the age of the data in seconds.

// fastCase is a request of the corpus.
type fastCase struct {
	name  string
	query string
	vars  map[string]any
}

// postRaw sends a request and returns the raw answer.
func (h *harness) postRaw(q string, vars map[string]any) []byte {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	resp, err := http.Post(h.srv.URL+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return append(fmt.Appendf(nil, "%d ", resp.StatusCode), raw...)
}

// sameAnswer compares two raw answers: the same bytes, or the same answer up to the
// order of errors and the data's age.
func sameAnswer(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	norm := func(raw []byte) any {
		i := bytes.IndexByte(raw, ' ')
		var v map[string]any
		if err := json.Unmarshal(raw[i+1:], &v); err != nil {
			return string(raw)
		}
		if ext, ok := v["extensions"].(map[string]any); ok {
			delete(ext, "age")
			if len(ext) == 0 {
				delete(v, "extensions")
			}
		}
		if errs, ok := v["errors"].([]any); ok {
			sort.Slice(errs, func(i, j int) bool {
				x, _ := json.Marshal(errs[i])
				y, _ := json.Marshal(errs[j])
				return string(x) < string(y)
			})
		}
		return []any{string(raw[:i]), v}
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// fastCorpus is the hand-written part of the corpus: the reference queries, fragments,
// aliases, directives with variables, abstract types and errors of every kind.
func fastCorpus(ids map[string]int) []fastCase {
	cases := []fastCase{
		{"nested reference query", bench.NestedQuery, nil},
		{"typename everywhere", `{ __typename allSpacecraft(first: 3) { __typename nodes { __typename spacecraftConfig { __typename agency { __typename } } } } }`, nil},
		{"aliases merged", `{ a: allSpacecraft(first: 2) { nodes { n: name n: name id } } a: allSpacecraft(first: 2) { nodes { ll2Id } } b: allAgencies(first: 2) { totalCount } }`, nil},
		{"fragments", `query Q { allSpacecraft(first: 3) { ...C nodes { ...S } } } fragment C on SpacecraftConnection { totalCount pageInfo { ...P } }
			fragment P on PageInfo { hasNextPage endCursor } fragment S on Spacecraft { name ... on Node { id } spacecraftConfig { ... on SpacecraftConfig { name agency { name } } } }`, nil},
		{"skip and include with variables", `query Q($yes: Boolean!, $no: Boolean!) { allSpacecraft(first: 3) { nodes { name @include(if: $yes) serialNumber @include(if: $no)
			id @skip(if: $yes) ll2Id @skip(if: $no) ... on Spacecraft @include(if: $yes) { description } spacecraftConfig @skip(if: $no) { name } } } }`, map[string]any{"yes": true, "no": false}},
		{"skip and include, the other way", `query Q($yes: Boolean!, $no: Boolean!) { allSpacecraft(first: 3) { nodes { name @include(if: $yes) serialNumber @include(if: $no)
			id @skip(if: $yes) ll2Id @skip(if: $no) ... on Spacecraft @include(if: $yes) { description } spacecraftConfig @skip(if: $no) { name } } } }`, map[string]any{"yes": false, "no": true}},
		{"strings with escapes", `{ allSpacecraft(first: 100) { nodes { description name } } allAgencies(first: 50) { nodes { description name } } }`, nil},
		{"edges and cursors", `query($after: String) { allSpacecraftConfigs(first: 5, after: $after) { edges { cursor node { name families { name } } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }`, nil},
		{"last and before", `{ allSpacecraft(last: 5, orderBy: {field: TIME_IN_SPACE, direction: DESC}) { nodes { name timeInSpace timeInSpaceSeconds } } }`, nil},
		{"not a global id", `{ node(id: "nope") { id } }`, nil},
		{"nodes with a bad id", `{ nodes(ids: ["nope"]) { id } }`, nil},
		{"not found", `{ spacecraft(ll2Id: 999999) { name } agency(ll2Id: 999999) { name } node(id: "` + gid("Family", 999999) + `") { id } }`, nil},
		{"nodes with missing ones", `{ nodes(ids: ["` + gid("Spacecraft", 999999) + `", "` + gid("Agency", ids["Agency"]) + `"]) { __typename id ... on Agency { name abbrev } } }`, nil},
		{"wrong id type", `{ spacecraft(id: "` + gid("Agency", 1) + `") { name } }`, nil},
		{"both ids", `{ spacecraftConfig(id: "` + gid("SpacecraftConfig", 1) + `", ll2Id: 1) { name } }`, nil},
		{"page too large", `{ allSpacecraft(first: 101) { totalCount } allAgencies(first: 2) { totalCount } }`, nil},
		{"bad cursor", `{ allSpacecraft(first: 2, after: "nope") { totalCount } }`, nil},
		{"one object, every level", fmt.Sprintf(`{ spacecraft(ll2Id: %d) { name spacecraftConfig { name capability agency { name foundingYear countries { name } } families { name manufacturer { name } parent { name } } } } }`, ids["Spacecraft"]), nil},
		{"agency connections", `{ allAgencies(first: 5) { nodes { name spacecraftConfigs(first: 3) { totalCount nodes { name spacecraft(first: 2) { nodes { name } } } } families(first: 2) { nodes { name } } } } }`, nil},
		{"detailed agency fields", `{ allAgencies(first: 10) { nodes { name totalLaunchCount socialMediaLinks { url socialMedia { name } } logo { imageUrl license { name } } } } }`, nil},
		{"family connections", `{ allFamilies(first: 5) { nodes { name manufacturer { name } parent { name } spacecraftConfigs(first: 3) { nodes { name } } } } }`, nil},
		{"invalid variable", `query($n: Int) { allSpacecraft(first: $n) { totalCount } }`, map[string]any{"n": "x"}},
		{"operation name", `query A { allSpacecraft(first: 1) { totalCount } } query B { allAgencies(first: 1) { totalCount } }`, nil},
		{"introspection goes to gqlgen", `{ __schema { queryType { name } } allSpacecraft(first: 1) { totalCount } }`, nil},
		{"type introspection in a fragment", `{ ...Q } fragment Q on Query { __type(name: "Spacecraft") { name } }`, nil},
	}
	for _, q := range bench.CallTable() {
		cases = append(cases, fastCase{"call table: " + q.Name, q.Query, nil})
	}
	return cases
}

// TestFastExecutorAnswersAsGQLGen runs the corpus through a gateway of each executor
// over the embedded snapshot (with its partial records: NOT_IN_SNAPSHOT), over the
// LL2-scale synthetic upstream without and with flights, with a bound of upstream calls that the corpus
// exceeds, over an upstream that fails (partial data, non-null propagation), and with
// field middleware of the test's. Each request runs twice: cold, then warm.
func TestFastExecutorAnswersAsGQLGen(t *testing.T) {
	synthetic := bench.LL2Scale()
	flights := bench.LL2ScaleFlights()
	for _, tc := range []struct {
		name    string
		cfg     gateway.Config
		corpus  bool // the generated every-field queries too
		failing bool
		fields  graphql.FieldMiddleware // field middleware of the test's, on both
	}{
		{"embedded", gateway.Config{Protection: noLimits}, true, false, nil},
		{"LL2-scale synthetic", gateway.Config{Snapshot: &synthetic, Protection: noLimits}, true, false, nil},
		// Flights, launches, landings and docking events, with their embedded objects.
		{"LL2-scale synthetic with flights", gateway.Config{Snapshot: &flights, Protection: noLimits}, true, false, nil},
		{"call limit", gateway.Config{Snapshot: &synthetic, Protection: gateway.Protection{MaxUpstreamCalls: 1}}, false, false, nil},
		{"failing upstream", gateway.Config{Snapshot: &synthetic, LL2: ll2server.Options{Faults: ll2server.Faults{ServerError: 1}}}, false, true, nil},
		// With field middleware besides SnapshotGaps, resolvers go through the chain.
		{"field middleware", gateway.Config{Protection: noLimits}, false, false, func(ctx context.Context, next graphql.Resolver) (any, error) {
			return next(ctx)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.ResponseCacheOff = true
			fast := newHarness(t, cfg)
			cfg.GQLGenExecutor = true
			ref := newHarness(t, cfg)
			if tc.fields != nil {
				fast.serveWith(nil, tc.fields)
				ref.serveWith(nil, tc.fields)
			}
			ids := map[string]int{"Spacecraft": 1, "SpacecraftConfig": 1, "Agency": 1, "Family": 1}
			if !tc.failing && tc.cfg.Protection.MaxUpstreamCalls <= 0 {
				ids = someIDs(t, fast)
				someIDs(t, ref)
			}
			cases := fastCorpus(ids)
			if tc.corpus {
				queries, _ := everyFieldQueries(t, ids)
				roots := make([]string, 0, len(queries))
				for r := range queries {
					roots = append(roots, r)
				}
				slices.Sort(roots)
				for _, r := range roots {
					cases = append(cases, fastCase{"every field from " + r, queries[r], nil})
				}
			}
			for _, c := range cases {
				for _, pass := range []string{"cold", "warm"} {
					want := ref.postRaw(c.query, c.vars)
					got := fast.postRaw(c.query, c.vars)
					if !sameAnswer(got, want) {
						at := 0
						for at < min(len(got), len(want)) && got[at] == want[at] {
							at++
						}
						from := max(at-300, 0)
						t.Errorf("%s (%s), from byte %d:\nfast:   %.1500s\ngqlgen: %.1500s", c.name, pass, from, got[from:], want[from:])
					}
				}
			}
		})
	}
}

// TestLentAnswerBuffersAreNotShared serves the reference shapes from parallel
// clients, each request a new document, with the response cache off: the data of
// every answer is written into a buffer lent for the request (graph.LendAnswer) and
// given back once the response is written, so that an answer read after its buffer
// went back, or a buffer lent twice, shows as an answer that differs from the same
// shape's answer served alone (its data: the extensions tell each request's own
// freshness).
func TestLentAnswerBuffersAreNotShared(t *testing.T) {
	g, err := bench.NewGateway(gateway.Config{ResponseCacheOff: true})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	shapes := bench.Shapes()
	bodies := make([]func(int) []byte, len(shapes))
	want := make([][]byte, len(shapes))
	for i, s := range shapes {
		bodies[i] = bench.DistinctBodies(s.Query)
		if _, _, err = bench.ServeOK(g.Handler, bodies[i](0)); err != nil { // cold
			t.Fatalf("%s: %v", s.Name, err)
		}
		_, a, err := bench.ServeOK(g.Handler, bodies[i](0))
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		want[i] = a.Data
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Go(func() {
			for r := range 40 {
				i := (c + r) % len(shapes)
				_, a, err := bench.ServeOK(g.Handler, bodies[i](int(n.Add(1))))
				if err != nil {
					t.Errorf("%s: %v", shapes[i].Name, err)
					return
				}
				if got := a.Data; !bytes.Equal(got, want[i]) {
					t.Errorf("%s: the answer served beside others differs from the one served alone:\n%.300s\nwant\n%.300s", shapes[i].Name, got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}
