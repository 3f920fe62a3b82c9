package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
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
	settings := ll2ServerFlags(fs, os.LookupEnv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	set, err := settings()
	if err != nil {
		return err
	}
	data, meta, err := snapshot.Embedded()
	if set.snapshot != "" {
		data, meta, err = snapshot.LoadDir(set.snapshot)
	}
	if err != nil {
		return err
	}
	srv := ll2server.New(ll2server.NewStore(data), ll2server.Options{Latency: set.latency, Throttle: ll2server.Throttle{Limit: set.throttle, Window: set.window}})
	ln, err := net.Listen("tcp", set.addr)
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
	settings := snapshotFlags(fs, os.LookupEnv)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: spacegraph snapshot [flags] DIR")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	set, err := settings()
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("snapshot: want one directory")
	}
	if set.upstream == "" || set.upstream == "embedded" {
		return errors.New("snapshot: --upstream must be an LL2 base URL")
	}
	c, err := ll2.New(ll2.Config{BaseURL: set.upstream, Token: set.token})
	if err != nil {
		return err
	}
	if err := crawl.Run(ctx, c, fs.Arg(0), crawl.Options{Out: stdout, Resume: set.resume}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "snapshot: written to %s; serve it with --snapshot %s\n", fs.Arg(0), fs.Arg(0))
	return nil
}
