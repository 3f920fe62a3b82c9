package ll2_test

import (
	"encoding/json"
	"testing"

	"spacegraph/ll2"
)

// sampleSpacecraft decodes every result of both samples into the detailed container,
// with the raw JSON of each.
func sampleSpacecraft(t *testing.T) ([]*ll2.SpacecraftDetailed, []json.RawMessage) {
	t.Helper()
	var all []*ll2.SpacecraftDetailed
	var raws []json.RawMessage
	for _, name := range samples {
		b := readSample(t, name)
		var page ll2.Page[*ll2.SpacecraftDetailed]
		var raw ll2.Page[json.RawMessage]
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Results...)
		raws = append(raws, raw.Results...)
	}
	return all, raws
}

func sameJSON(t *testing.T, want json.RawMessage, got any) string {
	t.Helper()
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	return firstDiff("$", decodeAny(t, want), decodeAny(t, b))
}

// TestLevelsRoundTrip goes up and down the levels from real normal objects: the
// detailed rendering and back, and the upgrade and back, must both give LL2's
// normal JSON again.
func TestLevelsRoundTrip(t *testing.T) {
	all, raws := sampleSpacecraft(t)
	for i, s := range all {
		d := s.Detailed()
		if d := sameJSON(t, raws[i], d.Normal()); d != "" {
			t.Errorf("%d: Detailed().Normal() differs: %s", s.ID, d)
		}
		var n ll2.SpacecraftNormal
		if err := json.Unmarshal(raws[i], &n); err != nil {
			t.Fatal(err)
		}
		up := n.Upgrade()
		if up.Flights != nil || (up.SpacecraftConfig != nil && up.SpacecraftConfig.Capability != nil) {
			t.Errorf("%d: Upgrade invented detailed fields", s.ID)
		}
		if d := sameJSON(t, raws[i], up.Normal()); d != "" {
			t.Errorf("%d: Upgrade().Normal() differs: %s", s.ID, d)
		}
		upd := up.Detailed()
		if d := sameJSON(t, raws[i], upd.Normal()); d != "" {
			t.Errorf("%d: Upgrade().Detailed().Normal() differs: %s", s.ID, d)
		}
	}
}

// TestLevelsResponseModes checks LL2's nesting of response_mode at each level.
func TestLevelsResponseModes(t *testing.T) {
	all, _ := sampleSpacecraft(t)
	withFamilies := 0
	for _, s := range all {
		c := s.SpacecraftConfig
		if c == nil || c.Agency == nil {
			t.Fatalf("%d: sample without config or agency", s.ID)
		}
		// Start from a detailed rendering, whose nested modes differ from the normal ones.
		d := s.Detailed()
		if d.ResponseMode != "detailed" || d.SpacecraftConfig.ResponseMode != "detailed" || d.SpacecraftConfig.Agency.ResponseMode != "normal" {
			t.Errorf("%d: detailed modes %q/%q/%q", s.ID, d.ResponseMode, d.SpacecraftConfig.ResponseMode, d.SpacecraftConfig.Agency.ResponseMode)
		}
		for _, f := range d.SpacecraftConfig.Family {
			withFamilies++
			if f.ResponseMode != "normal" || (f.Manufacturer != nil && f.Manufacturer.ResponseMode != "normal") {
				t.Errorf("%d: detailed config's family %d: modes %q, manufacturer %+v", s.ID, f.ID, f.ResponseMode, f.Manufacturer)
			}
		}
		n := d.Normal()
		if n.ResponseMode != "normal" || n.SpacecraftConfig.ResponseMode != "normal" || n.SpacecraftConfig.Agency.ResponseMode != "list" {
			t.Errorf("%d: normal modes %q/%q/%q", s.ID, n.ResponseMode, n.SpacecraftConfig.ResponseMode, n.SpacecraftConfig.Agency.ResponseMode)
		}
		for _, f := range n.SpacecraftConfig.Family {
			if f.ResponseMode != "normal" || (f.Manufacturer != nil && f.Manufacturer.ResponseMode != "list") {
				t.Errorf("%d: normal config's family %d: mode %q, manufacturer %+v", s.ID, f.ID, f.ResponseMode, f.Manufacturer)
			}
		}
		// Projections do not write through to their source.
		if s.ResponseMode != "normal" || c.ResponseMode != "normal" || c.Agency.ResponseMode != "list" {
			t.Errorf("%d: projecting changed the source: %q/%q/%q", s.ID, s.ResponseMode, c.ResponseMode, c.Agency.ResponseMode)
		}
	}
	if withFamilies == 0 {
		t.Fatal("no sample has families: the family checks did not run")
	}

	// Agencies and families on their own.
	name := "Energia"
	a := ll2.AgencyNormal{AgencyMini: ll2.AgencyMini{ResponseMode: "detailed", ID: 1000, Name: name}, Parent: &name}
	ad := a.Upgrade()
	if m := ad.Mini(); m.ResponseMode != "list" || m.ID != 1000 {
		t.Errorf("agency Mini: %+v", m)
	}
	if n := ad.Normal(); n.ResponseMode != "normal" || n.Parent == nil || *n.Parent != name {
		t.Errorf("agency Normal: %+v", n)
	}
	if d := ad.Detailed(); d.ResponseMode != "detailed" || d.SpacecraftList != nil {
		t.Errorf("agency Detailed: %+v", d)
	}
	fam := ll2.FamilyNormal{
		FamilyMini:   ll2.FamilyMini{ResponseMode: "normal", ID: 2, Name: "Progress"},
		Manufacturer: &ll2.AgencyMini{ResponseMode: "list", ID: 1000, Name: name},
		Parent:       &ll2.FamilyMini{ResponseMode: "list", ID: 1, Name: "Soyuz"},
	}
	fd := fam.Upgrade().Detailed()
	if fd.ResponseMode != "detailed" || fd.Manufacturer.ResponseMode != "normal" || fd.Parent.ResponseMode != "normal" || fd.Manufacturer.ID != 1000 || fd.Parent.ID != 1 {
		t.Errorf("family Detailed: %+v", fd)
	}
	if fn := fd.Normal(); fn.ResponseMode != "normal" || fn.Manufacturer.ResponseMode != "list" || fn.Parent.ResponseMode != "list" {
		t.Errorf("family Normal: %+v", fn)
	}
	if fm := fd.Mini(); fm != (ll2.FamilyMini{ResponseMode: "list", ID: 2, Name: "Progress"}) {
		t.Errorf("family Mini: %+v", fm)
	}
}
