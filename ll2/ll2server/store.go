// Package ll2server is an LL2-compatible HTTP server over a snapshot: the same paths,
// parameters, levels of detail, paging and errors as Launch Library 2 2.3.0 for the
// spacecraft domain. The gateway uses it in-process as its default upstream, tests
// use it to exercise real HTTP (with latency, throttling, faults and call counters),
// and frontend developers can run it on a port as a fake LL2.
package ll2server

import (
	"fmt"
	"slices"
	"strconv"

	"spacegraph/ll2"
	"spacegraph/snapshot"
)

// urlPlaceholder stands for the server's base URL inside stored objects; the handler
// replaces it in each response body with the base URL of the request, as Django REST
// framework builds absolute URLs from the request's host.
const urlPlaceholder = "ll2server:/"

// Store holds a snapshot normalised for serving: each object once, by id, with the
// objects it embeds taken from their own collection so that every level renders
// consistently. A Store is immutable once built and safe for concurrent use.
//
// Flights and docking events are known as the snapshot says (snapshot.Data): the
// flights of a spacecraft when the snapshot holds flights and the spacecraft's record
// holds the detailed level, docking events when the snapshot holds them. A spacecraft
// whose flights are not known is served as holding the normal level (its flights
// null), a flight whose docking events are not known likewise, and the list requests
// that could select what is not known are refused (see coverage).
type Store struct {
	spacecraft []*ll2.SpacecraftDetailed
	configs    []*ll2.SpacecraftConfigDetailed
	agencies   []*ll2.AgencyDetailed
	families   []*ll2.FamilyEndpointDetailed
	flights    []*ll2.SpacecraftFlight
	docking    []*ll2.DockingEvent
	lookups    map[string][]*ll2.Lookup

	spacecraftByID map[int]*ll2.SpacecraftDetailed
	configByID     map[int]*ll2.SpacecraftConfigDetailed
	agencyByID     map[int]*ll2.AgencyDetailed
	familyByID     map[int]*ll2.FamilyEndpointDetailed
	flightByID     map[int]*ll2.SpacecraftFlight
	dockingByID    map[int]*ll2.DockingEvent
	lookupByID     map[string]map[int]*ll2.Lookup

	// partial holds the endpoints with a record held below the detailed level, whose
	// list requests must be checked for what those records cannot answer.
	partial map[string]bool

	// flightsHeld and dockingHeld say whether the snapshot holds those collections at
	// all; uncovered counts the spacecraft whose flights it does not know.
	flightsHeld, dockingHeld bool
	uncovered                int
	// lookupsFromRecords: the lookup tables hold only the rows the records carry.
	lookupsFromRecords bool
}

func objectURL(path string, id int) string {
	return urlPlaceholder + path + strconv.Itoa(id) + "/"
}

