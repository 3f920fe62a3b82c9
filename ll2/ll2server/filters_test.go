package ll2server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"spacegraph/ll2"
)

type filterCase[T any] struct {
	query string
	keep  func(*T) bool // nil: every record (the filter is ignored)
}

// runFilterCases GETs path?limit=100&query for each case and compares the ids with
// the records keep selects, in id order (LL2's default order in the built-in server).
func runFilterCases[T any](t *testing.T, e *fxEnv, path string, items []*T, id func(*T) int, cases []filterCase[T]) {
	t.Helper()
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.query, "/", "_"), func(t *testing.T) {
			e := *e
			e.t = t
			got := e.ids(path + "?limit=100&" + c.query)
			want := expectIDs(items, id, c.keep, nil)
			assertIDs(t, path+"?"+c.query, got, want)
		})
	}
}

// runRefusedCases GETs path?limit=100&query for each query and checks that the server
// refuses it as NotInSnapshotBody naming the parameter given with the query (a filter,
// "search" or "ordering"), with a positive count of records lacking it.
func runRefusedCases(t *testing.T, e *fxEnv, path string, cases map[string]string) {
	t.Helper()
	for query, param := range cases {
		t.Run("refused "+strings.ReplaceAll(query, "/", "_"), func(t *testing.T) {
			e := *e
			e.t = t
			r := e.get(path + "?limit=100&" + query)
			var b ll2.NotInSnapshotBody
			if r.status != http.StatusBadRequest || json.Unmarshal(r.body, &b) != nil || b.NotInSnapshot[param] <= 0 || b.Detail == "" {
				t.Errorf("GET %s?%s: status %d, body %s; want 400 naming %s", path, query, r.status, r.body, param)
			}
		})
	}
}

func boolIs(p *bool, v bool) bool { return p != nil && *p == v }

func intIs(p *int, v int) bool { return p != nil && *p == v }

// boolSpellings are the values of a boolean filter, with what django-filter's
// BooleanWidget makes of them: true, false or ignored (nil).
var boolSpellings = []struct {
	text string
	val  *bool
}{
	{"true", bp(true)}, {"True", bp(true)}, {"TRUE", bp(true)}, {"1", bp(true)},
	{"false", bp(false)}, {"False", bp(false)}, {"0", bp(false)},
	{"garbage", nil}, {"yes", nil}, {"2", nil}, {"", nil}, {"%20true", nil},
}

// boolCases expands a boolean filter over every spelling.
func boolCases[T any](param string, get func(*T) *bool) []filterCase[T] {
	var cs []filterCase[T]
	for _, s := range boolSpellings {
		c := filterCase[T]{query: param + "=" + s.text}
		if s.val != nil {
			v := *s.val
			c.keep = func(t *T) bool { return boolIs(get(t), v) }
		}
		cs = append(cs, c)
	}
	return cs
}

func TestFiltersSpacecraft(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)
	type S = ll2.SpacecraftDetailed
	cfgIs := func(id int) func(*S) bool {
		return func(s *S) bool { return s.SpacecraftConfig != nil && s.SpacecraftConfig.ID == id }
	}
	statusIs := func(id int) func(*S) bool {
		return func(s *S) bool { return s.Status != nil && s.Status.ID == id }
	}
	nameIs := func(n string) func(*S) bool {
		return func(s *S) bool { return strings.EqualFold(s.Name, n) }
	}
	cases := []filterCase[S]{
		{"name=ENDEAVOUR", nameIs("endeavour")},
		{"name=endeavour", nameIs("endeavour")},
		{"name=dragon%20c213", nameIs("DRAGON C213")},
		{"name=Dragon", nameIs("Dragon")}, // exact, not a substring: nothing
		{"spacecraft_config=105", cfgIs(105)},
		{"spacecraft_config=101", cfgIs(101)},
		{"spacecraft_config=999", cfgIs(999)},
		{"status=2", statusIs(2)},
		{"status=5", statusIs(5)},
		{"status=0", statusIs(0)},
		{"status=4.0", statusIs(4)},        // Django's IntegerField drops a zero fraction
		{"status=%203%20", statusIs(3)},    // and surrounding spaces
		{"status=2&status=3", statusIs(3)}, // QueryDict.get takes the last value
		{"status=1&in_space=true", func(s *S) bool { return statusIs(1)(s) && boolIs(s.InSpace, true) }},
		{"spacecraft_config=102&is_placeholder=false&status=2", func(s *S) bool {
			return cfgIs(102)(s) && boolIs(s.IsPlaceholder, false) && statusIs(2)(s)
		}},
		{"status=&name=&spacecraft_config=&in_space=", nil}, // empty values are ignored
		{"unknown_filter=1&id=5&flights_count=3", nil},      // unknown parameters are ignored
	}
	cases = append(cases, boolCases("in_space", func(s *S) *bool { return s.InSpace })...)
	cases = append(cases, boolCases("is_placeholder", func(s *S) *bool { return s.IsPlaceholder })...)
	runFilterCases(t, e, "spacecraft/", v.data.Spacecraft, scID, cases)
}

