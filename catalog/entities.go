package catalog

import (
	"encoding/json"
	"time"

	"spacegraph/errs"
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
	// Flights are every flight of the spacecraft, each at the normal level with its
	// launch and landing, known at the detailed level only (nil otherwise). LL2's
	// detailed spacecraft lists them all: a page of detailed spacecraft brings every
	// flight of each in one call (LocalFlights pages them).
	Flights []*SpacecraftFlight
	SpacecraftErrs
}

// SpacecraftFlight is a flight at the list, normal or detailed level. At the list
// level (as a normal docking event embeds it) its launch has only its id, url and name.
type SpacecraftFlight struct {
	ll2.SpacecraftFlightBase
	Level ll2.Level
	// Spacecraft is the flight's spacecraft at the normal level (without its flights).
	Spacecraft *Spacecraft
	Launch     *Launch
	// DockingEvents are the events in which the flight is the chaser, each with the
	// flight at the normal level, known at the detailed level only (nil otherwise).
	DockingEvents []*DockingEvent
	FlightErrs
}

// Launch is a flight's launch (LL2's LaunchNormal), with its provider as an agency at
// the list level. LL2's launch ids are UUIDs (ID); launches have no endpoint here.
type Launch struct {
	ll2.Launch
	// LaunchServiceProvider shadows ll2.Launch's: the same agency as an entity.
	LaunchServiceProvider *Agency
	LaunchErrs
}

// DockingEvent is a docking event at the normal or detailed level: its docking
// location (LL2's, kept as it is), the stations and flights on either side. The chaser
// is a flight (Flight), a station (SpaceStationChaser) or a payload (neither: LL2's
// payload flights are not kept); the target likewise.
type DockingEvent struct {
	ll2.DockingEventBase
	SnapshotMode string
	Level        ll2.Level
	// SpaceStation is the target station, when the target is one.
	SpaceStation       *ll2.SpaceStation
	SpaceStationChaser *ll2.SpaceStation
	// Flight is the chaser flight, when the chaser is one, at the normal level.
	Flight *SpacecraftFlight
	// TargetFlight is the target flight, when the target is one, at the list level (the
	// normal level in an event a detailed flight embeds).
	TargetFlight *SpacecraftFlight
	// PayloadFlightTarget and PayloadFlightChaser are LL2's payload flights, kept
	// verbatim (null when the side is not a payload).
	PayloadFlightTarget json.RawMessage
	PayloadFlightChaser json.RawMessage
	DockingEventErrs
}

// FlightID returns the id of the chaser flight, or 0 when the chaser is not a flight.
func (d *DockingEvent) FlightID() int {
	if d.Flight == nil {
		return 0
	}
	return d.Flight.ID
}

// SpacecraftID returns the id of the flight's spacecraft, or 0.
func (f *SpacecraftFlight) SpacecraftID() int {
	if f.Spacecraft == nil {
		return 0
	}
	return f.Spacecraft.ID
}

// DurationSeconds is the length of Duration in whole seconds.
func (f *SpacecraftFlight) DurationSeconds() *int { return seconds(f.Duration) }

// TurnAroundTimeSeconds is the length of TurnAroundTime in whole seconds.
func (f *SpacecraftFlight) TurnAroundTimeSeconds() *int { return seconds(f.TurnAroundTime) }

// SpacecraftConfig is a configuration at the normal or detailed level.
type SpacecraftConfig struct {
	ll2.SpacecraftConfigBase
	ll2.SpacecraftConfigSpecs
	Level    ll2.Level
	Agency   *Agency
	Families []*Family
	ConfigErrs
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
	FamilyErrs
}

// GlobalID returns the Relay global id.
func (s *Spacecraft) GlobalID() string { return relay.GlobalID(relay.TypeSpacecraft, s.ID) }

