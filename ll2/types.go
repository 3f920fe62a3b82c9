// Package ll2 speaks The Space Devs' Launch Library 2, version 2.3.0: its model types at
// each level of detail, its query parameters, and a typed HTTP client. It knows nothing
// of GraphQL.
//
// The types follow the official OpenAPI schema. A field is a plain Go value only when
// the schema both requires it and forbids null; every other field is a pointer (or a
// slice), so that "absent", "null" and "not known" all stay nil and nothing is
// invented. Objects of a higher level embed the lower level where LL2's shapes allow,
// and each level has Upgrade (to the detailed container, unknown fields nil) and
// projection methods (detailed to lower levels), which the built-in server uses to
// render any level from one stored record.
//
// One field is not LL2's: snapshot_mode, which the built-in server sets on an object
// whose snapshot record holds less than the detailed level, so that a client can tell
// "LL2 says null" from "this snapshot does not know" (see held.go).
package ll2

import "encoding/json"

// Level is one of LL2's levels of detail (the `mode` parameter), ordered from the
// leanest to the fullest so that levels can be compared.
type Level int8

// The levels of detail. LevelList is LL2's `list` mode, the ids-and-names level.
const (
	LevelNone Level = iota
	LevelList
	LevelNormal
	LevelDetailed
)

// String returns the level as LL2's `mode` and `response_mode` spell it.
func (l Level) String() string {
	switch l {
	case LevelList:
		return "list"
	case LevelNormal:
		return "normal"
	case LevelDetailed:
		return "detailed"
	}
	return ""
}

// ParseLevel reads a `mode` value; ok is false for anything LL2 does not know.
func ParseLevel(s string) (l Level, ok bool) {
	switch s {
	case "list":
		return LevelList, true
	case "normal":
		return LevelNormal, true
	case "detailed":
		return LevelDetailed, true
	}
	return LevelNone, false
}

// Page is one page of a list endpoint: `{count, next, previous, results}`.
type Page[T any] struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []T     `json:"results"`
	// SnapshotPartial is never sent by LL2. A built-in server over a snapshot whose
	// lookup tables hold only the rows its records carry (the embedded default) sets it
	// on the pages of those tables: they are not LL2's whole tables.
	SnapshotPartial bool `json:"snapshot_partial,omitempty"`
}

// Detail is LL2's error body, `{"detail": "Not found."}`.
type Detail struct {
	Detail string `json:"detail"`
}

// APIThrottle is one entry of `api-throttle/`: the caller's limit and use.
type APIThrottle struct {
	YourRequestLimit   int    `json:"your_request_limit"`
	LimitFrequencySecs int    `json:"limit_frequency_secs"`
	CurrentUse         int    `json:"current_use"`
	NextUseSecs        int    `json:"next_use_secs"`
	Ident              string `json:"ident"`
}

// SpacecraftStatus is a lookup (`config/spacecraft_statuses/`): 1 Active, 2 Retired,
// 3 Destroyed, 4 Single Use, 5 Under construction.
type SpacecraftStatus struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// SpacecraftConfigType is a lookup (`config/spacecraft_configuration_types/`), e.g. Capsule.
type SpacecraftConfigType struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// AgencyType is a lookup (`config/agency_types/`), e.g. Government, Commercial.
type AgencyType struct {
	ID   int     `json:"id"`
	Name *string `json:"name"`
}

// Country is a lookup (`config/countries/`).
type Country struct {
	ID                      int     `json:"id"`
	Name                    *string `json:"name"`
	Alpha2Code              *string `json:"alpha_2_code"`
	Alpha3Code              *string `json:"alpha_3_code"`
	NationalityName         *string `json:"nationality_name"`
	NationalityNameComposed *string `json:"nationality_name_composed"`
}

// ImageLicense is a lookup (`config/image_licenses/`).
type ImageLicense struct {
	ID       int     `json:"id"`
	Name     *string `json:"name"`
	Priority *int    `json:"priority"`
	Link     *string `json:"link"`
}

