package ll2server_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"spacegraph/ll2"
)

// searchMatch is DRF's SearchFilter in plain Go: every term is found, ignoring case,
// in at least one of the fields; a null field (a missing join) holds nothing.
func searchMatch(terms []string, fields ...*string) bool {
	for _, term := range terms {
		found := false
		for _, f := range fields {
			if f != nil && strings.Contains(strings.ToLower(*f), strings.ToLower(term)) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

type searchCase struct {
	search string   // the raw search value
	terms  []string // the terms DRF splits it into; nil: no search at all
}

func runSearchCases[T any](t *testing.T, e *fxEnv, path string, items []*T, id func(*T) int, fields func(*T) []*string, cases []searchCase) {
	t.Helper()
	for _, c := range cases {
		var keep func(*T) bool
		if c.terms != nil {
			terms := c.terms
			keep = func(x *T) bool { return searchMatch(terms, fields(x)...) }
		}
		got := e.ids(path + "?limit=100&search=" + url.QueryEscape(c.search))
		assertIDs(t, fmt.Sprintf("%s search=%q", path, c.search), got, expectIDs(items, id, keep, nil))
	}
}

func TestSearch(t *testing.T) {
	v := fxOnce()
	// One server for all: the quoted and unquoted forms of the same words follow each
	// other, so that a selection cache keyed by the words alone would answer wrongly.
	e := fxEnvOf(t)
	t.Run("spacecraft", func(t *testing.T) {
		e := *e
		e.t = t
		fields := func(s *ll2.SpacecraftDetailed) []*string {
			var cfgName *string
			if s.SpacecraftConfig != nil {
				n := v.cfgNames[s.SpacecraftConfig.ID]
				cfgName = &n
			}
			return []*string{&s.Name, cfgName}
		}
		runSearchCases(t, &e, "spacecraft/", v.data.Spacecraft, scID, fields, []searchCase{
			{"dragon", []string{"dragon"}},
			{"DRAGON", []string{"dragon"}},
			{"shuttle", []string{"shuttle"}}, // only in the configuration's name
			{"orion", []string{"orion"}},
			{"MS-2", []string{"MS-2"}},
			{"soyuz 2", []string{"soyuz", "2"}},
			{"soyuz,2", []string{"soyuz", "2"}},
			{"  soyuz   ms  ", []string{"soyuz", "ms"}},
			{`"crew dragon"`, []string{"crew dragon"}},
			{`crew dragon`, []string{"crew", "dragon"}},
			{`'crew dragon'`, []string{"crew dragon"}},
			{`"dragon crew" trainer`, []string{"dragon crew", "trainer"}},
			{`dragon "capsule"`, []string{"dragon", "capsule"}},
			{"space shuttle endeavour", []string{"space", "shuttle", "endeavour"}},
			{"nothing-matches-this", []string{"nothing-matches-this"}},
			{"", nil},
			{"   ", nil},
			{",", nil},
		})
		// Search with a filter and an ordering.
		got := e.ids("spacecraft/?limit=100&search=dragon&status=1&ordering=-flights_count")
		want := expectIDs(v.data.Spacecraft, scID, func(s *ll2.SpacecraftDetailed) bool {
			return searchMatch([]string{"dragon"}, fields(s)...) && s.Status != nil && s.Status.ID == 1
		}, func(a, b *ll2.SpacecraftDetailed) int { return nullsLast(a.FlightsCount, b.FlightsCount, cmpInt, true) })
		assertIDs(t, "search+filter+ordering", got, want)
	})
	t.Run("configurations", func(t *testing.T) {
		e := *e
		e.t = t
		fields := func(c *ll2.SpacecraftConfigDetailed) []*string {
			var abbrev, name *string
			if id := v.configAgency(c); id != 0 {
				abbrev, name = v.agency[id].Abbrev, &v.agency[id].Name
			}
			return []*string{abbrev, name, &c.Name}
		}
		runSearchCases(t, &e, "spacecraft_configurations/", v.data.Configs, cfgID, fields, []searchCase{
			{"rfsa", []string{"rfsa"}},
			{"SpX", []string{"spx"}},
			{"space", []string{"space"}},
			{"nasa orion", []string{"nasa", "orion"}},
			{"orion", []string{"orion"}},
			{"federal progress", []string{"federal", "progress"}},
			{`"federal space"`, []string{"federal space"}},
			{`federal space`, []string{"federal", "space"}},
			{"energia", []string{"energia"}},
		})
	})
	t.Run("families", func(t *testing.T) {
		e := *e
		e.t = t
		fields := func(f *ll2.FamilyEndpointDetailed) []*string {
			var abbrev, name *string
			if f.Manufacturer != nil {
				a := v.agency[f.Manufacturer.ID]
				abbrev, name = a.Abbrev, &a.Name
			}
			return []*string{abbrev, name, &f.Name}
		}
		runSearchCases(t, &e, "spacecraft_configuration_families/", v.data.Families, famID, fields, []searchCase{
			{"energia", []string{"energia"}},
			{"spx", []string{"spx"}},
			{"spacex dragon", []string{"spacex", "dragon"}},
			{"SOYUZ", []string{"soyuz"}},
			{"progress", []string{"progress"}},
			{"dragon soyuz", []string{"dragon", "soyuz"}},
			{"cargo", []string{"cargo"}}, // the description is not searched
		})
	})
	t.Run("agencies", func(t *testing.T) {
		e := *e
		e.t = t
		fields := func(a *ll2.AgencyDetailed) []*string { return []*string{a.Abbrev, &a.Name} }
		runSearchCases(t, &e, "agencies/", v.data.Agencies, agID, fields, []searchCase{
			{"spx", []string{"spx"}},
			{"nasa", []string{"nasa"}},
			{"space agency", []string{"space", "agency"}},
			{`"space agency"`, []string{"space agency"}},
			{`"aeronautics space"`, []string{"aeronautics space"}},
			{`aeronautics space`, []string{"aeronautics", "space"}},
			{"ener", []string{"ener"}},
			{"rfsa roscosmos", []string{"rfsa", "roscosmos"}},
			{"american", []string{"american"}}, // the description is not searched
		})
	})
	t.Run("lookups", func(t *testing.T) {
		e := *e
		e.t = t
		for _, path := range []string{ll2.PathSpacecraftStatuses, ll2.PathCountries, ll2.PathAgencyTypes} {
			rows := lookupRows(v.data.Lookups[path])
			fields := func(l *ll2.Lookup) []*string { return []*string{&l.Name} }
			runSearchCases(t, &e, path, rows, lookupID, fields, []searchCase{
				{"a", []string{"a"}}, {"ACT", []string{"act"}}, {"in e", []string{"in", "e"}}, {"zzz", []string{"zzz"}},
			})
		}
	})
}

func lookupRows(rows []ll2.Lookup) []*ll2.Lookup {
	out := make([]*ll2.Lookup, len(rows))
	for i := range rows {
		out[i] = &rows[i]
	}
	return out
}

func lookupID(l *ll2.Lookup) int { return l.ID }

// orderField is one ordering field with the test's own comparator (ascending with
// nulls last when desc is false; the reverse when true).
type orderField[T any] struct {
	name string
	cmp  func(a, b *T, desc bool) int
}

func intOrderField[T any](name string, get func(*T) *int) orderField[T] {
	return orderField[T]{name, func(a, b *T, desc bool) int { return nullsLast(get(a), get(b), cmpInt, desc) }}
}

func textOrderField[T any](name string, get func(*T) string) orderField[T] {
	return orderField[T]{name, func(a, b *T, desc bool) int {
		x, y := get(a), get(b)
		c := strings.Compare(strings.ToLower(x), strings.ToLower(y))
		if c == 0 {
			c = strings.Compare(x, y)
		}
		if desc {
			return -c
		}
		return c
	}}
}

// runOrderings checks every field ascending and descending, and the combinations.
func runOrderings[T any](t *testing.T, e *fxEnv, path string, items []*T, id func(*T) int, fields []orderField[T], combos [][]string) {
	t.Helper()
	byName := map[string]orderField[T]{}
	for _, f := range fields {
		byName[f.name] = f
		for _, desc := range []bool{false, true} {
			o := f.name
			if desc {
				o = "-" + o
			}
			got := e.ids(path + "?limit=100&ordering=" + o)
			want := expectIDs(items, id, nil, func(a, b *T) int { return f.cmp(a, b, desc) })
			assertIDs(t, path+"?ordering="+o, got, want)
		}
	}
	for _, keys := range combos {
		cmp := func(a, b *T) int {
			for _, k := range keys {
				k = strings.TrimSpace(k) // DRF strips each key
				f, ok := byName[strings.TrimPrefix(k, "-")]
				if !ok {
					continue // unknown fields are ignored
				}
				if c := f.cmp(a, b, strings.HasPrefix(k, "-")); c != 0 {
					return c
				}
			}
			return 0
		}
		o := strings.Join(keys, ",")
		got := e.ids(path + "?limit=100&ordering=" + url.QueryEscape(o))
		assertIDs(t, path+"?ordering="+o, got, expectIDs(items, id, nil, cmp))
	}
}

func TestOrderingSpacecraft(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)
	type S = ll2.SpacecraftDetailed
	durField := func(name string, get func(*S) *ll2.Duration) orderField[S] {
		return orderField[S]{name, func(a, b *S, desc bool) int {
			secs := func(d *ll2.Duration) *int {
				if d == nil {
					return nil
				}
				n := isoSeconds(t, d.String())
				return &n
			}
			return nullsLast(secs(get(a)), secs(get(b)), cmpInt, desc)
		}}
	}
	fields := []orderField[S]{
		intOrderField("flights_count", func(s *S) *int { return s.FlightsCount }),
		intOrderField("id", func(s *S) *int { return &s.ID }),
		intOrderField("mission_ends_count", func(s *S) *int { return s.MissionEndsCount }),
		durField("time_docked", func(s *S) *ll2.Duration { return s.TimeDocked }),
		durField("time_in_space", func(s *S) *ll2.Duration { return s.TimeInSpace }),
	}
	runOrderings(t, e, "spacecraft/", v.data.Spacecraft, scID, fields, [][]string{
		{"-flights_count", "time_in_space"},
		{"mission_ends_count", "-time_docked", "-id"},
		{"time_docked", "time_in_space"},
		{"status", "-id"},                     // status is not an ordering field
		{"bogus"},                             // nothing valid: the default order
		{"-bogus", "flights_count"},           // the valid keys still apply
		{" -flights_count ", " time_docked "}, // spaces around keys
		{"--id"},
		{"name"},
		{"-time_in_space", "-flights_count", "mission_ends_count"},
	})

	// The fixture must make the point: ordering durations as text gives another order.
	var texts []string
	for _, s := range v.data.Spacecraft {
		if s.TimeInSpace != nil {
			texts = append(texts, s.TimeInSpace.String())
		}
	}
	byText := slices.Clone(texts)
	slices.Sort(byText)
	byLen := slices.Clone(texts)
	slices.SortStableFunc(byLen, func(a, b string) int { return cmpInt(isoSeconds(t, a), isoSeconds(t, b)) })
	if slices.Equal(byText, byLen) {
		t.Fatal("fixture: durations sort the same as text and by length")
	}
	// And by hand, for the durations whose text order is the reverse of their length.
	got := e.ids("spacecraft/?limit=100&ordering=time_in_space&search=dragon%20c2")
	assertIDs(t, "Dragon C2xx by time_in_space", got, []int{21, 95, 18, 110, 14}) // PT13M PT90M PT2H P1D P196D…

	// PT90M and PT1H30M are the same length: a tie, broken by id in both directions.
	for _, o := range []string{"time_docked", "-time_docked"} {
		ids := e.ids("spacecraft/?limit=100&ordering=" + o)
		i := slices.Index(ids, 18)
		if i < 0 || i+3 > len(ids) || !slices.Equal(ids[i:i+3], []int{18, 92, 110}) {
			t.Errorf("ordering=%s: the PT90M/PT1H30M tie is not in id order: %v", o, ids)
		}
	}

	// Nulls come last ascending and first descending.
	nulls := expectIDs(v.data.Spacecraft, scID, func(s *S) bool { return s.TimeDocked == nil }, nil)
	asc := e.ids("spacecraft/?limit=100&ordering=time_docked")
	desc := e.ids("spacecraft/?limit=100&ordering=-time_docked")
	assertIDs(t, "nulls last ascending", asc[len(asc)-len(nulls):], nulls)
	assertIDs(t, "nulls first descending", desc[:len(nulls)], nulls)
}

func TestOrderingOthers(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)
	t.Run("configurations", func(t *testing.T) {
		e := *e
		e.t = t
		type C = ll2.SpacecraftConfigDetailed
		runOrderings(t, &e, "spacecraft_configurations/", v.data.Configs, cfgID,
			[]orderField[C]{textOrderField("name", func(c *C) string { return c.Name })},
			[][]string{{"-name", "id"}, {"id"}, {"-id"}, {"agency"}})
		// Two configurations are named Orion: ties go by id, in both directions.
		assertIDs(t, "configs by name", e.ids("spacecraft_configurations/?ordering=name"), []int{101, 104, 106, 103, 102, 105})
		assertIDs(t, "configs by -name", e.ids("spacecraft_configurations/?ordering=-name"), []int{105, 102, 103, 104, 106, 101})
	})
	t.Run("families", func(t *testing.T) {
		e := *e
		e.t = t
		type F = ll2.FamilyEndpointDetailed
		runOrderings(t, &e, "spacecraft_configuration_families/", v.data.Families, famID,
			[]orderField[F]{textOrderField("name", func(f *F) string { return f.Name })},
			[][]string{{"-name", "-id"}, {"manufacturer"}})
	})
	t.Run("agencies", func(t *testing.T) {
		e := *e
		e.t = t
		type A = ll2.AgencyDetailed
		fields := []orderField[A]{
			{"featured", func(a, b *A, desc bool) int { return nullsLast(a.Featured, b.Featured, cmpBoolV, desc) }},
			intOrderField("id", func(a *A) *int { return &a.ID }),
			textOrderField("name", func(a *A) string { return a.Name }),
		}
		for _, f := range fxCountFields {
			fields = append(fields, intOrderField(f.name, f.get))
		}
		runOrderings(t, &e, "agencies/", v.data.Agencies, agID, fields, [][]string{
			{"-featured", "name"},
			{"total_launch_count", "-consecutive_successful_launches"},
			{"-pending_launches", "-id"},
			{"founding_year"}, // filterable but not an ordering field
			{"abbrev", "-failed_launches"},
		})
	})
	t.Run("lookups", func(t *testing.T) {
		e := *e
		e.t = t
		for _, path := range []string{ll2.PathSpacecraftStatuses, ll2.PathCountries, ll2.PathConfigTypes} {
			rows := lookupRows(v.data.Lookups[path])
			runOrderings(t, &e, path, rows, lookupID, []orderField[ll2.Lookup]{
				intOrderField("id", func(l *ll2.Lookup) *int { return &l.ID }),
				textOrderField("name", func(l *ll2.Lookup) string { return l.Name }),
			}, [][]string{{"-name", "id"}, {"priority"}})
		}
	})
}

// TestOrderingStablePaging pages through an ordering full of ties and nulls: the pages
// join into the whole selection with nothing twice and nothing missing.
func TestOrderingStablePaging(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)
	for _, o := range []string{"-time_in_space", "flights_count", "-mission_ends_count,time_docked"} {
		full := e.ids("spacecraft/?limit=100&ordering=" + o)
		if len(full) != len(v.data.Spacecraft) {
			t.Fatalf("ordering=%s: %d results", o, len(full))
		}
		var paged []int
		for off := 0; off < len(full); off += 7 {
			p := e.list(fmt.Sprintf("spacecraft/?limit=7&offset=%d&ordering=%s", off, o))
			paged = append(paged, pageIDs(t, p)...)
		}
		assertIDs(t, "paged ordering="+o, paged, full)
	}
}
