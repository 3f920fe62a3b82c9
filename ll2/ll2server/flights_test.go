package ll2server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"spacegraph/ll2"
	"spacegraph/snapshot"
)

// The keys of the flight, launch, landing and docking event schemas of LL2 2.3.0's
// OpenAPI document (spacecraft_flights/, docking_events/), copied here so that the
// tests stand alone.
var (
	keysFlightMini     = []string{"id", "url", "destination", "mission_end", "spacecraft", "launch", "landing", "duration", "turn_around_time"}
	keysFlightDetailed = append(slices.Clone(keysFlight), "launch_crew", "onboard_crew", "landing_crew", "docking_events")
	keysLaunchMini     = []string{"id", "url", "name"}
	keysLaunchNormal   = []string{"id", "url", "name", "response_mode", "slug", "launch_designator", "status", "last_updated", "net",
		"net_precision", "window_end", "window_start", "image", "infographic", "probability", "weather_concerns", "failreason",
		"hashtag", "launch_service_provider", "rocket", "mission", "pad", "webcast_live", "program", "orbital_launch_attempt_count",
		"location_launch_attempt_count", "pad_launch_attempt_count", "agency_launch_attempt_count", "orbital_launch_attempt_count_year",
		"location_launch_attempt_count_year", "pad_launch_attempt_count_year", "agency_launch_attempt_count_year"}
	keysLanding       = []string{"id", "url", "attempt", "success", "description", "downrange_distance", "landing_location", "type"}
	keysDockingEvent  = []string{"id", "url", "docking", "departure", "docking_location", "space_station_target", "flight_vehicle_target", "payload_flight_target", "response_mode", "flight_vehicle_chaser", "space_station_chaser", "payload_flight_chaser"}
	keysDockingChaser = []string{"id", "url", "docking", "departure", "docking_location", "space_station_target", "flight_vehicle_target", "payload_flight_target"}
	keysDockingPort   = []string{"id", "name", "spacestation", "spacecraft", "payload"}
	keysStationMini   = []string{"id", "url", "name", "image"}
	keysStationNormal = []string{"id", "url", "name", "image", "status", "founded", "deorbited", "description", "orbit", "type"}
)

// flight levels: list (a normal docking event's: launch at the list level, no
// response_mode), normal (its spacecraft at the normal level) and detailed (its
// spacecraft as LL2's SpacecraftDetailed: the normal keys with a detailed
// configuration; crews; its docking events as the chaser).
func (s shape) flight(what string, raw json.RawMessage, level string) {
	s.t.Helper()
	var m map[string]json.RawMessage
	switch level {
	case "list":
		m = s.obj(what, raw, keysFlightMini, "")
		s.opt(what+".launch", m["launch"], func(w string, r json.RawMessage) { s.obj(w, r, keysLaunchMini, "") })
		s.opt(what+".spacecraft", m["spacecraft"], func(w string, r json.RawMessage) { s.spacecraft(w, r, "normal") })
	case "normal":
		m = s.obj(what, raw, keysFlight, "normal")
		s.opt(what+".launch", m["launch"], func(w string, r json.RawMessage) { s.obj(w, r, keysLaunchNormal, "normal") })
		s.opt(what+".spacecraft", m["spacecraft"], func(w string, r json.RawMessage) { s.spacecraft(w, r, "normal") })
	case "detailed":
		m = s.obj(what, raw, keysFlightDetailed, "detailed")
		s.opt(what+".launch", m["launch"], func(w string, r json.RawMessage) { s.obj(w, r, keysLaunchNormal, "normal") })
		s.opt(what+".spacecraft", m["spacecraft"], func(w string, r json.RawMessage) {
			sm := s.obj(w, r, keysSpacecraftNormal, "normal")
			s.opt(w+".spacecraft_config", sm["spacecraft_config"], func(w string, r json.RawMessage) { s.config(w, r, "detailed") })
		})
		s.each(what+".docking_events", m["docking_events"], s.chaserEvent)
	default:
		s.t.Fatalf("unknown flight level %q", level)
	}
	s.opt(what+".landing", m["landing"], func(w string, r json.RawMessage) { s.obj(w, r, keysLanding, "") })
}

func (s shape) station(what string, raw json.RawMessage, level string) {
	if level == "list" {
		s.obj(what, raw, keysStationMini, "")
		return
	}
	s.obj(what, raw, keysStationNormal, "")
}

