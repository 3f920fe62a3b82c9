package ll2server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"

	"spacegraph/ll2"
)

// Prefix is the version root the server answers under, as LL2 does.
const Prefix = "/2.3.0/"

// Throttle makes the server refuse calls over a limit, as LL2 does: a sliding window
// of Limit calls per Window for each caller (its API key, or else its address), then
// 429 with LL2's body and, unless NoRetryAfter, a Retry-After header.
type Throttle struct {
	Limit        int
	Window       time.Duration
	NoRetryAfter bool
}

// Options tune the server for tests and benchmarks. The zero value serves the
// snapshot at full speed with no throttle and no faults.
type Options struct {
	// Latency is added before every answer.
	Latency time.Duration
	// Throttle, when Limit > 0, limits calls per caller.
	Throttle Throttle
	// Faults injects failures.
	Faults Faults
	// Now is the clock of the throttle; nil means time.Now. A simulated clock lets a
	// test play an hour of traffic in a second.
	Now func() time.Time
}

// Server is the LL2-compatible http.Handler.
type Server struct {
	state atomic.Pointer[state]

	mu       sync.Mutex
	opts     Options
	faults   *faultPicker
	history  map[string][]time.Time
	counts   map[string]int
	total    int
	limited  int
	faulted  int
	requests []string
}

type state struct {
	store *Store
	// memo keeps recent selections (filtered and ordered, before paging), so that
	// paging through a large snapshot does not filter and sort it again per page.
	memo *otter.Cache[string, any]
}

// memoSize bounds the selections kept; each is a slice of pointers.
const memoSize = 256

// maxRequestLog bounds Requests().
const maxRequestLog = 1000

// New returns a server over store.
func New(store *Store, opts Options) *Server {
	s := &Server{history: map[string][]time.Time{}, counts: map[string]int{}}
	s.SetStore(store)
	s.SetOptions(opts)
	return s
}

// SetStore replaces the snapshot being served; calls in flight finish on the old one.
func (s *Server) SetStore(store *Store) {
	s.state.Store(&state{store: store, memo: otter.Must(&otter.Options[string, any]{MaximumSize: memoSize})})
}

// Store returns the snapshot being served.
func (s *Server) Store() *Store { return s.state.Load().store }

// SetOptions replaces latency, throttle and faults; the throttle's history is kept.
func (s *Server) SetOptions(o Options) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts = o
	s.faults = newFaultPicker(o.Faults)
}

// Options returns the current options.
func (s *Server) Options() Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts
}

// Counters are what the server has seen since the last Reset.
type Counters struct {
	// Total counts every call that reached the server (api-throttle/ excluded).
	Total int
	// ByRoute counts calls by route: "spacecraft/", "spacecraft/{id}/", …
	ByRoute map[string]int
	// Throttled counts calls refused with 429.
	Throttled int
	// Faulted counts calls answered with an injected fault.
	Faulted int
}

// Counters returns a copy of the counters.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	by := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		by[k] = v
	}
	return Counters{Total: s.total, ByRoute: by, Throttled: s.limited, Faulted: s.faulted}
}

// Requests returns the request URIs seen since the last Reset (the latest 1000), for
// test failure messages.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Reset clears the counters, the request log and the throttle's history.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
	s.total, s.limited, s.faulted = 0, 0, 0
	s.requests = nil
	s.history = map[string][]time.Time{}
}

func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

// route is a parsed request path.
type route struct {
	endpoint string // e.g. "spacecraft/"
	id       int
	detail   bool
}

// routeName is the counter key.
func (r route) name() string {
	if r.detail {
		return r.endpoint + "{id}/"
	}
	return r.endpoint
}

var endpointPaths = append([]string{
	ll2.SpacecraftEndpoint.Path,
	ll2.SpacecraftConfigEndpoint.Path,
	ll2.AgencyEndpoint.Path,
	ll2.FamilyEndpoint.Path,
	ll2.SpacecraftFlightEndpoint.Path,
	ll2.DockingEventEndpoint.Path,
	ll2.PathAPIThrottle,
}, ll2.LookupPaths...)

// parseRoute matches a path below Prefix. redirect is set when the path lacks only its
// trailing slash (Django's APPEND_SLASH answers those with a redirect).
func parseRoute(p string) (r route, ok, redirect bool) {
	rest, found := strings.CutPrefix(p, Prefix)
	if !found {
		return route{}, false, false
	}
	if !strings.HasSuffix(rest, "/") {
		r, ok, _ := parseRoute(p + "/")
		return r, false, ok
	}
	for _, ep := range endpointPaths {
		if rest == ep {
			return route{endpoint: ep}, true, false
		}
		if tail, found := strings.CutPrefix(rest, ep); found && ep != ll2.PathAPIThrottle {
			idText := strings.TrimSuffix(tail, "/")
			id, err := strconv.Atoi(idText)
			if err != nil || strings.Contains(idText, "/") || idText == "" || idText[0] == '+' || idText[0] == '-' {
				return route{}, false, false
			}
			return route{endpoint: ep, id: id, detail: true}, true, false
		}
	}
	return route{}, false, false
}

