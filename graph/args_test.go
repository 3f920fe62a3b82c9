package graph

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"spacegraph/catalog"
	"spacegraph/errs"
	"spacegraph/ll2"
	"spacegraph/relay"
)

// TestNewPageRequest turns Relay paging arguments into the offset window of the LL2
// call that answers them: forward windows from first/after/before, backward ones from
// last (fetched reversed when no before bounds them), and a BAD_USER_INPUT naming the
// argument for what the contract refuses.
func TestNewPageRequest(t *testing.T) {
	const fp = "fingerprint"
	byName := []ll2.OrderKey{{Field: "name"}, {Field: "id"}}
	base := ll2.ListParams{Mode: ll2.LevelNormal, Search: "dragon", Ordering: byName}
	at := func(off int) *string { s := relay.Cursor(fp, off); return &s }
	n := func(v int) *int { return &v }
	window := func(offset, limit int) ll2.ListParams {
		q := base
		q.Offset, q.Limit = offset, limit
		return q
	}
	backward := ll2.ListParams{Mode: ll2.LevelNormal, Search: "dragon", Ordering: []ll2.OrderKey{{Field: "name", Desc: true}, {Field: "id", Desc: true}}}
	last := func(keep, from int) pageRequest {
		q := backward
		q.Limit = keep
		return pageRequest{query: q, reverse: true, keep: keep, from: from, fp: fp}
	}
	for _, tc := range []struct {
		name string
		a    connArgs
		want pageRequest
		// badArg is the argument a refusal names ("" when none is refused).
		badArg string
	}{
		{"no arguments: the default page", connArgs{}, pageRequest{query: window(0, defaultPageSize), fp: fp}, ""},
		{"first", connArgs{first: n(5)}, pageRequest{query: window(0, 5), fp: fp}, ""},
		{"first 0", connArgs{first: n(0)}, pageRequest{query: window(0, 0), fp: fp}, ""},
		{"first 100", connArgs{first: n(100)}, pageRequest{query: window(0, 100), fp: fp}, ""},
		{"after a cursor", connArgs{first: n(3), after: at(4)}, pageRequest{query: window(5, 3), fp: fp}, ""},
		{"after, the default page", connArgs{after: at(4)}, pageRequest{query: window(5, defaultPageSize), fp: fp}, ""},
		{"before a cursor, first", connArgs{first: n(20), before: at(10)}, pageRequest{query: window(0, 10), fp: fp}, ""},
		{"between two cursors", connArgs{first: n(3), after: at(4), before: at(10)}, pageRequest{query: window(5, 3), fp: fp}, ""},
		{"between two close cursors", connArgs{first: n(10), after: at(4), before: at(7)}, pageRequest{query: window(5, 2), fp: fp}, ""},
		{"before comes before after", connArgs{after: at(5), before: at(3)}, pageRequest{query: window(6, 0), fp: fp}, ""},
		{"last: the end, fetched reversed", connArgs{last: n(3)}, last(3, 0), ""},
		{"last after a cursor", connArgs{last: n(3), after: at(4)}, last(3, 5), ""},
		{"last 0", connArgs{last: n(0)}, last(0, 0), ""},
		{"last before a cursor", connArgs{last: n(3), before: at(10)}, pageRequest{query: window(7, 3), fp: fp}, ""},
		{"last before a cursor near the start", connArgs{last: n(20), before: at(10)}, pageRequest{query: window(0, 10), fp: fp}, ""},
		{"last between two cursors", connArgs{last: n(5), after: at(4), before: at(7)}, pageRequest{query: window(5, 2), fp: fp}, ""},
		{"first and last", connArgs{first: n(1), last: n(1)}, pageRequest{}, "first"},
		{"a negative first", connArgs{first: n(-1)}, pageRequest{}, "first"},
		{"first over the largest page", connArgs{first: n(maxPageSize + 1)}, pageRequest{}, "first"},
		{"last over the largest page", connArgs{last: n(maxPageSize + 1)}, pageRequest{}, "last"},
		{"a cursor of another query", connArgs{after: new(relay.Cursor("other", 4))}, pageRequest{}, "after"},
		{"not a cursor", connArgs{before: new("nonsense")}, pageRequest{}, "before"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := newPageRequest(tc.a, fp, base)
			if tc.badArg != "" {
				var e *errs.Error
				if !errors.As(err, &e) || e.Code != errs.BadUserInput || e.Argument != tc.badArg {
					t.Fatalf("error %v, want BAD_USER_INPUT on %q", err, tc.badArg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestFetchPage checks the window a page request gives back: a forward window as
// fetched, a backward one reversed into forward order with the offset of its first
// item once the count is known, items before an `after` cursor dropped, and an empty
// window still fetched (one item) for its count.
func TestFetchPage(t *testing.T) {
	// items are the collection, in the forward order; fetch answers a query on it.
	items := []int{10, 11, 12, 13, 14, 15, 16}
	var asked ll2.ListParams
	fetch := func(_ context.Context, q ll2.ListParams) (*catalog.Page[int], error) {
		asked = q
		order := items
		if len(q.Ordering) > 0 && q.Ordering[0].Desc {
			order = make([]int, len(items))
			for i, v := range items {
				order[len(items)-1-i] = v
			}
		}
		p := &catalog.Page[int]{Count: len(items)}
		for _, v := range order[min(q.Offset, len(order)):min(q.Offset+q.Limit, len(order))] {
			p.Items = append(p.Items, &v)
		}
		return p, nil
	}
	asc := []ll2.OrderKey{{Field: "id"}}
	desc := []ll2.OrderKey{{Field: "id", Desc: true}}
	for _, tc := range []struct {
		name       string
		req        pageRequest
		wantOffset int
		wantItems  []int
		wantLimit  int
	}{
		{"forward", pageRequest{query: ll2.ListParams{Offset: 2, Limit: 3, Ordering: asc}}, 2, []int{12, 13, 14}, 3},
		{"an empty window asks for one item", pageRequest{query: ll2.ListParams{Offset: 2, Limit: 0, Ordering: asc}}, 2, nil, 1},
		{"the last three", pageRequest{query: ll2.ListParams{Limit: 3, Ordering: desc}, reverse: true, keep: 3}, 4, []int{14, 15, 16}, 3},
		{"the last three after the fifth", pageRequest{query: ll2.ListParams{Limit: 3, Ordering: desc}, reverse: true, keep: 3, from: 5}, 5, []int{15, 16}, 3},
		{"more than there are", pageRequest{query: ll2.ListParams{Limit: 50, Ordering: desc}, reverse: true, keep: 50}, 0, items, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := fetchPage(context.Background(), tc.req, fetch)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, v := range w.Items {
				got = append(got, *v)
			}
			if w.Offset != tc.wantOffset || !reflect.DeepEqual(got, tc.wantItems) || w.Count != len(items) {
				t.Errorf("window at %d of %d: %v, want at %d of %d: %v", w.Offset, w.Count, got, tc.wantOffset, len(items), tc.wantItems)
			}
			if asked.Limit != tc.wantLimit {
				t.Errorf("asked for %d items, want %d", asked.Limit, tc.wantLimit)
			}
		})
	}
}

// TestFingerprintText pins the fingerprint of a connection's query, which every cursor
// carries: the README's first example hands out the cursor of the third spacecraft
// ordered by time in space, and cursors handed out before must keep working.
func TestFingerprintText(t *testing.T) {
	q := ll2.ListParams{Limit: 3, Mode: ll2.LevelDetailed, Ordering: []ll2.OrderKey{{Field: "time_in_space", Desc: true}, {Field: "id"}}, Filter: map[string][]string{}}
	fp := fingerprint("allSpacecraft", 0, q)
	if got, want := relay.Cursor(fp, 2), "YzE6MjA4NmQxOGQ3MjI2OjI"; got != want {
		t.Errorf("cursor %q, want the README's %q", got, want)
	}
	// The window and the level are not part of it; the parent and the search are.
	for _, other := range []struct {
		name   string
		field  string
		parent int
		q      ll2.ListParams
		same   bool
	}{
		{"another page", "allSpacecraft", 0, ll2.ListParams{Limit: 10, Offset: 30, Mode: ll2.LevelNormal, Ordering: q.Ordering}, true},
		{"a search", "allSpacecraft", 0, ll2.ListParams{Search: "x", Ordering: q.Ordering}, false},
		{"a parent", "allSpacecraft", 1, q, false},
		{"another field", "SpacecraftConfig.spacecraft", 0, q, false},
	} {
		if got := fingerprint(other.field, other.parent, other.q); (got == fp) != other.same {
			t.Errorf("%s: fingerprint %s, the first's %s: same should be %v", other.name, got, fp, other.same)
		}
	}
}
