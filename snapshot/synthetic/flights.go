package synthetic

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"spacegraph/ll2"
)

// This file generates the flights of the spacecraft, each with its launch and
// landing, and the docking events of the flights at synthetic space stations.

// launchStatuses are LL2's launch statuses with their real ids, names and abbreviations,
// as spacecraftStatuses are.
var launchStatuses = []ll2.LaunchStatus{
	{ID: 1, Name: ptr("Go for Launch"), Abbrev: ptr("Go"), Description: ptr("Current T-0 confirmed by official or reliable sources.")},
	{ID: 3, Name: ptr("Launch Successful"), Abbrev: ptr("Success"), Description: ptr("The launch vehicle successfully inserted its payload(s) into the target orbit(s).")},
	{ID: 4, Name: ptr("Launch Failure"), Abbrev: ptr("Failure"), Description: ptr("Either the launch vehicle did not reach orbit, or the payload(s) failed to separate.")},
	{ID: 6, Name: ptr("Launch in Flight"), Abbrev: ptr("In Flight"), Description: ptr("The launch vehicle has lifted off from the launch pad.")},
	{ID: 7, Name: ptr("Launch was a Partial Failure"), Abbrev: ptr("Partial Failure"), Description: ptr("The launch or payload had issues, but the payload reached orbit.")},
}

// flightWorld is what the flights of a snapshot share: launchers, pads, landing sites,
// stations and their ports, and the providers' agencies rendered once as launches
// embed them.
type flightWorld struct {
	launchers      []*ll2.LauncherConfigList
	pads           []*ll2.Pad
	landingTypes   []*ll2.LandingType
	landingSites   []*ll2.LandingLocation
	orbits         []*ll2.Orbit
	precisions     []*ll2.NetPrecision
	stations       []*ll2.SpaceStation
	ports          [][]*ll2.DockingLocation // by station
	agencyInLaunch map[int]json.RawMessage  // LL2's AgencyDetailed, as a mission embeds it
	agencyOnPad    map[int]json.RawMessage  // LL2's AgencyNormal, as a pad embeds it
}

// celestialBody is the body every synthetic site is on, as LL2's CelestialBodyDetailed.
var celestialBody = json.RawMessage(`{"response_mode":"normal","id":1,"name":"Synthetic Planet","type":{"id":1,"name":"Planet"},` +
	`"diameter":12742000.0,"mass":5.972e+24,"gravity":9.8,"length_of_day":"1 00:00:00","atmosphere":true,"image":null,` +
	`"description":"The generated planet every synthetic site is on.","wiki_url":"https://wiki.synthetic.invalid/Synthetic_Planet",` +
	`"total_attempted_launches":0,"successful_launches":0,"failed_launches":0,"total_attempted_landings":0,"successful_landings":0,"failed_landings":0}`)

var celestialBodyMini = &ll2.CelestialBodyMini{ResponseMode: "list", ID: 1, Name: "Synthetic Planet"}

func (g *generator) location(r *rand.Rand, id int, withBody bool) *ll2.Location {
	tag := fmt.Sprintf("%02d", id)
	c := g.countries[r.IntN(len(g.countries))]
	l := &ll2.Location{
		ResponseMode:      "normal",
		ID:                id,
		URL:               syntheticBase + "locations/" + strconv.Itoa(id) + "/",
		Name:              ptr("Synthetic Site " + tag + ", " + *c.Name),
		Active:            ptr(r.IntN(4) > 0),
		Country:           &c,
		Description:       ptr("Synthetic Site " + tag + " exists only in generated test data."),
		Image:             g.image(r, "location", id),
		MapImage:          ptr(syntheticMedia + "maps/location_" + tag + ".jpeg"),
		Longitude:         ptr(float64(r.IntN(36000)-18000) / 100),
		Latitude:          ptr(float64(r.IntN(18000)-9000) / 100),
		TimezoneName:      ptr("UTC"),
		TotalLaunchCount:  ptr(r.IntN(500)),
		TotalLandingCount: ptr(r.IntN(100)),
	}
	if withBody {
		l.CelestialBody = celestialBody
	}
	return l
}

