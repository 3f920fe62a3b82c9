package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"spacegraph/ll2"
)

// This file reads selection sets to plan LL2 calls: which level of detail each object
// needs for the fields a query selects, and which list mode makes the objects a list
// embeds arrive at the levels their own selections need, so that a page costs one
// call instead of one plus one per nested object.

// fieldLevel gives, per GraphQL type, the fields that need more than the type's base
// level. Fields not listed need only the base level.
var fieldLevel = map[string]map[string]ll2.Level{
	"SpacecraftConfig": levels(ll2.LevelDetailed,
		"capability", "history", "details", "maidenFlight", "height", "diameter", "humanRated",
		"crewCapacity", "payloadCapacity", "payloadReturnCapacity", "flightLife", "wikiLink",
		"infoLink", "spacecraftFlown", "totalLaunchCount", "successfulLaunches", "failedLaunches",
		"attemptedLandings", "successfulLandings", "failedLandings", "fastestTurnaround",
		"fastestTurnaroundSeconds"),
	"Agency": merge(
		levels(ll2.LevelNormal, "featured", "countries", "description", "administrator",
			"foundingYear", "launchers", "spacecraftSummary", "parent", "image", "logo", "socialLogo"),
		levels(ll2.LevelDetailed, "totalLaunchCount", "consecutiveSuccessfulLaunches",
			"successfulLaunches", "failedLaunches", "pendingLaunches", "consecutiveSuccessfulLandings",
			"successfulLandings", "failedLandings", "attemptedLandings", "successfulLandingsSpacecraft",
			"failedLandingsSpacecraft", "attemptedLandingsSpacecraft", "successfulLandingsPayload",
			"failedLandingsPayload", "attemptedLandingsPayload", "infoUrl", "wikiUrl", "socialMediaLinks"),
	),
	"Family": merge(
		levels(ll2.LevelNormal, "description", "manufacturer", "parent", "maidenFlight"),
		levels(ll2.LevelDetailed, "spacecraftFlown", "totalLaunchCount", "successfulLaunches",
			"failedLaunches", "attemptedLandings", "successfulLandings", "failedLandings"),
	),
	// A detailed spacecraft lists every flight with its launch and landing: a page of
	// spacecraft with their flights is one call at that level.
	"Spacecraft": levels(ll2.LevelDetailed, "flights"),
	// A flight at the list level (as a normal docking event embeds it) has only its
	// launch's id and name; a detailed flight brings its docking events (a planning
	// hint only: flightsPlanOnly).
	"SpacecraftFlight": merge(
		levels(ll2.LevelNormal, "launch"),
		levels(ll2.LevelDetailed, "dockingEvents"),
	),
}

// planOnly are the fields of fieldLevel whose level is a planning hint only: a
// parent below it still answers them (through a loader), so a snapshot that holds the
// parent at a lower level is no gap (SnapshotGaps leaves them alone).
var planOnly = map[string]map[string]bool{
	"SpacecraftFlight": {"dockingEvents": true},
}

// baseLevel is the least level each type comes at.
var baseLevel = map[string]ll2.Level{
	"Spacecraft":       ll2.LevelNormal,
	"SpacecraftConfig": ll2.LevelNormal,
	"Agency":           ll2.LevelList,
	"Family":           ll2.LevelList,
	"SpacecraftFlight": ll2.LevelList,
	"DockingEvent":     ll2.LevelNormal,
}

// childType gives the type of the object fields whose values LL2 embeds.
var childType = map[string]map[string]string{
	"Spacecraft":       {"spacecraftConfig": "SpacecraftConfig"},
	"SpacecraftConfig": {"agency": "Agency", "families": "Family"},
	"Family":           {"manufacturer": "Agency", "parent": "Family"},
	"SpacecraftFlight": {"spacecraft": "Spacecraft", "launch": "Launch"},
	"Launch":           {"launchServiceProvider": "Agency"},
	"DockingEvent":     {"flight": "SpacecraftFlight"},
}

func levels(l ll2.Level, fields ...string) map[string]ll2.Level {
	m := make(map[string]ll2.Level, len(fields))
	for _, f := range fields {
		m[f] = l
	}
	return m
}

