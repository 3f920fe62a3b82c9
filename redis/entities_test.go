package redis

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"spacegraph/catalog"
	"spacegraph/internal/testkit"
	"spacegraph/internal/testkit/redistest"
	"spacegraph/ll2"
)

func ptr[T any](v T) *T { return &v }

func spacecraft(id int, name string, l ll2.Level) *catalog.Spacecraft {
	return &catalog.Spacecraft{SpacecraftBase: ll2.SpacecraftBase{ID: id, Name: name, Description: name + " description"}, Level: l}
}

// richSpacecraft is a detailed spacecraft with every kind of field: pointers, durations,
// dates, nested entities, raw JSON.
func richSpacecraft() *catalog.Spacecraft {
	spacex := &catalog.Agency{
		AgencyNormal: ll2.AgencyNormal{
			AgencyMini:    ll2.AgencyMini{ResponseMode: "normal", ID: 121, URL: "https://ll.thespacedevs.com/2.3.0/agencies/121/", Name: "SpaceX", Abbrev: ptr("SpX"), Type: ll2.AgencyType{ID: 3, Name: ptr("Commercial")}},
			Featured:      ptr(true),
			Country:       []ll2.Country{{ID: 2, Name: ptr("United States of America"), Alpha2Code: ptr("US"), Alpha3Code: ptr("USA")}},
			Description:   ptr("Space Exploration Technologies Corp."),
			Administrator: ptr("CEO: Elon Musk"),
			FoundingYear:  ptr(2002),
			Spacecraft:    ptr("Dragon"),
		},
		AgencyStats:      ll2.AgencyStats{TotalLaunchCount: ptr(500), SuccessfulLandings: ptr(400), FailedLandings: ptr(0)},
		InfoURL:          ptr("https://www.spacex.com"),
		SocialMediaLinks: []ll2.SocialMediaLink{{ID: 1, SocialMedia: ll2.SocialMedia{ID: 2, Name: ptr("X")}, URL: ptr("https://x.com/spacex")}},
		Level:            ll2.LevelNormal,
	}
	parent := &catalog.Family{FamilyMini: ll2.FamilyMini{ResponseMode: "list", ID: 1, Name: "Dragon"}, Level: ll2.LevelList}
	family := &catalog.Family{
		FamilyMini:   ll2.FamilyMini{ResponseMode: "detailed", ID: 2, Name: "Dragon 2"},
		Description:  ptr("The second Dragon."),
		MaidenFlight: ptr(ll2.Date("2019-03-02")),
		FamilyStats:  ll2.FamilyStats{SpacecraftFlown: ptr(12), TotalLaunchCount: ptr(40), SuccessfulLaunches: ptr(40), FailedLaunches: ptr(0)},
		Level:        ll2.LevelDetailed,
		// A partial snapshot's mark survives the trip.
		Manufacturer: &catalog.Agency{AgencyNormal: ll2.AgencyNormal{AgencyMini: ll2.AgencyMini{ID: 121, Name: "SpaceX", SnapshotMode: "list"}}, Level: ll2.LevelList},
		Parent:       parent,
	}
	config := &catalog.SpacecraftConfig{
		SpacecraftConfigBase: ll2.SpacecraftConfigBase{
			ResponseMode: "detailed", ID: 20, URL: "https://ll.thespacedevs.com/2.3.0/spacecraft_configurations/20/", Name: "Crew Dragon",
			Type: &ll2.SpacecraftConfigType{ID: 1, Name: "Capsule"}, InUse: ptr(true),
			Image: &ll2.Image{ID: 5, Name: "Crew Dragon", ImageURL: "https://example.org/i.jpg", ThumbnailURL: "https://example.org/t.jpg", Credit: ptr("NASA"), License: ll2.ImageLicense{ID: 1, Name: ptr("Unknown"), Priority: ptr(9)}, SingleUse: ptr(false), Variants: []ll2.ImageVariant{{ID: 9, Type: ll2.ImageVariantType{ID: 1, Name: ptr("small")}, ImageURL: "https://example.org/s.jpg"}}},
		},
		SpacecraftConfigSpecs: ll2.SpacecraftConfigSpecs{
			Capability: ptr("Crew"), MaidenFlight: ptr(ll2.Date("2019-03-02")), Height: ptr(8.1), Diameter: ptr(4.0), HumanRated: ptr(true),
			CrewCapacity: ptr(7), PayloadCapacity: ptr(6000), FlightLife: ptr("up to 210 days"), SpacecraftFlown: ptr(5),
			FastestTurnaround: ptr(ll2.MustDuration("P84DT6H30M")),
		},
		Level:    ll2.LevelDetailed,
		Agency:   spacex,
		Families: []*catalog.Family{family},
	}
	return &catalog.Spacecraft{
		SpacecraftBase: ll2.SpacecraftBase{
			ResponseMode: "detailed", ID: 37, URL: "https://ll.thespacedevs.com/2.3.0/spacecraft/37/", Name: "Crew Dragon Endeavour",
			SerialNumber: ptr("C206"), IsPlaceholder: ptr(false), InSpace: ptr(true),
			TimeInSpace:  ptr(ll2.MustDuration("P596DT21H15M2.5S")),
			TimeDocked:   ptr(ll2.MustDuration("PT13M")),
			FlightsCount: ptr(5), MissionEndsCount: ptr(4),
			Status:            &ll2.SpacecraftStatus{ID: 1, Name: "Active"},
			Description:       "The first Crew Dragon to fly crew. «Ünïcödé» \"quoted\" <tag> & more",
			FastestTurnaround: ptr(ll2.MustDuration("P0D")),
		},
		Level:  ll2.LevelDetailed,
		Config: config,
		Flights: []*catalog.SpacecraftFlight{{
			SpacecraftFlightBase: ll2.SpacecraftFlightBase{
				ID: 1, URL: "https://ll.thespacedevs.com/2.3.0/spacecraft_flights/1/", ResponseMode: "normal",
				Destination: ptr("International Space Station"), MissionEnd: ptr(ll2.MustDateTime("2020-08-02T18:48:00Z")),
				Duration: ptr(ll2.MustDuration("P63DT23H24M")), TurnAroundTime: ptr(ll2.MustDuration("-PT1S")),
				Landing: &ll2.Landing{ID: 9, Attempt: ptr(true), Success: ptr(true), Type: &ll2.LandingType{ID: 1, Name: ptr("Splashdown")}},
			},
			Level:      ll2.LevelNormal,
			Spacecraft: &catalog.Spacecraft{SpacecraftBase: ll2.SpacecraftBase{ID: 37, Name: "Crew Dragon Endeavour"}, Level: ll2.LevelNormal},
			Launch: &catalog.Launch{
				Launch: ll2.Launch{ID: "f8a4e2e4-0000-4000-8000-000000000001", Name: ptr("Demo-2"), Net: ptr(ll2.MustDateTime("2020-05-30T19:22:45Z")),
					Pad:     &ll2.Pad{ID: 39, Location: &ll2.Location{ID: 12, CelestialBody: json.RawMessage(`{"id":1,"name":"Earth"}`)}},
					Program: []json.RawMessage{json.RawMessage(`{"id":17,"name":"Commercial Crew Program"}`)}},
				LaunchServiceProvider: spacex,
			},
		}},
	}
}

