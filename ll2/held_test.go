package ll2_test

import (
	"context"
	"errors"
	"maps"
	"net/http/httptest"
	"net/url"
	"testing"

	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
)

func TestHeldLevel(t *testing.T) {
	for _, tc := range []struct {
		asked ll2.Level
		mode  string
		want  ll2.Level
	}{
		{ll2.LevelDetailed, "", ll2.LevelDetailed},
		{ll2.LevelDetailed, "list", ll2.LevelList},
		{ll2.LevelNormal, "list", ll2.LevelList},
		{ll2.LevelList, "normal", ll2.LevelList}, // holds more than was asked: the answer has what was asked
		{ll2.LevelNormal, "whole", ll2.LevelNormal},
	} {
		if got := ll2.HeldLevel(tc.asked, tc.mode); got != tc.want {
			t.Errorf("HeldLevel(%s, %q) = %s, want %s", tc.asked, tc.mode, got, tc.want)
		}
	}
}

func heldAgency(id int, name, abbrev, mode string, founded *int) *ll2.AgencyDetailed {
	a := ll2.AgencyMini{ID: id, Name: name, Abbrev: &abbrev, SnapshotMode: mode}.Upgrade()
	a.FoundingYear = founded
	return a
}

// TestUnanswerable checks which queries records held at lower levels keep from being
// answered right, and which they do not.
func TestUnanswerable(t *testing.T) {
	year := func(n int) *int { return &n }
	whole := []*ll2.AgencyDetailed{
		heldAgency(1, "Alpha Space", "ALS", "", year(1958)),
		heldAgency(2, "Beta", "BET", "", nil), // LL2 says null: no gap
	}
	partial := append(whole[:2:2],
		heldAgency(3, "Gamma Space", "GAM", "list", nil),
		heldAgency(4, "Delta", "DEL", "normal", year(1990)),
	)
	for _, tc := range []struct {
		name    string
		items   []*ll2.AgencyDetailed
		ceiling ll2.Level
		query   string
		want    map[string]int
	}{
		{"whole records answer everything", whole, ll2.LevelDetailed, "founding_year__gte=1900&ordering=-total_launch_count", nil},
		{"names are held at every level", partial, ll2.LevelDetailed, "name=delta&search=space&ordering=name", nil},
		{"a filter on what a list record lacks", partial, ll2.LevelDetailed, "founding_year__gte=1900", map[string]int{"founding_year__gte": 1}},
		{"other filters exclude the records that lack it", partial, ll2.LevelDetailed, "founding_year__gte=1900&abbrev=als", nil},
		{"a detailed filter", partial, ll2.LevelDetailed, "total_launch_count__gt=0", map[string]int{"total_launch_count__gt": 2}},
		{"an ordering of records that lack its field", partial, ll2.LevelDetailed, "ordering=-featured", map[string]int{"ordering": 1}},
		{"an ordering, the lacking records filtered out", partial, ll2.LevelDetailed, "ordering=-featured&type__id=0&id=1", nil},
		{"both, counted apart", partial, ll2.LevelDetailed, "country_code=USA&ordering=-total_launch_count", map[string]int{"country_code": 1, "ordering": 1}},
		{"a parent id is in no record", whole, ll2.LevelDetailed, "parent__id=7", map[string]int{"parent__id": 2}},
		{"records fetched at a lower level", whole, ll2.LevelList, "featured=true", map[string]int{"featured": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			q, err := ll2.AgencyEndpoint.ParseQuery(v)
			if err != nil {
				t.Fatal(err)
			}
			if got := ll2.AgencyEndpoint.Unanswerable(&q, tc.items, tc.ceiling); !maps.Equal(got, tc.want) {
				t.Errorf("Unanswerable(%s) = %v, want %v", tc.query, got, tc.want)
			}
		})
	}

	// A family held at the list level has no manufacturer: a search that its name does
	// not decide cannot be answered.
	fam := func(id int, name, mode string) *ll2.FamilyEndpointDetailed {
		return ll2.FamilyMini{ID: id, Name: name, SnapshotMode: mode}.Upgrade()
	}
	families := []*ll2.FamilyEndpointDetailed{fam(1, "Dragon", "normal"), fam(2, "Soyuz", "list")}
	for search, want := range map[string]map[string]int{
		"soyuz":      nil,           // its name has it
		"dragon":     {"search": 1}, // its manufacturer might
		"spacex":     {"search": 1}, // idem
		"soyuz xyz":  {"search": 1}, // one term found, the other might be in the manufacturer
		"":           nil,           // no search at all
		"dragon\x00": {"search": 1},
	} {
		q, err := ll2.FamilyEndpoint.ParseQuery(url.Values{"search": {search}})
		if err != nil {
			t.Fatal(err)
		}
		if got := ll2.FamilyEndpoint.Unanswerable(&q, families, ll2.LevelDetailed); !maps.Equal(got, want) {
			t.Errorf("families, search %q: %v, want %v", search, got, want)
		}
	}
}

// TestClientNotInSnapshot checks the whole trip of a refusal: the built-in server over
// a partial snapshot answers 400 with what it lacks, the client returns a
// KindNotInSnapshot error naming it, and a query the snapshot can answer is answered.
func TestClientNotInSnapshot(t *testing.T) {
	d := snapshot.Data{Agencies: []*ll2.AgencyDetailed{
		heldAgency(1, "Alpha", "ALP", "list", nil),
		heldAgency(2, "Beta", "BET", "list", nil),
	}}
	ts := httptest.NewServer(ll2server.New(ll2server.NewStore(d), ll2server.Options{}))
	t.Cleanup(ts.Close)
	c, err := ll2.New(ll2.Config{BaseURL: ts.URL + ll2server.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = c.ListAgencies(ctx, ll2.ListParams{Filter: ll2.AgencyFilter{FoundingYear: ll2.IntRange{Gte: new(1900)}}.Values(),
		Ordering: []ll2.OrderKey{{Field: "total_launch_count", Desc: true}}})
	var le *ll2.Error
	if !errors.As(err, &le) || le.Kind != ll2.KindNotInSnapshot || !errors.Is(err, ll2.ErrNotInSnapshot) ||
		!maps.Equal(le.Lacking, map[string]int{"founding_year__gte": 2, "ordering": 2}) {
		t.Fatalf("got %v (%#v), want a KindNotInSnapshot error naming founding_year__gte and ordering", err, le)
	}
	l, err := c.ListAgencies(ctx, ll2.ListParams{Mode: ll2.LevelNormal, Search: "beta"})
	if err != nil || l.Count != 1 || l.Results[0].SnapshotMode != "list" {
		t.Fatalf("search by name: %v %+v", err, l)
	}
}
