package ll2_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
	goccy "github.com/goccy/go-json"

	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
	"spacegraph/snapshot/synthetic"
)

// decodeLibrary is one JSON library the client could decode LL2's answers with.
type decodeLibrary struct {
	name      string
	unmarshal func([]byte, any) error
}

// decodeLibraries are the candidates BenchmarkDecodeLibraries and
// TestDecodeLibrariesAgree compare with encoding/json, which comes first as the baseline:
// json v2 with its own semantics (case-sensitive names, duplicate names and invalid UTF-8
// rejected), json v2 with v1's semantics (what a drop-in switch would need), and
// goccy/go-json, which promises encoding/json's behaviour.
var decodeLibraries = []decodeLibrary{
	{"encoding-json", json.Unmarshal},
	{"jsonv2", func(b []byte, v any) error { return jsonv2.Unmarshal(b, v) }},
	{"jsonv2-v1opts", func(b []byte, v any) error { return jsonv2.Unmarshal(b, v, jsonv1.DefaultOptionsV1()) }},
	{"goccy", goccy.Unmarshal},
}

// BenchmarkDecodeLibraries decodes the same LL2 pages as BenchmarkSpacecraftPage (the
// synthetic LL2-scale first page of 100 spacecraft, normal and detailed with every
// flight) and one real production page, into the type the client decodes them into,
// with each library of decodeLibraries. Compare each library with encoding-json from the
// same run:
//
//	go test ./ll2/ -run '^$' -bench DecodeLibraries -benchmem -count 5 > decode.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /lib decode.txt
func BenchmarkDecodeLibraries(b *testing.B) {
	normal, detailed := spacecraftPages()
	prod, err := os.ReadFile(filepath.Join("..", "snapshot", "samples", samples[1]))
	if err != nil {
		b.Fatal(err)
	}
	for _, in := range []struct {
		name string
		body []byte
		n    int
	}{
		{"normal", normal, 100},
		{"detailed", detailed, 100},
		{"prod-sample", prod, 10},
	} {
		for _, lib := range decodeLibraries {
			b.Run("page="+in.name+"/lib="+lib.name, func(b *testing.B) {
				b.SetBytes(int64(len(in.body)))
				for b.Loop() {
					var p ll2.Page[*ll2.SpacecraftDetailed]
					if err := lib.unmarshal(in.body, &p); err != nil || len(p.Results) != in.n {
						b.Fatal(err, len(p.Results))
					}
				}
			})
		}
	}
}

// ll2Pages fetches every page (100 rows a page) of every collection the client decodes,
// at each response mode, from a built-in server over d, and hands each body to check
// with the function that decodes it as the client does (into the client's type).
func ll2Pages(t *testing.T, d snapshot.Data, check func(name string, body []byte, decode func(func([]byte, any) error, []byte) (any, error))) {
	t.Helper()
	srv := ll2server.New(ll2server.NewStore(d), ll2server.Options{})
	c := &http.Client{Transport: ll2server.Transport(srv)}
	get := func(q string) []byte {
		r, err := c.Get(ll2server.EmbeddedBaseURL + q)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, err := io.ReadAll(r.Body)
		if err != nil || r.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %v", q, r.StatusCode, err)
		}
		return b
	}
	type collection struct {
		path   string
		modes  []string
		decode func(func([]byte, any) error, []byte) (any, error)
	}
	modes := []string{"list", "normal", "detailed"}
	flightModes := []string{"normal", "detailed"} // as SpacecraftFlightEndpoint.Modes
	collections := []collection{
		{"spacecraft/", modes, decodeAs[ll2.Page[*ll2.SpacecraftDetailed]]},
		{"spacecraft_configurations/", modes, decodeAs[ll2.Page[*ll2.SpacecraftConfigDetailed]]},
		{"spacecraft_configuration_families/", modes, decodeAs[ll2.Page[*ll2.FamilyEndpointDetailed]]},
		{"agencies/", modes, decodeAs[ll2.Page[*ll2.AgencyDetailed]]},
		{"spacecraft_flights/", flightModes, decodeAs[ll2.Page[*ll2.SpacecraftFlight]]},
		{"docking_events/", flightModes, decodeAs[ll2.Page[*ll2.DockingEvent]]},
		{ll2.PathSpacecraftStatuses, []string{""}, decodeAs[ll2.Page[ll2.SpacecraftStatus]]},
		{ll2.PathConfigTypes, []string{""}, decodeAs[ll2.Page[ll2.SpacecraftConfigType]]},
		{ll2.PathAgencyTypes, []string{""}, decodeAs[ll2.Page[ll2.AgencyType]]},
		{ll2.PathCountries, []string{""}, decodeAs[ll2.Page[ll2.Country]]},
		{ll2.PathImageLicenses, []string{""}, decodeAs[ll2.Page[ll2.ImageLicense]]},
		{ll2.PathImageVariantTypes, []string{""}, decodeAs[ll2.Page[ll2.ImageVariantType]]},
	}
	for _, col := range collections {
		// A snapshot without flights (the embedded one) refuses their collections.
		if (col.path == "spacecraft_flights/" && len(d.Flights) == 0) || (col.path == "docking_events/" && len(d.DockingEvents) == 0) {
			continue
		}
		for _, mode := range col.modes {
			for offset := 0; ; offset += 100 {
				q := col.path + "?limit=100&offset=" + strconv.Itoa(offset)
				if mode != "" {
					q += "&mode=" + mode
				}
				body := get(q)
				check(q, body, col.decode)
				var head struct {
					Next *string `json:"next"`
				}
				if err := json.Unmarshal(body, &head); err != nil {
					t.Fatal(err)
				}
				if head.Next == nil {
					break
				}
			}
		}
	}
}