// NewStore normalises d into a Store. The records of d are copied, never modified.
// Objects that are only embedded elsewhere (an agency seen only inside a
// configuration) must already be in their own collection; snapshot.FromPages does that.
// Derived lists that LL2 computes by joining (an agency's spacecraft_list, a family's
// spacecraft) are joined here when the snapshot does not carry them.
func NewStore(d snapshot.Data) *Store {
	s := &Store{
		spacecraftByID: map[int]*ll2.SpacecraftDetailed{},
		configByID:     map[int]*ll2.SpacecraftConfigDetailed{},
		agencyByID:     map[int]*ll2.AgencyDetailed{},
		familyByID:     map[int]*ll2.FamilyEndpointDetailed{},
		flightByID:     map[int]*ll2.SpacecraftFlight{},
		dockingByID:    map[int]*ll2.DockingEvent{},
		lookups:        map[string][]*ll2.Lookup{},
		lookupByID:     map[string]map[int]*ll2.Lookup{},
		partial:        map[string]bool{},
	}
	for _, a := range d.Agencies {
		c := *a
		c.URL = objectURL(ll2.AgencyEndpoint.Path, c.ID)
		c.SnapshotMode = s.held(ll2.AgencyEndpoint.Path, c.SnapshotMode)
		s.agencyByID[c.ID] = &c
	}
	agencyNormal := func(a *ll2.AgencyNormal) *ll2.AgencyNormal {
		if a == nil {
			return nil
		}
		if canon, ok := s.agencyByID[a.ID]; ok {
			n := canon.AgencyNormal
			return &n
		}
		n := *a
		n.URL = objectURL(ll2.AgencyEndpoint.Path, n.ID)
		return &n
	}
	for _, f := range d.Families {
		c := *f
		c.SnapshotMode = s.held(ll2.FamilyEndpoint.Path, c.SnapshotMode)
		c.Manufacturer = agencyNormal(c.Manufacturer)
		s.familyByID[c.ID] = &c
	}
	// Parents are families too: take them from the collection once all are in.
	for _, f := range s.familyByID {
		if f.Parent == nil {
			continue
		}
		if p, ok := s.familyByID[f.Parent.ID]; ok {
			n := p.FamilyDetailed.Normal()
			f.Parent = &n
		}
	}
	for _, cfg := range d.Configs {
		c := *cfg
		c.URL = objectURL(ll2.SpacecraftConfigEndpoint.Path, c.ID)
		c.SnapshotMode = s.held(ll2.SpacecraftConfigEndpoint.Path, c.SnapshotMode)
		c.Agency = agencyNormal(c.Agency)
		if c.Family != nil {
			fams := make([]ll2.FamilyDetailed, len(c.Family))
			for i, f := range c.Family {
				if canon, ok := s.familyByID[f.ID]; ok {
					fams[i] = canon.FamilyDetailed
				} else {
					fams[i] = f
				}
			}
			c.Family = fams
		}
		s.configByID[c.ID] = &c
	}
	flights := d.Flights
	if flights == nil {
		flights = inlineFlights(d.Spacecraft)
	}
	s.flightsHeld, s.dockingHeld = flights != nil, d.DockingEvents != nil
	s.lookupsFromRecords = d.LookupsFromRecords
	for _, sc := range d.Spacecraft {
		c := *sc
		c.URL = objectURL(ll2.SpacecraftEndpoint.Path, c.ID)
		c.Flights = nil
		mode := c.SnapshotMode
		if !s.flightsHeld && ll2.HeldLevel(ll2.LevelDetailed, mode) == ll2.LevelDetailed {
			// A record that holds everything but its flights holds the normal level.
			mode = ll2.LevelNormal.String()
		}
		c.SnapshotMode = s.held(ll2.SpacecraftEndpoint.Path, mode)
		if c.SnapshotMode != "" {
			s.uncovered++
		} else {
			c.Flights = []ll2.SpacecraftFlightNormal{}
		}
		if c.SpacecraftConfig != nil {
			if canon, ok := s.configByID[c.SpacecraftConfig.ID]; ok {
				c.SpacecraftConfig = canon
			}
		}
		s.spacecraftByID[c.ID] = &c
	}
	s.spacecraft = sortedValues(s.spacecraftByID)
	s.addFlights(flights, d.DockingEvents)
	s.configs = sortedValues(s.configByID)
	s.agencies = sortedValues(s.agencyByID)
	s.families = sortedValues(s.familyByID)

	// Joins that LL2 computes: which configurations an agency and a family have.
	for _, a := range s.agencies {
		if a.SpacecraftList != nil {
			continue
		}
		a.SpacecraftList = []ll2.SpacecraftConfigDetailed{}
		for _, c := range s.configs {
			if c.Agency != nil && c.Agency.ID == a.ID {
				a.SpacecraftList = append(a.SpacecraftList, *c)
			}
		}
	}
	for _, f := range s.families {
		if f.Spacecraft != nil {
			continue
		}
		f.Spacecraft = []ll2.SpacecraftConfigNormal{}
		for _, c := range s.configs {
			if slices.ContainsFunc(c.Family, func(cf ll2.FamilyDetailed) bool { return cf.ID == f.ID }) {
				f.Spacecraft = append(f.Spacecraft, c.Normal())
			}
		}
	}
	for path, rows := range d.Lookups {
		byID := map[int]*ll2.Lookup{}
		for i := range rows {
			r := rows[i]
			byID[r.ID] = &r
		}
		s.lookupByID[path] = byID
		s.lookups[path] = sortedValues(byID)
	}
	return s
}

// inlineFlights takes the flights that detailed spacecraft records carry in their own
// Flights (snapshots written before the flights file) as the flight records, or nil
// when no record carries any.
func inlineFlights(spacecraft []*ll2.SpacecraftDetailed) []*ll2.SpacecraftFlight {
	var out []*ll2.SpacecraftFlight
	for _, sc := range spacecraft {
		if sc.Flights == nil || ll2.HeldLevel(ll2.LevelDetailed, sc.SnapshotMode) < ll2.LevelDetailed {
			continue
		}
		if out == nil {
			out = []*ll2.SpacecraftFlight{}
		}
		for _, f := range sc.Flights {
			u := f.Upgrade()
			u.SnapshotMode = ll2.LevelNormal.String()
			u.Spacecraft = &ll2.SpacecraftDetailed{SpacecraftBase: ll2.SpacecraftBase{ID: sc.ID}}
			out = append(out, u)
		}
	}
	return out
}

