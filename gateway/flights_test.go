package gateway_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"spacegraph/bench"
	"spacegraph/gateway"
	"spacegraph/ll2"
	"spacegraph/relay"
)

// flightsOfSpacecraft returns the ids of a synthetic spacecraft's flights, by id.
func flightsOfSpacecraft(id int) []int {
	var out []int
	for _, f := range llScaleFlights().Flights {
		if f.SpacecraftID() == id {
			out = append(out, f.ID)
		}
	}
	slices.Sort(out)
	return out
}

// busiestSpacecraft is the synthetic spacecraft with the most flights.
func busiestSpacecraft() int {
	n := map[int]int{}
	for _, f := range llScaleFlights().Flights {
		n[f.SpacecraftID()]++
	}
	best := 0
	for id, c := range n {
		if c > n[best] || (c == n[best] && id < best) {
			best = id
		}
	}
	return best
}

// dockingOfFlight returns a synthetic flight's docking events (as chaser), by docking time.
func dockingOfFlight(id int) []*ll2.DockingEvent {
	var out []*ll2.DockingEvent
	for _, d := range llScaleFlights().DockingEvents {
		if d.FlightVehicleChaser != nil && d.FlightVehicleChaser.ID == id {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b *ll2.DockingEvent) int { return a.Docking.Compare(b.Docking) })
	return out
}

type flightNode struct {
	ID         string  `json:"id"`
	LL2ID      int     `json:"ll2Id"`
	MissionEnd *string `json:"missionEnd"`
}

type flightConn struct {
	TotalCount int          `json:"totalCount"`
	Nodes      []flightNode `json:"nodes"`
	PageInfo   struct {
		HasNextPage bool   `json:"hasNextPage"`
		EndCursor   string `json:"endCursor"`
	} `json:"pageInfo"`
}

func ll2IDs(ns []flightNode) []int {
	out := make([]int, len(ns))
	for i, n := range ns {
		out[i] = n.LL2ID
	}
	return out
}

// TestSpacecraftFlights: a spacecraft's flights, from a page of detailed spacecraft,
// a lookup by id and the root connection filtered by spacecraft, agree with the data,
// in id order and by mission end, and page with cursors.
func TestSpacecraftFlights(t *testing.T) {
	h := newLL2ScaleFlights(t)
	sc := busiestSpacecraft()
	want := flightsOfSpacecraft(sc)
	if len(want) < 4 {
		t.Fatalf("spacecraft %d has %d flights; the test needs 4", sc, len(want))
	}
	var out struct {
		Spacecraft struct {
			Flights flightConn `json:"flights"`
		} `json:"spacecraft"`
		Root flightConn `json:"root"`
	}
	h.ok(fmt.Sprintf(`{ spacecraft(ll2Id: %d) { flights(first: 3) { totalCount nodes { id ll2Id } pageInfo { hasNextPage endCursor } } }
		root: allSpacecraftFlights(first: 3, filter: {spacecraft: %q}) { totalCount nodes { id ll2Id } pageInfo { hasNextPage endCursor } } }`,
		sc, relay.GlobalID(relay.TypeSpacecraft, sc)), nil, &out)
	for name, c := range map[string]flightConn{"Spacecraft.flights": out.Spacecraft.Flights, "allSpacecraftFlights": out.Root} {
		if c.TotalCount != len(want) || !slices.Equal(ll2IDs(c.Nodes), want[:3]) || !c.PageInfo.HasNextPage {
			t.Errorf("%s: %+v, want %d flights starting %v", name, c, len(want), want[:3])
		}
		for _, n := range c.Nodes {
			if n.ID != relay.GlobalID(relay.TypeSpacecraftFlight, n.LL2ID) {
				t.Errorf("%s: flight %d has id %s", name, n.LL2ID, n.ID)
			}
		}
	}
	// The next page, by the spacecraft's own cursor.
	var next struct {
		Spacecraft struct {
			Flights flightConn `json:"flights"`
		} `json:"spacecraft"`
	}
	h.ok(fmt.Sprintf(`{ spacecraft(ll2Id: %d) { flights(first: 1, after: %q) { nodes { ll2Id } } } }`, sc, out.Spacecraft.Flights.PageInfo.EndCursor), nil, &next)
	if got := ll2IDs(next.Spacecraft.Flights.Nodes); !slices.Equal(got, want[3:4]) {
		t.Errorf("after the cursor: %v, want %v", got, want[3:4])
	}
	// By mission end, latest first (flights in progress first, as LL2 puts nulls).
	var byEnd struct {
		AllSpacecraftFlights flightConn `json:"allSpacecraftFlights"`
	}
	h.ok(fmt.Sprintf(`{ allSpacecraftFlights(first: 100, filter: {spacecraft: "%d"}, orderBy: {field: MISSION_END, direction: DESC}) { nodes { ll2Id missionEnd } } }`, sc), nil, &byEnd)
	ns := byEnd.AllSpacecraftFlights.Nodes
	if len(ns) != len(want) {
		t.Fatalf("%d flights by mission end, want %d", len(ns), len(want))
	}
	for i := 1; i < len(ns); i++ {
		a, b := ns[i-1].MissionEnd, ns[i].MissionEnd
		if a != nil && (b == nil || ll2.MustDateTime(*a).Compare(ll2.MustDateTime(*b)) < 0) {
			t.Errorf("flights %d and %d out of order: %v before %v", ns[i-1].LL2ID, ns[i].LL2ID, *a, b)
		}
	}
}

