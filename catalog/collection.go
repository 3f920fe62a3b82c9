package catalog

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"spacegraph/economy"
	"spacegraph/ll2"
)

// A collection is a whole LL2 collection crawled at one mode, kept for a while to
// answer queries locally with the same query engine as the built-in LL2 server: a
// batch of many ids, or a reverse connection over many parents, costs one crawl
// instead of a call per object.
type collection struct {
	mode    ll2.Level
	items   any // []*T in id order
	index   any // map[int]*T
	fetched time.Time
	// ttl is how long the collection counts as fresh: the catalog's CollectionTTL, or
	// its PrefetchTTL for a pinned one, which is crawled again only that often.
	ttl time.Duration
	// pinned collections come from Prefetch: they answer until the next prefetch
	// replaces them, whatever their age.
	pinned bool
	// expires is when the crawled pages stop being fresh (zero: unknown; fetched or
	// earlier: a page was served stale), which bounds the freshness of the entities
	// taken from the collection.
	expires time.Time
}

// stale reports whether the collection answers past its own freshness at now.
func (coll *collection) stale(now time.Time) bool { return now.Sub(coll.fetched) > coll.ttl }

// report accounts for an answer from the collection in the request's report.
func (coll *collection) report(ctx context.Context, now time.Time) {
	economy.ReportFrom(ctx).UseData(coll.fetched, coll.ttl, now, coll.stale(now))
}

// source is the collection as the entities taken from it at now see it: as old as its
// oldest page, fresh until its pages expire, and stale from the start when the
// collection answers stale.
func (coll *collection) source(now time.Time) source {
	if coll.stale(now) {
		return source{fetched: coll.fetched, expires: coll.fetched}
	}
	return source{fetched: coll.fetched, expires: coll.expires}
}

type collectionKey struct {
	kind Kind
	mode ll2.Level
}

// crawlTimeout bounds a crawl, which runs detached from the request that started it
// so that a cancelled request does not spoil the crawl for those sharing it.
const crawlTimeout = time.Minute

// lookupCollection returns a fresh collection of kind k at mode or richer, or nil.
func lookupCollection[T any](c *Catalog, k Kind, mode ll2.Level) *collection {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for m := mode; m <= ll2.LevelDetailed; m++ {
		if coll, ok := c.collections[collectionKey{k, m}]; ok && (coll.pinned || now.Sub(coll.fetched) < coll.ttl) {
			return coll
		}
	}
	return nil
}

// crawling reports whether a crawl of kind k at mode or richer is under way, so that
// a small batch arriving meanwhile waits for it rather than spending calls of its own.
func (c *Catalog) crawling(k Kind, mode ll2.Level) (ll2.Level, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for m := ll2.LevelDetailed; m >= mode; m-- {
		if c.inflight[collectionKey{k, m}] > 0 {
			return m, true
		}
	}
	return ll2.LevelNone, false
}

// crawl fetches the whole collection of a kind at mode, 100 per call, the first page
// alone (it tells the count) and the rest concurrently. Concurrent crawls of the same
// collection share one.
func crawl[T, E any](ctx context.Context, c *Catalog, k *kind[T, E], mode ll2.Level) (*collection, error) {
	if coll := lookupCollection[T](c, k.k, mode); coll != nil {
		return coll, nil
	}
	key := strconv.Itoa(int(k.k)) + "/" + mode.String()
	ck := collectionKey{k.k, mode}
	c.mu.Lock()
	c.inflight[ck]++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inflight[ck]--
		c.mu.Unlock()
	}()
	do := func() (any, error) {
		if coll := lookupCollection[T](c, k.k, mode); coll != nil {
			return coll, nil
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), crawlTimeout)
		defer cancel()
		return fetchCollection(cctx, c, k, mode, false)
	}
	v, err, _ := c.crawls.Do(key, do)
	if economy.RefusedForAnother(ctx, err) {
		// The request that led the crawl reached its call limit: that limit is not
		// this request's, so it crawls itself (the pages already fetched are cached).
		v, err = do()
	}
	if err != nil {
		return nil, err
	}
	return v.(*collection), nil
}

