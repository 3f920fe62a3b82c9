package catalog

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync"

	"golang.org/x/sync/errgroup"

	"spacegraph/economy"
	"spacegraph/ll2"
)

// This file answers the questions about flights and docking events: pages of each,
// objects by id, the flights of spacecraft and the docking events of flights, each as
// cheaply as the catalog knows how.
//
// What an answer costs in LL2 calls:
//   - ListFlights, ListDockingEvents: one call, none from a fresh crawl.
//   - GetFlights, GetDockingEvents: none for what the entity cache holds, else one detail
//     call per id, or a crawl of the collection when that takes fewer calls.
//   - LocalFlights, LocalDockingEvents: none; they page what a detailed spacecraft or a
//     detailed flight brought (a page of detailed spacecraft brings every flight of each).
//   - FlightsOfSpacecraft: none for the spacecraft whose detailed entity (or a fresh
//     detailed crawl) is at hand; for the others at the normal level, one
//     spacecraft_flights/?spacecraft=ID call each, or one crawl of the detailed
//     spacecraft (about six calls at LL2's size) when more spacecraft are asked for
//     than that crawl has pages.
//   - DockingEventsOfFlights: none for the flights whose detailed entity is at hand; for
//     the others the cheapest of a docking_events/?flight_vehicle_chaser__id=ID call
//     each, one spacecraft_flights/?spacecraft=ID&mode=detailed call per spacecraft the
//     flights belong to (when the entity cache knows it), or a crawl of docking_events/.

var flightKind = &kind[ll2.SpacecraftFlight, SpacecraftFlight]{
	k: KindFlight, endpoint: ll2.SpacecraftFlightEndpoint,
	list: (*ll2.Client).ListSpacecraftFlights, get: (*ll2.Client).GetSpacecraftFlight,
	node: (*ingest).flightNode, mode: clampMode(ll2.LevelNormal, ll2.LevelDetailed),
	detail: ll2.LevelDetailed, extraLevel: sameLevel,
}

var dockingKind = &kind[ll2.DockingEvent, DockingEvent]{
	k: KindDockingEvent, endpoint: ll2.DockingEventEndpoint,
	list: (*ll2.Client).ListDockingEvents, get: (*ll2.Client).GetDockingEvent,
	node: (*ingest).dockingEventNode, mode: clampMode(ll2.LevelNormal, ll2.LevelDetailed),
	detail: ll2.LevelDetailed, extraLevel: sameLevel,
}

// ListFlights fetches a page of flights (`spacecraft_flights/`). LL2 has no search
// fields there: a search is refused (KindBadRequest) before any call.
func (c *Catalog) ListFlights(ctx context.Context, q ll2.ListParams) (*Page[SpacecraftFlight], error) {
	return list(ctx, c, flightKind, q)
}

// GetFlights fetches flights by id at level l or above, with the entities each answer
// brought.
func (c *Catalog) GetFlights(ctx context.Context, ids []int, l ll2.Level) (map[int]*SpacecraftFlight, map[int]error, []*Seen) {
	return getMany(ctx, c, flightKind, ids, l)
}

// CachedFlights answers the flights of ids the entity cache holds at level l or
// above, without a call (see cachedMany).
func (c *Catalog) CachedFlights(ctx context.Context, ids []int, l ll2.Level) (map[int]*SpacecraftFlight, []*Seen) {
	return cachedMany(ctx, c, flightKind, ids, l)
}

// ListDockingEvents fetches a page of docking events (`docking_events/`).
func (c *Catalog) ListDockingEvents(ctx context.Context, q ll2.ListParams) (*Page[DockingEvent], error) {
	return list(ctx, c, dockingKind, q)
}

// GetDockingEvents fetches docking events by id at level l or above, with the entities
// each answer brought.
func (c *Catalog) GetDockingEvents(ctx context.Context, ids []int, l ll2.Level) (map[int]*DockingEvent, map[int]error, []*Seen) {
	return getMany(ctx, c, dockingKind, ids, l)
}

// CachedDockingEvents answers the docking events of ids the entity cache holds at level l or
// above, without a call (see cachedMany).
func (c *Catalog) CachedDockingEvents(ctx context.Context, ids []int, l ll2.Level) (map[int]*DockingEvent, []*Seen) {
	return cachedMany(ctx, c, dockingKind, ids, l)
}

