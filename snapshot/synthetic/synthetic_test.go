package synthetic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
)

func encodeData(t testing.TB, d snapshot.Data) []byte {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGenerateDeterministic(t *testing.T) {
	a := encodeData(t, Generate(LL2Scale()))
	b := encodeData(t, Generate(LL2Scale()))
	if !bytes.Equal(a, b) {
		t.Fatalf("two runs with the same options differ (%d and %d bytes)", len(a), len(b))
	}
	o := LL2Scale()
	o.Seed++
	if c := encodeData(t, Generate(o)); bytes.Equal(a, c) {
		t.Fatal("a different seed gave the same data")
	}
	if x, y := encodeData(t, Generate(LL2ScaleFlights())), encodeData(t, Generate(LL2ScaleFlights())); !bytes.Equal(x, y) {
		t.Fatal("two runs with flights differ")
	}
}

func TestGenerateSizes(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want [4]int
	}{
		{"LL2Scale", LL2Scale(), [4]int{600, 46, 311, 30}},
		{"Large", Large(), [4]int{100_000, 46, 311, 30}},
		{"tiny", Options{Seed: 9, Spacecraft: 3}, [4]int{3, 1, 1, 0}},
		{"empty", Options{Seed: 9, Spacecraft: -5}, [4]int{0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "Large" && testing.Short() {
				t.Skip("builds 100,000 spacecraft")
			}
			d := Generate(tc.opts)
			got := [4]int{len(d.Spacecraft), len(d.Configs), len(d.Agencies), len(d.Families)}
			if got != tc.want {
				t.Fatalf("spacecraft, configs, agencies, families = %v, want %v", got, tc.want)
			}
			for i, s := range d.Spacecraft {
				if s.ID != i+1 {
					t.Fatalf("spacecraft %d has id %d", i, s.ID)
				}
			}
		})
	}
}

// TestGenerateLargeSharesSmallCollections pins that the collections other than the
// spacecraft do not depend on the number of spacecraft, which Large's doc promises.
func TestGenerateLargeSharesSmallCollections(t *testing.T) {
	small := Generate(Options{Seed: 4, Spacecraft: 10, Configs: 12, Agencies: 30, Families: 6})
	big := Generate(Options{Seed: 4, Spacecraft: 2000, Configs: 12, Agencies: 30, Families: 6})
	// An agency's spacecraft_list embeds its configurations, spacecraft_flown included.
	for _, d := range []snapshot.Data{small, big} {
		for i, a := range d.Agencies {
			c := *a
			c.SpacecraftList = slices.Clone(a.SpacecraftList)
			for k := range c.SpacecraftList {
				c.SpacecraftList[k].SpacecraftFlown = nil
			}
			d.Agencies[i] = &c
		}
	}
	for _, pair := range [][2]any{
		{small.Agencies, big.Agencies},
		{small.Families, big.Families},
		{small.Lookups, big.Lookups},
	} {
		a, _ := json.Marshal(pair[0])
		b, _ := json.Marshal(pair[1])
		if !bytes.Equal(a, b) {
			t.Errorf("%T differs between 10 and 2000 spacecraft", pair[0])
		}
	}
	// Configurations differ only in spacecraft_flown, which counts the spacecraft.
	for i := range small.Configs {
		a, b := *small.Configs[i], *big.Configs[i]
		a.SpacecraftFlown, b.SpacecraftFlown = nil, nil
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Errorf("configuration %d differs between 10 and 2000 spacecraft", a.ID)
		}
	}
}

// nilFinder walks a record and reports every nil pointer, slice or map, except at
// the paths that may be nil.
type nilFinder struct {
	allowed func(path string) bool
	found   []string
}

func (n *nilFinder) walk(path string, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			n.nil(path)
			return
		}
		n.walk(path, v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			n.nil(path)
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // json.RawMessage
		}
		for i := range v.Len() {
			n.walk(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			n.nil(path)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			p := path + "." + f.Name
			if f.Anonymous {
				p = path
			}
			n.walk(p, v.Field(i))
		}
	}
}

func (n *nilFinder) nil(path string) {
	if n.allowed(path) {
		return
	}
	n.found = append(n.found, path)
}

