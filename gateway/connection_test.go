package gateway_test

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	"spacegraph/ll2"
)

type pageInfo struct {
	HasNextPage     bool    `json:"hasNextPage"`
	HasPreviousPage bool    `json:"hasPreviousPage"`
	StartCursor     *string `json:"startCursor"`
	EndCursor       *string `json:"endCursor"`
}

type scPage struct {
	AllSpacecraft struct {
		TotalCount int      `json:"totalCount"`
		PageInfo   pageInfo `json:"pageInfo"`
		Edges      []struct {
			Cursor string `json:"cursor"`
			Node   struct {
				LL2ID int `json:"ll2Id"`
			} `json:"node"`
		} `json:"edges"`
		Nodes []struct {
			LL2ID int `json:"ll2Id"`
		} `json:"nodes"`
	} `json:"allSpacecraft"`
}

const pageQuery = `query($first: Int, $after: String, $last: Int, $before: String, $filter: SpacecraftFilter, $search: String, $order: SpacecraftOrder) {
  allSpacecraft(first: $first, after: $after, last: $last, before: $before, filter: $filter, search: $search, orderBy: $order) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { ll2Id } } nodes { ll2Id }
  }
}`

// expectedOrder orders the synthetic spacecraft as LL2 does, computed here in plain Go:
// by time in space (by length, nulls last ascending and first descending), ties by id.
func expectedOrder(desc bool, keep func(*ll2.SpacecraftDetailed) bool) []int {
	var items []*ll2.SpacecraftDetailed
	for _, s := range llScale().Spacecraft {
		if keep == nil || keep(s) {
			items = append(items, s)
		}
	}
	slices.SortFunc(items, func(a, b *ll2.SpacecraftDetailed) int {
		var c int
		switch {
		case a.TimeInSpace == nil && b.TimeInSpace == nil:
		case a.TimeInSpace == nil:
			c = 1
		case b.TimeInSpace == nil:
			c = -1
		default:
			c = cmp.Compare(a.TimeInSpace.Seconds(), b.TimeInSpace.Seconds())
		}
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	ids := make([]int, len(items))
	for i, s := range items {
		ids[i] = s.ID
	}
	return ids
}

func (p scPage) ids(t *testing.T) []int {
	t.Helper()
	ids := make([]int, len(p.AllSpacecraft.Nodes))
	for i, n := range p.AllSpacecraft.Nodes {
		ids[i] = n.LL2ID
		if e := p.AllSpacecraft.Edges[i].Node.LL2ID; e != n.LL2ID {
			t.Fatalf("edge %d is %d, node is %d", i, e, n.LL2ID)
		}
	}
	return ids
}

// TestPagingForwardAndBackward walks a filtered, ordered connection both ways with
// cursors and compares every page and page info with the order computed in the test.
func TestPagingForwardAndBackward(t *testing.T) {
	h := newLL2Scale(t)
	want := expectedOrder(true, nil)
	vars := map[string]any{"order": map[string]any{"field": "TIME_IN_SPACE", "direction": "DESC"}}

	var got []int
	var after any
	for page := 0; ; page++ {
		vars["first"], vars["after"] = 100, after
		var p scPage
		h.ok(pageQuery, vars, &p)
		c := p.AllSpacecraft
		if c.TotalCount != len(want) {
			t.Fatalf("totalCount %d, want %d", c.TotalCount, len(want))
		}
		got = append(got, p.ids(t)...)
		if c.PageInfo.HasPreviousPage != (page > 0) {
			t.Errorf("page %d: hasPreviousPage %v", page, c.PageInfo.HasPreviousPage)
		}
		if c.PageInfo.HasNextPage != (len(got) < len(want)) {
			t.Errorf("page %d: hasNextPage %v with %d of %d seen", page, c.PageInfo.HasNextPage, len(got), len(want))
		}
		if !c.PageInfo.HasNextPage {
			break
		}
		after = *c.PageInfo.EndCursor
		if page > 10 {
			t.Fatal("paging does not end")
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("forward walk differs from the expected order:\n got %v\nwant %v", head(got), head(want))
	}

	// Backward: last 100 before the previous page's start, from the end.
	var back []int
	var before any
	delete(vars, "first")
	delete(vars, "after")
	for page := 0; ; page++ {
		vars["last"], vars["before"] = 100, before
		var p scPage
		h.ok(pageQuery, vars, &p)
		c := p.AllSpacecraft
		back = append(p.ids(t), back...)
		if c.PageInfo.HasNextPage != (page > 0) {
			t.Errorf("backward page %d: hasNextPage %v", page, c.PageInfo.HasNextPage)
		}
		if c.PageInfo.HasPreviousPage != (len(back) < len(want)) {
			t.Errorf("backward page %d: hasPreviousPage %v with %d of %d seen", page, c.PageInfo.HasPreviousPage, len(back), len(want))
		}
		if !c.PageInfo.HasPreviousPage {
			break
		}
		before = *c.PageInfo.StartCursor
		if page > 10 {
			t.Fatal("paging does not end")
		}
	}
	if !slices.Equal(back, want) {
		t.Fatalf("backward walk differs from the expected order:\n got %v\nwant %v", head(back), head(want))
	}
}

func head(s []int) []int { return s[:min(len(s), 12)] }

// TestPagingWindows checks single windows against the expected order: defaults, edge
// sizes, last without before (one reversed call), first with before, after with last.
func TestPagingWindows(t *testing.T) {
	h := newLL2Scale(t)
	asc := expectedOrder(false, nil)
	n := len(asc)
	order := map[string]any{"field": "TIME_IN_SPACE", "direction": "ASC"}
	c10 := pageCursor(t, h, order, 10)   // the cursor of position 10
	c590 := pageCursor(t, h, order, 590) // and of position 590
	for _, tc := range []struct {
		name       string
		vars       map[string]any
		want       []int
		next, prev bool
	}{
		{"default first 10", map[string]any{}, asc[:10], true, false},
		{"first 0", map[string]any{"first": 0}, nil, true, false},
		{"first 100", map[string]any{"first": 100}, asc[:100], true, false},
		{"first 5 after 10", map[string]any{"first": 5, "after": c10}, asc[11:16], true, true},
		{"last 5 (no before)", map[string]any{"last": 5}, asc[n-5:], false, true},
		{"last 5 before 10", map[string]any{"last": 5, "before": c10}, asc[5:10], true, true},
		{"last 20 before 10", map[string]any{"last": 20, "before": c10}, asc[:10], true, false},
		{"first 5 before 10", map[string]any{"first": 5, "before": c10}, asc[:5], true, false},
		{"first 100 after 590", map[string]any{"first": 100, "after": c590}, asc[591:], false, true},
		{"last 20 after 590", map[string]any{"last": 20, "after": c590}, asc[591:], false, true},
		{"after 10 before 10", map[string]any{"after": c10, "before": c10}, nil, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]any{"order": order}
			for k, v := range tc.vars {
				vars[k] = v
			}
			var p scPage
			h.ok(pageQuery, vars, &p)
			got := p.ids(t)
			if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("got %v, want %v", head(got), head(tc.want))
			}
			pi := p.AllSpacecraft.PageInfo
			if pi.HasNextPage != tc.next || pi.HasPreviousPage != tc.prev {
				t.Errorf("hasNextPage %v hasPreviousPage %v, want %v %v", pi.HasNextPage, pi.HasPreviousPage, tc.next, tc.prev)
			}
			if (pi.StartCursor == nil) != (len(got) == 0) {
				t.Errorf("startCursor %v for %d items", pi.StartCursor, len(got))
			}
		})
	}
}

