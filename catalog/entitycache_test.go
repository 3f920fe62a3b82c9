package catalog

import (
	"context"
	"sync"
	"testing"
	"time"

	"spacegraph/economy"
	"spacegraph/internal/testkit"
	"spacegraph/ll2"
)

// ecT0 is where the tests' simulated clocks start.
var ecT0 = testkit.Epoch

func sc(id int, name string, l ll2.Level) *Spacecraft {
	return &Spacecraft{SpacecraftBase: ll2.SpacecraftBase{ID: id, Name: name}, Level: l}
}

func scName(m *MemoryEntityCache, id int, l ll2.Level) string {
	got := m.Get(context.Background(), KindSpacecraft, []int{id}, l)
	if s, ok := got[id].Value.(*Spacecraft); ok {
		return s.Name
	}
	return ""
}

func TestEntityLevel(t *testing.T) {
	for _, c := range []struct {
		v     any
		level ll2.Level
		id    int
	}{
		{sc(1, "", ll2.LevelDetailed), ll2.LevelDetailed, 1},
		{&SpacecraftConfig{SpacecraftConfigBase: ll2.SpacecraftConfigBase{ID: 2}, Level: ll2.LevelNormal}, ll2.LevelNormal, 2},
		{&Agency{AgencyNormal: ll2.AgencyNormal{AgencyMini: ll2.AgencyMini{ID: 3}}, Level: ll2.LevelList}, ll2.LevelList, 3},
		{&Family{FamilyMini: ll2.FamilyMini{ID: 4}, Level: LevelWithConfigs}, LevelWithConfigs, 4},
		{"not an entity", ll2.LevelNone, 0},
		{nil, ll2.LevelNone, 0},
	} {
		if l, id := EntityLevel(c.v); l != c.level || id != c.id {
			t.Errorf("EntityLevel(%T) = %v, %d; want %v, %d", c.v, l, id, c.level, c.id)
		}
	}
}

func TestMemoryEntityCacheLevels(t *testing.T) {
	ctx := context.Background()
	clk := testkit.NewClock()
	m := NewMemoryEntityCache(1000, DefaultEntityTTLs(), 0, clk.Now)
	defer m.Close()
	if got := m.Get(ctx, KindSpacecraft, nil, ll2.LevelList); got == nil || len(got) != 0 {
		t.Fatalf("Get of no ids: %#v", got)
	}
	m.Put(ctx, &Seen{Spacecraft: []*Spacecraft{sc(1, "one", ll2.LevelNormal), sc(2, "two", ll2.LevelDetailed)}})
	for _, c := range []struct {
		l    ll2.Level
		want []int
	}{
		{ll2.LevelNone, []int{1, 2}},
		{ll2.LevelList, []int{1, 2}},
		{ll2.LevelNormal, []int{1, 2}},
		{ll2.LevelDetailed, []int{2}},
		{LevelWithConfigs, nil},
	} {
		got := m.Get(ctx, KindSpacecraft, []int{1, 2, 3}, c.l)
		if len(got) != len(c.want) {
			t.Fatalf("level %v: %d entities, want %v", c.l, len(got), c.want)
		}
		for _, id := range c.want {
			s, ok := got[id].Value.(*Spacecraft)
			if !ok || s.ID != id {
				t.Fatalf("level %v: entity %d is %#v", c.l, id, got[id].Value)
			}
			if !got[id].Stored.Equal(ecT0) || got[id].TTL != time.Hour {
				t.Fatalf("entity %d: stored %v TTL %v", id, got[id].Stored, got[id].TTL)
			}
		}
	}
	// The entity is the one put, not a copy.
	s := sc(5, "five", ll2.LevelNormal)
	m.Put(ctx, &Seen{Spacecraft: []*Spacecraft{s}})
	if got := m.Get(ctx, KindSpacecraft, []int{5}, ll2.LevelNormal)[5].Value; got != s {
		t.Fatal("Get returned another value than the one put")
	}
	// Kinds are separate.
	m.Put(ctx, &Seen{Configs: []*SpacecraftConfig{{SpacecraftConfigBase: ll2.SpacecraftConfigBase{ID: 1, Name: "config one"}, Level: ll2.LevelDetailed}}})
	if got := m.Get(ctx, KindConfig, []int{1, 2}, ll2.LevelNormal); len(got) != 1 || got[1].Value.(*SpacecraftConfig).Name != "config one" || got[1].TTL != 6*time.Hour {
		t.Fatalf("configs: %#v", got)
	}
	if scName(m, 1, ll2.LevelNormal) != "one" {
		t.Fatal("a configuration replaced the spacecraft of the same id")
	}
	if got := m.Get(ctx, KindAgency, []int{1, 2}, ll2.LevelList); len(got) != 0 {
		t.Fatalf("agencies: %#v", got)
	}
}

