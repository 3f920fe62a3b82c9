package ll2

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
)

// This file describes LL2's list endpoints as data: their filters, search fields,
// orderings and levels of detail. Two parties read it and must agree: the built-in
// server applies it to a snapshot (Query), and the client checks that what LL2 sent
// back honours what was asked (a filter that LL2 ignores shows itself as results that
// do not match it).

// FilterKind says how a filter parameter is parsed and compared, after django-filter.
type FilterKind int8

// The filter kinds LL2 uses for the spacecraft domain.
const (
	// FilterBool takes true/false/1/0 in any case; anything else is ignored, as
	// django-filter's BooleanWidget does.
	FilterBool FilterKind = iota + 1
	// FilterInt takes a whole number; anything else is a 400 error.
	FilterInt
	// FilterIntGt, FilterIntGte, FilterIntLt and FilterIntLte are the range lookups.
	FilterIntGt
	FilterIntGte
	FilterIntLt
	FilterIntLte
	// FilterIExact compares strings exactly, ignoring case.
	FilterIExact
	// FilterExact compares strings exactly.
	FilterExact
	// FilterIContains finds a substring, ignoring case.
	FilterIContains
	// FilterCodes takes a comma-separated list and matches when any code matches.
	FilterCodes
	// FilterTimeGt, FilterTimeGte, FilterTimeLt and FilterTimeLte are the range
	// lookups of a date-time field, read as Django's DateTimeField reads them
	// (ParseFilterDateTime); anything else is a 400 error.
	FilterTimeGt
	FilterTimeGte
	FilterTimeLt
	FilterTimeLte
)

// Filter is one filter parameter of an endpoint over records of type T (the detailed
// container). Exactly one accessor is set, matching the kind. An accessor answers nil
// when the record does not know the value: the server then treats the record as not
// matching (SQL's NULL never equals anything), the client as not checkable.
type Filter[T any] struct {
	Param string
	Kind  FilterKind
	// Level is the least level of detail at which LL2 gives what the filter reads
	// (LevelNone: every level); a snapshot record held below it cannot be filtered.
	Level Level
	Bool  func(*T) *bool
	Int   func(*T) *int
	Str   func(*T) *string
	Codes func(*T) []string
	Time  func(*T) *DateTime
}

// OrderField is one field an endpoint can be ordered by. Compare orders two records
// ascending with nulls last, as PostgreSQL does (so that descending puts nulls first);
// known reports whether a record has the value, for the client's checks.
type OrderField[T any] struct {
	Name    string
	Compare func(a, b *T) int
	Known   func(*T) bool
	// Level is the least level of detail at which LL2 gives the field (LevelNone:
	// every level).
	Level Level
}

// SearchField is one field that `search` looks in: its name in LL2's search_fields,
// how to read it, and the least level of detail that carries it.
type SearchField[T any] struct {
	Name  string
	Get   func(*T) *string
	Level Level
}

// Endpoint describes one list endpoint of LL2 over records of type T.
type Endpoint[T any] struct {
	// Path is the endpoint's path below the version root, with its trailing slash.
	Path string
	// Modes are the levels the endpoint serves; DefaultMode is used when none is asked.
	Modes       []Level
	DefaultMode Level
	Filters     []Filter[T]
	// Search holds the fields that `search` looks in (each term must be found in one).
	Search    []SearchField[T]
	Orderings []OrderField[T]
	ID        func(*T) int
	// SnapshotMode reads a record's snapshot_mode (nil: records never carry one).
	SnapshotMode func(*T) string
	// CheckRecord, when set, checks what a record answered at a level must hold beyond
	// the query (a detailed spacecraft's flights are its own), for the client's checks.
	CheckRecord func(t *T, l Level) error
}

// Filter returns the filter named param, or nil.
func (e *Endpoint[T]) Filter(param string) *Filter[T] {
	for i := range e.Filters {
		if e.Filters[i].Param == param {
			return &e.Filters[i]
		}
	}
	return nil
}

// Ordering returns the ordering field named name, or nil.
func (e *Endpoint[T]) Ordering(name string) *OrderField[T] {
	for i := range e.Orderings {
		if e.Orderings[i].Name == name {
			return &e.Orderings[i]
		}
	}
	return nil
}

// ServesMode reports whether the endpoint has the level l.
func (e *Endpoint[T]) ServesMode(l Level) bool {
	for _, m := range e.Modes {
		if m == l {
			return true
		}
	}
	return false
}

