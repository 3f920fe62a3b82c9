package respcache

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TestNormalDocument checks that documents the GraphQL grammar reads alike share
// their normal form, and that documents it reads apart never do, however their
// strings are built.
func TestNormalDocument(t *testing.T) {
	same := [][]string{
		{`{ a(x: 1) { b c } }`, "{a(x:1){b,c}}", "\ufeff# c\n{ a ( x : 1 ) { b\n\tc } } # d"},
		{`{ a(s: "x y") }`, `{ a(s: "x\u0020y") }`, `{ a(s: """x y""") }`},
		{`query Q($v: Int = 2) @d { ...F } fragment F on T { b }`, "query Q($v:Int=2)@d{...F}\nfragment F on T{b}"},
	}
	for _, group := range same {
		want, ok := normalDocument(group[0])
		if !ok {
			t.Fatalf("%q does not lex", group[0])
		}
		for _, doc := range group[1:] {
			if got, ok := normalDocument(doc); !ok || got != want {
				t.Errorf("%q: %q, want %q", doc, got, want)
			}
		}
	}
	apart := []string{
		`{ a(x: "1", y: "2") }`,
		`{ a(x: "1\", y: \"2") }`,
		`{ a(x: 1, y: 2) }`,
		`{ a(x: 1.0, y: 2) }`,
		`{ a(x: "1 #", y: 2) }`,
		`{ a(x: 1 y: 2) b }`,
		`{ a(y: 2, x: 1) }`,
		`{ z: a(x: 1, y: 2) }`,
		`{ a(x: 1, y: 2) { b c } }`,
		`{ a(x: 1, y: 2) { c b } }`,
		`{ ab }`,
		`{ a b }`,
	}
	seen := map[string]string{}
	for _, doc := range apart {
		got, ok := normalDocument(doc)
		if !ok {
			t.Fatalf("%q does not lex", doc)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%q and %q share the normal form %q", doc, other, got)
		}
		seen[got] = doc
	}
	if _, ok := normalDocument(`{ a(x: "unterminated) }`); ok {
		t.Error("a document that does not lex has a normal form")
	}
}

// TestKeysAsWritten pins the response keys to their definition: the SHA-256, in hex,
// of the fingerprint, the document (its tokens, or its text), the operation name,
// the variables and extensions as JSON and the media type, each after its length and
// a colon. Entries shared through Redis outlive a release: the same request must
// keep its key when the code that builds it changes.
func TestKeysAsWritten(t *testing.T) {
	want := func(parts ...string) string {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(strconv.Itoa(len(p)) + ":" + p)
		}
		sum := sha256.Sum256([]byte(b.String()))
		return hex.EncodeToString(sum[:])
	}
	post := func(body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept", "application/graphql-response+json")
		return r
	}
	for _, tc := range []struct {
		normalize bool
		body      string
		want      string
	}{
		{true, `{"query":"query Q { nodes(ids: [\"a\", \"b\"]) { id } }","operationName":"Q","variables":{"y":1,"x":"2"}}`,
			want("fp", `tokens:query Q { nodes ( ids : [ "a" "b" ] ) { id } }`, "Q", `{"x":"2","y":1}`, "null", "application/graphql-response+json")},
		{false, `{"query":"{ a }"}`, want("fp", "text:{ a }", "", "null", "null", "application/graphql-response+json")},
		{true, `{"query":"{ a(s: \"unterminated) }"}`, want("fp", `text:{ a(s: "unterminated) }`, "", "null", "null", "application/graphql-response+json")},
	} {
		k := responseKeys{memo: newKeyMemo(), fingerprint: "fp", normalize: tc.normalize}
		got, _, ok := k.key(post(tc.body))
		if !ok || got != tc.want {
			t.Errorf("%s: key %s, %v, want %s", tc.body, got, ok, tc.want)
		}
	}
}

// TestAppendQuoteAsStrconv holds appendQuote to strconv.AppendQuote byte for byte, so
// that response keys stay what they were: every byte at every position of a short
// string, and runes past ASCII.
func TestAppendQuoteAsStrconv(t *testing.T) {
	cases := []string{"", "U3BhY2VjcmFmdDox", "a b~", `q"uote`, `back\slash`, "é", "\u2028", "\xff", "🚀"}
	for c := range 256 {
		for at := range 5 {
			b := []byte("abcde")
			b[at] = byte(c)
			cases = append(cases, string(b))
		}
	}
	for _, s := range cases {
		if got, want := appendQuote([]byte("x"), s), strconv.AppendQuote([]byte("x"), s); string(got) != string(want) {
			t.Errorf("appendQuote(%q) = %s, strconv's %s", s, got, want)
		}
	}
}

// FuzzAppendQuote looks for a string appendQuote writes otherwise than strconv.
func FuzzAppendQuote(f *testing.F) {
	f.Add("U3BhY2VjcmFmdDox")
	f.Add("\x7f\"\\")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendQuote(nil, s), strconv.AppendQuote(nil, s); string(got) != string(want) {
			t.Errorf("appendQuote(%q) = %s, strconv's %s", s, got, want)
		}
	})
}
