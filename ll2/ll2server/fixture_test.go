package ll2server_test

// The hand-made snapshot the tests serve, the HTTP harness, and the plain-Go helpers
// that compute what LL2 would answer so that each test compares ids with an
// expectation it built itself.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
)

func bp(b bool) *bool          { return &b }
func sp(s string) *string      { return &s }
func datep(s string) *ll2.Date { d := ll2.Date(s); return &d }

// tri reads 'T', 'F' or anything else (null) as a nullable boolean.
func tri(c byte) *bool {
	switch c {
	case 'T':
		return bp(true)
	case 'F':
		return bp(false)
	}
	return nil
}

// num is a nullable count: negative means null.
func num(n int) *int {
	if n < 0 {
		return nil
	}
	return &n
}

// dur is a nullable ISO 8601 duration: "" means null.
func dur(s string) *ll2.Duration {
	if s == "" {
		return nil
	}
	d := ll2.MustDuration(s)
	return &d
}

// isoSeconds is the test's own reading of LL2's durations (days, hours, minutes and
// seconds), so that expected orders do not come from the package under test.
var isoRE = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

func isoSeconds(t testing.TB, s string) int {
	t.Helper()
	m := isoRE.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "PT" {
		t.Fatalf("test cannot read duration %q", s)
	}
	total := 0
	for i, unit := range []int{86400, 3600, 60, 1} {
		if m[i+1] != "" {
			n, _ := strconv.Atoi(m[i+1])
			total += n * unit
		}
	}
	return total
}

var (
	typeGov = ll2.AgencyType{ID: 1, Name: sp("Government")}
	typeCom = ll2.AgencyType{ID: 3, Name: sp("Commercial")}
	typeMul = ll2.AgencyType{ID: 2, Name: sp("Multinational")}
)

func country(id int, name, a2, a3 string) ll2.Country {
	return ll2.Country{ID: id, Name: sp(name), Alpha2Code: sp(a2), Alpha3Code: sp(a3)}
}

var (
	usa = country(1, "United States of America", "US", "USA")
	rus = country(2, "Russia", "RU", "RUS")
	fra = country(3, "France", "FR", "FRA")
	deu = country(4, "Germany", "DE", "DEU")
	ita = country(5, "Italy", "IT", "ITA")
)

// fxCountFields are the agency statistics that LL2 filters and orders by, written out
// here from the OpenAPI schema rather than taken from ll2.AgencyCountFields.
var fxCountFields = []struct {
	name string
	get  func(*ll2.AgencyDetailed) *int
}{
	{"total_launch_count", func(a *ll2.AgencyDetailed) *int { return a.TotalLaunchCount }},
	{"consecutive_successful_launches", func(a *ll2.AgencyDetailed) *int { return a.ConsecutiveSuccessfulLaunches }},
	{"successful_launches", func(a *ll2.AgencyDetailed) *int { return a.SuccessfulLaunches }},
	{"failed_launches", func(a *ll2.AgencyDetailed) *int { return a.FailedLaunches }},
	{"pending_launches", func(a *ll2.AgencyDetailed) *int { return a.PendingLaunches }},
	{"consecutive_successful_landings", func(a *ll2.AgencyDetailed) *int { return a.ConsecutiveSuccessfulLandings }},
	{"successful_landings", func(a *ll2.AgencyDetailed) *int { return a.SuccessfulLandings }},
	{"failed_landings", func(a *ll2.AgencyDetailed) *int { return a.FailedLandings }},
	{"attempted_landings", func(a *ll2.AgencyDetailed) *int { return a.AttemptedLandings }},
}

