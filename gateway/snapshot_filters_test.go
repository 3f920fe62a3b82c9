package gateway_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"spacegraph/gateway"
	"spacegraph/graph"
	"spacegraph/ll2"
	"spacegraph/snapshot"
)

// complete returns a whole snapshot that agrees with d on everything d holds: each
// record keeps its known fields and gets random values (from seed) for the fields
// above the level it holds. An answer the partial snapshot gives is right only if
// every completion gives it too; that is what "refused or right" means here.
func complete(t *testing.T, d snapshot.Data, seed uint64) snapshot.Data {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 11))
	b := func() *bool { v := r.IntN(2) == 0; return &v }
	n := func(lo, hi int) *int { v := lo + r.IntN(hi-lo); return &v }
	s := func(words ...string) *string { v := words[r.IntN(len(words))]; return &v }
	codes := [][2]string{{"USA", "US"}, {"RUS", "RU"}, {"CHN", "CN"}, {"JPN", "JP"}, {"IND", "IN"}, {"FRA", "FR"}}
	held := func(mode string) ll2.Level { l, _ := ll2.SnapshotLevel(mode); return l }
	out := snapshot.Data{Lookups: d.Lookups}
	for _, a := range d.Agencies {
		c := *a
		if held(c.SnapshotMode) < ll2.LevelNormal {
			c.Featured = b()
			code := codes[r.IntN(len(codes))]
			c.Country = []ll2.Country{{ID: r.IntN(50) + 1, Name: s("Somewhere"), Alpha3Code: &code[0], Alpha2Code: &code[1]}}
			c.Description = s("A space agency.", "A company that builds spacecraft.", "An aerospace maker.")
			c.FoundingYear = n(1920, 2020)
			c.Administrator, c.Launchers, c.Spacecraft = s("Someone"), s("Rocket"), s("Capsule")
		}
		if held(c.SnapshotMode) < ll2.LevelDetailed {
			for _, p := range []**int{&c.TotalLaunchCount, &c.ConsecutiveSuccessfulLaunches, &c.SuccessfulLaunches,
				&c.FailedLaunches, &c.PendingLaunches, &c.ConsecutiveSuccessfulLandings, &c.SuccessfulLandings,
				&c.FailedLandings, &c.AttemptedLandings} {
				*p = n(0, 100)
			}
		}
		c.SnapshotMode = "detailed"
		out.Agencies = append(out.Agencies, &c)
	}
	for _, cfg := range d.Configs {
		c := *cfg
		if held(c.SnapshotMode) < ll2.LevelDetailed {
			maiden := ll2.Date(fmt.Sprintf("%d-01-01", 1960+r.IntN(60)))
			c.HumanRated, c.CrewCapacity, c.MaidenFlight = b(), n(0, 8), &maiden
		}
		c.SnapshotMode = "detailed"
		out.Configs = append(out.Configs, &c)
	}
	for _, f := range d.Families {
		c := *f
		if held(c.SnapshotMode) < ll2.LevelDetailed {
			c.TotalLaunchCount, c.SpacecraftFlown = n(0, 100), n(0, 30)
		}
		c.SnapshotMode = "detailed"
		out.Families = append(out.Families, &c)
	}
	for _, sc := range d.Spacecraft {
		c := *sc
		c.SnapshotMode = "detailed"
		out.Spacecraft = append(out.Spacecraft, &c)
	}
	return out
}

// connectionCase is one query on one connection field.
type connectionCase struct {
	name, query string
	// parentArg is set for a filter the connection's parent supplies, which the
	// client may not give (BAD_USER_INPUT).
	parentArg bool
	// noneEmbedded is set for the connections of flights and docking events, which
	// the embedded snapshot holds none of.
	noneEmbedded bool
}

