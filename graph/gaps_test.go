package graph

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// TestLevelBoundFieldsAreNullable: a field that needs more than its type's least level
// of detail is null wherever a partial snapshot lacks it. Were it non-null, that null
// would climb to the parent object (one agency without its countries would make a
// query of agencies' countries answer `"data": null`), so each must be nullable, with
// the reason in its type's or its own description.
func TestLevelBoundFieldsAreNullable(t *testing.T) {
	s := NewExecutableSchema(Config{}).Schema()
	n := 0
	for typ, fields := range fieldLevel {
		def := s.Types[typ]
		if def == nil {
			t.Fatalf("fieldLevel names type %s, which the schema lacks", typ)
		}
		for name := range fields {
			f := def.Fields.ForName(name)
			switch {
			case f == nil:
				t.Errorf("fieldLevel names %s.%s, which the schema lacks", typ, name)
			case f.Type.NonNull && planOnly[typ][name]:
				// A planning hint: a parent below its level still answers it.
			case f.Type.NonNull:
				t.Errorf("%s.%s is %s: a snapshot that lacks it would null its parent", typ, name, f.Type)
			}
			n++
		}
	}
	if n < 50 {
		t.Errorf("only %d level-bound fields", n)
	}
}

func TestComparePaths(t *testing.T) {
	p := func(es ...any) ast.Path {
		var out ast.Path
		for _, e := range es {
			switch e := e.(type) {
			case string:
				out = append(out, ast.PathName(e))
			case int:
				out = append(out, ast.PathIndex(e))
			}
		}
		return out
	}
	for _, tc := range []struct {
		a, b ast.Path
		want int
	}{
		{p("a", 2, "x"), p("a", 10, "x"), -1}, // indices compare as numbers
		{p("a", 1), p("a", 1, "x"), -1},
		{p("a", "x"), p("a", "x"), 0},
		{p("b"), p("a", 0), 1},
	} {
		if got := comparePaths(tc.a, tc.b); got != tc.want {
			t.Errorf("comparePaths(%v, %v) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
