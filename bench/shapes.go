package bench

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"spacegraph/relay"
)

// FlatQuery is a page of 100 spacecraft with their scalar fields and the objects
// every spacecraft embeds (status, image): no configuration. It is the cheapest page
// a frontend lists, so what it costs is the engine's floor per object.
const FlatQuery = `{ allSpacecraft(first: 100) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id ll2Id name serialNumber inSpace description status { name }
    timeInSpace timeInSpaceSeconds flightsCount image { imageUrl thumbnailUrl } } } } }`

// FamilyTreeQuery is a family with its configurations with their spacecraft: two
// levels of reverse connections (no LL2 object embeds its children), each answered by
// a loader over a crawled collection. Family 5 of LL2Scale has five configurations
// with 66 spacecraft, fewer than 20 each, so the pages (10 and 20, within the complexity
// limit) hold them all.
const FamilyTreeQuery = `{ family(ll2Id: 5) { id name manufacturer { name }
  spacecraftConfigs(first: 10) { totalCount nodes { id name capability agency { name }
    spacecraft(first: 20) { totalCount nodes { id name serialNumber status { name } flightsCount } } } } } }`

// AgencyPageQuery is a page of agencies with filters and an ordering, with the
// fields of LL2's normal level (countries, type, the launch statistics of the list
// level): the directory page of a frontend.
const AgencyPageQuery = `{ allAgencies(first: 100, filter: {foundingYearGte: 1900}, orderBy: {field: NAME}) {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { id ll2Id name abbrev featured foundingYear administrator type { name } countries { alpha3Code name } } } }`

// NodesIDs are the 100 global ids NodesQuery refetches, of the four node types, all
// of which exist in LL2Scale: every configuration (46) and family (30), 22 agencies
// and 2 spacecraft, interleaved. The mix keeps a cold run within the default call
// limit (10): the configurations and families are a crawl each, the agencies a crawl
// of four pages, the spacecraft a detail call each (a crawl would be six).
var NodesIDs = func() []string {
	counts := []struct {
		typ string
		n   int
	}{{"SpacecraftConfig", 46}, {"Family", 30}, {"Agency", 22}, {"Spacecraft", 2}}
	var ids []string
	for i := 1; len(ids) < 100; i++ {
		for _, c := range counts {
			if i <= c.n {
				ids = append(ids, relay.GlobalID(c.typ, i))
			}
		}
	}
	return ids
}()

// NodesQuery is nodes(ids:) over NodesIDs, with a few fields and one embedded object
// per type: what a client refetching a cache of mixed objects sends. The ids are in
// the document, not in variables, so that the document alone is the request.
var NodesQuery = fmt.Sprintf(`{ nodes(ids: [%s]) { id
  ... on Spacecraft { name serialNumber spacecraftConfig { name } }
  ... on SpacecraftConfig { name capability agency { name } }
  ... on Agency { name abbrev foundingYear }
  ... on Family { name maidenFlight manufacturer { name } } } }`, quoteAll(NodesIDs))

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// Shape is a reference query of the engine's speed: its document and how many
// objects its answer holds (so that a shape answering less cannot go unnoticed).
type Shape struct {
	// Name is a short name, fit for a sub-benchmark.
	Name string
	// Query is the document, an anonymous query (DistinctBody names it).
	Query string
	// Objects counts the objects of the answer with an id or ll2Id field (the
	// entities), as CountObjects counts them.
	Objects int
}

// Shapes returns the reference shapes of the engine's speed, the nested query first.
// Their object counts hold for LL2Scale.
func Shapes() []Shape {
	return []Shape{
		{Name: "nested", Query: NestedQuery, Objects: 413},
		{Name: "flat", Query: FlatQuery, Objects: 100},
		{Name: "nodes", Query: NodesQuery, Objects: 100},
		{Name: "family-tree", Query: FamilyTreeQuery, Objects: 1 + 5 + 66},
		{Name: "agency-page", Query: AgencyPageQuery, Objects: 100},
	}
}

// DistinctBodies returns a function whose n-th value is the JSON body of query q
// named as operation S<n>: a document the gateway has not seen for each n, so that
// neither its parsed-query cache nor its response cache can answer it, while LL2's
// answers stay cached. The query is escaped once, so that building a body costs the
// client next to nothing beside the server it measures.
func DistinctBodies(q string) func(n int) []byte {
	escaped, err := json.Marshal(q)
	if err != nil {
		panic(err) // a string always encodes
	}
	rest := escaped[1:] // the query's text and its closing quote
	return func(n int) []byte {
		b := make([]byte, 0, len(rest)+48)
		b = append(b, `{"operationName":"S`...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, `","query":"query S`...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, ' ')
		b = append(b, rest...)
		return append(b, '}')
	}
}

// CountObjects counts the JSON objects with an "id" or "ll2Id" member in a
// response's data: the entities the answer holds.
func CountObjects(data []byte) (int, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return 0, err
	}
	var count func(v any) int
	count = func(v any) int {
		n := 0
		switch v := v.(type) {
		case map[string]any:
			_, id := v["id"]
			_, ll2 := v["ll2Id"]
			if id || ll2 {
				n++
			}
			for _, e := range v {
				n += count(e)
			}
		case []any:
			for _, e := range v {
				n += count(e)
			}
		}
		return n
	}
	return count(v), nil
}
