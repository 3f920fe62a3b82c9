package ll2_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"spacegraph/economy"
	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
)

// embedded loads the default snapshot (20 real spacecraft) once; NewStore copies
// records and never modifies them, so the data can be shared between tests.
var embedded = sync.OnceValues(func() (snapshot.Data, error) {
	d, _, err := snapshot.Embedded()
	return d, err
})

func embeddedData(t *testing.T) snapshot.Data {
	t.Helper()
	d, err := embedded()
	if err != nil {
		t.Fatalf("snapshot.Embedded: %v", err)
	}
	if len(d.Spacecraft) != 20 {
		t.Fatalf("embedded snapshot has %d spacecraft, want 20", len(d.Spacecraft))
	}
	return d
}

// The two ways the client reaches the built-in server: over a real socket, and with
// the in-process transport. Both must give the same errors.
const (
	viaHTTP      = "http"
	viaInProcess = "in-process"
)

var transports = []string{viaHTTP, viaInProcess}

// exchange records what crossed the wire: each request, and the headers of its
// answer as they were sent (recorded before they reach the client).
type exchange struct {
	mu      sync.Mutex
	entries []*wireEntry
}

type wireEntry struct {
	req    *http.Request
	answer http.Header
}

// headerSpy records the answer's headers when the handler first writes.
type headerSpy struct {
	http.ResponseWriter
	record func()
}

func (s *headerSpy) WriteHeader(code int) {
	s.record()
	s.ResponseWriter.WriteHeader(code)
}

func (s *headerSpy) Write(p []byte) (int, error) {
	s.record()
	return s.ResponseWriter.Write(p)
}

func (s *headerSpy) Flush() {
	s.record()
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (x *exchange) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := &wireEntry{req: r.Clone(context.Background())}
		x.mu.Lock()
		x.entries = append(x.entries, e)
		x.mu.Unlock()
		spy := &headerSpy{ResponseWriter: w, record: sync.OnceFunc(func() {
			x.mu.Lock()
			e.answer = w.Header().Clone()
			x.mu.Unlock()
		})}
		h.ServeHTTP(spy, r)
	})
}

// last returns the latest request and the headers of its answer, nil when the
// handler has not answered (a stall the client gave up on).
func (x *exchange) last(t *testing.T) (*http.Request, http.Header) {
	t.Helper()
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.entries) == 0 {
		t.Fatal("no request reached the server")
	}
	e := x.entries[len(x.entries)-1]
	return e.req, e.answer
}

type env struct {
	server *ll2server.Server
	client *ll2.Client
	wire   *exchange
	base   string
}

// newEnv starts the built-in server over the embedded snapshot and a client for it,
// reached as kind says. cfg's BaseURL and Transport are set here.
func newEnv(t *testing.T, kind string, opts ll2server.Options, cfg ll2.Config) *env {
	t.Helper()
	srv := ll2server.New(ll2server.NewStore(embeddedData(t)), opts)
	wire := &exchange{}
	h := wire.wrap(srv)
	switch kind {
	case viaHTTP:
		hs := httptest.NewServer(h)
		t.Cleanup(hs.Close)
		cfg.BaseURL = hs.URL + "/2.3.0/"
	case viaInProcess:
		cfg.BaseURL = ll2server.EmbeddedBaseURL
		cfg.Transport = ll2server.Transport(h)
	default:
		t.Fatalf("unknown transport %q", kind)
	}
	c, err := ll2.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{server: srv, client: c, wire: wire, base: cfg.BaseURL}
}

// fixedClock makes the throttle's waits exact.
func fixedClock() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }

type call func(context.Context, *ll2.Client) error

func listCall(p ll2.ListParams) call {
	return func(ctx context.Context, c *ll2.Client) error {
		l, err := c.ListSpacecraft(ctx, p)
		if err == nil && l == nil {
			return errors.New("nil list without an error")
		}
		return err
	}
}

func lookupCall(limit, offset int) call {
	return func(ctx context.Context, c *ll2.Client) error {
		_, err := ll2.ListLookup[ll2.SpacecraftStatus](ctx, c, ll2.PathSpacecraftStatuses, limit, offset)
		return err
	}
}

func getCall(id int) call {
	return func(ctx context.Context, c *ll2.Client) error {
		s, err := c.GetSpacecraft(ctx, id)
		if err == nil && s == nil {
			return errors.New("nil spacecraft without an error")
		}
		return err
	}
}

var sentinels = map[ll2.ErrorKind]error{
	ll2.KindNotFound:    ll2.ErrNotFound,
	ll2.KindRateLimited: ll2.ErrRateLimited,
	ll2.KindUnavailable: ll2.ErrUnavailable,
	ll2.KindBadResponse: ll2.ErrBadResponse,
	ll2.KindBadRequest:  ll2.ErrBadRequest,
}

// asError checks that err is an *ll2.Error of kind, matched by its sentinel and by no
// other, and returns it.
func asError(t *testing.T, err error, kind ll2.ErrorKind) *ll2.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", kind)
	}
	var e *ll2.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not an *ll2.Error", err, err)
	}
	if e.Kind != kind {
		t.Fatalf("kind %s, want %s: %v", e.Kind, kind, err)
	}
	if got := ll2.KindOf(fmt.Errorf("wrapped: %w", err)); got != kind {
		t.Errorf("KindOf = %s, want %s", got, kind)
	}
	for k, s := range sentinels {
		if got := errors.Is(err, s); got != (k == kind) {
			t.Errorf("errors.Is(err, Err%s) = %v", strings.ReplaceAll(k.String(), " ", ""), got)
		}
	}
	if !strings.HasPrefix(e.Error(), "ll2: "+e.Op+": "+kind.String()) {
		t.Errorf("message %q does not start with the op and kind", e.Error())
	}
	return e
}

