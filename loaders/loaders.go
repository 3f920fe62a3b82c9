// Package loaders holds the per-request dataloaders: every nested lookup of a request
// (a configuration's agency, a family's parent, a configuration's spacecraft) goes
// through them, so that the lookups of one request are batched, de-duplicated and
// answered from objects the request has already seen. The loaders learn what the
// request has seen from what the catalog returns to them: the entities of every page
// and batch they fetch, root pages included (ListSpacecraft and its kin).
package loaders

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"spacegraph/catalog"
	"spacegraph/ll2"
	"spacegraph/observe"
)

// DefaultWait is how long a loader collects keys before calling its batch function.
// The library's 16 ms default is paid at every level of nesting; 1 ms is enough for
// the resolvers of one level to queue their keys.
const DefaultWait = time.Millisecond

// Key asks for an object by LL2 id at a level of detail or richer.
type Key struct {
	ID    int
	Level ll2.Level
}

// ReverseKey asks for one page of a parent's children: the parent, the page's query
// as a comparable value (its Params give the query back), and how many parents the
// request asks the page for in all (Expected, at least 1), which the catalog prices
// its calls by however the loader's batches split.
type ReverseKey struct {
	Parent   int
	Query    ll2.ListKey
	Expected int
}

// Loaders are one request's dataloaders.
type Loaders struct {
	Spacecraft *Entity[catalog.Spacecraft]
	Config     *Entity[catalog.SpacecraftConfig]
	Agency     *Entity[catalog.Agency]
	Family     *Entity[catalog.Family]

	// Flight and DockingEvent load by LL2 id: a flight at the list, normal or
	// detailed level (detailed: with its docking events), a docking event at the
	// normal or detailed level.
	Flight       *Entity[catalog.SpacecraftFlight]
	DockingEvent *Entity[catalog.DockingEvent]

	SpacecraftOfConfig *Reverse[catalog.Spacecraft]
	ConfigsOfAgency    *Reverse[catalog.SpacecraftConfig]
	FamiliesOfAgency   *Reverse[catalog.Family]
	ConfigsOfFamily    *Reverse[catalog.SpacecraftConfig]
	// FlightsOfSpacecraft pages a spacecraft's flights (catalog.FlightsOfSpacecraft);
	// a spacecraft at hand at the detailed level needs no loader: catalog.LocalFlights
	// pages what it brought.
	FlightsOfSpacecraft *Reverse[catalog.SpacecraftFlight]
	// DockingEventsOfFlight pages the docking events a flight chases in
	// (catalog.DockingEventsOfFlights); a flight at hand at the detailed level needs no
	// loader: catalog.LocalDockingEvents pages what it brought.
	DockingEventsOfFlight *Reverse[catalog.DockingEvent]

	cat *catalog.Catalog
	// What a loader is made with when it is first used: most requests use few of
	// the twelve, and making them all was a seventh of a request's allocations.
	m    *observe.Metrics
	wait time.Duration

	// The entities the request has seen but not yet indexed in the entity loaders'
	// caches (see lazyCache).
	flushMu   sync.Mutex // held while pending is indexed
	pendingMu sync.Mutex
	pending   []*catalog.Seen
}

