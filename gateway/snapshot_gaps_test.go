package gateway_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"spacegraph/gateway"
	"spacegraph/graph"
	"spacegraph/ll2"
	"spacegraph/snapshot"
)

// These tests are the default mode's honesty: the embedded snapshot holds its records
// at the levels of detail the real pages show (agencies at LL2's list level,
// configurations and families at the normal level). What it lacks is said, never
// guessed: a field it cannot answer is null with one NOT_IN_SNAPSHOT error per field
// path pattern, a filter or ordering on such data is refused, and no null climbs past
// the field that lacks the data. Over a whole upstream none of it appears.

// noLimits lets the generated every-field queries through the query limits, which are
// not what these tests are about.
var noLimits = gateway.Protection{MaxDepth: -1, MaxComplexity: -1, MaxAliases: -1, MaxRootFields: -1, MaxTokens: -1, MaxBodyBytes: -1,
	MaxDocumentBytes: -1, MaxResponseBytes: -1, MaxUpstreamCalls: -1}

// selection writes a selection of every field of typ, to depth levels of objects below
// it: connection wrappers (…Connection, …Edge, PageInfo) do not count, so that depth
// counts objects of the domain. Connection fields ask for small pages, and abstract
// types get an inline fragment per possible type, whose fields are aliased by type
// (the types' fields of one name differ). seen records each Type.field selected.
func selection(s *ast.Schema, typ string, depth int, seen map[string]bool) string {
	return selectionAs(s, typ, depth, seen, "")
}

func selectionAs(s *ast.Schema, typ string, depth int, seen map[string]bool, alias string) string {
	def := s.Types[typ]
	if def.Kind == ast.Interface || def.Kind == ast.Union {
		parts := []string{"__typename"}
		for _, p := range s.GetPossibleTypes(def) {
			parts = append(parts, "... on "+p.Name+" "+selectionAs(s, p.Name, depth, seen, p.Name+"_"))
		}
		return "{ " + strings.Join(parts, " ") + " }"
	}
	key := func(name string) string {
		if alias == "" {
			return name
		}
		return alias + name + ": " + name
	}
	var parts []string
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		inner := s.Types[f.Type.Name()]
		if inner.Kind == ast.Scalar || inner.Kind == ast.Enum {
			parts = append(parts, key(f.Name))
			seen[typ+"."+f.Name] = true
			continue
		}
		wrapper := strings.HasSuffix(inner.Name, "Connection") || strings.HasSuffix(inner.Name, "Edge") || inner.Name == "PageInfo"
		next := depth - 1
		if wrapper {
			next = depth
		}
		if next < 0 || (!wrapper && depth == 0) {
			continue
		}
		args := ""
		if slices.ContainsFunc(f.Arguments, func(a *ast.ArgumentDefinition) bool { return a.Name == "first" }) {
			args = "(first: 3)" // small pages keep the product of nested pages small
		}
		parts = append(parts, key(f.Name)+args+" "+selection(s, inner.Name, next, seen))
		seen[typ+"."+f.Name] = true
	}
	if len(parts) == 0 {
		// An object whose fields are all objects, at the depth limit (a launch's rocket).
		parts = append(parts, "__typename")
	}
	return "{ " + strings.Join(parts, " ") + " }"
}

