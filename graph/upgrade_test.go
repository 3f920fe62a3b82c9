package graph

import (
	"reflect"
	"strings"
	"testing"
)

// TestOnlyLoadsAreResolvers checks that gqlgen resolves as field resolvers (each a
// goroutine per object of a list) only the fields whose data a loader must fetch: the
// root fields and the reverse connections. An embedded object (a spacecraft's
// configuration, a configuration's agency and families, a family's manufacturer and
// parent, an agency's countries) is in memory once the resolver that hands out its
// parent has upgraded it (upgrade.go), and must be a plain field.
func TestOnlyLoadsAreResolvers(t *testing.T) {
	root := reflect.TypeFor[ResolverRoot]()
	for i := range root.NumMethod() {
		m := root.Method(i)
		iface := m.Type.Out(0)
		for j := range iface.NumMethod() {
			f := iface.Method(j)
			if m.Name == "Query" {
				continue
			}
			out := f.Type.Out(0).String()
			if !strings.HasSuffix(out, "Connection") {
				t.Errorf("%s.%s is a resolver returning %s: only connections (loaded by a reverse loader) may be resolvers below the root", m.Name, f.Name, out)
			}
		}
	}
	for typ, fields := range childType {
		r, ok := root.MethodByName(typ)
		if !ok {
			continue
		}
		for field := range fields {
			if _, ok := r.Type.Out(0).MethodByName(strings.ToUpper(field[:1]) + field[1:]); ok {
				t.Errorf("%s.%s, an embedded object, is a resolver", typ, field)
			}
		}
	}
}
