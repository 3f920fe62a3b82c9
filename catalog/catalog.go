// Package catalog is the gateway's access to the LL2 domain: "give me this page of
// spacecraft at this level", "give me these configurations at this level". It decides
// which LL2 calls answer a request most cheaply (a detail call per object, or one crawl
// of a small collection answered locally with LL2's own query semantics), turns LL2
// objects into entities, and returns with every page and batch the entities it built
// (the per-request loaders prime themselves from them).
package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"spacegraph/economy"
	"spacegraph/ll2"
)

// remember keeps the entities of one answer in the entity cache and returns them, for
// the caller to prime its own lookups with. It returns a copy of the ingest's record,
// so that a page the request keeps does not keep the ingest's maps alive too.
func (c *Catalog) remember(ctx context.Context, in *ingest) *Seen {
	seen := in.seen
	if c.entities != nil {
		c.entities.Put(ctx, &seen)
	}
	return &seen
}

// Options configure a Catalog.
type Options struct {
	// Client calls LL2 (or the built-in server).
	Client *ll2.Client
	// MaxConcurrentCalls bounds the detail calls one batch runs at once.
	MaxConcurrentCalls int
	// CollectionTTL is how long a crawled collection answers local queries.
	CollectionTTL time.Duration
	// PrefetchTTL is how long a collection crawled by Prefetch counts as fresh: the
	// interval between prefetches (0: CollectionTTL). Past it the collection still
	// answers, until the next Prefetch replaces it, but its answers are marked stale.
	PrefetchTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Entities, when set, keeps entities across requests.
	Entities EntityCache
}

// Catalog answers the gateway's questions about the LL2 domain. It is safe for
// concurrent use and shared by all requests.
type Catalog struct {
	client   *ll2.Client
	entities EntityCache
	bound    int
	ttl      time.Duration
	pinTTL   time.Duration
	now      func() time.Time

	sizes [numKinds]atomic.Int64

	crawls      singleflight.Group
	mu          sync.Mutex
	collections map[collectionKey]*collection
	inflight    map[collectionKey]int
}

// Defaults for Options.
const (
	DefaultMaxConcurrentCalls = 8
	DefaultCollectionTTL      = 10 * time.Minute
)

// New returns a catalog over opts.Client.
func New(opts Options) *Catalog {
	c := &Catalog{client: opts.Client, entities: opts.Entities, bound: opts.MaxConcurrentCalls, ttl: opts.CollectionTTL, now: opts.Now, collections: map[collectionKey]*collection{}, inflight: map[collectionKey]int{}}
	if c.bound <= 0 {
		c.bound = DefaultMaxConcurrentCalls
	}
	if c.ttl <= 0 {
		c.ttl = DefaultCollectionTTL
	}
	c.pinTTL = opts.PrefetchTTL
	if c.pinTTL <= 0 {
		c.pinTTL = c.ttl
	}
	if c.now == nil {
		c.now = time.Now
	}
	for k := range numKinds {
		c.sizes[k].Store(int64(estimatedSize[k]))
	}
	return c
}

// Client returns the LL2 client the catalog calls.
func (c *Catalog) Client() *ll2.Client { return c.client }

// Kind is one of the fetchable kinds of LL2 object.
type Kind int8

// The kinds.
const (
	KindSpacecraft Kind = iota
	KindConfig
	KindAgency
	KindFamily
	KindFlight
	KindDockingEvent
	numKinds
)

// estimatedSize is each collection's size until LL2 gives a count: the sizes of LL2's
// collections, and for flights and docking events those of the synthetic LL2-scale
// data, which has as many flights as its spacecraft's flights_count say. They only
// price crawls (CrawlCost) before the first list call, whose count replaces them.
var estimatedSize = [numKinds]int{KindSpacecraft: 600, KindConfig: 46, KindAgency: 311, KindFamily: 30,
	KindFlight: 2300, KindDockingEvent: 1100}

// Size returns the last unfiltered count LL2 gave for a kind, or the estimate.
func (c *Catalog) Size(k Kind) int { return int(c.sizes[k].Load()) }

// CrawlCost is how many calls a crawl of a kind's whole collection takes.
func (c *Catalog) CrawlCost(k Kind) int { return max(1, (c.Size(k)+ll2.MaxLimit-1)/ll2.MaxLimit) }

// unfiltered reports whether a query's count is the whole collection's.
func unfiltered(q ll2.ListParams) bool { return len(q.Filter) == 0 && q.Search == "" }

