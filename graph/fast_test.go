package graph

import (
	"bytes"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestFastStringsAsGQLGen holds the fast executor's JSON strings to gqlgen's
// MarshalString, byte for byte, over the characters either escapes: the data the
// differential test runs over holds few of them.
func TestFastStringsAsGQLGen(t *testing.T) {
	cases := []string{
		"", "plain", `a "quoted" word`, `back\slash`, "line\nbreak\r\n\ttab",
		"\x00\x01\x1f\x7f controls", "é, ü, 中文, 🚀", "invalid \xff\xfe utf-8", "\u2028\u2029 separators",
		"</script><b>&amp;", "trailing \\",
	}
	// Every byte at every position of the eight-byte steps and their tails.
	for c := range 256 {
		for at := range 19 {
			b := []byte(strings.Repeat("abcdefgh", 3)[:19])
			b[at] = byte(c)
			cases = append(cases, string(b))
		}
	}
	for _, s := range cases {
		var want bytes.Buffer
		graphql.MarshalString(s).MarshalGQL(&want)
		var w fastWriter
		w.str(s)
		if !bytes.Equal(w.b, want.Bytes()) {
			t.Errorf("%q: fast %s, gqlgen %s", s, w.b, want.Bytes())
		}
	}
}
