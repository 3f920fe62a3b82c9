// Package ll2server is an LL2-compatible HTTP server over a snapshot: the same paths,
// parameters, levels of detail, paging and errors as Launch Library 2 2.3.0 for the
// spacecraft domain. The gateway uses it in-process as its default upstream, tests
// use it to exercise real HTTP (with latency, throttling, faults and call counters),
// and frontend developers can run it on a port as a fake LL2.
package ll2server

import (
	"slices"
	"strconv"

	"spacegraph/ll2"
	"spacegraph/snapshot"
)

// urlPlaceholder stands for the server's base URL inside stored objects; the handler
// replaces it in each response body with the base URL of the request, as Django REST
// framework builds absolute URLs from the request's host.
const urlPlaceholder = "ll2server:/"

// Store holds a snapshot normalised for serving: each object once, by id, with the
// objects it embeds taken from their own collection so that every level renders
// consistently. A Store is immutable once built and safe for concurrent use.
type Store struct {
	spacecraft []*ll2.SpacecraftDetailed
	configs    []*ll2.SpacecraftConfigDetailed
	agencies   []*ll2.AgencyDetailed
	families   []*ll2.FamilyEndpointDetailed
	lookups    map[string][]*ll2.Lookup

	spacecraftByID map[int]*ll2.SpacecraftDetailed
	configByID     map[int]*ll2.SpacecraftConfigDetailed
	agencyByID     map[int]*ll2.AgencyDetailed
	familyByID     map[int]*ll2.FamilyEndpointDetailed
	lookupByID     map[string]map[int]*ll2.Lookup

	// partial holds the endpoints with a record held below the detailed level, whose
	// list requests must be checked for what those records cannot answer.
	partial map[string]bool
}

func objectURL(path string, id int) string {
	return urlPlaceholder + path + strconv.Itoa(id) + "/"
}

// NewStore normalises d into a Store. The records of d are copied, never modified.
// Objects that are only embedded elsewhere (an agency seen only inside a
// configuration) must already be in their own collection; snapshot.FromPages does that.
// Derived lists that LL2 computes by joining (an agency's spacecraft_list, a family's
// spacecraft) are joined here when the snapshot does not carry them.
func NewStore(d snapshot.Data) *Store {
	s := &Store{
		spacecraftByID: map[int]*ll2.SpacecraftDetailed{},
		configByID:     map[int]*ll2.SpacecraftConfigDetailed{},
		agencyByID:     map[int]*ll2.AgencyDetailed{},
		familyByID:     map[int]*ll2.FamilyEndpointDetailed{},
		lookups:        map[string][]*ll2.Lookup{},
		lookupByID:     map[string]map[int]*ll2.Lookup{},
		partial:        map[string]bool{},
	}
	for _, a := range d.Agencies {
		c := *a
		c.URL = objectURL(ll2.AgencyEndpoint.Path, c.ID)
		c.SnapshotMode = s.held(ll2.AgencyEndpoint.Path, c.SnapshotMode)
		s.agencyByID[c.ID] = &c
	}
	agencyNormal := func(a *ll2.AgencyNormal) *ll2.AgencyNormal {
		if a == nil {
			return nil
		}
		if canon, ok := s.agencyByID[a.ID]; ok {
			n := canon.AgencyNormal
			return &n
		}
		n := *a
		n.URL = objectURL(ll2.AgencyEndpoint.Path, n.ID)
		return &n
	}
	for _, f := range d.Families {
		c := *f
		c.SnapshotMode = s.held(ll2.FamilyEndpoint.Path, c.SnapshotMode)
		c.Manufacturer = agencyNormal(c.Manufacturer)
		s.familyByID[c.ID] = &c
	}
	// Parents are families too: take them from the collection once all are in.
	for _, f := range s.familyByID {
		if f.Parent == nil {
			continue
		}
		if p, ok := s.familyByID[f.Parent.ID]; ok {
			n := p.FamilyDetailed.Normal()
			f.Parent = &n
		}
	}
	for _, cfg := range d.Configs {
		c := *cfg
		c.URL = objectURL(ll2.SpacecraftConfigEndpoint.Path, c.ID)
		c.SnapshotMode = s.held(ll2.SpacecraftConfigEndpoint.Path, c.SnapshotMode)
		c.Agency = agencyNormal(c.Agency)
		if c.Family != nil {
			fams := make([]ll2.FamilyDetailed, len(c.Family))
			for i, f := range c.Family {
				if canon, ok := s.familyByID[f.ID]; ok {
					fams[i] = canon.FamilyDetailed
				} else {
					fams[i] = f
				}
			}
			c.Family = fams
		}
		s.configByID[c.ID] = &c
	}
	for _, sc := range d.Spacecraft {
		c := *sc
		c.URL = objectURL(ll2.SpacecraftEndpoint.Path, c.ID)
		c.SnapshotMode = s.held(ll2.SpacecraftEndpoint.Path, c.SnapshotMode)
		if c.SpacecraftConfig != nil {
			if canon, ok := s.configByID[c.SpacecraftConfig.ID]; ok {
				c.SpacecraftConfig = canon
			}
		}
		s.spacecraftByID[c.ID] = &c
	}
	s.spacecraft = sortedValues(s.spacecraftByID)
	s.configs = sortedValues(s.configByID)
	s.agencies = sortedValues(s.agencyByID)
	s.families = sortedValues(s.familyByID)

	// Joins that LL2 computes: which configurations an agency and a family have.
	for _, a := range s.agencies {
		if a.SpacecraftList != nil {
			continue
		}
		a.SpacecraftList = []ll2.SpacecraftConfigDetailed{}
		for _, c := range s.configs {
			if c.Agency != nil && c.Agency.ID == a.ID {
				a.SpacecraftList = append(a.SpacecraftList, *c)
			}
		}
	}
	for _, f := range s.families {
		if f.Spacecraft != nil {
			continue
		}
		f.Spacecraft = []ll2.SpacecraftConfigNormal{}
		for _, c := range s.configs {
			if slices.ContainsFunc(c.Family, func(cf ll2.FamilyDetailed) bool { return cf.ID == f.ID }) {
				f.Spacecraft = append(f.Spacecraft, c.Normal())
			}
		}
	}
	for path, rows := range d.Lookups {
		byID := map[int]*ll2.Lookup{}
		for i := range rows {
			r := rows[i]
			byID[r.ID] = &r
		}
		s.lookupByID[path] = byID
		s.lookups[path] = sortedValues(byID)
	}
	return s
}

