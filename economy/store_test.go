package economy

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"spacegraph/internal/testkit"
)

func TestEntryAgeFreshRemaining(t *testing.T) {
	e := Entry{Fetched: t0, TTL: time.Hour}
	for _, c := range []struct {
		at        time.Duration
		age       time.Duration
		fresh     bool
		remaining time.Duration
	}{
		{-time.Minute, 0, true, time.Hour}, // a clock that went back: age 0, not negative
		{0, 0, true, time.Hour},
		{59 * time.Minute, 59 * time.Minute, true, time.Minute},
		{time.Hour - 1, time.Hour - 1, true, 1},
		{time.Hour, time.Hour, false, 0},
		{3 * time.Hour, 3 * time.Hour, false, 0},
	} {
		now := t0.Add(c.at)
		if got := e.Age(now); got != c.age {
			t.Errorf("at %v: Age %v, want %v", c.at, got, c.age)
		}
		if got := e.Fresh(now); got != c.fresh {
			t.Errorf("at %v: Fresh %v, want %v", c.at, got, c.fresh)
		}
		if got := e.Remaining(now); got != c.remaining {
			t.Errorf("at %v: Remaining %v, want %v", c.at, got, c.remaining)
		}
	}
}

func sameEntry(a, b Entry) bool {
	return a.Status == b.Status && a.TTL == b.TTL && a.Fetched.Equal(b.Fetched) && bytes.Equal(a.Body, b.Body)
}

func TestEntryBinaryRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte(`{"a":[1,2,3]},`), 100_000)
	for name, e := range map[string]Entry{
		// Fetched outside 1678..2262 (the zero time) cannot round trip: UnixNano is
		// undefined there. The transport always sets Fetched to now.
		"epoch":         {Fetched: time.Unix(0, 0)},
		"200":           {Status: 200, Body: []byte(`{"count":1,"results":[{"id":1}]}`), Fetched: t0, TTL: time.Hour},
		"404 empty":     {Status: 404, Body: nil, Fetched: t0.Add(time.Nanosecond), TTL: 10 * time.Minute},
		"binary body":   {Status: 200, Body: []byte("sg1\x00\xff\x00\x80"), Fetched: t0, TTL: 1},
		"big body":      {Status: 200, Body: big, Fetched: t0, TTL: 24 * time.Hour},
		"negative":      {Status: -1, Fetched: time.Unix(0, -12345), TTL: -time.Second},
		"extremes":      {Status: math.MaxInt32, Fetched: time.Unix(0, math.MaxInt64), TTL: math.MinInt64},
		"min time":      {Status: 599, Fetched: time.Unix(0, math.MinInt64), TTL: math.MaxInt64},
		"local zone":    {Status: 200, Fetched: time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600)), TTL: time.Minute},
		"body of magic": {Status: 200, Body: entryMagic, Fetched: t0, TTL: time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := e.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, entryMagic) {
				t.Fatalf("encoding %q does not start with the magic", b[:min(len(b), 8)])
			}
			if !bytes.HasSuffix(b, e.Body) || len(b) > len(e.Body)+len(entryMagic)+30 {
				t.Errorf("the body is not appended unchanged (%d bytes for a %d-byte body)", len(b), len(e.Body))
			}
			var d Entry
			if err := d.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			if !sameEntry(d, e) {
				t.Errorf("round trip: got %d %v %v %d bytes, want %d %v %v %d bytes",
					d.Status, d.Fetched, d.TTL, len(d.Body), e.Status, e.Fetched, e.TTL, len(e.Body))
			}
		})
	}
}

func TestEntryUnmarshalCorrupt(t *testing.T) {
	good, _ := Entry{Status: 200, Body: []byte(`{}`), Fetched: t0, TTL: time.Hour}.MarshalBinary()
	for name, b := range map[string][]byte{
		"nil":              nil,
		"empty":            {},
		"json":             []byte(`{"status":200}`),
		"short magic":      []byte("sg1"),
		"other version":    append([]byte("sg2\x00"), good[4:]...),
		"magic only":       entryMagic,
		"one varint":       good[:len(entryMagic)+2],
		"unfinished":       append(append([]byte{}, entryMagic...), 0x80, 0x80),
		"varint overflow":  append(append([]byte{}, entryMagic...), bytes.Repeat([]byte{0xff}, 11)...),
		"status then stop": append(append([]byte{}, entryMagic...), 0x02, 0x80),
	} {
		t.Run(name, func(t *testing.T) {
			e := Entry{Status: 7}
			err := e.UnmarshalBinary(b)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("UnmarshalBinary(%q) = %v, want ErrCorrupt", b, err)
			}
		})
	}
}

