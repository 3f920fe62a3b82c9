package main

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"spacegraph/economy"
	"spacegraph/gateway"
	"spacegraph/graphqlhttp"
	"spacegraph/internal/envflag"
	"spacegraph/ll2"
	"spacegraph/protect"
)

// This file is every flag of the three commands, each with its SPACEGRAPH_ variable
// twin (internal/envflag). The gateway's flags take their defaults from
// gateway.Defaults, so that the usage text, the configuration tables of
// docs/configuration.md (made from these flags by TestConfigurationTables) and a zero
// gateway.Config say the same.

// Defaults of the process's own settings, which the gateway does not know of.
const (
	defaultAddr      = ":8080"
	defaultLL2Addr   = ":8081"
	defaultLogFormat = "text"
	// defaultThrottleWindow is the built-in LL2 server's throttle window when it
	// throttles: LL2's own.
	defaultThrottleWindow = time.Hour
)

// serveSettings is what the gateway's flags set: the process's own settings and the
// gateway's Config.
type serveSettings struct {
	addr, logFormat, metricsAddr, otlpEndpoint string
	gateway                                    gateway.Config
}

// serveFlags defines the flags of `spacegraph` (serving the gateway) on fs, their
// variable twins read through lookup, and returns them with the function that gives,
// once fs is parsed, the settings they make (the trusted-documents manifest loaded),
// or the first bad value. A malformed variable is reported then rather than ignored,
// so that a typo in a deployment's environment stops the process instead of silently
// running with the defaults.
func serveFlags(fs *flag.FlagSet, lookup func(string) (string, bool)) (*envflag.Set, func() (serveSettings, error)) {
	s := serveSettings{addr: defaultAddr, logFormat: defaultLogFormat, gateway: gateway.Defaults()}
	c, p := &s.gateway, &s.gateway.Protection
	set := envflag.New(fs, lookup)
	f := flagSet{Set: set}
	f.text("addr", &s.addr, "listen `address`")
	f.text("upstream", &c.Upstream, `"embedded" (the built-in LL2 server over the snapshot) or an LL2 base `+"`URL`"+` such as `+ll2.ProductionURL)
	f.secret("ll2-token", &c.Token, "LL2 API `key`, sent as Authorization: Token KEY")
	f.text("snapshot", &c.SnapshotDir, "serve this snapshot `directory` instead of the embedded one")
	f.define("log-format", s.logFormat, "log `format`: text or json", false, func(v string) error {
		if v != "text" && v != "json" {
			return errors.New("want text or json")
		}
		s.logFormat = v
		return nil
	})

	f.integer("max-depth", &p.MaxDepth, "at most `n` levels of field nesting in a query ({ a { b } } is 2); -1 for none", nil)
	f.integer("max-complexity", &p.MaxComplexity, "at most `n` of estimated cost in a query: a field costs 1 plus its selection, a connection its page size (first/last, default 10) times its selection, nodes(ids:) the number of ids times its selection; -1 for none", nil)
	f.integer("max-aliases", &p.MaxAliases, "at most `n` aliased fields in a query (fragments counted where spread); -1 for none", nil)
	f.integer("max-root-fields", &p.MaxRootFields, "at most `n` fields at the top of a query; -1 for none", nil)
	f.integer("max-tokens", &p.MaxTokens, "at most `n` tokens in a query document, comments included (the parser stops there); -1 for none", nil)
	f.integer("max-upstream-calls", &p.MaxUpstreamCalls, "at most `n` LL2 calls for one request: a query that can need more (counted before it runs, as on cold caches) is refused with QUERY_TOO_COMPLEX, and a field that would still go past it while the query runs gets a QUERY_TOO_COMPLEX error instead of a call (answers from the caches do not count); -1 for none", nil)
	f.integer("max-document-bytes", &p.MaxDocumentBytes, "at most `n` bytes in a query document, whitespace and comments included (refused with QUERY_TOO_COMPLEX, extensions.limit documentBytes); -1 for none", nil)
	f.define("max-body-bytes", strconv.FormatInt(p.MaxBodyBytes, 10), "at most `n` bytes in a request body (413) and a GET query string (414); -1 for none", false, func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		p.MaxBodyBytes = n
		return err
	})
	f.integer("max-response-bytes", &p.MaxResponseBytes, "at most `n` bytes in one answer's data: a larger one is dropped whole for a RESPONSE_TOO_LARGE error (data null), and never cached; -1 for none", nil)
	f.duration("request-timeout", &p.RequestTimeout, "the `duration` a whole GraphQL request may take: LL2 calls still pending then fail with UPSTREAM_TIMEOUT and the rest is answered; an answer still not ready "+formatDuration(protect.DeadlineGrace)+" later is a 504 with UPSTREAM_TIMEOUT", nil)
	f.onOff("introspection", &p.IntrospectionOff, "answer introspection queries (__schema, __type) and suggest field names in errors; off, they are refused and validation errors make no \"Did you mean\" suggestions")
	f.define("cors-origins", strings.Join(p.CORSOrigins, ","), "the `origins` (comma-separated) browsers may call /graphql from: * for any, patterns such as https://*.example.com, empty for none", false, func(v string) error {
		p.CORSOrigins = []string{}
		for o := range strings.SplitSeq(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				p.CORSOrigins = append(p.CORSOrigins, o)
			}
		}
		return nil
	})
	f.duration("cors-max-age", &p.CORSMaxAge, "the `duration` browsers may cache a CORS preflight answer (Access-Control-Max-Age)", nil)
	var trusted string
	f.text("trusted-documents", &trusted, "run only the documents of this manifest `file` (Apollo's persisted-query manifest, {\"format\": \"apollo-persisted-query-manifest\", \"version\": 1, \"operations\": [{\"id\", \"name\", \"type\", \"body\"}]}, or {\"id\": \"document\"}), by id (extensions.persistedQuery.sha256Hash) or by their exact text; anything else is a 400 with PERSISTED_QUERY_NOT_FOUND, and automatic persisted queries are off")
	f.onOff("gzip", &p.GzipOff, "compress answers of 1 KiB or more with gzip for clients that accept it (ETags are weak, so that one tag, and its 304, names the answer in either encoding)")

	// The Redis URL may hold a password.
	f.secret("redis", &c.RedisURL, "a Redis `URL` shared by replicas: the answer cache, entity cache, response cache, automatic persisted queries, in-flight locks and call budget live there (without it, in the process). One server: redis://host:6379/0 (rediss:// for TLS); Sentinel: redis+sentinel://host:26379/0?master_name=NAME&addr=host2:26379; Cluster: redis+cluster://host:6379?addr=host2:6379")
	f.text("redis-prefix", &c.RedisPrefix, "key `prefix` in Redis, so that several deployments can share one server; the upstream's identity follows it in every key")
	f.duration("redis-timeout", &c.RedisTimeout, "bound of each Redis operation (`duration`); past it, or when Redis refuses, the replica serves from its in-process caches until a probe finds Redis again", positive)
	f.define("redis-local-budget", strconv.FormatFloat(c.RedisLocalBudget, 'f', -1, 64), "share (`fraction` 0..1) of the budget's limit each replica may spend per window while Redis is unreachable; with N replicas, 1/N or less keeps them together within the limit; 0: no LL2 call until Redis is back", false, func(v string) error {
		share, err := strconv.ParseFloat(v, 64)
		if err == nil && (share < 0 || share > 1 || math.IsNaN(share)) {
			err = errors.New("want a fraction between 0 and 1")
		}
		c.RedisLocalBudget = share
		if share == 0 {
			c.RedisLocalBudget = -1 // none, as gateway.Config says it
		}
		return err
	})
	auto := true
	f.define("prefetch", "auto", "replica mode: crawl the whole spacecraft domain at start (about a dozen calls), answer every query locally, and crawl again every --prefetch-every: true, false, or auto (on for a live LL2 without a key and a budget of at most "+strconv.Itoa(autoPrefetchBudget)+" calls, where calls per query would run dry within minutes)", true, func(v string) error {
		if v == "auto" {
			auto = true
			return nil
		}
		on, err := strconv.ParseBool(v)
		c.Prefetch, auto = on, false
		return err
	})
	f.duration("prefetch-every", &c.PrefetchEvery, "how often replica mode refreshes its crawl (`duration`)", positive)
	f.define("cache-bytes", formatSize(c.CacheBytes), "memory bound of the in-process cache of LL2 answers (`size`: bytes, or with KiB, MiB, GiB); the whole-response cache and the LL2 client's decoded answers get a quarter of it each on top", false, func(v string) error {
		n, err := parseSize(v)
		c.CacheBytes = n
		return err
	})
	ttlSet := false
	f.define("cache-ttl", "", "freshness per LL2 endpoint, over the defaults "+formatTTLs(economy.DefaultTTLs())+": a `list` of prefix=duration, comma-separated, such as spacecraft/=30m,default=2h", false, func(v string) error {
		// Given again (the flag after the variable), it replaces rather than adds to
		// the earlier value, as every other flag does.
		if ttlSet {
			c.TTLs = economy.DefaultTTLs()
		}
		ttlSet = true
		return parseTTLs(v, &c.TTLs)
	})
	f.duration("max-stale", &c.MaxStale, "how long past its freshness an LL2 answer may stand in (marked stale in the answer's extensions) when LL2 fails or the budget is spent (`duration`)", positive)
	f.define("budget-limit", "", "most LL2 calls per budget window (`n`), a ceiling LL2's api-throttle/ may lower but never raise; default: LL2's anonymous "+strconv.Itoa(gateway.AnonymousLimit)+", then the limit api-throttle/ gives; no limit for the embedded upstream", false, func(v string) error {
		n, err := strconv.Atoi(v)
		if err == nil && n < 0 {
			err = errors.New("negative limit")
		}
		c.BudgetLimit = n
		return err
	})
	f.duration("budget-window", &c.BudgetWindow, "the budget's window (`duration`)", positive)
	f.duration("upstream-timeout", &c.UpstreamTimeout, "deadline of each LL2 call (`duration`)", positive)
	f.integer("upstream-concurrency", &c.UpstreamConcurrency, "at most `n` LL2 calls out at once, across all requests; calls past it wait before they spend budget", func(n int) error {
		if n < 1 {
			return errors.New("want at least 1")
		}
		return nil
	})
	f.onOff("response-cache", &c.ResponseCacheOff, "answer repeated identical operations (same document, variables and operation name) from the whole-response cache")
	f.define("response-cache-max-bytes", formatSize(uint64(c.ResponseCacheMaxBytes)), "the largest answer the whole-response cache stores (`size`: bytes, or with KiB, MiB, GiB); larger answers are served, not stored", false, func(v string) error {
		n, err := parseSize(v)
		if err == nil && n > 1<<40 {
			err = errors.New("too large")
		}
		c.ResponseCacheMaxBytes = int64(n)
		return err
	})

	f.text("otlp-endpoint", &s.otlpEndpoint, "OTLP/HTTP collector `URL` for traces, such as http://localhost:4318 (/v1/traces is added to a bare URL); empty: the standard OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, and without them no tracing")
	f.text("metrics-addr", &s.metricsAddr, "serve /metrics on this `address` (such as 127.0.0.1:9090) instead of the public one, so that only the scraper reaches it")

	return set, func() (serveSettings, error) {
		if err := set.Err(); err != nil {
			return serveSettings{}, err
		}
		out := s
		if auto {
			out.gateway.Prefetch = autoPrefetch(out.gateway.Upstream, out.gateway.Token, out.gateway.BudgetLimit)
		}
		if trusted != "" {
			docs, err := graphqlhttp.LoadTrustedDocuments(trusted)
			if err != nil {
				return serveSettings{}, err
			}
			out.gateway.Protection.TrustedDocuments = docs
		}
		return out, nil
	}
}