func nullsLast[V any](a, b *V, c func(V, V) int) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return c(*a, *b)
}

func intOrder[T any](name string, l Level, get func(*T) *int) OrderField[T] {
	return OrderField[T]{
		Name:    name,
		Level:   l,
		Compare: func(a, b *T) int { return nullsLast(get(a), get(b), cmp.Compare[int]) },
		Known:   func(t *T) bool { return get(t) != nil },
	}
}

func dateTimeOrder[T any](name string, get func(*T) *DateTime) OrderField[T] {
	return OrderField[T]{
		Name: name,
		// Equal instants are ties, whatever their spelling: the id breaks them.
		Compare: func(a, b *T) int {
			return nullsLast(get(a), get(b), func(x, y DateTime) int { return x.Time().Compare(y.Time()) })
		},
		Known: func(t *T) bool { return get(t) != nil },
	}
}

func durationOrder[T any](name string, get func(*T) *Duration) OrderField[T] {
	return OrderField[T]{
		Name: name,
		// Equal lengths are ties, whatever their spelling: the id breaks them, as in LL2.
		Compare: func(a, b *T) int {
			return nullsLast(get(a), get(b), func(x, y Duration) int { return cmp.Compare(x.Seconds(), y.Seconds()) })
		},
		Known: func(t *T) bool { return get(t) != nil },
	}
}

// CompareText orders names as a case-insensitive collation does, falling back to the
// exact text so that the order is total.
func CompareText(a, b string) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func textOrder[T any](name string, get func(*T) string) OrderField[T] {
	return OrderField[T]{
		Name:    name,
		Compare: func(a, b *T) int { return CompareText(get(a), get(b)) },
		Known:   func(*T) bool { return true },
	}
}

func boolOrder[T any](name string, l Level, get func(*T) *bool) OrderField[T] {
	cmpBool := func(a, b bool) int {
		switch {
		case a == b:
			return 0
		case !a:
			return -1
		}
		return 1
	}
	return OrderField[T]{
		Name:    name,
		Level:   l,
		Compare: func(a, b *T) int { return nullsLast(get(a), get(b), cmpBool) },
		Known:   func(t *T) bool { return get(t) != nil },
	}
}

func ptr[V any](v V) *V { return &v }

// The spacecraft endpoint, `spacecraft/`.
var SpacecraftEndpoint = &Endpoint[SpacecraftDetailed]{
	Path:        "spacecraft/",
	Modes:       []Level{LevelNormal, LevelDetailed},
	DefaultMode: LevelNormal,
	Filters: []Filter[SpacecraftDetailed]{
		{Param: "in_space", Kind: FilterBool, Bool: func(s *SpacecraftDetailed) *bool { return s.InSpace }},
		{Param: "is_placeholder", Kind: FilterBool, Bool: func(s *SpacecraftDetailed) *bool { return s.IsPlaceholder }},
		{Param: "name", Kind: FilterIExact, Str: func(s *SpacecraftDetailed) *string { return &s.Name }},
		{Param: "spacecraft_config", Kind: FilterInt, Int: func(s *SpacecraftDetailed) *int {
			if s.SpacecraftConfig == nil {
				return nil
			}
			return &s.SpacecraftConfig.ID
		}},
		{Param: "status", Kind: FilterInt, Int: func(s *SpacecraftDetailed) *int {
			if s.Status == nil {
				return nil
			}
			return &s.Status.ID
		}},
	},
	Search: []SearchField[SpacecraftDetailed]{
		{Name: "name", Get: func(s *SpacecraftDetailed) *string { return &s.Name }},
		{Name: "spacecraft_config__name", Get: func(s *SpacecraftDetailed) *string {
			if s.SpacecraftConfig == nil {
				return nil
			}
			return &s.SpacecraftConfig.Name
		}},
	},
	Orderings: []OrderField[SpacecraftDetailed]{
		intOrder("flights_count", LevelNone, func(s *SpacecraftDetailed) *int { return s.FlightsCount }),
		intOrder("id", LevelNone, func(s *SpacecraftDetailed) *int { return &s.ID }),
		intOrder("mission_ends_count", LevelNone, func(s *SpacecraftDetailed) *int { return s.MissionEndsCount }),
		durationOrder("time_docked", func(s *SpacecraftDetailed) *Duration { return s.TimeDocked }),
		durationOrder("time_in_space", func(s *SpacecraftDetailed) *Duration { return s.TimeInSpace }),
	},
	ID:           func(s *SpacecraftDetailed) int { return s.ID },
	SnapshotMode: func(s *SpacecraftDetailed) string { return s.SnapshotMode },
	CheckRecord:  checkSpacecraftFlights,
}

