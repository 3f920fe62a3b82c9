package graph

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"spacegraph/graph/model"
	"spacegraph/internal/bufpool"
	"spacegraph/ll2"
)

// This file is the runtime of the fast executor that fastgen generates
// (fast.generated.go): for query operations, it writes the response straight into a
// JSON buffer instead of building gqlgen's tree of marshallers, with a field context
// per object and list element (resolvers and error paths read them) but none per
// scalar field, and goroutines only where a resolver below a list may load something
// (so that dataloaders batch the list's loads as they do under gqlgen). Everything it
// answers must be byte for byte what gqlgen answers: TestFastExecutorAnswersAsGQLGen
// holds it to that. Operations it does not take (mutations, subscriptions,
// introspection, @defer and @stream) go to gqlgen's executor.

// NewFastExecutableSchema is NewExecutableSchema with the fast executor in front:
// query operations it can take run on it, the rest on gqlgen's executor. Of the
// handler's field interceptors it reproduces SnapshotGaps, for the fields it reads
// from objects directly and for resolver fields; opts says whether the handler has
// others.
func NewFastExecutableSchema(cfg Config, opts FastOptions) graphql.ExecutableSchema {
	es := NewExecutableSchema(cfg).(*executableSchema)
	return fastSchema{executableSchema: es, opts: opts}
}

// FastOptions tunes the fast executor to its handler.
type FastOptions struct {
	// FieldMiddleware says that the handler runs field middleware besides
	// SnapshotGaps (gqlgen's AroundFields, a FieldInterceptor): the fast executor then
	// calls every resolver through the handler's field middleware, as gqlgen does,
	// which costs a chain of calls and a closure per resolver call. The fields it reads
	// from objects directly never go through it.
	FieldMiddleware bool
}

type fastSchema struct {
	*executableSchema
	opts FastOptions
}

// Exec runs the operation of the context's operation context.
func (s fastSchema) Exec(ctx context.Context) graphql.ResponseHandler {
	opCtx := graphql.GetOperationContext(ctx)
	if !fastCanRun(opCtx) {
		return s.executableSchema.Exec(ctx)
	}
	ec := newExecutionContext(opCtx, s.executableSchema, nil)
	first := true
	return func(ctx context.Context) *graphql.Response {
		if !first {
			return nil
		}
		first = false
		x := &fastExec{ec: ec, oc: opCtx, middleware: s.opts.FieldMiddleware, fields: map[fastKey][]fastField{}, loads: map[fastKey]bool{}}
		_, x.gaps = ctx.Value(gapsKey{}).(*gaps)
		ctx = graphql.WithLazyInputUnmarshalerIndex(ctx, ec.fastInputUnmarshalers)
		return &graphql.Response{Data: x.run(ctx)}
	}
}

// fastCanRun tells whether the fast executor takes an operation: a query with no
// @defer or @stream and no introspection field at its root.
func fastCanRun(opCtx *graphql.OperationContext) bool {
	if opCtx == nil || opCtx.Operation == nil || opCtx.Operation.Operation != ast.Query {
		return false
	}
	if fastHasIncremental(opCtx.Operation.SelectionSet, map[string]bool{}, opCtx.Doc) {
		return false
	}
	for _, f := range graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, []string{"Query"}) {
		if f.Name == "__schema" || f.Name == "__type" {
			return false
		}
	}
	return true
}

func fastHasIncremental(sel ast.SelectionSet, seen map[string]bool, doc *ast.QueryDocument) bool {
	deferred := func(ds ast.DirectiveList) bool {
		return ds.ForName("defer") != nil || ds.ForName("stream") != nil
	}
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if deferred(s.Directives) || fastHasIncremental(s.SelectionSet, seen, doc) {
				return true
			}
		case *ast.InlineFragment:
			if deferred(s.Directives) || fastHasIncremental(s.SelectionSet, seen, doc) {
				return true
			}
		case *ast.FragmentSpread:
			if deferred(s.Directives) {
				return true
			}
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			def := s.Definition
			if def == nil && doc != nil {
				def = doc.Fragments.ForName(s.Name)
			}
			if def != nil && fastHasIncremental(def.SelectionSet, seen, doc) {
				return true
			}
		}
	}
	return false
}