// New returns fresh loaders over cat; wait is the batching window (0 means DefaultWait);
// m, which may be nil, records the batches (and traces them when tracing is on).
func New(cat *catalog.Catalog, wait time.Duration, m *observe.Metrics) *Loaders {
	if wait <= 0 {
		wait = DefaultWait
	}
	l := &Loaders{cat: cat, m: m, wait: wait}
	l.Spacecraft = newEntity(l, "spacecraft", cat.GetSpacecraft, cat.CachedSpacecraft)
	l.Config = newEntity(l, "config", cat.GetConfigs, cat.CachedConfigs)
	l.Agency = newEntity(l, "agency", cat.GetAgencies, cat.CachedAgencies)
	l.Family = newEntity(l, "family", cat.GetFamilies, cat.CachedFamilies)
	l.Flight = newEntity(l, "flight", cat.GetFlights, cat.CachedFlights)
	l.DockingEvent = newEntity(l, "docking_event", cat.GetDockingEvents, cat.CachedDockingEvents)
	l.SpacecraftOfConfig = newReverse(l, "spacecraft_of_config", cat.SpacecraftOfConfigs, true)
	l.ConfigsOfAgency = newReverse(l, "configs_of_agency", cat.ConfigsOfAgencies, true)
	l.FamiliesOfAgency = newReverse(l, "families_of_agency", cat.FamiliesOfAgencies, true)
	l.ConfigsOfFamily = newReverse(l, "configs_of_family", cat.ConfigsOfFamilies, true)
	l.FlightsOfSpacecraft = newReverse(l, "flights_of_spacecraft", cat.FlightsOfSpacecraft, false)
	l.DockingEventsOfFlight = newReverse(l, "docking_events_of_flight", cat.DockingEventsOfFlights, false)
	return l
}

func newLoader[K comparable, V any](m *observe.Metrics, name string, wait time.Duration, fn dataloader.BatchFunc[K, V], opts ...dataloader.Option[K, V]) *dataloader.Loader[K, V] {
	return dataloader.NewBatchedLoader(fn, append([]dataloader.Option[K, V]{dataloader.WithWait[K, V](wait),
		dataloader.WithTracer[K, V](observe.NewLoaderTracer[K, V](name, m)),
		dataloader.WithInputCapacity[K, V](inputCapacity)}, opts...)...)
}

// inputCapacity is the buffer of a batch's queue of keys. The library's default
// (1,000) is an 8 KB channel made for every batch, a seventh of what a family with its
// configurations and their spacecraft allocated; a batch of more keys than this only
// waits for the goroutine that collects them, which runs as they arrive.
const inputCapacity = 64

// Entity is the loader of one kind of entity by LL2 id. Its Load batches the keys
// that arrive within the batching window, for resolvers that each hold one key;
// Batch serves a caller that holds many keys at once.
type Entity[E any] struct {
	l      *Loaders
	name   string
	cache  *lazyCache[E]
	get    func(context.Context, []int, ll2.Level) (map[int]*E, map[int]error, []*catalog.Seen)
	cached func(context.Context, []int, ll2.Level) (map[int]*E, []*catalog.Seen)
	once   sync.Once
	ld     *dataloader.Loader[Key, *E]
}

// loader returns the dataloader, made at the first load.
func (e *Entity[E]) loader() *dataloader.Loader[Key, *E] {
	e.once.Do(func() {
		e.ld = newLoader(e.l.m, e.name, e.l.wait, batch(e.l, e.get), dataloader.WithCache[Key, *E](e.cache))
	})
	return e.ld
}

// Load loads the entity of key, batched with the other keys of the batching window.
func (e *Entity[E]) Load(ctx context.Context, key Key) dataloader.Thunk[*E] {
	return e.loader().Load(ctx, key)
}

// LoadMany loads the entities of keys, in key order, as Load does each.
func (e *Entity[E]) LoadMany(ctx context.Context, keys []Key) dataloader.ThunkMany[*E] {
	return e.loader().LoadMany(ctx, keys)
}

// Result is what Batch answers for a key: the entity or the error of its load.
type Result[E any] struct {
	Value *E
	Err   error
}

func newEntity[E any](l *Loaders, name string,
	get func(context.Context, []int, ll2.Level) (map[int]*E, map[int]error, []*catalog.Seen),
	cached func(context.Context, []int, ll2.Level) (map[int]*E, []*catalog.Seen)) *Entity[E] {
	return &Entity[E]{l: l, name: name, cache: newLazyCache[E](l), get: get, cached: cached}
}

