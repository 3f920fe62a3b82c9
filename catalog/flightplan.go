package catalog

import "spacegraph/ll2"

// DockingEventsAtHand reports whether a fresh crawl of the docking events and one of
// the flights are at hand (a replica's, or one under way), so that the docking events
// of any flights, and pages of flights at the normal level, cost no call: a page of
// flights then needs no detailed call to bring its docking events.
func (c *Catalog) DockingEventsAtHand() bool {
	_, dockingRunning := c.crawling(KindDockingEvent, ll2.LevelNormal)
	docking := dockingRunning || lookupCollection[ll2.DockingEvent](c, KindDockingEvent, ll2.LevelNormal) != nil
	_, flightsRunning := c.crawling(KindFlight, ll2.LevelNormal)
	return docking && (flightsRunning || lookupCollection[ll2.SpacecraftFlight](c, KindFlight, ll2.LevelNormal) != nil)
}
