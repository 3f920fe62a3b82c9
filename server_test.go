package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// runMain starts m as main does and waits until it listens; stop ends its context (as
// SIGINT or SIGTERM do) and checks that Run returns cleanly.
func runMain(t *testing.T, m *Main) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case <-m.Ready:
	case err := <-done:
		cancel()
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run after shutdown: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("Run did not return after the context ended")
		}
	}
}

// TestMainServesAndShutsDown drives the process as `go run .` does: it prints the
// playground URL, serves GraphQL and the playground, and returns cleanly when the
// context (SIGINT/SIGTERM in main) ends.
func TestMainServesAndShutsDown(t *testing.T) {
	var out, logs bytes.Buffer
	m, err := NewMain([]string{"--addr", "127.0.0.1:0", "--log-format", "json"}, &out, &logs)
	if err != nil {
		t.Fatal(err)
	}
	stop := runMain(t, m)
	if !strings.Contains(out.String(), "GraphQL playground at "+m.URL+"/") {
		t.Errorf("the playground URL is not printed: %q", out.String())
	}
	resp, err := http.Post(m.URL+"/graphql", "application/json", strings.NewReader(`{"query":"{ spacecraft(ll2Id: 569) { name } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Data struct{ Spacecraft struct{ Name string } }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if body.Data.Spacecraft.Name != "Cargo Dragon" {
		t.Errorf("got %+v", body)
	}
	page, err := http.Get(m.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != http.StatusOK || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Errorf("playground: %d %s", page.StatusCode, page.Header.Get("Content-Type"))
	}
	metrics, err := http.Get(m.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	scrape, _ := io.ReadAll(metrics.Body)
	metrics.Body.Close()
	for _, want := range []string{
		`spacegraph_http_requests_total{code="200",method="post",route="/graphql"} 1`,
		`spacegraph_graphql_operations_total{code="",operation="anonymous",outcome="ok"} 1`,
		`spacegraph_upstream_calls_total{endpoint="spacecraft/{id}/",status="200"} 1`,
	} {
		if !strings.Contains(string(scrape), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	stop()
	// One JSON line per request, with its request id and what the query spent.
	var logged bool
	for line := range strings.SplitSeq(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "request" || rec["route"] != "/graphql" {
			continue
		}
		logged = true
		if rec["request_id"] == "" || rec["request_id"] == nil || rec["status"] != float64(200) || rec["upstream_calls"] != float64(1) {
			t.Errorf("request log line: %s", line)
		}
	}
	if !logged {
		t.Errorf("no request log line for /graphql in:\n%s", logs.String())
	}
}

// TestFlagsAndEnvironment checks that every flag has its environment twin and that
// bad values are refused before anything starts.
func TestFlagsAndEnvironment(t *testing.T) {
	t.Setenv("SPACEGRAPH_ADDR", "127.0.0.1:0")
	t.Setenv("SPACEGRAPH_UPSTREAM", "https://lldev.thespacedevs.com/2.3.0")
	t.Setenv("SPACEGRAPH_LL2_TOKEN", "secret")
	// No crawl of the live LL2 from a test.
	t.Setenv("SPACEGRAPH_PREFETCH", "false")
	m, err := NewMain(nil, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if m.Addr != "127.0.0.1:0" || m.Gateway.Upstream != "https://lldev.thespacedevs.com/2.3.0/" || m.Gateway.LL2 != nil {
		t.Errorf("environment not applied: addr %q upstream %q", m.Addr, m.Gateway.Upstream)
	}
	for _, args := range [][]string{
		{"--log-format", "xml"},
		{"--upstream", "ftp://example.org"},
		{"--snapshot", "/nonexistent/dir", "--upstream", "embedded"},
		{"stray"},
	} {
		if _, err := NewMain(args, io.Discard, io.Discard); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}

// TestMetricsOnAPrivateAddress checks --metrics-addr: /metrics moves to its own
// listener and leaves the public one.
func TestMetricsOnAPrivateAddress(t *testing.T) {
	m, err := NewMain([]string{"--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	stop := runMain(t, m)
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, _ := get(m.URL + "/healthz"); status != http.StatusOK {
		t.Errorf("/healthz: %d", status)
	}
	if status, _ := get(m.URL + "/metrics"); status != http.StatusNotFound {
		t.Errorf("/metrics on the public address: %d, want 404", status)
	}
	if status, body := get(m.MetricsURL + "/metrics"); status != http.StatusOK || !strings.Contains(body, `spacegraph_http_requests_total{code="200",method="get",route="/healthz"} 1`) {
		t.Errorf("/metrics on the private address: %d\n%.2000s", status, body)
	}
	stop()
}

// TestSecretsStayOutOfEveryUsageText asks every subcommand for its usage text with
// every secret the environment can hold set (the LL2 key, a Redis URL with a
// password, URLs of the upstream and of the trace collector with credentials in
// them, one of them a URL that does not parse): usage text goes to logs, and none of
// it may show.
func TestSecretsStayOutOfEveryUsageText(t *testing.T) {
	for _, upstream := range []string{
		"https://user:upstream-secret-3@ll.example/2.3.0",
		"https://user:upstream-secret-3@ll.example:port/2.3.0",
	} {
		secrets := map[string]string{
			"SPACEGRAPH_LL2_TOKEN":     "tok-secret-1",
			"SPACEGRAPH_REDIS":         "redis://:redis-secret-2@127.0.0.1:1/0",
			"SPACEGRAPH_UPSTREAM":      upstream,
			"SPACEGRAPH_OTLP_ENDPOINT": "http://user:otlp-secret-4@collector.example:4318",
		}
		for k, v := range secrets {
			t.Setenv(k, v)
		}
		for _, sub := range [][]string{nil, {"snapshot"}, {"ll2-server"}} {
			var usage strings.Builder
			err := run(context.Background(), append(sub, "--help"), io.Discard, &usage)
			if err == nil {
				t.Errorf("%v --help: no error", sub)
			}
			if !strings.Contains(usage.String(), "-ll2-token") && len(sub) == 0 {
				t.Errorf("%v --help printed no usage text:\n%s", sub, usage.String())
			}
			for _, secret := range []string{"tok-secret-1", "redis-secret-2", "upstream-secret-3", "otlp-secret-4"} {
				if strings.Contains(usage.String(), secret) {
					t.Errorf("%v --help shows %s:\n%s", sub, secret, usage.String())
				}
			}
		}
	}
}