// TestFlightLaunchAndLanding: a flight's launch and landing are LL2's, its pad's
// country code is the pad location's country's alpha-3 code, and the launch provider
// is an agency that can be asked for more.
func TestFlightLaunchAndLanding(t *testing.T) {
	h := newLL2ScaleFlights(t)
	var f *ll2.SpacecraftFlight
	for _, x := range llScaleFlights().Flights {
		if x.Landing != nil && x.Launch != nil && x.Launch.Pad != nil && x.Launch.Pad.Location != nil && x.Launch.Pad.Location.Country != nil {
			f = x
			break
		}
	}
	if f == nil {
		t.Fatal("no synthetic flight with a landing and a pad location")
	}
	var out struct {
		SpacecraftFlight struct {
			Spacecraft struct{ LL2ID int } `json:"spacecraft"`
			Launch     struct {
				LL2ID                 string `json:"ll2Id"`
				Name                  string `json:"name"`
				Net                   string `json:"net"`
				LaunchServiceProvider struct {
					LL2ID        int  `json:"ll2Id"`
					FoundingYear *int `json:"foundingYear"`
				} `json:"launchServiceProvider"`
				Pad struct {
					Location struct {
						CountryCode string `json:"countryCode"`
					} `json:"location"`
				} `json:"pad"`
			} `json:"launch"`
			Landing struct {
				Success *bool `json:"success"`
			} `json:"landing"`
		} `json:"spacecraftFlight"`
	}
	h.ok(fmt.Sprintf(`{ spacecraftFlight(ll2Id: %d) { spacecraft { ll2Id } launch { ll2Id name net status { name } rocket { configuration { name fullName } }
		mission { name orbit { abbrev } } launchServiceProvider { ll2Id foundingYear } pad { name latitude location { name countryCode } } }
		landing { attempt success type { abbrev } location { name } } } }`, f.ID), nil, &out)
	got := out.SpacecraftFlight
	if got.Spacecraft.LL2ID != f.SpacecraftID() || got.Launch.LL2ID != f.Launch.ID || got.Launch.Name != *f.Launch.Name ||
		got.Launch.Net != f.Launch.Net.String() || got.Launch.Pad.Location.CountryCode != *f.Launch.Pad.Location.Country.Alpha3Code {
		t.Errorf("flight %d: %+v", f.ID, got)
	}
	if f.Launch.LaunchServiceProvider != nil && (got.Launch.LaunchServiceProvider.LL2ID != f.Launch.LaunchServiceProvider.ID || got.Launch.LaunchServiceProvider.FoundingYear == nil) {
		t.Errorf("launch provider %+v: want agency %d with its founding year (loaded at the normal level)", got.Launch.LaunchServiceProvider, f.Launch.LaunchServiceProvider.ID)
	}
	if (got.Landing.Success == nil) != (f.Landing.Success == nil) {
		t.Errorf("landing success %v, want %v", got.Landing.Success, f.Landing.Success)
	}
}

