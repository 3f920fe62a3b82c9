package catalog

import (
	"time"

	"spacegraph/ll2"
	"spacegraph/relay"
)

// LevelWithConfigs is a family as its own endpoint gives it at the detailed level:
// the detailed fields plus the list of its configurations. A family embedded in a
// detailed configuration is only LevelDetailed: it has the counts but not the list.
const LevelWithConfigs = ll2.LevelDetailed + 1

// The entities below are the gateway's view of LL2 objects: the fields of the level
// they came at (fields above Level are nil), and the objects they embed as entities
// of their own, each with the level LL2 embeds it at. Entities are shared between
// requests once built: never modify one.

// Spacecraft is a spacecraft at the normal or detailed level.
type Spacecraft struct {
	ll2.SpacecraftBase
	Level ll2.Level
	// Config is the spacecraft's configuration, at the level the spacecraft's level embeds.
	Config *SpacecraftConfig
	// Flights are known at the detailed level only (nil otherwise).
	Flights []ll2.SpacecraftFlight
}

// SpacecraftConfig is a configuration at the normal or detailed level.
type SpacecraftConfig struct {
	ll2.SpacecraftConfigBase
	ll2.SpacecraftConfigSpecs
	Level    ll2.Level
	Agency   *Agency
	Families []*Family
}

// Agency is an agency at the list, normal or detailed level.
type Agency struct {
	ll2.AgencyNormal
	ll2.AgencyStats
	InfoURL          *string
	WikiURL          *string
	SocialMediaLinks []ll2.SocialMediaLink
	Level            ll2.Level
	// Configs is the agency's spacecraft_list, known at the detailed level only.
	Configs []*SpacecraftConfig
}

// Family is a configuration family at the list, normal, detailed or LevelWithConfigs level.
type Family struct {
	ll2.FamilyMini
	Description  *string
	MaidenFlight *ll2.Date
	ll2.FamilyStats
	Level        ll2.Level
	Manufacturer *Agency
	Parent       *Family
	// Configs lists the family's configurations (normal level), at LevelWithConfigs only.
	Configs []*SpacecraftConfig
}

// GlobalID returns the Relay global id.
func (s *Spacecraft) GlobalID() string { return relay.GlobalID(relay.TypeSpacecraft, s.ID) }

// GlobalID returns the Relay global id.
func (c *SpacecraftConfig) GlobalID() string {
	return relay.GlobalID(relay.TypeSpacecraftConfig, c.ID)
}

// GlobalID returns the Relay global id.
func (a *Agency) GlobalID() string { return relay.GlobalID(relay.TypeAgency, a.ID) }

// GlobalID returns the Relay global id.
func (f *Family) GlobalID() string { return relay.GlobalID(relay.TypeFamily, f.ID) }

func seconds(d *ll2.Duration) *int {
	if d == nil {
		return nil
	}
	n := int(d.WholeSeconds())
	return &n
}

// TimeInSpaceSeconds is the length of TimeInSpace in whole seconds.
func (s *Spacecraft) TimeInSpaceSeconds() *int { return seconds(s.TimeInSpace) }

// TimeDockedSeconds is the length of TimeDocked in whole seconds.
func (s *Spacecraft) TimeDockedSeconds() *int { return seconds(s.TimeDocked) }

// FastestTurnaroundSeconds is the length of FastestTurnaround in whole seconds.
func (s *Spacecraft) FastestTurnaroundSeconds() *int { return seconds(s.FastestTurnaround) }

// FastestTurnaroundSeconds is the length of FastestTurnaround in whole seconds.
func (c *SpacecraftConfig) FastestTurnaroundSeconds() *int { return seconds(c.FastestTurnaround) }

// Seen is every entity one response brought, for priming loaders and caches.
type Seen struct {
	Spacecraft []*Spacecraft
	Configs    []*SpacecraftConfig
	Agencies   []*Agency
	Families   []*Family
	// Fetched is when the LL2 answer the entities came from was fetched (zero: now),
	// and Expires when that answer stops being fresh (zero: unknown; Fetched or
	// earlier: it was served stale). An entity is as old and as fresh as its answer.
	Fetched time.Time
	Expires time.Time
}

// add records an entity of any kind.
func (s *Seen) add(v any) {
	switch n := v.(type) {
	case *Spacecraft:
		s.Spacecraft = append(s.Spacecraft, n)
	case *SpacecraftConfig:
		s.Configs = append(s.Configs, n)
	case *Agency:
		s.Agencies = append(s.Agencies, n)
	case *Family:
		s.Families = append(s.Families, n)
	}
}

type nodeKey struct {
	id    int
	level ll2.Level
}