// Batch starts loading keys as Load would, and returns the function that waits for
// their results, in key order. What the request has seen or loaded, and what the
// catalog's entity cache holds, is answered at once, without the batching window
// (1 ms) and without a goroutine or a thunk per key; only the rest, which needs LL2,
// goes through Load, so that it joins the other loads of its window in one batch, as
// the call planner priced it. It serves callers that hold many keys at once:
// nodes(ids:) and the upgrade of one depth of embedded objects, which start the
// batches of every kind before they wait for any.
func (e *Entity[E]) Batch(ctx context.Context, keys []Key) func() []Result[E] {
	out := make([]Result[E], len(keys))
	type pending struct {
		i  int
		th dataloader.Thunk[*E]
	}
	var (
		later []pending // keys answered by a thunk: a load in flight, or Load
		miss  []int     // indexes of keys neither the request nor a load knows
		ids   []int
		level = ll2.LevelNone
	)
	for i, k := range keys {
		if v, th, ok := e.cache.find(k); ok {
			if th == nil {
				out[i] = Result[E]{Value: v}
			} else {
				later = append(later, pending{i, th})
			}
			continue
		}
		miss = append(miss, i)
		ids = append(ids, k.ID)
		level = max(level, k.Level)
	}
	if len(miss) > 0 {
		found, seen := e.cached(ctx, ids, level)
		e.l.prime(seen...)
		hits := make([]int, 0, len(found))
		for _, i := range miss {
			if v, ok := found[keys[i].ID]; ok {
				out[i] = Result[E]{Value: v}
				hits = append(hits, i)
				continue
			}
			later = append(later, pending{i, e.Load(ctx, keys[i])})
		}
		e.cache.primeMany(keys, hits, out)
	}
	return func() []Result[E] {
		for _, p := range later {
			v, err := p.th()
			out[p.i] = Result[E]{Value: v, Err: err}
		}
		return out
	}
}

// Reverse is the loader of one kind of reverse page: a parent's children (a
// configuration's spacecraft, an agency's families). Its Load batches the parents
// that arrive within the batching window, so that one crawl or one call per parent
// answers them all; Page first asks for what the process already keeps.
type Reverse[E any] struct {
	l    *Loaders
	name string
	list func(context.Context, []int, int, ll2.ListParams) (map[int]*catalog.Page[E], map[int]error)
	// keptFirst says whether Page asks for a kept page before it loads.
	keptFirst bool
	once      sync.Once
	ld        *dataloader.Loader[ReverseKey, *catalog.Page[E]]
}

func newReverse[E any](l *Loaders, name string,
	list func(context.Context, []int, int, ll2.ListParams) (map[int]*catalog.Page[E], map[int]error), keptFirst bool) *Reverse[E] {
	return &Reverse[E]{l: l, name: name, list: list, keptFirst: keptFirst}
}

// loader returns the dataloader, made at the first load.
func (r *Reverse[E]) loader() *dataloader.Loader[ReverseKey, *catalog.Page[E]] {
	r.once.Do(func() { r.ld = newLoader(r.l.m, r.name, r.l.wait, reverse(r.l, r.list)) })
	return r.ld
}

// Load loads the page of key, batched with the other parents of the batching window.
func (r *Reverse[E]) Load(ctx context.Context, key ReverseKey) dataloader.Thunk[*catalog.Page[E]] {
	return r.loader().Load(ctx, key)
}

// Page returns the page of parent's children that q asks for; expected is how many
// parents the request asks it for in all (ReverseKey.Expected). A page the process
// keeps (a fresh collection that answers it, or LL2's fresh answer to its call) is
// answered at once, without the batching window (1 ms) and the goroutines of a batch:
// once warm, every page of a family's configurations and their spacecraft is kept,
// and each level of them waited a window. Anything else, which needs LL2, goes
// through Load, to be batched with its siblings as the call planner priced it; the
// kept-only attempt makes no call and starts no crawl (ll2.WithKeptOnly).
func (r *Reverse[E]) Page(ctx context.Context, parent, expected int, q ll2.ListParams) (*catalog.Page[E], error) {
	key := ReverseKey{Parent: parent, Query: q.Key(), Expected: expected}
	if r.keptFirst {
		pages, _ := r.list(ll2.WithKeptOnly(ctx), []int{parent}, max(expected, 1), q)
		if p, ok := pages[parent]; ok {
			r.l.prime(p.Seen)
			r.loader().Prime(ctx, key, p)
			return p, nil
		}
	}
	return r.Load(ctx, key)()
}