// TestDockingEvents: the docking events of a flight, through the flight and through
// the root connection's filters, agree with the data; the filters and orderings are
// LL2's; the chaser flight comes back through DockingEvent.flight.
func TestDockingEvents(t *testing.T) {
	h := newLL2ScaleFlights(t)
	d := llScaleFlights()
	var flight int
	for _, f := range d.Flights {
		if len(dockingOfFlight(f.ID)) >= 2 {
			flight = f.ID
			break
		}
	}
	if flight == 0 {
		t.Fatal("no synthetic flight with two docking events")
	}
	want := dockingOfFlight(flight)
	type dockConn struct {
		TotalCount int `json:"totalCount"`
		Nodes      []struct {
			ID      string `json:"id"`
			LL2ID   int    `json:"ll2Id"`
			Docking string `json:"docking"`
			Flight  struct {
				LL2ID int `json:"ll2Id"`
			} `json:"flight"`
		} `json:"nodes"`
	}
	var out struct {
		SpacecraftFlight struct {
			DockingEvents dockConn `json:"dockingEvents"`
		} `json:"spacecraftFlight"`
		Root dockConn `json:"root"`
		Desc dockConn `json:"desc"`
	}
	h.ok(fmt.Sprintf(`{ spacecraftFlight(ll2Id: %d) { dockingEvents { totalCount nodes { ll2Id docking flight { ll2Id } } } }
		root: allDockingEvents(filter: {flight: %q}) { totalCount nodes { id ll2Id docking flight { ll2Id } } }
		desc: allDockingEvents(filter: {flight: "%[1]d"}, orderBy: {field: DOCKING, direction: DESC}) { nodes { ll2Id } } }`,
		flight, relay.GlobalID(relay.TypeSpacecraftFlight, flight)), nil, &out)
	for name, c := range map[string]dockConn{"SpacecraftFlight.dockingEvents": out.SpacecraftFlight.DockingEvents, "allDockingEvents": out.Root} {
		if c.TotalCount != len(want) || len(c.Nodes) != len(want) {
			t.Fatalf("%s: %+v, want %d events", name, c, len(want))
		}
		for i, n := range c.Nodes {
			if n.LL2ID != want[i].ID || n.Docking != want[i].Docking.String() || n.Flight.LL2ID != flight {
				t.Errorf("%s[%d]: %+v, want event %d docked %s by flight %d", name, i, n, want[i].ID, want[i].Docking, flight)
			}
		}
	}
	if n := out.Desc.Nodes; len(n) != len(want) || n[0].LL2ID != want[len(want)-1].ID {
		t.Errorf("latest first: %+v", n)
	}
	// The station, port and time filters, each checked against the data (the times
	// in whole seconds: LL2 compares them to the microsecond).
	ev := want[0]
	to := ev.Docking.Time().Truncate(time.Second).Add(time.Second)
	from := to.AddDate(-1, 0, 0)
	for _, tc := range []struct {
		name, filter string
		match        func(*ll2.DockingEvent) bool
	}{
		{"spaceStation", fmt.Sprintf("spaceStation: %d", ev.SpaceStationTarget.ID), func(x *ll2.DockingEvent) bool {
			return x.SpaceStationTarget != nil && x.SpaceStationTarget.ID == ev.SpaceStationTarget.ID
		}},
		{"dockingLocation", fmt.Sprintf("dockingLocation: %d", ev.DockingLocation.ID), func(x *ll2.DockingEvent) bool {
			return x.DockingLocation != nil && x.DockingLocation.ID == ev.DockingLocation.ID
		}},
		{"dockingAfter and dockingBefore", fmt.Sprintf("dockingAfter: %q, dockingBefore: %q", ll2.DateTimeOf(from).String(), ll2.DateTimeOf(to).String()),
			func(x *ll2.DockingEvent) bool { return !x.Docking.Time().Before(from) && !x.Docking.Time().After(to) }},
	} {
		n := 0
		for _, x := range d.DockingEvents {
			if tc.match(x) {
				n++
			}
		}
		var got struct {
			AllDockingEvents struct{ TotalCount int } `json:"allDockingEvents"`
		}
		h.ok(fmt.Sprintf(`{ allDockingEvents(filter: {%s}) { totalCount } }`, tc.filter), nil, &got)
		if got.AllDockingEvents.TotalCount != n || n == 0 {
			t.Errorf("filter %s: %d events, want %d", tc.name, got.AllDockingEvents.TotalCount, n)
		}
	}
	// LL2's search over the docking location's and the stations' names.
	var found struct {
		AllDockingEvents struct {
			TotalCount int `json:"totalCount"`
		} `json:"allDockingEvents"`
	}
	h.ok(fmt.Sprintf(`{ allDockingEvents(search: %q) { totalCount } }`, ev.DockingLocation.Name), nil, &found)
	n := 0
	for _, x := range d.DockingEvents {
		if x.DockingLocation != nil && strings.Contains(strings.ToLower(x.DockingLocation.Name), strings.ToLower(ev.DockingLocation.Name)) {
			n++
		}
	}
	if found.AllDockingEvents.TotalCount < n || n == 0 {
		t.Errorf("search %q: %d events, want at least the %d at that port", ev.DockingLocation.Name, found.AllDockingEvents.TotalCount, n)
	}
	// Departure order: events still docked last when ascending.
	var dep struct {
		AllDockingEvents struct {
			Nodes []struct{ Departure *string } `json:"nodes"`
		} `json:"allDockingEvents"`
	}
	h.ok(`{ allDockingEvents(first: 100, orderBy: {field: DEPARTURE}) { nodes { departure } } }`, nil, &dep)
	for i := 1; i < len(dep.AllDockingEvents.Nodes); i++ {
		a, b := dep.AllDockingEvents.Nodes[i-1].Departure, dep.AllDockingEvents.Nodes[i].Departure
		if a == nil && b != nil || a != nil && b != nil && ll2.MustDateTime(*a).Compare(ll2.MustDateTime(*b)) > 0 {
			t.Fatalf("departures out of order at %d: %v, %v", i, a, b)
		}
	}
}

