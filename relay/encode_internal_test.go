package relay

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
)

// TestEncodingsAreBase64 checks the hand-built encodings against the plain ones, for
// texts within and past the stack buffers.
func TestEncodingsAreBase64(t *testing.T) {
	long := strings.Repeat("x", 200)
	for _, c := range []struct {
		typ string
		id  int
	}{{"Spacecraft", 1}, {"SpacecraftConfig", 1 << 40}, {long, -3}} {
		if got, want := GlobalID(c.typ, c.id), base64.RawURLEncoding.EncodeToString([]byte(c.typ+":"+strconv.Itoa(c.id))); got != want {
			t.Errorf("GlobalID(%.20s, %d) = %s, want %s", c.typ, c.id, got, want)
		}
	}
	for _, fp := range []string{"", "abc", long} {
		if got, want := Cursor(fp, 42), base64.RawURLEncoding.EncodeToString([]byte(cursorVersion+":"+fp+":42")); got != want {
			t.Errorf("Cursor(%.20s, 42) = %s, want %s", fp, got, want)
		}
	}
}

// BenchmarkGlobalID measures the id of an object, written once per object of an answer.
func BenchmarkGlobalID(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = GlobalID("SpacecraftConfig", i)
	}
}
