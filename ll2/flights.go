package ll2

import "encoding/json"

// This file holds the types of LL2's spacecraft flights (`spacecraft_flights/`), the
// launches and landings they embed, and docking events (`docking_events/`) with their
// docking locations and space stations.
//
// LL2's 2.3.0 schema declares most of these sub-objects required and non-null, but its
// real answers carry nulls there (a flight not yet landed has no landing and no
// duration; a docking event's chaser is a flight, a station or a payload, the other
// two null; a docking location belongs to a station, a spacecraft or a payload). LL2
// 2.4.0 declares those nulls, so they are pointers here whatever 2.3.0 says.
//
// Objects outside the spacecraft domain that no part of the gateway reads (crew,
// programs, payload flights, a mission's agencies, celestial bodies) are kept verbatim
// as json.RawMessage, so that nothing is lost and nothing is decoded for nothing.

// LaunchStatus is a launch's status (LL2's LaunchStatus: Go, TBD, Success, Failure, …).
type LaunchStatus struct {
	ID          int     `json:"id"`
	Name        *string `json:"name"`
	Abbrev      *string `json:"abbrev"`
	Description *string `json:"description"`
}

// NetPrecision says how precise a launch's NET is (LL2's NetPrecision: Hour, Day, …).
type NetPrecision struct {
	ID          int     `json:"id"`
	Name        *string `json:"name"`
	Abbrev      *string `json:"abbrev"`
	Description *string `json:"description"`
}

// LauncherFamilyMini is a launcher family at the list level.
type LauncherFamilyMini struct {
	ResponseMode string `json:"response_mode"`
	ID           int    `json:"id"`
	Name         string `json:"name"`
}

// LauncherConfigList is a launcher (rocket) configuration at the list level.
type LauncherConfigList struct {
	ResponseMode string               `json:"response_mode"`
	ID           int                  `json:"id"`
	URL          string               `json:"url"`
	Name         string               `json:"name"`
	Families     []LauncherFamilyMini `json:"families"`
	FullName     *string              `json:"full_name"`
	Variant      *string              `json:"variant"`
}

// Rocket is the rocket of a launch (LL2's RocketNormal).
type Rocket struct {
	ID            int                 `json:"id"`
	Configuration *LauncherConfigList `json:"configuration"`
}

// CelestialBodyMini is a celestial body at the list level.
type CelestialBodyMini struct {
	ResponseMode string `json:"response_mode"`
	ID           int    `json:"id"`
	Name         string `json:"name"`
}

// Orbit is a mission's target orbit (LL2's Orbit: Low Earth Orbit, LEO).
type Orbit struct {
	ID            int                `json:"id"`
	Name          *string            `json:"name"`
	Abbrev        *string            `json:"abbrev"`
	CelestialBody *CelestialBodyMini `json:"celestial_body"`
}

// Mission is what a launch is for. Agencies (LL2's AgencyDetailed), InfoURLs and
// VidURLs are kept verbatim.
type Mission struct {
	ID          int               `json:"id"`
	Name        *string           `json:"name"`
	Type        *string           `json:"type"`
	Description *string           `json:"description"`
	Image       *Image            `json:"image"`
	Orbit       *Orbit            `json:"orbit"`
	Agencies    []json.RawMessage `json:"agencies"`
	InfoURLs    []json.RawMessage `json:"info_urls"`
	VidURLs     []json.RawMessage `json:"vid_urls"`
}

// Location is a launch or landing site's location (LL2's Location; a landing
// location's, LocationSerializerNoCelestialBody, has no celestial_body, and then
// CelestialBody stays empty and is not written). CelestialBody is kept verbatim.
type Location struct {
	ResponseMode      string          `json:"response_mode"`
	ID                int             `json:"id"`
	URL               string          `json:"url"`
	Name              *string         `json:"name"`
	CelestialBody     json.RawMessage `json:"celestial_body,omitempty"`
	Active            *bool           `json:"active"`
	Country           *Country        `json:"country"`
	Description       *string         `json:"description"`
	Image             *Image          `json:"image"`
	MapImage          *string         `json:"map_image"`
	Longitude         *float64        `json:"longitude"`
	Latitude          *float64        `json:"latitude"`
	TimezoneName      *string         `json:"timezone_name"`
	TotalLaunchCount  *int            `json:"total_launch_count"`
	TotalLandingCount *int            `json:"total_landing_count"`
}