type ctxKey struct{}

// For returns the request's loaders; it panics when the middleware did not run, a
// wiring error that tests catch at once.
func For(ctx context.Context) *Loaders {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		panic("loaders: no loaders in the context (is loaders.Middleware installed?)")
	}
	return l
}

// WithLoaders returns a context that carries l.
func WithLoaders(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// Middleware gives every request fresh loaders over cat.
func Middleware(cat *catalog.Catalog, wait time.Duration, m *observe.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(WithLoaders(r.Context(), New(cat, wait, m))))
	})
}

// batch adapts a catalog getter to a batch function: each id is fetched once, at the
// richest level any key asks for, the loaders are primed with every entity the answers
// brought, and results come back in key order.
func batch[E any](l *Loaders, get func(context.Context, []int, ll2.Level) (map[int]*E, map[int]error, []*catalog.Seen)) dataloader.BatchFunc[Key, *E] {
	return func(ctx context.Context, keys []Key) []*dataloader.Result[*E] {
		ids := make([]int, 0, len(keys))
		level := ll2.LevelNone
		for _, k := range keys {
			ids = append(ids, k.ID)
			level = max(level, k.Level)
		}
		found, failed, seen := get(ctx, ids, level)
		l.prime(seen...)
		out := make([]*dataloader.Result[*E], len(keys))
		for i, k := range keys {
			if v, ok := found[k.ID]; ok {
				out[i] = &dataloader.Result[*E]{Data: v}
				continue
			}
			err := failed[k.ID]
			if err == nil {
				err = &ll2.Error{Kind: ll2.KindNotFound, Op: "load", Detail: "no answer for id " + strconv.Itoa(k.ID)}
			}
			out[i] = &dataloader.Result[*E]{Error: err}
		}
		return out
	}
}

// reverse adapts a catalog's by-parent listing to a batch function: keys with the same
// query are answered together (the catalog may then crawl once for all parents),
// distinct queries run concurrently, and the loaders are primed with every entity the
// pages brought.
func reverse[E any](l *Loaders, list func(context.Context, []int, int, ll2.ListParams) (map[int]*catalog.Page[E], map[int]error)) dataloader.BatchFunc[ReverseKey, *catalog.Page[E]] {
	return func(ctx context.Context, keys []ReverseKey) []*dataloader.Result[*catalog.Page[E]] {
		groups := map[ll2.ListKey][]int{}
		expected := map[ll2.ListKey]int{}
		for _, k := range keys {
			groups[k.Query] = append(groups[k.Query], k.Parent)
			expected[k.Query] = max(expected[k.Query], k.Expected)
		}
		type answer struct {
			pages  map[int]*catalog.Page[E]
			failed map[int]error
			err    error
		}
		answers := make(map[ll2.ListKey]answer, len(groups))
		var (
			mu sync.Mutex
			wg sync.WaitGroup
		)
		for key, parents := range groups {
			wg.Go(func() {
				var a answer
				if q, err := key.Params(); err != nil {
					a.err = &ll2.Error{Kind: ll2.KindBadRequest, Op: "load", Detail: err.Error()}
				} else {
					a.pages, a.failed = list(ctx, parents, expected[key], q)
					for _, p := range a.pages {
						l.prime(p.Seen)
					}
				}
				mu.Lock()
				answers[key] = a
				mu.Unlock()
			})
		}
		wg.Wait()
		out := make([]*dataloader.Result[*catalog.Page[E]], len(keys))
		for i, k := range keys {
			a := answers[k.Query]
			if p, ok := a.pages[k.Parent]; ok {
				out[i] = &dataloader.Result[*catalog.Page[E]]{Data: p}
				continue
			}
			err := a.err
			if err == nil {
				err = a.failed[k.Parent]
			}
			if err == nil {
				err = &ll2.Error{Kind: ll2.KindBadResponse, Op: "load", Detail: "no answer for parent " + strconv.Itoa(k.Parent)}
			}
			out[i] = &dataloader.Result[*catalog.Page[E]]{Error: err}
		}
		return out
	}
}