// Page is one page of entities and the total count of the query.
type Page[E any] struct {
	Count int
	Items []*E
	// Seen is every entity the answer behind the page brought: the items and the
	// objects they embed.
	Seen *Seen
}

// kind binds an LL2 endpoint to its entity type.
type kind[T any, E any] struct {
	k        Kind
	endpoint *ll2.Endpoint[T]
	list     func(*ll2.Client, context.Context, ll2.ListParams) (*ll2.List[T], error)
	get      func(*ll2.Client, context.Context, int) (*T, error)
	node     func(*ingest, *T, ll2.Level) *E
	// mode maps a wanted entity level to the list mode that gives it, and detail is
	// the level detail calls and crawls at the top mode give.
	mode   func(ll2.Level) ll2.Level
	detail ll2.Level
	// extraLevel maps the list mode to the entity level (only families differ).
	extraLevel func(ll2.Level) ll2.Level
	// built keeps the entities built from each decoded page (pagememo.go).
	built pageMemo[T, E]
}

func sameLevel(l ll2.Level) ll2.Level { return l }

func clampMode(lo, hi ll2.Level) func(ll2.Level) ll2.Level {
	return func(l ll2.Level) ll2.Level { return min(max(l, lo), hi) }
}

var spacecraftKind = &kind[ll2.SpacecraftDetailed, Spacecraft]{
	k: KindSpacecraft, endpoint: ll2.SpacecraftEndpoint,
	list: (*ll2.Client).ListSpacecraft, get: (*ll2.Client).GetSpacecraft,
	node: (*ingest).spacecraftNode, mode: clampMode(ll2.LevelNormal, ll2.LevelDetailed),
	detail: ll2.LevelDetailed, extraLevel: sameLevel,
}

var configKind = &kind[ll2.SpacecraftConfigDetailed, SpacecraftConfig]{
	k: KindConfig, endpoint: ll2.SpacecraftConfigEndpoint,
	list: (*ll2.Client).ListSpacecraftConfigs, get: (*ll2.Client).GetSpacecraftConfig,
	node: (*ingest).configNode, mode: clampMode(ll2.LevelNormal, ll2.LevelDetailed),
	detail: ll2.LevelDetailed, extraLevel: sameLevel,
}

var agencyKind = &kind[ll2.AgencyDetailed, Agency]{
	k: KindAgency, endpoint: ll2.AgencyEndpoint,
	list: (*ll2.Client).ListAgencies, get: (*ll2.Client).GetAgency,
	node: (*ingest).agencyNode, mode: clampMode(ll2.LevelList, ll2.LevelDetailed),
	detail: ll2.LevelDetailed, extraLevel: sameLevel,
}

// familyKind: the family endpoint's detailed mode carries the configurations list,
// so a detailed family from a list or detail call is LevelWithConfigs.
var familyKind = &kind[ll2.FamilyEndpointDetailed, Family]{
	k: KindFamily, endpoint: ll2.FamilyEndpoint,
	list: (*ll2.Client).ListFamilies, get: (*ll2.Client).GetFamily,
	node: (*ingest).familyNode, mode: clampMode(ll2.LevelList, ll2.LevelDetailed),
	detail: LevelWithConfigs,
	extraLevel: func(l ll2.Level) ll2.Level {
		if l == ll2.LevelDetailed {
			return LevelWithConfigs
		}
		return l
	},
}

// list fetches one page at the mode that gives level q.Mode, answering locally when a
// fresh crawl of the whole collection is at hand at a level that covers both the
// selection and what the query filters, searches and orders by.
func list[T, E any](ctx context.Context, c *Catalog, k *kind[T, E], q ll2.ListParams) (*Page[E], error) {
	mode := k.mode(q.Mode)
	if local, ok := localMode(k, q, mode); ok {
		if coll := lookupCollection[T](c, k.k, local); coll != nil {
			return localPage(ctx, c, k, coll, q, nil)
		}
	}
	q.Mode = mode
	res, src, err := sourced(ctx, c, func(ctx context.Context) (*ll2.List[T], error) { return k.list(c.client, ctx, q) })
	if err != nil {
		return nil, err
	}
	if unfiltered(q) {
		c.sizes[k.k].Store(int64(res.Count))
	}
	level := k.extraLevel(mode)
	b := k.built.get(res, level, func() *builtPage[E] {
		in := newIngest(source{})
		items := make([]*E, len(res.Results))
		for i, t := range res.Results {
			items[i] = k.node(in, t, level)
		}
		return &builtPage[E]{items: slices.Clip(items), seen: in.seen.clipped()}
	})
	in := &ingest{seen: b.seen}
	in.seen.Fetched, in.seen.Expires = src.fetched, src.expires
	seen := &in.seen
	if b.shareDue(c.now(), src.fetched) {
		seen = c.remember(ctx, in)
	}
	return &Page[E]{Count: res.Count, Items: b.items, Seen: seen}, nil
}

