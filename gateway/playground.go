package gateway

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"sync"
	"time"
)

// The playground is GraphiQL, served entirely by the gateway: the machines that run
// spacegraph (and its CI) reach no CDN, so gqlgen's playground page, which loads
// GraphiQL and React from one, shows nothing there. playground/README.md tells which
// npm packages the files come from and how to refresh them.

// playgroundAssetsPrefix is where the playground's scripts and styles are served.
// Each URL carries the file's content hash (…/assets/HASH/NAME), so the files can be
// cached for a year: a refreshed file gets a new URL.
const playgroundAssetsPrefix = "/playground/assets/"

//go:embed playground/graphiql.min.js playground/graphiql.min.css
//go:embed playground/react.production.min.js playground/react-dom.production.min.js
var playgroundFiles embed.FS

// playgroundAsset is one embedded file with what its URL and headers need.
type playgroundAsset struct {
	name        string
	data        []byte
	contentType string
	hash        string // hex sha256 prefix, the URL's version segment and the ETag
	integrity   string // the page's Subresource Integrity value
}

// url is where the page loads the asset from.
func (a *playgroundAsset) url() string {
	return playgroundAssetsPrefix + a.hash + "/" + a.name
}

// playgroundAssets reads and hashes the embedded files once per process: every
// gateway a test builds shares them, read only.
var playgroundAssets = sync.OnceValues(loadPlaygroundAssets)

// loadPlaygroundAssets reads and hashes the embedded files.
func loadPlaygroundAssets() (map[string]*playgroundAsset, error) {
	entries, err := fs.ReadDir(playgroundFiles, "playground")
	if err != nil {
		return nil, err
	}
	assets := make(map[string]*playgroundAsset, len(entries))
	for _, e := range entries {
		data, err := fs.ReadFile(playgroundFiles, "playground/"+e.Name())
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		ctype := "text/javascript; charset=utf-8"
		if path.Ext(e.Name()) == ".css" {
			ctype = "text/css; charset=utf-8"
		}
		assets[e.Name()] = &playgroundAsset{
			name:        e.Name(),
			data:        data,
			contentType: ctype,
			hash:        hex.EncodeToString(sum[:8]),
			integrity:   "sha256-" + base64.StdEncoding.EncodeToString(sum[:]),
		}
	}
	return assets, nil
}

// playgroundExample is one tab the playground opens with.
type playgroundExample struct {
	// Query is the tab's document; its operation name becomes the tab's title.
	Query string `json:"query"`
	// Variables is the tab's variables editor content, JSON; "" for none.
	Variables string `json:"variables,omitempty"`
}

