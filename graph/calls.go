package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"spacegraph/catalog"
	"spacegraph/economy"
	"spacegraph/errs"
	"spacegraph/ll2"
	"spacegraph/relay"
)

// This file counts the LL2 calls an operation can make, before it runs, so that one
// small request cannot spend LL2's whole budget (15 calls an hour without a key). The
// count follows the rules the resolvers, the loaders and the catalog follow when the
// operation runs:
//
//   - a root connection is one list call; root fields with the same arguments and list
//     mode share it (the answer cache and in-flight sharing see the same URL);
//   - the root lookups (node, nodes, spacecraft(ll2Id:) …) of one kind are one loader
//     batch: one detail call per distinct id, or one crawl of the kind's collection
//     when that costs fewer calls (catalog.CrawlCost);
//   - an embedded object (a spacecraft's configuration, a configuration's agency …)
//     costs nothing when its parent brings it at the level its selection needs; else
//     its field is one loader batch over all the parents the field is resolved on:
//     min(parents, crawl cost) calls;
//   - a reverse connection (a configuration's spacecraft …) is one batch over its
//     parents: one filtered list call per parent, or one crawl of the child collection
//     when cheaper (always, for a family's configurations, which LL2 cannot filter);
//   - the list modes are the planner's own (plan.go): a page is fetched at the mode that
//     embeds what its selection needs.
//
// Parents are counted from the page sizes (first/last, default 10), the number of ids,
// and, for a configuration's families, as many as there may be. The count assumes cold
// caches, so that it is the same whatever the caches hold: answers from the caches only
// make a run cheaper. What the count cannot foresee (a collection grown past its last
// known size, a batch split because its parents arrived at different times, entities
// from the entity cache at a leaner level than a detail call brings) is caught while
// the operation runs: the request's upstream report refuses calls past the limit, and
// the fields that needed them get a QUERY_TOO_COMPLEX error instead of a call.

// LimitUpstreamCalls names the limit on a request's LL2 calls in `extensions.limit`.
const LimitUpstreamCalls = errs.LimitUpstreamCalls

// CrawlCost tells how many calls a crawl of a kind's whole collection takes
// (catalog.Catalog.CrawlCost).
type CrawlCost func(catalog.Kind) int

