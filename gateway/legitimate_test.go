package gateway_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"spacegraph/gateway"
)

// legitQuery is a query that the defaults must let through.
type legitQuery struct {
	source, query string
	vars          map[string]any
}

// legitimateQueries are what TestLegitimateQueriesFitTheDefaults and
// TestPlannedCallsBoundTheRuns measure: the introspection queries of clients
// (GraphiQL's, graphql-js's with every option, gqlgen's), the README's examples, the
// upstream-call table, the playground's tabs and testQueries. Each is named in one
// of those lists, so that what the limits are measured against changes only when a
// list does.
func legitimateQueries(t *testing.T) []legitQuery {
	t.Helper()
	var out []legitQuery
	for _, q := range clientIntrospectionQueries(t) {
		out = append(out, legitQuery{source: "introspection: " + q.name, query: q.query})
	}
	for _, ex := range readmeExamples {
		out = append(out, legitQuery{source: "README: " + ex.title, query: ex.query})
	}
	for _, c := range callTable() {
		out = append(out, legitQuery{source: "calls table: " + c.Name, query: c.Query})
	}
	for i, ex := range gateway.PlaygroundExamples() {
		var vars map[string]any
		if ex.Variables != "" {
			if err := json.Unmarshal([]byte(ex.Variables), &vars); err != nil {
				t.Fatalf("playground example %d: variables: %v", i, err)
			}
		}
		out = append(out, legitQuery{source: fmt.Sprintf("playground tab %d", i), query: ex.Query, vars: vars})
	}
	for _, q := range testQueries {
		out = append(out, legitQuery{source: "test query: " + q.name, query: q.query})
	}
	// A document listed twice would be measured twice and hide that a list lost one.
	seen := map[string]string{}
	for _, q := range out {
		if first, ok := seen[q.query]; ok {
			t.Errorf("%s is %s again", q.source, first)
		}
		seen[q.query] = q.source
	}
	return out
}

