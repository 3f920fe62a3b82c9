package gateway

import (
	"strings"
	"testing"

	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
)

// TestUpstreamIdentity checks what tells deployments apart in Redis's keys: the base
// URL (however written) and the built-in server's snapshot; and that the budget's
// scope tells API keys apart without holding the key.
func TestUpstreamIdentity(t *testing.T) {
	data, _, err := snapshot.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	other := data
	other.Spacecraft = other.Spacecraft[1:]
	id := func(base string, d *snapshot.Data) string {
		t.Helper()
		s, err := upstreamIdentity(base, d)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	prod := id("https://ll.thespacedevs.com/2.3.0", nil)
	for name, got := range map[string]string{
		"staging":        id("https://lldev.thespacedevs.com/2.3.0", nil),
		"embedded":       id(ll2server.EmbeddedBaseURL, &data),
		"other snapshot": id(ll2server.EmbeddedBaseURL, &other),
	} {
		if got == prod || len(got) != 12 {
			t.Errorf("%s: identity %q (production %q)", name, got, prod)
		}
	}
	if id(ll2server.EmbeddedBaseURL, &data) == id(ll2server.EmbeddedBaseURL, &other) {
		t.Error("two snapshots share an identity")
	}
	if id(" https://ll.thespacedevs.com/2.3.0/ ", nil) != prod {
		t.Error("a trailing slash or space changed the identity")
	}
	a, b := budgetScope("tok123secret"), budgetScope("other")
	if a == b || a == budgetScope("") || strings.Contains(a, "tok123") || budgetScope("") != "anon" {
		t.Errorf("budget scopes %q, %q, %q", a, b, budgetScope(""))
	}
}
