package economy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"spacegraph/ll2"
)

// TTLs gives how long answers of each endpoint stay fresh, by path prefix below the
// version root ("spacecraft/", "config/", …); Default covers the rest.
type TTLs struct {
	ByPrefix map[string]time.Duration
	Default  time.Duration
}

// DefaultTTLs suit LL2's pace: spacecraft change within hours (a docking, a landing),
// configurations, agencies and families within days, lookup tables hardly ever.
func DefaultTTLs() TTLs {
	return TTLs{
		ByPrefix: map[string]time.Duration{
			"spacecraft/":                        time.Hour,
			"spacecraft_configurations/":         6 * time.Hour,
			"agencies/":                          6 * time.Hour,
			"spacecraft_configuration_families/": 6 * time.Hour,
			"config/":                            24 * time.Hour,
		},
		Default: time.Hour,
	}
}

// OrDefault returns t, or DefaultTTLs when t is the zero value (nothing configured).
func (t TTLs) OrDefault() TTLs {
	if t.Default == 0 && t.ByPrefix == nil {
		return DefaultTTLs()
	}
	return t
}

// For returns the TTL of a path below the version root.
func (t TTLs) For(path string) time.Duration {
	best, ttl := -1, t.Default
	for p, d := range t.ByPrefix {
		if strings.HasPrefix(path, p) && len(p) > best {
			best, ttl = len(p), d
		}
	}
	return ttl
}

// Event is what the transport tells its observer about each answer it gives.
type Event struct {
	// Path is the path below the version root.
	Path string
	// Outcome is one of "hit", "stale", "stale-if-error", "miss", "budget", "error".
	Outcome string
	// Status is the HTTP status given to the client.
	Status int
}

// Options configure a Transport.
type Options struct {
	// Base carries the calls that go out (the network, or the built-in server).
	Base http.RoundTripper
	// Store keeps answers; nil means a MemoryStore of DefaultCacheBytes.
	Store Store
	// Flight shares calls; nil means a MemoryFlight.
	Flight Flight
	// Budget limits calls; nil means unlimited.
	Budget Budget
	// TTLs are the freshness per endpoint (zero: DefaultTTLs).
	TTLs TTLs
	// StaleWhileRevalidate is how long past its TTL an answer is served at once while
	// a refresh runs in the background (0: equal to the TTL).
	StaleWhileRevalidate time.Duration
	// MaxStale is how long past its TTL an answer may be served when LL2 fails or the
	// budget is spent (0: DefaultMaxStale).
	MaxStale time.Duration
	// NotFoundTTL is how long a 404 is remembered (0: 10 minutes).
	NotFoundTTL time.Duration
	// CallTimeout bounds a call when the request has no deadline (0: 30 s).
	CallTimeout time.Duration
	// MaxBackgroundRefreshes bounds the refreshes running at once (0: 4).
	MaxBackgroundRefreshes int
	// MaxConcurrentCalls bounds the calls out to Base at once, across all requests
	// (0: DefaultMaxConcurrentCalls). Calls past the bound wait for a slot (or for
	// their deadline) before they claim the budget, so waiting costs nothing.
	MaxConcurrentCalls int
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Observe, when set, is told of every answer.
	Observe func(Event)
	// Logger receives refresh failures (nil: discarded).
	Logger *slog.Logger
}

// Transport is the caching, sharing, budgeted RoundTripper. It caches GET answers of
// LL2's data endpoints; other requests (api-throttle/, non-GET) pass through.
type Transport struct {
	o          Options
	local      *MemoryStore // o.Store when it is the process's own (see Kept)
	refreshing chan struct{}
	calls      chan struct{}
	mu         sync.Mutex
	running    map[string]bool
	// life is the context of background refreshes, which outlive the requests that
	// start them but not the transport: Close cancels it and waits for them.
	life   context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup
	closed bool
}

// DefaultMaxStale is how long past its TTL an answer may stand in by default: a week
// of LL2 outage or spent budget still answers with data.
const DefaultMaxStale = 7 * 24 * time.Hour

// DefaultCacheBytes bounds the in-process cache of LL2 answers when nothing else is
// said: room for thousands of pages at the most detailed level, a small part of a
// modest container's memory.
const DefaultCacheBytes = 256 << 20

// DefaultMaxConcurrentCalls is the default bound on calls out at once: LL2 is one
// modest server, and a keyed budget of hundreds of calls an hour still should not
// arrive as one burst of hundreds of connections.
const DefaultMaxConcurrentCalls = 16

