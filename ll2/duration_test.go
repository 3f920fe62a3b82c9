package ll2_test

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"spacegraph/ll2"
)

const (
	minute = 60
	hour   = 60 * minute
	day    = 24 * hour
)

func TestParseDurationValid(t *testing.T) {
	tests := []struct {
		in      string
		seconds float64
		whole   int64
	}{
		{"P0D", 0, 0},
		{"PT0S", 0, 0},
		{"PT13M", 13 * minute, 13 * minute},
		{"P2DT12M11S", 2*day + 12*minute + 11, 2*day + 12*minute + 11},
		{"P196DT21H15M2S", 196*day + 21*hour + 15*minute + 2, 196*day + 21*hour + 15*minute + 2},
		{"P194DT15H39M", 194*day + 15*hour + 39*minute, 194*day + 15*hour + 39*minute},
		{"PT1.5S", 1.5, 2},
		{"PT0,5S", 0.5, 1},
		{"-PT1.5S", -1.5, -2},
		{"PT1.25M", 75, 75},
		{"P1.5D", 1.5 * day, 1.5 * day},
		{"-P1D", -day, -day},
		{"+P1D", day, day},
		{"P1W", 7 * day, 7 * day},
		{"P1Y2M", 365*day + 2*30*day, 365*day + 2*30*day},
		{"P1Y2M3W4DT5H6M7S", 365*day + 60*day + 21*day + 4*day + 5*hour + 6*minute + 7, 365*day + 60*day + 21*day + 4*day + 5*hour + 6*minute + 7},
		{"PT36H", 36 * hour, 36 * hour},
		{"P007D", 7 * day, 7 * day},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ll2.ParseDuration(tt.in)
			if err != nil {
				t.Fatalf("ParseDuration(%q): %v", tt.in, err)
			}
			if d.String() != tt.in {
				t.Errorf("String() = %q, want the input", d.String())
			}
			if d.Seconds() != tt.seconds {
				t.Errorf("Seconds() = %v, want %v", d.Seconds(), tt.seconds)
			}
			if d.WholeSeconds() != tt.whole {
				t.Errorf("WholeSeconds() = %d, want %d", d.WholeSeconds(), tt.whole)
			}
			if m := ll2.MustDuration(tt.in); m != d {
				t.Errorf("MustDuration = %+v, ParseDuration = %+v", m, d)
			}
		})
	}
}

func TestParseDurationInvalid(t *testing.T) {
	tests := []struct {
		in, why string
	}{
		{"", "must start with P"},
		{"P", "no components"},
		{"PT", "T must be followed"},
		{"-P", "no components"},
		{"1D", "must start with P"},
		{"p1d", "must start with P"},
		{"P1", "number without a unit"},
		{"PT1", "number without a unit"},
		{"PT1H2H", "out of order"},
		{"PT1M1H", "out of order"},
		{"P1D1Y", "out of order"},
		{"P1DT", "T must be followed"},
		{"P1DTT1H", "T appears twice"},
		{"PT1HT1M", "T appears twice"},
		{"P1.5D2H", "only the last"},                         // a fraction ends the duration
		{"P1.5DT2H", "only the last"},                        // a fraction is allowed on the last component only
		{"PT1.5M2S", "only the last"},                        // likewise within the time part
		{"P-1D", "expected a number"},                        // signs go before the P
		{"P1S", "unknown unit"},                              // seconds need T
		{"PT1D", "unknown unit"},                             // days cannot follow T
		{"PT.5S", "bad number"},                              // a fraction needs its integer part
		{"PT5.S", "bad number"},                              // and its decimals
		{"PT1.2.3S", "bad number"},                           // one decimal mark
		{"P1e3D", "unknown unit"},                            // no exponents
		{"P 1D", "expected a number"},                        // no spaces
		{"P1D ", "expected a number"},                        // not even at the end
		{"--P1D", "must start with P"},                       // one sign
		{"P" + strings.Repeat("1", 70) + "D", "longer than"}, // bounded input
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ll2.ParseDuration(tt.in)
			if err == nil {
				t.Fatalf("ParseDuration(%q) = %q (%v s), want an error", tt.in, d, d.Seconds())
			}
			if !strings.Contains(err.Error(), tt.why) {
				t.Errorf("error %q does not say %q", err, tt.why)
			}
			if d != (ll2.Duration{}) {
				t.Errorf("failed parse returned %+v, want the zero Duration", d)
			}
		})
	}
}

func TestMustDurationPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustDuration(\"1D\") did not panic")
		}
	}()
	ll2.MustDuration("1D")
}

func TestWholeSecondsClamps(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"P9999999999999999Y", math.MaxInt64},
		{"-P9999999999999999Y", math.MinInt64},
		{"PT0.4S", 0},
		{"PT0.5S", 1},
		{"-PT0.5S", -1},
		{"PT2.5S", 3},
	}
	for _, tt := range tests {
		if got := ll2.MustDuration(tt.in).WholeSeconds(); got != tt.want {
			t.Errorf("%s.WholeSeconds() = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestDurationCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"PT1M", "PT60S", -1}, // the same length: the text breaks the tie
		{"PT60S", "PT1M", 1},
		{"PT1M", "PT1M", 0},
		{"P2D", "PT3H", 1}, // by length, although "P2D" < "PT3H" as text
		{"PT3H", "P2D", -1},
		{"PT10S", "PT2M", -1},
		{"P1D", "PT25H", -1},
		{"PT24H", "P1D", 1}, // same length, "P1D" < "PT24H"
		{"-P1D", "P0D", -1},
		{"PT1.5S", "PT1S", 1},
	}
	for _, tt := range tests {
		if got := ll2.MustDuration(tt.a).Compare(ll2.MustDuration(tt.b)); got != tt.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}

	texts := []string{"P196DT21H15M2S", "PT13M", "P0D", "PT60S", "P2DT12M11S", "PT1M", "-PT5S", "P1W"}
	ds := make([]ll2.Duration, len(texts))
	for i, s := range texts {
		ds[i] = ll2.MustDuration(s)
	}
	slices.SortFunc(ds, ll2.Duration.Compare)
	var got []string
	for _, d := range ds {
		got = append(got, d.String())
	}
	want := []string{"-PT5S", "P0D", "PT1M", "PT60S", "PT13M", "P2DT12M11S", "P1W", "P196DT21H15M2S"}
	if !slices.Equal(got, want) {
		t.Errorf("sorted = %v, want %v", got, want)
	}
}

func TestDurationJSON(t *testing.T) {
	type rec struct {
		D  ll2.Duration  `json:"d"`
		P  *ll2.Duration `json:"p"`
		Np *ll2.Duration `json:"np"`
	}
	for _, text := range []string{"PT60S", "P0D", "PT1,5S", "P1DT0H0M0S", "-P1W"} {
		in := `{"d":"` + text + `","p":"` + text + `","np":null}`
		var r rec
		if err := json.Unmarshal([]byte(in), &r); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if r.D.String() != text || r.P == nil || r.P.String() != text || r.Np != nil {
			t.Errorf("%s: decoded %+v", in, r)
		}
		if r.D.Seconds() != ll2.MustDuration(text).Seconds() {
			t.Errorf("%s: seconds %v", text, r.D.Seconds())
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != in {
			t.Errorf("round trip: %s, want %s (the original text, not normalised)", out, in)
		}
	}
	for _, bad := range []string{`{"d":"1D"}`, `{"d":12}`, `{"d":true}`, `{"p":"P"}`, `{"d":""}`} {
		var r rec
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("%s: decoded %+v, want an error", bad, r)
		}
	}
}

func TestDurationOf(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "P0D"},
		{400 * time.Millisecond, "P0D"},
		{-400 * time.Millisecond, "P0D"},
		{1500 * time.Millisecond, "PT1S"},
		{90 * time.Second, "PT1M30S"},
		{13 * time.Minute, "PT13M"},
		{time.Hour, "PT1H"},
		{-time.Hour, "-PT1H"},
		{24 * time.Hour, "P1D"},
		{26 * time.Hour, "P1DT2H"},
		{2*24*time.Hour + 12*time.Minute + 11*time.Second, "P2DT12M11S"},
		{196*24*time.Hour + 21*time.Hour + 15*time.Minute + 2*time.Second, "P196DT21H15M2S"},
		{-(3*24*time.Hour + 5*time.Second), "-P3DT5S"},
	}
	for _, tt := range tests {
		d := ll2.DurationOf(tt.in)
		if d.String() != tt.want {
			t.Errorf("DurationOf(%v) = %q, want %q", tt.in, d, tt.want)
		}
		if want := tt.in.Truncate(time.Second).Seconds(); d.Seconds() != want {
			t.Errorf("DurationOf(%v).Seconds() = %v, want %v", tt.in, d.Seconds(), want)
		}
		if p, err := ll2.ParseDuration(d.String()); err != nil || p != d {
			t.Errorf("DurationOf(%v) = %+v does not re-parse to itself: %+v, %v", tt.in, d, p, err)
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, s := range []string{"2010-12-08", "1978-01-20"} {
		if d, err := ll2.ParseDate(s); err != nil || string(d) != s {
			t.Errorf("ParseDate(%q) = %q, %v", s, d, err)
		}
	}
	for _, s := range []string{"", "2010-13-01", "2010-12-8", "08/12/2010", "2010-12-08T00:00:00Z"} {
		if d, err := ll2.ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) = %q, want an error", s, d)
		}
	}
	var d struct {
		D *ll2.Date `json:"d"`
	}
	if err := json.Unmarshal([]byte(`{"d":"2010-12-08"}`), &d); err != nil || d.D == nil || *d.D != "2010-12-08" {
		t.Errorf("decode date: %v, %v", d.D, err)
	}
	if err := json.Unmarshal([]byte(`{"d":"2010-12-32"}`), &d); err == nil {
		t.Error("decoded 2010-12-32")
	}
}