// playgroundExamples are the tabs a first visit opens with, one per root field of
// the schema in the schema's order, so that each entry point is one click from
// running. They use ids the embedded snapshot has (TestPlaygroundExamplesRun runs
// every one against it, and wants no error), and only fields the snapshot holds:
// agencies at LL2's list level, configurations and families at the normal level. The
// tabs that touch those types say which fields need a crawled snapshot or the live
// API, where the embedded snapshot answers null with a NOT_IN_SNAPSHOT error.
var playgroundExamples = []playgroundExample{
	{Query: `# Refetches any object by its global id: "Type:ll2Id" in
# base64url without padding. "U3BhY2VjcmFmdDo1Njk" is
# "Spacecraft:569", the Cargo Dragon.
query Node {
  node(id: "U3BhY2VjcmFmdDo1Njk") {
    __typename
    id
    ... on Spacecraft {
      ll2Id
      name
      status { name }
      spacecraftConfig { name }
    }
  }
}
`},
	{Query: `# Refetches several objects of any type at once, in the
# order given: Spacecraft:569, Spacecraft:242,
# SpacecraftConfig:7, Agency:121 and Family:6.
query Nodes {
  nodes(ids: [
    "U3BhY2VjcmFmdDo1Njk"
    "U3BhY2VjcmFmdDoyNDI"
    "U3BhY2VjcmFmdENvbmZpZzo3"
    "QWdlbmN5OjEyMQ"
    "RmFtaWx5OjY"
  ]) {
    __typename
    id
    ... on Spacecraft { name }
    ... on SpacecraftConfig { name }
    ... on Agency { name abbrev }
    ... on Family { name }
  }
}
`},
	{Query: `# A spacecraft by its LL2 id (or its global id:
# spacecraft(id: "…")), with the configuration it is built
# to and that configuration's agency.
query Spacecraft {
  spacecraft(ll2Id: 242) {
    id
    name
    serialNumber
    status { name }
    inSpace
    flightsCount
    timeInSpace
    timeInSpaceSeconds
    timeDocked
    description
    spacecraftConfig {
      name
      type { name }
      agency { name abbrev }
    }
  }
}
`},
	{Query: `# Single-use spacecraft, highest LL2 id first, three at a
# time. For the next page, set "after" in the variables
# to this page's endCursor.
query AllSpacecraft($first: Int, $after: String) {
  allSpacecraft(
    first: $first
    after: $after
    filter: { status: 4, inSpace: false }
    orderBy: { field: ID, direction: DESC }
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        ll2Id
        name
        flightsCount
        timeInSpace
        spacecraftConfig {
          name
          agency { name abbrev type { name } }
          families { name parent { name } }
        }
      }
    }
  }
}
`, Variables: `{
  "first": 3,
  "after": null
}
`},
	{Query: `# A spacecraft configuration by LL2 id, with its families
# and the spacecraft built to it.
#
# The embedded snapshot holds configurations as LL2's normal
# level gives them: capability, crewCapacity, maidenFlight
# and the other specifications and counts answer null with a
# NOT_IN_SNAPSHOT error. For those, crawl LL2 with
# "spacegraph snapshot DIR" and serve it with
# "--snapshot DIR", or use the live API with "--upstream".
query SpacecraftConfig {
  spacecraftConfig(ll2Id: 7) {
    id
    name
    type { name }
    inUse
    agency { name abbrev type { name } }
    families { name parent { name } }
    spacecraft(first: 5) {
      totalCount
      nodes { name status { name } }
    }
  }
}
`},
	{Query: `# SpaceX's configurations in use that match "Dragon", by
# name descending. The agency filter takes a global id
# (here Agency:121) or the LL2 id as a string ("121").
query AllSpacecraftConfigs {
  allSpacecraftConfigs(
    first: 5
    filter: { agency: "QWdlbmN5OjEyMQ", inUse: true }
    search: "Dragon"
    orderBy: { field: NAME, direction: DESC }
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      name
      type { name }
      families { name }
    }
  }
}
`},
	{Query: `# An agency by LL2 id, with the configurations it is
# responsible for and the families it manufactures.
#
# The embedded snapshot holds agencies at LL2's list level:
# id, name, abbrev and type. countries, foundingYear,
# description, the launch counts and the rest answer null
# with a NOT_IN_SNAPSHOT error, and filters or orderings on
# them are refused. For those, crawl LL2 with
# "spacegraph snapshot DIR" and serve it with
# "--snapshot DIR", or use the live API with "--upstream".
query Agency {
  agency(ll2Id: 121) {
    id
    name
    abbrev
    type { name }
    spacecraftConfigs(first: 5) {
      totalCount
      nodes { name inUse }
    }
    families {
      nodes { name }
    }
  }
}
`},
	{Query: `# Agencies whose name or abbreviation has "space", by name.
# With the embedded snapshot, filter and order agencies by
# name, abbrev and type only (see the Agency tab).
query AllAgencies {
  allAgencies(first: 5, search: "space", orderBy: { field: NAME }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      ll2Id
      name
      abbrev
      type { name }
    }
  }
}
`},
	{Query: `# A configuration family by LL2 id, with its manufacturer
# and its configurations. The embedded snapshot holds
# families at LL2's normal level: their launch and landing
# counts need a crawled snapshot or the live API.
query Family {
  family(ll2Id: 6) {
    id
    name
    description
    maidenFlight
    manufacturer { name abbrev }
    parent { name }
    spacecraftConfigs {
      totalCount
      nodes { name agency { name } }
    }
  }
}
`},
	{Query: `# The families SpaceX (LL2 id 121) manufactures, by name,
# with the family each descends from.
query AllFamilies {
  allFamilies(first: 5, filter: { manufacturer: "121" }, orderBy: { field: NAME }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      name
      maidenFlight
      parent { name }
      spacecraftConfigs(first: 3) {
        nodes { name }
      }
    }
  }
}
`},
	{Query: `# A flight of a spacecraft, with its launch, landing and
# docking events. The embedded snapshot holds no flights
# (NOT_IN_SNAPSHOT): serve a crawled snapshot or the live API.
query SpacecraftFlight {
  spacecraftFlight(ll2Id: 1) {
    id
    destination
    missionEnd
    duration
    spacecraft { name }
    launch {
      name
      net
      status { abbrev }
      launchServiceProvider { name }
      rocket { configuration { fullName } }
      pad { name location { name countryCode } }
    }
    landing { success type { abbrev } location { name } }
    dockingEvents { nodes { docking departure spaceStation { name } } }
  }
}
`},
	{Query: `# The flights of one spacecraft, latest mission end first.
# A spacecraft's own flights field (Spacecraft.flights)
# gives the same in the same call as the spacecraft.
query AllSpacecraftFlights {
  allSpacecraftFlights(
    first: 5
    filter: { spacecraft: "3" }
    orderBy: { field: MISSION_END, direction: DESC }
  ) {
    totalCount
    nodes {
      ll2Id
      missionEnd
      turnAroundTime
      launch { name net }
      landing { success }
    }
  }
}
`},
	{Query: `# A docking event, with the chasing flight.
query DockingEvent {
  dockingEvent(ll2Id: 1) {
    id
    docking
    departure
    dockingLocation { name }
    spaceStation { name }
    flight { spacecraft { name } launch { name } }
  }
}
`},
	{Query: `# Docking events at one station since 2000, by docking time.
query AllDockingEvents {
  allDockingEvents(
    first: 5
    filter: { dockingAfter: "2000-01-01T00:00:00Z" }
    orderBy: { field: DOCKING }
  ) {
    totalCount
    nodes {
      docking
      departure
      dockingLocation { name }
      spaceStation { ll2Id name }
      flight { spacecraft { name } }
    }
  }
}
`},
	{Query: `# The lookup lists give the valid values of filters:
# SpacecraftFilter.status takes a SpacecraftStatus.ll2Id.
query SpacecraftStatuses {
  spacecraftStatuses { ll2Id name }
}
`},
	{Query: `# Configuration types (Capsule, Spaceplane, …).
query SpacecraftConfigTypes {
  spacecraftConfigTypes { ll2Id name }
}
`},
	{Query: `# Agency types: AgencyFilter.type takes an AgencyType.ll2Id.
query AgencyTypes {
  agencyTypes { ll2Id name }
}
`},
	{Query: `# Countries: AgencyFilter.countryCode takes their codes.
query Countries {
  countries { ll2Id name alpha2Code alpha3Code }
}
`},
	{Query: `# Image licenses.
query ImageLicenses {
  imageLicenses { ll2Id name link }
}
`},
}

