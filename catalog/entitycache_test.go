package catalog

import (
	"context"
	"sync"
	"testing"
	"time"

	"spacegraph/ll2"
	"spacegraph/upstream"
)

var ecT0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// ecClock is a simulated clock.
type ecClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *ecClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *ecClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

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
	clk := &ecClock{t: ecT0}
	m := NewMemoryEntityCache(1000, DefaultEntityTTLs(), clk.Now)
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
			if !got[id].Stored.Equal(ecT0) || got[id].TTL != 30*time.Minute {
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
	if got := m.Get(ctx, KindConfig, []int{1, 2}, ll2.LevelNormal); len(got) != 1 || got[1].Value.(*SpacecraftConfig).Name != "config one" || got[1].TTL != 3*time.Hour {
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
	clk := &ecClock{t: ecT0}
	m := NewMemoryEntityCache(1000, DefaultEntityTTLs(), clk.Now)
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
		m2 := NewMemoryEntityCache(100, DefaultEntityTTLs(), clk.Now)
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
	clk := &ecClock{t: ecT0}
	ttl := DefaultEntityTTLs()
	m := NewMemoryEntityCache(1000, ttl, clk.Now)
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
	m := NewMemoryEntityCache(100, ttl, nil)
	defer m.Close()
	m.Put(ctx, &Seen{Spacecraft: []*Spacecraft{sc(1, "one", ll2.LevelNormal)}})
	if scName(m, 1, ll2.LevelNormal) != "one" {
		t.Fatal("miss right after Put")
	}
	deadline := time.Now().Add(10 * time.Second)
	for scName(m, 1, ll2.LevelNormal) != "" {
		if time.Now().After(deadline) {
			t.Fatal("never expired")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestMemoryEntityCacheBound(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryEntityCache(100, DefaultEntityTTLs(), nil)
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
	m := NewMemoryEntityCache(10_000, DefaultEntityTTLs(), nil)
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
	if got := DefaultEntityTTLs(); got[KindSpacecraft] != 30*time.Minute || got[KindConfig] != 3*time.Hour || got[KindFamily] != 3*time.Hour {
		t.Errorf("defaults %v: want half of upstream's defaults", got)
	}
	ttls := upstream.DefaultTTLs()
	ttls.ByPrefix["spacecraft/"] = 5 * time.Minute
	if got := EntityTTLsFor(ttls); got[KindSpacecraft] != 150*time.Second || got[KindAgency] != 3*time.Hour {
		t.Errorf("with spacecraft fresh for 5 minutes: %v", got)
	}
}