// localMode is the mode a crawl must have to answer q locally, given the mode its
// selection needs: a crawl at a leaner mode lacks what richer filters read (its
// records would match no filter on it). ok is false when no crawl can answer q (LL2
// filters by data its wire format does not carry).
func localMode[T, E any](k *kind[T, E], q ll2.ListParams, mode ll2.Level) (ll2.Level, bool) {
	pq, err := localQuery(k, q)
	if err != nil {
		return mode, true // the local answer reports the error
	}
	need := k.endpoint.Needs(&pq)
	if need > ll2.LevelDetailed {
		return mode, false
	}
	return max(mode, k.mode(need)), true
}

// localQuery parses q as the query engine reads it, without window or mode.
func localQuery[T, E any](k *kind[T, E], q ll2.ListParams) (ll2.Query, error) {
	return k.endpoint.ParseQuery(q.Selection().Values())
}

// localPage answers a query from a crawled collection with LL2's query semantics;
// keep, when set, restricts the collection first (a reverse relation LL2 cannot filter).
// Records that hold less than the query reads (a partial snapshot's, which say so)
// refuse the query as the built-in server does, with a KindNotInSnapshot error.
func localPage[T, E any](ctx context.Context, c *Catalog, k *kind[T, E], coll *collection, q ll2.ListParams, keep func(*T) bool) (*Page[E], error) {
	pq, err := localQuery(k, q)
	if err != nil {
		return nil, fmt.Errorf("catalog: local query: %w", err)
	}
	items := coll.items.([]*T)
	if keep != nil {
		kept := make([]*T, 0, len(items))
		for _, t := range items {
			if keep(t) {
				kept = append(kept, t)
			}
		}
		items = kept
	}
	if lacking := k.endpoint.Unanswerable(&pq, items, coll.mode); lacking != nil {
		body := ll2.NewNotInSnapshotBody(k.endpoint.Path, lacking)
		return nil, &ll2.Error{Kind: ll2.KindNotInSnapshot, Op: "crawl " + k.endpoint.Path, Detail: body.Detail, Lacking: lacking}
	}
	sel := k.endpoint.Select(&pq, items)
	// No limit is LL2's default, as when the query goes to LL2.
	win := ll2.Window(sel, q.Offset, cmp.Or(q.Limit, ll2.DefaultLimit))
	now := c.now()
	coll.report(ctx, now)
	in := newIngest(coll.source(now))
	page := &Page[E]{Count: len(sel), Items: make([]*E, len(win))}
	for i, t := range win {
		page.Items[i] = k.node(in, t, k.extraLevel(coll.mode))
	}
	page.Seen = c.remember(ctx, in)
	return page, nil
}

// getMany fetches objects by id at level l or above, in as few calls as it can: one
// detail call per id, run concurrently under a bound, unless crawling the whole
// collection costs fewer calls. Objects LL2 does not have get a NotFound error. seen
// holds every entity the answers brought (the objects and those they embed), one
// Seen per answer.
func getMany[T, E any](ctx context.Context, c *Catalog, k *kind[T, E], ids []int, l ll2.Level) (found map[int]*E, failed map[int]error, seen []*Seen) {
	ids = dedupe(ids)
	b := &lookup[E]{found: make(map[int]*E, len(ids)), failed: map[int]error{}}
	if len(ids) == 0 {
		return b.found, b.failed, nil
	}
	if c.entities != nil {
		if ids = takeCached(ctx, c, c.entities.Get(ctx, k.k, ids, l), ids, b); len(ids) == 0 {
			return b.found, b.failed, b.seen
		}
	}
	fetchMany(ctx, c, k, ids, l, b)
	// LL2 failed for some: entities kept past their freshness stand in, marked stale,
	// as the answer cache's stale copies do. An object LL2 says is gone does not come
	// back.
	if c.entities != nil && len(b.failed) > 0 {
		var retry []int
		for id, err := range b.failed {
			if kind := ll2.KindOf(err); kind != ll2.KindNotFound && kind != ll2.KindBadRequest {
				retry = append(retry, id)
			}
		}
		if len(retry) > 0 {
			stale := c.entities.GetStale(ctx, k.k, retry, l)
			takeCached(ctx, c, stale, retry, b)
			for id := range stale {
				if b.found[id] != nil {
					delete(b.failed, id)
				}
			}
		}
	}
	return b.found, b.failed, b.seen
}