// checkSpacecraftFlights refuses a spacecraft answered at the detailed level whose
// flights are missing (unless its snapshot_mode says its record holds less) or are not
// its own: a page that would answer "this spacecraft never flew", or show another's
// flights, must not be cached.
func checkSpacecraftFlights(s *SpacecraftDetailed, l Level) error {
	if HeldLevel(l, s.SnapshotMode) < LevelDetailed {
		return nil
	}
	if s.Flights == nil {
		return fmt.Errorf("spacecraft %d answered at the detailed level has no flights list", s.ID)
	}
	for i := range s.Flights {
		f := &s.Flights[i]
		if f.Spacecraft != nil && f.Spacecraft.ID != s.ID {
			return fmt.Errorf("spacecraft %d lists flight %d of spacecraft %d", s.ID, f.ID, f.Spacecraft.ID)
		}
	}
	return nil
}

// The spacecraft configurations endpoint, `spacecraft_configurations/`.
var SpacecraftConfigEndpoint = &Endpoint[SpacecraftConfigDetailed]{
	Path:        "spacecraft_configurations/",
	Modes:       []Level{LevelNormal, LevelDetailed},
	DefaultMode: LevelNormal,
	Filters: []Filter[SpacecraftConfigDetailed]{
		{Param: "agency", Kind: FilterInt, Int: func(c *SpacecraftConfigDetailed) *int {
			if c.Agency == nil {
				return nil
			}
			return &c.Agency.ID
		}},
		{Param: "human_rated", Kind: FilterBool, Level: LevelDetailed, Bool: func(c *SpacecraftConfigDetailed) *bool { return c.HumanRated }},
		{Param: "in_use", Kind: FilterBool, Bool: func(c *SpacecraftConfigDetailed) *bool { return c.InUse }},
		{Param: "name", Kind: FilterIExact, Str: func(c *SpacecraftConfigDetailed) *string { return &c.Name }},
	},
	Search: []SearchField[SpacecraftConfigDetailed]{
		{Name: "agency__abbrev", Get: func(c *SpacecraftConfigDetailed) *string {
			if c.Agency == nil {
				return nil
			}
			return c.Agency.Abbrev
		}},
		{Name: "agency__name", Get: func(c *SpacecraftConfigDetailed) *string {
			if c.Agency == nil {
				return nil
			}
			return &c.Agency.Name
		}},
		{Name: "name", Get: func(c *SpacecraftConfigDetailed) *string { return &c.Name }},
	},
	Orderings: []OrderField[SpacecraftConfigDetailed]{
		textOrder("name", func(c *SpacecraftConfigDetailed) string { return c.Name }),
	},
	ID:           func(c *SpacecraftConfigDetailed) int { return c.ID },
	SnapshotMode: func(c *SpacecraftConfigDetailed) string { return c.SnapshotMode },
}

// The families endpoint, `spacecraft_configuration_families/`.
var FamilyEndpoint = &Endpoint[FamilyEndpointDetailed]{
	Path:        "spacecraft_configuration_families/",
	Modes:       []Level{LevelList, LevelNormal, LevelDetailed},
	DefaultMode: LevelNormal,
	Filters: []Filter[FamilyEndpointDetailed]{
		{Param: "manufacturer", Kind: FilterInt, Level: LevelNormal, Int: func(f *FamilyEndpointDetailed) *int {
			if f.Manufacturer == nil {
				return nil
			}
			return &f.Manufacturer.ID
		}},
		{Param: "name", Kind: FilterIExact, Str: func(f *FamilyEndpointDetailed) *string { return &f.Name }},
	},
	Search: []SearchField[FamilyEndpointDetailed]{
		{Name: "manufacturer__abbrev", Level: LevelNormal, Get: func(f *FamilyEndpointDetailed) *string {
			if f.Manufacturer == nil {
				return nil
			}
			return f.Manufacturer.Abbrev
		}},
		{Name: "manufacturer__name", Level: LevelNormal, Get: func(f *FamilyEndpointDetailed) *string {
			if f.Manufacturer == nil {
				return nil
			}
			return &f.Manufacturer.Name
		}},
		{Name: "name", Get: func(f *FamilyEndpointDetailed) *string { return &f.Name }},
	},
	Orderings: []OrderField[FamilyEndpointDetailed]{
		textOrder("name", func(f *FamilyEndpointDetailed) string { return f.Name }),
	},
	ID:           func(f *FamilyEndpointDetailed) int { return f.ID },
	SnapshotMode: func(f *FamilyEndpointDetailed) string { return f.SnapshotMode },
}

