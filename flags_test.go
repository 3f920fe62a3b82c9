package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"spacegraph/gateway"
	"spacegraph/internal/testkit"
	"spacegraph/respcache"
)

// parseFlags runs the gateway's flags over args as NewMain does, the variables read
// through lookup.
func parseFlags(lookup func(string) (string, bool), args ...string) (serveSettings, error) {
	fs := flag.NewFlagSet("spacegraph", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	_, settings := serveFlags(fs, lookup)
	if err := fs.Parse(args); err != nil {
		return serveSettings{}, err
	}
	return settings()
}

// parseEconomy runs the gateway's flags over args, the variables read from the
// environment, and returns the gateway's Config.
func parseEconomy(t *testing.T, args ...string) (gateway.Config, error) {
	t.Helper()
	s, err := parseFlags(os.LookupEnv, args...)
	return s.gateway, err
}

func TestEconomyFlagDefaults(t *testing.T) {
	c, err := parseEconomy(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.RedisURL != "" || c.Prefetch || c.ResponseCacheOff || c.BudgetLimit != 0 || c.ResponseCacheMaxBytes != respcache.DefaultMaxBytes {
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
		c, err := parseEconomy(t, append([]string{"--upstream", live}, args...)...)
		if err != nil {
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

// TestProtectionFlags checks the protection knobs' flags and their environment
// twins: a flag wins over its variable, an unset knob is its default, bad values are
// errors, and the trusted-documents manifest is loaded.
func TestProtectionFlags(t *testing.T) {
	manifest := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(manifest, []byte(`{"abc": "{ __typename }"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	parse := func(env map[string]string, args ...string) (gateway.Protection, error) {
		s, err := parseFlags(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, args...)
		return s.gateway.Protection, err
	}
	p, err := parse(nil)
	if err != nil || !reflect.DeepEqual(p, gateway.Defaults().Protection) || p.MaxDepth != gateway.DefaultMaxDepth ||
		!slices.Equal(p.CORSOrigins, []string{"*"}) || p.TrustedDocuments != nil || p.IntrospectionOff || p.GzipOff {
		t.Errorf("no flags: %+v, %v: want the defaults", p, err)
	}
	p, err = parse(map[string]string{
		"SPACEGRAPH_MAX_DEPTH":          "7",
		"SPACEGRAPH_MAX_ALIASES":        "-1",
		"SPACEGRAPH_INTROSPECTION":      "false",
		"SPACEGRAPH_CORS_ORIGINS":       "https://a.example, https://b.example",
		"SPACEGRAPH_TRUSTED_DOCUMENTS":  manifest,
		"SPACEGRAPH_MAX_BODY_BYTES":     "4096",
		"SPACEGRAPH_MAX_UPSTREAM_CALLS": "5",
		"SPACEGRAPH_MAX_RESPONSE_BYTES": "-1",
		"SPACEGRAPH_MAX_DOCUMENT_BYTES": "1",
	}, "--max-depth", "9", "--max-complexity=123", "--max-root-fields", "4", "--max-tokens", "99", "--max-document-bytes", "5000",
		"--request-timeout", "5s", "--cors-max-age", "2m", "--gzip=false")
	if err != nil {
		t.Fatal(err)
	}
	if p.MaxDepth != 9 || p.MaxComplexity != 123 || p.MaxAliases != -1 || p.MaxRootFields != 4 || p.MaxTokens != 99 || p.MaxUpstreamCalls != 5 ||
		p.MaxBodyBytes != 4096 || p.MaxDocumentBytes != 5000 || p.MaxResponseBytes != -1 || p.RequestTimeout != 5*time.Second || !p.IntrospectionOff || p.CORSMaxAge != 2*time.Minute ||
		!slices.Equal(p.CORSOrigins, []string{"https://a.example", "https://b.example"}) || !p.GzipOff ||
		p.TrustedDocuments == nil || p.TrustedDocuments.Len() != 1 {
		t.Errorf("got %+v", p)
	}
	if p, err := parse(nil, "--cors-origins="); err != nil || p.CORSOrigins == nil || len(p.CORSOrigins) != 0 {
		t.Errorf("--cors-origins= : %#v, %v: want an empty, non-nil list", p.CORSOrigins, err)
	}
	if p, err := parse(map[string]string{"SPACEGRAPH_GZIP": "false"}, "--gzip"); err != nil || p.GzipOff {
		t.Errorf("--gzip over SPACEGRAPH_GZIP=false: %v, %v", p.GzipOff, err)
	}
	for _, bad := range []struct {
		env  map[string]string
		args []string
	}{
		{map[string]string{"SPACEGRAPH_MAX_DEPTH": "ten"}, nil},
		{map[string]string{"SPACEGRAPH_MAX_RESPONSE_BYTES": "4MiB"}, nil},
		{map[string]string{"SPACEGRAPH_INTROSPECTION": "maybe"}, nil},
		{nil, []string{"--max-upstream-calls", "ten"}},
		{nil, []string{"--request-timeout", "soon"}},
		{nil, []string{"--trusted-documents", filepath.Join(t.TempDir(), "missing.json")}},
	} {
		if _, err := parse(bad.env, bad.args...); err == nil {
			t.Errorf("%v %v accepted", bad.env, bad.args)
		}
	}
}

// TestConfigurationTables keeps the configuration tables of docs/configuration.md what
// the flags say: a row a flag, with its variable twin, its default and its usage text,
// for the gateway (in the order its flags are defined) and for the ll2-server and
// snapshot subcommands. The tables are made from the flags, so they have every row
// and no other.
func TestConfigurationTables(t *testing.T) {
	const doc = "docs/configuration.md"
	fs := flag.NewFlagSet("spacegraph", flag.ContinueOnError)
	set, _ := serveFlags(fs, nil)
	if n := len(set.Flags()); n < 30 {
		t.Fatalf("only %d flags", n)
	}
	var rows [][4]string
	for _, f := range set.Flags() {
		rows = append(rows, [4]string{f.Name, set.Env(f.Name), f.DefValue, set.Usage(f)})
	}
	testkit.GoldenSection(t, doc, "configuration", flagTable(rows))

	for _, sub := range []struct {
		name   string
		define func(*flag.FlagSet)
	}{
		{"ll2-server", func(fs *flag.FlagSet) { ll2ServerFlags(fs, nil) }},
		{"snapshot", func(fs *flag.FlagSet) { snapshotFlags(fs, nil) }},
	} {
		fs := flag.NewFlagSet(sub.name, flag.ContinueOnError)
		sub.define(fs)
		var rows [][4]string
		fs.VisitAll(func(f *flag.Flag) {
			// envflag ends the usage text with the variable twin in brackets.
			_, usage := flag.UnquoteUsage(f)
			open := strings.LastIndex(usage, " (SPACEGRAPH_")
			if open < 0 || !strings.HasSuffix(usage, ")") {
				t.Fatalf("%s --%s: no variable twin in %q", sub.name, f.Name, usage)
			}
			rows = append(rows, [4]string{f.Name, usage[open+2 : len(usage)-1], f.DefValue, usage[:open]})
		})
		if len(rows) == 0 {
			t.Fatalf("%s: no flags", sub.name)
		}
		testkit.GoldenSection(t, doc, sub.name, flagTable(rows))
	}
}

// flagTable is a markdown table of flags: name, variable twin, default and usage.
func flagTable(rows [][4]string) string {
	var b strings.Builder
	b.WriteString("| flag | environment | default | what |\n| --- | --- | --- | --- |\n")
	for _, r := range rows {
		def := ""
		if r[2] != "" {
			def = "`" + r[2] + "`"
		}
		cells := []string{"`--" + r[0] + "`", "`" + r[1] + "`", def, strings.ReplaceAll(r[3], "|", `\|`)}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	return b.String()
}

// TestSubcommandFlags checks the flags of ll2-server and snapshot: their defaults,
// their variable twins (named apart from the gateway's where the two could run side
// by side), a flag winning over its variable, and a malformed variable refused.
func TestSubcommandFlags(t *testing.T) {
	env := map[string]string{"SPACEGRAPH_LL2_ADDR": "127.0.0.1:9", "SPACEGRAPH_LL2_THROTTLE": "15", "SPACEGRAPH_SNAPSHOT": "snap/",
		"SPACEGRAPH_UPSTREAM": "https://lldev.thespacedevs.com/2.3.0", "SPACEGRAPH_ADDR": ":1"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	fs := flag.NewFlagSet("ll2-server", flag.ContinueOnError)
	ll2 := ll2ServerFlags(fs, lookup)
	if err := fs.Parse([]string{"--latency", "20ms"}); err != nil {
		t.Fatal(err)
	}
	if s, err := ll2(); err != nil || s.addr != "127.0.0.1:9" || s.throttle != 15 || s.window != time.Hour || s.latency != 20*time.Millisecond || s.snapshot != "snap/" {
		t.Errorf("ll2-server: %+v, %v", s, err)
	}
	fs = flag.NewFlagSet("snapshot", flag.ContinueOnError)
	snap := snapshotFlags(fs, lookup)
	if err := fs.Parse([]string{"--resume", "DIR"}); err != nil {
		t.Fatal(err)
	}
	if s, err := snap(); err != nil || s.upstream != "https://lldev.thespacedevs.com/2.3.0" || !s.resume || s.token != "" {
		t.Errorf("snapshot: %+v, %v", s, err)
	}
	env["SPACEGRAPH_LL2_THROTTLE_WINDOW"] = "hourly"
	fs = flag.NewFlagSet("ll2-server", flag.ContinueOnError)
	if _, err := ll2ServerFlags(fs, lookup)(); err == nil || !strings.Contains(err.Error(), "SPACEGRAPH_LL2_THROTTLE_WINDOW") {
		t.Errorf("a malformed variable: %v", err)
	}
}