// ListSpacecraft fetches a page of spacecraft (catalog.ListSpacecraft) and primes the
// loaders with what it brought.
func (l *Loaders) ListSpacecraft(ctx context.Context, q ll2.ListParams) (*catalog.Page[catalog.Spacecraft], error) {
	return listPrimed(ctx, l, q, l.cat.ListSpacecraft)
}

// ListConfigs fetches a page of configurations (catalog.ListConfigs) and primes the
// loaders with what it brought.
func (l *Loaders) ListConfigs(ctx context.Context, q ll2.ListParams) (*catalog.Page[catalog.SpacecraftConfig], error) {
	return listPrimed(ctx, l, q, l.cat.ListConfigs)
}

// ListAgencies fetches a page of agencies (catalog.ListAgencies) and primes the
// loaders with what it brought.
func (l *Loaders) ListAgencies(ctx context.Context, q ll2.ListParams) (*catalog.Page[catalog.Agency], error) {
	return listPrimed(ctx, l, q, l.cat.ListAgencies)
}

// ListFamilies fetches a page of families (catalog.ListFamilies) and primes the
// loaders with what it brought.
func (l *Loaders) ListFamilies(ctx context.Context, q ll2.ListParams) (*catalog.Page[catalog.Family], error) {
	return listPrimed(ctx, l, q, l.cat.ListFamilies)
}

// ListFlights fetches a page of flights (catalog.ListFlights) and primes the loaders
// with what it brought.
func (l *Loaders) ListFlights(ctx context.Context, q ll2.ListParams) (*catalog.Page[catalog.SpacecraftFlight], error) {
	return listPrimed(ctx, l, q, l.cat.ListFlights)
}

// ListDockingEvents fetches a page of docking events (catalog.ListDockingEvents) and
// primes the loaders with what it brought.
func (l *Loaders) ListDockingEvents(ctx context.Context, q ll2.ListParams) (*catalog.Page[catalog.DockingEvent], error) {
	return listPrimed(ctx, l, q, l.cat.ListDockingEvents)
}

func listPrimed[E any](ctx context.Context, l *Loaders, q ll2.ListParams, list func(context.Context, ll2.ListParams) (*catalog.Page[E], error)) (*catalog.Page[E], error) {
	p, err := list(ctx, q)
	if p != nil {
		l.prime(p.Seen)
	}
	return p, err
}

// prime primes the loaders with entities a request has seen: an object seen at a level
// answers later lookups of it at that level or below. The entities are only recorded
// here; the loaders' caches index them at the first lookup that misses (flush), since
// most requests look nothing up past the page they fetched.
func (l *Loaders) prime(seen ...*catalog.Seen) {
	l.pendingMu.Lock()
	for _, s := range seen {
		if s != nil {
			l.pending = append(l.pending, s)
		}
	}
	l.pendingMu.Unlock()
}

// flush indexes the entities prime recorded in the loaders' caches. It holds flushMu
// throughout, so that a lookup that finds nothing pending while another indexes waits
// for that indexing before it looks again.
func (l *Loaders) flush() {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.pendingMu.Lock()
	pending := l.pending
	l.pending = nil
	l.pendingMu.Unlock()
	for _, s := range pending {
		for _, n := range s.Spacecraft {
			primeLevels(l.Spacecraft.cache, n.ID, ll2.LevelNormal, n.Level, n)
		}
		for _, n := range s.Configs {
			primeLevels(l.Config.cache, n.ID, ll2.LevelNormal, n.Level, n)
		}
		for _, n := range s.Agencies {
			primeLevels(l.Agency.cache, n.ID, ll2.LevelList, n.Level, n)
		}
		for _, n := range s.Families {
			primeLevels(l.Family.cache, n.ID, ll2.LevelList, n.Level, n)
		}
		for _, n := range s.Flights {
			primeLevels(l.Flight.cache, n.ID, ll2.LevelList, n.Level, n)
		}
		for _, n := range s.DockingEvents {
			primeLevels(l.DockingEvent.cache, n.ID, ll2.LevelNormal, n.Level, n)
		}
	}
}