func TestEntitiesLevels(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		clk := testkit.NewClock()
		cs := clients(t, r, 1, clk)
		e := cs[0].Entities(catalog.DefaultEntityTTLs(), 0, nil)
		if got := e.Get(ctx, catalog.KindSpacecraft, nil, ll2.LevelList); len(got) != 0 {
			t.Fatalf("Get of no ids: %v", got)
		}
		e.Put(ctx, &catalog.Seen{Spacecraft: []*catalog.Spacecraft{spacecraft(1, "one", ll2.LevelNormal), spacecraft(2, "two", ll2.LevelDetailed)}})
		for _, c := range []struct {
			l    ll2.Level
			want []int
		}{
			{ll2.LevelNone, []int{1, 2}},
			{ll2.LevelList, []int{1, 2}},
			{ll2.LevelNormal, []int{1, 2}},
			{ll2.LevelDetailed, []int{2}},
			{catalog.LevelWithConfigs, nil},
		} {
			got := e.Get(ctx, catalog.KindSpacecraft, []int{1, 2, 3}, c.l)
			if len(got) != len(c.want) {
				t.Fatalf("level %v: got %d entities, want %v", c.l, len(got), c.want)
			}
			for _, id := range c.want {
				sc, ok := got[id].Value.(*catalog.Spacecraft)
				if !ok || sc.ID != id {
					t.Fatalf("level %v: entity %d is %#v", c.l, id, got[id].Value)
				}
				if !got[id].Stored.Equal(t0) || got[id].TTL != time.Hour {
					t.Fatalf("entity %d: stored %v, TTL %v", id, got[id].Stored, got[id].TTL)
				}
			}
		}
		// Kinds are separate.
		if got := e.Get(ctx, catalog.KindConfig, []int{1, 2}, ll2.LevelList); len(got) != 0 {
			t.Fatalf("spacecraft found as configurations: %v", got)
		}
		// The key expires with the kind's TTL.
		ttl, err := cs[0].Redis().PTTL(ctx, cs[0].prefix+"entity:0:1").Result()
		if err != nil || ttl <= 59*time.Minute || ttl > time.Hour {
			t.Fatalf("PTTL %v, %v", ttl, err)
		}
	})
}