func (s shape) port(what string, raw json.RawMessage) {
	m := s.obj(what, raw, keysDockingPort, "")
	s.opt(what+".spacestation", m["spacestation"], func(w string, r json.RawMessage) { s.station(w, r, "list") })
}

// chaserEvent is a docking event as a detailed flight embeds it: its target at the
// normal level.
func (s shape) chaserEvent(what string, raw json.RawMessage) {
	m := s.obj(what, raw, keysDockingChaser, "")
	s.opt(what+".docking_location", m["docking_location"], s.port)
	s.opt(what+".space_station_target", m["space_station_target"], func(w string, r json.RawMessage) { s.station(w, r, "normal") })
	s.opt(what+".flight_vehicle_target", m["flight_vehicle_target"], func(w string, r json.RawMessage) { s.flight(w, r, "normal") })
}

// dockingEvent levels: normal (target and chaser at the list level) and detailed (the
// chaser at the normal level).
func (s shape) dockingEvent(what string, raw json.RawMessage, level string) {
	s.t.Helper()
	m := s.obj(what, raw, keysDockingEvent, level)
	chaser := "list"
	if level == "detailed" {
		chaser = "normal"
	}
	s.opt(what+".docking_location", m["docking_location"], s.port)
	s.opt(what+".space_station_target", m["space_station_target"], func(w string, r json.RawMessage) { s.station(w, r, "list") })
	s.opt(what+".flight_vehicle_target", m["flight_vehicle_target"], func(w string, r json.RawMessage) { s.flight(w, r, "list") })
	s.opt(what+".space_station_chaser", m["space_station_chaser"], func(w string, r json.RawMessage) { s.station(w, r, chaser) })
	s.opt(what+".flight_vehicle_chaser", m["flight_vehicle_chaser"], func(w string, r json.RawMessage) { s.flight(w, r, chaser) })
}

// TestLevelsFlights checks every mode of the flights and docking events endpoints, and
// their detail endpoints, against the schema, recursively.
func TestLevelsFlights(t *testing.T) {
	e := fxEnvOf(t)
	s := shape{t: t, held: new(int)}
	cases := []struct {
		path, mode, level string
		check             func(string, json.RawMessage, string)
	}{
		{"spacecraft_flights/", "", "normal", s.flight},
		{"spacecraft_flights/", "normal", "normal", s.flight},
		{"spacecraft_flights/", "detailed", "detailed", s.flight},
		{"spacecraft_flights/", "list", "normal", s.flight}, // not a mode of the endpoint: the default
		{"docking_events/", "", "normal", s.dockingEvent},
		{"docking_events/", "normal", "normal", s.dockingEvent},
		{"docking_events/", "detailed", "detailed", s.dockingEvent},
		{"docking_events/", "garbage", "normal", s.dockingEvent},
	}
	for _, c := range cases {
		target := c.path + "?limit=100"
		if c.mode != "" {
			target += "&mode=" + c.mode
		}
		p := e.list(target)
		if len(p.Results) == 0 {
			t.Fatalf("%s: no results", target)
		}
		for i, r := range p.Results {
			c.check(fmt.Sprintf("%s results[%d]", target, i), r, c.level)
			if c.level == "detailed" {
				id := pageIDs(t, p)[i]
				d := e.get(fmt.Sprintf("%s%d/?mode=normal", c.path, id))
				if d.status != http.StatusOK || !jsonEqual(t, d.body, r) {
					t.Errorf("%s%d/: %d, differs from the detailed list entry:\n%s\n%s", c.path, id, d.status, d.body, r)
				}
			}
		}
	}
	if *s.held != 0 {
		t.Errorf("%d objects of a whole snapshot carry a snapshot_mode", *s.held)
	}
}

