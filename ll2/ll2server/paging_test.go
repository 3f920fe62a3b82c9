package ll2server_test

import (
	"net/http"
	"strings"
	"testing"

	"spacegraph/ll2"
)

func TestPaging(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)
	all := expectIDs(v.data.Spacecraft, scID, nil, nil)
	retired := expectIDs(v.data.Spacecraft, scID, func(s *ll2.SpacecraftDetailed) bool {
		return s.Status != nil && s.Status.ID == 2
	}, func(a, b *ll2.SpacecraftDetailed) int { return -cmpInt(a.ID, b.ID) })
	window := func(ids []int, off, lim int) []int {
		if off >= len(ids) {
			return nil
		}
		return ids[off:min(len(ids), off+lim)]
	}
	base := e.base() + "spacecraft/?"
	cases := []struct {
		query      string
		sel        []int
		off, lim   int
		next, prev string // query of the link, "" for null
	}{
		{"", all, 0, 10, "limit=10&offset=10", ""},
		{"limit=7&offset=7", all, 7, 7, "limit=7&offset=14", "limit=7"},
		{"limit=7&offset=20", all, 20, 7, "limit=7&offset=27", "limit=7&offset=13"},
		{"limit=7&offset=3", all, 3, 7, "limit=7&offset=10", "limit=7"},
		{"offset=25", all, 25, 10, "", "limit=10&offset=15"},
		{"offset=20", all, 20, 10, "", "limit=10&offset=10"},
		{"offset=19", all, 19, 10, "limit=10&offset=29", "limit=10&offset=9"},
		{"offset=30", all, 30, 10, "", "limit=10&offset=20"},
		{"offset=1000", all, 1000, 10, "", "limit=10&offset=990"},
		{"offset=9223372036854775800", all, 9223372036854775800, 10, "", "limit=10&offset=9223372036854775790"},
		{"limit=0", all, 0, 10, "limit=10&offset=10", ""},
		{"limit=-1", all, 0, 10, "limit=10&offset=10", ""},
		{"limit=abc", all, 0, 10, "limit=10&offset=10", ""},
		{"limit=", all, 0, 10, "limit=10&offset=10", ""},
		{"limit=5.0", all, 0, 10, "limit=10&offset=10", ""},
		{"limit=%205%20", all, 0, 5, "limit=5&offset=5", ""},
		{"limit=3&limit=5", all, 0, 5, "limit=5&offset=5", ""}, // the last value counts
		{"limit=100", all, 0, 100, "", ""},
		{"limit=1000", all, 0, 100, "", ""},
		{"limit=1000&offset=5", all, 5, 100, "", "limit=100"},
		{"limit=29", all, 0, 29, "limit=29&offset=29", ""},
		{"limit=30", all, 0, 30, "", ""},
		{"offset=-5", all, 0, 10, "limit=10&offset=10", ""},
		{"offset=abc&limit=4", all, 0, 4, "limit=4&offset=4", ""},
		{"limit=1&offset=1", all, 1, 1, "limit=1&offset=2", "limit=1"},
		// The query is sorted by key, other parameters kept as they came.
		{"status=2&ordering=-id&limit=3&offset=3", retired, 3, 3, "limit=3&offset=6&ordering=-id&status=2", "limit=3&ordering=-id&status=2"},
		{"zeta=1&status=2&ordering=-id&alpha=x%20y&limit=2&offset=4", retired, 4, 2,
			"alpha=x+y&limit=2&offset=6&ordering=-id&status=2&zeta=1", "alpha=x+y&limit=2&offset=2&ordering=-id&status=2&zeta=1"},
		{"status=2&ordering=-id&limit=200", retired, 0, 100, "", ""},
		{"status=999", nil, 0, 10, "", ""},
		{"status=999&offset=10", nil, 10, 10, "", "limit=10&status=999"},
	}
	for _, c := range cases {
		p := e.list("spacecraft/?" + c.query)
		if p.Count != len(c.sel) {
			t.Errorf("?%s: count %d, want %d", c.query, p.Count, len(c.sel))
		}
		assertIDs(t, "?"+c.query, pageIDs(t, p), window(c.sel, c.off, c.lim))
		for _, l := range []struct {
			name string
			got  *string
			want string
		}{{"next", p.Next, c.next}, {"previous", p.Previous, c.prev}} {
			switch {
			case l.want == "" && l.got != nil:
				t.Errorf("?%s: %s = %q, want null", c.query, l.name, *l.got)
			case l.want != "" && l.got == nil:
				t.Errorf("?%s: %s = null, want %q", c.query, l.name, base+l.want)
			case l.want != "" && *l.got != base+l.want:
				t.Errorf("?%s: %s = %q, want %q", c.query, l.name, *l.got, base+l.want)
			}
		}
	}

	// Following next from the first page visits every record once, in order.
	var seen []int
	next := e.base() + "spacecraft/?limit=4&ordering=-time_docked"
	for pages := 0; next != ""; pages++ {
		if pages > 20 {
			t.Fatal("next links do not end")
		}
		p := e.list(strings.TrimPrefix(next, e.ts.URL))
		seen = append(seen, pageIDs(t, p)...)
		next = ""
		if p.Next != nil {
			next = *p.Next
		}
	}
	assertIDs(t, "following next", seen, e.ids("spacecraft/?limit=100&ordering=-time_docked"))
}