// localSelect answers q over records with the endpoint's query semantics (filters,
// search, ordering, window), as LL2 would, and maps the page back to entities. The
// entities came with their parent: the page's Seen is empty.
func localSelect[T, E any](e *ll2.Endpoint[T], q ll2.ListParams, records []*T, entity func(*T) *E) (*Page[E], error) {
	op := "local " + e.Path
	if err := e.Validate(q); err != nil {
		return nil, &ll2.Error{Kind: ll2.KindBadRequest, Op: op, Detail: err.Error()}
	}
	pq, err := e.ParseQuery(q.Selection().Values())
	if err != nil {
		return nil, &ll2.Error{Kind: ll2.KindBadRequest, Op: op, Err: err}
	}
	sel := e.Select(&pq, records)
	win := ll2.Window(sel, q.Offset, cmp.Or(q.Limit, ll2.DefaultLimit))
	page := &Page[E]{Count: len(sel), Items: make([]*E, len(win)), Seen: &Seen{}}
	for i, t := range win {
		page.Items[i] = entity(t)
	}
	return page, nil
}

// flightRecord is the part of a flight entity that LL2's flight queries read.
func flightRecord(f *SpacecraftFlight) *ll2.SpacecraftFlight {
	if f == nil {
		return nil
	}
	r := &ll2.SpacecraftFlight{SpacecraftFlightBase: f.SpacecraftFlightBase}
	if f.Spacecraft != nil {
		r.Spacecraft = &ll2.SpacecraftDetailed{SpacecraftBase: f.Spacecraft.SpacecraftBase}
	}
	return r
}

// notHeld is the error of a parent whose children the snapshot being served lacks.
func notHeld(op, param string, what string) error {
	body := ll2.NewNotHeldBody(op, map[string]int{param: 1}, what)
	return &ll2.Error{Kind: ll2.KindNotInSnapshot, Op: "local " + op, Detail: body.Detail, Lacking: body.NotInSnapshot}
}

// LocalFlights pages the flights a detailed spacecraft brought, with LL2's semantics of
// `spacecraft_flights/?spacecraft=ID` (q's ordering and window; the flights are at the
// normal level, so q.Mode may not ask for more). It costs no call. A spacecraft not
// fetched at the detailed level is a KindBadRequest error; one whose record in the
// snapshot being served holds less (its flights not known) a KindNotInSnapshot error.
func LocalFlights(s *Spacecraft, q ll2.ListParams) (*Page[SpacecraftFlight], error) {
	path := ll2.SpacecraftFlightEndpoint.Path
	switch {
	case q.Mode > ll2.LevelNormal:
		return nil, &ll2.Error{Kind: ll2.KindBadRequest, Op: "local " + path, Detail: "a detailed spacecraft brings its flights at the normal level"}
	case s.Level < ll2.LevelDetailed:
		return nil, &ll2.Error{Kind: ll2.KindBadRequest, Op: "local " + path, Detail: fmt.Sprintf("spacecraft %d was fetched at the %s level, without its flights", s.ID, s.Level)}
	case s.Flights == nil:
		return nil, notHeld(path, "spacecraft", fmt.Sprintf("the flights of spacecraft %d", s.ID))
	}
	records := make([]*ll2.SpacecraftFlight, len(s.Flights))
	byID := make(map[int]*SpacecraftFlight, len(s.Flights))
	for i, f := range s.Flights {
		records[i] = flightRecord(f)
		byID[f.ID] = f
	}
	return localSelect(ll2.SpacecraftFlightEndpoint, q, records, func(r *ll2.SpacecraftFlight) *SpacecraftFlight { return byID[r.ID] })
}

// dockingRecord is the part of a docking event entity that LL2's docking event queries
// read.
func dockingRecord(e *DockingEvent) *ll2.DockingEvent {
	return &ll2.DockingEvent{
		DockingEventBase:    e.DockingEventBase,
		SpaceStationTarget:  e.SpaceStation,
		SpaceStationChaser:  e.SpaceStationChaser,
		FlightVehicleChaser: flightRecord(e.Flight),
		FlightVehicleTarget: flightRecord(e.TargetFlight),
		PayloadFlightTarget: e.PayloadFlightTarget,
		PayloadFlightChaser: e.PayloadFlightChaser,
	}
}

