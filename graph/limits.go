package graph

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/validator/core"

	"spacegraph/errs"
)

// This file is the query limits: what an operation may ask before anything runs. Each
// limit refuses with QUERY_TOO_COMPLEX, naming the limit, the operation's measure and
// how far over the limit it is, so that a client knows what to cut.

// Limits bounds the shape of an operation. A limit of zero or less is no limit.
type Limits struct {
	// MaxDepth bounds the nesting of fields: `{ a { b } }` has depth 2. Introspection
	// (`__schema`, `__type`) counts as one level: the full introspection query of
	// clients nests fifteen deep (`ofType` in `ofType`) and costs no LL2 call. Its
	// size is bounded by MaxComplexity, which measures it exactly, and its nesting of
	// lists by the validator's MaxIntrospectionDepth rule (at most two levels of
	// `fields`, `inputFields`, `interfaces` and `possibleTypes`).
	MaxDepth int
	// MaxComplexity bounds the estimated cost: every field costs 1 plus its
	// selection, and a connection costs its page size (`first` or `last`, default
	// 10) times its selection; `nodes(ids:)` costs the number of ids times its
	// selection. An introspection field costs the number of fields of its answer,
	// every list at its real length in the schema.
	MaxComplexity int
	// MaxAliases bounds the fields that carry an alias, fragments counted where they
	// are spread.
	MaxAliases int
	// MaxRootFields bounds the fields selected at the top of the operation.
	MaxRootFields int
	// MaxDocumentBytes bounds the length of the document text, whitespace and
	// comments included, which the token limit does not see: a single comment is one
	// token however long.
	MaxDocumentBytes int
	// Schema is the schema the operations run on, whose lists measure introspection
	// (nil: this package's schema).
	Schema *ast.Schema
}

// Measure is what the limits look at in an operation.
type Measure struct {
	// Depth is the deepest nesting of fields.
	Depth int
	// Complexity is the estimated cost (see Limits.MaxComplexity).
	Complexity int
	// Aliases is the number of aliased fields.
	Aliases int
	// RootFields is the number of fields at the top of the operation.
	RootFields int
}

// MeasureOperation measures an operation of a validated document (its fields know
// their definitions and its fragment spreads their fragments) on schema, with the
// coerced variables (CoerceVariables) that set page sizes: the very values the
// resolvers read. Each fragment is measured once, however often it is spread, so the
// walk is linear in the document's size; introspection is measured on the schema
// (introspection_cost.go).
func MeasureOperation(schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any) Measure {
	m := &measurer{schema: schema, vars: vars, fragments: map[*ast.FragmentDefinition]setMeasure{}}
	s := m.set(op.SelectionSet)
	return Measure{Depth: s.depth, Complexity: s.cost, Aliases: s.aliases, RootFields: s.fields}
}

// setMeasure is the measure of one selection set.
type setMeasure struct {
	depth, cost, aliases, fields int
}

type measurer struct {
	schema    *ast.Schema
	vars      map[string]any
	fragments map[*ast.FragmentDefinition]setMeasure
	intro     *introMeasurer
}

func (m *measurer) set(set ast.SelectionSet) setMeasure {
	var out setMeasure
	add := func(s setMeasure) {
		out.depth = max(out.depth, s.depth)
		out.cost = satAdd(out.cost, s.cost)
		out.aliases = satAdd(out.aliases, s.aliases)
		out.fields = satAdd(out.fields, s.fields)
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			add(m.field(s))
		case *ast.InlineFragment:
			add(m.set(s.SelectionSet))
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue
			}
			fm, ok := m.fragments[s.Definition]
			if !ok {
				// Validation has refused fragment cycles, so this terminates.
				fm = m.set(s.Definition.SelectionSet)
				m.fragments[s.Definition] = fm
			}
			add(fm)
		}
	}
	return out
}

func (m *measurer) field(f *ast.Field) setMeasure {
	out := setMeasure{depth: 1, fields: 1}
	if f.Alias != "" && f.Alias != f.Name {
		out.aliases = 1
	}
	switch f.Name {
	case "__typename":
		return out
	case "__schema", "__type":
		// One level deep (see Limits.MaxDepth), its aliases counted, its cost the
		// size of its answer.
		out.aliases = satAdd(out.aliases, m.set(f.SelectionSet).aliases)
		out.cost = m.introspection(f)
		return out
	}
	child := m.set(f.SelectionSet)
	out.depth = satAdd(out.depth, child.depth)
	out.aliases = satAdd(out.aliases, child.aliases)
	out.cost = satAdd(1, satMul(m.multiplier(f), child.cost))
	return out
}

