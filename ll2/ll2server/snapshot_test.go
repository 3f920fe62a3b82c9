package ll2server_test

import (
	"net/http"
	"strings"
	"testing"

	"spacegraph/ll2"
)

// TestEmbeddedSnapshot serves the default snapshot (real LL2 records) and checks its
// lists, filters, searches and orderings against the same records in plain Go.
func TestEmbeddedSnapshot(t *testing.T) {
	d := mustEmbedded(t)
	if len(d.Spacecraft) != 20 || len(d.Configs) != 15 || len(d.Agencies) != 8 || len(d.Families) != 5 {
		t.Fatalf("embedded snapshot: %d spacecraft, %d configs, %d agencies, %d families",
			len(d.Spacecraft), len(d.Configs), len(d.Agencies), len(d.Families))
	}
	e := newEnv(t, d, optsNone)
	cfgName := map[int]string{}
	cfgAgency := map[int]*ll2.AgencyNormal{}
	for _, c := range d.Configs {
		cfgName[c.ID] = c.Name
		cfgAgency[c.ID] = c.Agency
	}
	agencyByID := map[int]*ll2.AgencyDetailed{}
	for _, a := range d.Agencies {
		agencyByID[a.ID] = a
	}

	type S = ll2.SpacecraftDetailed
	statusIs := func(id int) func(*S) bool { return func(s *S) bool { return s.Status != nil && s.Status.ID == id } }
	cfgIs := func(id int) func(*S) bool {
		return func(s *S) bool { return s.SpacecraftConfig != nil && s.SpacecraftConfig.ID == id }
	}
	runFilterCases(t, e, "spacecraft/", d.Spacecraft, scID, []filterCase[S]{
		{"", nil},
		{"status=4", statusIs(4)},
		{"status=1", statusIs(1)},
		{"status=2", statusIs(2)},
		{"spacecraft_config=33", cfgIs(33)},
		{"spacecraft_config=121", cfgIs(121)},
		{"in_space=true", func(s *S) bool { return boolIs(s.InSpace, true) }},
		{"in_space=0", func(s *S) bool { return boolIs(s.InSpace, false) }},
		{"is_placeholder=True", func(s *S) bool { return boolIs(s.IsPlaceholder, true) }},
		{"name=soyuz%2016", func(s *S) bool { return strings.EqualFold(s.Name, "soyuz 16") }},
		{"status=4&in_space=false", func(s *S) bool { return statusIs(4)(s) && boolIs(s.InSpace, false) }},
	})
	scFields := func(s *S) []*string {
		var n *string
		if s.SpacecraftConfig != nil {
			name := cfgName[s.SpacecraftConfig.ID]
			n = &name
		}
		return []*string{&s.Name, n}
	}
	runSearchCases(t, e, "spacecraft/", d.Spacecraft, scID, scFields, []searchCase{
		{"soyuz", []string{"soyuz"}}, {"progress ms", []string{"progress", "ms"}}, {`"progress ms"`, []string{"progress ms"}},
		{"dragon", []string{"dragon"}}, {"7K", []string{"7k"}}, {"shenzhou 10", []string{"shenzhou", "10"}},
	})
	durField := func(name string, get func(*S) *ll2.Duration) orderField[S] {
		return orderField[S]{name, func(a, b *S, desc bool) int {
			secs := func(x *ll2.Duration) *int {
				if x == nil {
					return nil
				}
				n := isoSeconds(t, x.String())
				return &n
			}
			return nullsLast(secs(get(a)), secs(get(b)), cmpInt, desc)
		}}
	}
	runOrderings(t, e, "spacecraft/", d.Spacecraft, scID, []orderField[S]{
		intOrderField("flights_count", func(s *S) *int { return s.FlightsCount }),
		intOrderField("id", func(s *S) *int { return &s.ID }),
		intOrderField("mission_ends_count", func(s *S) *int { return s.MissionEndsCount }),
		durField("time_docked", func(s *S) *ll2.Duration { return s.TimeDocked }),
		durField("time_in_space", func(s *S) *ll2.Duration { return s.TimeInSpace }),
	}, [][]string{{"-mission_ends_count", "-time_in_space"}, {"time_docked", "-flights_count", "-id"}})

	type C = ll2.SpacecraftConfigDetailed
	agencyOf := func(c *C) int {
		if c.Agency == nil {
			return 0
		}
		return c.Agency.ID
	}
	runFilterCases(t, e, "spacecraft_configurations/", d.Configs, cfgID, []filterCase[C]{
		{"agency=63", func(c *C) bool { return agencyOf(c) == 63 }},
		{"agency=121", func(c *C) bool { return agencyOf(c) == 121 }},
		{"in_use=true", func(c *C) bool { return boolIs(c.InUse, true) }},
		{"in_use=false", func(c *C) bool { return boolIs(c.InUse, false) }},
		{"name=soyuz%20ms", func(c *C) bool { return strings.EqualFold(c.Name, "soyuz ms") }},
	})
	runSearchCases(t, e, "spacecraft_configurations/", d.Configs, cfgID, func(c *C) []*string {
		var abbrev, name *string
		if a := agencyByID[agencyOf(c)]; a != nil {
			abbrev, name = a.Abbrev, &a.Name
		}
		return []*string{abbrev, name, &c.Name}
	}, []searchCase{{"spx", []string{"spx"}}, {"rfsa progress", []string{"rfsa", "progress"}}, {"dragon", []string{"dragon"}}})
	runOrderings(t, e, "spacecraft_configurations/", d.Configs, cfgID,
		[]orderField[C]{textOrderField("name", func(c *C) string { return c.Name })}, nil)

	type A = ll2.AgencyDetailed
	hasConfigs := map[int]bool{}
	for _, c := range d.Configs {
		hasConfigs[agencyOf(c)] = true
	}
	runFilterCases(t, e, "agencies/", d.Agencies, agID, []filterCase[A]{
		{"type__id=3", func(a *A) bool { return a.Type.ID == 3 }},
		{"abbrev=nasa", func(a *A) bool { return a.Abbrev != nil && strings.EqualFold(*a.Abbrev, "nasa") }},
		{"name__contains=aero", func(a *A) bool { return strings.Contains(strings.ToLower(a.Name), "aero") }},
	})
	// The samples show agencies at the list level and configurations at the normal
	// level: what only richer levels carry is refused, never answered with a guess.
	runRefusedCases(t, e, "spacecraft_configurations/", map[string]string{
		"human_rated=true":            "human_rated",
		"human_rated=false&agency=63": "human_rated",
	})
	runRefusedCases(t, e, "agencies/", map[string]string{
		"featured=true":                 "featured",
		"country_code=USA":              "country_code",
		"founding_year__gte=1900":       "founding_year__gte",
		"description__contains=space":   "description__contains",
		"spacecraft=true":               "spacecraft",
		"total_launch_count__gt=0":      "total_launch_count__gt",
		"ordering=-total_launch_count":  "ordering",
		"ordering=featured&name=SpaceX": "ordering",
		"parent__id=63":                 "parent__id",
		"type__id=1&founding_year=1958": "founding_year",
	})
	// Filters that exclude every record the snapshot holds too little of are right.
	runFilterCases(t, e, "agencies/", d.Agencies, agID, []filterCase[A]{
		{"founding_year=1958&id=999", func(a *A) bool { return false }},
	})

	type F = ll2.FamilyEndpointDetailed
	runFilterCases(t, e, "spacecraft_configuration_families/", d.Families, famID, []filterCase[F]{
		{"manufacturer=1000", func(f *F) bool { return f.Manufacturer != nil && f.Manufacturer.ID == 1000 }},
		{"name=dragon", func(f *F) bool { return strings.EqualFold(f.Name, "dragon") }},
	})
	runOrderings(t, e, "spacecraft_configuration_families/", d.Families, famID,
		[]orderField[F]{textOrderField("name", func(f *F) string { return f.Name })}, nil)

	// Lookup tables as stored, with the countries table empty.
	for _, path := range ll2.LookupPaths {
		rows := lookupRows(d.Lookups[path])
		assertIDs(t, path, e.ids(path+"?limit=100"), expectIDs(rows, lookupID, nil, nil))
	}
	// The store's own view agrees.
	store := e.srv.Store()
	counts := store.Counts()
	for path, n := range map[string]int{"spacecraft/": 20, "spacecraft_configurations/": 15, "agencies/": 8,
		"spacecraft_configuration_families/": 5} {
		if counts[path] != n {
			t.Errorf("Counts()[%s] = %d, want %d", path, counts[path], n)
		}
	}
	// The samples' values survive the trip: a real duration and a real nested agency.
	r := e.get("spacecraft/242/")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"time_in_space":"P196DT21H15M2S"`) {
		t.Errorf("spacecraft 242: %d %.200s", r.status, r.body)
	}
	var sc ll2.SpacecraftNormal
	mustDecode(t, e.get("spacecraft/?limit=1&search=dream%20chaser").body, &struct {
		Results []*ll2.SpacecraftNormal `json:"results"`
	}{Results: []*ll2.SpacecraftNormal{&sc}})
	if sc.SpacecraftConfig == nil || sc.SpacecraftConfig.Agency == nil || sc.SpacecraftConfig.Agency.Name != "Sierra Nevada Corporation" ||
		sc.SpacecraftConfig.Agency.ResponseMode != "list" {
		t.Errorf("Dream Chaser's agency: %+v", sc.SpacecraftConfig)
	}
}