// AppendGlobalID appends the Relay global id to b (relay.AppendGlobalID): the fast
// executor writes it so, without a string per object.
func (s *Spacecraft) AppendGlobalID(b []byte) []byte {
	return relay.AppendGlobalID(b, relay.TypeSpacecraft, s.ID)
}

// GlobalID returns the Relay global id.
func (c *SpacecraftConfig) GlobalID() string {
	return relay.GlobalID(relay.TypeSpacecraftConfig, c.ID)
}

// AppendGlobalID appends the Relay global id to b (relay.AppendGlobalID): the fast
// executor writes it so, without a string per object.
func (c *SpacecraftConfig) AppendGlobalID(b []byte) []byte {
	return relay.AppendGlobalID(b, relay.TypeSpacecraftConfig, c.ID)
}

// GlobalID returns the Relay global id.
func (a *Agency) GlobalID() string { return relay.GlobalID(relay.TypeAgency, a.ID) }

// AppendGlobalID appends the Relay global id to b (relay.AppendGlobalID): the fast
// executor writes it so, without a string per object.
func (a *Agency) AppendGlobalID(b []byte) []byte {
	return relay.AppendGlobalID(b, relay.TypeAgency, a.ID)
}

// GlobalID returns the Relay global id.
func (f *Family) GlobalID() string { return relay.GlobalID(relay.TypeFamily, f.ID) }

// AppendGlobalID appends the Relay global id to b (relay.AppendGlobalID): the fast
// executor writes it so, without a string per object.
func (f *Family) AppendGlobalID(b []byte) []byte {
	return relay.AppendGlobalID(b, relay.TypeFamily, f.ID)
}

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
	Spacecraft    []*Spacecraft
	Configs       []*SpacecraftConfig
	Agencies      []*Agency
	Families      []*Family
	Flights       []*SpacecraftFlight
	DockingEvents []*DockingEvent
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
	case *SpacecraftFlight:
		s.Flights = append(s.Flights, n)
	case *DockingEvent:
		s.DockingEvents = append(s.DockingEvents, n)
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
	flights    map[nodeKey]*SpacecraftFlight
	docking    map[nodeKey]*DockingEvent
	launches   map[string]*Launch
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
		flights:    map[nodeKey]*SpacecraftFlight{},
		docking:    map[nodeKey]*DockingEvent{},
		launches:   map[string]*Launch{},
	}
}

func (in *ingest) spacecraftNode(d *ll2.SpacecraftDetailed, l ll2.Level) *Spacecraft {
	k := nodeKey{d.ID, l}
	if n, ok := in.spacecraft[k]; ok {
		return n
	}
	n := &Spacecraft{SpacecraftBase: d.SpacecraftBase, Level: l}
	in.spacecraft[k] = n
	in.seen.Spacecraft = append(in.seen.Spacecraft, n)
	if d.SpacecraftConfig != nil {
		n.Config = in.configNode(d.SpacecraftConfig, l)
	}
	if l >= ll2.LevelDetailed && d.Flights != nil {
		n.Flights = make([]*SpacecraftFlight, len(d.Flights))
		for i := range d.Flights {
			f := d.Flights[i].Upgrade()
			// The flight embeds its spacecraft at the normal level; take it from the
			// detailed record rather than build a second copy of it.
			f.Spacecraft = d
			n.Flights[i] = in.flightNode(f, ll2.LevelNormal)
		}
	}
	return n
}

