package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"

	"spacegraph/relay"
)

// The synthetic data's sizes (synthetic.LL2Scale) and the agencies that make
// configurations (the generator gives them to the first 40).
const (
	numSpacecraft = 600
	numConfigs    = 46
	numAgencies   = 311
	numFamilies   = 30
	numMakers     = 40
)

// queryKind is one kind of query of the traffic mix, with its share of the distinct
// queries.
type queryKind struct {
	name   string
	weight int
	// gen draws a query; a list query has %AFTER% where TrafficQueries puts the
	// cursor of a later page.
	gen func(r *rand.Rand) (query string, list bool)
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func orderArg(r *rand.Rand, fields ...string) string {
	return fmt.Sprintf("orderBy: {field: %s, direction: %s}", pick(r, fields...), pick(r, "ASC", "DESC"))
}

func args(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ", ")
}

// maybe returns s with probability p, else "".
func maybe(r *rand.Rand, p float64, s string) string {
	if r.Float64() < p {
		return s
	}
	return ""
}

// trafficKinds is the realistic mix: lookups by id (the most common request of a
// detail page), reverse connections (an agency's configurations, a configuration's
// spacecraft), and lists with filters, searches, orderings and pages.
var trafficKinds = []queryKind{
	{"spacecraft by id", 22, func(r *rand.Rand) (string, bool) {
		id := 1 + r.IntN(numSpacecraft)
		return fmt.Sprintf(pick(r,
			`{ spacecraft(ll2Id: %d) { name serialNumber status { name } inSpace spacecraftConfig { name agency { name } } } }`,
			`{ spacecraft(ll2Id: %d) { name timeInSpace flightsCount image { imageUrl } } }`,
			`{ spacecraft(ll2Id: %d) { id name description spacecraftConfig { name families { name } } } }`,
		), id), false
	}},
	{"configuration by id", 6, func(r *rand.Rand) (string, bool) {
		id := 1 + r.IntN(numConfigs)
		return fmt.Sprintf(pick(r,
			`{ spacecraftConfig(ll2Id: %d) { name capability crewCapacity humanRated agency { name abbrev } families { name } } }`,
			`{ spacecraftConfig(ll2Id: %d) { name inUse maidenFlight type { name } } }`,
		), id), false
	}},
	{"configuration's spacecraft", 5, func(r *rand.Rand) (string, bool) {
		return fmt.Sprintf(`{ spacecraftConfig(ll2Id: %d) { name spacecraft(%s) { totalCount nodes { name status { name } } } } }`,
			1+r.IntN(numConfigs), args(fmt.Sprintf("first: %d", pick(r, 5, 10)), maybe(r, 0.5, orderArg(r, "TIME_IN_SPACE", "FLIGHTS_COUNT")))), false
	}},
	{"agency by id", 9, func(r *rand.Rand) (string, bool) {
		id := 1 + r.IntN(numAgencies)
		return fmt.Sprintf(pick(r,
			`{ agency(ll2Id: %d) { name abbrev type { name } foundingYear administrator } }`,
			`{ agency(ll2Id: %d) { name description launchers spacecraftSummary } }`,
		), id), false
	}},
	{"agency's configurations and families", 6, func(r *rand.Rand) (string, bool) {
		return fmt.Sprintf(`{ agency(ll2Id: %d) { name spacecraftConfigs(first: 5) { totalCount nodes { name inUse } } families { nodes { name } } } }`,
			1+r.IntN(numMakers)), false
	}},
	{"family by id", 2, func(r *rand.Rand) (string, bool) {
		return fmt.Sprintf(`{ family(ll2Id: %d) { name maidenFlight manufacturer { name } parent { name } } }`, 1+r.IntN(numFamilies)), false
	}},
	{"family's configurations", 2, func(r *rand.Rand) (string, bool) {
		return fmt.Sprintf(`{ family(ll2Id: %d) { name spacecraftConfigs { totalCount nodes { name } } } }`, 1+r.IntN(numFamilies)), false
	}},
	{"node by global id", 5, func(r *rand.Rand) (string, bool) {
		switch r.IntN(4) {
		case 0:
			return fmt.Sprintf(`{ node(id: %q) { id ... on Spacecraft { name status { name } } } }`, relay.GlobalID(relay.TypeSpacecraft, 1+r.IntN(numSpacecraft))), false
		case 1:
			return fmt.Sprintf(`{ node(id: %q) { id ... on SpacecraftConfig { name } } }`, relay.GlobalID(relay.TypeSpacecraftConfig, 1+r.IntN(numConfigs))), false
		case 2:
			return fmt.Sprintf(`{ node(id: %q) { id ... on Agency { name abbrev } } }`, relay.GlobalID(relay.TypeAgency, 1+r.IntN(numAgencies))), false
		}
		return fmt.Sprintf(`{ node(id: %q) { id ... on Family { name } } }`, relay.GlobalID(relay.TypeFamily, 1+r.IntN(numFamilies))), false
	}},
	{"spacecraft list", 28, func(r *rand.Rand) (string, bool) {
		filter := pick(r, "", "", fmt.Sprintf("filter: {status: %d}", 1+r.IntN(5)), "filter: {inSpace: true}",
			"filter: {isPlaceholder: false}", fmt.Sprintf("filter: {spacecraftConfig: \"%d\"}", 1+r.IntN(numConfigs)))
		search := maybe(r, 0.2, fmt.Sprintf("search: \"%04d\"", r.IntN(60)))
		order := maybe(r, 0.6, orderArg(r, "ID", "FLIGHTS_COUNT", "MISSION_ENDS_COUNT", "TIME_DOCKED", "TIME_IN_SPACE"))
		fields := pick(r, "name status { name } timeInSpace", "name serialNumber inSpace", "name flightsCount spacecraftConfig { name }")
		return fmt.Sprintf(`{ allSpacecraft(%s) { totalCount pageInfo { hasNextPage endCursor } nodes { %s } } }`,
			args(fmt.Sprintf("first: %d", pick(r, 10, 20, 50)), "%AFTER%", filter, search, order), fields), true
	}},
	{"agency list", 10, func(r *rand.Rand) (string, bool) {
		filter := pick(r, "", "filter: {featured: true}", fmt.Sprintf("filter: {type: %d}", 1+r.IntN(6)),
			fmt.Sprintf("filter: {foundingYearGte: %d}", 1950+5*r.IntN(15)), "filter: {spacecraft: true}",
			fmt.Sprintf("filter: {nameContains: \"%02d\"}", r.IntN(32)))
		order := maybe(r, 0.6, orderArg(r, "ID", "NAME", "FEATURED", "TOTAL_LAUNCH_COUNT", "SUCCESSFUL_LAUNCHES"))
		return fmt.Sprintf(`{ allAgencies(%s) { totalCount pageInfo { hasNextPage endCursor } nodes { name abbrev type { name } } } }`,
			args(fmt.Sprintf("first: %d", pick(r, 10, 20, 50)), "%AFTER%", filter, order)), true
	}},
	{"configuration list", 3, func(r *rand.Rand) (string, bool) {
		filter := pick(r, "", "filter: {humanRated: true}", "filter: {inUse: true}", "filter: {inUse: false}",
			fmt.Sprintf("filter: {agency: \"%d\"}", 1+r.IntN(numMakers)))
		return fmt.Sprintf(`{ allSpacecraftConfigs(%s) { totalCount pageInfo { hasNextPage endCursor } nodes { name type { name } agency { name } } } }`,
			args(fmt.Sprintf("first: %d", pick(r, 10, 20)), "%AFTER%", filter, maybe(r, 0.3, orderArg(r, "NAME")))), true
	}},
	{"family list", 2, func(r *rand.Rand) (string, bool) {
		filter := pick(r, "", fmt.Sprintf("filter: {manufacturer: \"%d\"}", 1+r.IntN(numMakers)), fmt.Sprintf("search: \"%03d\"", 1+r.IntN(numFamilies)))
		return fmt.Sprintf(`{ allFamilies(%s) { totalCount pageInfo { hasNextPage endCursor } nodes { name manufacturer { name } } } }`,
			args(fmt.Sprintf("first: %d", pick(r, 10, 20)), "%AFTER%", filter, maybe(r, 0.3, orderArg(r, "NAME")))), true
	}},
}

