package catalog

import (
	"context"
	"time"

	"github.com/maypok86/otter/v2"

	"spacegraph/ll2"
	"spacegraph/upstream"
)

// EntityCache keeps every entity any response brought, across requests, so that an
// object seen once (a detailed configuration inside a detailed spacecraft page)
// answers later lookups of it at its level without a call. Implementations must be
// safe for concurrent use.
type EntityCache interface {
	// Get returns the cached entities of kind k among ids at level l or richer, as the
	// kind's entity type (*Spacecraft, *SpacecraftConfig, *Agency, *Family).
	Get(ctx context.Context, k Kind, ids []int, l ll2.Level) map[int]Cached
	// Put records the entities of one response; a richer entity replaces a leaner one.
	Put(ctx context.Context, s *Seen)
}

// Cached is an entity from the cache with when it was stored and how long it is kept,
// so that responses can say how old their data is.
type Cached struct {
	Value  any
	Stored time.Time
	TTL    time.Duration
}

// EntityTTLs gives how long an entity of each kind is kept. Entities are counted from
// when a response was read, which may be a cached answer already some time old; the
// TTLs are therefore half the answer cache's, which bounds an entity's age to one and
// a half times the answer cache's TTL.
type EntityTTLs [numKinds]time.Duration

// DefaultEntityTTLs halves upstream.DefaultTTLs.
func DefaultEntityTTLs() EntityTTLs {
	return EntityTTLsFor(upstream.DefaultTTLs())
}

// EntityTTLsFor halves the answer cache's TTL of each kind's endpoint, so that the
// entities follow a configured answer cache (--cache-ttl): with spacecraft fresh for
// five minutes, a spacecraft entity may not answer for thirty.
func EntityTTLsFor(t upstream.TTLs) EntityTTLs {
	var e EntityTTLs
	for k, path := range map[Kind]string{KindSpacecraft: "spacecraft/", KindConfig: "spacecraft_configurations/", KindAgency: "agencies/", KindFamily: "spacecraft_configuration_families/"} {
		e[k] = t.For(path) / 2
	}
	return e
}

type entityKey struct {
	kind Kind
	id   int
}

// MemoryEntityCache is an EntityCache in process memory, bounded by entry count.
type MemoryEntityCache struct {
	c   *otter.Cache[entityKey, Cached]
	ttl EntityTTLs
	now func() time.Time
}

// NewMemoryEntityCache returns a cache of at most maxEntries entities; now is the
// clock that ages them (nil: time.Now).
func NewMemoryEntityCache(maxEntries int, ttl EntityTTLs, now func() time.Time) *MemoryEntityCache {
	if now == nil {
		now = time.Now
	}
	m := &MemoryEntityCache{ttl: ttl, now: now}
	m.c = otter.Must(&otter.Options[entityKey, Cached]{
		MaximumSize: maxEntries,
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[entityKey, Cached]) time.Duration {
			return m.ttl[e.Key.kind]
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
	}
	return ll2.LevelNone, 0
}

// Get returns the cached entities at level l or richer.
func (m *MemoryEntityCache) Get(_ context.Context, k Kind, ids []int, l ll2.Level) map[int]Cached {
	out := map[int]Cached{}
	now := m.now()
	for _, id := range ids {
		c, ok := m.c.GetIfPresent(entityKey{k, id})
		if !ok || now.Sub(c.Stored) >= c.TTL {
			continue
		}
		if lv, _ := EntityLevel(c.Value); lv >= l {
			out[id] = c
		}
	}
	return out
}

// Put records entities, keeping the richer of two sightings.
func (m *MemoryEntityCache) Put(_ context.Context, s *Seen) {
	now := m.now()
	put := func(k Kind, v any) {
		lv, id := EntityLevel(v)
		// Compare and write in one step: concurrent sightings must not let a leaner
		// entity overwrite a richer one written between the look and the write.
		m.c.Compute(entityKey{k, id}, func(old Cached, found bool) (Cached, otter.ComputeOp) {
			if found && now.Sub(old.Stored) < old.TTL {
				if ol, _ := EntityLevel(old.Value); ol > lv {
					return old, otter.CancelOp
				}
			}
			return Cached{Value: v, Stored: now, TTL: m.ttl[k]}, otter.WriteOp
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
}
