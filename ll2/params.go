package ll2

import (
	"net/url"
	"strconv"
	"strings"
)

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