func TestClientErrors(t *testing.T) {
	throttle := ll2server.Throttle{Limit: 1, Window: time.Hour}
	status4 := ll2.ListParams{Filter: url.Values{"status": {"4"}}}
	tests := []struct {
		name     string
		opts     ll2server.Options
		timeout  time.Duration // Config.Timeout
		deadline time.Duration // a context deadline
		warmup   call          // a call that must succeed first
		call     call
		kind     ll2.ErrorKind
		status   []int // accepted statuses
		faulted  int
		check    func(t *testing.T, e *ll2.Error, answer http.Header)
	}{
		{
			name:   "not found",
			call:   getCall(99999),
			kind:   ll2.KindNotFound,
			status: []int{404},
			check: func(t *testing.T, e *ll2.Error, _ http.Header) {
				if e.Detail != "Not found." || e.Op != "GET spacecraft/99999/" {
					t.Errorf("detail %q op %q", e.Detail, e.Op)
				}
			},
		},
		{
			name:   "rate limited with Retry-After",
			opts:   ll2server.Options{Throttle: throttle, Now: fixedClock},
			warmup: listCall(ll2.ListParams{}),
			call:   listCall(ll2.ListParams{Limit: 5}),
			kind:   ll2.KindRateLimited,
			status: []int{429},
			check: func(t *testing.T, e *ll2.Error, answer http.Header) {
				if got := answer.Get("Retry-After"); got != "3600" {
					t.Errorf("server sent Retry-After %q, want 3600", got)
				}
				if !e.RetryKnown || e.RetryAfter != time.Hour {
					t.Errorf("RetryAfter %v known %v, want 1h", e.RetryAfter, e.RetryKnown)
				}
				if e.Detail != "Request was throttled. Expected available in 3600 seconds." {
					t.Errorf("detail %q", e.Detail)
				}
				if !strings.Contains(e.Error(), "retry after 1h0m0s") {
					t.Errorf("message %q does not say when to retry", e.Error())
				}
			},
		},
		{
			name:   "rate limited without Retry-After",
			opts:   ll2server.Options{Throttle: ll2server.Throttle{Limit: 1, Window: 40 * time.Minute, NoRetryAfter: true}, Now: fixedClock},
			warmup: getCall(242),
			call:   getCall(242),
			kind:   ll2.KindRateLimited,
			status: []int{429},
			check: func(t *testing.T, e *ll2.Error, answer http.Header) {
				if got, ok := answer["Retry-After"]; ok {
					t.Errorf("server sent Retry-After %q", got)
				}
				if !e.RetryKnown || e.RetryAfter != 40*time.Minute {
					t.Errorf("RetryAfter %v known %v, want 40m from the body", e.RetryAfter, e.RetryKnown)
				}
			},
		},
		{
			name:    "5xx HTML page",
			opts:    ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{{Kind: ll2server.FaultServerError}}}},
			call:    listCall(ll2.ListParams{}),
			kind:    ll2.KindUnavailable,
			status:  []int{502, 503},
			faulted: 1,
			check: func(t *testing.T, e *ll2.Error, _ http.Header) {
				if !strings.HasPrefix(e.Detail, "<!DOCTYPE html>") || e.Timeout {
					t.Errorf("detail %q timeout %v", e.Detail, e.Timeout)
				}
			},
		},
		{
			name:    "200 HTML page",
			opts:    ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{{Kind: ll2server.FaultHTML}}}},
			call:    getCall(242),
			kind:    ll2.KindBadResponse,
			status:  []int{200},
			faulted: 1,
			check: func(t *testing.T, e *ll2.Error, _ http.Header) {
				if !strings.Contains(e.Detail, "HTML page") || !strings.Contains(e.Detail, "text/html") {
					t.Errorf("detail %q", e.Detail)
				}
			},
		},
		{
			name:    "malformed JSON",
			opts:    ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{{Kind: ll2server.FaultMalformed}}}},
			call:    listCall(ll2.ListParams{Mode: ll2.LevelDetailed}),
			kind:    ll2.KindBadResponse,
			status:  []int{200},
			faulted: 1,
			check: func(t *testing.T, e *ll2.Error, _ http.Header) {
				var se *json.SyntaxError
				if !errors.As(e, &se) || e.Detail != "cannot decode the body" {
					t.Errorf("detail %q err %v, want a JSON syntax error", e.Detail, e.Err)
				}
			},
		},
		{
			name:    "wrong objects for a filter",
			opts:    ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{{Kind: ll2server.FaultWrongObjects}}}},
			call:    listCall(status4),
			kind:    ll2.KindBadResponse,
			status:  []int{200},
			faulted: 1,
			check: func(t *testing.T, e *ll2.Error, _ http.Header) {
				// Unfiltered and ordered by id, the first page holds 218, which is Destroyed (3).
				if !strings.Contains(e.Detail, "result 218 does not match filter status=4") {
					t.Errorf("detail %q", e.Detail)
				}
			},
		},
		{
			name:    "wrong objects for a search",
			opts:    ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{{Kind: ll2server.FaultWrongObjects}}}},
			call:    listCall(ll2.ListParams{Search: "progress"}),
			kind:    ll2.KindBadResponse,
			status:  []int{200},
			faulted: 1,
			check: func(t *testing.T, e *ll2.Error, _ http.Header) {
				if !strings.Contains(e.Detail, `does not match search "progress"`) {
					t.Errorf("detail %q", e.Detail)
				}
			},
		},
		{
			name:    "connection cut mid-body",
			opts:    ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{{Kind: ll2server.FaultDrop}}}},
			call:    listCall(ll2.ListParams{Limit: 20}),
			kind:    ll2.KindUnavailable,
			status:  []int{200},
			faulted: 1,
			check: func(t *testing.T, e *ll2.Error, _ http.Header) {
				if !errors.Is(e, io.ErrUnexpectedEOF) || e.Timeout {
					t.Errorf("err %v timeout %v, want an unexpected EOF", e.Err, e.Timeout)
				}
				if !strings.Contains(e.Detail, "reading the body") {
					t.Errorf("detail %q", e.Detail)
				}
			},
		},
		{
			name:    "stall past Config.Timeout",
			opts:    ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{{Kind: ll2server.FaultStall, Stall: time.Minute}}}},
			timeout: 100 * time.Millisecond,
			call:    listCall(ll2.ListParams{}),
			kind:    ll2.KindUnavailable,
			status:  []int{0},
			faulted: 1,
			check: func(t *testing.T, e *ll2.Error, _ http.Header) {
				if !e.Timeout || !errors.Is(e, context.DeadlineExceeded) {
					t.Errorf("timeout %v err %v", e.Timeout, e.Err)
				}
			},
		},
		{
			name:     "stall past the context deadline",
			opts:     ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{{Kind: ll2server.FaultStall, Stall: time.Minute}}}},
			deadline: 100 * time.Millisecond,
			call:     getCall(242),
			kind:     ll2.KindUnavailable,
			status:   []int{0},
			faulted:  1,
			check: func(t *testing.T, e *ll2.Error, _ http.Header) {
				if !e.Timeout {
					t.Errorf("timeout %v err %v", e.Timeout, e.Err)
				}
			},
		},
	}
	for _, kind := range transports {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				ev := newEnv(t, kind, tt.opts, ll2.Config{Timeout: tt.timeout})
				ctx := context.Background()
				if tt.warmup != nil {
					if err := tt.warmup(ctx, ev.client); err != nil {
						t.Fatalf("warm-up call: %v", err)
					}
				}
				if tt.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.deadline)
					defer cancel()
				}
				err := tt.call(ctx, ev.client)
				e := asError(t, err, tt.kind)
				if !slices.Contains(tt.status, e.Status) {
					t.Errorf("status %d, want one of %v", e.Status, tt.status)
				}
				if !strings.HasPrefix(e.Op, "GET spacecraft/") {
					t.Errorf("op %q", e.Op)
				}
				cs := ev.server.Counters()
				if cs.Faulted != tt.faulted {
					t.Errorf("server faulted %d calls, want %d", cs.Faulted, tt.faulted)
				}
				if want := map[bool]int{true: 1}[tt.kind == ll2.KindRateLimited]; cs.Throttled != want {
					t.Errorf("server throttled %d calls, want %d", cs.Throttled, want)
				}
				_, answer := ev.wire.last(t)
				if answer == nil && e.Status != 0 {
					t.Errorf("the server's answer (HTTP %d) was not recorded", e.Status)
				}
				tt.check(t, e, answer)
			})
		}
	}
}