// LocalDockingEvents pages the docking events a detailed flight brought (those in which
// it is the chaser), with LL2's semantics of
// `docking_events/?flight_vehicle_chaser__id=ID` (q's filters, search, ordering and
// window). It costs no call. A flight not fetched at the detailed level is a
// KindBadRequest error; one whose record in the snapshot being served holds less a
// KindNotInSnapshot error.
func LocalDockingEvents(f *SpacecraftFlight, q ll2.ListParams) (*Page[DockingEvent], error) {
	path := ll2.DockingEventEndpoint.Path
	switch {
	case f.Level < ll2.LevelDetailed:
		return nil, &ll2.Error{Kind: ll2.KindBadRequest, Op: "local " + path, Detail: fmt.Sprintf("flight %d was fetched at the %s level, without its docking events", f.ID, f.Level)}
	case f.DockingEvents == nil:
		return nil, notHeld(path, "flight_vehicle_chaser__id", fmt.Sprintf("the docking events of flight %d", f.ID))
	}
	records := make([]*ll2.DockingEvent, len(f.DockingEvents))
	byID := make(map[int]*DockingEvent, len(f.DockingEvents))
	for i, e := range f.DockingEvents {
		records[i] = dockingRecord(e)
		byID[e.ID] = e
	}
	return localSelect(ll2.DockingEventEndpoint, q, records, func(r *ll2.DockingEvent) *DockingEvent { return byID[r.ID] })
}

// parentQueryError refuses, for every parent at once, a query that sets the parent's
// filter itself or that LL2 would refuse.
func parentQueryError[T any](e *ll2.Endpoint[T], q ll2.ListParams, parentParam string) error {
	if _, ok := q.Filter[parentParam]; ok {
		return &ll2.Error{Kind: ll2.KindBadRequest, Op: "GET " + e.Path, Detail: parentParam + " is set by the parent"}
	}
	if err := e.Validate(q); err != nil {
		return &ll2.Error{Kind: ll2.KindBadRequest, Op: "GET " + e.Path, Detail: err.Error()}
	}
	return nil
}

func failAll[E any](parents []int, err error) (map[int]*Page[E], map[int]error) {
	failed := make(map[int]error, len(parents))
	for _, p := range parents {
		failed[p] = err
	}
	return map[int]*Page[E]{}, failed
}

// cachedEntities returns the fresh entities of kind k at level l or above that the
// entity cache holds among ids, accounting for their age in the request's report.
func cachedEntities[E any](ctx context.Context, c *Catalog, k Kind, ids []int, l ll2.Level) map[int]*E {
	out := map[int]*E{}
	if c.entities == nil || len(ids) == 0 {
		return out
	}
	rep, now := economy.ReportFrom(ctx), c.now()
	for id, hit := range c.entities.Get(ctx, k, ids, l) {
		if v, ok := hit.Value.(*E); ok {
			out[id] = v
			rep.UseData(hit.Stored, hit.TTL, now, !hit.Fresh(now))
		}
	}
	return out
}

func without[V any](ids []int, done map[int]V) []int {
	rest := make([]int, 0, len(ids))
	for _, id := range ids {
		if _, ok := done[id]; !ok {
			rest = append(rest, id)
		}
	}
	return rest
}