// TestFlightJoins checks what the server joins as LL2 does: a detailed spacecraft's
// flights are the flights whose spacecraft it is, a detailed flight's docking events
// those it chases in, and every embedded object is the one of its own collection.
func TestFlightJoins(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)
	for _, sc := range v.data.Spacecraft {
		var got ll2.SpacecraftDetailed
		mustDecode(t, e.get(fmt.Sprintf("spacecraft/%d/", sc.ID)).body, &got)
		var ids []int
		for _, f := range got.Flights {
			ids = append(ids, f.ID)
			if f.Spacecraft == nil || f.Spacecraft.ID != sc.ID || f.Spacecraft.Name != sc.Name {
				t.Errorf("spacecraft %d: flight %d embeds spacecraft %+v", sc.ID, f.ID, f.Spacecraft)
			}
		}
		want := expectIDs(v.data.Flights, func(f *ll2.SpacecraftFlight) int { return f.ID },
			func(f *ll2.SpacecraftFlight) bool { return f.Spacecraft.ID == sc.ID }, nil)
		assertIDs(t, fmt.Sprintf("spacecraft %d flights", sc.ID), ids, want)
		if got.Flights == nil {
			t.Errorf("spacecraft %d: flights null in a snapshot that holds them", sc.ID)
		}
	}
	for _, f := range v.data.Flights {
		var got ll2.SpacecraftFlight
		mustDecode(t, e.get(fmt.Sprintf("spacecraft_flights/%d/", f.ID)).body, &got)
		var ids []int
		for _, d := range got.DockingEvents {
			ids = append(ids, d.ID)
		}
		want := expectIDs(v.data.DockingEvents, func(d *ll2.DockingEvent) int { return d.ID },
			func(d *ll2.DockingEvent) bool { return d.ChaserFlightID() == f.ID }, nil)
		assertIDs(t, fmt.Sprintf("flight %d docking events", f.ID), ids, want)
		sc := got.Spacecraft
		if sc == nil || sc.ID != f.Spacecraft.ID || sc.Name == "" || sc.SpacecraftConfig == nil && sc.ID != 88 && sc.ID != 92 && sc.ID != 106 {
			t.Errorf("flight %d: spacecraft not taken from its collection: %+v", f.ID, sc)
		}
	}
	// A docking event's chaser flight is the flight of the flights collection.
	var ev ll2.DockingEvent
	mustDecode(t, e.get("docking_events/801/?format=json").body, &ev)
	if ev.FlightVehicleChaser == nil || ev.FlightVehicleChaser.Launch == nil || *ev.FlightVehicleChaser.Launch.Name != "Launch of flight 7001" ||
		ev.FlightVehicleChaser.Spacecraft == nil || ev.FlightVehicleChaser.Spacecraft.Name != "Dragon C206" {
		t.Errorf("docking event 801's chaser: %+v", ev.FlightVehicleChaser)
	}
}

func flightID(f *ll2.SpacecraftFlight) int { return f.ID }
func dockID(d *ll2.DockingEvent) int       { return d.ID }