// playgroundPage is the playground's HTML. The examples are rendered as a
// JavaScript value by html/template, which escapes them for the script context.
// The storage prefix keeps spacegraph's tabs apart from those of any other GraphiQL
// on the same origin (localhost:8080 is a popular port).
var playgroundPage = template.Must(template.New("playground").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>spacegraph</title>
<style>
body { margin: 0; }
#graphiql { height: 100vh; }
#graphiql > .loading { height: 100%; display: flex; align-items: center; justify-content: center; font: 2rem sans-serif; }
</style>
<link rel="stylesheet" href="{{.CSS.URL}}" integrity="{{.CSS.Integrity}}">
</head>
<body>
<div id="graphiql"><div class="loading">Loading…</div></div>
{{range .Scripts}}<script src="{{.URL}}" integrity="{{.Integrity}}"></script>
{{end}}<script>
(function () {
  const prefix = 'spacegraph:';
  const storage = {
    getItem: (key) => localStorage.getItem(prefix + key),
    setItem: (key, value) => localStorage.setItem(prefix + key, value),
    removeItem: (key) => localStorage.removeItem(prefix + key),
    clear: () => {
      for (let i = localStorage.length - 1; i >= 0; i--) {
        const key = localStorage.key(i);
        if (key !== null && key.startsWith(prefix)) localStorage.removeItem(key);
      }
    },
    get length() {
      let n = 0;
      for (let i = 0; i < localStorage.length; i++) {
        if ((localStorage.key(i) || '').startsWith(prefix)) n++;
      }
      return n;
    },
  };
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({ url: {{.Endpoint}} }),
    defaultTabs: {{.Tabs}},
    defaultEditorToolsVisibility: true,
    storage: storage,
  }));
})();
</script>
</body>
</html>
`))

// playgroundRef is how the page refers to one asset.
type playgroundRef struct {
	URL       string
	Integrity string
}

// playgroundHandler serves GraphiQL at / and its files under playgroundAssetsPrefix.
// endpoint is the GraphQL URL the page queries; a path such as "/graphql" keeps the
// page working on whatever host and scheme it was loaded from.
func playgroundHandler(endpoint string) http.Handler {
	assets, err := playgroundAssets()
	if err != nil {
		// The files are compiled in: failing to read them is a broken build.
		panic("gateway: playground assets: " + err.Error())
	}
	ref := func(name string) playgroundRef {
		a := assets[name]
		if a == nil {
			panic("gateway: playground asset missing: " + name)
		}
		return playgroundRef{URL: a.url(), Integrity: a.integrity}
	}
	var page bytes.Buffer
	err = playgroundPage.Execute(&page, struct {
		CSS      playgroundRef
		Scripts  []playgroundRef
		Endpoint string
		Tabs     []playgroundExample
	}{
		CSS: ref("graphiql.min.css"),
		// GraphiQL's UMD build expects the React and ReactDOM globals.
		Scripts:  []playgroundRef{ref("react.production.min.js"), ref("react-dom.production.min.js"), ref("graphiql.min.js")},
		Endpoint: endpoint,
		Tabs:     playgroundExamples,
	})
	if err != nil {
		panic("gateway: playground page: " + err.Error())
	}
	html := page.Bytes()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		// The page names the assets by hash: revalidating it is what picks up new ones.
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(html))
	})
	mux.HandleFunc("GET "+playgroundAssetsPrefix+"{hash}/{name}", func(w http.ResponseWriter, r *http.Request) {
		a := assets[r.PathValue("name")]
		if a == nil || r.PathValue("hash") != a.hash {
			// An old hash must not be cached for a year with today's content.
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		// Weak, like the answers' tags: the asset goes out gzipped or not, and a 304
		// must carry the tag its 200 carried.
		h.Set("ETag", `W/"`+a.hash+`"`)
		h.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.data))
	})
	return mux
}
