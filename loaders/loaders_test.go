package loaders_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"spacegraph/catalog"
	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/loaders"
	"spacegraph/observe"
	"spacegraph/snapshot"
	"spacegraph/snapshot/synthetic"
)

// setup returns loaders over a catalog over the built-in server with the embedded
// snapshot, and the server to count its calls.
// testWait is the tests' batching window: wide, so that on a loaded machine the keys
// of one LoadMany still land in one batch (with the production 1 ms window a starved
// loop splits them, and the call counts the tests pin change).
const testWait = 50 * time.Millisecond

func setup(t *testing.T) (*loaders.Loaders, context.Context, *ll2server.Server) {
	t.Helper()
	cat, srv := newCatalog(t)
	l := loaders.New(cat, testWait, nil)
	return l, loaders.WithLoaders(context.Background(), l), srv
}

func newCatalog(t *testing.T) (*catalog.Catalog, *ll2server.Server) {
	t.Helper()
	d, _, err := snapshot.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	srv := ll2server.New(ll2server.NewStore(d), ll2server.Options{})
	return catalog.New(catalog.Options{Client: mustClient(t, srv)}), srv
}

// TestBatchKeyOrderDuplicatesAndMissing loads duplicate and missing keys in one batch:
// results come back in key order, duplicates share one fetch, a missing id is a
// NotFound error at its own position only.
func TestBatchKeyOrderDuplicatesAndMissing(t *testing.T) {
	l, ctx, srv := setup(t)
	keys := []loaders.Key{{ID: 121, Level: ll2.LevelDetailed}, {ID: 63, Level: ll2.LevelList}, {ID: 121, Level: ll2.LevelNormal}, {ID: 999999, Level: ll2.LevelList}, {ID: 63, Level: ll2.LevelList}}
	got, errs := l.Agency.LoadMany(ctx, keys)()
	wantIDs := []int{121, 63, 121, 0, 63}
	for i, k := range keys {
		switch {
		case wantIDs[i] == 0:
			if errs == nil || errs[i] == nil || !errors.Is(errs[i], ll2.ErrNotFound) {
				t.Errorf("key %d (id %d): want a NotFound error, got %v", i, k.ID, errs)
			}
		case errs != nil && errs[i] != nil:
			t.Errorf("key %d (id %d): %v", i, k.ID, errs[i])
		case got[i] == nil || got[i].ID != wantIDs[i]:
			t.Errorf("key %d: got %+v, want agency %d", i, got[i], wantIDs[i])
		case got[i].Level < k.Level:
			t.Errorf("key %d: level %v, asked %v", i, got[i].Level, k.Level)
		}
	}
	// Three distinct ids in one batch: one detail call each, since until LL2 tells
	// the collection's size the catalog assumes LL2's 311 agencies (a 4-call crawl).
	c := srv.Counters()
	if c.Total != 3 || c.ByRoute["agencies/{id}/"] != 3 {
		t.Errorf("calls %+v, want one detail call per distinct id", c)
	}

	// Once a call has told the size (8 agencies: one page), a batch of several ids is
	// one crawl, and the missing id is still a NotFound at its position.
	cat, srv := newCatalog(t)
	if _, err := cat.ListAgencies(context.Background(), ll2.ListParams{Limit: 1, Mode: ll2.LevelList}); err != nil {
		t.Fatal(err)
	}
	if cat.CrawlCost(catalog.KindAgency) != 1 {
		t.Fatalf("after an unfiltered list the catalog should know a crawl costs 1 call, not %d", cat.CrawlCost(catalog.KindAgency))
	}
	srv.Reset()
	l3 := loaders.New(cat, testWait, nil)
	ctx3 := loaders.WithLoaders(context.Background(), l3)
	_, errs = l3.Agency.LoadMany(ctx3, []loaders.Key{{ID: 37, Level: ll2.LevelNormal}, {ID: 44, Level: ll2.LevelNormal}, {ID: 424242, Level: ll2.LevelNormal}})()
	if errs == nil || errs[0] != nil || errs[1] != nil || !errors.Is(errs[2], ll2.ErrNotFound) {
		t.Errorf("errors %v, want nil, nil, NotFound", errs)
	}
	if c := srv.Counters(); c.Total != 1 || c.ByRoute["agencies/"] != 1 {
		t.Errorf("calls %+v, want one crawl of agencies/", c)
	}
}

