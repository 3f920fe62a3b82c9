package snapshot_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"spacegraph/ll2"
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
	d := synthetic.Generate(synthetic.Options{Seed: 11, Spacecraft: 120, Configs: 15, Agencies: 40, Families: 7})
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
		ll2.PathSpacecraftStatuses: 5, ll2.PathConfigTypes: 6, ll2.PathAgencyTypes: 6, ll2.PathCountries: 12, ll2.PathImageLicenses: 4, ll2.PathImageVariantTypes: 4}
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