// Pad is a launch pad. Agencies (LL2's AgencyNormal) are kept verbatim.
type Pad struct {
	ID                        int               `json:"id"`
	URL                       string            `json:"url"`
	Active                    *bool             `json:"active"`
	Agencies                  []json.RawMessage `json:"agencies"`
	Name                      *string           `json:"name"`
	Image                     *Image            `json:"image"`
	Description               *string           `json:"description"`
	InfoURL                   *string           `json:"info_url"`
	WikiURL                   *string           `json:"wiki_url"`
	MapURL                    *string           `json:"map_url"`
	Latitude                  *float64          `json:"latitude"`
	Longitude                 *float64          `json:"longitude"`
	Country                   *Country          `json:"country"`
	MapImage                  *string           `json:"map_image"`
	TotalLaunchCount          *int              `json:"total_launch_count"`
	OrbitalLaunchAttemptCount *int              `json:"orbital_launch_attempt_count"`
	FastestTurnaround         *Duration         `json:"fastest_turnaround"`
	Location                  *Location         `json:"location"`
}

// LaunchMini is a launch at the list level, as a docking event's flights embed it.
// LL2's ids of launches are UUIDs.
type LaunchMini struct {
	ID   string  `json:"id"`
	URL  string  `json:"url"`
	Name *string `json:"name"`
}

// Launch is a launch at the normal level (LL2's LaunchNormal), as flights embed it.
// Program (LL2's ProgramNormal) is kept verbatim.
type Launch struct {
	ResponseMode                   string            `json:"response_mode"`
	ID                             string            `json:"id"`
	URL                            string            `json:"url"`
	Name                           *string           `json:"name"`
	Slug                           string            `json:"slug"`
	LaunchDesignator               *string           `json:"launch_designator"`
	Status                         *LaunchStatus     `json:"status"`
	LastUpdated                    *DateTime         `json:"last_updated"`
	Net                            *DateTime         `json:"net"`
	NetPrecision                   *NetPrecision     `json:"net_precision"`
	WindowEnd                      *DateTime         `json:"window_end"`
	WindowStart                    *DateTime         `json:"window_start"`
	Image                          *Image            `json:"image"`
	Infographic                    *string           `json:"infographic"`
	Probability                    *int              `json:"probability"`
	WeatherConcerns                *string           `json:"weather_concerns"`
	Failreason                     *string           `json:"failreason"`
	Hashtag                        *string           `json:"hashtag"`
	LaunchServiceProvider          *AgencyMini       `json:"launch_service_provider"`
	Rocket                         *Rocket           `json:"rocket"`
	Mission                        *Mission          `json:"mission"`
	Pad                            *Pad              `json:"pad"`
	WebcastLive                    *bool             `json:"webcast_live"`
	Program                        []json.RawMessage `json:"program"`
	OrbitalLaunchAttemptCount      *int              `json:"orbital_launch_attempt_count"`
	LocationLaunchAttemptCount     *int              `json:"location_launch_attempt_count"`
	PadLaunchAttemptCount          *int              `json:"pad_launch_attempt_count"`
	AgencyLaunchAttemptCount       *int              `json:"agency_launch_attempt_count"`
	OrbitalLaunchAttemptCountYear  *int              `json:"orbital_launch_attempt_count_year"`
	LocationLaunchAttemptCountYear *int              `json:"location_launch_attempt_count_year"`
	PadLaunchAttemptCountYear      *int              `json:"pad_launch_attempt_count_year"`
	AgencyLaunchAttemptCountYear   *int              `json:"agency_launch_attempt_count_year"`
}

// Mini projects the launch to the list level.
func (l *Launch) Mini() LaunchMini { return LaunchMini{ID: l.ID, URL: l.URL, Name: l.Name} }

// LandingType is how a landing is made (LL2's LandingType: Parachute Landing, …).
type LandingType struct {
	ID          int     `json:"id"`
	Name        *string `json:"name"`
	Abbrev      *string `json:"abbrev"`
	Description *string `json:"description"`
}

// LandingLocation is where a landing is made. Its location has no celestial body;
// CelestialBody (LL2's CelestialBodyNormal) is kept verbatim.
type LandingLocation struct {
	ID                 int             `json:"id"`
	Name               *string         `json:"name"`
	Active             *bool           `json:"active"`
	Abbrev             *string         `json:"abbrev"`
	Description        *string         `json:"description"`
	Location           *Location       `json:"location"`
	Longitude          *float64        `json:"longitude"`
	Latitude           *float64        `json:"latitude"`
	Image              *Image          `json:"image"`
	SuccessfulLandings *int            `json:"successful_landings"`
	AttemptedLandings  *int            `json:"attempted_landings"`
	FailedLandings     *int            `json:"failed_landings"`
	CelestialBody      json.RawMessage `json:"celestial_body"`
}

// Landing is the landing of a flight. DownrangeDistance is in kilometres.
type Landing struct {
	ID                int              `json:"id"`
	URL               string           `json:"url"`
	Attempt           *bool            `json:"attempt"`
	Success           *bool            `json:"success"`
	Description       *string          `json:"description"`
	DownrangeDistance *float64         `json:"downrange_distance"`
	LandingLocation   *LandingLocation `json:"landing_location"`
	Type              *LandingType     `json:"type"`
}