func fxAgency(id int, name string, abbrev *string, typ ll2.AgencyType, featured *bool, countries []ll2.Country,
	desc *string, founded int, counts [9]int, parent *string) *ll2.AgencyDetailed {
	a := &ll2.AgencyDetailed{
		AgencyNormal: ll2.AgencyNormal{
			AgencyMini:    ll2.AgencyMini{ID: id, Name: name, Abbrev: abbrev, Type: typ},
			Featured:      featured,
			Country:       countries,
			Description:   desc,
			Administrator: sp("Administrator of " + name),
			FoundingYear:  num(founded),
			Launchers:     sp("Rocket A | Rocket B"),
			Spacecraft:    sp("Capsule A | Capsule B"),
			Parent:        parent,
		},
		InfoURL: sp("https://example.org/agency/" + strconv.Itoa(id)),
	}
	a.TotalLaunchCount = num(counts[0])
	a.ConsecutiveSuccessfulLaunches = num(counts[1])
	a.SuccessfulLaunches = num(counts[2])
	a.FailedLaunches = num(counts[3])
	a.PendingLaunches = num(counts[4])
	a.ConsecutiveSuccessfulLandings = num(counts[5])
	a.SuccessfulLandings = num(counts[6])
	a.FailedLandings = num(counts[7])
	a.AttemptedLandings = num(counts[8])
	return a
}

// agencyStub and the other stubs are references by id only: the store must replace
// them with the objects of their own collection.
func agencyStub(id int) *ll2.AgencyNormal {
	return &ll2.AgencyNormal{AgencyMini: ll2.AgencyMini{ID: id}}
}

func familyStub(id int) ll2.FamilyDetailed {
	return ll2.FamilyDetailed{FamilyMini: ll2.FamilyMini{ID: id}}
}

func configStub(id int) *ll2.SpacecraftConfigDetailed {
	if id == 0 {
		return nil
	}
	return &ll2.SpacecraftConfigDetailed{SpacecraftConfigBase: ll2.SpacecraftConfigBase{ID: id}}
}

var fxStatuses = map[int]string{1: "Active", 2: "Retired", 3: "Destroyed", 4: "Single Use", 5: "Under construction"}

func fxImage(id int, name string) *ll2.Image {
	return &ll2.Image{
		ID: id, Name: name,
		ImageURL:     "https://example.org/img/" + strconv.Itoa(id) + ".jpg",
		ThumbnailURL: "https://example.org/img/" + strconv.Itoa(id) + "_thumb.jpg",
		License:      ll2.ImageLicense{ID: 4, Name: sp("NASA Image and Media Guidelines"), Priority: num(0)},
		SingleUse:    bp(false),
		Variants:     []ll2.ImageVariant{},
	}
}

