package gateway_test

import (
	"encoding/base64"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func gid(typ string, id int) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%s:%d", typ, id))
}

// callCase is one row of the gateway's promise: a query and the exact number of LL2
// calls it costs, cold, against LL2-scale data.
type callCase struct {
	name  string
	query string
	calls int
	// atMost marks a count that is a ceiling: concurrent root fields may find what
	// another one fetched a moment before (the entity cache), and spend less.
	atMost bool
	// routes, when set, pins the calls per LL2 route as well (as ceilings when atMost).
	routes map[string]int
}

// callTable is the upstream-call table of the README. Its counts are LL2's own limits
// at work: no endpoint fetches several objects by id, so a batch of n ids costs n detail
// calls or, when cheaper, one crawl of the collection (100 per call).
func callTable() []callCase {
	cfg := 7
	aliases := strings.Builder{}
	for i := range 10 {
		fmt.Fprintf(&aliases, "c%d: spacecraftConfig(ll2Id: %d) { name capability }\n", i, cfg)
		fmt.Fprintf(&aliases, "n%d: node(id: %q) { ... on SpacecraftConfig { history agency { name } } }\n", i, gid("SpacecraftConfig", cfg))
	}
	return []callCase{
		{
			name:   "a page of 100 spacecraft, scalar fields",
			query:  `{ allSpacecraft(first: 100) { totalCount nodes { name serialNumber inSpace timeInSpace status { name } image { imageUrl } } } }`,
			calls:  1,
			routes: map[string]int{"spacecraft/": 1},
		},
		{
			name: "the same page with configuration details, the agency's foundingYear and the families' counts",
			query: `{ allSpacecraft(first: 100) { nodes { name spacecraftConfig { name capability crewCapacity humanRated maidenFlight
				agency { name foundingYear administrator } families { name maidenFlight spacecraftFlown manufacturer { name foundingYear } } } } } }`,
			calls:  1,
			routes: map[string]int{"spacecraft/": 1},
		},
		{
			name:   "the same page with the agencies' launch statistics (detailed agencies: one crawl of 311 agencies)",
			query:  `{ allSpacecraft(first: 100) { nodes { name spacecraftConfig { agency { name totalLaunchCount infoUrl } } } } }`,
			calls:  5,
			routes: map[string]int{"spacecraft/": 1, "agencies/": 4},
		},
		{
			name:   "one spacecraft by ll2Id with its configuration, agency and families",
			query:  `{ spacecraft(ll2Id: 12) { name spacecraftConfig { capability agency { foundingYear } families { name parent { name } manufacturer { name } } } } }`,
			calls:  1,
			routes: map[string]int{"spacecraft/{id}/": 1},
		},
		{
			name: "node and nodes over one id of each of the four types",
			query: fmt.Sprintf(`{ node(id: %q) { id ... on Spacecraft { name } } nodes(ids: [%q, %q, %q]) { id
				... on SpacecraftConfig { name } ... on Agency { name } ... on Family { name } } }`,
				gid("Spacecraft", 12), gid("SpacecraftConfig", 3), gid("Agency", 5), gid("Family", 2)),
			calls: 4,
		},
		{
			name: "nodes over three ids of each type (a detail call each, or one crawl where fewer)",
			query: fmt.Sprintf(`{ nodes(ids: [%q, %q, %q, %q, %q, %q, %q, %q, %q, %q, %q, %q]) { id } }`,
				gid("Spacecraft", 1), gid("Spacecraft", 2), gid("Spacecraft", 3),
				gid("SpacecraftConfig", 1), gid("SpacecraftConfig", 2), gid("SpacecraftConfig", 3),
				gid("Agency", 1), gid("Agency", 2), gid("Agency", 3),
				gid("Family", 1), gid("Family", 2), gid("Family", 3)),
			calls:  8,
			routes: map[string]int{"spacecraft/{id}/": 3, "spacecraft_configurations/": 1, "agencies/{id}/": 3, "spacecraft_configuration_families/": 1},
		},
		{
			name:   "the same configuration twenty times, through aliases, node and nesting",
			query:  "{\n" + aliases.String() + fmt.Sprintf(`s: allSpacecraft(first: 20, filter: {spacecraftConfig: "%d"}) { nodes { spacecraftConfig { capability } } } }`, cfg),
			calls:  2,
			atMost: true,
			routes: map[string]int{"spacecraft_configurations/{id}/": 1, "spacecraft/": 1},
		},
		{
			name:   "20 configurations with 5 of their spacecraft each (one crawl of 600 spacecraft, not 20 calls)",
			query:  `{ allSpacecraftConfigs(first: 20) { nodes { name spacecraft(first: 5) { totalCount nodes { name } } } } }`,
			calls:  7,
			routes: map[string]int{"spacecraft_configurations/": 1, "spacecraft/": 6},
		},
		{
			name:   "one configuration with its spacecraft",
			query:  `{ spacecraftConfig(ll2Id: 7) { name spacecraft(first: 5, orderBy: {field: TIME_IN_SPACE, direction: DESC}) { nodes { name timeInSpace } } } }`,
			calls:  2,
			routes: map[string]int{"spacecraft_configurations/{id}/": 1, "spacecraft/": 1},
		},
		{
			name:   "10 agencies with their configurations and families",
			query:  `{ allAgencies(first: 10) { nodes { name spacecraftConfigs(first: 3) { nodes { name } } families { nodes { name } } } } }`,
			calls:  3,
			routes: map[string]int{"agencies/": 1, "spacecraft_configurations/": 1, "spacecraft_configuration_families/": 1},
		},
		{
			name:   "every family with its configurations (LL2 has no such filter: one crawl of the configurations)",
			query:  `{ allFamilies(first: 100) { nodes { name parent { name } spacecraftConfigs { totalCount nodes { name } } } } }`,
			calls:  2,
			routes: map[string]int{"spacecraft_configuration_families/": 1, "spacecraft_configurations/": 1},
		},
		{
			name:   "the last 5 spacecraft by time in space, without a cursor",
			query:  `{ allSpacecraft(last: 5, orderBy: {field: TIME_IN_SPACE}) { pageInfo { hasPreviousPage hasNextPage } nodes { name } } }`,
			calls:  1,
			routes: map[string]int{"spacecraft/": 1},
		},
		{
			name:  "only totalCount",
			query: `{ allAgencies(filter: {featured: true}) { totalCount } }`,
			calls: 1,
		},
	}
}

