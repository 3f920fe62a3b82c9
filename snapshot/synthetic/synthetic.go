// Package synthetic generates snapshot data of any size from a seed, for tests and
// benchmarks that need more, or other, records than the embedded snapshot's real ones:
// every field filled, every join consistent, and nothing that could pass for real LL2
// data.
package synthetic

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"spacegraph/ll2"
	"spacegraph/snapshot"
)

// Options size a synthetic snapshot. The same options always give the same
// data, byte for byte, so that tests and benchmarks can rely on fixed expectations
// and a failure can be replayed from its seed.
type Options struct {
	// Seed seeds the PCG generator; different seeds give different data of the same shape.
	Seed uint64
	// Spacecraft, Configs, Agencies and Families are the sizes of the collections.
	// Negative sizes count as zero. Spacecraft need a configuration and
	// configurations and families need an agency, so at least one of those is made
	// whenever something depends on it.
	Spacecraft, Configs, Agencies, Families int
	// Flights generates every spacecraft's flights, each with its launch and landing,
	// and their docking events. Without it Data.Flights and DockingEvents are nil (not
	// known), and the built-in server serves the spacecraft as holding the normal
	// level. A detailed spacecraft page with its flights weighs about twenty times the
	// normal page, which matters to whatever reads detailed pages: LL2ScaleFlights has
	// them, LL2Scale and Large do not.
	Flights bool
}

// LL2Scale returns the options of a snapshot the size of LL2's spacecraft domain
// (about 600 spacecraft), so that crawls and paging behave as against the live API:
// the same number of pages, the same number of calls.
func LL2Scale() Options {
	return Options{Seed: 1, Spacecraft: 600, Configs: 46, Agencies: 311, Families: 30}
}

// Large returns LL2Scale with 100,000 spacecraft, so that benchmarks show what the
// built-in server costs when a query has to filter or order far more than one page.
// The other collections keep their LL2 sizes (and contents), as a larger fleet would
// still be built from a few dozen designs.
func Large() Options {
	o := LL2Scale()
	o.Spacecraft = 100_000
	return o
}

// LL2ScaleFlights returns LL2Scale with the flights (about 2,250, as many as the
// spacecraft's flights_count say) and their docking events (about 1,150): what a
// detailed spacecraft page of LL2 really weighs, and what spacecraft_flights/ and
// docking_events/ serve.
func LL2ScaleFlights() Options {
	o := LL2Scale()
	o.Flights = true
	return o
}

// syntheticBase is the version root of the URLs the generator writes. The .invalid
// top-level domain can never resolve, so a synthetic URL cannot be mistaken for LL2's;
// the built-in server replaces object URLs with its own anyway.
const syntheticBase = "https://ll2.synthetic.invalid/2.3.0/"

// syntheticMedia is where synthetic images and links point.
const syntheticMedia = "https://media.synthetic.invalid/"

// spacecraftStatuses are LL2's statuses with their real ids and names: code that maps
// statuses by id must meet the ids it will meet in production.
var spacecraftStatuses = []ll2.SpacecraftStatus{
	{ID: 1, Name: "Active"},
	{ID: 2, Name: "Retired"},
	{ID: 3, Name: "Destroyed"},
	{ID: 4, Name: "Single Use"},
	{ID: 5, Name: "Under construction"},
}

// statusWeights are the shares of the statuses (percent), roughly LL2's mix.
var statusWeights = []int{35, 30, 10, 20, 5}

// Stream numbers of the generator: each collection draws from its own PCG stream, so
// that changing the number of spacecraft leaves agencies, families and
// configurations as they were (Large and LL2Scale share them).
const (
	streamLookups uint64 = iota + 1
	streamAgencies
	streamFamilies
	streamConfigs
	streamSpacecraft
	streamFlights
)