// ServeHTTP answers one LL2 request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok, redirect := parseRoute(r.URL.Path)
	if redirect {
		u := *r.URL
		u.Path += "/"
		http.Redirect(w, r, u.RequestURI(), http.StatusMovedPermanently)
		return
	}
	if !ok {
		writeJSON(w, r, http.StatusNotFound, ll2.Detail{Detail: "Not found."})
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		writeJSON(w, r, http.StatusOK, map[string]any{"name": rt.name(), "renders": []string{"application/json"}})
		return
	default:
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		writeJSON(w, r, http.StatusMethodNotAllowed, ll2.Detail{Detail: fmt.Sprintf("Method %q not allowed.", r.Method)})
		return
	}
	ident := callerIdent(r)
	if rt.endpoint == ll2.PathAPIThrottle {
		writeJSON(w, r, http.StatusOK, []ll2.APIThrottle{s.throttleInfo(ident)})
		return
	}

	s.mu.Lock()
	s.total++
	s.counts[rt.name()]++
	if len(s.requests) >= maxRequestLog {
		s.requests = s.requests[1:]
	}
	s.requests = append(s.requests, r.URL.RequestURI())
	latency := s.opts.Latency
	wait, limited := s.throttle(ident)
	var fault Fault
	if !limited {
		fault = s.faults.next()
	}
	if limited {
		s.limited++
	} else if fault.Kind != FaultNone {
		s.faulted++
	}
	noRetryAfter := s.opts.Throttle.NoRetryAfter
	s.mu.Unlock()

	if latency > 0 && !sleep(r.Context(), latency) {
		return
	}
	if limited {
		if !noRetryAfter {
			w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		}
		writeJSON(w, r, http.StatusTooManyRequests, ll2.Detail{Detail: ll2.ThrottleDetail(wait)})
		return
	}
	if fault.Kind == FaultStall {
		if !sleep(r.Context(), fault.Stall) {
			return
		}
	}
	status, body := s.answer(r, rt, fault.Kind)
	serveWithFault(w, r, status, body, fault)
}

// answer computes the JSON answer to a routed GET, spoilt as the faults that change
// what is answered (rather than how) say.
func (s *Server) answer(r *http.Request, rt route, fault FaultKind) (int, []byte) {
	st := s.state.Load()
	store := st.store
	q := r.URL.Query()
	var (
		status = http.StatusOK
		v      any
	)
	switch rt.endpoint {
	case ll2.SpacecraftEndpoint.Path:
		status, v = serve(st, r, rt, q, fault, ll2.SpacecraftEndpoint, store.spacecraft, store.spacecraftByID, renderSpacecraft)
	case ll2.SpacecraftConfigEndpoint.Path:
		status, v = serve(st, r, rt, q, fault, ll2.SpacecraftConfigEndpoint, store.configs, store.configByID, renderConfig)
	case ll2.AgencyEndpoint.Path:
		status, v = serve(st, r, rt, q, fault, ll2.AgencyEndpoint, store.agencies, store.agencyByID, renderAgency)
	case ll2.FamilyEndpoint.Path:
		status, v = serve(st, r, rt, q, fault, ll2.FamilyEndpoint, store.families, store.familyByID, renderFamily)
	case ll2.SpacecraftFlightEndpoint.Path:
		status, v = serve(st, r, rt, q, fault, ll2.SpacecraftFlightEndpoint, store.flights, store.flightByID, renderFlight, store.flightCoverage())
	case ll2.DockingEventEndpoint.Path:
		status, v = serve(st, r, rt, q, fault, ll2.DockingEventEndpoint, store.docking, store.dockingByID, renderDockingEvent, store.dockingCoverage())
	default:
		status, v = serve(st, r, rt, q, fault, ll2.LookupEndpoint(rt.endpoint), store.lookups[rt.endpoint], store.lookupByID[rt.endpoint], renderLookup,
			store.lookupCoverage(rt.endpoint))
	}
	body, err := marshal(v)
	if err != nil {
		return http.StatusInternalServerError, []byte(`{"detail":"A server error occurred."}`)
	}
	// Django's QueryDict gives the last value of a repeated parameter.
	var format string
	if fs := q["format"]; len(fs) > 0 {
		format = fs[len(fs)-1]
	}
	return status, rewriteURLs(body, baseURL(r), format)
}

