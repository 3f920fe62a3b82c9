package catalog

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"spacegraph/ll2"
)

// The ll2 client decodes an answer once and hands the same value to every request
// that reads the same bytes (its memo). Building entities from such a value is the
// same work each time, and was a fifth of a warm uncached query's CPU: so the entities
// built from one decoded page are kept beside it, for as long as the decoded value
// lives, and a later request reuses them. Entities are shared read-only, as the
// entity cache already shares them (graph's upgrade copies before it changes one).
// What belongs to the request, the answer's age and freshness, is not kept.

// builtPage is what one decoded page gave: its items and every entity it brought.
type builtPage[E any] struct {
	items []*E
	seen  Seen // without Fetched and Expires
	// shared is when the entities were last put in the entity cache, with the
	// answer time they were put with (unix nanoseconds; see shareDue).
	shared, fetched atomic.Int64
}

// shareRefresh is how often a request that reuses a built page puts its entities in
// the entity cache again: often enough to keep a hot page's entities there and their
// freshness current, rarely enough not to redo, per request, hundreds of cache writes
// (5% of a warm uncached query's CPU) that change nothing.
const shareRefresh = time.Second

// shareDue reports whether this request should put the page's entities in the entity
// cache: the first time, when the answer behind them is newer (revalidated), or
// shareRefresh after the last time; it then records now as the last time. An answer
// time is computed per request as now minus the answer's age, so that the same answer
// gives times a few nanoseconds apart: it counts as newer only by shareRefresh or more
// (a revalidation is that much later; an earlier one is shared at the next refresh).
func (b *builtPage[E]) shareDue(now, fetched time.Time) bool {
	last := b.shared.Load()
	newer := fetched.UnixNano()-b.fetched.Load() >= int64(shareRefresh)
	if last != 0 && !newer && now.UnixNano()-last < int64(shareRefresh) {
		return false
	}
	if !b.shared.CompareAndSwap(last, now.UnixNano()) {
		return false // another request is putting them
	}
	b.fetched.Store(fetched.UnixNano())
	return true
}

// pageKey names a decoded page weakly, by its first record (the client hands each
// request its own List header, but the records are the decoded value's), with the
// number of records and the entity level its items were built at.
type pageKey[T any] struct {
	first weak.Pointer[T]
	n     int
	level ll2.Level
}

// pageMemo keeps builtPages by decoded page; an entry goes when its page is collected.
type pageMemo[T, E any] struct {
	mu sync.Mutex
	m  map[pageKey[T]]*builtPage[E]
}

// get returns what res gave at level l, building it on the first call.
func (pm *pageMemo[T, E]) get(res *ll2.List[T], l ll2.Level, build func() *builtPage[E]) *builtPage[E] {
	if len(res.Results) == 0 || res.Results[0] == nil {
		return build()
	}
	first := res.Results[0]
	k := pageKey[T]{weak.Make(first), len(res.Results), l}
	pm.mu.Lock()
	b, ok := pm.m[k]
	pm.mu.Unlock()
	if ok {
		return b
	}
	b = build()
	pm.mu.Lock()
	defer pm.mu.Unlock()
	if prev, ok := pm.m[k]; ok {
		return prev // built meanwhile by another request: one copy for all
	}
	if pm.m == nil {
		pm.m = map[pageKey[T]]*builtPage[E]{}
	}
	pm.m[k] = b
	runtime.AddCleanup(first, pm.forget, k)
	return b
}

func (pm *pageMemo[T, E]) forget(k pageKey[T]) {
	pm.mu.Lock()
	delete(pm.m, k)
	pm.mu.Unlock()
}

// clipped returns s with every list at its length's capacity, so that a request that
// appends to its copy of a shared Seen reallocates rather than writing into the
// backing array other requests read.
func (s Seen) clipped() Seen {
	s.Spacecraft = slices.Clip(s.Spacecraft)
	s.Configs = slices.Clip(s.Configs)
	s.Agencies = slices.Clip(s.Agencies)
	s.Families = slices.Clip(s.Families)
	s.Flights = slices.Clip(s.Flights)
	s.DockingEvents = slices.Clip(s.DockingEvents)
	return s
}
