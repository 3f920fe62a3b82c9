// Package snapshot is LL2's spacecraft domain at rest: what a snapshot holds (Data),
// the directory format that `--snapshot DIR` serves, the building of a snapshot from
// LL2 pages, and the default snapshot built into the binary from the real pages in
// snapshot/samples. The data does not depend on what serves or makes it: the built-in
// server (ll2/ll2server), the crawler (snapshot/crawl) and the synthetic generator
// (snapshot/synthetic) import this package, never the reverse.
//
// A snapshot directory holds one JSON array per endpoint, each object in the detailed
// container of its kind with whatever is known (unknown fields null), and each saying
// in its snapshot_mode the level of detail it holds ("list", "normal" or "detailed"):
// the embedded snapshot's agencies, seen only inside the real pages' configurations,
// hold the list level; a crawl's records hold the detailed level (or what the crawled
// server said it held); the synthetic generator's hold the detailed level. The
// built-in server reads that one rule to say what it does not know:
//
//	meta.json                                 Meta
//	spacecraft.json                           []ll2.SpacecraftDetailed
//	spacecraft_configurations.json            []ll2.SpacecraftConfigDetailed
//	agencies.json                             []ll2.AgencyDetailed
//	spacecraft_configuration_families.json    []ll2.FamilyEndpointDetailed
//	spacecraft_flights.json                   []ll2.SpacecraftFlight (optional)
//	docking_events.json                       []ll2.DockingEvent (optional)
//	config/spacecraft_statuses.json           lookup rows, verbatim
//	config/…                                  (one file per ll2.LookupPaths entry)
//
// Flights and docking events are collections whose absence means "not known", never
// "none": a snapshot without spacecraft_flights.json knows no spacecraft's flights,
// and one without docking_events.json knows no docking event. With the file, the
// flights of a spacecraft are known when its record holds the detailed level (LL2's
// detailed spacecraft lists every flight), and every docking event is known. The real
// pages the embedded snapshot is built from are normal spacecraft pages: it holds
// neither file, so the built-in server refuses to answer flights and docking events
// from it rather than answer "none".
package snapshot

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"spacegraph/ll2"
)

// FormatVersion is the version of the directory format this package writes. Version 2
// added snapshot_mode to every record; version 1 directories are still read, each
// record taken to hold the level its response_mode names.
const FormatVersion = 2

// Meta describes where a snapshot came from.
type Meta struct {
	Format  int            `json:"format"`
	Source  string         `json:"source"`
	Created time.Time      `json:"created,omitzero"`
	Counts  map[string]int `json:"counts"`
	Note    string         `json:"note,omitempty"`
	// LookupsFromRecords is Data.LookupsFromRecords, kept with the snapshot's
	// description rather than in each table.
	LookupsFromRecords bool `json:"lookups_from_records,omitempty"`
}

// Data is a snapshot's content: each endpoint's objects in the detailed container of
// their kind, whatever level is actually known, and the lookup tables by path
// (ll2.LookupPaths). A record's snapshot_mode is the level it holds ("" or "detailed":
// all of it); the fields above it are nil, and the built-in server (ll2server) says in
// its answers that they are unknown rather than null (see ll2.HeldLevel).
//
// Flights, when not nil, holds every flight of every spacecraft whose record holds
// the detailed level (and may hold more): the flights of a spacecraft are the records
// whose spacecraft it is, whatever its own record's Flights say. Nil means the
// snapshot knows no flights at all. DockingEvents, when not nil, holds every docking
// event; nil means the snapshot knows none. An empty, non-nil list is a claim that
// there are none.
type Data struct {
	Spacecraft    []*ll2.SpacecraftDetailed
	Configs       []*ll2.SpacecraftConfigDetailed
	Agencies      []*ll2.AgencyDetailed
	Families      []*ll2.FamilyEndpointDetailed
	Flights       []*ll2.SpacecraftFlight
	DockingEvents []*ll2.DockingEvent
	Lookups       map[string][]ll2.Lookup
	// LookupsFromRecords says that the lookup tables hold only the rows the records
	// carry (a snapshot built from pages, as the embedded one is), not LL2's whole
	// tables: a status no record has is not in them.
	LookupsFromRecords bool
}

// File names of the collections.
const (
	MetaFile       = "meta.json"
	SpacecraftFile = "spacecraft.json"
	ConfigsFile    = "spacecraft_configurations.json"
	AgenciesFile   = "agencies.json"
	FamiliesFile   = "spacecraft_configuration_families.json"
	FlightsFile    = "spacecraft_flights.json"
	DockingFile    = "docking_events.json"
)

// lookupFile maps a lookup path ("config/countries/") to its file.
func lookupFile(p string) string { return strings.TrimSuffix(p, "/") + ".json" }

//go:embed data
var embedded embed.FS

// Embedded returns the default snapshot, built into the binary.
func Embedded() (Data, Meta, error) {
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		return Data{}, Meta{}, err
	}
	return Load(sub)
}