// fxSpacecraftRows: id, name, config (0: null), status (0: null), in_space,
// is_placeholder ('T', 'F', else null), time_in_space, time_docked ("" null),
// flights_count, mission_ends_count (-1 null). Listed out of id order on purpose.
var fxSpacecraftRows = []struct {
	id           int
	name         string
	cfg, status  int
	inSpace, ph  byte
	tis, td      string
	flights, end int
}{
	{70, "Atlantis", 105, 2, 'F', 'F', "P306DT14H12M43S", "P0D", 33, 33},
	{5, "Endeavour", 105, 2, 'F', 'F', "P1D", "P0D", 25, 25},
	{9, "endeavour", 105, 3, 'F', 'T', "PT90M", "", 1, 1},
	{14, "Dragon C206", 101, 1, 'T', 'F', "P196DT21H15M2S", "P190DT1H", 4, 3},
	{18, "Dragon C207", 101, 1, 'F', 'F', "PT2H", "PT90M", 3, 3},
	{21, "Crew Dragon C210", 101, 1, 'F', 'F', "PT13M", "P0D", 2, 2},
	{26, "Dragon Crew Trainer", 101, 5, 'F', 'T', "", "", -1, -1},
	{30, "Soyuz MS-22", 102, 2, 'F', 'F', "P2DT12M11S", "P1D", 1, 1},
	{33, "Soyuz MS-23", 102, 2, 'F', 'F', "P5DT22H23M35S", "PT23H", 1, 1},
	{37, "Soyuz MS-24", 102, 1, 'T', 'F', "PT23H", "PT2H", 1, 0},
	{41, "Soyuz MS-25", 102, 5, 'F', 'F', "P0D", "P0D", 0, 0},
	{44, "Progress MS-20", 103, 4, 'F', 'F', "P14DT14H28M58S", "P12DT11H13M", 1, 1},
	{48, "Progress MS-21", 103, 4, 'F', 'F', "P14DT14H28M58S", "P12DT11H13M", 1, 1},
	{52, "Progress MS-22", 103, 4, 'T', 'F', "PT1M49S", "PT13M", 1, 0},
	{55, "Progress MS-23", 103, 3, 'F', 'N', "PT18M14S", "", 1, 1},
	{59, "Orion CM-002", 104, 1, 'F', 'F', "PT2H", "P0D", 1, 1},
	{63, "Orion CM-003", 104, 5, 'F', 'F', "P0D", "P0D", 0, 0},
	{66, "Orion Test Article", 106, 2, 'F', 'T', "", "", 0, -1},
	{74, "Columbia", 105, 3, 'F', 'F', "P300DT17H40M22S", "P0D", 28, 28},
	{77, "Challenger", 105, 3, 'F', 'F', "P62DT7H56M22S", "P0D", 10, 10},
	{81, "Discovery", 105, 2, 'F', 'F', "P364DT22H2M11S", "P0D", 39, 39},
	{85, "Enterprise", 105, 2, 'F', 'T', "P0D", "P0D", 0, 0},
	{88, "Mystery Craft", 0, 0, 'N', 'N', "", "", -1, -1},
	{92, "Unnamed Capsule", 0, 1, 'F', 'F', "PT90M", "PT1H30M", 1, 1}, // as long as PT90M: a tie
	{95, "Dragon C212", 101, 1, 'T', 'F', "PT90M", "PT2H", 2, 1},
	{99, "Soyuz TMA-1", 102, 2, 'F', 'F', "P1D", "PT23H", 1, 1},
	{102, "Progress M-1", 103, 4, 'F', 'F', "PT23H", "", -1, 1},
	{106, "Crew Capsule Dragon", 0, 5, 'F', 'T', "", "P0D", 0, 0},
	{110, "DRAGON C213", 101, 1, 'N', 'F', "P1D", "PT90M", 5, 5},
	{113, "Soyuz MS-26", 102, 1, 'T', 'F', "PT13M", "P0D", 1, 0},
}