// addFlights stores the flights and docking events, each flight with its spacecraft
// from the spacecraft collection and each event with its flights from the flights
// collection, and joins what LL2 joins: a spacecraft's flights, a flight's docking
// events as the chaser.
func (s *Store) addFlights(flights []*ll2.SpacecraftFlight, docking []*ll2.DockingEvent) {
	for _, f := range flights {
		c := *f
		c.URL = objectURL(ll2.SpacecraftFlightEndpoint.Path, c.ID)
		if c.Spacecraft != nil {
			if canon, ok := s.spacecraftByID[c.Spacecraft.ID]; ok {
				c.Spacecraft = canon
			}
		}
		mode := c.SnapshotMode
		if s.dockingHeld {
			c.DockingEvents = nil
		} else if c.DockingEvents == nil && ll2.HeldLevel(ll2.LevelDetailed, mode) == ll2.LevelDetailed {
			// A record that holds everything but its docking events holds the normal level.
			mode = ll2.LevelNormal.String()
		}
		c.SnapshotMode = s.held(ll2.SpacecraftFlightEndpoint.Path, mode)
		s.flightByID[c.ID] = &c
	}
	s.flights = sortedValues(s.flightByID)
	canonFlight := func(f *ll2.SpacecraftFlight) *ll2.SpacecraftFlight {
		if f == nil {
			return nil
		}
		if canon, ok := s.flightByID[f.ID]; ok {
			return canon
		}
		return f
	}
	for _, e := range docking {
		c := *e
		c.URL = objectURL(ll2.DockingEventEndpoint.Path, c.ID)
		c.SnapshotMode = s.held(ll2.DockingEventEndpoint.Path, c.SnapshotMode)
		c.FlightVehicleChaser = canonFlight(c.FlightVehicleChaser)
		c.FlightVehicleTarget = canonFlight(c.FlightVehicleTarget)
		s.dockingByID[c.ID] = &c
	}
	s.docking = sortedValues(s.dockingByID)
	for _, f := range s.flights {
		// With every docking event known, so are a flight's, whatever else its record
		// lacks (a crawl's flights hold the normal level: LL2 gives their crews only in
		// detailed flights).
		if s.dockingHeld {
			f.DockingEvents = []ll2.DockingEventForChaser{}
		}
		if sc := s.spacecraftByID[f.SpacecraftID()]; sc != nil && sc.Flights != nil {
			sc.Flights = append(sc.Flights, f.Normal())
		}
	}
	if s.dockingHeld {
		for _, e := range s.docking {
			if f := s.flightByID[e.ChaserFlightID()]; f != nil && f.DockingEvents != nil {
				f.DockingEvents = append(f.DockingEvents, e.ForChaser())
			}
		}
	}
}

// held returns the snapshot_mode a record of endpoint path is served with: the level
// it holds when that is below the detailed level, else "" (a whole record is served
// exactly as LL2 serves it). It notes the endpoints that have partial records.
func (s *Store) held(path, snapshotMode string) string {
	if l, ok := ll2.SnapshotLevel(snapshotMode); ok && l < ll2.LevelDetailed {
		s.partial[path] = true
		return snapshotMode
	}
	return ""
}

// Partial reports whether some record of the endpoint at path holds less than the
// detailed level.
func (s *Store) Partial(path string) bool { return s.partial[path] }

func sortedValues[T any](m map[int]*T) []*T {
	ids := make([]int, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]*T, len(ids))
	for i, id := range ids {
		out[i] = m[id]
	}
	return out
}

// Counts reports how many objects of each kind the store holds.
func (s *Store) Counts() map[string]int {
	c := map[string]int{
		ll2.SpacecraftEndpoint.Path:       len(s.spacecraft),
		ll2.SpacecraftConfigEndpoint.Path: len(s.configs),
		ll2.AgencyEndpoint.Path:           len(s.agencies),
		ll2.FamilyEndpoint.Path:           len(s.families),
	}
	if s.flightsHeld {
		c[ll2.SpacecraftFlightEndpoint.Path] = len(s.flights)
	}
	if s.dockingHeld {
		c[ll2.DockingEventEndpoint.Path] = len(s.docking)
	}
	for p, rows := range s.lookups {
		c[p] = len(rows)
	}
	return c
}