func TestGenerateFillsEveryField(t *testing.T) {
	d := Generate(LL2Scale())
	// Only some agencies and families have parents, as in LL2 (and a family's parent
	// may have none); a spacecraft's flights are the flight records, not its own list;
	// everything else is set.
	n := &nilFinder{allowed: func(path string) bool {
		return strings.HasSuffix(path, ".Parent") || path == "spacecraft.Flights"
	}}
	for _, i := range []int{0, 1, 2, 299, 599} {
		n.walk("spacecraft", reflect.ValueOf(d.Spacecraft[i]))
	}
	for _, c := range d.Configs {
		n.walk("config", reflect.ValueOf(c))
	}
	for _, a := range d.Agencies {
		n.walk("agency", reflect.ValueOf(a))
	}
	for _, f := range d.Families {
		n.walk("family", reflect.ValueOf(f))
	}
	if len(n.found) > 0 {
		t.Fatalf("%d nil fields, e.g. %v", len(n.found), n.found[:min(10, len(n.found))])
	}

	// The optional parts are there for some records: parents, launchers, second
	// countries, configurations in spacecraft_list.
	var agencyParents, familyParents, launchers, twoCountries, makers int
	for _, a := range d.Agencies {
		if a.Parent != nil {
			agencyParents++
		}
		if len(a.LauncherList) > 0 {
			launchers++
		}
		if len(a.Country) > 1 {
			twoCountries++
		}
		if len(a.SpacecraftList) > 0 {
			makers++
		}
	}
	for _, f := range d.Families {
		if f.Parent != nil {
			familyParents++
		}
	}
	for what, n := range map[string]int{"agency parents": agencyParents, "family parents": familyParents,
		"agencies with launchers": launchers, "agencies in two countries": twoCountries, "agencies with configurations": makers} {
		if n == 0 {
			t.Errorf("no %s", what)
		}
	}
	if agencyParents == len(d.Agencies) || familyParents == len(d.Families) {
		t.Errorf("every agency (%d) or family (%d) has a parent", agencyParents, familyParents)
	}
}

func TestGenerateValues(t *testing.T) {
	d := Generate(LL2Scale())
	if got := d.Spacecraft[122].Name; got != "Synthetic Spacecraft 000123" {
		t.Errorf("spacecraft 123 is named %q", got)
	}
	if got := d.Agencies[16].Name; got != "Synthetic Agency 017" {
		t.Errorf("agency 17 is named %q", got)
	}
	statusNames := map[int]string{1: "Active", 2: "Retired", 3: "Destroyed", 4: "Single Use", 5: "Under construction"}
	seenStatus := map[int]int{}
	inSpace := 0
	for _, s := range d.Spacecraft {
		seenStatus[s.Status.ID]++
		if statusNames[s.Status.ID] != s.Status.Name {
			t.Fatalf("spacecraft %d: status %d %q", s.ID, s.Status.ID, s.Status.Name)
		}
		if *s.MissionEndsCount > *s.FlightsCount {
			t.Errorf("spacecraft %d: %d mission ends for %d flights", s.ID, *s.MissionEndsCount, *s.FlightsCount)
		}
		if s.TimeDocked.Seconds() > s.TimeInSpace.Seconds() {
			t.Errorf("spacecraft %d: docked %s longer than in space %s", s.ID, s.TimeDocked, s.TimeInSpace)
		}
		if *s.InSpace {
			inSpace++
		}
	}
	if len(seenStatus) != 5 {
		t.Errorf("statuses used: %v, want all five", seenStatus)
	}
	if inSpace == 0 || inSpace == len(d.Spacecraft) {
		t.Errorf("%d of %d spacecraft in space", inSpace, len(d.Spacecraft))
	}
	for _, row := range d.Lookups[ll2.PathSpacecraftStatuses] {
		if statusNames[row.ID] != row.Name {
			t.Errorf("status table row %d %q", row.ID, row.Name)
		}
	}
	for _, row := range d.Lookups[ll2.PathCountries] {
		a2, a3 := row.Raw["alpha_2_code"].(string), row.Raw["alpha_3_code"].(string)
		if len(a2) != 2 || len(a3) != 3 || a2[0] != 'X' || a3[0] != 'X' {
			t.Errorf("country %d has codes %q %q, want the user-assigned X range", row.ID, a2, a3)
		}
	}

	// Durations are ordered by length, which differs from their text order.
	var texts []string
	byLength := slices.Clone(d.Spacecraft)
	slices.SortStableFunc(byLength, func(a, b *ll2.SpacecraftDetailed) int { return a.TimeInSpace.Compare(*b.TimeInSpace) })
	for _, s := range byLength {
		texts = append(texts, s.TimeInSpace.String())
	}
	if slices.IsSorted(texts) {
		t.Error("time_in_space sorts the same by text as by length: ordering by it tests nothing")
	}
	distinct := map[string]bool{}
	for _, s := range texts {
		distinct[s] = true
	}
	if len(distinct) < len(texts)/3 {
		t.Errorf("only %d distinct time_in_space values in %d", len(distinct), len(texts))
	}
	for _, c := range d.Configs {
		if c.MaidenFlight == nil || c.FastestTurnaround == nil {
			t.Fatalf("configuration %d lacks maiden_flight or fastest_turnaround", c.ID)
		}
		if _, err := ll2.ParseDate(string(*c.MaidenFlight)); err != nil {
			t.Error(err)
		}
	}
}