func renderSpacecraft(t *ll2.SpacecraftDetailed, l ll2.Level) any {
	if l == ll2.LevelDetailed {
		return t.Detailed()
	}
	return t.Normal()
}

func renderConfig(t *ll2.SpacecraftConfigDetailed, l ll2.Level) any {
	if l == ll2.LevelDetailed {
		return t.Detailed()
	}
	return t.Normal()
}

func renderAgency(t *ll2.AgencyDetailed, l ll2.Level) any {
	switch l {
	case ll2.LevelList:
		return t.Mini()
	case ll2.LevelNormal:
		return t.Normal()
	}
	return t.Detailed()
}

func renderFamily(t *ll2.FamilyEndpointDetailed, l ll2.Level) any {
	switch l {
	case ll2.LevelList:
		return t.FamilyDetailed.Mini()
	case ll2.LevelNormal:
		return t.FamilyDetailed.Normal()
	}
	return t.Detailed()
}

func renderFlight(t *ll2.SpacecraftFlight, l ll2.Level) any {
	if l == ll2.LevelDetailed {
		return t.Detailed()
	}
	return t.Normal()
}

func renderDockingEvent(t *ll2.DockingEvent, l ll2.Level) any {
	if l == ll2.LevelDetailed {
		return t.Detailed()
	}
	return t.Normal()
}

func renderLookup(t *ll2.Lookup, _ ll2.Level) any {
	if t.Raw != nil {
		return t.Raw
	}
	return map[string]any{"id": t.ID, "name": t.Name}
}

// listBody is LL2's page.
type listBody struct {
	Count           int     `json:"count"`
	Next            *string `json:"next"`
	Previous        *string `json:"previous"`
	Results         []any   `json:"results"`
	SnapshotPartial bool    `json:"snapshot_partial,omitempty"`
}

// serve answers a list or detail request on one endpoint; cov, when given, says what
// of the endpoint's collection the snapshot does not hold.
func serve[T any](st *state, r *http.Request, rt route, q url.Values, fault FaultKind, e *ll2.Endpoint[T], items []*T, byID map[int]*T, render func(*T, ll2.Level) any, cov ...coverage) (int, any) {
	if rt.detail {
		t, ok := byID[rt.id]
		if !ok {
			if len(cov) > 0 && cov[0].unknown != nil {
				return http.StatusBadRequest, *cov[0].unknown
			}
			return http.StatusNotFound, ll2.Detail{Detail: "Not found."}
		}
		if fault == FaultWrongID {
			for _, o := range items {
				if e.ID(o) != rt.id {
					t = o
					break
				}
			}
		}
		return http.StatusOK, render(t, ll2.LevelDetailed)
	}
	query, err := e.ParseQuery(q)
	if perr, ok := err.(ll2.ParamError); ok {
		return http.StatusBadRequest, perr
	}
	// Records held below what the query reads (or data no record can hold, such as
	// an agency's parent id) would answer it wrong: refuse it, naming what is lacking.
	wrong := fault == FaultWrongObjects
	if !wrong && len(cov) > 0 && cov[0].lacking != nil {
		if body := cov[0].lacking(&query); body != nil {
			return http.StatusBadRequest, *body
		}
	}
	if !wrong && (st.store.partial[e.Path] || e.Needs(&query) > ll2.LevelDetailed) {
		if lacking := e.Unanswerable(&query, items, ll2.LevelDetailed); lacking != nil {
			return http.StatusBadRequest, ll2.NewNotInSnapshotBody(e.Path, lacking)
		}
	}
	sel := selection(st, e, &query, items, wrong)
	offset := query.Offset
	if fault == FaultShiftedPage && offset > 0 {
		offset--
	}
	page := ll2.Window(sel, offset, query.Limit)
	if fault == FaultShortPage && len(page) > 0 {
		page = page[:len(page)-1]
	}
	out := listBody{Count: len(sel), Results: make([]any, len(page)), SnapshotPartial: len(cov) > 0 && cov[0].partial}
	for i, t := range page {
		out.Results[i] = render(t, query.Mode)
	}
	out.Next, out.Previous = pageLinks(r, len(sel), query.Offset, query.Limit)
	return http.StatusOK, out
}

// selection returns the records a query selects, in order, memoised by the query's
// filters, search and ordering. ignoreFilters serves the FaultWrongObjects fault: the
// answer LL2 gives when it silently ignores a filter.
func selection[T any](st *state, e *ll2.Endpoint[T], q *ll2.Query, items []*T, ignoreFilters bool) []*T {
	if ignoreFilters {
		return e.Select(&ll2.Query{Order: q.Order}, items)
	}
	k := *q
	k.Limit, k.Offset, k.Mode = 0, 0, ll2.LevelNone
	kv := k.Values()
	// Values joins the search terms with spaces, which would make the phrase
	// "crew dragon" and the terms crew, dragon one key: keep each term apart.
	if len(k.Search) > 0 {
		kv["search"] = k.Search
	}
	key := e.Path + "?" + kv.Encode()
	if v, ok := st.memo.GetIfPresent(key); ok {
		return v.([]*T)
	}
	sel := e.Select(q, items)
	st.memo.Set(key, sel)
	return sel
}