// fxData builds the hand-made snapshot: 30 spacecraft, 6 configurations, 5 agencies,
// 4 families and the lookup tables. Each call returns fresh records.
func fxData() snapshot.Data {
	var d snapshot.Data
	d.Agencies = []*ll2.AgencyDetailed{
		fxAgency(50, "European Space Agency", sp("ESA"), typeMul, bp(false), []ll2.Country{fra, deu, ita},
			sp("american space agency"), 1975, [9]int{120, 20, 110, 10, 0, 0, 0, 0, 0}, nil),
		fxAgency(10, "National Aeronautics and Space Administration", sp("NASA"), typeGov, bp(true), []ll2.Country{usa},
			sp("American space agency"), 1958, [9]int{200, 20, 180, 15, 5, 3, 30, 2, 32}, nil),
		fxAgency(20, "SpaceX", sp("SpX"), typeCom, bp(true), []ll2.Country{usa},
			sp("Commercial launch provider"), 2002, [9]int{400, 100, 390, 5, 5, 50, 300, 10, 310}, nil),
		fxAgency(30, "Russian Federal Space Agency (ROSCOSMOS)", sp("RFSA"), typeGov, bp(false), []ll2.Country{rus},
			sp("Russian space agency"), 1958, [9]int{200, 0, 190, 10, -1, -1, 0, 0, 0}, nil),
		fxAgency(40, "Energia", nil, typeGov, nil, []ll2.Country{},
			nil, -1, [9]int{-1, -1, -1, -1, -1, -1, -1, -1, -1}, sp("Russian Federal Space Agency (ROSCOSMOS)")),
	}
	d.Agencies[2].Logo = fxImage(900, "SpaceX logo")

	fam := func(id int, name string, desc *string, mfr int, parent int, maiden string, flown int) *ll2.FamilyEndpointDetailed {
		f := &ll2.FamilyEndpointDetailed{FamilyDetailed: ll2.FamilyDetailed{
			FamilyMini:  ll2.FamilyMini{ID: id, Name: name},
			Description: desc,
			FamilyStats: ll2.FamilyStats{SpacecraftFlown: num(flown), TotalLaunchCount: num(flown)},
		}}
		if mfr != 0 {
			f.Manufacturer = agencyStub(mfr)
		}
		if parent != 0 {
			f.Parent = &ll2.FamilyNormal{FamilyMini: ll2.FamilyMini{ID: parent}}
		}
		if maiden != "" {
			f.MaidenFlight = datep(maiden)
		}
		return f
	}
	d.Families = []*ll2.FamilyEndpointDetailed{
		fam(3, "Soyuz", sp("Later Soyuz"), 40, 1, "1986-05-21", 70),
		fam(1, "Soyuz", sp("Soviet capsule family"), 40, 0, "1966-11-28", 150),
		fam(2, "Dragon", nil, 20, 0, "2010-12-08", 50),
		fam(4, "Progress", sp("Cargo ships"), 0, 1, "", -1),
	}

	cfg := func(id int, name string, agency int, typ ll2.SpacecraftConfigType, human, inUse *bool, fams []int, stub bool) *ll2.SpacecraftConfigDetailed {
		c := &ll2.SpacecraftConfigDetailed{
			SpacecraftConfigBase: ll2.SpacecraftConfigBase{ID: id, Name: name, Type: &typ, InUse: inUse},
			SpacecraftConfigSpecs: ll2.SpacecraftConfigSpecs{
				HumanRated: human, Capability: sp("Capability of " + name), Height: new(float64),
				FastestTurnaround: dur("P30D"),
			},
		}
		*c.Height = float64(id) / 10
		if agency != 0 {
			if stub {
				c.Agency = agencyStub(agency)
			} else {
				for _, a := range d.Agencies {
					if a.ID == agency {
						n := a.AgencyNormal
						c.Agency = &n
					}
				}
			}
		}
		if fams != nil {
			c.Family = []ll2.FamilyDetailed{}
			for _, f := range fams {
				c.Family = append(c.Family, familyStub(f))
			}
		}
		return c
	}
	capsule := ll2.SpacecraftConfigType{ID: 2, Name: "Capsule"}
	plane := ll2.SpacecraftConfigType{ID: 3, Name: "Spaceplane"}
	cargo := ll2.SpacecraftConfigType{ID: 4, Name: "Cargo Resupply"}
	d.Configs = []*ll2.SpacecraftConfigDetailed{
		cfg(106, "Orion", 0, capsule, bp(false), bp(false), []int{}, false),
		cfg(101, "Dragon 2", 20, capsule, bp(true), bp(true), []int{2}, true),
		cfg(102, "Soyuz MS", 30, capsule, bp(true), bp(true), []int{1, 3}, false),
		cfg(103, "Progress MS", 30, cargo, bp(false), bp(true), []int{4}, true),
		cfg(104, "Orion", 10, capsule, bp(true), nil, []int{}, false),
		cfg(105, "Space Shuttle Orbiter", 10, plane, nil, bp(false), nil, true),
	}
	d.Configs[1].Image = fxImage(901, "Dragon 2 in orbit")

	for _, r := range fxSpacecraftRows {
		s := &ll2.SpacecraftDetailed{
			SpacecraftBase: ll2.SpacecraftBase{
				ID: r.id, Name: r.name,
				SerialNumber:     sp("SN-" + strconv.Itoa(r.id)),
				InSpace:          tri(r.inSpace),
				IsPlaceholder:    tri(r.ph),
				TimeInSpace:      dur(r.tis),
				TimeDocked:       dur(r.td),
				FlightsCount:     num(r.flights),
				MissionEndsCount: num(r.end),
				Description:      "The spacecraft " + r.name + ".",
			},
			SpacecraftConfig: configStub(r.cfg),
		}
		if r.status != 0 {
			s.Status = &ll2.SpacecraftStatus{ID: r.status, Name: fxStatuses[r.status]}
		}
		d.Spacecraft = append(d.Spacecraft, s)
	}

	d.Flights, d.DockingEvents = fxFlights()

	d.Lookups = map[string][]ll2.Lookup{
		ll2.PathSpacecraftStatuses: {{ID: 5, Name: "Under construction"}, {ID: 1, Name: "Active"}, {ID: 2, Name: "Retired"},
			{ID: 3, Name: "Destroyed"}, {ID: 4, Name: "Single Use"}},
		ll2.PathConfigTypes: {{ID: 2, Name: "Capsule"}, {ID: 3, Name: "Spaceplane"}, {ID: 4, Name: "Cargo Resupply"}},
		ll2.PathAgencyTypes: {{ID: 1, Name: "Government"}, {ID: 2, Name: "Multinational"}, {ID: 3, Name: "Commercial"}},
		ll2.PathCountries: {
			{ID: 1, Name: "United States of America", Raw: map[string]any{"id": 1, "name": "United States of America",
				"alpha_2_code": "US", "alpha_3_code": "USA", "nationality_name": "American", "nationality_name_composed": "Americano"}},
			{ID: 2, Name: "Russia", Raw: map[string]any{"id": 2, "name": "Russia", "alpha_2_code": "RU", "alpha_3_code": "RUS",
				"nationality_name": "Russian", "nationality_name_composed": "Russo"}},
			{ID: 3, Name: "France", Raw: map[string]any{"id": 3, "name": "France", "alpha_2_code": "FR", "alpha_3_code": "FRA",
				"nationality_name": "French", "nationality_name_composed": "Franco"}},
		},
		ll2.PathImageLicenses: {
			{ID: 1, Name: "Unknown", Raw: map[string]any{"id": 1, "name": "Unknown", "priority": 9, "link": nil}},
			{ID: 4, Name: "NASA Image and Media Guidelines", Raw: map[string]any{"id": 4, "name": "NASA Image and Media Guidelines",
				"priority": 0, "link": "https://www.nasa.gov/nasa-brand-center/images-and-media/"}},
		},
	}
	return d
}