func TestEntitiesRicherWins(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		cs := clients(t, r, 2, nil)
		e1, e2 := cs[0].Entities(catalog.DefaultEntityTTLs(), 0, nil), cs[1].Entities(catalog.DefaultEntityTTLs(), 0, nil)
		name := func(e *Entities, l ll2.Level) string {
			got := e.Get(ctx, catalog.KindSpacecraft, []int{7}, l)
			if sc, ok := got[7].Value.(*catalog.Spacecraft); ok {
				return sc.Name
			}
			return ""
		}
		e1.Put(ctx, &catalog.Seen{Spacecraft: []*catalog.Spacecraft{spacecraft(7, "rich", ll2.LevelDetailed)}})
		// A leaner sighting, by this process or another, does not replace it.
		e1.Put(ctx, &catalog.Seen{Spacecraft: []*catalog.Spacecraft{spacecraft(7, "lean", ll2.LevelNormal)}})
		e2.Put(ctx, &catalog.Seen{Spacecraft: []*catalog.Spacecraft{spacecraft(7, "lean2", ll2.LevelList)}})
		for _, e := range []*Entities{e1, e2} {
			if n := name(e, ll2.LevelDetailed); n != "rich" {
				t.Fatalf("detailed lookup: %q, want rich", n)
			}
			if n := name(e, ll2.LevelList); n != "rich" {
				t.Fatalf("list lookup: %q, want rich", n)
			}
		}
		// A sighting at the same level replaces it (newer data); a richer one too.
		e2.Put(ctx, &catalog.Seen{Spacecraft: []*catalog.Spacecraft{spacecraft(7, "rich2", ll2.LevelDetailed)}})
		if n := name(e1, ll2.LevelDetailed); n != "rich2" {
			t.Fatalf("after an equal sighting: %q", n)
		}
		e1.Put(ctx, &catalog.Seen{Families: []*catalog.Family{{FamilyMini: ll2.FamilyMini{ID: 3, Name: "normal"}, Level: ll2.LevelNormal}}})
		e2.Put(ctx, &catalog.Seen{Families: []*catalog.Family{{FamilyMini: ll2.FamilyMini{ID: 3, Name: "with configs"}, Level: catalog.LevelWithConfigs}}})
		got := e1.Get(ctx, catalog.KindFamily, []int{3}, catalog.LevelWithConfigs)
		if f, ok := got[3].Value.(*catalog.Family); !ok || f.Name != "with configs" {
			t.Fatalf("richer family did not replace: %#v", got[3].Value)
		}
		// One Put with both levels of one entity keeps the richer.
		e1.Put(ctx, &catalog.Seen{Agencies: []*catalog.Agency{
			{AgencyNormal: ll2.AgencyNormal{AgencyMini: ll2.AgencyMini{ID: 9, Name: "detailed"}}, Level: ll2.LevelDetailed},
			{AgencyNormal: ll2.AgencyNormal{AgencyMini: ll2.AgencyMini{ID: 9, Name: "list"}}, Level: ll2.LevelList},
		}})
		got = e2.Get(ctx, catalog.KindAgency, []int{9}, ll2.LevelList)
		if a, ok := got[9].Value.(*catalog.Agency); !ok || a.Name != "detailed" || a.Level != ll2.LevelDetailed {
			t.Fatalf("agency %#v", got[9].Value)
		}
	})
}

