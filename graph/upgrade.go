package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"spacegraph/catalog"
	"spacegraph/graph/model"
	"spacegraph/ll2"
	"spacegraph/loaders"
)

// This file brings the objects an answer embeds (a spacecraft's configuration, the
// configuration's agency and families, a family's manufacturer and parent, a flight's
// spacecraft and launch provider, a docking event's flight) to the
// level their selections need before the executor sees them, so that they are plain
// fields gqlgen marshals inline: no resolver, no goroutine per field and list element.
// The planner (analyze) says what each selection needs; an embedded object poorer than
// that is loaded, all of one depth in one loader batch, and set on a per-request copy
// of its parent (entities are shared between requests and never modified). A failed
// load is recorded on the copy, whose accessor (catalog's …OrErr) answers the error at
// the field's path, as the resolver it replaces did.

// upgrader collects the loads of one depth and applies them once all have started.
type upgrader struct {
	ctx context.Context
	l   *loaders.Loaders
	// next are the objects of the next depth with their needs.
	next frontier
	// batch are the loads of this depth.
	batch depthLoads
}

// depthLoads are the loads of one depth, by kind: one batch each, every one started
// before any is waited for.
type depthLoads struct {
	spacecraft loads[catalog.Spacecraft]
	configs    loads[catalog.SpacecraftConfig]
	agencies   loads[catalog.Agency]
	families   loads[catalog.Family]
	flights    loads[catalog.SpacecraftFlight]
}

// loads are the keys of one kind a depth loads, each with the function that applies
// its result.
type loads[E any] struct {
	keys  []loaders.Key
	apply []func(*E, error)
}

func (ls *loads[E]) add(k loaders.Key, apply func(*E, error)) {
	ls.keys = append(ls.keys, k)
	ls.apply = append(ls.apply, apply)
}

// start starts the batch of the keys added and returns the function that waits for it
// and applies its results, in the order the keys were added.
func (ls *loads[E]) start(ctx context.Context, e *loaders.Entity[E]) func() {
	if len(ls.keys) == 0 {
		return func() {}
	}
	apply, wait := ls.apply, e.Batch(ctx, ls.keys)
	ls.keys, ls.apply = nil, nil
	return func() {
		for i, r := range wait() {
			apply[i](r.Value, r.Err)
		}
	}
}

// frontier are the objects of one depth whose embedded objects a selection needs,
// each a per-request copy the upgrade may modify, with what its selection needs.
type frontier struct {
	spacecraft []withNeed[catalog.Spacecraft]
	configs    []withNeed[catalog.SpacecraftConfig]
	families   []withNeed[catalog.Family]
	flights    []withNeed[catalog.SpacecraftFlight]
	events     []withNeed[catalog.DockingEvent]
}

type withNeed[E any] struct {
	obj *E
	n   *need
}

func (f *frontier) empty() bool {
	return len(f.spacecraft) == 0 && len(f.configs) == 0 && len(f.families) == 0 &&
		len(f.flights) == 0 && len(f.events) == 0
}

// run upgrades the frontier depth by depth: every load of a depth starts before any
// is waited for, so that each loader sees the depth's keys as one batch.
func (u *upgrader) run(f frontier) {
	for !f.empty() {
		u.next = frontier{}
		for _, s := range f.spacecraft {
			u.spacecraft(s.obj, s.n)
		}
		for _, c := range f.configs {
			u.config(c.obj, c.n)
		}
		for _, fam := range f.families {
			u.family(fam.obj, fam.n)
		}
		for _, fl := range f.flights {
			u.flight(fl.obj, fl.n)
		}
		for _, e := range f.events {
			u.event(e.obj, e.n)
		}
		for _, wait := range [...]func(){
			u.batch.spacecraft.start(u.ctx, u.l.Spacecraft),
			u.batch.configs.start(u.ctx, u.l.Config),
			u.batch.agencies.start(u.ctx, u.l.Agency),
			u.batch.families.start(u.ctx, u.l.Family),
			u.batch.flights.start(u.ctx, u.l.Flight),
		} {
			wait()
		}
		f = u.next
	}
}

func newUpgrader(ctx context.Context) *upgrader {
	return &upgrader{ctx: ctx, l: loaders.For(ctx)}
}

// hasChildren reports whether a selection needs any embedded object of its object.
func (n *need) hasChildren() bool { return n != nil && len(n.children) > 0 }