// fxFlightRows: id, spacecraft, mission_end ("" null), destination. Two flights end at
// the same instant (7003, 7008), a tie; two are under way.
var fxFlightRows = []struct {
	id, spacecraft int
	end, dest      string
}{
	{7004, 70, "2011-07-21T09:57:00Z", "ISS"},
	{7001, 14, "2021-01-14T01:27:00Z", "ISS"},
	{7002, 14, "", "ISS"},
	{7003, 18, "2020-01-07T15:42:00Z", "ISS"},
	{7005, 70, "1985-10-07T17:00:00Z", "Low Earth Orbit"},
	{7006, 30, "2023-03-28T11:45:00+00:00", "ISS"},
	{7007, 37, "", "ISS"},
	{7008, 5, "2020-01-07T15:42:00Z", "Low Earth Orbit"},
}

// fxDockingRows: id, chaser flight (0: a station chases), target station, docking
// location, docking, departure ("" null).
var fxDockingRows = []struct {
	id, flight, station, port int
	docking, departure        string
}{
	{801, 7001, 4, 41, "2020-12-07T18:40:00Z", "2021-01-12T14:05:00Z"},
	{802, 7002, 4, 42, "2023-11-11T12:00:00Z", ""},
	{803, 7006, 4, 43, "2022-09-21T17:06:00Z", "2023-03-28T08:01:00Z"},
	{804, 0, 7, 71, "2022-07-24T19:13:00Z", ""},
	{805, 7004, 4, 41, "2011-07-10T15:07:00Z", "2011-07-19T06:28:00Z"},
	{806, 7005, 9, 91, "1985-10-05T10:00:00Z", "1985-10-06T10:00:00Z"},
	{807, 7001, 4, 42, "2021-01-12T14:10:00Z", "2021-01-12T20:00:00Z"},
}

