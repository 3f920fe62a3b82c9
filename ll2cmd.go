package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
)

// runLL2Server serves the built-in LL2-compatible server on a port, for frontend
// developers who want a fake LL2.
func runLL2Server(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("spacegraph ll2-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", env("SPACEGRAPH_LL2_ADDR", ":8081"), "listen address (SPACEGRAPH_LL2_ADDR)")
	snap := fs.String("snapshot", env("SPACEGRAPH_SNAPSHOT", ""), "snapshot directory (default: the embedded snapshot) (SPACEGRAPH_SNAPSHOT)")
	latency := fs.Duration("latency", 0, "latency added to every answer")
	limit := fs.Int("throttle", 0, "calls allowed per window and caller, then 429 (0: no throttle)")
	window := fs.Duration("throttle-window", time.Hour, "the throttle's window")
	if err := fs.Parse(args); err != nil {
		return err
	}
	data, meta, err := snapshot.Embedded()
	if *snap != "" {
		data, meta, err = snapshot.LoadDir(*snap)
	}
	if err != nil {
		return err
	}
	srv := ll2server.New(ll2server.NewStore(data), ll2server.Options{Latency: *latency, Throttle: ll2server.Throttle{Limit: *limit, Window: *window}})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "spacegraph ll2-server: LL2 2.3.0 at http://%s%s (snapshot: %s)\n", displayAddr(ln.Addr()), ll2server.Prefix, meta.Source)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// runSnapshot is filled in with the crawler.
func runSnapshot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("snapshot: not available yet")
}
