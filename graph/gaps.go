package graph

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"spacegraph/catalog"
	"spacegraph/errs"
	"spacegraph/graph/model"
	"spacegraph/ll2"
)

// This file reports the fields that the upstream cannot answer because it serves a
// partial snapshot: objects whose snapshot_mode says their record holds less than the
// level of detail a field needs (fieldLevel, the planner's table). Such a field is null
// and, rather than one error per object, the operation gets one NOT_IN_SNAPSHOT error
// per field path pattern: the response path with each list index replaced by `*`
// (`allAgencies.nodes.*.foundingYear`). Its `path` is the first such field in response
// order, `extensions.field` the schema field (`Agency.foundingYear`),
// `extensions.count` how many distinct objects at that pattern lacked it, and
// `extensions.pathPattern` the pattern. A field that LL2 (or a snapshot record that
// holds it) answered null stays a plain null: only the snapshot_mode marks a gap,
// so against the live API no such error can appear.

// SnapshotGaps is the executor extension that finds and reports those fields.
type SnapshotGaps struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
	graphql.FieldInterceptor
} = SnapshotGaps{}

// ExtensionName names the extension.
func (SnapshotGaps) ExtensionName() string { return "SnapshotGaps" }

// Validate accepts every schema.
func (SnapshotGaps) Validate(graphql.ExecutableSchema) error { return nil }

type gapsKey struct{}

// InterceptResponse gives the operation a record of gaps and appends one error per
// field path pattern to its response.
func (SnapshotGaps) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	g := &gaps{byPattern: map[string]*gap{}}
	resp := next(context.WithValue(ctx, gapsKey{}, g))
	if resp == nil {
		return nil
	}
	resp.Errors = append(resp.Errors, g.errors()...)
	return resp
}

// InterceptField answers null, and records the gap, for a field that the object's
// snapshot record does not hold; every other field resolves as usual. It costs a
// map lookup on the parent type for most fields.
func (SnapshotGaps) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	levels := fieldLevel[fc.Object]
	if levels == nil {
		return next(ctx)
	}
	need, ok := levels[fc.Field.Name]
	if !ok || fc.Parent == nil || planOnly[fc.Object][fc.Field.Name] {
		return next(ctx)
	}
	held, id, ok := heldBy(fc.Parent.Result)
	if !ok || held >= need {
		return next(ctx)
	}
	if g, _ := ctx.Value(gapsKey{}).(*gaps); g != nil {
		g.add(fc, id, held)
	}
	return nil, nil
}

// heldBy reads the snapshot level of the object whose field is being resolved, as
// gqlgen keeps it in the parent field's result: the object, a pointer to a list's
// element, or a Node interface. ok is false when the object says nothing (whole).
func heldBy(v any) (held ll2.Level, id int, ok bool) {
	switch o := v.(type) {
	case *catalog.Agency:
		return held2(o != nil, func() (string, int) { return o.SnapshotMode, o.ID })
	case **catalog.Agency:
		return heldBy(*o)
	case *catalog.Family:
		return held2(o != nil, func() (string, int) { return o.SnapshotMode, o.ID })
	case **catalog.Family:
		return heldBy(*o)
	case *catalog.SpacecraftConfig:
		return held2(o != nil, func() (string, int) { return o.SnapshotMode, o.ID })
	case **catalog.SpacecraftConfig:
		return heldBy(*o)
	case *catalog.Spacecraft:
		return held2(o != nil, func() (string, int) { return o.SnapshotMode, o.ID })
	case **catalog.Spacecraft:
		return heldBy(*o)
	case *catalog.SpacecraftFlight:
		return held2(o != nil, func() (string, int) { return o.SnapshotMode, o.ID })
	case **catalog.SpacecraftFlight:
		return heldBy(*o)
	case *model.Node:
		return heldBy(*o)
	}
	return ll2.LevelNone, 0, false
}

func held2(present bool, read func() (string, int)) (ll2.Level, int, bool) {
	if !present {
		return ll2.LevelNone, 0, false
	}
	mode, id := read()
	l, ok := ll2.SnapshotLevel(mode)
	return l, id, ok
}