// everyFieldQueries builds one query per root field that selects every field of every
// type to depth 3, from the executable schema; objects are looked up by ids the
// upstream has (ids).
func everyFieldQueries(t *testing.T, ids map[string]int) (map[string]string, map[string]bool) {
	t.Helper()
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	seen := map[string]bool{}
	queries := map[string]string{}
	types := map[string]string{"spacecraft": "Spacecraft", "spacecraftConfig": "SpacecraftConfig", "agency": "Agency", "family": "Family",
		"spacecraftFlight": "SpacecraftFlight", "dockingEvent": "DockingEvent"}
	for _, f := range s.Query.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		var args string
		switch {
		case f.Name == "node":
			args = fmt.Sprintf("(id: %q)", gid("Agency", ids["Agency"]))
		case f.Name == "nodes":
			var gids []string
			for _, typ := range []string{"Spacecraft", "SpacecraftConfig", "Agency", "Family", "SpacecraftFlight", "DockingEvent"} {
				if ids[typ] != 0 {
					gids = append(gids, fmt.Sprintf("%q", gid(typ, ids[typ])))
				}
			}
			args = "(ids: [" + strings.Join(gids, ", ") + "])"
		case types[f.Name] != "":
			args = fmt.Sprintf("(ll2Id: %d)", max(1, ids[types[f.Name]]))
		case len(f.Arguments) == 0:
			// A lookup list.
		default:
			args = "(first: 10)"
		}
		queries[f.Name] = "{ " + f.Name + args + " " + selection(s, f.Type.Name(), 3, seen) + " }"
	}
	// The generator itself must reach every field of every type it reaches.
	for _, typ := range s.Types {
		if typ.BuiltIn || typ.Kind != ast.Object || strings.HasPrefix(typ.Name, "__") || typ.Name == "Query" {
			continue
		}
		for _, f := range typ.Fields {
			if !seen[typ.Name+"."+f.Name] && !strings.HasPrefix(f.Name, "__") {
				t.Errorf("the generated queries never select %s.%s", typ.Name, f.Name)
			}
		}
	}
	return queries, seen
}

// someIDs returns, per type, the LL2 id of an object the gateway's upstream has: the
// agency and family with the most configurations, so that nested connections have
// items.
func someIDs(t *testing.T, h *harness) map[string]int {
	t.Helper()
	var out struct {
		S struct{ Nodes []struct{ Ll2Id int } }
		C struct{ Nodes []struct{ Ll2Id int } }
		A struct {
			Nodes []struct {
				Ll2Id             int
				SpacecraftConfigs struct{ TotalCount int }
			}
		}
		F struct {
			Nodes []struct {
				Ll2Id             int
				SpacecraftConfigs struct{ TotalCount int }
			}
		}
	}
	h.ok(`{ s: allSpacecraft(first: 1) { nodes { ll2Id } } c: allSpacecraftConfigs(first: 1) { nodes { ll2Id } }
		a: allAgencies(first: 100) { nodes { ll2Id spacecraftConfigs { totalCount } } }
		f: allFamilies(first: 100) { nodes { ll2Id spacecraftConfigs { totalCount } } } }`, nil, &out)
	ids := map[string]int{"Spacecraft": out.S.Nodes[0].Ll2Id, "SpacecraftConfig": out.C.Nodes[0].Ll2Id}
	best := -1
	for _, a := range out.A.Nodes {
		if a.SpacecraftConfigs.TotalCount > best {
			ids["Agency"], best = a.Ll2Id, a.SpacecraftConfigs.TotalCount
		}
	}
	best = -1
	for _, f := range out.F.Nodes {
		if f.SpacecraftConfigs.TotalCount > best {
			ids["Family"], best = f.Ll2Id, f.SpacecraftConfigs.TotalCount
		}
	}
	// A flight with docking events and its first event, where the upstream holds them
	// (the embedded snapshot holds none: the ids stay 0).
	var fl struct {
		AllDockingEvents struct {
			Nodes []struct {
				Ll2Id  int
				Flight struct{ Ll2Id int }
			}
		}
	}
	if r := h.do(`{ allDockingEvents(first: 1) { nodes { ll2Id flight { ll2Id } } } }`, nil); len(r.Errors) == 0 {
		decode(t, r, &fl)
		if n := fl.AllDockingEvents.Nodes; len(n) > 0 {
			ids["DockingEvent"], ids["SpacecraftFlight"] = n[0].Ll2Id, n[0].Flight.Ll2Id
		}
	}
	return ids
}

