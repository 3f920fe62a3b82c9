// Package economy is the gateway's economy towards LL2: an http.RoundTripper under the
// LL2 client that keeps every answer in a shared cache (fresh for a TTL per endpoint,
// then served stale while a refresh runs in the background, and served stale when LL2
// fails or throttles), shares one call among all who need it at once, and spends calls
// only within a budget that mirrors LL2's rate limit. The memory implementations here
// serve one process; package redis implements the same interfaces on Redis so that
// replicas share cache, calls and budget.
package economy

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/maypok86/otter/v2"
)

// Entry is a cached LL2 answer: its status (200, or 404 for a short while), its body
// as LL2 sent it, when it was fetched and how long it is fresh.
type Entry struct {
	Status  int
	Body    []byte
	Fetched time.Time
	TTL     time.Duration
}

// Age is how old the entry is at now.
func (e Entry) Age(now time.Time) time.Duration { return max(0, now.Sub(e.Fetched)) }

// Fresh reports whether the entry is within its TTL at now.
func (e Entry) Fresh(now time.Time) bool { return e.Age(now) < e.TTL }

// Remaining is how long the entry stays fresh after now (0 when stale).
func (e Entry) Remaining(now time.Time) time.Duration { return max(0, e.TTL-e.Age(now)) }

// entryMagic starts an encoded entry, so that foreign or corrupt data is refused.
var entryMagic = []byte("sg1\x00")

// MarshalBinary encodes the entry compactly for external stores: a magic, the status,
// the fetch time, the TTL, then the body unchanged (no base64).
func (e Entry) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, len(entryMagic)+3*binary.MaxVarintLen64+len(e.Body))
	b = append(b, entryMagic...)
	b = binary.AppendVarint(b, int64(e.Status))
	b = binary.AppendVarint(b, e.Fetched.UnixNano())
	b = binary.AppendVarint(b, int64(e.TTL))
	return append(b, e.Body...), nil
}

// ErrCorrupt is returned when stored bytes are not an encoded entry.
var ErrCorrupt = errors.New("upstream: corrupt cache entry")

// UnmarshalBinary decodes MarshalBinary's encoding.
func (e *Entry) UnmarshalBinary(b []byte) error {
	if !bytes.HasPrefix(b, entryMagic) {
		return ErrCorrupt
	}
	b = b[len(entryMagic):]
	var vals [3]int64
	for i := range vals {
		v, n := binary.Varint(b)
		if n <= 0 {
			return ErrCorrupt
		}
		vals[i], b = v, b[n:]
	}
	*e = Entry{Status: int(vals[0]), Fetched: time.Unix(0, vals[1]), TTL: time.Duration(vals[2]), Body: b}
	return nil
}

// Store keeps entries by key. Keep is how long the store must hold an entry: its TTL
// plus the time it may be served stale.
type Store interface {
	Get(ctx context.Context, key string) (Entry, bool, error)
	Set(ctx context.Context, key string, e Entry, keep time.Duration) error
}

// MemoryStore is a Store in process memory, bounded in bytes, with W-TinyLFU eviction
// (otter): entries that are read often survive a burst of one-off ones.
type MemoryStore struct {
	c *otter.Cache[string, kept]
}

// kept is an entry with how long the store keeps it.
type kept struct {
	Entry
	keep time.Duration
}

// entryOverhead approximates the bytes an entry costs beyond its key and body.
const entryOverhead = 96

// NewMemoryStore returns a store that holds at most maxBytes of keys and bodies (their
// capacity: what they hold of the heap).
func NewMemoryStore(maxBytes uint64) *MemoryStore {
	return &MemoryStore{c: otter.Must(&otter.Options[string, kept]{
		MaximumWeight: maxBytes,
		Weigher: func(k string, e kept) uint32 {
			// The body's capacity, not its length: what it holds of the heap.
			return uint32(min(uint64(len(k)+cap(e.Body)+entryOverhead), 1<<32-1))
		},
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, kept]) time.Duration { return e.Value.keep }),
	})}
}

// Get returns the entry under key.
func (m *MemoryStore) Get(_ context.Context, key string) (Entry, bool, error) {
	e, ok := m.c.GetIfPresent(key)
	return e.Entry, ok, nil
}

// Set stores an entry for keep.
func (m *MemoryStore) Set(_ context.Context, key string, e Entry, keep time.Duration) error {
	m.c.Set(key, kept{Entry: e, keep: keep})
	return nil
}

// Close stops the cache's clean-up goroutine; the store must not be used after.
func (m *MemoryStore) Close() error {
	m.c.StopAllGoroutines()
	return nil
}

// WeightedSize is the bytes the store holds, by its weigher.
func (m *MemoryStore) WeightedSize() uint64 { return m.c.WeightedSize() }

// Len is the number of entries.
func (m *MemoryStore) Len() int { return m.c.EstimatedSize() }