// FlightsOfSpacecraft lists, for each spacecraft, its flights matching q (LL2's
// `spacecraft_flights/?spacecraft=ID`, q without that filter); expected is how many
// spacecraft the request asks it for in all (see listPerParent). Flights wanted at the
// normal level come from what detailed spacecraft bring where that is cheaper: the
// entity cache's, a fresh detailed crawl's, or such a crawl when more spacecraft are
// asked for than it has pages. Flights wanted at the detailed level (with their
// docking events) come from LL2 per spacecraft, or from a crawl of the flights.
func (c *Catalog) FlightsOfSpacecraft(ctx context.Context, spacecraft []int, expected int, q ll2.ListParams) (map[int]*Page[SpacecraftFlight], map[int]error) {
	spacecraft = dedupe(spacecraft)
	if err := parentQueryError(ll2.SpacecraftFlightEndpoint, q, "spacecraft"); err != nil {
		return failAll[SpacecraftFlight](spacecraft, err)
	}
	pages := map[int]*Page[SpacecraftFlight]{}
	failed := map[int]error{}
	local := func(s *Spacecraft, id int) {
		if p, err := LocalFlights(s, q); err != nil {
			failed[id] = err
		} else {
			pages[id] = p
		}
	}
	rest := spacecraft
	if flightKind.mode(q.Mode) <= ll2.LevelNormal {
		for id, s := range cachedEntities[Spacecraft](ctx, c, KindSpacecraft, rest, ll2.LevelDetailed) {
			local(s, id)
		}
		rest = without(without(rest, pages), failed)
		_, running := c.crawling(KindSpacecraft, ll2.LevelDetailed)
		if len(rest) > 0 && (running || lookupCollection[ll2.SpacecraftDetailed](c, KindSpacecraft, ll2.LevelDetailed) != nil ||
			max(len(rest), expected) > c.CrawlCost(KindSpacecraft)) {
			coll, err := crawl(ctx, c, spacecraftKind, ll2.LevelDetailed)
			if err != nil {
				for _, id := range rest {
					failed[id] = err
				}
				return pages, failed
			}
			now := c.now()
			coll.report(ctx, now)
			in := newIngest(coll.source(now))
			byID := coll.index.(map[int]*ll2.SpacecraftDetailed)
			for _, id := range rest {
				if d, ok := byID[id]; ok {
					local(in.spacecraftNode(d, ll2.LevelDetailed), id)
				} else {
					// LL2 filters by a spacecraft it does not have as by any other:
					// no flights.
					pages[id] = &Page[SpacecraftFlight]{Items: []*SpacecraftFlight{}, Seen: &Seen{}}
				}
			}
			seen := c.remember(ctx, in)
			for _, id := range rest {
				if p, ok := pages[id]; ok {
					p.Seen = seen
				}
			}
			return pages, failed
		}
	}
	more, moreFailed := listPerParent(ctx, c, flightKind, "spacecraft", nil, rest, expected, q)
	for id, p := range more {
		pages[id] = p
	}
	for id, err := range moreFailed {
		failed[id] = err
	}
	return pages, failed
}

// DockingEventsOfFlights lists, for each flight, the docking events in which it is the
// chaser, matching q (LL2's `docking_events/?flight_vehicle_chaser__id=ID`, q without
// that filter); expected is how many flights the request asks it for in all. Detailed
// flights in the entity cache answer at no cost; for the others it makes the fewest
// calls of: one filtered call per flight, one detailed flights call per spacecraft
// they belong to (known from the entity cache), or a crawl of the docking events.
func (c *Catalog) DockingEventsOfFlights(ctx context.Context, flights []int, expected int, q ll2.ListParams) (map[int]*Page[DockingEvent], map[int]error) {
	const param = "flight_vehicle_chaser__id"
	flights = dedupe(flights)
	if err := parentQueryError(ll2.DockingEventEndpoint, q, param); err != nil {
		return failAll[DockingEvent](flights, err)
	}
	pages := map[int]*Page[DockingEvent]{}
	failed := map[int]error{}
	local := func(f *SpacecraftFlight, id int) {
		if p, err := LocalDockingEvents(f, q); err != nil {
			failed[id] = err
		} else {
			pages[id] = p
		}
	}
	for id, f := range cachedEntities[SpacecraftFlight](ctx, c, KindFlight, flights, ll2.LevelDetailed) {
		local(f, id)
	}
	rest := without(without(flights, pages), failed)
	if len(rest) == 0 {
		return pages, failed
	}
	// Which spacecraft the other flights belong to, where the entity cache knows.
	bySpacecraft := map[int][]int{}
	unknown := 0
	known := cachedEntities[SpacecraftFlight](ctx, c, KindFlight, rest, ll2.LevelList)
	for _, id := range rest {
		if f, ok := known[id]; ok && f.SpacecraftID() != 0 {
			bySpacecraft[f.SpacecraftID()] = append(bySpacecraft[f.SpacecraftID()], id)
		} else {
			unknown++
		}
	}
	perFlight := max(len(rest), expected)
	_, running := c.crawling(KindDockingEvent, ll2.LevelNormal)
	crawlAtHand := running || lookupCollection[ll2.DockingEvent](c, KindDockingEvent, dockingKind.mode(q.Mode)) != nil
	if unknown == 0 && !crawlAtHand && len(bySpacecraft) < min(perFlight, c.CrawlCost(KindDockingEvent)) {
		var mu sync.Mutex
		var g errgroup.Group
		g.SetLimit(c.bound)
		for sc, ids := range bySpacecraft {
			g.Go(func() error {
				detailed, seen, err := allFlightsOf(ctx, c, sc)
				mu.Lock()
				defer mu.Unlock()
				for _, id := range ids {
					f, ok := detailed[id]
					switch {
					case err != nil:
						failed[id] = err
					case !ok:
						failed[id] = &ll2.Error{Kind: ll2.KindNotFound, Op: "GET " + ll2.SpacecraftFlightEndpoint.Path,
							Detail: fmt.Sprintf("flight %d is not among the flights of spacecraft %d", id, sc)}
					default:
						local(f, id)
						if p := pages[id]; p != nil {
							p.Seen = seen
						}
					}
				}
				return nil
			})
		}
		_ = g.Wait()
		return pages, failed
	}
	more, moreFailed := listPerParent(ctx, c, dockingKind, param, nil, rest, expected, q)
	for id, p := range more {
		pages[id] = p
	}
	for id, err := range moreFailed {
		failed[id] = err
	}
	return pages, failed
}