// TestPrimedObjectsCostNothing checks that objects a root page embedded answer later
// lookups at their level without a call, and that a richer lookup still calls.
func TestPrimedObjectsCostNothing(t *testing.T) {
	l, ctx, srv := setup(t)
	page, err := l.ListSpacecraft(ctx, ll2.ListParams{Limit: 20, Mode: ll2.LevelNormal})
	if err != nil {
		t.Fatal(err)
	}
	before := srv.Counters().Total
	sc := page.Items[0]
	cfg, err := l.Config.Load(ctx, loaders.Key{ID: sc.Config.ID, Level: ll2.LevelNormal})()
	if err != nil || cfg.ID != sc.Config.ID {
		t.Fatalf("config %d: %v %+v", sc.Config.ID, err, cfg)
	}
	ag, err := l.Agency.Load(ctx, loaders.Key{ID: sc.Config.Agency.ID, Level: ll2.LevelList})()
	if err != nil || ag.ID != sc.Config.Agency.ID {
		t.Fatalf("agency: %v", err)
	}
	if n := srv.Counters().Total - before; n != 0 {
		t.Errorf("primed lookups cost %d calls", n)
	}
	if _, err := l.Config.Load(ctx, loaders.Key{ID: sc.Config.ID, Level: ll2.LevelDetailed})(); err != nil {
		t.Fatal(err)
	}
	if n := srv.Counters().Total - before; n != 1 {
		t.Errorf("a detailed lookup of a normal object cost %d calls, want 1", n)
	}
}