// AgencyCountFields are the agency statistics that LL2 filters (with __gt, __gte,
// __lt, __lte) and orders by.
var AgencyCountFields = []struct {
	Name string
	Get  func(*AgencyDetailed) *int
}{
	{"attempted_landings", func(a *AgencyDetailed) *int { return a.AttemptedLandings }},
	{"consecutive_successful_landings", func(a *AgencyDetailed) *int { return a.ConsecutiveSuccessfulLandings }},
	{"consecutive_successful_launches", func(a *AgencyDetailed) *int { return a.ConsecutiveSuccessfulLaunches }},
	{"failed_landings", func(a *AgencyDetailed) *int { return a.FailedLandings }},
	{"failed_launches", func(a *AgencyDetailed) *int { return a.FailedLaunches }},
	{"pending_launches", func(a *AgencyDetailed) *int { return a.PendingLaunches }},
	{"successful_landings", func(a *AgencyDetailed) *int { return a.SuccessfulLandings }},
	{"successful_launches", func(a *AgencyDetailed) *int { return a.SuccessfulLaunches }},
	{"total_launch_count", func(a *AgencyDetailed) *int { return a.TotalLaunchCount }},
}

func intRangeFilters[T any](name string, l Level, get func(*T) *int) []Filter[T] {
	return []Filter[T]{
		{Param: name, Kind: FilterInt, Level: l, Int: get},
		{Param: name + "__gt", Kind: FilterIntGt, Level: l, Int: get},
		{Param: name + "__gte", Kind: FilterIntGte, Level: l, Int: get},
		{Param: name + "__lt", Kind: FilterIntLt, Level: l, Int: get},
		{Param: name + "__lte", Kind: FilterIntLte, Level: l, Int: get},
	}
}

// AgencyEndpoint is the agencies endpoint, `agencies/`.
var AgencyEndpoint = func() *Endpoint[AgencyDetailed] {
	e := &Endpoint[AgencyDetailed]{
		Path:        "agencies/",
		Modes:       []Level{LevelList, LevelNormal, LevelDetailed},
		DefaultMode: LevelNormal,
		Filters: []Filter[AgencyDetailed]{
			{Param: "id", Kind: FilterInt, Int: func(a *AgencyDetailed) *int { return &a.ID }},
			{Param: "name", Kind: FilterIExact, Str: func(a *AgencyDetailed) *string { return &a.Name }},
			{Param: "name__contains", Kind: FilterIContains, Str: func(a *AgencyDetailed) *string { return &a.Name }},
			{Param: "abbrev", Kind: FilterIExact, Str: func(a *AgencyDetailed) *string { return a.Abbrev }},
			{Param: "abbrev__contains", Kind: FilterIContains, Str: func(a *AgencyDetailed) *string { return a.Abbrev }},
			{Param: "description", Kind: FilterExact, Level: LevelNormal, Str: func(a *AgencyDetailed) *string { return a.Description }},
			{Param: "description__contains", Kind: FilterIContains, Level: LevelNormal, Str: func(a *AgencyDetailed) *string { return a.Description }},
			{Param: "featured", Kind: FilterBool, Level: LevelNormal, Bool: func(a *AgencyDetailed) *bool { return a.Featured }},
			{Param: "spacecraft", Kind: FilterBool, Level: LevelDetailed, Bool: func(a *AgencyDetailed) *bool {
				// LL2's boolean `spacecraft` filter asks whether the agency has spacecraft
				// configurations, which a detailed agency lists in spacecraft_list.
				if a.SpacecraftList == nil {
					return nil
				}
				return ptr(len(a.SpacecraftList) > 0)
			}},
			{Param: "type__id", Kind: FilterInt, Int: func(a *AgencyDetailed) *int { return &a.Type.ID }},
			// The wire format gives the parent's name only, so parent__id can be
			// checked by neither party: the built-in server refuses it, the client
			// trusts LL2.
			{Param: "parent__id", Kind: FilterInt, Level: LevelNever, Int: func(*AgencyDetailed) *int { return nil }},
			{Param: "country_code", Kind: FilterCodes, Level: LevelNormal, Codes: func(a *AgencyDetailed) []string {
				if a.Country == nil {
					return nil
				}
				codes := make([]string, 0, 2*len(a.Country))
				for _, c := range a.Country {
					for _, p := range []*string{c.Alpha3Code, c.Alpha2Code} {
						if p != nil && *p != "" {
							codes = append(codes, *p)
						}
					}
				}
				return codes
			}},
		},
		Search: []SearchField[AgencyDetailed]{
			{Name: "abbrev", Get: func(a *AgencyDetailed) *string { return a.Abbrev }},
			{Name: "name", Get: func(a *AgencyDetailed) *string { return &a.Name }},
		},
		Orderings: []OrderField[AgencyDetailed]{
			boolOrder("featured", LevelNormal, func(a *AgencyDetailed) *bool { return a.Featured }),
			intOrder("id", LevelNone, func(a *AgencyDetailed) *int { return &a.ID }),
			textOrder("name", func(a *AgencyDetailed) string { return a.Name }),
		},
		ID:           func(a *AgencyDetailed) int { return a.ID },
		SnapshotMode: func(a *AgencyDetailed) string { return a.SnapshotMode },
	}
	e.Filters = append(e.Filters, intRangeFilters("founding_year", LevelNormal, func(a *AgencyDetailed) *int { return a.FoundingYear })...)
	for _, f := range AgencyCountFields {
		e.Filters = append(e.Filters, intRangeFilters(f.Name, LevelDetailed, f.Get)...)
		e.Orderings = append(e.Orderings, intOrder(f.Name, LevelDetailed, f.Get))
	}
	return e
}()