func TestMemoryEntityCacheRicherWins(t *testing.T) {
	ctx := context.Background()
	clk := testkit.NewClock()
	m := NewMemoryEntityCache(1000, DefaultEntityTTLs(), 0, clk.Now)
	defer m.Close()
	m.Put(ctx, &Seen{Spacecraft: []*Spacecraft{sc(7, "rich", ll2.LevelDetailed)}})
	clk.Advance(time.Minute)
	m.Put(ctx, &Seen{Spacecraft: []*Spacecraft{sc(7, "lean", ll2.LevelNormal)}})
	m.Put(ctx, &Seen{Spacecraft: []*Spacecraft{sc(7, "leaner", ll2.LevelList)}})
	if n := scName(m, 7, ll2.LevelList); n != "rich" {
		t.Fatalf("after leaner sightings: %q", n)
	}
	if c := m.Get(ctx, KindSpacecraft, []int{7}, ll2.LevelList)[7]; !c.Stored.Equal(ecT0) {
		t.Fatalf("a refused sighting changed the stored time: %v", c.Stored)
	}
	// An equal sighting is newer data: it replaces, and restarts the age.
	m.Put(ctx, &Seen{Spacecraft: []*Spacecraft{sc(7, "rich2", ll2.LevelDetailed)}})
	if c := m.Get(ctx, KindSpacecraft, []int{7}, ll2.LevelDetailed)[7]; c.Value.(*Spacecraft).Name != "rich2" || !c.Stored.Equal(ecT0.Add(time.Minute)) {
		t.Fatalf("after an equal sighting: %#v", c)
	}
	// A richer one replaces a leaner one.
	m.Put(ctx, &Seen{Families: []*Family{{FamilyMini: ll2.FamilyMini{ID: 3, Name: "normal"}, Level: ll2.LevelNormal}}})
	m.Put(ctx, &Seen{Families: []*Family{{FamilyMini: ll2.FamilyMini{ID: 3, Name: "with configs"}, Level: LevelWithConfigs}}})
	got := m.Get(ctx, KindFamily, []int{3}, LevelWithConfigs)
	if f, ok := got[3].Value.(*Family); !ok || f.Name != "with configs" {
		t.Fatalf("family %#v", got[3].Value)
	}
	// Within one response, whatever the order, the richer stays.
	for _, order := range [][]ll2.Level{{ll2.LevelDetailed, ll2.LevelList}, {ll2.LevelList, ll2.LevelDetailed}} {
		var seen Seen
		for _, l := range order {
			seen.Agencies = append(seen.Agencies, &Agency{AgencyNormal: ll2.AgencyNormal{AgencyMini: ll2.AgencyMini{ID: 9, Name: l.String()}}, Level: l})
		}
		m2 := NewMemoryEntityCache(100, DefaultEntityTTLs(), 0, clk.Now)
		m2.Put(ctx, &seen)
		got := m2.Get(ctx, KindAgency, []int{9}, ll2.LevelList)
		m2.Close()
		if a, ok := got[9].Value.(*Agency); !ok || a.Name != "detailed" {
			t.Fatalf("order %v: agency %#v", order, got[9].Value)
		}
	}
}

