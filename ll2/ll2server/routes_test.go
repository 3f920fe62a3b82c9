package ll2server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"spacegraph/ll2"
)

const notFound = `{"detail": "Not found."}`

// TestDetailEndpoints fetches every object by id: each answers at the detailed level
// with exactly what the list gives at mode=detailed.
func TestDetailEndpoints(t *testing.T) {
	v := fxOnce()
	for _, src := range []string{"fixture", "embedded"} {
		t.Run(src, func(t *testing.T) {
			e := fxEnvOf(t)
			if src == "embedded" {
				e = newEnv(t, mustEmbedded(t), optsNone)
			}
			paths := []string{"spacecraft/", "spacecraft_configurations/", "agencies/", "spacecraft_configuration_families/"}
			paths = append(paths, ll2.LookupPaths...)
			total := 0
			for _, path := range paths {
				p := e.list(path + "?mode=detailed&limit=100")
				for i, id := range pageIDs(t, p) {
					target := fmt.Sprintf("%s%d/", path, id)
					for _, q := range []string{"", "?mode=list", "?mode=normal", "?limit=1&offset=5&search=zzz&status=1"} {
						r := e.get(target + q)
						if r.status != http.StatusOK {
							t.Fatalf("GET %s%s: %d %s", target, q, r.status, r.body)
						}
						if !jsonEqual(t, r.body, p.Results[i]) {
							t.Errorf("GET %s%s differs from the detailed list entry:\n%s\n%s", target, q, r.body, p.Results[i])
						}
					}
					total++
				}
			}
			if src == "fixture" {
				want := len(v.data.Spacecraft) + len(v.data.Configs) + len(v.data.Agencies) + len(v.data.Families)
				for _, rows := range v.data.Lookups {
					want += len(rows)
				}
				if total != want {
					t.Errorf("fetched %d objects, the fixture has %d", total, want)
				}
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	e := fxEnvOf(t)
	for _, target := range []string{
		"spacecraft/99999/", "spacecraft/0/", "spacecraft/1/", "spacecraft/abc/", "spacecraft/-5/", "spacecraft/5/extra/",
		"spacecraft/99999999999999999999/", "spacecraft/5.0/", "spacecraft//", "spacecraft/%20/",
		"agencies/999/", "spacecraft_configurations/1/", "spacecraft_configuration_families/99/",
		"config/spacecraft_statuses/99/", "config/image_variant_types/1/", "config/", "config/unknown_table/",
		"nope/", "launches/", "spacecraftx/", "api-throttle/1/",
		"/", "/2.4.0/spacecraft/", "/2.3.0spacecraft/", "/api/2.3.0/spacecraft/", "/2.3.0/nope", "/2.3.0/spacecraft/abc",
	} {
		methods := []string{http.MethodGet}
		if !strings.Contains(target, "/9") && !strings.Contains(target, "/0/") && !strings.Contains(target, "/1/") {
			// An unknown path is a 404 whatever the method; an unknown id on a
			// known route is a 405 for POST, as DRF checks the method first.
			methods = append(methods, http.MethodPost)
		}
		for _, method := range methods {
			r := e.do(method, target, nil)
			if r.status != http.StatusNotFound {
				t.Errorf("%s %s: status %d, want 404 (%s)", method, target, r.status, r.body)
				continue
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s %s: Content-Type %q", method, target, ct)
			}
			if !jsonEqual(t, r.body, []byte(notFound)) {
				t.Errorf("%s %s: body %s", method, target, r.body)
			}
		}
	}
	if c := e.srv.Counters(); c.ByRoute["nope/"] != 0 || c.ByRoute["spacecraft/{id}/"] == 0 {
		t.Errorf("unknown paths are not routes; unknown ids are: %+v", c.ByRoute)
	}
}

func TestTrailingSlashRedirect(t *testing.T) {
	e := fxEnvOf(t)
	for _, c := range []struct{ target, location string }{
		{"/2.3.0/spacecraft", "/2.3.0/spacecraft/"},
		{"/2.3.0/spacecraft?limit=5&mode=detailed", "/2.3.0/spacecraft/?limit=5&mode=detailed"},
		{"/2.3.0/spacecraft/14", "/2.3.0/spacecraft/14/"},
		{"/2.3.0/agencies/10?format=json", "/2.3.0/agencies/10/?format=json"},
		{"/2.3.0/spacecraft/99999", "/2.3.0/spacecraft/99999/"}, // the route exists, the object does not
		{"/2.3.0/config/spacecraft_statuses", "/2.3.0/config/spacecraft_statuses/"},
		{"/2.3.0/spacecraft_configuration_families", "/2.3.0/spacecraft_configuration_families/"},
		{"/2.3.0/api-throttle", "/2.3.0/api-throttle/"},
	} {
		r := e.get(c.target)
		if r.status != http.StatusMovedPermanently {
			t.Errorf("GET %s: status %d, want 301", c.target, r.status)
			continue
		}
		if loc := r.header.Get("Location"); loc != c.location {
			t.Errorf("GET %s: Location %q, want %q", c.target, loc, c.location)
		}
	}
	if c := e.srv.Counters(); c.Total != 0 {
		t.Errorf("redirects must not count as calls: %+v", c)
	}
	// A client that follows redirects lands on the slash form.
	follow := &http.Client{Transport: e.ts.Client().Transport}
	res, err := follow.Get(e.ts.URL + "/2.3.0/spacecraft?limit=3&ordering=-id")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/2.3.0/spacecraft/" || res.Request.URL.RawQuery != "limit=3&ordering=-id" {
		t.Errorf("following the redirect: %d %s", res.StatusCode, res.Request.URL)
	}
}

func TestMethods(t *testing.T) {
	e := fxEnvOf(t)
	for _, target := range []string{"spacecraft/", "spacecraft/14/", "agencies/", "config/countries/", "api-throttle/"} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			r := e.do(m, target, nil)
			if r.status != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: status %d, want 405", m, target, r.status)
				continue
			}
			want := fmt.Sprintf(`{"detail": "Method \"%s\" not allowed."}`, m)
			if !jsonEqual(t, r.body, []byte(want)) {
				t.Errorf("%s %s: body %s, want %s", m, target, r.body, want)
			}
			if a := r.header.Get("Allow"); a != "GET, HEAD, OPTIONS" {
				t.Errorf("%s %s: Allow %q", m, target, a)
			}
		}
		r := e.do(http.MethodHead, target, nil)
		if r.status != http.StatusOK || len(r.body) != 0 || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("HEAD %s: %d %q %q", target, r.status, r.header.Get("Content-Type"), r.body)
		}
		r = e.do(http.MethodOptions, target, nil)
		if r.status != http.StatusOK || !json.Valid(r.body) || r.header.Get("Allow") != "GET, HEAD, OPTIONS" {
			t.Errorf("OPTIONS %s: %d %s", target, r.status, r.body)
		}
	}
}