func mustClient(t *testing.T, srv *ll2server.Server) *ll2.Client {
	t.Helper()
	c, err := ll2.New(ll2.Config{BaseURL: ll2server.EmbeddedBaseURL, Transport: ll2server.Transport(srv)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReverseDeduplicatesPerParentAndQuery asks the same page of children twice for
// the same parent, with two equal queries built apart: one fetch per distinct
// (parent, query).
func TestReverseDeduplicatesPerParentAndQuery(t *testing.T) {
	l, ctx, srv := setup(t)
	q := ll2.ListParams{Limit: 5, Mode: ll2.LevelNormal, Ordering: []ll2.OrderKey{{Field: "id"}}}
	a := l.SpacecraftOfConfig.Load(ctx, loaders.ReverseKey{Parent: 33, Query: q.Key()})
	same := ll2.ListParams{Limit: 5, Mode: ll2.LevelNormal, Ordering: []ll2.OrderKey{{Field: "id"}}}
	b := l.SpacecraftOfConfig.Load(ctx, loaders.ReverseKey{Parent: 33, Query: same.Key()})
	pa, err := a()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b()
	if err != nil {
		t.Fatal(err)
	}
	if pa != pb {
		t.Error("the same parent and query gave two pages")
	}
	for _, s := range pa.Items {
		if s.Config.ID != 33 {
			t.Errorf("spacecraft %d has configuration %d, not 33", s.ID, s.Config.ID)
		}
	}
	want := 0
	for _, s := range srv.Store().Spacecraft() {
		if s.SpacecraftConfig.ID == 33 {
			want++
		}
	}
	if pa.Count != want || want == 0 {
		t.Errorf("configuration 33 has %d spacecraft, want %d", pa.Count, want)
	}
	if n := srv.Counters().Total; n != 1 {
		t.Errorf("%d calls, want 1:\n%v", n, srv.Requests())
	}
}

// TestSplitReverseBatchIsPricedForAll checks that a reverse page asked for many
// parents is priced for all of them when the loader's batch splits (resolvers that
// reach it after its wait, as on a loaded machine): the first, lone parent does not
// make a filtered call of its own beside the crawl that answers its siblings.
func TestSplitReverseBatchIsPricedForAll(t *testing.T) {
	l, ctx, srv := setup(t)
	q := ll2.ListParams{Limit: 5, Mode: ll2.LevelNormal, Ordering: []ll2.OrderKey{{Field: "id"}}}
	var configs []int
	for _, c := range srv.Store().Configs() {
		configs = append(configs, c.ID)
	}
	// One batch with the first parent alone, then one with the rest.
	if _, err := l.SpacecraftOfConfig.Load(ctx, loaders.ReverseKey{Parent: configs[0], Query: q.Key(), Expected: len(configs)})(); err != nil {
		t.Fatal(err)
	}
	var rest []func() (*catalog.Page[catalog.Spacecraft], error)
	for _, c := range configs[1:] {
		rest = append(rest, l.SpacecraftOfConfig.Load(ctx, loaders.ReverseKey{Parent: c, Query: q.Key(), Expected: len(configs)}))
	}
	for _, th := range rest {
		if _, err := th(); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range srv.Requests() {
		if strings.Contains(r, "spacecraft_config=") {
			t.Errorf("a filtered call for one parent: %s", r)
		}
	}
}

// TestLoadersPrimeThemselves checks that the loaders learn what their own batches
// brought from what the catalog returns, not from the context: with a context that
// carries nothing, an object embedded in a loaded object, or in a page of a parent's
// children, answers a later lookup at its level without a call.
func TestLoadersPrimeThemselves(t *testing.T) {
	for _, tc := range []struct {
		name string
		// fetch loads something and returns a configuration it embedded.
		fetch func(*testing.T, *loaders.Loaders, *ll2server.Server) int
	}{
		{"an object by id", func(t *testing.T, l *loaders.Loaders, srv *ll2server.Server) int {
			id := srv.Store().Spacecraft()[0].ID
			sc, err := l.Spacecraft.Load(context.Background(), loaders.Key{ID: id, Level: ll2.LevelDetailed})()
			if err != nil {
				t.Fatal(err)
			}
			return sc.Config.ID
		}},
		{"a page of a parent's children", func(t *testing.T, l *loaders.Loaders, _ *ll2server.Server) int {
			q := ll2.ListParams{Limit: 5, Mode: ll2.LevelNormal, Ordering: []ll2.OrderKey{{Field: "id"}}}
			page, err := l.SpacecraftOfConfig.Load(context.Background(), loaders.ReverseKey{Parent: 33, Query: q.Key()})()
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) == 0 {
				t.Fatal("configuration 33 has no spacecraft")
			}
			return page.Items[0].Config.ID
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat, srv := newCatalog(t)
			l := loaders.New(cat, testWait, nil)
			cfg := tc.fetch(t, l, srv)
			before := srv.Counters().Total
			if _, err := l.Config.Load(context.Background(), loaders.Key{ID: cfg, Level: ll2.LevelNormal})(); err != nil {
				t.Fatal(err)
			}
			if n := srv.Counters().Total - before; n != 0 {
				t.Errorf("the embedded configuration %d cost %d calls, want 0:\n%v", cfg, n, srv.Requests())
			}
		})
	}
}

// TestFlightsPrimedFromDetailedSpacecraft: a page of detailed spacecraft brings every
// flight of each, and the flight loader answers them without a call; a flight fetched
// at the detailed level brings its docking events, which the docking event loader
// answers likewise.
func TestFlightsPrimedFromDetailedSpacecraft(t *testing.T) {
	d := synthetic.Generate(synthetic.Options{Seed: 6, Spacecraft: 40, Configs: 5, Agencies: 6, Families: 2, Flights: true})
	srv := ll2server.New(ll2server.NewStore(d), ll2server.Options{})
	cat := catalog.New(catalog.Options{Client: mustClient(t, srv)})
	l := loaders.New(cat, testWait, nil)
	ctx := loaders.WithLoaders(context.Background(), l)
	page, err := l.ListSpacecraft(ctx, ll2.ListParams{Limit: 40, Mode: ll2.LevelDetailed})
	if err != nil {
		t.Fatal(err)
	}
	var keys []loaders.Key
	for _, s := range page.Items {
		for _, f := range s.Flights {
			keys = append(keys, loaders.Key{ID: f.ID, Level: ll2.LevelNormal})
		}
	}
	if len(keys) != len(d.Flights) || len(keys) == 0 {
		t.Fatalf("%d flights in the page, %d in the data", len(keys), len(d.Flights))
	}
	srv.Reset()
	flights, errs := l.Flight.LoadMany(ctx, keys)()
	if errs != nil || srv.Counters().Total != 0 {
		t.Fatalf("errors %v, %d calls: %v", errs, srv.Counters().Total, srv.Requests())
	}
	for i, f := range flights {
		if f.ID != keys[i].ID || f.Launch == nil {
			t.Fatalf("flight %d: %+v", keys[i].ID, f)
		}
	}
	// The detailed level is not in the page: one call for a flight at that level.
	var docked int
	for _, f := range d.Flights {
		if len(f.DockingEvents) > 0 {
			docked = f.ID
			break
		}
	}
	f, err := l.Flight.Load(ctx, loaders.Key{ID: docked, Level: ll2.LevelDetailed})()
	if err != nil || len(f.DockingEvents) == 0 || srv.Counters().Total != 1 {
		t.Fatalf("flight %d at the detailed level: %+v, %v, %d calls", docked, f, err, srv.Counters().Total)
	}
	ev, err := l.DockingEvent.Load(ctx, loaders.Key{ID: f.DockingEvents[0].ID, Level: ll2.LevelNormal})()
	if err != nil || ev.FlightID() != docked || srv.Counters().Total != 1 {
		t.Errorf("docking event %d: %+v, %v, %d calls", f.DockingEvents[0].ID, ev, err, srv.Counters().Total)
	}
	// Reverse pages go through the catalog's batching: the flights of two spacecraft
	// in one call, since the catalog knows from the page that the 40 detailed
	// spacecraft, every flight included, fit in one page (fewer calls than one each).
	srv.Reset()
	q := ll2.ListParams{Limit: 2}
	thunks := []func() (*catalog.Page[catalog.SpacecraftFlight], error){
		l.FlightsOfSpacecraft.Load(ctx, loaders.ReverseKey{Parent: page.Items[0].ID, Query: q.Key(), Expected: 2}),
		l.FlightsOfSpacecraft.Load(ctx, loaders.ReverseKey{Parent: page.Items[1].ID, Query: q.Key(), Expected: 2}),
	}
	for i, th := range thunks {
		p, err := th()
		if err != nil || p.Count != len(page.Items[i].Flights) {
			t.Errorf("flights of spacecraft %d: %+v, %v", page.Items[i].ID, p, err)
		}
	}
	if n := srv.Counters().Total; n != 1 {
		t.Errorf("%d calls, want 1: %v", n, srv.Requests())
	}
}

// TestBatchAnswersAsLoad checks Entity.Batch against Load's answers: key order,
// duplicate keys, a missing id (a NotFound at its own position only), entities the
// request has seen and entities of the catalog's entity cache answered without a call
// or a batch, and keys that need LL2 joining the loads of their window in one batch.
func TestBatchAnswersAsLoad(t *testing.T) {
	d, _, err := snapshot.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	srv := ll2server.New(ll2server.NewStore(d), ll2server.Options{})
	cat := catalog.New(catalog.Options{Client: mustClient(t, srv),
		Entities: catalog.NewMemoryEntityCache(1000, catalog.DefaultEntityTTLs(), time.Hour, nil)})
	m := observe.New(observe.Options{})
	newLoaders := func() (*loaders.Loaders, context.Context) {
		l := loaders.New(cat, testWait, m)
		return l, loaders.WithLoaders(context.Background(), l)
	}
	batches := func() uint64 { return loaderBatches(t, m, "agency") }

	// Cold: agencies 121 and 63 need LL2. A Load of 44 in the same window joins them
	// in one batch, as the call planner prices them.
	l, ctx := newLoaders()
	keys := []loaders.Key{{ID: 121, Level: ll2.LevelDetailed}, {ID: 63, Level: ll2.LevelList}, {ID: 121, Level: ll2.LevelNormal}, {ID: 999999, Level: ll2.LevelList}, {ID: 63, Level: ll2.LevelList}}
	wait := l.Agency.Batch(ctx, keys)
	other := l.Agency.Load(ctx, loaders.Key{ID: 44, Level: ll2.LevelList})
	check := func(what string, got []loaders.Result[catalog.Agency]) {
		t.Helper()
		if len(got) != len(keys) {
			t.Fatalf("%s: %d results for %d keys", what, len(got), len(keys))
		}
		for i, want := range []int{121, 63, 121, 0, 63} {
			r := got[i]
			switch {
			case want == 0:
				if r.Value != nil || !errors.Is(r.Err, ll2.ErrNotFound) {
					t.Errorf("%s: key %d: %+v, %v, want a NotFound error", what, i, r.Value, r.Err)
				}
			case r.Err != nil || r.Value == nil || r.Value.ID != want:
				t.Errorf("%s: key %d: %+v, %v, want agency %d", what, i, r.Value, r.Err, want)
			case r.Value.Level < keys[i].Level:
				t.Errorf("%s: key %d: level %v, asked %v", what, i, r.Value.Level, keys[i].Level)
			}
		}
	}
	check("cold", wait())
	if ag, err := other(); err != nil || ag.ID != 44 {
		t.Errorf("the Load beside the batch: %+v, %v", ag, err)
	}
	if n := batches(); n != 1 {
		t.Errorf("cold: %v loader batches, want the batch and the Load in one", n)
	}
	calls := srv.Counters().Total

	// Warm, a new request: the entity cache answers without a call and without a
	// loader batch; only the missing id goes to a batch (and LL2 says it is missing).
	l, ctx = newLoaders()
	check("warm", l.Agency.Batch(ctx, keys)())
	if n := srv.Counters().Total - calls; n != 1 {
		t.Errorf("warm: %d calls, want 1 (the missing id)", n)
	}
	if n := batches(); n != 2 {
		t.Errorf("warm: %v loader batches in all, want 2 (the missing id's)", n)
	}

	// The same request again: its own loads answer, no call, no batch.
	calls = srv.Counters().Total
	check("again", l.Agency.Batch(ctx, keys)())
	if n := srv.Counters().Total - calls; n != 0 || batches() != 2 {
		t.Errorf("again: %d calls, %v batches in all", n, batches())
	}
}

// loaderBatches returns how many batches the loader named loader has run, from the
// metrics' loader batch histogram.
func loaderBatches(t *testing.T, m *observe.Metrics, loader string) uint64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "spacegraph_loader_batch_size" {
			continue
		}
		for _, mt := range f.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if lp.GetName() == "loader" && lp.GetValue() == loader {
					return mt.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}

// TestLoadsMoreKeysThanABatchQueueHolds loads, one Load each and at once, more keys
// than a batch's queue holds: every key is answered, in as few batches as the window
// makes (a full queue only waits for the goroutine that collects it).
func TestLoadsMoreKeysThanABatchQueueHolds(t *testing.T) {
	cat, _ := newCatalog(t)
	m := observe.New(observe.Options{})
	l := loaders.New(cat, testWait, m)
	ctx := loaders.WithLoaders(context.Background(), l)
	const n = 300 // past 64, the queue's capacity
	thunks := make([]func() (*catalog.Agency, error), n)
	for i := range n {
		thunks[i] = l.Agency.Load(ctx, loaders.Key{ID: 100000 + i, Level: ll2.LevelList})
	}
	for i, th := range thunks {
		if _, err := th(); !errors.Is(err, ll2.ErrNotFound) {
			t.Fatalf("key %d: %v, want NotFound", i, err)
		}
	}
	if b := loaderBatches(t, m, "agency"); b != 1 {
		t.Errorf("%d batches for %d keys loaded at once, want 1", b, n)
	}
}