func TestPagingOtherEndpoints(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)
	for _, c := range []struct {
		path string
		all  []int
	}{
		{"spacecraft_configurations/", expectIDs(v.data.Configs, cfgID, nil, nil)},
		{"agencies/", expectIDs(v.data.Agencies, agID, nil, nil)},
		{"spacecraft_configuration_families/", expectIDs(v.data.Families, famID, nil, nil)},
		{ll2.PathSpacecraftStatuses, expectIDs(lookupRows(v.data.Lookups[ll2.PathSpacecraftStatuses]), lookupID, nil, nil)},
	} {
		p := e.list(c.path + "?limit=2&offset=2")
		if p.Count != len(c.all) {
			t.Errorf("%s: count %d, want %d", c.path, p.Count, len(c.all))
		}
		assertIDs(t, c.path, pageIDs(t, p), c.all[2:4])
		if len(c.all) > 4 && (p.Next == nil || *p.Next != e.base()+c.path+"?limit=2&offset=4") {
			t.Errorf("%s: next %v", c.path, p.Next)
		}
		if len(c.all) <= 4 && p.Next != nil {
			t.Errorf("%s: next %v on the last page", c.path, *p.Next)
		}
		if p.Previous == nil || *p.Previous != e.base()+c.path+"?limit=2" {
			t.Errorf("%s: previous %v", c.path, p.Previous)
		}
	}
	// An empty table is a page too.
	p := e.list(ll2.PathImageVariantTypes)
	if p.Count != 0 || len(p.Results) != 0 || p.Next != nil || p.Previous != nil {
		t.Errorf("empty table: %+v", p)
	}
}

// urlsIn collects every "url" field of a JSON document, at any depth.
func urlsIn(t testing.TB, body []byte) []string {
	t.Helper()
	var doc any
	mustDecode(t, body, &doc)
	var out []string
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for k, v := range x {
				if s, ok := v.(string); ok && k == "url" {
					out = append(out, s)
				}
				walk(v)
			}
		case []any:
			for _, v := range x {
				walk(v)
			}
		}
	}
	walk(doc)
	return out
}

func TestURLs(t *testing.T) {
	e := fxEnvOf(t)
	check := func(what string, body []byte, base, suffix string, min int) {
		t.Helper()
		if strings.Contains(string(body), "ll2server:") {
			t.Errorf("%s: the base-URL placeholder leaked: %.200s", what, body)
		}
		urls := urlsIn(t, body)
		n := 0
		for _, u := range urls {
			if strings.HasPrefix(u, fxOutside) {
				continue // stored verbatim, not a server URL
			}
			n++
			if !strings.HasPrefix(u, base) || !strings.HasSuffix(u, "/"+suffix) {
				t.Errorf("%s: url %q, want %s…/%s", what, u, base, suffix)
			}
		}
		if n < min {
			t.Errorf("%s: only %d urls", what, n)
		}
	}
	// Objects' urls, nested ones included, are absolute on the request's host.
	for _, target := range []string{"spacecraft/?limit=100&mode=detailed", "spacecraft/?limit=100", "agencies/?mode=detailed",
		"spacecraft_configuration_families/?mode=detailed", "spacecraft_configurations/", "spacecraft/14/", "agencies/10/"} {
		check(target, e.get(target).body, e.base(), "", 1)
	}
	// The format parameter is carried into every url; the last one given counts.
	for _, c := range []struct{ query, suffix string }{
		{"format=json", "?format=json"},
		{"format=api", "?format=api"},
		{"format=json&format=api", "?format=api"},
		{"format=a%20b%26c", "?format=a+b%26c"},
	} {
		for _, path := range []string{"spacecraft/", "spacecraft/14/", "agencies/", "spacecraft_configurations/101/",
			"spacecraft_configuration_families/?mode=detailed&"} {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = ""
			}
			target := path + sep + c.query
			check(target, e.get(target).body, e.base(), c.suffix, 1)
		}
	}
	// And the format parameter is kept in the paging links, in key order.
	p := e.list("spacecraft/?format=json&limit=5")
	if p.Next == nil || *p.Next != e.base()+"spacecraft/?format=json&limit=5&offset=5" {
		t.Errorf("next with format: %v", p.Next)
	}
	// The host the caller used, not the one the server listens on.
	hdr := http.Header{"Host": {"gateway.example:8443"}}
	r := e.do(http.MethodGet, "spacecraft/?limit=3&offset=3&mode=detailed", hdr)
	check("Host header", r.body, "http://gateway.example:8443/2.3.0/", "", 3)
	var page fxPage
	mustDecode(t, r.body, &page)
	if page.Next == nil || *page.Next != "http://gateway.example:8443/2.3.0/spacecraft/?limit=3&mode=detailed&offset=6" {
		t.Errorf("next on another host: %v", page.Next)
	}
	if page.Previous == nil || *page.Previous != "http://gateway.example:8443/2.3.0/spacecraft/?limit=3&mode=detailed" {
		t.Errorf("previous on another host: %v", page.Previous)
	}
	// A detail object's url is its own address.
	for _, path := range []string{"spacecraft/14/", "spacecraft_configurations/101/", "agencies/20/"} {
		var o struct {
			URL string `json:"url"`
		}
		mustDecode(t, e.get(path).body, &o)
		if o.URL != e.base()+path {
			t.Errorf("%s: url %q", path, o.URL)
		}
		if res := e.get(strings.TrimPrefix(o.URL, e.base())); res.status != http.StatusOK {
			t.Errorf("%s: following url: %d", path, res.status)
		}
	}
}
