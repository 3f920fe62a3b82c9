package ll2

// This file converts between levels of detail. Upgrade puts an object of any level
// into the detailed container of its kind, leaving what the level does not carry nil;
// the projections cut a detailed object down to a lower level with LL2's nesting, and
// set response_mode as LL2 does at that level. Projections share slices and pointers
// with their source: objects are treated as immutable once built.

// Upgrade returns the agency in the detailed container; fields above the list level are nil.
func (a AgencyMini) Upgrade() *AgencyDetailed {
	return &AgencyDetailed{AgencyNormal: AgencyNormal{AgencyMini: a}}
}

// Upgrade returns the agency in the detailed container; the detailed fields are nil.
func (a AgencyNormal) Upgrade() *AgencyDetailed {
	return &AgencyDetailed{AgencyNormal: a}
}

// Mini projects the agency to the list level.
func (a *AgencyDetailed) Mini() AgencyMini {
	m := a.AgencyMini
	m.ResponseMode = LevelList.String()
	return m
}

// Normal projects the agency to the normal level.
func (a *AgencyDetailed) Normal() AgencyNormal {
	n := a.AgencyNormal
	n.ResponseMode = LevelNormal.String()
	return n
}

// Detailed returns the agency with LL2's detailed nesting and response modes; its
// spacecraft_list holds detailed configurations.
func (a *AgencyDetailed) Detailed() AgencyDetailed {
	d := *a
	d.ResponseMode = LevelDetailed.String()
	if a.SpacecraftList != nil {
		d.SpacecraftList = make([]SpacecraftConfigDetailed, len(a.SpacecraftList))
		for i := range a.SpacecraftList {
			d.SpacecraftList[i] = a.SpacecraftList[i].Detailed()
		}
	}
	return d
}

func upgradeAgencyMini(a *AgencyMini) *AgencyNormal {
	if a == nil {
		return nil
	}
	return &AgencyNormal{AgencyMini: *a}
}

func upgradeFamilyMini(f *FamilyMini) *FamilyNormal {
	if f == nil {
		return nil
	}
	return &FamilyNormal{FamilyMini: *f}
}

// Upgrade returns the family in the detailed container; fields above the list level are nil.
func (f FamilyMini) Upgrade() *FamilyEndpointDetailed {
	return &FamilyEndpointDetailed{FamilyDetailed: FamilyDetailed{FamilyMini: f}}
}

// Upgrade returns the family in the detailed container; counts and configurations are nil.
func (f FamilyNormal) Upgrade() *FamilyEndpointDetailed {
	return &FamilyEndpointDetailed{FamilyDetailed: f.embedded()}
}

func (f FamilyNormal) embedded() FamilyDetailed {
	return FamilyDetailed{
		FamilyMini:   f.FamilyMini,
		Description:  f.Description,
		Manufacturer: upgradeAgencyMini(f.Manufacturer),
		Parent:       upgradeFamilyMini(f.Parent),
		MaidenFlight: f.MaidenFlight,
	}
}

// Upgrade returns the family in the detailed container; its configurations are nil.
func (f FamilyDetailed) Upgrade() *FamilyEndpointDetailed {
	return &FamilyEndpointDetailed{FamilyDetailed: f}
}

// Mini projects the family to the list level.
func (f *FamilyDetailed) Mini() FamilyMini {
	m := f.FamilyMini
	m.ResponseMode = LevelList.String()
	return m
}

// Normal projects the family to the normal level: manufacturer and parent at the list level.
func (f *FamilyDetailed) Normal() FamilyNormal {
	n := FamilyNormal{
		FamilyMini:   f.FamilyMini,
		Description:  f.Description,
		MaidenFlight: f.MaidenFlight,
	}
	n.ResponseMode = LevelNormal.String()
	if f.Manufacturer != nil {
		m := f.Manufacturer.AgencyMini
		m.ResponseMode = LevelList.String()
		n.Manufacturer = &m
	}
	if f.Parent != nil {
		p := f.Parent.FamilyMini
		p.ResponseMode = LevelList.String()
		n.Parent = &p
	}
	return n
}

// Embedded projects the family to the shape a detailed configuration embeds. LL2's
// schema gives that shape the response_mode "normal", and so does this.
func (f *FamilyDetailed) Embedded() FamilyDetailed {
	d := *f
	d.ResponseMode = LevelNormal.String()
	if f.Manufacturer != nil {
		m := *f.Manufacturer
		m.ResponseMode = LevelNormal.String()
		d.Manufacturer = &m
	}
	if f.Parent != nil {
		p := *f.Parent
		p.ResponseMode = LevelNormal.String()
		d.Parent = &p
	}
	return d
}