// ingest turns one response's LL2 objects into entities, building each (object,
// level) once however often the response embeds it, and records them in seen.
type ingest struct {
	seen       Seen
	spacecraft map[nodeKey]*Spacecraft
	configs    map[nodeKey]*SpacecraftConfig
	agencies   map[nodeKey]*Agency
	families   map[nodeKey]*Family
}

// newIngest returns an ingest of the entities of an answer fetched and fresh until
// as src says.
func newIngest(src source) *ingest {
	return &ingest{
		seen:       Seen{Fetched: src.fetched, Expires: src.expires},
		spacecraft: map[nodeKey]*Spacecraft{},
		configs:    map[nodeKey]*SpacecraftConfig{},
		agencies:   map[nodeKey]*Agency{},
		families:   map[nodeKey]*Family{},
	}
}

func (in *ingest) spacecraftNode(d *ll2.SpacecraftDetailed, l ll2.Level) *Spacecraft {
	k := nodeKey{d.ID, l}
	if n, ok := in.spacecraft[k]; ok {
		return n
	}
	n := &Spacecraft{SpacecraftBase: d.SpacecraftBase, Level: l}
	if l >= ll2.LevelDetailed {
		n.Flights = d.Flights
	}
	in.spacecraft[k] = n
	in.seen.Spacecraft = append(in.seen.Spacecraft, n)
	if d.SpacecraftConfig != nil {
		n.Config = in.configNode(d.SpacecraftConfig, l)
	}
	return n
}

// configNode builds a configuration at level l: its agency one level lower (list in a
// normal configuration, normal in a detailed one), its families at l.
func (in *ingest) configNode(d *ll2.SpacecraftConfigDetailed, l ll2.Level) *SpacecraftConfig {
	k := nodeKey{d.ID, l}
	if n, ok := in.configs[k]; ok {
		return n
	}
	n := &SpacecraftConfig{SpacecraftConfigBase: d.SpacecraftConfigBase, Level: l}
	if l >= ll2.LevelDetailed {
		n.SpacecraftConfigSpecs = d.SpacecraftConfigSpecs
	}
	in.configs[k] = n
	in.seen.Configs = append(in.seen.Configs, n)
	if d.Agency != nil {
		n.Agency = in.agencyNode(d.Agency.Upgrade(), l-1)
	}
	if d.Family != nil {
		n.Families = make([]*Family, len(d.Family))
		for i := range d.Family {
			n.Families[i] = in.familyNode(d.Family[i].Upgrade(), l)
		}
	}
	return n
}

func (in *ingest) agencyNode(d *ll2.AgencyDetailed, l ll2.Level) *Agency {
	k := nodeKey{d.ID, l}
	if n, ok := in.agencies[k]; ok {
		return n
	}
	n := &Agency{AgencyNormal: d.AgencyNormal, Level: l}
	if l >= ll2.LevelDetailed {
		n.AgencyStats = d.AgencyStats
		n.InfoURL, n.WikiURL = d.InfoURL, d.WikiURL
		n.SocialMediaLinks = d.SocialMediaLinks
	}
	in.agencies[k] = n
	in.seen.Agencies = append(in.seen.Agencies, n)
	if l >= ll2.LevelDetailed && d.SpacecraftList != nil {
		n.Configs = make([]*SpacecraftConfig, len(d.SpacecraftList))
		for i := range d.SpacecraftList {
			n.Configs[i] = in.configNode(&d.SpacecraftList[i], ll2.LevelDetailed)
		}
	}
	return n
}

// familyNode builds a family at level l: its manufacturer and parent one level lower
// (a normal family embeds list-level ones, a detailed family normal-level ones).
func (in *ingest) familyNode(d *ll2.FamilyEndpointDetailed, l ll2.Level) *Family {
	k := nodeKey{d.ID, l}
	if n, ok := in.families[k]; ok {
		return n
	}
	n := &Family{FamilyMini: d.FamilyMini, Level: l}
	if l >= ll2.LevelNormal {
		n.Description, n.MaidenFlight = d.Description, d.MaidenFlight
	}
	if l >= ll2.LevelDetailed {
		n.FamilyStats = d.FamilyStats
	}
	in.families[k] = n
	in.seen.Families = append(in.seen.Families, n)
	inner := min(l, ll2.LevelDetailed) - 1
	if l >= ll2.LevelNormal && d.Manufacturer != nil {
		n.Manufacturer = in.agencyNode(d.Manufacturer.Upgrade(), inner)
	}
	if l >= ll2.LevelNormal && d.Parent != nil {
		n.Parent = in.familyNode(d.Parent.Upgrade(), inner)
	}
	if l >= LevelWithConfigs {
		n.Configs = make([]*SpacecraftConfig, len(d.Spacecraft))
		for i := range d.Spacecraft {
			n.Configs[i] = in.configNode(d.Spacecraft[i].Upgrade(), ll2.LevelNormal)
		}
	}
	return n
}
