package snapshot_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
	"spacegraph/snapshot/crawl"
	"spacegraph/snapshot/synthetic"
)

// levels lists the snapshot_mode of every record of d, by file and id.
func levels(d snapshot.Data) map[string]map[int]string {
	out := map[string]map[int]string{snapshot.SpacecraftFile: {}, snapshot.ConfigsFile: {}, snapshot.AgenciesFile: {}, snapshot.FamiliesFile: {}}
	for _, s := range d.Spacecraft {
		out[snapshot.SpacecraftFile][s.ID] = s.SnapshotMode
	}
	for _, c := range d.Configs {
		out[snapshot.ConfigsFile][c.ID] = c.SnapshotMode
	}
	for _, a := range d.Agencies {
		out[snapshot.AgenciesFile][a.ID] = a.SnapshotMode
	}
	for _, f := range d.Families {
		out[snapshot.FamiliesFile][f.ID] = f.SnapshotMode
	}
	return out
}

// allAt fails unless every record of d holds want, except the records in except.
func allAt(t *testing.T, what string, d snapshot.Data, want string, except map[string]map[int]string) {
	t.Helper()
	for file, byID := range levels(d) {
		if len(byID) == 0 {
			t.Errorf("%s: %s is empty", what, file)
		}
		for id, got := range byID {
			w := want
			if e, ok := except[file][id]; ok {
				w = e
			}
			if got != w {
				t.Errorf("%s: %s record %d holds %q, want %q", what, file, id, got, w)
			}
		}
	}
}

// TestEverySnapshotSaysWhatItHolds checks the one rule of every snapshot: each record
// says the level it holds. The embedded snapshot's real pages are normal spacecraft
// pages, which embed agencies at the list level and configurations and families at
// the normal level; the synthetic data and a crawl of a whole LL2 hold everything; a
// crawl of a server that holds less keeps saying less.
func TestEverySnapshotSaysWhatItHolds(t *testing.T) {
	emb, _, err := snapshot.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	allAt(t, "embedded", emb, "normal", map[string]map[int]string{snapshot.AgenciesFile: func() map[int]string {
		m := map[int]string{}
		for _, a := range emb.Agencies {
			m[a.ID] = "list"
		}
		return m
	}()})

	allAt(t, "generated", synthetic.Generate(synthetic.Options{Seed: 3, Spacecraft: 20, Configs: 5, Agencies: 4, Families: 3}), "detailed", nil)

	// A crawl of the built-in server over the embedded snapshot: detailed pages, whose
	// objects say they hold less.
	srv := ll2server.New(ll2server.NewStore(emb), ll2server.Options{})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c, err := ll2.New(ll2.Config{BaseURL: ts.URL + ll2server.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := crawl.Run(context.Background(), c, dir, crawl.Options{}); err != nil {
		t.Fatal(err)
	}
	crawled, _, err := snapshot.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, got := levels(emb), levels(crawled)
	for file, byID := range want {
		for id, l := range byID {
			if got[file][id] != l {
				t.Errorf("crawl of the embedded snapshot: %s record %d holds %q, the source %q", file, id, got[file][id], l)
			}
		}
	}
}

// TestCollectorKeepsTheRichestLevel checks the levels FromPages records: an object
// seen only embedded holds the level it is embedded at (a family seen only as another
// family's parent, the list level), and a richer sighting replaces a leaner one.
func TestCollectorKeepsTheRichestLevel(t *testing.T) {
	agency := ll2.AgencyMini{ResponseMode: "list", ID: 5, Name: "Agency"}
	parent := ll2.FamilyMini{ResponseMode: "list", ID: 9, Name: "Parent"}
	family := ll2.FamilyNormal{FamilyMini: ll2.FamilyMini{ResponseMode: "normal", ID: 8, Name: "Family"}, Manufacturer: &agency, Parent: &parent}
	cfg := ll2.SpacecraftConfigNormal{SpacecraftConfigBase: ll2.SpacecraftConfigBase{ResponseMode: "normal", ID: 7, Name: "Config"},
		Agency: &agency, Family: []ll2.FamilyNormal{family}}
	c := snapshot.NewCollector()
	c.AddSpacecraft(&ll2.SpacecraftDetailed{SpacecraftBase: ll2.SpacecraftBase{ResponseMode: "normal", ID: 1, Name: "S"},
		SpacecraftConfig: cfg.Upgrade()}, ll2.LevelNormal)
	allAt(t, "normal page", c.Data(), "normal", map[string]map[int]string{
		snapshot.AgenciesFile: {5: "list"},
		snapshot.FamiliesFile: {9: "list"},
	})

	// The agency seen again at the normal level (inside a detailed configuration).
	c.AddAgency(ll2.AgencyNormal{AgencyMini: agency}.Upgrade(), ll2.LevelNormal)
	if got := levels(c.Data())[snapshot.AgenciesFile][5]; got != "normal" {
		t.Errorf("agency seen at the normal level holds %q", got)
	}
	// A sighting that says it holds less counts for what it holds.
	lean := ll2.AgencyMini{ResponseMode: "detailed", SnapshotMode: "list", ID: 6, Name: "Lean"}
	c.AddAgency(lean.Upgrade(), ll2.LevelDetailed)
	if got := levels(c.Data())[snapshot.AgenciesFile][6]; got != "list" {
		t.Errorf("a detailed sighting that holds the list level is recorded as %q", got)
	}
	// Data hands out copies: the sightings are not stamped.
	if cfg.Agency.SnapshotMode != "" || family.SnapshotMode != "" {
		t.Errorf("Data changed the sightings: %+v %+v", cfg.Agency, family)
	}
}

// TestLoadFormat1 reads a directory of the first format, which had no snapshot_mode:
// each record holds the level its response_mode names.
func TestLoadFormat1(t *testing.T) {
	dir := t.TempDir()
	emb, m, err := snapshot.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if err := snapshot.Save(dir, emb, m); err != nil {
		t.Fatal(err)
	}
	strip := regexp.MustCompile(`\n\s*"snapshot_mode": "[a-z]*",`)
	for _, f := range []string{snapshot.MetaFile, snapshot.SpacecraftFile, snapshot.ConfigsFile, snapshot.AgenciesFile, snapshot.FamiliesFile} {
		p := filepath.Join(dir, f)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b = strip.ReplaceAll(b, nil)
		b = bytes.Replace(b, []byte(`"format": 2`), []byte(`"format": 1`), 1)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, _, err := snapshot.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := levels(emb)
	for file, byID := range levels(got) {
		for id, l := range byID {
			if l != want[file][id] {
				t.Errorf("%s record %d: %q, want %q", file, id, l, want[file][id])
			}
		}
	}
}