// TestGenerateConsistent checks the joins: what LL2 derives from the configurations
// agrees with the configurations, and every embedded lookup row is in its table.
func TestGenerateConsistent(t *testing.T) {
	d := Generate(LL2Scale())
	flown := map[int]int{}
	for _, s := range d.Spacecraft {
		if *s.FlightsCount > 0 {
			flown[s.SpacecraftConfig.ID]++
		}
	}
	byAgency := map[int][]int{}
	byFamily := map[int][]int{}
	names := map[int][]string{}
	for _, c := range d.Configs {
		if *c.SpacecraftFlown != flown[c.ID] {
			t.Errorf("configuration %d: spacecraft_flown %d, %d of its spacecraft have flown", c.ID, *c.SpacecraftFlown, flown[c.ID])
		}
		byAgency[c.Agency.ID] = append(byAgency[c.Agency.ID], c.ID)
		names[c.Agency.ID] = append(names[c.Agency.ID], c.Name)
		for _, f := range c.Family {
			byFamily[f.ID] = append(byFamily[f.ID], c.ID)
		}
	}
	for _, a := range d.Agencies {
		var got []int
		for _, c := range a.SpacecraftList {
			got = append(got, c.ID)
		}
		if !slices.Equal(got, byAgency[a.ID]) {
			t.Errorf("agency %d: spacecraft_list %v, configurations %v", a.ID, got, byAgency[a.ID])
		}
		if want := strings.Join(names[a.ID], " | "); *a.Spacecraft != want {
			t.Errorf("agency %d: spacecraft %q, want %q", a.ID, *a.Spacecraft, want)
		}
	}
	families := map[int]*ll2.FamilyEndpointDetailed{}
	for _, f := range d.Families {
		families[f.ID] = f
		var got []int
		for _, c := range f.Spacecraft {
			got = append(got, c.ID)
		}
		if !slices.Equal(got, byFamily[f.ID]) {
			t.Errorf("family %d: spacecraft %v, configurations %v", f.ID, got, byFamily[f.ID])
		}
		if f.Parent != nil && f.Parent.ID >= f.ID {
			t.Errorf("family %d has parent %d: parents must come first to rule out cycles", f.ID, f.Parent.ID)
		}
	}
	for _, c := range d.Configs {
		for _, f := range c.Family {
			a, _ := json.Marshal(f)
			b, _ := json.Marshal(families[f.ID].FamilyDetailed)
			if !bytes.Equal(a, b) {
				t.Errorf("configuration %d embeds family %d unlike the family's own record", c.ID, f.ID)
			}
		}
	}

	col := snapshot.NewCollector()
	for _, s := range d.Spacecraft {
		col.AddSpacecraft(s, ll2.LevelDetailed)
	}
	for _, a := range d.Agencies {
		col.AddAgency(a, ll2.LevelDetailed)
	}
	for _, f := range d.Families {
		col.AddFamily(f, ll2.LevelDetailed)
	}
	embedded := col.Data().Lookups
	for _, p := range ll2.LookupPaths {
		if len(embedded[p]) == 0 {
			t.Errorf("%s: no record embeds a row", p)
		}
		table := map[int]ll2.Lookup{}
		for _, r := range d.Lookups[p] {
			table[r.ID] = r
		}
		for _, r := range embedded[p] {
			want, ok := table[r.ID]
			a, _ := json.Marshal(r.Raw)
			b, _ := json.Marshal(want.Raw)
			if !ok || !bytes.Equal(a, b) {
				t.Errorf("%s: embedded row %s, table row %s", p, a, b)
			}
		}
	}
}

