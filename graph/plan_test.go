package graph

import (
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"spacegraph/ll2"
)

// TestChooseLevel picks the list mode of a connection's page from what its selection
// asks of the items and of the objects they embed: the leanest mode that covers the
// items' own fields and brings the most embedded objects at the levels their
// selections need, within the modes the endpoint serves.
func TestChooseLevel(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()
	sc, cfg, ag, fam := "allSpacecraft", "allSpacecraftConfigs", "allAgencies", "allFamilies"
	for _, tc := range []struct {
		name  string
		field string
		// sel is the selection of the connection field.
		sel    string
		lo, hi ll2.Level
		want   ll2.Level
	}{
		{"the items' base level", sc, `nodes { name }`, ll2.LevelNormal, ll2.LevelDetailed, ll2.LevelNormal},
		{"no items selected", ag, `totalCount`, ll2.LevelList, ll2.LevelDetailed, ll2.LevelList},
		{"a field of the normal level", ag, `nodes { description }`, ll2.LevelList, ll2.LevelDetailed, ll2.LevelNormal},
		{"a field of the detailed level", ag, `nodes { totalLaunchCount }`, ll2.LevelList, ll2.LevelDetailed, ll2.LevelDetailed},
		{"a field under edges", ag, `edges { node { totalLaunchCount } }`, ll2.LevelList, ll2.LevelDetailed, ll2.LevelDetailed},
		{"an embedded object every mode brings: the leaner", sc, `nodes { spacecraftConfig { name } }`, ll2.LevelNormal, ll2.LevelDetailed, ll2.LevelNormal},
		{"an embedded object only the detailed mode brings rich enough", sc, `nodes { spacecraftConfig { capability } }`, ll2.LevelNormal, ll2.LevelDetailed, ll2.LevelDetailed},
		{"two levels down, brought by the normal mode", sc, `nodes { spacecraftConfig { agency { name } } }`, ll2.LevelNormal, ll2.LevelDetailed, ll2.LevelNormal},
		{"two levels down, brought by the detailed mode", sc, `nodes { spacecraftConfig { agency { description } } }`, ll2.LevelNormal, ll2.LevelDetailed, ll2.LevelDetailed},
		{"two levels down, brought by no mode: the leaner", sc, `nodes { spacecraftConfig { agency { totalLaunchCount } } }`, ll2.LevelNormal, ll2.LevelDetailed, ll2.LevelNormal},
		{"an embedded list", cfg, `nodes { families { name } }`, ll2.LevelNormal, ll2.LevelDetailed, ll2.LevelNormal},
		{"a family's parent, normal only in the detailed mode", fam, `nodes { parent { description } }`, ll2.LevelList, ll2.LevelDetailed, ll2.LevelDetailed},
		{"a family's manufacturer by name", fam, `nodes { manufacturer { name } }`, ll2.LevelList, ll2.LevelDetailed, ll2.LevelNormal},
		{"aliases of one field merge", cfg, `nodes { a: agency { name } b: agency { description } }`, ll2.LevelNormal, ll2.LevelDetailed, ll2.LevelDetailed},
		{"nodes and edges merge", cfg, `nodes { agency { name } } edges { node { agency { description } } }`, ll2.LevelNormal, ll2.LevelDetailed, ll2.LevelDetailed},
		{"a fragment", cfg, `nodes { ...F }`, ll2.LevelNormal, ll2.LevelDetailed, ll2.LevelDetailed},
		{"a field skipped", ag, `nodes { totalLaunchCount @skip(if: true) }`, ll2.LevelList, ll2.LevelDetailed, ll2.LevelList},
		{"a field above the richest mode served: the richest", ag, `nodes { totalLaunchCount }`, ll2.LevelList, ll2.LevelNormal, ll2.LevelNormal},
		{"the leanest mode served above the items' level", ag, `nodes { name }`, ll2.LevelNormal, ll2.LevelDetailed, ll2.LevelNormal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			query := "{ " + tc.field + " { " + tc.sel + " } }"
			if tc.name == "a fragment" {
				query += " fragment F on SpacecraftConfig { agency { description } }"
			}
			doc, errs := gqlparser.LoadQueryWithRules(schema, query, nil)
			if errs != nil {
				t.Fatalf("%v\n%s", errs, query)
			}
			op := doc.Operations[0]
			opCtx := &graphql.OperationContext{Doc: doc, Operation: op}
			def := schema.Query.Fields.ForName(tc.field)
			connType := def.Type.Name()
			typ := connType[:len(connType)-len("Connection")]
			n, _ := connectionNeedOf(opCtx, connType, typ, op.SelectionSet[0].(*ast.Field).SelectionSet)
			if got := n.chooseLevel(typ, tc.lo, tc.hi); got != tc.want {
				t.Errorf("chose %v, want %v", got, tc.want)
			}
		})
	}
}
