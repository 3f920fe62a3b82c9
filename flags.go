package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"spacegraph/economy"
	"spacegraph/gateway"
	"spacegraph/internal/envflag"
	"spacegraph/redis"
	"spacegraph/respcache"
)

// economyFlags registers the flags of the upstream economy (caches, budget, Redis,
// replica mode), each with its SPACEGRAPH_ variable as the default, and returns the
// function that copies them into a Config once the flags are parsed. A malformed
// variable is reported by that function rather than ignored, so that a typo in a
// deployment's environment stops the process instead of silently running with the
// anonymous defaults.
func economyFlags(fs *flag.FlagSet) func(*gateway.Config) error {
	var (
		cfg   gateway.Config
		ttls  = economy.DefaultTTLs()
		cache = true
		auto  = true
	)
	flags := envflag.New(fs, os.LookupEnv)
	define := func(name, def, usage string, boolean bool, set func(string) error) {
		// The Redis URL may hold a password.
		flags.Define(name, def, usage, envflag.Options{Bool: boolean, Secret: name == "redis"}, set)
	}
	duration := func(name string, v *time.Duration, def time.Duration, usage string) {
		*v = def
		define(name, def.String(), usage, false, func(s string) error {
			d, err := time.ParseDuration(s)
			// Zero would silently mean the default further down (a max-stale of 0
			// would be 7 days), so it is refused rather than misread.
			if err == nil && d <= 0 {
				err = fmt.Errorf("want a positive duration")
			}
			*v = d
			return err
		})
	}

	define("redis", "", "a Redis `URL` shared by replicas: the answer cache, entity cache, response cache, in-flight locks and call budget live there. One server: redis://host:6379/0 (rediss:// for TLS); Sentinel: redis+sentinel://host:26379/0?master_name=NAME&addr=host2:26379; Cluster: redis+cluster://host:6379?addr=host2:6379", false, func(s string) error {
		cfg.RedisURL = s
		return nil
	})
	duration("redis-timeout", &cfg.RedisTimeout, redis.DefaultTimeout, "bound of each Redis operation (`duration`); past it, or when Redis refuses, the replica serves from its in-process caches until Redis answers again")
	cfg.RedisLocalBudget = redis.DefaultLocalShare
	define("redis-local-budget", strconv.FormatFloat(redis.DefaultLocalShare, 'f', -1, 64), "share (`fraction` 0..1) of the budget's limit each replica may spend per window while Redis is unreachable; with N replicas, 1/N or less keeps them together within the limit; 0: no LL2 call until Redis is back", false, func(s string) error {
		f, err := strconv.ParseFloat(s, 64)
		if err == nil && (f < 0 || f > 1 || math.IsNaN(f)) {
			err = fmt.Errorf("want a fraction between 0 and 1")
		}
		cfg.RedisLocalBudget = f
		if f == 0 {
			cfg.RedisLocalBudget = -1 // none, as gateway.Config says it
		}
		return err
	})
	cfg.RedisPrefix = "spacegraph:"
	define("redis-prefix", cfg.RedisPrefix, "key `prefix` in Redis, so that several deployments can share one server", false, func(s string) error {
		cfg.RedisPrefix = s
		return nil
	})
	define("prefetch", "auto", "replica mode: crawl the whole spacecraft domain at start (about a dozen calls) and answer list queries locally: true, false, or auto (on for a live LL2 without a key and a budget of at most "+strconv.Itoa(autoPrefetchBudget)+" calls)", true, func(s string) error {
		if s == "auto" {
			auto = true
			return nil
		}
		on, err := strconv.ParseBool(s)
		cfg.Prefetch, auto = on, false
		return err
	})
	duration("prefetch-every", &cfg.PrefetchEvery, time.Hour, "how often replica mode refreshes its crawl (`duration`)")
	cfg.CacheBytes = 256 << 20
	define("cache-bytes", "256MiB", "memory bound of the in-process cache of LL2 answers (`size`: bytes, or with KiB, MiB, GiB); the response cache and the decoded answers get a quarter each on top", false, func(s string) error {
		n, err := parseSize(s)
		cfg.CacheBytes = n
		return err
	})
	ttlSet := false
	define("cache-ttl", "", "freshness per LL2 endpoint, overriding the defaults (spacecraft/=1h, 6h for configurations, agencies and families, config/=24h, default=1h): `list` of prefix=duration, comma-separated", false, func(s string) error {
		// Given again (the flag after the variable), it replaces rather than adds to
		// the earlier value, as every other flag does.
		if ttlSet {
			ttls = economy.DefaultTTLs()
		}
		ttlSet = true
		return parseTTLs(s, &ttls)
	})
	duration("max-stale", &cfg.MaxStale, 7*24*time.Hour, "how long past its freshness an LL2 answer may stand in when LL2 fails or the budget is spent (`duration`)")
	define("budget-limit", "", "most LL2 calls per budget window (`n`), a ceiling LL2's api-throttle/ may lower but never raise; default: LL2's anonymous 15, then the limit api-throttle/ gives; no limit for the embedded upstream", false, func(s string) error {
		n, err := strconv.Atoi(s)
		if err == nil && n < 0 {
			err = fmt.Errorf("negative limit")
		}
		cfg.BudgetLimit = n
		return err
	})
	duration("budget-window", &cfg.BudgetWindow, time.Hour, "the budget's window (`duration`)")
	duration("upstream-timeout", &cfg.UpstreamTimeout, 20*time.Second, "deadline of each LL2 call (`duration`)")
	cfg.UpstreamConcurrency = economy.DefaultMaxConcurrentCalls
	define("upstream-concurrency", strconv.Itoa(cfg.UpstreamConcurrency), "at most `n` LL2 calls out at once, across all requests", false, func(s string) error {
		n, err := strconv.Atoi(s)
		if err == nil && n < 1 {
			err = fmt.Errorf("want at least 1")
		}
		cfg.UpstreamConcurrency = n
		return err
	})
	define("response-cache", "true", "serve repeated identical operations from the whole-response cache", true, func(s string) error {
		on, err := strconv.ParseBool(s)
		cache = on
		return err
	})

	define("response-cache-max-bytes", strconv.Itoa(respcache.DefaultMaxBytes>>10)+"KiB", "the largest answer the whole-response cache stores (`size`: bytes, or with KiB, MiB, GiB); larger answers are served, not stored", false, func(s string) error {
		n, err := parseSize(s)
		if err == nil && n > 1<<40 {
			err = fmt.Errorf("too large")
		}
		cfg.ResponseCacheMaxBytes = int64(n)
		return err
	})

	return func(c *gateway.Config) error {
		if err := flags.Err(); err != nil {
			return err
		}
		c.RedisURL, c.RedisPrefix = cfg.RedisURL, cfg.RedisPrefix
		c.RedisTimeout, c.RedisLocalBudget = cfg.RedisTimeout, cfg.RedisLocalBudget
		c.Prefetch, c.PrefetchEvery = cfg.Prefetch, cfg.PrefetchEvery
		if auto {
			c.Prefetch = autoPrefetch(c.Upstream, c.Token, cfg.BudgetLimit)
		}
		c.CacheBytes, c.MaxStale, c.TTLs = cfg.CacheBytes, cfg.MaxStale, ttls
		c.BudgetLimit, c.BudgetWindow = cfg.BudgetLimit, cfg.BudgetWindow
		c.UpstreamTimeout, c.UpstreamConcurrency = cfg.UpstreamTimeout, cfg.UpstreamConcurrency
		c.ResponseCacheOff = !cache
		c.ResponseCacheMaxBytes = cfg.ResponseCacheMaxBytes
		return nil
	}
}