// cachedMany answers ids at level l or above from the entity cache alone: what
// getMany finds before it calls LL2, for callers that send the rest through a loader
// batch (loaders.Entity.LoadNow), which then prices and fetches it as one.
func cachedMany[T, E any](ctx context.Context, c *Catalog, k *kind[T, E], ids []int, l ll2.Level) (map[int]*E, []*Seen) {
	b := &lookup[E]{found: make(map[int]*E, len(ids))}
	if c.entities != nil && len(ids) > 0 {
		takeCached(ctx, c, c.entities.Get(ctx, k.k, ids, l), ids, b)
	}
	return b.found, b.seen
}

// lookup is what getMany gathers: the objects found, the errors of the others, and
// the entities of every answer.
type lookup[E any] struct {
	mu     sync.Mutex
	found  map[int]*E
	failed map[int]error
	seen   []*Seen
}

// takeCached moves the entities of cached into b, accounting for each one's age and
// staleness in the request's report, and returns the ids it did not find. The cached
// entities come back as one Seen of their own, with no answer time: they are already
// in the entity cache.
func takeCached[E any](ctx context.Context, c *Catalog, cached map[int]Cached, ids []int, b *lookup[E]) (rest []int) {
	if len(cached) == 0 {
		return ids
	}
	seen := &Seen{}
	rep, now := economy.ReportFrom(ctx), c.now()
	for _, id := range ids {
		hit, ok := cached[id]
		v, isE := hit.Value.(*E)
		if !ok || !isE {
			rest = append(rest, id)
			continue
		}
		b.found[id] = v
		seen.add(v)
		rep.UseData(hit.Stored, hit.TTL, now, !hit.Fresh(now))
	}
	b.seen = append(b.seen, seen)
	return rest
}