func TestMemoryEntityCacheTTL(t *testing.T) {
	ctx := context.Background()
	clk := testkit.NewClock()
	ttl := DefaultEntityTTLs()
	m := NewMemoryEntityCache(1000, ttl, 0, clk.Now)
	defer m.Close()
	m.Put(ctx, &Seen{
		Spacecraft: []*Spacecraft{sc(1, "rich", ll2.LevelDetailed)},
		Configs:    []*SpacecraftConfig{{SpacecraftConfigBase: ll2.SpacecraftConfigBase{ID: 1}, Level: ll2.LevelNormal}},
	})
	clk.Advance(ttl[KindSpacecraft] - time.Nanosecond)
	if scName(m, 1, ll2.LevelDetailed) != "rich" {
		t.Fatal("expired before its TTL")
	}
	clk.Advance(time.Nanosecond)
	if n := scName(m, 1, ll2.LevelList); n != "" {
		t.Fatalf("served %q at its TTL", n)
	}
	// Configurations keep longer.
	if got := m.Get(ctx, KindConfig, []int{1}, ll2.LevelList); len(got) != 1 {
		t.Fatal("configuration expired with the spacecraft's TTL")
	}
	// An expired richer entity does not keep out a leaner sighting.
	m.Put(ctx, &Seen{Spacecraft: []*Spacecraft{sc(1, "lean", ll2.LevelNormal)}})
	if n := scName(m, 1, ll2.LevelNormal); n != "lean" {
		t.Fatalf("after the rich one expired: %q", n)
	}
	if n := scName(m, 1, ll2.LevelDetailed); n != "" {
		t.Fatalf("detailed lookup found %q", n)
	}
	clk.Advance(ttl[KindConfig])
	if got := m.Get(ctx, KindConfig, []int{1}, ll2.LevelList); len(got) != 0 {
		t.Fatal("configuration outlived its TTL")
	}
}

func TestMemoryEntityCacheRealClockExpiry(t *testing.T) {
	ctx := context.Background()
	var ttl EntityTTLs
	for k := range ttl {
		ttl[k] = 30 * time.Millisecond
	}
	m := NewMemoryEntityCache(100, ttl, 0, nil)
	defer m.Close()
	m.Put(ctx, &Seen{Spacecraft: []*Spacecraft{sc(1, "one", ll2.LevelNormal)}})
	if scName(m, 1, ll2.LevelNormal) != "one" {
		t.Fatal("miss right after Put")
	}
	testkit.WaitFor(t, "the entry to expire", func() bool { return scName(m, 1, ll2.LevelNormal) == "" })
}

func TestMemoryEntityCacheBound(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryEntityCache(100, DefaultEntityTTLs(), 0, nil)
	defer m.Close()
	const n = 10_000
	ids := make([]int, n)
	for i := range n {
		ids[i] = i
		m.Put(ctx, &Seen{Spacecraft: []*Spacecraft{sc(i, "x", ll2.LevelNormal)}})
	}
	m.c.CleanUp()
	if got := len(m.Get(ctx, KindSpacecraft, ids, ll2.LevelList)); got > 100 || got < 50 {
		t.Fatalf("%d of %d entities kept, bound 100", got, n)
	}
	if s := m.c.EstimatedSize(); s > 100 {
		t.Fatalf("estimated size %d, bound 100", s)
	}
}

// Concurrent sightings of one entity at two levels must leave the richer one, as a
// sequence of them would.
func TestMemoryEntityCacheConcurrentPut(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryEntityCache(10_000, DefaultEntityTTLs(), 0, nil)
	defer m.Close()
	const ids, rounds = 50, 20
	for r := range rounds {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for id := range ids {
			id := r*ids + id
			for g := range 4 {
				wg.Go(func() {
					<-start
					l := ll2.LevelNormal
					if g == 0 {
						l = ll2.LevelDetailed
					}
					m.Put(ctx, &Seen{Spacecraft: []*Spacecraft{sc(id, l.String(), l)}})
					m.Get(ctx, KindSpacecraft, []int{id}, ll2.LevelList)
				})
			}
		}
		close(start)
		wg.Wait()
		for id := r * ids; id < (r+1)*ids; id++ {
			if n := scName(m, id, ll2.LevelList); n != "detailed" {
				t.Fatalf("round %d: entity %d is %q after concurrent sightings, want the detailed one", r, id, n)
			}
		}
	}
}