func TestClientBadRequestBeforeCall(t *testing.T) {
	tests := []struct {
		name   string
		call   call
		detail string
	}{
		{"unknown filter", listCall(ll2.ListParams{Filter: url.Values{"status__in": {"1,2"}}}), `spacecraft/ has no filter "status__in"`},
		{"filter of another endpoint", listCall(ll2.ListParams{Filter: url.Values{"agency": {"121"}}}), `has no filter "agency"`},
		{"limit 101", listCall(ll2.ListParams{Limit: 101}), "limit 101: want 1..100"},
		{"negative limit", listCall(ll2.ListParams{Limit: -1}), "limit -1"},
		{"negative offset", listCall(ll2.ListParams{Offset: -10}), "offset -10"},
		{"mode list on spacecraft", listCall(ll2.ListParams{Mode: ll2.LevelList}), "mode list"},
		{"unknown ordering", listCall(ll2.ListParams{Ordering: []ll2.OrderKey{{Field: "name"}}}), `cannot be ordered by "name"`},
		{"unparsable int filter", listCall(ll2.ListParams{Filter: url.Values{"status": {"four"}}}), ""},
		{"lookup limit 101", func(ctx context.Context, c *ll2.Client) error {
			_, err := ll2.ListLookup[ll2.SpacecraftStatus](ctx, c, ll2.PathSpacecraftStatuses, 101, 0)
			return err
		}, "limit 101"},
		{"families mode none is fine but limit is not", func(ctx context.Context, c *ll2.Client) error {
			_, err := c.ListFamilies(ctx, ll2.ListParams{Mode: ll2.LevelList, Limit: 1000})
			return err
		}, "limit 1000"},
	}
	for _, kind := range transports {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				var observed int
				ev := newEnv(t, kind, ll2server.Options{}, ll2.Config{Observe: func(ll2.Call) { observed++ }})
				e := asError(t, tt.call(context.Background(), ev.client), ll2.KindBadRequest)
				if tt.detail != "" && !strings.Contains(e.Detail, tt.detail) {
					t.Errorf("detail %q, want %q", e.Detail, tt.detail)
				}
				if tt.detail == "" {
					var perr ll2.ParamError
					if !errors.As(e, &perr) || perr["status"][0] != "Enter a whole number." {
						t.Errorf("err %v, want a ParamError for status", e.Err)
					}
				}
				if e.Status != 0 {
					t.Errorf("status %d, want 0 (no call)", e.Status)
				}
				if cs := ev.server.Counters(); cs.Total != 0 || observed != 0 {
					t.Errorf("a call was spent: server total %d, observed %d, requests %v", cs.Total, observed, ev.server.Requests())
				}
			})
		}
	}
}

func TestClientUnreachable(t *testing.T) {
	hs := httptest.NewServer(http.NotFoundHandler())
	base := hs.URL + "/2.3.0/"
	hs.Close()
	c, err := ll2.New(ll2.Config{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	e := asError(t, getCall(1)(context.Background(), c), ll2.KindUnavailable)
	if e.Status != 0 || e.Timeout || e.Err == nil {
		t.Errorf("status %d timeout %v err %v", e.Status, e.Timeout, e.Err)
	}

	// A cancelled call is unavailable too, but not a timeout.
	ev := newEnv(t, viaInProcess, ll2server.Options{}, ll2.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e = asError(t, getCall(242)(ctx, ev.client), ll2.KindUnavailable)
	if e.Timeout || !errors.Is(e, context.Canceled) {
		t.Errorf("timeout %v err %v", e.Timeout, e.Err)
	}
}

func TestClientHeaders(t *testing.T) {
	tests := []struct {
		name      string
		cfg       ll2.Config
		auth      string
		userAgent string
	}{
		{"anonymous", ll2.Config{}, "", ll2.DefaultUserAgent},
		{"with a key", ll2.Config{Token: "KEY"}, "Token KEY", ll2.DefaultUserAgent},
		{"own user agent", ll2.Config{Token: "abc123", UserAgent: "tester/2"}, "Token abc123", "tester/2"},
	}
	for _, kind := range transports {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				ev := newEnv(t, kind, ll2server.Options{}, tt.cfg)
				if _, err := ev.client.ListSpacecraft(context.Background(), ll2.ListParams{Limit: 3, Offset: 2, Ordering: []ll2.OrderKey{{Field: "time_in_space", Desc: true}}}); err != nil {
					t.Fatal(err)
				}
				req, _ := ev.wire.last(t)
				if got := req.Header.Get("Authorization"); got != tt.auth {
					t.Errorf("Authorization %q, want %q", got, tt.auth)
				}
				if _, ok := req.Header["Authorization"]; ok != (tt.auth != "") {
					t.Errorf("Authorization header present: %v", ok)
				}
				if got := req.Header.Get("User-Agent"); got != tt.userAgent {
					t.Errorf("User-Agent %q, want %q", got, tt.userAgent)
				}
				if got := req.Header.Get("Accept"); got != "application/json" {
					t.Errorf("Accept %q", got)
				}
				if req.Method != http.MethodGet || req.URL.Path != "/2.3.0/spacecraft/" {
					t.Errorf("%s %s", req.Method, req.URL.Path)
				}
				want := url.Values{"format": {"json"}, "limit": {"3"}, "offset": {"2"}, "ordering": {"-time_in_space"}}
				if got := req.URL.Query(); !equalValues(got, want) {
					t.Errorf("query %v, want %v", got, want)
				}
			})
		}
	}
}

