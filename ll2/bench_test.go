package ll2_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"

	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot/synthetic"
)

// spacecraftPages are the first page of 100 spacecraft of the synthetic LL2-scale data
// at the normal and at the detailed level, as the built-in server writes them: the
// detailed one lists every flight of each spacecraft with its launch and landing.
var spacecraftPages = sync.OnceValues(func() (normal, detailed []byte) {
	srv := ll2server.New(ll2server.NewStore(synthetic.Generate(synthetic.LL2ScaleFlights())), ll2server.Options{})
	get := func(q string) []byte {
		c := &http.Client{Transport: ll2server.Transport(srv)}
		r, err := c.Get(ll2server.EmbeddedBaseURL + q)
		if err != nil {
			panic(err)
		}
		defer r.Body.Close()
		b, err := io.ReadAll(r.Body)
		if err != nil {
			panic(err)
		}
		return b
	}
	return get("spacecraft/?limit=100"), get("spacecraft/?limit=100&mode=detailed")
})

// BenchmarkSpacecraftPage measures what a page of 100 spacecraft weighs at each level:
// its bytes (bytes/page) and the client's decoding and checking of it (ns/op), from
// bytes in memory so that nothing else is measured. The detailed page is the one a
// query for spacecraft with their flights costs in one call.
//
//	go test ./ll2/ -run '^$' -bench SpacecraftPage -benchmem
func BenchmarkSpacecraftPage(b *testing.B) {
	normal, detailed := spacecraftPages()
	for _, c := range []struct {
		name string
		body []byte
		mode ll2.Level
	}{
		{"normal", normal, ll2.LevelNormal},
		{"detailed", detailed, ll2.LevelDetailed},
	} {
		b.Run(c.name+"/decode", func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				var p ll2.Page[*ll2.SpacecraftDetailed]
				if err := json.Unmarshal(c.body, &p); err != nil || len(p.Results) != 100 {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(c.body)), "bytes/page")
		})
		b.Run(c.name+"/client", func(b *testing.B) {
			// The client's whole path for one call: the body read, decoded and checked
			// (levels, paging, each detailed spacecraft's flights its own).
			tr := roundTripFunc(func(req *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
					Body: io.NopCloser(bytes.NewReader(c.body)), Request: req}, nil
			})
			client, err := ll2.New(ll2.Config{BaseURL: ll2server.EmbeddedBaseURL, Transport: tr, DecodedBytes: -1})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				if _, err := client.ListSpacecraft(context.Background(), ll2.ListParams{Limit: 100, Mode: c.mode}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSpacecraftPageWeight keeps the benchmark's premise true: the detailed page is the
// normal one plus every flight, far heavier.
func TestSpacecraftPageWeight(t *testing.T) {
	normal, detailed := spacecraftPages()
	var p ll2.Page[*ll2.SpacecraftDetailed]
	if err := json.Unmarshal(detailed, &p); err != nil {
		t.Fatal(err)
	}
	flights := 0
	for _, s := range p.Results {
		if s.Flights == nil || len(s.Flights) != *s.FlightsCount {
			t.Fatalf("spacecraft %d: %d flights, flights_count %d", s.ID, len(s.Flights), *s.FlightsCount)
		}
		flights += len(s.Flights)
	}
	if flights == 0 || len(detailed) < 5*len(normal) {
		t.Errorf("%d flights; detailed page %d bytes, normal %d", flights, len(detailed), len(normal))
	}
	t.Logf("100 spacecraft, %d flights: normal page %d bytes, detailed %d bytes (%.1f×)", flights, len(normal), len(detailed), float64(len(detailed))/float64(len(normal)))
}