// Generate builds a synthetic snapshot. Every field of every detailed record is
// filled (no nil pointers, no nil slices), except that only some agencies and
// families have a parent, as in LL2, and that a spacecraft's own Flights stay nil.
// With Options.Flights, a spacecraft's flights are the records of Data.Flights, as
// many as its flights_count says, each with a launch and, once ended, a landing; a
// flight still under way (the last of a spacecraft in space) has no mission end,
// landing or duration, and a first flight no turnaround, as in LL2; flights to a
// station dock there (Data.DockingEvents), and a few stations dock to stations.
// Derived fields agree with the
// objects: an agency's spacecraft_list and spacecraft text list its configurations, a
// family's spacecraft lists its members, spacecraft_flown counts the configuration's
// spacecraft that have flown, and every embedded lookup row is in its table. Names
// are plainly synthetic ("Synthetic Spacecraft 000123") and country codes are in the
// user-assigned X range, so that synthetic data cannot pass for real data.
func Generate(opts Options) snapshot.Data {
	o := opts
	o.Spacecraft, o.Configs, o.Agencies, o.Families = max(0, o.Spacecraft), max(0, o.Configs), max(0, o.Agencies), max(0, o.Families)
	if o.Spacecraft > 0 && o.Configs == 0 {
		o.Configs = 1
	}
	if (o.Configs > 0 || o.Families > 0) && o.Agencies == 0 {
		o.Agencies = 1
	}
	g := &generator{opts: o}
	g.lookups(g.rng(streamLookups))
	d := snapshot.Data{Lookups: g.lookupRows()}

	// Which configurations each agency makes must be known before any copy of an
	// agency is embedded, because the agency's spacecraft text names them.
	r := g.rng(streamConfigs)
	cfgAgency := make([]int, o.Configs)
	makers := min(o.Agencies, 40)
	for i := range cfgAgency {
		cfgAgency[i] = r.IntN(max(1, makers))
	}
	d.Agencies = g.agencies(g.rng(streamAgencies), cfgAgency)
	d.Families = g.families(g.rng(streamFamilies), d.Agencies)
	d.Configs = g.configs(r, cfgAgency, d.Agencies, d.Families)
	d.Spacecraft = g.spacecraft(g.rng(streamSpacecraft), d.Configs)
	g.joins(&d, cfgAgency)
	if o.Flights {
		d.Flights, d.DockingEvents = g.flights(g.rng(streamFlights), d.Spacecraft, d.Agencies)
	}
	return d
}

// generator holds the lookup tables and the image counter while a snapshot is built.
type generator struct {
	opts         Options
	imageID      int
	statuses     []ll2.SpacecraftStatus
	configTypes  []ll2.SpacecraftConfigType
	agencyTypes  []ll2.AgencyType
	countries    []ll2.Country
	licenses     []ll2.ImageLicense
	variantTypes []ll2.ImageVariantType
	socialMedia  []ll2.SocialMedia
}

func (g *generator) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(g.opts.Seed, stream))
}

func ptr[T any](v T) *T { return &v }

func (g *generator) lookups(r *rand.Rand) {
	g.statuses = spacecraftStatuses
	for i, name := range []string{"Unknown", "Capsule", "Spaceplane", "Cargo Resupply", "Space Station", "Reuseable Upper Stage"} {
		g.configTypes = append(g.configTypes, ll2.SpacecraftConfigType{ID: i + 1, Name: name})
	}
	for i, name := range []string{"Government", "Multinational", "Commercial", "Educational", "Private", "Unknown"} {
		g.agencyTypes = append(g.agencyTypes, ll2.AgencyType{ID: i + 1, Name: ptr(name)})
	}
	for i := range 12 {
		letter := string(rune('A' + i))
		a2, a3 := "X"+letter, "XA"+letter
		g.countries = append(g.countries, ll2.Country{
			ID:                      i + 1,
			Name:                    ptr("Synthetic Country " + a3),
			Alpha2Code:              ptr(a2),
			Alpha3Code:              ptr(a3),
			NationalityName:         ptr("Synthetic " + a3),
			NationalityNameComposed: ptr("Synthetic " + a3 + "-" + strings.ToLower(a2)),
		})
	}
	for i := range 4 {
		letter := string(rune('A' + i))
		g.licenses = append(g.licenses, ll2.ImageLicense{
			ID:       i + 1,
			Name:     ptr("Synthetic License " + letter),
			Priority: ptr(i),
			Link:     ptr(syntheticMedia + "licenses/" + strings.ToLower(letter) + "/"),
		})
	}
	for i, name := range []string{"Landscape", "Portrait", "Square", "Round"} {
		g.variantTypes = append(g.variantTypes, ll2.ImageVariantType{ID: i + 1, Name: ptr(name)})
	}
	for i := range 3 {
		id := i + 1
		g.socialMedia = append(g.socialMedia, ll2.SocialMedia{
			ID:   id,
			Name: ptr(fmt.Sprintf("Synthetic Network %d", id)),
			URL:  ptr(fmt.Sprintf("https://network-%d.synthetic.invalid/", id)),
			Logo: g.image(r, "social_media", id),
		})
	}
}

