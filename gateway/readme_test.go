package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"spacegraph/gateway"
	"spacegraph/internal/testkit"
)

// readmeExamples are the README's example queries. TestReadmeExamples runs them on the
// embedded snapshot (what `go run .` serves) and keeps the README's outputs true.
var readmeExamples = []struct{ title, query string }{
	{"The spacecraft that spent longest in space, with their configuration and its agency", `{
  allSpacecraft(first: 3, orderBy: {field: TIME_IN_SPACE, direction: DESC}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      name
      timeInSpace
      timeInSpaceSeconds
      status { name }
      spacecraftConfig { name agency { name abbrev } families { name maidenFlight } }
    }
  }
}`},
	{"Search, filter and refetch by global id", `{
  allSpacecraft(search: "dragon", filter: {isPlaceholder: false}) {
    edges { cursor node { id ll2Id name inSpace } }
  }
  node(id: "U3BhY2VjcmFmdDo1Njk") { id ... on Spacecraft { name serialNumber } }
}`},
	{"An agency's configurations and families (reverse connections)", `{
  agency(ll2Id: 121) {
    name
    spacecraftConfigs { totalCount nodes { name inUse } }
    families { nodes { name parent { name } } }
  }
}`},
	{"Bad input is refused with a code and the argument's name", `{ allSpacecraft(first: 500) { totalCount } }`},
}

func TestReadmeExamples(t *testing.T) {
	h := newHarness(t, gateway.Config{})
	var b strings.Builder
	for _, ex := range readmeExamples {
		r := h.do(ex.query, nil)
		if strings.HasPrefix(ex.title, "Bad input") != (len(r.Errors) > 0) {
			t.Errorf("%s: errors %+v", ex.title, r.Errors)
		}
		var pretty bytes.Buffer
		out := map[string]any{}
		if r.Data != nil && string(r.Data) != "null" {
			out["data"] = json.RawMessage(r.Data)
		} else {
			out["data"] = nil
		}
		if len(r.Errors) > 0 {
			out["errors"] = r.Errors
		}
		raw, _ := json.Marshal(out)
		if err := json.Indent(&pretty, raw, "", "  "); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "**%s**\n\n```graphql\n%s\n```\n\n```json\n%s\n```\n\n", ex.title, ex.query, pretty.String())
	}
	testkit.GoldenSection(t, "../README.md", "examples", b.String())
}
