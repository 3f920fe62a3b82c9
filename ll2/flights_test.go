package ll2_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
	"spacegraph/snapshot/synthetic"
)

func TestParseDateTime(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024-03-04T03:53:00Z", time.Date(2024, 3, 4, 3, 53, 0, 0, time.UTC), true},
		{"2024-03-04T03:53:00.25Z", time.Date(2024, 3, 4, 3, 53, 0, 250_000_000, time.UTC), true},
		{"2024-03-04T05:53:00+02:00", time.Date(2024, 3, 4, 3, 53, 0, 0, time.UTC), true},
		{"2024-03-04T03:53:00", time.Time{}, false}, // no offset
		{"2024-03-04", time.Time{}, false},
		{"", time.Time{}, false},
		{strings.Repeat("9", 100), time.Time{}, false},
	} {
		d, err := ll2.ParseDateTime(c.in)
		if (err == nil) != c.ok || (c.ok && (!d.Time().Equal(c.want) || d.String() != c.in)) {
			t.Errorf("ParseDateTime(%q) = %v %q, %v; want %v, ok %v", c.in, d.Time(), d.String(), err, c.want, c.ok)
		}
	}
	// JSON keeps the text; null is no value.
	var v struct {
		A *ll2.DateTime `json:"a"`
		B ll2.DateTime  `json:"b"`
		C *ll2.DateTime `json:"c"`
	}
	if err := json.Unmarshal([]byte(`{"a": "2024-03-04T05:53:00+02:00", "b": null, "c": null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A == nil || v.A.String() != "2024-03-04T05:53:00+02:00" || !v.B.IsZero() || v.C != nil {
		t.Errorf("decoded %+v", v)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"a":"2024-03-04T05:53:00+02:00","b":null,"c":null}` {
		t.Errorf("encoded %s", out)
	}
	if err := json.Unmarshal([]byte(`{"a": "yesterday"}`), &v); err == nil {
		t.Error("a malformed date-time decoded")
	}
	if got := ll2.DateTimeOf(time.Date(2024, 3, 4, 5, 53, 0, 0, time.FixedZone("", 7200))).String(); got != "2024-03-04T03:53:00Z" {
		t.Errorf("DateTimeOf = %q", got)
	}
}

func TestParseFilterDateTime(t *testing.T) {
	utc := func(y, mo, d, h, mi, s, ns int) time.Time {
		return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC)
	}
	for _, c := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2022-09-21", utc(2022, 9, 21, 0, 0, 0, 0), true},
		{"2022-09-21T17:06:00Z", utc(2022, 9, 21, 17, 6, 0, 0), true},
		{"2022-09-21T17:06", utc(2022, 9, 21, 17, 6, 0, 0), true},
		{"2022-09-21 17:06:05", utc(2022, 9, 21, 17, 6, 5, 0), true},
		{" 2022-9-1T7:06:05.5 ", utc(2022, 9, 1, 7, 6, 5, 500_000_000), true},
		{"2022-09-21T19:06:00+02:00", utc(2022, 9, 21, 17, 6, 0, 0), true},
		{"2022-09-21T19:06:00+0200", utc(2022, 9, 21, 17, 6, 0, 0), true},
		{"2022-09-21T15:06:00-02", utc(2022, 9, 21, 17, 6, 0, 0), true},
		{"2022-09-21T17:06:00.1234567Z", utc(2022, 9, 21, 17, 6, 0, 123_456_000), true},
		{"2022-02-30", time.Time{}, false},
		{"2022-02-30T00:00", time.Time{}, false},
		{"2022-13-01T00:00", time.Time{}, false},
		{"2022-01-01T24:00", time.Time{}, false},
		{"2022-01-01T00:00:60", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"2022-01-01T00", time.Time{}, false},
		{"", time.Time{}, false},
	} {
		got, ok := ll2.ParseFilterDateTime(c.in)
		if ok != c.ok || (ok && !got.Equal(c.want)) {
			t.Errorf("ParseFilterDateTime(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// flightsData is small synthetic data with flights and docking events, shared by the
// client's tests (NewStore copies records and never modifies them).
var flightsData = sync.OnceValue(func() snapshot.Data {
	return synthetic.Generate(synthetic.Options{Seed: 5, Spacecraft: 60, Configs: 8, Agencies: 12, Families: 4, Flights: true})
})

func flightsClient(t *testing.T, d snapshot.Data) (*ll2.Client, *ll2server.Server) {
	t.Helper()
	srv := ll2server.New(ll2server.NewStore(d), ll2server.Options{})
	c, err := ll2.New(ll2.Config{BaseURL: ll2server.EmbeddedBaseURL, Transport: ll2server.Transport(srv)})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// TestClientFlights lists and gets flights and docking events through the built-in
// server: the filters and levels come back as asked, checked by the client.
func TestClientFlights(t *testing.T) {
	d := flightsData()
	c, srv := flightsClient(t, d)
	ctx := context.Background()
	var sc, flight int
	for _, f := range d.Flights {
		if f.SpacecraftID() != 0 && len(f.DockingEvents) > 0 {
			sc, flight = f.SpacecraftID(), f.ID
			break
		}
	}
	if sc == 0 {
		t.Fatal("no flight that docks in the data")
	}
	l, err := c.ListSpacecraftFlights(ctx, ll2.ListParams{Limit: 100, Mode: ll2.LevelDetailed, Ordering: []ll2.OrderKey{{Field: "mission_end", Desc: true}},
		Filter: ll2.SpacecraftFlightFilter{Spacecraft: &sc}.Values()})
	if err != nil {
		t.Fatal(err)
	}
	if l.Count == 0 || l.Level != ll2.LevelDetailed {
		t.Fatalf("flights of spacecraft %d: %d at %s", sc, l.Count, l.Level)
	}
	for _, f := range l.Results {
		if f.SpacecraftID() != sc || f.DockingEvents == nil || f.Launch == nil || f.Spacecraft.SpacecraftConfig == nil {
			t.Errorf("flight %d: spacecraft %d, docking events %v", f.ID, f.SpacecraftID(), f.DockingEvents)
		}
	}
	f, err := c.GetSpacecraftFlight(ctx, flight)
	if err != nil || f.ID != flight || len(f.DockingEvents) == 0 {
		t.Fatalf("flight %d: %+v, %v", flight, f, err)
	}
	chased := f.DockingEvents[0].ID
	dl, err := c.ListDockingEvents(ctx, ll2.ListParams{Limit: 100, Filter: ll2.DockingEventFilter{FlightVehicleChaser: &flight}.Values()})
	if err != nil || dl.Count != len(f.DockingEvents) {
		t.Fatalf("docking events of flight %d: %+v, %v", flight, dl, err)
	}
	after := f.DockingEvents[0].Docking.Time()
	dl, err = c.ListDockingEvents(ctx, ll2.ListParams{Limit: 100, Mode: ll2.LevelDetailed, Ordering: []ll2.OrderKey{{Field: "docking"}},
		Filter: ll2.DockingEventFilter{DockingGte: &after}.Values()})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range dl.Results {
		if e.Docking.Time().Before(after) {
			t.Errorf("docking event %d docked at %s, before %s", e.ID, e.Docking, after)
		}
	}
	e, err := c.GetDockingEvent(ctx, chased)
	if err != nil || e.ID != chased || e.ChaserFlightID() != flight || e.FlightVehicleChaser.Launch == nil || e.FlightVehicleChaser.Launch.Net == nil {
		t.Fatalf("docking event %d: %+v, %v", chased, e, err)
	}
	if _, err := c.GetSpacecraftFlight(ctx, 999999); ll2.KindOf(err) != ll2.KindNotFound {
		t.Errorf("a flight LL2 lacks: %v", err)
	}

	// What LL2 would ignore or refuse is refused before any call.
	srv.Reset()
	for name, call := range map[string]func() error{
		"search on flights": func() error {
			_, err := c.ListSpacecraftFlights(ctx, ll2.ListParams{Search: "Dragon"})
			return err
		},
		"a date-time LL2 cannot read": func() error {
			_, err := c.ListDockingEvents(ctx, ll2.ListParams{Filter: url.Values{"docking__gte": {"last week"}}})
			return err
		},
		"ordering docking events by id": func() error {
			_, err := c.ListDockingEvents(ctx, ll2.ListParams{Ordering: []ll2.OrderKey{{Field: "id"}}})
			return err
		},
		"a filter of another endpoint": func() error {
			_, err := c.ListSpacecraftFlights(ctx, ll2.ListParams{Filter: url.Values{"status": {"1"}}})
			return err
		},
		"a lookup that is not a table": func() error {
			_, err := ll2.ListLookup[ll2.SpacecraftStatus](ctx, c, "config/launch_statuses/", 10, 0)
			return err
		},
	} {
		if err := call(); ll2.KindOf(err) != ll2.KindBadRequest {
			t.Errorf("%s: %v, want a bad request", name, err)
		}
	}
	if n := srv.Counters().Total; n != 0 {
		t.Errorf("refused calls spent %d calls: %v", n, srv.Requests())
	}
}

// TestClientFlightsNotInSnapshot: the embedded snapshot knows no flights nor docking
// events, and the client says so as KindNotInSnapshot, naming what is lacking.
func TestClientFlightsNotInSnapshot(t *testing.T) {
	c, _ := flightsClient(t, embeddedData(t))
	ctx := context.Background()
	sc := embeddedData(t).Spacecraft[0].ID
	for name, call := range map[string]func() error{
		"flights of a spacecraft": func() error {
			_, err := c.ListSpacecraftFlights(ctx, ll2.ListParams{Filter: ll2.SpacecraftFlightFilter{Spacecraft: &sc}.Values()})
			return err
		},
		"a flight": func() error { _, err := c.GetSpacecraftFlight(ctx, 1); return err },
		"docking events": func() error {
			_, err := c.ListDockingEvents(ctx, ll2.ListParams{})
			return err
		},
		"a docking event": func() error { _, err := c.GetDockingEvent(ctx, 1); return err },
	} {
		err := call()
		var e *ll2.Error
		if !errors.As(err, &e) || e.Kind != ll2.KindNotInSnapshot || len(e.Lacking) == 0 {
			t.Errorf("%s: %v, want not in snapshot", name, err)
		}
	}
	// Its spacecraft come at the detailed level without flights, saying they hold less.
	s, err := c.GetSpacecraft(ctx, sc)
	if err != nil || s.Flights != nil || s.SnapshotMode != "normal" {
		t.Errorf("spacecraft %d: %v, flights %v, snapshot_mode %q", sc, err, s.Flights, s.SnapshotMode)
	}
}

// TestClientChecksFlightAnswers serves answers the built-in server never gives: the
// client refuses each before anything keeps it.
func TestClientChecksFlightAnswers(t *testing.T) {
	d := flightsData()
	store := ll2server.NewStore(d)
	sc := store.Spacecraft()
	var flown, other *ll2.SpacecraftDetailed
	for _, s := range sc {
		if len(s.Flights) >= 2 && flown == nil {
			flown = s
		} else if len(s.Flights) > 0 && other == nil {
			other = s
		}
	}
	fl := store.Flights()
	var docked *ll2.SpacecraftFlight
	for _, f := range fl {
		if len(f.DockingEvents) > 0 {
			docked = f
			break
		}
	}
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	page := func(results ...any) string {
		return enc(map[string]any{"count": len(results), "next": nil, "previous": nil, "results": results})
	}
	noFlights := flown.Detailed()
	noFlights.Flights = nil
	stolen := flown.Detailed()
	stolen.Flights = append([]ll2.SpacecraftFlightNormal(nil), other.Flights...)
	f0 := fl[0].Normal()
	var f1 ll2.SpacecraftFlightNormal
	for _, f := range fl {
		if f.SpacecraftID() != fl[0].SpacecraftID() {
			f1 = f.Normal()
			break
		}
	}
	early, late := *fl[0], *fl[1]
	early.MissionEnd, late.MissionEnd = ptrDT("2001-01-01T00:00:00Z"), ptrDT("2002-01-01T00:00:00Z")
	undocked := docked.Detailed()
	undocked.DockingEvents = nil
	byEnd := []ll2.OrderKey{{Field: "mission_end"}}
	scID := fl[0].SpacecraftID()
	evs := store.DockingEvents()
	gte := evs[1].Docking.Time()
	if evs[0].Docking.Time().After(gte) {
		gte = evs[0].Docking.Time()
	}

	tests := []struct {
		name   string
		body   string
		call   func(context.Context, *ll2.Client) error
		detail string // "": accepted
	}{
		{"detailed spacecraft without flights", page(noFlights), listSpacecraftCall(ll2.ListParams{Mode: ll2.LevelDetailed}), "has no flights list"},
		{"detailed spacecraft with another's flights", page(stolen), listSpacecraftCall(ll2.ListParams{Mode: ll2.LevelDetailed}), "lists flight"},
		{"spacecraft detail without flights", enc(noFlights), func(ctx context.Context, c *ll2.Client) error {
			_, err := c.GetSpacecraft(ctx, flown.ID)
			return err
		}, "has no flights list"},
		{"detailed spacecraft with its flights", page(flown.Detailed()), listSpacecraftCall(ll2.ListParams{Mode: ll2.LevelDetailed}), ""},
		{"flights of another spacecraft", page(f0, f1), flightsCall(ll2.ListParams{Filter: ll2.SpacecraftFlightFilter{Spacecraft: &scID}.Values()}),
			"does not match filter spacecraft"},
		{"flights out of order", page(late.Normal(), early.Normal()), flightsCall(ll2.ListParams{Ordering: byEnd}), "not ordered by mission_end"},
		{"flights in order", page(early.Normal(), late.Normal()), flightsCall(ll2.ListParams{Ordering: byEnd}), ""},
		{"detailed flight without docking events", page(undocked), flightsCall(ll2.ListParams{Mode: ll2.LevelDetailed}), "has no docking_events list"},
		{"flight detail at the normal level", enc(docked.Normal()), func(ctx context.Context, c *ll2.Client) error {
			_, err := c.GetSpacecraftFlight(ctx, docked.ID)
			return err
		}, `detail endpoint answered response_mode "normal"`},
		{"docking events before the time asked", page(evs[0].Normal(), evs[1].Normal()),
			dockingCall(ll2.ListParams{Filter: ll2.DockingEventFilter{DockingGte: &gte}.Values()}), "does not match filter docking__gte"},
		{"a lookup row twice", page(map[string]any{"id": 1, "name": "Active"}, map[string]any{"id": 1, "name": "Active"}), lookupCall(0, 0), "id 1 appears twice"},
		{"a lookup row without an id", page(map[string]any{"name": "Active"}), lookupCall(0, 0), "row 0 has no positive integer id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := httptest.NewServer(crafted(http.StatusOK, nil, tt.body))
			defer hs.Close()
			c, err := ll2.New(ll2.Config{BaseURL: hs.URL + "/2.3.0"})
			if err != nil {
				t.Fatal(err)
			}
			err = tt.call(context.Background(), c)
			if tt.detail == "" {
				if err != nil {
					t.Fatalf("refused a good answer: %v", err)
				}
				return
			}
			if e := asError(t, err, ll2.KindBadResponse); !strings.Contains(e.Detail, tt.detail) {
				t.Errorf("detail %q, want %q", e.Detail, tt.detail)
			}
		})
	}
}

func ptrDT(s string) *ll2.DateTime {
	d := ll2.MustDateTime(s)
	return &d
}

func listSpacecraftCall(p ll2.ListParams) call { return listCall(p) }

func flightsCall(p ll2.ListParams) call {
	return func(ctx context.Context, c *ll2.Client) error {
		_, err := c.ListSpacecraftFlights(ctx, p)
		return err
	}
}

func dockingCall(p ll2.ListParams) call {
	return func(ctx context.Context, c *ll2.Client) error {
		_, err := c.ListDockingEvents(ctx, p)
		return err
	}
}
