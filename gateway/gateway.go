// Package gateway assembles spacegraph: the LL2 upstream (the built-in server over a
// snapshot, or the live API) under the economy layer (shared cache, shared calls, call
// budget; in memory or in Redis), the catalog, the GraphQL server and the HTTP routes,
// with the layers of a request's path between them (reqscope, protect, respcache,
// graphqlhttp; see routes.go). server.go's Main drives it; tests and benchmarks build it
// directly.
package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"spacegraph/catalog"
	"spacegraph/economy"
	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/observe"
	"spacegraph/redis"
	"spacegraph/snapshot"
)

// UpstreamEmbedded selects the built-in LL2 server as the upstream.
const UpstreamEmbedded = "embedded"

// AnonymousLimit is LL2's limit without a key: 15 calls an hour per address.
const AnonymousLimit = 15

// Config configures a Gateway. The zero value serves the embedded snapshot.
type Config struct {
	// Upstream is UpstreamEmbedded (or "") or an LL2 base URL such as ll2.ProductionURL.
	Upstream string
	// Token is an LL2 API key.
	Token string
	// SnapshotDir, with the embedded upstream, serves that snapshot directory instead
	// of the one built into the binary.
	SnapshotDir string
	// Snapshot, when set, is served by the embedded upstream (tests and benchmarks).
	Snapshot *snapshot.Data
	// LL2 tunes the embedded upstream (latency, throttle, faults).
	LL2 ll2server.Options
	// UpstreamTimeout bounds each LL2 call (0: ll2.DefaultTimeout).
	UpstreamTimeout time.Duration
	// UpstreamConcurrency bounds the LL2 calls out at once across all requests (0:
	// economy.DefaultMaxConcurrentCalls).
	UpstreamConcurrency int

	// CacheBytes bounds the in-memory cache of LL2 answers (0:
	// economy.DefaultCacheBytes). The
	// whole-response cache and the LL2 client's decoded answers get a quarter of it each.
	CacheBytes uint64
	// TTLs are the freshness of LL2 answers per endpoint (zero: economy.DefaultTTLs).
	TTLs economy.TTLs
	// MaxStale is how long past its TTL an answer, or an entity, may stand in when
	// LL2 fails (0: economy.DefaultMaxStale).
	MaxStale time.Duration
	// BudgetLimit and BudgetWindow are the calls the gateway may make per window. A
	// BudgetLimit set is a ceiling: LL2's api-throttle/ (read at start and every
	// BudgetSyncEvery) may lower the budget below it, never raise it. Unset, with a
	// live upstream, the budget starts at LL2's anonymous 15 an hour and then follows
	// api-throttle/; with the embedded upstream it is unlimited. An api-throttle/
	// answer that cannot be right is ignored (see economy.CheckSync).
	BudgetLimit     int
	BudgetWindow    time.Duration
	BudgetSyncEvery time.Duration
	// RedisURL, when set, puts the answer cache, the entity cache, the in-flight
	// locks, the budget, the response cache and the automatic persisted queries in
	// Redis, shared by every replica: one server (redis://host:port/db, rediss:// for
	// TLS), Sentinel (redis+sentinel://host:port/db?master_name=NAME) or Cluster
	// (redis+cluster://host:port?addr=host2:port2); see redis.Options.URL.
	// While Redis is unreachable each replica serves from its in-process caches and
	// a local share of the budget, and /readyz says "redis": "degraded".
	RedisURL string
	// RedisPrefix namespaces the keys in Redis (default redis.DefaultPrefix); the
	// upstream's identity follows it in every key.
	RedisPrefix string
	// RedisTimeout bounds each Redis operation (0: redis.DefaultTimeout).
	RedisTimeout time.Duration
	// RedisLocalBudget is the share of the budget's limit each replica may spend per
	// window while Redis is unreachable (0: redis.DefaultLocalShare; negative:
	// none, and calls wait for Redis).
	RedisLocalBudget float64
	// ResponseCacheOff disables the whole-response cache (benchmarks compare both).
	ResponseCacheOff bool
	// GQLGenExecutor runs every operation on gqlgen's executor, without the fast
	// executor (graph.NewFastExecutableSchema) that otherwise answers queries: the
	// reference that the fast one must answer exactly as, in tests and benchmarks.
	GQLGenExecutor bool
	// ResponseCacheMaxBytes bounds one answer the whole-response cache stores (0:
	// respcache.DefaultMaxBytes; negative: no bound); larger answers are served
	// but not stored.
	ResponseCacheMaxBytes int64
	// Prefetch crawls the whole spacecraft domain at start and answers list queries
	// locally, refreshing the crawl every PrefetchEvery (0: DefaultPrefetchEvery).
	Prefetch      bool
	PrefetchEvery time.Duration

	// LoaderWait is the dataloaders' batching window (0: loaders.DefaultWait).
	LoaderWait time.Duration
	// QueryCacheSize is how many parsed and validated documents are kept (0: a
	// thousand).
	QueryCacheSize int
	// Protection is the query limits, the request limits, introspection, persisted
	// documents, CORS and compression (zero: the defaults; see protection.go).
	Protection Protection
	// Now is the clock of caches, budget and catalog (nil: time.Now); benchmarks
	// simulate an hour with it.
	Now func() time.Time
	// Logger receives the gateway's logs (nil: discarded).
	Logger *slog.Logger
	// Metrics, when set, counts what the gateway does and is served at /metrics (nil:
	// no metrics and no /metrics route).
	Metrics *observe.Metrics
	// MetricsPrivate keeps /metrics off Handler, for a process that serves
	// Metrics.Handler() on a listener of its own (not reachable from the internet).
	MetricsPrivate bool
}

