package relay_test

import (
	"encoding/base64"
	"errors"
	"math"
	"strings"
	"testing"

	"spacegraph/relay"
)

func TestGlobalIDRoundTrip(t *testing.T) {
	for _, typ := range []string{relay.TypeSpacecraft, relay.TypeSpacecraftConfig, relay.TypeAgency, relay.TypeFamily} {
		for _, id := range []int{1, 42, 1 << 30} {
			g := relay.GlobalID(typ, id)
			gt, gid, err := relay.ParseGlobalID(g)
			if err != nil || gt != typ || gid != id {
				t.Errorf("%s %d: %q → %q %d %v", typ, id, g, gt, gid, err)
			}
			if strings.ContainsAny(g, "+/=") {
				t.Errorf("%q is not URL-safe", g)
			}
		}
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestParseGlobalIDAccepts checks ids as clients may send them back: re-encoded in
// other base64 alphabets, with padding, and the largest id.
func TestParseGlobalIDAccepts(t *testing.T) {
	for _, c := range []struct {
		in  string
		typ string
		id  int
	}{
		{base64.StdEncoding.EncodeToString([]byte("DockingEvent:17")), relay.TypeDockingEvent, 17},
		{base64.URLEncoding.EncodeToString([]byte("Family:3")), relay.TypeFamily, 3},
		{b64("SpacecraftFlight:9223372036854775807"), relay.TypeSpacecraftFlight, math.MaxInt64},
	} {
		typ, id, err := relay.ParseGlobalID(c.in)
		if err != nil || typ != c.typ || id != c.id {
			t.Errorf("%q → %q %d %v, want %s %d", c.in, typ, id, err, c.typ, c.id)
		}
	}
}

// TestParseGlobalIDAllocatesNothing pins what nodes(ids:) relies on: a hundred ids a
// request are parsed twice (planner and resolver) without a heap allocation.
func TestParseGlobalIDAllocatesNothing(t *testing.T) {
	id := relay.GlobalID(relay.TypeSpacecraftConfig, 12345)
	if n := testing.AllocsPerRun(100, func() {
		if _, _, err := relay.ParseGlobalID(id); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("ParseGlobalID allocates %v times per id", n)
	}
}

func TestParseGlobalIDRefuses(t *testing.T) {
	for _, s := range []string{
		"", "!!!", "U3BhY2VjcmFmdA", // "Spacecraft" (no id)
		relay.GlobalID("Launch", 1),
		"U3BhY2VjcmFmdDowMQ", // "Spacecraft:01": not canonical
		"U3BhY2VjcmFmdDotMQ", // "Spacecraft:-1"
		"U3BhY2VjcmFmdDow",   // "Spacecraft:0"
		strings.Repeat("A", 300),
		b64("Spacecraft:+1"), b64("Spacecraft:1 "), b64("Spacecraft:9223372036854775808"), // past MaxInt64
		b64(":1"), b64("spacecraft:1"), b64("Spacecraft:1:2"),
	} {
		if typ, id, err := relay.ParseGlobalID(s); err == nil {
			t.Errorf("%q parsed as %s %d", s, typ, id)
		} else if !errors.Is(err, relay.ErrMalformed) {
			t.Errorf("%q: %v is not ErrMalformed", s, err)
		}
	}
}

func TestCursors(t *testing.T) {
	fp := relay.Fingerprint("allSpacecraft", "0", "ordering=id")
	other := relay.Fingerprint("allSpacecraft", "0", "ordering=-id")
	if fp == other {
		t.Fatal("fingerprints of different queries collide")
	}
	if relay.Fingerprint("a", "bc") == relay.Fingerprint("ab", "c") {
		t.Error("fingerprints of differently split parts collide")
	}
	c := relay.Cursor(fp, 17)
	if off, err := relay.ParseCursor(c, fp); err != nil || off != 17 {
		t.Errorf("round trip: %d %v", off, err)
	}
	if _, err := relay.ParseCursor(c, other); !errors.Is(err, relay.ErrForeignCursor) {
		t.Errorf("a foreign cursor: %v", err)
	}
	for _, bad := range []string{"", "zz", relay.GlobalID("Agency", 3), "YzE6YWJjOi0x" /* c1:abc:-1 */, "YzE6YWJjOjAx" /* c1:abc:01 */} {
		if _, err := relay.ParseCursor(bad, fp); !errors.Is(err, relay.ErrMalformed) {
			t.Errorf("%q: %v, want ErrMalformed", bad, err)
		}
	}
}

// FuzzParseGlobalID checks that any text is either refused as malformed or parses to
// an id whose canonical form parses back the same.
func FuzzParseGlobalID(f *testing.F) {
	for _, s := range []string{relay.GlobalID("Spacecraft", 12), relay.GlobalID("Family", 1), "", "AAAA", "U3BhY2VjcmFmdDotMQ", "Zm9vOjE="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, id, err := relay.ParseGlobalID(s)
		if err != nil {
			if !errors.Is(err, relay.ErrMalformed) {
				t.Fatalf("%q: %v is not ErrMalformed", s, err)
			}
			return
		}
		if id <= 0 {
			t.Fatalf("%q: id %d", s, id)
		}
		t2, id2, err := relay.ParseGlobalID(relay.GlobalID(typ, id))
		if err != nil || t2 != typ || id2 != id {
			t.Fatalf("%q: canonical form does not round trip", s)
		}
	})
}

// FuzzParseCursor checks that any text is refused as malformed or foreign, or gives a
// non-negative offset whose cursor parses back the same.
func FuzzParseCursor(f *testing.F) {
	fp := relay.Fingerprint("allAgencies", "0", "ordering=id")
	for _, s := range []string{relay.Cursor(fp, 0), relay.Cursor(fp, 99), relay.Cursor("other", 3), "", "YzE6YWJjOi0x", "c1:x:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		off, err := relay.ParseCursor(s, fp)
		if err != nil {
			if !errors.Is(err, relay.ErrMalformed) && !errors.Is(err, relay.ErrForeignCursor) {
				t.Fatalf("%q: unexpected error %v", s, err)
			}
			return
		}
		if off < 0 {
			t.Fatalf("%q: offset %d", s, off)
		}
		if back, err := relay.ParseCursor(relay.Cursor(fp, off), fp); err != nil || back != off {
			t.Fatalf("%q: offset %d does not round trip", s, off)
		}
	})
}

// TestAppendGlobalID checks that AppendGlobalID appends what GlobalID returns, and
// only characters a JSON string holds unescaped (the fast executor writes it between
// quotes as it is).
func TestAppendGlobalID(t *testing.T) {
	for _, typ := range []string{relay.TypeSpacecraft, relay.TypeSpacecraftConfig, relay.TypeAgency, relay.TypeFamily, relay.TypeSpacecraftFlight, relay.TypeDockingEvent} {
		for _, id := range []int{1, 42, 99999, math.MaxInt64} {
			got := string(relay.AppendGlobalID([]byte("x"), typ, id))
			if want := "x" + relay.GlobalID(typ, id); got != want {
				t.Errorf("%s %d: %q, want %q", typ, id, got, want)
			}
			if strings.Trim(got, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				t.Errorf("%s %d: %q has characters outside base64's URL alphabet", typ, id, got)
			}
		}
	}
}
