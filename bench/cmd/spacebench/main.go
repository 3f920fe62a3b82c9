// Command spacebench runs the benchmarks of spacegraph's upstream economy and prints
// a markdown table per scenario:
//
//	calls       the LL2 calls of every query of the call table, cold and warm
//	throughput  the nested reference query under 64 clients, beside a ceiling
//	shapes      every reference shape, each request a new document, under 32 clients
//	stampede    64 clients asking a cold gateway the nested query at once
//	memory      peak RSS over 1,000,000 requests of 10,000 distinct ones
//	hour        an hour of simulated traffic against LL2's 15 calls an hour
//
// It exits with status 1 when an invariant fails: a warm query spent a call, the
// stampede spent more than one, the hour exceeded LL2's limit, or the memory went
// past the bound plus the overhead. The throughput goals are reported, not enforced.
//
// Usage:
//
//	go run ./bench/cmd/spacebench [-run calls,throughput,shapes,stampede,memory,hour] [-d 10s] [-mem-requests 1000000]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"time"

	"spacegraph/bench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

var scenarios = []string{"calls", "throughput", "shapes", "stampede", "memory", "hour"}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("spacebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		only         = fs.String("run", strings.Join(scenarios, ","), "the scenarios to run, comma-separated: "+strings.Join(scenarios, ", "))
		latency      = fs.Duration("latency", bench.Latency, "the built-in LL2 server's latency (all scenarios but hour)")
		clients      = fs.Int("clients", 64, "concurrent clients of the throughput and stampede scenarios")
		duration     = fs.Duration("d", 10*time.Second, "how long each throughput target is measured")
		warmup       = fs.Duration("warmup", time.Second, "the load run before each throughput measurement, not counted")
		shapeClients = fs.Int("shape-clients", 32, "concurrent clients of the shapes scenario")
		cpuprofile   = fs.String("cpuprofile", "", "write a CPU profile of each throughput target to PREFIX-TARGET.pprof")
		memReqs      = fs.Int("mem-requests", 1_000_000, "requests of the memory scenario")
		memQueries   = fs.Int("mem-queries", 10_000, "distinct requests of the memory scenario (at most 10,000)")
		memCache     = fs.Uint64("mem-cache-mib", 32, "the gateway's cache bound in the memory scenario, MiB")
		memWorkers   = fs.Int("mem-workers", 64, "concurrent in-process callers of the memory scenario")
		memLimit     = fs.Bool("mem-gomemlimit", true, "set the Go memory limit to the bound plus the overhead in the memory scenario, as GOMEMLIMIT does in a deployment")
		memProfile   = fs.String("mem-heapprofile", "", "write a heap profile at the end of the memory scenario to this file")
		memInProc    = fs.Bool("mem-in-process", false, "run the memory scenario in this process even with others (its peak RSS is then the process's)")
		hour         = bench.DefaultHourOptions()
	)
	fs.IntVar(&hour.Queries, "hour-queries", hour.Queries, "distinct queries of the simulated hour")
	fs.IntVar(&hour.Rate, "hour-rate", hour.Rate, "requests per simulated second")
	fs.DurationVar(&hour.Duration, "hour-duration", hour.Duration, "simulated time of the hour scenario")
	fs.IntVar(&hour.Limit, "hour-limit", hour.Limit, "LL2's throttle and the gateway's budget, calls per window")
	fs.Float64Var(&hour.Zipf, "hour-zipf", hour.Zipf, "Zipf exponent of the queries' popularity")
	replica := fs.Bool("hour-replica", true, "also play the hour with the gateway in replica mode (Prefetch)")
	fs.Uint64Var(&hour.Seed, "seed", hour.Seed, "seed of the query mix and the draws")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	want := strings.Split(*only, ",")
	for _, s := range want {
		if !slices.Contains(scenarios, s) {
			fmt.Fprintf(stderr, "spacebench: unknown scenario %q (want %s)\n", s, strings.Join(scenarios, ", "))
			return 2
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	failed := false
	fail := func(format string, a ...any) {
		failed = true
		fmt.Fprintf(stderr, "spacebench: "+format+"\n", a...)
	}
	section := func(title string) { fmt.Fprintf(stdout, "### %s\n\n", title) }
	if len(want) > 1 {
		fmt.Fprintf(stdout, "spacebench on %s, %d CPUs (GOMAXPROCS %d), %s\n\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	}

	if slices.Contains(want, "calls") {
		section("a. Upstream calls per query, cold and warm")
		r, err := bench.UpstreamCalls(*latency)
		switch {
		case err != nil:
			fail("calls: %v", err)
		case !r.WarmZero():
			fail("calls: a warm run spent LL2 calls")
		}
		fmt.Fprintln(stdout, r.Markdown())
	}
	if slices.Contains(want, "throughput") {
		section("b. Throughput of the nested reference query")
		r, err := bench.Throughput(ctx, bench.ThroughputOptions{Clients: *clients, Duration: *duration, Warmup: *warmup, Latency: *latency, CPUProfile: *cpuprofile})
		if err != nil {
			fail("throughput: %v", err)
		} else {
			fmt.Fprintln(stdout, r.Markdown())
		}
	}
	if slices.Contains(want, "shapes") {
		section("b2. Throughput of the reference shapes, documents the gateway has not seen")
		o := bench.ThroughputOptions{Clients: *shapeClients, Duration: *duration, Warmup: *warmup, Latency: *latency, CPUProfile: *cpuprofile}
		r, err := bench.ShapesThroughput(ctx, o)
		if err != nil {
			fail("shapes: %v", err)
		} else {
			fmt.Fprintln(stdout, bench.ShapesMarkdown(r, o))
		}
	}
	if slices.Contains(want, "stampede") {
		section("c. Cold stampede")
		r, err := bench.Stampede(ctx, *clients, *latency)
		switch {
		case err != nil:
			fail("stampede: %v", err)
		case !r.OK():
			fail("stampede: %d LL2 calls, want 1", r.Calls)
		}
		fmt.Fprintln(stdout, r.Markdown())
	}
	if slices.Contains(want, "memory") {
		section("d. Memory under the cache bound")
		o := bench.MemoryOptions{Requests: *memReqs, Distinct: *memQueries, CacheBytes: *memCache << 20, Workers: *memWorkers, Latency: *latency, HeapProfile: *memProfile, MemoryLimit: *memLimit}
		if len(want) > 1 && !*memInProc {
			// The peak RSS is the process's: measure it in a process of its own.
			if err := child(ctx, stdout, stderr, o); err != nil {
				fail("memory: %v", err)
			}
		} else {
			r, err := bench.Memory(ctx, o)
			switch {
			case err != nil:
				fail("memory: %v", err)
			case !r.OK():
				fail("memory: peak RSS %d bytes over the limit of %d", r.PeakRSS, r.Limit())
			}
			fmt.Fprintln(stdout, r.Markdown())
		}
	}
	if slices.Contains(want, "hour") {
		section("e. One hour of simulated traffic")
		modes := []bool{false}
		if *replica {
			modes = append(modes, true)
		}
		for _, prefetch := range modes {
			o := hour
			o.Prefetch = prefetch
			r, err := bench.SimulatedHour(ctx, o)
			switch {
			case err != nil:
				fail("hour: %v", err)
			case !r.OK():
				fail("hour: %d calls refused by LL2, at most %d in a window (limit %d)", r.Throttled, r.MaxInWindow, hour.Limit)
			}
			fmt.Fprintln(stdout, r.Markdown())
		}
	}
	if failed {
		return 1
	}
	return 0
}

// child runs the memory scenario in a new process of this program and copies its
// table; the child's header line is left out.
func child(ctx context.Context, stdout, stderr io.Writer, o bench.MemoryOptions) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, exe, "-run=memory",
		fmt.Sprintf("-mem-requests=%d", o.Requests), fmt.Sprintf("-mem-queries=%d", o.Distinct),
		fmt.Sprintf("-mem-cache-mib=%d", o.CacheBytes>>20), fmt.Sprintf("-mem-workers=%d", o.Workers),
		fmt.Sprintf("-latency=%s", o.Latency), "-mem-heapprofile="+o.HeapProfile, fmt.Sprintf("-mem-gomemlimit=%v", o.MemoryLimit))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, stderr
	err = cmd.Run()
	// The child prints its own section title; keep the table only.
	_, table, _ := strings.Cut(out.String(), "\n\n")
	fmt.Fprint(stdout, table)
	if err != nil {
		return fmt.Errorf("the child process failed (%w)", err)
	}
	return nil
}

// cpuModel returns the CPU's model name from /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