func TestFiltersFlights(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)
	type F = ll2.SpacecraftFlight
	t.Run("flights", func(t *testing.T) {
		e := *e
		e.t = t
		var cases []filterCase[F]
		for _, sc := range []int{14, 70, 5, 37, 99, 12345} {
			cases = append(cases, filterCase[F]{fmt.Sprintf("spacecraft=%d", sc), func(f *F) bool { return f.Spacecraft.ID == sc }})
		}
		cases = append(cases,
			filterCase[F]{"spacecraft=14.0", func(f *F) bool { return f.Spacecraft.ID == 14 }},
			filterCase[F]{"spacecraft=", nil},
			filterCase[F]{"destination=ISS", nil}, // not a filter of the endpoint: ignored
			filterCase[F]{"spacecraft=70&spacecraft=14", func(f *F) bool { return f.Spacecraft.ID == 14 }},
		)
		runFilterCases(t, &e, "spacecraft_flights/", v.data.Flights, flightID, cases)
	})
	t.Run("docking events", func(t *testing.T) {
		e := *e
		e.t = t
		type D = ll2.DockingEvent
		at := func(s string) time.Time { return ll2.MustDateTime(s).Time() }
		var cases []filterCase[D]
		for _, c := range []struct {
			query string
			keep  func(time.Time) bool
		}{
			{"docking__gt=2020-12-07T18:40:00Z", func(d time.Time) bool { return d.After(at("2020-12-07T18:40:00Z")) }},
			{"docking__gte=2020-12-07T18:40:00Z", func(d time.Time) bool { return !d.Before(at("2020-12-07T18:40:00Z")) }},
			{"docking__lt=2020-12-07T18:40:00Z", func(d time.Time) bool { return d.Before(at("2020-12-07T18:40:00Z")) }},
			{"docking__lte=2020-12-07T18:40:00Z", func(d time.Time) bool { return !d.After(at("2020-12-07T18:40:00Z")) }},
			// A bare date is midnight UTC; an offset moves the instant; a space may stand for T.
			{"docking__gte=2022-09-21", func(d time.Time) bool { return !d.Before(at("2022-09-21T00:00:00Z")) }},
			{"docking__lt=2022-09-21T19:06:00%2B02:00", func(d time.Time) bool { return d.Before(at("2022-09-21T17:06:00Z")) }},
			{"docking__gte=2022-09-21%2017:06", func(d time.Time) bool { return !d.Before(at("2022-09-21T17:06:00Z")) }},
			{"docking__gte=2011-01-01T00:00:00Z&docking__lt=2021-12-31T00:00:00.5Z", func(d time.Time) bool {
				return !d.Before(at("2011-01-01T00:00:00Z")) && d.Before(at("2021-12-31T00:00:00.5Z"))
			}},
			{"docking__gte=", func(time.Time) bool { return true }},
		} {
			keep := c.keep
			cases = append(cases, filterCase[D]{c.query, func(d *D) bool { return keep(d.Docking.Time()) }})
		}
		for _, id := range []int{41, 42, 71, 5} {
			cases = append(cases, filterCase[D]{fmt.Sprintf("docking_location__id=%d", id), func(d *D) bool { return d.DockingLocation.ID == id }})
		}
		for _, id := range []int{7001, 7005, 7003} {
			cases = append(cases, filterCase[D]{fmt.Sprintf("flight_vehicle_chaser__id=%d", id), func(d *D) bool { return d.ChaserFlightID() == id }})
		}
		for _, id := range []int{4, 7, 8} {
			cases = append(cases, filterCase[D]{fmt.Sprintf("space_station_target__id=%d", id), func(d *D) bool { return d.SpaceStationTarget.ID == id }})
		}
		cases = append(cases,
			filterCase[D]{"space_station_target__id=4&docking_location__id=41&docking__lt=2020-01-01", func(d *D) bool {
				return d.SpaceStationTarget.ID == 4 && d.DockingLocation.ID == 41 && d.Docking.Time().Before(at("2020-01-01T00:00:00Z"))
			}},
			filterCase[D]{"flight=7001", nil}, // LL2 has no such filter: ignored
		)
		runFilterCases(t, &e, "docking_events/", v.data.DockingEvents, dockID, cases)
	})
}

func TestFilterDateTimeErrors(t *testing.T) {
	e := fxEnvOf(t)
	for _, c := range []struct{ target, want string }{
		{"docking_events/?docking__gte=yesterday", `{"docking__gte": ["Enter a valid date/time."]}`},
		{"docking_events/?docking__lt=2022-13-01", `{"docking__lt": ["Enter a valid date/time."]}`},
		{"docking_events/?docking__gt=2022-02-30T00:00:00Z", `{"docking__gt": ["Enter a valid date/time."]}`},
		{"docking_events/?docking__lte=2022-02-01T25:00", `{"docking__lte": ["Enter a valid date/time."]}`},
		{"docking_events/?docking__gte=x&flight_vehicle_chaser__id=y", `{"docking__gte": ["Enter a valid date/time."], "flight_vehicle_chaser__id": ["Enter a whole number."]}`},
		{"spacecraft_flights/?spacecraft=Dragon", `{"spacecraft": ["Enter a whole number."]}`},
	} {
		r := e.get(c.target)
		if r.status != http.StatusBadRequest || !jsonEqual(t, r.body, []byte(c.want)) {
			t.Errorf("GET %s: %d %s, want 400 %s", c.target, r.status, r.body, c.want)
		}
	}
}