// TrafficQueries returns n distinct queries of a realistic mix: lookups by id, by
// global id and with reverse connections, and lists with filters, searches,
// orderings and later pages (after the cursor of the page before). The mix and its
// order depend on seed only. pager is the handler of an unthrottled gateway over the
// same data: it finds the cursors of later pages and checks that every query is
// answered without error.
func TrafficQueries(n int, seed uint64, pager http.Handler) ([]string, error) {
	r := rand.New(rand.NewPCG(seed, 0x7aff1c))
	total := 0
	for _, k := range trafficKinds {
		total += k.weight
	}
	seen := map[string]bool{}
	var out []string
	for tries := 0; len(out) < n; tries++ {
		if tries > 50*n {
			return nil, fmt.Errorf("bench: found only %d distinct queries of %d", len(out), n)
		}
		w := r.IntN(total)
		k := trafficKinds[0]
		for _, k = range trafficKinds {
			if w < k.weight {
				break
			}
			w -= k.weight
		}
		q, list := k.gen(r)
		if list {
			// Most list requests are a first page; some page on.
			page := pick(r, 1, 1, 1, 1, 2, 2, 3)
			var err error
			if q, err = pageOf(pager, q, page); err != nil {
				return nil, err
			}
		}
		if seen[q] {
			continue
		}
		if _, _, err := ServeOK(pager, Body(q, nil)); err != nil {
			return nil, fmt.Errorf("bench: a %s query fails: %w", k.name, err)
		}
		seen[q] = true
		out = append(out, q)
	}
	return out, nil
}

