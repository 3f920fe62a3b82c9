package ll2_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"spacegraph/internal/testkit"
	"spacegraph/ll2"
)

// The two real LL2 pages (one from production, one from the development host).
var samples = []string{
	"dev-spacecraft-offset550-ordering--time_docked.json",
	"prod-spacecraft-offset20-ordering-mission_ends_count.json",
}

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "snapshot", "samples", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// encodeIndent renders v as the golden files hold it: indented, HTML left unescaped,
// with a final newline.
func encodeIndent(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// firstDiff describes where two decoded JSON values first differ, for failure messages.
func firstDiff(path string, a, b any) string {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return path + ": object vs " + reflect.TypeOf(b).String()
		}
		for k := range av {
			if _, ok := bv[k]; !ok {
				return path + "." + k + ": lost"
			}
		}
		for k := range bv {
			if _, ok := av[k]; !ok {
				return path + "." + k + ": added"
			}
		}
		for k := range av {
			if d := firstDiff(path+"."+k, av[k], bv[k]); d != "" {
				return d
			}
		}
		return ""
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return path + ": array differs"
		}
		for i := range av {
			if d := firstDiff(path+"["+strconv.Itoa(i)+"]", av[i], bv[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a, b) {
		b1, _ := json.Marshal(a)
		b2, _ := json.Marshal(b)
		return path + ": " + string(b1) + " vs " + string(b2)
	}
	return ""
}

func TestSamplesGolden(t *testing.T) {
	for _, name := range samples {
		t.Run(name, func(t *testing.T) {
			orig := readSample(t, name)
			var page ll2.Page[ll2.SpacecraftNormal]
			if err := json.Unmarshal(orig, &page); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(page.Results) != 10 {
				t.Fatalf("decoded %d results, want 10", len(page.Results))
			}
			got := encodeIndent(t, page)

			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(name, ".json")+".golden.json")
			testkit.Golden(t, golden, got)

			// No field lost, none added, no value changed: compared as plain JSON values.
			if d := firstDiff("$", decodeAny(t, orig), decodeAny(t, got)); d != "" {
				t.Errorf("round trip changed the page: %s", d)
			}
		})
	}
}

// TestSamplesDetailedProjection decodes the samples into the detailed container the
// client uses and projects each result back to the normal level: the projection must
// give back exactly what LL2 sent.
func TestSamplesDetailedProjection(t *testing.T) {
	for _, name := range samples {
		t.Run(name, func(t *testing.T) {
			orig := readSample(t, name)
			var raw struct {
				Results []json.RawMessage `json:"results"`
			}
			if err := json.Unmarshal(orig, &raw); err != nil {
				t.Fatal(err)
			}
			var page ll2.Page[*ll2.SpacecraftDetailed]
			if err := json.Unmarshal(orig, &page); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(page.Results) != len(raw.Results) || len(raw.Results) == 0 {
				t.Fatalf("decoded %d results, the page has %d", len(page.Results), len(raw.Results))
			}
			for i, s := range page.Results {
				if s.Flights != nil {
					t.Errorf("result %d: flights = %v, want nil at the normal level", s.ID, s.Flights)
				}
				b, err := json.Marshal(s.Normal())
				if err != nil {
					t.Fatal(err)
				}
				if d := firstDiff("$", decodeAny(t, raw.Results[i]), decodeAny(t, b)); d != "" {
					t.Errorf("result %d: Normal() differs from the original: %s", s.ID, d)
				}
			}
		})
	}
}

func ptrTo[V any](v V) *V { return &v }