func equalValues(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// gzipped answers gzip-compressed when the request asks for it, as LL2's front end does.
func gzipped(h http.Handler, acceptEncoding *[]string, compressed *int, mu *sync.Mutex) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*acceptEncoding = append(*acceptEncoding, r.Header.Get("Accept-Encoding"))
		mu.Unlock()
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(rec.Code)
		zw := gzip.NewWriter(w)
		_, _ = zw.Write(rec.Body.Bytes())
		_ = zw.Close()
		mu.Lock()
		*compressed++
		mu.Unlock()
	})
}

func TestClientGzip(t *testing.T) {
	var (
		mu         sync.Mutex
		seen       []string
		compressed int
	)
	srv := ll2server.New(ll2server.NewStore(embeddedData(t)), ll2server.Options{})
	hs := httptest.NewServer(gzipped(srv, &seen, &compressed, &mu))
	defer hs.Close()
	c, err := ll2.New(ll2.Config{BaseURL: hs.URL + "/2.3.0/"}) // the default transport
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.ListSpacecraft(context.Background(), ll2.ListParams{Limit: 20, Mode: ll2.LevelDetailed})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Results) != 20 || l.Count != 20 || l.Results[0].ID != 12 {
		t.Errorf("decoded %d of %d results, first %d", len(l.Results), l.Count, l.Results[0].ID)
	}
	_, err = c.GetSpacecraft(context.Background(), 1)
	e := asError(t, err, ll2.KindNotFound)
	if e.Detail != "Not found." {
		t.Errorf("gzipped 404 detail %q", e.Detail)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != "gzip" || seen[1] != "gzip" || compressed != 2 {
		t.Errorf("Accept-Encoding sent %q, %d answers compressed; want gzip twice", seen, compressed)
	}
}