func TestEntitiesJSONRoundTrip(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		clk := testkit.NewClock()
		cs := clients(t, r, 2, clk)
		ttl := catalog.DefaultEntityTTLs()
		sc := richSpacecraft()
		seen := &catalog.Seen{
			Spacecraft: []*catalog.Spacecraft{sc},
			Configs:    []*catalog.SpacecraftConfig{sc.Config},
			Agencies:   []*catalog.Agency{sc.Config.Agency},
			Families:   sc.Config.Families,
		}
		cs[0].Entities(ttl, 0, nil).Put(ctx, seen)
		clk.Advance(time.Minute)
		e2 := cs[1].Entities(ttl, 0, nil)
		for _, c := range []struct {
			kind catalog.Kind
			id   int
			l    ll2.Level
			want any
		}{
			{catalog.KindSpacecraft, 37, ll2.LevelDetailed, sc},
			{catalog.KindConfig, 20, ll2.LevelDetailed, sc.Config},
			{catalog.KindAgency, 121, ll2.LevelNormal, sc.Config.Agency},
			{catalog.KindFamily, 2, ll2.LevelDetailed, sc.Config.Families[0]},
		} {
			got := e2.Get(ctx, c.kind, []int{c.id}, c.l)
			hit, ok := got[c.id]
			if !ok {
				t.Fatalf("kind %d id %d: miss", c.kind, c.id)
			}
			if !reflect.DeepEqual(hit.Value, c.want) {
				a, _ := json.Marshal(hit.Value)
				b, _ := json.Marshal(c.want)
				t.Fatalf("kind %d id %d: round trip changed the entity:\n got %s\nwant %s", c.kind, c.id, a, b)
			}
			if !hit.Stored.Equal(t0) || hit.TTL != ttl[c.kind] {
				t.Fatalf("kind %d: stored %v TTL %v, want %v %v", c.kind, hit.Stored, hit.TTL, t0, ttl[c.kind])
			}
		}
		got := e2.Get(ctx, catalog.KindSpacecraft, []int{37}, ll2.LevelDetailed)[37].Value.(*catalog.Spacecraft)
		if got.TimeInSpace.String() != "P596DT21H15M2.5S" || got.TimeInSpace.Seconds() != 596*86400+21*3600+15*60+2.5 || *got.TimeInSpaceSeconds() != 51570903 {
			t.Fatalf("duration %v %v", got.TimeInSpace, got.TimeInSpace.Seconds())
		}
		if got.Flights[0].TurnAroundTime.Seconds() != -1 || *got.Config.MaidenFlight != "2019-03-02" || *got.Config.Families[0].MaidenFlight != "2019-03-02" {
			t.Fatalf("flight or date lost: %+v", got.Flights[0])
		}
		if got.Config.Families[0].Parent.Name != "Dragon" || got.Config.Agency.AgencyStats.SuccessfulLandings == nil || *got.Config.Agency.AgencyStats.SuccessfulLandings != 400 {
			t.Fatal("nested entities lost")
		}
	})
}

