package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"spacegraph/bench"
	"spacegraph/catalog"
	"spacegraph/graph"
	"spacegraph/relay"
)

// ll2Scale is the crawl cost of each collection at LL2's size: 600 spacecraft, 46
// configurations, 311 agencies, 30 families, 2,300 flights, 1,150 docking events.
func ll2Scale(k catalog.Kind) int {
	return map[catalog.Kind]int{catalog.KindSpacecraft: 6, catalog.KindConfig: 1, catalog.KindAgency: 4, catalog.KindFamily: 1,
		catalog.KindFlight: 23, catalog.KindDockingEvent: 12}[k]
}

func plan(t *testing.T, query string, vars map[string]any) int {
	t.Helper()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	doc, errs := gqlparser.LoadQueryWithRules(schema, query, nil)
	if errs != nil {
		t.Fatalf("%v\n%s", errs, query)
	}
	if len(doc.Operations) != 1 {
		t.Fatalf("%d operations", len(doc.Operations))
	}
	return graph.PlanCalls(doc, doc.Operations[0], vars, ll2Scale)
}

// ids returns the global ids of objects 1..n of a type, as a GraphQL list.
func ids(typ string, n int) string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("%q", relay.GlobalID(typ, i)))
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// TestPlanCalls counts the LL2 calls of many shapes of query, at LL2's size, with the
// rules the resolvers, loaders and catalog follow (see calls.go). The counts of the
// README's upstream-call table are the calls those queries make
// (gateway.TestPlannedCallsBoundTheRuns checks every legitimate query's runs).
func TestPlanCalls(t *testing.T) {
	sc, cfg, ag, fam := relay.TypeSpacecraft, relay.TypeSpacecraftConfig, relay.TypeAgency, relay.TypeFamily
	for _, tc := range []struct {
		name  string
		query string
		vars  map[string]any
		want  int
	}{
		// Root pages.
		{"a flat page", `{ allSpacecraft(first: 100) { totalCount nodes { name status { name } image { imageUrl } } } }`, nil, 1},
		{"only the count", `{ allAgencies(filter: {featured: true}) { totalCount } }`, nil, 1},
		{"no selection of items", `{ allFamilies { pageInfo { hasNextPage } } }`, nil, 1},
		{"a page whose mode embeds every nested object", `{ allSpacecraft(first: 100) { nodes { spacecraftConfig { capability
			agency { foundingYear } families { spacecraftFlown manufacturer { foundingYear } } } } } }`, nil, 1},
		{"a page whose agencies need their statistics: one crawl of the agencies", `{ allSpacecraft(first: 100) { nodes {
			spacecraftConfig { agency { totalLaunchCount } } } } }`, nil, 1 + 4},
		{"three items need three agencies: a detail call each", `{ allSpacecraft(first: 3) { nodes {
			spacecraftConfig { agency { totalLaunchCount } } } } }`, nil, 1 + 3},
		{"an empty page loads nothing", `{ allSpacecraft(first: 0) { nodes { spacecraftConfig { agency { totalLaunchCount } } } } }`, nil, 1},
		{"edges and nodes of one page", `{ allSpacecraft(first: 2) { edges { node { name } } nodes { name } } }`, nil, 1},
		{"last without before", `{ allSpacecraft(last: 5, orderBy: {field: TIME_IN_SPACE}) { nodes { name } } }`, nil, 1},
		{"a page refused for its size", `{ allSpacecraft(first: 500) { nodes { name } } }`, nil, 0},
		{"first and last together are refused", `{ allSpacecraft(first: 1, last: 1) { nodes { name } } }`, nil, 0},

		// Lookups.
		{"one lookup with everything embedded", `{ spacecraft(ll2Id: 12) { name spacecraftConfig { capability
			agency { foundingYear } families { name parent { name } manufacturer { name } } } } }`, nil, 1},
		{"one lookup and a nested load", `{ spacecraft(ll2Id: 12) { spacecraftConfig { agency { totalLaunchCount } } } }`, nil, 2},
		{"node and nodes, one id of each type", fmt.Sprintf(`{ node(id: %q) { id } nodes(ids: [%q, %q, %q]) { id } }`,
			relay.GlobalID(sc, 12), relay.GlobalID(cfg, 3), relay.GlobalID(ag, 5), relay.GlobalID(fam, 2)), nil, 4},
		{"three ids of each type: detail calls, or a crawl where fewer", fmt.Sprintf(`{ a: nodes(ids: %s) { id } b: nodes(ids: %s) { id }
			c: nodes(ids: %s) { id } d: nodes(ids: %s) { id } }`, ids(sc, 3), ids(cfg, 3), ids(ag, 3), ids(fam, 3)), nil, 3 + 1 + 3 + 1},
		{"the same object through lookups, node and nodes", fmt.Sprintf(`{ a: spacecraftConfig(ll2Id: 7) { name }
			b: spacecraftConfig(id: %q) { history } c: node(id: %q) { id } d: nodes(ids: [%[1]q, %[1]q]) { id } }`,
			relay.GlobalID(cfg, 7), relay.GlobalID(cfg, 7)), nil, 1},
		{"six spacecraft are six detail calls, their configurations embedded", fmt.Sprintf(`{ nodes(ids: %s) {
			... on Spacecraft { spacecraftConfig { capability } } } }`, ids(sc, 6)), nil, 6},
		{"seven spacecraft are a crawl, whose configurations are then loaded", fmt.Sprintf(`{ nodes(ids: %s) {
			... on Spacecraft { spacecraftConfig { capability } } } }`, ids(sc, 7)), nil, 6 + 1},
		{"lookups of several kinds are a batch per kind", `{ a: spacecraft(ll2Id: 1) { name } b: spacecraft(ll2Id: 2) { name }
			c: agency(ll2Id: 1) { name } d: family(ll2Id: 1) { name } e: family(ll2Id: 2) { name } }`, nil, 2 + 1 + 1},
		{"a lookup refused for a bad id", `{ a: spacecraft(ll2Id: -1) { name } b: spacecraft(id: "nope") { name }
			c: spacecraft(ll2Id: 1, id: "U3BhY2VjcmFmdDox") { name } d: node(id: "nope") { id } }`, nil, 0},
		{"a lookup by a global id of another type", fmt.Sprintf(`{ spacecraft(id: %q) { name } }`, relay.GlobalID(ag, 1)), nil, 0},
		{"nodes refused for one bad id", `{ nodes(ids: ["U3BhY2VjcmFmdDox", "nope"]) { id } }`, nil, 0},

		// Reverse connections.
		{"one configuration's spacecraft", `{ spacecraftConfig(ll2Id: 7) { spacecraft(first: 5) { nodes { name } } } }`, nil, 2},
		{"twenty configurations' spacecraft: one crawl of six pages", `{ allSpacecraftConfigs(first: 20) { nodes {
			spacecraft(first: 5) { totalCount nodes { name } } } } }`, nil, 1 + 6},
		{"five configurations' spacecraft: a filtered call each", `{ allSpacecraftConfigs(first: 5) { nodes {
			spacecraft(first: 5) { nodes { name } } } } }`, nil, 1 + 5},
		{"agencies' configurations and families", `{ allAgencies(first: 10) { nodes { spacecraftConfigs(first: 3) { nodes { name } }
			families { nodes { name } } } } }`, nil, 1 + 1 + 1},
		{"a family's configurations always crawl", `{ family(ll2Id: 6) { spacecraftConfigs { nodes { name } } } }`, nil, 1 + 1},
		{"aliases of one reverse page share it", `{ agency(ll2Id: 121) { a: spacecraftConfigs(last: 2) { nodes { name } }
			b: spacecraftConfigs(last: 2) { nodes { name } } all: spacecraftConfigs { nodes { name } } } }`, nil, 1 + 2},
		{"through a configuration's families, as many as it has", `{ spacecraft(ll2Id: 1) { spacecraftConfig {
			families { spacecraftConfigs { totalCount } } } } }`, nil, 1 + 1},
		{"families loaded for their parents' counts", `{ allSpacecraft(first: 3) { nodes { spacecraftConfig {
			families { parent { spacecraftFlown } } } } } }`, nil, 1 + 1},
		{"reverse connections nested twice", `{ allAgencies(first: 2) { nodes { spacecraftConfigs(first: 2) { nodes {
			spacecraft(first: 2) { nodes { name } } } } } } }`, nil, 1 + 1 + 4},

		// Flights, docking events, lookup lists.
		{"50 spacecraft with their flights: one page at the detailed level", `{ allSpacecraft(first: 50) { nodes { name
			flights(first: 3) { nodes { launch { name net } landing { success } } } } } }`, nil, 1},
		{"one spacecraft's flights by id: its detail call lists them", `{ spacecraft(ll2Id: 12) { flights { totalCount nodes { missionEnd } } } }`, nil, 1},
		{"a flight's spacecraft's flights", `{ spacecraftFlight(ll2Id: 1) { spacecraft { flights { totalCount } } } }`, nil, 1 + 1},
		{"a page of detailed flights brings their docking events", `{ allSpacecraftFlights(first: 20) { nodes { dockingEvents { nodes { docking } } } } }`, nil, 1},
		{"a spacecraft's flights' docking events: a call per spacecraft", `{ spacecraft(ll2Id: 3) { flights(first: 20) { nodes {
			dockingEvents { nodes { docking } } } } } }`, nil, 1 + 1},
		{"three spacecraft's flights' docking events", `{ allSpacecraft(first: 3) { nodes { flights(first: 20) { nodes {
			dockingEvents { nodes { docking } } } } } } }`, nil, 1 + 3},
		{"flights' launch providers beyond the list level: a detail call each, or a crawl", `{ spacecraft(ll2Id: 12) { flights { nodes {
			launch { launchServiceProvider { foundingYear } } } } } }`, nil, 1 + 4},
		{"docking events whose flights need their launches: the detailed page embeds them", `{ allDockingEvents(first: 5) { nodes {
			flight { launch { net } } } } }`, nil, 1},
		{"docking events and flights by global id", fmt.Sprintf(`{ nodes(ids: [%q, %q]) { id } }`,
			relay.GlobalID(relay.TypeSpacecraftFlight, 1), relay.GlobalID(relay.TypeDockingEvent, 1)), nil, 2},
		{"every lookup list, one aliased twice", `{ spacecraftStatuses { name } s: spacecraftStatuses { ll2Id } spacecraftConfigTypes { name }
			agencyTypes { name } countries { name } imageLicenses { name } }`, nil, 5},

		// Aliases, fragments, directives, variables.
		{"thirty distinct searches", bench.SearchFlood(30, true), nil, 30},
		{"thirty times the same search", bench.SearchFlood(30, false), nil, 1},
		{"one page at two modes", `{ a: allSpacecraft { nodes { name } } b: allSpacecraft { nodes { spacecraftConfig { capability } } } }`, nil, 2},
		{"named and inline fragments", `query { nodes(ids: ["U3BhY2VjcmFmdDox"]) { ...N } allSpacecraft(first: 3) { nodes { ...S } } }
			fragment N on Node { ... on Spacecraft { ...S } }
			fragment S on Spacecraft { spacecraftConfig { agency { ... on Agency { totalLaunchCount } } } }`, nil, 1 + 1 + 1 + 3},
		{"a fragment on another type does not count", `{ nodes(ids: ["U3BhY2VjcmFmdDox"]) { ... on Agency { spacecraftConfigs { totalCount } } } }`, nil, 1},
		{"page sizes from variables", `query($n: Int, $m: Int) { allSpacecraftConfigs(first: $n) { nodes { spacecraft(first: $m) { totalCount } } } }`,
			map[string]any{"n": int64(3), "m": int64(100)}, 1 + 3},
		{"page sizes from variables, a crawl", `query($n: Int, $m: Int) { allSpacecraftConfigs(first: $n) { nodes { spacecraft(first: $m) { totalCount } } } }`,
			map[string]any{"n": int64(30), "m": int64(100)}, 1 + 6},
		{"ids from variables", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
			map[string]any{"ids": []any{relay.GlobalID(ag, 1), relay.GlobalID(ag, 2), relay.GlobalID(ag, 1)}}, 2},
		{"searches from variables", `query($a: String, $b: String) { x: allSpacecraft(search: $a) { totalCount } y: allSpacecraft(search: $b) { totalCount } }`,
			map[string]any{"a": "dragon", "b": "soyuz"}, 2},
		{"the same search from variables", `query($a: String, $b: String) { x: allSpacecraft(search: $a) { totalCount } y: allSpacecraft(search: $b) { totalCount } }`,
			map[string]any{"a": "dragon", "b": "dragon"}, 1},
		{"a skipped field", `query($s: Boolean!) { allSpacecraft(first: 3) { nodes { spacecraftConfig { agency @skip(if: $s) { totalLaunchCount } } } } }`,
			map[string]any{"s": true}, 1},
		{"an included field", `query($s: Boolean!) { allSpacecraft(first: 3) { nodes { spacecraftConfig { agency @include(if: $s) { totalLaunchCount } } } } }`,
			map[string]any{"s": true}, 1 + 3},
		{"introspection and __typename", `{ __typename __schema { queryType { name } } __type(name: "Agency") { name } }`, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := plan(t, tc.query, tc.vars); got != tc.want {
				t.Errorf("planned %d calls, want %d", got, tc.want)
			}
		})
	}
}

