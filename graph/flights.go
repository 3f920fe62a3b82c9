package graph

import (
	"context"
	"fmt"

	"spacegraph/catalog"
	"spacegraph/errs"
	"spacegraph/graph/model"
	"spacegraph/ll2"
	"spacegraph/loaders"
	"spacegraph/relay"
)

// This file holds what the flights, docking events and lookup lists share: their
// queries, and where a parent's flights or docking events come from (what a detailed
// parent brought, or the reverse loaders).

// flightQuery builds the LL2 query of a flight connection. LL2 has no search fields for
// flights: it would ignore a search, so a non-empty one is refused rather than
// silently matching everything.
func flightQuery(f *model.SpacecraftFlightFilter, search *string, o *model.SpacecraftFlightOrder) (llQuery, error) {
	q := newLLQuery()
	if f != nil {
		if err := q.setRef("spacecraft", "filter.spacecraft", f.Spacecraft, relay.TypeSpacecraft); err != nil {
			return q, err
		}
	}
	s, err := searchArg(search)
	if err != nil {
		return q, err
	}
	if s != "" {
		return q, errs.Arg("search", "LL2 has no search fields for flights; filter by spacecraft instead")
	}
	field, desc := "id", false
	if o != nil {
		field = map[model.SpacecraftFlightOrderField]string{
			model.SpacecraftFlightOrderFieldID:         "id",
			model.SpacecraftFlightOrderFieldMissionEnd: "mission_end",
		}[o.Field]
		desc = o.Direction == model.OrderDirectionDesc
	}
	q.Ordering = withIDTieBreak([]ll2.OrderKey{{Field: field, Desc: desc}})
	return q, nil
}

// dockingQuery builds the LL2 query of a docking event connection; ofFlight when the
// parent flight supplies the chaser filter. LL2 orders docking events by docking or
// departure time only, with no id to break ties with.
func dockingQuery(f *model.DockingEventFilter, search *string, o *model.DockingEventOrder, ofFlight bool) (llQuery, error) {
	q := newLLQuery()
	if f != nil {
		if ofFlight && f.Flight != nil {
			return q, errs.Arg("filter.flight", "is set by the parent flight")
		}
		if err := q.setRef("flight_vehicle_chaser__id", "filter.flight", f.Flight, relay.TypeSpacecraftFlight); err != nil {
			return q, err
		}
		for _, r := range []struct {
			param, arg string
			v          *int
		}{{"space_station_target__id", "filter.spaceStation", f.SpaceStation}, {"docking_location__id", "filter.dockingLocation", f.DockingLocation}} {
			if r.v != nil && *r.v <= 0 {
				return q, errs.Arg(r.arg, "LL2 ids are positive")
			}
			q.setInt(r.param, r.arg, r.v)
		}
		if f.DockingAfter != nil {
			q.set("docking__gte", "filter.dockingAfter", f.DockingAfter.String())
		}
		if f.DockingBefore != nil {
			q.set("docking__lte", "filter.dockingBefore", f.DockingBefore.String())
		}
		if f.DockingAfter != nil && f.DockingBefore != nil && f.DockingAfter.Time().After(f.DockingBefore.Time()) {
			return q, errs.Arg("filter.dockingAfter", "is later than filter.dockingBefore")
		}
	}
	var err error
	if q.Search, err = searchArg(search); err != nil {
		return q, err
	}
	field, desc := "docking", false
	if o != nil {
		field = map[model.DockingEventOrderField]string{
			model.DockingEventOrderFieldDocking:   "docking",
			model.DockingEventOrderFieldDeparture: "departure",
		}[o.Field]
		desc = o.Direction == model.OrderDirectionDesc
	}
	q.Ordering = []ll2.OrderKey{{Field: field, Desc: desc}}
	return q, nil
}

// flightsOf pages a spacecraft's flights: from the spacecraft itself when it came at
// the detailed level, which lists every flight (no call), else through the reverse
// loader (spacecraft_flights/?spacecraft=ID, batched with the other spacecraft).
func flightsOf(s *catalog.Spacecraft) func(context.Context, ll2.ListParams) (*catalog.Page[catalog.SpacecraftFlight], error) {
	if s.Level >= ll2.LevelDetailed {
		return func(_ context.Context, q ll2.ListParams) (*catalog.Page[catalog.SpacecraftFlight], error) {
			return catalog.LocalFlights(s, q)
		}
	}
	return func(ctx context.Context, q ll2.ListParams) (*catalog.Page[catalog.SpacecraftFlight], error) {
		return childrenOf(loaders.For(ctx).FlightsOfSpacecraft, s.ID)(ctx, q)
	}
}

// dockingEventsOf pages the docking events a flight chases in: from the flight itself
// when it came at the detailed level (no call), else through the reverse loader.
func dockingEventsOf(f *catalog.SpacecraftFlight) func(context.Context, ll2.ListParams) (*catalog.Page[catalog.DockingEvent], error) {
	if f.Level >= ll2.LevelDetailed {
		return func(_ context.Context, q ll2.ListParams) (*catalog.Page[catalog.DockingEvent], error) {
			return catalog.LocalDockingEvents(f, q)
		}
	}
	return func(ctx context.Context, q ll2.ListParams) (*catalog.Page[catalog.DockingEvent], error) {
		return childrenOf(loaders.For(ctx).DockingEventsOfFlight, f.ID)(ctx, q)
	}
}

// lookupRows hands a lookup list's rows to gqlgen.
func lookupRows[T any](l *catalog.LookupList[T], err error) ([]*T, error) {
	if err != nil {
		return nil, err
	}
	out := make([]*T, len(l.Rows))
	for i := range l.Rows {
		out[i] = &l.Rows[i]
	}
	return out, nil
}

// notHeldAtAll words a NOT_IN_SNAPSHOT refusal of a field whose records the snapshot
// being served holds none of (the embedded snapshot has no flight or docking event):
// the upstream's refusal names an LL2 parameter, which says nothing to a client. Other
// errors pass.
func notHeldAtAll(err error, field, what string) error {
	if err == nil || errs.CodeOf(err) != errs.NotInSnapshot {
		return err
	}
	return &errs.Error{Code: errs.NotInSnapshot, Field: field, Err: err,
		Message: fmt.Sprintf("%s cannot be answered from the snapshot being served: it does not hold %s (the embedded snapshot's real pages hold none); to get them, %s", field, what, errs.HowToGetIt)}
}
