package catalog

import "spacegraph/ll2"

// This file tells, per kind, what level of detail each way of fetching brings, so
// that the gateway can count the calls a query needs before it runs with the very
// rules the catalog follows when it does run.

// levelsOf returns a kind's list-mode mapping, the level each list mode brings and
// the level of a detail call.
func levelsOf(k Kind) (mode, extra func(ll2.Level) ll2.Level, detail ll2.Level) {
	switch k {
	case KindSpacecraft:
		return spacecraftKind.mode, spacecraftKind.extraLevel, spacecraftKind.detail
	case KindConfig:
		return configKind.mode, configKind.extraLevel, configKind.detail
	case KindAgency:
		return agencyKind.mode, agencyKind.extraLevel, agencyKind.detail
	case KindFlight:
		return flightKind.mode, flightKind.extraLevel, flightKind.detail
	case KindDockingEvent:
		return dockingKind.mode, dockingKind.extraLevel, dockingKind.detail
	default:
		return familyKind.mode, familyKind.extraLevel, familyKind.detail
	}
}

// ListLevel returns the level of the objects of kind k that a page or a crawl brings
// when they are wanted at level l: the list mode that serves l, and what that mode
// carries (a family's detailed mode also carries its configurations).
func ListLevel(k Kind, l ll2.Level) ll2.Level {
	mode, extra, _ := levelsOf(k)
	return extra(mode(l))
}

// DetailLevel returns the level of an object of kind k that its detail call brings.
func DetailLevel(k Kind) ll2.Level {
	_, _, detail := levelsOf(k)
	return detail
}