// LoadDir reads a snapshot directory.
func LoadDir(dir string) (Data, Meta, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return Data{}, Meta{}, fmt.Errorf("snapshot: %w", err)
	}
	if !st.IsDir() {
		return Data{}, Meta{}, fmt.Errorf("snapshot: %s is not a directory", dir)
	}
	return Load(os.DirFS(dir))
}

// Load reads a snapshot from fsys. The four files of the spacecraft domain are
// required; lookup files may be missing (an empty table), and so may the flights and
// docking events files (then Flights and DockingEvents are nil: not known).
func Load(fsys fs.FS) (Data, Meta, error) {
	var d Data
	var m Meta
	if err := readJSON(fsys, MetaFile, &m); err != nil {
		return d, m, err
	}
	if m.Format != FormatVersion && m.Format != 1 {
		return d, m, fmt.Errorf("snapshot: format %d, this build reads 1 and %d", m.Format, FormatVersion)
	}
	for _, f := range []struct {
		name string
		v    any
	}{
		{SpacecraftFile, &d.Spacecraft},
		{ConfigsFile, &d.Configs},
		{AgenciesFile, &d.Agencies},
		{FamiliesFile, &d.Families},
	} {
		if err := readJSON(fsys, f.name, f.v); err != nil {
			return d, m, err
		}
	}
	for _, f := range []struct {
		name string
		v    any
	}{
		{FlightsFile, &d.Flights},
		{DockingFile, &d.DockingEvents},
	} {
		// A missing file, or one that holds null, leaves the collection nil: not known.
		if err := readJSON(fsys, f.name, f.v); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return d, m, err
		}
	}
	d.Lookups = map[string][]ll2.Lookup{}
	for _, p := range ll2.LookupPaths {
		var rows []map[string]any
		err := readJSON(fsys, lookupFile(p), &rows)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return d, m, err
		}
		for i, r := range rows {
			l, err := LookupRow(r)
			if err != nil {
				return d, m, fmt.Errorf("snapshot: %s row %d: %w", lookupFile(p), i, err)
			}
			d.Lookups[p] = append(d.Lookups[p], l)
		}
	}
	d.LookupsFromRecords = m.LookupsFromRecords
	if err := check(d); err != nil {
		return d, m, err
	}
	if err := checkLevels(d, m.Format == 1); err != nil {
		return d, m, err
	}
	return d, m, nil
}

// checkLevels refuses a record that does not say the level it holds, so that no
// snapshot can pass partial records off as whole ones. Version 1 records say it in
// their response_mode, which becomes their snapshot_mode.
func checkLevels(d Data, v1 bool) error {
	return errors.Join(
		checkLevel(SpacecraftFile, d.Spacecraft, v1, func(s *ll2.SpacecraftDetailed) (int, *string, string) {
			return s.ID, &s.SnapshotMode, s.ResponseMode
		}),
		checkLevel(ConfigsFile, d.Configs, v1, func(c *ll2.SpacecraftConfigDetailed) (int, *string, string) {
			return c.ID, &c.SnapshotMode, c.ResponseMode
		}),
		checkLevel(AgenciesFile, d.Agencies, v1, func(a *ll2.AgencyDetailed) (int, *string, string) {
			return a.ID, &a.SnapshotMode, a.ResponseMode
		}),
		checkLevel(FamiliesFile, d.Families, v1, func(f *ll2.FamilyEndpointDetailed) (int, *string, string) {
			return f.ID, &f.SnapshotMode, f.ResponseMode
		}),
		checkLevel(FlightsFile, d.Flights, v1, func(f *ll2.SpacecraftFlight) (int, *string, string) {
			return f.ID, &f.SnapshotMode, f.ResponseMode
		}),
		checkLevel(DockingFile, d.DockingEvents, v1, func(e *ll2.DockingEvent) (int, *string, string) {
			return e.ID, &e.SnapshotMode, e.ResponseMode
		}),
	)
}

func checkLevel[T any](file string, items []*T, v1 bool, fields func(*T) (id int, snapshotMode *string, responseMode string)) error {
	for _, t := range items {
		id, mode, rm := fields(t)
		if v1 {
			*mode = rm
		}
		if _, ok := ll2.SnapshotLevel(*mode); !ok {
			return fmt.Errorf("snapshot: %s: record %d: snapshot_mode %q: want the level it holds, list, normal or detailed", file, id, *mode)
		}
	}
	return nil
}

// LookupRow reads one row of a lookup table as LL2 answers it and a snapshot stores
// it: the integer id and the name, with the row kept whole so that the fields of one
// table (a country's codes, a licence's link) survive unchanged.
func LookupRow(r map[string]any) (ll2.Lookup, error) {
	id, ok := r["id"].(float64)
	if !ok || id != float64(int(id)) {
		return ll2.Lookup{}, fmt.Errorf("no integer id")
	}
	name, _ := r["name"].(string)
	return ll2.Lookup{ID: int(id), Name: name, Raw: r}, nil
}

