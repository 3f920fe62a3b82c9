package ll2

import (
	"net/url"
	"testing"
)

// TestWithFormatAsURLValues checks withFormat against url.Values: format=json goes
// where Encode would put it, before, between and after other keys.
func TestWithFormatAsURLValues(t *testing.T) {
	for _, keys := range [][]string{
		nil, {"a"}, {"z"}, {"e", "g"}, {"fo", "forma", "formats", "format_x"},
		{"agency", "in_space", "limit", "mode", "search"}, {"a b", "f&g", "é"},
	} {
		v := url.Values{}
		for i, k := range keys {
			v.Set(k, string(rune('0'+i))+" &=")
		}
		query := v.Encode()
		v.Set("format", "json")
		if got, want := withFormat(query), v.Encode(); got != want {
			t.Errorf("withFormat(%q) = %q, want %q", query, got, want)
		}
	}
}

// TestTargetAsResolveReference checks the client's short way to a URL against
// url.URL.ResolveReference, for bases with and without a path, a query or a port.
func TestTargetAsResolveReference(t *testing.T) {
	for _, base := range []string{"https://ll.thespacedevs.com/2.3.0/", "http://127.0.0.1:8080/", "https://h.test/a/b/?x=1#f"} {
		c, err := New(Config{BaseURL: base})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"spacecraft/", "spacecraft/12/", "config/spacecraft_statuses/", "../up/", "a b/", "/abs/"} {
			enc := "format=json&limit=3"
			u := c.base.ResolveReference(&url.URL{Path: path, RawQuery: enc})
			target, upath := c.target(path, enc)
			if target != u.String() || upath != u.Path {
				t.Errorf("%s + %s: %s %s, want %s %s", base, path, target, upath, u, u.Path)
			}
		}
	}
}
