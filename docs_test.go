package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// TestDocumentLinks checks every relative link of README.md and docs/*.md: the file it
// names exists, and the heading its #anchor names is in that file, so that a page or
// a heading that moves cannot leave a dead link behind. It also checks that every page
// of docs/ can be reached from the README.
func TestDocumentLinks(t *testing.T) {
	pages, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < 5 {
		t.Fatalf("only %d pages in docs/", len(pages))
	}
	docs := append([]string{"README.md"}, pages...)
	for _, problem := range checkLinks(docs) {
		t.Error(problem)
	}
	reached := reachable("README.md")
	for _, p := range pages {
		if !reached[filepath.Clean(p)] {
			t.Errorf("%s is linked from nowhere the README leads to", p)
		}
	}
}

// TestCheckLinks makes sure the link check finds dead links and only them.
func TestCheckLinks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("docs/target.md", "# Target page\n\n## The `--redis` flag, and Redis's URL forms\n\n## Twice\n\n## Twice\n\n```sh\n# not a heading\n```\n")
	write("code.go", "package x\n")
	for _, c := range []struct {
		name, text string
		problems   []string // substrings, one a problem, in order
	}{
		{"a file, a heading and a duplicate heading", "[a](docs/target.md) [b](docs/target.md#the---redis-flag-and-rediss-url-forms) [c](docs/target.md#twice-1) [d](code.go) [e](docs/)", nil},
		{"an anchor of the page itself", "## Here and now\n\n[self](#here-and-now)", nil},
		{"links elsewhere are not checked", "[w](https://example.com/nowhere) [m](mailto:a@b.c) <https://example.com>", nil},
		{"links in code are not links", "`[x](missing.md)`\n\n```md\n[y](missing.md)\n```\n\n~~~\n[z](missing.md)\n~~~", nil},
		{"a missing file", "see [the page](docs/missing.md)", []string{"docs/missing.md: no such file"}},
		{"a missing anchor", "[a](docs/target.md#the-redis-flag)", []string{`no heading "the-redis-flag"`}},
		{"a heading inside a code block is not one", "[a](docs/target.md#not-a-heading)", []string{`no heading "not-a-heading"`}},
		{"a third duplicate that is not there", "[a](docs/target.md#twice-2)", []string{`no heading "twice-2"`}},
		{"a missing anchor of the page itself", "# Page\n\n[self](#nowhere)", []string{`no heading "nowhere"`}},
		{"an image and a reference definition", "![img](missing.png)\n\n[ref]: gone.md\n", []string{"missing.png", "gone.md"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := checkLinks([]string{write("page.md", c.text)})
			if len(got) != len(c.problems) {
				t.Fatalf("problems %q, want %d like %q", got, len(c.problems), c.problems)
			}
			for i, want := range c.problems {
				if !strings.Contains(got[i], want) {
					t.Errorf("problem %q, want one with %q", got[i], want)
				}
			}
		})
	}
}

var (
	// inlineLink matches the target of an inline link or image: [text](target) or
	// [text](target "title").
	inlineLink = regexp.MustCompile(`\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// refDefinition matches a link reference definition: [label]: target.
	refDefinition = regexp.MustCompile(`(?m)^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)`)
	codeSpan      = regexp.MustCompile("`+[^`]*`+")
	heading       = regexp.MustCompile(`^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$`)
	scheme        = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// checkLinks returns a line for each relative link of the markdown files that names a
// file that does not exist, or a heading its file does not have.
func checkLinks(files []string) []string {
	var problems []string
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		for _, target := range links(string(text)) {
			if scheme.MatchString(target) || strings.HasPrefix(target, "//") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			resolved := file
			if path != "" {
				resolved = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
				if _, err := os.Stat(resolved); err != nil {
					problems = append(problems, fmt.Sprintf("%s: link %q: %s: no such file", file, target, path))
					continue
				}
			}
			if anchor == "" {
				continue
			}
			if !strings.HasSuffix(resolved, ".md") {
				problems = append(problems, fmt.Sprintf("%s: link %q: an anchor in a file that is not markdown", file, target))
				continue
			}
			b, err := os.ReadFile(resolved)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: link %q: %v", file, target, err))
				continue
			}
			if !slices.Contains(anchors(string(b)), anchor) {
				problems = append(problems, fmt.Sprintf("%s: link %q: no heading %q in %s", file, target, anchor, resolved))
			}
		}
	}
	return problems
}

// reachable returns the markdown files that links lead to from start, start included.
func reachable(start string) map[string]bool {
	seen := map[string]bool{}
	queue := []string{filepath.Clean(start)}
	for len(queue) > 0 {
		file := queue[0]
		queue = queue[1:]
		if seen[file] {
			continue
		}
		seen[file] = true
		text, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, target := range links(string(text)) {
			path, _, _ := strings.Cut(target, "#")
			if path == "" || scheme.MatchString(path) || !strings.HasSuffix(path, ".md") {
				continue
			}
			queue = append(queue, filepath.Clean(filepath.Join(filepath.Dir(file), filepath.FromSlash(path))))
		}
	}
	return seen
}

// links returns the targets of the links and images of a markdown text, outside code
// blocks and code spans.
func links(text string) []string {
	var out []string
	for _, line := range prose(text) {
		line = codeSpan.ReplaceAllString(line, "")
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			out = append(out, m[1])
		}
		for _, m := range refDefinition.FindAllStringSubmatch(line, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// anchors returns the anchors GitHub gives the headings of a markdown text: the
// heading's text in lower case, without punctuation, spaces as dashes, and "-1",
// "-2"… after a repeated one.
func anchors(text string) []string {
	var out []string
	count := map[string]int{}
	for _, line := range prose(text) {
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		title := inlineLink.ReplaceAllString(m[1], "]")
		var b strings.Builder
		for _, r := range strings.ToLower(title) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r):
				b.WriteRune(r)
			}
		}
		slug := b.String()
		if n := count[slug]; n > 0 {
			out = append(out, fmt.Sprintf("%s-%d", slug, n))
		} else {
			out = append(out, slug)
		}
		count[slug]++
	}
	return out
}

// prose returns the lines of a markdown text outside fenced code blocks.
func prose(text string) []string {
	var out []string
	fence := ""
	for line := range strings.SplitSeq(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			continue
		}
		out = append(out, line)
	}
	return out
}