// Lookup is a row of one of LL2's lookup tables (`config/…/`), as the built-in server
// stores them: the id, the name and the table's other fields verbatim.
type Lookup struct {
	ID   int
	Name string
	// Raw is the row as LL2 gives it; nil means {"id": ID, "name": Name}.
	Raw map[string]any
}

// LookupEndpoint describes a lookup table: searched by name, ordered by id or name.
func LookupEndpoint(path string) *Endpoint[Lookup] {
	return &Endpoint[Lookup]{
		Path:   path,
		Search: []SearchField[Lookup]{{Name: "name", Get: func(l *Lookup) *string { return &l.Name }}},
		Orderings: []OrderField[Lookup]{
			intOrder("id", LevelNone, func(l *Lookup) *int { return &l.ID }),
			textOrder("name", func(l *Lookup) string { return l.Name }),
		},
		ID: func(l *Lookup) int { return l.ID },
	}
}

// Lookup table paths.
const (
	PathSpacecraftStatuses = "config/spacecraft_statuses/"
	PathConfigTypes        = "config/spacecraft_configuration_types/"
	PathAgencyTypes        = "config/agency_types/"
	PathCountries          = "config/countries/"
	PathImageLicenses      = "config/image_licenses/"
	PathImageVariantTypes  = "config/image_variant_types/"
	PathAPIThrottle        = "api-throttle/"
)

// LookupPaths lists the lookup tables in a fixed order.
var LookupPaths = []string{PathSpacecraftStatuses, PathConfigTypes, PathAgencyTypes, PathCountries, PathImageLicenses, PathImageVariantTypes}

// SpacecraftFlightEndpoint is the spacecraft flights endpoint, `spacecraft_flights/`.
// LL2 2.3.0 filters it by spacecraft only and declares neither search fields nor
// ordering fields; the orderings below are the flight's id and mission end, the
// sortable fields of its serializer, which Django REST framework's OrderingFilter
// allows when a view names none (the client checks the order LL2 returns, so an
// ordering LL2 ignored shows itself). With no search fields, `search` is refused
// before any call (Validate): LL2 would silently ignore it.
var SpacecraftFlightEndpoint = &Endpoint[SpacecraftFlight]{
	Path:        "spacecraft_flights/",
	Modes:       []Level{LevelNormal, LevelDetailed},
	DefaultMode: LevelNormal,
	Filters: []Filter[SpacecraftFlight]{
		{Param: "spacecraft", Kind: FilterInt, Int: func(f *SpacecraftFlight) *int {
			if f.Spacecraft == nil {
				return nil
			}
			return &f.Spacecraft.ID
		}},
	},
	Orderings: []OrderField[SpacecraftFlight]{
		intOrder("id", LevelNone, func(f *SpacecraftFlight) *int { return &f.ID }),
		dateTimeOrder("mission_end", func(f *SpacecraftFlight) *DateTime { return f.MissionEnd }),
	},
	ID:           func(f *SpacecraftFlight) int { return f.ID },
	SnapshotMode: func(f *SpacecraftFlight) string { return f.SnapshotMode },
	CheckRecord:  checkFlightDockings,
}