func TestSampleValues(t *testing.T) {
	var page ll2.Page[ll2.SpacecraftNormal]
	if err := json.Unmarshal(readSample(t, samples[1]), &page); err != nil {
		t.Fatal(err)
	}
	if page.Count != 591 {
		t.Errorf("count = %d, want 591", page.Count)
	}
	if page.Next == nil || !strings.Contains(*page.Next, "offset=30") {
		t.Errorf("next = %v, want a link to offset=30", page.Next)
	}
	if page.Previous == nil || !strings.Contains(*page.Previous, "offset=10") {
		t.Errorf("previous = %v, want a link to offset=10", page.Previous)
	}
	byID := map[int]ll2.SpacecraftNormal{}
	for _, s := range page.Results {
		byID[s.ID] = s
	}

	s, ok := byID[242]
	if !ok {
		t.Fatal("spacecraft 242 not in the page")
	}
	if s.Name != "Progress MS-02" || s.ResponseMode != "normal" {
		t.Errorf("242: name %q mode %q", s.Name, s.ResponseMode)
	}
	if s.TimeInSpace == nil || s.TimeInSpace.String() != "P196DT21H15M2S" {
		t.Fatalf("242: time_in_space = %v", s.TimeInSpace)
	}
	want := int64(196*24*60*60 + 21*60*60 + 15*60 + 2)
	if got := s.TimeInSpace.WholeSeconds(); got != want {
		t.Errorf("242: time_in_space = %d s, want %d", got, want)
	}
	if got := s.TimeInSpace.Seconds(); got != float64(want) {
		t.Errorf("242: Seconds() = %v, want %d", got, want)
	}
	if s.TimeDocked == nil || s.TimeDocked.String() != "P194DT15H39M" || s.TimeDocked.WholeSeconds() != 194*86400+15*3600+39*60 {
		t.Errorf("242: time_docked = %v", s.TimeDocked)
	}
	if s.Status == nil || *s.Status != (ll2.SpacecraftStatus{ID: 4, Name: "Single Use"}) {
		t.Errorf("242: status = %+v", s.Status)
	}
	if s.FastestTurnaround != nil {
		t.Errorf("242: fastest_turnaround = %v, want null", s.FastestTurnaround)
	}
	if s.SerialNumber == nil || *s.SerialNumber != "Progress MS-02 (No.432)" {
		t.Errorf("242: serial_number = %v", s.SerialNumber)
	}
	if byID[447].SerialNumber != nil {
		t.Errorf("447: serial_number = %q, want null", *byID[447].SerialNumber)
	}
	if s.FlightsCount == nil || *s.FlightsCount != 1 || s.MissionEndsCount == nil || *s.MissionEndsCount != 1 {
		t.Errorf("242: flights_count %v mission_ends_count %v", s.FlightsCount, s.MissionEndsCount)
	}
	c := s.SpacecraftConfig
	if c == nil || c.ID != 33 || c.ResponseMode != "normal" {
		t.Fatalf("242: config = %+v", c)
	}
	if c.Agency == nil || c.Agency.ResponseMode != "list" {
		t.Errorf("242: config agency = %+v", c.Agency)
	}
	if len(c.Family) != 1 || c.Family[0].Name != "Progress" || c.Family[0].MaidenFlight == nil || *c.Family[0].MaidenFlight != "1978-01-20" {
		t.Errorf("242: families = %+v", c.Family)
	}
	if m := c.Family[0].Manufacturer; m == nil || m.ID != 1000 || m.Abbrev == nil || *m.Abbrev != "OKB-1" || m.Type.Name == nil || *m.Type.Name != "Government" {
		t.Errorf("242: family manufacturer = %+v", m)
	}

	if d := byID[447]; d.TimeInSpace == nil || d.TimeInSpace.String() != "P0D" || d.TimeInSpace.Seconds() != 0 || d.InSpace == nil || *d.InSpace {
		t.Errorf("447: time_in_space %v in_space %v", d.TimeInSpace, d.InSpace)
	}
	if img := byID[447].Image; img == nil || img.ID != 1913 || img.License.ID != 4 || img.License.Priority == nil || *img.License.Priority != 0 || img.SingleUse == nil || *img.SingleUse || img.Variants == nil {
		t.Errorf("447: image = %+v", img)
	}

	// The development page is ordered by -time_docked, with ties (all P0D) in no order.
	var dev ll2.Page[ll2.SpacecraftNormal]
	if err := json.Unmarshal(readSample(t, samples[0]), &dev); err != nil {
		t.Fatal(err)
	}
	if dev.Count != 592 {
		t.Errorf("dev count = %d, want 592", dev.Count)
	}
	for _, s := range dev.Results {
		if s.TimeDocked == nil || s.TimeDocked.Seconds() != 0 {
			t.Errorf("dev %d: time_docked = %v, want P0D", s.ID, s.TimeDocked)
		}
		if s.ID == 192 && (s.TimeInSpace == nil || s.TimeInSpace.WholeSeconds() != 2*86400+12*60+11) {
			t.Errorf("dev 192: time_in_space = %v, want P2DT12M11S", s.TimeInSpace)
		}
		if s.ID == 606 && (s.TimeInSpace == nil || *s.TimeInSpace != ll2.MustDuration("PT13M")) {
			t.Errorf("dev 606: time_in_space = %v, want PT13M", s.TimeInSpace)
		}
	}
}