// fastExec is one operation's run.
type fastExec struct {
	ec   *executionContext
	oc   *graphql.OperationContext
	gaps bool // SnapshotGaps runs: its interceptor must see the fields it may answer for
	// middleware: resolver fields go through the handler's field middleware (FastOptions).
	middleware bool

	mu     sync.Mutex
	fields map[fastKey][]fastField
	loads  map[fastKey]bool
}

// fastKey knows a selection by its first element's address and its length (as
// planCache does), with the type it is collected for.
type fastKey struct {
	sel *ast.Selection
	n   int
	typ string
}

func keyOf(sel ast.SelectionSet, typ string) fastKey {
	k := fastKey{n: len(sel), typ: typ}
	if len(sel) > 0 {
		k.sel = &sel[0]
	}
	return k
}

// fastField is a collected field with what the generated code needs of it.
type fastField struct {
	graphql.CollectedField
	key         []byte // `"alias":`
	nonNull     bool
	intercepted bool      // SnapshotGaps may answer for it
	need        ll2.Level // the level of detail the field needs (fieldLevel)
	// loads caches mayLoad for the field's value: 0 not yet known, 1 no, 2 yes. A
	// list field is written once per parent object, and mayLoad's look-up under its
	// lock was once per parent too.
	loads atomic.Int32
}

// fastFieldContext is the field context function gqlgen generates for a field.
type fastFieldContext func(*executionContext, context.Context, graphql.CollectedField) (*graphql.FieldContext, error)

// collect is graphql.CollectFields, once per selection and type in the operation.
func (x *fastExec) collect(sel ast.SelectionSet, typ string, implementors []string) []fastField {
	k := keyOf(sel, typ)
	// Under the lock: the elements of a list written concurrently all ask for the
	// same selection at once, and one of them collects it for all.
	x.mu.Lock()
	defer x.mu.Unlock()
	if fs, ok := x.fields[k]; ok {
		return fs
	}
	collected := graphql.CollectFields(x.oc, sel, implementors)
	fs := make([]fastField, len(collected))
	for i, f := range collected {
		fs[i] = fastField{CollectedField: f, key: append(strconv.AppendQuote(nil, f.Alias), ':')}
		if f.Definition != nil {
			fs[i].nonNull = f.Definition.Type.NonNull
		}
		if x.gaps {
			fs[i].need, fs[i].intercepted = fieldLevel[typ][f.Name]
		}
	}
	x.fields[k] = fs
	return fs
}

// mayLoad tells whether writing a value of type typ for the selection sel may call
// a resolver: then the elements of a list of such values are written concurrently.
func (x *fastExec) mayLoad(typ string, sel ast.SelectionSet) bool {
	if len(sel) == 0 {
		return false
	}
	k := keyOf(sel, typ)
	x.mu.Lock()
	l, ok := x.loads[k]
	x.mu.Unlock()
	if ok {
		return l
	}
	objs := fastPossibleTypes[typ]
	if objs == nil {
		objs = []string{typ}
	}
	for _, o := range objs {
		for _, f := range graphql.CollectFields(x.oc, sel, fastImplementors[o]) {
			if fastResolverFields[o][f.Name] {
				l = true
			} else if child := fastFieldTypes[o][f.Name]; child != "" && x.mayLoad(child, f.Selections) {
				l = true
			}
		}
	}
	x.mu.Lock()
	x.loads[k] = l
	x.mu.Unlock()
	return l
}

// valueMayLoad is mayLoad for the value of field f, once per field.
func (x *fastExec) valueMayLoad(f *fastField) bool {
	switch f.loads.Load() {
	case 1:
		return false
	case 2:
		return true
	}
	l := x.mayLoad(f.Definition.Type.Name(), f.Selections)
	if l {
		f.loads.Store(2)
	} else {
		f.loads.Store(1)
	}
	return l
}