func TestSearchDockingEvents(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)
	names := map[int]string{}
	for _, s := range v.data.Spacecraft {
		names[s.ID] = s.Name
	}
	fields := func(d *ll2.DockingEvent) []*string {
		var out []*string
		if d.DockingLocation != nil {
			out = append(out, &d.DockingLocation.Name)
		}
		if f := d.FlightVehicleChaser; f != nil {
			n := names[f.Spacecraft.ID]
			out = append(out, &n)
		}
		for _, st := range []*ll2.SpaceStation{d.SpaceStationTarget, d.SpaceStationChaser} {
			if st != nil {
				out = append(out, &st.Name)
			}
		}
		return out
	}
	runSearchCases(t, e, "docking_events/", v.data.DockingEvents, dockID, fields, []searchCase{
		{"harmony", []string{"harmony"}},
		{"Dragon", []string{"Dragon"}},
		{"Tiangong", []string{"Tiangong"}},
		{"Wentian", []string{"Wentian"}}, // a station that chases
		{"harmony zenith", []string{"harmony", "zenith"}},
		{`"harmony zenith"`, []string{"harmony zenith"}},
		{"Soyuz Rassvet", []string{"Soyuz", "Rassvet"}},
		{"nothing-like-this", []string{"nothing-like-this"}},
	})
	// LL2 declares no search fields for flights: the built-in server, as Django REST
	// framework does then, ignores search.
	assertIDs(t, "flights search", e.ids("spacecraft_flights/?limit=100&search=zzz"), expectIDs(v.data.Flights, flightID, nil, nil))
}

func TestOrderingFlights(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)
	timeField := func(name string, get func(*ll2.DockingEvent) *ll2.DateTime) orderField[ll2.DockingEvent] {
		return orderField[ll2.DockingEvent]{name, func(a, b *ll2.DockingEvent, desc bool) int {
			return nullsLast(get(a), get(b), func(x, y ll2.DateTime) int { return x.Time().Compare(y.Time()) }, desc)
		}}
	}
	t.Run("flights", func(t *testing.T) {
		e := *e
		e.t = t
		type F = ll2.SpacecraftFlight
		runOrderings(t, &e, "spacecraft_flights/", v.data.Flights, flightID, []orderField[F]{
			intOrderField("id", func(f *F) *int { return &f.ID }),
			{"mission_end", func(a, b *F, desc bool) int {
				return nullsLast(a.MissionEnd, b.MissionEnd, func(x, y ll2.DateTime) int { return x.Time().Compare(y.Time()) }, desc)
			}},
		}, [][]string{{"-mission_end", "-id"}, {"destination"}, {"spacecraft"}})
		// 7003 and 7008 end at the same instant: a tie, broken by id both ways; the
		// flights under way (7002, 7007) come last ascending and first descending.
		assertIDs(t, "by mission_end", e.ids("spacecraft_flights/?ordering=mission_end"), []int{7005, 7004, 7003, 7008, 7001, 7006, 7002, 7007})
		assertIDs(t, "by -mission_end", e.ids("spacecraft_flights/?ordering=-mission_end"), []int{7002, 7007, 7006, 7001, 7003, 7008, 7004, 7005})
	})
	t.Run("docking events", func(t *testing.T) {
		e := *e
		e.t = t
		runOrderings(t, &e, "docking_events/", v.data.DockingEvents, dockID, []orderField[ll2.DockingEvent]{
			timeField("departure", func(d *ll2.DockingEvent) *ll2.DateTime { return d.Departure }),
			timeField("docking", func(d *ll2.DockingEvent) *ll2.DateTime { return &d.Docking }),
		}, [][]string{{"-departure", "docking"}, {"id"}, {"-docking", "departure"}})
	})
	// Pages of an ordering with nulls join into the whole.
	full := e.ids("docking_events/?limit=100&ordering=-departure")
	var paged []int
	for off := 0; off < len(full); off += 3 {
		paged = append(paged, pageIDs(t, e.list(fmt.Sprintf("docking_events/?limit=3&offset=%d&ordering=-departure", off)))...)
	}
	assertIDs(t, "paged -departure", paged, full)
}

func TestPagingFlights(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)
	for _, c := range []struct {
		path string
		all  []int
	}{
		{"spacecraft_flights/", expectIDs(v.data.Flights, flightID, nil, nil)},
		{"docking_events/", expectIDs(v.data.DockingEvents, dockID, nil, nil)},
	} {
		p := e.list(c.path + "?limit=2&offset=2")
		if p.Count != len(c.all) {
			t.Errorf("%s: count %d, want %d", c.path, p.Count, len(c.all))
		}
		assertIDs(t, c.path, pageIDs(t, p), c.all[2:4])
		if p.Next == nil || *p.Next != e.base()+c.path+"?limit=2&offset=4" || p.Previous == nil || *p.Previous != e.base()+c.path+"?limit=2" {
			t.Errorf("%s: next %v previous %v", c.path, p.Next, p.Previous)
		}
	}
	for _, target := range []string{"spacecraft_flights/99/", "spacecraft_flights/7001x/", "docking_events/1/", "docking_events/0/"} {
		if r := e.get(target); r.status != http.StatusNotFound || !jsonEqual(t, r.body, []byte(notFound)) {
			t.Errorf("GET %s: %d %s, want 404", target, r.status, r.body)
		}
	}
}

