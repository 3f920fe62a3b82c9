package gateway_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"spacegraph/gateway"
	"spacegraph/ll2/ll2server"
	"spacegraph/observe"
)

// TestEmbeddedUpgradeFailsAtItsField checks where the error goes when an embedded
// object (here a family's manufacturer, wanted with its launch statistics, richer than
// the family embeds it) cannot be brought: LL2's error at each manufacturer's own path,
// the manufacturer null and the rest of the page answered. The embedded objects are
// plain fields, upgraded before the executor sees them, so the error is carried by the
// object rather than by a resolver.
func TestEmbeddedUpgradeFailsAtItsField(t *testing.T) {
	query := `{ allFamilies(first: 5) { nodes { name manufacturer { name totalLaunchCount } } } }`
	d := llScale()
	// The first call is the page of families; every call after it fails.
	script := []ll2server.Fault{{Kind: ll2server.FaultNone}}
	for range 10 {
		script = append(script, ll2server.Fault{Kind: ll2server.FaultServerError})
	}
	h := newHarness(t, gateway.Config{Snapshot: &d, ResponseCacheOff: true, LL2: ll2server.Options{Faults: ll2server.Faults{Script: script}}})
	r := h.do(query, nil)
	var out struct {
		AllFamilies struct {
			Nodes []*struct {
				Name         string
				Manufacturer *struct{ Name string }
			}
		}
	}
	decode(t, r, &out)
	nodes := out.AllFamilies.Nodes
	if len(nodes) != 5 {
		t.Fatalf("%d families, want 5: %s %+v", len(nodes), r.Data, r.Errors)
	}
	failed := map[string]bool{}
	for _, e := range r.Errors {
		code, _ := e.Extensions["code"].(string)
		if !strings.HasPrefix(code, "UPSTREAM_") || len(e.Path) != 4 {
			t.Errorf("error %+v: want LL2's at a manufacturer", e)
			continue
		}
		failed[fmt.Sprint(e.Path)] = true
	}
	if len(failed) == 0 {
		t.Fatalf("no error, with every call after the page failing: %s", r.Data)
	}
	for i, n := range nodes {
		if n == nil || n.Name == "" {
			t.Errorf("family %d: %+v, want its name beside the failed manufacturer", i, n)
			continue
		}
		if failed[fmt.Sprint([]any{"allFamilies", "nodes", float64(i), "manufacturer"})] != (n.Manufacturer == nil) {
			t.Errorf("family %d: manufacturer %+v, errors at %v: a null manufacturer must have its error and only it", i, n.Manufacturer, failed)
		}
	}
}

// TestUpgradedEmbeddedObjectsAreTheObjects checks that an embedded object brought to
// a richer level than its parent embeds it (a configuration's agency with its launch
// statistics, a family's manufacturer likewise) answers what the object itself
// answers by id.
func TestUpgradedEmbeddedObjectsAreTheObjects(t *testing.T) {
	h := newLL2Scale(t)
	var page struct {
		AllSpacecraft struct {
			Nodes []struct {
				SpacecraftConfig struct {
					Agency struct {
						Ll2ID            int
						TotalLaunchCount *int
						InfoURL          *string
					}
					Families []struct {
						Manufacturer *struct {
							Ll2ID            int
							TotalLaunchCount *int
						}
					}
				}
			}
		}
	}
	h.ok(`{ allSpacecraft(first: 20) { nodes { spacecraftConfig { agency { ll2Id totalLaunchCount infoUrl }
		families { manufacturer { ll2Id totalLaunchCount } } } } } }`, nil, &page)
	if len(page.AllSpacecraft.Nodes) != 20 {
		t.Fatalf("%d spacecraft, want 20", len(page.AllSpacecraft.Nodes))
	}
	type stats struct {
		TotalLaunchCount *int
		InfoURL          *string
	}
	byID := func(id int) stats {
		var out struct{ Agency stats }
		h.ok(fmt.Sprintf(`{ agency(ll2Id: %d) { totalLaunchCount infoUrl } }`, id), nil, &out)
		return out.Agency
	}
	show := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	withStats := 0
	for i, n := range page.AllSpacecraft.Nodes {
		a := n.SpacecraftConfig.Agency
		want := byID(a.Ll2ID)
		if got, want := show(stats{a.TotalLaunchCount, a.InfoURL}), show(want); got != want {
			t.Errorf("spacecraft %d: agency %d answers %s embedded, %s by id", i, a.Ll2ID, got, want)
		}
		if a.TotalLaunchCount != nil {
			withStats++
		}
		for _, f := range n.SpacecraftConfig.Families {
			if m := f.Manufacturer; m != nil {
				if got, want := show(m.TotalLaunchCount), show(byID(m.Ll2ID).TotalLaunchCount); got != want {
					t.Errorf("spacecraft %d: manufacturer %d answers %s embedded, %s by id", i, m.Ll2ID, got, want)
				}
			}
		}
	}
	if withStats == 0 {
		t.Error("no agency has launch statistics: the upgrade brought nothing")
	}
}