// fastWriter is the buffer a response, or the part of it one goroutine writes, goes to.
type fastWriter struct {
	b []byte
	// noctx counts the enclosing parts being written without field contexts (see
	// lazily): there, whatever needs one panics with fastNeedCtx.
	noctx int
	// recent are the selections this writer collected last (see collectFor), made at
	// its first: a part written concurrently that collects nothing costs nothing.
	recent *recentFields
}

// recentFields are the selections a writer collected last, replaced in turn.
type recentFields struct {
	c    [8]collected
	next int
}

// collected is a selection's collected fields for a type.
type collected struct {
	k  fastKey
	fs []fastField
}

// collectFor is collect through the writer's recent selections: a list's elements
// ask for the same few selections (an object's, its embedded objects') once per
// element, and a look among the last eight costs less than the shared map and its
// lock, which were a tenth of the CPU of a 100-object page.
func (x *fastExec) collectFor(w *fastWriter, sel ast.SelectionSet, typ string, implementors []string) []fastField {
	k := keyOf(sel, typ)
	r := w.recent
	if r == nil {
		r = new(recentFields)
		w.recent = r
	}
	for i := range r.c {
		if r.c[i].k == k {
			return r.c[i].fs
		}
	}
	fs := x.collect(sel, typ, implementors)
	r.c[r.next] = collected{k, fs}
	r.next = (r.next + 1) % len(r.c)
	return fs
}

// fastNeedCtx is the panic of a part written without field contexts that turns out
// to need them: an error to report at a path, or a snapshot gap to record.
type fastNeedCtx struct{}

// lazily writes a part of the response that no resolver runs in (a list whose
// selection mayLoad denies) without a field context per object and element, which
// only errors and snapshot gaps read. If one of them occurs, it rewinds the part and
// reports done false: the caller writes it again with field contexts. Errors that
// gqlgen's marshallers add meanwhile go to a response context of their own, and
// mean the same.
func (x *fastExec) lazily(ctx context.Context, w *fastWriter, write func(context.Context) bool) (ok, done bool) {
	mark := len(w.b)
	lctx := graphql.WithFreshResponseContext(ctx)
	w.noctx++
	defer func() {
		w.noctx--
		if r := recover(); r != nil {
			if _, need := r.(fastNeedCtx); !need {
				panic(r)
			}
			w.b = w.b[:mark]
			ok, done = false, false
		}
	}()
	ok = write(lctx)
	if graphql.GetErrors(lctx) != nil {
		w.b = w.b[:mark]
		return false, false
	}
	return ok, true
}

// needCtx stops a part written without field contexts when it needs them.
func (w *fastWriter) needCtx() {
	if w.noctx > 0 {
		panic(fastNeedCtx{})
	}
}

// Write lets gqlgen's marshallers write into the buffer.
func (w *fastWriter) Write(p []byte) (int, error) {
	w.add(p)
	return len(p), nil
}

func (w *fastWriter) null() { w.b = append(w.b, "null"...) }

// str writes s as a JSON string exactly as gqlgen's MarshalString does
// (model.AppendString).
func (w *fastWriter) str(s string) { w.set(model.AppendString(w.b, s)) }

// add appends p. While p fits, only the buffer's length is written: append(w.b, p...)
// writes the slice's pointer back whether it grew or not (the copy between them
// keeps the compiler from seeing that it did not), and that store takes a write
// barrier while the GC marks, once per field of every object written.
func (w *fastWriter) add(p []byte) {
	n := len(w.b)
	if n+len(p) <= cap(w.b) {
		w.b = w.b[:n+len(p)]
		copy(w.b[n:], p)
		return
	}
	w.b = append(w.b, p...)
}

