// Package rediscache puts the gateway's economy in Redis, so that N replicas behave as
// one towards LL2: the answer cache (upstream.Store), the in-flight locks
// (upstream.Flight), the call budget (upstream.Budget), the entity cache
// (catalog.EntityCache) and the whole-response cache all live in one Redis.
package rediscache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"

	"spacegraph/upstream"
)

// Options configure a Client.
type Options struct {
	// URL is a redis:// or rediss:// URL.
	URL string
	// Prefix namespaces every key (default "spacegraph:").
	Prefix string
	// Now is the clock (nil: time.Now); keys still expire on Redis's clock.
	Now func() time.Time
	// Logger receives failures that do not stop a request (nil: discarded).
	Logger *slog.Logger
}

// Client is a connection pool to Redis and the factories of the shared pieces.
type Client struct {
	rdb    *redis.Client
	prefix string
	now    func() time.Time
	log    *slog.Logger
	flight *upstream.MemoryFlight
}

// New connects to Redis and checks the connection.
func New(ctx context.Context, o Options) (*Client, error) {
	opt, err := redis.ParseURL(o.URL)
	if err != nil {
		// ParseURL's errors do not repeat the URL, so they hold no password.
		return nil, fmt.Errorf("rediscache: %w", err)
	}
	c := &Client{rdb: redis.NewClient(opt), prefix: o.Prefix, now: o.Now, log: o.Logger, flight: &upstream.MemoryFlight{}}
	if c.prefix == "" {
		c.prefix = "spacegraph:"
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.rdb.Ping(pctx).Err(); err != nil {
		_ = c.rdb.Close()
		return nil, fmt.Errorf("rediscache: %s: %w", redact(o.URL), err)
	}
	return c, nil
}

// redact drops the password of a Redis URL, since errors end up in logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// Close closes the pool.
func (c *Client) Close() error { return c.rdb.Close() }

// Redis returns the underlying client (for tests and tools).
func (c *Client) Redis() *redis.Client { return c.rdb }

// Store is an upstream.Store in Redis: one string key per entry, expiring with it.
type Store struct {
	c      *Client
	prefix string
}

// Store returns a store whose keys start with the client's prefix and then prefix.
func (c *Client) Store(prefix string) *Store { return &Store{c: c, prefix: c.prefix + prefix} }

// Get returns the entry under key.
func (s *Store) Get(ctx context.Context, key string) (upstream.Entry, bool, error) {
	b, err := s.c.rdb.Get(ctx, s.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return upstream.Entry{}, false, nil
	}
	if err != nil {
		return upstream.Entry{}, false, err
	}
	var e upstream.Entry
	if err := e.UnmarshalBinary(b); err != nil {
		return upstream.Entry{}, false, err
	}
	return e, true, nil
}

// Set stores an entry for keep.
func (s *Store) Set(ctx context.Context, key string, e upstream.Entry, keep time.Duration) error {
	b, err := e.MarshalBinary()
	if err != nil {
		return err
	}
	return s.c.rdb.Set(ctx, s.prefix+key, b, max(keep, time.Millisecond)).Err()
}

// Flight is an upstream.Flight across processes: calls are shared in-process first,
// then a Redis lock (SET NX with a lease) lets one process fetch while the others
// wait for the lock to go and find the answer in the shared store.
type Flight struct {
	c     *Client
	lease time.Duration
	poll  time.Duration
}

// Flight returns the cross-process flight.
func (c *Client) Flight() *Flight {
	return &Flight{c: c, lease: 30 * time.Second, poll: 20 * time.Millisecond}
}

// unlock deletes the lock only if it still holds our token, so that a lease that ran
// out and was taken by another process is not released by us.
var unlock = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// Do runs fetch holding the key's lock. fetch must first look in the shared store:
// when another process held the lock, the answer is there by the time we get it.
func (f *Flight) Do(ctx context.Context, key string, fetch func(context.Context) (upstream.Result, error)) (upstream.Result, error) {
	return f.c.flight.Do(ctx, key, func(fctx context.Context) (upstream.Result, error) {
		lock := f.c.prefix + "lock:" + key
		var b [12]byte
		_, _ = rand.Read(b[:])
		token := hex.EncodeToString(b[:])
		t := time.NewTicker(f.poll)
		defer t.Stop()
		// Waiting longer than a lease is pointless: the lock would have expired. The
		// wait has its own deadline; the fetch keeps the whole of fctx's.
		wctx, cancel := context.WithTimeout(fctx, f.lease)
		defer cancel()
		for {
			ok, err := f.c.rdb.SetNX(wctx, lock, token, f.lease).Result()
			if err != nil {
				// Redis is away, or the wait outlived a lease: better one call too
				// many than none at all.
				f.c.log.WarnContext(fctx, "redis lock not taken; fetching without it", "err", err)
				return fetch(fctx)
			}
			if ok {
				defer func() {
					if err := unlock.Run(context.WithoutCancel(fctx), f.c.rdb, []string{lock}, token).Err(); err != nil && !errors.Is(err, redis.Nil) {
						f.c.log.WarnContext(fctx, "redis unlock failed", "err", err)
					}
				}()
				return fetch(fctx)
			}
			select {
			case <-wctx.Done():
				if fctx.Err() != nil {
					return upstream.Result{}, fctx.Err()
				}
				return fetch(fctx)
			case <-t.C:
			}
		}
	})
}
