package bench

import (
	"fmt"
	"strings"

	"spacegraph/relay"
)

// NestedQuery is the gateway's reference query: a page of 100 spacecraft with their
// configuration, its agency and its families. BenchmarkNested100 (gateway) measures it
// in-process, spacebench over HTTP.
const NestedQuery = `{ allSpacecraft(first: 100) { totalCount pageInfo { hasNextPage endCursor }
  nodes { id name serialNumber status { name } timeInSpace timeInSpaceSeconds flightsCount
    spacecraftConfig { id name capability crewCapacity humanRated maidenFlight
      agency { id name abbrev foundingYear type { name } }
      families { id name maidenFlight manufacturer { name } } } } } }`

// IntrospectionAbuse is a few hundred bytes of aliases and fragment spreads inside
// introspection whose answer would be over 4 MiB: the query limits must refuse it
// before it runs, and the response limit must catch it were they off.
const IntrospectionAbuse = `query B{__schema{...S}} fragment S on __Schema{a0:types{...T} a1:types{...T} a2:types{...T} a3:types{...T}}
fragment T on __Type{a0:fields{...F} a1:fields{...F} a2:fields{...F} a3:fields{...F}}
fragment F on __Field{a0:type{...U} a1:type{...U} a2:type{...U} a3:type{...U}}
fragment U on __Type{...L ofType{...L ofType{...L}}} fragment L on __Type{a0:fields{name} a1:fields{name} a2:fields{name} a3:fields{name}}`

// SearchFlood is n aliased root connections, each with a search: n distinct searches
// when distinct (each a list call of its own, the costliest document per byte a
// client can send), else n times the same one (one call). The call limit's tests
// send it.
func SearchFlood(n int, distinct bool) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		s := "dragon"
		if distinct {
			s = fmt.Sprintf("s%d", i)
		}
		fmt.Fprintf(&b, " a%d: allSpacecraft(search: %q) { totalCount }", i, s)
	}
	return b.String() + " }"
}

// CallQuery is a query of the upstream-call table with the number of LL2 calls it is
// pinned to cost on a cold gateway.
type CallQuery struct {
	// Name says what the query asks for.
	Name string
	// Query is the GraphQL document.
	Query string
	// Calls is the pinned cold cost; when AtMost it is a ceiling (concurrent root
	// fields may find what another fetched a moment before).
	Calls  int
	AtMost bool
	// Routes, when set, pins the calls per LL2 route as well (as ceilings when
	// AtMost).
	Routes map[string]int
	// Flights runs the query over LL2ScaleFlights (LL2Scale with every flight and
	// docking event) instead of LL2Scale.
	Flights bool
}