// autoPrefetchBudget is the largest budget under which --prefetch=auto turns replica
// mode on. Under it, answering each distinct query with calls of its own runs dry
// within minutes of traffic, while a crawl of the whole domain (about a dozen calls an
// hour) answers every query; over it (a key's budget) on-demand calls are affordable
// and fresher.
const autoPrefetchBudget = 60

// autoPrefetch decides replica mode for --prefetch=auto: on for a live LL2 without a
// key (LL2's anonymous 15 calls an hour) unless the budget was raised past
// autoPrefetchBudget. The embedded upstream has no budget to save.
func autoPrefetch(upstreamURL, token string, budgetLimit int) bool {
	if u := strings.TrimSpace(upstreamURL); u == "" || u == gateway.UpstreamEmbedded {
		return false
	}
	if token != "" {
		return budgetLimit > 0 && budgetLimit <= autoPrefetchBudget
	}
	return budgetLimit <= autoPrefetchBudget
}

// parseSize reads a byte count, plain or with a binary unit, because cache bounds are
// naturally written in MiB and a bare 268435456 invites mistakes.
func parseSize(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	mult := uint64(1)
	for _, u := range []struct {
		suffix string
		mult   uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("want a byte count such as 268435456 or 256MiB")
	}
	if n == 0 {
		return 0, fmt.Errorf("the cache needs at least one byte")
	}
	if n > (1<<64-1)/mult {
		return 0, fmt.Errorf("too large")
	}
	return n * mult, nil
}

// parseTTLs applies "spacecraft/=30m,default=2h" onto t. Only the endpoints of the
// spacecraft domain are accepted as prefixes, so that a misspelt one is an error
// rather than a rule that never matches.
func parseTTLs(s string, t *economy.TTLs) error {
	known := economy.DefaultTTLs().ByPrefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		prefix, value, ok := strings.Cut(part, "=")
		if !ok {
			return fmt.Errorf("%q: want prefix=duration", part)
		}
		d, err := time.ParseDuration(strings.TrimSpace(value))
		if err != nil || d <= 0 {
			return fmt.Errorf("%q: want a positive duration", part)
		}
		prefix = strings.TrimSpace(prefix)
		if prefix == "default" {
			t.Default = d
			continue
		}
		if !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		if _, ok := known[prefix]; !ok {
			names := make([]string, 0, len(known))
			for k := range known {
				names = append(names, k)
			}
			sort.Strings(names)
			return fmt.Errorf("unknown endpoint %q: want one of %s or default", prefix, strings.Join(names, ", "))
		}
		if t.ByPrefix == nil {
			t.ByPrefix = map[string]time.Duration{}
		}
		t.ByPrefix[prefix] = d
	}
	return nil
}