// held returns the snapshot_mode a record of endpoint path is served with: the level
// it holds when that is below the detailed level, else "" (a whole record is served
// exactly as LL2 serves it). It notes the endpoints that have partial records.
func (s *Store) held(path, snapshotMode string) string {
	if l, ok := ll2.SnapshotLevel(snapshotMode); ok && l < ll2.LevelDetailed {
		s.partial[path] = true
		return snapshotMode
	}
	return ""
}

// Partial reports whether some record of the endpoint at path holds less than the
// detailed level.
func (s *Store) Partial(path string) bool { return s.partial[path] }

func sortedValues[T any](m map[int]*T) []*T {
	ids := make([]int, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]*T, len(ids))
	for i, id := range ids {
		out[i] = m[id]
	}
	return out
}

// Counts reports how many objects of each kind the store holds.
func (s *Store) Counts() map[string]int {
	c := map[string]int{
		ll2.SpacecraftEndpoint.Path:       len(s.spacecraft),
		ll2.SpacecraftConfigEndpoint.Path: len(s.configs),
		ll2.AgencyEndpoint.Path:           len(s.agencies),
		ll2.FamilyEndpoint.Path:           len(s.families),
	}
	for p, rows := range s.lookups {
		c[p] = len(rows)
	}
	return c
}

// Spacecraft returns the stored spacecraft in id order (shared: do not modify).
func (s *Store) Spacecraft() []*ll2.SpacecraftDetailed { return s.spacecraft }

// Configs returns the stored configurations in id order (shared: do not modify).
func (s *Store) Configs() []*ll2.SpacecraftConfigDetailed { return s.configs }

// Agencies returns the stored agencies in id order (shared: do not modify).
func (s *Store) Agencies() []*ll2.AgencyDetailed { return s.agencies }

// Families returns the stored families in id order (shared: do not modify).
func (s *Store) Families() []*ll2.FamilyEndpointDetailed { return s.families }

// Lookups returns the rows of a lookup table in id order (shared: do not modify).
func (s *Store) Lookups(path string) []*ll2.Lookup { return s.lookups[path] }
