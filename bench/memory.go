package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"spacegraph/economy"
	"spacegraph/gateway"
	"spacegraph/ll2/ll2server"
)

// ProcStatus returns a field of /proc/self/status in bytes, e.g. "VmRSS" or "VmHWM".
func ProcStatus(field string) (uint64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		return kb << 10, err
	}
	return 0, fmt.Errorf("bench: no %s in /proc/self/status", field)
}

// ResetPeakRSS resets VmHWM to the current RSS (Linux: 5 into /proc/self/clear_refs),
// so that a peak measured after it belongs to what follows.
func ResetPeakRSS() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// MemoryOptions configure scenario d.
type MemoryOptions struct {
	// Requests is the number of requests in all (spacebench: 1,000,000).
	Requests int
	// Distinct is the number of distinct requests (spacebench: 10,000, at most).
	Distinct int
	// CacheBytes is the gateway's cache bound (gateway.Config.CacheBytes).
	CacheBytes uint64
	// Workers is the number of concurrent in-process callers.
	Workers int
	// Latency is the built-in LL2 server's latency.
	Latency time.Duration
	// MemoryLimit sets the Go runtime's soft memory limit (as GOMEMLIMIT does) before
	// the run to the bound plus the measured overhead less the resident memory the
	// runtime does not manage (NotGo), as a deployment sets it to its container's
	// memory less that: without it the collector lets the heap grow to twice what is
	// live, whatever the caches' bound, and with the whole of it the runtime would
	// spend, on its heap, the memory the binary's code takes.
	MemoryLimit bool
	// HeapProfile, when set, is a file to write a heap profile to at the end, while
	// the gateway and its caches are still alive.
	HeapProfile string
}

// MemoryResult is scenario d: the memory a long run of distinct queries takes under
// the cache bound.
type MemoryResult struct {
	// Options are the options the scenario ran with.
	Options MemoryOptions
	// Bound is what the gateway's caches may hold by their own accounting: CacheBytes
	// for LL2's answers, a quarter of it for whole responses and a quarter for the LL2
	// client's decoded answers.
	Bound uint64
	// Overhead is the peak RSS of the same load served by a gateway whose caches are
	// 1 MiB: runtime, code, the built-in LL2 server's data, the request bodies and the
	// working set of the requests in flight.
	Overhead uint64
	// PeakRSS is VmHWM over the run; PeakHeap the largest Go heap in use sampled, and
	// HeapAfter the heap in use at the end, after a collection.
	PeakRSS, PeakHeap, HeapAfter uint64
	// NotGo is the resident memory the Go runtime does not manage (the binary's code
	// and data, the C library), measured after the overhead: the overhead counts it,
	// and the Go memory limit, which covers only what the runtime manages, is set to
	// the bound plus the overhead less it, as a deployment sets GOMEMLIMIT to its
	// container's memory less what is not Go's.
	NotGo uint64
	// HeapBefore is the heap in use when Overhead was measured.
	HeapBefore uint64
	// LiveBefore and LiveAfter are the live heap (after a collection) before and
	// after the run: their difference is what the full caches really take.
	LiveBefore, LiveAfter uint64
	// AnswerBytes, ResponseBytes and DecodedBytes are what the LL2 answer cache, the
	// whole-response cache and the LL2 client's decoded answers hold at the end, by
	// their weighers.
	AnswerBytes, ResponseBytes, DecodedBytes uint64
	// Calls is the LL2 calls spent (repeats are caused by evictions).
	Calls int
	// Result is the load's result.
	Result Result
}

// Limit is the most the peak RSS may be: the bound plus the overhead.
func (r MemoryResult) Limit() uint64 { return r.Bound + r.Overhead }

// GoLimit is the Go memory limit the run sets with MemoryOptions.MemoryLimit: Limit
// less the resident memory the runtime does not manage (NotGo), which Limit counts and
// the runtime's limit does not; at least half of Limit, should NotGo be misread.
func (r MemoryResult) GoLimit() uint64 { return r.Limit() - min(r.NotGo, r.Limit()/2) }