// lookupRows renders the tables as the built-in server and snapshot files hold them,
// with every field of the row.
func (g *generator) lookupRows() map[string][]ll2.Lookup {
	m := map[string][]ll2.Lookup{}
	for _, s := range g.statuses {
		m[ll2.PathSpacecraftStatuses] = append(m[ll2.PathSpacecraftStatuses], ll2.Lookup{ID: s.ID, Name: s.Name, Raw: map[string]any{"id": s.ID, "name": s.Name}})
	}
	for _, t := range g.configTypes {
		m[ll2.PathConfigTypes] = append(m[ll2.PathConfigTypes], ll2.Lookup{ID: t.ID, Name: t.Name, Raw: map[string]any{"id": t.ID, "name": t.Name}})
	}
	for _, t := range g.agencyTypes {
		m[ll2.PathAgencyTypes] = append(m[ll2.PathAgencyTypes], ll2.Lookup{ID: t.ID, Name: *t.Name, Raw: map[string]any{"id": t.ID, "name": *t.Name}})
	}
	for _, c := range g.countries {
		m[ll2.PathCountries] = append(m[ll2.PathCountries], ll2.Lookup{ID: c.ID, Name: *c.Name, Raw: map[string]any{
			"id": c.ID, "name": *c.Name, "alpha_2_code": *c.Alpha2Code, "alpha_3_code": *c.Alpha3Code,
			"nationality_name": *c.NationalityName, "nationality_name_composed": *c.NationalityNameComposed,
		}})
	}
	for _, l := range g.licenses {
		m[ll2.PathImageLicenses] = append(m[ll2.PathImageLicenses], ll2.Lookup{ID: l.ID, Name: *l.Name, Raw: map[string]any{
			"id": l.ID, "name": *l.Name, "priority": *l.Priority, "link": *l.Link,
		}})
	}
	for _, t := range g.variantTypes {
		m[ll2.PathImageVariantTypes] = append(m[ll2.PathImageVariantTypes], ll2.Lookup{ID: t.ID, Name: *t.Name, Raw: map[string]any{"id": t.ID, "name": *t.Name}})
	}
	return m
}

// image makes a new image with a license and one variant; kind and owner only make
// the URLs readable.
func (g *generator) image(r *rand.Rand, kind string, owner int) *ll2.Image {
	g.imageID++
	id := g.imageID
	lic := g.licenses[r.IntN(len(g.licenses))]
	vt := g.variantTypes[r.IntN(len(g.variantTypes))]
	base := syntheticMedia + "images/" + kind + "_" + strconv.Itoa(owner) + "_" + strconv.Itoa(id)
	return &ll2.Image{
		ID:           id,
		Name:         "Synthetic image " + strconv.Itoa(id) + " of " + kind + " " + strconv.Itoa(owner),
		ImageURL:     base + ".jpeg",
		ThumbnailURL: base + "_thumbnail.jpeg",
		Credit:       ptr("Synthetic Credit " + strconv.Itoa(1+r.IntN(20))),
		License:      lic,
		SingleUse:    ptr(r.IntN(4) == 0),
		Variants:     []ll2.ImageVariant{{ID: id, Type: vt, ImageURL: base + "_" + strings.ToLower(*vt.Name) + ".jpeg"}},
	}
}

// date draws a day between Sputnik and 2026.
func date(r *rand.Rand) *ll2.Date {
	start := time.Date(1957, time.October, 4, 0, 0, 0, 0, time.UTC)
	d := ll2.Date(start.AddDate(0, 0, r.IntN(25000)).Format(time.DateOnly))
	return &d
}

// duration draws a length over many orders of magnitude (seconds to years), so that
// durations are written with different components and digit counts and their text
// order differs from their length order ("P10D" sorts before "P9D").
func duration(r *rand.Rand) *ll2.Duration {
	if r.IntN(10) == 0 {
		return ptr(ll2.DurationOf(0))
	}
	secs := r.Int64N(pow10[1+r.IntN(len(pow10)-1)])
	return ptr(ll2.DurationOf(time.Duration(secs) * time.Second))
}