func TestEntitiesUnreadable(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		c := clients(t, r, 1, nil)[0]
		e := c.Entities(catalog.DefaultEntityTTLs(), 0, nil)
		e.Put(ctx, &catalog.Seen{Spacecraft: []*catalog.Spacecraft{spacecraft(1, "good", ll2.LevelNormal)}})
		now := strconv.FormatInt(time.Now().UnixMilli(), 10)
		for id, v := range map[string]string{
			"2":  "2garbage",
			"3":  "2",
			"4":  "",
			"5":  `2{"id":5}`,              // no stored time
			"6":  `2abc|3600000|{"id":6}`,  // a bad stored time
			"7":  `2` + now + `|3600000|[`, // bad JSON
			"8":  `2` + now + `|3600000|{"id":"eight"}`,
			"9":  `2` + now + `|x|{"id":9}`, // a bad freshness
			"10": `2` + now + `|{"id":10}`,  // the earlier format, without freshness
			"11": `2` + now + `|3600000{"id":11}`,
		} {
			if err := c.Redis().Set(ctx, c.prefix+"entity:0:"+id, v, time.Hour).Err(); err != nil {
				t.Fatal(err)
			}
		}
		got := e.Get(ctx, catalog.KindSpacecraft, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, ll2.LevelList)
		if len(got) != 1 || got[1].Value.(*catalog.Spacecraft).Name != "good" {
			t.Fatalf("got %v", got)
		}
		// A value of the earlier format is replaced by the next sighting.
		e.Put(ctx, &catalog.Seen{Spacecraft: []*catalog.Spacecraft{spacecraft(10, "ten", ll2.LevelList)}})
		if got := e.Get(ctx, catalog.KindSpacecraft, []int{10}, ll2.LevelList); len(got) != 1 {
			t.Fatal("a value of the earlier format was not replaced")
		}
	})
}

// After an entity expires in Redis, a process that wrote it writes it again when it
// sees it again.
func TestEntitiesRewriteAfterExpiry(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		c := clients(t, r, 1, nil)[0]
		ttl := catalog.DefaultEntityTTLs()
		ttl[catalog.KindSpacecraft] = 200 * time.Millisecond
		e := c.Entities(ttl, 0, nil)
		seen := &catalog.Seen{Spacecraft: []*catalog.Spacecraft{spacecraft(1, "one", ll2.LevelDetailed)}}
		e.Put(ctx, seen)
		if len(e.Get(ctx, catalog.KindSpacecraft, []int{1}, ll2.LevelDetailed)) != 1 {
			t.Fatal("miss after Put")
		}
		testkit.WaitFor(t, "the entity to expire", func() bool {
			return len(e.Get(ctx, catalog.KindSpacecraft, []int{1}, ll2.LevelList)) == 0
		})
		// The TTL is short and real, so on a loaded machine it can lapse between a Put and
		// the Get that checks it: a few tries tell that apart from a Put that is refused.
		cachedAgain := func(put *catalog.Seen, level ll2.Level) bool {
			for range 5 {
				e.Put(ctx, put)
				if len(e.Get(ctx, catalog.KindSpacecraft, []int{1}, level)) == 1 {
					return true
				}
			}
			return false
		}
		if !cachedAgain(seen, ll2.LevelDetailed) {
			t.Fatal("an entity seen again after it expired was not cached again")
		}
		// And a leaner sighting after the richer one expired is cached too.
		testkit.WaitFor(t, "the entity to expire", func() bool {
			return len(e.Get(ctx, catalog.KindSpacecraft, []int{1}, ll2.LevelList)) == 0
		})
		if !cachedAgain(&catalog.Seen{Spacecraft: []*catalog.Spacecraft{spacecraft(1, "lean", ll2.LevelList)}}, ll2.LevelList) {
			t.Fatal("a leaner sighting after the richer one expired was not cached")
		}
	})
}

