package gateway_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"spacegraph/bench"
	"spacegraph/internal/testkit"
	"spacegraph/relay"
)

// gid is the global id of an object, as clients see it.
var gid = relay.GlobalID

// callTable is the README's upstream-call table, kept in bench so that the benchmarks
// measure the very queries whose counts are pinned here.
func callTable() []bench.CallQuery { return bench.CallTable() }

// TestUpstreamCalls pins the number of LL2 calls of each query of the table, each run
// on a cold gateway, and keeps the README's table in step with it.
func TestUpstreamCalls(t *testing.T) {
	for _, c := range callTable() {
		t.Run(c.Name, func(t *testing.T) {
			h := newLL2Scale(t)
			if c.Flights {
				h = newLL2ScaleFlights(t)
			}
			h.ok(c.Query, nil, nil)
			if got := h.calls(); got != c.Calls && !(c.AtMost && got <= c.Calls) {
				t.Errorf("%d LL2 calls, want %d:\n  %s", got, c.Calls, h.requests())
			}
			if c.Flights {
				// Warm, the same query costs nothing (the flights' rows pin it here;
				// bench.UpstreamCalls measures every row warm).
				before := h.calls()
				h.ok(c.Query, nil, nil)
				if n := h.calls() - before; n != 0 {
					t.Errorf("warm: %d LL2 calls, want 0:\n  %s", n, h.requests())
				}
			}
			if c.Routes != nil {
				by := h.g.LL2.Counters().ByRoute
				for route, want := range c.Routes {
					if by[route] != want && !(c.AtMost && by[route] <= want) {
						t.Errorf("route %s: %d calls, want %d (all: %v)", route, by[route], want, by)
					}
				}
			}
		})
	}
	testkit.GoldenSection(t, "../README.md", "calls", callTableMarkdown())
}

func callTableMarkdown() string {
	var b strings.Builder
	b.WriteString("| query | LL2 calls, cold |\n| --- | ---: |\n")
	for _, c := range callTable() {
		q := regexp.MustCompile(`\s+`).ReplaceAllString(c.Query, " ")
		if len(q) > 160 {
			q = q[:157] + "…"
		}
		n := strconv.Itoa(c.Calls)
		if c.AtMost {
			n = "≤ " + n
		}
		fmt.Fprintf(&b, "| %s<br>`%s` | %s |\n", c.Name, strings.ReplaceAll(q, "|", `\|`), n)
	}
	return b.String()
}

// TestNormalFieldsNeverFetchDetail checks the plan the other way: a page that selects
// only normal-level fields asks LL2 for the normal level, and nothing more.
func TestNormalFieldsNeverFetchDetail(t *testing.T) {
	h := newLL2Scale(t)
	h.ok(`{ allSpacecraft(first: 50) { nodes { name spacecraftConfig { name inUse agency { name abbrev } families { name description manufacturer { name } } } } } }`, nil, nil)
	reqs := h.g.LL2.Requests()
	if len(reqs) != 1 || !strings.Contains(reqs[0], "mode=normal") {
		t.Fatalf("want one mode=normal call, got:\n  %s", h.requests())
	}
}

// TestLoaderLevelsAreExact checks that a nested object loaded for a richer selection
// is loaded once however many parents embed it.
func TestLoaderLevelsAreExact(t *testing.T) {
	h := newLL2Scale(t)
	var out struct {
		AllSpacecraft struct {
			Nodes []struct {
				SpacecraftConfig struct {
					Agency struct {
						ID               string `json:"id"`
						TotalLaunchCount *int   `json:"totalLaunchCount"`
					} `json:"agency"`
				} `json:"spacecraftConfig"`
			} `json:"nodes"`
		} `json:"allSpacecraft"`
	}
	h.ok(`{ allSpacecraft(first: 3) { nodes { spacecraftConfig { agency { id totalLaunchCount } } } } }`, nil, &out)
	distinct := map[string]bool{}
	for _, n := range out.AllSpacecraft.Nodes {
		if n.SpacecraftConfig.Agency.TotalLaunchCount == nil {
			t.Errorf("agency %s: totalLaunchCount is null; the synthetic data fills every field", n.SpacecraftConfig.Agency.ID)
		}
		distinct[n.SpacecraftConfig.Agency.ID] = true
	}
	// One list call, then one detail call per distinct agency (fewer than a crawl's 4).
	if want := 1 + min(len(distinct), 4); h.calls() != want {
		t.Errorf("%d calls, want %d:\n  %s", h.calls(), want, h.requests())
	}
	if by := h.g.LL2.Counters().ByRoute; by["agencies/{id}/"] != len(distinct) {
		t.Errorf("agency detail calls %d, want one per distinct agency (%d)", by["agencies/{id}/"], len(distinct))
	}

}
