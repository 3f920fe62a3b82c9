package catalog

import (
	"context"
	"time"

	"github.com/maypok86/otter/v2"

	"spacegraph/economy"
	"spacegraph/ll2"
)

// EntityCache keeps every entity any response brought, across requests, so that an
// object seen once (a detailed configuration inside a detailed spacecraft page)
// answers later lookups of it at its level without a call. An entity is as old as the
// LL2 answer it came from and fresh no longer than that answer (Seen.Fetched and
// Seen.Expires): an entity seen in a stale answer is stale from the start. Stale
// entities are kept a while longer, to stand in when LL2 fails, as the answer cache's
// stale copies do. Implementations must be safe for concurrent use.
type EntityCache interface {
	// Get returns the fresh cached entities of kind k among ids at level l or richer,
	// as the kind's entity type (*Spacecraft, *SpacecraftConfig, *Agency, *Family,
	// *SpacecraftFlight, *DockingEvent).
	Get(ctx context.Context, k Kind, ids []int, l ll2.Level) map[int]Cached
	// GetStale is Get for entities past their freshness too (within the cache's
	// MaxStale): what stands in when LL2 fails to bring them again.
	GetStale(ctx context.Context, k Kind, ids []int, l ll2.Level) map[int]Cached
	// Put records the entities of one response: a richer entity replaces a leaner one,
	// a newer one an older one, and a stale one never replaces a fresh one.
	Put(ctx context.Context, s *Seen)
}

// Cached is an entity from the cache with the time of the LL2 answer it came from
// and how long from then it is fresh, so that responses can say how old their data
// is and whether it is stale.
type Cached struct {
	Value  any
	Stored time.Time
	TTL    time.Duration
}

// Fresh reports whether the entity is within its freshness at now.
func (c Cached) Fresh(now time.Time) bool { return now.Sub(c.Stored) < c.TTL }

// Lifetime returns when an entity of s was stored, as the time of the answer it came
// from (now when unknown), and how long from then it is fresh: no longer than ttl, the
// kind's, nor than the answer (zero or negative when the answer was stale).
func (s *Seen) Lifetime(ttl time.Duration, now time.Time) (stored time.Time, fresh time.Duration) {
	stored = s.Fetched
	if stored.IsZero() {
		stored = now
	}
	fresh = ttl
	if !s.Expires.IsZero() {
		fresh = min(fresh, s.Expires.Sub(stored))
	}
	return stored, max(0, fresh)
}

// Keeps reports whether a cache holding old should keep it rather than write a new
// sighting of the same entity (level lv, stored and fresh as Lifetime gives): a fresh
// entity is not replaced by a stale one; between two equally fresh (or stale) ones,
// the richer wins, then the newer.
func Keeps(old Cached, lv ll2.Level, stored time.Time, fresh time.Duration, now time.Time) bool {
	oldFresh, newFresh := old.Fresh(now), now.Sub(stored) < fresh
	if oldFresh != newFresh {
		return oldFresh
	}
	ol, _ := EntityLevel(old.Value)
	return ol > lv || (ol == lv && old.Stored.After(stored))
}

// EntityTTLs gives how long an entity of each kind stays fresh, counted from the time
// of the LL2 answer it came from.
type EntityTTLs [numKinds]time.Duration

// DefaultEntityTTLs follows economy.DefaultTTLs.
func DefaultEntityTTLs() EntityTTLs {
	return EntityTTLsFor(economy.DefaultTTLs())
}

// EntityTTLsFor gives each kind the answer cache's TTL of its endpoint, so that the
// entities follow a configured answer cache (--cache-ttl). An entity is counted from
// its answer's fetch and never outlives that answer's freshness (an object embedded in
// another kind's answer lives as long as that answer), so it is never fresher than
// the answer cache would be.
func EntityTTLsFor(t economy.TTLs) EntityTTLs {
	var e EntityTTLs
	for k, path := range map[Kind]string{KindSpacecraft: "spacecraft/", KindConfig: "spacecraft_configurations/", KindAgency: "agencies/",
		KindFamily: "spacecraft_configuration_families/", KindFlight: ll2.SpacecraftFlightEndpoint.Path, KindDockingEvent: ll2.DockingEventEndpoint.Path} {
		e[k] = t.For(path)
	}
	return e
}