var pow10 = []int64{1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000}

// split draws a count and a part of it, for statistics that must add up.
func split(r *rand.Rand, n int) (total, part int) {
	total = r.IntN(n + 1)
	return total, r.IntN(total + 1)
}

func configName(i int) string { return fmt.Sprintf("Synthetic Config %03d", i+1) }

func (g *generator) agencies(r *rand.Rand, cfgAgency []int) []*ll2.AgencyDetailed {
	out := make([]*ll2.AgencyDetailed, g.opts.Agencies)
	makes := make([][]string, g.opts.Agencies)
	for c, a := range cfgAgency {
		makes[a] = append(makes[a], configName(c))
	}
	for i := range out {
		id := i + 1
		tag := fmt.Sprintf("%03d", id)
		a := &ll2.AgencyDetailed{}
		a.ResponseMode = ll2.LevelDetailed.String()
		a.SnapshotMode = ll2.LevelDetailed.String()
		a.ID = id
		a.URL = syntheticBase + "agencies/" + strconv.Itoa(id) + "/"
		a.Name = "Synthetic Agency " + tag
		a.Abbrev = ptr("SYA" + tag)
		a.Type = g.agencyTypes[r.IntN(len(g.agencyTypes))]
		a.Featured = ptr(r.IntN(8) == 0)
		c1 := r.IntN(len(g.countries))
		a.Country = []ll2.Country{g.countries[c1]}
		if r.IntN(5) == 0 {
			a.Country = append(a.Country, g.countries[(c1+1+r.IntN(len(g.countries)-1))%len(g.countries)])
		}
		a.Description = ptr("Synthetic Agency " + tag + " exists only in generated test data.")
		a.Administrator = ptr("Synthetic Administrator " + tag)
		a.FoundingYear = ptr(1940 + r.IntN(86))
		launchers := []string{}
		a.LauncherList = []json.RawMessage{}
		if r.IntN(3) == 0 {
			for k := range 1 + r.IntN(2) {
				name := fmt.Sprintf("Synthetic Launcher %s%c", tag, 'A'+k)
				launchers = append(launchers, name)
				lid := id*10 + k
				a.LauncherList = append(a.LauncherList, json.RawMessage(fmt.Sprintf(
					`{"response_mode":"list","id":%d,"url":"%slauncher_configurations/%d/","name":%q,"families":[],"full_name":%q,"variant":""}`,
					lid, syntheticBase, lid, name, name)))
			}
		}
		a.Launchers = ptr(strings.Join(launchers, " | "))
		a.Spacecraft = ptr(strings.Join(makes[i], " | "))
		if i > 0 && r.IntN(6) == 0 {
			a.Parent = ptr(out[r.IntN(i)].Name)
		}
		a.Image = g.image(r, "agency", id)
		a.Logo = g.image(r, "agency_logo", id)
		a.SocialLogo = g.image(r, "agency_social_logo", id)

		scale := 20
		if i < 40 {
			scale = 600
		}
		total, ok := split(r, scale)
		pending := r.IntN(20)
		a.TotalLaunchCount = ptr(total + pending)
		a.SuccessfulLaunches = ptr(ok)
		a.FailedLaunches = ptr(total - ok)
		a.PendingLaunches = ptr(pending)
		a.ConsecutiveSuccessfulLaunches = ptr(r.IntN(ok + 1))
		scAtt, scOK := split(r, scale/4)
		plAtt, plOK := split(r, scale/4)
		a.AttemptedLandingsSpacecraft, a.SuccessfulLandingsSpacecraft, a.FailedLandingsSpacecraft = ptr(scAtt), ptr(scOK), ptr(scAtt-scOK)
		a.AttemptedLandingsPayload, a.SuccessfulLandingsPayload, a.FailedLandingsPayload = ptr(plAtt), ptr(plOK), ptr(plAtt-plOK)
		att, lok := split(r, scale/2)
		a.AttemptedLandings, a.SuccessfulLandings, a.FailedLandings = ptr(att), ptr(lok), ptr(att-lok)
		a.ConsecutiveSuccessfulLandings = ptr(r.IntN(lok + 1))

		a.InfoURL = ptr("https://agency-" + tag + ".synthetic.invalid/")
		a.WikiURL = ptr("https://wiki.synthetic.invalid/Synthetic_Agency_" + tag)
		a.SocialMediaLinks = []ll2.SocialMediaLink{}
		for k := range r.IntN(len(g.socialMedia) + 1) {
			sm := g.socialMedia[k]
			a.SocialMediaLinks = append(a.SocialMediaLinks, ll2.SocialMediaLink{
				ID:          id*10 + k,
				SocialMedia: sm,
				URL:         ptr(*sm.URL + "synthetic_agency_" + tag),
			})
		}
		out[i] = a
	}
	return out
}

