package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"spacegraph/gateway"
	"spacegraph/ll2/ll2server"
)

// The goals for the nested reference query, as shares of the ceiling.
const (
	GoalWithResponseCache    = 0.70
	GoalWithoutResponseCache = 0.10
)

// ThroughputOptions configure scenario b.
type ThroughputOptions struct {
	// Clients is the number of concurrent clients (spacebench: 64).
	Clients int
	// Duration is how long each target is measured.
	Duration time.Duration
	// Warmup is a load run before each measurement and not counted, so that
	// connections are open and the runtime is warm.
	Warmup time.Duration
	// Latency is the built-in LL2 server's latency.
	Latency time.Duration
	// CPUProfile, when set, is a path prefix: each target's measured run writes a CPU
	// profile of the whole process to PREFIX-TARGET.pprof.
	CPUProfile string
}

// Target is one measured server of scenario b.
type Target struct {
	// Name names the target.
	Name string
	// Result is the load's result.
	Result Result
}

// ThroughputResult is scenario b: the nested reference query under load, beside the
// ceiling measured in the same run.
type ThroughputResult struct {
	// Options are the options the scenario ran with.
	Options ThroughputOptions
	// ResponseBytes is the size of the reference query's answer.
	ResponseBytes int
	// Ceiling, Cached and Uncached are a handler that only writes the answer's bytes,
	// the gateway with its whole-response cache and the gateway without it.
	Ceiling, Cached, Uncached Target
}

// Ratio returns t's throughput as a share of the ceiling's.
func (r ThroughputResult) Ratio(t Target) float64 {
	if c := r.Ceiling.Result.RPS(); c > 0 {
		return t.Result.RPS() / c
	}
	return 0
}

// GoalsMet reports whether both goals are met.
func (r ThroughputResult) GoalsMet() (cached, uncached bool) {
	return r.Ratio(r.Cached) >= GoalWithResponseCache, r.Ratio(r.Uncached) >= GoalWithoutResponseCache
}

// answerCheck returns a Verify that wants status 200 and an answer of about want's
// size (the extensions' age may add or drop a few bytes), and looks for errors in
// every 64th answer only: scanning each 70 KB answer would cost the client as much
// CPU as a cached answer costs the server, and the client shares the machine.
func answerCheck(want int) func(int, []byte) error {
	var n atomic.Int64
	return func(status int, body []byte) error {
		if status != http.StatusOK {
			return fmt.Errorf("status %d: %.200s", status, body)
		}
		if d := len(body) - want; d < -64 || d > 64 {
			return fmt.Errorf("answer of %d bytes, want about %d: %.200s", len(body), want, body)
		}
		if n.Add(1)%64 == 1 && bytes.Contains(body, []byte(`"errors"`)) {
			return fmt.Errorf("errors in the answer: %.300s", body)
		}
		return nil
	}
}

// Throughput measures the nested reference query, warm, under o.Clients clients over
// real HTTP on loopback: a plain handler that writes the same bytes (the ceiling),
// the gateway with its whole-response cache, and the gateway without it, one after
// the other in the same process.
func Throughput(ctx context.Context, o ThroughputOptions) (ThroughputResult, error) {
	res := ThroughputResult{Options: o}
	body := Body(NestedQuery, nil)
	type server struct {
		name string
		h    http.Handler
		out  *Target
	}
	var servers []server
	var want []byte
	for _, off := range []bool{false, true} {
		g, err := NewGateway(gateway.Config{ResponseCacheOff: off, LL2: ll2server.Options{Latency: o.Latency}})
		if err != nil {
			return res, err
		}
		defer g.Close()
		raw, _, err := ServeOK(g.Handler, body) // warm: the one cold run
		if err != nil {
			return res, err
		}
		if off {
			servers = append(servers, server{"gateway, no response cache", g.Handler, &res.Uncached})
		} else {
			want = append([]byte(nil), raw...)
			servers = append(servers, server{"gateway with response cache", g.Handler, &res.Cached})
		}
	}
	res.ResponseBytes = len(want)
	servers = append([]server{{"ceiling (writes the same bytes)", ceilingOf(want), &res.Ceiling}}, servers...)
	for _, s := range servers {
		r, err := measure(ctx, s.h, body, len(want), o, s.name)
		if err != nil {
			return res, fmt.Errorf("%s: %w", s.name, err)
		}
		*s.out = Target{Name: s.name, Result: r}
	}
	return res, nil
}

// measure serves h on loopback and loads it with the same body: a warm-up, then the
// measured run.
func measure(ctx context.Context, h http.Handler, body []byte, size int, o ThroughputOptions, name string) (Result, error) {
	return measureBodies(ctx, h, func(int) []byte { return body }, size, o, name)
}

