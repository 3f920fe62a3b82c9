package model

import (
	"bytes"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"spacegraph/ll2"
)

// TestDatesWriteAsJSONStrings checks that dates, durations and instants are written
// as graphql.MarshalString writes their text: plain ones between quotes, and anything
// unusual with JSON's escapes (strconv's Go escapes, which wrote them before, are not
// JSON: "\x00").
func TestDatesWriteAsJSONStrings(t *testing.T) {
	for _, s := range []string{"", "2024-03-15", "P1DT2H", "1970-01-01T00:00:00Z", "a\"b", `c\d`, "\x00\x1f\x7f", "é 中文 🚀", "\xff"} {
		var want bytes.Buffer
		graphql.MarshalString(s).MarshalGQL(&want)
		if got := AppendDate([]byte("x"), ll2.Date(s)); string(got) != "x"+want.String() {
			t.Errorf("AppendDate(%q) = %s, want x%s", s, got, want.String())
		}
		var w bytes.Buffer
		MarshalDate(ll2.Date(s)).MarshalGQL(&w)
		if w.String() != want.String() {
			t.Errorf("MarshalDate(%q) = %s, want %s", s, w.String(), want.String())
		}
	}
}