// ll2ServerSettings is what the flags of `spacegraph ll2-server` set.
type ll2ServerSettings struct {
	addr, snapshot  string
	latency, window time.Duration
	throttle        int
}

// ll2ServerFlags defines the flags of `spacegraph ll2-server` on fs, as serveFlags
// does. Their variables are named apart from the gateway's (SPACEGRAPH_LL2_…), but
// for the snapshot's, which is the same directory either way.
func ll2ServerFlags(fs *flag.FlagSet, lookup func(string) (string, bool)) func() (ll2ServerSettings, error) {
	s := ll2ServerSettings{addr: defaultLL2Addr, window: defaultThrottleWindow}
	set := envflag.New(fs, lookup)
	f := flagSet{Set: set, env: map[string]string{
		"addr": "SPACEGRAPH_LL2_ADDR", "latency": "SPACEGRAPH_LL2_LATENCY",
		"throttle": "SPACEGRAPH_LL2_THROTTLE", "throttle-window": "SPACEGRAPH_LL2_THROTTLE_WINDOW",
	}}
	f.text("addr", &s.addr, "listen `address`")
	f.text("snapshot", &s.snapshot, "serve this snapshot `directory` instead of the embedded one")
	f.duration("latency", &s.latency, "latency added to every answer (`duration`)", nil)
	f.integer("throttle", &s.throttle, "calls allowed per window and caller, then 429 (`n`; 0: no throttle)", nil)
	f.duration("throttle-window", &s.window, "the throttle's window (`duration`)", nil)
	return func() (ll2ServerSettings, error) { return s, set.Err() }
}

