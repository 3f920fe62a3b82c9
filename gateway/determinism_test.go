package gateway_test

import (
	"testing"

	"spacegraph/bench"
	"spacegraph/gateway"
)

// TestColdAnswersAreDeterministic asks the every-field query of each root field of
// a fresh gateway, again and again: a cold gateway must give the same answer however
// its concurrent loads happen to interleave. Before embedded objects were brought in
// one batch per depth, a reverse connection deep in the agency's answer was empty or
// not depending on which load filled the caches first.
func TestColdAnswersAreDeterministic(t *testing.T) {
	synthetic := bench.LL2Scale()
	base := gateway.Config{Snapshot: &synthetic, Protection: noLimits, ResponseCacheOff: true}
	ids := someIDs(t, newHarness(t, base))
	queries, _ := everyFieldQueries(t, ids)
	for _, tc := range []struct {
		root   string
		gqlgen bool
	}{{"agency", false}, {"agency", true}, {"spacecraftConfig", false}, {"family", false}} {
		root, cfg := tc.root, base
		cfg.GQLGenExecutor = tc.gqlgen
		q := queries[root]
		if q == "" {
			t.Fatalf("no every-field query for %s", root)
		}
		var first []byte
		for i := range 8 {
			got := newHarness(t, cfg).postRaw(q, nil)
			if i == 0 {
				first = got
				continue
			}
			if !sameAnswer(got, first) {
				t.Fatalf("%s: fresh gateway %d answered differently from the first:\n%.2000s\nfirst:\n%.2000s", root, i, got, first)
			}
		}
	}
}
