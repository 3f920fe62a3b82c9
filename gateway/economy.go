package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"spacegraph/catalog"
	"spacegraph/economy"
	"spacegraph/ll2"
	"spacegraph/redis"
	"spacegraph/snapshot"
)

// economyParts is the set of shared pieces under the gateway: the answer cache, the
// in-flight sharing, the budget, the entity cache and the whole-response cache, all in
// memory or all in Redis.
type economyParts struct {
	store     economy.Store
	flight    economy.Flight
	budget    economy.Budget
	entities  catalog.EntityCache
	responses economy.Store
}

const (
	// defaultEntities bounds the in-process entity cache: every entity of LL2's
	// spacecraft domain, at every level, many times over.
	defaultEntities = 200_000
	// prefetchRetry is how soon a failed crawl of replica mode is tried again.
	prefetchRetry = time.Minute
)

func (g *Gateway) buildEconomy(live bool, identity string) (economyParts, error) {
	limit, window := g.cfg.BudgetLimit, g.cfg.BudgetWindow
	if limit == 0 && live {
		limit = AnonymousLimit
	}
	size := g.cfg.CacheBytes
	// The in-process caches: the economy itself without Redis, and with Redis the
	// fallback that answers while Redis is unreachable.
	store, responses := economy.NewMemoryStore(size), economy.NewMemoryStore(size/4)
	entities := catalog.NewMemoryEntityCache(defaultEntities, catalog.EntityTTLsFor(g.cfg.TTLs), g.cfg.MaxStale, g.now)
	g.closers = append(g.closers, store.Close, responses.Close, entities.Close)
	if g.cfg.RedisURL != "" {
		rc, err := redis.New(context.Background(), redis.Options{
			URL: g.cfg.RedisURL, Prefix: g.cfg.RedisPrefix, Namespace: identity,
			Now: g.now, Logger: g.log, Timeout: g.cfg.RedisTimeout,
		})
		if err != nil {
			return economyParts{}, err
		}
		g.redis = rc
		g.cfg.Metrics.RedisFunc(rc.Degraded)
		e := economyParts{
			store:     rc.Store("ll2:", store, g.cfg.MaxStale),
			flight:    rc.Flight(),
			entities:  g.cfg.Metrics.EntityCache(rc.Entities(catalog.EntityTTLsFor(g.cfg.TTLs), g.cfg.MaxStale, entities)),
			responses: rc.Store("resp:", responses, 0),
		}
		share := g.cfg.RedisLocalBudget
		if share < 0 {
			share = 0
		}
		// Even an unlimited budget (the built-in server) is kept: a 429 must still
		// stop every call until LL2's wait is over.
		b, err := rc.Budget(context.Background(), redis.BudgetOptions{Limit: limit, Window: window, Scope: budgetScope(g.cfg.Token), LocalShare: share})
		if err != nil {
			return economyParts{}, err
		}
		b.SetCeiling(g.cfg.BudgetLimit, window)
		e.budget = b
		return e, nil
	}
	e := economyParts{
		store:     store,
		flight:    &economy.MemoryFlight{},
		entities:  g.cfg.Metrics.EntityCache(entities),
		responses: responses,
	}
	b := economy.NewMemoryBudget(limit, window, g.now)
	b.SetCeiling(g.cfg.BudgetLimit, window)
	e.budget = b
	return e, nil
}