// FuzzEntryUnmarshal checks that no input makes UnmarshalBinary panic, and that
// whatever it accepts encodes back to an entry that decodes the same.
func FuzzEntryUnmarshal(f *testing.F) {
	for _, e := range []Entry{
		{},
		{Status: 200, Body: []byte(`{"count":0,"results":[]}`), Fetched: t0, TTL: time.Hour},
		{Status: 404, Body: []byte(`{"detail":"Not found."}`), Fetched: t0, TTL: 10 * time.Minute},
	} {
		b, _ := e.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte("sg1\x00\x80"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Entry
		if err := e.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		if !bytes.HasPrefix(b, entryMagic) || !bytes.HasSuffix(b, e.Body) {
			t.Fatalf("accepted %q as %+v", b, e)
		}
		enc, err := e.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var d Entry
		if err := d.UnmarshalBinary(enc); err != nil {
			t.Fatalf("re-encoding of %q does not decode: %v", b, err)
		}
		if !sameEntry(d, e) {
			t.Fatalf("round trip of %q: %+v became %+v", b, e, d)
		}
		// The canonical encoding is stable.
		enc2, _ := d.MarshalBinary()
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable: %q then %q", enc, enc2)
		}
	})
}

func TestMemoryStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore(1 << 20)
	if _, ok, err := s.Get(ctx, "missing"); ok || err != nil {
		t.Fatalf("Get(missing) = %v, %v", ok, err)
	}
	e := Entry{Status: 200, Body: []byte(`{"id":1}`), Fetched: t0, TTL: time.Hour}
	if err := s.Set(ctx, "k", e, time.Hour); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Get(ctx, "k")
	if !ok || err != nil || !sameEntry(got, e) {
		t.Fatalf("Get(k) = %+v, %v, %v", got, ok, err)
	}
	e2 := Entry{Status: 404, Body: []byte(`{"detail":"Not found."}`), Fetched: t0.Add(time.Minute), TTL: time.Minute}
	if err := s.Set(ctx, "k", e2, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Get(ctx, "k"); !sameEntry(got, e2) {
		t.Fatalf("Set did not replace: %+v", got)
	}
	s.c.CleanUp()
	if s.Len() != 1 {
		t.Errorf("Len %d, want 1", s.Len())
	}
	if want := uint64(len("k") + len(e2.Body) + entryOverhead); s.WeightedSize() != want {
		t.Errorf("WeightedSize %d, want %d", s.WeightedSize(), want)
	}
}

func TestMemoryStoreBound(t *testing.T) {
	ctx := context.Background()
	const bound = 256 << 10
	s := NewMemoryStore(bound)
	body := []byte(`{"results":"` + strings.Repeat("x", 1000) + `"}`)
	const n = 5000 // about 20 times what the store holds
	for i := range n {
		if err := s.Set(ctx, "ll2:spacecraft/?offset="+strconv.Itoa(i), Entry{Status: 200, Body: body, Fetched: t0, TTL: time.Hour}, time.Hour); err != nil {
			t.Fatal(err)
		}
		if w := s.WeightedSize(); w > bound+4*uint64(len(body)+200) {
			t.Fatalf("after %d inserts the store holds %d bytes, bound %d", i+1, w, bound)
		}
	}
	s.c.CleanUp()
	if w := s.WeightedSize(); w > bound || w < bound/2 {
		t.Errorf("store holds %d bytes, want at most %d and not far below", w, bound)
	}
	per := uint64(len(body) + len("ll2:spacecraft/?offset=1234") + entryOverhead)
	if l := uint64(s.Len()); l > bound/per+2 {
		t.Errorf("store holds %d entries, at most %d fit", l, bound/per+2)
	}
}

func TestMemoryStoreExpiry(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore(1 << 20)
	e := Entry{Status: 200, Body: []byte(`{}`), Fetched: time.Now(), TTL: time.Hour}
	if err := s.Set(ctx, "short", e, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "long", e, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Get(ctx, "short"); !ok {
		t.Fatal("entry gone at once")
	}
	testkit.WaitFor(t, "the short entry to expire", func() bool {
		_, ok, _ := s.Get(ctx, "short")
		return !ok
	})
	if _, ok, _ := s.Get(ctx, "long"); !ok {
		t.Error("the long-kept entry expired with the short one")
	}
}
