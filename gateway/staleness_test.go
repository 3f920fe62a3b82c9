package gateway_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"spacegraph/gateway"
	"spacegraph/internal/testkit"
	"spacegraph/internal/testkit/redistest"
	"spacegraph/ll2/ll2server"
)

// maxAge reads the max-age of a response's Cache-Control (-1: none, no-store).
func maxAge(r response) int {
	cc := r.header.Get("Cache-Control")
	v, ok := strings.CutPrefix(cc, "public, max-age=")
	if !ok {
		return -1
	}
	n, _ := strconv.Atoi(v)
	return n
}

// TestEntitiesKeepTheirAnswersAge checks that an entity taken from an LL2 answer is as
// old as that answer, and as stale: a configuration seen inside a spacecraft's answer
// and then looked up by itself says the age of that answer, is not passed off as fresh
// when the answer was served stale (while revalidating, or standing in for a failing
// LL2), and is not kept by the whole-response cache as fresh. In memory and in Redis.
func TestEntitiesKeepTheirAnswersAge(t *testing.T) {
	const spacecraft = `{ spacecraft(ll2Id: 242) { name spacecraftConfig { ll2Id name } } }`
	for _, redis := range []bool{false, true} {
		mk := func(t *testing.T) (*harness, *testkit.Clock, string) {
			t.Helper()
			clk := testkit.NewClock()
			d := llScale()
			cfg := gateway.Config{Snapshot: &d, Now: clk.Now}
			if redis {
				cfg.RedisURL, cfg.RedisPrefix = redistest.URL(t)
			}
			h := newHarness(t, cfg)
			var out struct {
				Spacecraft struct {
					SpacecraftConfig struct{ LL2ID int }
				}
			}
			h.ok(spacecraft, nil, &out)
			id := out.Spacecraft.SpacecraftConfig.LL2ID
			if id == 0 {
				t.Fatal("spacecraft 242 has no configuration")
			}
			return h, clk, fmt.Sprintf(`{ spacecraftConfig(ll2Id: %d) { name } }`, id)
		}

		t.Run(fmt.Sprintf("an answer read again later/redis=%v", redis), func(t *testing.T) {
			h, clk, config := mk(t)
			clk.Advance(30 * time.Minute)
			// The spacecraft's answer, fresh but 30 minutes old, is read again.
			h.ok(`{ again: spacecraft(ll2Id: 242) { name spacecraftConfig { ll2Id name } } }`, nil, nil)
			calls := h.calls()
			r := h.do(config, nil)
			if len(r.Errors) > 0 || h.calls() != calls {
				t.Fatalf("the configuration: %+v, %d calls; want it from the entity cache", r.Errors, h.calls()-calls)
			}
			if age, _ := r.Extensions["age"].(float64); age != 1800 || r.Extensions["stale"] != nil {
				t.Errorf("extensions %v: want age 1800 (the answer's), not stale", r.Extensions)
			}
			// Fresh for what is left of the spacecraft answer's hour.
			if ma := maxAge(r); ma <= 0 || ma > 1800 {
				t.Errorf("Cache-Control %q: want a max-age of 1800 at most", r.header.Get("Cache-Control"))
			}
		})

		t.Run(fmt.Sprintf("stale while revalidating/redis=%v", redis), func(t *testing.T) {
			h, clk, config := mk(t)
			clk.Advance(90 * time.Minute)
			r := h.do(`{ again: spacecraft(ll2Id: 242) { name spacecraftConfig { ll2Id name } } }`, nil)
			if r.Extensions["stale"] != true {
				t.Fatalf("extensions %v: want the spacecraft stale", r.Extensions)
			}
			testkit.WaitFor(t, "background refreshes to end", func() bool { return h.g.Transport.Refreshing() == 0 })
			// The configuration came from a stale answer: it does not answer as fresh
			// data; LL2 is up, so its own answer is fetched.
			calls := h.calls()
			r = h.do(config, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("the configuration: %+v", r.Errors)
			}
			if r.Extensions["stale"] != true && h.calls() == calls {
				t.Errorf("extensions %v with no call: stale data passed for fresh", r.Extensions)
			}
			if h.calls() != calls+1 || r.Extensions["stale"] != nil {
				t.Errorf("%d calls, extensions %v: want the configuration's own answer, fresh", h.calls()-calls, r.Extensions)
			}
		})

		t.Run(fmt.Sprintf("stale if error/redis=%v", redis), func(t *testing.T) {
			h, clk, config := mk(t)
			clk.Advance(2*time.Hour + time.Minute)
			h.g.LL2.SetOptions(ll2server.Options{Faults: ll2server.Faults{ServerError: 1}})
			r := h.do(`{ again: spacecraft(ll2Id: 242) { name spacecraftConfig { ll2Id name } } }`, nil)
			if len(r.Errors) > 0 || r.Extensions["stale"] != true {
				t.Fatalf("%+v, extensions %v: want the spacecraft stale", r.Errors, r.Extensions)
			}
			// LL2 fails: the configuration seen in the stale answer stands in, as
			// stale as that answer, and the response is not kept.
			for i := range 2 {
				r = h.do(config, nil)
				if len(r.Errors) > 0 || r.Extensions["stale"] != true {
					t.Fatalf("request %d: %+v, extensions %v; want the configuration, stale", i, r.Errors, r.Extensions)
				}
				if age, _ := r.Extensions["age"].(float64); age < 7260 {
					t.Errorf("request %d: extensions.age %v, want the answer's (7260)", i, r.Extensions["age"])
				}
				if r.header.Get("X-Cache") == "HIT" || r.header.Get("Cache-Control") != "no-store" {
					t.Errorf("request %d: X-Cache %q, Cache-Control %q: a stale answer was kept", i, r.header.Get("X-Cache"), r.header.Get("Cache-Control"))
				}
			}
		})
	}
}
