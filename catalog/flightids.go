package catalog

import "spacegraph/relay"

// GlobalID returns the Relay global id.
func (f *SpacecraftFlight) GlobalID() string {
	return relay.GlobalID(relay.TypeSpacecraftFlight, f.ID)
}

// GlobalID returns the Relay global id.
func (d *DockingEvent) GlobalID() string { return relay.GlobalID(relay.TypeDockingEvent, d.ID) }