// NewTransport returns a transport over o.Base.
func NewTransport(o Options) *Transport {
	if o.Store == nil {
		o.Store = NewMemoryStore(DefaultCacheBytes)
	}
	if o.Flight == nil {
		o.Flight = &MemoryFlight{}
	}
	o.TTLs = o.TTLs.OrDefault()
	if o.MaxStale <= 0 {
		o.MaxStale = DefaultMaxStale
	}
	if o.NotFoundTTL <= 0 {
		o.NotFoundTTL = 10 * time.Minute
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 30 * time.Second
	}
	if o.MaxBackgroundRefreshes <= 0 {
		o.MaxBackgroundRefreshes = 4
	}
	if o.MaxConcurrentCalls <= 0 {
		o.MaxConcurrentCalls = DefaultMaxConcurrentCalls
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	life, cancel := context.WithCancel(context.Background())
	local, _ := o.Store.(*MemoryStore)
	return &Transport{o: o, local: local, refreshing: make(chan struct{}, o.MaxBackgroundRefreshes),
		calls: make(chan struct{}, o.MaxConcurrentCalls), running: map[string]bool{}, life: life, cancel: cancel}
}

// ErrClosed is the error of a call to LL2 asked of a closed transport.
var ErrClosed = errors.New("economy: the transport is closed")

// begin counts a piece of work (a call, a background refresh) that Close must wait
// for, unless the transport is closed.
func (t *Transport) begin() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.bg.Add(1)
	return true
}

// Close cancels the calls to LL2 and the background refreshes still running, and
// waits for them, so that none outlives the transport (and the caches it writes to).
// Afterwards answers come from the cache only. It may be called more than once.
func (t *Transport) Close() error {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.cancel()
	t.bg.Wait()
	return nil
}

// Store returns the transport's store.
func (t *Transport) Store() Store { return t.o.Store }

// Budget returns the transport's budget (nil when unlimited).
func (t *Transport) Budget() Budget { return t.o.Budget }

// Key is the cache key of a request: the host, the path and the query without the
// format parameter, sorted, so that equal requests share an entry however written.
func Key(u *url.URL) string {
	q := u.Query()
	q.Del("format")
	return KeyOf(u.Host, u.Path, q.Encode())
}

// KeyOf is Key of a URL of host and path whose query without format is query, in
// url.Values' sorted encoding.
func KeyOf(host, path, query string) string {
	return "ll2:" + host + path + "?" + query
}

// endpointPath returns the path below the version root ("spacecraft/12/").
func endpointPath(p string) string {
	if i := strings.Index(p, "/2.3.0/"); i >= 0 {
		return p[i+len("/2.3.0/"):]
	}
	return strings.TrimPrefix(p, "/")
}

func (t *Transport) observe(path, outcome string, status int) {
	if t.o.Observe != nil {
		t.o.Observe(Event{Path: path, Outcome: outcome, Status: status})
	}
}

// RoundTrip answers from the cache when it can, else makes (or joins) the call.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	path := endpointPath(req.URL.Path)
	if req.Method != http.MethodGet || strings.HasPrefix(path, ll2.PathAPIThrottle) {
		return t.o.Base.RoundTrip(req)
	}
	ctx := req.Context()
	rep := ReportFrom(ctx)
	key := Key(req.URL)
	ttl := t.o.TTLs.For(path)
	now := t.o.Now()

	old, have, err := t.o.Store.Get(ctx, key)
	if err != nil {
		t.o.Logger.WarnContext(ctx, "cache read failed", "key", key, "err", err)
		have = false
	}
	if have && !revalidate(ctx) {
		switch {
		case old.Fresh(now):
			t.served(rep, path, "hit", old, now, false)
			return response(req, old, now, false), nil
		case old.Age(now) < old.TTL+t.swr(old.TTL) && !freshOnly(ctx):
			t.served(rep, path, "stale", old, now, true)
			t.refresh(req, key, ttl)
			return response(req, old, now, true), nil
		}
	}

	res, err := t.fetch(ctx, req, key, ttl, PriorityUser)
	var be *budgetError
	switch {
	case err == nil && res.Usable:
		t.observe(path, "miss", res.Entry.Status)
		rep.used(res.Entry, now, false)
		return response(req, res.Entry, t.o.Now(), false), nil
	case have && old.Age(now) < old.TTL+t.o.MaxStale:
		// LL2 failed, throttled or the budget is spent: the stale copy is better than
		// an error, and the response says it is stale.
		t.served(rep, path, "stale-if-error", old, now, true)
		return response(req, old, now, true), nil
	case errors.As(err, &be):
		t.observe(path, "budget", http.StatusTooManyRequests)
		return throttled(req, be.wait), nil
	case err != nil:
		t.observe(path, "error", 0)
		return nil, err
	}
	t.observe(path, "error", res.Entry.Status)
	resp := response(req, res.Entry, t.o.Now(), false)
	if res.RetryAfter != "" {
		resp.Header.Set("Retry-After", res.RetryAfter)
	}
	return resp, nil
}

