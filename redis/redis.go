// Package redis puts the gateway's economy in Redis, so that N replicas behave as
// one towards LL2: the answer cache (economy.Store), the in-flight locks
// (economy.Flight), the call budget (economy.Budget), the entity cache
// (catalog.EntityCache), the whole-response cache and the documents of automatic
// persisted queries all live in one Redis: one server (with or without TLS), a
// Sentinel-managed one, or a Redis Cluster.
//
// Keys are the prefix, the namespace (the upstream's identity), then the piece's own
// key: PREFIX NS:ll2:…, NS:resp:…, NS:entity:KIND:ID, NS:lock:…, NS:apq:HASH, and
// the budget's three keys NS:budget:{NS/SCOPE}:calls|blocked|config, whose common
// hash tag lets its scripts run on a cluster. Every other operation touches one key.
//
// Redis is a cache and a meeting point, not a dependency a request may wait on: each
// operation has a short deadline of its own, and a circuit breaker turns an outage
// into immediate misses (see health). Meanwhile each piece falls back to its
// in-process counterpart: the stores, the entity cache and the persisted queries to
// the local caches they were given (which keep a copy of what passes through them),
// the locks to in-process sharing, and the budget to a local share of its limit. A
// probe brings Redis back into use when it answers again.
package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bsm/redislock"
	goredis "github.com/redis/go-redis/v9"

	"spacegraph/economy"
)

// Options configure a Client.
type Options struct {
	// URL names the Redis deployment: redis://host:port/db or rediss:// (TLS) for one
	// server; redis+sentinel:// or rediss+sentinel://host:port/db?master_name=NAME
	// (more sentinels with &addr=host:port) for Sentinel; redis+cluster:// or
	// rediss+cluster://host:port (more seeds with ?addr=host:port) for Redis Cluster.
	// go-redis's query parameters (dial_timeout, pool_size, …) apply to each form.
	URL string
	// Prefix namespaces every key (default DefaultPrefix).
	Prefix string
	// Namespace, when set, follows the prefix in every key: the identity of the
	// upstream whose answers and budget the keys hold, so that deployments of other
	// upstreams (another base URL, another snapshot) on the same prefix neither
	// serve their answers to each other nor spend each other's budget.
	Namespace string
	// Now is the clock of cached entries (nil: time.Now); the budget counts on
	// Redis's clock, and keys expire on it.
	Now func() time.Time
	// Logger receives failures that do not stop a request, and Redis's going and
	// coming back, once each (nil: discarded).
	Logger *slog.Logger
	// Timeout bounds each Redis operation, dial and retries included (0:
	// DefaultTimeout); go-redis's own timeouts default to it too.
	Timeout time.Duration
	// ProbeEvery is the interval of the health probe (0: DefaultProbeEvery).
	ProbeEvery time.Duration
	// OnHealth, when set, is told of each change between reachable and unreachable.
	OnHealth func(degraded bool)
}

// DefaultPrefix is the key prefix of a deployment that names none.
const DefaultPrefix = "spacegraph:"

// Client is a connection pool to Redis (one server, Sentinel or Cluster) and the
// factories of the shared pieces. While Redis is unreachable each piece falls back to
// the in-process one it was given; see health.
type Client struct {
	rdb    goredis.UniversalClient
	prefix string
	ns     string
	now    func() time.Time
	log    *slog.Logger
	flight *economy.MemoryFlight
	health *health
	stop   context.CancelFunc
	done   chan struct{}
	// skew shifts Redis's clock as the budget reads it, in milliseconds: tests move
	// time forward with it. It is always zero outside tests.
	skew atomic.Int64
}