var fxStations = map[int]string{4: "International Space Station", 7: "Tiangong", 8: "Wentian", 9: "Salyut 7"}

var fxPorts = map[int]string{41: "Harmony Forward", 42: "Harmony Zenith", 43: "Rassvet Nadir", 71: "Tianhe Forward", 91: "Salyut 7 Aft"}

// fxOutside prefixes the urls of objects that have no endpoint here (launches,
// landings, stations): the server hands them on verbatim.
const fxOutside = "https://example.org/"

func fxStation(id int) *ll2.SpaceStation {
	return &ll2.SpaceStation{SpaceStationMini: ll2.SpaceStationMini{ID: id, URL: fxOutside + "space_stations/" + strconv.Itoa(id) + "/", Name: fxStations[id]},
		Status: &ll2.SpaceStationStatus{ID: 1, Name: "Active"}, Orbit: sp("Low Earth Orbit")}
}

func dtp(s string) *ll2.DateTime {
	if s == "" {
		return nil
	}
	d := ll2.MustDateTime(s)
	return &d
}

// fxFlights builds the flights and docking events, the flights' spacecraft as stubs.
func fxFlights() ([]*ll2.SpacecraftFlight, []*ll2.DockingEvent) {
	var flights []*ll2.SpacecraftFlight
	byID := map[int]*ll2.SpacecraftFlight{}
	for _, r := range fxFlightRows {
		f := &ll2.SpacecraftFlight{}
		f.ID, f.Destination, f.MissionEnd = r.id, sp(r.dest), dtp(r.end)
		f.Spacecraft = &ll2.SpacecraftDetailed{SpacecraftBase: ll2.SpacecraftBase{ID: r.spacecraft}}
		uuid := "00000000-0000-4000-8000-00000000" + strconv.Itoa(r.id)
		f.Launch = &ll2.Launch{ResponseMode: "normal", ID: uuid, URL: fxOutside + "launches/" + uuid + "/", Name: sp("Launch of flight " + strconv.Itoa(r.id)),
			Net: dtp("2000-01-01T00:00:00Z")}
		if r.end != "" {
			f.Duration = dur("P10D")
			f.Landing = &ll2.Landing{ID: r.id, URL: fxOutside + "landings/" + strconv.Itoa(r.id) + "/", Attempt: bp(true), Success: bp(r.id != 7005)}
		}
		f.LaunchCrew, f.OnboardCrew, f.LandingCrew = []json.RawMessage{}, []json.RawMessage{}, []json.RawMessage{}
		flights = append(flights, f)
		byID[f.ID] = f
	}
	var events []*ll2.DockingEvent
	for _, r := range fxDockingRows {
		e := &ll2.DockingEvent{}
		e.ID, e.Docking, e.Departure = r.id, *dtp(r.docking), dtp(r.departure)
		st := fxStation(r.station).Mini()
		e.DockingLocation = &ll2.DockingLocation{ID: r.port, Name: fxPorts[r.port], Spacestation: &st}
		e.SpaceStationTarget = fxStation(r.station)
		if r.flight != 0 {
			e.FlightVehicleChaser = byID[r.flight]
		} else {
			e.SpaceStationChaser = fxStation(8)
		}
		events = append(events, e)
	}
	return flights, events
}

// fx is the test's view of the hand-made snapshot, with references resolved by id.
type fxView struct {
	data     snapshot.Data
	config   map[int]*ll2.SpacecraftConfigDetailed
	agency   map[int]*ll2.AgencyDetailed
	family   map[int]*ll2.FamilyEndpointDetailed
	cfgNames map[int]string
}

