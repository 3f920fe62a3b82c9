package snapshot_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
	"spacegraph/snapshot/synthetic"
)

// canonical encodes data with every collection in id order, so that data from
// different sources (a map-backed Collector, a loaded directory) compare byte for byte.
func canonical(t testing.TB, d snapshot.Data) []byte {
	t.Helper()
	d.Spacecraft = slices.SortedFunc(slices.Values(d.Spacecraft), func(a, b *ll2.SpacecraftDetailed) int { return a.ID - b.ID })
	d.Configs = slices.SortedFunc(slices.Values(d.Configs), func(a, b *ll2.SpacecraftConfigDetailed) int { return a.ID - b.ID })
	d.Agencies = slices.SortedFunc(slices.Values(d.Agencies), func(a, b *ll2.AgencyDetailed) int { return a.ID - b.ID })
	d.Families = slices.SortedFunc(slices.Values(d.Families), func(a, b *ll2.FamilyEndpointDetailed) int { return a.ID - b.ID })
	lookups := map[string][]ll2.Lookup{}
	for _, p := range ll2.LookupPaths {
		lookups[p] = slices.SortedFunc(slices.Values(d.Lookups[p]), func(a, b ll2.Lookup) int { return a.ID - b.ID })
	}
	d.Lookups = lookups
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firstDiff shows where two encodings part, for failure messages.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return "…" + string(a[from:min(len(a), i+80)]) + "… vs …" + string(b[from:min(len(b), i+80)]) + "…"
}

func TestSaveLoadRoundTrip(t *testing.T) {
	d := synthetic.Generate(synthetic.Options{Seed: 11, Spacecraft: 120, Configs: 15, Agencies: 40, Families: 7, Flights: true})
	want := canonical(t, d)
	dir := filepath.Join(t.TempDir(), "snap")
	created := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if err := snapshot.Save(dir, d, snapshot.Meta{Source: "generator seed 11", Created: created, Note: "round trip"}); err != nil {
		t.Fatal(err)
	}
	got, m, err := snapshot.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if g := canonical(t, got); !bytes.Equal(g, want) {
		t.Fatalf("loaded data differs from saved data: %s", firstDiff(g, want))
	}
	if m.Format != snapshot.FormatVersion || m.Source != "generator seed 11" || !m.Created.Equal(created) || m.Note != "round trip" {
		t.Errorf("meta = %+v", m)
	}
	wantCounts := map[string]int{"spacecraft/": 120, "spacecraft_configurations/": 15, "agencies/": 40, "spacecraft_configuration_families/": 7,
		ll2.PathSpacecraftStatuses: 5, ll2.PathConfigTypes: 6, ll2.PathAgencyTypes: 6, ll2.PathCountries: 12, ll2.PathImageLicenses: 4, ll2.PathImageVariantTypes: 4,
		"spacecraft_flights/": len(d.Flights), "docking_events/": len(d.DockingEvents)}
	if len(d.Flights) == 0 || len(d.DockingEvents) == 0 || len(got.Flights) != len(d.Flights) || len(got.DockingEvents) != len(d.DockingEvents) {
		t.Errorf("%d flights and %d docking events saved, %d and %d loaded", len(d.Flights), len(d.DockingEvents), len(got.Flights), len(got.DockingEvents))
	}
	for k, v := range wantCounts {
		if m.Counts[k] != v {
			t.Errorf("meta counts %s = %d, want %d", k, m.Counts[k], v)
		}
	}
	// Durations come back with their length as well as their text.
	for i, s := range got.Spacecraft {
		if s.TimeInSpace.Seconds() != d.Spacecraft[i].TimeInSpace.Seconds() {
			t.Fatalf("spacecraft %d: time_in_space %v s after loading, %v s before", s.ID, s.TimeInSpace.Seconds(), d.Spacecraft[i].TimeInSpace.Seconds())
		}
	}
}