func (g *generator) flightWorld(r *rand.Rand, agencies []*ll2.AgencyDetailed) *flightWorld {
	w := &flightWorld{agencyInLaunch: map[int]json.RawMessage{}, agencyOnPad: map[int]json.RawMessage{}}
	for i := range 12 {
		id := i + 1
		name := fmt.Sprintf("Synthetic Rocket %02d", id)
		w.launchers = append(w.launchers, &ll2.LauncherConfigList{
			ResponseMode: "list", ID: id, URL: syntheticBase + "launcher_configurations/" + strconv.Itoa(id) + "/",
			Name: name, Families: []ll2.LauncherFamilyMini{{ResponseMode: "list", ID: 1 + i/4, Name: fmt.Sprintf("Synthetic Rocket Family %d", 1+i/4)}},
			FullName: ptr(name + " Block " + strconv.Itoa(1+r.IntN(5))), Variant: ptr("Block " + strconv.Itoa(1+r.IntN(5))),
		})
	}
	for i := range 10 {
		id := i + 1
		tag := fmt.Sprintf("%02d", id)
		loc := g.location(r, id, true)
		w.pads = append(w.pads, &ll2.Pad{
			ID: id, URL: syntheticBase + "pads/" + strconv.Itoa(id) + "/", Active: ptr(r.IntN(5) > 0),
			Agencies: []json.RawMessage{}, Name: ptr("Synthetic Pad " + tag), Image: g.image(r, "pad", id),
			Description: ptr("Synthetic Pad " + tag + " launches generated flights."),
			InfoURL:     ptr("https://pad-" + tag + ".synthetic.invalid/"), WikiURL: ptr("https://wiki.synthetic.invalid/Synthetic_Pad_" + tag),
			MapURL: ptr("https://maps.synthetic.invalid/pad_" + tag), Latitude: loc.Latitude, Longitude: loc.Longitude,
			Country: loc.Country, MapImage: ptr(syntheticMedia + "maps/pad_" + tag + ".jpeg"),
			TotalLaunchCount: ptr(r.IntN(300)), OrbitalLaunchAttemptCount: ptr(r.IntN(300)),
			FastestTurnaround: duration(r), Location: loc,
		})
	}
	for i, name := range []string{"Parachute Landing", "Runway Landing", "Splashdown", "Propulsive Landing"} {
		w.landingTypes = append(w.landingTypes, &ll2.LandingType{ID: i + 1, Name: ptr(name), Abbrev: ptr(fmt.Sprintf("SL%d", i+1)),
			Description: ptr("A synthetic " + name + ".")})
	}
	for i := range 6 {
		id := i + 1
		tag := fmt.Sprintf("%02d", id)
		loc := g.location(r, 100+id, false)
		att, ok := split(r, 80)
		w.landingSites = append(w.landingSites, &ll2.LandingLocation{
			ID: id, Name: ptr("Synthetic Landing Zone " + tag), Active: ptr(r.IntN(4) > 0), Abbrev: ptr("SLZ-" + tag),
			Description: ptr("Synthetic Landing Zone " + tag + " receives generated landings."), Location: loc,
			Longitude: loc.Longitude, Latitude: loc.Latitude, Image: g.image(r, "landing_location", id),
			SuccessfulLandings: ptr(ok), AttemptedLandings: ptr(att), FailedLandings: ptr(att - ok), CelestialBody: celestialBody,
		})
	}
	for i, o := range [][2]string{{"Low Earth Orbit", "LEO"}, {"Synthetic Station Orbit", "SSO-X"}, {"Geostationary Transfer Orbit", "GTO"}, {"Sub-Orbital", "Sub"}} {
		w.orbits = append(w.orbits, &ll2.Orbit{ID: i + 1, Name: ptr(o[0]), Abbrev: ptr(o[1]), CelestialBody: celestialBodyMini})
	}
	for i, p := range [][2]string{{"Second", "SEC"}, {"Minute", "MIN"}, {"Hour", "HR"}, {"Day", "DAY"}} {
		w.precisions = append(w.precisions, &ll2.NetPrecision{ID: i, Name: ptr(p[0]), Abbrev: ptr(p[1]), Description: ptr("The NET is known to the " + p[0] + ".")})
	}
	for i := range 6 {
		id := i + 1
		letter := string(rune('A' + i))
		st := &ll2.SpaceStation{
			SpaceStationMini: ll2.SpaceStationMini{ID: id, URL: syntheticBase + "space_stations/" + strconv.Itoa(id) + "/",
				Name: "Synthetic Station " + letter, Image: g.image(r, "space_station", id)},
			Status:      &ll2.SpaceStationStatus{ID: 1 + min(i/3, 1), Name: []string{"Active", "De-Orbited"}[min(i/3, 1)]},
			Founded:     date(r),
			Description: ptr("Synthetic Station " + letter + " receives generated dockings."),
			Orbit:       ptr("Low Earth Orbit"),
			Type:        &ll2.SpaceStationType{ID: 1 + r.IntN(2), Name: "Government"},
		}
		if i >= 3 {
			st.Deorbited = date(r)
		}
		w.stations = append(w.stations, st)
		mini := st.Mini()
		var ports []*ll2.DockingLocation
		for k := range 2 + r.IntN(3) {
			ports = append(ports, &ll2.DockingLocation{ID: id*10 + k, Name: fmt.Sprintf("Synthetic Port %s%d", letter, k+1), Spacestation: &mini,
				Payload: json.RawMessage("null")})
		}
		w.ports = append(w.ports, ports)
	}
	for _, a := range agencies {
		// A mission embeds its agencies at LL2's AgencyDetailed level, which has the
		// statistics but not the lists of the agencies endpoint; a pad at the normal
		// level. Their images are left out, as LL2 leaves out many: the flights of a
		// whole synthetic fleet stay light enough to crawl in tests.
		n := a.Normal()
		n.Image, n.Logo, n.SocialLogo = nil, nil, nil
		inLaunch, _ := json.Marshal(struct {
			ll2.AgencyNormal
			ll2.AgencyStats
			InfoURL          *string               `json:"info_url"`
			WikiURL          *string               `json:"wiki_url"`
			SocialMediaLinks []ll2.SocialMediaLink `json:"social_media_links"`
		}{n, a.AgencyStats, a.InfoURL, a.WikiURL, []ll2.SocialMediaLink{}})
		onPad, _ := json.Marshal(n)
		w.agencyInLaunch[a.ID], w.agencyOnPad[a.ID] = inLaunch, onPad
	}
	return w
}

