package snapshot

import (
	"encoding/json"
	"fmt"

	"spacegraph/ll2"
)

//go:generate go run ./internal/genembedded

// leveled is a record with the level it holds, so that a richer sighting of the same
// object replaces a leaner one.
type leveled[T any] struct {
	v     *T
	level ll2.Level
}

// Collector gathers objects from LL2 responses into per-endpoint collections, keeping
// for each object its richest sighting, and the lookup rows that the objects embed.
// Each record it returns says in its snapshot_mode the level it holds: the level of
// the sighting, or less where the sighting itself said so (a page of a built-in server
// over a partial snapshot).
//
// A spacecraft seen at the detailed level brings every one of its flights (at the
// normal level): once one is seen, Data's Flights is not nil. Docking events are not
// collected: no spacecraft page shows them all.
type Collector struct {
	spacecraft map[int]leveled[ll2.SpacecraftDetailed]
	configs    map[int]leveled[ll2.SpacecraftConfigDetailed]
	agencies   map[int]leveled[ll2.AgencyDetailed]
	families   map[int]leveled[ll2.FamilyEndpointDetailed]
	flights    map[int]leveled[ll2.SpacecraftFlight]
	// flightsKnown is set once some spacecraft's whole list of flights is seen.
	flightsKnown bool
	lookups      map[string]map[int]ll2.Lookup
}

// NewCollector returns an empty collector.
func NewCollector() *Collector {
	return &Collector{
		spacecraft: map[int]leveled[ll2.SpacecraftDetailed]{},
		configs:    map[int]leveled[ll2.SpacecraftConfigDetailed]{},
		agencies:   map[int]leveled[ll2.AgencyDetailed]{},
		families:   map[int]leveled[ll2.FamilyEndpointDetailed]{},
		flights:    map[int]leveled[ll2.SpacecraftFlight]{},
		lookups:    map[string]map[int]ll2.Lookup{},
	}
}

func keep[T any](m map[int]leveled[T], id int, v *T, l ll2.Level, snapshotMode string) {
	l = ll2.HeldLevel(l, snapshotMode)
	if old, ok := m[id]; ok && old.level >= l {
		return
	}
	m[id] = leveled[T]{v: v, level: l}
}

func (c *Collector) lookup(path string, id int, raw map[string]any) {
	m := c.lookups[path]
	if m == nil {
		m = map[int]ll2.Lookup{}
		c.lookups[path] = m
	}
	if _, ok := m[id]; ok {
		return
	}
	name, _ := raw["name"].(string)
	m[id] = ll2.Lookup{ID: id, Name: name, Raw: raw}
}