func TestFiltersConfigs(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)
	type C = ll2.SpacecraftConfigDetailed
	agencyIs := func(id int) func(*C) bool { return func(c *C) bool { return v.configAgency(c) == id && id != 0 } }
	nameIs := func(n string) func(*C) bool { return func(c *C) bool { return strings.EqualFold(c.Name, n) } }
	cases := []filterCase[C]{
		{"agency=30", agencyIs(30)},
		{"agency=10", agencyIs(10)},
		{"agency=20.0", agencyIs(20)},
		{"agency=999", agencyIs(999)},
		{"name=orion", nameIs("orion")},
		{"name=ORION", nameIs("orion")},
		{"name=dragon%202", nameIs("dragon 2")},
		{"name=Dragon", nameIs("dragon")},
		{"agency=10&name=orion", func(c *C) bool { return agencyIs(10)(c) && nameIs("orion")(c) }},
		{"human_rated=true&in_use=true", func(c *C) bool { return boolIs(c.HumanRated, true) && boolIs(c.InUse, true) }},
		{"agency=&name=&human_rated=&in_use=", nil},
	}
	cases = append(cases, boolCases("human_rated", func(c *C) *bool { return c.HumanRated })...)
	cases = append(cases, boolCases("in_use", func(c *C) *bool { return c.InUse })...)
	runFilterCases(t, e, "spacecraft_configurations/", v.data.Configs, cfgID, cases)
}

func TestFiltersFamilies(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)
	type F = ll2.FamilyEndpointDetailed
	mfrIs := func(id int) func(*F) bool {
		return func(f *F) bool { return f.Manufacturer != nil && f.Manufacturer.ID == id }
	}
	nameIs := func(n string) func(*F) bool { return func(f *F) bool { return strings.EqualFold(f.Name, n) } }
	runFilterCases(t, e, "spacecraft_configuration_families/", v.data.Families, famID, []filterCase[F]{
		{"manufacturer=40", mfrIs(40)},
		{"manufacturer=20", mfrIs(20)},
		{"manufacturer=10", mfrIs(10)},
		{"name=SOYUZ", nameIs("soyuz")},
		{"name=progress", nameIs("progress")},
		{"name=Soy", nameIs("soy")},
		{"name=soyuz&manufacturer=40", func(f *F) bool { return nameIs("soyuz")(f) && mfrIs(40)(f) }},
		{"manufacturer=&name=", nil},
	})
}