// slug turns a target's name into a file name part.
func slug(s string) string {
	s, _, _ = strings.Cut(s, " (")
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ReplaceAll(s, ", ", "-"))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// Markdown returns the scenario's table.
func (r ThroughputResult) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "The nested reference query (100 spacecraft with configuration, agency and families; %d-byte answer), warm, %d clients for %s each over HTTP/1.1 on loopback, after a %s warm-up.\n\n",
		r.ResponseBytes, r.Options.Clients, r.Options.Duration, r.Options.Warmup)
	b.WriteString("| target | requests | req/s | of the ceiling | goal | p50 | p90 | p99 | max | errors |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, t := range []struct {
		t    Target
		goal float64
	}{{r.Ceiling, 0}, {r.Cached, GoalWithResponseCache}, {r.Uncached, GoalWithoutResponseCache}} {
		goal := ""
		if t.goal > 0 {
			met := "met"
			if r.Ratio(t.t) < t.goal {
				met = "missed"
			}
			goal = fmt.Sprintf("≥ %.0f%%: %s", 100*t.goal, met)
		}
		res := t.t.Result
		fmt.Fprintf(&b, "| %s | %d | %.0f | %.1f%% | %s | %s | %s | %s | %s | %d |\n", t.t.Name, res.Requests, res.RPS(), 100*r.Ratio(t.t), goal,
			ms(res.P50()), ms(res.P90()), ms(res.P99()), ms(res.Max()), res.Errors)
	}
	return b.String()
}

// StampedeResult is scenario c: many clients asking a cold gateway the same query at
// once.
type StampedeResult struct {
	// Clients is the number of clients.
	Clients int
	// Latency is the built-in LL2 server's latency.
	Latency time.Duration
	// Calls is the LL2 calls they spent together.
	Calls int
	// Result is the load's result (one request per client).
	Result Result
}

// OK reports whether the clients shared one call and all got their answer.
func (r StampedeResult) OK() bool {
	return r.Calls == 1 && r.Result.Errors == 0 && r.Result.Status[http.StatusOK] == r.Clients
}

// Stampede sends the nested reference query from clients clients at once, over real
// HTTP, to a cold gateway whose LL2 answers in latency, and counts the LL2 calls.
func Stampede(ctx context.Context, clients int, latency time.Duration) (StampedeResult, error) {
	res := StampedeResult{Clients: clients, Latency: latency}
	g, err := NewGateway(gateway.Config{LL2: ll2server.Options{Latency: latency}})
	if err != nil {
		return res, err
	}
	defer g.Close()
	srv := httptest.NewServer(g.Handler)
	defer srv.Close()
	verify := func(status int, body []byte) error {
		if status != http.StatusOK || bytes.Contains(body, []byte(`"errors"`)) {
			return fmt.Errorf("status %d: %.300s", status, body)
		}
		return nil
	}
	res.Result, err = Load{URL: srv.URL + "/graphql", Body: Body(NestedQuery, nil), Clients: clients, Requests: clients, Verify: verify}.Run(ctx)
	res.Calls = g.LL2.Counters().Total
	if err == nil && res.Result.Errors > 0 {
		err = errors.New(strings.Join(res.Result.ErrorSamples, "; "))
	}
	return res, err
}

// Markdown returns the scenario's table.
func (r StampedeResult) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d clients send the nested reference query at once to a cold gateway (LL2 answering in %s), over HTTP on loopback.\n\n", r.Clients, r.Latency)
	b.WriteString("| clients | LL2 calls | answered 200 | errors | p50 | p99 | max |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %s | %s | %s |\n", r.Clients, r.Calls, r.Result.Status[http.StatusOK], r.Result.Errors, ms(r.Result.P50()), ms(r.Result.P99()), ms(r.Result.Max()))
	if r.OK() {
		b.WriteString("\nThe clients shared one LL2 call.\n")
	} else {
		b.WriteString("\nFAIL: want one LL2 call and every answer.\n")
	}
	return b.String()
}

// ShapeThroughput is one reference shape under load: the ceiling, the gateway with
// the response cache off, and with it on but missing, every request a distinct
// document.
type ShapeThroughput struct {
	// Shape is the reference shape.
	Shape Shape
	// ResponseBytes is the size of its answer.
	ResponseBytes int
	// Ceiling, Off and Miss are a handler that only writes the answer's bytes, the
	// gateway without its response cache, and the gateway with it (missing).
	Ceiling, Off, Miss Target
}

// Ratio returns t's throughput as a share of the ceiling's.
func (r ShapeThroughput) Ratio(t Target) float64 {
	if c := r.Ceiling.Result.RPS(); c > 0 {
		return t.Result.RPS() / c
	}
	return 0
}

