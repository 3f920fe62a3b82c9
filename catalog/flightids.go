package catalog

import "spacegraph/relay"

// GlobalID returns the Relay global id.
func (f *SpacecraftFlight) GlobalID() string {
	return relay.GlobalID(relay.TypeSpacecraftFlight, f.ID)
}

// GlobalID returns the Relay global id.
func (d *DockingEvent) GlobalID() string { return relay.GlobalID(relay.TypeDockingEvent, d.ID) }

// AppendGlobalID appends the Relay global id to b (relay.AppendGlobalID): the fast
// executor writes it so, without a string per object.
func (f *SpacecraftFlight) AppendGlobalID(b []byte) []byte {
	return relay.AppendGlobalID(b, relay.TypeSpacecraftFlight, f.ID)
}

// AppendGlobalID appends the Relay global id to b (relay.AppendGlobalID): the fast
// executor writes it so, without a string per object.
func (d *DockingEvent) AppendGlobalID(b []byte) []byte {
	return relay.AppendGlobalID(b, relay.TypeDockingEvent, d.ID)
}
