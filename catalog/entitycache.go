package catalog

import (
	"context"
	"time"

	"github.com/maypok86/otter/v2"

	"spacegraph/ll2"
)

// EntityCache keeps every entity any response brought, across requests, so that an
// object seen once (a detailed configuration inside a detailed spacecraft page)
// answers later lookups of it at its level without a call. Implementations must be
// safe for concurrent use.
type EntityCache interface {
	// Get returns the cached entities of kind k among ids at level l or richer, as the
	// kind's entity type (*Spacecraft, *SpacecraftConfig, *Agency, *Family).
	Get(ctx context.Context, k Kind, ids []int, l ll2.Level) map[int]any
	// Put records the entities of one response; a richer entity replaces a leaner one.
	Put(ctx context.Context, s *Seen)
}

// EntityTTLs gives how long an entity of each kind is kept. Entities are counted from
// when a response was read, which may be a cached answer already some time old; the
// TTLs are therefore half the answer cache's, which bounds an entity's age to one and
// a half times the answer cache's TTL.
type EntityTTLs [numKinds]time.Duration

// DefaultEntityTTLs halves upstream.DefaultTTLs.
func DefaultEntityTTLs() EntityTTLs {
	return EntityTTLs{KindSpacecraft: 30 * time.Minute, KindConfig: 3 * time.Hour, KindAgency: 3 * time.Hour, KindFamily: 3 * time.Hour}
}

type entityKey struct {
	kind Kind
	id   int
}

// MemoryEntityCache is an EntityCache in process memory, bounded by entry count.
type MemoryEntityCache struct {
	c   *otter.Cache[entityKey, any]
	ttl EntityTTLs
}

// NewMemoryEntityCache returns a cache of at most maxEntries entities.
func NewMemoryEntityCache(maxEntries int, ttl EntityTTLs) *MemoryEntityCache {
	m := &MemoryEntityCache{ttl: ttl}
	m.c = otter.Must(&otter.Options[entityKey, any]{
		MaximumSize: maxEntries,
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[entityKey, any]) time.Duration {
			return m.ttl[e.Key.kind]
		}),
	})
	return m
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
func (m *MemoryEntityCache) Get(_ context.Context, k Kind, ids []int, l ll2.Level) map[int]any {
	out := map[int]any{}
	for _, id := range ids {
		if v, ok := m.c.GetIfPresent(entityKey{k, id}); ok {
			if lv, _ := EntityLevel(v); lv >= l {
				out[id] = v
			}
		}
	}
	return out
}

// Put records entities, keeping the richer of two sightings.
func (m *MemoryEntityCache) Put(_ context.Context, s *Seen) {
	put := func(k Kind, v any) {
		lv, id := EntityLevel(v)
		key := entityKey{k, id}
		if old, ok := m.c.GetIfPresent(key); ok {
			if ol, _ := EntityLevel(old); ol > lv {
				return
			}
		}
		m.c.Set(key, v)
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