// one upgrades an embedded object: kept when at level have it meets c, else loaded
// (in the depth's batch of its kind, ls) at c's level; the result (a copy when its own
// embedded objects are needed) is set, and queued for the next depth. set receives
// the object or the load's error.
func one[E any](ls *loads[E], have *E, level ll2.Level, id int, c *need, set func(*E, error), queue func(*E, *need)) {
	if have == nil {
		return
	}
	if level >= c.level {
		if c.hasChildren() {
			cp := *have
			set(&cp, nil)
			queue(&cp, c)
		}
		return
	}
	ls.add(loaders.Key{ID: id, Level: c.level}, func(v *E, err error) {
		if err != nil || v == nil || !c.hasChildren() {
			set(v, err)
			return
		}
		cp := *v
		set(&cp, nil)
		queue(&cp, c)
	})
}

func (u *upgrader) queueConfig(c *catalog.SpacecraftConfig, n *need) {
	u.next.configs = append(u.next.configs, withNeed[catalog.SpacecraftConfig]{c, n})
}

func (u *upgrader) queueFamily(f *catalog.Family, n *need) {
	u.next.families = append(u.next.families, withNeed[catalog.Family]{f, n})
}

func (u *upgrader) queueSpacecraft(s *catalog.Spacecraft, n *need) {
	u.next.spacecraft = append(u.next.spacecraft, withNeed[catalog.Spacecraft]{s, n})
}

func (u *upgrader) queueFlight(f *catalog.SpacecraftFlight, n *need) {
	u.next.flights = append(u.next.flights, withNeed[catalog.SpacecraftFlight]{f, n})
}

// flight upgrades a flight copy's spacecraft and its launch's provider (the launch
// has no level of its own: it is copied when its provider is brought).
func (u *upgrader) flight(f *catalog.SpacecraftFlight, n *need) {
	if c := n.child("spacecraft"); c != nil && f.Spacecraft != nil {
		one(&u.batch.spacecraft, f.Spacecraft, f.Spacecraft.Level, f.Spacecraft.ID, c, func(v *catalog.Spacecraft, err error) {
			f.Spacecraft, f.SpacecraftErr = v, err
		}, u.queueSpacecraft)
	}
	lc := n.child("launch")
	if lc == nil || f.Launch == nil {
		return
	}
	c := lc.child("launchServiceProvider")
	lsp := f.Launch.LaunchServiceProvider
	if c == nil || lsp == nil || lsp.Level >= c.level {
		return
	}
	launch := *f.Launch
	f.Launch = &launch
	one(&u.batch.agencies, lsp, lsp.Level, lsp.ID, c, func(v *catalog.Agency, err error) {
		launch.LaunchServiceProvider, launch.LaunchServiceProviderErr = v, err
	}, nil)
}

// event upgrades a docking event copy's chaser flight.
func (u *upgrader) event(d *catalog.DockingEvent, n *need) {
	if c := n.child("flight"); c != nil && d.Flight != nil {
		one(&u.batch.flights, d.Flight, d.Flight.Level, d.Flight.ID, c, func(v *catalog.SpacecraftFlight, err error) {
			d.Flight, d.FlightErr = v, err
		}, u.queueFlight)
	}
}

// spacecraft upgrades a spacecraft copy's configuration.
func (u *upgrader) spacecraft(s *catalog.Spacecraft, n *need) {
	if c := n.child("spacecraftConfig"); c != nil && s.Config != nil {
		one(&u.batch.configs, s.Config, s.Config.Level, s.Config.ID, c, func(v *catalog.SpacecraftConfig, err error) {
			s.Config, s.ConfigErr = v, err
		}, u.queueConfig)
	}
}