var fxOnce = sync.OnceValue(func() *fxView {
	v := &fxView{data: fxData(), config: map[int]*ll2.SpacecraftConfigDetailed{}, agency: map[int]*ll2.AgencyDetailed{},
		family: map[int]*ll2.FamilyEndpointDetailed{}, cfgNames: map[int]string{}}
	for _, c := range v.data.Configs {
		v.config[c.ID] = c
		v.cfgNames[c.ID] = c.Name
	}
	for _, a := range v.data.Agencies {
		v.agency[a.ID] = a
	}
	for _, f := range v.data.Families {
		v.family[f.ID] = f
	}
	return v
})

// configAgency is the agency id of a configuration, 0 when it has none.
func (v *fxView) configAgency(c *ll2.SpacecraftConfigDetailed) int {
	if c.Agency == nil {
		return 0
	}
	return c.Agency.ID
}

// embeddedData loads the default snapshot.
var embeddedData = sync.OnceValues(func() (snapshot.Data, error) {
	d, _, err := snapshot.Embedded()
	return d, err
})

func mustEmbedded(t *testing.T) snapshot.Data {
	t.Helper()
	d, err := embeddedData()
	if err != nil {
		t.Fatalf("snapshot.Embedded: %v", err)
	}
	return d
}

// ---- HTTP harness ----

type fxEnv struct {
	t      *testing.T
	srv    *ll2server.Server
	ts     *httptest.Server
	client *http.Client
}

func newEnv(t *testing.T, d snapshot.Data, opts ll2server.Options) *fxEnv {
	t.Helper()
	srv := ll2server.New(ll2server.NewStore(d), opts)
	return newEnvHandler(t, srv, srv)
}

func newEnvHandler(t *testing.T, srv *ll2server.Server, h http.Handler) *fxEnv {
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c := ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &fxEnv{t: t, srv: srv, ts: ts, client: c}
}

// fxEnvOf serves the hand-made snapshot with no options.
func fxEnvOf(t *testing.T) *fxEnv { return newEnv(t, fxOnce().data, ll2server.Options{}) }

func (e *fxEnv) base() string { return e.ts.URL + ll2server.Prefix }

type fxResp struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request; target is below the version root unless it starts with "/".
func (e *fxEnv) do(method, target string, hdr http.Header) fxResp {
	e.t.Helper()
	u := e.ts.URL + target
	if !strings.HasPrefix(target, "/") {
		u = e.base() + target
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, nil)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, target, err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if h := hdr.Get("Host"); h != "" {
		req.Host = h
	}
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("%s %s: reading body: %v", method, target, err)
	}
	return fxResp{status: res.StatusCode, header: res.Header, body: body}
}

func (e *fxEnv) get(target string) fxResp {
	e.t.Helper()
	return e.do(http.MethodGet, target, nil)
}

// fxPage is LL2's list page with the results left raw.
type fxPage struct {
	Count    int               `json:"count"`
	Next     *string           `json:"next"`
	Previous *string           `json:"previous"`
	Results  []json.RawMessage `json:"results"`
}