// gaps are one operation's fields that the snapshot could not answer, by pattern.
type gaps struct {
	mu        sync.Mutex
	byPattern map[string]*gap
}

type gap struct {
	pattern string
	field   string // Type.field
	first   ast.Path
	loc     *ast.Position
	objects map[int]bool
	held    ll2.Level
}

func (g *gaps) add(fc *graphql.FieldContext, id int, held ll2.Level) {
	path := fc.Path()
	var b strings.Builder
	for i, e := range path {
		if i > 0 {
			b.WriteByte('.')
		}
		switch e := e.(type) {
		case ast.PathName:
			b.WriteString(string(e))
		case ast.PathIndex:
			b.WriteByte('*')
		}
	}
	pattern := b.String()
	g.mu.Lock()
	defer g.mu.Unlock()
	x := g.byPattern[pattern]
	if x == nil {
		x = &gap{pattern: pattern, field: fc.Object + "." + fc.Field.Name, objects: map[int]bool{}, held: held}
		g.byPattern[pattern] = x
	}
	x.objects[id] = true
	x.held = min(x.held, held)
	if x.first == nil || comparePaths(path, x.first) < 0 {
		x.first, x.loc = path, fc.Field.Position
	}
}

// comparePaths orders paths as their fields appear in the response.
func comparePaths(a, b ast.Path) int {
	for i := range min(len(a), len(b)) {
		ai, aIdx := a[i].(ast.PathIndex)
		bi, bIdx := b[i].(ast.PathIndex)
		var c int
		switch {
		case aIdx && bIdx:
			c = cmp.Compare(ai, bi)
		case !aIdx && !bIdx:
			c = strings.Compare(string(a[i].(ast.PathName)), string(b[i].(ast.PathName)))
		case aIdx:
			c = 1
		default:
			c = -1
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// errors renders one error per pattern, in the order of their first paths.
func (g *gaps) errors() gqlerror.List {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.byPattern) == 0 {
		return nil
	}
	list := make([]*gap, 0, len(g.byPattern))
	for _, x := range g.byPattern {
		list = append(list, x)
	}
	slices.SortFunc(list, func(a, b *gap) int { return comparePaths(a.first, b.first) })
	out := make(gqlerror.List, len(list))
	for i, x := range list {
		typ, _, _ := strings.Cut(x.field, ".")
		noun := plural(typ, len(x.objects))
		e := &errs.Error{Code: errs.NotInSnapshot, Field: x.field, Count: len(x.objects),
			Message: fmt.Sprintf("%s is not in the snapshot being served: %d %s at %s %s it (the snapshot holds %s at LL2's %s level of detail only); to get it, %s",
				x.field, len(x.objects), noun, x.pattern, lackVerb(len(x.objects)), pronoun(len(x.objects)), x.held, errs.HowToGetIt)}
		ext := errs.Extensions(e)
		ext["pathPattern"] = x.pattern
		ge := &gqlerror.Error{Message: e.Message, Path: x.first, Extensions: ext}
		if x.loc != nil {
			ge.Locations = []gqlerror.Location{{Line: x.loc.Line, Column: x.loc.Column}}
		}
		out[i] = ge
	}
	return out
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func lackVerb(n int) string {
	if n == 1 {
		return "lacks"
	}
	return "lack"
}

// plural names n objects of a schema type in words: "1 agency", "8 agencies".
func plural(typ string, n int) string {
	noun := map[string][2]string{
		"Agency":           {"agency", "agencies"},
		"Family":           {"family", "families"},
		"SpacecraftConfig": {"configuration", "configurations"},
		"Spacecraft":       {"spacecraft", "spacecraft"},
		"SpacecraftFlight": {"flight", "flights"},
		"DockingEvent":     {"docking event", "docking events"},
	}[typ]
	if noun[0] == "" {
		noun = [2]string{"object", "objects"}
	}
	if n == 1 {
		return noun[0]
	}
	return noun[1]
}
