package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"spacegraph/gateway"
)

// parseEconomy runs the economy flags over args as NewMain does.
func parseEconomy(t *testing.T, args ...string) (gateway.Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	apply := economyFlags(fs)
	if err := fs.Parse(args); err != nil {
		return gateway.Config{}, err
	}
	var c gateway.Config
	err := apply(&c)
	return c, err
}

func TestEconomyFlagDefaults(t *testing.T) {
	c, err := parseEconomy(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.RedisURL != "" || c.Prefetch || c.ResponseCacheOff || c.BudgetLimit != 0 || c.ResponseCacheMaxBytes != 0 {
		t.Errorf("defaults turn something on: %+v", c)
	}
	if c.CacheBytes != 256<<20 || c.PrefetchEvery != time.Hour || c.BudgetWindow != time.Hour ||
		c.MaxStale != 7*24*time.Hour || c.UpstreamTimeout != 20*time.Second || c.UpstreamConcurrency != 16 ||
		c.RedisTimeout != 250*time.Millisecond || c.RedisLocalBudget != 0.1 {
		t.Errorf("defaults: %+v", c)
	}
	if c.TTLs.For("spacecraft/") != time.Hour || c.TTLs.For("agencies/1/") != 6*time.Hour || c.TTLs.For("config/spacecraft_statuses/") != 24*time.Hour {
		t.Errorf("default TTLs: %+v", c.TTLs)
	}
}

func TestEconomyFlagsAndEnvironment(t *testing.T) {
	t.Setenv("SPACEGRAPH_REDIS", "redis://cache:6379/2")
	t.Setenv("SPACEGRAPH_PREFETCH", "true")
	t.Setenv("SPACEGRAPH_CACHE_BYTES", "64MiB")
	t.Setenv("SPACEGRAPH_BUDGET_LIMIT", "200")
	t.Setenv("SPACEGRAPH_CACHE_TTL", "spacecraft/=30m, default=2h")
	t.Setenv("SPACEGRAPH_REDIS_TIMEOUT", "1s")
	t.Setenv("SPACEGRAPH_REDIS_LOCAL_BUDGET", "0.25")
	t.Setenv("SPACEGRAPH_RESPONSE_CACHE_MAX_BYTES", "64KiB")
	// A flag wins over its variable.
	c, err := parseEconomy(t, "--budget-limit", "100", "--prefetch-every", "2h", "--response-cache=false", "--upstream-concurrency", "4", "--redis-local-budget", "0")
	if err != nil {
		t.Fatal(err)
	}
	// A local share of 0 is none (negative in the Config), not the default.
	if c.RedisURL != "redis://cache:6379/2" || !c.Prefetch || c.CacheBytes != 64<<20 || c.BudgetLimit != 100 ||
		c.PrefetchEvery != 2*time.Hour || !c.ResponseCacheOff || c.UpstreamConcurrency != 4 ||
		c.RedisTimeout != time.Second || c.RedisLocalBudget >= 0 || c.ResponseCacheMaxBytes != 64<<10 {
		t.Errorf("got %+v", c)
	}
	if c.TTLs.For("spacecraft/12/") != 30*time.Minute || c.TTLs.For("agencies/") != 6*time.Hour || c.TTLs.For("other/") != 2*time.Hour {
		t.Errorf("TTLs: %+v", c.TTLs)
	}
}

func TestEconomyFlagsRefuseBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"--cache-bytes", "lots"},
		{"--cache-bytes", "0"},
		{"--cache-bytes", "99999999999999999999GiB"},
		{"--budget-limit", "-1"},
		{"--redis-local-budget", "1.5"},
		{"--redis-local-budget", "-0.1"},
		{"--redis-timeout", "0s"},
		{"--budget-window", "soon"},
		{"--max-stale", "-1h"},
		{"--max-stale", "0s"},
		{"--prefetch-every", "0"},
		{"--cache-ttl", "spacecrafts/=1h"},
		{"--cache-ttl", "spacecraft/=0s"},
		{"--cache-ttl", "spacecraft/"},
		{"--upstream-concurrency", "0"},
		{"--prefetch=maybe"},
		{"--response-cache-max-bytes", "0"},
		{"--response-cache-max-bytes", "2GB"},
	} {
		if _, err := parseEconomy(t, args...); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
	t.Setenv("SPACEGRAPH_CACHE_BYTES", "256 megs")
	if _, err := parseEconomy(t); err == nil {
		t.Error("a malformed SPACEGRAPH_CACHE_BYTES was ignored")
	}
}