// config upgrades a configuration copy's agency and families.
func (u *upgrader) config(cfg *catalog.SpacecraftConfig, n *need) {
	if c := n.child("agency"); c != nil && cfg.Agency != nil {
		one(&u.batch.agencies, cfg.Agency, cfg.Agency.Level, cfg.Agency.ID, c, func(v *catalog.Agency, err error) {
			cfg.Agency, cfg.AgencyErr = v, err
		}, nil)
	}
	c := n.child("families")
	if c == nil || cfg.Families == nil {
		return
	}
	rich := true
	for _, f := range cfg.Families {
		rich = rich && f.Level >= c.level
	}
	// As LL2 lists them: kept when every one is rich enough, else all loaded at the
	// level needed.
	setAll := func(fams []*catalog.Family) {
		if !c.hasChildren() {
			cfg.Families = fams
			return
		}
		copies := make([]catalog.Family, len(fams))
		out := make([]*catalog.Family, len(fams))
		for i, f := range fams {
			copies[i] = *f
			out[i] = &copies[i]
			u.queueFamily(out[i], c)
		}
		cfg.Families = out
	}
	if rich {
		setAll(cfg.Families)
		return
	}
	// The families load in the depth's batch of families; the first error, in LL2's
	// order, stands for the list.
	fams := make([]*catalog.Family, len(cfg.Families))
	var first error
	for i, f := range cfg.Families {
		u.batch.families.add(loaders.Key{ID: f.ID, Level: c.level}, func(v *catalog.Family, err error) {
			fams[i] = v
			if err != nil && first == nil {
				first = err
			}
			if i < len(fams)-1 {
				return
			}
			if first != nil {
				cfg.Families, cfg.FamiliesErr = nil, first
				return
			}
			setAll(fams)
		})
	}
}

// family upgrades a family copy's manufacturer and parent.
func (u *upgrader) family(f *catalog.Family, n *need) {
	if c := n.child("manufacturer"); c != nil && f.Manufacturer != nil {
		one(&u.batch.agencies, f.Manufacturer, f.Manufacturer.Level, f.Manufacturer.ID, c, func(v *catalog.Agency, err error) {
			f.Manufacturer, f.ManufacturerErr = v, err
		}, nil)
	}
	if c := n.child("parent"); c != nil && f.Parent != nil {
		one(&u.batch.families, f.Parent, f.Parent.Level, f.Parent.ID, c, func(v *catalog.Family, err error) {
			f.Parent, f.ParentErr = v, err
		}, u.queueFamily)
	}
}

// upgradeItems returns items with their embedded objects at the levels n needs: the
// same slice when n needs none, else per-request copies. add puts a copy in the
// frontier.
func upgradeItems[E any](ctx context.Context, items []*E, n *need, add func(*frontier, *E, *need)) []*E {
	if !n.hasChildren() || len(items) == 0 || allMeet(items, n) {
		return items
	}
	copies := make([]E, len(items))
	out := make([]*E, len(items))
	var f frontier
	for i, it := range items {
		if it == nil {
			continue
		}
		copies[i] = *it
		out[i] = &copies[i]
		add(&f, out[i], n)
	}
	newUpgrader(ctx).run(f)
	return out
}

// allMeet reports whether every embedded object of items, at every depth, is already
// at the level n needs: the common case, when the planner chose a list mode that
// brings them, and then the items are handed out as they are, without copies.
func allMeet[E any](items []*E, n *need) bool {
	for _, it := range items {
		if it != nil && !meets(any(it), n) {
			return false
		}
	}
	return true
}

// meets reports whether the embedded objects of v (an entity) meet n, at every depth.
func meets(v any, n *need) bool {
	if !n.hasChildren() {
		return true
	}
	switch o := v.(type) {
	case *catalog.Spacecraft:
		c := n.child("spacecraftConfig")
		return c == nil || o.Config == nil || o.Config.Level >= c.level && meets(o.Config, c)
	case *catalog.SpacecraftConfig:
		if c := n.child("agency"); c != nil && o.Agency != nil && o.Agency.Level < c.level {
			return false
		}
		if c := n.child("families"); c != nil {
			for _, f := range o.Families {
				if f.Level < c.level || !meets(f, c) {
					return false
				}
			}
		}
		return true
	case *catalog.Family:
		if c := n.child("manufacturer"); c != nil && o.Manufacturer != nil && o.Manufacturer.Level < c.level {
			return false
		}
		c := n.child("parent")
		return c == nil || o.Parent == nil || o.Parent.Level >= c.level && meets(o.Parent, c)
	case *catalog.SpacecraftFlight:
		if c := n.child("spacecraft"); c != nil && o.Spacecraft != nil && (o.Spacecraft.Level < c.level || !meets(o.Spacecraft, c)) {
			return false
		}
		if lc := n.child("launch"); lc != nil && o.Launch != nil {
			c := lc.child("launchServiceProvider")
			lsp := o.Launch.LaunchServiceProvider
			return c == nil || lsp == nil || lsp.Level >= c.level
		}
		return true
	case *catalog.DockingEvent:
		c := n.child("flight")
		return c == nil || o.Flight == nil || o.Flight.Level >= c.level && meets(o.Flight, c)
	}
	return true
}

