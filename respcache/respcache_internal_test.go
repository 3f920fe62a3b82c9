package respcache

import "testing"

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