// allFlightsOf fetches every flight of a spacecraft at the detailed level: one call,
// more for a spacecraft with more than a hundred flights.
func allFlightsOf(ctx context.Context, c *Catalog, spacecraft int) (map[int]*SpacecraftFlight, *Seen, error) {
	q := ll2.ListParams{Limit: ll2.MaxLimit, Mode: ll2.LevelDetailed, Ordering: []ll2.OrderKey{{Field: "id"}},
		Filter: url.Values{"spacecraft": {strconv.Itoa(spacecraft)}}}
	out := map[int]*SpacecraftFlight{}
	all := &Seen{}
	for {
		p, err := list(ctx, c, flightKind, q)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range p.Items {
			out[f.ID] = f
		}
		mergeSeen(all, p.Seen)
		q.Offset += len(p.Items)
		if len(p.Items) == 0 || q.Offset >= p.Count {
			return out, all, nil
		}
	}
}

// mergeSeen adds what b saw to a, keeping a's answer time unless it has none.
func mergeSeen(a, b *Seen) {
	if b == nil {
		return
	}
	a.Spacecraft = append(a.Spacecraft, b.Spacecraft...)
	a.Configs = append(a.Configs, b.Configs...)
	a.Agencies = append(a.Agencies, b.Agencies...)
	a.Families = append(a.Families, b.Families...)
	a.Flights = append(a.Flights, b.Flights...)
	a.DockingEvents = append(a.DockingEvents, b.DockingEvents...)
	if a.Fetched.IsZero() || (!b.Fetched.IsZero() && b.Fetched.Before(a.Fetched)) {
		a.Fetched = b.Fetched
	}
	if a.Expires.IsZero() || (!b.Expires.IsZero() && b.Expires.Before(a.Expires)) {
		a.Expires = b.Expires
	}
}

// flightsFromSpacecraft makes the flights collection out of a detailed spacecraft
// crawl, which lists every flight of every spacecraft at the normal level, so that a
// replica answers flights without crawling them again. ok is false when some record
// does not hold its flights (a partial snapshot's).
func flightsFromSpacecraft(coll *collection) (*collection, bool) {
	var items []*ll2.SpacecraftFlight
	for _, s := range coll.items.([]*ll2.SpacecraftDetailed) {
		if s.Flights == nil || ll2.HeldLevel(coll.mode, s.SnapshotMode) < ll2.LevelDetailed {
			return nil, false
		}
		for i := range s.Flights {
			f := s.Flights[i].Upgrade()
			f.Spacecraft = s
			items = append(items, f)
		}
	}
	slices.SortFunc(items, func(a, b *ll2.SpacecraftFlight) int { return a.ID - b.ID })
	index := make(map[int]*ll2.SpacecraftFlight, len(items))
	for _, f := range items {
		index[f.ID] = f
	}
	out := *coll
	out.mode, out.items, out.index = ll2.LevelNormal, items, index
	return &out, true
}

// LookupList is a lookup table, whole, in id order.
type LookupList[T any] struct {
	Rows []T
	// FromRecords is set when the upstream is a snapshot whose tables hold only the
	// rows its records carry (the embedded default): a value no record has is not in
	// Rows, though LL2's table has it.
	FromRecords bool
}