// TestEveryFieldInTheDefaultMode selects every field of every type, to depth 3, from
// each root field: over the embedded snapshot every answer has data and its only
// errors are NOT_IN_SNAPSHOT, one per field path pattern; over the LL2-scale
// synthetic upstream, which holds everything, there is no error at all.
func TestEveryFieldInTheDefaultMode(t *testing.T) {
	synthetic := llScaleFlights()
	// The root fields of the records the embedded snapshot holds none of: null, with
	// one NOT_IN_SNAPSHOT error naming the field (TestFlightsInTheEmbeddedSnapshot).
	noneEmbedded := map[string]bool{"allSpacecraftFlights": true, "allDockingEvents": true, "spacecraftFlight": true, "dockingEvent": true}
	for _, tc := range []struct {
		name string
		cfg  gateway.Config
	}{
		{"embedded", gateway.Config{Protection: noLimits}},
		{"LL2-scale synthetic", gateway.Config{Snapshot: &synthetic, Protection: noLimits}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.cfg)
			queries, _ := everyFieldQueries(t, someIDs(t, h))
			gaps := map[string]bool{}
			for root, q := range queries {
				r := h.do(q, nil)
				if tc.cfg.Snapshot == nil && noneEmbedded[root] {
					if e := r.errorWith(t, "NOT_IN_SNAPSHOT"); e.Extensions["field"] != root || len(r.Errors) != 1 {
						t.Errorf("%s: errors %+v, want one NOT_IN_SNAPSHOT naming it", root, r.Errors)
					}
					continue
				}
				var data map[string]any
				if err := json.Unmarshal(r.Data, &data); err != nil || data == nil || data[root] == nil {
					t.Errorf("%s: data %s, errors %+v", root, r.Data, r.Errors)
					continue
				}
				patterns := map[string]bool{}
				for _, e := range r.Errors {
					code, _ := e.Extensions["code"].(string)
					pattern, _ := e.Extensions["pathPattern"].(string)
					count, _ := e.Extensions["count"].(float64)
					field, _ := e.Extensions["field"].(string)
					if tc.cfg.Snapshot != nil || code != "NOT_IN_SNAPSHOT" || pattern == "" || count < 1 || field == "" || len(e.Path) == 0 {
						t.Errorf("%s: unexpected error %+v", root, e)
						continue
					}
					if patterns[pattern] {
						t.Errorf("%s: two errors for %s", root, pattern)
					}
					patterns[pattern] = true
					gaps[field] = true
					if !pathMatches(e.Path, pattern) || valueAt(data, e.Path) != nil {
						t.Errorf("%s: error at %v (pattern %s) where the value is %v", root, e.Path, pattern, valueAt(data, e.Path))
					}
				}
			}
			if tc.cfg.Snapshot == nil {
				for _, want := range []string{"Agency.countries", "Agency.foundingYear", "Agency.totalLaunchCount",
					"SpacecraftConfig.capability", "SpacecraftConfig.crewCapacity", "Family.totalLaunchCount", "Spacecraft.flights"} {
					if !gaps[want] {
						t.Errorf("no NOT_IN_SNAPSHOT error for %s (gaps: %v)", want, gaps)
					}
				}
			}
		})
	}
}

// pathMatches reports whether a response path fits a pattern (list indices as *).
func pathMatches(path []any, pattern string) bool {
	parts := strings.Split(pattern, ".")
	if len(parts) != len(path) {
		return false
	}
	for i, p := range path {
		switch p := p.(type) {
		case float64:
			if parts[i] != "*" {
				return false
			}
		case string:
			if parts[i] != p {
				return false
			}
		}
	}
	return true
}

// valueAt reads the value at a response path.
func valueAt(v any, path []any) any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[p]
		case float64:
			l, _ := v.([]any)
			if int(p) >= len(l) {
				return nil
			}
			v = l[int(p)]
		}
	}
	return v
}

// gapsOf returns a response's NOT_IN_SNAPSHOT errors by field path pattern, and fails
// on any other error.
func gapsOf(t *testing.T, r response) map[string]gqlError {
	t.Helper()
	out := map[string]gqlError{}
	for _, e := range r.Errors {
		p, _ := e.Extensions["pathPattern"].(string)
		if e.Extensions["code"] != "NOT_IN_SNAPSHOT" || p == "" {
			t.Errorf("unexpected error %+v", e)
			continue
		}
		out[p] = e
	}
	return out
}