// set makes b, which an append-like function returned for w.b, the writer's buffer.
// When b is w.b's array with more bytes in it, only the length is written: writing the
// slice's pointer into the heap takes a write barrier while the GC marks (see add).
func (w *fastWriter) set(b []byte) {
	if cap(b) == cap(w.b) && unsafe.SliceData(b) == unsafe.SliceData(w.b) {
		w.b = w.b[:len(b)]
		return
	}
	w.b = b
}

// lentParts returns n writers whose buffers are lent from the pool, and the function
// that gives the buffers back once the parts are copied out (with what they grew to).
func lentParts(n int) ([]fastWriter, func()) {
	parts := make([]fastWriter, n)
	lent := make([]*[]byte, n)
	for i := range parts {
		lent[i] = bufpool.Bytes()
		parts[i].b = *lent[i]
	}
	return parts, func() {
		for i, p := range lent {
			*p = parts[i].b
			bufpool.PutBytes(p)
		}
	}
}

// run writes the data of the operation: the root fields resolve concurrently, each
// under its root field context and the root field middleware, as gqlgen runs them.
func (x *fastExec) run(ctx context.Context) []byte {
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: "Query"})
	fields := x.collect(x.oc.Operation.SelectionSet, "Query", fastImplementorsQuery)
	// Each root field writes into a buffer lent for the request: the parts are copied
	// into the answer below, and growing fresh ones was most of what a query allocated.
	parts, giveBack := lentParts(len(fields))
	defer giveBack()
	oks := make([]bool, len(fields))
	one := func(i int) {
		f := &fields[i]
		inner := graphql.WithRootFieldContext(ctx, &graphql.RootFieldContext{Object: f.Name, Field: f.CollectedField})
		x.oc.RootResolverMiddleware(inner, func(ctx context.Context) graphql.Marshaler {
			defer func() {
				if r := recover(); r != nil {
					x.oc.Error(ctx, x.oc.Recover(ctx, r))
					parts[i].b = parts[i].b[:0]
					parts[i].null()
					oks[i] = false
				}
			}()
			oks[i] = x.fastFieldQuery(ctx, &parts[i], f)
			return graphql.Null
		})
	}
	if len(fields) == 1 {
		one(0)
	} else {
		var wg sync.WaitGroup
		for i := range fields {
			if fields[i].Name == "__typename" {
				one(i)
				continue
			}
			wg.Go(func() { one(i) })
		}
		wg.Wait()
	}
	size := 2
	for i := range parts {
		size += len(fields[i].key) + len(parts[i].b) + 1
	}
	out := answerBuffer(ctx, size)
	out = append(out, '{')
	for i := range parts {
		if !oks[i] {
			if fields[i].nonNull {
				return []byte("null")
			}
			parts[i].b = append(parts[i].b[:0], "null"...)
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, fields[i].key...)
		out = append(out, parts[i].b...)
	}
	return append(out, '}')
}

// LendAnswer returns a context under which the fast executor writes the answer's data
// into a buffer lent by bufpool rather than a new one (a 100-object page is a 70 KB
// copy per request, a third of what a warm query allocated), and the function that
// takes the buffer back. Call it once nothing reads the response's Data any more: the
// transport calls it once it has written the response.
func LendAnswer(ctx context.Context) (context.Context, func()) {
	l := &answerLoan{}
	return context.WithValue(ctx, answerLoanKey{}, l), func() {
		if p := l.lent.Swap(nil); p != nil {
			bufpool.PutBytes(p)
		}
	}
}

type answerLoanKey struct{}

// answerLoan is the buffer LendAnswer lends, once.
type answerLoan struct {
	lent  atomic.Pointer[[]byte]
	taken atomic.Bool
}

// answerBuffer returns an empty buffer of capacity size for the answer: lent when the
// context has a loan not yet taken, else new. The answer must not outgrow it (a lent
// buffer records its slice once, here).
func answerBuffer(ctx context.Context, size int) []byte {
	l, _ := ctx.Value(answerLoanKey{}).(*answerLoan)
	if l == nil || !l.taken.CompareAndSwap(false, true) {
		return make([]byte, 0, size)
	}
	p := bufpool.Bytes()
	*p = slices.Grow((*p)[:0], size)
	l.lent.Store(p)
	return *p
}