// A process does not rewrite what it has written (the local memory), but a failed
// write is retried.
func TestEntitiesWriteMemory(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		c := clients(t, r, 1, nil)[0]
		e := c.Entities(catalog.DefaultEntityTTLs(), 0, nil)
		// The same answer, read again, brings the same entities with the same time.
		fetched := time.Now().Add(-time.Minute)
		config := func(name string, l ll2.Level, fetched time.Time) *catalog.Seen {
			return &catalog.Seen{Configs: []*catalog.SpacecraftConfig{{SpacecraftConfigBase: ll2.SpacecraftConfigBase{ID: 4, Name: name}, Level: l}}, Fetched: fetched}
		}
		e.Put(ctx, config("first", ll2.LevelNormal, fetched))
		key := c.prefix + "entity:1:4"
		// Someone removes it behind the process's back; the same Put is not written again…
		c.Redis().Del(ctx, key)
		e.Put(ctx, config("first", ll2.LevelNormal, fetched))
		if n, _ := c.Redis().Exists(ctx, key).Result(); n != 0 {
			t.Fatal("the same entity was written twice")
		}
		// …but a richer sighting is…
		e.Put(ctx, config("detailed", ll2.LevelDetailed, fetched))
		v, err := c.Redis().Get(ctx, key).Result()
		if err != nil || !strings.HasPrefix(v, "3") || !strings.Contains(v, `"detailed"`) {
			t.Fatalf("stored %q, %v", v, err)
		}
		// …and so is a newer one (a refreshed answer).
		c.Redis().Del(ctx, key)
		e.Put(ctx, config("newer", ll2.LevelDetailed, fetched.Add(time.Second)))
		if v, err := c.Redis().Get(ctx, key).Result(); err != nil || !strings.Contains(v, `"newer"`) {
			t.Fatalf("stored %q, %v", v, err)
		}
	})
}