// SpaceStationStatus is a space station's status (Active, De-Orbited, …).
type SpaceStationStatus struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// SpaceStationType is a space station's type (Government, Commercial, …).
type SpaceStationType struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// SpaceStationMini is a space station at the list level.
type SpaceStationMini struct {
	ID    int    `json:"id"`
	URL   string `json:"url"`
	Name  string `json:"name"`
	Image *Image `json:"image"`
}

// SpaceStation is a space station at the normal level (LL2's SpaceStationNormal), the
// richest level anything in the spacecraft domain embeds. Orbit is LL2's text
// ("Low Earth Orbit").
type SpaceStation struct {
	SpaceStationMini
	Status      *SpaceStationStatus `json:"status"`
	Founded     *Date               `json:"founded"`
	Deorbited   *Date               `json:"deorbited"`
	Description *string             `json:"description"`
	Orbit       *string             `json:"orbit"`
	Type        *SpaceStationType   `json:"type"`
}

// Mini projects the station to the list level.
func (s *SpaceStation) Mini() SpaceStationMini { return s.SpaceStationMini }

// DockingLocation is a docking port: of a space station, of a spacecraft
// configuration, or of a payload (the other two null). Payload (LL2's PayloadMini) is
// kept verbatim.
type DockingLocation struct {
	ID           int                     `json:"id"`
	Name         string                  `json:"name"`
	Spacestation *SpaceStationMini       `json:"spacestation"`
	Spacecraft   *SpacecraftConfigNormal `json:"spacecraft"`
	Payload      json.RawMessage         `json:"payload"`
}

// SpacecraftFlightBase holds the flight fields that are the same at every level. A
// flight still in progress has no mission end, landing, duration or turnaround.
// ResponseMode is empty (and not written) at the list level, which LL2 sends without
// one.
type SpacecraftFlightBase struct {
	ResponseMode string `json:"response_mode,omitempty"`
	// SnapshotMode is never sent by LL2. A built-in server over a partial snapshot sets
	// it on a flight whose record holds less than the detailed level (see HeldLevel).
	SnapshotMode   string    `json:"snapshot_mode,omitempty"`
	ID             int       `json:"id"`
	URL            string    `json:"url"`
	Destination    *string   `json:"destination"`
	MissionEnd     *DateTime `json:"mission_end"`
	Duration       *Duration `json:"duration"`
	TurnAroundTime *Duration `json:"turn_around_time"`
	Landing        *Landing  `json:"landing"`
}

// SpacecraftFlightMini is a flight at the list level, as a normal docking event embeds
// it (LL2's SpacecraftFlightMini): its launch at the list level, no response_mode.
type SpacecraftFlightMini struct {
	SpacecraftFlightBase
	Spacecraft *SpacecraftNormal `json:"spacecraft"`
	Launch     *LaunchMini       `json:"launch"`
}

// SpacecraftFlightNormal is a flight at the normal level: what `spacecraft_flights/`
// lists by default and what a detailed spacecraft's flights are.
type SpacecraftFlightNormal struct {
	SpacecraftFlightBase
	Spacecraft *SpacecraftNormal `json:"spacecraft"`
	Launch     *Launch           `json:"launch"`
}

// SpacecraftFlightDetailed is a flight at the detailed level (LL2's
// SpacecraftFlightDetailed, also what the detail endpoint returns): the spacecraft
// with its detailed configuration, the crews (kept verbatim) and the docking events
// in which the flight is the chaser.
type SpacecraftFlightDetailed struct {
	SpacecraftFlightBase
	Spacecraft    *SpacecraftDetailedEmbedded `json:"spacecraft"`
	Launch        *Launch                     `json:"launch"`
	LaunchCrew    []json.RawMessage           `json:"launch_crew"`
	OnboardCrew   []json.RawMessage           `json:"onboard_crew"`
	LandingCrew   []json.RawMessage           `json:"landing_crew"`
	DockingEvents []DockingEventForChaser     `json:"docking_events"`
}

// SpacecraftFlight is a flight in the container every level decodes into: the fields
// of the level it came at, the rest nil. Spacecraft is the flight's spacecraft at the
// normal level, or at the detailed level (without flights) in a detailed flight.
type SpacecraftFlight struct {
	SpacecraftFlightBase
	Spacecraft    *SpacecraftDetailed     `json:"spacecraft"`
	Launch        *Launch                 `json:"launch"`
	LaunchCrew    []json.RawMessage       `json:"launch_crew"`
	OnboardCrew   []json.RawMessage       `json:"onboard_crew"`
	LandingCrew   []json.RawMessage       `json:"landing_crew"`
	DockingEvents []DockingEventForChaser `json:"docking_events"`
}