// snapshotSettings is what the flags of `spacegraph snapshot` set.
type snapshotSettings struct {
	upstream, token string
	resume          bool
}

// snapshotFlags defines the flags of `spacegraph snapshot` on fs, as serveFlags does.
// Its LL2 is the live one by default, and --upstream and --ll2-token share the
// gateway's variables: a crawl reads the LL2 a gateway of the same environment would.
func snapshotFlags(fs *flag.FlagSet, lookup func(string) (string, bool)) func() (snapshotSettings, error) {
	s := snapshotSettings{upstream: ll2.ProductionURL}
	set := envflag.New(fs, lookup)
	f := flagSet{Set: set, env: map[string]string{"resume": "SPACEGRAPH_SNAPSHOT_RESUME"}}
	f.text("upstream", &s.upstream, "LL2 base `URL` to crawl")
	f.secret("ll2-token", &s.token, "LL2 API `key`")
	f.define("resume", "false", "keep the pages an interrupted crawl already fetched", true, func(v string) error {
		on, err := strconv.ParseBool(v)
		s.resume = on
		return err
	})
	return func() (snapshotSettings, error) { return s, set.Err() }
}

// flagSet defines typed flags on an envflag.Set. Each flag's default is what its
// destination holds when it is defined; env names the variables that are not
// envflag.Name's.
type flagSet struct {
	*envflag.Set
	env map[string]string
}