// fetchCollection crawls a collection and keeps it.
func fetchCollection[T, E any](ctx context.Context, c *Catalog, k *kind[T, E], mode ll2.Level, pinned bool) (*collection, error) {
	// The crawl's own report tells the age of its oldest page: the collection is as
	// old as that, not as old as the moment the crawl ended (pages can come from the
	// answer cache, or stand in stale when LL2 fails). Its calls are the request's,
	// under the request's call limit.
	cctx, rep := economy.WithSubReport(ctx)
	items, err := crawlPages(cctx, c, k, mode)
	if errors.Is(err, errCrawlMismatch) {
		// Each page was fine alone, but one is out of date (kept from before LL2's
		// collection changed, or served while it changed): fetch them all again from
		// LL2, once, so that the kept pages agree rather than spoil every crawl until
		// they expire.
		items, err = crawlPages(economy.WithRevalidate(cctx), c, k, mode)
	}
	sum := rep.Summary()
	economy.ReportFrom(ctx).Include(sum)
	if err != nil {
		return nil, err
	}
	index := make(map[int]*T, len(items))
	for _, t := range items {
		index[k.endpoint.ID(t)] = t
	}
	ids := make([]int, 0, len(index))
	for id := range index {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	sorted := make([]*T, len(ids))
	for i, id := range ids {
		sorted[i] = index[id]
	}
	ttl := c.ttl
	if pinned {
		ttl = c.pinTTL
	}
	src := c.sourceOf(sum)
	coll := &collection{mode: mode, items: sorted, index: index, fetched: src.fetched, expires: src.expires, ttl: ttl, pinned: pinned}
	c.mu.Lock()
	c.collections[collectionKey{k.k, mode}] = coll
	// Detailed spacecraft list every flight: the flights collection comes with them.
	if k.k == KindSpacecraft && mode == ll2.LevelDetailed {
		if fl, ok := flightsFromSpacecraft(coll); ok {
			c.collections[collectionKey{KindFlight, ll2.LevelNormal}] = fl
		}
	}
	c.mu.Unlock()
	return coll, nil
}

// Prefetch crawls the whole spacecraft domain at the detailed level (replica mode):
// afterwards every list, lookup and reverse connection is answered locally, with LL2's
// query semantics, until the next Prefetch replaces the crawl. At LL2's size it costs
// about a dozen calls. A kind whose crawl fails keeps its previous crawl.
func (c *Catalog) Prefetch(ctx context.Context) error {
	ctx = economy.WithFreshOnly(ctx)
	var g errgroup.Group
	g.Go(func() error { _, err := fetchCollection(ctx, c, spacecraftKind, ll2.LevelDetailed, true); return err })
	g.Go(func() error { _, err := fetchCollection(ctx, c, configKind, ll2.LevelDetailed, true); return err })
	g.Go(func() error { _, err := fetchCollection(ctx, c, agencyKind, ll2.LevelDetailed, true); return err })
	g.Go(func() error { _, err := fetchCollection(ctx, c, familyKind, ll2.LevelDetailed, true); return err })
	return g.Wait()
}

// errCrawlMismatch marks a crawl whose pages do not add up to the count LL2 gave.
var errCrawlMismatch = errors.New("the pages do not add up")

func crawlPages[T, E any](ctx context.Context, c *Catalog, k *kind[T, E], mode ll2.Level) ([]*T, error) {
	p := ll2.ListParams{Limit: ll2.MaxLimit, Mode: mode}
	if k.endpoint.Ordering("id") != nil {
		p.Ordering = []ll2.OrderKey{{Field: "id"}}
	}
	first, err := k.list(c.client, ctx, p)
	if err != nil {
		return nil, err
	}
	c.sizes[k.k].Store(int64(first.Count))
	items := slices.Clone(first.Results)
	var (
		mu       sync.Mutex
		g        errgroup.Group
		mismatch error
	)
	g.SetLimit(c.bound)
	for off := ll2.MaxLimit; off < first.Count; off += ll2.MaxLimit {
		pp := p
		pp.Offset = off
		g.Go(func() error {
			page, err := k.list(c.client, ctx, pp)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if page.Count != first.Count && mismatch == nil {
				mismatch = fmt.Errorf("the first page counts %d, the page at offset %d %d", first.Count, off, page.Count)
			}
			items = append(items, page.Results...)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("crawl of %s: %w", k.endpoint.Path, err)
	}
	if mismatch == nil {
		ids := make(map[int]bool, len(items))
		for _, t := range items {
			ids[k.endpoint.ID(t)] = true
		}
		if len(ids) != first.Count {
			mismatch = fmt.Errorf("%d distinct objects in pages that count %d", len(ids), first.Count)
		}
	}
	if mismatch != nil {
		return nil, &ll2.Error{Kind: ll2.KindBadResponse, Op: "crawl " + k.endpoint.Path, Status: http.StatusOK, Detail: mismatch.Error(), Err: errCrawlMismatch}
	}
	return items, nil
}

// listPerParent answers one query for several parents: the children of each parent (by
// the LL2 filter parentParam, or by keep when LL2 has no such filter), each with the
// query's own filters, search, order and window. It makes one filtered call per parent,
// or crawls the child collection once when that is cheaper (or the only way) and
// answers every parent locally. expected is how many parents the request asks this
// query for in all: its batches can split (resolvers that reach the loader after its
// wait), and the choice between a crawl and a call per parent is made for all of them,
// so that a split batch does not make calls that the crawl of its siblings makes
// needless.
func listPerParent[T, E any](ctx context.Context, c *Catalog, k *kind[T, E], parentParam string, keep func(parent int) func(*T) bool, parents []int, expected int, q ll2.ListParams) (map[int]*Page[E], map[int]error) {
	parents = dedupe(parents)
	pages := make(map[int]*Page[E], len(parents))
	failed := map[int]error{}
	if keep == nil {
		f := k.endpoint.Filter(parentParam)
		keep = func(parent int) func(*T) bool {
			return func(t *T) bool {
				v := f.Int(t)
				return v != nil && *v == parent
			}
		}
	}
	// The crawl must hold what the query filters, searches and orders by, not only
	// what its selection needs; a query no crawl can answer goes to LL2 per parent.
	mode, canLocal := localMode(k, q, k.mode(q.Mode))
	// A fresh or running crawl answers any batch (batches of one request can split
	// when resolvers arrive after the loader's wait); otherwise crawl when that costs
	// fewer calls than one per parent, or when LL2 has no filter for the relation.
	running, isRunning := c.crawling(k.k, mode)
	if isRunning {
		mode = running
	}
	local := parentParam == "" || (canLocal && (max(len(parents), expected) > c.CrawlCost(k.k) || isRunning || lookupCollection[T](c, k.k, mode) != nil))
	// Under ll2.WithKeptOnly only what needs no call is answered: a fresh collection,
	// taken as it is, since a crawl is shared with whoever asks meanwhile and must
	// never be started by a caller that refuses to call.
	keptOnly := ll2.KeptOnly(ctx)
	if local {
		var (
			coll *collection
			err  error
		)
		if keptOnly {
			if coll = lookupCollection[T](c, k.k, mode); coll == nil || isRunning {
				err = &ll2.Error{Kind: ll2.KindUnavailable, Op: "crawl", Detail: "no collection kept", Err: ll2.ErrNotKept}
			}
		} else {
			coll, err = crawl(ctx, c, k, mode)
		}
		if err != nil {
			for _, p := range parents {
				failed[p] = err
			}
			return pages, failed
		}
		for _, p := range parents {
			page, err := localPage(ctx, c, k, coll, q, keep(p))
			if err != nil {
				failed[p] = err
				continue
			}
			pages[p] = page
		}
		return pages, failed
	}
	// One call per parent, filtered by it.
	var mu sync.Mutex
	listOne := func(p int) {
		pq := q
		pq.Filter = cloneFilter(q.Filter)
		pq.Filter.Set(parentParam, strconv.Itoa(p))
		page, err := list(ctx, c, k, pq)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed[p] = err
		} else {
			pages[p] = page
		}
	}
	if keptOnly {
		// A kept page is answered at once: no goroutine per parent.
		for _, p := range parents {
			listOne(p)
		}
		return pages, failed
	}
	var g errgroup.Group
	g.SetLimit(c.bound)
	for _, p := range parents {
		g.Go(func() error { listOne(p); return nil })
	}
	_ = g.Wait()
	return pages, failed
}

func cloneFilter(v map[string][]string) map[string][]string {
	out := make(map[string][]string, len(v)+1)
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// SpacecraftOfConfigs lists, for each configuration, its spacecraft matching q;
// expected is how many configurations the request asks it for in all (see
// listPerParent).
func (c *Catalog) SpacecraftOfConfigs(ctx context.Context, configs []int, expected int, q ll2.ListParams) (map[int]*Page[Spacecraft], map[int]error) {
	return listPerParent(ctx, c, spacecraftKind, "spacecraft_config", nil, configs, expected, q)
}

// ConfigsOfAgencies lists, for each agency, its configurations matching q.
func (c *Catalog) ConfigsOfAgencies(ctx context.Context, agencies []int, expected int, q ll2.ListParams) (map[int]*Page[SpacecraftConfig], map[int]error) {
	return listPerParent(ctx, c, configKind, "agency", nil, agencies, expected, q)
}

// FamiliesOfAgencies lists, for each agency, the families it manufactures matching q.
func (c *Catalog) FamiliesOfAgencies(ctx context.Context, agencies []int, expected int, q ll2.ListParams) (map[int]*Page[Family], map[int]error) {
	return listPerParent(ctx, c, familyKind, "manufacturer", nil, agencies, expected, q)
}

// ConfigsOfFamilies lists, for each family, its configurations matching q. LL2 cannot
// filter configurations by family, so this always crawls the configurations (a single
// call at LL2's size) and answers locally.
func (c *Catalog) ConfigsOfFamilies(ctx context.Context, families []int, expected int, q ll2.ListParams) (map[int]*Page[SpacecraftConfig], map[int]error) {
	member := func(family int) func(*ll2.SpacecraftConfigDetailed) bool {
		return func(cfg *ll2.SpacecraftConfigDetailed) bool {
			return slices.ContainsFunc(cfg.Family, func(f ll2.FamilyDetailed) bool { return f.ID == family })
		}
	}
	return listPerParent(ctx, c, configKind, "", member, families, expected, q)
}