func strOrNil(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func (c *Collector) image(img *ll2.Image) {
	if img == nil {
		return
	}
	l := img.License
	row := map[string]any{"id": l.ID, "name": strOrNil(l.Name), "priority": nil, "link": strOrNil(l.Link)}
	if l.Priority != nil {
		row["priority"] = *l.Priority
	}
	c.lookup(ll2.PathImageLicenses, l.ID, row)
	for _, v := range img.Variants {
		c.lookup(ll2.PathImageVariantTypes, v.Type.ID, map[string]any{"id": v.Type.ID, "name": strOrNil(v.Type.Name)})
	}
}

// AddSpacecraft records a spacecraft seen at level l and everything it embeds, at the
// levels LL2 embeds them.
func (c *Collector) AddSpacecraft(s *ll2.SpacecraftDetailed, l ll2.Level) {
	keep(c.spacecraft, s.ID, s, l, s.SnapshotMode)
	c.image(s.Image)
	if s.Status != nil {
		c.lookup(ll2.PathSpacecraftStatuses, s.Status.ID, map[string]any{"id": s.Status.ID, "name": s.Status.Name})
	}
	if s.SpacecraftConfig != nil {
		c.AddConfig(s.SpacecraftConfig, l)
	}
	if ll2.HeldLevel(l, s.SnapshotMode) >= ll2.LevelDetailed && s.Flights != nil {
		c.flightsKnown = true
		for i := range s.Flights {
			f := s.Flights[i].Upgrade()
			c.AddFlight(f, ll2.LevelNormal)
		}
	}
}

// AddFlight records a flight seen at level l and what it embeds: its spacecraft at
// the normal level (a detailed flight's spacecraft has no flights), its launch's
// provider at the list level, and their images and lookup rows.
func (c *Collector) AddFlight(f *ll2.SpacecraftFlight, l ll2.Level) {
	keep(c.flights, f.ID, f, l, f.SnapshotMode)
	if f.Spacecraft != nil {
		sc := *f.Spacecraft
		sc.Flights = nil
		c.AddSpacecraft(&sc, ll2.LevelNormal)
		if l >= ll2.LevelDetailed && sc.SpacecraftConfig != nil {
			c.AddConfig(sc.SpacecraftConfig, ll2.LevelDetailed)
		}
	}
	if f.Launch != nil {
		c.image(f.Launch.Image)
		if p := f.Launch.LaunchServiceProvider; p != nil {
			c.AddAgency(p.Upgrade(), ll2.LevelList)
		}
	}
}

// FlightsKnown reports whether some spacecraft was seen with its whole list of
// flights (at the detailed level).
func (c *Collector) FlightsKnown() bool { return c.flightsKnown }

// AddConfig records a configuration seen at level l (normal or detailed) and what it
// embeds: its agency one level lower, its families at the matching level.
func (c *Collector) AddConfig(cfg *ll2.SpacecraftConfigDetailed, l ll2.Level) {
	keep(c.configs, cfg.ID, cfg, l, cfg.SnapshotMode)
	c.image(cfg.Image)
	if cfg.Type != nil {
		c.lookup(ll2.PathConfigTypes, cfg.Type.ID, map[string]any{"id": cfg.Type.ID, "name": cfg.Type.Name})
	}
	if cfg.Agency != nil {
		c.AddAgency(cfg.Agency.Upgrade(), l-1)
	}
	for i := range cfg.Family {
		c.AddFamily(cfg.Family[i].Upgrade(), l)
	}
}

// AddAgency records an agency seen at level l.
func (c *Collector) AddAgency(a *ll2.AgencyDetailed, l ll2.Level) {
	keep(c.agencies, a.ID, a, l, a.SnapshotMode)
	c.lookup(ll2.PathAgencyTypes, a.Type.ID, map[string]any{"id": a.Type.ID, "name": strOrNil(a.Type.Name)})
	for _, img := range []*ll2.Image{a.Image, a.Logo, a.SocialLogo} {
		c.image(img)
	}
	for _, k := range a.Country {
		c.lookup(ll2.PathCountries, k.ID, map[string]any{
			"id": k.ID, "name": strOrNil(k.Name), "alpha_2_code": strOrNil(k.Alpha2Code), "alpha_3_code": strOrNil(k.Alpha3Code),
			"nationality_name": strOrNil(k.NationalityName), "nationality_name_composed": strOrNil(k.NationalityNameComposed),
		})
	}
	for i := range a.SpacecraftList {
		c.AddConfig(&a.SpacecraftList[i], ll2.LevelDetailed)
	}
}

// AddFamily records a family seen at level l, its manufacturer and parent one level lower.
func (c *Collector) AddFamily(f *ll2.FamilyEndpointDetailed, l ll2.Level) {
	keep(c.families, f.ID, f, l, f.SnapshotMode)
	if f.Manufacturer != nil {
		c.AddAgency(f.Manufacturer.Upgrade(), l-1)
	}
	if f.Parent != nil {
		c.AddFamily(f.Parent.Upgrade(), l-1)
	}
	for i := range f.Spacecraft {
		c.AddConfig(f.Spacecraft[i].Upgrade(), ll2.LevelNormal)
	}
}

// AddSpacecraftPage decodes one page of `spacecraft/` (normal or detailed) and records
// every object in it.
func (c *Collector) AddSpacecraftPage(body []byte) error {
	var p ll2.Page[*ll2.SpacecraftDetailed]
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Errorf("snapshot: spacecraft page: %w", err)
	}
	for i, s := range p.Results {
		if s == nil {
			return fmt.Errorf("snapshot: spacecraft page: result %d is null", i)
		}
		l, ok := ll2.ParseLevel(s.ResponseMode)
		if !ok || l == ll2.LevelList {
			return fmt.Errorf("snapshot: spacecraft %d: response_mode %q", s.ID, s.ResponseMode)
		}
		c.AddSpacecraft(s, l)
	}
	return nil
}

// Data returns the collections gathered so far, each record a copy whose
// snapshot_mode is the level it holds.
func (c *Collector) Data() Data {
	d := Data{Lookups: map[string][]ll2.Lookup{}, LookupsFromRecords: true}
	d.Spacecraft = values(c.spacecraft, func(s *ll2.SpacecraftDetailed) *string { return &s.SnapshotMode })
	d.Configs = values(c.configs, func(s *ll2.SpacecraftConfigDetailed) *string { return &s.SnapshotMode })
	d.Agencies = values(c.agencies, func(s *ll2.AgencyDetailed) *string { return &s.SnapshotMode })
	d.Families = values(c.families, func(s *ll2.FamilyEndpointDetailed) *string { return &s.SnapshotMode })
	if c.flightsKnown || len(c.flights) > 0 {
		d.Flights = values(c.flights, func(f *ll2.SpacecraftFlight) *string { return &f.SnapshotMode })
	}
	// A spacecraft's flights are the flight records whose spacecraft it is: its own
	// list (on a copy of the sighting) would be a second copy.
	for _, s := range d.Spacecraft {
		s.Flights = nil
	}
	for p, m := range c.lookups {
		for _, r := range m {
			d.Lookups[p] = append(d.Lookups[p], r)
		}
	}
	return d
}

// values copies the records of m, stamping each with the level it holds: a sighting
// may be embedded in another object, which must not change.
func values[T any](m map[int]leveled[T], mode func(*T) *string) []*T {
	out := make([]*T, 0, len(m))
	for _, v := range m {
		t := *v.v
		*mode(&t) = v.level.String()
		out = append(out, &t)
	}
	return out
}

// FromPages builds a snapshot from pages of `spacecraft/` (as LL2 returns them, any
// level): the spacecraft and every configuration, agency and family they embed, each
// at the richest level seen, plus the lookup rows they embed. Nothing is invented:
// what no page shows stays nil.
func FromPages(pages ...[]byte) (Data, error) {
	c := NewCollector()
	for _, p := range pages {
		if err := c.AddSpacecraftPage(p); err != nil {
			return Data{}, err
		}
	}
	return c.Data(), nil
}