func primeLevels[E any](c *lazyCache[E], id int, from, to ll2.Level, v *E) {
	for lv := from; lv <= to; lv++ {
		c.prime(Key{ID: id, Level: lv}, v)
	}
}

// lazyCache is an entity loader's cache (dataloader.Cache): the loads of the request
// and the entities it has seen, the latter indexed at the first lookup that misses.
// Indexing every entity of every page as it arrived cost a closure and a map entry per
// entity and level, hundreds per page, for requests that mostly never look one up.
// Entities are kept as values: a thunk is made for one only when the dataloader asks
// (Get), not for the lookups of Batch (find).
type lazyCache[E any] struct {
	mu   sync.Mutex
	m    map[Key]dataloader.Thunk[*E] // loads
	vals map[Key]*E                   // entities seen or found
	l    *Loaders
}

var _ dataloader.Cache[Key, *catalog.Spacecraft] = (*lazyCache[catalog.Spacecraft])(nil)

func newLazyCache[E any](l *Loaders) *lazyCache[E] {
	return &lazyCache[E]{m: map[Key]dataloader.Thunk[*E]{}, vals: map[Key]*E{}, l: l}
}

// lookup returns the entity or the load of k, if the cache knows k.
func (c *lazyCache[E]) lookup(k Key) (*E, dataloader.Thunk[*E], bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.m[k]; ok {
		return nil, t, true
	}
	v, ok := c.vals[k]
	return v, nil, ok
}

// find is lookup, indexing the entities seen so far when it misses.
func (c *lazyCache[E]) find(k Key) (*E, dataloader.Thunk[*E], bool) {
	if v, t, ok := c.lookup(k); ok {
		return v, t, true
	}
	c.l.flush()
	return c.lookup(k)
}

// Get returns the thunk of k, indexing the entities seen so far when it misses.
func (c *lazyCache[E]) Get(_ context.Context, k Key) (dataloader.Thunk[*E], bool) {
	v, t, ok := c.find(k)
	if !ok || t != nil {
		return t, ok
	}
	return func() (*E, error) { return v, nil }, true
}

// Set records the thunk of a load.
func (c *lazyCache[E]) Set(_ context.Context, k Key, t dataloader.Thunk[*E]) {
	c.mu.Lock()
	c.m[k] = t
	c.mu.Unlock()
}

// prime records an entity seen, unless k is known already (a load or an earlier
// entity answers it), as dataloader's Prime does.
func (c *lazyCache[E]) prime(k Key, v *E) {
	c.mu.Lock()
	c.keep(k, v)
	c.mu.Unlock()
}

// keep is prime with c.mu held.
func (c *lazyCache[E]) keep(k Key, v *E) {
	if _, ok := c.m[k]; !ok {
		if _, ok := c.vals[k]; !ok {
			c.vals[k] = v
		}
	}
}

// primeMany is prime for the keys of the indexes hits, with their values in out,
// under one lock, and into a map made for them all when it holds nothing yet: the
// entities of a hundred ids one at a time grew the map several times over.
func (c *lazyCache[E]) primeMany(keys []Key, hits []int, out []Result[E]) {
	if len(hits) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.vals) == 0 {
		c.vals = make(map[Key]*E, len(hits))
	}
	for _, i := range hits {
		c.keep(keys[i], out[i].Value)
	}
}

// Delete forgets k.
func (c *lazyCache[E]) Delete(_ context.Context, k Key) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[k]
	_, isVal := c.vals[k]
	delete(c.m, k)
	delete(c.vals, k)
	return ok || isVal
}

// Clear forgets every load and every entity indexed (not those still pending).
func (c *lazyCache[E]) Clear() {
	c.mu.Lock()
	clear(c.m)
	clear(c.vals)
	c.mu.Unlock()
}