// TestFlightsNodes: node and nodes refetch flights and docking events by global id;
// an id LL2 does not have is null.
func TestFlightsNodes(t *testing.T) {
	h := newLL2ScaleFlights(t)
	d := llScaleFlights()
	f, ev := d.Flights[0].ID, d.DockingEvents[0].ID
	var out struct {
		Node  map[string]any   `json:"node"`
		Nodes []map[string]any `json:"nodes"`
		Gone  *map[string]any  `json:"gone"`
		Miss  *map[string]any  `json:"miss"`
	}
	h.ok(fmt.Sprintf(`{ node(id: %q) { id ... on SpacecraftFlight { ll2Id } } nodes(ids: [%q]) { id ... on DockingEvent { ll2Id } }
		gone: spacecraftFlight(ll2Id: 999999) { ll2Id } miss: dockingEvent(ll2Id: 999999) { ll2Id } }`,
		relay.GlobalID(relay.TypeSpacecraftFlight, f), relay.GlobalID(relay.TypeDockingEvent, ev)), nil, &out)
	if out.Node["ll2Id"] != float64(f) || len(out.Nodes) != 1 || out.Nodes[0]["ll2Id"] != float64(ev) || out.Gone != nil || out.Miss != nil {
		t.Errorf("got %+v", out)
	}
}