// wantGaps checks that a response has exactly the given field path patterns as
// NOT_IN_SNAPSHOT errors, each with its count of objects, a message naming the field
// and the ways to get it.
func wantGaps(t *testing.T, r response, want map[string]int) {
	t.Helper()
	got := gapsOf(t, r)
	for p, n := range want {
		e, ok := got[p]
		if !ok {
			t.Errorf("no NOT_IN_SNAPSHOT error for %s; errors: %+v", p, r.Errors)
			continue
		}
		field, _ := e.Extensions["field"].(string)
		if e.Extensions["count"] != float64(n) || !strings.HasPrefix(e.Message, field+" is not in the snapshot being served: "+fmt.Sprint(n)+" ") ||
			!strings.Contains(e.Message, "spacegraph snapshot DIR") || !strings.Contains(e.Message, "--snapshot DIR") || !strings.Contains(e.Message, "--upstream") {
			t.Errorf("%s: error %+v, want count %d and a message naming %s and how to get it", p, e, n, field)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("unexpected NOT_IN_SNAPSHOT error for %s", p)
		}
	}
}

// TestAgencyFieldsBeyondListLevel: the embedded snapshot's agencies come from the
// configurations of the real pages, at LL2's list level. Every agency is there with
// its name (the answer is not "data": null), and each field beyond the list level is
// null with one error for all eight agencies.
func TestAgencyFieldsBeyondListLevel(t *testing.T) {
	h := newHarness(t, gateway.Config{})
	r := h.do(`{ allAgencies(first: 50) { nodes { name countries { name } } } }`, nil)
	var out struct {
		AllAgencies struct {
			Nodes []struct {
				Name      string
				Countries *[]any
			}
		}
	}
	decode(t, r, &out)
	if len(out.AllAgencies.Nodes) != 8 {
		t.Fatalf("data %s, errors %+v", r.Data, r.Errors)
	}
	for _, n := range out.AllAgencies.Nodes {
		if n.Name == "" || n.Countries != nil {
			t.Errorf("agency %+v: want its name and null countries", n)
		}
	}
	wantGaps(t, r, map[string]int{"allAgencies.nodes.*.countries": 8})
	if e := r.Errors[0]; fmt.Sprint(e.Path) != "[allAgencies nodes 0 countries]" || e.Extensions["field"] != "Agency.countries" {
		t.Errorf("error %+v: want the first agency's path and the field", e)
	}

	// Every field above the list level, through a list, a lookup, node and nodes;
	// the list level's own fields are answered.
	fields := `name abbrev type { name } featured countries { name } description administrator foundingYear
		launchers spacecraftSummary parent image { imageUrl } logo { imageUrl } socialLogo { imageUrl }
		totalLaunchCount successfulLaunches pendingLaunches infoUrl wikiUrl socialMediaLinks { url }`
	r = h.do(`{ allAgencies { nodes { `+fields+` } } agency(ll2Id: 121) { `+fields+` }
		node(id: "`+gid("Agency", 44)+`") { ... on Agency { foundingYear } }
		nodes(ids: ["`+gid("Agency", 44)+`", "`+gid("Agency", 63)+`"]) { ... on Agency { foundingYear } } }`, nil)
	want := map[string]int{"node.foundingYear": 1, "nodes.*.foundingYear": 2}
	for _, f := range []string{"featured", "countries", "description", "administrator", "foundingYear", "launchers",
		"spacecraftSummary", "parent", "image", "logo", "socialLogo", "totalLaunchCount", "successfulLaunches",
		"pendingLaunches", "infoUrl", "wikiUrl", "socialMediaLinks"} {
		want["allAgencies.nodes.*."+f] = 8
		want["agency."+f] = 1
	}
	wantGaps(t, r, want)
	var agencies struct {
		Agency struct {
			Name, Abbrev string
			Type         struct{ Name string }
		}
	}
	decode(t, r, &agencies)
	if a := agencies.Agency; a.Name != "SpaceX" || a.Abbrev != "SpX" || a.Type.Name != "Commercial" {
		t.Errorf("agency 121: %+v", a)
	}
}