// FuzzParseDuration checks the parser's contract on any input. The seed corpus is in
// testdata/fuzz/FuzzParseDuration; run `go test ./ll2 -run '^$' -fuzz FuzzParseDuration
// -fuzztime 30s` to search further.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"P0D", "PT13M", "P196DT21H15M2S", "-PT1.5S", "P1Y2M3W4DT5H6M7S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ll2.ParseDuration(s)
		if err != nil {
			if d != (ll2.Duration{}) {
				t.Fatalf("failed parse of %q returned %+v", s, d)
			}
			return
		}
		if d.String() != s {
			t.Fatalf("String() = %q, want the input %q", d.String(), s)
		}
		secs := d.Seconds()
		if math.IsNaN(secs) || math.IsInf(secs, 0) {
			t.Fatalf("%q: seconds = %v", s, secs)
		}
		again, err := ll2.ParseDuration(d.String())
		if err != nil || again.Seconds() != secs {
			t.Fatalf("%q re-parses to %v, %v; first parse gave %v", s, again.Seconds(), err, secs)
		}
		if (secs < 0) != strings.HasPrefix(s, "-") && secs != 0 {
			t.Fatalf("%q: sign of %v disagrees with the text", s, secs)
		}
		_ = d.WholeSeconds()
		if d.Compare(again) != 0 {
			t.Fatalf("%q does not compare equal to itself", s)
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("%q: marshal: %v", s, err)
		}
		var back ll2.Duration
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q: unmarshal %s: %v", s, b, err)
		}
		if back != d {
			t.Fatalf("%q: JSON round trip gave %+v, want %+v", s, back, d)
		}
	})
}