// TestUpstreamCalls pins the number of LL2 calls of each query of the table, each run
// on a cold gateway, and keeps the README's table in step with it.
func TestUpstreamCalls(t *testing.T) {
	for _, c := range callTable() {
		t.Run(c.name, func(t *testing.T) {
			h := newLL2Scale(t)
			h.ok(c.query, nil, nil)
			if got := h.calls(); got != c.calls && !(c.atMost && got <= c.calls) {
				t.Errorf("%d LL2 calls, want %d:\n  %s", got, c.calls, h.requests())
			}
			if c.routes != nil {
				by := h.g.LL2.Counters().ByRoute
				for route, want := range c.routes {
					if by[route] != want && !(c.atMost && by[route] <= want) {
						t.Errorf("route %s: %d calls, want %d (all: %v)", route, by[route], want, by)
					}
				}
			}
		})
	}
	checkReadmeSection(t, "calls", callTableMarkdown())
}

func callTableMarkdown() string {
	var b strings.Builder
	b.WriteString("| query | LL2 calls, cold |\n| --- | ---: |\n")
	for _, c := range callTable() {
		q := regexp.MustCompile(`\s+`).ReplaceAllString(c.query, " ")
		if len(q) > 160 {
			q = q[:157] + "…"
		}
		n := strconv.Itoa(c.calls)
		if c.atMost {
			n = "≤ " + n
		}
		fmt.Fprintf(&b, "| %s<br>`%s` | %s |\n", c.name, strings.ReplaceAll(q, "|", `\|`), n)
	}
	return b.String()
}

// checkReadmeSection compares the README's section between `<!-- name:begin -->` and
// `<!-- name:end -->` with want, or rewrites it under -update.
func checkReadmeSection(t *testing.T, name, want string) {
	t.Helper()
	const path = "../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q … %q section", begin, end)
	}
	got := s[i+len(begin) : j]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's %s section is stale; run go test ./gateway -run %s -update\n--- got\n%s\n--- want\n%s", name, t.Name(), got, want)
}

// TestNormalFieldsNeverFetchDetail checks the plan the other way: a page that selects
// only normal-level fields asks LL2 for the normal level, and nothing more.
func TestNormalFieldsNeverFetchDetail(t *testing.T) {
	h := newLL2Scale(t)
	h.ok(`{ allSpacecraft(first: 50) { nodes { name spacecraftConfig { name inUse agency { name abbrev } families { name description manufacturer { name } } } } } }`, nil, nil)
	reqs := h.g.LL2.Requests()
	if len(reqs) != 1 || !strings.Contains(reqs[0], "mode=normal") {
		t.Fatalf("want one mode=normal call, got:\n  %s", h.requests())
	}
}

// TestLoaderLevelsAreExact checks that a nested object loaded for a richer selection
// is loaded once however many parents embed it.
func TestLoaderLevelsAreExact(t *testing.T) {
	h := newLL2Scale(t)
	var out struct {
		AllSpacecraft struct {
			Nodes []struct {
				SpacecraftConfig struct {
					Agency struct {
						ID               string `json:"id"`
						TotalLaunchCount *int   `json:"totalLaunchCount"`
					} `json:"agency"`
				} `json:"spacecraftConfig"`
			} `json:"nodes"`
		} `json:"allSpacecraft"`
	}
	h.ok(`{ allSpacecraft(first: 3) { nodes { spacecraftConfig { agency { id totalLaunchCount } } } } }`, nil, &out)
	distinct := map[string]bool{}
	for _, n := range out.AllSpacecraft.Nodes {
		if n.SpacecraftConfig.Agency.TotalLaunchCount == nil {
			t.Errorf("agency %s: totalLaunchCount is null; the synthetic data fills every field", n.SpacecraftConfig.Agency.ID)
		}
		distinct[n.SpacecraftConfig.Agency.ID] = true
	}
	// One list call, then one detail call per distinct agency (fewer than a crawl's 4).
	if want := 1 + min(len(distinct), 4); h.calls() != want {
		t.Errorf("%d calls, want %d:\n  %s", h.calls(), want, h.requests())
	}
	if by := h.g.LL2.Counters().ByRoute; by["agencies/{id}/"] != len(distinct) {
		t.Errorf("agency detail calls %d, want one per distinct agency (%d)", by["agencies/{id}/"], len(distinct))
	}

}