// pageCursor returns the cursor of position i of the connection ordered by order.
func pageCursor(t *testing.T, h *harness, order map[string]any, i int) string {
	t.Helper()
	var after any
	for base := 0; ; base += 100 {
		var p scPage
		h.ok(pageQuery, map[string]any{"first": 100, "after": after, "order": order}, &p)
		if i < base+len(p.AllSpacecraft.Edges) {
			return p.AllSpacecraft.Edges[i-base].Cursor
		}
		after = *p.AllSpacecraft.PageInfo.EndCursor
	}
}

// TestFiltersAndSearch compares filtered and searched counts and first pages with
// expectations computed over the same data.
func TestFiltersAndSearch(t *testing.T) {
	h := newLL2Scale(t)
	d := llScale()
	count := func(keep func(*ll2.SpacecraftDetailed) bool) int {
		n := 0
		for _, s := range d.Spacecraft {
			if keep(s) {
				n++
			}
		}
		return n
	}
	sample := d.Spacecraft[17]
	for _, tc := range []struct {
		name string
		vars map[string]any
		keep func(*ll2.SpacecraftDetailed) bool
	}{
		{"status 4", map[string]any{"filter": map[string]any{"status": 4}}, func(s *ll2.SpacecraftDetailed) bool { return s.Status.ID == 4 }},
		{"in space", map[string]any{"filter": map[string]any{"inSpace": true}}, func(s *ll2.SpacecraftDetailed) bool { return *s.InSpace }},
		{"placeholder and retired", map[string]any{"filter": map[string]any{"isPlaceholder": false, "status": 2}}, func(s *ll2.SpacecraftDetailed) bool { return !*s.IsPlaceholder && s.Status.ID == 2 }},
		{"configuration by global id", map[string]any{"filter": map[string]any{"spacecraftConfig": gid("SpacecraftConfig", 3)}}, func(s *ll2.SpacecraftDetailed) bool { return s.SpacecraftConfig.ID == 3 }},
		{"configuration by LL2 id", map[string]any{"filter": map[string]any{"spacecraftConfig": "3"}}, func(s *ll2.SpacecraftDetailed) bool { return s.SpacecraftConfig.ID == 3 }},
		{"name, any case", map[string]any{"filter": map[string]any{"name": strings.ToUpper(sample.Name)}}, func(s *ll2.SpacecraftDetailed) bool { return strings.EqualFold(s.Name, sample.Name) }},
		{"search: every word in the name or the configuration's name", map[string]any{"search": sample.SpacecraftConfig.Name}, func(s *ll2.SpacecraftDetailed) bool {
			for _, w := range strings.Fields(strings.ToLower(sample.SpacecraftConfig.Name)) {
				if !strings.Contains(strings.ToLower(s.Name), w) && !strings.Contains(strings.ToLower(s.SpacecraftConfig.Name), w) {
					return false
				}
			}
			return true
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p scPage
			vars := map[string]any{"first": 100}
			for k, v := range tc.vars {
				vars[k] = v
			}
			h.ok(pageQuery, vars, &p)
			want := count(tc.keep)
			if want == 0 {
				t.Fatal("the case selects nothing; it would not test the filter")
			}
			if p.AllSpacecraft.TotalCount != want {
				t.Errorf("totalCount %d, want %d", p.AllSpacecraft.TotalCount, want)
			}
			byID := map[int]*ll2.SpacecraftDetailed{}
			for _, s := range d.Spacecraft {
				byID[s.ID] = s
			}
			for _, id := range p.ids(t) {
				if !tc.keep(byID[id]) {
					t.Errorf("spacecraft %d does not match", id)
				}
			}
		})
	}
}

