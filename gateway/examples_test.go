package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"spacegraph/gateway"
	"spacegraph/internal/testkit"
)

// readmeExamples are the example queries of docs/examples.md, and the README shows the
// one at frontDoorExample. TestExamples runs them on the embedded snapshot (what `go
// run .` serves) and keeps their outputs in both documents true.
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
	{"Lookup lists for filter drop-downs (over the embedded snapshot: the values its records carry)", `{
  spacecraftStatuses { ll2Id name }
  agencyTypes { ll2Id name }
}`},
	{"A spacecraft's flights: NOT_IN_SNAPSHOT in the embedded snapshot, never an empty list", `{
  spacecraft(ll2Id: 569) {
    name
    flights(first: 3) { totalCount nodes { launch { name net } landing { success } } }
  }
}`},
	{"Bad input is refused with a code and the argument's name", `{ allSpacecraft(first: 500) { totalCount } }`},
}

// frontDoorExample is the example the README shows: a short answer, with nested
// objects and reverse connections.
const frontDoorExample = 2

func TestExamples(t *testing.T) {
	h := newHarness(t, gateway.Config{})
	var all, front strings.Builder
	for i, ex := range readmeExamples {
		r := h.do(ex.query, nil)
		if (strings.HasPrefix(ex.title, "Bad input") || strings.Contains(ex.title, "NOT_IN_SNAPSHOT")) != (len(r.Errors) > 0) {
			t.Errorf("%s: errors %+v", ex.title, r.Errors)
		}
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
		pretty, err := readableJSON(raw, 92)
		if err != nil {
			t.Fatal(err)
		}
		section := fmt.Sprintf("**%s**\n\n```graphql\n%s\n```\n\n```json\n%s\n```\n", ex.title, ex.query, pretty)
		all.WriteString(section + "\n")
		if i == frontDoorExample {
			front.WriteString(section)
		}
	}
	testkit.GoldenSection(t, "../docs/examples.md", "examples", all.String())
	testkit.GoldenSection(t, "../README.md", "example", front.String())
}

// readableJSON indents a JSON value two spaces a level, as json.Indent does, but keeps
// an object or an array on one line when it fits within width columns, so that an
// answer of small objects reads at a glance. Names keep their order and values their
// spelling.
func readableJSON(raw []byte, width int) (string, error) {
	v := jsontext.Value(bytes.Clone(raw))
	if err := v.Compact(); err != nil {
		return "", err
	}
	var b strings.Builder
	if err := writeReadable(&b, v, "", 0, width); err != nil {
		return "", err
	}
	// What is printed must be the very answer, only spaced otherwise.
	again := jsontext.Value(b.String())
	if err := again.Compact(); err != nil || !bytes.Equal(again, v) {
		return "", fmt.Errorf("the printed answer is not the answer (%v):\n%s", err, b.String())
	}
	return b.String(), nil
}

// writeReadable writes v at the indentation indent, after prefix columns of a name.
func writeReadable(b *strings.Builder, v jsontext.Value, indent string, prefix, width int) error {
	one, err := oneLine(v)
	if err != nil {
		return err
	}
	kind := v.Kind()
	if (kind != '{' && kind != '[') || len(indent)+prefix+len(one) <= width || len(one) <= 2 {
		b.WriteString(one)
		return nil
	}
	dec := jsontext.NewDecoder(bytes.NewReader(v))
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	b.WriteString(string(kind) + "\n")
	inner := indent + "  "
	for i := 0; dec.PeekKind() != '}' && dec.PeekKind() != ']'; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(inner)
		name := ""
		if kind == '{' {
			n, err := dec.ReadValue()
			if err != nil {
				return err
			}
			name = string(n) + ": "
			b.WriteString(name)
		}
		item, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if err := writeReadable(b, item.Clone(), inner, len(name), width); err != nil {
			return err
		}
	}
	b.WriteString("\n" + indent + map[jsontext.Kind]string{'{': "}", '[': "]"}[kind])
	return nil
}

// oneLine writes a compact JSON value with a space after each colon and comma.
func oneLine(v jsontext.Value) (string, error) {
	kind := v.Kind()
	if kind != '{' && kind != '[' {
		return string(v), nil
	}
	dec := jsontext.NewDecoder(bytes.NewReader(v))
	if _, err := dec.ReadToken(); err != nil {
		return "", err
	}
	var parts []string
	for dec.PeekKind() != '}' && dec.PeekKind() != ']' {
		name := ""
		if kind == '{' {
			n, err := dec.ReadValue()
			if err != nil {
				return "", err
			}
			name = string(n) + ": "
		}
		item, err := dec.ReadValue()
		if err != nil {
			return "", err
		}
		s, err := oneLine(item.Clone())
		if err != nil {
			return "", err
		}
		parts = append(parts, name+s)
	}
	if kind == '{' {
		return "{" + strings.Join(parts, ", ") + "}", nil
	}
	return "[" + strings.Join(parts, ", ") + "]", nil
}