// Field outcomes of resolve.
const (
	fastResolved = iota
	fastNull
)

// resolve runs a field through gqlgen's steps: its field context (and arguments),
// the resolver, and the errors and null checks that follow. Unless the handler has
// other field middleware (FastOptions), it runs what SnapshotGaps.InterceptField does
// without the middleware chain: for a field that fieldLevel lists and the object's
// snapshot record lacks, it records the gap and answers null. The returned context
// holds the field's context, for its value's children.
func (x *fastExec) resolve(ctx context.Context, f *fastField, fcFn fastFieldContext, nonNull bool, obj any, fn func(context.Context) (any, error)) (res any, _ context.Context, st int) {
	fc, err := fcFn(x.ec, ctx, f.CollectedField)
	if err != nil {
		return nil, ctx, fastNull
	}
	ctx = graphql.WithFieldContext(ctx, fc)
	defer func() {
		if r := recover(); r != nil {
			x.oc.Error(ctx, x.oc.Recover(ctx, r))
			res, st = nil, fastNull
		}
	}()
	switch {
	case x.middleware:
		res, ctx, err = x.throughMiddleware(ctx, fn)
	case !f.intercepted || !x.gap(ctx, fc, f, obj):
		res, err = fn(ctx)
	}
	if err != nil {
		x.oc.Error(ctx, graphql.AddFieldLocationToError(ctx, err))
		return nil, ctx, fastNull
	}
	if res == nil {
		if nonNull || fc.NonNull {
			graphql.AddInvalidNullError(ctx, "")
		}
		return nil, ctx, fastNull
	}
	fc.Result = res
	return res, ctx, fastResolved
}

// gapped is SnapshotGaps.InterceptField for a field that the generated code reads
// from its object directly: when the object's snapshot record lacks the field, it
// records the gap and reports true, and the field is null (with gqlgen's error if the
// schema says it never is); otherwise the field is read as usual.
func (x *fastExec) gapped(ctx context.Context, w *fastWriter, f *fastField, fcFn fastFieldContext, obj any) bool {
	held, id, ok := heldBy(obj)
	if !ok || held >= f.need {
		return false
	}
	w.needCtx()
	fc, _ := fcFn(x.ec, ctx, f.CollectedField)
	ctx = graphql.WithFieldContext(ctx, fc)
	x.record(ctx, fc, id, held)
	if f.nonNull || fc.NonNull {
		graphql.AddInvalidNullError(ctx, "")
	}
	return true
}

// throughMiddleware calls a resolver through the handler's field middleware, and
// returns the context the middleware handed it, for the value's children (as gqlgen
// does). Apart from resolve so that resolve's context does not escape.
func (x *fastExec) throughMiddleware(ctx context.Context, fn func(context.Context) (any, error)) (any, context.Context, error) {
	res, err := x.oc.ResolverMiddleware(ctx, func(rctx context.Context) (any, error) {
		ctx = rctx
		return fn(rctx)
	})
	return res, ctx, err
}

// gap records the gap of a resolver field whose object's snapshot record lacks it
// (fc is the field's context, in ctx), and reports whether there is one.
func (x *fastExec) gap(ctx context.Context, fc *graphql.FieldContext, f *fastField, obj any) bool {
	held, id, ok := heldBy(obj)
	if !ok || held >= f.need {
		return false
	}
	x.record(ctx, fc, id, held)
	return true
}

// record adds a gap to the operation's record, as SnapshotGaps does.
func (x *fastExec) record(ctx context.Context, fc *graphql.FieldContext, id int, held ll2.Level) {
	if g, _ := ctx.Value(gapsKey{}).(*gaps); g != nil {
		g.add(fc, id, held)
	}
}