// TestCachedRootLookupsRunNoBatch checks that root lookups of objects the caches hold
// are answered at once: no loader batch (a batching window waited out and its
// goroutines) once warm, and the same answer as cold.
func TestCachedRootLookupsRunNoBatch(t *testing.T) {
	m := observe.New(observe.Options{})
	h := newHarness(t, gateway.Config{ResponseCacheOff: true, Metrics: m})
	var ids struct {
		AllFamilies, AllAgencies struct{ Nodes []struct{ LL2ID int } }
	}
	h.ok(`{ allFamilies(first: 1) { nodes { ll2Id } } allAgencies(first: 1) { nodes { ll2Id } } }`, nil, &ids)
	if len(ids.AllFamilies.Nodes) == 0 || len(ids.AllAgencies.Nodes) == 0 {
		t.Fatalf("no family or agency in the snapshot: %+v", ids)
	}
	q := fmt.Sprintf(`{ family(ll2Id: %d) { name } spacecraft(ll2Id: 12) { name spacecraftConfig { name } } agency(ll2Id: %d) { name } }`,
		ids.AllFamilies.Nodes[0].LL2ID, ids.AllAgencies.Nodes[0].LL2ID)
	warmRunsNoBatch(t, h, m, q)
}

// TestKeptReversePagesRunNoBatch pins that a warm family with its configurations and
// their spacecraft, every page of which the process keeps, is answered without a
// loader batch (each level of reverse pages used to wait a batching window) and
// without a call.
func TestKeptReversePagesRunNoBatch(t *testing.T) {
	m := observe.New(observe.Options{})
	h := newHarness(t, gateway.Config{ResponseCacheOff: true, Metrics: m})
	var ids struct {
		AllFamilies struct{ Nodes []struct{ LL2ID int } }
	}
	h.ok(`{ allFamilies(first: 1, search: "Soyuz") { nodes { ll2Id } } }`, nil, &ids)
	if len(ids.AllFamilies.Nodes) == 0 {
		t.Fatalf("no Soyuz family in the snapshot: %+v", ids)
	}
	q := fmt.Sprintf(`{ family(ll2Id: %d) { name spacecraftConfigs(first: 5) { totalCount nodes { name
		spacecraft(first: 3) { totalCount nodes { name status { name } } } } } } }`, ids.AllFamilies.Nodes[0].LL2ID)
	cold := warmRunsNoBatch(t, h, m, q)
	if !strings.Contains(string(cold.Data), `"spacecraft":{"totalCount":`) {
		t.Fatalf("cold answer has no spacecraft: %s", cold.Data)
	}
}

// warmRunsNoBatch runs q cold, which must batch loads, then warm, which must answer
// the same with no loader batch and no call, and returns the cold answer.
func warmRunsNoBatch(t *testing.T, h *harness, m *observe.Metrics, q string) response {
	t.Helper()
	batches := func() uint64 {
		fams, err := m.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		var n uint64
		for _, f := range fams {
			if f.GetName() == "spacegraph_loader_batch_size" {
				for _, mt := range f.GetMetric() {
					n += mt.GetHistogram().GetSampleCount()
				}
			}
		}
		return n
	}
	cold := h.do(q, nil)
	if len(cold.Errors) > 0 || batches() == 0 {
		t.Fatalf("cold: %+v, %d batches", cold.Errors, batches())
	}
	before, calls := batches(), h.calls()
	warm := h.do(q, nil)
	if string(warm.Data) != string(cold.Data) || len(warm.Errors) > 0 {
		t.Fatalf("warm answer %s %+v, want %s", warm.Data, warm.Errors, cold.Data)
	}
	if n := batches() - before; n != 0 || h.calls() != calls {
		t.Errorf("warm: %d loader batches and %d calls, want none", n, h.calls()-calls)
	}
	return cold
}