// list GETs a list page, checks its shape and decodes it.
func (e *fxEnv) list(target string) fxPage {
	e.t.Helper()
	r := e.get(target)
	if r.status != http.StatusOK {
		e.t.Fatalf("GET %s: status %d, body %s", target, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		e.t.Errorf("GET %s: Content-Type %q", target, ct)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &keys); err != nil {
		e.t.Fatalf("GET %s: %v in %s", target, err, r.body)
	}
	// The one key beyond LL2's: a lookup table that holds only what the snapshot's
	// records carry says so (TestLookupsFromRecords).
	if sp, ok := keys["snapshot_partial"]; ok {
		if string(sp) != "true" || !strings.HasPrefix(target, "config/") {
			e.t.Errorf("GET %s: snapshot_partial %s on a page that is not a lookup table's", target, sp)
		}
		delete(keys, "snapshot_partial")
	}
	assertKeys(e.t, "page of "+target, keys, []string{"count", "next", "previous", "results"})
	var p fxPage
	if err := json.Unmarshal(r.body, &p); err != nil {
		e.t.Fatalf("GET %s: %v", target, err)
	}
	if p.Results == nil {
		e.t.Fatalf("GET %s: results is null", target)
	}
	return p
}

// ids lists every id of a list call (which must fit in one page) and checks count.
func (e *fxEnv) ids(target string) []int {
	e.t.Helper()
	p := e.list(target)
	got := pageIDs(e.t, p)
	if p.Count != len(got) && p.Next == nil {
		e.t.Errorf("GET %s: count %d but %d results on the only page", target, p.Count, len(got))
	}
	return got
}

func pageIDs(t testing.TB, p fxPage) []int {
	t.Helper()
	ids := make([]int, len(p.Results))
	for i, r := range p.Results {
		var o struct {
			ID *int `json:"id"`
		}
		if err := json.Unmarshal(r, &o); err != nil || o.ID == nil {
			t.Fatalf("result %d has no id: %s", i, r)
		}
		ids[i] = *o.ID
	}
	return ids
}

// expectIDs is the plain-Go answer: the items keep selects, ordered by cmp and then
// by id (the server's stable order for ties).
func expectIDs[T any](items []*T, id func(*T) int, keep func(*T) bool, cmp func(a, b *T) int) []int {
	var sel []*T
	for _, t := range items {
		if keep == nil || keep(t) {
			sel = append(sel, t)
		}
	}
	sort.SliceStable(sel, func(i, j int) bool {
		if cmp != nil {
			if c := cmp(sel[i], sel[j]); c != 0 {
				return c < 0
			}
		}
		return id(sel[i]) < id(sel[j])
	})
	out := make([]int, len(sel))
	for i, t := range sel {
		out[i] = id(t)
	}
	return out
}

func scID(s *ll2.SpacecraftDetailed) int        { return s.ID }
func cfgID(c *ll2.SpacecraftConfigDetailed) int { return c.ID }
func agID(a *ll2.AgencyDetailed) int            { return a.ID }
func famID(f *ll2.FamilyEndpointDetailed) int   { return f.ID }

// nullsLast compares two nullable values ascending with PostgreSQL's NULLS LAST; desc
// reverses the whole order, which puts nulls first as PostgreSQL's DESC does.
func nullsLast[V any](a, b *V, c func(V, V) int, desc bool) int {
	var r int
	switch {
	case a == nil && b == nil:
		r = 0
	case a == nil:
		r = 1
	case b == nil:
		r = -1
	default:
		r = c(*a, *b)
	}
	if desc {
		return -r
	}
	return r
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBoolV(a, b bool) int {
	if a == b {
		return 0
	}
	if !a {
		return -1
	}
	return 1
}

func assertIDs(t testing.TB, what string, got, want []int) {
	t.Helper()
	if want == nil {
		want = []int{}
	}
	if got == nil {
		got = []int{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %v\n want %v", what, got, want)
	}
}

// assertKeys checks that a JSON object has exactly the keys of a schema.
func assertKeys(t testing.TB, what string, obj map[string]json.RawMessage, want []string) {
	t.Helper()
	got := make([]string, 0, len(obj))
	for k := range obj {
		got = append(got, k)
	}
	sort.Strings(got)
	w := slices.Clone(want)
	sort.Strings(w)
	if !slices.Equal(got, w) {
		var missing, extra []string
		for _, k := range w {
			if _, ok := obj[k]; !ok {
				missing = append(missing, k)
			}
		}
		for _, k := range got {
			if !slices.Contains(w, k) {
				extra = append(extra, k)
			}
		}
		t.Errorf("%s: keys differ from the schema: missing %v, extra %v", what, missing, extra)
	}
}

func decodeObject(t testing.TB, what string, raw []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: not a JSON object: %v: %s", what, err, raw)
	}
	return m
}

// jsonEqual compares two JSON documents by value.
func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("not JSON: %v: %s", err, a)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// optsNone serves at full speed with no throttle and no faults.
var optsNone = ll2server.Options{}