// TestGenerateServes checks that the built-in server takes generated data as it is:
// nothing is dropped or replaced when the store normalises it.
func TestGenerateServes(t *testing.T) {
	d := Generate(Options{Seed: 3, Spacecraft: 250, Configs: 20, Agencies: 50, Families: 8})
	store := ll2server.NewStore(d)
	c := store.Counts()
	for path, want := range map[string]int{"spacecraft/": 250, "spacecraft_configurations/": 20, "agencies/": 50, "spacecraft_configuration_families/": 8} {
		if c[path] != want {
			t.Errorf("store holds %d %s, want %d", c[path], path, want)
		}
	}
	for i, a := range store.Agencies() {
		if len(a.SpacecraftList) != len(d.Agencies[i].SpacecraftList) {
			t.Errorf("agency %d: store lists %d configurations, generator %d", a.ID, len(a.SpacecraftList), len(d.Agencies[i].SpacecraftList))
		}
	}
}

// TestGenerateFlights checks the flights and docking events against the spacecraft
// they belong to and against each other.
func TestGenerateFlights(t *testing.T) {
	d := Generate(LL2ScaleFlights())
	perSpacecraft := map[int][]*ll2.SpacecraftFlight{}
	for i, f := range d.Flights {
		if f.ID != i+1 {
			t.Fatalf("flight %d has id %d", i, f.ID)
		}
		perSpacecraft[f.SpacecraftID()] = append(perSpacecraft[f.SpacecraftID()], f)
		ended := f.MissionEnd != nil
		if (f.Landing != nil) != ended || (f.Duration != nil) != ended {
			t.Errorf("flight %d: mission end %v, landing %v, duration %v", f.ID, f.MissionEnd, f.Landing != nil, f.Duration)
		}
		if ended && int64(f.MissionEnd.Time().Sub(f.Launch.Net.Time()).Seconds()) != f.Duration.WholeSeconds() {
			t.Errorf("flight %d: duration %s, but from %s to %s", f.ID, f.Duration, f.Launch.Net, f.MissionEnd)
		}
		if f.Launch.LaunchServiceProvider == nil || f.Launch.Mission == nil || f.Launch.Pad == nil || len(f.Launch.ID) != 36 {
			t.Errorf("flight %d: launch %+v", f.ID, f.Launch)
		}
	}
	for _, s := range d.Spacecraft {
		fs := perSpacecraft[s.ID]
		if len(fs) != *s.FlightsCount {
			t.Errorf("spacecraft %d: %d flights, flights_count %d", s.ID, len(fs), *s.FlightsCount)
		}
		ends := 0
		for k, f := range fs {
			if f.MissionEnd != nil {
				ends++
			}
			if (k == 0) != (f.TurnAroundTime == nil) && ends > 1 {
				t.Errorf("spacecraft %d flight %d: turnaround %v", s.ID, f.ID, f.TurnAroundTime)
			}
			if k > 0 && !f.Launch.Net.Time().After(fs[k-1].Launch.Net.Time()) {
				t.Errorf("spacecraft %d: flight %d launches before the one before it", s.ID, f.ID)
			}
		}
		if ends != *s.MissionEndsCount {
			t.Errorf("spacecraft %d: %d flights ended, mission_ends_count %d", s.ID, ends, *s.MissionEndsCount)
		}
	}
	byID := map[int]*ll2.SpacecraftFlight{}
	for _, f := range d.Flights {
		byID[f.ID] = f
	}
	chased := map[int][]int{}
	stations := 0
	for i, e := range d.DockingEvents {
		if e.ID != i+1 {
			t.Fatalf("docking event %d has id %d", i, e.ID)
		}
		if e.SpaceStationTarget == nil || e.DockingLocation == nil || e.DockingLocation.Spacestation.ID != e.SpaceStationTarget.ID {
			t.Errorf("docking event %d: port %+v of another station than %+v", e.ID, e.DockingLocation, e.SpaceStationTarget)
		}
		if e.Departure != nil && e.Departure.Time().Before(e.Docking.Time()) {
			t.Errorf("docking event %d leaves before it docks", e.ID)
		}
		if (e.FlightVehicleChaser == nil) == (e.SpaceStationChaser == nil) {
			t.Errorf("docking event %d: chased by a flight %v and a station %v", e.ID, e.FlightVehicleChaser != nil, e.SpaceStationChaser != nil)
		}
		f := e.FlightVehicleChaser
		if f == nil {
			stations++
			continue
		}
		chased[f.ID] = append(chased[f.ID], e.ID)
		if e.Docking.Time().Before(f.Launch.Net.Time()) || (f.MissionEnd != nil && (e.Departure == nil || e.Departure.Time().After(f.MissionEnd.Time()))) {
			t.Errorf("docking event %d is outside flight %d (%s to %v)", e.ID, f.ID, f.Launch.Net, f.MissionEnd)
		}
		if f.Destination == nil || *f.Destination != e.SpaceStationTarget.Name {
			t.Errorf("flight %d goes to %v, docks at %s", f.ID, f.Destination, e.SpaceStationTarget.Name)
		}
	}
	for _, f := range d.Flights {
		var got []int
		for _, e := range f.DockingEvents {
			got = append(got, e.ID)
		}
		if !slices.Equal(got, chased[f.ID]) {
			t.Errorf("flight %d lists docking events %v, chases in %v", f.ID, got, chased[f.ID])
		}
	}
	if stations == 0 || len(chased) == 0 {
		t.Errorf("%d dockings of stations, %d flights that dock", stations, len(chased))
	}
	// Every field is filled but for what LL2 leaves null: a flight under way has no end,
	// landing or duration, a first flight no turnaround, a docking under way no
	// departure; a docking event has one chaser and one target.
	n := &nilFinder{allowed: func(path string) bool {
		for _, ok := range []string{".Parent", ".Flights", ".MissionEnd", ".Landing", ".Duration", ".TurnAroundTime", ".Departure",
			".FlightVehicleTarget", ".FlightVehicleChaser", ".SpaceStationChaser", ".Deorbited", ".Spacecraft.Spacecraft",
			// A landing location's location has no celestial body (LL2's
			// LocationSerializerNoCelestialBody); a station's port no spacecraft.
			"LandingLocation.Location.CelestialBody", "DockingLocation.Spacecraft"} {
			if strings.HasSuffix(path, ok) {
				return true
			}
		}
		return false
	}}
	for _, i := range []int{0, 1, 500, len(d.Flights) - 1} {
		n.walk("flight", reflect.ValueOf(d.Flights[i]))
	}
	for _, i := range []int{0, len(d.DockingEvents) - 1} {
		n.walk("docking", reflect.ValueOf(d.DockingEvents[i]))
	}
	if len(n.found) > 0 {
		t.Fatalf("%d nil fields, e.g. %v", len(n.found), n.found[:min(10, len(n.found))])
	}
	// The store serves them all.
	c := ll2server.NewStore(d).Counts()
	if c["spacecraft_flights/"] != len(d.Flights) || c["docking_events/"] != len(d.DockingEvents) {
		t.Errorf("store counts %v", c)
	}
}