// enter gives a field read directly from its object the field context its value's
// children see, as gqlgen gives it. It is generic so that the value is boxed in an
// interface only when the context is made: a slice or a struct boxed at every call was
// an allocation per object written (two per configuration of the nested query).
func enter[T any](x *fastExec, ctx context.Context, w *fastWriter, f *fastField, fcFn fastFieldContext, v T) context.Context {
	if w.noctx > 0 {
		return ctx
	}
	fc, _ := fcFn(x.ec, ctx, f.CollectedField)
	fc.Result = v
	return graphql.WithFieldContext(ctx, fc)
}

// fieldCtx is the field's context, made only when an error needs its path.
func (x *fastExec) fieldCtx(ctx context.Context, f *fastField, fcFn fastFieldContext) context.Context {
	if fcFn == nil {
		return ctx
	}
	fc, _ := fcFn(x.ec, ctx, f.CollectedField)
	return graphql.WithFieldContext(ctx, fc)
}

// invalidNull reports a null where the schema has none through gqlgen's marshaller,
// which adds the error gqlgen adds.
func (x *fastExec) invalidNull(ctx context.Context, w *fastWriter, f *fastField, fcFn fastFieldContext, m func(context.Context) graphql.Marshaler) bool {
	w.needCtx()
	m(x.fieldCtx(ctx, f, fcFn))
	w.null()
	return false
}

// writeMarshaler writes a value through gqlgen's marshaller for its type.
func (x *fastExec) writeMarshaler(ctx context.Context, w *fastWriter, f *fastField, fcFn fastFieldContext, needCtx, nonNull bool, m func(context.Context) graphql.Marshaler) bool {
	if needCtx {
		w.needCtx()
		ctx = x.fieldCtx(ctx, f, fcFn)
	}
	v := m(ctx)
	if v == graphql.Null {
		w.null()
		return !nonNull
	}
	v.MarshalGQL(w)
	return true
}

// The generator hands gqlgenField the fields it does not model (directives, streams,
// batch resolvers); the schema has none today.
var _ = (*fastExec).gqlgenField

// gqlgenField writes a field the generator leaves to gqlgen's own field function.
func (x *fastExec) gqlgenField(ctx context.Context, w *fastWriter, f *fastField, m func(context.Context) graphql.Marshaler) bool {
	v := m(ctx)
	if v == graphql.Null || v == graphql.RequiredNull {
		w.null()
		return !(f.nonNull && v == graphql.Null) && v != graphql.RequiredNull
	}
	v.MarshalGQL(w)
	return true
}

// unknownField is what gqlgen does with a field its schema does not have.
func (x *fastExec) unknownField(_ context.Context, _ *fastWriter, f *fastField) bool {
	panic("unknown field " + strconv.Quote(f.Name))
}

// unexpectedType is gqlgen's answer to a middleware that returns a value of another type.
func (x *fastExec) unexpectedType(ctx context.Context, w *fastWriter, got, want any) bool {
	graphql.AddErrorf(ctx, `unexpected type %T from middleware/directive chain, should be %T`, got, want)
	w.null()
	return false
}

// writeList writes the n elements of a list of objects, each under a field context
// with its index as gqlgen's MarshalSliceConcurrently gives it; concurrently when a
// resolver below may load, so that the list's loads batch as under gqlgen, and
// otherwise without field contexts as long as none is needed (lazily).
func (x *fastExec) writeList(ctx context.Context, w *fastWriter, f *fastField, n int, elemNonNull bool, el func(context.Context, *fastWriter, int) bool) bool {
	load := n > 0 && x.valueMayLoad(f)
	if !load && w.noctx == 0 && n > 0 {
		if ok, done := x.lazily(ctx, w, func(ctx context.Context) bool { return x.writeElements(ctx, w, n, elemNonNull, el) }); done {
			return ok
		}
	}
	if !load || n == 1 {
		return x.writeElements(ctx, w, n, elemNonNull, el)
	}
	w.b = append(w.b, '[')
	// Each element writes into a lent buffer, as root fields do (run): the elements
	// of a list whose objects load (a family's configurations with their spacecraft)
	// grew fresh buffers for a sixth of what such a query allocated.
	parts, giveBack := lentParts(n)
	defer giveBack()
	oks := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			growStack(0)
			oks[i] = x.writeElement(ctx, &parts[i], i, elemNonNull, el)
		})
	}
	wg.Wait()
	for i := range n {
		if !oks[i] {
			return false
		}
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.add(parts[i].b)
	}
	w.b = append(w.b, ']')
	return true
}