func (g *generator) families(r *rand.Rand, agencies []*ll2.AgencyDetailed) []*ll2.FamilyEndpointDetailed {
	out := make([]*ll2.FamilyEndpointDetailed, g.opts.Families)
	makers := min(len(agencies), 40)
	for i := range out {
		id := i + 1
		tag := fmt.Sprintf("%03d", id)
		f := &ll2.FamilyEndpointDetailed{}
		f.ResponseMode = ll2.LevelDetailed.String()
		f.SnapshotMode = ll2.LevelDetailed.String()
		f.ID = id
		f.Name = "Synthetic Family " + tag
		f.Description = ptr("Synthetic Family " + tag + " groups generated configurations.")
		f.Manufacturer = ptr(agencies[r.IntN(makers)].Normal())
		if i > 0 && r.IntN(3) == 0 {
			f.Parent = ptr(out[r.IntN(i)].FamilyDetailed.Normal())
		}
		f.MaidenFlight = date(r)
		launches, ok := split(r, 300)
		att, lok := split(r, 100)
		f.SpacecraftFlown = ptr(r.IntN(50))
		f.TotalLaunchCount, f.SuccessfulLaunches, f.FailedLaunches = ptr(launches), ptr(ok), ptr(launches-ok)
		f.AttemptedLandings, f.SuccessfulLandings, f.FailedLandings = ptr(att), ptr(lok), ptr(att-lok)
		out[i] = f
	}
	return out
}

func (g *generator) configs(r *rand.Rand, cfgAgency []int, agencies []*ll2.AgencyDetailed, families []*ll2.FamilyEndpointDetailed) []*ll2.SpacecraftConfigDetailed {
	out := make([]*ll2.SpacecraftConfigDetailed, g.opts.Configs)
	for i := range out {
		id := i + 1
		name := configName(i)
		c := &ll2.SpacecraftConfigDetailed{}
		c.ResponseMode = ll2.LevelDetailed.String()
		c.SnapshotMode = ll2.LevelDetailed.String()
		c.ID = id
		c.URL = syntheticBase + "spacecraft_configurations/" + strconv.Itoa(id) + "/"
		c.Name = name
		c.Type = ptr(g.configTypes[r.IntN(len(g.configTypes))])
		c.InUse = ptr(r.IntN(3) > 0)
		c.Image = g.image(r, "spacecraft_configuration", id)
		c.Agency = ptr(agencies[cfgAgency[i]].Normal())
		c.Family = []ll2.FamilyDetailed{}
		if n := len(families); n > 0 {
			f1 := r.IntN(n)
			c.Family = append(c.Family, families[f1].FamilyDetailed)
			if n > 1 && r.IntN(5) == 0 {
				c.Family = append(c.Family, families[(f1+1+r.IntN(n-1))%n].FamilyDetailed)
			}
		}
		human := r.IntN(3) == 0
		c.Capability = ptr(name + " carries synthetic crew and cargo.")
		c.History = ptr(name + " has a generated history and nothing else.")
		c.Details = ptr(name + " exists only in generated test data.")
		c.MaidenFlight = date(r)
		c.Height = ptr(float64(20+r.IntN(200)) / 10)
		c.Diameter = ptr(float64(10+r.IntN(60)) / 10)
		c.HumanRated = ptr(human)
		crew := 0
		if human {
			crew = 1 + r.IntN(7)
		}
		c.CrewCapacity = ptr(crew)
		c.PayloadCapacity = ptr(100 * (1 + r.IntN(300)))
		c.PayloadReturnCapacity = ptr(50 * r.IntN(100))
		c.FlightLife = ptr(fmt.Sprintf("up to %d days", 1+r.IntN(400)))
		c.WikiLink = ptr("https://wiki.synthetic.invalid/Synthetic_Config_" + fmt.Sprintf("%03d", id))
		c.InfoLink = ptr(fmt.Sprintf("https://config-%03d.synthetic.invalid/", id))
		launches, ok := split(r, 200)
		att, lok := split(r, 100)
		c.SpacecraftFlown = ptr(0) // counted once the spacecraft exist
		c.TotalLaunchCount, c.SuccessfulLaunches, c.FailedLaunches = ptr(launches), ptr(ok), ptr(launches-ok)
		c.AttemptedLandings, c.SuccessfulLandings, c.FailedLandings = ptr(att), ptr(lok), ptr(att-lok)
		c.FastestTurnaround = duration(r)
		out[i] = c
	}
	return out
}

