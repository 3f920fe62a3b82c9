package testkit

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update bool

func init() {
	// Only test binaries get the flag: the benchmark tool links the kit for its
	// clock and keeps its own flags.
	if testing.Testing() {
		flag.BoolVar(&update, "update", false, "rewrite golden files and the generated sections of documents")
	}
}

// Updating reports whether the tests run with -update, to rewrite their golden files.
func Updating() bool { return update }

// Golden compares got with the file at path or, under -update, writes got there
// (making its directory). A difference fails the test with the first line that
// differs: the file is what the output must stay, changed only on purpose.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it: go test -run '%s' -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: %s\nIf the change is intended, rewrite it (go test -run '%s' -update) and commit it.", path, firstDiff(string(want), string(got)), t.Name())
	}
}

// GoldenSection compares the part of the file at path between the lines
// "<!-- name:begin -->" and "<!-- name:end -->" with want or, under -update, writes
// want there: a section of a document (a README's table, say) that a test generates
// and keeps true.
func GoldenSection(t testing.TB, path, name, want string) {
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
	t.Errorf("%s's %s section is stale: %s\nRewrite it (go test -run '%s' -update) and commit it.\n--- in the file\n%s\n--- generated\n%s", path, name, firstDiff(got, want), t.Name(), got, want)
}

// firstDiff names the first line where want and got differ.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		switch {
		case i >= len(w):
			return fmt.Sprintf("line %d is missing in the file, %q now", i+1, g[i])
		case i >= len(g):
			return fmt.Sprintf("line %d is %q in the file, missing now", i+1, w[i])
		case w[i] != g[i]:
			return fmt.Sprintf("line %d is %q in the file, %q now", i+1, w[i], g[i])
		}
	}
	return "they differ"
}