// Detailed returns the family as its own endpoint gives it at the detailed level.
func (f *FamilyEndpointDetailed) Detailed() FamilyEndpointDetailed {
	d := FamilyEndpointDetailed{FamilyDetailed: f.Embedded(), Spacecraft: f.Spacecraft}
	d.ResponseMode = LevelDetailed.String()
	return d
}

// Upgrade returns the configuration in the detailed container: the agency and families
// keep what the normal level gave, the specs are nil.
func (c SpacecraftConfigNormal) Upgrade() *SpacecraftConfigDetailed {
	d := &SpacecraftConfigDetailed{SpacecraftConfigBase: c.SpacecraftConfigBase, Agency: upgradeAgencyMini(c.Agency)}
	if c.Family != nil {
		d.Family = make([]FamilyDetailed, len(c.Family))
		for i, f := range c.Family {
			d.Family[i] = f.embedded()
		}
	}
	return d
}

// Normal projects the configuration to the normal level.
func (c *SpacecraftConfigDetailed) Normal() SpacecraftConfigNormal {
	n := SpacecraftConfigNormal{SpacecraftConfigBase: c.SpacecraftConfigBase}
	n.ResponseMode = LevelNormal.String()
	if c.Agency != nil {
		m := c.Agency.AgencyMini
		m.ResponseMode = LevelList.String()
		n.Agency = &m
	}
	if c.Family != nil {
		n.Family = make([]FamilyNormal, len(c.Family))
		for i := range c.Family {
			n.Family[i] = c.Family[i].Normal()
		}
	}
	return n
}

// Detailed returns the configuration with LL2's detailed nesting and response modes.
func (c *SpacecraftConfigDetailed) Detailed() SpacecraftConfigDetailed {
	d := *c
	d.ResponseMode = LevelDetailed.String()
	if c.Agency != nil {
		a := *c.Agency
		a.ResponseMode = LevelNormal.String()
		d.Agency = &a
	}
	if c.Family != nil {
		d.Family = make([]FamilyDetailed, len(c.Family))
		for i := range c.Family {
			d.Family[i] = c.Family[i].Embedded()
		}
	}
	return d
}

// Upgrade returns the spacecraft in the detailed container: its configuration upgraded,
// its flights nil.
func (s SpacecraftNormal) Upgrade() *SpacecraftDetailed {
	d := &SpacecraftDetailed{SpacecraftBase: s.SpacecraftBase}
	if s.SpacecraftConfig != nil {
		d.SpacecraftConfig = s.SpacecraftConfig.Upgrade()
	}
	return d
}

// Normal projects the spacecraft to the normal level.
func (s *SpacecraftDetailed) Normal() SpacecraftNormal {
	n := SpacecraftNormal{SpacecraftBase: s.SpacecraftBase}
	n.ResponseMode = LevelNormal.String()
	if s.SpacecraftConfig != nil {
		c := s.SpacecraftConfig.Normal()
		n.SpacecraftConfig = &c
	}
	return n
}

// Detailed returns the spacecraft with LL2's detailed nesting and response modes.
func (s *SpacecraftDetailed) Detailed() SpacecraftDetailed {
	d := *s
	d.ResponseMode = LevelDetailed.String()
	if s.SpacecraftConfig != nil {
		c := s.SpacecraftConfig.Detailed()
		d.SpacecraftConfig = &c
	}
	return d
}

// Embedded projects the spacecraft to the shape a detailed flight embeds (LL2's
// SpacecraftDetailed): its configuration at the detailed level and no flights. LL2's
// schema gives that shape the response_mode "normal", and so does this.
func (s *SpacecraftDetailed) Embedded() SpacecraftDetailedEmbedded {
	e := SpacecraftDetailedEmbedded{SpacecraftBase: s.SpacecraftBase}
	e.ResponseMode = LevelNormal.String()
	if s.SpacecraftConfig != nil {
		c := s.SpacecraftConfig.Detailed()
		e.SpacecraftConfig = &c
	}
	return e
}

// Upgrade returns the flight in its container: the spacecraft upgraded, the detailed
// fields nil.
func (f SpacecraftFlightNormal) Upgrade() *SpacecraftFlight {
	d := &SpacecraftFlight{SpacecraftFlightBase: f.SpacecraftFlightBase, Launch: f.Launch}
	if f.Spacecraft != nil {
		d.Spacecraft = f.Spacecraft.Upgrade()
	}
	return d
}

func (f *SpacecraftFlight) normalSpacecraft() *SpacecraftNormal {
	if f.Spacecraft == nil {
		return nil
	}
	n := f.Spacecraft.Normal()
	return &n
}