// TestFlightsBadArguments: every argument of the new fields that is refused names
// itself in a BAD_USER_INPUT error, before any LL2 call.
func TestFlightsBadArguments(t *testing.T) {
	for _, tc := range []struct{ query, arg string }{
		{`{ spacecraftFlight { ll2Id } }`, "id"},
		{`{ spacecraftFlight(ll2Id: 0) { ll2Id } }`, "ll2Id"},
		{fmt.Sprintf(`{ spacecraftFlight(id: %q) { ll2Id } }`, relay.GlobalID(relay.TypeDockingEvent, 1)), "id"},
		{`{ dockingEvent(id: "nope") { ll2Id } }`, "id"},
		{`{ allSpacecraftFlights(search: "dragon") { totalCount } }`, "search"},
		{`{ allSpacecraftFlights(first: 101) { totalCount } }`, "first"},
		{`{ allSpacecraftFlights(filter: {spacecraft: "nope"}) { totalCount } }`, "filter.spacecraft"},
		{fmt.Sprintf(`{ allSpacecraftFlights(filter: {spacecraft: %q}) { totalCount } }`, relay.GlobalID(relay.TypeAgency, 1)), "filter.spacecraft"},
		{`{ allDockingEvents(filter: {flight: "-3"}) { totalCount } }`, "filter.flight"},
		{`{ allDockingEvents(filter: {spaceStation: 0}) { totalCount } }`, "filter.spaceStation"},
		{`{ allDockingEvents(filter: {dockingLocation: -1}) { totalCount } }`, "filter.dockingLocation"},
		{`{ allDockingEvents(filter: {dockingAfter: "2020-01-02T00:00:00Z", dockingBefore: "2020-01-01T00:00:00Z"}) { totalCount } }`, "filter.dockingAfter"},
		{`{ allDockingEvents(after: "bogus") { totalCount } }`, "after"},
		{`{ spacecraftFlight(ll2Id: 1) { dockingEvents(filter: {flight: "1"}) { totalCount } } }`, "filter.flight"},
		{`{ spacecraft(ll2Id: 1) { flights(first: 1, last: 1) { totalCount } } }`, "first"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			h := newLL2ScaleFlights(t)
			r := h.do(tc.query, nil)
			e := r.errorWith(t, "BAD_USER_INPUT")
			if e.Extensions["argument"] != tc.arg || !strings.Contains(e.Message, tc.arg) {
				t.Errorf("error %+v: want it to name %s", e, tc.arg)
			}
		})
	}
	// A DateTime that is not RFC 3339 is refused by the executor, naming the variable.
	h := newLL2ScaleFlights(t)
	r := h.do(`query($t: DateTime) { allDockingEvents(filter: {dockingAfter: $t}) { totalCount } }`, map[string]any{"t": "yesterday"})
	if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "RFC 3339") || h.calls() != 0 {
		t.Errorf("a bad DateTime: %+v, %d calls", r.Errors, h.calls())
	}
}

// TestFlightsInTheEmbeddedSnapshot: the real pages the embedded snapshot is built from
// hold no flight or docking event. A spacecraft's flights are null with one
// NOT_IN_SNAPSHOT error per path pattern, never an empty list; the flights' and docking
// events' own fields are refused with NOT_IN_SNAPSHOT naming them.
func TestFlightsInTheEmbeddedSnapshot(t *testing.T) {
	h := newHarness(t, emptyConfig())
	r := h.do(`{ allSpacecraft(first: 3) { nodes { name flights(first: 3) { totalCount nodes { id } } } }
		spacecraft(ll2Id: 12) { name flights { totalCount } } }`, nil)
	var out struct {
		AllSpacecraft struct {
			Nodes []struct {
				Name    string `json:"name"`
				Flights *any   `json:"flights"`
			} `json:"nodes"`
		} `json:"allSpacecraft"`
		Spacecraft struct {
			Name    string `json:"name"`
			Flights *any   `json:"flights"`
		} `json:"spacecraft"`
	}
	decode(t, r, &out)
	if len(out.AllSpacecraft.Nodes) != 3 || out.Spacecraft.Name == "" || out.Spacecraft.Flights != nil {
		t.Fatalf("data %s", r.Data)
	}
	for _, n := range out.AllSpacecraft.Nodes {
		if n.Name == "" || n.Flights != nil {
			t.Errorf("spacecraft %+v: want its name and null flights", n)
		}
	}
	wantGaps(t, r, map[string]int{"allSpacecraft.nodes.*.flights": 3, "spacecraft.flights": 1})
	for _, tc := range []struct{ query, field string }{
		{`{ allSpacecraftFlights { totalCount } }`, "allSpacecraftFlights"},
		{`{ allDockingEvents { totalCount } }`, "allDockingEvents"},
		{`{ spacecraftFlight(ll2Id: 1) { ll2Id } }`, "spacecraftFlight"},
		{`{ dockingEvent(ll2Id: 1) { ll2Id } }`, "dockingEvent"},
	} {
		r := h.do(tc.query, nil)
		e := r.errorWith(t, "NOT_IN_SNAPSHOT")
		if e.Extensions["field"] != tc.field || !strings.HasPrefix(e.Message, tc.field+" cannot be answered from the snapshot being served") {
			t.Errorf("%s: %+v", tc.query, e)
		}
	}
}