// connectionCases generates, from the schema, a query per filter field (each value
// its type suggests), per ordering field and direction, and a search, for every
// connection field: the root ones and those of objects, reached through a lookup of
// the parent by the LL2 id parents gives.
func connectionCases(t *testing.T, parents map[string]int) []connectionCase {
	t.Helper()
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	// Values for filter fields, by input field name; types give the rest.
	refs := map[string][]string{"agency": {`"121"`, `"63"`}, "manufacturer": {`"121"`, `"1000"`},
		"spacecraftConfig": {`"33"`}, "parent": {`"63"`}, "spacecraft": {`"12"`}, "flight": {`"1"`}}
	strs := map[string][]string{"name": {`"Soyuz MS"`, `"SpaceX"`, `"Dragon"`, `"Progress MS-08"`},
		"nameContains": {`"space"`}, "abbrevContains": {`"a"`}, "abbrev": {`"NASA"`}, "descriptionContains": {`"space"`}}
	ints := map[string][]string{"status": {"4", "1"}, "type": {"1", "3"}, "foundingYearGte": {"1950"}, "foundingYearLte": {"1990"},
		"spaceStation": {"4"}, "dockingLocation": {"1"}}
	values := func(f *ast.FieldDefinition) []string {
		switch f.Type.Name() {
		case "Boolean":
			return []string{"true", "false"}
		case "ID":
			return refs[f.Name]
		case "String":
			if f.Type.Elem != nil {
				return []string{`["USA", "RUS"]`}
			}
			return strs[f.Name]
		case "Int":
			return ints[f.Name]
		case "IntRange":
			return []string{"{gte: 40}", "{lt: 3}"}
		case "DateTime":
			return []string{`"2020-01-01T00:00:00Z"`}
		}
		return nil
	}
	parentFilter := map[string]string{"SpacecraftConfig.spacecraft": "spacecraftConfig", "Agency.spacecraftConfigs": "agency", "Agency.families": "manufacturer",
		"SpacecraftFlight.dockingEvents": "flight"}
	var out []connectionCase
	for _, typ := range s.Types {
		if typ.Kind != ast.Object || strings.HasPrefix(typ.Name, "__") {
			continue
		}
		for _, f := range typ.Fields {
			filter, order := f.Arguments.ForName("filter"), f.Arguments.ForName("orderBy")
			if filter == nil || order == nil {
				continue
			}
			field := typ.Name + "." + f.Name
			none := strings.HasPrefix(f.Type.Name(), "SpacecraftFlight") || strings.HasPrefix(f.Type.Name(), "DockingEvent")
			wrap := func(args string) string {
				inner := f.Name + "(first: 100" + args + ") { totalCount nodes { id } }"
				if typ.Name == "Query" {
					return "{ " + inner + " }"
				}
				lookup := strings.ToLower(typ.Name[:1]) + typ.Name[1:]
				return fmt.Sprintf("{ %s(ll2Id: %d) { %s } }", lookup, parents[typ.Name], inner)
			}
			for _, in := range s.Types[filter.Type.Name()].Fields {
				vs := values(in)
				if len(vs) == 0 {
					t.Fatalf("%s: no test value for filter %s (%s)", field, in.Name, in.Type)
				}
				for _, v := range vs {
					out = append(out, connectionCase{name: fmt.Sprintf("%s filter.%s=%s", field, in.Name, v),
						query: wrap(", filter: {" + in.Name + ": " + v + "}"), parentArg: parentFilter[field] == in.Name, noneEmbedded: none})
				}
			}
			orderField := s.Types[order.Type.Name()].Fields.ForName("field")
			for _, ev := range s.Types[orderField.Type.Name()].EnumValues {
				for _, dir := range []string{"ASC", "DESC"} {
					out = append(out, connectionCase{name: fmt.Sprintf("%s orderBy %s %s", field, ev.Name, dir),
						query: wrap(", orderBy: {field: " + ev.Name + ", direction: " + dir + "}"), noneEmbedded: none})
				}
			}
			out = append(out, connectionCase{name: field + " search", query: wrap(`, search: "a"`), noneEmbedded: none})
		}
	}
	return out
}