// notHeld GETs target and checks the refusal of a snapshot that lacks what it asks
// for: 400, a NotInSnapshotBody counting want under its key.
func notHeld(t *testing.T, e *fxEnv, target string, want map[string]int) {
	t.Helper()
	r := e.get(target)
	var b ll2.NotInSnapshotBody
	if r.status != http.StatusBadRequest || json.Unmarshal(r.body, &b) != nil || b.Detail == "" || len(b.NotInSnapshot) != len(want) {
		t.Errorf("GET %s: %d %s; want 400 counting %v", target, r.status, r.body, want)
		return
	}
	for k, n := range want {
		if b.NotInSnapshot[k] != n {
			t.Errorf("GET %s: %s lacked by %d, want %d (%s)", target, k, b.NotInSnapshot[k], n, r.body)
		}
	}
}

// TestFlightsNotInSnapshot checks that a snapshot that does not know flights or docking
// events says so, never "none": the embedded snapshot (real normal spacecraft pages,
// no flights, no docking events), and snapshots that know some spacecraft's flights.
func TestFlightsNotInSnapshot(t *testing.T) {
	emb := mustEmbedded(t)
	t.Run("embedded", func(t *testing.T) {
		e := newEnv(t, emb, optsNone)
		n := len(emb.Spacecraft)
		id := emb.Spacecraft[0].ID
		notHeld(t, e, "spacecraft_flights/", map[string]int{"spacecraft": n})
		notHeld(t, e, "spacecraft_flights/?mode=detailed&ordering=-mission_end", map[string]int{"spacecraft": n})
		notHeld(t, e, fmt.Sprintf("spacecraft_flights/?spacecraft=%d", id), map[string]int{"spacecraft": 1})
		notHeld(t, e, "spacecraft_flights/?spacecraft=999999", map[string]int{"spacecraft": 1})
		notHeld(t, e, "spacecraft_flights/1/", map[string]int{"spacecraft": n})
		notHeld(t, e, "docking_events/", map[string]int{"docking_events": 1})
		notHeld(t, e, "docking_events/?flight_vehicle_chaser__id=1", map[string]int{"docking_events": 1})
		notHeld(t, e, "docking_events/5/", map[string]int{"docking_events": 1})
		// A bad filter value is still LL2's 400, not a refusal.
		if r := e.get("spacecraft_flights/?spacecraft=x"); r.status != http.StatusBadRequest || strings.Contains(string(r.body), "not_in_snapshot") {
			t.Errorf("bad filter: %d %s", r.status, r.body)
		}
		// A spacecraft's flights are null, and its snapshot_mode says why.
		m := decodeObject(t, "spacecraft", e.get(fmt.Sprintf("spacecraft/%d/", id)).body)
		if !isNull(m["flights"]) || string(m["snapshot_mode"]) != `"normal"` {
			t.Errorf("spacecraft %d: flights %s, snapshot_mode %s", id, m["flights"], m["snapshot_mode"])
		}
	})
	t.Run("some spacecraft whole", func(t *testing.T) {
		d := fxData()
		// Spacecraft 14 (two flights) and 70 hold the normal level: their flights are
		// not known, whatever the flights collection holds.
		for _, s := range d.Spacecraft {
			if s.ID == 14 || s.ID == 70 {
				s.SnapshotMode = "normal"
			}
		}
		e := newEnv(t, d, optsNone)
		notHeld(t, e, "spacecraft_flights/", map[string]int{"spacecraft": 2})
		notHeld(t, e, "spacecraft_flights/?spacecraft=14", map[string]int{"spacecraft": 1})
		notHeld(t, e, "spacecraft_flights/12345/", map[string]int{"spacecraft": 2})
		assertIDs(t, "flights of a whole spacecraft", e.ids("spacecraft_flights/?spacecraft=30"), []int{7006})
		assertIDs(t, "flights of a whole spacecraft that has none", e.ids("spacecraft_flights/?spacecraft=9"), nil)
		// A flight the snapshot holds is served, whoever's it is.
		if r := e.get("spacecraft_flights/7001/"); r.status != http.StatusOK {
			t.Errorf("flight 7001: %d %s", r.status, r.body)
		}
		m := decodeObject(t, "spacecraft 14", e.get("spacecraft/14/").body)
		if !isNull(m["flights"]) || string(m["snapshot_mode"]) != `"normal"` {
			t.Errorf("spacecraft 14: flights %s, snapshot_mode %s", m["flights"], m["snapshot_mode"])
		}
	})
	t.Run("no docking events", func(t *testing.T) {
		d := fxData()
		d.DockingEvents = nil
		e := newEnv(t, d, optsNone)
		notHeld(t, e, "docking_events/?space_station_target__id=4", map[string]int{"docking_events": 1})
		// The flights' records hold the detailed level but for their docking events:
		// they are served as holding the normal level.
		m := decodeObject(t, "flight", e.get("spacecraft_flights/7001/").body)
		if !isNull(m["docking_events"]) || string(m["snapshot_mode"]) != `"normal"` {
			t.Errorf("flight 7001: docking_events %s, snapshot_mode %s", m["docking_events"], m["snapshot_mode"])
		}
		assertIDs(t, "flights", e.ids("spacecraft_flights/?limit=100"), expectIDs(d.Flights, flightID, nil, nil))
	})
	t.Run("flights at the normal level, docking events whole", func(t *testing.T) {
		// A crawl's snapshot: the flights come inside the detailed spacecraft, at the
		// normal level, the docking events from their endpoint. A flight's docking
		// events are known; its crews are not.
		d := fxData()
		for _, f := range d.Flights {
			f.SnapshotMode = "normal"
			f.LaunchCrew, f.OnboardCrew, f.LandingCrew = nil, nil, nil
		}
		e := newEnv(t, d, optsNone)
		var f ll2.SpacecraftFlight
		mustDecode(t, e.get("spacecraft_flights/7001/").body, &f)
		var ids []int
		for _, ev := range f.DockingEvents {
			ids = append(ids, ev.ID)
		}
		assertIDs(t, "flight 7001's docking events", ids, []int{801, 807})
		if f.SnapshotMode != "normal" || f.LaunchCrew != nil {
			t.Errorf("flight 7001: snapshot_mode %q, launch crew %v", f.SnapshotMode, f.LaunchCrew)
		}
	})
	t.Run("none known", func(t *testing.T) {
		d := fxData()
		d.Flights = nil
		e := newEnv(t, d, optsNone)
		notHeld(t, e, "spacecraft_flights/?spacecraft=9", map[string]int{"spacecraft": 1})
		notHeld(t, e, "spacecraft_flights/", map[string]int{"spacecraft": len(d.Spacecraft)})
		m := decodeObject(t, "spacecraft 9", e.get("spacecraft/9/?format=json").body)
		if !isNull(m["flights"]) || string(m["snapshot_mode"]) != `"normal"` {
			t.Errorf("spacecraft 9: flights %s, snapshot_mode %s", m["flights"], m["snapshot_mode"])
		}
	})
	t.Run("flights inside spacecraft records", func(t *testing.T) {
		// A snapshot written before the flights file keeps each detailed spacecraft's
		// flights in its record: they are its flights.
		d := fxData()
		d.Flights = nil
		s14 := d.Spacecraft[slices.IndexFunc(d.Spacecraft, func(s *ll2.SpacecraftDetailed) bool { return s.ID == 14 })]
		f := ll2.SpacecraftFlightNormal{}
		f.ID, f.Destination = 9001, sp("ISS")
		s14.Flights = []ll2.SpacecraftFlightNormal{f}
		e := newEnv(t, d, optsNone)
		assertIDs(t, "flights of spacecraft 14", e.ids("spacecraft_flights/?spacecraft=14"), []int{9001})
		assertIDs(t, "flights of spacecraft 9", e.ids("spacecraft_flights/?spacecraft=9"), nil)
	})
}