// lookupTable fetches a whole lookup table, a hundred rows per call (every table but
// perhaps the countries fits in one). The answer cache keeps lookup tables a day
// (economy.DefaultTTLs, "config/"), so a warm table costs no call.
func lookupTable[T any](ctx context.Context, c *Catalog, path string, id func(T) int) (*LookupList[T], error) {
	first, err := ll2.ListLookup[T](ctx, c.client, path, ll2.MaxLimit, 0)
	if err != nil {
		return nil, err
	}
	out := &LookupList[T]{Rows: slices.Clone(first.Results), FromRecords: first.SnapshotPartial}
	for off := ll2.MaxLimit; off < first.Count; off += ll2.MaxLimit {
		p, err := ll2.ListLookup[T](ctx, c.client, path, ll2.MaxLimit, off)
		if err != nil {
			return nil, err
		}
		out.Rows = append(out.Rows, p.Results...)
		out.FromRecords = out.FromRecords || p.SnapshotPartial
	}
	seen := make(map[int]bool, len(out.Rows))
	for _, r := range out.Rows {
		seen[id(r)] = true
	}
	if len(seen) != first.Count {
		return nil, &ll2.Error{Kind: ll2.KindBadResponse, Op: "GET " + path,
			Detail: fmt.Sprintf("%d distinct rows in pages that count %d", len(seen), first.Count)}
	}
	slices.SortFunc(out.Rows, func(a, b T) int { return id(a) - id(b) })
	return out, nil
}

// SpacecraftStatuses returns LL2's spacecraft statuses (`config/spacecraft_statuses/`).
func (c *Catalog) SpacecraftStatuses(ctx context.Context) (*LookupList[ll2.SpacecraftStatus], error) {
	return lookupTable(ctx, c, ll2.PathSpacecraftStatuses, func(r ll2.SpacecraftStatus) int { return r.ID })
}

// SpacecraftConfigTypes returns LL2's configuration types
// (`config/spacecraft_configuration_types/`).
func (c *Catalog) SpacecraftConfigTypes(ctx context.Context) (*LookupList[ll2.SpacecraftConfigType], error) {
	return lookupTable(ctx, c, ll2.PathConfigTypes, func(r ll2.SpacecraftConfigType) int { return r.ID })
}

// AgencyTypes returns LL2's agency types (`config/agency_types/`).
func (c *Catalog) AgencyTypes(ctx context.Context) (*LookupList[ll2.AgencyType], error) {
	return lookupTable(ctx, c, ll2.PathAgencyTypes, func(r ll2.AgencyType) int { return r.ID })
}

// Countries returns LL2's countries (`config/countries/`).
func (c *Catalog) Countries(ctx context.Context) (*LookupList[ll2.Country], error) {
	return lookupTable(ctx, c, ll2.PathCountries, func(r ll2.Country) int { return r.ID })
}

// ImageLicenses returns LL2's image licenses (`config/image_licenses/`).
func (c *Catalog) ImageLicenses(ctx context.Context) (*LookupList[ll2.ImageLicense], error) {
	return lookupTable(ctx, c, ll2.PathImageLicenses, func(r ll2.ImageLicense) int { return r.ID })
}

// PrefetchFlights crawls, for replica mode, what flights and docking events need
// beyond Prefetch: the docking events at the detailed level (about a call per hundred)
// and the five lookup tables the schema lists (a call each, kept a day by the answer
// cache). The flights themselves need no call: every crawl of the detailed spacecraft
// (Prefetch's among them) also keeps their flights as a collection. A failure keeps
// the previous crawl.
func (c *Catalog) PrefetchFlights(ctx context.Context) error {
	ctx = economy.WithFreshOnly(ctx)
	var g errgroup.Group
	g.Go(func() error { _, err := fetchCollection(ctx, c, dockingKind, ll2.LevelDetailed, true); return err })
	g.Go(func() error { _, err := c.SpacecraftStatuses(ctx); return err })
	g.Go(func() error { _, err := c.SpacecraftConfigTypes(ctx); return err })
	g.Go(func() error { _, err := c.AgencyTypes(ctx); return err })
	g.Go(func() error { _, err := c.Countries(ctx); return err })
	g.Go(func() error { _, err := c.ImageLicenses(ctx); return err })
	return g.Wait()
}