// fetchMany fetches the ids from LL2 into b: each object, or its error.
func fetchMany[T, E any](ctx context.Context, c *Catalog, k *kind[T, E], ids []int, l ll2.Level, b *lookup[E]) {
	// A fresh or running crawl answers any batch; otherwise crawl when that costs
	// fewer calls than one detail call per id.
	mode := k.mode(l)
	running, isRunning := c.crawling(k.k, mode)
	if isRunning {
		mode = running
	}
	if isRunning || lookupCollection[T](c, k.k, mode) != nil || (len(ids) > 1 && len(ids) > c.CrawlCost(k.k)) {
		coll, err := crawl(ctx, c, k, mode)
		if err == nil {
			now := c.now()
			coll.report(ctx, now)
			in := newIngest(coll.source(now))
			byID := coll.index.(map[int]*T)
			for _, id := range ids {
				if t, ok := byID[id]; ok {
					b.found[id] = k.node(in, t, k.extraLevel(coll.mode))
				} else {
					b.failed[id] = &ll2.Error{Kind: ll2.KindNotFound, Op: "crawl " + k.endpoint.Path, Detail: fmt.Sprintf("id %d is not in the collection", id)}
				}
			}
			b.seen = append(b.seen, c.remember(ctx, in))
			return
		}
		// The crawl failed part-way. Where it was the cheaper way (more ids than its
		// pages), a detail call per id is calls the request's plan did not count (it
		// counts a batch as the fewer of the two, graph.PlanCalls): they would take
		// the room of other fields under the request's call limit, and past it answer
		// QUERY_TOO_COMPLEX for what is LL2's failure; without a limit they would
		// spend a call per object on an LL2 that just failed. The ids get the crawl's
		// error (and, below, their stale copies). Fewer ids fall back to detail calls,
		// which may succeed for some and report precise errors for the others.
		if len(ids) > c.CrawlCost(k.k) {
			for _, id := range ids {
				b.failed[id] = err
			}
			return
		}
	}
	var g errgroup.Group
	g.SetLimit(c.bound)
	for _, id := range ids {
		g.Go(func() error {
			// Each answer has its own age: its entities are recorded apart.
			t, src, err := sourced(ctx, c, func(ctx context.Context) (*T, error) { return k.get(c.client, ctx, id) })
			if err != nil {
				b.mu.Lock()
				b.failed[id] = err
				b.mu.Unlock()
				return nil
			}
			in := newIngest(src)
			n := k.node(in, t, k.detail)
			seen := c.remember(ctx, in)
			b.mu.Lock()
			b.found[id] = n
			b.seen = append(b.seen, seen)
			b.mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
}

// source is when the LL2 answer behind some entities was fetched, and when it stops
// being fresh (zero: unknown).
type source struct{ fetched, expires time.Time }

// sourceOf reads the report of one call (or one crawl): its answer is as old as the
// oldest data it used and fresh until the soonest of it expires; an answer served
// stale expires when it was fetched.
func (c *Catalog) sourceOf(s economy.Summary) source {
	now := c.now()
	src := source{fetched: now.Add(-s.MaxAge)}
	switch {
	case s.Stale > 0:
		src.expires = src.fetched
	case s.FreshKnown:
		src.expires = now.Add(s.MinFresh)
	}
	return src
}

// sourced makes one call under a report of its own, so that the entities it brings
// carry its answer's age and freshness, and adds that report to the request's. Its
// calls are the request's, under the request's call limit.
func sourced[R any](ctx context.Context, c *Catalog, call func(context.Context) (R, error)) (R, source, error) {
	cctx, rep := economy.WithSubReport(ctx)
	r, err := call(cctx)
	sum := rep.Summary()
	economy.ReportFrom(ctx).Include(sum)
	return r, c.sourceOf(sum), err
}

func dedupe(ids []int) []int {
	seen := make(map[int]bool, len(ids))
	out := make([]int, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// ListSpacecraft fetches a page of spacecraft.
func (c *Catalog) ListSpacecraft(ctx context.Context, q ll2.ListParams) (*Page[Spacecraft], error) {
	return list(ctx, c, spacecraftKind, q)
}

// ListConfigs fetches a page of configurations.
func (c *Catalog) ListConfigs(ctx context.Context, q ll2.ListParams) (*Page[SpacecraftConfig], error) {
	return list(ctx, c, configKind, q)
}

// ListAgencies fetches a page of agencies.
func (c *Catalog) ListAgencies(ctx context.Context, q ll2.ListParams) (*Page[Agency], error) {
	return list(ctx, c, agencyKind, q)
}

// ListFamilies fetches a page of families.
func (c *Catalog) ListFamilies(ctx context.Context, q ll2.ListParams) (*Page[Family], error) {
	return list(ctx, c, familyKind, q)
}

// CachedSpacecraft answers the spacecraft of ids the entity cache holds at level l or
// above, without a call (see cachedMany).
func (c *Catalog) CachedSpacecraft(ctx context.Context, ids []int, l ll2.Level) (map[int]*Spacecraft, []*Seen) {
	return cachedMany(ctx, c, spacecraftKind, ids, l)
}

// CachedConfigs answers the configurations of ids the entity cache holds at level l or
// above, without a call (see cachedMany).
func (c *Catalog) CachedConfigs(ctx context.Context, ids []int, l ll2.Level) (map[int]*SpacecraftConfig, []*Seen) {
	return cachedMany(ctx, c, configKind, ids, l)
}

// CachedAgencies answers the agencies of ids the entity cache holds at level l or
// above, without a call (see cachedMany).
func (c *Catalog) CachedAgencies(ctx context.Context, ids []int, l ll2.Level) (map[int]*Agency, []*Seen) {
	return cachedMany(ctx, c, agencyKind, ids, l)
}

// CachedFamilies answers the families of ids the entity cache holds at level l or
// above, without a call (see cachedMany).
func (c *Catalog) CachedFamilies(ctx context.Context, ids []int, l ll2.Level) (map[int]*Family, []*Seen) {
	return cachedMany(ctx, c, familyKind, ids, l)
}

// GetSpacecraft fetches spacecraft by id at level l or above, with the entities
// each answer brought.
func (c *Catalog) GetSpacecraft(ctx context.Context, ids []int, l ll2.Level) (map[int]*Spacecraft, map[int]error, []*Seen) {
	return getMany(ctx, c, spacecraftKind, ids, l)
}

// GetConfigs fetches configurations by id at level l or above, with the entities
// each answer brought.
func (c *Catalog) GetConfigs(ctx context.Context, ids []int, l ll2.Level) (map[int]*SpacecraftConfig, map[int]error, []*Seen) {
	return getMany(ctx, c, configKind, ids, l)
}

// GetAgencies fetches agencies by id at level l or above, with the entities
// each answer brought.
func (c *Catalog) GetAgencies(ctx context.Context, ids []int, l ll2.Level) (map[int]*Agency, map[int]error, []*Seen) {
	return getMany(ctx, c, agencyKind, ids, l)
}

// GetFamilies fetches families by id at level l or above, with the entities
// each answer brought.
func (c *Catalog) GetFamilies(ctx context.Context, ids []int, l ll2.Level) (map[int]*Family, map[int]error, []*Seen) {
	return getMany(ctx, c, familyKind, ids, l)
}