// decodeAs decodes b into a new T with unmarshal.
func decodeAs[T any](unmarshal func([]byte, any) error, b []byte) (any, error) {
	var v T
	err := unmarshal(b, &v)
	return v, err
}

// TestDecodeLibrariesAgree decodes every LL2 page the client could be sent (every page
// of every collection and mode over the embedded real snapshot and over the synthetic
// LL2-scale data with flights, and the two real LL2 sample pages) with every library
// of decodeLibraries, and requires the same Go value as encoding/json gives: a library
// can replace encoding/json in the client only if this holds.
func TestDecodeLibrariesAgree(t *testing.T) {
	pages := 0
	check := func(name string, body []byte, decode func(func([]byte, any) error, []byte) (any, error)) {
		pages++
		want, err := decode(json.Unmarshal, body)
		if err != nil {
			t.Fatalf("%s: encoding/json: %v", name, err)
		}
		for _, lib := range decodeLibraries[1:] {
			got, err := decode(lib.unmarshal, body)
			if err != nil {
				t.Errorf("%s: %s: %v", name, lib.name, err)
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s decodes another value than encoding/json: %s", name, lib.name,
					firstDiff("", decodeAny(t, encodeIndent(t, got)), decodeAny(t, encodeIndent(t, want))))
			}
		}
	}
	embedded, _, err := snapshot.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("embedded", func(t *testing.T) { ll2Pages(t, embedded, check) })
	t.Run("synthetic", func(t *testing.T) { ll2Pages(t, synthetic.Generate(synthetic.LL2ScaleFlights()), check) })
	for _, name := range samples {
		b := readSample(t, name)
		check(name, b, decodeAs[ll2.Page[ll2.SpacecraftNormal]])
		check(name, b, decodeAs[ll2.Page[*ll2.SpacecraftDetailed]])
	}
	t.Logf("%d pages, %d libraries", pages, len(decodeLibraries)-1)
}

// TestDecodeLibrarySemantics pins where each library of decodeLibraries departs from
// encoding/json on inputs LL2 does not send but a proxy or a future LL2 could: the
// rules TestDecodeLibrariesAgree cannot see on real pages. differs names the libraries
// that give another value or error than encoding/json.
func TestDecodeLibrarySemantics(t *testing.T) {
	for _, c := range []struct {
		name    string
		body    string
		decode  func(func([]byte, any) error, []byte) (any, error)
		differs []string
	}{
		{"field names match case-insensitively", `{"ID": 7, "Name": "Soyuz"}`, decodeAs[ll2.SpacecraftDetailed], []string{"jsonv2"}},
		{"duplicate names: the last wins", `{"id": 1, "id": 2}`, decodeAs[ll2.SpacecraftDetailed], []string{"jsonv2"}},
		{"invalid UTF-8 becomes U+FFFD", "{\"name\": \"So\xffyuz\"}", decodeAs[ll2.SpacecraftDetailed], []string{"jsonv2"}},
		{"unknown fields are skipped", `{"id": 3, "not_in_ll2": {"a": [1, 2]}}`, decodeAs[ll2.SpacecraftDetailed], nil},
		{"raw fields keep their bytes", `{"id": 4, "launch_crew": [ {"a" : 1 } ], "payload_flight_target": {"b":  2}}`, decodeAs[ll2.DockingEvent], nil},
		{"a null raw field is kept as null", `{"id": 5, "payload_flight_target": null}`, decodeAs[ll2.DockingEvent], nil},
		{"custom date-time", `{"id": 6, "docking": "2020-01-02T03:04:05Z", "departure": null}`, decodeAs[ll2.DockingEvent], nil},
		{"a bad date-time fails", `{"id": 6, "docking": "yesterday"}`, decodeAs[ll2.DockingEvent], nil},
		{"a wrong type fails", `{"id": "7"}`, decodeAs[ll2.SpacecraftDetailed], nil},
		{"a number too large fails", `{"id": 1e40}`, decodeAs[ll2.SpacecraftDetailed], nil},
		{"escaped names match", `{"\u0069d": 8}`, decodeAs[ll2.SpacecraftDetailed], nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			want, wantErr := c.decode(json.Unmarshal, []byte(c.body))
			for _, lib := range decodeLibraries[1:] {
				got, err := c.decode(lib.unmarshal, []byte(c.body))
				same := (err == nil) == (wantErr == nil) && reflect.DeepEqual(got, want)
				if same == slices.Contains(c.differs, lib.name) {
					t.Errorf("%s: same as encoding/json %v, want %v (got %+v, %v; encoding/json %+v, %v)", lib.name, same, !same, got, err, want, wantErr)
				}
			}
		})
	}
}
