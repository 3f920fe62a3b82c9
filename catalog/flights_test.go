package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"

	"spacegraph/catalog"
	"spacegraph/economy"
	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
	"spacegraph/snapshot/synthetic"
)

// ll2Scale is the synthetic LL2-scale data with flights, generated once and never
// modified.
var ll2Scale = sync.OnceValue(func() snapshot.Data { return synthetic.Generate(synthetic.LL2ScaleFlights()) })

// flightEnv is a catalog as the gateway builds it (answer cache, entity cache) over
// the built-in server, whose counters tell the calls each answer cost.
type flightEnv struct {
	srv *ll2server.Server
	cat *catalog.Catalog
}

func newFlightEnv(t *testing.T, d snapshot.Data) *flightEnv {
	t.Helper()
	srv := ll2server.New(ll2server.NewStore(d), ll2server.Options{})
	tr := economy.NewTransport(economy.Options{Base: ll2server.Transport(srv)})
	t.Cleanup(func() { _ = tr.Close() })
	client, err := ll2.New(ll2.Config{BaseURL: ll2server.EmbeddedBaseURL, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	entities := catalog.NewMemoryEntityCache(100_000, catalog.DefaultEntityTTLs(), 0, nil)
	t.Cleanup(func() { _ = entities.Close() })
	return &flightEnv{srv: srv, cat: catalog.New(catalog.Options{Client: client, Entities: entities})}
}

// calls runs f and returns the calls it cost.
func (e *flightEnv) calls(t *testing.T, f func(ctx context.Context)) int {
	t.Helper()
	before := e.srv.Counters().Total
	f(context.Background())
	return e.srv.Counters().Total - before
}

func spacecraftFilter(id int) url.Values { return url.Values{"spacecraft": {strconv.Itoa(id)}} }

// flightsOf lists the ids of a spacecraft's flights in the data, in id order.
func flightsOf(d snapshot.Data, sc int) []int {
	var out []int
	for _, f := range d.Flights {
		if f.SpacecraftID() == sc {
			out = append(out, f.ID)
		}
	}
	return out
}

func flightIDs(fs []*catalog.SpacecraftFlight) []int {
	out := make([]int, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

func dockingIDs(es []*catalog.DockingEvent) []int {
	out := make([]int, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// mostFlown returns spacecraft ids with the most flights first.
func mostFlown(d snapshot.Data) []int {
	ids := make([]int, len(d.Spacecraft))
	for i, s := range d.Spacecraft {
		ids[i] = s.ID
	}
	n := map[int]int{}
	for _, f := range d.Flights {
		n[f.SpacecraftID()]++
	}
	slices.SortStableFunc(ids, func(a, b int) int { return n[b] - n[a] })
	return ids
}

// TestFlightCalls pins what each way of asking for flights and docking events costs
// in LL2 calls, against the built-in server's counters, and that the answers are the
// data's.
func TestFlightCalls(t *testing.T) {
	d := ll2Scale()
	top := mostFlown(d)

	t.Run("flights of one spacecraft by id: 1 call", func(t *testing.T) {
		e := newFlightEnv(t, d)
		var pages map[int]*catalog.Page[catalog.SpacecraftFlight]
		var failed map[int]error
		n := e.calls(t, func(ctx context.Context) {
			pages, failed = e.cat.FlightsOfSpacecraft(ctx, []int{top[0]}, 1, ll2.ListParams{Limit: 3, Mode: ll2.LevelNormal})
		})
		want := flightsOf(d, top[0])
		if n != 1 || len(failed) > 0 || pages[top[0]].Count != len(want) || !slices.Equal(flightIDs(pages[top[0]].Items), want[:3]) {
			t.Fatalf("%d calls, failed %v, page %+v; want 1 call and flights %v", n, failed, pages[top[0]], want[:3])
		}
		if f := pages[top[0]].Items[0]; f.Launch == nil || f.Launch.Name == nil || f.Spacecraft.ID != top[0] || f.Launch.LaunchServiceProvider == nil {
			t.Errorf("flight %+v lacks its launch or spacecraft", f)
		}
	})

	t.Run("50 detailed spacecraft with their first 3 flights' launches: 1 call", func(t *testing.T) {
		e := newFlightEnv(t, d)
		n := e.calls(t, func(ctx context.Context) {
			page, err := e.cat.ListSpacecraft(ctx, ll2.ListParams{Limit: 50, Mode: ll2.LevelDetailed})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range page.Items {
				fp, err := catalog.LocalFlights(s, ll2.ListParams{Limit: 3})
				if err != nil {
					t.Fatal(err)
				}
				want := flightsOf(d, s.ID)
				if fp.Count != len(want) || !slices.Equal(flightIDs(fp.Items), want[:min(3, len(want))]) {
					t.Fatalf("spacecraft %d: %d flights %v, want %v", s.ID, fp.Count, flightIDs(fp.Items), want)
				}
				for _, f := range fp.Items {
					if f.Launch == nil || f.Launch.Name == nil || f.Landing == nil && f.MissionEnd != nil {
						t.Fatalf("flight %d: launch %+v", f.ID, f.Launch)
					}
				}
			}
			// What the page brought primes the loaders: every flight of every spacecraft.
			flights := 0
			for _, s := range page.Items {
				flights += *s.FlightsCount
			}
			if len(page.Seen.Flights) != flights {
				t.Errorf("the page saw %d flights, its spacecraft have %d", len(page.Seen.Flights), flights)
			}
		})
		if n != 1 {
			t.Errorf("%d calls, want 1", n)
		}
	})

	t.Run("flights of 3 spacecraft: a call each; of 50: one crawl of the detailed spacecraft", func(t *testing.T) {
		e := newFlightEnv(t, d)
		q := ll2.ListParams{Limit: 3}
		if n := e.calls(t, func(ctx context.Context) { e.cat.FlightsOfSpacecraft(ctx, top[:3], 3, q) }); n != 3 {
			t.Errorf("3 spacecraft: %d calls", n)
		}
		e = newFlightEnv(t, d)
		var pages map[int]*catalog.Page[catalog.SpacecraftFlight]
		n := e.calls(t, func(ctx context.Context) { pages, _ = e.cat.FlightsOfSpacecraft(ctx, top[:50], 50, q) })
		if want := e.cat.CrawlCost(catalog.KindSpacecraft); n != want || want != 6 {
			t.Errorf("50 spacecraft: %d calls, want the crawl's %d", n, want)
		}
		for _, id := range top[:50] {
			if want := flightsOf(d, id); pages[id] == nil || pages[id].Count != len(want) {
				t.Errorf("spacecraft %d: %+v, want %d flights", id, pages[id], len(want))
			}
		}
		// The crawl answers the next batch too.
		if n := e.calls(t, func(ctx context.Context) { e.cat.FlightsOfSpacecraft(ctx, top[50:53], 3, q) }); n != 0 {
			t.Errorf("after the crawl: %d calls", n)
		}
	})

	t.Run("docking events of 20 flights fetched at the detailed level: no more call", func(t *testing.T) {
		e := newFlightEnv(t, d)
		var page *catalog.Page[catalog.SpacecraftFlight]
		var pages map[int]*catalog.Page[catalog.DockingEvent]
		n := e.calls(t, func(ctx context.Context) {
			var err error
			page, err = e.cat.ListFlights(ctx, ll2.ListParams{Limit: 20, Mode: ll2.LevelDetailed})
			if err != nil {
				t.Fatal(err)
			}
			var failed map[int]error
			pages, failed = e.cat.DockingEventsOfFlights(ctx, flightIDs(page.Items), 20, ll2.ListParams{Limit: 10})
			if len(failed) > 0 {
				t.Fatal(failed)
			}
		})
		if n > 2 || n != 1 {
			t.Errorf("%d calls, want 1 (at most 2)", n)
		}
		for _, f := range page.Items {
			want := expectedDockings(d, f.ID)
			if p := pages[f.ID]; p == nil || !slices.Equal(dockingIDs(p.Items), want) {
				t.Errorf("flight %d: %v, want %v", f.ID, p, want)
			}
		}
	})

	t.Run("docking events of 20 flights of two spacecraft: a call per spacecraft", func(t *testing.T) {
		e := newFlightEnv(t, d)
		var ids []int
		e.calls(t, func(ctx context.Context) {
			pages, _ := e.cat.FlightsOfSpacecraft(ctx, top[:2], 2, ll2.ListParams{Limit: 100})
			for _, p := range pages {
				ids = append(ids, flightIDs(p.Items)...)
			}
		})
		var pages map[int]*catalog.Page[catalog.DockingEvent]
		n := e.calls(t, func(ctx context.Context) {
			pages, _ = e.cat.DockingEventsOfFlights(ctx, ids, len(ids), ll2.ListParams{Limit: 10})
		})
		if n != 2 || len(ids) < 20 {
			t.Errorf("docking events of %d flights: %d calls, want 2", len(ids), n)
		}
		for _, id := range ids {
			if p := pages[id]; p == nil || !slices.Equal(dockingIDs(p.Items), expectedDockings(d, id)) {
				t.Errorf("flight %d: %+v", id, p)
			}
		}
	})

	t.Run("docking events of flights it knows nothing of: a call each, or a crawl", func(t *testing.T) {
		e := newFlightEnv(t, d)
		if n := e.calls(t, func(ctx context.Context) { e.cat.DockingEventsOfFlights(ctx, []int{1, 2, 3}, 3, ll2.ListParams{}) }); n != 3 {
			t.Errorf("3 flights: %d calls", n)
		}
		e = newFlightEnv(t, d)
		many := make([]int, 40)
		for i := range many {
			many[i] = 1 + i*50
		}
		var pages map[int]*catalog.Page[catalog.DockingEvent]
		n := e.calls(t, func(ctx context.Context) {
			pages, _ = e.cat.DockingEventsOfFlights(ctx, many, 40, ll2.ListParams{Ordering: []ll2.OrderKey{{Field: "docking", Desc: true}}})
		})
		if want := (len(d.DockingEvents) + 99) / 100; n != want {
			t.Errorf("40 flights: %d calls, want the crawl's %d", n, want)
		}
		for _, id := range many {
			want := expectedDockings(d, id)
			slices.Reverse(want) // docking order is id order within a flight
			if p := pages[id]; p == nil || !slices.Equal(dockingIDs(p.Items), want) {
				t.Errorf("flight %d: %v, want %v", id, p, want)
			}
		}
	})

	t.Run("a flight by id: 1 call, then none", func(t *testing.T) {
		e := newFlightEnv(t, d)
		for i, want := range []int{1, 0} {
			var found map[int]*catalog.SpacecraftFlight
			n := e.calls(t, func(ctx context.Context) { found, _, _ = e.cat.GetFlights(ctx, []int{42}, ll2.LevelDetailed) })
			if n != want || found[42] == nil || found[42].DockingEvents == nil || found[42].Level != ll2.LevelDetailed {
				t.Errorf("round %d: %d calls, flight %+v", i, n, found[42])
			}
		}
		var found map[int]*catalog.DockingEvent
		n := e.calls(t, func(ctx context.Context) { found, _, _ = e.cat.GetDockingEvents(ctx, []int{7}, ll2.LevelNormal) })
		if n != 1 || found[7] == nil || found[7].Flight == nil && found[7].SpaceStationChaser == nil {
			t.Errorf("docking event 7: %d calls, %+v", n, found[7])
		}
	})

	t.Run("every lookup list: 1 call cold, none warm", func(t *testing.T) {
		e := newFlightEnv(t, d)
		lists := map[string]func(context.Context) (int, error){
			"statuses": func(ctx context.Context) (int, error) { r, err := e.cat.SpacecraftStatuses(ctx); return rows(r, err) },
			"config types": func(ctx context.Context) (int, error) {
				r, err := e.cat.SpacecraftConfigTypes(ctx)
				return rows(r, err)
			},
			"agency types": func(ctx context.Context) (int, error) { r, err := e.cat.AgencyTypes(ctx); return rows(r, err) },
			"countries":    func(ctx context.Context) (int, error) { r, err := e.cat.Countries(ctx); return rows(r, err) },
			"licenses":     func(ctx context.Context) (int, error) { r, err := e.cat.ImageLicenses(ctx); return rows(r, err) },
		}
		want := map[string]int{"statuses": 5, "config types": 6, "agency types": 6, "countries": 12, "licenses": 4}
		for name, f := range lists {
			for round, calls := range []int{1, 0} {
				var got int
				var err error
				n := e.calls(t, func(ctx context.Context) { got, err = f(ctx) })
				if err != nil || n != calls || got != want[name] {
					t.Errorf("%s, round %d: %d rows, %v, %d calls; want %d rows and %d calls", name, round, got, err, n, want[name], calls)
				}
			}
		}
		// Primed by the replica's crawl: a fresh catalog answers from the answer cache.
		e = newFlightEnv(t, d)
		if err := e.cat.PrefetchFlights(context.Background()); err != nil {
			t.Fatal(err)
		}
		for name, f := range lists {
			if n := e.calls(t, func(ctx context.Context) { _, _ = f(ctx) }); n != 0 {
				t.Errorf("%s after PrefetchFlights: %d calls", name, n)
			}
		}
	})

	t.Run("a replica answers flights and docking events without a call", func(t *testing.T) {
		e := newFlightEnv(t, d)
		n := e.calls(t, func(ctx context.Context) {
			if err := e.cat.Prefetch(ctx); err != nil {
				t.Fatal(err)
			}
			if err := e.cat.PrefetchFlights(ctx); err != nil {
				t.Fatal(err)
			}
		})
		if want := 12 + (len(d.DockingEvents)+99)/100 + 5; n != want {
			t.Errorf("the prefetch spent %d calls, want %d", n, want)
		}
		n = e.calls(t, func(ctx context.Context) {
			p, err := e.cat.ListFlights(ctx, ll2.ListParams{Limit: 5, Ordering: []ll2.OrderKey{{Field: "mission_end", Desc: true}}, Filter: spacecraftFilter(top[0])})
			if err != nil || p.Count != len(flightsOf(d, top[0])) {
				t.Fatalf("flights of %d: %+v %v", top[0], p, err)
			}
			pages, failed := e.cat.FlightsOfSpacecraft(ctx, top[:30], 30, ll2.ListParams{Limit: 2})
			if len(pages) != 30 || len(failed) > 0 {
				t.Fatalf("flights of 30 spacecraft: %d pages, %v", len(pages), failed)
			}
			dp, failed := e.cat.DockingEventsOfFlights(ctx, flightsOf(d, top[0]), 30, ll2.ListParams{})
			if len(dp) != len(flightsOf(d, top[0])) || len(failed) > 0 {
				t.Fatalf("docking events: %d pages, %v", len(dp), failed)
			}
		})
		if n != 0 {
			t.Errorf("a replica spent %d calls: %v", n, e.srv.Requests())
		}
	})
}

// expectedDockings lists the docking events a flight chases in, in id order.
func expectedDockings(d snapshot.Data, flight int) []int {
	out := []int{}
	for _, e := range d.DockingEvents {
		if e.ChaserFlightID() == flight {
			out = append(out, e.ID)
		}
	}
	return out
}

// TestLocalFlightsIsLL2 checks that paging what a detailed spacecraft or flight
// brought gives what LL2 (the built-in server) answers to the same query.
func TestLocalFlightsIsLL2(t *testing.T) {
	d := ll2Scale()
	e := newFlightEnv(t, d)
	ctx := context.Background()
	top := mostFlown(d)
	page, err := e.cat.ListSpacecraft(ctx, ll2.ListParams{Limit: 1, Mode: ll2.LevelDetailed, Filter: url.Values{"name": {d.Spacecraft[top[0]-1].Name}}})
	if err != nil || len(page.Items) != 1 {
		t.Fatal(page, err)
	}
	s := page.Items[0]
	for _, q := range []ll2.ListParams{
		{Limit: 3, Offset: 2},
		{Limit: 100, Ordering: []ll2.OrderKey{{Field: "mission_end", Desc: true}}},
		{Limit: 4, Offset: 1, Ordering: []ll2.OrderKey{{Field: "mission_end"}, {Field: "id", Desc: true}}},
		{},
	} {
		local, err := catalog.LocalFlights(s, q)
		if err != nil {
			t.Fatal(err)
		}
		lq := q
		lq.Filter = spacecraftFilter(s.ID)
		remote, err := e.cat.ListFlights(ctx, lq)
		if err != nil {
			t.Fatal(err)
		}
		if local.Count != remote.Count || !slices.Equal(flightIDs(local.Items), flightIDs(remote.Items)) {
			t.Errorf("%+v: local %d %v, LL2 %d %v", q, local.Count, flightIDs(local.Items), remote.Count, flightIDs(remote.Items))
		}
	}
	// A flight's docking events, by the docking_events/ query semantics.
	var flight *catalog.SpacecraftFlight
	for _, id := range flightsOf(d, top[0]) {
		found, _, _ := e.cat.GetFlights(ctx, []int{id}, ll2.LevelDetailed)
		if f := found[id]; f != nil && len(f.DockingEvents) > 1 {
			flight = f
			break
		}
	}
	if flight == nil {
		for _, f := range d.Flights {
			if len(f.DockingEvents) > 1 {
				found, _, _ := e.cat.GetFlights(ctx, []int{f.ID}, ll2.LevelDetailed)
				flight = found[f.ID]
				break
			}
		}
	}
	for _, q := range []ll2.ListParams{
		{Ordering: []ll2.OrderKey{{Field: "docking", Desc: true}}},
		{Limit: 1, Offset: 1, Ordering: []ll2.OrderKey{{Field: "departure"}}},
		{Search: "Synthetic Port"},
		{Search: "no such port"},
		{Filter: url.Values{"docking__gte": {flight.DockingEvents[1].Docking.String()}}},
		{Filter: url.Values{"space_station_target__id": {strconv.Itoa(flight.DockingEvents[0].SpaceStation.ID)}}},
	} {
		local, err := catalog.LocalDockingEvents(flight, q)
		if err != nil {
			t.Fatal(err)
		}
		lq := q
		lq.Filter = url.Values{"flight_vehicle_chaser__id": {strconv.Itoa(flight.ID)}}
		for k, v := range q.Filter {
			lq.Filter[k] = v
		}
		remote, err := e.cat.ListDockingEvents(ctx, lq)
		if err != nil {
			t.Fatal(err)
		}
		if local.Count != remote.Count || !slices.Equal(dockingIDs(local.Items), dockingIDs(remote.Items)) {
			t.Errorf("%+v: local %d %v, LL2 %d %v", q, local.Count, dockingIDs(local.Items), remote.Count, dockingIDs(remote.Items))
		}
	}
}

// TestFlightsNotInTheEmbeddedSnapshot: the embedded snapshot knows no flights and no
// docking events; every way of asking says so (KindNotInSnapshot), none answers "none".
func TestFlightsNotInTheEmbeddedSnapshot(t *testing.T) {
	emb, _, err := snapshot.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	e := newFlightEnv(t, emb)
	ctx := context.Background()
	sc := emb.Spacecraft[0].ID
	notHeld := func(what string, err error) {
		t.Helper()
		var le *ll2.Error
		if !errors.As(err, &le) || le.Kind != ll2.KindNotInSnapshot || len(le.Lacking) == 0 {
			t.Errorf("%s: %v, want not in snapshot", what, err)
		}
	}
	_, err = e.cat.ListFlights(ctx, ll2.ListParams{})
	notHeld("ListFlights", err)
	_, err = e.cat.ListDockingEvents(ctx, ll2.ListParams{})
	notHeld("ListDockingEvents", err)
	_, failed := e.cat.FlightsOfSpacecraft(ctx, []int{sc}, 1, ll2.ListParams{})
	notHeld("FlightsOfSpacecraft", failed[sc])
	_, failed = e.cat.FlightsOfSpacecraft(ctx, []int{sc, emb.Spacecraft[1].ID}, 20, ll2.ListParams{})
	notHeld("FlightsOfSpacecraft through the spacecraft crawl", failed[sc])
	_, failed = e.cat.DockingEventsOfFlights(ctx, []int{1}, 1, ll2.ListParams{})
	notHeld("DockingEventsOfFlights", failed[1])
	_, failedF, _ := e.cat.GetFlights(ctx, []int{1}, ll2.LevelNormal)
	notHeld("GetFlights", failedF[1])
	page, err := e.cat.ListSpacecraft(ctx, ll2.ListParams{Limit: 5, Mode: ll2.LevelDetailed})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range page.Items {
		if s.Flights != nil {
			t.Errorf("spacecraft %d has flights %v", s.ID, s.Flights)
		}
		_, err := catalog.LocalFlights(s, ll2.ListParams{})
		notHeld(fmt.Sprintf("LocalFlights(%d)", s.ID), err)
	}
	// Its lookup lists are the values its real records carry, and say so.
	statuses, err := e.cat.SpacecraftStatuses(ctx)
	if err != nil || len(statuses.Rows) != len(emb.Lookups[ll2.PathSpacecraftStatuses]) || len(statuses.Rows) == 0 || !statuses.FromRecords {
		t.Errorf("statuses %+v, %v", statuses, err)
	}
	countries, err := e.cat.Countries(ctx)
	if err != nil || len(countries.Rows) != 0 || !countries.FromRecords {
		t.Errorf("countries %+v, %v: its agencies carry none, which is not LL2's table", countries, err)
	}
}

// rows counts a lookup list's rows, and fails a list that says it is not LL2's whole
// table (synthetic tables are whole).
func rows[T any](l *catalog.LookupList[T], err error) (int, error) {
	if err != nil {
		return 0, err
	}
	if l.FromRecords {
		return 0, errors.New("a whole table says it holds only what records carry")
	}
	return len(l.Rows), nil
}

// TestFlightQueriesRefusedBeforeAnyCall: what LL2 would ignore or refuse costs no call.
func TestFlightQueriesRefusedBeforeAnyCall(t *testing.T) {
	d := ll2Scale()
	e := newFlightEnv(t, d)
	bad := func(what string, err error) {
		t.Helper()
		if ll2.KindOf(err) != ll2.KindBadRequest {
			t.Errorf("%s: %v, want a bad request", what, err)
		}
	}
	n := e.calls(t, func(ctx context.Context) {
		_, err := e.cat.ListFlights(ctx, ll2.ListParams{Search: "Dragon"})
		bad("search on flights", err)
		_, failed := e.cat.FlightsOfSpacecraft(ctx, []int{1, 2}, 2, ll2.ListParams{Filter: spacecraftFilter(3)})
		bad("the parent's filter set by the query", failed[1])
		_, failed = e.cat.FlightsOfSpacecraft(ctx, []int{1}, 1, ll2.ListParams{Ordering: []ll2.OrderKey{{Field: "net"}}})
		bad("an ordering LL2 lacks", failed[1])
		_, failed = e.cat.DockingEventsOfFlights(ctx, []int{1}, 1, ll2.ListParams{Filter: url.Values{"docking__gte": {"soon"}}})
		bad("a date-time LL2 cannot read", failed[1])
		s := &catalog.Spacecraft{Level: ll2.LevelNormal}
		_, err = catalog.LocalFlights(s, ll2.ListParams{})
		bad("LocalFlights of a normal spacecraft", err)
		_, err = catalog.LocalDockingEvents(&catalog.SpacecraftFlight{Level: ll2.LevelNormal}, ll2.ListParams{})
		bad("LocalDockingEvents of a normal flight", err)
	})
	if n != 0 {
		t.Errorf("%d calls: %v", n, e.srv.Requests())
	}
}

// TestLocalPageDefaultLimit: a query without a limit answered from a crawl gives LL2's
// default page of ten, as the same query sent to LL2 does, not an empty page.
func TestLocalPageDefaultLimit(t *testing.T) {
	d := ll2Scale()
	e := newFlightEnv(t, d)
	ctx := context.Background()
	// Configurations by family are always answered from a crawl of the configurations.
	fam := d.Families[0].ID
	pages, failed := e.cat.ConfigsOfFamilies(ctx, []int{fam}, 1, ll2.ListParams{})
	if len(failed) > 0 {
		t.Fatal(failed)
	}
	members := 0
	for _, c := range d.Configs {
		for _, f := range c.Family {
			if f.ID == fam {
				members++
			}
		}
	}
	if p := pages[fam]; p.Count != members || len(p.Items) != min(members, ll2.DefaultLimit) || members == 0 {
		t.Errorf("family %d: count %d, %d items; want %d and %d", fam, p.Count, len(p.Items), members, min(members, ll2.DefaultLimit))
	}
}