func (g *generator) spacecraft(r *rand.Rand, configs []*ll2.SpacecraftConfigDetailed) []*ll2.SpacecraftDetailed {
	n := g.opts.Spacecraft
	out := make([]*ll2.SpacecraftDetailed, n)
	// One backing array for all records keeps the Large snapshot cheap to build.
	recs := make([]ll2.SpacecraftDetailed, n)
	flown := make([]int, len(configs))
	for i := range out {
		id := i + 1
		tag := fmt.Sprintf("%06d", id)
		s := &recs[i]
		ci := r.IntN(len(configs))
		cfg := configs[ci]
		status := g.status(r)
		s.ResponseMode = ll2.LevelDetailed.String()
		s.SnapshotMode = ll2.LevelDetailed.String()
		s.ID = id
		s.URL = syntheticBase + "spacecraft/" + strconv.Itoa(id) + "/"
		s.Name = "Synthetic Spacecraft " + tag
		s.SerialNumber = ptr("SYN-" + tag)
		s.IsPlaceholder = ptr(r.IntN(30) == 0)
		if r.IntN(5) < 2 {
			s.Image = g.image(r, "spacecraft", id)
		} else {
			// LL2 often shows a spacecraft with its configuration's picture.
			s.Image = cfg.Image
		}
		flights := 0
		switch status.ID {
		case 1, 2:
			flights = r.IntN(12)
		case 3, 4:
			flights = r.IntN(2)
		}
		if flights > 0 {
			flown[ci]++
			s.TimeInSpace = duration(r)
			s.TimeDocked = ptr(ll2.DurationOf(time.Duration(r.Float64()*s.TimeInSpace.Seconds()) * time.Second))
		} else {
			s.TimeInSpace = ptr(ll2.DurationOf(0))
			s.TimeDocked = s.TimeInSpace
		}
		s.InSpace = ptr(status.ID == 1 && flights > 0 && r.IntN(3) == 0)
		s.FlightsCount = ptr(flights)
		ends := 0
		if flights > 0 {
			ends = r.IntN(flights + 1)
		}
		s.MissionEndsCount = ptr(ends)
		s.Status = ptr(status)
		s.Description = "Synthetic Spacecraft " + tag + ", a " + cfg.Name + "."
		s.FastestTurnaround = duration(r)
		s.SpacecraftConfig = cfg
		out[i] = s
	}
	for i, c := range configs {
		c.SpacecraftFlown = ptr(flown[i])
	}
	return out
}

func (g *generator) status(r *rand.Rand) ll2.SpacecraftStatus {
	x := r.IntN(100)
	for i, w := range statusWeights {
		if x < w {
			return g.statuses[i]
		}
		x -= w
	}
	return g.statuses[0]
}

// joins fills the lists that LL2 derives from the configurations, once these are final.
func (g *generator) joins(d *snapshot.Data, cfgAgency []int) {
	for _, a := range d.Agencies {
		a.SpacecraftList = []ll2.SpacecraftConfigDetailed{}
	}
	for i, c := range d.Configs {
		a := d.Agencies[cfgAgency[i]]
		a.SpacecraftList = append(a.SpacecraftList, *c)
	}
	byID := make(map[int]*ll2.FamilyEndpointDetailed, len(d.Families))
	for _, f := range d.Families {
		f.Spacecraft = []ll2.SpacecraftConfigNormal{}
		byID[f.ID] = f
	}
	for _, c := range d.Configs {
		for _, cf := range c.Family {
			f := byID[cf.ID]
			f.Spacecraft = append(f.Spacecraft, c.Normal())
		}
	}
}