// Mini projects the flight to the list level: its launch at the list level, no
// response_mode.
func (f *SpacecraftFlight) Mini() SpacecraftFlightMini {
	m := SpacecraftFlightMini{SpacecraftFlightBase: f.SpacecraftFlightBase, Spacecraft: f.normalSpacecraft()}
	m.ResponseMode = ""
	if f.Launch != nil {
		l := f.Launch.Mini()
		m.Launch = &l
	}
	return m
}

// Normal projects the flight to the normal level.
func (f *SpacecraftFlight) Normal() SpacecraftFlightNormal {
	n := SpacecraftFlightNormal{SpacecraftFlightBase: f.SpacecraftFlightBase, Spacecraft: f.normalSpacecraft(), Launch: f.Launch}
	n.ResponseMode = LevelNormal.String()
	return n
}

// Detailed returns the flight with LL2's detailed nesting: the spacecraft with its
// detailed configuration and no flights.
func (f *SpacecraftFlight) Detailed() SpacecraftFlightDetailed {
	d := SpacecraftFlightDetailed{
		SpacecraftFlightBase: f.SpacecraftFlightBase,
		Launch:               f.Launch,
		LaunchCrew:           f.LaunchCrew,
		OnboardCrew:          f.OnboardCrew,
		LandingCrew:          f.LandingCrew,
		DockingEvents:        f.DockingEvents,
	}
	d.ResponseMode = LevelDetailed.String()
	if f.Spacecraft != nil {
		e := f.Spacecraft.Embedded()
		d.Spacecraft = &e
	}
	return d
}

// Upgrade returns the event in its container, chaser being the flight that embeds it
// (nil when not known).
func (e DockingEventForChaser) Upgrade(chaser *SpacecraftFlight) *DockingEvent {
	d := &DockingEvent{DockingEventBase: e.DockingEventBase, SpaceStationTarget: e.SpaceStationTarget, PayloadFlightTarget: e.PayloadFlightTarget, FlightVehicleChaser: chaser}
	if e.FlightVehicleTarget != nil {
		d.FlightVehicleTarget = e.FlightVehicleTarget.Upgrade()
	}
	return d
}

func miniStation(s *SpaceStation) *SpaceStationMini {
	if s == nil {
		return nil
	}
	m := s.Mini()
	return &m
}

func miniFlight(f *SpacecraftFlight) *SpacecraftFlightMini {
	if f == nil {
		return nil
	}
	m := f.Mini()
	return &m
}

func normalFlight(f *SpacecraftFlight) *SpacecraftFlightNormal {
	if f == nil {
		return nil
	}
	n := f.Normal()
	return &n
}

// Normal projects the event to the normal level: target and chaser at the list level.
func (d *DockingEvent) Normal() DockingEventNormal {
	return DockingEventNormal{
		ResponseMode:        LevelNormal.String(),
		SnapshotMode:        d.SnapshotMode,
		DockingEventBase:    d.DockingEventBase,
		SpaceStationTarget:  miniStation(d.SpaceStationTarget),
		FlightVehicleTarget: miniFlight(d.FlightVehicleTarget),
		PayloadFlightTarget: d.PayloadFlightTarget,
		FlightVehicleChaser: miniFlight(d.FlightVehicleChaser),
		SpaceStationChaser:  miniStation(d.SpaceStationChaser),
		PayloadFlightChaser: d.PayloadFlightChaser,
	}
}

// Detailed projects the event to the detailed level: the target at the list level,
// the chaser at the normal level.
func (d *DockingEvent) Detailed() DockingEventEndpointDetailed {
	return DockingEventEndpointDetailed{
		ResponseMode:        LevelDetailed.String(),
		SnapshotMode:        d.SnapshotMode,
		DockingEventBase:    d.DockingEventBase,
		SpaceStationTarget:  miniStation(d.SpaceStationTarget),
		FlightVehicleTarget: miniFlight(d.FlightVehicleTarget),
		PayloadFlightTarget: d.PayloadFlightTarget,
		FlightVehicleChaser: normalFlight(d.FlightVehicleChaser),
		SpaceStationChaser:  d.SpaceStationChaser,
		PayloadFlightChaser: d.PayloadFlightChaser,
	}
}

// ForChaser projects the event to the shape a detailed flight embeds, the flight being
// the chaser: the target at the normal level.
func (d *DockingEvent) ForChaser() DockingEventForChaser {
	return DockingEventForChaser{
		DockingEventBase:    d.DockingEventBase,
		SpaceStationTarget:  d.SpaceStationTarget,
		FlightVehicleTarget: normalFlight(d.FlightVehicleTarget),
		PayloadFlightTarget: d.PayloadFlightTarget,
	}
}
