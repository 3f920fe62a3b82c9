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
