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

// TestMainServesAndShutsDown drives the process as `go run .` does: it prints the
// playground URL, serves GraphQL and the playground, and returns cleanly when the
// context (SIGINT/SIGTERM in main) ends.
func TestMainServesAndShutsDown(t *testing.T) {
	var out bytes.Buffer
	m, err := NewMain([]string{"--addr", "127.0.0.1:0", "--log-format", "json"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case <-m.Ready:
	case err := <-done:
		t.Fatal(err)
	}
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

// TestFlagsAndEnvironment checks that every flag has its environment twin and that
// bad values are refused before anything starts.
func TestFlagsAndEnvironment(t *testing.T) {
	t.Setenv("SPACEGRAPH_ADDR", "127.0.0.1:0")
	t.Setenv("SPACEGRAPH_UPSTREAM", "https://lldev.thespacedevs.com/2.3.0")
	t.Setenv("SPACEGRAPH_LL2_TOKEN", "secret")
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