// CallTable returns the queries of the README's upstream-call table with their pinned
// cold costs: the gateway's promise. TestUpstreamCalls (gateway/calls_test.go) pins
// the counts, per route too, and keeps the README's table in step; the benchmarks
// measure the same queries cold and warm. Its counts are LL2's own limits at work: no
// endpoint fetches several objects by id, so a batch of n ids costs n detail calls or,
// when cheaper, one crawl of the collection (100 per call).
func CallTable() []CallQuery {
	gid := relay.GlobalID
	cfg := 7
	aliases := strings.Builder{}
	for i := range 10 {
		fmt.Fprintf(&aliases, "c%d: spacecraftConfig(ll2Id: %d) { name capability }\n", i, cfg)
		fmt.Fprintf(&aliases, "n%d: node(id: %q) { ... on SpacecraftConfig { history agency { name } } }\n", i, gid("SpacecraftConfig", cfg))
	}
	return append([]CallQuery{
		{
			Name:   "a page of 100 spacecraft, scalar fields",
			Query:  `{ allSpacecraft(first: 100) { totalCount nodes { name serialNumber inSpace timeInSpace status { name } image { imageUrl } } } }`,
			Calls:  1,
			Routes: map[string]int{"spacecraft/": 1},
		},
		{
			Name: "the same page with configuration details, the agency's foundingYear and the families' counts",
			Query: `{ allSpacecraft(first: 100) { nodes { name spacecraftConfig { name capability crewCapacity humanRated maidenFlight
				agency { name foundingYear administrator } families { name maidenFlight spacecraftFlown manufacturer { name foundingYear } } } } } }`,
			Calls:  1,
			Routes: map[string]int{"spacecraft/": 1},
		},
		{
			Name:   "the same page with the agencies' launch statistics (detailed agencies: one crawl of 311 agencies)",
			Query:  `{ allSpacecraft(first: 100) { nodes { name spacecraftConfig { agency { name totalLaunchCount infoUrl } } } } }`,
			Calls:  5,
			Routes: map[string]int{"spacecraft/": 1, "agencies/": 4},
		},
		{
			Name:   "one spacecraft by ll2Id with its configuration, agency and families",
			Query:  `{ spacecraft(ll2Id: 12) { name spacecraftConfig { capability agency { foundingYear } families { name parent { name } manufacturer { name } } } } }`,
			Calls:  1,
			Routes: map[string]int{"spacecraft/{id}/": 1},
		},
		{
			Name: "node and nodes over one id of each of the four types",
			Query: fmt.Sprintf(`{ node(id: %q) { id ... on Spacecraft { name } } nodes(ids: [%q, %q, %q]) { id
				... on SpacecraftConfig { name } ... on Agency { name } ... on Family { name } } }`,
				gid("Spacecraft", 12), gid("SpacecraftConfig", 3), gid("Agency", 5), gid("Family", 2)),
			Calls: 4,
		},
		{
			Name: "nodes over three ids of each type (a detail call each, or one crawl where fewer)",
			Query: fmt.Sprintf(`{ nodes(ids: [%q, %q, %q, %q, %q, %q, %q, %q, %q, %q, %q, %q]) { id } }`,
				gid("Spacecraft", 1), gid("Spacecraft", 2), gid("Spacecraft", 3),
				gid("SpacecraftConfig", 1), gid("SpacecraftConfig", 2), gid("SpacecraftConfig", 3),
				gid("Agency", 1), gid("Agency", 2), gid("Agency", 3),
				gid("Family", 1), gid("Family", 2), gid("Family", 3)),
			Calls:  8,
			Routes: map[string]int{"spacecraft/{id}/": 3, "spacecraft_configurations/": 1, "agencies/{id}/": 3, "spacecraft_configuration_families/": 1},
		},
		{
			Name:   "the same configuration twenty times, through aliases, node and nesting",
			Query:  "{\n" + aliases.String() + fmt.Sprintf(`s: allSpacecraft(first: 20, filter: {spacecraftConfig: "%d"}) { nodes { spacecraftConfig { capability } } } }`, cfg),
			Calls:  2,
			AtMost: true,
			Routes: map[string]int{"spacecraft_configurations/{id}/": 1, "spacecraft/": 1},
		},
		{
			Name:   "20 configurations with 5 of their spacecraft each (one crawl of 600 spacecraft, not 20 calls)",
			Query:  `{ allSpacecraftConfigs(first: 20) { nodes { name spacecraft(first: 5) { totalCount nodes { name } } } } }`,
			Calls:  7,
			Routes: map[string]int{"spacecraft_configurations/": 1, "spacecraft/": 6},
		},
		{
			Name:   "one configuration with its spacecraft",
			Query:  `{ spacecraftConfig(ll2Id: 7) { name spacecraft(first: 5, orderBy: {field: TIME_IN_SPACE, direction: DESC}) { nodes { name timeInSpace } } } }`,
			Calls:  2,
			Routes: map[string]int{"spacecraft_configurations/{id}/": 1, "spacecraft/": 1},
		},
		{
			Name:   "10 agencies with their configurations and families",
			Query:  `{ allAgencies(first: 10) { nodes { name spacecraftConfigs(first: 3) { nodes { name } } families { nodes { name } } } } }`,
			Calls:  3,
			Routes: map[string]int{"agencies/": 1, "spacecraft_configurations/": 1, "spacecraft_configuration_families/": 1},
		},
		{
			Name:   "every family with its configurations (LL2 has no such filter: one crawl of the configurations)",
			Query:  `{ allFamilies(first: 100) { nodes { name parent { name } spacecraftConfigs { totalCount nodes { name } } } } }`,
			Calls:  2,
			Routes: map[string]int{"spacecraft_configuration_families/": 1, "spacecraft_configurations/": 1},
		},
		{
			Name:   "the last 5 spacecraft by time in space, without a cursor",
			Query:  `{ allSpacecraft(last: 5, orderBy: {field: TIME_IN_SPACE}) { pageInfo { hasPreviousPage hasNextPage } nodes { name } } }`,
			Calls:  1,
			Routes: map[string]int{"spacecraft/": 1},
		},
		{
			Name:  "only totalCount",
			Query: `{ allAgencies(filter: {featured: true}) { totalCount } }`,
			Calls: 1,
		},
	}, flightCallTable()...)
}