// upstreamIdentity names the upstream in every Redis key: a digest of its base URL
// and, for the built-in server, of the snapshot it serves, so that gateways of other
// upstreams sharing a Redis and a prefix (staging and production, two snapshots)
// never serve each other's answers nor spend each other's budget.
func upstreamIdentity(baseURL string, served *snapshot.Data) (string, error) {
	h := sha256.New()
	h.Write([]byte(strings.TrimRight(strings.TrimSpace(baseURL), "/")))
	if served != nil {
		h.Write([]byte{0})
		if err := json.NewEncoder(h).Encode(served); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// budgetScope tells apart, within one upstream, the budgets that LL2 counts apart:
// one per API key (a digest of it, never the key), one for anonymous calls.
func budgetScope(token string) string {
	if token == "" {
		return "anon"
	}
	sum := sha256.Sum256([]byte("spacegraph budget scope\x00" + token))
	return "key-" + hex.EncodeToString(sum[:])[:12]
}

// syncBudget reads LL2's api-throttle/ (free of charge) at start and then regularly,
// so that the budget knows the key's limit and the calls LL2 has counted, including
// those of other clients behind the same key or address. An explicit --budget-limit
// stays a ceiling (the budget enforces it), and an answer that cannot be right (no
// limit, a limit of zero or of millions, no window or one of days) is logged and
// ignored: the budget keeps what it had.
func (g *Gateway) syncBudget(ctx context.Context) {
	every := g.cfg.BudgetSyncEvery
	for {
		t, err := g.Client.Throttle(ctx)
		switch {
		case err != nil:
			g.log.WarnContext(ctx, "api-throttle/ failed", "err", err)
		case len(t) == 0:
			g.log.WarnContext(ctx, "api-throttle/ answered no entry")
			g.budgetChecked(ctx, errors.New("api-throttle/ answered no entry"))
		case g.Transport.Budget() != nil:
			th := t[0]
			err := g.Transport.Budget().Sync(ctx, th.YourRequestLimit, seconds(th.LimitFrequencySecs), th.CurrentUse, seconds(th.NextUseSecs))
			switch {
			case errors.Is(err, economy.ErrImplausibleSync):
				g.log.WarnContext(ctx, "api-throttle/ answer ignored; the budget keeps its limit", "err", err,
					"limit", th.YourRequestLimit, "window_s", th.LimitFrequencySecs, "used", th.CurrentUse, "next_use_s", th.NextUseSecs)
				g.budgetChecked(ctx, err)
			case err != nil:
				g.log.WarnContext(ctx, "budget sync failed", "err", err)
			default:
				g.budgetChecked(ctx, nil)
				g.log.InfoContext(ctx, "budget synced", "limit", th.YourRequestLimit, "window_s", th.LimitFrequencySecs, "used", th.CurrentUse)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// seconds converts a count of seconds from LL2, saturating past MaxSyncWindow so that
// a huge figure cannot overflow into a plausible one.
func seconds(n int) time.Duration {
	if n > int(economy.MaxSyncWindow/time.Second) {
		return economy.MaxSyncWindow + time.Second
	}
	return time.Duration(n) * time.Second
}

// budgetChecked records that LL2's api-throttle/ answered, and why its answer was
// ignored (nil: adopted). Either way the gateway knows its budget: LL2's, or its
// own when LL2's cannot be trusted.
func (g *Gateway) budgetChecked(ctx context.Context, ignored error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.prefetch.budgetChecked = g.now()
	g.prefetch.throttleIgnored = ""
	if ignored != nil {
		g.prefetch.throttleIgnored = ignored.Error()
		return
	}
	g.prefetch.budgetSynced = g.now()
}

// prefetchState is what /readyz says of the replica mode and the budget.
type prefetchState struct {
	at           time.Time
	err          error
	budgetSynced time.Time
	// budgetChecked is when api-throttle/ last answered, trusted or not, and
	// throttleIgnored why its last answer was not trusted.
	budgetChecked   time.Time
	throttleIgnored string
}

// runPrefetch crawls the spacecraft domain at start and on a schedule (replica mode).
func (g *Gateway) runPrefetch(ctx context.Context) {
	every := g.cfg.PrefetchEvery
	for {
		// The interval counts from the start of a crawl, so that crawls are every
		// interval apart, as the freshness of their answers assumes.
		started := time.Now()
		pctx, rep := economy.WithReport(ctx)
		err := g.Catalog.Prefetch(pctx)
		if err == nil {
			g.prefetchFlights(pctx)
		}
		sum := rep.Summary()
		g.mu.Lock()
		if err == nil {
			g.prefetch.at = g.now().Add(-sum.MaxAge)
		}
		g.prefetch.err = err
		g.mu.Unlock()
		wait := every - time.Since(started)
		if err != nil {
			g.log.WarnContext(ctx, "prefetch failed; serving the previous crawl if any", "err", err)
			wait = prefetchRetry
		} else {
			g.log.InfoContext(ctx, "prefetched the spacecraft domain", "calls", sum.Calls, "age_s", int(sum.MaxAge/time.Second))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// prefetchFlights crawls what the flights, docking events and lookup lists need
// (catalog.PrefetchFlights), after the spacecraft domain. It is no condition of
// readiness: a failure leaves those fields to be fetched on demand, as without
// replica mode. At LL2's size it costs about 17 calls (the docking events at 100 a
// call and the five lookup tables) on top of the domain's 12, more than LL2's 15 an
// hour without a key: with such a budget it fails, and the replica still serves the
// domain. A snapshot that holds no docking events (the embedded one) is no failure
// either.
func (g *Gateway) prefetchFlights(ctx context.Context) {
	switch err := g.Catalog.PrefetchFlights(ctx); {
	case err == nil:
	case ll2.KindOf(err) == ll2.KindNotInSnapshot:
		g.log.InfoContext(ctx, "the upstream snapshot holds no docking events; replica mode serves without them")
	default:
		g.log.WarnContext(ctx, "prefetching the docking events and lookup tables failed; they are fetched on demand", "err", err)
	}
}
