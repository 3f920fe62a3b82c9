package upstream

import (
	"context"
	"sync"
	"time"
)

// Report accounts for one request's use of the upstream: the calls it spent, the
// answers it got from the cache, and how old and how fresh the data it used are. The
// gateway reads it to mark stale responses (`extensions.stale`, `extensions.age`), to
// derive Cache-Control, and to log the calls each operation spent.
type Report struct {
	mu        sync.Mutex
	calls     int
	hits      int
	stale     int
	maxAge    time.Duration
	minFresh  time.Duration
	freshKnow bool
}

type reportKey struct{}

// WithReport returns a context that carries a new report, and the report.
func WithReport(ctx context.Context) (context.Context, *Report) {
	r := &Report{}
	return context.WithValue(ctx, reportKey{}, r), r
}

// ReportFrom returns the report of ctx, or nil (every method accepts a nil report).
func ReportFrom(ctx context.Context) *Report {
	r, _ := ctx.Value(reportKey{}).(*Report)
	return r
}

func (r *Report) used(e Entry, now time.Time, stale bool) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if stale {
		r.stale++
	}
	r.maxAge = max(r.maxAge, e.Age(now))
	rem := e.Remaining(now)
	if !r.freshKnow || rem < r.minFresh {
		r.minFresh, r.freshKnow = rem, true
	}
}

func (r *Report) call() {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.calls++
	r.mu.Unlock()
}

func (r *Report) hit() {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.hits++
	r.mu.Unlock()
}

// UseData records data used from elsewhere than an LL2 answer (a crawled collection
// kept by the catalog), fetched at fetched and fresh for ttl.
func (r *Report) UseData(fetched time.Time, ttl time.Duration, now time.Time, stale bool) {
	r.used(Entry{Fetched: fetched, TTL: ttl}, now, stale)
}

// Include adds what another report saw to r, so that work done under a report of
// its own (a crawl, which must know its own oldest page) still counts for the request
// that waited on it.
func (r *Report) Include(s Summary) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls += s.Calls
	r.hits += s.Hits
	r.stale += s.Stale
	r.maxAge = max(r.maxAge, s.MaxAge)
	if s.FreshKnown && (!r.freshKnow || s.MinFresh < r.minFresh) {
		r.minFresh, r.freshKnow = s.MinFresh, true
	}
}

type freshOnlyKey struct{}

// WithFreshOnly marks calls made under ctx as wanting fresh answers: an answer past
// its TTL is fetched again at once rather than served stale while a background refresh
// runs (it still stands in if LL2 fails). Replica mode's crawls use it: a crawl taken
// from stale pages would be stamped new and pass for fresh until the next one.
func WithFreshOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, freshOnlyKey{}, true)
}

func freshOnly(ctx context.Context) bool {
	v, _ := ctx.Value(freshOnlyKey{}).(bool)
	return v
}

type revalidateKey struct{}

// WithRevalidate marks calls made under ctx as doubting the answers kept: each goes to
// LL2 even when a fresh answer is kept, and a good answer replaces the kept one (a
// kept copy still stands in if LL2 fails). The catalog uses it when the pages of a
// crawl, each fine alone, do not add up: one of them is out of date.
func WithRevalidate(ctx context.Context) context.Context {
	return context.WithValue(ctx, revalidateKey{}, true)
}

func revalidate(ctx context.Context) bool {
	v, _ := ctx.Value(revalidateKey{}).(bool)
	return v
}

// Summary is a report's content.
type Summary struct {
	// Calls is how many calls to LL2 the request spent.
	Calls int
	// Hits is how many answers came from the cache.
	Hits int
	// Stale is how many answers were served past their freshness.
	Stale int
	// MaxAge is the age of the oldest data used.
	MaxAge time.Duration
	// MinFresh is how long the freshest-expiring data used stays fresh; FreshKnown is
	// false when no LL2 data was used (introspection, bad input).
	MinFresh   time.Duration
	FreshKnown bool
}

// Summary returns the report's content.
func (r *Report) Summary() Summary {
	if r == nil {
		return Summary{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return Summary{Calls: r.calls, Hits: r.hits, Stale: r.stale, MaxAge: r.maxAge, MinFresh: r.minFresh, FreshKnown: r.freshKnow}
}