// TestConfigAndFamilyFieldsBeyondThePages: the real pages embed configurations and
// families at the normal level. A configuration's specifications and counts, and a
// family's counts, are null with errors; a family's normal fields are answered.
func TestConfigAndFamilyFieldsBeyondThePages(t *testing.T) {
	h := newHarness(t, gateway.Config{})
	r := h.do(`{ allSpacecraftConfigs(first: 100) { nodes { name inUse type { name } capability history details maidenFlight
		height diameter humanRated crewCapacity payloadCapacity payloadReturnCapacity flightLife wikiLink infoLink
		spacecraftFlown totalLaunchCount successfulLaunches failedLaunches attemptedLandings successfulLandings failedLandings
		fastestTurnaround fastestTurnaroundSeconds } }
		family(ll2Id: 7) { name description maidenFlight manufacturer { name } parent { name } spacecraftFlown totalLaunchCount } }`, nil)
	want := map[string]int{"family.spacecraftFlown": 1, "family.totalLaunchCount": 1}
	for _, f := range []string{"capability", "history", "details", "maidenFlight", "height", "diameter", "humanRated",
		"crewCapacity", "payloadCapacity", "payloadReturnCapacity", "flightLife", "wikiLink", "infoLink", "spacecraftFlown",
		"totalLaunchCount", "successfulLaunches", "failedLaunches", "attemptedLandings", "successfulLandings",
		"failedLandings", "fastestTurnaround", "fastestTurnaroundSeconds"} {
		want["allSpacecraftConfigs.nodes.*."+f] = 15
	}
	wantGaps(t, r, want)
	var out struct {
		Family struct {
			Name, Description, MaidenFlight string
			Manufacturer                    struct{ Name string }
			Parent                          struct{ Name string }
		}
	}
	decode(t, r, &out)
	if f := out.Family; f.Name != "Dragon 2" || f.Description == "" || f.MaidenFlight == "" || f.Manufacturer.Name != "SpaceX" || f.Parent.Name != "Dragon" {
		t.Errorf("family 7: %+v", f)
	}
}

// withListFamily is the embedded snapshot with the Dragon family (6) known only as the
// parent of Dragon 2, as a snapshot built from pages that never show it otherwise
// would hold it: at the list level.
func withListFamily(t *testing.T) snapshot.Data {
	t.Helper()
	d, _, err := snapshot.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	d.Families = slices.Clone(d.Families)
	for i, f := range d.Families {
		if f.ID == 6 {
			d.Families[i] = ll2.FamilyMini{ID: 6, Name: f.Name, ResponseMode: "list", SnapshotMode: "list"}.Upgrade()
		}
	}
	return d
}