// CallLimit is the executor extension that bounds the LL2 calls of one request: an
// operation whose planned calls (PlanCalls) exceed Max is refused before anything runs
// with QUERY_TOO_COMPLEX, and the calls of an operation that runs are capped at Max,
// answers from the caches not counted. A Max of zero or less is no limit.
type CallLimit struct {
	// Max is the most LL2 calls one request may make.
	Max int
	// CrawlCost is the catalog's crawl cost per kind, read when an operation is planned.
	CrawlCost CrawlCost
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = CallLimit{}

// ExtensionName names the extension for gqlgen.
func (CallLimit) ExtensionName() string { return "UpstreamCallLimit" }

// Validate accepts any schema.
func (CallLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext plans the operation about to run (parsed, validated, its
// variables coerced, the other limits passed), refuses it when its planned calls
// exceed the limit, and otherwise sets the limit on the request's upstream report.
func (l CallLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if l.Max <= 0 || opCtx.Operation == nil {
		return nil
	}
	if n := planCalls(opCtx, l.CrawlCost); n > l.Max {
		return tooManyCalls(n, l.Max)
	}
	economy.ReportFrom(ctx).LimitCalls(l.Max)
	return nil
}

// tooManyCalls is the refusal of an operation that plans more LL2 calls than max, in
// the shape of the other limits' refusals (TooComplex).
func tooManyCalls(planned, max int) *gqlerror.Error {
	msg := fmt.Sprintf("query too complex: it can need %d LL2 calls, %d over the limit of %d", planned, planned-max, max)
	if planned >= unbounded {
		msg = fmt.Sprintf("query too complex: it can need more LL2 calls than can be counted, over the limit of %d", max)
	}
	return &gqlerror.Error{
		Message: msg,
		Extensions: map[string]any{
			"code":    string(errs.QueryTooComplex),
			"limit":   LimitUpstreamCalls,
			"maximum": max,
			"actual":  planned,
		},
	}
}

// PlanCalls returns the most LL2 calls an operation of a validated document (its fields
// know their definitions) can make with the coerced variables vars, when the catalog's
// collections take cost calls to crawl (nil: one call each); see the comment at the
// top of this file.
func PlanCalls(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any, cost CrawlCost) int {
	return planCalls(&graphql.OperationContext{Doc: doc, Operation: op, Variables: vars}, cost)
}

// kinds is the number of catalog kinds.
const kinds = int(catalog.KindDockingEvent) + 1

// unbounded stands for a count with no known bound (a configuration's families); it
// is also the count of an operation too large to plan.
const unbounded = math.MaxInt32

// maxPlanSteps bounds the fields one plan walks. The complexity limit keeps every
// operation far below it; with that limit off, a document whose fragments multiply
// its fields beyond it is counted as unbounded rather than walked for ever.
const maxPlanSteps = 100_000

func planCalls(opCtx *graphql.OperationContext, cost CrawlCost) int {
	var cc [kinds]int
	for k := range cc {
		cc[k] = 1
		if cost != nil {
			cc[k] = max(1, cost(catalog.Kind(k)))
		}
	}
	// An object loaded in a batch that crawls comes at the crawl's level, leaner than a
	// detail call's, and its own embedded objects may then need loading in turn. Which
	// kinds may crawl is known only once the operation is planned: plan again with
	// those kinds' loads at the crawl's level, until no other kind may crawl.
	var crawled [kinds]bool
	for {
		p := &callPlanner{opCtx: opCtx, cost: cc, crawled: crawled, lists: map[string]bool{}}
		p.operation()
		if p.steps > maxPlanSteps {
			return unbounded
		}
		grown := false
		for k, c := range p.crawls {
			if c && !crawled[k] {
				crawled[k], grown = true, true
			}
		}
		if !grown {
			return p.calls
		}
	}
}

// callPlanner is one walk of an operation.
type callPlanner struct {
	opCtx *graphql.OperationContext
	cost  [kinds]int
	// crawled are the kinds whose loaded objects may come from a crawl.
	crawled [kinds]bool

	calls int
	// lists are the root list calls, by field, mode and arguments.
	lists map[string]bool
	// loads counts the objects of each kind loaded by id, and crawls the kinds that a
	// batch (of loads, or of a reverse connection) may crawl.
	loads  [kinds]int
	crawls [kinds]bool
	steps  int
	// owners, while the items of a local connection are walked, is how many parents
	// they belong to: the docking events of the flights a detailed spacecraft lists
	// cost a call per spacecraft (catalog.DockingEventsOfFlights), not per flight.
	owners int
}

// kindOf is the catalog kind of each object type LL2 serves.
var kindOf = map[string]catalog.Kind{
	relay.TypeSpacecraft:       catalog.KindSpacecraft,
	relay.TypeSpacecraftConfig: catalog.KindConfig,
	relay.TypeAgency:           catalog.KindAgency,
	relay.TypeFamily:           catalog.KindFamily,
	relay.TypeSpacecraftFlight: catalog.KindFlight,
	relay.TypeDockingEvent:     catalog.KindDockingEvent,
}

// modeRange is the least and the richest list mode the resolvers ask for each type's
// pages (the lo and hi of their chooseLevel).
var modeRange = map[string][2]ll2.Level{
	relay.TypeSpacecraft:       {ll2.LevelNormal, ll2.LevelDetailed},
	relay.TypeSpacecraftConfig: {ll2.LevelNormal, ll2.LevelDetailed},
	relay.TypeAgency:           {ll2.LevelList, ll2.LevelDetailed},
	relay.TypeFamily:           {ll2.LevelList, ll2.LevelDetailed},
	relay.TypeSpacecraftFlight: {ll2.LevelNormal, ll2.LevelDetailed},
	relay.TypeDockingEvent:     {ll2.LevelNormal, ll2.LevelDetailed},
}

// conn is a connection field: its connection type, its node type and, for a reverse
// connection, whether it is always answered by crawling (LL2 has no filter for it).
type conn struct {
	connType, typ string
	crawlOnly     bool
	// local, when set, is the parent level that brings the items itself: a parent at
	// that level or richer costs no call, and its items come at localLevel.
	local, localLevel ll2.Level
	// mode, when set, is the one list mode the resolver asks for, and priceAs the kind
	// whose crawl answers many parents at once (when not the items' own).
	mode    ll2.Level
	priceAs string
}

// rootConns are the root connection fields.
var rootConns = map[string]conn{
	"allSpacecraft":        {connType: "SpacecraftConnection", typ: relay.TypeSpacecraft},
	"allSpacecraftConfigs": {connType: "SpacecraftConfigConnection", typ: relay.TypeSpacecraftConfig},
	"allAgencies":          {connType: "AgencyConnection", typ: relay.TypeAgency},
	"allFamilies":          {connType: "FamilyConnection", typ: relay.TypeFamily},
	"allSpacecraftFlights": {connType: "SpacecraftFlightConnection", typ: relay.TypeSpacecraftFlight},
	"allDockingEvents":     {connType: "DockingEventConnection", typ: relay.TypeDockingEvent},
}

// reverseConns are the connection fields of objects, answered by the reverse loaders
// (catalog.SpacecraftOfConfigs, ConfigsOfAgencies, FamiliesOfAgencies,
// ConfigsOfFamilies).
var reverseConns = map[string]map[string]conn{
	relay.TypeSpacecraftConfig: {"spacecraft": {connType: "SpacecraftConnection", typ: relay.TypeSpacecraft}},
	relay.TypeAgency: {
		"spacecraftConfigs": {connType: "SpacecraftConfigConnection", typ: relay.TypeSpacecraftConfig},
		"families":          {connType: "FamilyConnection", typ: relay.TypeFamily},
	},
	relay.TypeFamily: {"spacecraftConfigs": {connType: "SpacecraftConfigConnection", typ: relay.TypeSpacecraftConfig, crawlOnly: true}},
	// A detailed spacecraft lists its flights (normal level) and a detailed flight its
	// docking events (detailed level); others go through catalog.FlightsOfSpacecraft
	// (priced by the detailed spacecraft's crawl) and DockingEventsOfFlights.
	relay.TypeSpacecraft: {"flights": {connType: "SpacecraftFlightConnection", typ: relay.TypeSpacecraftFlight,
		local: ll2.LevelDetailed, localLevel: ll2.LevelNormal, mode: ll2.LevelNormal, priceAs: relay.TypeSpacecraft}},
	relay.TypeSpacecraftFlight: {"dockingEvents": {connType: "DockingEventConnection", typ: relay.TypeDockingEvent,
		local: ll2.LevelDetailed, localLevel: ll2.LevelDetailed}},
}

// lookupLists are the root fields that return a whole lookup table: one call each
// (the answer cache keeps them a day), whatever they select.
var lookupLists = map[string]bool{
	"spacecraftStatuses": true, "spacecraftConfigTypes": true, "agencyTypes": true,
	"countries": true, "imageLicenses": true,
}

// rootLookups are the root fields that look an object up by id or ll2Id, with its type.
var rootLookups = map[string]string{
	"spacecraft":       relay.TypeSpacecraft,
	"spacecraftConfig": relay.TypeSpacecraftConfig,
	"agency":           relay.TypeAgency,
	"family":           relay.TypeFamily,
	"spacecraftFlight": relay.TypeSpacecraftFlight,
	"dockingEvent":     relay.TypeDockingEvent,
}

// step counts a field walked and reports whether the walk must stop.
func (p *callPlanner) step() bool {
	p.steps++
	return p.steps > maxPlanSteps
}

func (p *callPlanner) operation() {
	fields := graphql.CollectFields(p.opCtx, p.opCtx.Operation.SelectionSet, []string{"Query"})
	// The root lookups of a kind are one batch: gather every id before counting.
	// Ids grouped by kind and sorted as plain ints, not sets: a hundred ids of four
	// kinds in maps presized for them were a tenth of planning nodes(ids:), and a sort
	// of (kind, id, type) structs a twentieth.
	type lookup struct {
		f graphql.CollectedField
		k catalog.Kind
		n int
	}
	var (
		lookups []lookup
		all     idsByKind
		field   []rootID
		buf     []int
	)
	for _, f := range fields {
		if p.step() {
			return
		}
		if c, ok := rootConns[f.Name]; ok {
			p.connection(f, c, rootField, p.lists)
			continue
		}
		if lookupLists[f.Name] {
			if !p.lists[f.Name] {
				p.lists[f.Name] = true
				p.calls = satAdd(p.calls, 1)
			}
			continue
		}
		field = p.rootIDs(f, field[:0])
		var byKind idsByKind
		byKind, buf = groupIDs(field, buf)
		for k, ids := range byKind {
			if len(ids) > 0 {
				lookups = append(lookups, lookup{f, catalog.Kind(k), len(ids)})
				all[k] = append(all[k], ids...)
			}
		}
	}
	for k, ids := range all {
		slices.Sort(ids)
		if n := len(slices.Compact(ids)); n > 0 {
			p.batch(catalog.Kind(k), n)
		}
	}
	for _, l := range lookups {
		typ := typeOfKind[l.k]
		p.object(typ, p.arrival(l.k, levelOf(p.opCtx, typ, l.f.Selections)), l.n, l.f.Selections)
	}
}

// rootID is an id a root lookup field loads, with its kind.
type rootID struct {
	kind catalog.Kind
	id   int
}

// typeOfKind is the object type of each kind: a kind is one node type (kindOf's
// inverse), so that an id's kind tells its type.
var typeOfKind = [...]string{
	catalog.KindSpacecraft:   relay.TypeSpacecraft,
	catalog.KindConfig:       relay.TypeSpacecraftConfig,
	catalog.KindAgency:       relay.TypeAgency,
	catalog.KindFamily:       relay.TypeFamily,
	catalog.KindFlight:       relay.TypeSpacecraftFlight,
	catalog.KindDockingEvent: relay.TypeDockingEvent,
}

// idsByKind holds ids by their kind, sorted and without repeats.
type idsByKind [len(typeOfKind)][]int

// groupIDs groups ids by kind, each kind's sorted and without repeats, in buf (grown
// as needed and returned for the next call): a counting sort by kind, then a sort of
// plain ints per kind.
func groupIDs(ids []rootID, buf []int) (idsByKind, []int) {
	var counts [len(typeOfKind)]int
	for _, r := range ids {
		counts[r.kind]++
	}
	buf = slices.Grow(buf[:0], len(ids))[:len(ids)]
	var g idsByKind
	off := 0
	for k, n := range counts {
		g[k] = buf[off : off : off+n]
		off += n
	}
	for _, r := range ids {
		g[r.kind] = append(g[r.kind], r.id)
	}
	for k, ids := range g {
		slices.Sort(ids)
		g[k] = slices.Compact(ids)
	}
	return g, buf
}

// rootIDs appends to out the ids, with their kinds, that a root lookup field loads
// (repeats included); none when its arguments are refused before any call.
func (p *callPlanner) rootIDs(f graphql.CollectedField, out []rootID) []rootID {
	start := len(out)
	switch f.Name {
	case "node":
		if s, ok := p.arg(f, "id").(string); ok {
			if typ, id, err := relay.ParseGlobalID(s); err == nil {
				out = append(out, rootID{kindOf[typ], id})
			}
		}
	case "nodes":
		list, ok := p.stringList(f, "ids")
		if !ok || len(list) > maxPageSize {
			return out[:start]
		}
		out = slices.Grow(out, len(list))
		for _, s := range list {
			typ, id, err := relay.ParseGlobalID(s)
			if err != nil {
				return out[:start] // the resolver refuses the whole field
			}
			out = append(out, rootID{kindOf[typ], id})
		}
	default:
		want, ok := rootLookups[f.Name]
		if !ok {
			return out
		}
		gid, hasID := p.arg(f, "id").(string)
		ll2ID, hasLL2ID := asInt(p.arg(f, "ll2Id"))
		switch {
		case hasID && !hasLL2ID:
			if typ, id, err := relay.ParseGlobalID(gid); err == nil && typ == want {
				out = append(out, rootID{kindOf[typ], id})
			}
		case hasLL2ID && !hasID && ll2ID > 0:
			out = append(out, rootID{kindOf[want], ll2ID})
		}
	}
	return out
}

// rootField is the number of parents of a root connection field, which has none.
const rootField = 0

// connection counts a connection field resolved on parents objects (rootField for a
// root field) and walks its items. same holds the connections already counted on the
// same parents, by field, mode and arguments: the answer cache (a root page's URL) and
// the reverse loaders (a page per parent and query) know them so, and one found there
// costs nothing more.
func (p *callPlanner) connection(f graphql.CollectedField, c conn, parents int, same map[string]bool) {
	size, ok := p.pageSize(f)
	if !ok || parents < 0 {
		return
	}
	n, _ := connectionNeedOf(p.opCtx, c.connType, c.typ, f.Selections)
	r := modeRange[c.typ]
	mode := n.chooseLevel(c.typ, r[0], r[1])
	if c.mode != ll2.LevelNone {
		mode = c.mode
	}
	k := kindOf[c.typ]
	if key := f.Name + "|" + mode.String() + "|" + p.argsKey(f); !same[key] {
		same[key] = true
		pk := k
		if c.priceAs != "" {
			pk = kindOf[c.priceAs]
		}
		cc := p.cost[pk]
		batches := parents
		if p.owners > 0 && c.typ == relay.TypeDockingEvent {
			batches = min(parents, p.owners)
		}
		switch {
		case parents == rootField:
			p.calls = satAdd(p.calls, 1)
		case c.crawlOnly || batches > cc:
			p.calls = satAdd(p.calls, cc)
			p.crawls[pk] = true
		default:
			p.calls = satAdd(p.calls, batches)
		}
	}
	p.items(f, c, satMul(max(parents, 1), size), catalog.ListLevel(k, mode))
}

// localConnection walks a connection field resolved on parents objects that bring its
// items themselves (conn.local): no call.
func (p *callPlanner) localConnection(f graphql.CollectedField, c conn, parents int) {
	size, ok := p.pageSize(f)
	if !ok {
		return
	}
	saved := p.owners
	p.owners = parents
	p.items(f, c, satMul(parents, size), c.localLevel)
	p.owners = saved
}

// items walks the selections of a connection's n items, which arrive at level.
func (p *callPlanner) items(f graphql.CollectedField, c conn, items int, level ll2.Level) {
	for _, cf := range graphql.CollectFields(p.opCtx, f.Selections, []string{c.connType}) {
		if p.step() {
			return
		}
		switch cf.Name {
		case "nodes":
			p.object(c.typ, level, items, cf.Selections)
		case "edges":
			for _, e := range graphql.CollectFields(p.opCtx, cf.Selections, []string{c.typ + "Edge"}) {
				if e.Name == "node" {
					p.object(c.typ, level, items, e.Selections)
				}
			}
		}
	}
}

// object walks the selection of n objects of type typ that arrive at level l.
func (p *callPlanner) object(typ string, l ll2.Level, n int, sel ast.SelectionSet) {
	if n <= 0 {
		return
	}
	same := map[string]bool{}
	for _, f := range graphql.CollectFields(p.opCtx, sel, []string{typ, "Node"}) {
		if p.step() {
			return
		}
		if ct, ok := childType[typ][f.Name]; ok {
			el, embeds := embeddedLevel(typ, l, f.Name)
			if !embeds {
				continue // a family below the normal level has none: the field is null
			}
			m := n
			if typ == relay.TypeSpacecraftConfig && f.Name == "families" {
				m = unbounded
			}
			if need := levelOf(p.opCtx, ct, f.Selections); el < need {
				el = p.load(kindOf[ct], m, need)
			}
			p.object(ct, el, m, f.Selections)
			continue
		}
		if c, ok := reverseConns[typ][f.Name]; ok && n > 0 {
			if c.local != ll2.LevelNone && l >= c.local {
				p.localConnection(f, c, n)
			} else {
				p.connection(f, c, n, same)
			}
		}
	}
}

// load counts one loader batch of n objects of kind k wanted at level need, and
// returns the level they arrive at.
func (p *callPlanner) load(k catalog.Kind, n int, need ll2.Level) ll2.Level {
	p.batch(k, n)
	return p.arrival(k, need)
}

// batch counts a batch of n objects of kind k loaded by id: a detail call each, or a
// crawl when that is fewer calls (catalog's getMany).
func (p *callPlanner) batch(k catalog.Kind, n int) {
	p.calls = satAdd(p.calls, min(n, p.cost[k]))
	// Batches of one kind may merge in the loader: the crawl is decided on their sum.
	p.loads[k] = satAdd(p.loads[k], n)
	if p.loads[k] > max(1, p.cost[k]) {
		p.crawls[k] = true
	}
}

// arrival is the level an object of kind k loaded for a selection that needs level
// need comes at: a detail call's, or, when a crawl of the kind may answer it, the
// level the crawl brings.
func (p *callPlanner) arrival(k catalog.Kind, need ll2.Level) ll2.Level {
	if p.crawled[k] {
		return catalog.ListLevel(k, need)
	}
	return catalog.DetailLevel(k)
}

// pageSize is how many items a connection field asks for (first or last, default
// 10); ok is false when the resolver refuses its paging arguments before any call.
func (p *callPlanner) pageSize(f graphql.CollectedField) (int, bool) {
	first, hasFirst := asInt(p.arg(f, "first"))
	last, hasLast := asInt(p.arg(f, "last"))
	n := defaultPageSize
	switch {
	case hasFirst && hasLast:
		return 0, false
	case hasFirst:
		n = first
	case hasLast:
		n = last
	}
	return n, n >= 0 && n <= maxPageSize
}

// arg is an argument's value with the variables substituted (nil when absent or not
// a value).
func (p *callPlanner) arg(f graphql.CollectedField, name string) any {
	a := f.Arguments.ForName(name)
	if a == nil || a.Value == nil {
		return nil
	}
	v, err := a.Value.Value(p.opCtx.Variables)
	if err != nil {
		return nil
	}
	return v
}

// stringList returns a list argument's strings. A list written in the document is read
// from its literals, which the planner would otherwise box one by one (a hundred ids of
// nodes(ids:)); a variable or an element of another kind goes through Value.
func (p *callPlanner) stringList(f graphql.CollectedField, name string) ([]string, bool) {
	if list, ok := literalStrings(f, name); ok {
		return list, true
	}
	switch v := p.arg(f, name).(type) {
	case []string:
		return v, true
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, _ := e.(string)
			out = append(out, s)
		}
		return out, true
	case string: // a single value where a list is expected is a list of one
		return []string{v}, true
	}
	return nil, false
}

// argsKey identifies a field's arguments: fields with the same key make the same call.
func (p *callPlanner) argsKey(f graphql.CollectedField) string {
	args := make(map[string]any, len(f.Arguments))
	for _, a := range f.Arguments {
		args[a.Name] = p.arg(f, a.Name)
	}
	b, err := json.Marshal(args)
	if err != nil {
		// Counted as a call of its own: the count stays an upper bound.
		return fmt.Sprintf("%p", f.Field)
	}
	return string(b)
}