func TestFiltersAgencies(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)
	type A = ll2.AgencyDetailed
	strIs := func(get func(*A) *string, want string, fold bool) func(*A) bool {
		return func(a *A) bool {
			p := get(a)
			if p == nil {
				return false
			}
			if fold {
				return strings.EqualFold(*p, want)
			}
			return *p == want
		}
	}
	contains := func(get func(*A) *string, sub string) func(*A) bool {
		return func(a *A) bool {
			p := get(a)
			return p != nil && strings.Contains(strings.ToLower(*p), strings.ToLower(sub))
		}
	}
	name := func(a *A) *string { return &a.Name }
	abbrev := func(a *A) *string { return a.Abbrev }
	desc := func(a *A) *string { return a.Description }
	// The agencies that have configurations, computed from the configurations.
	hasConfigs := map[int]bool{}
	for _, c := range v.data.Configs {
		hasConfigs[v.configAgency(c)] = true
	}
	codes := func(want ...string) func(*A) bool {
		return func(a *A) bool {
			for _, c := range a.Country {
				for _, w := range want {
					if strings.EqualFold(*c.Alpha3Code, w) || strings.EqualFold(*c.Alpha2Code, w) {
						return true
					}
				}
			}
			return false
		}
	}
	cases := []filterCase[A]{
		{"id=20", func(a *A) bool { return a.ID == 20 }},
		{"id=999", func(a *A) bool { return false }},
		{"name=spacex", strIs(name, "spacex", true)},
		{"name=Space", strIs(name, "Space", true)},
		{"name__contains=space", contains(name, "space")},
		{"name__contains=Space%20Agency", contains(name, "space agency")},
		{"abbrev=esa", strIs(abbrev, "esa", true)},
		{"abbrev=ES", strIs(abbrev, "ES", true)},
		{"abbrev__contains=SA", contains(abbrev, "sa")},
		{"abbrev__contains=x", contains(abbrev, "x")},
		{"description=American%20space%20agency", strIs(desc, "American space agency", false)},
		{"description=american%20space%20agency", strIs(desc, "american space agency", false)},
		{"description=space%20agency", strIs(desc, "space agency", false)},
		{"description__contains=space%20agency", contains(desc, "space agency")},
		{"description__contains=Launch", contains(desc, "launch")},
		{"spacecraft=true", func(a *A) bool { return hasConfigs[a.ID] }},
		{"spacecraft=1", func(a *A) bool { return hasConfigs[a.ID] }},
		{"spacecraft=false", func(a *A) bool { return !hasConfigs[a.ID] }},
		{"spacecraft=maybe", nil},
		{"type__id=1", func(a *A) bool { return a.Type.ID == 1 }},
		{"type__id=2", func(a *A) bool { return a.Type.ID == 2 }},
		{"type__id=3", func(a *A) bool { return a.Type.ID == 3 }},
		// The wire format gives a parent's name only, so no snapshot knows parent ids:
		// the filter is refused (below) unless the other filters already exclude
		// every record.
		{"parent__id=30&id=999", func(a *A) bool { return false }},
		{"parent__id=30&name=nasa", func(a *A) bool { return false }}, // no agency is named "nasa"
		{"country_code=USA", codes("USA")},
		{"country_code=RUS,FRA", codes("RUS", "FRA")},
		{"country_code=DEU", codes("DEU")},
		{"country_code=%20RUS%20,,FRA", codes("RUS", "FRA")},
		{"country_code=XXX", codes("XXX")},
		{"country_code=US", codes("US")},   // alpha-2 codes are accepted too
		{"country_code=usa", codes("usa")}, // and any case
		{"country_code=,", nil},
		{"founding_year=1958", func(a *A) bool { return intIs(a.FoundingYear, 1958) }},
		{"founding_year=1958&type__id=1", func(a *A) bool { return intIs(a.FoundingYear, 1958) && a.Type.ID == 1 }},
		{"founding_year__gte=1960&founding_year__lte=2000", func(a *A) bool {
			return a.FoundingYear != nil && *a.FoundingYear >= 1960 && *a.FoundingYear <= 2000
		}},
		{"id=&name=&name__contains=&abbrev=&abbrev__contains=&description=&description__contains=&featured=&spacecraft=&type__id=&parent__id=&country_code=&founding_year=", nil},
	}
	cases = append(cases, boolCases("featured", func(a *A) *bool { return a.Featured })...)
	// Every range lookup of founding_year and of each count, around NASA's value and
	// around a value no agency has.
	ranges := []struct {
		name string
		get  func(*A) *int
	}{{"founding_year", func(a *A) *int { return a.FoundingYear }}}
	for _, f := range fxCountFields {
		ranges = append(ranges, struct {
			name string
			get  func(*A) *int
		}{f.name, f.get})
	}
	ops := []struct {
		suffix string
		ok     func(have, want int) bool
	}{
		{"", func(h, w int) bool { return h == w }},
		{"__gt", func(h, w int) bool { return h > w }},
		{"__gte", func(h, w int) bool { return h >= w }},
		{"__lt", func(h, w int) bool { return h < w }},
		{"__lte", func(h, w int) bool { return h <= w }},
	}
	for _, r := range ranges {
		pivot := *r.get(v.agency[10])
		for _, n := range []int{pivot, pivot + 1, -1} {
			for _, op := range ops {
				get, ok, n := r.get, op.ok, n
				cases = append(cases, filterCase[A]{
					query: r.name + op.suffix + "=" + strconv.Itoa(n),
					keep:  func(a *A) bool { p := get(a); return p != nil && ok(*p, n) },
				})
			}
		}
	}
	runFilterCases(t, e, "agencies/", v.data.Agencies, agID, cases)
	runRefusedCases(t, e, "agencies/", map[string]string{
		"parent__id=30":             "parent__id",
		"parent__id=30&abbrev=nasa": "parent__id",
		"parent__id=30&featured=1":  "parent__id",
		"parent__id=30&ordering=id": "parent__id",
	})
}