type entityKey struct {
	kind Kind
	id   int
}

// MemoryEntityCache is an EntityCache in process memory, bounded by entry count.
type MemoryEntityCache struct {
	c        *otter.Cache[entityKey, Cached]
	ttl      EntityTTLs
	maxStale time.Duration
	now      func() time.Time
}

// NewMemoryEntityCache returns a cache of at most maxEntries entities, keeping stale
// ones for maxStale past their freshness; now is the clock that ages them (nil:
// time.Now).
func NewMemoryEntityCache(maxEntries int, ttl EntityTTLs, maxStale time.Duration, now func() time.Time) *MemoryEntityCache {
	if now == nil {
		now = time.Now
	}
	m := &MemoryEntityCache{ttl: ttl, maxStale: max(0, maxStale), now: now}
	m.c = otter.Must(&otter.Options[entityKey, Cached]{
		MaximumSize: maxEntries,
		// An upper bound of what is left of an entity's life: otter's clock is the
		// real one, and Get and GetStale judge by the cache's.
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[entityKey, Cached]) time.Duration {
			return e.Value.TTL + m.maxStale
		}),
	})
	return m
}

// Close stops the cache's clean-up goroutine; the cache must not be used after.
func (m *MemoryEntityCache) Close() error {
	m.c.StopAllGoroutines()
	return nil
}

// EntityLevel returns an entity's level and id.
func EntityLevel(v any) (ll2.Level, int) {
	switch n := v.(type) {
	case *Spacecraft:
		return n.Level, n.ID
	case *SpacecraftConfig:
		return n.Level, n.ID
	case *Agency:
		return n.Level, n.ID
	case *Family:
		return n.Level, n.ID
	case *SpacecraftFlight:
		return n.Level, n.ID
	case *DockingEvent:
		return n.Level, n.ID
	}
	return ll2.LevelNone, 0
}

// Get returns the fresh cached entities at level l or richer.
func (m *MemoryEntityCache) Get(_ context.Context, k Kind, ids []int, l ll2.Level) map[int]Cached {
	return m.get(k, ids, l, 0)
}

// GetStale returns the cached entities at level l or richer, fresh or within
// maxStale past their freshness.
func (m *MemoryEntityCache) GetStale(_ context.Context, k Kind, ids []int, l ll2.Level) map[int]Cached {
	return m.get(k, ids, l, m.maxStale)
}

func (m *MemoryEntityCache) get(k Kind, ids []int, l ll2.Level, stale time.Duration) map[int]Cached {
	out := make(map[int]Cached, len(ids))
	now := m.now()
	for _, id := range ids {
		c, ok := m.c.GetIfPresent(entityKey{k, id})
		if !ok || now.Sub(c.Stored) >= c.TTL+stale {
			continue
		}
		if lv, _ := EntityLevel(c.Value); lv >= l {
			out[id] = c
		}
	}
	return out
}

// Put records entities, keeping the better of two sightings (see Keeps).
func (m *MemoryEntityCache) Put(_ context.Context, s *Seen) {
	now := m.now()
	put := func(k Kind, v any) {
		if m.ttl[k] <= 0 {
			return // a kind that is not to be kept
		}
		lv, id := EntityLevel(v)
		stored, fresh := s.Lifetime(m.ttl[k], now)
		if now.Sub(stored) >= fresh+m.maxStale {
			return // too old even to stand in
		}
		// Compare and write in one step: concurrent sightings must not let a worse
		// entity overwrite a better one written between the look and the write.
		m.c.Compute(entityKey{k, id}, func(old Cached, found bool) (Cached, otter.ComputeOp) {
			if found && Keeps(old, lv, stored, fresh, now) {
				return old, otter.CancelOp
			}
			return Cached{Value: v, Stored: stored, TTL: fresh}, otter.WriteOp
		})
	}
	for _, n := range s.Spacecraft {
		put(KindSpacecraft, n)
	}
	for _, n := range s.Configs {
		put(KindConfig, n)
	}
	for _, n := range s.Agencies {
		put(KindAgency, n)
	}
	for _, n := range s.Families {
		put(KindFamily, n)
	}
	for _, n := range s.Flights {
		put(KindFlight, n)
	}
	for _, n := range s.DockingEvents {
		put(KindDockingEvent, n)
	}
}
