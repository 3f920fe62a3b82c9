package ll2server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
)

// fuzzServer is shared by the fuzz executions: it serves the hand-made snapshot with
// no throttle and no faults.
var fuzzServer = sync.OnceValue(func() *ll2server.Server {
	return ll2server.New(ll2server.NewStore(fxData()), ll2server.Options{})
})

// fuzzListPaths are the paths that answer a page.
var fuzzListPaths = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range append([]string{"spacecraft/", "spacecraft_configurations/", "agencies/", "spacecraft_configuration_families/"}, ll2.LookupPaths...) {
		m[ll2server.Prefix+p] = true
	}
	return m
}()

// fuzzPaging is the test's own reading of limit and offset (DRF's _positive_int on
// the last value given): what the page must hold.
func fuzzPaging(q url.Values) (limit, offset int) {
	limit = 10
	if vs := q["limit"]; len(vs) > 0 {
		if n, err := strconv.Atoi(strings.TrimSpace(vs[len(vs)-1])); err == nil && n > 0 {
			limit = min(n, 100)
		}
	}
	if vs := q["offset"]; len(vs) > 0 {
		if n, err := strconv.Atoi(strings.TrimSpace(vs[len(vs)-1])); err == nil && n >= 0 {
			offset = n
		}
	}
	return limit, offset
}

// FuzzQueryString sends arbitrary paths and query strings to the handler: it must
// never fail (no panic, no 500), and every page must keep LL2's paging promises.
func FuzzQueryString(f *testing.F) {
	for _, s := range [][2]string{
		{"/2.3.0/spacecraft/", ""},
		{"/2.3.0/spacecraft/", "limit=5&offset=3&ordering=-time_in_space,flights_count&mode=detailed"},
		{"/2.3.0/spacecraft/", "search=%22crew+dragon%22&status=1&in_space=true&format=json"},
		{"/2.3.0/spacecraft/", "limit=-1&offset=abc&status=x"},
		{"/2.3.0/spacecraft/", "offset=9223372036854775807&limit=100"},
		{"/2.3.0/spacecraft/14/", "mode=list"},
		{"/2.3.0/spacecraft", "limit=2"},
		{"/2.3.0/agencies/", "country_code=USA,RUS&founding_year__gte=1950&ordering=-featured,name&mode=list"},
		{"/2.3.0/agencies/", "total_launch_count__lt=1.0&search='space agency'"},
		{"/2.3.0/spacecraft_configurations/", "agency=30&human_rated=1&search=rfsa"},
		{"/2.3.0/spacecraft_configuration_families/", "manufacturer=40&mode=detailed&limit=1"},
		{"/2.3.0/config/countries/", "search=a&ordering=-name"},
		{"/2.3.0/config/countries/2/", ""},
		{"/2.3.0/api-throttle/", ""},
		{"/2.3.0/nope/", "limit=1"},
		{"/", "%zz&;a=b"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, path, rawQuery string) {
		srv := fuzzServer()
		req := httptest.NewRequest(http.MethodGet, "http://ll2.test/", nil)
		req.URL.Path, req.URL.RawPath, req.URL.RawQuery = path, "", rawQuery
		req.RequestURI = req.URL.RequestURI()
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req) // a panic fails the fuzz test
		res := rec.Result()
		body := rec.Body.Bytes()

		switch res.StatusCode {
		case http.StatusMovedPermanently:
			want := escapeNonASCII((&url.URL{Path: path + "/", RawQuery: rawQuery}).RequestURI())
			if loc := res.Header.Get("Location"); loc != want {
				t.Fatalf("%q ? %q: Location %q, want %q", path, rawQuery, loc, want)
			}
			return
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
		default:
			t.Fatalf("%q ? %q: status %d: %s", path, rawQuery, res.StatusCode, body)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" || !json.Valid(body) {
			t.Fatalf("%q ? %q: %d %q not JSON: %.200s", path, rawQuery, res.StatusCode, ct, body)
		}
		if res.StatusCode == http.StatusNotFound {
			if string(body) != `{"detail":"Not found."}` {
				t.Fatalf("%q ? %q: 404 body %s", path, rawQuery, body)
			}
			return
		}
		list := fuzzListPaths[path]
		if res.StatusCode == http.StatusBadRequest {
			var perr map[string][]string
			if !list || json.Unmarshal(body, &perr) != nil || len(perr) == 0 {
				t.Fatalf("%q ? %q: 400 body %s", path, rawQuery, body)
			}
			for k, msgs := range perr {
				if len(msgs) != 1 || msgs[0] != "Enter a whole number." {
					t.Fatalf("%q ? %q: 400 for %s: %v", path, rawQuery, k, msgs)
				}
			}
			return
		}
		if !list {
			return // a detail object or api-throttle/
		}
		var keys map[string]json.RawMessage
		var p fxPage
		if json.Unmarshal(body, &keys) != nil || len(keys) != 4 || json.Unmarshal(body, &p) != nil || p.Results == nil {
			t.Fatalf("%q ? %q: not a page: %.300s", path, rawQuery, body)
		}
		q, _ := url.ParseQuery(rawQuery)
		limit, offset := fuzzPaging(q)
		n := len(p.Results)
		want := 0
		if offset < p.Count {
			want = min(limit, p.Count-offset)
		}
		if n > 100 || n > limit || p.Count < n || n != want {
			t.Fatalf("%q ? %q: %d results of %d, limit %d offset %d", path, rawQuery, n, p.Count, limit, offset)
		}
		if (p.Next != nil) != (p.Count-offset > limit) || (p.Previous != nil) != (offset > 0) {
			t.Fatalf("%q ? %q: next %v previous %v for count %d limit %d offset %d", path, rawQuery, p.Next, p.Previous, p.Count, limit, offset)
		}
		for _, link := range []*string{p.Next, p.Previous} {
			if link != nil && !strings.HasPrefix(*link, "http://ll2.test"+path+"?") {
				t.Fatalf("%q ? %q: link %q", path, rawQuery, *link)
			}
		}
		for _, r := range p.Results {
			var o map[string]json.RawMessage
			if json.Unmarshal(r, &o) != nil || o["id"] == nil {
				t.Fatalf("%q ? %q: result %s", path, rawQuery, r)
			}
		}
	})
}

// escapeNonASCII is what net/http's Redirect does to a Location: bytes above 0x7f
// become %xx (lower-case hex).
func escapeNonASCII(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 {
			b.WriteString("%" + strconv.FormatInt(int64(c), 16))
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