func TestGenerateWithoutFlights(t *testing.T) {
	o := Options{Seed: 3, Spacecraft: 20, Configs: 3, Agencies: 3}
	d := Generate(o)
	if d.Flights != nil || d.DockingEvents != nil {
		t.Fatalf("generated %d flights, %d docking events without Flights", len(d.Flights), len(d.DockingEvents))
	}
	if Large().Flights || LL2Scale().Flights || !LL2ScaleFlights().Flights {
		t.Error("Large or LL2Scale has flights, or LL2ScaleFlights none")
	}
	// The other collections are the same as with flights.
	o.Flights = true
	with := Generate(o)
	a, _ := json.Marshal(snapshot.Data{Spacecraft: d.Spacecraft, Configs: d.Configs, Agencies: d.Agencies, Families: d.Families, Lookups: d.Lookups})
	b, _ := json.Marshal(snapshot.Data{Spacecraft: with.Spacecraft, Configs: with.Configs, Agencies: with.Agencies, Families: with.Families, Lookups: with.Lookups})
	if !bytes.Equal(a, b) {
		t.Error("the flights changed the other collections")
	}
	// Served, spacecraft whose flights are not known hold the normal level.
	for _, s := range ll2server.NewStore(d).Spacecraft() {
		if s.SnapshotMode != "normal" || s.Flights != nil {
			t.Fatalf("spacecraft %d served as holding %q with flights %v", s.ID, s.SnapshotMode, s.Flights)
		}
	}
}