// check refuses null records, ids that are not positive and duplicate ids, which
// would make the server's answers depend on file order.
func check(d Data) error {
	return errors.Join(
		checkIDs(SpacecraftFile, d.Spacecraft, func(s *ll2.SpacecraftDetailed) int { return s.ID }),
		checkIDs(ConfigsFile, d.Configs, func(c *ll2.SpacecraftConfigDetailed) int { return c.ID }),
		checkIDs(AgenciesFile, d.Agencies, func(a *ll2.AgencyDetailed) int { return a.ID }),
		checkIDs(FamiliesFile, d.Families, func(f *ll2.FamilyEndpointDetailed) int { return f.ID }),
		checkIDs(FlightsFile, d.Flights, func(f *ll2.SpacecraftFlight) int { return f.ID }),
		checkIDs(DockingFile, d.DockingEvents, func(e *ll2.DockingEvent) int { return e.ID }),
	)
}

func checkIDs[T any](file string, items []*T, id func(*T) int) error {
	seen := make(map[int]bool, len(items))
	for i, t := range items {
		if t == nil || id(t) <= 0 {
			return fmt.Errorf("snapshot: %s record %d: null, or its id is not positive", file, i)
		}
		if seen[id(t)] {
			return fmt.Errorf("snapshot: %s: id %d appears twice", file, id(t))
		}
		seen[id(t)] = true
	}
	return nil
}

func readJSON(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("snapshot: %s: %w", name, err)
	}
	return nil
}

// Save writes d as a snapshot directory, creating it if needed. Collections are
// written in id order with stable indentation so that snapshots diff well.
func Save(dir string, d Data, m Meta) error {
	m.Format = FormatVersion
	m.LookupsFromRecords = d.LookupsFromRecords
	m.Counts = map[string]int{
		ll2.SpacecraftEndpoint.Path:       len(d.Spacecraft),
		ll2.SpacecraftConfigEndpoint.Path: len(d.Configs),
		ll2.AgencyEndpoint.Path:           len(d.Agencies),
		ll2.FamilyEndpoint.Path:           len(d.Families),
	}
	for _, p := range ll2.LookupPaths {
		m.Counts[p] = len(d.Lookups[p])
	}
	if d.Flights != nil {
		m.Counts[ll2.SpacecraftFlightEndpoint.Path] = len(d.Flights)
	}
	if d.DockingEvents != nil {
		m.Counts[ll2.DockingEventEndpoint.Path] = len(d.DockingEvents)
	}
	// Sort copies: the caller's slices stay as they were.
	d.Spacecraft, d.Configs, d.Agencies, d.Families = slices.Clone(d.Spacecraft), slices.Clone(d.Configs), slices.Clone(d.Agencies), slices.Clone(d.Families)
	sortByID(d.Spacecraft, func(s *ll2.SpacecraftDetailed) int { return s.ID })
	sortByID(d.Configs, func(c *ll2.SpacecraftConfigDetailed) int { return c.ID })
	sortByID(d.Agencies, func(a *ll2.AgencyDetailed) int { return a.ID })
	sortByID(d.Families, func(f *ll2.FamilyEndpointDetailed) int { return f.ID })
	// What the snapshot does not know is no file at all, so that saving over an
	// earlier snapshot does not leave its flights behind.
	optional := []struct {
		name string
		held bool
		v    func() any
	}{
		{FlightsFile, d.Flights != nil, func() any {
			f := slices.Clone(d.Flights)
			sortByID(f, func(f *ll2.SpacecraftFlight) int { return f.ID })
			return f
		}},
		{DockingFile, d.DockingEvents != nil, func() any {
			e := slices.Clone(d.DockingEvents)
			sortByID(e, func(e *ll2.DockingEvent) int { return e.ID })
			return e
		}},
	}
	files := map[string]any{
		MetaFile:       m,
		SpacecraftFile: nonNil(d.Spacecraft),
		ConfigsFile:    nonNil(d.Configs),
		AgenciesFile:   nonNil(d.Agencies),
		FamiliesFile:   nonNil(d.Families),
	}
	for _, p := range ll2.LookupPaths {
		rows := slices.Clone(d.Lookups[p])
		slices.SortFunc(rows, func(a, b ll2.Lookup) int { return a.ID - b.ID })
		out := make([]any, len(rows))
		for i, r := range rows {
			if r.Raw != nil {
				out[i] = r.Raw
			} else {
				out[i] = map[string]any{"id": r.ID, "name": r.Name}
			}
		}
		files[lookupFile(p)] = out
	}
	for _, o := range optional {
		if o.held {
			files[o.name] = o.v()
			continue
		}
		if err := os.Remove(filepath.Join(dir, o.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	for name, v := range files {
		if err := writeJSON(filepath.Join(dir, filepath.FromSlash(name)), v); err != nil {
			return err
		}
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func sortByID[T any](s []*T, id func(*T) int) {
	slices.SortFunc(s, func(a, b *T) int { return id(a) - id(b) })
}

func writeJSON(file string, v any) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("snapshot: %s: %w", path.Base(file), err)
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return os.Rename(tmp, file)
}