// pageLinks builds DRF's LimitOffsetPagination links: the request's absolute URL with
// limit and offset replaced, the query sorted by key, and no offset on a link back to
// the first page.
func pageLinks(r *http.Request, count, offset, limit int) (next, prev *string) {
	base := baseURL(r)
	u, _ := url.Parse(base)
	u.Path = r.URL.Path
	q := r.URL.Query()
	q.Set("limit", strconv.Itoa(limit))
	// DRF: no next link when offset+limit >= count; written so as not to overflow
	// with an offset near the largest int.
	if count-offset > limit {
		nq := cloneValues(q)
		nq.Set("offset", strconv.Itoa(offset+limit))
		u.RawQuery = nq.Encode()
		s := u.String()
		next = &s
	}
	if offset > 0 {
		pq := cloneValues(q)
		if offset-limit <= 0 {
			pq.Del("offset")
		} else {
			pq.Set("offset", strconv.Itoa(offset-limit))
		}
		u.RawQuery = pq.Encode()
		s := u.String()
		prev = &s
	}
	return next, prev
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// baseURL is the version root as the caller reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return scheme + "://" + host + Prefix
}

// rewriteURLs replaces the base-URL placeholder of stored objects with base, and, as
// DRF does, carries the request's format parameter into each object's url.
func rewriteURLs(body []byte, base, format string) []byte {
	ph := []byte(`"` + urlPlaceholder)
	if !bytes.Contains(body, ph) {
		return body
	}
	var out bytes.Buffer
	out.Grow(len(body) + len(body)/8)
	for {
		i := bytes.Index(body, ph)
		if i < 0 {
			out.Write(body)
			return out.Bytes()
		}
		out.Write(body[:i+1])
		out.WriteString(base)
		body = body[i+len(ph):]
		end := bytes.IndexByte(body, '"')
		if end < 0 {
			out.Write(body)
			return out.Bytes()
		}
		out.Write(body[:end])
		if format != "" {
			out.WriteString("?format=")
			out.WriteString(url.QueryEscape(format))
		}
		body = body[end:]
	}
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"detail":"A server error occurred."}`)
	}
	writeBody(w, status, body)
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Vary", "Accept")
	h.Set("Allow", "GET, HEAD, OPTIONS")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// callerIdent is whom the throttle counts: the API key if one is sent, else the
// address, as LL2 limits anonymous callers per IP.
func callerIdent(r *http.Request) string {
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Token ") {
		return "token:" + strings.TrimPrefix(a, "Token ")
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "ip:" + host
}

// throttle records a call for ident and reports whether it is over the limit, with
// the wait until a call is available, as DRF's SimpleRateThrottle computes it.
// Callers hold s.mu.
func (s *Server) throttle(ident string) (time.Duration, bool) {
	t := s.opts.Throttle
	if t.Limit <= 0 || t.Window <= 0 {
		return 0, false
	}
	now := s.now()
	hist := s.prune(ident, now)
	if len(hist) >= t.Limit {
		return t.Window - now.Sub(hist[0]), true
	}
	s.history[ident] = append(hist, now)
	return 0, false
}

// prune drops calls older than the window from ident's history. Callers hold s.mu.
func (s *Server) prune(ident string, now time.Time) []time.Time {
	hist := s.history[ident]
	cut := 0
	for cut < len(hist) && !hist[cut].After(now.Add(-s.opts.Throttle.Window)) {
		cut++
	}
	hist = hist[cut:]
	s.history[ident] = hist
	return hist
}

func (s *Server) throttleInfo(ident string) ll2.APIThrottle {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.opts.Throttle
	info := ll2.APIThrottle{Ident: strings.TrimPrefix(strings.TrimPrefix(ident, "ip:"), "token:")}
	if t.Limit <= 0 || t.Window <= 0 {
		// Unthrottled, like lldev: report a generous limit that is never reached.
		info.YourRequestLimit, info.LimitFrequencySecs = 1_000_000, 3600
		return info
	}
	now := s.now()
	hist := s.prune(ident, now)
	info.YourRequestLimit = t.Limit
	info.LimitFrequencySecs = int(t.Window / time.Second)
	info.CurrentUse = len(hist)
	if len(hist) >= t.Limit {
		info.NextUseSecs = int((t.Window - now.Sub(hist[0]) + time.Second - 1) / time.Second)
	}
	return info
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