// TestFilterEveryParamCoveredFlights guards this file as TestFilterEveryParamCovered
// guards the others.
func TestFilterEveryParamCoveredFlights(t *testing.T) {
	for _, c := range []struct {
		path   string
		spec   []string
		tested []string
	}{
		{"spacecraft_flights/", filterParams(ll2.SpacecraftFlightEndpoint.Filters), []string{"spacecraft"}},
		{"docking_events/", filterParams(ll2.DockingEventEndpoint.Filters), []string{"docking__gt", "docking__gte", "docking__lt",
			"docking__lte", "docking_location__id", "flight_vehicle_chaser__id", "space_station_target__id"}},
	} {
		slices.Sort(c.tested)
		if !slices.Equal(c.spec, c.tested) {
			t.Errorf("%s: spec filters %v, tested %v", c.path, c.spec, c.tested)
		}
	}
}

func filterParams[T any](fs []ll2.Filter[T]) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Param)
	}
	slices.Sort(out)
	return out
}

// TestFlightsOfASnapshotRoundTrip serves a snapshot saved and loaded again: the
// flights and docking events answer as before.
func TestFlightsOfASnapshotRoundTrip(t *testing.T) {
	dir := t.TempDir()
	d := fxData()
	// A snapshot file says the level of each record: the fixture's hold everything.
	for _, s := range d.Spacecraft {
		s.SnapshotMode = "detailed"
	}
	for _, c := range d.Configs {
		c.SnapshotMode = "detailed"
	}
	for _, a := range d.Agencies {
		a.SnapshotMode = "detailed"
	}
	for _, f := range d.Families {
		f.SnapshotMode = "detailed"
	}
	for _, f := range d.Flights {
		f.SnapshotMode = "detailed"
	}
	for _, ev := range d.DockingEvents {
		ev.SnapshotMode = "detailed"
	}
	if err := snapshot.Save(dir, d, snapshot.Meta{Source: "fixture"}); err != nil {
		t.Fatal(err)
	}
	loaded, _, err := snapshot.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, b := fxEnvOf(t), newEnv(t, loaded, optsNone)
	for _, target := range []string{"spacecraft_flights/?limit=100&mode=detailed", "docking_events/?limit=100&mode=detailed&ordering=-docking",
		"spacecraft/14/", "spacecraft_flights/?spacecraft=70&ordering=-mission_end"} {
		x, y := a.get(target), b.get(target)
		// The urls name each server's own host.
		yb := strings.ReplaceAll(string(y.body), b.base(), a.base())
		if x.status != 200 || y.status != 200 || !jsonEqual(t, x.body, []byte(yb)) {
			t.Errorf("GET %s differs after a round trip:\n%s\n%s", target, x.body, y.body)
		}
	}
}