// ImageVariantType is a lookup (`config/image_variant_types/`).
type ImageVariantType struct {
	ID   int     `json:"id"`
	Name *string `json:"name"`
}

// ImageVariant is another rendition of an image.
type ImageVariant struct {
	ID       int              `json:"id"`
	Type     ImageVariantType `json:"type"`
	ImageURL string           `json:"image_url"`
}

// Image is an image with its license and variants. LL2 has no images endpoint: images
// exist only embedded in other objects.
type Image struct {
	ID           int            `json:"id"`
	Name         string         `json:"name"`
	ImageURL     string         `json:"image_url"`
	ThumbnailURL string         `json:"thumbnail_url"`
	Credit       *string        `json:"credit"`
	License      ImageLicense   `json:"license"`
	SingleUse    *bool          `json:"single_use"`
	Variants     []ImageVariant `json:"variants"`
}

// SocialMedia is a social network (a detailed agency's links point to these).
type SocialMedia struct {
	ID   int     `json:"id"`
	Name *string `json:"name"`
	URL  *string `json:"url"`
	Logo *Image  `json:"logo"`
}

// SocialMediaLink is an agency's account on a social network.
type SocialMediaLink struct {
	ID          int         `json:"id"`
	SocialMedia SocialMedia `json:"social_media"`
	URL         *string     `json:"url"`
}

// AgencyMini is an agency at the `list` level (LL2's AgencyMini).
type AgencyMini struct {
	ResponseMode string `json:"response_mode"`
	// SnapshotMode is never sent by LL2. A built-in server over a partial snapshot sets
	// it on an object whose record holds less than the detailed level: the mode the
	// record holds (see HeldLevel). Fields above that mode are not known, which is not
	// the same as LL2 answering null.
	SnapshotMode string     `json:"snapshot_mode,omitempty"`
	ID           int        `json:"id"`
	URL          string     `json:"url"`
	Name         string     `json:"name"`
	Abbrev       *string    `json:"abbrev"`
	Type         AgencyType `json:"type"`
}

// AgencyNormal is an agency at the `normal` level. Spacecraft and Launchers are LL2's
// free-text summaries (e.g. "Space Shuttle | SLS"); Parent is the parent's name.
type AgencyNormal struct {
	AgencyMini
	Featured      *bool     `json:"featured"`
	Country       []Country `json:"country"`
	Description   *string   `json:"description"`
	Administrator *string   `json:"administrator"`
	FoundingYear  *int      `json:"founding_year"`
	Launchers     *string   `json:"launchers"`
	Spacecraft    *string   `json:"spacecraft"`
	Parent        *string   `json:"parent"`
	Image         *Image    `json:"image"`
	Logo          *Image    `json:"logo"`
	SocialLogo    *Image    `json:"social_logo"`
}

// AgencyStats are a detailed agency's launch and landing counts.
type AgencyStats struct {
	TotalLaunchCount              *int `json:"total_launch_count"`
	ConsecutiveSuccessfulLaunches *int `json:"consecutive_successful_launches"`
	SuccessfulLaunches            *int `json:"successful_launches"`
	FailedLaunches                *int `json:"failed_launches"`
	PendingLaunches               *int `json:"pending_launches"`
	ConsecutiveSuccessfulLandings *int `json:"consecutive_successful_landings"`
	SuccessfulLandings            *int `json:"successful_landings"`
	FailedLandings                *int `json:"failed_landings"`
	AttemptedLandings             *int `json:"attempted_landings"`
	SuccessfulLandingsSpacecraft  *int `json:"successful_landings_spacecraft"`
	FailedLandingsSpacecraft      *int `json:"failed_landings_spacecraft"`
	AttemptedLandingsSpacecraft   *int `json:"attempted_landings_spacecraft"`
	SuccessfulLandingsPayload     *int `json:"successful_landings_payload"`
	FailedLandingsPayload         *int `json:"failed_landings_payload"`
	AttemptedLandingsPayload      *int `json:"attempted_landings_payload"`
}

