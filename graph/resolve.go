package graph

import (
	"context"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"spacegraph/catalog"
	"spacegraph/errs"
	"spacegraph/graph/model"
	"spacegraph/ll2"
	"spacegraph/loaders"
	"spacegraph/relay"
)

// This file holds the helpers the resolvers share: loading objects at a level, upgrading
// embedded objects that a selection needs richer, and building connections.

// load fetches one object through a loader at level l or richer. It asks as Batch
// does: an object the caches hold is answered at once, where Load waited out the
// batching window (a root lookup was a millisecond and a batch's goroutines per
// request); one that needs LL2 still joins the window's batch.
func load[E any](ctx context.Context, ld *loaders.Entity[E], id int, l ll2.Level) (*E, error) {
	r := ld.Batch(ctx, []loaders.Key{{ID: id, Level: l}})()[0]
	return r.Value, r.Err
}

// nullIfNotFound turns "LL2 has no such object" into a plain null, as the contract asks
// of root lookups; other errors pass.
func nullIfNotFound[E any](v *E, err error) (*E, error) {
	if err != nil && errs.CodeOf(err) == errs.NotFound {
		return nil, nil
	}
	return v, err
}

// objectRef reads the (id, ll2Id) arguments of a root lookup: exactly one, and a
// global id of the right type.
func objectRef(id *string, ll2ID *int, typ string) (int, error) {
	switch {
	case id == nil && ll2ID == nil:
		return 0, errs.Arg("id", "give id or ll2Id")
	case id != nil && ll2ID != nil:
		return 0, errs.Arg("id", "give id or ll2Id, not both")
	case ll2ID != nil:
		if *ll2ID <= 0 {
			return 0, errs.Arg("ll2Id", "LL2 ids are positive")
		}
		return *ll2ID, nil
	}
	t, n, err := relay.ParseGlobalID(*id)
	if err != nil {
		return 0, errs.Arg("id", "not a global id")
	}
	if t != typ {
		return 0, errs.Arg("id", "a %s id where a %s id is expected", t, typ)
	}
	return n, nil
}

// connection answers a connection field: turn the paging arguments into a page
// request, fetch it, and hand back the window for the connection type. A refusal by a partial
// snapshot names the GraphQL arguments at fault.
func connection[E any](ctx context.Context, a connArgs, field string, parent int, q llQuery, fetch func(context.Context, ll2.ListParams) (*catalog.Page[E], error)) (model.Window[E], error) {
	req, err := newPageRequest(a, fingerprint(field, parent, q.ListParams), q.ListParams)
	if err != nil {
		return model.Window[E]{}, err
	}
	w, err := fetchPage(ctx, req, fetch)
	return w, q.notInSnapshot(err, field)
}

// childrenOf fetches a parent's children through a reverse loader (loaders.Reverse.Page),
// so that the same page asked for many parents is fetched together, and a page the
// process keeps is answered at once.
func childrenOf[E any](ld *loaders.Reverse[E], parent int) func(context.Context, ll2.ListParams) (*catalog.Page[E], error) {
	return func(ctx context.Context, q ll2.ListParams) (*catalog.Page[E], error) {
		return ld.Page(ctx, parent, listSiblings(ctx), q)
	}
}

// listSiblings is how many objects of the answer hold the field being resolved, as
// far as the lists above it tell: the product of their lengths (a page of 20
// configurations: 20; 10 agencies with 5 configurations each: 50), and 1 outside any
// list.
func listSiblings(ctx context.Context) int {
	n := 1
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if fc.Index == nil || fc.Parent == nil {
			continue
		}
		if v := reflect.ValueOf(fc.Parent.Result); v.Kind() == reflect.Slice && v.Len() > 0 {
			n = satMul(n, v.Len())
		}
	}
	return n
}

// nodeRef is an object a global id names.
type nodeRef struct {
	typ string
	id  int
}

// loadNodes loads the objects of nodes(ids:), at the level the selection needs for
// each type: one batch per type (loaders.Entity.Batch), every batch started before
// any is waited for. An id LL2 does not have is null; another failure is an error at
// its index, the errors in the order of the ids.
func loadNodes(ctx context.Context, refs []nodeRef) []model.Node {
	l := loaders.For(ctx)
	b := nodeBatch{ctx: ctx, opCtx: graphql.GetOperationContext(ctx), sel: graphql.GetFieldContext(ctx).Field.Selections,
		refs: refs, out: make([]model.Node, len(refs))}
	for _, wait := range [...]func(){
		startNodes[catalog.Spacecraft](&b, l.Spacecraft, relay.TypeSpacecraft),
		startNodes[catalog.SpacecraftConfig](&b, l.Config, relay.TypeSpacecraftConfig),
		startNodes[catalog.Agency](&b, l.Agency, relay.TypeAgency),
		startNodes[catalog.Family](&b, l.Family, relay.TypeFamily),
		startNodes[catalog.SpacecraftFlight](&b, l.Flight, relay.TypeSpacecraftFlight),
		startNodes[catalog.DockingEvent](&b, l.DockingEvent, relay.TypeDockingEvent),
	} {
		wait()
	}
	for i, err := range b.errs {
		if err != nil {
			errorAt(ctx, i, err)
		}
	}
	return b.out
}