// TestEntitiesAnswersAge checks the shared entity cache keeps an entity's answer's
// age and freshness, as the memory one does: an entity is as old as its answer and
// expires with it, one from a stale answer is never fresh and only stands in
// (GetStale) for MaxStale, and between replicas a stale sighting never replaces a
// fresh one nor an older one a newer one.
func TestEntitiesAnswersAge(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		clk := testkit.NewClock()
		cs := clients(t, r, 2, clk)
		e1, e2 := cs[0].Entities(catalog.DefaultEntityTTLs(), 24*time.Hour, nil), cs[1].Entities(catalog.DefaultEntityTTLs(), 24*time.Hour, nil)
		cfg := func(id int, name string) []*catalog.SpacecraftConfig {
			return []*catalog.SpacecraftConfig{{SpacecraftConfigBase: ll2.SpacecraftConfigBase{ID: id, Name: name}, Level: ll2.LevelDetailed}}
		}
		name := func(got map[int]catalog.Cached, id int) string {
			if c, ok := got[id].Value.(*catalog.SpacecraftConfig); ok {
				return c.Name
			}
			return ""
		}
		// A spacecraft answer fetched 20 minutes ago (fresh for an hour) embeds config 1.
		e1.Put(ctx, &catalog.Seen{Configs: cfg(1, "c1"), Fetched: t0.Add(-20 * time.Minute), Expires: t0.Add(40 * time.Minute)})
		got := e2.Get(ctx, catalog.KindConfig, []int{1}, ll2.LevelNormal)[1]
		if !got.Stored.Equal(t0.Add(-20*time.Minute)) || got.TTL != time.Hour {
			t.Fatalf("config from a 20-minute-old answer: stored %v, TTL %v", got.Stored, got.TTL)
		}
		// Redis keeps it for its freshness and MaxStale from the answer's time.
		if pttl, err := cs[0].Redis().PTTL(ctx, cs[0].prefix+"entity:1:1").Result(); err != nil || pttl <= 24*time.Hour+39*time.Minute || pttl > 24*time.Hour+40*time.Minute {
			t.Fatalf("PTTL %v, %v", pttl, err)
		}
		clk.Advance(40 * time.Minute)
		if got := e2.Get(ctx, catalog.KindConfig, []int{1}, ll2.LevelNormal); len(got) != 0 {
			t.Fatal("the configuration outlived the answer it came from")
		}
		if got := e2.GetStale(ctx, catalog.KindConfig, []int{1}, ll2.LevelNormal); name(got, 1) != "c1" {
			t.Fatalf("the stale configuration does not stand in: %v", got)
		}
		// A stale answer's entities are stale from the start.
		e1.Put(ctx, &catalog.Seen{Configs: cfg(2, "c2"), Fetched: clk.Now().Add(-90 * time.Minute), Expires: clk.Now().Add(-90 * time.Minute)})
		if got := e2.Get(ctx, catalog.KindConfig, []int{2}, ll2.LevelNormal); len(got) != 0 {
			t.Fatal("an entity from a stale answer was served as fresh")
		}
		if got := e2.GetStale(ctx, catalog.KindConfig, []int{2}, ll2.LevelNormal)[2]; !got.Stored.Equal(clk.Now().Add(-90 * time.Minute)) {
			t.Fatalf("stale entity stored %v, want its answer's time", got.Stored)
		}
		// Between replicas: a stale sighting does not replace a fresh one, even a leaner
		// one; a fresh one replaces a stale one; an older one does not replace a newer one.
		e1.Put(ctx, &catalog.Seen{Configs: []*catalog.SpacecraftConfig{{SpacecraftConfigBase: ll2.SpacecraftConfigBase{ID: 3, Name: "fresh"}, Level: ll2.LevelNormal}}})
		e2.Put(ctx, &catalog.Seen{Configs: cfg(3, "stale"), Fetched: clk.Now().Add(-7 * time.Hour), Expires: clk.Now().Add(-time.Hour)})
		if got := e1.Get(ctx, catalog.KindConfig, []int{3}, ll2.LevelNormal); name(got, 3) != "fresh" {
			t.Fatalf("a stale sighting replaced a fresh one: %q", name(got, 3))
		}
		e2.Put(ctx, &catalog.Seen{Configs: cfg(2, "c2 again")})
		if got := e1.Get(ctx, catalog.KindConfig, []int{2}, ll2.LevelNormal); name(got, 2) != "c2 again" {
			t.Fatal("a fresh sighting did not replace a stale one")
		}
		e1.Put(ctx, &catalog.Seen{Configs: cfg(2, "older"), Fetched: clk.Now().Add(-time.Minute)})
		if got := e2.Get(ctx, catalog.KindConfig, []int{2}, ll2.LevelNormal); name(got, 2) != "c2 again" {
			t.Fatal("an older sighting replaced a newer one")
		}
		// Past MaxStale nothing stands in, and an answer that old is not written.
		clk.Advance(25 * time.Hour)
		if got := e2.GetStale(ctx, catalog.KindConfig, []int{1}, ll2.LevelNormal); len(got) != 0 {
			t.Fatal("served past MaxStale")
		}
		e1.Put(ctx, &catalog.Seen{Configs: cfg(4, "ancient"), Fetched: clk.Now().Add(-48 * time.Hour), Expires: clk.Now().Add(-47 * time.Hour)})
		if n, _ := cs[0].Redis().Exists(ctx, cs[0].prefix+"entity:1:4").Result(); n != 0 {
			t.Fatal("wrote an entity past MaxStale")
		}
	})
}