func TestEntityTTLsFollowTheAnswerCache(t *testing.T) {
	if got := DefaultEntityTTLs(); got[KindSpacecraft] != time.Hour || got[KindConfig] != 6*time.Hour || got[KindFamily] != 6*time.Hour {
		t.Errorf("defaults %v: want upstream's defaults", got)
	}
	ttls := economy.DefaultTTLs()
	ttls.ByPrefix["spacecraft/"] = 5 * time.Minute
	if got := EntityTTLsFor(ttls); got[KindSpacecraft] != 5*time.Minute || got[KindAgency] != 6*time.Hour {
		t.Errorf("with spacecraft fresh for 5 minutes: %v", got)
	}
}

func TestSeenLifetime(t *testing.T) {
	now := ecT0
	for _, c := range []struct {
		name       string
		s          Seen
		ttl        time.Duration
		wantStored time.Time
		wantFresh  time.Duration
	}{
		{"unknown answer: stored now", Seen{}, time.Hour, now, time.Hour},
		{"an answer 20 minutes old, fresh 40 more", Seen{Fetched: now.Add(-20 * time.Minute), Expires: now.Add(40 * time.Minute)}, time.Hour, now.Add(-20 * time.Minute), time.Hour},
		{"a kind that keeps longer than its answer", Seen{Fetched: now.Add(-20 * time.Minute), Expires: now.Add(40 * time.Minute)}, 6 * time.Hour, now.Add(-20 * time.Minute), time.Hour},
		{"a kind that keeps shorter", Seen{Fetched: now.Add(-20 * time.Minute), Expires: now.Add(40 * time.Minute)}, 30 * time.Minute, now.Add(-20 * time.Minute), 30 * time.Minute},
		{"a stale answer", Seen{Fetched: now.Add(-90 * time.Minute), Expires: now.Add(-90 * time.Minute)}, 6 * time.Hour, now.Add(-90 * time.Minute), 0},
	} {
		stored, fresh := c.s.Lifetime(c.ttl, now)
		if !stored.Equal(c.wantStored) || fresh != c.wantFresh {
			t.Errorf("%s: Lifetime = %v, %v; want %v, %v", c.name, stored, fresh, c.wantStored, c.wantFresh)
		}
	}
}

