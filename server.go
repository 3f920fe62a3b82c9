// Command spacegraph is a GraphQL gateway over The Space Devs' Launch Library 2.
//
//	spacegraph [flags]              serve the gateway (the embedded snapshot by default)
//	spacegraph ll2-server [flags]   serve the built-in LL2-compatible server on a port
//	spacegraph snapshot [flags] DIR crawl a live LL2 into a snapshot directory
//	spacegraph schema [--json]      print the schema (SDL) or its introspection result
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"spacegraph/gateway"
	"spacegraph/observe"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "spacegraph:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "ll2-server":
			return runLL2Server(ctx, args[1:], stdout, stderr)
		case "snapshot":
			return runSnapshot(ctx, args[1:], stdout, stderr)
		case "schema":
			return runSchema(args[1:], stdout, stderr)
		}
	}
	m, err := NewMain(args, stdout, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Run(ctx)
}

// Main is the gateway process: parsed flags, the assembled gateway and its listener.
// Tests drive it with NewMain, Run and Close.
type Main struct {
	Addr     string
	Gateway  *gateway.Gateway
	Logger   *slog.Logger
	listener net.Listener
	server   *http.Server
	// MetricsAddr, when set, serves /metrics on a listener of its own instead of Addr;
	// MetricsURL is then its address.
	MetricsAddr string
	MetricsURL  string
	metrics     *observe.Metrics
	metricsSrv  *http.Server
	stdout      io.Writer
	// Ready is closed once the listener is open; URL is then the playground's address.
	Ready chan struct{}
	URL   string
	// stopTracing flushes the spans not yet sent (a no-op when tracing is off).
	stopTracing func(context.Context) error
}

// NewMain parses the gateway's flags (each has an environment variable twin; see
// flags.go) and assembles the gateway.
func NewMain(args []string, stdout, stderr io.Writer) (*Main, error) {
	fs := flag.NewFlagSet("spacegraph", flag.ContinueOnError)
	fs.SetOutput(stderr)
	_, settings := serveFlags(fs, os.LookupEnv)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set, err := settings()
	if err != nil {
		return nil, err
	}
	var h slog.Handler = slog.NewTextHandler(stderr, nil)
	if set.logFormat == "json" {
		h = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(h)
	stopTracing, err := observe.SetupTracing(context.Background(), observe.TracingConfig{Endpoint: set.otlpEndpoint})
	if err != nil {
		return nil, err
	}
	metrics := observe.New(observe.Options{})
	cfg := set.gateway
	cfg.Logger, cfg.Metrics, cfg.MetricsPrivate = log, metrics, set.metricsAddr != ""
	g, err := gateway.New(cfg)
	if err != nil {
		_ = stopTracing(context.Background())
		return nil, err
	}
	return &Main{Addr: set.addr, MetricsAddr: set.metricsAddr, metrics: metrics, Gateway: g, Logger: log, stdout: stdout, Ready: make(chan struct{}), stopTracing: stopTracing}, nil
}

// Run serves until ctx ends, then shuts down gracefully, letting requests in flight
// finish for up to 10 seconds.
func (m *Main) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return err
	}
	m.listener = ln
	m.URL = "http://" + displayAddr(ln.Addr())
	m.server = &http.Server{
		Handler:           m.Gateway.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		// A body that never finishes would otherwise hold its handler (and the response
		// cache's read of it, which runs before the request deadline) for ever.
		ReadTimeout: time.Minute,
		// No WriteTimeout: it would count from the request's start, whatever the
		// answer took to compute. The gateway bounds each write of an answer itself,
		// following --request-timeout (protect.WriteDeadline).
		IdleTimeout: 2 * time.Minute,
	}
	var metricsLn net.Listener
	if m.MetricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", m.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		m.MetricsURL = "http://" + displayAddr(metricsLn.Addr())
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.metrics.Handler())
		m.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	}
	fmt.Fprintf(m.stdout, "spacegraph: GraphQL playground at %s/ (API at %s/graphql; upstream %s)\n", m.URL, m.URL, m.Gateway.Upstream)
	m.Logger.Info("serving", "addr", ln.Addr().String(), "upstream", m.Gateway.Upstream, "metrics", m.MetricsURL)
	close(m.Ready)
	errc := make(chan error, 2)
	go func() { errc <- m.server.Serve(ln) }()
	servers := 1
	if m.metricsSrv != nil {
		servers++
		go func() { errc <- m.metricsSrv.Serve(metricsLn) }()
	}
	var failed error
	select {
	case failed = <-errc:
		servers--
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = m.server.Shutdown(sctx)
	if m.metricsSrv != nil {
		err = errors.Join(err, m.metricsSrv.Shutdown(sctx))
	}
	for range servers {
		if e := <-errc; !errors.Is(e, http.ErrServerClosed) {
			err = errors.Join(err, e)
		}
	}
	if failed != nil && !errors.Is(failed, http.ErrServerClosed) {
		return errors.Join(failed, err)
	}
	if err != nil {
		return err
	}
	m.Logger.Info("stopped")
	return nil
}

// Close releases what Run did not (Run's shutdown is graceful; Close is for when Run
// never ran or failed).
func (m *Main) Close() error {
	var err error
	if m.server != nil {
		err = m.server.Close()
	}
	if m.metricsSrv != nil {
		err = errors.Join(err, m.metricsSrv.Close())
	}
	if m.stopTracing != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = errors.Join(err, m.stopTracing(ctx))
	}
	return err
}

// displayAddr turns a listen address into one a browser can open.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + port
}