// Spacecraft returns the stored spacecraft in id order (shared: do not modify).
func (s *Store) Spacecraft() []*ll2.SpacecraftDetailed { return s.spacecraft }

// Configs returns the stored configurations in id order (shared: do not modify).
func (s *Store) Configs() []*ll2.SpacecraftConfigDetailed { return s.configs }

// Agencies returns the stored agencies in id order (shared: do not modify).
func (s *Store) Agencies() []*ll2.AgencyDetailed { return s.agencies }

// Families returns the stored families in id order (shared: do not modify).
func (s *Store) Families() []*ll2.FamilyEndpointDetailed { return s.families }

// Flights returns the stored flights in id order (shared: do not modify).
func (s *Store) Flights() []*ll2.SpacecraftFlight { return s.flights }

// DockingEvents returns the stored docking events in id order (shared: do not modify).
func (s *Store) DockingEvents() []*ll2.DockingEvent { return s.docking }

// Lookups returns the rows of a lookup table in id order (shared: do not modify).
func (s *Store) Lookups(path string) []*ll2.Lookup { return s.lookups[path] }

// coverage is what a snapshot does not hold of an endpoint's collection: whole records
// it lacks, rather than fields of records it holds (which their snapshot_mode tells).
type coverage struct {
	// lacking refuses a list query that could select records the snapshot lacks, or
	// returns nil.
	lacking func(q *ll2.Query) *ll2.NotInSnapshotBody
	// unknown, when set, answers a detail request for an id the snapshot lacks: the
	// record may exist, so "Not found." would be a claim the snapshot cannot make.
	unknown *ll2.NotInSnapshotBody
	// partial marks every page as holding what the snapshot holds, which may not be
	// all LL2 has (ll2.Page's SnapshotPartial).
	partial bool
}

// intFilter returns the value of an integer filter of q.
func intFilter(q *ll2.Query, param string) (int, bool) {
	for _, f := range q.Filters {
		if f.Param == param {
			return f.Int, true
		}
	}
	return 0, false
}

// flightCoverage: the flights of a spacecraft are known when the snapshot holds flights
// and the spacecraft's record holds the detailed level. A query for one spacecraft's
// flights needs that spacecraft's; any other query needs every spacecraft's. The
// refusal counts, under "spacecraft", the spacecraft whose flights are not known.
func (s *Store) flightCoverage() coverage {
	path := ll2.SpacecraftFlightEndpoint.Path
	missing := s.uncovered
	if !s.flightsHeld {
		missing = max(1, len(s.spacecraft))
	}
	body := func(n int) *ll2.NotInSnapshotBody {
		b := ll2.NewNotHeldBody(path, map[string]int{"spacecraft": n}, fmt.Sprintf("the flights of %d spacecraft", n))
		return &b
	}
	var cov coverage
	if missing > 0 {
		cov.unknown = body(missing)
	}
	cov.lacking = func(q *ll2.Query) *ll2.NotInSnapshotBody {
		if id, ok := intFilter(q, "spacecraft"); ok {
			sc := s.spacecraftByID[id]
			if !s.flightsHeld || (sc != nil && sc.SnapshotMode != "") {
				return body(1)
			}
			return nil
		}
		if missing > 0 {
			return body(missing)
		}
		return nil
	}
	return cov
}

// lookupCoverage: a lookup table that holds only the rows the records carry is served
// as it is, each page saying so, and a row it lacks may exist.
func (s *Store) lookupCoverage(path string) coverage {
	if !s.lookupsFromRecords {
		return coverage{}
	}
	b := ll2.NewNotHeldBody(path, map[string]int{path: 1}, "LL2's whole table, only the rows its records carry")
	return coverage{unknown: &b, partial: true}
}

// dockingCoverage: docking events are known when the snapshot holds them, all of them.
// The refusal counts the collection itself under "docking_events".
func (s *Store) dockingCoverage() coverage {
	if s.dockingHeld {
		return coverage{}
	}
	b := ll2.NewNotHeldBody(ll2.DockingEventEndpoint.Path, map[string]int{"docking_events": 1}, "docking events")
	return coverage{unknown: &b, lacking: func(*ll2.Query) *ll2.NotInSnapshotBody { return &b }}
}