// New makes a client of the Redis that o.URL names. Only a malformed URL is an
// error: an unreachable Redis starts the client degraded (see health), since a
// replica that cannot start while Redis is away would turn a cache outage into a
// full outage.
func New(ctx context.Context, o Options) (*Client, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.ProbeEvery <= 0 {
		o.ProbeEvery = DefaultProbeEvery
	}
	rdb, err := universal(o.URL, o.Timeout)
	if err != nil {
		return nil, err
	}
	quietGoRedis()
	c := &Client{rdb: rdb, prefix: o.Prefix, now: o.Now, log: o.Logger, flight: &economy.MemoryFlight{}, done: make(chan struct{})}
	if c.prefix == "" {
		c.prefix = DefaultPrefix
	}
	if o.Namespace != "" {
		c.ns = o.Namespace
		c.prefix += o.Namespace + ":"
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c.log = c.log.With("redis", redact(o.URL))
	c.health = newHealth(o.Timeout, o.ProbeEvery, c.log, o.OnHealth)
	rdb.AddHook(c.health)
	// The first probe now, so that a Redis that is away is known before the first
	// request rather than learnt from it.
	_ = rdb.Ping(context.WithValue(ctx, probeKey{}, true)).Err()
	pctx, stop := context.WithCancel(context.Background())
	c.stop = stop
	go func() {
		defer close(c.done)
		c.probe(pctx, o.ProbeEvery)
	}()
	return c, nil
}

// universal makes the go-redis client of a URL in one of the forms Options.URL
// lists, with timeout as the default of each of go-redis's timeouts and one retry
// at most, so that no operation outlives a fraction of a second.
func universal(raw string, timeout time.Duration) (goredis.UniversalClient, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's errors repeat the URL, and so its password.
		return nil, errors.New("redis: malformed Redis URL")
	}
	scheme, form, _ := strings.Cut(u.Scheme, "+")
	if scheme != "redis" && scheme != "rediss" {
		return nil, fmt.Errorf("redis: Redis URL scheme %q: want redis, rediss, redis+sentinel, rediss+sentinel, redis+cluster or rediss+cluster", u.Scheme)
	}
	u.Scheme = scheme
	bound := func(d *time.Duration) {
		if *d == 0 {
			*d = timeout
		}
	}
	retries := func(n *int) {
		if *n == 0 {
			*n = 1
		}
	}
	// The errors of go-redis's parsers name a parameter, never the URL.
	switch form {
	case "":
		opt, err := goredis.ParseURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("redis: %w (several addresses are redis+cluster:// or redis+sentinel://)", err)
		}
		bound(&opt.DialTimeout)
		bound(&opt.ReadTimeout)
		bound(&opt.WriteTimeout)
		bound(&opt.PoolTimeout)
		retries(&opt.MaxRetries)
		retries(&opt.DialerRetries)
		opt.ContextTimeoutEnabled = true
		return goredis.NewClient(opt), nil
	case "sentinel":
		opt, err := goredis.ParseFailoverURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		if opt.MasterName == "" {
			return nil, errors.New("redis: a redis+sentinel:// URL needs ?master_name=NAME")
		}
		bound(&opt.DialTimeout)
		bound(&opt.ReadTimeout)
		bound(&opt.WriteTimeout)
		bound(&opt.PoolTimeout)
		retries(&opt.MaxRetries)
		retries(&opt.DialerRetries)
		opt.ContextTimeoutEnabled = true
		return goredis.NewFailoverClient(opt), nil
	case "cluster":
		if u.Path != "" && u.Path != "/" && u.Path != "/0" {
			return nil, errors.New("redis: Redis Cluster has database 0 only")
		}
		u.Path = ""
		opt, err := goredis.ParseClusterURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		bound(&opt.DialTimeout)
		bound(&opt.ReadTimeout)
		bound(&opt.WriteTimeout)
		bound(&opt.PoolTimeout)
		retries(&opt.MaxRetries)
		retries(&opt.DialerRetries)
		opt.ContextTimeoutEnabled = true
		return goredis.NewClusterClient(opt), nil
	}
	return nil, fmt.Errorf("redis: Redis URL scheme %q: want redis, rediss, redis+sentinel, rediss+sentinel, redis+cluster or rediss+cluster", u.Scheme+"+"+form)
}

// redact drops the password of a Redis URL, since errors end up in logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(malformed URL)"
	}
	if u.User == nil {
		return raw
	}
	return u.Redacted()
}

// Close stops the health probe and closes the pool.
func (c *Client) Close() error {
	c.stop()
	<-c.done
	return c.rdb.Close()
}

// Degraded reports whether the client holds Redis for unreachable now, and so serves
// from the in-process fallbacks.
func (c *Client) Degraded() bool { return c.health.degraded.Load() }

// Redis returns the underlying client (for tests and tools).
func (c *Client) Redis() goredis.UniversalClient { return c.rdb }

// Store is an economy.Store in Redis: one string key per entry, expiring with it.
// Every entry it writes or reads is also kept in a local store, if it has one, which
// answers while Redis is unreachable and when Redis has lost an entry.
type Store struct {
	c      *Client
	prefix string
	local  economy.Store
	stale  time.Duration
}