// SpacecraftID returns the id of the flight's spacecraft, or 0.
func (f *SpacecraftFlight) SpacecraftID() int {
	if f.Spacecraft == nil {
		return 0
	}
	return f.Spacecraft.ID
}

// DockingEventBase holds the docking event fields that are the same in every shape.
type DockingEventBase struct {
	ID              int              `json:"id"`
	URL             string           `json:"url"`
	Docking         DateTime         `json:"docking"`
	Departure       *DateTime        `json:"departure"`
	DockingLocation *DockingLocation `json:"docking_location"`
}

// DockingEventForChaser is a docking event as a detailed flight embeds it (LL2's
// DockingEventForChaserNormal): the flight is the chaser, so only the target is given,
// at the normal level. PayloadFlightTarget is kept verbatim.
type DockingEventForChaser struct {
	DockingEventBase
	SpaceStationTarget  *SpaceStation           `json:"space_station_target"`
	FlightVehicleTarget *SpacecraftFlightNormal `json:"flight_vehicle_target"`
	PayloadFlightTarget json.RawMessage         `json:"payload_flight_target"`
}

// DockingEventNormal is a docking event at the normal level: target and chaser at the
// list level. The payload flights are kept verbatim.
type DockingEventNormal struct {
	ResponseMode string `json:"response_mode"`
	// SnapshotMode: see SpacecraftFlightBase.
	SnapshotMode string `json:"snapshot_mode,omitempty"`
	DockingEventBase
	SpaceStationTarget  *SpaceStationMini     `json:"space_station_target"`
	FlightVehicleTarget *SpacecraftFlightMini `json:"flight_vehicle_target"`
	PayloadFlightTarget json.RawMessage       `json:"payload_flight_target"`
	FlightVehicleChaser *SpacecraftFlightMini `json:"flight_vehicle_chaser"`
	SpaceStationChaser  *SpaceStationMini     `json:"space_station_chaser"`
	PayloadFlightChaser json.RawMessage       `json:"payload_flight_chaser"`
}

// DockingEventEndpointDetailed is a docking event at the detailed level (also what
// the detail endpoint returns): the target at the list level, the chaser at the normal
// level.
type DockingEventEndpointDetailed struct {
	ResponseMode string `json:"response_mode"`
	// SnapshotMode: see SpacecraftFlightBase.
	SnapshotMode string `json:"snapshot_mode,omitempty"`
	DockingEventBase
	SpaceStationTarget  *SpaceStationMini       `json:"space_station_target"`
	FlightVehicleTarget *SpacecraftFlightMini   `json:"flight_vehicle_target"`
	PayloadFlightTarget json.RawMessage         `json:"payload_flight_target"`
	FlightVehicleChaser *SpacecraftFlightNormal `json:"flight_vehicle_chaser"`
	SpaceStationChaser  *SpaceStation           `json:"space_station_chaser"`
	PayloadFlightChaser json.RawMessage         `json:"payload_flight_chaser"`
}

// DockingEvent is a docking event in the container every level decodes into: target
// and chaser as flights and stations in their containers, at the level they came at.
// Exactly one of the targets and one of the chasers is normally set. The payload
// flights are kept verbatim at the level they came at.
type DockingEvent struct {
	ResponseMode string `json:"response_mode"`
	// SnapshotMode: see SpacecraftFlightBase.
	SnapshotMode string `json:"snapshot_mode,omitempty"`
	DockingEventBase
	SpaceStationTarget  *SpaceStation     `json:"space_station_target"`
	FlightVehicleTarget *SpacecraftFlight `json:"flight_vehicle_target"`
	PayloadFlightTarget json.RawMessage   `json:"payload_flight_target"`
	FlightVehicleChaser *SpacecraftFlight `json:"flight_vehicle_chaser"`
	SpaceStationChaser  *SpaceStation     `json:"space_station_chaser"`
	PayloadFlightChaser json.RawMessage   `json:"payload_flight_chaser"`
}

// ChaserFlightID returns the id of the chaser flight, or 0 when the chaser is not a
// spacecraft flight.
func (d *DockingEvent) ChaserFlightID() int {
	if d.FlightVehicleChaser == nil {
		return 0
	}
	return d.FlightVehicleChaser.ID
}

// CountryCode is the location's country as its ISO 3166-1 alpha-3 code, which the
// GraphQL schema gives as Location.countryCode (LL2 nests it in the country).
func (l *Location) CountryCode() *string {
	if l.Country == nil {
		return nil
	}
	return l.Country.Alpha3Code
}