// AgencyDetailed is an agency at the `detailed` level (LL2's AgencyEndpointDetailed).
// LauncherList holds launcher configurations, which are outside the spacecraft domain:
// they are kept verbatim so that nothing is lost.
type AgencyDetailed struct {
	AgencyNormal
	AgencyStats
	InfoURL          *string                    `json:"info_url"`
	WikiURL          *string                    `json:"wiki_url"`
	SocialMediaLinks []SocialMediaLink          `json:"social_media_links"`
	LauncherList     []json.RawMessage          `json:"launcher_list"`
	SpacecraftList   []SpacecraftConfigDetailed `json:"spacecraft_list"`
}

// FamilyMini is a spacecraft configuration family at the `list` level.
type FamilyMini struct {
	ResponseMode string `json:"response_mode"`
	// SnapshotMode is never sent by LL2. A built-in server over a partial snapshot sets
	// it on an object whose record holds less than the detailed level: the mode the
	// record holds (see HeldLevel). Fields above that mode are not known, which is not
	// the same as LL2 answering null.
	SnapshotMode string `json:"snapshot_mode,omitempty"`
	ID           int    `json:"id"`
	Name         string `json:"name"`
}

// FamilyNormal is a family at the `normal` level, as embedded in normal configurations.
type FamilyNormal struct {
	FamilyMini
	Description  *string     `json:"description"`
	Manufacturer *AgencyMini `json:"manufacturer"`
	Parent       *FamilyMini `json:"parent"`
	MaidenFlight *Date       `json:"maiden_flight"`
}

// FamilyStats are a detailed family's counts.
type FamilyStats struct {
	SpacecraftFlown    *int `json:"spacecraft_flown"`
	TotalLaunchCount   *int `json:"total_launch_count"`
	SuccessfulLaunches *int `json:"successful_launches"`
	FailedLaunches     *int `json:"failed_launches"`
	AttemptedLandings  *int `json:"attempted_landings"`
	SuccessfulLandings *int `json:"successful_landings"`
	FailedLandings     *int `json:"failed_landings"`
}

// FamilyDetailed is a family as a detailed configuration embeds it (LL2's
// SpacecraftConfigFamilyDetailed): a normal manufacturer and parent, and the counts.
type FamilyDetailed struct {
	FamilyMini
	Description  *string       `json:"description"`
	Manufacturer *AgencyNormal `json:"manufacturer"`
	Parent       *FamilyNormal `json:"parent"`
	MaidenFlight *Date         `json:"maiden_flight"`
	FamilyStats
}

// FamilyEndpointDetailed is a family at the `detailed` level of its own endpoint: the
// embedded shape plus the family's configurations (at the normal level).
type FamilyEndpointDetailed struct {
	FamilyDetailed
	Spacecraft []SpacecraftConfigNormal `json:"spacecraft"`
}

// SpacecraftConfigBase holds the configuration fields that are the same at every level.
type SpacecraftConfigBase struct {
	ResponseMode string `json:"response_mode"`
	// SnapshotMode is never sent by LL2. A built-in server over a partial snapshot sets
	// it on an object whose record holds less than the detailed level: the mode the
	// record holds (see HeldLevel). Fields above that mode are not known, which is not
	// the same as LL2 answering null.
	SnapshotMode string                `json:"snapshot_mode,omitempty"`
	ID           int                   `json:"id"`
	URL          string                `json:"url"`
	Name         string                `json:"name"`
	Type         *SpacecraftConfigType `json:"type"`
	InUse        *bool                 `json:"in_use"`
	Image        *Image                `json:"image"`
}

// SpacecraftConfigNormal is a spacecraft configuration at the `normal` level: its
// agency at the list level and its families at the normal level.
type SpacecraftConfigNormal struct {
	SpacecraftConfigBase
	Agency *AgencyMini    `json:"agency"`
	Family []FamilyNormal `json:"family"`
}