// flightNode builds a flight at level l: its spacecraft at the normal level (a detailed
// flight's spacecraft also brings its configuration at the detailed level), its
// launch, and at the detailed level its docking events, each with the flight at the
// normal level.
func (in *ingest) flightNode(d *ll2.SpacecraftFlight, l ll2.Level) *SpacecraftFlight {
	k := nodeKey{d.ID, l}
	if n, ok := in.flights[k]; ok {
		return n
	}
	n := &SpacecraftFlight{SpacecraftFlightBase: d.SpacecraftFlightBase, Level: l}
	in.flights[k] = n
	in.seen.Flights = append(in.seen.Flights, n)
	if d.Spacecraft != nil {
		sc := *d.Spacecraft
		sc.Flights = nil
		n.Spacecraft = in.spacecraftNode(&sc, ll2.LevelNormal)
		if l >= ll2.LevelDetailed && sc.SpacecraftConfig != nil {
			in.configNode(sc.SpacecraftConfig, ll2.LevelDetailed)
		}
	}
	n.Launch = in.launch(d.Launch)
	if l >= ll2.LevelDetailed && d.DockingEvents != nil {
		// The events embed their target at the normal level and the flight is their
		// chaser, which they take at the normal level: all that a detailed event has.
		self := *d
		self.DockingEvents = nil
		n.DockingEvents = make([]*DockingEvent, len(d.DockingEvents))
		for i := range d.DockingEvents {
			n.DockingEvents[i] = in.dockingNode(d.DockingEvents[i].Upgrade(&self), ll2.LevelDetailed, ll2.LevelNormal)
		}
	}
	return n
}

// launch builds a launch once per answer, its provider an agency at the list level.
func (in *ingest) launch(d *ll2.Launch) *Launch {
	if d == nil {
		return nil
	}
	// A launch at the list level has no response_mode: it is kept apart from the
	// same launch at the normal level.
	key := d.ID + "|" + d.ResponseMode
	if n, ok := in.launches[key]; ok {
		return n
	}
	n := &Launch{Launch: *d}
	if p := d.LaunchServiceProvider; p != nil {
		n.LaunchServiceProvider = in.agencyNode(p.Upgrade(), ll2.LevelList)
	}
	in.launches[key] = n
	return n
}

// dockingNode builds a docking event at level l: its chaser flight at the normal level
// (the list level in a normal event), its target flight at level target (the list
// level, but the normal level in an event a detailed flight embeds).
func (in *ingest) dockingNode(d *ll2.DockingEvent, l, target ll2.Level) *DockingEvent {
	k := nodeKey{d.ID, l}
	if n, ok := in.docking[k]; ok {
		return n
	}
	n := &DockingEvent{DockingEventBase: d.DockingEventBase, SnapshotMode: d.SnapshotMode, Level: l,
		SpaceStation: d.SpaceStationTarget, SpaceStationChaser: d.SpaceStationChaser,
		PayloadFlightTarget: d.PayloadFlightTarget, PayloadFlightChaser: d.PayloadFlightChaser}
	in.docking[k] = n
	in.seen.DockingEvents = append(in.seen.DockingEvents, n)
	chaser := ll2.LevelList
	if l >= ll2.LevelDetailed {
		chaser = ll2.LevelNormal
	}
	if d.FlightVehicleChaser != nil {
		n.Flight = in.flightNode(d.FlightVehicleChaser, chaser)
	}
	if d.FlightVehicleTarget != nil {
		n.TargetFlight = in.flightNode(d.FlightVehicleTarget, target)
	}
	return n
}