func TestAutoPrefetch(t *testing.T) {
	const live = "https://ll.thespacedevs.com/2.3.0"
	for _, c := range []struct {
		upstream, token string
		limit           int
		want            bool
	}{
		{"", "", 0, false},
		{"embedded", "", 0, false},
		{live, "", 0, true},
		{live, "", 15, true},
		{live, "", 500, false},
		{live, "KEY", 0, false},
		{live, "KEY", 30, true},
	} {
		if got := autoPrefetch(c.upstream, c.token, c.limit); got != c.want {
			t.Errorf("autoPrefetch(%q, %q, %d) = %v, want %v", c.upstream, c.token, c.limit, got, c.want)
		}
	}
	// --prefetch=auto is the default, and an explicit value wins over it.
	cfg := func(args ...string) gateway.Config {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		apply := economyFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		c := gateway.Config{Upstream: live}
		if err := apply(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if !cfg().Prefetch || cfg("--prefetch=false").Prefetch || !cfg("--prefetch=auto").Prefetch || cfg("--budget-limit", "1000").Prefetch {
		t.Error("--prefetch=auto is not the default, or an explicit value does not win")
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"1": 1, "512B": 512, "4KiB": 4096, "256MiB": 256 << 20, "2 GiB": 2 << 30} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

// TestSecretsStayOutOfUsageAndErrors checks that the Redis URL and the LL2 key that
// the environment gives are never printed: usage text and startup errors go to logs.
func TestSecretsStayOutOfUsageAndErrors(t *testing.T) {
	t.Setenv("SPACEGRAPH_REDIS", "redis://:s3cretpw@127.0.0.1:1/0")
	t.Setenv("SPACEGRAPH_LL2_TOKEN", "tok123secret")
	var usage strings.Builder
	if _, err := NewMain([]string{"--no-such-flag"}, io.Discard, &usage); err == nil {
		t.Fatal("an unknown flag was accepted")
	}
	if strings.Contains(usage.String(), "s3cretpw") || strings.Contains(usage.String(), "tok123secret") {
		t.Errorf("the usage text shows a secret:\n%s", usage.String())
	}
	// A malformed Redis URL stops the start; its error does not repeat the password.
	t.Setenv("SPACEGRAPH_REDIS", "redis://:s3cretpw@127.0.0.1:1/0?bogus=1")
	_, err := NewMain([]string{"--addr", "127.0.0.1:0"}, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("a malformed Redis URL was accepted")
	}
	if strings.Contains(err.Error(), "s3cretpw") {
		t.Errorf("the startup error shows the Redis password: %v", err)
	}
	// An unreachable Redis does not stop it (the replica starts degraded), and the
	// log line that says so does not show the password either.
	t.Setenv("SPACEGRAPH_REDIS", "redis://:s3cretpw@127.0.0.1:1/0")
	var logs strings.Builder
	m, err := NewMain([]string{"--addr", "127.0.0.1:0"}, io.Discard, &logs)
	if err != nil {
		t.Fatalf("an unreachable Redis stopped the start: %v", err)
	}
	m.Gateway.Close()
	if !strings.Contains(logs.String(), "redis is unreachable") || strings.Contains(logs.String(), "s3cretpw") {
		t.Errorf("the log of a start without Redis:\n%s", logs.String())
	}
}

func TestCacheTTLFlagReplacesTheVariable(t *testing.T) {
	t.Setenv("SPACEGRAPH_CACHE_TTL", "spacecraft/=30m")
	c, err := parseEconomy(t, "--cache-ttl", "agencies/=1h")
	if err != nil {
		t.Fatal(err)
	}
	if c.TTLs.For("spacecraft/") != time.Hour || c.TTLs.For("agencies/") != time.Hour {
		t.Errorf("the flag added to the variable instead of replacing it: %+v", c.TTLs)
	}
}
