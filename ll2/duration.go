package ll2

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is an ISO 8601 duration as LL2 writes it (P196DT21H15M2S, PT13M, P0D).
// It keeps the original text, so that the gateway and the built-in server hand it on
// exactly as LL2 gave it, and its length in seconds, so that it can be ordered by
// length rather than by text.
type Duration struct {
	text    string
	seconds float64
}

// Calendar units have no fixed length; LL2 does not use them for spacecraft, but a
// parser must give them some length. These are the conventional ones (ISO 8601 leaves
// the choice to the parties).
const (
	secondsPerMinute = 60
	secondsPerHour   = 3600
	secondsPerDay    = 86400
	secondsPerWeek   = 7 * secondsPerDay
	secondsPerMonth  = 30 * secondsPerDay
	secondsPerYear   = 365 * secondsPerDay
)

// maxDurationText bounds the input so that hostile upstream data cannot make the
// parser do unbounded work.
const maxDurationText = 64

// ParseDuration parses an ISO 8601 duration: an optional sign, P, then years, months,
// weeks and days, then optionally T and hours, minutes and seconds. Each number is a
// non-negative decimal; only the last one given may have a fraction, as the standard
// says. At least one component is required.
func ParseDuration(s string) (Duration, error) {
	if len(s) > maxDurationText {
		return Duration{}, fmt.Errorf("ll2: duration %.20q…: longer than %d bytes", s, maxDurationText)
	}
	bad := func(why string) (Duration, error) {
		return Duration{}, fmt.Errorf("ll2: duration %q: %s", s, why)
	}
	i := 0
	sign := 1.0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		if s[i] == '-' {
			sign = -1
		}
		i++
	}
	if i >= len(s) || s[i] != 'P' {
		return bad("must start with P")
	}
	i++
	dateUnits := map[byte]float64{'Y': secondsPerYear, 'M': secondsPerMonth, 'W': secondsPerWeek, 'D': secondsPerDay}
	timeUnits := map[byte]float64{'H': secondsPerHour, 'M': secondsPerMinute, 'S': 1}
	dateOrder, timeOrder := "YMWD", "HMS"
	units, order := dateUnits, dateOrder
	inTime, components, last, fraction := false, 0, -1, false
	var total float64
	for i < len(s) {
		if s[i] == 'T' {
			if inTime {
				return bad("T appears twice")
			}
			inTime, units, order, last = true, timeUnits, timeOrder, -1
			i++
			if i >= len(s) {
				return bad("T must be followed by a time component")
			}
			continue
		}
		start := i
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == ',') {
			i++
		}
		if start == i {
			return bad(fmt.Sprintf("expected a number at byte %d", start))
		}
		if i >= len(s) {
			return bad("number without a unit")
		}
		if fraction {
			return bad("only the last component may have a fraction")
		}
		num := s[start:i]
		if strings.ContainsAny(num, ".,") {
			fraction = true
			num = strings.ReplaceAll(num, ",", ".")
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || math.IsInf(v, 0) || num[0] == '.' || num[len(num)-1] == '.' {
			return bad(fmt.Sprintf("bad number %q", s[start:i]))
		}
		unit := s[i]
		pos := strings.IndexByte(order, unit)
		if pos < 0 {
			return bad(fmt.Sprintf("unknown unit %q", unit))
		}
		if pos <= last {
			return bad(fmt.Sprintf("unit %q out of order", unit))
		}
		last = pos
		total += v * units[unit]
		components++
		i++
	}
	if components == 0 {
		return bad("no components")
	}
	if math.IsInf(total, 0) {
		return bad("too long")
	}
	return Duration{text: s, seconds: sign * total}, nil
}

// MustDuration is ParseDuration for literals in tests and generators; it panics on a
// malformed literal, which is a programming error there.
func MustDuration(s string) Duration {
	d, err := ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DurationOf renders a length as LL2 would write it (days, hours, minutes, seconds).
func DurationOf(d time.Duration) Duration {
	secs := int64(d / time.Second)
	neg := secs < 0
	if neg {
		secs = -secs
	}
	days, rem := secs/secondsPerDay, secs%secondsPerDay
	h, rem := rem/secondsPerHour, rem%secondsPerHour
	m, sec := rem/secondsPerMinute, rem%secondsPerMinute
	var b []byte
	if neg {
		b = append(b, '-')
	}
	b = append(b, 'P')
	if days > 0 {
		b = strconv.AppendInt(b, days, 10)
		b = append(b, 'D')
	}
	if h > 0 || m > 0 || sec > 0 {
		b = append(b, 'T')
		for _, c := range []struct {
			v int64
			u byte
		}{{h, 'H'}, {m, 'M'}, {sec, 'S'}} {
			if c.v > 0 {
				b = strconv.AppendInt(b, c.v, 10)
				b = append(b, c.u)
			}
		}
	}
	if len(b) == 1 || (neg && len(b) == 2) {
		b = append(b, '0', 'D')
	}
	return MustDuration(string(b))
}

// String returns the ISO 8601 text as LL2 gave it.
func (d Duration) String() string { return d.text }

// Seconds returns the length in seconds, fractions included.
func (d Duration) Seconds() float64 { return d.seconds }

// WholeSeconds returns the length rounded to whole seconds, clamped to the int64 range.
func (d Duration) WholeSeconds() int64 {
	r := math.Round(d.seconds)
	switch {
	case r >= math.MaxInt64:
		return math.MaxInt64
	case r <= math.MinInt64:
		return math.MinInt64
	}
	return int64(r)
}

// Compare orders durations by length, then by text so that the order is total.
func (d Duration) Compare(o Duration) int {
	switch {
	case d.seconds < o.seconds:
		return -1
	case d.seconds > o.seconds:
		return 1
	}
	return strings.Compare(d.text, o.text)
}

// MarshalJSON writes the original text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.text) }

// UnmarshalJSON reads an ISO 8601 string; null is handled by a *Duration field.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("ll2: duration: %w", err)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Date is a calendar date as LL2 writes it (2010-12-08), kept as text.
type Date string

// ParseDate checks that s is a YYYY-MM-DD date.
func ParseDate(s string) (Date, error) {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return "", fmt.Errorf("ll2: date %q: want YYYY-MM-DD", s)
	}
	return Date(s), nil
}

// UnmarshalJSON reads a YYYY-MM-DD string.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("ll2: date: %w", err)
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