// TestBadPagingInput checks that every malformed paging argument is refused with
// BAD_USER_INPUT naming the argument, and that a cursor of another query is refused.
func TestBadPagingInput(t *testing.T) {
	h := newLL2Scale(t)
	order := map[string]any{"field": "TIME_IN_SPACE", "direction": "ASC"}
	cur := pageCursor(t, h, order, 3)
	for _, tc := range []struct {
		name string
		vars map[string]any
		arg  string
	}{
		{"first and last", map[string]any{"first": 1, "last": 1}, "first"},
		{"first over 100", map[string]any{"first": 101}, "first"},
		{"negative first", map[string]any{"first": -1}, "first"},
		{"negative last", map[string]any{"last": -5}, "last"},
		{"malformed after", map[string]any{"after": "not a cursor!"}, "after"},
		{"malformed before", map[string]any{"before": "Zm9v"}, "before"},
		{"cursor of another order", map[string]any{"after": cur, "order": map[string]any{"field": "ID"}}, "after"},
		{"cursor of another filter", map[string]any{"after": cur, "order": order, "filter": map[string]any{"status": 1}}, "after"},
		{"global id of the wrong type", map[string]any{"filter": map[string]any{"spacecraftConfig": gid("Agency", 3)}}, "filter.spacecraftConfig"},
		{"global id that is not one", map[string]any{"filter": map[string]any{"spacecraftConfig": "nope"}}, "filter.spacecraftConfig"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.calls()
			r := h.do(pageQuery, tc.vars)
			e := r.errorWith(t, "BAD_USER_INPUT")
			if e.Extensions["argument"] != tc.arg || !strings.Contains(e.Message, tc.arg) {
				t.Errorf("error %q (argument %v) does not name %q", e.Message, e.Extensions["argument"], tc.arg)
			}
			if h.calls() != before {
				t.Errorf("bad input spent %d LL2 calls", h.calls()-before)
			}
		})
	}
	// An argument's error starts with its name; a variable's is graphql-js's.
	for _, tc := range []struct {
		name, query, arg, message string
		vars                      map[string]any
	}{
		{"unknown enum value in a variable", pageQuery, "$order.field",
			`Variable "$order" got invalid value "COLOUR" at "order.field"; Value "COLOUR" does not exist in "SpacecraftOrderField" enum.`,
			map[string]any{"order": map[string]any{"field": "COLOUR"}}},
		{"unknown enum value in the query", `{ allSpacecraft(orderBy: {field: COLOUR}) { totalCount } }`, "orderBy.field", "orderBy.field: ", nil},
		{"a string for an Int", `{ allSpacecraft(first: "ten") { totalCount } }`, "first", "first: ", nil},
		{"a string for an Int in a variable", pageQuery, "$first",
			`Variable "$first" got invalid value "ten"; Int cannot represent non-integer value: "ten"`, map[string]any{"first": "ten"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(tc.query, tc.vars)
			e := r.errorWith(t, "BAD_USER_INPUT")
			if e.Extensions["argument"] != tc.arg || !strings.HasPrefix(e.Message, tc.message) {
				t.Errorf("error %+v: want BAD_USER_INPUT naming %s, message %q", e, tc.arg, tc.message)
			}
		})
	}
}

// TestBackwardPageSharedByAliases asks an agency's last configurations twice through
// aliases: the loaders hand both fields the same page, and each must read the last two
// in order. Reversing the shared page in place made one alias read it backwards.
func TestBackwardPageSharedByAliases(t *testing.T) {
	h := newHarness(t, emptyConfig())
	var out struct {
		Agency map[string]struct {
			Nodes []struct {
				Name string `json:"name"`
			} `json:"nodes"`
		} `json:"agency"`
	}
	h.ok(`{ agency(ll2Id: 121) {
		a: spacecraftConfigs(last: 2) { nodes { name } }
		b: spacecraftConfigs(last: 2) { nodes { name } }
		all: spacecraftConfigs { nodes { name } } } }`, nil, &out)
	all := out.Agency["all"].Nodes
	if len(all) < 3 {
		t.Fatalf("SpaceX has %d configurations in the snapshot, want at least 3", len(all))
	}
	want := all[len(all)-2:]
	for _, alias := range []string{"a", "b"} {
		if got := out.Agency[alias].Nodes; !slices.Equal(got, want) {
			t.Errorf("%s: last 2 are %v, want %v", alias, got, want)
		}
	}
}
