// Package crawl copies the spacecraft domain of a live LL2, or of anything that
// speaks its API, into a snapshot directory: it says what the copy will cost in calls
// before spending them, waits out LL2's throttle and resumes an interrupted crawl.
package crawl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"spacegraph/ll2"
	"spacegraph/snapshot"
)

// DefaultRetryWait is how long Run waits after a 429 that says neither in a
// Retry-After header nor in its body when to come back. LL2's anonymous limit is
// counted per hour, so a minute wastes little and hammers nothing.
const DefaultRetryWait = 60 * time.Second

// minRetryWait keeps a server that keeps answering "available in 0 seconds" from
// turning the crawl into a busy loop.
const minRetryWait = time.Second

// PagesDir is the directory under the snapshot directory where Run keeps the pages
// it has fetched until the snapshot is written, so that an interrupted crawl resumes
// without paying again for what it already has.
const PagesDir = ".crawl"

// Options tune Run. The zero value crawls from scratch, prints nothing and
// really sleeps when throttled.
type Options struct {
	// Out receives the plan (how many calls the crawl will spend) and the progress;
	// nil discards them.
	Out io.Writer
	// Resume keeps the pages an earlier, interrupted crawl saved in PagesDir and
	// fetches only the others. Without it, PagesDir is cleared first.
	Resume bool
	// Sleep waits out a 429; nil means a timer. Tests inject a fake that advances a
	// simulated clock instead of waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// RetryWait replaces DefaultRetryWait.
	RetryWait time.Duration
	// Now stamps Meta.Created; nil means time.Now.
	Now func() time.Time
}

// crawlTarget is one endpoint to page through.
type crawlTarget struct {
	// name prefixes the saved pages' files: "spacecraft", "config_countries".
	name string
	path string
	// usual is about the endpoint's size on LL2 (a lookup table fits in one page),
	// for the estimate printed before any call is spent.
	usual int
	// fetch makes one call and returns the page ready to save.
	fetch func(ctx context.Context, c *ll2.Client, offset int) (body []byte, count int, err error)
	// add decodes a saved page into the snapshot being assembled.
	add func(a *assembly, body []byte) error
	// optional targets may be missing from the source: a source that answers their
	// first page with KindNotInSnapshot (a built-in server over a snapshot that does not
	// hold them) gives a snapshot that does not hold them either.
	optional bool
}

// crawlPage is what every saved page holds, whatever the endpoint: enough to know the
// count and that the page is whole.
type crawlPage struct {
	Count   *int              `json:"count"`
	Results []json.RawMessage `json:"results"`
}

func listTarget[T any](name string, e *ll2.Endpoint[T], usual int, order string,
	list func(*ll2.Client, context.Context, ll2.ListParams) (*ll2.List[T], error),
	add func(a *assembly, t *T)) crawlTarget {
	return crawlTarget{
		name:  name,
		path:  e.Path,
		usual: usual,
		fetch: func(ctx context.Context, c *ll2.Client, offset int) ([]byte, int, error) {
			p := ll2.ListParams{Limit: ll2.MaxLimit, Offset: offset, Mode: ll2.LevelDetailed}
			if order != "" {
				p.Ordering = []ll2.OrderKey{{Field: order}}
			}
			l, err := list(c, ctx, p)
			if err != nil {
				return nil, 0, err
			}
			body, err := json.Marshal(ll2.Page[*T]{Count: l.Count, Next: l.Next, Previous: l.Previous, Results: l.Results})
			return body, l.Count, err
		},
		add: func(a *assembly, body []byte) error {
			var p ll2.Page[*T]
			if err := json.Unmarshal(body, &p); err != nil {
				return err
			}
			for i, t := range p.Results {
				if t == nil {
					return fmt.Errorf("result %d is null", i)
				}
				add(a, t)
			}
			return nil
		},
	}
}

func lookupTarget(path string) crawlTarget {
	return crawlTarget{
		name:  strings.ReplaceAll(strings.TrimSuffix(path, "/"), "/", "_"),
		path:  path,
		usual: 20,
		fetch: func(ctx context.Context, c *ll2.Client, offset int) ([]byte, int, error) {
			p, err := ll2.ListLookup[json.RawMessage](ctx, c, path, ll2.MaxLimit, offset)
			if err != nil {
				return nil, 0, err
			}
			body, err := json.Marshal(p)
			return body, p.Count, err
		},
		add: func(a *assembly, body []byte) error {
			var p ll2.Page[map[string]any]
			if err := json.Unmarshal(body, &p); err != nil {
				return err
			}
			// A source whose tables hold only what its records carry gives a copy
			// whose tables do too.
			a.lookupsFromRecords = a.lookupsFromRecords || p.SnapshotPartial
			for i, r := range p.Results {
				l, err := snapshot.LookupRow(r)
				if err != nil {
					return fmt.Errorf("row %d: %w", i, err)
				}
				if _, dup := a.lookups[path][l.ID]; !dup {
					a.lookups[path][l.ID] = l
				}
			}
			return nil
		},
	}
}