// multiplier is how many times a field's selection is resolved: a connection's page
// size, the number of ids of nodes(ids:), else once.
func (m *measurer) multiplier(f *ast.Field) int {
	if f.Definition == nil {
		return 1
	}
	if f.Name == "nodes" && f.Definition.Arguments.ForName("ids") != nil {
		if n, ok := m.listLen(f.Arguments.ForName("ids")); ok {
			return n
		}
		return 1
	}
	if f.Definition.Type.Elem != nil || !strings.HasSuffix(f.Definition.Type.Name(), "Connection") {
		return 1
	}
	n, given := 0, false
	for _, name := range []string{"first", "last"} {
		v := m.value(f.Arguments.ForName(name))
		if v == nil {
			continue
		}
		k, ok := asInt(v)
		if !ok {
			// Not a coerced Int: count the largest page, never less than what
			// could run.
			k = maxPageSize
		}
		n, given = max(n, k), true
	}
	if !given {
		return defaultPageSize
	}
	// A larger page is refused by the resolver (BAD_USER_INPUT): it counts as the
	// largest that is served.
	return min(max(n, 0), maxPageSize)
}

// value is an argument's value with the variables substituted (nil when absent).
func (m *measurer) value(arg *ast.Argument) any {
	if arg == nil || arg.Value == nil {
		return nil
	}
	v, err := arg.Value.Value(m.vars)
	if err != nil {
		return nil
	}
	return v
}

// listLen is the length of a list argument: a list written in the document is
// counted without building its values (a hundred boxed ids for nodes(ids:)).
func (m *measurer) listLen(arg *ast.Argument) (int, bool) {
	if arg != nil && arg.Value != nil && arg.Value.Kind == ast.ListValue {
		return len(arg.Value.Children), true
	}
	v, ok := m.value(arg).([]any)
	return len(v), ok
}

// asInt reads an Int as the operation holds it: an int from a coerced variable, an
// int64 from a literal. Anything else is not an Int that was coerced.
func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return max(min(n, math.MaxInt32), math.MinInt32), true
	case int64:
		return int(max(min(n, math.MaxInt32), math.MinInt32)), true
	}
	return 0, false
}

// satAdd and satMul saturate instead of overflowing: a hostile document's measure is
// only ever compared with a limit.
func satAdd(a, b int) int {
	if a > math.MaxInt32-b {
		return math.MaxInt32
	}
	return a + b
}

func satMul(a, b int) int {
	if a != 0 && b > math.MaxInt32/a {
		return math.MaxInt32
	}
	return a * b
}

// Limit names, as they appear in `extensions.limit` of a QUERY_TOO_COMPLEX error.
const (
	LimitDepth         = "depth"
	LimitComplexity    = "complexity"
	LimitAliases       = "aliases"
	LimitRootFields    = "rootFields"
	LimitTokens        = "tokens"
	LimitDocumentBytes = "documentBytes"
)

// limitNoun is how each limit's measure is said in an error message.
var limitNoun = map[string]string{
	LimitDepth:         "depth",
	LimitComplexity:    "complexity",
	LimitAliases:       "number of aliases",
	LimitRootFields:    "number of root fields",
	LimitTokens:        "number of tokens",
	LimitDocumentBytes: "document size in bytes",
}

// TooComplex returns the QUERY_TOO_COMPLEX error for an operation whose measure of
// the named limit is actual, over max. Its message says which limit and by how much;
// its extensions carry the limit's name, the maximum and the actual measure.
func TooComplex(limit string, actual, max int) *gqlerror.Error {
	return &gqlerror.Error{
		Message: fmt.Sprintf("query too complex: its %s is %d, %d over the limit of %d", limitNoun[limit], actual, actual-max, max),
		Extensions: map[string]any{
			"code":    string(errs.QueryTooComplex),
			"limit":   limit,
			"maximum": max,
			"actual":  actual,
		},
	}
}

