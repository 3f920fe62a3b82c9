package economy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Report accounts for one request's use of the upstream: the calls it spent, the
// answers it got from the cache, and how old and how fresh the data it used are. The
// gateway reads it to mark stale responses (`extensions.stale`, `extensions.age`), to
// derive Cache-Control, and to log the calls each operation spent.
type Report struct {
	mu sync.Mutex
	// limit is the most calls the request may make (0: no limit); parent, for a
	// sub-report, is the report its calls count in.
	limit     int
	parent    *Report
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

// WithSubReport returns a context that carries a new report for one part of the
// work of ctx's request (a crawl, which must know the age of its own oldest page),
// and the report. The calls made under it are the request's own: they count in the
// request's report as they go out, against its call limit, and not in the
// sub-report's Summary (without a report in ctx, the sub-report counts them).
func WithSubReport(ctx context.Context) (context.Context, *Report) {
	r := &Report{parent: ReportFrom(ctx)}
	return context.WithValue(ctx, reportKey{}, r), r
}

// ReportFrom returns the report of ctx, or nil (every method accepts a nil report).
func ReportFrom(ctx context.Context) *Report {
	r, _ := ctx.Value(reportKey{}).(*Report)
	return r
}

// LimitCalls bounds the calls to LL2 the report's request may make; n of zero or less
// is no bound. Past it the transport refuses calls with a *CallLimitError (answers
// from the cache stay free). On a sub-report it bounds the request's report.
func (r *Report) LimitCalls(n int) {
	if r == nil {
		return
	}
	r = r.root()
	r.mu.Lock()
	r.limit = max(n, 0)
	r.mu.Unlock()
}

// root is the report a report's calls count in: its request's.
func (r *Report) root() *Report {
	for r.parent != nil {
		r = r.parent
	}
	return r
}

// CallLimitError is a call to LL2 that the transport did not make because the request
// had made as many as it may (Report.LimitCalls).
type CallLimitError struct {
	// Limit is the most calls one request may make.
	Limit  int
	report *Report
}

// Error says which limit refused the call.
func (e *CallLimitError) Error() string {
	return fmt.Sprintf("upstream: the request has made the %d LL2 calls it may make", e.Limit)
}

// RefusedForAnother reports whether err is a call refused by the call limit of
// another request than ctx's: one whose call (or crawl) ctx's request joined, and
// which ctx's request must then make itself rather than fail for another's limit.
func RefusedForAnother(ctx context.Context, err error) bool {
	var e *CallLimitError
	if !errors.As(err, &e) {
		return false
	}
	r := ReportFrom(ctx)
	return r == nil || r.root() != e.report
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

// take counts a call about to go out in the request's report, or refuses it with a
// *CallLimitError when the request has made as many as its limit allows.
func (r *Report) take() error {
	if r == nil {
		return nil
	}
	r = r.root()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.limit > 0 && r.calls >= r.limit {
		return &CallLimitError{Limit: r.limit, report: r}
	}
	r.calls++
	return nil
}

// untake gives back a call counted by take that did not go out after all (the budget
// refused it).
func (r *Report) untake() {
	if r == nil {
		return
	}
	r = r.root()
	r.mu.Lock()
	r.calls--
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