// nodeBatch is loadNodes' state.
type nodeBatch struct {
	ctx   context.Context
	opCtx *graphql.OperationContext
	sel   ast.SelectionSet
	refs  []nodeRef
	out   []model.Node
	errs  []error // by index, made at the first error
}

// startNodes starts the batch of the refs of type typ and returns the function that
// waits for it and sets its objects (or errors) at their indexes.
func startNodes[E any, PE interface {
	*E
	model.Node
}](b *nodeBatch, e *loaders.Entity[E], typ string) func() {
	var (
		keys  []loaders.Key
		at    []int
		level ll2.Level
	)
	for i, r := range b.refs {
		if r.typ != typ {
			continue
		}
		if keys == nil {
			keys, at = make([]loaders.Key, 0, len(b.refs)-i), make([]int, 0, len(b.refs)-i)
			level = levelOf(b.opCtx, typ, b.sel)
		}
		keys = append(keys, loaders.Key{ID: r.id, Level: level})
		at = append(at, i)
	}
	if len(keys) == 0 {
		return func() {}
	}
	wait := e.Batch(b.ctx, keys)
	return func() {
		for j, r := range wait() {
			if r.Err != nil && errs.CodeOf(r.Err) != errs.NotFound {
				if b.errs == nil {
					b.errs = make([]error, len(b.refs))
				}
				b.errs[at[j]] = r.Err
				continue
			}
			if r.Value != nil {
				b.out[at[j]] = PE(r.Value)
			}
		}
	}
}

// nodeThunk starts loading the object a global id names, at the level the selection
// needs for its type, and returns a function that waits for it.
func nodeThunk(ctx context.Context, typ string, id int) func() (model.Node, error) {
	l := loaders.For(ctx)
	opCtx := graphql.GetOperationContext(ctx)
	sel := graphql.GetFieldContext(ctx).Field.Selections
	level := levelOf(opCtx, typ, sel)
	wrap := func(v model.Node, err error) (model.Node, error) {
		if err != nil && errs.CodeOf(err) == errs.NotFound {
			return nil, nil
		}
		return v, err
	}
	switch typ {
	case relay.TypeSpacecraft:
		th := l.Spacecraft.Load(ctx, loaders.Key{ID: id, Level: level})
		return func() (model.Node, error) { return wrap(asNode(th())) }
	case relay.TypeSpacecraftConfig:
		th := l.Config.Load(ctx, loaders.Key{ID: id, Level: level})
		return func() (model.Node, error) { return wrap(asNode(th())) }
	case relay.TypeAgency:
		th := l.Agency.Load(ctx, loaders.Key{ID: id, Level: level})
		return func() (model.Node, error) { return wrap(asNode(th())) }
	case relay.TypeSpacecraftFlight:
		th := l.Flight.Load(ctx, loaders.Key{ID: id, Level: level})
		return func() (model.Node, error) { return wrap(asNode(th())) }
	case relay.TypeDockingEvent:
		th := l.DockingEvent.Load(ctx, loaders.Key{ID: id, Level: level})
		return func() (model.Node, error) { return wrap(asNode(th())) }
	default:
		th := l.Family.Load(ctx, loaders.Key{ID: id, Level: level})
		return func() (model.Node, error) { return wrap(asNode(th())) }
	}
}

// asNode converts a loaded entity to the Node interface, keeping a missing entity a
// nil interface (a typed nil pointer would be a non-nil Node).
func asNode[E any, PE interface {
	*E
	model.Node
}](v PE, err error) (model.Node, error) {
	if err != nil || v == nil {
		return nil, err
	}
	return v, nil
}

// errorAt attaches err to the i-th element of the list being resolved.
func errorAt(ctx context.Context, i int, err error) {
	path := append(ast.Path{}, graphql.GetPath(ctx)...)
	graphql.AddError(ctx, &gqlerror.Error{Err: err, Message: err.Error(), Path: append(path, ast.PathIndex(i))})
}
