package loaders

import (
	"context"

	"spacegraph/catalog"
	"spacegraph/ll2"
)

// The lookup lists need no batching (one table a field, the answer cache keeps each a
// day): the loaders only hand the request the catalog's.

// SpacecraftStatuses returns LL2's spacecraft statuses (catalog.SpacecraftStatuses).
func (l *Loaders) SpacecraftStatuses(ctx context.Context) (*catalog.LookupList[ll2.SpacecraftStatus], error) {
	return l.cat.SpacecraftStatuses(ctx)
}

// SpacecraftConfigTypes returns LL2's configuration types (catalog.SpacecraftConfigTypes).
func (l *Loaders) SpacecraftConfigTypes(ctx context.Context) (*catalog.LookupList[ll2.SpacecraftConfigType], error) {
	return l.cat.SpacecraftConfigTypes(ctx)
}

// AgencyTypes returns LL2's agency types (catalog.AgencyTypes).
func (l *Loaders) AgencyTypes(ctx context.Context) (*catalog.LookupList[ll2.AgencyType], error) {
	return l.cat.AgencyTypes(ctx)
}

// Countries returns LL2's countries (catalog.Countries).
func (l *Loaders) Countries(ctx context.Context) (*catalog.LookupList[ll2.Country], error) {
	return l.cat.Countries(ctx)
}

// ImageLicenses returns LL2's image licenses (catalog.ImageLicenses).
func (l *Loaders) ImageLicenses(ctx context.Context) (*catalog.LookupList[ll2.ImageLicense], error) {
	return l.cat.ImageLicenses(ctx)
}

// DockingEventsAtHand reports whether the catalog holds fresh crawls of the docking
// events and the flights (catalog.Catalog.DockingEventsAtHand).
func (l *Loaders) DockingEventsAtHand() bool { return l.cat.DockingEventsAtHand() }