// TestRecordOnlyEmbedded: objects that a snapshot knows only as embedded mini objects
// (every agency of the embedded snapshot, such as Energia, seen only as a family's
// manufacturer; a family seen only as another's parent) answer what the mini object
// holds, the rest is null with errors, and filters and searches they cannot decide are
// refused.
func TestRecordOnlyEmbedded(t *testing.T) {
	h := newHarness(t, gateway.Config{})
	r := h.do(`{ agency(ll2Id: 1000) { name abbrev foundingYear families { nodes { name } } } }`, nil)
	wantGaps(t, r, map[string]int{"agency.foundingYear": 1})
	var energia struct {
		Agency struct {
			Name     string
			Families struct{ Nodes []struct{ Name string } }
		}
	}
	decode(t, r, &energia)
	if energia.Agency.Name != "Energia" || len(energia.Agency.Families.Nodes) != 2 {
		t.Errorf("agency 1000: %+v", energia.Agency)
	}

	d := withListFamily(t)
	h = newHarness(t, gateway.Config{Snapshot: &d})
	r = h.do(`{ family(ll2Id: 7) { name parent { name description maidenFlight manufacturer { name } parent { name } } } }`, nil)
	wantGaps(t, r, map[string]int{"family.parent.description": 1, "family.parent.maidenFlight": 1,
		"family.parent.manufacturer": 1, "family.parent.parent": 1})
	var dragon struct {
		Family struct{ Parent struct{ Name string } }
	}
	decode(t, r, &dragon)
	if dragon.Family.Parent.Name != "Dragon" {
		t.Errorf("family 7's parent: %s", r.Data)
	}
	// Dragon's manufacturer is unknown, so no filter or search on manufacturers can
	// be answered right, and none is answered at all; a search its name decides is.
	for _, q := range []struct{ query, arg string }{
		{`{ allFamilies(filter: {manufacturer: "121"}) { totalCount } }`, "filter.manufacturer"},
		{`{ allFamilies(search: "spacex") { totalCount } }`, "search"},
	} {
		e := h.do(q.query, nil).errorWith(t, "NOT_IN_SNAPSHOT")
		if e.Extensions["argument"] != q.arg || !strings.Contains(e.Message, q.arg) || !strings.Contains(e.Message, "--upstream") {
			t.Errorf("%s: %+v, want the argument %s named", q.query, e, q.arg)
		}
	}
	// Which families SpaceX makes is not known either: the connection names itself.
	e := h.do(`{ agency(ll2Id: 121) { families { totalCount } } }`, nil).errorWith(t, "NOT_IN_SNAPSHOT")
	if e.Extensions["field"] != "Agency.families" || e.Extensions["argument"] != nil || !strings.HasPrefix(e.Message, "Agency.families cannot be answered") {
		t.Errorf("agency 121's families: %+v", e)
	}
	var found struct {
		AllFamilies struct{ Nodes []struct{ Name string } }
	}
	h.ok(`{ allFamilies(search: "dragon") { nodes { name } } }`, nil, &found)
	if len(found.AllFamilies.Nodes) != 2 {
		t.Errorf("search dragon: %+v", found)
	}
}

// TestNotInSnapshotNeverAgainstAWholeUpstream: over a snapshot that holds everything,
// the same queries answer every field and every filter, with no NOT_IN_SNAPSHOT.
func TestNotInSnapshotNeverAgainstAWholeUpstream(t *testing.T) {
	h := newLL2Scale(t)
	var out struct {
		AllAgencies struct {
			TotalCount int
			Nodes      []struct {
				FoundingYear *int
				Countries    []struct{ Name string }
			}
		}
	}
	h.ok(`{ allAgencies(first: 50, filter: {foundingYearGte: 1900, countryCode: ["XAA", "XAB", "XAC", "XAD", "XAE"]},
		orderBy: {field: TOTAL_LAUNCH_COUNT, direction: DESC}) { totalCount nodes { foundingYear countries { name } } } }`, nil, &out)
	if out.AllAgencies.TotalCount == 0 || out.AllAgencies.Nodes[0].FoundingYear == nil || len(out.AllAgencies.Nodes[0].Countries) == 0 {
		t.Errorf("got %+v", out)
	}
}

// TestPartialSnapshotInReplicaMode: a replica answers every list from its crawl, with
// the same rules as the built-in server: the crawl of a partial snapshot says what it
// lacks, so filters on it are refused and its fields reported, without a call.
func TestPartialSnapshotInReplicaMode(t *testing.T) {
	h := newHarness(t, gateway.Config{Prefetch: true, ResponseCacheOff: true})
	t.Cleanup(func() { h.g.Close() })
	waitPrefetched(t, h)
	before := h.calls()
	e := h.do(`{ allAgencies(filter: {foundingYearGte: 1900}) { totalCount } }`, nil).errorWith(t, "NOT_IN_SNAPSHOT")
	if e.Extensions["argument"] != "filter.foundingYearGte" {
		t.Errorf("refusal %+v", e)
	}
	r := h.do(`{ allAgencies(first: 50, orderBy: {field: NAME}) { nodes { name foundingYear } } }`, nil)
	wantGaps(t, r, map[string]int{"allAgencies.nodes.*.foundingYear": 8})
	if n := h.calls() - before; n != 0 {
		t.Errorf("a replica spent %d calls:\n  %s", n, h.requests())
	}
}
