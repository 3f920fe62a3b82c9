package ll2

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/maypok86/otter/v2"
)

// SharedBody is implemented by response bodies that hold the whole answer in memory
// and never change it, as the answers of a caching transport (economy.Transport) do.
// The client reads such a body without copying it, and keeps what it decoded from it
// so that the same answer served again is not decoded again: decoding a detailed page
// of 100 spacecraft costs milliseconds, comparing its bytes with the last ones nothing
// when they are the same slice.
type SharedBody interface {
	io.ReadCloser
	// SharedBytes returns the whole body. Neither the transport nor the client may
	// modify it, ever: the client recognises an answer by these bytes.
	SharedBytes() []byte
}

// A Keeper is a transport that keeps answers (economy.Transport). The client asks it
// for a fresh kept answer before it builds a request: an answer served from the cache
// through http.Client cost a request, its headers, a context with a timeout and a
// response, the most of a reverse connection's pages (one per parent) once warm.
type Keeper interface {
	// Kept returns the body of a fresh kept 200 answer to a GET of host and path
	// with query (url.Values' sorted encoding of the query without format),
	// accounted for as RoundTrip accounts a hit; the body is shared as a
	// SharedBody's is. False means the request must go through RoundTrip, which
	// decides everything else (stale answers, calls, errors).
	Kept(ctx context.Context, host, path, query string) ([]byte, bool)
}

type keptOnlyKey struct{}

// WithKeptOnly marks the calls made under ctx as wanting a kept answer only: one the
// client's Keeper cannot answer fails at once with an error that is ErrNotKept,
// without a request. A reverse connection asks so first for one parent's page, which
// once warm is kept, rather than wait out a batching window for it.
func WithKeptOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, keptOnlyKey{}, true)
}

// KeptOnly reports whether ctx is marked by WithKeptOnly.
func KeptOnly(ctx context.Context) bool {
	v, _ := ctx.Value(keptOnlyKey{}).(bool)
	return v
}

// ErrNotKept is the error of a call under WithKeptOnly that no kept answer serves.
var ErrNotKept = errors.New("ll2: no fresh kept answer")

// DefaultDecodedBytes bounds the decoded answers a client keeps when
// Config.DecodedBytes is zero: by the weigher, about ten detailed pages of 100
// spacecraft, and hundreds of smaller answers.
const DefaultDecodedBytes = 32 << 20

// decoded is an answer the client decoded, with the bytes it decoded it from.
type decoded struct {
	// body is the answer's bytes. Holding them keeps the slice alive, so that no other
	// answer can be allocated at its address while this entry exists: the same first
	// byte and length then mean the same bytes.
	body  []byte
	value any
}

// decodedOverhead approximates what an entry costs beyond its key, body and value
// (otter's node, headers), which matters for small answers.
const decodedOverhead = 1 << 10

// decodedWeight is what a decoded answer costs: its key, its body, which the memo keeps
// alive even after the transport's cache let it go, and the decoded value, counted as
// three times the body: a decoded page of detailed spacecraft takes about as much as
// its JSON, a page of list-level agencies (mostly short strings) about three times
// as much, and an underestimate would let the memory run past the bound.
func decodedWeight(key string, d decoded) uint32 {
	return uint32(min(uint64(len(key))+4*uint64(len(d.body))+decodedOverhead, 1<<32-1))
}

// memo keeps decoded answers by URL, bounded in bytes, with otter's W-TinyLFU
// eviction so that a burst of one-off answers does not push out the pages every
// request reads. A nil memo keeps nothing.
type memo struct {
	c *otter.Cache[string, decoded]
}

func newMemo(maxBytes uint64) *memo {
	return &memo{c: otter.Must(&otter.Options[string, decoded]{
		MaximumWeight: maxBytes,
		Weigher:       decodedWeight,
	})}
}

// get returns what was decoded from body for key, if body is the very answer decoded.
func (m *memo) get(key string, body []byte) (any, bool) {
	if m == nil {
		return nil, false
	}
	d, ok := m.c.GetIfPresent(key)
	if !ok || !sameBytes(d.body, body) {
		return nil, false
	}
	return d.value, true
}

// put records what was decoded from body for key. An answer heavier than the whole
// bound is not kept.
func (m *memo) put(key string, body []byte, v any) {
	if m == nil {
		return
	}
	m.c.Set(key, decoded{body: body, value: v})
}

// weight is what the kept answers weigh.
func (m *memo) weight() uint64 {
	if m == nil {
		return 0
	}
	return m.c.WeightedSize()
}

// sameBytes reports whether a and b hold the same bytes. The same slice (the cache's
// entry served again) is recognised at once; a copy (an entry read from Redis, or a
// refresh that brought identical bytes) costs a comparison, still far cheaper than
// decoding, and decoding equal bytes gives an equal value.
func sameBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return bytes.Equal(a, b)
}