// checkFlightDockings refuses a detailed flight whose docking events are missing
// (unless its snapshot_mode says its record holds less): an empty list would say the
// flight never docked.
func checkFlightDockings(f *SpacecraftFlight, l Level) error {
	if HeldLevel(l, f.SnapshotMode) >= LevelDetailed && f.DockingEvents == nil {
		return fmt.Errorf("flight %d answered at the detailed level has no docking_events list", f.ID)
	}
	return nil
}

func flightSpacecraftName(f *SpacecraftFlight) *string {
	if f == nil || f.Spacecraft == nil {
		return nil
	}
	return &f.Spacecraft.Name
}

func stationName(s *SpaceStation) *string {
	if s == nil {
		return nil
	}
	return &s.Name
}

// payloadName reads payload.name out of a payload flight kept verbatim; nil when the
// payload flight is null or has no name.
func payloadName(raw json.RawMessage) *string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var p struct {
		Payload *struct {
			Name *string `json:"name"`
		} `json:"payload"`
	}
	if json.Unmarshal(raw, &p) != nil || p.Payload == nil {
		return nil
	}
	return p.Payload.Name
}

func dockingTime(d *DockingEvent) *DateTime {
	if d.Docking.IsZero() {
		return nil
	}
	return &d.Docking
}

func dockingTimeFilter(param string, k FilterKind) Filter[DockingEvent] {
	return Filter[DockingEvent]{Param: param, Kind: k, Time: dockingTime}
}

// DockingEventEndpoint is the docking events endpoint, `docking_events/`. Its filters
// read the chaser flight, the target station and the docking location by id, and the
// time of docking by range; search looks in the names of the docking location and of
// the spacecraft, stations and payloads on either side.
var DockingEventEndpoint = &Endpoint[DockingEvent]{
	Path:        "docking_events/",
	Modes:       []Level{LevelNormal, LevelDetailed},
	DefaultMode: LevelNormal,
	Filters: []Filter[DockingEvent]{
		dockingTimeFilter("docking__gt", FilterTimeGt),
		dockingTimeFilter("docking__gte", FilterTimeGte),
		dockingTimeFilter("docking__lt", FilterTimeLt),
		dockingTimeFilter("docking__lte", FilterTimeLte),
		{Param: "docking_location__id", Kind: FilterInt, Int: func(d *DockingEvent) *int {
			if d.DockingLocation == nil {
				return nil
			}
			return &d.DockingLocation.ID
		}},
		{Param: "flight_vehicle_chaser__id", Kind: FilterInt, Int: func(d *DockingEvent) *int {
			if d.FlightVehicleChaser == nil {
				return nil
			}
			return &d.FlightVehicleChaser.ID
		}},
		{Param: "space_station_target__id", Kind: FilterInt, Int: func(d *DockingEvent) *int {
			if d.SpaceStationTarget == nil {
				return nil
			}
			return &d.SpaceStationTarget.ID
		}},
	},
	Search: []SearchField[DockingEvent]{
		{Name: "docking_location__name", Get: func(d *DockingEvent) *string {
			if d.DockingLocation == nil {
				return nil
			}
			return &d.DockingLocation.Name
		}},
		{Name: "flight_vehicle_chaser__spacecraft__name", Get: func(d *DockingEvent) *string { return flightSpacecraftName(d.FlightVehicleChaser) }},
		{Name: "flight_vehicle_target__spacecraft__name", Get: func(d *DockingEvent) *string { return flightSpacecraftName(d.FlightVehicleTarget) }},
		{Name: "payload_flight_chaser__payload__name", Get: func(d *DockingEvent) *string { return payloadName(d.PayloadFlightChaser) }},
		{Name: "payload_flight_target__payload__name", Get: func(d *DockingEvent) *string { return payloadName(d.PayloadFlightTarget) }},
		{Name: "space_station_chaser__name", Get: func(d *DockingEvent) *string { return stationName(d.SpaceStationChaser) }},
		{Name: "space_station_target__name", Get: func(d *DockingEvent) *string { return stationName(d.SpaceStationTarget) }},
	},
	Orderings: []OrderField[DockingEvent]{
		dateTimeOrder("departure", func(d *DockingEvent) *DateTime { return d.Departure }),
		dateTimeOrder("docking", dockingTime),
	},
	ID:           func(d *DockingEvent) int { return d.ID },
	SnapshotMode: func(d *DockingEvent) string { return d.SnapshotMode },
}
