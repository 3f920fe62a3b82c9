package ll2

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ListParams is a list call's query: the parameters common to every list endpoint,
// plus the endpoint's filters as LL2 names them (see the typed filters below). It is
// the gateway's one query type: the graph builds it from GraphQL arguments, the
// loaders batch by its Key, the catalog answers it from LL2 or from a crawled
// collection, and the client sends its Values.
type ListParams struct {
	// Limit is the page size, 1..100; 0 means LL2's default of 10.
	Limit  int
	Offset int
	// Mode is the level of detail; LevelNone means the endpoint's default. The
	// catalog reads it as the level wanted of the objects and sends the mode of the
	// endpoint that brings it.
	Mode     Level
	Search   string
	Ordering []OrderKey
	Filter   url.Values
}

// Values renders the parameters as LL2 reads them from a URL's query; a parameter at
// its default is left out.
func (p ListParams) Values() url.Values {
	v := url.Values{}
	for k, vs := range p.Filter {
		v[k] = append([]string(nil), vs...)
	}
	if p.Limit > 0 {
		v.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Offset > 0 {
		v.Set("offset", strconv.Itoa(p.Offset))
	}
	if p.Mode != LevelNone {
		v.Set("mode", p.Mode.String())
	}
	if p.Search != "" {
		v.Set("search", p.Search)
	}
	if len(p.Ordering) > 0 {
		v.Set("ordering", FormatOrdering(p.Ordering))
	}
	return v
}

// Selection returns the query without its window and mode: which objects it selects
// and in what order, whatever page of them is asked for and at whatever level.
func (p ListParams) Selection() ListParams {
	p.Limit, p.Offset, p.Mode = 0, 0, LevelNone
	return p
}

// ListKey is a ListParams as one comparable value, to key maps and dataloaders with:
// equal parameters have equal keys, and Params gives the parameters back.
type ListKey string

// Key returns the parameters' key: their Values, with search and ordering written even
// when empty and a window out of range kept (so that a query LL2 would refuse does not
// share the key of one it answers), in url.Values' sorted encoding. Cursors carry a
// fingerprint of their query's Selection key, so the key's text must not change: a
// new text would turn away every cursor handed out before.
func (p ListParams) Key() ListKey {
	v := p.Values()
	v.Set("search", p.Search)
	v.Set("ordering", FormatOrdering(p.Ordering))
	if p.Limit < 0 {
		v.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Offset < 0 {
		v.Set("offset", strconv.Itoa(p.Offset))
	}
	return ListKey(v.Encode())
}

// Params returns the parameters k is the key of. It fails only for text that no Key
// wrote.
func (k ListKey) Params() (ListParams, error) {
	v, err := url.ParseQuery(string(k))
	if err != nil {
		return ListParams{}, fmt.Errorf("ll2: list key %q: %w", string(k), err)
	}
	p := ListParams{Search: v.Get("search"), Ordering: parseOrdering(v.Get("ordering")), Filter: url.Values{}}
	for _, n := range []struct {
		name string
		to   *int
	}{{"limit", &p.Limit}, {"offset", &p.Offset}} {
		if s := v.Get(n.name); s != "" {
			if *n.to, err = strconv.Atoi(s); err != nil {
				return ListParams{}, fmt.Errorf("ll2: list key %q: %s %q", string(k), n.name, s)
			}
		}
	}
	if s, ok := v["mode"]; ok {
		var known bool
		if p.Mode, known = ParseLevel(s[0]); !known {
			return ListParams{}, fmt.Errorf("ll2: list key %q: mode %q", string(k), s[0])
		}
	}
	for name, vs := range v {
		switch name {
		case "limit", "offset", "mode", "search", "ordering":
		default:
			p.Filter[name] = vs
		}
	}
	return p, nil
}

// The typed filters below render to ListParams.Filter with Values. A nil field is not
// sent. Names follow LL2's parameters.

func setBool(v url.Values, k string, p *bool) {
	if p != nil {
		v.Set(k, strconv.FormatBool(*p))
	}
}

func setInt(v url.Values, k string, p *int) {
	if p != nil {
		v.Set(k, strconv.Itoa(*p))
	}
}

func setStr(v url.Values, k string, p *string) {
	if p != nil {
		v.Set(k, *p)
	}
}

// SpacecraftFilter holds the filters of `spacecraft/`.
type SpacecraftFilter struct {
	InSpace          *bool
	IsPlaceholder    *bool
	Name             *string
	SpacecraftConfig *int
	Status           *int
}

// Values renders the filter as LL2 parameters.
func (f SpacecraftFilter) Values() url.Values {
	v := url.Values{}
	setBool(v, "in_space", f.InSpace)
	setBool(v, "is_placeholder", f.IsPlaceholder)
	setStr(v, "name", f.Name)
	setInt(v, "spacecraft_config", f.SpacecraftConfig)
	setInt(v, "status", f.Status)
	return v
}

// SpacecraftConfigFilter holds the filters of `spacecraft_configurations/`.
type SpacecraftConfigFilter struct {
	Agency     *int
	HumanRated *bool
	InUse      *bool
	Name       *string
}

// Values renders the filter as LL2 parameters.
func (f SpacecraftConfigFilter) Values() url.Values {
	v := url.Values{}
	setInt(v, "agency", f.Agency)
	setBool(v, "human_rated", f.HumanRated)
	setBool(v, "in_use", f.InUse)
	setStr(v, "name", f.Name)
	return v
}

// FamilyFilter holds the filters of `spacecraft_configuration_families/`.
type FamilyFilter struct {
	Manufacturer *int
	Name         *string
}

// Values renders the filter as LL2 parameters.
func (f FamilyFilter) Values() url.Values {
	v := url.Values{}
	setInt(v, "manufacturer", f.Manufacturer)
	setStr(v, "name", f.Name)
	return v
}

// IntRange is an integer filter with LL2's lookups: equal, greater than (or equal),
// less than (or equal). Set any combination.
type IntRange struct {
	Eq, Gt, Gte, Lt, Lte *int
}

func (r IntRange) set(v url.Values, name string) {
	setInt(v, name, r.Eq)
	setInt(v, name+"__gt", r.Gt)
	setInt(v, name+"__gte", r.Gte)
	setInt(v, name+"__lt", r.Lt)
	setInt(v, name+"__lte", r.Lte)
}

// AgencyFilter holds the filters of `agencies/`. Counts is keyed by the names in
// AgencyCountFields (e.g. "total_launch_count").
type AgencyFilter struct {
	ID                  *int
	Name                *string
	NameContains        *string
	Abbrev              *string
	AbbrevContains      *string
	Description         *string
	DescriptionContains *string
	Featured            *bool
	Spacecraft          *bool
	TypeID              *int
	ParentID            *int
	CountryCode         []string
	FoundingYear        IntRange
	Counts              map[string]IntRange
}

// Values renders the filter as LL2 parameters.
func (f AgencyFilter) Values() url.Values {
	v := url.Values{}
	setInt(v, "id", f.ID)
	setStr(v, "name", f.Name)
	setStr(v, "name__contains", f.NameContains)
	setStr(v, "abbrev", f.Abbrev)
	setStr(v, "abbrev__contains", f.AbbrevContains)
	setStr(v, "description", f.Description)
	setStr(v, "description__contains", f.DescriptionContains)
	setBool(v, "featured", f.Featured)
	setBool(v, "spacecraft", f.Spacecraft)
	setInt(v, "type__id", f.TypeID)
	setInt(v, "parent__id", f.ParentID)
	if len(f.CountryCode) > 0 {
		v.Set("country_code", strings.Join(f.CountryCode, ","))
	}
	f.FoundingYear.set(v, "founding_year")
	for name, r := range f.Counts {
		r.set(v, name)
	}
	return v
}

// SpacecraftFlightFilter holds the filters of `spacecraft_flights/`.
type SpacecraftFlightFilter struct {
	Spacecraft *int
}

// Values renders the filter as LL2 parameters.
func (f SpacecraftFlightFilter) Values() url.Values {
	v := url.Values{}
	setInt(v, "spacecraft", f.Spacecraft)
	return v
}

// DockingEventFilter holds the filters of `docking_events/`: the time of docking by
// range, the docking location, the chaser flight and the target station by id.
type DockingEventFilter struct {
	DockingGt, DockingGte, DockingLt, DockingLte *time.Time
	DockingLocation                              *int
	FlightVehicleChaser                          *int
	SpaceStationTarget                           *int
}

// Values renders the filter as LL2 parameters; times are written in UTC.
func (f DockingEventFilter) Values() url.Values {
	v := url.Values{}
	for _, t := range []struct {
		name string
		p    *time.Time
	}{{"docking__gt", f.DockingGt}, {"docking__gte", f.DockingGte}, {"docking__lt", f.DockingLt}, {"docking__lte", f.DockingLte}} {
		if t.p != nil {
			v.Set(t.name, t.p.UTC().Format(time.RFC3339Nano))
		}
	}
	setInt(v, "docking_location__id", f.DockingLocation)
	setInt(v, "flight_vehicle_chaser__id", f.FlightVehicleChaser)
	setInt(v, "space_station_target__id", f.SpaceStationTarget)
	return v
}