func TestClientList(t *testing.T) {
	data := embeddedData(t)
	var single []int
	for _, s := range data.Spacecraft {
		if s.Status != nil && s.Status.ID == 4 {
			single = append(single, s.ID)
		}
	}
	slices.Sort(single)
	for _, kind := range transports {
		t.Run(kind, func(t *testing.T) {
			ev := newEnv(t, kind, ll2server.Options{}, ll2.Config{})
			ctx := context.Background()

			t.Run("modes", func(t *testing.T) {
				for _, tt := range []struct {
					mode, want ll2.Level
				}{
					{ll2.LevelNone, ll2.LevelNormal},
					{ll2.LevelNormal, ll2.LevelNormal},
					{ll2.LevelDetailed, ll2.LevelDetailed},
				} {
					l, err := ev.client.ListSpacecraft(ctx, ll2.ListParams{Mode: tt.mode})
					if err != nil {
						t.Fatalf("mode %v: %v", tt.mode, err)
					}
					if l.Level != tt.want || len(l.Results) != ll2.DefaultLimit || l.Count != 20 {
						t.Errorf("mode %v: level %v, %d results of %d", tt.mode, l.Level, len(l.Results), l.Count)
					}
					for _, s := range l.Results {
						if s.ResponseMode != tt.want.String() || s.SpacecraftConfig == nil || s.SpacecraftConfig.ResponseMode != tt.want.String() {
							t.Errorf("mode %v: spacecraft %d has response_mode %q", tt.mode, s.ID, s.ResponseMode)
						}
						if tt.want == ll2.LevelNormal && (s.Flights != nil || s.SpacecraftConfig.Agency == nil || s.SpacecraftConfig.Agency.ResponseMode != "list") {
							t.Errorf("normal spacecraft %d carries detailed fields", s.ID)
						}
						if tt.want == ll2.LevelDetailed && s.SpacecraftConfig.Agency != nil && s.SpacecraftConfig.Agency.ResponseMode != "normal" {
							t.Errorf("detailed spacecraft %d: agency response_mode %q", s.ID, s.SpacecraftConfig.Agency.ResponseMode)
						}
					}
				}
			})

			t.Run("paging", func(t *testing.T) {
				l, err := ev.client.ListSpacecraft(ctx, ll2.ListParams{Limit: 5, Offset: 5})
				if err != nil {
					t.Fatal(err)
				}
				if l.Next == nil || l.Previous == nil {
					t.Fatalf("next %v previous %v", l.Next, l.Previous)
				}
				next, prev := mustURL(t, *l.Next), mustURL(t, *l.Previous)
				if !strings.HasPrefix(*l.Next, ev.base+"spacecraft/?") {
					t.Errorf("next %q is not below %q", *l.Next, ev.base)
				}
				if want := (url.Values{"format": {"json"}, "limit": {"5"}, "offset": {"10"}}); !equalValues(next.Query(), want) {
					t.Errorf("next %q", *l.Next)
				}
				if want := (url.Values{"format": {"json"}, "limit": {"5"}}); !equalValues(prev.Query(), want) {
					t.Errorf("previous %q", *l.Previous)
				}

				// Walk every page: each spacecraft once, in id order, the last page without next.
				var got []int
				for off := 0; ; off += 7 {
					l, err := ev.client.ListSpacecraft(ctx, ll2.ListParams{Limit: 7, Offset: off})
					if err != nil {
						t.Fatal(err)
					}
					for _, s := range l.Results {
						got = append(got, s.ID)
					}
					if (off == 0) != (l.Previous == nil) {
						t.Errorf("offset %d: previous %v", off, l.Previous)
					}
					if l.Next == nil {
						break
					}
					if off > 20 {
						t.Fatal("paging does not end")
					}
				}
				var want []int
				for _, s := range data.Spacecraft {
					want = append(want, s.ID)
				}
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("paged ids %v, want %v", got, want)
				}
			})

			t.Run("filter and ordering", func(t *testing.T) {
				l, err := ev.client.ListSpacecraft(ctx, ll2.ListParams{
					Limit:    100,
					Filter:   ll2.SpacecraftFilter{Status: ptrTo(4)}.Values(),
					Ordering: []ll2.OrderKey{{Field: "time_in_space", Desc: true}},
				})
				if err != nil {
					t.Fatal(err)
				}
				if l.Count != len(single) || len(l.Results) != len(single) || l.Next != nil || l.Previous != nil {
					t.Fatalf("count %d, %d results, want %d (%v)", l.Count, len(l.Results), len(single), single)
				}
				var got []int
				for i, s := range l.Results {
					got = append(got, s.ID)
					if s.Status.ID != 4 {
						t.Errorf("spacecraft %d has status %d", s.ID, s.Status.ID)
					}
					if i > 0 && l.Results[i-1].TimeInSpace.Seconds() < s.TimeInSpace.Seconds() {
						t.Errorf("%d before %d: not by -time_in_space", l.Results[i-1].ID, s.ID)
					}
				}
				// Progress MS-08 (P197DT15H46M27S) then Progress MS-02 (P196DT21H15M2S).
				if got[0] != 236 || got[1] != 242 {
					t.Errorf("order %v, want 236 and 242 first", got)
				}
				slices.Sort(got)
				if !slices.Equal(got, single) {
					t.Errorf("ids %v, want %v", got, single)
				}
			})

			t.Run("search", func(t *testing.T) {
				l, err := ev.client.ListSpacecraft(ctx, ll2.ListParams{Search: "progress", Ordering: []ll2.OrderKey{{Field: "id"}}})
				if err != nil {
					t.Fatal(err)
				}
				var got []int
				for _, s := range l.Results {
					got = append(got, s.ID)
				}
				if !slices.Equal(got, []int{236, 242, 366, 607}) {
					t.Errorf("search progress: %v", got)
				}
			})

			t.Run("detail", func(t *testing.T) {
				s, err := ev.client.GetSpacecraft(ctx, 242)
				if err != nil {
					t.Fatal(err)
				}
				if s.ID != 242 || s.Name != "Progress MS-02" || s.ResponseMode != "detailed" || s.TimeInSpace == nil || s.TimeInSpace.String() != "P196DT21H15M2S" {
					t.Errorf("got %d %q %q %v", s.ID, s.Name, s.ResponseMode, s.TimeInSpace)
				}
				if s.SpacecraftConfig == nil || s.SpacecraftConfig.ID != 33 || s.SpacecraftConfig.ResponseMode != "detailed" {
					t.Errorf("config %+v", s.SpacecraftConfig)
				}
				if want := ev.base + "spacecraft/242/"; !strings.HasPrefix(s.URL, want) {
					t.Errorf("url %q, want it below %q", s.URL, want)
				}
			})

			t.Run("lookups and throttle", func(t *testing.T) {
				before := ev.server.Counters().Total
				p, err := ll2.ListLookup[ll2.SpacecraftStatus](ctx, ev.client, ll2.PathSpacecraftStatuses, 0, 0)
				if err != nil {
					t.Fatal(err)
				}
				want := []ll2.SpacecraftStatus{{1, "Active"}, {3, "Destroyed"}, {4, "Single Use"}, {5, "Under construction"}}
				if p.Count != 4 || !slices.Equal(p.Results, want) {
					t.Errorf("statuses %d %v", p.Count, p.Results)
				}
				th, err := ev.client.Throttle(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(th) != 1 || th[0].YourRequestLimit <= 0 || th[0].CurrentUse != 0 {
					t.Errorf("throttle %+v", th)
				}
				if got := ev.server.Counters().Total - before; got != 1 {
					t.Errorf("server counted %d calls, want 1 (api-throttle/ is free)", got)
				}
			})
		})
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// crafted serves one fixed answer, for responses the built-in server never gives.
func crafted(status int, header http.Header, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

func TestClientChecksAnswers(t *testing.T) {
	data := embeddedData(t)
	byID := map[int]*ll2.SpacecraftDetailed{}
	for _, s := range data.Spacecraft {
		byID[s.ID] = s
	}
	normal := func(id int) any { return byID[id].Normal() }
	detailed := func(id int) any { return byID[id].Detailed() }
	page := func(count int, results ...any) string {
		b, err := json.Marshal(map[string]any{"count": count, "next": nil, "previous": nil, "results": results})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	object := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	byTime := []ll2.OrderKey{{Field: "time_in_space"}}

	tests := []struct {
		name    string
		status  int
		header  http.Header
		body    string
		call    call
		maxBody int64
		kind    ll2.ErrorKind // 0: no error
		detail  string
	}{
		// 192 (P2DT12M11S) < 242 (P196D…) < 236 (P197D…)
		{name: "ordered page", status: 200, body: page(3, normal(192), normal(242), normal(236)),
			call: listCall(ll2.ListParams{Ordering: byTime})},
		{name: "mis-ordered page", status: 200, body: page(3, normal(192), normal(236), normal(242)),
			call: listCall(ll2.ListParams{Ordering: byTime}), kind: ll2.KindBadResponse,
			detail: "results 236 and 242 are not ordered by time_in_space"},
		{name: "mis-ordered descending", status: 200, body: page(3, normal(236), normal(192), normal(242)),
			call: listCall(ll2.ListParams{Ordering: []ll2.OrderKey{{Field: "time_in_space", Desc: true}}}), kind: ll2.KindBadResponse,
			detail: "results 192 and 242 are not ordered by -time_in_space"},
		{name: "wrong level", status: 200, body: page(1, normal(242)),
			call: listCall(ll2.ListParams{Mode: ll2.LevelDetailed}), kind: ll2.KindBadResponse,
			detail: `asked for mode=detailed, result 242 has response_mode "normal"`},
		{name: "null result", status: 200, body: page(2, normal(242), nil),
			call: listCall(ll2.ListParams{}), kind: ll2.KindBadResponse, detail: "result 1 is null"},
		{name: "count too small", status: 200, body: page(1, normal(242), normal(236)),
			call: listCall(ll2.ListParams{}), kind: ll2.KindBadResponse, detail: "count 1 is less than offset 0 plus 2 results"},
		{name: "more results than the limit", status: 200, body: page(3, normal(12), normal(189), normal(191)),
			call: listCall(ll2.ListParams{Limit: 2}), kind: ll2.KindBadResponse, detail: "asked for at most 2 results, got 3"},
		{name: "an error body for a page", status: 200, body: `{"detail": "A server error occurred."}`,
			call: listCall(ll2.ListParams{}), kind: ll2.KindBadResponse, detail: "no results list in the page"},
		{name: "a null results list", status: 200, body: `{"count": 0, "results": null}`,
			call: listCall(ll2.ListParams{}), kind: ll2.KindBadResponse, detail: "no results list in the page"},
		{name: "a short page", status: 200, body: page(3, normal(192), normal(242)),
			call: listCall(ll2.ListParams{}), kind: ll2.KindBadResponse, detail: "a page of 2 results, want 3 (count 3, offset 0, limit 10)"},
		{name: "a short full page", status: 200, body: page(40, normal(192), normal(242)),
			call: listCall(ll2.ListParams{Limit: 3}), kind: ll2.KindBadResponse, detail: "a page of 2 results, want 3"},
		{name: "the last page", status: 200, body: page(42, normal(192), normal(242)),
			call: listCall(ll2.ListParams{Limit: 5, Offset: 40})},
		{name: "past the end", status: 200, body: `{"count": 42, "next": null, "previous": null, "results": []}`,
			call: listCall(ll2.ListParams{Limit: 5, Offset: 50})},
		{name: "an empty page that should not be", status: 200, body: `{"count": 42, "next": null, "previous": null, "results": []}`,
			call: listCall(ll2.ListParams{Limit: 5, Offset: 10}), kind: ll2.KindBadResponse, detail: "a page of 0 results, want 5"},
		{name: "an error body for a lookup table", status: 200, body: `{"detail": "A server error occurred."}`,
			call: lookupCall(0, 0), kind: ll2.KindBadResponse, detail: "no results list in the page"},
		{name: "a short lookup table", status: 200, body: page(5, map[string]any{"id": 1, "name": "Active"}),
			call: lookupCall(0, 0), kind: ll2.KindBadResponse, detail: "a page of 1 results, want 5"},
		{name: "a lookup table", status: 200, body: page(2, map[string]any{"id": 1, "name": "Active"}, map[string]any{"id": 2, "name": "Retired"}),
			call: lookupCall(0, 0)},
		{name: "wrong shape", status: 200, body: `{"count": "many", "results": []}`,
			call: listCall(ll2.ListParams{}), kind: ll2.KindBadResponse, detail: "cannot decode"},
		{name: "bad duration", status: 200, body: strings.Replace(page(1, normal(242)), "P196DT21H15M2S", "196 days", 1),
			call: listCall(ll2.ListParams{}), kind: ll2.KindBadResponse, detail: "cannot decode"},
		{name: "empty body", status: 200, body: "",
			call: listCall(ll2.ListParams{}), kind: ll2.KindBadResponse, detail: "cannot decode"},
		{name: "body too large", status: 200, body: page(1, normal(242)), maxBody: 100,
			call: listCall(ll2.ListParams{}), kind: ll2.KindBadResponse, detail: "body larger than 100 bytes"},
		{name: "detail", status: 200, body: object(detailed(242)), call: getCall(242)},
		{name: "detail of another object", status: 200, body: object(detailed(236)),
			call: getCall(242), kind: ll2.KindBadResponse, detail: "asked for id 242, got id 236"},
		{name: "detail at the normal level", status: 200, body: object(normal(242)),
			call: getCall(242), kind: ll2.KindBadResponse, detail: `detail endpoint answered response_mode "normal"`},
		{name: "null detail", status: 200, body: "null",
			call: getCall(242), kind: ll2.KindBadResponse, detail: "null body"},
		{name: "401", status: 401, body: `{"detail": "Invalid token."}`,
			call: getCall(242), kind: ll2.KindBadRequest, detail: "Invalid token."},
		{name: "400 with field errors", status: 400, body: `{"status": ["Enter a whole number."]}`,
			call: listCall(ll2.ListParams{}), kind: ll2.KindBadRequest, detail: `{"status": ["Enter a whole number."]}`},
		{name: "503 JSON", status: 503, body: `{"detail": "Down for maintenance."}`,
			call: listCall(ll2.ListParams{}), kind: ll2.KindUnavailable, detail: "Down for maintenance."},
		{name: "204", status: 204, body: "",
			call: listCall(ll2.ListParams{}), kind: ll2.KindBadResponse, detail: "unexpected status 204 No Content"},
		{name: "429 with an HTTP date", status: 429, header: http.Header{"Retry-After": {time.Now().Add(2 * time.Hour).UTC().Format(http.TimeFormat)}},
			body: `{"detail": "Request was throttled."}`,
			call: listCall(ll2.ListParams{}), kind: ll2.KindRateLimited, detail: "Request was throttled."},
		{name: "429 saying nothing", status: 429, body: `{"detail": "Slow down."}`,
			call: listCall(ll2.ListParams{}), kind: ll2.KindRateLimited, detail: "Slow down."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := httptest.NewServer(crafted(tt.status, tt.header, tt.body))
			defer hs.Close()
			c, err := ll2.New(ll2.Config{BaseURL: hs.URL + "/2.3.0", MaxBody: tt.maxBody})
			if err != nil {
				t.Fatal(err)
			}
			err = tt.call(context.Background(), c)
			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			e := asError(t, err, tt.kind)
			if !strings.Contains(e.Detail, tt.detail) {
				t.Errorf("detail %q, want %q", e.Detail, tt.detail)
			}
			if e.Status != tt.status {
				t.Errorf("status %d, want %d", e.Status, tt.status)
			}
			if tt.kind == ll2.KindRateLimited {
				// An HTTP date two hours ahead is read from the header; a body that
				// says nothing leaves the wait unknown.
				hasDate := tt.header.Get("Retry-After") != ""
				if e.RetryKnown != hasDate {
					t.Errorf("RetryKnown %v", e.RetryKnown)
				}
				if hasDate && (e.RetryAfter < 2*time.Hour-time.Minute || e.RetryAfter > 2*time.Hour) {
					t.Errorf("RetryAfter %v, want about 2h", e.RetryAfter)
				}
				if !hasDate && (e.RetryAfter != 0 || strings.Contains(e.Error(), "retry after")) {
					t.Errorf("RetryAfter %v, message %q", e.RetryAfter, e.Error())
				}
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := fixedClock()
	throttled := "Request was throttled. Expected available in 2429 seconds."
	tests := []struct {
		name   string
		header string
		detail string
		want   time.Duration
		ok     bool
	}{
		{"header seconds", "120", "", 120 * time.Second, true},
		{"header seconds with spaces", " 7 ", "", 7 * time.Second, true},
		{"header zero", "0", throttled, 0, true},
		{"header wins over body", "30", throttled, 30 * time.Second, true},
		{"header HTTP date", now.Add(90 * time.Second).Format(http.TimeFormat), "", 90 * time.Second, true},
		{"header HTTP date in the past", now.Add(-time.Hour).Format(http.TimeFormat), "", 0, true},
		{"header HTTP date, RFC 850", now.Add(time.Hour).Format(time.RFC850), "", time.Hour, true},
		{"body text", "", throttled, 2429 * time.Second, true},
		{"body text with a fraction", "", "Request was throttled. Expected available in 1.5 seconds.", 1500 * time.Millisecond, true},
		{"body text, one second", "", "Expected available in 1 second.", time.Second, true},
		{"unreadable header falls back to the body", "soon", throttled, 2429 * time.Second, true},
		{"negative header falls back to the body", "-5", throttled, 2429 * time.Second, true},
		{"neither", "", "Request was throttled.", 0, false},
		{"nothing at all", "", "", 0, false},
		{"unreadable header and body", "soon", "try later", 0, false},
		{"header of a week", "604800", "", 7 * 24 * time.Hour, true},
		{"header of a month", "2592000", "", ll2.MaxRetryAfter, true},
		{"header past a Duration", "99999999999999999", "", ll2.MaxRetryAfter, true},
		{"header past a uint64", "99999999999999999999999", throttled, ll2.MaxRetryAfter, true},
		{"header HTTP date in a year", now.AddDate(1, 0, 0).Format(http.TimeFormat), "", ll2.MaxRetryAfter, true},
		{"body text of a month", "", "Expected available in 2592000 seconds.", ll2.MaxRetryAfter, true},
		{"body text past a Duration", "", "Expected available in 99999999999999999999999 seconds.", ll2.MaxRetryAfter, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("Retry-After", tt.header)
			}
			got, ok := ll2.ParseRetryAfter(h, tt.detail, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseRetryAfter(%q, %q) = %v, %v; want %v, %v", tt.header, tt.detail, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestThrottleDetail(t *testing.T) {
	tests := []struct {
		wait time.Duration
		want string
	}{
		{2429 * time.Second, "Request was throttled. Expected available in 2429 seconds."},
		{1500 * time.Millisecond, "Request was throttled. Expected available in 2 seconds."},
		{time.Hour, "Request was throttled. Expected available in 3600 seconds."},
		// DRF says "second" in the singular (ngettext); the client reads both.
		{300 * time.Millisecond, "Request was throttled. Expected available in 1 second."},
	}
	for _, tt := range tests {
		got := ll2.ThrottleDetail(tt.wait)
		if got != tt.want {
			t.Errorf("ThrottleDetail(%v) = %q, want %q", tt.wait, got, tt.want)
		}
		// What the server writes, the client reads back (rounded up to whole seconds).
		want := (tt.wait + time.Second - 1).Truncate(time.Second)
		if d, ok := ll2.ParseRetryAfter(http.Header{}, got, time.Time{}); !ok || d != want {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v", got, d, ok, want)
		}
	}
}

func TestClientObserve(t *testing.T) {
	for _, kind := range transports {
		t.Run(kind, func(t *testing.T) {
			var (
				mu    sync.Mutex
				calls []ll2.Call
			)
			ev := newEnv(t, kind,
				ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{{}, {}, {Kind: ll2server.FaultDrop}}}},
				ll2.Config{Observe: func(c ll2.Call) {
					mu.Lock()
					defer mu.Unlock()
					calls = append(calls, c)
				}})
			ctx := context.Background()
			if _, err := ev.client.ListSpacecraft(ctx, ll2.ListParams{Limit: 3, Filter: url.Values{"in_space": {"false"}}}); err != nil {
				t.Fatal(err)
			}
			_, err := ev.client.GetSpacecraft(ctx, 99999)
			asError(t, err, ll2.KindNotFound)
			_, err = ev.client.ListSpacecraft(ctx, ll2.ListParams{Limit: 101}) // refused before any call
			asError(t, err, ll2.KindBadRequest)
			_, err = ev.client.GetSpacecraft(ctx, 242) // dropped mid-body
			asError(t, err, ll2.KindUnavailable)

			mu.Lock()
			defer mu.Unlock()
			if len(calls) != 3 {
				t.Fatalf("observed %d calls, want 3: %+v", len(calls), calls)
			}
			want := []struct {
				path, query string
				status      int
				kind        ll2.ErrorKind
			}{
				{"spacecraft/", "format=json&in_space=false&limit=3", 200, 0},
				{"spacecraft/99999/", "format=json", 404, ll2.KindNotFound},
				{"spacecraft/242/", "format=json", 200, ll2.KindUnavailable},
			}
			for i, w := range want {
				c := calls[i]
				if c.Method != http.MethodGet || c.Path != w.path || c.Query != w.query || c.Status != w.status || ll2.KindOf(c.Err) != w.kind {
					t.Errorf("call %d: %+v, want %s?%s status %d kind %v", i, c, w.path, w.query, w.status, w.kind)
				}
				if c.Bytes <= 0 || c.Duration < 0 {
					t.Errorf("call %d: %d bytes in %v", i, c.Bytes, c.Duration)
				}
			}
			// The dropped call saw only part of its body.
			if full := len(objectJSON(t, ev, 242)); calls[2].Bytes >= full {
				t.Errorf("dropped call read %d bytes of %d", calls[2].Bytes, full)
			}
		})
	}
}

// objectJSON fetches a detail object with a plain HTTP GET through the env's server, for sizes.
func objectJSON(t *testing.T, ev *env, id int) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, ev.base+"spacecraft/"+strconv.Itoa(id)+"/?format=json", nil)
	ev.server.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("GET %d: %d", id, rec.Code)
	}
	return rec.Body.Bytes()
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		base, want string
	}{
		{"", ll2.ProductionURL},
		{ll2.DevelopmentURL, ll2.DevelopmentURL},
		{"http://127.0.0.1:8080/2.3.0", "http://127.0.0.1:8080/2.3.0/"},
	}
	for _, tt := range tests {
		c, err := ll2.New(ll2.Config{BaseURL: tt.base})
		if err != nil {
			t.Errorf("New(%q): %v", tt.base, err)
			continue
		}
		if c.BaseURL() != tt.want {
			t.Errorf("New(%q).BaseURL() = %q, want %q", tt.base, c.BaseURL(), tt.want)
		}
	}
	for _, bad := range []string{"ftp://example.com/", "example.com/2.3.0/", "http:///2.3.0/", "://x"} {
		if _, err := ll2.New(ll2.Config{BaseURL: bad}); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		e    *ll2.Error
		want string
	}{
		{&ll2.Error{Kind: ll2.KindNotFound, Op: "GET spacecraft/1/", Status: 404, Detail: "Not found."},
			"ll2: GET spacecraft/1/: not found (HTTP 404): Not found."},
		{&ll2.Error{Kind: ll2.KindRateLimited, Op: "GET spacecraft/", Status: 429, Detail: "x", RetryAfter: 90 * time.Second, RetryKnown: true},
			"ll2: GET spacecraft/: rate limited (HTTP 429): x; retry after 1m30s"},
		{&ll2.Error{Kind: ll2.KindUnavailable, Op: "GET agencies/", Err: io.ErrUnexpectedEOF},
			"ll2: GET agencies/: unavailable: unexpected EOF"},
		{&ll2.Error{Kind: 0, Op: "GET x/"}, "ll2: GET x/: unknown"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	if ll2.KindOf(nil) != 0 || ll2.KindOf(io.EOF) != 0 {
		t.Error("KindOf of a foreign error is not 0")
	}
	// A sentinel matches by kind only; an error with an op is not a sentinel.
	e := &ll2.Error{Kind: ll2.KindNotFound, Op: "GET spacecraft/1/"}
	if ll2.ErrNotFound.Is(e) {
		t.Error("the sentinel matched an error with an op as target")
	}
	if !errors.Is(e, ll2.ErrNotFound) || errors.Is(e, ll2.ErrUnavailable) {
		t.Error("errors.Is against the sentinels")
	}
}

// TestClientGivesItsCheckToTheTransport checks the BodyCheck the client puts on each
// request: it rejects what the client rejects, with the client's words, and accepts
// what it accepts, keeping the decoded answer so that the same bytes served next are
// not decoded again.
func TestClientGivesItsCheckToTheTransport(t *testing.T) {
	var (
		check ll2.BodyCheck
		body  []byte
	)
	serve := func(b string) {
		body = []byte(b)
	}
	tr := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		check = ll2.BodyCheckFrom(req.Context())
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: sharedBody{bytes.NewReader(body), body}, Request: req}, nil
	})
	c, err := ll2.New(ll2.Config{BaseURL: "https://ll2.test/2.3.0/", Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	serve(`{"id": 7, "name": "x", "response_mode": "detailed"}`)
	if _, err := c.GetSpacecraft(ctx, 8); err == nil || check == nil {
		t.Fatalf("wrong id: %v, check %v", err, check != nil)
	}
	if err := check(body); ll2.KindOf(err) != ll2.KindBadResponse || !strings.Contains(err.Error(), "asked for id 8, got id 7") {
		t.Errorf("the check of another object: %v", err)
	}
	if err := check([]byte(`{"detail": "Not found."}`)); ll2.KindOf(err) != ll2.KindBadResponse {
		t.Errorf("the check of an error body: %v", err)
	}
	if err := check([]byte(`<html></html>`)); ll2.KindOf(err) != ll2.KindBadResponse {
		t.Errorf("the check of an HTML page: %v", err)
	}
	// The check accepts a good answer and keeps its decoding for the same bytes.
	serve(`{"id": 8, "name": "eight", "response_mode": "detailed", "flights": []}`)
	if err := check(body); err != nil {
		t.Fatalf("the check of a good answer: %v", err)
	}
	// The client recognises the very bytes the check decoded by their address: had it
	// decoded them again, it would see this change (which SharedBody forbids, and
	// which only a test makes).
	copy(body[bytes.Index(body, []byte("eight")):], "EIGHT")
	s1, err := c.GetSpacecraft(ctx, 8)
	if err != nil || s1.Name != "eight" {
		t.Fatalf("good answer: %+v %v, want the check's decoding (eight)", s1, err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// sharedBody is a body that offers its bytes, as a caching transport's does.
type sharedBody struct {
	*bytes.Reader
	b []byte
}

func (sharedBody) Close() error          { return nil }
func (s sharedBody) SharedBytes() []byte { return s.b }

// keeperTransport is a caching transport as the client sees it: Kept answers from
// kept, RoundTrip counts what reaches it.
type keeperTransport struct {
	kept  map[string]string
	trips []*url.URL
	asked [][3]string
}

func (k *keeperTransport) Kept(_ context.Context, host, path, query string) ([]byte, bool) {
	k.asked = append(k.asked, [3]string{host, path, query})
	b, ok := k.kept[path]
	return []byte(b), ok
}

func (k *keeperTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	k.trips = append(k.trips, req.URL)
	b := []byte(`{"id": 9, "name": "nine", "response_mode": "detailed", "flights": []}`)
	if strings.HasSuffix(req.URL.Path, "/spacecraft/") {
		b = []byte(`{"count": 0, "results": []}`)
	}
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: sharedBody{bytes.NewReader(b), b}, Request: req}, nil
}

// TestClientAsksItsKeeperFirst checks the client's short way to a kept answer: what
// the transport keeps is decoded (once), checked and observed without a request;
// what it does not keep goes through RoundTrip.
func TestClientAsksItsKeeperFirst(t *testing.T) {
	tr := &keeperTransport{kept: map[string]string{
		"/2.3.0/spacecraft/8/": `{"id": 8, "name": "eight", "response_mode": "detailed", "flights": []}`,
		"/2.3.0/spacecraft/7/": `{"id": 6, "name": "six", "response_mode": "detailed", "flights": []}`,
	}}
	var calls []ll2.Call
	c, err := ll2.New(ll2.Config{BaseURL: "https://ll2.test/2.3.0/", Transport: tr, Observe: func(c ll2.Call) { calls = append(calls, c) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s1, err := c.GetSpacecraft(ctx, 8)
	if err != nil || s1.Name != "eight" || len(tr.trips) != 0 {
		t.Fatalf("kept answer: %+v %v, %d round trips", s1, err, len(tr.trips))
	}
	if tr.asked[0] != [3]string{"ll2.test", "/2.3.0/spacecraft/8/", ""} {
		t.Fatalf("asked the keeper for %q", tr.asked[0])
	}
	if len(calls) != 1 || calls[0].Status != 200 || calls[0].Bytes != len(tr.kept["/2.3.0/spacecraft/8/"]) || calls[0].Err != nil {
		t.Fatalf("observed %+v", calls)
	}
	if s2, _ := c.GetSpacecraft(ctx, 8); s2 != s1 {
		t.Fatal("the same kept bytes were decoded twice")
	}
	if _, err := c.GetSpacecraft(ctx, 7); ll2.KindOf(err) != ll2.KindBadResponse || !strings.Contains(err.Error(), "asked for id 7, got id 6") {
		t.Fatalf("a kept answer the check rejects: %v", err)
	}
	if s, err := c.GetSpacecraft(ctx, 9); err != nil || s.Name != "nine" || len(tr.trips) != 1 {
		t.Fatalf("an answer not kept: %+v %v, %d round trips", s, err, len(tr.trips))
	}
	// What the keeper is asked is the caching transport's key of the URL the request
	// then goes to, which is written as url.Values writes a query.
	_, err = c.ListSpacecraft(ctx, ll2.ListParams{Limit: 3, Mode: ll2.LevelNormal, Search: "a b&c", Filter: url.Values{"in_space": {"true"}, "spacecraft_config": {"5"}}})
	if err != nil {
		t.Fatal(err)
	}
	sent, asked := tr.trips[1], tr.asked[len(tr.asked)-1]
	if got, want := economy.KeyOf(asked[0], asked[1], asked[2]), economy.Key(sent); got != want {
		t.Fatalf("the keeper was asked for %s, the request's key is %s", got, want)
	}
	if want := "https://ll2.test/2.3.0/spacecraft/?format=json&in_space=true&limit=3&mode=normal&search=a+b%26c&spacecraft_config=5"; sent.String() != want {
		t.Fatalf("request to %s, want %s", sent, want)
	}
}