// Kept answers a GET of u from a fresh 200 answer in the process's own store, as
// RoundTrip answers it, without the request and response around it (see ll2.Keeper).
// A shared store (Redis) is left to RoundTrip: reading it twice when the answer is
// stale or missing would cost a network round trip more.
func (t *Transport) Kept(ctx context.Context, host, urlPath, query string) ([]byte, bool) {
	if t.local == nil || revalidate(ctx) {
		return nil, false
	}
	path := endpointPath(urlPath)
	if strings.HasPrefix(path, ll2.PathAPIThrottle) {
		return nil, false
	}
	now := t.o.Now()
	e, have, _ := t.local.Get(ctx, KeyOf(host, urlPath, query))
	if !have || e.Status != http.StatusOK || !e.Fresh(now) {
		return nil, false
	}
	t.served(ReportFrom(ctx), path, "hit", e, now, false)
	return e.Body, true
}

// served accounts for an answer served from the store: a hit in the request's report,
// the answer's age and freshness, and the event (outcome: hit, stale, stale-if-error).
func (t *Transport) served(rep *Report, path, outcome string, e Entry, now time.Time, stale bool) {
	rep.hit()
	rep.used(e, now, stale)
	t.observe(path, outcome, e.Status)
}

var _ ll2.Keeper = (*Transport)(nil)

func (t *Transport) swr(ttl time.Duration) time.Duration {
	if t.o.StaleWhileRevalidate > 0 {
		return t.o.StaleWhileRevalidate
	}
	return ttl
}

// budgetError is the budget refusing a call.
type budgetError struct{ wait time.Duration }

func (e *budgetError) Error() string {
	return fmt.Sprintf("upstream: the call budget is spent for %s", e.wait.Round(time.Second))
}

// maxBody bounds what a call may bring back.
const maxBody = ll2.DefaultMaxBody

