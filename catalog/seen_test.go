package catalog_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"spacegraph/catalog"
	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
)

// TestEveryAnswerReturnsWhatItSaw checks that each way the catalog answers (a page from
// LL2 or from a crawl, objects by detail call, by crawl or from the entity cache, a
// parent's children) returns the entities it built, the objects they embed included:
// the loaders prime themselves from these and from nothing else.
func TestEveryAnswerReturnsWhatItSaw(t *testing.T) {
	d, _, err := snapshot.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	// The spacecraft with the lowest id comes first in every page ordered by id that
	// holds it.
	first := slices.MinFunc(d.Spacecraft, func(a, b *ll2.SpacecraftDetailed) int { return a.ID - b.ID })
	other := d.Spacecraft[0]
	if other == first {
		other = d.Spacecraft[1]
	}
	cfg := first.SpacecraftConfig.ID
	byConfig := ll2.ListParams{Limit: 5, Mode: ll2.LevelNormal, Ordering: []ll2.OrderKey{{Field: "id"}}, Filter: url.Values{"spacecraft_config": {strconv.Itoa(cfg)}}}
	for _, tc := range []struct {
		name string
		// entities says whether the catalog is given an entity cache.
		entities bool
		// embedded says whether what it saw includes the objects the answer embeds:
		// an entity from the entity cache comes alone, as it always has.
		embedded bool
		// answer asks the catalog and returns what it saw.
		answer func(*testing.T, *catalog.Catalog) []*catalog.Seen
	}{
		{"a page from LL2", false, true, func(t *testing.T, c *catalog.Catalog) []*catalog.Seen {
			p, err := c.ListSpacecraft(context.Background(), byConfig)
			if err != nil {
				t.Fatal(err)
			}
			return []*catalog.Seen{p.Seen}
		}},
		{"a page from a crawl", false, true, func(t *testing.T, c *catalog.Catalog) []*catalog.Seen {
			if err := c.Prefetch(context.Background()); err != nil {
				t.Fatal(err)
			}
			p, err := c.ListSpacecraft(context.Background(), byConfig)
			if err != nil {
				t.Fatal(err)
			}
			return []*catalog.Seen{p.Seen}
		}},
		{"an object by detail call", false, true, func(t *testing.T, c *catalog.Catalog) []*catalog.Seen {
			_, failed, seen := c.GetSpacecraft(context.Background(), []int{first.ID}, ll2.LevelNormal)
			if len(failed) > 0 {
				t.Fatal(failed)
			}
			return seen
		}},
		{"objects by crawl", false, true, func(t *testing.T, c *catalog.Catalog) []*catalog.Seen {
			if err := c.Prefetch(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, failed, seen := c.GetSpacecraft(context.Background(), []int{first.ID, other.ID}, ll2.LevelNormal)
			if len(failed) > 0 {
				t.Fatal(failed)
			}
			return seen
		}},
		{"an object from the entity cache", true, false, func(t *testing.T, c *catalog.Catalog) []*catalog.Seen {
			if _, failed, _ := c.GetSpacecraft(context.Background(), []int{first.ID}, ll2.LevelDetailed); len(failed) > 0 {
				t.Fatal(failed)
			}
			_, failed, seen := c.GetSpacecraft(context.Background(), []int{first.ID}, ll2.LevelNormal)
			if len(failed) > 0 {
				t.Fatal(failed)
			}
			return seen
		}},
		{"a parent's children", false, true, func(t *testing.T, c *catalog.Catalog) []*catalog.Seen {
			pages, failed := c.SpacecraftOfConfigs(context.Background(), []int{cfg}, 1, byConfig.Selection())
			if len(failed) > 0 {
				t.Fatal(failed)
			}
			return []*catalog.Seen{pages[cfg].Seen}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, err := ll2.New(ll2.Config{BaseURL: ll2server.EmbeddedBaseURL, Transport: ll2server.Transport(ll2server.New(ll2server.NewStore(d), ll2server.Options{}))})
			if err != nil {
				t.Fatal(err)
			}
			opts := catalog.Options{Client: client}
			if tc.entities {
				m := catalog.NewMemoryEntityCache(1000, catalog.DefaultEntityTTLs(), 0, time.Now)
				t.Cleanup(func() { _ = m.Close() })
				opts.Entities = m
			}
			seen := tc.answer(t, catalog.New(opts))
			var spacecraft, configs []int
			for _, s := range seen {
				if s == nil {
					t.Fatal("a nil Seen")
				}
				for _, n := range s.Spacecraft {
					spacecraft = append(spacecraft, n.ID)
				}
				for _, n := range s.Configs {
					configs = append(configs, n.ID)
				}
			}
			if !slices.Contains(spacecraft, first.ID) {
				t.Errorf("saw spacecraft %v, want %d among them", spacecraft, first.ID)
			}
			if slices.Contains(configs, cfg) != tc.embedded {
				t.Errorf("saw configurations %v: the embedded %d among them is %v, want %v", configs, cfg, !tc.embedded, tc.embedded)
			}
		})
	}
}