// Exceeded returns the error for the first limit the measure exceeds (root fields,
// aliases, depth, complexity), or nil.
func (l Limits) Exceeded(m Measure) *gqlerror.Error {
	for _, c := range []struct {
		name        string
		actual, max int
	}{
		{LimitRootFields, m.RootFields, l.MaxRootFields},
		{LimitAliases, m.Aliases, l.MaxAliases},
		{LimitDepth, m.Depth, l.MaxDepth},
		{LimitComplexity, m.Complexity, l.MaxComplexity},
	} {
		if c.max > 0 && c.actual > c.max {
			return TooComplex(c.name, c.actual, c.max)
		}
	}
	return nil
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = Limits{}

// ExtensionName names the extension for gqlgen.
func (Limits) ExtensionName() string { return "QueryLimits" }

// Validate accepts any schema.
func (Limits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters refuses a document longer than MaxDocumentBytes before
// it is parsed (persisted queries have their text by then).
func (l Limits) MutateOperationParameters(_ context.Context, params *graphql.RawParams) *gqlerror.Error {
	if l.MaxDocumentBytes > 0 && len(params.Query) > l.MaxDocumentBytes {
		return TooComplex(LimitDocumentBytes, len(params.Query), l.MaxDocumentBytes)
	}
	return nil
}

// MutateOperationContext measures the operation about to run, once it is parsed,
// validated and its variables coerced, and refuses it when it exceeds a limit.
func (l Limits) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	schema := l.Schema
	if schema == nil {
		schema = parsedSchema
	}
	return l.Exceeded(MeasureOperation(schema, opCtx.Operation, opCtx.Variables))
}

// ResponseLimit is the gqlgen extension that bounds the answer to one operation: when
// the executor's encoded data is larger than MaxBytes (zero or less: no bound), the
// data is dropped whole, never cut short, for a RESPONSE_TOO_LARGE error (data null)
// that says by how much, which no cache keeps. The complexity limit keeps legitimate
// answers far below any sensible bound; this one holds should a measure ever
// underestimate. Register it just inside the extensions that observe responses.
type ResponseLimit struct {
	MaxBytes int
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = ResponseLimit{}

// ExtensionName names the extension for gqlgen.
func (ResponseLimit) ExtensionName() string { return "ResponseLimit" }

// Validate accepts any schema.
func (ResponseLimit) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse drops data over the bound for the error.
func (l ResponseLimit) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || l.MaxBytes <= 0 || len(resp.Data) <= l.MaxBytes {
		return resp
	}
	return &graphql.Response{
		Errors: gqlerror.List{{
			Message: fmt.Sprintf("the answer is %d bytes, over the limit of %d: ask for fewer fields, smaller pages or fewer aliases", len(resp.Data), l.MaxBytes),
			Extensions: map[string]any{
				"code":    string(errs.ResponseTooLarge),
				"maximum": l.MaxBytes,
				"actual":  len(resp.Data),
			},
		}},
		Extensions: resp.Extensions,
	}
}

// tokenLimitMessage is the parser's error when a document has more tokens than the
// limit set with handler.SetParserTokenLimit.
var tokenLimitMessage = regexp.MustCompile(`^exceeded token limit of (\d+)$`)

// TokenLimitPresenter wraps an error presenter: the parser's "exceeded token limit"
// error (code GRAPHQL_PARSE_FAILED, no location) becomes QUERY_TOO_COMPLEX, with the
// document's token count, which is only counted then, for refused documents.
func TokenLimitPresenter(next graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		if gerr, ok := err.(*gqlerror.Error); ok && gerr.Extensions["code"] == errcode.ParseFailed {
			if sm := tokenLimitMessage.FindStringSubmatch(gerr.Message); sm != nil {
				limit, _ := strconv.Atoi(sm[1])
				count := limit + 1
				if graphql.HasOperationContext(ctx) {
					count = max(count, CountTokens(graphql.GetOperationContext(ctx).RawQuery))
				}
				return TooComplex(LimitTokens, count, limit)
			}
		}
		return next(ctx, err)
	}
}

// CountTokens counts a document's tokens as the parser's token limit does
// (punctuators, names, values and comments), up to the first lexical error.
func CountTokens(query string) int {
	lx := lexer.New(&ast.Source{Input: query})
	n := 0
	for {
		tok, err := lx.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return n
		}
		n++
	}
}

// NoIntrospection is a validation rule that refuses `__schema` and `__type`, for a
// server whose introspection is off (`__typename` stays allowed).
var NoIntrospection = core.Rule{
	Name: "NoIntrospection",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		observers.OnField(func(_ *core.Walker, field *ast.Field) {
			if field.Name == "__schema" || field.Name == "__type" {
				addError(
					core.Message("introspection is disabled on this server: %s is not allowed", field.Name),
					core.At(field.Position),
				)
			}
		})
	},
}
