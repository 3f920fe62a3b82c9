package ll2server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
)

func TestStore(t *testing.T) {
	d := fxData()
	before, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	store := ll2server.NewStore(d)
	after, _ := json.Marshal(d)
	if string(before) != string(after) {
		t.Error("NewStore modified its input")
	}

	counts := store.Counts()
	want := map[string]int{"spacecraft/": 30, "spacecraft_configurations/": 6, "agencies/": 5,
		"spacecraft_configuration_families/": 4, "spacecraft_flights/": len(fxFlightRows), "docking_events/": len(fxDockingRows)}
	for path, rows := range d.Lookups {
		want[path] = len(rows)
	}
	if !mapsEqual(counts, want) {
		t.Errorf("Counts() = %v, want %v", counts, want)
	}
	ids := func(n int, id func(int) int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = id(i)
		}
		return out
	}
	check := func(what string, got []int, n int) {
		t.Helper()
		if len(got) != n || !slices.IsSorted(got) {
			t.Errorf("%s: %v not %d ids in order", what, got, n)
		}
	}
	sc, cf, ag, fa := store.Spacecraft(), store.Configs(), store.Agencies(), store.Families()
	check("Spacecraft()", ids(len(sc), func(i int) int { return sc[i].ID }), 30)
	check("Configs()", ids(len(cf), func(i int) int { return cf[i].ID }), 6)
	check("Agencies()", ids(len(ag), func(i int) int { return ag[i].ID }), 5)
	check("Families()", ids(len(fa), func(i int) int { return fa[i].ID }), 4)
	st := store.Lookups(ll2.PathSpacecraftStatuses)
	check("Lookups(statuses)", ids(len(st), func(i int) int { return st[i].ID }), 5)
	if store.Lookups(ll2.PathImageVariantTypes) != nil || store.Lookups("nope/") != nil {
		t.Error("a table the snapshot lacks is not empty")
	}
	// References by id were replaced by the objects of their collections.
	for _, s := range sc {
		if s.SpacecraftConfig != nil && s.SpacecraftConfig.Name == "" {
			t.Errorf("spacecraft %d: configuration %d left a stub", s.ID, s.SpacecraftConfig.ID)
		}
	}
	for _, c := range cf {
		if c.Agency != nil && c.Agency.Name == "" {
			t.Errorf("config %d: agency %d left a stub", c.ID, c.Agency.ID)
		}
		for _, f := range c.Family {
			if f.Name == "" {
				t.Errorf("config %d: family %d left a stub", c.ID, f.ID)
			}
		}
	}
}

// TestStoreOrphansAndDuplicates: an embedded object missing from its collection is
// served as given, with its url; a record given twice is served once.
func TestStoreOrphansAndDuplicates(t *testing.T) {
	d := fxData()
	orphan := &ll2.AgencyNormal{AgencyMini: ll2.AgencyMini{ID: 777, Name: "Orphan Agency", Type: typeCom}}
	d.Configs = append(d.Configs, &ll2.SpacecraftConfigDetailed{
		SpacecraftConfigBase: ll2.SpacecraftConfigBase{ID: 200, Name: "Orphaned"},
		Agency:               orphan,
	})
	dup := *d.Spacecraft[0]
	d.Spacecraft = append(d.Spacecraft, &dup)
	// A snapshot that carries an agency's spacecraft_list keeps it as is.
	d.Agencies[0].SpacecraftList = []ll2.SpacecraftConfigDetailed{}
	e := newEnv(t, d, optsNone)

	if p := e.list("spacecraft/?limit=100"); p.Count != 30 {
		t.Errorf("count %d with a duplicate record, want 30", p.Count)
	}
	r := e.get("spacecraft_configurations/200/")
	var c ll2.SpacecraftConfigDetailed
	mustDecode(t, r.body, &c)
	if c.Agency == nil || c.Agency.Name != "Orphan Agency" || c.Agency.URL != e.base()+"agencies/777/" {
		t.Errorf("orphan agency: %+v", c.Agency)
	}
	if r := e.get("agencies/777/"); r.status != http.StatusNotFound {
		t.Errorf("the orphan is not an agency of the collection: %d", r.status)
	}
	var a ll2.AgencyDetailed
	mustDecode(t, e.get("agencies/50/").body, &a)
	if a.SpacecraftList == nil || len(a.SpacecraftList) != 0 {
		t.Errorf("a given spacecraft_list was replaced: %v", a.SpacecraftList)
	}
	// The join still finds agency 50's configurations for the spacecraft filter: none.
	assertIDs(t, "spacecraft=false", e.ids("agencies/?spacecraft=false"), []int{40, 50})
}

// TestSetStore swaps the snapshot under a running server: the next calls see the new
// one, and no cached selection of the old one leaks through.
func TestSetStore(t *testing.T) {
	e := fxEnvOf(t)
	q := "spacecraft/?limit=100&status=1&ordering=-flights_count"
	old := e.ids(q)
	emb := mustEmbedded(t)
	store := ll2server.NewStore(emb)
	e.srv.SetStore(store)
	if e.srv.Store() != store {
		t.Error("Store() is not the new store")
	}
	got := e.ids(q)
	want := expectIDs(emb.Spacecraft, scID, func(s *ll2.SpacecraftDetailed) bool { return s.Status != nil && s.Status.ID == 1 },
		func(a, b *ll2.SpacecraftDetailed) int { return nullsLast(a.FlightsCount, b.FlightsCount, cmpInt, true) })
	assertIDs(t, "after SetStore", got, want)
	if slices.Equal(old, got) {
		t.Error("the query gives the same ids on both snapshots; the test proves nothing")
	}
	// Concurrent readers while the store changes: every answer is whole, from one store.
	var wg sync.WaitGroup
	fx := ll2server.NewStore(fxOnce().data)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 25; j++ {
				res, err := e.client.Get(e.base() + "spacecraft/?limit=100")
				if err != nil {
					t.Error(err)
					return
				}
				var p fxPage
				err = json.NewDecoder(res.Body).Decode(&p)
				res.Body.Close()
				if err != nil || (p.Count != 20 && p.Count != 30) || len(p.Results) != p.Count {
					t.Errorf("mixed answer: count %d, %d results, %v", p.Count, len(p.Results), err)
					return
				}
			}
		}()
	}
	for j := 0; j < 20; j++ {
		if j%2 == 0 {
			e.srv.SetStore(fx)
		} else {
			e.srv.SetStore(store)
		}
	}
	wg.Wait()
	if !strings.HasSuffix(e.base(), ll2server.Prefix) {
		t.Errorf("base %q", e.base())
	}
}