// crawlTargets lists the endpoints in the order they are crawled. Spacecraft and
// agencies are ordered by id, so that pages do not shift under ties; configurations
// and families can only be ordered by name, which is unique in practice and fits in
// one page anyway; docking events by the time of docking, which is unique in practice.
//
// The flights need no crawl of their own: a detailed spacecraft lists every flight of
// its own (at the normal level, with launch and landing), so the spacecraft pages
// bring them all, and the docking events that detailed flights would add come from
// docking_events/. What the flights endpoint alone has at the detailed level, the
// crews, the snapshot does not hold: its flights say they hold the normal level.
func crawlTargets() []crawlTarget {
	ts := []crawlTarget{
		listTarget("spacecraft", ll2.SpacecraftEndpoint, 600, "id", (*ll2.Client).ListSpacecraft,
			func(a *assembly, s *ll2.SpacecraftDetailed) { keepFirst(a.spacecraft, s.ID, s, &s.SnapshotMode) }),
		listTarget("spacecraft_configurations", ll2.SpacecraftConfigEndpoint, 46, "name", (*ll2.Client).ListSpacecraftConfigs,
			func(a *assembly, c *ll2.SpacecraftConfigDetailed) { keepFirst(a.configs, c.ID, c, &c.SnapshotMode) }),
		listTarget("agencies", ll2.AgencyEndpoint, 311, "id", (*ll2.Client).ListAgencies,
			func(a *assembly, g *ll2.AgencyDetailed) { keepFirst(a.agencies, g.ID, g, &g.SnapshotMode) }),
		listTarget("spacecraft_configuration_families", ll2.FamilyEndpoint, 30, "name", (*ll2.Client).ListFamilies,
			func(a *assembly, f *ll2.FamilyEndpointDetailed) { keepFirst(a.families, f.ID, f, &f.SnapshotMode) }),
	}
	// LL2's count of docking events is unconfirmed: the usual size is the synthetic
	// LL2-scale data's.
	docking := listTarget("docking_events", ll2.DockingEventEndpoint, 1150, "docking", (*ll2.Client).ListDockingEvents,
		func(a *assembly, e *ll2.DockingEvent) { keepFirst(a.docking, e.ID, e, &e.SnapshotMode) })
	docking.optional = true
	ts = append(ts, docking)
	for _, p := range ll2.LookupPaths {
		ts = append(ts, lookupTarget(p))
	}
	return ts
}

// keepFirst keeps the first sighting of an object, stamped with the level it holds:
// the detailed level it was crawled at, or less when the crawled server said so (a
// built-in server over a partial snapshot), so that a crawl never claims more than
// its source had.
func keepFirst[T any](m map[int]*T, id int, t *T, snapshotMode *string) {
	if _, ok := m[id]; !ok {
		*snapshotMode = ll2.HeldLevel(ll2.LevelDetailed, *snapshotMode).String()
		m[id] = t
	}
}

// pages is how many calls of MaxLimit results a list of count objects takes; an empty
// list still takes the call that says it is empty.
func pages(count int) int { return max(1, (count+ll2.MaxLimit-1)/ll2.MaxLimit) }

// crawler is one run of Run.
type crawler struct {
	c     *ll2.Client
	work  string
	opts  Options
	out   io.Writer
	calls int
	waits int
}

func (cr *crawler) file(t *crawlTarget, offset int) string {
	return filepath.Join(cr.work, fmt.Sprintf("%s_offset%04d.json", t.name, offset))
}

// saved reads a page an earlier run saved; ok is false when there is none or it is
// not whole (a run killed while writing it), so that it is fetched again.
func (cr *crawler) saved(t *crawlTarget, offset int) (count int, ok bool) {
	b, err := os.ReadFile(cr.file(t, offset))
	if err != nil {
		return 0, false
	}
	var p crawlPage
	if json.Unmarshal(b, &p) != nil || p.Count == nil || p.Results == nil {
		return 0, false
	}
	return *p.Count, true
}