// TestPlanCallsOfAnExplodingDocument checks that a document whose fragments double
// its fields at every level (2^40 fields: the complexity limit refuses it, but with
// that limit off it must not hang the planner) is counted as unbounded.
func TestPlanCallsOfAnExplodingDocument(t *testing.T) {
	var b strings.Builder
	b.WriteString("{ allSpacecraft(first: 1) { nodes { ...S0 } } }\n")
	const levels = 40
	for i := range levels {
		next := i + 1
		if next == levels {
			fmt.Fprintf(&b, "fragment S%d on Spacecraft { name }\n", i)
			continue
		}
		fmt.Fprintf(&b, "fragment S%d on Spacecraft { spacecraftConfig { a: spacecraft(first: 1) { nodes { ...S%d } } b: spacecraft(first: 1, search: \"b\") { nodes { ...S%d } } } }\n", i, next, next)
	}
	if got := plan(t, b.String(), nil); got < 1<<30 {
		t.Errorf("planned %d calls, want unbounded", got)
	}
}

// BenchmarkPlanCalls measures the count of the reference query's calls, which every
// operation that runs (not answered by the response cache) pays once.
func BenchmarkPlanCalls(b *testing.B) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	doc, errs := gqlparser.LoadQueryWithRules(schema, bench.NestedQuery, nil)
	if errs != nil {
		b.Fatal(errs)
	}
	b.ReportAllocs()
	for b.Loop() {
		graph.PlanCalls(doc, doc.Operations[0], nil, ll2Scale)
	}
}