func TestLookups(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)
	keys := map[string][]string{
		ll2.PathSpacecraftStatuses: keysIDName,
		ll2.PathConfigTypes:        keysIDName,
		ll2.PathAgencyTypes:        keysIDName,
		ll2.PathCountries:          keysCountry,
		ll2.PathImageLicenses:      keysImageLicense,
	}
	for _, path := range ll2.LookupPaths {
		rows := lookupRows(v.data.Lookups[path])
		want := expectIDs(rows, lookupID, nil, nil)
		p := e.list(path + "?mode=detailed&limit=100") // mode means nothing to a table
		assertIDs(t, path, pageIDs(t, p), want)
		byID := map[int]*ll2.Lookup{}
		for _, r := range rows {
			byID[r.ID] = r
		}
		for i, id := range want {
			row := byID[id]
			var wantRow any = map[string]any{"id": row.ID, "name": row.Name}
			if row.Raw != nil {
				wantRow = row.Raw
			}
			wb, _ := json.Marshal(wantRow)
			if !jsonEqual(t, p.Results[i], wb) {
				t.Errorf("%s row %d: %s, want %s", path, id, p.Results[i], wb)
			}
			if k := keys[path]; k != nil {
				assertKeys(t, path, decodeObject(t, path, p.Results[i]), k)
			}
			d := e.get(fmt.Sprintf("%s%d/", path, id))
			if d.status != http.StatusOK || !jsonEqual(t, d.body, wb) {
				t.Errorf("%s%d/: %d %s", path, id, d.status, d.body)
			}
		}
	}
	// Ordering and search, spot-checked by hand (TestSearch and TestOrderingOthers
	// cover them in full).
	assertIDs(t, "statuses by name", e.ids(ll2.PathSpacecraftStatuses+"?ordering=name"), []int{1, 3, 2, 4, 5})
	assertIDs(t, "statuses by -id", e.ids(ll2.PathSpacecraftStatuses+"?ordering=-id"), []int{5, 4, 3, 2, 1})
	assertIDs(t, "statuses search", e.ids(ll2.PathSpacecraftStatuses+"?search=ed"), []int{2, 3})
	assertIDs(t, "countries search", e.ids(ll2.PathCountries+"?search=rus"), []int{2})
	// Tables take no filters: unknown parameters, even bad numbers, are ignored.
	assertIDs(t, "statuses ?id=x", e.ids(ll2.PathSpacecraftStatuses+"?id=x&status=y"), []int{1, 2, 3, 4, 5})
}

func TestAPIThrottleUnthrottled(t *testing.T) {
	e := fxEnvOf(t)
	e.get("spacecraft/")
	for _, hdr := range []http.Header{nil, {"Authorization": {"Token abc123"}}} {
		r := e.do(http.MethodGet, "api-throttle/", hdr)
		if r.status != http.StatusOK {
			t.Fatalf("api-throttle/: %d", r.status)
		}
		var items []json.RawMessage
		mustDecode(t, r.body, &items)
		if len(items) != 1 {
			t.Fatalf("api-throttle/: %s", r.body)
		}
		assertKeys(t, "api-throttle", decodeObject(t, "api-throttle", items[0]),
			[]string{"your_request_limit", "limit_frequency_secs", "current_use", "next_use_secs", "ident"})
		var info []ll2.APIThrottle
		mustDecode(t, r.body, &info)
		// lldev has no throttle: a limit that is never reached.
		if info[0].YourRequestLimit < 1000 || info[0].CurrentUse != 0 || info[0].NextUseSecs != 0 || info[0].Ident == "" {
			t.Errorf("api-throttle/: %+v", info[0])
		}
	}
	if c := e.srv.Counters(); c.Total != 1 || c.ByRoute["api-throttle/"] != 0 {
		t.Errorf("api-throttle/ must be free of charge: %+v", c)
	}
	if got := e.srv.Requests(); len(got) != 1 || !strings.HasPrefix(got[0], "/2.3.0/spacecraft/") {
		t.Errorf("Requests() = %v", got)
	}
}
