package redis

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"spacegraph/internal/testkit/redistest"
)

// memoryDocuments is an in-process DocumentCache, as the gateway's would be.
type memoryDocuments struct {
	mu   sync.Mutex
	docs map[string]string
}

func newMemoryDocuments() *memoryDocuments { return &memoryDocuments{docs: map[string]string{}} }

func (m *memoryDocuments) Get(_ context.Context, key string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.docs[key]
	return v, ok
}

func (m *memoryDocuments) Add(_ context.Context, key, value string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.docs[key] = value
}

// TestDocumentsShared checks the shared cache of persisted queries with two processes
// on one Redis: what one registers the other finds (and keeps locally); an entry
// expires a TTL after its last use; a document past the bound stays in its process; a
// document lost from Redis is written back by a process that still has it; and
// Redis is trusted with nothing: a key that is not a hash is not looked up, and a
// document that does not match its hash is not served.
func TestDocumentsShared(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		cs := clients(t, r, 2, nil)
		localA, localB := newMemoryDocuments(), newMemoryDocuments()
		a, b := cs[0].Documents(localA, time.Hour, 100), cs[1].Documents(localB, time.Hour, 100)
		rdb := cs[0].Redis()
		const doc = `{ spacecraft(ll2Id: 1) { name } }`
		hash := hashOf(doc)

		if _, ok := b.Get(ctx, hash); ok {
			t.Fatal("a hash never registered was found")
		}
		a.Add(ctx, hash, doc)
		if got, ok := b.Get(ctx, hash); !ok || got != doc {
			t.Fatalf("the other process: Get = %q, %v", got, ok)
		}
		if got, ok := localB.Get(ctx, hash); !ok || got != doc {
			t.Errorf("the other process did not keep the document it read: %q, %v", got, ok)
		}

		// The TTL restarts with each use.
		key := a.key(hash)
		if ttl := rdb.PTTL(ctx, key).Val(); ttl < 59*time.Minute || ttl > time.Hour {
			t.Errorf("TTL after registering: %v, want an hour", ttl)
		}
		if err := rdb.Expire(ctx, key, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		b.Get(ctx, hash)
		if ttl := rdb.PTTL(ctx, key).Val(); ttl < 59*time.Minute {
			t.Errorf("TTL after a use: %v, want an hour again", ttl)
		}

		// Past the bound: served by its process, never written to Redis.
		long := `{ spacecraft(ll2Id: 1) { name ` + strings.Repeat("name ", 30) + `} }`
		a.Add(ctx, hashOf(long), long)
		if got, ok := a.Get(ctx, hashOf(long)); !ok || got != long {
			t.Errorf("a long document is not served by the process that has it: %v", ok)
		}
		if n := rdb.Exists(ctx, a.key(hashOf(long))).Val(); n != 0 {
			t.Error("a document past the bound was written to Redis")
		}
		if _, ok := b.Get(ctx, hashOf(long)); ok {
			t.Error("a document past the bound reached the other process")
		}

		// Lost from Redis (evicted, or Redis restarted empty): the process that has
		// it serves it and writes it back.
		if err := rdb.Del(ctx, key).Err(); err != nil {
			t.Fatal(err)
		}
		if got, ok := a.Get(ctx, hash); !ok || got != doc {
			t.Fatalf("after Redis lost it: Get = %q, %v", got, ok)
		}
		if n := rdb.Exists(ctx, key).Val(); n != 1 {
			t.Error("a document Redis lost was not written back")
		}

		// What Redis holds under a key that is not a hash is never read.
		if err := rdb.Set(ctx, a.key("not-a-hash"), doc, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if _, ok := b.Get(ctx, "not-a-hash"); ok {
			t.Error("a key that is not a SHA-256 hash was looked up in Redis")
		}
		// Nor is a document that does not match its hash.
		other := hashOf(`{ agency(ll2Id: 1) { name } }`)
		if err := rdb.Set(ctx, a.key(other), doc, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if got, ok := b.Get(ctx, other); ok {
			t.Errorf("a document that does not match its hash was served: %q", got)
		}
	})
}

// TestDocumentsFallBack checks that the cache of persisted queries answers from the
// process while Redis is away, with what it registered before and during the outage,
// without waiting on Redis.
func TestDocumentsFallBack(t *testing.T) {
	ctx := context.Background()
	srv, c, _ := outageClient(t, nil)
	d := c.Documents(newMemoryDocuments(), 0, 0)
	before, during := `{ a }`, `{ b }`
	d.Add(ctx, hashOf(before), before)
	srv.Pause()
	defer srv.Resume()
	start := time.Now()
	d.Add(ctx, hashOf(during), during)
	for _, doc := range []string{before, during} {
		if got, ok := d.Get(ctx, hashOf(doc)); !ok || got != doc {
			t.Errorf("during the outage: Get(%s) = %q, %v", doc, got, ok)
		}
	}
	if took := time.Since(start); took > DefaultTimeout+time.Second {
		t.Errorf("three operations during the outage took %v", took)
	}
	if !c.Degraded() {
		t.Error("not degraded during the outage")
	}
}
