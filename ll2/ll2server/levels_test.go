package ll2server_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"spacegraph/ll2"
)

// The keys of each schema of LL2 2.3.0's OpenAPI document (spacecraft, configurations,
// families, agencies and what they embed, at each mode), copied here so that the
// tests stand alone.
var (
	keysSpacecraftNormal = []string{"response_mode", "id", "url", "name", "serial_number", "is_placeholder", "image",
		"in_space", "time_in_space", "time_docked", "flights_count", "mission_ends_count", "status", "description",
		"spacecraft_config", "fastest_turnaround"}
	keysSpacecraftDetailed = append(slices.Clone(keysSpacecraftNormal), "flights")
	keysFlight             = []string{"id", "url", "destination", "mission_end", "spacecraft", "launch", "landing",
		"duration", "turn_around_time", "response_mode"}
	keysConfigNormal   = []string{"response_mode", "id", "url", "name", "type", "agency", "family", "in_use", "image"}
	keysConfigDetailed = []string{"response_mode", "id", "url", "name", "type", "agency", "family", "in_use", "image",
		"capability", "history", "details", "maiden_flight", "height", "diameter", "human_rated", "crew_capacity",
		"payload_capacity", "payload_return_capacity", "flight_life", "wiki_link", "info_link", "spacecraft_flown",
		"total_launch_count", "successful_launches", "failed_launches", "attempted_landings", "successful_landings",
		"failed_landings", "fastest_turnaround"}
	keysFamilyMini     = []string{"response_mode", "id", "name"}
	keysFamilyNormal   = []string{"response_mode", "id", "name", "description", "manufacturer", "parent", "maiden_flight"}
	keysFamilyDetailed = []string{"response_mode", "id", "name", "description", "manufacturer", "parent",
		"maiden_flight", "spacecraft_flown", "total_launch_count", "successful_launches", "failed_launches",
		"attempted_landings", "successful_landings", "failed_landings"}
	keysFamilyEndpointDetailed = append(slices.Clone(keysFamilyDetailed), "spacecraft")
	keysAgencyMini             = []string{"response_mode", "id", "url", "name", "abbrev", "type"}
	keysAgencyNormal           = []string{"response_mode", "id", "url", "name", "abbrev", "type", "featured", "country",
		"description", "administrator", "founding_year", "launchers", "spacecraft", "parent", "image", "logo", "social_logo"}
	keysAgencyDetailed = append(slices.Clone(keysAgencyNormal), "total_launch_count", "consecutive_successful_launches",
		"successful_launches", "failed_launches", "pending_launches", "consecutive_successful_landings",
		"successful_landings", "failed_landings", "attempted_landings", "successful_landings_spacecraft",
		"failed_landings_spacecraft", "attempted_landings_spacecraft", "successful_landings_payload",
		"failed_landings_payload", "attempted_landings_payload", "info_url", "wiki_url", "social_media_links",
		"launcher_list", "spacecraft_list")
	keysIDName       = []string{"id", "name"} // SpacecraftStatus, SpacecraftConfigType, AgencyType
	keysCountry      = []string{"id", "name", "alpha_2_code", "alpha_3_code", "nationality_name", "nationality_name_composed"}
	keysImage        = []string{"id", "name", "image_url", "thumbnail_url", "credit", "license", "single_use", "variants"}
	keysImageLicense = []string{"id", "name", "priority", "link"}
)

// shape walks a JSON object and checks it against a schema, recursing into the
// objects it embeds. The one key beyond the schema is the server's snapshot_mode,
// on the objects of a partial snapshot only (partial): the level the record holds,
// always below the detailed level.
type shape struct {
	t       testing.TB
	partial bool
	held    *int
}