// writeElements writes the elements of a list one after the other.
func (x *fastExec) writeElements(ctx context.Context, w *fastWriter, n int, elemNonNull bool, el func(context.Context, *fastWriter, int) bool) bool {
	w.b = append(w.b, '[')
	for i := range n {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		if !x.writeElement(ctx, w, i, elemNonNull, el) {
			return false
		}
	}
	w.b = append(w.b, ']')
	return true
}

// writeElement writes element i of a list under its field context (none in a part
// written lazily), with gqlgen's recovery from a panic.
func (x *fastExec) writeElement(ctx context.Context, w *fastWriter, i int, elemNonNull bool, el func(context.Context, *fastWriter, int) bool) (ok bool) {
	if w.noctx == 0 {
		// A copy, so that i itself does not escape: taking its address moved it to
		// the heap at every element, context or not.
		idx := i
		ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &idx})
	}
	mark := len(w.b)
	defer func() {
		if r := recover(); r != nil {
			if _, need := r.(fastNeedCtx); need {
				panic(r)
			}
			graphql.AddError(ctx, graphql.Recover(ctx, r))
			w.b = append(w.b[:mark], "null"...)
			ok = !elemNonNull
		}
	}()
	if !el(ctx, w, i) {
		w.b = append(w.b[:mark], "null"...)
		return !elemNonNull
	}
	return true
}

// growStack grows a new goroutine's stack at once to what writing an element with
// resolvers below it takes: grown while the stack is a frame deep, it is copied once
// and cheaply, where growing it step by step deep in the resolvers copies and walks
// many frames each time (a quarter of the CPU of the nested reference query).
//
//go:noinline
func growStack(i int) byte {
	var frame [stackFrame]byte
	return frame[i]
}

// stackFrame is growStack's frame size: with what a goroutine starts with, the stack
// grows to 16 KiB.
const stackFrame = 10 << 10

// nodesFieldContext is gqlgen's field context of Query.nodes, but for ids written in
// the document as string literals, which it reads as they are: gqlgen first boxes each
// into a map of the field's arguments, then unmarshals each under a path context of its
// own, a twentieth of the bytes of a nodes(ids:) request over a hundred ids. Ids
// given by a variable, or as int literals, go through gqlgen.
func nodesFieldContext(ec *executionContext, ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
	ids, ok := literalStrings(field, "ids")
	if !ok {
		return ec.fieldContext_Query_nodes(ctx, field)
	}
	return &graphql.FieldContext{
		Object:     "Query",
		Field:      field,
		Args:       map[string]any{"ids": ids},
		IsMethod:   true,
		IsResolver: true,
		Child:      noChildOfInterface,
	}, nil
}

// noChildOfInterface is the Child of a field context whose type is an interface, as
// gqlgen writes it.
func noChildOfInterface(context.Context, graphql.CollectedField) (*graphql.FieldContext, error) {
	return nil, errors.New("FieldContext.Child cannot be called on type INTERFACE")
}

// literalStrings returns the strings of a list argument written in the document as
// string literals only; ok is false for anything else.
func literalStrings(field graphql.CollectedField, name string) (_ []string, ok bool) {
	a := field.Arguments.ForName(name)
	if a == nil || a.Value == nil || a.Value.Kind != ast.ListValue {
		return nil, false
	}
	out := make([]string, len(a.Value.Children))
	for i, c := range a.Value.Children {
		if c.Value == nil || c.Value.Kind != ast.StringValue {
			return nil, false
		}
		out[i] = c.Value.Raw
	}
	return out, true
}