// testQueries are the documents the gateway's tests send that a client could send as
// they stand (the abuse tests' and the conformance audit's documents are not
// legitimate): simple lookups, every list and connection argument, nested pages,
// aliases, variables, introspection, the spellings the response cache must see as
// one document, and queries whose arguments are refused (bad input is legitimate:
// it must get its error, not a limit's). A new shape of query belongs here.
var testQueries = []struct{ name, query string }{
	{"a spacecraft's name, id 1", `{ spacecraft(ll2Id: 1) { name } }`},
	{"a spacecraft's name, id 2", `{ spacecraft(ll2Id: 2) { name } }`},
	{"a spacecraft's name, id 3", `{ spacecraft(ll2Id: 3) { name } }`},
	{"50 configurations with one spacecraft each", `{ allSpacecraftConfigs(first: 50) { nodes { spacecraft(first: 1) { nodes { name } } } } }`},
	{"50 spacecraft with the normal-level fields of what they embed", `{ allSpacecraft(first: 50) { nodes { name spacecraftConfig { name inUse agency { name abbrev } families { name description manufacturer { name } } } } } }`},
	{"3 spacecraft with their agency's launch count", `{ allSpacecraft(first: 3) { nodes { spacecraftConfig { agency { id totalLaunchCount } } } } }`},
	{"a spacecraft page with every connection argument from variables", pageQuery},
	{"an agency's configurations through three aliased windows", `{ agency(ll2Id: 121) {
		a: spacecraftConfigs(last: 2) { nodes { name } }
		b: spacecraftConfigs(last: 2) { nodes { name } }
		all: spacecraftConfigs { nodes { name } } } }`},
	{"a spacecraft's name, id 242", `{ spacecraft(ll2Id: 242) { name } }`},
	{"a spacecraft's name, id 569", `{ spacecraft(ll2Id: 569) { name } }`},
	{"a spacecraft's name, id 612", `{ spacecraft(ll2Id: 612) { name } }`},
	{"an aliased spacecraft's name", `{ again: spacecraft(ll2Id: 242) { name } }`},
	{"an agency's name", `{ agency(ll2Id: 121) { name } }`},
	{"a spacecraft by a variable id", `query($id: Int) { spacecraft(ll2Id: $id) { name } }`},
	{"a spacecraft and a count of agencies, from variables", `query($id: Int, $first: Int) { spacecraft(ll2Id: $id) { name } allAgencies(first: $first) { totalCount } }`},
	{"an agency's countries", `{ agency(ll2Id: 121) { countries { name } } }`},
	{"__typename alone", `{ __typename }`},
	{"5 spacecraft with their configuration's capability", `{ allSpacecraft(first: 5) { nodes { spacecraftConfig { ll2Id capability } } } }`},
	{"a search with its count", `{ allSpacecraft(first: 3, search: "Dragon") { totalCount nodes { name } } }`},
	{"a search for one spacecraft", `{ allSpacecraft(first: 1, search: "Renamed Since") { totalCount nodes { name } } }`},
	{"the query type's name, by introspection", `{ __schema { queryType { name } } }`},
	{"a spacecraft and an agency, aliased", `{ a: spacecraft(ll2Id: 242) { name } b: agency(ll2Id: 121) { name abbrev } }`},
	{"a spacecraft without an id", `{ spacecraft { name } }`},
	{"an agency by a malformed global id", `{ agency(id: "bm90IGFuIGlk") { name } }`},
	{"a family by a negative id", `{ family(ll2Id: -3) { name } }`},
	{"a node by a malformed global id", `{ node(id: "garbage!") { id } }`},
	{"10 agencies by launch count, searched, with their families", `{ allAgencies(first: 10, orderBy: {field: TOTAL_LAUNCH_COUNT, direction: DESC}, search: "7") { nodes { name families { nodes { name } } } } }`},
	{"3 spacecraft's names", `{ allSpacecraft(first: 3) { nodes { name } } }`},
	{"5 spacecraft with their count", `{ allSpacecraft(first: 5) { totalCount nodes { name } } }`},
	{"100 configurations with their spacecraft counts", `{ allSpacecraftConfigs(first: 100) { nodes { name spacecraft(first: 1) { totalCount } } } }`},
	{"100 configurations' names", `{ allSpacecraftConfigs(first: 100) { nodes { name } } }`},
	{"a spacecraft's id and name by a variable id", `query($id: Int) { spacecraft(ll2Id: $id) { id name } }`},
	{"2 agencies' names", `{ allAgencies(first: 2) { nodes { name } } }`},
	{"10 spacecraft with their configuration and its agency", "{ allSpacecraft(first: 10) { nodes { id name spacecraftConfig { name agency { name } } } } }\n"},
	{"5 spacecraft, with a comment", `{ allSpacecraft(first: 5) { nodes { ll2Id name } } } # 1`},
	{"a search's first 3 results", `{ allSpacecraft(first: 3, search: "Dragon") { nodes { name id } } }`},
	{"a search's first 3 results, in other whitespace", "\n\t{allSpacecraft( first:3 search:\"Dragon\" ){\n  nodes {\r\n name\n id } } }  \n"},
	{"a search's first 3 results, with commas", `{ allSpacecraft(first: 3, search: "Dragon",) { nodes { name, id, } }, }`},
	{"a search's first 3 results, with comments", `# the dragons
{ allSpacecraft(first: 3, search: "Dragon") { # three
 nodes { name id } } } # end`},
	{"a search's first 3 results, with a string escape", `{ allSpacecraft(first: 3, search: "Drag\u006fn") { nodes { name id } } }`},
	{"a search's first 3 results, with a block string", `{ allSpacecraft(first: 3, search: """Dragon""") { nodes { name id } } }`},
	{"a search's first 3 results, with an alias", `{ allSpacecraft(first: 3, search: "Dragon") { nodes { title: name id } } }`},
	{"a search's first 3 results, in another field order", `{ allSpacecraft(first: 3, search: "Dragon") { nodes { id name } } }`},
	{"a search's first 2 results", `{ allSpacecraft(first: 2, search: "Dragon") { nodes { name id } } }`},
	{"a search with a # in it", `{ allSpacecraft(first: 3, search: "Dragon #x") { nodes { name id } } }`},
	{"50 spacecraft with their serial numbers", `{ allSpacecraft(first: 50) { nodes { name serialNumber } } }`},
	{"a spacecraft's name, id 569, unspaced, with a comment", `{spacecraft(ll2Id:569){name}} # again`},
	{"the introspection query of the schema snapshot", introspectionQuery},
	{"50 families with their human-rated configurations", `{ allFamilies(first: 50) { nodes { ll2Id spacecraftConfigs(first: 50, filter: {humanRated: true}) { nodes { ll2Id } } } } }`},
	{"the first of each list, and every agency's and family's configuration count", `{ s: allSpacecraft(first: 1) { nodes { ll2Id } } c: allSpacecraftConfigs(first: 1) { nodes { ll2Id } }
		a: allAgencies(first: 100) { nodes { ll2Id spacecraftConfigs { totalCount } } }
		f: allFamilies(first: 100) { nodes { ll2Id spacecraftConfigs { totalCount } } } }`},
	{"50 agencies' countries", `{ allAgencies(first: 50) { nodes { name countries { name } } } }`},
	{"100 configurations with every scalar, and a family with its statistics", `{ allSpacecraftConfigs(first: 100) { nodes { name inUse type { name } capability history details maidenFlight
		height diameter humanRated crewCapacity payloadCapacity payloadReturnCapacity flightLife wikiLink infoLink
		spacecraftFlown totalLaunchCount successfulLaunches failedLaunches attemptedLandings successfulLandings failedLandings
		fastestTurnaround fastestTurnaroundSeconds } }
		family(ll2Id: 7) { name description maidenFlight manufacturer { name } parent { name } spacecraftFlown totalLaunchCount } }`},
	{"an agency with its families", `{ agency(ll2Id: 1000) { name abbrev foundingYear families { nodes { name } } } }`},
	{"a family's ancestry", `{ family(ll2Id: 7) { name parent { name description maidenFlight manufacturer { name } parent { name } } } }`},
	{"families by manufacturer, counted", `{ allFamilies(filter: {manufacturer: "121"}) { totalCount } }`},
	{"families by search, counted", `{ allFamilies(search: "spacex") { totalCount } }`},
	{"an agency's family count", `{ agency(ll2Id: 121) { families { totalCount } } }`},
	{"families found by a search", `{ allFamilies(search: "dragon") { nodes { name } } }`},
	{"agencies by founding year and country, by launch count", `{ allAgencies(first: 50, filter: {foundingYearGte: 1900, countryCode: ["XAA", "XAB", "XAC", "XAD", "XAE"]},
		orderBy: {field: TOTAL_LAUNCH_COUNT, direction: DESC}) { totalCount nodes { foundingYear countries { name } } } }`},
	{"agencies founded since 1900, counted", `{ allAgencies(filter: {foundingYearGte: 1900}) { totalCount } }`},
	{"50 agencies by name", `{ allAgencies(first: 50, orderBy: {field: NAME}) { nodes { name foundingYear } } }`},
	{"a spacecraft with its configuration", `{ spacecraft(ll2Id: 242) { name spacecraftConfig { ll2Id name } } }`},
	{"a spacecraft with its configuration, aliased", `{ again: spacecraft(ll2Id: 242) { name spacecraftConfig { ll2Id name } } }`},
}
