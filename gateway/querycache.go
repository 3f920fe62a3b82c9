package gateway

import (
	"context"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/maypok86/otter/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"spacegraph/graph"
	"spacegraph/redis"
)

// queryCache is a graphql.Cache (gqlgen's parsed documents and APQ hashes) in otter,
// the module's one cache library, in place of gqlgen's own LRU: its W-TinyLFU
// eviction keeps the documents every frontend sends when a burst of one-off ones
// arrives, and its reads take no lock.
type queryCache[T any] struct {
	c *otter.Cache[string, T]
}

var _ graphql.Cache[any] = queryCache[any]{}

// newQueryCache returns a cache of at most size entries.
func newQueryCache[T any](size int) queryCache[T] {
	return queryCache[T]{c: otter.Must(&otter.Options[string, T]{MaximumSize: size})}
}

// Get returns the value kept under key.
func (q queryCache[T]) Get(_ context.Context, key string) (T, bool) { return q.c.GetIfPresent(key) }

// Add keeps value under key.
func (q queryCache[T]) Add(_ context.Context, key string, value T) { q.c.Set(key, value) }

var _ graphql.Cache[string] = (*redis.Documents)(nil)

// persistedQueries returns the cache of automatic persisted queries, of at most size
// documents in the process. With Redis it is shared by every replica (redis.Documents,
// over the in-process cache as its fallback), so that a client whose requests are
// spread over replicas registers each document once, not once per replica.
func (g *Gateway) persistedQueries(size int) graphql.Cache[string] {
	local := newQueryCache[string](size)
	if g.redis == nil {
		return local
	}
	return g.redis.Documents(local, 0, g.cfg.Protection.MaxDocumentBytes)
}

// documents is gqlgen's cache of parsed and validated documents, which parses and
// validates a document it lacks itself, so that gqlgen finds it. gqlgen validates a
// new document with a rule set it builds for each one: it makes the default rules,
// copies their map, and sorts the list once for every rule it appends, about a
// twentieth of the CPU of a new document of the reference shapes. Here the rules
// are listed once, in the order gqlparser runs them. A document that does not parse
// or validate is not kept: gqlgen parses and validates it again and reports why,
// exactly as it would have.
type documents struct {
	queryCache[*ast.QueryDocument]
	schema     *ast.Schema
	rules      []core.Rule
	tokenLimit int
}

// newDocuments returns a cache of at most size documents of schema, validated with
// rules and parsed with tokenLimit (zero: none), as gqlgen's executor would.
func newDocuments(size int, schema *ast.Schema, rules []core.Rule, tokenLimit int) documents {
	return documents{queryCache: newQueryCache[*ast.QueryDocument](size), schema: schema, rules: rules, tokenLimit: tokenLimit}
}

// Get returns the parsed and validated document of query, from the cache or, when it
// parses and validates, new.
func (d documents) Get(ctx context.Context, query string) (*ast.QueryDocument, bool) {
	if doc, ok := d.queryCache.Get(ctx, query); ok {
		return doc, true
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, d.tokenLimit)
	if err != nil || doc == nil || len(doc.Operations) == 0 || !d.valid(doc) {
		return nil, false
	}
	d.queryCache.Add(ctx, query, doc)
	return doc, true
}

// valid reports whether doc passes every rule, as validator.ValidateWithRules
// would find it.
func (d documents) valid(doc *ast.QueryDocument) bool {
	failed := false
	observers := &core.Events{}
	for _, r := range d.rules {
		r.RuleFunc(observers, func(...core.ErrorOption) { failed = true })
	}
	core.Walk(d.schema, doc, observers)
	return !failed
}

// validationRules returns the rules gqlgen's executor validates documents with, as
// graphQLServer configures it: the default rules with NoIntrospection when
// introspection is off, and then gqlgen's swap of the rules that suggest names for
// those that do not when suggestions are off (executor.parseQuery), in the order
// gqlparser runs them (by name).
func validationRules(introspectionOff, suggestionsOff bool) []core.Rule {
	r := baseRules(introspectionOff)
	swap := func(drop string, add core.Rule) {
		r.RemoveRule(drop)
		r.AddRule(add.Name, add.RuleFunc)
	}
	if suggestionsOff {
		swap(rules.FieldsOnCorrectTypeRule.Name, rules.FieldsOnCorrectTypeRuleWithoutSuggestions)
		swap(rules.ScalarLeafsRule.Name, rules.ScalarLeafsRuleWithoutSuggestions)
	} else {
		swap(rules.FieldsOnCorrectTypeRuleWithoutSuggestions.Name, rules.FieldsOnCorrectTypeRule)
		swap(rules.ScalarLeafsRuleWithoutSuggestions.Name, rules.ScalarLeafsRule)
	}
	var list []core.Rule
	for name, fn := range r.GetInner() {
		list = append(list, core.Rule{Name: name, RuleFunc: fn})
	}
	slices.SortFunc(list, func(a, b core.Rule) int { return strings.Compare(a.Name, b.Name) })
	return list
}

// baseRules is the rule set graphQLServer hands gqlgen's executor
// (SetValidationRulesFn), before the executor's own swaps.
func baseRules(introspectionOff bool) *rules.Rules {
	r := rules.NewDefaultRules()
	if introspectionOff {
		r.AddRule(graph.NoIntrospection.Name, graph.NoIntrospection.RuleFunc)
	}
	return r
}