// pageOf turns a list template (with %AFTER% where the after argument goes) into
// the query of its page-th page, following endCursor from the first page; it stops
// at the last page when there are fewer.
func pageOf(h http.Handler, template string, page int) (string, error) {
	q := strings.Replace(template, ", %AFTER%", "", 1)
	for p := 1; p < page; p++ {
		_, a, err := ServeOK(h, Body(q, nil))
		if err != nil {
			return "", err
		}
		var data map[string]struct {
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
		if err := json.Unmarshal(a.Data, &data); err != nil {
			return "", err
		}
		if len(data) != 1 {
			return "", errors.New("bench: a list query has one root field")
		}
		for _, conn := range data {
			if !conn.PageInfo.HasNextPage || conn.PageInfo.EndCursor == nil {
				return q, nil
			}
			q = strings.Replace(template, "%AFTER%", fmt.Sprintf("after: %q", *conn.PageInfo.EndCursor), 1)
		}
	}
	return q, nil
}

// Zipf draws ranks 0..n-1 with probabilities proportional to 1/(rank+1)^s: a few
// queries are asked very often, most rarely (s near 1 is the popularity of web
// content). It is deterministic for a seed and not safe for concurrent use.
type Zipf struct {
	cdf []float64
	r   *rand.Rand
}

// NewZipf returns a Zipf distribution over n ranks with exponent s.
func NewZipf(n int, s float64, seed uint64) *Zipf {
	cdf := make([]float64, n)
	sum := 0.0
	for i := range n {
		sum += 1 / math.Pow(float64(i+1), s)
		cdf[i] = sum
	}
	for i := range cdf {
		cdf[i] /= sum
	}
	return &Zipf{cdf: cdf, r: rand.New(rand.NewPCG(seed, 0x21bf))}
}

// Next draws a rank.
func (z *Zipf) Next() int {
	return min(sort.SearchFloat64s(z.cdf, z.r.Float64()), len(z.cdf)-1)
}

// Share returns the probability of the ranks below k.
func (z *Zipf) Share(k int) float64 {
	if k <= 0 {
		return 0
	}
	return z.cdf[min(k, len(z.cdf))-1]
}

// MemoryBodies returns n distinct request bodies (n up to 10,000) for the memory
// scenario: 1,250 documents (more than the gateway's cache of 1,000 parsed
// documents), distinct by alias and selection, each with up to 8 sets of variables,
// so that the n requests are n distinct cache keys and ask LL2 for pages of every size, search, filter and order.
// The queries select no field that needs a crawl, so that the LL2 answer cache, not
// a crawled collection, answers the repeats.
func MemoryBodies(n int) [][]byte {
	const docs = 1250
	out := make([][]byte, n)
	for i := range n {
		k, v := i%docs, i/docs // document k, variable set v
		alias := fmt.Sprintf("q%d", k)
		fields := []string{"name", "name status { name }", "name serialNumber timeInSpace", "id name flightsCount inSpace"}[(k/5)%4]
		var (
			q    string
			vars map[string]any
		)
		switch k % 5 {
		case 0:
			q = fmt.Sprintf(`query($id: Int!) { %s: spacecraft(ll2Id: $id) { %s spacecraftConfig { name } } }`, alias, fields)
			vars = map[string]any{"id": 1 + (k*8+v)%numSpacecraft}
		case 1:
			q = fmt.Sprintf(`query($first: Int!, $search: String) { %s: allSpacecraft(first: $first, search: $search) { totalCount nodes { %s } } }`, alias, fields)
			vars = map[string]any{"first": 5 + (k+v)%46, "search": fmt.Sprintf("%d", (k*8+v)%100)}
		case 2:
			q = fmt.Sprintf(`query($first: Int!, $status: Int, $dir: OrderDirection!) { %s: allSpacecraft(first: $first, filter: {status: $status}, orderBy: {field: TIME_IN_SPACE, direction: $dir}) { totalCount nodes { %s } } }`, alias, fields)
			vars = map[string]any{"first": 1 + (k*8+v)%100, "status": 1 + v%5, "dir": []string{"ASC", "DESC"}[(v/5+k)%2]}
		case 3:
			q = fmt.Sprintf(`query($first: Int!, $year: Int) { %s: allAgencies(first: $first, filter: {foundingYearGte: $year}) { totalCount nodes { name abbrev } } }`, alias)
			vars = map[string]any{"first": 1 + (k*8+v)%100, "year": 1940 + (k+v)%86}
		default:
			q = fmt.Sprintf(`query($id: Int!) { %s: agency(ll2Id: $id) { name abbrev foundingYear } }`, alias)
			vars = map[string]any{"id": 1 + (k*8+v)%numAgencies}
		}
		out[i] = Body(q, vars)
	}
	return out
}