// fetch spends one call on a page (more when throttled) and saves it.
func (cr *crawler) fetch(ctx context.Context, t *crawlTarget, offset int) (int, error) {
	for {
		body, count, err := t.fetch(ctx, cr.c, offset)
		if err == nil {
			cr.calls++
			if err := writeFileAtomic(cr.file(t, offset), body); err != nil {
				return 0, err
			}
			return count, nil
		}
		var e *ll2.Error
		if !errors.As(err, &e) || e.Kind != ll2.KindRateLimited {
			return 0, fmt.Errorf("snapshot: crawl %s offset %d: %w", t.path, offset, err)
		}
		wait := cr.opts.RetryWait
		if e.RetryKnown {
			wait = max(e.RetryAfter, minRetryWait)
		}
		cr.waits++
		fmt.Fprintf(cr.out, "crawl: throttled on %s offset %d: waiting %s\n", t.path, offset, wait)
		if err := cr.opts.Sleep(ctx, wait); err != nil {
			return 0, fmt.Errorf("snapshot: crawl %s offset %d: waiting out the throttle: %w", t.path, offset, err)
		}
	}
}

// Run copies the spacecraft domain of a live LL2 (or anything that speaks it) into
// a snapshot directory that snapshot.LoadDir reads: the four endpoints at the detailed
// level (the spacecraft with every flight), the docking events and the six lookup
// tables, MaxLimit objects per call. A source that does not hold the flights or the
// docking events (a built-in server over a partial snapshot) gives a snapshot that
// does not hold them either.
//
// Calls are what LL2 rations, so Run says what it will spend before spending it: an
// estimate from LL2's usual sizes and the caller's allowance (from api-throttle/,
// which is free) before the first call, then the exact number once every endpoint's
// first page has told its count. Each page is saved under dir/PagesDir as it
// arrives; with opts.Resume a crawl that was interrupted (cancelled, or stopped by an
// error) fetches only the pages it lacks. A 429 is waited out and the same page asked
// again; any other error stops the crawl. PagesDir is removed once the snapshot is
// written.
func Run(ctx context.Context, c *ll2.Client, dir string, opts Options) error {
	if dir == "" {
		return errors.New("snapshot: crawl: no directory")
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	if opts.RetryWait <= 0 {
		opts.RetryWait = DefaultRetryWait
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cr := &crawler{c: c, work: filepath.Join(dir, PagesDir), opts: opts, out: opts.Out}
	if !opts.Resume {
		if err := os.RemoveAll(cr.work); err != nil {
			return fmt.Errorf("snapshot: crawl: %w", err)
		}
	}
	if err := os.MkdirAll(cr.work, 0o755); err != nil {
		return fmt.Errorf("snapshot: crawl: %w", err)
	}
	targets := crawlTargets()

	// What is already saved, and the estimate before any call.
	counts := make([]int, len(targets))
	known := make([]bool, len(targets))
	estimate, have := 0, 0
	for i := range targets {
		t := &targets[i]
		counts[i], known[i] = cr.saved(t, 0)
		n := pages(t.usual)
		if known[i] {
			n = pages(counts[i])
		}
		for p := range n {
			if _, ok := cr.saved(t, p*ll2.MaxLimit); ok {
				have++
			} else {
				estimate++
			}
		}
	}
	fmt.Fprintf(cr.out, "crawl: %s into %s\n", c.BaseURL(), dir)
	left := -1
	if th, err := c.Throttle(ctx); err != nil {
		fmt.Fprintf(cr.out, "crawl: api-throttle/ did not answer (%v); the allowance is unknown\n", err)
	} else if len(th) > 0 {
		t := th[0]
		left = max(0, t.YourRequestLimit-t.CurrentUse)
		fmt.Fprintf(cr.out, "crawl: api-throttle/: limit %d calls per %d s, %d used now, next free call in %d s\n",
			t.YourRequestLimit, t.LimitFrequencySecs, t.CurrentUse, t.NextUseSecs)
	}
	fmt.Fprintf(cr.out, "crawl: estimate: about %d calls (%d pages already saved)\n", estimate, have)
	if left >= 0 && estimate > left {
		fmt.Fprintf(cr.out, "crawl: that is more than the %d calls left in this window: the crawl will wait out the throttle\n", left)
	}

	// The first page of every endpoint tells its count, hence the exact plan.
	absent := make([]bool, len(targets))
	for i := range targets {
		if known[i] {
			continue
		}
		n, err := cr.fetch(ctx, &targets[i], 0)
		if targets[i].optional && ll2.KindOf(err) == ll2.KindNotInSnapshot {
			absent[i] = true
			cr.calls++
			fmt.Fprintf(cr.out, "crawl: %s: the source does not hold them; neither will the snapshot\n", targets[i].path)
			continue
		}
		if err != nil {
			return err
		}
		counts[i] = n
	}
	todo, have := 0, 0
	for i := range targets {
		if absent[i] {
			continue
		}
		for p := 1; p < pages(counts[i]); p++ {
			if _, ok := cr.saved(&targets[i], p*ll2.MaxLimit); ok {
				have++
			} else {
				todo++
			}
		}
		if known[i] {
			have++
		}
	}
	for i, t := range targets {
		if !absent[i] {
			fmt.Fprintf(cr.out, "crawl: %s: %d objects, %d pages\n", t.path, counts[i], pages(counts[i]))
		}
	}
	fmt.Fprintf(cr.out, "crawl: plan: %d calls (%d first pages made, %d to go, %d pages already saved)\n",
		cr.calls+todo, cr.calls, todo, have)

	for i := range targets {
		t := &targets[i]
		if absent[i] {
			continue
		}
		for p := 1; p < pages(counts[i]); p++ {
			if _, ok := cr.saved(t, p*ll2.MaxLimit); ok {
				continue
			}
			n, err := cr.fetch(ctx, t, p*ll2.MaxLimit)
			if err != nil {
				return err
			}
			if n != counts[i] {
				fmt.Fprintf(cr.out, "crawl: %s: the count moved from %d to %d while crawling\n", t.path, counts[i], n)
			}
		}
	}

	d, err := cr.assemble(targets, counts, absent)
	if err != nil {
		return err
	}
	meta := snapshot.Meta{
		Source:  c.BaseURL(),
		Created: opts.Now().UTC().Truncate(time.Second),
		Note:    "Crawled by crawl.Run at the detailed level.",
	}
	if err := snapshot.Save(dir, d, meta); err != nil {
		return err
	}
	if err := os.RemoveAll(cr.work); err != nil {
		return fmt.Errorf("snapshot: crawl: %w", err)
	}
	fmt.Fprintf(cr.out, "crawl: done: %d calls, %d waits; %d spacecraft, %d configurations, %d agencies, %d families, %s flights, %s docking events\n",
		cr.calls, cr.waits, len(d.Spacecraft), len(d.Configs), len(d.Agencies), len(d.Families), heldCount(d.Flights), heldCount(d.DockingEvents))
	return nil
}

// heldCount says how many records a collection holds, or that it is not held.
func heldCount[T any](s []*T) string {
	if s == nil {
		return "no"
	}
	return fmt.Sprint(len(s))
}

// assembly gathers the crawled objects by id.
type assembly struct {
	spacecraft map[int]*ll2.SpacecraftDetailed
	configs    map[int]*ll2.SpacecraftConfigDetailed
	agencies   map[int]*ll2.AgencyDetailed
	families   map[int]*ll2.FamilyEndpointDetailed
	docking    map[int]*ll2.DockingEvent
	lookups    map[string]map[int]ll2.Lookup
	// lookupsFromRecords is set when a table's page said it is not LL2's whole table.
	lookupsFromRecords bool
}

// assemble reads the saved pages back. Detailed list pages already hold each
// endpoint's canonical objects, so they are taken as they are; a Collector pass then
// adds what they embed but their own endpoint did not list (an agency that left the
// list mid-crawl, a lookup row missing from its table), so that the snapshot is
// closed under embedding as ll2server.NewStore expects.
func (cr *crawler) assemble(targets []crawlTarget, counts []int, absent []bool) (snapshot.Data, error) {
	a := &assembly{
		spacecraft: map[int]*ll2.SpacecraftDetailed{},
		configs:    map[int]*ll2.SpacecraftConfigDetailed{},
		agencies:   map[int]*ll2.AgencyDetailed{},
		families:   map[int]*ll2.FamilyEndpointDetailed{},
		docking:    map[int]*ll2.DockingEvent{},
		lookups:    map[string]map[int]ll2.Lookup{},
	}
	for _, p := range ll2.LookupPaths {
		a.lookups[p] = map[int]ll2.Lookup{}
	}
	sizes := func() map[string]int {
		n := map[string]int{
			ll2.SpacecraftEndpoint.Path: len(a.spacecraft), ll2.SpacecraftConfigEndpoint.Path: len(a.configs),
			ll2.AgencyEndpoint.Path: len(a.agencies), ll2.FamilyEndpoint.Path: len(a.families),
			ll2.DockingEventEndpoint.Path: len(a.docking),
		}
		for _, p := range ll2.LookupPaths {
			n[p] = len(a.lookups[p])
		}
		return n
	}
	for i := range targets {
		t := &targets[i]
		if absent[i] {
			continue
		}
		for p := range pages(counts[i]) {
			f := cr.file(t, p*ll2.MaxLimit)
			b, err := os.ReadFile(f)
			if err != nil {
				return snapshot.Data{}, fmt.Errorf("snapshot: crawl: %w", err)
			}
			if err := t.add(a, b); err != nil {
				return snapshot.Data{}, fmt.Errorf("snapshot: crawl: %s: %w", filepath.Base(f), err)
			}
		}
	}
	// Objects that moved between pages while crawling show as fewer distinct objects
	// than the count; such a snapshot would silently lack them.
	got := sizes()
	for i, t := range targets {
		if n := got[t.path]; !absent[i] && n < counts[i] {
			return snapshot.Data{}, fmt.Errorf("snapshot: crawl: %s: %d distinct objects for a count of %d: the data changed while crawling; crawl again without Resume",
				t.path, n, counts[i])
		}
	}

	col := snapshot.NewCollector()
	for _, s := range a.spacecraft {
		col.AddSpacecraft(s, ll2.LevelDetailed)
	}
	for _, c := range a.configs {
		col.AddConfig(c, ll2.LevelDetailed)
	}
	for _, g := range a.agencies {
		col.AddAgency(g, ll2.LevelDetailed)
	}
	for _, f := range a.families {
		col.AddFamily(f, ll2.LevelDetailed)
	}
	seen := col.Data()
	d := snapshot.Data{
		Spacecraft: withMissing(a.spacecraft, seen.Spacecraft, func(s *ll2.SpacecraftDetailed) int { return s.ID }),
		Configs:    withMissing(a.configs, seen.Configs, func(c *ll2.SpacecraftConfigDetailed) int { return c.ID }),
		Agencies:   withMissing(a.agencies, seen.Agencies, func(g *ll2.AgencyDetailed) int { return g.ID }),
		Families:   withMissing(a.families, seen.Families, func(f *ll2.FamilyEndpointDetailed) int { return f.ID }),
		// The flights the detailed spacecraft listed, nil when none was seen whole.
		Flights:            seen.Flights,
		Lookups:            map[string][]ll2.Lookup{},
		LookupsFromRecords: a.lookupsFromRecords,
	}
	// A spacecraft's flights are the flight records: its own list would be a second copy.
	for i, s := range d.Spacecraft {
		if s.Flights != nil {
			cp := *s
			cp.Flights = nil
			d.Spacecraft[i] = &cp
		}
	}
	for i, t := range targets {
		if t.path == ll2.DockingEventEndpoint.Path && !absent[i] {
			d.DockingEvents = withMissing(a.docking, nil, func(e *ll2.DockingEvent) int { return e.ID })
		}
	}
	for _, p := range ll2.LookupPaths {
		for _, r := range seen.Lookups[p] {
			keepFirstLookup(a.lookups[p], r)
		}
		rows := make([]ll2.Lookup, 0, len(a.lookups[p]))
		for _, r := range a.lookups[p] {
			rows = append(rows, r)
		}
		slices.SortFunc(rows, func(x, y ll2.Lookup) int { return x.ID - y.ID })
		d.Lookups[p] = rows
	}
	return d, nil
}

func keepFirstLookup(m map[int]ll2.Lookup, r ll2.Lookup) {
	if _, ok := m[r.ID]; !ok {
		m[r.ID] = r
	}
}

// withMissing returns the canonical objects plus the sightings of objects they lack,
// in id order.
func withMissing[T any](canon map[int]*T, seen []*T, id func(*T) int) []*T {
	out := make([]*T, 0, len(canon))
	for _, t := range canon {
		out = append(out, t)
	}
	for _, t := range seen {
		if _, ok := canon[id(t)]; !ok {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b *T) int { return id(a) - id(b) })
	return out
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeFileAtomic writes through a temporary file, so that a crawl killed mid-write
// leaves no half page that a resumed crawl would trust.
func writeFileAtomic(file string, b []byte) error {
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("snapshot: crawl: %w", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return fmt.Errorf("snapshot: crawl: %w", err)
	}
	return nil
}
