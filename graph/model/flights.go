package model

import (
	"io"

	"github.com/99designs/gqlgen/graphql"

	"spacegraph/catalog"
	"spacegraph/errs"
	"spacegraph/ll2"
)

// MarshalDateTime writes an instant as the RFC 3339 text LL2 gave.
func MarshalDateTime(d ll2.DateTime) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if d.IsZero() {
			_, _ = io.WriteString(w, "null")
			return
		}
		_, _ = w.Write(AppendString(nil, d.String()))
	})
}

// UnmarshalDateTime reads an RFC 3339 date and time with its offset.
func UnmarshalDateTime(v any) (ll2.DateTime, error) {
	// The errors are the client's (BAD_USER_INPUT), not the server's: gqlgen reports
	// them at the argument or variable that holds the value.
	s, ok := v.(string)
	if !ok {
		return ll2.DateTime{}, errs.E(errs.BadUserInput, "a DateTime is an RFC 3339 string, not %T", v)
	}
	d, err := ll2.ParseDateTime(s)
	if err != nil {
		return ll2.DateTime{}, errs.E(errs.BadUserInput, "%q is not an RFC 3339 date and time, e.g. 2024-03-04T03:53:00Z", s)
	}
	return d, nil
}

// SpacecraftFlightConnection is a page of flights.
type SpacecraftFlightConnection struct {
	Window[catalog.SpacecraftFlight]
}

// SpacecraftFlightEdge is a flight with its cursor.
type SpacecraftFlightEdge struct {
	Cursor string
	Node   *catalog.SpacecraftFlight
}

// Edges returns the page's flights with their cursors.
func (c *SpacecraftFlightConnection) Edges() []*SpacecraftFlightEdge {
	return edges(&c.Window, func(cur string, n *catalog.SpacecraftFlight) *SpacecraftFlightEdge {
		return &SpacecraftFlightEdge{cur, n}
	})
}

// DockingEventConnection is a page of docking events.
type DockingEventConnection struct{ Window[catalog.DockingEvent] }

// DockingEventEdge is a docking event with its cursor.
type DockingEventEdge struct {
	Cursor string
	Node   *catalog.DockingEvent
}

// Edges returns the page's docking events with their cursors.
func (c *DockingEventConnection) Edges() []*DockingEventEdge {
	return edges(&c.Window, func(cur string, n *catalog.DockingEvent) *DockingEventEdge {
		return &DockingEventEdge{cur, n}
	})
}