func addSpacecraft(f *frontier, s *catalog.Spacecraft, n *need) {
	f.spacecraft = append(f.spacecraft, withNeed[catalog.Spacecraft]{s, n})
}

func addConfig(f *frontier, c *catalog.SpacecraftConfig, n *need) {
	f.configs = append(f.configs, withNeed[catalog.SpacecraftConfig]{c, n})
}

func addFamily(f *frontier, fam *catalog.Family, n *need) {
	f.families = append(f.families, withNeed[catalog.Family]{fam, n})
}

func addFlight(f *frontier, fl *catalog.SpacecraftFlight, n *need) {
	f.flights = append(f.flights, withNeed[catalog.SpacecraftFlight]{fl, n})
}

func addDockingEvent(f *frontier, d *catalog.DockingEvent, n *need) {
	f.events = append(f.events, withNeed[catalog.DockingEvent]{d, n})
}

// addNone is the frontier of a type that embeds nothing a selection can need.
func addNone[E any](*frontier, *E, *need) {}

// upgradeOne is upgradeItems for one object (nil stays nil).
func upgradeOne[E any](ctx context.Context, v *E, n *need, add func(*frontier, *E, *need)) *E {
	if v == nil {
		return nil
	}
	return upgradeItems(ctx, []*E{v}, n, add)[0]
}

// rootNeed is what the selection of the field being resolved needs of an object of
// type typ.
func rootNeed(ctx context.Context, typ string) *need {
	n, _ := cachedNeed(ctx, graphql.GetFieldContext(ctx).Field.Selections, typ, false, func() (*need, bool) {
		return analyze(graphql.GetOperationContext(ctx), typ, graphql.GetFieldContext(ctx).Field.Selections), true
	})
	return n
}

// upgradeWindow upgrades the items of a connection's page for what the connection's
// node selections need.
func upgradeWindow[E any](ctx context.Context, w model.Window[E], n *need, add func(*frontier, *E, *need)) model.Window[E] {
	w.Items = upgradeItems(ctx, w.Items, n, add)
	return w
}

// upgradeNodes upgrades the objects of node and nodes, whatever their types, for what
// the field's selection needs of each type: one depth of every type at a time.
func upgradeNodes(ctx context.Context, nodes []model.Node) {
	u := nodeUpgrade{opCtx: graphql.GetOperationContext(ctx), sel: graphql.GetFieldContext(ctx).Field.Selections, needs: map[string]*need{}}
	for i, v := range nodes {
		switch o := v.(type) {
		case *catalog.Spacecraft:
			queueNode(&u, nodes, i, o, "Spacecraft", addSpacecraft)
		case *catalog.SpacecraftConfig:
			queueNode(&u, nodes, i, o, "SpacecraftConfig", addConfig)
		case *catalog.Family:
			queueNode(&u, nodes, i, o, "Family", addFamily)
		case *catalog.SpacecraftFlight:
			queueNode(&u, nodes, i, o, "SpacecraftFlight", addFlight)
		case *catalog.DockingEvent:
			queueNode(&u, nodes, i, o, "DockingEvent", addDockingEvent)
		}
	}
	if !u.f.empty() {
		newUpgrader(ctx).run(u.f)
	}
}

// nodeUpgrade is upgradeNodes' state: the selection, what it needs of each type
// (analysed once per type met), and the copies to upgrade.
type nodeUpgrade struct {
	opCtx *graphql.OperationContext
	sel   ast.SelectionSet
	needs map[string]*need
	f     frontier
}

// queueNode replaces node i by a copy queued for the upgrade when its embedded
// objects fall short of what the selection needs of its type typ.
func queueNode[E any](u *nodeUpgrade, nodes []model.Node, i int, o *E, typ string, add func(*frontier, *E, *need)) {
	n := u.needs[typ]
	if n == nil {
		n = analyze(u.opCtx, typ, u.sel)
		u.needs[typ] = n
	}
	if meets(o, n) {
		return
	}
	cp := *o
	nodes[i] = any(&cp).(model.Node)
	add(&u.f, &cp, n)
}
