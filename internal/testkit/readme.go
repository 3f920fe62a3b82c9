// Package testkit is what the tests of several packages share: a gateway served over
// HTTP, and the generated sections of documents.
package testkit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Section compares the part of the file at path between `<!-- name:begin -->` and
// `<!-- name:end -->` with want, or rewrites it when update is set (the test's
// -update flag), so that a generated part of a document (the README's examples, its
// tables) cannot drift from what the code does.
func Section(t testing.TB, path, name, want string, update bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q … %q section", path, begin, end)
	}
	got := s[i+len(begin) : j]
	if got == want {
		return
	}
	if update {
		if err := os.WriteFile(path, []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's %s section is stale; rewrite it with go test -run '^%s$' -update\n--- got\n%s\n--- want\n%s", filepath.Base(path), name, t.Name(), got, want)
}