// Store returns a store whose keys start with the client's prefix and then prefix.
// local, when not nil, is the in-process fallback; an entry read from Redis is kept
// there for the rest of its freshness and then stale more.
func (c *Client) Store(prefix string, local economy.Store, stale time.Duration) *Store {
	return &Store{c: c, prefix: c.prefix + prefix, local: local, stale: stale}
}

// Get returns the entry under key: Redis's, else the local store's.
func (s *Store) Get(ctx context.Context, key string) (economy.Entry, bool, error) {
	b, err := s.c.rdb.Get(ctx, s.prefix+key).Bytes()
	if errors.Is(err, goredis.Nil) || unreachable(err) {
		return s.localGet(ctx, key)
	}
	if err != nil {
		return economy.Entry{}, false, err
	}
	var e economy.Entry
	if err := e.UnmarshalBinary(b); err != nil {
		return economy.Entry{}, false, err
	}
	if keep := e.Remaining(s.c.now()) + s.stale; s.local != nil && keep > 0 {
		_ = s.local.Set(ctx, key, e, keep)
	}
	return e, true, nil
}

func (s *Store) localGet(ctx context.Context, key string) (economy.Entry, bool, error) {
	if s.local == nil {
		return economy.Entry{}, false, nil
	}
	return s.local.Get(ctx, key)
}

// Set stores an entry for keep, in Redis and in the local store. Redis's being
// unreachable is not an error when the local store has the entry.
func (s *Store) Set(ctx context.Context, key string, e economy.Entry, keep time.Duration) error {
	if s.local != nil {
		_ = s.local.Set(ctx, key, e, keep)
	}
	b, err := e.MarshalBinary()
	if err != nil {
		return err
	}
	err = s.c.rdb.Set(ctx, s.prefix+key, b, max(keep, time.Millisecond)).Err()
	if s.local != nil && unreachable(err) {
		return nil
	}
	return err
}

// Flight is an economy.Flight across processes: calls are shared in-process first,
// then a Redis lock (bsm/redislock: SET NX with a lease, released only by the holder
// of its token) lets one process fetch while the others wait for the lock to go and
// find the answer in the shared store.
type Flight struct {
	c     *Client
	locks *redislock.Client
	lease time.Duration
	poll  time.Duration
}

// Flight returns the cross-process flight.
func (c *Client) Flight() *Flight {
	return &Flight{c: c, locks: redislock.New(c.rdb), lease: 30 * time.Second, poll: 20 * time.Millisecond}
}

// Do runs fetch holding the key's lock. fetch must first look in the shared store:
// when another process held the lock, the answer is there by the time we get it.
// Without the lock (Redis away, or a wait that outlived a lease) fetch runs anyway:
// better one call too many than none at all.
func (f *Flight) Do(ctx context.Context, key string, fetch func(context.Context) (economy.Result, error)) (economy.Result, error) {
	return f.c.flight.Do(ctx, key, func(fctx context.Context) (economy.Result, error) {
		// While Redis is held unreachable no lock is tried; the outage is logged
		// once, by health, not here for each fetch.
		if f.c.Degraded() {
			return fetch(fctx)
		}
		// Waiting longer than a lease is pointless: the lock would have expired. The
		// wait has its own deadline; the fetch keeps the whole of fctx's.
		wctx, cancel := context.WithTimeout(fctx, f.lease)
		defer cancel()
		lock, err := f.locks.Obtain(wctx, f.c.prefix+"lock:"+key, f.lease, &redislock.Options{RetryStrategy: redislock.LinearBackoff(f.poll)})
		switch {
		case err == nil:
			defer func() {
				// A lease that ran out may now be another process's lock: Release
				// leaves it alone (ErrLockNotHeld).
				if err := lock.Release(context.WithoutCancel(fctx)); err != nil && !errors.Is(err, redislock.ErrLockNotHeld) && !errors.Is(err, ErrUnavailable) {
					f.c.log.WarnContext(fctx, "redis unlock failed", "err", err)
				}
			}()
		case fctx.Err() != nil:
			return economy.Result{}, fctx.Err()
		case wctx.Err() != nil, errors.Is(err, ErrUnavailable):
		default:
			f.c.log.WarnContext(fctx, "redis lock not taken; fetching without it", "err", err)
		}
		return fetch(fctx)
	})
}