// TestMemoryEntityCacheAnswersAge checks that entities are as old as their answer and
// no fresher: an entity from an answer read 20 minutes after its fetch is 20 minutes
// old, one embedded in another kind's answer expires with that answer, and one from a
// stale answer is never fresh; it only stands in (GetStale) for MaxStale.
func TestMemoryEntityCacheAnswersAge(t *testing.T) {
	ctx := context.Background()
	clk := testkit.NewClock()
	m := NewMemoryEntityCache(100, DefaultEntityTTLs(), 24*time.Hour, clk.Now)
	defer m.Close()
	cfg := func(id int, name string) *SpacecraftConfig {
		return &SpacecraftConfig{SpacecraftConfigBase: ll2.SpacecraftConfigBase{ID: id, Name: name}, Level: ll2.LevelDetailed}
	}
	// A spacecraft answer fetched 20 minutes ago (fresh for an hour) embeds config 1.
	m.Put(ctx, &Seen{Spacecraft: []*Spacecraft{sc(1, "one", ll2.LevelDetailed)}, Configs: []*SpacecraftConfig{cfg(1, "c1")},
		Fetched: ecT0.Add(-20 * time.Minute), Expires: ecT0.Add(40 * time.Minute)})
	got := m.Get(ctx, KindConfig, []int{1}, ll2.LevelNormal)[1]
	if !got.Stored.Equal(ecT0.Add(-20*time.Minute)) || got.TTL != time.Hour || !got.Fresh(clk.Now()) {
		t.Fatalf("config from a 20-minute-old answer: stored %v, TTL %v", got.Stored, got.TTL)
	}
	clk.Advance(40 * time.Minute)
	if got := m.Get(ctx, KindConfig, []int{1}, ll2.LevelNormal); len(got) != 0 {
		t.Fatal("the configuration outlived the answer it came from")
	}
	if got := m.GetStale(ctx, KindConfig, []int{1}, ll2.LevelNormal); len(got) != 1 || got[1].Fresh(clk.Now()) {
		t.Fatalf("the stale configuration does not stand in: %v", got)
	}
	// A stale answer's entities are stale from the start.
	m.Put(ctx, &Seen{Configs: []*SpacecraftConfig{cfg(2, "c2")}, Fetched: ecT0.Add(-90 * time.Minute), Expires: ecT0.Add(-90 * time.Minute)})
	if got := m.Get(ctx, KindConfig, []int{2}, ll2.LevelNormal); len(got) != 0 {
		t.Fatal("an entity from a stale answer was served as fresh")
	}
	if got := m.GetStale(ctx, KindConfig, []int{2}, ll2.LevelNormal)[2]; !got.Stored.Equal(ecT0.Add(-90 * time.Minute)) {
		t.Fatalf("stale entity stored %v, want its answer's time", got.Stored)
	}
	// A stale sighting does not replace a fresh one, even a leaner one; a fresh one
	// replaces a stale one; at the same freshness and level, the newer wins.
	m.Put(ctx, &Seen{Configs: []*SpacecraftConfig{{SpacecraftConfigBase: ll2.SpacecraftConfigBase{ID: 3, Name: "fresh"}, Level: ll2.LevelNormal}}})
	m.Put(ctx, &Seen{Configs: []*SpacecraftConfig{cfg(3, "stale")}, Fetched: clk.Now().Add(-7 * time.Hour), Expires: clk.Now().Add(-time.Hour)})
	if got := m.Get(ctx, KindConfig, []int{3}, ll2.LevelNormal)[3]; got.Value.(*SpacecraftConfig).Name != "fresh" {
		t.Fatalf("a stale sighting replaced a fresh one: %q", got.Value.(*SpacecraftConfig).Name)
	}
	m.Put(ctx, &Seen{Configs: []*SpacecraftConfig{cfg(2, "c2 again")}})
	if got := m.Get(ctx, KindConfig, []int{2}, ll2.LevelNormal)[2]; got.Value.(*SpacecraftConfig).Name != "c2 again" {
		t.Fatal("a fresh sighting did not replace a stale one")
	}
	m.Put(ctx, &Seen{Configs: []*SpacecraftConfig{cfg(2, "older")}, Fetched: clk.Now().Add(-time.Minute)})
	if got := m.Get(ctx, KindConfig, []int{2}, ll2.LevelNormal)[2]; got.Value.(*SpacecraftConfig).Name != "c2 again" {
		t.Fatal("an older sighting replaced a newer one")
	}
	// Past MaxStale nothing stands in, and an answer that old is not kept at all.
	clk.Advance(25 * time.Hour)
	if got := m.GetStale(ctx, KindConfig, []int{1}, ll2.LevelNormal); len(got) != 0 {
		t.Fatal("served past MaxStale")
	}
	m.Put(ctx, &Seen{Configs: []*SpacecraftConfig{cfg(4, "ancient")}, Fetched: clk.Now().Add(-48 * time.Hour), Expires: clk.Now().Add(-47 * time.Hour)})
	if got := m.GetStale(ctx, KindConfig, []int{4}, ll2.LevelNormal); len(got) != 0 {
		t.Fatal("kept an entity past MaxStale")
	}
}