// uuid draws a version 4 UUID, as LL2's launch ids are.
func uuid(r *rand.Rand) string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff,
		0x8000|r.Uint32()&0x3fff, r.Uint64()&0xffffffffffff)
}

var missionTypes = []string{"Resupply", "Human Exploration", "Test Flight", "Tourism"}

func (g *generator) launch(r *rand.Rand, w *flightWorld, n int, net time.Time, provider *ll2.AgencyDetailed, status ll2.LaunchStatus) *ll2.Launch {
	tag := fmt.Sprintf("%06d", n)
	rocket := w.launchers[r.IntN(len(w.launchers))]
	pad := *w.pads[r.IntN(len(w.pads))]
	pad.Agencies = []json.RawMessage{w.agencyOnPad[provider.ID]}
	mission := "Synthetic Mission " + tag
	window := net.Add(time.Duration(r.IntN(4)) * time.Hour)
	l := &ll2.Launch{
		ResponseMode:     "normal",
		ID:               uuid(r),
		Name:             ptr(rocket.Name + " | " + mission),
		Slug:             "synthetic-launch-" + tag,
		LaunchDesignator: ptr(fmt.Sprintf("%d-S%05d", net.Year(), n)),
		Status:           &status,
		LastUpdated:      ptr(ll2.DateTimeOf(net.AddDate(0, 0, 1+r.IntN(60)))),
		Net:              ptr(ll2.DateTimeOf(net)),
		NetPrecision:     w.precisions[r.IntN(len(w.precisions))],
		WindowEnd:        ptr(ll2.DateTimeOf(window)),
		WindowStart:      ptr(ll2.DateTimeOf(net)),
		Image:            g.image(r, "launch", n),
		Infographic:      ptr(syntheticMedia + "infographics/launch_" + tag + ".jpeg"),
		Probability:      ptr(r.IntN(101)),
		WeatherConcerns:  ptr("Synthetic weather"),
		Failreason:       ptr(""),
		Hashtag:          ptr("#Synthetic" + tag),
		Rocket:           &ll2.Rocket{ID: n, Configuration: rocket},
		Mission: &ll2.Mission{
			ID: n, Name: ptr(mission), Type: ptr(missionTypes[r.IntN(len(missionTypes))]),
			Description: ptr(mission + " carries a generated spacecraft to a generated destination."),
			Image:       nil,
			Orbit:       w.orbits[r.IntN(len(w.orbits))],
			Agencies:    []json.RawMessage{w.agencyInLaunch[provider.ID]},
			InfoURLs:    []json.RawMessage{},
			VidURLs:     []json.RawMessage{},
		},
		Pad:                            &pad,
		WebcastLive:                    ptr(false),
		Program:                        []json.RawMessage{},
		OrbitalLaunchAttemptCount:      ptr(n),
		LocationLaunchAttemptCount:     ptr(r.IntN(n + 1)),
		PadLaunchAttemptCount:          ptr(r.IntN(n + 1)),
		AgencyLaunchAttemptCount:       ptr(r.IntN(n + 1)),
		OrbitalLaunchAttemptCountYear:  ptr(r.IntN(100)),
		LocationLaunchAttemptCountYear: ptr(r.IntN(50)),
		PadLaunchAttemptCountYear:      ptr(r.IntN(30)),
		AgencyLaunchAttemptCountYear:   ptr(r.IntN(30)),
	}
	l.Mission.Image = l.Image
	mini := provider.Mini()
	mini.URL = syntheticBase + "agencies/" + strconv.Itoa(provider.ID) + "/"
	l.LaunchServiceProvider = &mini
	l.URL = syntheticBase + "launches/" + l.ID + "/"
	if status.ID == 4 || status.ID == 7 {
		l.Failreason = ptr("A generated failure.")
	}
	return l
}