// SpacecraftConfigSpecs are the fields that only a detailed configuration has. Height
// and Diameter are metres; the capacities are kilograms.
type SpacecraftConfigSpecs struct {
	Capability            *string   `json:"capability"`
	History               *string   `json:"history"`
	Details               *string   `json:"details"`
	MaidenFlight          *Date     `json:"maiden_flight"`
	Height                *float64  `json:"height"`
	Diameter              *float64  `json:"diameter"`
	HumanRated            *bool     `json:"human_rated"`
	CrewCapacity          *int      `json:"crew_capacity"`
	PayloadCapacity       *int      `json:"payload_capacity"`
	PayloadReturnCapacity *int      `json:"payload_return_capacity"`
	FlightLife            *string   `json:"flight_life"`
	WikiLink              *string   `json:"wiki_link"`
	InfoLink              *string   `json:"info_link"`
	SpacecraftFlown       *int      `json:"spacecraft_flown"`
	TotalLaunchCount      *int      `json:"total_launch_count"`
	SuccessfulLaunches    *int      `json:"successful_launches"`
	FailedLaunches        *int      `json:"failed_launches"`
	AttemptedLandings     *int      `json:"attempted_landings"`
	SuccessfulLandings    *int      `json:"successful_landings"`
	FailedLandings        *int      `json:"failed_landings"`
	FastestTurnaround     *Duration `json:"fastest_turnaround"`
}

// SpacecraftConfigDetailed is a configuration at the `detailed` level: its agency at
// the normal level, its families at the detailed (embedded) level, and its specs.
type SpacecraftConfigDetailed struct {
	SpacecraftConfigBase
	Agency *AgencyNormal    `json:"agency"`
	Family []FamilyDetailed `json:"family"`
	SpacecraftConfigSpecs
}

// SpacecraftBase holds the spacecraft fields that are the same at every level.
type SpacecraftBase struct {
	ResponseMode string `json:"response_mode"`
	// SnapshotMode is never sent by LL2. A built-in server over a partial snapshot sets
	// it on an object whose record holds less than the detailed level: the mode the
	// record holds (see HeldLevel). Fields above that mode are not known, which is not
	// the same as LL2 answering null.
	SnapshotMode      string            `json:"snapshot_mode,omitempty"`
	ID                int               `json:"id"`
	URL               string            `json:"url"`
	Name              string            `json:"name"`
	SerialNumber      *string           `json:"serial_number"`
	IsPlaceholder     *bool             `json:"is_placeholder"`
	Image             *Image            `json:"image"`
	InSpace           *bool             `json:"in_space"`
	TimeInSpace       *Duration         `json:"time_in_space"`
	TimeDocked        *Duration         `json:"time_docked"`
	FlightsCount      *int              `json:"flights_count"`
	MissionEndsCount  *int              `json:"mission_ends_count"`
	Status            *SpacecraftStatus `json:"status"`
	Description       string            `json:"description"`
	FastestTurnaround *Duration         `json:"fastest_turnaround"`
}

// SpacecraftNormal is a spacecraft at the `normal` level (what list calls return by
// default), with its configuration at the normal level.
type SpacecraftNormal struct {
	SpacecraftBase
	SpacecraftConfig *SpacecraftConfigNormal `json:"spacecraft_config"`
}

// SpacecraftDetailed is a spacecraft at the `detailed` level of its own endpoint (LL2's
// SpacecraftEndpointDetailed, also what the detail endpoint returns): a detailed
// configuration and every flight of the spacecraft, each at the normal level with its
// launch and landing. Flights is nil when not known (a record held below the detailed
// level), and an empty list for a spacecraft that never flew.
type SpacecraftDetailed struct {
	SpacecraftBase
	SpacecraftConfig *SpacecraftConfigDetailed `json:"spacecraft_config"`
	Flights          []SpacecraftFlightNormal  `json:"flights"`
}

// SpacecraftDetailedEmbedded is a spacecraft as a detailed flight embeds it (LL2's
// SpacecraftDetailed): a detailed configuration, and no flights.
type SpacecraftDetailedEmbedded struct {
	SpacecraftBase
	SpacecraftConfig *SpacecraftConfigDetailed `json:"spacecraft_config"`
}