// TestLookupLists: each lookup list is LL2's whole table in id order, from one call,
// none warm; in the embedded default it is the values the real records carry.
func TestLookupLists(t *testing.T) {
	h := newLL2ScaleFlights(t)
	d := llScaleFlights()
	for _, tc := range []struct{ field, path string }{
		{"spacecraftStatuses", ll2.PathSpacecraftStatuses},
		{"spacecraftConfigTypes", ll2.PathConfigTypes},
		{"agencyTypes", ll2.PathAgencyTypes},
		{"countries", ll2.PathCountries},
		{"imageLicenses", ll2.PathImageLicenses},
	} {
		for round, calls := range []int{1, 0} {
			before := h.calls()
			var out map[string][]struct{ LL2ID int }
			h.ok(fmt.Sprintf(`{ %s { ll2Id } }`, tc.field), nil, &out)
			rows := out[tc.field]
			if len(rows) != len(d.Lookups[tc.path]) || len(rows) == 0 || !slices.IsSortedFunc(rows, func(a, b struct{ LL2ID int }) int { return cmp.Compare(a.LL2ID, b.LL2ID) }) {
				t.Errorf("%s: %d rows %v, want the %d of the table in id order", tc.field, len(rows), rows, len(d.Lookups[tc.path]))
			}
			if n := h.calls() - before; n != calls {
				t.Errorf("%s, round %d: %d calls, want %d", tc.field, round, n, calls)
			}
		}
	}
	// Primed: a replica's prefetch fetched every table (catalog.PrefetchFlights), so
	// every list costs no call.
	r := newHarness(t, gateway.Config{Snapshot: &d, Prefetch: true, ResponseCacheOff: true})
	t.Cleanup(func() { r.g.Close() })
	waitPrefetched(t, r)
	before := r.calls()
	for _, l := range bench.LookupQueries {
		r.ok(l.Query, nil, nil)
	}
	if n := r.calls() - before; n != 0 {
		t.Errorf("the lookup lists spent %d calls on a replica, want 0:\n  %s", n, r.requests())
	}
	// The embedded default: the statuses the real spacecraft carry, each once.
	e := newHarness(t, emptyConfig())
	var out struct {
		SpacecraftStatuses []struct{ LL2ID int } `json:"spacecraftStatuses"`
		AllSpacecraft      struct {
			Nodes []struct {
				Status struct{ LL2ID int } `json:"status"`
			} `json:"nodes"`
		} `json:"allSpacecraft"`
	}
	e.ok(`{ spacecraftStatuses { ll2Id } allSpacecraft(first: 100) { nodes { status { ll2Id } } } }`, nil, &out)
	carried := map[int]bool{}
	for _, n := range out.AllSpacecraft.Nodes {
		carried[n.Status.LL2ID] = true
	}
	if len(out.SpacecraftStatuses) != len(carried) {
		t.Errorf("embedded statuses %v, want the %d the records carry", out.SpacecraftStatuses, len(carried))
	}
	for _, s := range out.SpacecraftStatuses {
		if !carried[s.LL2ID] {
			t.Errorf("status %d is in the list but no record carries it", s.LL2ID)
		}
	}
}

// TestReplicaReadyWithoutFlightsBudget: a replica whose budget covers the spacecraft
// domain's crawl but not the docking events' is ready all the same, and serves the
// domain; the flights' extras are not a condition of readiness.
func TestReplicaReadyWithoutFlightsBudget(t *testing.T) {
	d := llScaleFlights()
	h := newHarness(t, gateway.Config{Snapshot: &d, Prefetch: true, ResponseCacheOff: true, BudgetLimit: 14, BudgetWindow: time.Hour})
	t.Cleanup(func() { h.g.Close() })
	waitPrefetched(t, h)
	before := h.calls()
	h.ok(bench.NestedFlightsQuery, nil, nil)
	if n := h.calls() - before; n != 0 {
		t.Errorf("the replica spent %d calls on a page of spacecraft with their flights", n)
	}
}
