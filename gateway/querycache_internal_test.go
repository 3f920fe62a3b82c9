package gateway

import (
	"context"
	"strconv"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"spacegraph/graph"
)

// TestQueryCache checks the adapter gqlgen's document and APQ caches run on: what is
// added is found, and the cache stays within its size however many keys pass.
func TestQueryCache(t *testing.T) {
	ctx := context.Background()
	c := newQueryCache[string](100)
	if _, ok := c.Get(ctx, "missing"); ok {
		t.Fatal("a key never added was found")
	}
	c.Add(ctx, "hash", "{ a }")
	if v, ok := c.Get(ctx, "hash"); !ok || v != "{ a }" {
		t.Fatalf("Get = %q, %v", v, ok)
	}
	for i := range 10_000 {
		c.Add(ctx, strconv.Itoa(i), "q")
	}
	c.c.CleanUp()
	if n := c.c.EstimatedSize(); n > 100 {
		t.Fatalf("%d entries, want at most 100", n)
	}
}

// TestDocumentsValidateAsGQLGen holds the document cache's own parsing and validation
// to gqlgen's executor configured as graphQLServer configures it: a document the cache
// takes is one gqlgen would run, and one it refuses is one gqlgen refuses in parsing or
// validation (and then reports itself), with introspection on and off.
func TestDocumentsValidateAsGQLGen(t *testing.T) {
	docs := []string{
		`{ allSpacecraft(first: 3) { totalCount edges { cursor node { id name spacecraftConfig { name agency { name } } } } } }`,
		`query Q($n: Int = 2) { nodes(ids: ["U3BhY2VjcmFmdDox", "QWdlbmN5OjQ0"]) { id ... on Agency { name } ...S } family(ll2Id: 5) { spacecraftConfigs(first: $n) { nodes { name } } } } fragment S on Spacecraft { serialNumber }`,
		`{ __typename }`,
		`{ __schema { types { name } } }`,
		`{ __type(name: "Spacecraft") { fields { name type { ofType { ofType { ofType { ofType { name } } } } } } } }`,
		`{ spacecraft(ll2Id: 1) { nme } }`,
		`{ spacecraft(ll2Id: 1) { name { x } } }`,
		`{ spacecraft(ll2Id: 1) }`,
		`{ spacecraft(ll2Id: "one") { name } }`,
		`{ spacecraft(llId: 1) { name } }`,
		`{ nodes { id } }`,
		`query ($x: Int) { spacecraft(ll2Id: $y) { name } }`,
		`query ($x: Int) { spacecraft(ll2Id: 1) { name } }`,
		`query ($x: Int!) { spacecraft(ll2Id: $x) { name } }`,
		`{ spacecraft(ll2Id: 1) { name } } fragment F on Spacecraft { name }`,
		`{ spacecraft(ll2Id: 1) { ...A } } fragment A on Spacecraft { ...B } fragment B on Spacecraft { ...A }`,
		`{ a: spacecraft(ll2Id: 1) { name } a: agency(ll2Id: 1) { name } }`,
		`{ spacecraft(ll2Id: 1) { name @unknown } }`,
		`{ spacecraft(ll2Id: 1) { ... on Agency { name } } }`,
		`query A { __typename } query A { __typename }`,
		`{ __typename } query B { __typename }`,
		`subscription { __typename }`,
		`{ spacecraft(ll2Id: 1) { name }`,
		``,
		`# only a comment`,
		`fragment F on Spacecraft { name }`,
		`{ a: __typename b: __typename c: __typename d: __typename e: __typename }`,
	}
	const tokenLimit = 20
	for _, off := range []bool{false, true} {
		es := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}})
		exec := executor.New(es)
		exec.SetParserTokenLimit(tokenLimit)
		if off {
			exec.SetDisableSuggestion(true)
			exec.SetDefaultRulesFn(func() *rules.Rules { return baseRules(true) })
		}
		d := newDocuments(100, es.Schema(), validationRules(off, off), tokenLimit)
		for _, q := range docs {
			ctx := graphql.StartOperationTrace(context.Background())
			_, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: q, Variables: map[string]any{"x": 1}, ReadTime: graphql.TraceTiming{Start: graphql.Now(), End: graphql.Now()}})
			refused := false
			for _, e := range errs {
				if c, _ := e.Extensions["code"].(string); c == errcode.ValidationFailed || c == errcode.ParseFailed {
					refused = true
				}
			}
			_, took := d.Get(ctx, q)
			if took == refused {
				t.Errorf("introspection off %v: %.60q taken %v, gqlgen's errors %v", off, q, took, errs)
			}
			// What it takes, it keeps: gqlgen's next request of it parses nothing.
			if _, kept := d.queryCache.Get(ctx, q); kept != took {
				t.Errorf("introspection off %v: %.60q taken %v but kept %v", off, q, took, kept)
			}
		}
	}
}
