package redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// DefaultDocumentTTL is how long a persisted query's document stays in Redis unused:
// long enough that the hashes a frontend sends are known across a day's deploys and
// restarts, short enough that the documents of clients long gone do not stay.
const DefaultDocumentTTL = 24 * time.Hour

// DocumentCache is the in-process cache of documents that Documents falls back on:
// the method set of gqlgen's graphql.Cache[string], named here so that the Redis
// adapters need not import gqlgen.
type DocumentCache interface {
	Get(ctx context.Context, key string) (string, bool)
	Add(ctx context.Context, key, value string)
}

// Documents is the cache of automatic persisted queries in Redis (a graphql.Cache of
// document texts under their SHA-256 hash, in hex), shared by every replica: a hash
// a client registered on one replica is known to all, so that its next request,
// wherever it lands, may send the hash alone. Each entry expires after a TTL without
// use. Every document is also kept in the local cache, which answers while Redis is
// unreachable (each replica then knows the hashes registered with it) and when Redis
// has lost an entry.
//
// Redis is trusted with nothing: a document is served only if it hashes to the key
// asked for, and a key that is not a SHA-256 hash in hex (the client's to choose) is
// never looked up in Redis.
type Documents struct {
	c        *Client
	local    DocumentCache
	ttl      time.Duration
	maxBytes int
}

// Documents returns the shared cache of persisted queries over local, its in-process
// fallback (nil: none). Entries expire ttl after their last use (0:
// DefaultDocumentTTL); documents longer than maxBytes (0 or less: no bound) are kept
// in local only, since the gateway refuses to run them anyway.
func (c *Client) Documents(local DocumentCache, ttl time.Duration, maxBytes int) *Documents {
	if ttl <= 0 {
		ttl = DefaultDocumentTTL
	}
	return &Documents{c: c, local: local, ttl: ttl, maxBytes: maxBytes}
}

func (d *Documents) key(hash string) string { return d.c.prefix + "apq:" + hash }

// Get returns the document registered under hash: Redis's, whose expiry it restarts,
// else the local cache's. A document Redis has lost but the local cache holds is
// written back, so that the other replicas know it again.
func (d *Documents) Get(ctx context.Context, hash string) (string, bool) {
	if !sha256Hex(hash) {
		return d.localGet(ctx, hash)
	}
	doc, err := d.c.rdb.GetEx(ctx, d.key(hash), d.ttl).Result()
	switch {
	case err == nil && hashOf(doc) == hash:
		if d.local != nil {
			d.local.Add(ctx, hash, doc)
		}
		return doc, true
	case err == nil:
		d.c.log.WarnContext(ctx, "a persisted query in redis does not match its hash; not served", "key", d.key(hash))
	case errors.Is(err, goredis.Nil):
		doc, ok := d.localGet(ctx, hash)
		if ok {
			d.store(ctx, hash, doc)
		}
		return doc, ok
	case !unreachable(err):
		d.c.log.WarnContext(ctx, "persisted query read failed", "key", d.key(hash), "err", err)
	}
	return d.localGet(ctx, hash)
}

func (d *Documents) localGet(ctx context.Context, hash string) (string, bool) {
	if d.local == nil {
		return "", false
	}
	return d.local.Get(ctx, hash)
}

// Add registers doc under hash, in the local cache and in Redis. gqlgen has checked
// that hash is doc's.
func (d *Documents) Add(ctx context.Context, hash, doc string) {
	if d.local != nil {
		d.local.Add(ctx, hash, doc)
	}
	if sha256Hex(hash) {
		d.store(ctx, hash, doc)
	}
}

// store writes doc to Redis unless it is too long; Redis's being unreachable is no
// error, since the local cache has it.
func (d *Documents) store(ctx context.Context, hash, doc string) {
	if d.maxBytes > 0 && len(doc) > d.maxBytes {
		return
	}
	if err := d.c.rdb.Set(ctx, d.key(hash), doc, d.ttl).Err(); err != nil && !unreachable(err) {
		d.c.log.WarnContext(ctx, "persisted query write failed", "key", d.key(hash), "err", err)
	}
}

// sha256Hex reports whether s has the form of a SHA-256 digest in lower-case hex, as
// automatic persisted queries name documents.
func sha256Hex(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func hashOf(doc string) string {
	sum := sha256.Sum256([]byte(doc))
	return hex.EncodeToString(sum[:])
}
