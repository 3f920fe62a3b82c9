package ll2_test

import (
	"net/url"
	"reflect"
	"testing"

	"spacegraph/ll2"
)

// TestListParamsValuesAndKey pins the two texts of a query: what the client sends
// (Values, parameters at their defaults left out) and its key (search and ordering
// always written), and checks that every key gives its parameters back. The key of a
// Selection is what cursors fingerprint: its text for a root page ordered by id is
// the one every cursor handed out so far carries.
func TestListParamsValuesAndKey(t *testing.T) {
	byTime := []ll2.OrderKey{{Field: "time_in_space", Desc: true}, {Field: "id"}}
	for _, tc := range []struct {
		name      string
		p         ll2.ListParams
		values    string
		key       string
		selection string
	}{
		{"nothing set", ll2.ListParams{}, "", "ordering=&search=", "ordering=&search="},
		{"a root page ordered by id", ll2.ListParams{Limit: 10, Mode: ll2.LevelNormal, Ordering: []ll2.OrderKey{{Field: "id"}}, Filter: url.Values{}},
			"limit=10&mode=normal&ordering=id", "limit=10&mode=normal&ordering=id&search=", "ordering=id&search="},
		{"everything set", ll2.ListParams{Limit: 5, Offset: 10, Mode: ll2.LevelDetailed, Search: "dragon", Ordering: byTime, Filter: url.Values{"in_space": {"true"}}},
			"in_space=true&limit=5&mode=detailed&offset=10&ordering=-time_in_space%2Cid&search=dragon",
			"in_space=true&limit=5&mode=detailed&offset=10&ordering=-time_in_space%2Cid&search=dragon",
			"in_space=true&ordering=-time_in_space%2Cid&search=dragon"},
		{"a filter with several values", ll2.ListParams{Mode: ll2.LevelList, Filter: url.Values{"country_code": {"USA,FRA"}, "name": {"a", "b"}}},
			"country_code=USA%2CFRA&mode=list&name=a&name=b", "country_code=USA%2CFRA&mode=list&name=a&name=b&ordering=&search=", "country_code=USA%2CFRA&name=a&name=b&ordering=&search="},
		{"a window LL2 would refuse keeps its own key", ll2.ListParams{Limit: -1, Offset: -5},
			"", "limit=-1&offset=-5&ordering=&search=", "ordering=&search="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Values().Encode(); got != tc.values {
				t.Errorf("Values %q, want %q", got, tc.values)
			}
			key := tc.p.Key()
			if string(key) != tc.key {
				t.Errorf("Key %q, want %q", key, tc.key)
			}
			if got := tc.p.Selection().Key(); string(got) != tc.selection {
				t.Errorf("Selection().Key %q, want %q", got, tc.selection)
			}
			back, err := key.Params()
			if err != nil {
				t.Fatal(err)
			}
			if back.Key() != key {
				t.Errorf("Params gave %+v, whose key is %q", back, back.Key())
			}
			want := tc.p
			if want.Filter == nil {
				want.Filter = url.Values{}
			}
			if !reflect.DeepEqual(back, want) {
				t.Errorf("Params gave %+v, want %+v", back, want)
			}
		})
	}
}

// TestListKeyDistinguishesQueries checks that queries LL2 answers differently have
// different keys: the loaders batch keys that are equal as one query.
func TestListKeyDistinguishesQueries(t *testing.T) {
	qs := []ll2.ListParams{
		{},
		{Limit: 1},
		{Limit: -1},
		{Offset: 1},
		{Mode: ll2.LevelList},
		{Mode: ll2.LevelNormal},
		{Search: "a"},
		{Search: "a b"},
		{Ordering: []ll2.OrderKey{{Field: "id"}}},
		{Ordering: []ll2.OrderKey{{Field: "id", Desc: true}}},
		{Filter: url.Values{"name": {"a"}}},
		{Filter: url.Values{"name": {"a", "b"}}},
		{Filter: url.Values{"name": {"a&search=b"}}},
	}
	seen := map[ll2.ListKey]int{}
	for i, q := range qs {
		if j, ok := seen[q.Key()]; ok {
			t.Errorf("queries %d (%+v) and %d (%+v) share the key %q", i, q, j, qs[j], q.Key())
		}
		seen[q.Key()] = i
	}
}

// TestListKeyParamsRefusesForeignText reads keys no Key wrote.
func TestListKeyParamsRefusesForeignText(t *testing.T) {
	for _, k := range []ll2.ListKey{"limit=ten", "offset=1.5", "mode=everything", "%zz"} {
		if p, err := k.Params(); err == nil {
			t.Errorf("%q: got %+v, want an error", k, p)
		}
	}
}