// OK reports whether the peak RSS stayed within Limit and every request succeeded.
func (r MemoryResult) OK() bool { return r.PeakRSS <= r.Limit() && r.Result.Errors == 0 }

// splitmix returns a well-mixed 64-bit hash of i.
func splitmix(i uint64) uint64 {
	i += 0x9e3779b97f4a7c15
	i = (i ^ i>>30) * 0xbf58476d1ce4e5b9
	i = (i ^ i>>27) * 0x94d049bb133111eb
	return i ^ i>>31
}

// Memory sends o.Requests requests drawn uniformly at random from o.Distinct distinct
// ones to a gateway bounded to o.CacheBytes, in-process, and measures the process's
// peak RSS against the bound plus the overhead measured before the run. Run it in a
// process of its own: the peak RSS is the process's.
func Memory(ctx context.Context, o MemoryOptions) (MemoryResult, error) {
	res := MemoryResult{Options: o, Bound: o.CacheBytes + o.CacheBytes/4 + o.CacheBytes/4}
	bodies := MemoryBodies(o.Distinct)
	cfg := gateway.Config{CacheBytes: o.CacheBytes, LL2: ll2server.Options{Latency: o.Latency}}
	verify := func(status int, body []byte) error {
		if status != http.StatusOK || bytes.Contains(body, []byte(`"errors"`)) {
			return fmt.Errorf("status %d: %.300s", status, body)
		}
		return nil
	}

	// The overhead is what the process needs to serve this very load with caches that
	// hold next to nothing: runtime, code, the built-in LL2 server's data, the request
	// bodies, and the working set of o.Workers requests in flight (each decodes and
	// encodes pages of up to 100 objects). It is measured as the peak RSS of the same
	// load on a gateway of its own whose caches are 1 MiB, over a tenth of the
	// requests (at least 2,000, at most 100,000); it depends on the load, not on the
	// number of requests or of distinct queries, which is what makes it fixed.
	tiny := cfg
	tiny.CacheBytes = 1 << 20
	warm, err := NewGateway(tiny)
	if err != nil {
		return res, err
	}
	if err := ResetPeakRSS(); err != nil {
		return res, fmt.Errorf("resetting the peak RSS: %w", err)
	}
	n := min(max(o.Requests/10, 2000), 100_000)
	wr, err := Load{Handler: warm.Handler, Bodies: func(i int) []byte { return bodies[splitmix(uint64(i)^0x5bd1e995)%uint64(len(bodies))] }, Clients: o.Workers, Requests: n, Verify: verify}.Run(ctx)
	warm.Close()
	if err != nil {
		return res, err
	}
	if wr.Errors > 0 {
		return res, fmt.Errorf("warm-up: %s", strings.Join(wr.ErrorSamples, "; "))
	}
	if res.Overhead, err = ProcStatus("VmHWM"); err != nil {
		return res, err
	}
	if res.NotGo, err = notGoRSS(); err != nil {
		return res, err
	}
	g, err := NewGateway(cfg)
	if err != nil {
		return res, err
	}
	defer g.Close()
	runtime.GC()
	debug.FreeOSMemory()
	res.HeapBefore, res.LiveBefore = heapInUse(), liveHeap()
	if o.MemoryLimit {
		prev := debug.SetMemoryLimit(int64(res.GoLimit()))
		defer debug.SetMemoryLimit(prev)
	}
	if err := ResetPeakRSS(); err != nil {
		return res, fmt.Errorf("resetting the peak RSS: %w", err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			res.PeakHeap = max(res.PeakHeap, heapInUse())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	res.Result, err = Load{
		Handler:  g.Handler,
		Bodies:   func(i int) []byte { return bodies[splitmix(uint64(i))%uint64(len(bodies))] },
		Clients:  o.Workers,
		Requests: o.Requests,
		Verify:   verify,
	}.Run(ctx)
	close(stop)
	wg.Wait()
	if err != nil {
		return res, err
	}
	if res.PeakRSS, err = ProcStatus("VmHWM"); err != nil {
		return res, err
	}
	res.Calls = g.LL2.Counters().Total
	if s, ok := g.Transport.Store().(*economy.MemoryStore); ok {
		res.AnswerBytes = s.WeightedSize()
	}
	if s, ok := g.Responses.(*economy.MemoryStore); ok {
		res.ResponseBytes = s.WeightedSize()
	}
	res.DecodedBytes = g.Client.DecodedSize()
	runtime.GC()
	res.HeapAfter, res.LiveAfter = heapInUse(), liveHeap()
	if o.HeapProfile != "" {
		f, err := os.Create(o.HeapProfile)
		if err != nil {
			return res, err
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			return res, err
		}
	}
	if res.Result.Errors > 0 {
		return res, errors.New(strings.Join(res.Result.ErrorSamples, "; "))
	}
	return res, nil
}

// notGoRSS returns the resident memory the Go runtime does not account for: VmRSS less
// the memory the runtime has mapped and not released to the system.
func notGoRSS() (uint64, error) {
	rss, err := ProcStatus("VmRSS")
	if err != nil {
		return 0, err
	}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	goMem := s[0].Value.Uint64() - s[1].Value.Uint64()
	return rss - min(rss, goMem), nil
}

// heapInUse returns the bytes of the Go heap's spans in use (MemStats.HeapInuse).
func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// liveHeap returns the bytes of the objects the last collection found alive.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// Markdown returns the scenario's table.
func (r MemoryResult) Markdown() string {
	var b strings.Builder
	limit := "the Go runtime's default memory settings (GOGC 100, no memory limit)"
	if r.Options.MemoryLimit {
		limit = fmt.Sprintf("the Go runtime's memory limit set to bound + overhead less the resident memory the runtime does not manage (%s)", mib(r.GoLimit()))
	}
	fmt.Fprintf(&b, "%d requests drawn at random from %d distinct ones (1,250 documents × variables), %d in-process callers, CacheBytes %s, LL2 answering in %s, %s. The bound is what the gateway's caches may hold by their own weighing (CacheBytes for LL2's answers, a quarter of it for whole responses, a quarter for decoded LL2 answers); the overhead is the peak RSS of the same load (a tenth of the requests, 2,000 to 100,000) on a gateway whose caches are 1 MiB: the process and the working set of the requests in flight.\n\n",
		r.Result.Requests, r.Options.Distinct, r.Options.Workers, mib(r.Options.CacheBytes), r.Options.Latency, limit)
	b.WriteString("| requests | req/s | LL2 calls | answer cache | response cache | decoded answers | bound | overhead | not Go's | bound + overhead | peak RSS | heap in use: before, peak, after | live heap: before, after | errors |\n")
	b.WriteString("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	fmt.Fprintf(&b, "| %d | %.0f | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s, %s, %s | %s, %s | %d |\n",
		r.Result.Requests, r.Result.RPS(), r.Calls, mib(r.AnswerBytes), mib(r.ResponseBytes), mib(r.DecodedBytes), mib(r.Bound), mib(r.Overhead), mib(r.NotGo), mib(r.Limit()),
		mib(r.PeakRSS), mib(r.HeapBefore), mib(r.PeakHeap), mib(r.HeapAfter), mib(r.LiveBefore), mib(r.LiveAfter), r.Result.Errors)
	if r.OK() {
		fmt.Fprintf(&b, "\nThe peak RSS stayed within the bound plus the overhead (%s of headroom).\n", mib(r.Limit()-r.PeakRSS))
	} else {
		fmt.Fprintf(&b, "\nFAIL: the peak RSS exceeds the bound plus the overhead by %s.\n", mib(r.PeakRSS-min(r.PeakRSS, r.Limit())))
	}
	return b.String()
}