func (s shape) obj(what string, raw json.RawMessage, keys []string, mode string) map[string]json.RawMessage {
	s.t.Helper()
	m := decodeObject(s.t, what, raw)
	if held, ok := m["snapshot_mode"]; ok && mode != "" {
		var hm string
		_ = json.Unmarshal(held, &hm)
		if l, ok := ll2.SnapshotLevel(hm); !s.partial || !ok || l >= ll2.LevelDetailed {
			s.t.Errorf("%s: snapshot_mode %s on a snapshot that is whole, or not a level below detailed", what, held)
		}
		*s.held++
		delete(m, "snapshot_mode")
	}
	assertKeys(s.t, what, m, keys)
	if mode != "" {
		var rm string
		_ = json.Unmarshal(m["response_mode"], &rm)
		if rm != mode {
			s.t.Errorf("%s: response_mode %q, want %q", what, rm, mode)
		}
	}
	return m
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

func (s shape) each(what string, raw json.RawMessage, f func(string, json.RawMessage)) {
	s.t.Helper()
	if isNull(raw) {
		return
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		s.t.Fatalf("%s: not an array: %s", what, raw)
	}
	for i, it := range items {
		f(fmt.Sprintf("%s[%d]", what, i), it)
	}
}

func (s shape) opt(what string, raw json.RawMessage, f func(string, json.RawMessage)) {
	s.t.Helper()
	if !isNull(raw) {
		f(what, raw)
	}
}

func (s shape) image(what string, raw json.RawMessage) {
	m := s.obj(what, raw, keysImage, "")
	s.obj(what+".license", m["license"], keysImageLicense, "")
}

func (s shape) spacecraft(what string, raw json.RawMessage, level string) {
	s.t.Helper()
	keys := keysSpacecraftNormal
	if level == "detailed" {
		keys = keysSpacecraftDetailed
	}
	m := s.obj(what, raw, keys, level)
	s.opt(what+".status", m["status"], func(w string, r json.RawMessage) { s.obj(w, r, keysIDName, "") })
	s.opt(what+".image", m["image"], s.image)
	s.opt(what+".spacecraft_config", m["spacecraft_config"], func(w string, r json.RawMessage) { s.config(w, r, level) })
	if level == "detailed" {
		s.each(what+".flights", m["flights"], func(w string, r json.RawMessage) { s.obj(w, r, keysFlight, "") })
	}
}

// config: a normal configuration embeds its agency at the list level and its
// families at the normal level; a detailed one its agency at the normal level and its
// families at the detailed (embedded) level.
func (s shape) config(what string, raw json.RawMessage, level string) {
	s.t.Helper()
	keys, agencyLevel, familyLevel := keysConfigNormal, "list", "normal"
	if level == "detailed" {
		keys, agencyLevel, familyLevel = keysConfigDetailed, "normal", "embedded"
	}
	m := s.obj(what, raw, keys, level)
	s.opt(what+".type", m["type"], func(w string, r json.RawMessage) { s.obj(w, r, keysIDName, "") })
	s.opt(what+".image", m["image"], s.image)
	s.opt(what+".agency", m["agency"], func(w string, r json.RawMessage) { s.agency(w, r, agencyLevel) })
	s.each(what+".family", m["family"], func(w string, r json.RawMessage) { s.family(w, r, familyLevel) })
}

func (s shape) agency(what string, raw json.RawMessage, level string) {
	s.t.Helper()
	keys := map[string][]string{"list": keysAgencyMini, "normal": keysAgencyNormal, "detailed": keysAgencyDetailed}[level]
	m := s.obj(what, raw, keys, level)
	s.obj(what+".type", m["type"], keysIDName, "")
	if level == "list" {
		return
	}
	s.each(what+".country", m["country"], func(w string, r json.RawMessage) { s.obj(w, r, keysCountry, "") })
	for _, k := range []string{"image", "logo", "social_logo"} {
		s.opt(what+"."+k, m[k], s.image)
	}
	if level == "detailed" {
		s.each(what+".spacecraft_list", m["spacecraft_list"], func(w string, r json.RawMessage) { s.config(w, r, "detailed") })
	}
}

// family levels: list, normal (manufacturer at list, parent at list), embedded (the
// shape a detailed configuration embeds: manufacturer at normal, parent at normal,
// counts; LL2's schema gives it the response_mode "normal") and detailed (the
// family endpoint's: the embedded shape plus its configurations at the normal level).
func (s shape) family(what string, raw json.RawMessage, level string) {
	s.t.Helper()
	switch level {
	case "list":
		s.obj(what, raw, keysFamilyMini, "list")
	case "normal":
		m := s.obj(what, raw, keysFamilyNormal, "normal")
		s.opt(what+".manufacturer", m["manufacturer"], func(w string, r json.RawMessage) { s.agency(w, r, "list") })
		s.opt(what+".parent", m["parent"], func(w string, r json.RawMessage) { s.family(w, r, "list") })
	case "embedded", "detailed":
		keys, mode := keysFamilyDetailed, "normal"
		if level == "detailed" {
			keys, mode = keysFamilyEndpointDetailed, "detailed"
		}
		m := s.obj(what, raw, keys, mode)
		s.opt(what+".manufacturer", m["manufacturer"], func(w string, r json.RawMessage) { s.agency(w, r, "normal") })
		s.opt(what+".parent", m["parent"], func(w string, r json.RawMessage) { s.family(w, r, "normal") })
		if level == "detailed" {
			s.each(what+".spacecraft", m["spacecraft"], func(w string, r json.RawMessage) { s.config(w, r, "normal") })
		}
	default:
		s.t.Fatalf("unknown family level %q", level)
	}
}

// TestLevels checks every mode of every endpoint against the schema, recursively.
func TestLevels(t *testing.T) {
	for _, src := range []string{"fixture", "embedded"} {
		t.Run(src, func(t *testing.T) {
			e := fxEnvOf(t)
			if src == "embedded" {
				e = newEnv(t, mustEmbedded(t), optsNone)
			}
			s := shape{t: t, partial: src == "embedded", held: new(int)}
			defer func() {
				if (*s.held > 0) != s.partial {
					t.Errorf("%d objects carry a snapshot_mode; want some exactly when the snapshot is partial", *s.held)
				}
			}()
			cases := []struct {
				path, mode, level string
				check             func(string, json.RawMessage, string)
			}{
				{"spacecraft/", "", "normal", s.spacecraft},
				{"spacecraft/", "normal", "normal", s.spacecraft},
				{"spacecraft/", "detailed", "detailed", s.spacecraft},
				{"spacecraft/", "list", "normal", s.spacecraft}, // not a mode of spacecraft/: the default
				{"spacecraft/", "garbage", "normal", s.spacecraft},
				{"spacecraft_configurations/", "", "normal", s.config},
				{"spacecraft_configurations/", "normal", "normal", s.config},
				{"spacecraft_configurations/", "detailed", "detailed", s.config},
				{"spacecraft_configurations/", "list", "normal", s.config},
				{"agencies/", "", "normal", s.agency},
				{"agencies/", "list", "list", s.agency},
				{"agencies/", "normal", "normal", s.agency},
				{"agencies/", "detailed", "detailed", s.agency},
				{"agencies/", "mini", "normal", s.agency},
				{"spacecraft_configuration_families/", "", "normal", s.family},
				{"spacecraft_configuration_families/", "list", "list", s.family},
				{"spacecraft_configuration_families/", "normal", "normal", s.family},
				{"spacecraft_configuration_families/", "detailed", "detailed", s.family},
			}
			for _, c := range cases {
				target := c.path + "?limit=100"
				if c.mode != "" {
					target += "&mode=" + c.mode
				}
				p := e.list(target)
				if len(p.Results) == 0 {
					t.Fatalf("%s: no results", target)
				}
				for i, r := range p.Results {
					c.check(fmt.Sprintf("%s results[%d]", target, i), r, c.level)
				}
				// The detail endpoint answers at the detailed level, whatever the mode.
				id := pageIDs(t, p)[0]
				d := e.get(fmt.Sprintf("%s%d/?mode=%s", c.path, id, c.mode))
				if d.status != 200 {
					t.Fatalf("%s%d/: status %d", c.path, id, d.status)
				}
				c.check(fmt.Sprintf("%s%d/", c.path, id), d.body, "detailed")
			}
		})
	}
}

// TestLevelValues checks that the levels carry the snapshot's values, with each
// embedded object taken from its own collection (the fixture refers to some by id only).
func TestLevelValues(t *testing.T) {
	v := fxOnce()
	e := fxEnvOf(t)

	var normal ll2.Page[ll2.SpacecraftNormal]
	mustDecode(t, e.get("spacecraft/?limit=100").body, &normal)
	var detailed ll2.Page[ll2.SpacecraftDetailed]
	mustDecode(t, e.get("spacecraft/?limit=100&mode=detailed").body, &detailed)
	want := expectIDs(v.data.Spacecraft, scID, nil, nil)
	if len(normal.Results) != len(want) || len(detailed.Results) != len(want) {
		t.Fatalf("got %d and %d results, want %d", len(normal.Results), len(detailed.Results), len(want))
	}
	byID := map[int]*ll2.SpacecraftDetailed{}
	for _, s := range v.data.Spacecraft {
		byID[s.ID] = s
	}
	strOf := func(d *ll2.Duration) string {
		if d == nil {
			return "<null>"
		}
		return d.String()
	}
	ptrEq := func(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	boolEq := func(a, b *bool) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	for i, id := range want {
		src := byID[id]
		n, d := normal.Results[i], detailed.Results[i]
		for _, b := range []ll2.SpacecraftBase{n.SpacecraftBase, d.SpacecraftBase} {
			if b.ID != id || b.Name != src.Name || b.Description != src.Description ||
				strOf(b.TimeInSpace) != strOf(src.TimeInSpace) || strOf(b.TimeDocked) != strOf(src.TimeDocked) ||
				!ptrEq(b.FlightsCount, src.FlightsCount) || !ptrEq(b.MissionEndsCount, src.MissionEndsCount) ||
				!boolEq(b.InSpace, src.InSpace) || !boolEq(b.IsPlaceholder, src.IsPlaceholder) ||
				(b.Status == nil) != (src.Status == nil) || (b.Status != nil && *b.Status != *src.Status) {
				t.Errorf("spacecraft %d: served %+v, snapshot %+v", id, b, src.SpacecraftBase)
			}
			if wantURL := e.base() + fmt.Sprintf("spacecraft/%d/", id); b.URL != wantURL {
				t.Errorf("spacecraft %d: url %q, want %q", id, b.URL, wantURL)
			}
		}
		if src.SpacecraftConfig == nil {
			if n.SpacecraftConfig != nil || d.SpacecraftConfig != nil {
				t.Errorf("spacecraft %d: a configuration appeared", id)
			}
			continue
		}
		cfg := v.config[src.SpacecraftConfig.ID]
		nc, dc := n.SpacecraftConfig, d.SpacecraftConfig
		if nc == nil || dc == nil || nc.Name != cfg.Name || dc.Name != cfg.Name || dc.Capability == nil || *dc.Capability != *cfg.Capability {
			t.Errorf("spacecraft %d: configuration not resolved from its collection: %+v / %+v", id, nc, dc)
			continue
		}
		if agency := v.configAgency(cfg); agency != 0 {
			a := v.agency[agency]
			if nc.Agency == nil || nc.Agency.Name != a.Name || dc.Agency == nil || dc.Agency.Name != a.Name ||
				dc.Agency.Description == nil || a.Description != nil && *dc.Agency.Description != *a.Description {
				t.Errorf("spacecraft %d: agency not resolved: %+v / %+v", id, nc.Agency, dc.Agency)
			}
		} else if nc.Agency != nil || dc.Agency != nil {
			t.Errorf("spacecraft %d: an agency appeared", id)
		}
		if (cfg.Family == nil) != (nc.Family == nil) || len(nc.Family) != len(cfg.Family) || len(dc.Family) != len(cfg.Family) {
			t.Errorf("spacecraft %d: families %v, want %v", id, nc.Family, cfg.Family)
			continue
		}
		for j, f := range cfg.Family {
			fam := v.family[f.ID]
			if nc.Family[j].Name != fam.Name || dc.Family[j].Name != fam.Name || !ptrEq(dc.Family[j].SpacecraftFlown, fam.SpacecraftFlown) {
				t.Errorf("spacecraft %d family %d: not resolved: %+v", id, f.ID, dc.Family[j])
			}
			if fam.Parent != nil {
				parent := v.family[fam.Parent.ID]
				if nc.Family[j].Parent == nil || nc.Family[j].Parent.Name != parent.Name || dc.Family[j].Parent == nil || dc.Family[j].Parent.Name != parent.Name {
					t.Errorf("spacecraft %d family %d: parent not resolved", id, f.ID)
				}
			}
		}
	}

	// The derived lists: an agency's configurations and a family's.
	var agencies ll2.Page[ll2.AgencyDetailed]
	mustDecode(t, e.get("agencies/?mode=detailed&limit=100").body, &agencies)
	for _, a := range agencies.Results {
		var got []int
		for _, c := range a.SpacecraftList {
			got = append(got, c.ID)
		}
		want := expectIDs(v.data.Configs, cfgID, func(c *ll2.SpacecraftConfigDetailed) bool { return v.configAgency(c) == a.ID }, nil)
		assertIDs(t, fmt.Sprintf("agency %d spacecraft_list", a.ID), got, want)
	}
	var families ll2.Page[ll2.FamilyEndpointDetailed]
	mustDecode(t, e.get("spacecraft_configuration_families/?mode=detailed&limit=100").body, &families)
	for _, f := range families.Results {
		var got []int
		for _, c := range f.Spacecraft {
			got = append(got, c.ID)
		}
		want := expectIDs(v.data.Configs, cfgID, func(c *ll2.SpacecraftConfigDetailed) bool {
			return slices.ContainsFunc(c.Family, func(cf ll2.FamilyDetailed) bool { return cf.ID == f.ID })
		}, nil)
		assertIDs(t, fmt.Sprintf("family %d spacecraft", f.ID), got, want)
		if f.Manufacturer != nil && f.Manufacturer.Name != v.agency[f.Manufacturer.ID].Name {
			t.Errorf("family %d: manufacturer not resolved: %+v", f.ID, f.Manufacturer)
		}
	}
	// Nulls are rendered as null, not dropped and not invented.
	r := e.get("spacecraft/88/")
	m := decodeObject(t, "spacecraft 88", r.body)
	for _, k := range []string{"in_space", "is_placeholder", "time_in_space", "time_docked", "flights_count", "mission_ends_count", "status", "spacecraft_config", "image"} {
		if !isNull(m[k]) {
			t.Errorf("spacecraft 88: %s = %s, want null", k, m[k])
		}
	}
	// The snapshot holds flights and spacecraft 88's whole record: it has none.
	if string(m["flights"]) != "[]" {
		t.Errorf("spacecraft 88: flights = %s, want []", m["flights"])
	}
	if !strings.Contains(string(e.get("spacecraft/9/").body), `"time_in_space":"PT90M"`) {
		t.Errorf("spacecraft 9: durations must keep LL2's text")
	}
}

func mustDecode(t testing.TB, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decoding %T: %v: %.300s", v, err, body)
	}
}