// TestLookupsFromRecords: the lookup tables of a snapshot built from pages (the
// embedded one) hold the rows its records carry, and each page says so; a row they
// lack may exist, so its detail is refused rather than "Not found.". Whole tables say
// nothing.
func TestLookupsFromRecords(t *testing.T) {
	emb := mustEmbedded(t)
	if !emb.LookupsFromRecords {
		t.Fatal("the embedded snapshot does not say its tables come from its records")
	}
	e := newEnv(t, emb, optsNone)
	for _, path := range ll2.LookupPaths {
		r := e.get(path + "?limit=100")
		var p ll2.Page[map[string]any]
		mustDecode(t, r.body, &p)
		if !p.SnapshotPartial || p.Count != len(emb.Lookups[path]) {
			t.Errorf("%s: %d rows, snapshot_partial %v; want %d rows, true", path, p.Count, p.SnapshotPartial, len(emb.Lookups[path]))
		}
	}
	notHeld(t, e, ll2.PathSpacecraftStatuses+"2/", map[string]int{ll2.PathSpacecraftStatuses: 1})
	if r := e.get(ll2.PathSpacecraftStatuses + "1/"); r.status != http.StatusOK {
		t.Errorf("a row the table holds: %d %s", r.status, r.body)
	}
	f := fxEnvOf(t)
	if r := f.get(ll2.PathSpacecraftStatuses); strings.Contains(string(r.body), "snapshot_partial") {
		t.Errorf("a whole table says it is not: %s", r.body)
	}
	if r := f.get(ll2.PathCountries + "99/"); r.status != http.StatusNotFound {
		t.Errorf("a row a whole table lacks: %d %s", r.status, r.body)
	}
}