// dockingEventNode builds a docking event of a docking_events/ answer at level l.
func (in *ingest) dockingEventNode(d *ll2.DockingEvent, l ll2.Level) *DockingEvent {
	return in.dockingNode(d, l, ll2.LevelList)
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

// The embedded objects are plain fields for the GraphQL layer, which marshals them
// inline rather than as concurrent resolvers. Before the layer hands out an entity it
// brings each embedded object to the level the selection needs (graph's upgrade), on a
// per-request copy of the entity; when that fails, the copy records the error in the
// field's Err, and the accessor below answers it at the field's path with the
// leaner object dropped. Entities shared between requests never hold an error.

// Embedded errors of a per-request copy; see above.
type (
	// SpacecraftErrs are a spacecraft copy's embedded errors.
	SpacecraftErrs struct {
		// ConfigErr is why the configuration could not be brought.
		ConfigErr error `json:"-"`
	}
	// ConfigErrs are a configuration copy's embedded errors.
	ConfigErrs struct {
		// AgencyErr and FamiliesErr are why the agency or the families could not be
		// brought.
		AgencyErr, FamiliesErr error `json:"-"`
	}
	// FamilyErrs are a family copy's embedded errors.
	FamilyErrs struct {
		// ManufacturerErr and ParentErr are why the manufacturer or the parent family
		// could not be brought.
		ManufacturerErr, ParentErr error `json:"-"`
	}
	// FlightErrs are a flight copy's embedded errors.
	FlightErrs struct {
		// SpacecraftErr is why the flight's spacecraft could not be brought.
		SpacecraftErr error `json:"-"`
	}
	// LaunchErrs are a launch copy's embedded errors.
	LaunchErrs struct {
		// LaunchServiceProviderErr is why the provider could not be brought.
		LaunchServiceProviderErr error `json:"-"`
	}
	// DockingEventErrs are a docking event copy's embedded errors.
	DockingEventErrs struct {
		// FlightErr is why the chaser flight could not be brought.
		FlightErr error `json:"-"`
	}
)

// ConfigOrErr returns the spacecraft's configuration or why it could not be brought.
// LL2 gives every spacecraft a configuration: one without is LL2's bad answer.
func (s *Spacecraft) ConfigOrErr() (*SpacecraftConfig, error) {
	if s.ConfigErr != nil {
		return nil, s.ConfigErr
	}
	if s.Config == nil {
		return nil, errs.E(errs.UpstreamBadResponse, "LL2 gave spacecraft %d no configuration", s.ID)
	}
	return s.Config, nil
}

// AgencyOrErr returns the configuration's agency or why it could not be brought. LL2
// gives every configuration an agency: one without is LL2's bad answer.
func (c *SpacecraftConfig) AgencyOrErr() (*Agency, error) {
	if c.AgencyErr != nil {
		return nil, c.AgencyErr
	}
	if c.Agency == nil {
		return nil, errs.E(errs.UpstreamBadResponse, "LL2 gave configuration %d no agency", c.ID)
	}
	return c.Agency, nil
}

// FamiliesOrErr returns the configuration's families or why they could not be
// brought.
func (c *SpacecraftConfig) FamiliesOrErr() ([]*Family, error) {
	if c.FamiliesErr != nil {
		return nil, c.FamiliesErr
	}
	return c.Families, nil
}

// ManufacturerOrErr returns the family's manufacturer or why it could not be brought.
func (f *Family) ManufacturerOrErr() (*Agency, error) {
	if f.ManufacturerErr != nil {
		return nil, f.ManufacturerErr
	}
	return f.Manufacturer, nil
}

// ParentOrErr returns the family's parent family or why it could not be brought.
func (f *Family) ParentOrErr() (*Family, error) {
	if f.ParentErr != nil {
		return nil, f.ParentErr
	}
	return f.Parent, nil
}

// SpacecraftOrErr returns the flight's spacecraft or why it could not be brought.
func (f *SpacecraftFlight) SpacecraftOrErr() (*Spacecraft, error) {
	if f.SpacecraftErr != nil {
		return nil, f.SpacecraftErr
	}
	return f.Spacecraft, nil
}

// LaunchServiceProviderOrErr returns the launch's provider or why it could not be
// brought.
func (l *Launch) LaunchServiceProviderOrErr() (*Agency, error) {
	if l.LaunchServiceProviderErr != nil {
		return nil, l.LaunchServiceProviderErr
	}
	return l.LaunchServiceProvider, nil
}

// FlightOrErr returns the event's chaser flight or why it could not be brought.
func (d *DockingEvent) FlightOrErr() (*SpacecraftFlight, error) {
	if d.FlightErr != nil {
		return nil, d.FlightErr
	}
	return d.Flight, nil
}
