// Package model holds the GraphQL models that are not LL2 entities: connections,
// page info, scalars, and the inputs and enums gqlgen generates from the schema.
package model

import (
	"fmt"
	"io"

	"github.com/99designs/gqlgen/graphql"

	"spacegraph/catalog"
	"spacegraph/ll2"
	"spacegraph/relay"
)

// Node is what every refetchable entity implements (the schema's Node interface).
type Node interface {
	GlobalID() string
}

// MarshalDuration writes a duration as the ISO 8601 text LL2 gave.
func MarshalDuration(d ll2.Duration) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = w.Write(AppendDuration(nil, d))
	})
}

// AppendDuration appends what MarshalDuration writes: the fast executor
// (graph/internal/fastgen) calls it instead of building a marshaller per value.
func AppendDuration(b []byte, d ll2.Duration) []byte {
	return AppendString(b, d.String())
}

// UnmarshalDuration reads an ISO 8601 duration.
func UnmarshalDuration(v any) (ll2.Duration, error) {
	s, ok := v.(string)
	if !ok {
		return ll2.Duration{}, fmt.Errorf("a Duration is an ISO 8601 string, not %T", v)
	}
	return ll2.ParseDuration(s)
}

// MarshalDate writes a date as YYYY-MM-DD.
func MarshalDate(d ll2.Date) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = w.Write(AppendDate(nil, d))
	})
}

// AppendDate appends what MarshalDate writes: the fast executor
// (graph/internal/fastgen) calls it instead of building a marshaller per value.
func AppendDate(b []byte, d ll2.Date) []byte {
	return AppendString(b, string(d))
}

// AppendString appends s as a JSON string exactly as gqlgen's MarshalString writes
// it: the quote, the backslash and control characters escaped, everything else
// copied, invalid UTF-8 included. The fast executor (graph/internal/fastgen) writes
// every string with it, and dates and durations go through it too: strconv's
// AppendQuote, which wrote those, wrote Go's escapes, not JSON's.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		// Eight bytes at a time while none needs escaping: names and descriptions
		// rarely do, and this scan was half of writing them.
		for i+8 <= len(s) && !escapes8(uint64(s[i])|uint64(s[i+1])<<8|uint64(s[i+2])<<16|uint64(s[i+3])<<24|
			uint64(s[i+4])<<32|uint64(s[i+5])<<40|uint64(s[i+6])<<48|uint64(s[i+7])<<56) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		case '\n':
			b = append(b, '\\', 'n')
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789ABCDEF" // upper case, as gqlgen writes \u escapes

// escapes8 reports whether one of the eight bytes of x may need escaping in a JSON
// string (a control character, the quote or the backslash); it may say yes for a
// byte that does not, after one that does, never no for one that does.
func escapes8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) & ^v & highs }
	return ((x-0x20*ones)&^x&highs)|zero(x^'"'*ones)|zero(x^'\\'*ones) != 0
}

// UnmarshalDate reads a YYYY-MM-DD date.
func UnmarshalDate(v any) (ll2.Date, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("a Date is a YYYY-MM-DD string, not %T", v)
	}
	return ll2.ParseDate(s)
}

// PageInfo is Relay's page information.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// Window is one page of a connection: its items, the offset of the first in the
// query's order, the query's total count, and the fingerprint that its cursors carry.
// Connections embed it; edges, page info and the count are computed only when a
// query selects them.
type Window[N any] struct {
	Items       []*N
	Offset      int
	Count       int
	Fingerprint string
}

// Nodes returns the page's items.
func (w *Window[N]) Nodes() []*N { return w.Items }

// TotalCount returns how many items match over all pages.
func (w *Window[N]) TotalCount() int { return w.Count }

// Cursor returns the cursor of the i-th item of the page.
func (w *Window[N]) Cursor(i int) string { return relay.Cursor(w.Fingerprint, w.Offset+i) }

// PageInfo is exact in both directions: the window knows its offset and the total.
func (w *Window[N]) PageInfo() *PageInfo {
	p := &PageInfo{
		HasPreviousPage: w.Offset > 0,
		HasNextPage:     w.Offset+len(w.Items) < w.Count,
	}
	if n := len(w.Items); n > 0 {
		start, end := w.Cursor(0), w.Cursor(n-1)
		p.StartCursor, p.EndCursor = &start, &end
	}
	return p
}

func edges[N, E any](w *Window[N], edge func(cursor string, node *N) E) []E {
	out := make([]E, len(w.Items))
	for i, n := range w.Items {
		out[i] = edge(w.Cursor(i), n)
	}
	return out
}

// SpacecraftConnection is a page of spacecraft.
type SpacecraftConnection struct{ Window[catalog.Spacecraft] }

// SpacecraftEdge is a spacecraft with its cursor.
type SpacecraftEdge struct {
	Cursor string
	Node   *catalog.Spacecraft
}

// Edges returns the page's spacecraft with their cursors.
func (c *SpacecraftConnection) Edges() []*SpacecraftEdge {
	return edges(&c.Window, func(cur string, n *catalog.Spacecraft) *SpacecraftEdge { return &SpacecraftEdge{cur, n} })
}

// SpacecraftConfigConnection is a page of configurations.
type SpacecraftConfigConnection struct {
	Window[catalog.SpacecraftConfig]
}

// SpacecraftConfigEdge is a configuration with its cursor.
type SpacecraftConfigEdge struct {
	Cursor string
	Node   *catalog.SpacecraftConfig
}

// Edges returns the page's configurations with their cursors.
func (c *SpacecraftConfigConnection) Edges() []*SpacecraftConfigEdge {
	return edges(&c.Window, func(cur string, n *catalog.SpacecraftConfig) *SpacecraftConfigEdge {
		return &SpacecraftConfigEdge{cur, n}
	})
}

// AgencyConnection is a page of agencies.
type AgencyConnection struct{ Window[catalog.Agency] }

// AgencyEdge is an agency with its cursor.
type AgencyEdge struct {
	Cursor string
	Node   *catalog.Agency
}

// Edges returns the page's agencies with their cursors.
func (c *AgencyConnection) Edges() []*AgencyEdge {
	return edges(&c.Window, func(cur string, n *catalog.Agency) *AgencyEdge { return &AgencyEdge{cur, n} })
}

// FamilyConnection is a page of families.
type FamilyConnection struct{ Window[catalog.Family] }

// FamilyEdge is a family with its cursor.
type FamilyEdge struct {
	Cursor string
	Node   *catalog.Family
}

// Edges returns the page's families with their cursors.
func (c *FamilyConnection) Edges() []*FamilyEdge {
	return edges(&c.Window, func(cur string, n *catalog.Family) *FamilyEdge { return &FamilyEdge{cur, n} })
}