// fetch makes the call (or joins the one under way): claim the budget, call, read the
// whole body, keep what is worth keeping, and stop every call after a 429.
func (t *Transport) fetch(ctx context.Context, req *http.Request, key string, ttl time.Duration, p Priority) (Result, error) {
	timeout := t.o.CallTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	rep := ReportFrom(ctx)
	flightKey := key
	if revalidate(ctx) {
		// A call that doubts the kept answer must not join one that may return it.
		flightKey += "#revalidate"
	}
	call := func(fctx context.Context) (Result, error) {
		// A shared call outlives the request that started it (others may have
		// joined it), but not the transport.
		if !t.begin() {
			return Result{}, ErrClosed
		}
		defer t.bg.Done()
		fctx, cancel := context.WithTimeout(fctx, timeout)
		defer cancel()
		defer context.AfterFunc(t.life, cancel)()
		// Another process (or a flight that just ended) may have brought the answer:
		// with a shared store, look again before spending a call.
		if e, ok, err := t.o.Store.Get(fctx, key); err == nil && ok && e.Fresh(t.o.Now()) && !revalidate(fctx) {
			return Result{Entry: e, Usable: true}, nil
		}
		select {
		case t.calls <- struct{}{}:
			defer func() { <-t.calls }()
		case <-fctx.Done():
			return Result{}, fctx.Err()
		}
		// The request's call limit counts only the calls that go out, so it is
		// checked here, where the call is sure to be needed, and before the budget is
		// spent on it.
		if err := rep.take(); err != nil {
			return Result{}, err
		}
		if t.o.Budget != nil {
			wait, ok, err := t.o.Budget.Take(fctx, p)
			if err != nil {
				rep.untake()
				return Result{}, fmt.Errorf("upstream: budget: %w", err)
			}
			if !ok {
				rep.untake()
				return Result{}, &budgetError{wait: wait}
			}
		}
		resp, err := t.o.Base.RoundTrip(req.Clone(fctx))
		if err != nil {
			return Result{}, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		if err != nil {
			return Result{}, err
		}
		now := t.o.Now()
		e := Entry{Status: resp.StatusCode, Body: body, Fetched: now, TTL: ttl}
		res := Result{Entry: e}
		switch {
		case resp.StatusCode == http.StatusOK && len(body) <= maxBody && json.Valid(body):
			// An answer the client would reject (another object, an error body, a
			// short page) is a failure of LL2's: kept, it would be rejected on every
			// read until it expired, and it would have replaced the good copy that
			// stands in when LL2 fails.
			if check := ll2.BodyCheckFrom(fctx); check != nil {
				if err := check(body); err != nil {
					t.o.Logger.WarnContext(fctx, "LL2 answered a 200 that cannot be used; not kept", "key", key, "err", err)
					break
				}
			}
			res.Usable = true
			t.store(fctx, key, e, ttl+t.o.MaxStale)
		case resp.StatusCode == http.StatusNotFound:
			e.TTL = t.o.NotFoundTTL
			res.Entry, res.Usable = e, true
			t.store(fctx, key, e, e.TTL)
		case resp.StatusCode == http.StatusTooManyRequests:
			var d ll2.Detail
			_ = json.Unmarshal(body, &d)
			wait, known := ll2.ParseRetryAfter(resp.Header, d.Detail, now)
			if !known {
				wait = time.Minute
			}
			if t.o.Budget != nil {
				if err := t.o.Budget.Block(fctx, now.Add(wait)); err != nil {
					t.o.Logger.WarnContext(fctx, "budget block failed", "err", err)
				} else if s, err := t.o.Budget.Status(fctx); err == nil && s.BlockedUntil.After(now) {
					// The budget cuts a wait longer than its window: the client is
					// told the wait it will see, not the one LL2 wrote.
					wait = s.BlockedUntil.Sub(now)
				}
			}
			if known {
				res.RetryAfter = strconv.Itoa(int((wait + time.Second - 1) / time.Second))
			}
		}
		return res, nil
	}
	res, err := t.o.Flight.Do(ctx, flightKey, call)
	if RefusedForAnother(ctx, err) {
		// The call this request joined was refused by the call limit of the request
		// that led it: the limit is that request's, so this one makes the call itself.
		return call(ctx)
	}
	return res, err
}

func (t *Transport) store(ctx context.Context, key string, e Entry, keep time.Duration) {
	if err := t.o.Store.Set(ctx, key, e, keep); err != nil {
		t.o.Logger.WarnContext(ctx, "cache write failed", "key", key, "err", err)
	}
}

// refresh renews an entry in the background at low priority, once per key at a time
// and within a bound on concurrent refreshes; when the bound is reached the stale copy
// is simply served again until a later request finds room.
func (t *Transport) refresh(req *http.Request, key string, ttl time.Duration) {
	t.mu.Lock()
	if t.running[key] || t.closed {
		t.mu.Unlock()
		return
	}
	select {
	case t.refreshing <- struct{}{}:
	default:
		t.mu.Unlock()
		return
	}
	t.running[key] = true
	t.bg.Add(1)
	t.mu.Unlock()
	bg := req.Clone(context.Background())
	// The refresh outlives the request and keeps none of its context but the
	// client's check of the answer.
	check := ll2.BodyCheckFrom(req.Context())
	go func() {
		defer t.bg.Done()
		defer func() {
			t.mu.Lock()
			delete(t.running, key)
			t.mu.Unlock()
			<-t.refreshing
		}()
		ctx, cancel := context.WithTimeout(t.life, t.o.CallTimeout)
		defer cancel()
		if check != nil {
			ctx = ll2.WithBodyCheck(ctx, check)
		}
		if _, err := t.fetch(ctx, bg.WithContext(ctx), key, ttl, PriorityBackground); err != nil {
			t.o.Logger.Debug("background refresh failed", "key", key, "err", err)
		}
	}()
}

// Refreshing reports how many background refreshes run now (for tests and metrics).
func (t *Transport) Refreshing() int { return len(t.refreshing) }

// response turns an entry into the answer the client reads. Stale answers carry the
// Warning header HTTP caches use; every cached answer carries its Age.
func response(req *http.Request, e Entry, now time.Time, stale bool) *http.Response {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Age", strconv.Itoa(int(e.Age(now)/time.Second)))
	if stale {
		h.Set("Warning", `110 - "Response is Stale"`)
	}
	return &http.Response{
		Status:        strconv.Itoa(e.Status) + " " + http.StatusText(e.Status),
		StatusCode:    e.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          &entryBody{Reader: bytes.NewReader(e.Body), b: e.Body},
		ContentLength: int64(len(e.Body)),
		Request:       req,
	}
}

// entryBody is the body of an answer from an entry. The entry's bytes are never
// modified once stored, so it offers them to the LL2 client as they are (see
// ll2.SharedBody): the client neither copies them nor decodes them again when the
// same entry is served again.
type entryBody struct {
	*bytes.Reader
	b []byte
}

// Close does nothing: the bytes belong to the entry.
func (*entryBody) Close() error { return nil }

// SharedBytes returns the entry's body.
func (e *entryBody) SharedBytes() []byte { return e.b }

var _ ll2.SharedBody = (*entryBody)(nil)

// throttled is the answer when the budget refuses a call and no copy can stand in: a
// 429 in LL2's own words, so that the client reports it as LL2's rate limit with the
// wait it will take.
func throttled(req *http.Request, wait time.Duration) *http.Response {
	body, _ := json.Marshal(ll2.Detail{Detail: ll2.ThrottleDetail(wait)})
	resp := response(req, Entry{Status: http.StatusTooManyRequests, Body: body}, time.Time{}, false)
	resp.Header.Del("Age")
	resp.Header.Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	return resp
}