func merge(ms ...map[string]ll2.Level) map[string]ll2.Level {
	out := map[string]ll2.Level{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// embeddedLevel is the level at which an object of type typ at level l embeds the
// value of field, as LL2 nests its levels; ok is false when it embeds none.
func embeddedLevel(typ string, l ll2.Level, field string) (ll2.Level, bool) {
	switch typ {
	case "Spacecraft":
		return l, field == "spacecraftConfig"
	case "SpacecraftConfig":
		switch field {
		case "agency":
			return l - 1, true
		case "families":
			return l, true
		}
	case "Family":
		if l >= ll2.LevelNormal && (field == "manufacturer" || field == "parent") {
			return min(l, ll2.LevelDetailed) - 1, true
		}
	case "SpacecraftFlight":
		switch field {
		case "spacecraft":
			return ll2.LevelNormal, true
		case "launch":
			// A launch has no level of its own: it is as rich as its flight.
			return l, true
		}
	case "Launch":
		return ll2.LevelList, field == "launchServiceProvider"
	case "DockingEvent":
		if field == "flight" {
			if l >= ll2.LevelDetailed {
				return ll2.LevelNormal, true
			}
			return ll2.LevelList, true
		}
	}
	return ll2.LevelNone, false
}

// need is what a selection asks of an object: its level and, per embedded object
// field, what that object's own selection asks.
type need struct {
	level ll2.Level
	// children are few (an object embeds at most three others), and a look along
	// them costs less than a map's hashing, once per object and depth of a page.
	children []childNeed
}

// childNeed is what the selection of an embedded object field asks.
type childNeed struct {
	field string
	n     *need
}

// child returns what the selection of the embedded object field asks, or nil.
func (n *need) child(field string) *need {
	if n == nil {
		return nil
	}
	for _, c := range n.children {
		if c.field == field {
			return c.n
		}
	}
	return nil
}

// setChild sets what the selection of the embedded object field asks.
func (n *need) setChild(field string, c *need) {
	for i := range n.children {
		if n.children[i].field == field {
			n.children[i].n = c
			return
		}
	}
	n.children = append(n.children, childNeed{field, c})
}

// analyze reads the fields selected on an object of type typ; fragments are resolved
// for that type. Aliases of one field merge.
func analyze(opCtx *graphql.OperationContext, typ string, sel ast.SelectionSet) *need {
	n := &need{level: baseLevel[typ]}
	for _, f := range graphql.CollectFields(opCtx, sel, []string{typ, "Node"}) {
		if l, ok := fieldLevel[typ][f.Name]; ok && l > n.level {
			n.level = l
		}
		if ct, ok := childType[typ][f.Name]; ok {
			c := analyze(opCtx, ct, f.Selections)
			n.setChild(f.Name, c.merge(n.child(f.Name)))
		}
	}
	return n
}

func (n *need) merge(o *need) *need {
	if o == nil {
		return n
	}
	n.level = max(n.level, o.level)
	for _, c := range o.children {
		n.setChild(c.field, c.n.merge(n.child(c.field)))
	}
	return n
}

// satisfied counts the embedded objects of a selection that an object of type typ at
// level l brings at the level their selections need (and, recursively, theirs).
func (n *need) satisfied(typ string, l ll2.Level) int {
	count := 0
	for _, c := range n.children {
		el, ok := embeddedLevel(typ, l, c.field)
		if ok && el >= c.n.level {
			count += 1 + c.n.satisfied(childType[typ][c.field], el)
		}
	}
	return count
}

// chooseLevel picks the list mode for objects of type typ, between lo and hi, that
// covers the objects' own fields and brings the most nested objects at the levels
// they need; ties go to the leaner mode, whose answers are smaller.
func (n *need) chooseLevel(typ string, lo, hi ll2.Level) ll2.Level {
	best, bestScore := ll2.LevelNone, -1
	for l := max(lo, n.level); l <= hi; l++ {
		if s := n.satisfied(typ, l); s > bestScore {
			best, bestScore = l, s
		}
	}
	if best == ll2.LevelNone {
		return hi
	}
	return best
}

// levelOf is the level an object of type typ needs for the fields sel selects on it.
// It reads one level of the selection only: unlike analyze it does not plan the
// embedded objects, which resolving an embedded object (hundreds of times a page)
// does not need.
func levelOf(opCtx *graphql.OperationContext, typ string, sel ast.SelectionSet) ll2.Level {
	l := baseLevel[typ]
	levels := fieldLevel[typ]
	if levels == nil {
		return l
	}
	for _, f := range graphql.CollectFields(opCtx, sel, []string{typ, "Node"}) {
		if fl, ok := levels[f.Name]; ok && fl > l {
			l = fl
		}
	}
	return l
}

// cachedNeed returns what the selection sel asks of an object of type typ (a
// connection's items when conn), from the operation's plan cache when it has it:
// compute reads the selection otherwise.
func cachedNeed(ctx context.Context, sel ast.SelectionSet, typ string, conn bool, compute func() (*need, bool)) (*need, bool) {
	p, _ := ctx.Value(planCacheKey{}).(*planCache)
	if p == nil {
		return compute()
	}
	k := needKey{n: len(sel), typ: typ, conn: conn}
	if len(sel) > 0 {
		k.sel = &sel[0]
	}
	p.mu.Lock()
	e, ok := p.needs[k]
	p.mu.Unlock()
	if ok {
		return e.n, e.items
	}
	n, items := compute()
	p.mu.Lock()
	p.needs[k] = cachedPlan{n, items}
	p.mu.Unlock()
	return n, items
}

// PlanCache is an executor extension that keeps, for each operation, what each of its
// selections needs (the planner's need trees): the reverse connections of a page's
// hundred objects share one selection, and reading it (gqlgen's CollectFields) for
// each object would do the same work a hundred times. Without the extension every
// lookup reads the selection. The trees are read-only once cached.
type PlanCache struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = PlanCache{}

// ExtensionName names the extension.
func (PlanCache) ExtensionName() string { return "PlanCache" }

// Validate accepts every schema.
func (PlanCache) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation gives the operation an empty cache.
func (PlanCache) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	return next(context.WithValue(ctx, planCacheKey{}, &planCache{needs: map[needKey]cachedPlan{}}))
}

type planCacheKey struct{}

// planCache is one operation's need trees by selection. A selection is known by its
// first element's address and its length: the operation's document and the merged
// selections gqlgen collects for it stay alive, unchanged, while the operation runs,
// so no other selection can have the same address meanwhile. The cache dies with the
// operation, so its variables (@skip, @include) cannot leak into another's.
type planCache struct {
	mu    sync.Mutex
	needs map[needKey]cachedPlan
}

type needKey struct {
	sel  *ast.Selection
	n    int
	typ  string
	conn bool
}

type cachedPlan struct {
	n     *need
	items bool
}

// connectionNeed analyses the node selections of a connection field (under `nodes` and
// `edges { node }`), and reports whether any item is selected at all.
func connectionNeed(ctx context.Context, connType, typ string) (n *need, items bool) {
	sel := graphql.GetFieldContext(ctx).Field.Selections
	return cachedNeed(ctx, sel, typ, true, func() (*need, bool) {
		return connectionNeedOf(graphql.GetOperationContext(ctx), connType, typ, sel)
	})
}

// connectionNeedOf is connectionNeed for the selection sel of a connection field.
func connectionNeedOf(opCtx *graphql.OperationContext, connType, typ string, sel ast.SelectionSet) (n *need, items bool) {
	n = &need{level: baseLevel[typ]}
	for _, f := range graphql.CollectFields(opCtx, sel, []string{connType}) {
		switch f.Name {
		case "nodes":
			items = true
			n = analyze(opCtx, typ, f.Selections).merge(n)
		case "edges":
			items = true
			for _, e := range graphql.CollectFields(opCtx, f.Selections, []string{typ + "Edge"}) {
				if e.Name == "node" {
					n = analyze(opCtx, typ, e.Selections).merge(n)
				}
			}
		}
	}
	return n, items
}