func (f flagSet) define(name, def, usage string, boolean bool, set func(string) error) {
	f.Define(name, def, usage, envflag.Options{Bool: boolean, Env: f.env[name]}, set)
}

// text defines a string flag.
func (f flagSet) text(name string, v *string, usage string) {
	f.define(name, *v, usage, false, func(s string) error {
		*v = s
		return nil
	})
}

// secret defines a string flag whose variable's value is never shown: it may hold a
// password or a key, and usage text and startup errors go to logs.
func (f flagSet) secret(name string, v *string, usage string) {
	f.Define(name, *v, usage, envflag.Options{Secret: true, Env: f.env[name]}, func(s string) error {
		*v = s
		return nil
	})
}

// integer defines an int flag; check, when set, refuses values.
func (f flagSet) integer(name string, v *int, usage string, check func(int) error) {
	f.define(name, strconv.Itoa(*v), usage, false, func(s string) error {
		n, err := strconv.Atoi(s)
		if err == nil && check != nil {
			err = check(n)
		}
		*v = n
		return err
	})
}

// duration defines a duration flag; check, when set, refuses values.
func (f flagSet) duration(name string, v *time.Duration, usage string, check func(time.Duration) error) {
	f.define(name, formatDuration(*v), usage, false, func(s string) error {
		d, err := time.ParseDuration(s)
		if err == nil && check != nil {
			err = check(d)
		}
		*v = d
		return err
	})
}

// onOff defines a boolean flag for a setting the Config holds the other way round
// (IntrospectionOff for --introspection).
func (f flagSet) onOff(name string, off *bool, usage string) {
	f.define(name, strconv.FormatBool(!*off), usage, true, func(s string) error {
		on, err := strconv.ParseBool(s)
		*off = !on
		return err
	})
}

// positive refuses durations of zero or less, which would silently mean the default
// further down (a max-stale of 0 would be 7 days) rather than what they say.
func positive(d time.Duration) error {
	if d <= 0 {
		return errors.New("want a positive duration")
	}
	return nil
}

// formatDuration writes d as a person would: 1h rather than time's 1h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// formatSize writes a byte count in the largest binary unit that holds it whole, as
// parseSize reads it.
func formatSize(n uint64) string {
	for _, u := range []struct {
		suffix string
		mult   uint64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatUint(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatUint(n, 10)
}

// formatTTLs writes freshness rules as --cache-ttl reads them.
func formatTTLs(t economy.TTLs) string {
	parts := make([]string, 0, len(t.ByPrefix)+1)
	for _, prefix := range slices.Sorted(maps.Keys(t.ByPrefix)) {
		parts = append(parts, prefix+"="+formatDuration(t.ByPrefix[prefix]))
	}
	parts = append(parts, "default="+formatDuration(t.Default))
	return strings.Join(parts, ", ")
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
