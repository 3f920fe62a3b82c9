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

	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
	"spacegraph/snapshot/crawl"
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
	redactDefaults(fs)
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

// runSnapshot crawls a live LL2 into a snapshot directory that --snapshot serves.
func runSnapshot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("spacegraph snapshot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	upstream := fs.String("upstream", env("SPACEGRAPH_UPSTREAM", ll2.ProductionURL), "LL2 base URL to crawl (SPACEGRAPH_UPSTREAM)")
	token := tokenFlag(fs, "LL2 API `key`")
	resume := fs.Bool("resume", false, "keep the pages an interrupted crawl already fetched")
	redactDefaults(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: spacegraph snapshot [flags] DIR")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("snapshot: want one directory")
	}
	if *upstream == "" || *upstream == "embedded" {
		return errors.New("snapshot: --upstream must be an LL2 base URL")
	}
	c, err := ll2.New(ll2.Config{BaseURL: *upstream, Token: *token})
	if err != nil {
		return err
	}
	if err := crawl.Run(ctx, c, fs.Arg(0), crawl.Options{Out: stdout, Resume: *resume}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "snapshot: written to %s; serve it with --snapshot %s\n", fs.Arg(0), fs.Arg(0))
	return nil
}