// TestEveryFilterAndOrderingInTheDefaultMode runs every filter, ordering and search of
// every connection over the embedded snapshot: each is refused with NOT_IN_SNAPSHOT
// naming its argument, or answered exactly as two whole snapshots that agree with
// the embedded one on what it holds answer it. Never an empty or arbitrarily ordered
// page in between.
func TestEveryFilterAndOrderingInTheDefaultMode(t *testing.T) {
	d, _, err := snapshot.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	partial := newHarness(t, gateway.Config{})
	wholes := []*harness{}
	for _, seed := range []uint64{1, 2} {
		c := complete(t, d, seed)
		wholes = append(wholes, newHarness(t, gateway.Config{Snapshot: &c}))
	}
	parents := map[string]int{"SpacecraftConfig": 33, "Agency": 63, "Family": 2, "SpacecraftFlight": 1}
	refused, answered := map[string]bool{}, 0
	for _, c := range connectionCases(t, parents) {
		r := partial.do(c.query, nil)
		if c.noneEmbedded {
			// No flight or docking event in the embedded snapshot: refused whole, with
			// NOT_IN_SNAPSHOT naming the field, or first for bad input (a search LL2
			// does not have for flights), never an empty page.
			if len(r.Errors) != 1 {
				t.Errorf("%s: errors %+v, want one", c.name, r.Errors)
				continue
			}
			code, _ := r.Errors[0].Extensions["code"].(string)
			field, _ := r.Errors[0].Extensions["field"].(string)
			arg, _ := r.Errors[0].Extensions["argument"].(string)
			if !(code == "NOT_IN_SNAPSHOT" && field != "") && !(code == "BAD_USER_INPUT" && arg == "search") {
				t.Errorf("%s: %+v; want NOT_IN_SNAPSHOT naming the field", c.name, r.Errors[0])
			}
			refused[c.name] = true
			continue
		}
		if c.parentArg {
			r.errorWith(t, "BAD_USER_INPUT")
			continue
		}
		if len(r.Errors) > 0 {
			e := r.errorWith(t, "NOT_IN_SNAPSHOT")
			arg, _ := e.Extensions["argument"].(string)
			if len(r.Errors) != 1 || arg == "" || !strings.Contains(c.query, strings.Split(arg, ".")[len(strings.Split(arg, "."))-1]) ||
				!strings.Contains(e.Message, "spacegraph snapshot DIR") || !strings.Contains(e.Message, "--upstream") {
				t.Errorf("%s: errors %+v; want one NOT_IN_SNAPSHOT naming the argument", c.name, r.Errors)
			}
			refused[c.name] = true
			continue
		}
		answered++
		for i, w := range wholes {
			wr := w.do(c.query, nil)
			if len(wr.Errors) > 0 {
				t.Errorf("%s: whole snapshot %d: %+v", c.name, i, wr.Errors)
				continue
			}
			if !bytes.Equal(r.Data, wr.Data) {
				t.Errorf("%s: answered %s over the embedded snapshot, but %s over a whole one that agrees with it: the answer depends on what the snapshot does not hold",
					c.name, r.Data, wr.Data)
			}
		}
	}
	// Filters and orders on what the snapshot lacks: all refused, as are all the
	// agency statistics.
	for _, want := range []string{
		`Query.allAgencies filter.foundingYearGte=1950`,
		`Query.allAgencies filter.countryCode=["USA", "RUS"]`,
		`Query.allAgencies orderBy TOTAL_LAUNCH_COUNT DESC`,
		`Query.allSpacecraftConfigs filter.humanRated=true`,
		`Family.spacecraftConfigs filter.humanRated=false`,
		`Query.allAgencies filter.parent="63"`,
	} {
		if !refused[want] {
			t.Errorf("%s was not refused", want)
		}
	}
	if answered < 50 {
		t.Errorf("only %d cases answered: the embedded snapshot answers what it holds", answered)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range refused {
			if !yield(k) {
				return
			}
		}
	})
	t.Logf("%d answered, %d refused: %s", answered, len(refused), strings.Join(names, "; "))
}

// TestLocalAnswersReadRichEnoughCrawls: a connection answered from a crawl (a
// family's configurations: LL2 has no such filter) filters by what the crawl holds.
// A filter on a detailed field once ran over a crawl at the normal level, where every
// value is missing, and answered every family with no configuration at all.
func TestLocalAnswersReadRichEnoughCrawls(t *testing.T) {
	h := newLL2Scale(t)
	d := llScale()
	want := map[int][]int{}
	for _, c := range d.Configs {
		if c.HumanRated == nil || !*c.HumanRated {
			continue
		}
		for _, f := range c.Family {
			want[f.ID] = append(want[f.ID], c.ID)
		}
	}
	var out struct {
		AllFamilies struct {
			Nodes []struct {
				Ll2Id             int
				SpacecraftConfigs struct{ Nodes []struct{ Ll2Id int } }
			}
		}
	}
	h.ok(`{ allFamilies(first: 50) { nodes { ll2Id spacecraftConfigs(first: 50, filter: {humanRated: true}) { nodes { ll2Id } } } } }`, nil, &out)
	total := 0
	for _, f := range out.AllFamilies.Nodes {
		var got []int
		for _, c := range f.SpacecraftConfigs.Nodes {
			got = append(got, c.Ll2Id)
		}
		slices.Sort(got)
		w := slices.Clone(want[f.Ll2Id])
		slices.Sort(w)
		total += len(got)
		if !slices.Equal(got, w) {
			t.Errorf("family %d: human-rated configurations %v, want %v", f.Ll2Id, got, w)
		}
	}
	if total == 0 {
		t.Fatal("no human-rated configuration at all: the test data has none")
	}
}