// Gateway is an assembled spacegraph.
type Gateway struct {
	// Handler serves every route.
	Handler http.Handler
	// Catalog is the gateway's access to LL2.
	Catalog *catalog.Catalog
	// Client is the LL2 client the catalog uses.
	Client *ll2.Client
	// Transport is the economy layer under the client.
	Transport *economy.Transport
	// LL2 is the built-in upstream, nil when the gateway talks to a live API.
	LL2 *ll2server.Server
	// Snapshot describes the snapshot the built-in upstream serves.
	Snapshot snapshot.Meta
	// Upstream is the base URL of the upstream.
	Upstream string
	// Responses is the whole-response cache's store (nil when off).
	Responses economy.Store

	cfg       Config
	log       *slog.Logger
	now       func() time.Time
	redis     *redis.Client
	closers   []func() error
	closeOnce sync.Once
	closeErr  error
	stop      context.CancelFunc
	wg        sync.WaitGroup
	mu        sync.Mutex
	prefetch  prefetchState
}

// New assembles a gateway and starts its background work (budget sync, prefetch),
// which Close stops.
func New(cfg Config) (*Gateway, error) {
	cfg = cfg.withDefaults()
	g := &Gateway{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	if g.log == nil {
		g.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if g.now == nil {
		g.now = time.Now
	}
	ccfg := ll2.Config{Token: cfg.Token, Timeout: cfg.UpstreamTimeout, Observe: cfg.Metrics.UpstreamCall,
		DecodedBytes: int64(cfg.CacheBytes / 4)}
	var base http.RoundTripper
	live := false
	var served *snapshot.Data
	switch up := strings.TrimSpace(cfg.Upstream); up {
	case "", UpstreamEmbedded:
		data, meta, err := embeddedData(cfg)
		if err != nil {
			return nil, err
		}
		served = &data
		g.Snapshot = meta
		g.LL2 = ll2server.New(ll2server.NewStore(data), cfg.LL2)
		ccfg.BaseURL = ll2server.EmbeddedBaseURL
		base = ll2server.Transport(g.LL2)
	default:
		if cfg.SnapshotDir != "" {
			return nil, errors.New("gateway: a snapshot directory is served by the embedded upstream only")
		}
		ccfg.BaseURL = up
		base = ll2.NewTransport()
		live = true
	}

	// Under the answer cache, so that a span is a call that reached LL2.
	base = observe.TracingTransport(base)

	var identity string
	if cfg.RedisURL != "" {
		var err error
		if identity, err = upstreamIdentity(ccfg.BaseURL, served); err != nil {
			return nil, err
		}
	}
	econ, err := g.buildEconomy(live, identity)
	if err != nil {
		g.Close()
		return nil, err
	}
	g.Transport = economy.NewTransport(economy.Options{
		Base: base, Store: econ.store, Flight: econ.flight, Budget: econ.budget,
		TTLs: cfg.TTLs, MaxStale: cfg.MaxStale, Now: g.now, Logger: g.log,
		Observe: cfg.Metrics.UpstreamEvent, MaxConcurrentCalls: cfg.UpstreamConcurrency,
	})
	ccfg.Transport = g.Transport
	cfg.Metrics.BudgetFunc(observe.BudgetOf(g.Transport.Budget(), g.now))
	client, err := ll2.New(ccfg)
	if err != nil {
		g.Close()
		return nil, err
	}
	g.Client = client
	g.Upstream = client.BaseURL()
	g.Catalog = catalog.New(catalog.Options{Client: client, Entities: econ.entities, Now: g.now, PrefetchTTL: cfg.PrefetchEvery})
	if !cfg.ResponseCacheOff {
		g.Responses = econ.responses
	}

	ctx, stop := context.WithCancel(context.Background())
	g.stop = stop
	if live {
		g.background(func() { g.syncBudget(ctx) })
	}
	if cfg.Prefetch {
		g.background(func() { g.runPrefetch(ctx) })
	}

	g.Handler = g.handler(g.routes(g.graphQLServer(nil)))
	return g, nil
}

func (g *Gateway) background(f func()) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		f()
	}()
}

// Close stops the background work and the caches' goroutines and releases Redis. It
// may be called more than once.
func (g *Gateway) Close() error {
	g.closeOnce.Do(func() { g.closeErr = g.close() })
	return g.closeErr
}

func (g *Gateway) close() error {
	if g.stop != nil {
		g.stop()
	}
	g.wg.Wait()
	var errs []error
	if g.Transport != nil {
		// First: its background refreshes write to the caches closed below.
		errs = append(errs, g.Transport.Close())
	}
	for _, c := range g.closers {
		errs = append(errs, c())
	}
	if g.redis != nil {
		errs = append(errs, g.redis.Close())
	}
	return errors.Join(errs...)
}

func embeddedData(cfg Config) (snapshot.Data, snapshot.Meta, error) {
	switch {
	case cfg.Snapshot != nil:
		return *cfg.Snapshot, snapshot.Meta{Source: "given in the configuration"}, nil
	case cfg.SnapshotDir != "":
		return snapshot.LoadDir(cfg.SnapshotDir)
	}
	return snapshot.Embedded()
}