// saveSmall writes a small valid snapshot for the error cases to spoil.
func saveSmall(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := snapshot.Save(dir, synthetic.Generate(synthetic.Options{Seed: 2, Spacecraft: 5, Configs: 2, Agencies: 3, Families: 1}), snapshot.Meta{Source: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := snapshot.LoadDir(dir); err != nil {
		t.Fatalf("the unspoilt snapshot does not load: %v", err)
	}
	return dir
}

func TestLoadDirErrors(t *testing.T) {
	edit := func(file string, f func(b []byte) []byte) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			p := filepath.Join(dir, file)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, f(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, dir string) string // returns the path to load
		want  string
	}{
		{"missing dir", func(t *testing.T, dir string) string { return filepath.Join(dir, "nope") }, "no such file"},
		{"a file", func(t *testing.T, dir string) string { return filepath.Join(dir, snapshot.MetaFile) }, "not a directory"},
		{"malformed JSON", func(t *testing.T, dir string) string {
			edit(snapshot.SpacecraftFile, func(b []byte) []byte { return b[:len(b)/2] })(t, dir)
			return dir
		}, snapshot.SpacecraftFile},
		{"duplicate id", func(t *testing.T, dir string) string {
			edit(snapshot.AgenciesFile, func(b []byte) []byte {
				var rows []json.RawMessage
				if err := json.Unmarshal(b, &rows); err != nil {
					t.Fatal(err)
				}
				out, _ := json.Marshal(append(rows, rows[1]))
				return out
			})(t, dir)
			return dir
		}, "id 2 appears twice"},
		{"wrong format", func(t *testing.T, dir string) string {
			edit(snapshot.MetaFile, func(b []byte) []byte { return bytes.Replace(b, []byte(`"format": 2`), []byte(`"format": 3`), 1) })(t, dir)
			return dir
		}, "format 3"},
		{"a record that does not say its level", func(t *testing.T, dir string) string {
			edit(snapshot.AgenciesFile, func(b []byte) []byte {
				return bytes.Replace(b, []byte(`"snapshot_mode": "detailed"`), []byte(`"snapshot_mode": ""`), 1)
			})(t, dir)
			return dir
		}, "snapshot_mode"},
		{"a level that is no level", func(t *testing.T, dir string) string {
			edit(snapshot.ConfigsFile, func(b []byte) []byte {
				return bytes.Replace(b, []byte(`"snapshot_mode": "detailed"`), []byte(`"snapshot_mode": "whole"`), 1)
			})(t, dir)
			return dir
		}, "snapshot_mode"},
		{"missing collection", func(t *testing.T, dir string) string {
			if err := os.Remove(filepath.Join(dir, snapshot.FamiliesFile)); err != nil {
				t.Fatal(err)
			}
			return dir
		}, snapshot.FamiliesFile},
		{"null record", func(t *testing.T, dir string) string {
			edit(snapshot.ConfigsFile, func(b []byte) []byte {
				return append([]byte("[null,"), bytes.TrimPrefix(bytes.TrimSpace(b), []byte("["))...)
			})(t, dir)
			return dir
		}, "record 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.spoil(t, saveSmall(t))
			_, _, err := snapshot.LoadDir(path)
			if err == nil {
				t.Fatal("loaded a broken snapshot")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestEmbeddedUpToDate fails when snapshot/data was not regenerated after the samples
// changed (run `go generate ./snapshot/`).
func TestEmbeddedUpToDate(t *testing.T) {
	got, m, err := snapshot.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("samples/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples (%v)", err)
	}
	slices.Sort(files)
	var pages [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, b)
	}
	want, err := snapshot.FromPages(pages...)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := canonical(t, got), canonical(t, want); !bytes.Equal(g, w) {
		t.Fatalf("snapshot/data is stale, run go generate ./snapshot/: %s", firstDiff(g, w))
	}
	if m.Counts["spacecraft/"] != len(want.Spacecraft) || len(want.Spacecraft) == 0 {
		t.Errorf("meta counts %d spacecraft, the samples hold %d", m.Counts["spacecraft/"], len(want.Spacecraft))
	}
}

// TestFlightsFilesMeanKnown pins what the optional files say: no file (or null) is
// "not known", an empty list is "none", and saving what is not known removes the file
// an earlier snapshot left, so that it cannot pass for this one's.
func TestFlightsFilesMeanKnown(t *testing.T) {
	d := synthetic.Generate(synthetic.Options{Seed: 2, Spacecraft: 5, Configs: 2, Agencies: 3, Families: 1, Flights: true})
	dir := t.TempDir()
	load := func() snapshot.Data {
		t.Helper()
		got, _, err := snapshot.LoadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if err := snapshot.Save(dir, d, snapshot.Meta{}); err != nil {
		t.Fatal(err)
	}
	if got := load(); len(got.Flights) != len(d.Flights) || len(got.DockingEvents) != len(d.DockingEvents) {
		t.Fatalf("loaded %d flights, %d docking events", len(got.Flights), len(got.DockingEvents))
	}
	unknown := d
	unknown.Flights, unknown.DockingEvents = nil, nil
	if err := snapshot.Save(dir, unknown, snapshot.Meta{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{snapshot.FlightsFile, snapshot.DockingFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s left behind (%v)", f, err)
		}
	}
	if got := load(); got.Flights != nil || got.DockingEvents != nil {
		t.Errorf("a snapshot without the files knows %v flights, %v docking events", got.Flights, got.DockingEvents)
	}
	none := d
	none.Flights, none.DockingEvents = []*ll2.SpacecraftFlight{}, []*ll2.DockingEvent{}
	if err := snapshot.Save(dir, none, snapshot.Meta{}); err != nil {
		t.Fatal(err)
	}
	if got := load(); got.Flights == nil || len(got.Flights) != 0 || got.DockingEvents == nil || len(got.DockingEvents) != 0 {
		t.Errorf("empty lists loaded as %v, %v", got.Flights, got.DockingEvents)
	}
	if err := os.WriteFile(filepath.Join(dir, snapshot.FlightsFile), []byte("null\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := load(); got.Flights != nil {
		t.Errorf("a file holding null loaded as %v", got.Flights)
	}
	// A flight record, like any, says the level it holds.
	if err := os.WriteFile(filepath.Join(dir, snapshot.FlightsFile), []byte(`[{"id": 1, "snapshot_mode": ""}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := snapshot.LoadDir(dir); err == nil || !strings.Contains(err.Error(), snapshot.FlightsFile) {
		t.Errorf("a flight that does not say its level: %v", err)
	}
}

// TestFromPagesFlights builds snapshots from pages as the built-in server gives them:
// detailed spacecraft pages bring every flight of each (held at the normal level, the
// spacecraft keeping no second copy); normal pages bring none, and then the snapshot
// does not know them.
func TestFromPagesFlights(t *testing.T) {
	d := synthetic.Generate(synthetic.Options{Seed: 8, Spacecraft: 30, Configs: 4, Agencies: 5, Families: 2, Flights: true})
	srv := httptest.NewServer(ll2server.New(ll2server.NewStore(d), ll2server.Options{}))
	t.Cleanup(srv.Close)
	get := func(q string) []byte {
		r, err := srv.Client().Get(srv.URL + ll2server.Prefix + q)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	detailed, err := snapshot.FromPages(get("spacecraft/?limit=100&mode=detailed"))
	if err != nil {
		t.Fatal(err)
	}
	if len(detailed.Flights) != len(d.Flights) {
		t.Fatalf("%d flights from detailed pages, %d served", len(detailed.Flights), len(d.Flights))
	}
	for _, f := range detailed.Flights {
		if f.SnapshotMode != "normal" || f.Launch == nil || f.SpacecraftID() == 0 {
			t.Fatalf("flight %d: snapshot_mode %q, spacecraft %d", f.ID, f.SnapshotMode, f.SpacecraftID())
		}
	}
	for _, s := range detailed.Spacecraft {
		if s.Flights != nil || s.SnapshotMode != "detailed" {
			t.Fatalf("spacecraft %d: %d flights of its own, snapshot_mode %q", s.ID, len(s.Flights), s.SnapshotMode)
		}
	}
	if detailed.DockingEvents != nil {
		t.Errorf("docking events from spacecraft pages: %d", len(detailed.DockingEvents))
	}
	normal, err := snapshot.FromPages(get("spacecraft/?limit=100"))
	if err != nil {
		t.Fatal(err)
	}
	if normal.Flights != nil {
		t.Errorf("normal pages gave %d flights", len(normal.Flights))
	}
}