// flights generates every spacecraft's flights (as many as its flights_count says),
// one after the other in time, and the docking events of those that go to a station,
// plus a few dockings of stations to stations, which no flight chases.
func (g *generator) flights(r *rand.Rand, spacecraft []*ll2.SpacecraftDetailed, agencies []*ll2.AgencyDetailed) ([]*ll2.SpacecraftFlight, []*ll2.DockingEvent) {
	w := g.flightWorld(r, agencies)
	byID := make(map[int]*ll2.AgencyDetailed, len(agencies))
	for _, a := range agencies {
		byID[a.ID] = a
	}
	flights := []*ll2.SpacecraftFlight{}
	events := []*ll2.DockingEvent{}
	start := time.Date(1961, time.April, 12, 6, 7, 0, 0, time.UTC)
	for _, s := range spacecraft {
		n := *s.FlightsCount
		ends := *s.MissionEndsCount
		provider := agencies[0]
		if s.SpacecraftConfig != nil && s.SpacecraftConfig.Agency != nil && byID[s.SpacecraftConfig.Agency.ID] != nil {
			provider = byID[s.SpacecraftConfig.Agency.ID]
		}
		net := start.Add(time.Duration(r.Int64N(int64(60 * 365 * 24 * time.Hour))))
		var lastEnd *time.Time
		for k := range n {
			id := len(flights) + 1
			tag := fmt.Sprintf("%06d", id)
			status := launchStatuses[1]
			if r.IntN(25) == 0 {
				status = launchStatuses[2+r.IntN(2)*2]
			}
			ended := k < ends
			f := &ll2.SpacecraftFlight{}
			f.ResponseMode = ll2.LevelDetailed.String()
			f.SnapshotMode = ll2.LevelDetailed.String()
			f.ID = id
			f.URL = syntheticBase + "spacecraft_flights/" + strconv.Itoa(id) + "/"
			f.Spacecraft = s
			f.Launch = g.launch(r, w, id, net, provider, status)
			if !ended && k == n-1 && *s.InSpace {
				f.Launch.Status = &launchStatuses[0]
			}
			station := -1
			if r.IntN(5) < 2 {
				station = r.IntN(len(w.stations))
				f.Destination = ptr(w.stations[station].Name)
			} else {
				f.Destination = ptr(*f.Launch.Mission.Orbit.Name)
			}
			length := time.Duration(1+r.Int64N(200*24*3600)) * time.Second
			if station >= 0 {
				length += 3 * 24 * time.Hour // time to dock and leave again
			}
			end := net.Add(length)
			f.LaunchCrew, f.OnboardCrew, f.LandingCrew = []json.RawMessage{}, []json.RawMessage{}, []json.RawMessage{}
			f.DockingEvents = []ll2.DockingEventForChaser{}
			if ended {
				f.MissionEnd = ptr(ll2.DateTimeOf(end))
				f.Duration = ptr(ll2.DurationOf(length))
				site := w.landingSites[r.IntN(len(w.landingSites))]
				f.Landing = &ll2.Landing{
					ID: id, URL: syntheticBase + "landings/" + strconv.Itoa(id) + "/",
					Attempt: ptr(true), Success: ptr(r.IntN(10) > 0),
					Description:       ptr("Synthetic flight " + tag + " came back to " + *site.Name + "."),
					DownrangeDistance: ptr(float64(r.IntN(50000)) / 10),
					LandingLocation:   site,
					Type:              w.landingTypes[r.IntN(len(w.landingTypes))],
				}
			}
			if lastEnd != nil {
				f.TurnAroundTime = ptr(ll2.DurationOf(net.Sub(*lastEnd)))
			}
			if station >= 0 {
				// One docking, or two when the spacecraft moves to another port; the
				// last one of a flight still under way has not ended.
				hops := 1 + r.IntN(4)/3
				dock := net.Add(time.Duration(1+r.IntN(48)) * time.Hour)
				stay := (end.Sub(dock) - time.Hour) / time.Duration(hops)
				ports := w.ports[station]
				for h := range hops {
					e := &ll2.DockingEvent{ResponseMode: ll2.LevelDetailed.String(), SnapshotMode: ll2.LevelDetailed.String()}
					e.ID = len(events) + 1
					e.URL = syntheticBase + "docking_events/" + strconv.Itoa(e.ID) + "/"
					e.Docking = ll2.DateTimeOf(dock)
					e.DockingLocation = ports[(h+r.IntN(len(ports)))%len(ports)]
					e.SpaceStationTarget = w.stations[station]
					e.PayloadFlightTarget = json.RawMessage("null")
					e.PayloadFlightChaser = json.RawMessage("null")
					e.FlightVehicleChaser = f
					if ended || h < hops-1 {
						leave := dock.Add(stay - 30*time.Minute)
						e.Departure = ptr(ll2.DateTimeOf(leave))
						dock = leave.Add(30 * time.Minute)
					}
					events = append(events, e)
				}
			}
			flights = append(flights, f)
			if ended {
				lastEnd = &end
				net = end.Add(time.Duration(1+r.Int64N(400*24*3600)) * time.Second)
			} else {
				net = net.Add(time.Duration(1+r.Int64N(400*24*3600)) * time.Second)
			}
		}
	}
	// Stations dock to stations too; no flight chases these.
	for i := range len(w.stations) * 2 {
		a, b := i%len(w.stations), (i+1+r.IntN(len(w.stations)-1))%len(w.stations)
		e := &ll2.DockingEvent{ResponseMode: ll2.LevelDetailed.String(), SnapshotMode: ll2.LevelDetailed.String()}
		e.ID = len(events) + 1
		e.URL = syntheticBase + "docking_events/" + strconv.Itoa(e.ID) + "/"
		at := start.Add(time.Duration(r.Int64N(int64(60 * 365 * 24 * time.Hour))))
		e.Docking = ll2.DateTimeOf(at)
		if r.IntN(2) == 0 {
			e.Departure = ptr(ll2.DateTimeOf(at.Add(time.Duration(1+r.IntN(1000)) * time.Hour)))
		}
		e.DockingLocation = w.ports[b][r.IntN(len(w.ports[b]))]
		e.SpaceStationTarget = w.stations[b]
		e.SpaceStationChaser = w.stations[a]
		e.PayloadFlightTarget = json.RawMessage("null")
		e.PayloadFlightChaser = json.RawMessage("null")
		events = append(events, e)
	}
	// A flight lists the events it chases in; a station's events list nothing.
	for _, e := range events {
		if f := e.FlightVehicleChaser; f != nil {
			f.DockingEvents = append(f.DockingEvents, e.ForChaser())
		}
	}
	return flights, events
}