// ShapesThroughput measures every reference shape (Shapes) warm under o.Clients
// clients over real HTTP on loopback, every request a new document (DistinctBodies):
// the ceiling, then the gateway with the response cache off, then with it on (every
// request a miss), in the same process.
func ShapesThroughput(ctx context.Context, o ThroughputOptions) ([]ShapeThroughput, error) {
	var out []ShapeThroughput
	for _, s := range Shapes() {
		r, err := shapeThroughput(ctx, s, o)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ceilingOf is the ceiling of a scenario: a handler that reads the request and writes
// answer, as the gateway would, and does nothing else.
func ceilingOf(answer []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
		_, _ = w.Write(answer)
	})
}

// openShapeGateway makes a gateway the shapes scenario measures (NewGateway), and
// returns its handler and its Close; a test counts through it the gateways open while
// one is measured.
var openShapeGateway = func(cfg gateway.Config) (http.Handler, func() error, error) {
	g, err := NewGateway(cfg)
	if err != nil {
		return nil, nil, err
	}
	return g.Handler, g.Close, nil
}

// shapeThroughput measures one shape for ShapesThroughput: the ceiling, then each
// gateway on its own, closed before the next is made, so that no target is measured
// beside the caches and goroutines of another.
func shapeThroughput(ctx context.Context, s Shape, o ThroughputOptions) (ShapeThroughput, error) {
	r := ShapeThroughput{Shape: s}
	bodies := DistinctBodies(s.Query)
	measure := func(t *Target, name string, h http.Handler) error {
		res, err := measureBodies(ctx, h, bodies, r.ResponseBytes, o, s.Name+" "+name)
		if err != nil {
			return fmt.Errorf("%s, %s: %w", s.Name, name, err)
		}
		*t = Target{Name: name, Result: res}
		return nil
	}
	for _, off := range []bool{true, false} {
		err := func() error {
			h, closeGateway, err := openShapeGateway(gateway.Config{ResponseCacheOff: off, LL2: ll2server.Options{Latency: o.Latency}})
			if err != nil {
				return err
			}
			defer closeGateway()
			raw, _, err := ServeOK(h, bodies(1<<30)) // warm: the one cold run
			if err != nil {
				return fmt.Errorf("%s: %w", s.Name, err)
			}
			if !off {
				return measure(&r.Miss, "gateway, response cache missing", h)
			}
			r.ResponseBytes = len(raw)
			if err := measure(&r.Ceiling, "ceiling", ceilingOf(raw)); err != nil {
				return err
			}
			return measure(&r.Off, "gateway, no response cache", h)
		}()
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// measureBodies serves h on loopback and loads it with the body bodies gives each
// request: a warm-up, then the measured run, whose bodies are not the warm-up's.
func measureBodies(ctx context.Context, h http.Handler, bodies func(int) []byte, size int, o ThroughputOptions, name string) (Result, error) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := NewClient(o.Clients)
	defer client.CloseIdleConnections()
	load := Load{URL: srv.URL + "/graphql", Bodies: bodies, Clients: o.Clients, Client: client, Verify: answerCheck(size)}
	if o.Warmup > 0 {
		load.Duration = o.Warmup
		if _, err := load.Run(ctx); err != nil {
			return Result{}, err
		}
		// The measured run's documents are new too.
		load.Bodies = func(i int) []byte { return bodies(i + 1<<24) }
	}
	load.Duration = o.Duration
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile + "-" + slug(name) + ".pprof")
		if err != nil {
			return Result{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return Result{}, err
		}
		defer pprof.StopCPUProfile()
	}
	r, err := load.Run(ctx)
	if err == nil && r.Errors > 0 {
		err = fmt.Errorf("%d of %d requests failed, e.g. %s", r.Errors, r.Requests, strings.Join(r.ErrorSamples, "; "))
	}
	return r, err
}

// ShapesMarkdown returns the shapes scenario's table.
func ShapesMarkdown(rs []ShapeThroughput, o ThroughputOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Every reference shape warm, every request a new document, %d clients for %s each over HTTP/1.1 on loopback, after a %s warm-up.\n\n",
		o.Clients, o.Duration, o.Warmup)
	b.WriteString("| shape | answer bytes | target | req/s | of the ceiling | p50 | p99 | p99/p50 | errors |\n| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range rs {
		for _, t := range []Target{r.Ceiling, r.Off, r.Miss} {
			res := t.Result
			spread := 0.0
			if p50 := res.P50(); p50 > 0 {
				spread = float64(res.P99()) / float64(p50)
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %.0f | %.1f%% | %s | %s | %.1f | %d |\n", r.Shape.Name, r.ResponseBytes, t.Name, res.RPS(), 100*r.Ratio(t),
				ms(res.P50()), ms(res.P99()), spread, res.Errors)
		}
	}
	return b.String()
}