// TestFilterIntErrors checks LL2's 400 for integer filters that are not whole numbers.
func TestFilterIntErrors(t *testing.T) {
	e := fxEnvOf(t)
	cases := []struct {
		target string
		want   string
	}{
		{"spacecraft/?status=abc", `{"status": ["Enter a whole number."]}`},
		{"spacecraft/?status=4.5", `{"status": ["Enter a whole number."]}`},
		{"spacecraft/?spacecraft_config=1e3", `{"spacecraft_config": ["Enter a whole number."]}`},
		{"spacecraft/?status=x&spacecraft_config=y&in_space=bad", `{"status": ["Enter a whole number."], "spacecraft_config": ["Enter a whole number."]}`},
		{"spacecraft/detail/?status=x", `{"detail": "Not found."}`},
		{"spacecraft_configurations/?agency=NASA", `{"agency": ["Enter a whole number."]}`},
		{"spacecraft_configuration_families/?manufacturer=%20", `{"manufacturer": ["Enter a whole number."]}`},
		{"agencies/?id=1,2", `{"id": ["Enter a whole number."]}`},
		{"agencies/?type__id=gov", `{"type__id": ["Enter a whole number."]}`},
		{"agencies/?parent__id=p", `{"parent__id": ["Enter a whole number."]}`},
		{"agencies/?founding_year__gt=1950s&total_launch_count__lte=many", `{"founding_year__gt": ["Enter a whole number."], "total_launch_count__lte": ["Enter a whole number."]}`},
	}
	for _, f := range fxCountFields {
		for _, op := range []string{"", "__gt", "__gte", "__lt", "__lte"} {
			p := f.name + op
			cases = append(cases, struct {
				target string
				want   string
			}{"agencies/?" + p + "=x", `{"` + p + `": ["Enter a whole number."]}`})
		}
	}
	for _, c := range cases {
		r := e.get(c.target)
		wantStatus := http.StatusBadRequest
		if strings.Contains(c.want, "Not found") {
			wantStatus = http.StatusNotFound
		}
		if r.status != wantStatus {
			t.Errorf("GET %s: status %d, want %d (%s)", c.target, r.status, wantStatus, r.body)
			continue
		}
		if !jsonEqual(t, r.body, []byte(c.want)) {
			t.Errorf("GET %s: body %s, want %s", c.target, r.body, c.want)
		}
	}
	// A bad filter is refused before paging: no results, whatever the limit.
	if r := e.get("spacecraft/?limit=5&status=bad&offset=10"); r.status != http.StatusBadRequest {
		t.Errorf("status %d", r.status)
	}
}

// TestFilterEveryParamCovered guards this file: each filter the spec declares is one
// the tests above exercise, so that a filter added to the spec without a test fails.
func TestFilterEveryParamCovered(t *testing.T) {
	tested := map[string][]string{
		"spacecraft/":                        {"in_space", "is_placeholder", "name", "spacecraft_config", "status"},
		"spacecraft_configurations/":         {"agency", "human_rated", "in_use", "name"},
		"spacecraft_configuration_families/": {"manufacturer", "name"},
		"agencies/": {"id", "name", "name__contains", "abbrev", "abbrev__contains", "description",
			"description__contains", "featured", "spacecraft", "type__id", "parent__id", "country_code"},
	}
	for _, r := range append([]string{"founding_year"}, func() []string {
		var n []string
		for _, f := range fxCountFields {
			n = append(n, f.name)
		}
		return n
	}()...) {
		for _, op := range []string{"", "__gt", "__gte", "__lt", "__lte"} {
			tested["agencies/"] = append(tested["agencies/"], r+op)
		}
	}
	params := func(fs []string) []string { slices.Sort(fs); return fs }
	var sc, cf, fa, ag []string
	for _, f := range ll2.SpacecraftEndpoint.Filters {
		sc = append(sc, f.Param)
	}
	for _, f := range ll2.SpacecraftConfigEndpoint.Filters {
		cf = append(cf, f.Param)
	}
	for _, f := range ll2.FamilyEndpoint.Filters {
		fa = append(fa, f.Param)
	}
	for _, f := range ll2.AgencyEndpoint.Filters {
		ag = append(ag, f.Param)
	}
	for path, have := range map[string][]string{
		"spacecraft/": sc, "spacecraft_configurations/": cf, "spacecraft_configuration_families/": fa, "agencies/": ag,
	} {
		if got, want := params(have), params(slices.Clone(tested[path])); !slices.Equal(got, want) {
			t.Errorf("%s: spec filters %v, tested %v", path, got, want)
		}
	}
}
