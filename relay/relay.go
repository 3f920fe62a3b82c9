// Package relay encodes what Relay asks of a server: opaque global object ids that
// carry a type and an LL2 id, and opaque connection cursors that carry an offset and a
// fingerprint of the query they belong to, so that a cursor from another query (other
// filter, search, order or parent) is refused instead of silently paging something else.
package relay

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The node types of the schema.
const (
	TypeSpacecraft       = "Spacecraft"
	TypeSpacecraftConfig = "SpacecraftConfig"
	TypeAgency           = "Agency"
	TypeFamily           = "Family"
	TypeSpacecraftFlight = "SpacecraftFlight"
	TypeDockingEvent     = "DockingEvent"
)

// maxText bounds ids and cursors before decoding, so that hostile input costs little.
const maxText = 256

// GlobalID returns the global id of the object of type typ with LL2 id id.
func GlobalID(typ string, id int) string {
	var raw [64]byte
	b := append(raw[:0], typ...)
	b = append(b, ':')
	return encode(strconv.AppendInt(b, int64(id), 10))
}

// AppendGlobalID appends the global id of the object of type typ with LL2 id id to b,
// as GlobalID returns it: the characters of base64's URL alphabet only, which a JSON
// string holds as they are, so that a writer can put it between quotes without a
// string of its own (an answer holds an id per object, hundreds a page).
func AppendGlobalID(b []byte, typ string, id int) []byte {
	var raw [64]byte
	t := append(raw[:0], typ...)
	t = append(t, ':')
	return base64.RawURLEncoding.AppendEncode(b, strconv.AppendInt(t, int64(id), 10))
}

// encode is base64.RawURLEncoding.EncodeToString with one allocation, the string's,
// for short texts: an answer holds an id or a cursor per object, hundreds a page.
func encode(b []byte) string {
	var out [128]byte
	n := base64.RawURLEncoding.EncodedLen(len(b))
	if n > len(out) {
		return base64.RawURLEncoding.EncodeToString(b)
	}
	base64.RawURLEncoding.Encode(out[:n], b)
	return string(out[:n])
}

// ErrMalformed is wrapped by every decoding error of this package.
var ErrMalformed = errors.New("malformed")

func decode(s string) ([]byte, error) {
	var buf [maxText]byte
	b, err := decodeInto(&buf, s)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// encodings are the base64 alphabets ids and cursors are accepted in: ours (URL, no
// padding) first, and the others clients may re-encode them in.
var encodings = []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding}

// decodeInto decodes s into buf without allocating, and returns the decoded bytes.
func decodeInto(buf *[maxText]byte, s string) ([]byte, error) {
	if len(s) > maxText {
		return nil, fmt.Errorf("%w: longer than %d characters", ErrMalformed, maxText)
	}
	var src [maxText]byte
	in := src[:copy(src[:], s)]
	for _, enc := range encodings {
		if n, err := enc.Decode(buf[:], in); err == nil {
			return buf[:n], nil
		}
	}
	return nil, fmt.Errorf("%w: not base64", ErrMalformed)
}

// ParseGlobalID decodes a global id into its type and LL2 id. It allocates nothing
// for a well-formed id: nodes(ids:) parses a hundred per request, and the call planner
// parses them again before it.
func ParseGlobalID(s string) (typ string, id int, err error) {
	var buf [maxText]byte
	b, err := decodeInto(&buf, s)
	if err != nil {
		return "", 0, err
	}
	i := bytes.IndexByte(b, ':')
	if i < 0 {
		return "", 0, errNotGlobalID
	}
	typ = nodeType(b[:i])
	id, ok := positiveDecimal(b[i+1:])
	if typ == "" || !ok {
		return "", 0, errNotGlobalID
	}
	return typ, id, nil
}

var errNotGlobalID = fmt.Errorf("%w: not a global id", ErrMalformed)

// nodeType returns the node type named b, as its constant, or "" for none.
func nodeType(b []byte) string {
	switch string(b) {
	case TypeSpacecraft:
		return TypeSpacecraft
	case TypeSpacecraftConfig:
		return TypeSpacecraftConfig
	case TypeAgency:
		return TypeAgency
	case TypeFamily:
		return TypeFamily
	case TypeSpacecraftFlight:
		return TypeSpacecraftFlight
	case TypeDockingEvent:
		return TypeDockingEvent
	}
	return ""
}

// positiveDecimal parses b as a positive int in canonical decimal form (no sign, no
// leading zero), as strconv.Itoa writes it, so that one object has one global id.
func positiveDecimal(b []byte) (int, bool) {
	if len(b) == 0 || b[0] == '0' {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int(c - '0')
		if n > (math.MaxInt-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// Fingerprint condenses what identifies a connection's query (field, parent, filter,
// search, order) into a short string for cursors.
func Fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:6])
}

const cursorVersion = "c1"

// maxOffset bounds the offsets cursors may carry; LL2's collections are far smaller.
const maxOffset = 1 << 30

// Cursor returns the cursor of the item at offset in the query with fingerprint fp.
func Cursor(fp string, offset int) string {
	var raw [96]byte
	b := append(raw[:0], cursorVersion...)
	b = append(b, ':')
	b = append(b, fp...)
	b = append(b, ':')
	return encode(strconv.AppendInt(b, int64(offset), 10))
}

// ErrForeignCursor is returned for a well-formed cursor of another query.
var ErrForeignCursor = errors.New("the cursor belongs to another query (other filter, search, order or parent)")

// ParseCursor decodes a cursor of the query with fingerprint fp into its offset.
func ParseCursor(s, fp string) (int, error) {
	b, err := decode(s)
	if err != nil {
		return 0, err
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 3 || parts[0] != cursorVersion {
		return 0, fmt.Errorf("%w: not a cursor of this API", ErrMalformed)
	}
	off, err := strconv.Atoi(parts[2])
	if err != nil || off < 0 || off > maxOffset || parts[2] != strconv.Itoa(off) {
		return 0, fmt.Errorf("%w: bad offset", ErrMalformed)
	}
	if parts[1] != fp {
		return 0, ErrForeignCursor
	}
	return off, nil
}
