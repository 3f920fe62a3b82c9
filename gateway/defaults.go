package gateway

import (
	"strings"
	"time"

	"spacegraph/economy"
	"spacegraph/ll2"
	"spacegraph/loaders"
	"spacegraph/redis"
	"spacegraph/respcache"
)

// Defaults of the gateway's own settings. The protection knobs' are in protection.go;
// the others belong to the packages whose settings they are (ll2, economy, redis,
// respcache, loaders). Defaults gathers them all.
const (
	// DefaultBudgetWindow is LL2's: its limits count calls per hour.
	DefaultBudgetWindow = time.Hour
	// DefaultPrefetchEvery is how often replica mode crawls again: as often as the
	// budget window renews, at about a dozen calls a crawl.
	DefaultPrefetchEvery = time.Hour
	// defaultBudgetSyncEvery is how often LL2's api-throttle/ (free) is read.
	defaultBudgetSyncEvery = 5 * time.Minute
	// defaultQueryCacheSize is how many parsed and validated documents are kept.
	defaultQueryCacheSize = 1000
)

// Defaults returns what the zero Config stands for: every setting that has a default
// set to it. The command's flags show these as their defaults, so that a setting left
// out of the command line and one left out of a Config built in code mean the same.
func Defaults() Config { return Config{}.withDefaults() }

// withDefaults returns c with each setting left unset set to its default; a setting
// whose doc says that a negative value means "none" keeps its negative value.
func (c Config) withDefaults() Config {
	if strings.TrimSpace(c.Upstream) == "" {
		c.Upstream = UpstreamEmbedded
	}
	if c.UpstreamTimeout <= 0 {
		c.UpstreamTimeout = ll2.DefaultTimeout
	}
	if c.UpstreamConcurrency <= 0 {
		c.UpstreamConcurrency = economy.DefaultMaxConcurrentCalls
	}
	if c.CacheBytes == 0 {
		c.CacheBytes = economy.DefaultCacheBytes
	}
	c.TTLs = c.TTLs.OrDefault()
	if c.MaxStale <= 0 {
		c.MaxStale = economy.DefaultMaxStale
	}
	if c.BudgetWindow <= 0 {
		c.BudgetWindow = DefaultBudgetWindow
	}
	if c.BudgetSyncEvery <= 0 {
		c.BudgetSyncEvery = defaultBudgetSyncEvery
	}
	if c.RedisPrefix == "" {
		c.RedisPrefix = redis.DefaultPrefix
	}
	if c.RedisTimeout <= 0 {
		c.RedisTimeout = redis.DefaultTimeout
	}
	if c.RedisLocalBudget == 0 {
		c.RedisLocalBudget = redis.DefaultLocalShare
	}
	if c.ResponseCacheMaxBytes == 0 {
		c.ResponseCacheMaxBytes = respcache.DefaultMaxBytes
	}
	if c.PrefetchEvery <= 0 {
		c.PrefetchEvery = DefaultPrefetchEvery
	}
	if c.LoaderWait <= 0 {
		c.LoaderWait = loaders.DefaultWait
	}
	if c.QueryCacheSize <= 0 {
		c.QueryCacheSize = defaultQueryCacheSize
	}
	c.Protection = c.Protection.withDefaults()
	return c
}
