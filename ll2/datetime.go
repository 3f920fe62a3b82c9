package ll2

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DateTime is an instant as LL2 writes it (RFC 3339 in UTC, 2024-03-04T03:53:00Z).
// It keeps the original text, so that it is handed on exactly as LL2 gave it, and
// the instant, so that it can be compared and filtered by time rather than by text.
// The zero value is "no value" and is written as null.
type DateTime struct {
	text string
	t    time.Time
}

// maxDateTimeText bounds the input so that hostile upstream data cannot make the
// parser do unbounded work.
const maxDateTimeText = 64

// ParseDateTime parses an RFC 3339 date and time with its offset, fractions of a
// second allowed.
func ParseDateTime(s string) (DateTime, error) {
	if len(s) > maxDateTimeText {
		return DateTime{}, fmt.Errorf("ll2: date-time %.20q…: too long", s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return DateTime{}, fmt.Errorf("ll2: date-time %q: want RFC 3339, e.g. 2024-03-04T03:53:00Z", s)
	}
	return DateTime{text: s, t: t}, nil
}

// MustDateTime is ParseDateTime for literals in tests and generators; it panics on a
// malformed value.
func MustDateTime(s string) DateTime {
	d, err := ParseDateTime(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DateTimeOf renders an instant as LL2 does: in UTC, with a Z, and with the fraction
// of a second only when there is one.
func DateTimeOf(t time.Time) DateTime {
	t = t.UTC()
	return DateTime{text: t.Format(time.RFC3339Nano), t: t}
}

// String returns the text as LL2 gave it ("" for the zero value).
func (d DateTime) String() string { return d.text }

// Time returns the instant.
func (d DateTime) Time() time.Time { return d.t }

// IsZero reports whether d holds no value.
func (d DateTime) IsZero() bool { return d.text == "" }

// Compare orders instants in time, then by text so that the order is total.
func (d DateTime) Compare(o DateTime) int {
	if c := d.t.Compare(o.t); c != 0 {
		return c
	}
	return strings.Compare(d.text, o.text)
}

// MarshalJSON writes the original text, or null for the zero value.
func (d DateTime) MarshalJSON() ([]byte, error) {
	if d.text == "" {
		return []byte("null"), nil
	}
	return json.Marshal(d.text)
}

// UnmarshalJSON reads an RFC 3339 string; null leaves the zero value (a *DateTime
// field stays nil).
func (d *DateTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = DateTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("ll2: date-time: %w", err)
	}
	v, err := ParseDateTime(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// djangoDateTime is Django's parse_datetime: a date, T or a space, a time to the
// minute with optional seconds and fraction, and an optional offset.
var djangoDateTime = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$`)

// ParseFilterDateTime parses a date-time filter value as Django's forms.DateTimeField
// does for LL2's date-time filters (docking__gte and the like): ISO 8601 with T or a
// space, seconds and offset optional, or a bare date (midnight). A value without an
// offset is in UTC, LL2's time zone. ok is false for anything else, which LL2
// answers with a 400 error.
func ParseFilterDateTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) > maxDateTimeText {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	m := djangoDateTime.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	n := func(i int) int {
		v, _ := strconv.Atoi(m[i])
		return v
	}
	nanos := 0
	if m[7] != "" {
		frac := m[7] + strings.Repeat("0", 9-len(m[7]))
		nanos, _ = strconv.Atoi(frac)
	}
	loc := time.UTC
	if tz := m[8]; tz != "" && tz != "Z" {
		digits := strings.ReplaceAll(tz[1:], ":", "")
		hours, _ := strconv.Atoi(digits[:2])
		mins := 0
		if len(digits) == 4 {
			mins, _ = strconv.Atoi(digits[2:])
		}
		off := hours*3600 + mins*60
		if tz[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	year, month, day, hour, minute, sec := n(1), n(2), n(3), n(4), n(5), 0
	if m[6] != "" {
		sec = n(6)
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, loc)
	if t.Day() != day {
		return time.Time{}, false // 31 February and the like
	}
	return t.UTC(), true
}
