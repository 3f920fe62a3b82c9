package ll2

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Base URLs of LL2 2.3.0.
const (
	// ProductionURL is the current, throttled API.
	ProductionURL = "https://ll.thespacedevs.com/2.3.0/"
	// DevelopmentURL is the unthrottled twin, whose data may be stale or partial.
	DevelopmentURL = "https://lldev.thespacedevs.com/2.3.0/"
)

// DefaultUserAgent tells The Space Devs who is calling, as their FAQ asks.
const DefaultUserAgent = "spacegraph/1.0 (GraphQL gateway over Launch Library 2; +https://github.com/spacegraph/spacegraph)"

// Defaults for Config.
const (
	DefaultTimeout = 20 * time.Second
	// DefaultMaxBody bounds a response body: a detailed page of 100 spacecraft embeds
	// every flight's launch and can reach several megabytes.
	DefaultMaxBody = 64 << 20
)

// Config configures a Client. The zero value talks to production anonymously.
type Config struct {
	// BaseURL is the version root, e.g. ProductionURL or a built-in server's URL.
	BaseURL string
	// Token is an LL2 API key, sent as `Authorization: Token KEY`.
	Token string
	// Transport carries the requests; nil means a pooled keep-alive http.Transport,
	// which also negotiates gzip transparently.
	Transport http.RoundTripper
	// Timeout bounds each call when the context has no earlier deadline.
	Timeout time.Duration
	// UserAgent replaces DefaultUserAgent.
	UserAgent string
	// MaxBody bounds a response body in bytes.
	MaxBody int64
	// DecodedBytes bounds the memory of the decoded answers the client keeps for
	// answers whose body is a SharedBody, by an estimate of their size (0:
	// DefaultDecodedBytes; negative: none are kept).
	DecodedBytes int64
	// Observe, when set, is told of every call after it ends (for metrics and logs).
	Observe func(Call)
}

// Call describes one finished call to LL2, for Config.Observe.
type Call struct {
	Method   string
	Path     string
	Query    string
	Status   int
	Bytes    int
	Duration time.Duration
	Err      error
}

// Client calls LL2. It is safe for concurrent use. What it returns may be shared with
// other callers (answers decoded once and kept, see SharedBody): treat it as read-only.
type Client struct {
	base      *url.URL
	root      string // base's text, without query or fragment (see target)
	token     string
	http      *http.Client
	userAgent string
	timeout   time.Duration
	maxBody   int64
	observe   func(Call)
	decoded   *memo
	keeper    Keeper
}

// NewTransport returns the pooled keep-alive transport the client uses by default.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	base := cfg.BaseURL
	if base == "" {
		base = ProductionURL
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("ll2: base URL %q: want http(s)://host/path/", cfg.BaseURL)
	}
	root := *u
	root.RawQuery, root.Fragment, root.ForceQuery = "", "", false
	c := &Client{
		base:      u,
		root:      root.String(),
		token:     cfg.Token,
		userAgent: cfg.UserAgent,
		timeout:   cfg.Timeout,
		maxBody:   cfg.MaxBody,
		observe:   cfg.Observe,
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	switch {
	case cfg.DecodedBytes == 0:
		c.decoded = newMemo(DefaultDecodedBytes)
	case cfg.DecodedBytes > 0:
		c.decoded = newMemo(uint64(cfg.DecodedBytes))
	}
	tr := cfg.Transport
	if tr == nil {
		tr = NewTransport()
	}
	c.http = &http.Client{Transport: tr}
	c.keeper, _ = tr.(Keeper)
	return c, nil
}

// BaseURL returns the version root the client calls.
func (c *Client) BaseURL() string { return c.base.String() }

// DecodedSize is what the decoded answers the client keeps weigh, by the estimate
// Config.DecodedBytes bounds.
func (c *Client) DecodedSize() uint64 { return c.decoded.weight() }

// List is one page of a list endpoint, its results in the detailed container of their
// kind (fields above Level are nil).
type List[T any] struct {
	Count    int
	Next     *string
	Previous *string
	Results  []*T
	Level    Level
}

// Validate refuses parameters that LL2 would ignore or refuse, as the client does
// before any call: a filter or ordering the endpoint lacks, a search where it has no
// search fields, a mode it does not serve, a limit out of range.
func (e *Endpoint[T]) Validate(p ListParams) error { return validate(e, p) }

// validate refuses, before any call is spent, parameters that LL2 would ignore or
// refuse: a filter or ordering the endpoint lacks, a mode it does not serve, a limit
// out of range.
func validate[T any](e *Endpoint[T], p ListParams) error {
	switch {
	case p.Limit < 0 || p.Limit > MaxLimit:
		return fmt.Errorf("limit %d: want 1..%d", p.Limit, MaxLimit)
	case p.Offset < 0:
		return fmt.Errorf("offset %d: want 0 or more", p.Offset)
	case p.Mode != LevelNone && !e.ServesMode(p.Mode):
		return fmt.Errorf("mode %s: %s serves %v", p.Mode, e.Path, e.Modes)
	}
	for k := range p.Filter {
		if e.Filter(k) == nil {
			return fmt.Errorf("%s has no filter %q", e.Path, k)
		}
	}
	if p.Search != "" && len(e.Search) == 0 {
		return fmt.Errorf("%s has no search fields: LL2 would ignore search", e.Path)
	}
	for _, o := range p.Ordering {
		if e.Ordering(o.Field) == nil {
			return fmt.Errorf("%s cannot be ordered by %q", e.Path, o.Field)
		}
	}
	return nil
}

// responseModer is satisfied by every detailed container: they all embed a base with
// the response_mode field.
type responseModer interface{ responseMode() string }

func (s *SpacecraftDetailed) responseMode() string       { return s.ResponseMode }
func (c *SpacecraftConfigDetailed) responseMode() string { return c.ResponseMode }
func (a *AgencyDetailed) responseMode() string           { return a.ResponseMode }
func (f *FamilyEndpointDetailed) responseMode() string   { return f.ResponseMode }
func (f *SpacecraftFlight) responseMode() string         { return f.ResponseMode }
func (d *DockingEvent) responseMode() string             { return d.ResponseMode }

func list[T any, PT interface {
	*T
	responseModer
}](ctx context.Context, c *Client, e *Endpoint[T], p ListParams) (*List[T], error) {
	v := p.Values()
	query := v.Encode()
	op := "GET " + e.Path + "?" + query
	if err := validate(e, p); err != nil {
		return nil, &Error{Kind: KindBadRequest, Op: op, Detail: err.Error()}
	}
	q, err := e.ParseQuery(v)
	if err != nil {
		return nil, &Error{Kind: KindBadRequest, Op: op, Err: err}
	}
	page, err := get(ctx, c, e.Path, query, func(page Page[*T]) error {
		if page.Results == nil {
			// What an error body ({"detail": …}) or a proxy's stray JSON decodes as.
			return errors.New("no results list in the page")
		}
		for i, r := range page.Results {
			if r == nil {
				return fmt.Errorf("result %d is null", i)
			}
			if got := PT(r).responseMode(); got != q.Mode.String() {
				return fmt.Errorf("asked for mode=%s, result %d has response_mode %q", q.Mode, e.ID(r), got)
			}
			if e.CheckRecord != nil {
				if err := e.CheckRecord(r, q.Mode); err != nil {
					return err
				}
			}
		}
		if page.Count < 0 || (len(page.Results) > 0 && page.Count < q.Offset+len(page.Results)) {
			return fmt.Errorf("count %d is less than offset %d plus %d results", page.Count, q.Offset, len(page.Results))
		}
		if err := e.Check(&q, page.Results); err != nil {
			return err
		}
		return checkPageLength(page.Count, q.Offset, q.Limit, len(page.Results))
	})
	if err != nil {
		return nil, err
	}
	return &List[T]{Count: page.Count, Next: page.Next, Previous: page.Previous, Results: page.Results, Level: q.Mode}, nil
}

// checkPageLength verifies that a page holds all the results its count promises: a
// whole page, or what is left past offset. A shorter page has lost results.
func checkPageLength(count, offset, limit, got int) error {
	if want := min(limit, max(0, count-offset)); got != want {
		return fmt.Errorf("a page of %d results, want %d (count %d, offset %d, limit %d)", got, want, count, offset, limit)
	}
	return nil
}

func detail[T any, PT interface {
	*T
	responseModer
}](ctx context.Context, c *Client, e *Endpoint[T], id int) (*T, error) {
	path := e.Path + strconv.Itoa(id) + "/"
	return get(ctx, c, path, "", func(out *T) error {
		switch {
		case out == nil:
			return errors.New("null body")
		case e.ID(out) != id:
			return fmt.Errorf("asked for id %d, got id %d", id, e.ID(out))
		case PT(out).responseMode() != LevelDetailed.String():
			return fmt.Errorf("detail endpoint answered response_mode %q", PT(out).responseMode())
		case e.CheckRecord != nil:
			return e.CheckRecord(out, LevelDetailed)
		}
		return nil
	})
}

// ListSpacecraft calls `spacecraft/`.
func (c *Client) ListSpacecraft(ctx context.Context, p ListParams) (*List[SpacecraftDetailed], error) {
	return list(ctx, c, SpacecraftEndpoint, p)
}

// GetSpacecraft calls `spacecraft/{id}/`, which answers at the detailed level.
func (c *Client) GetSpacecraft(ctx context.Context, id int) (*SpacecraftDetailed, error) {
	return detail(ctx, c, SpacecraftEndpoint, id)
}

// ListSpacecraftConfigs calls `spacecraft_configurations/`.
func (c *Client) ListSpacecraftConfigs(ctx context.Context, p ListParams) (*List[SpacecraftConfigDetailed], error) {
	return list(ctx, c, SpacecraftConfigEndpoint, p)
}

// GetSpacecraftConfig calls `spacecraft_configurations/{id}/`.
func (c *Client) GetSpacecraftConfig(ctx context.Context, id int) (*SpacecraftConfigDetailed, error) {
	return detail(ctx, c, SpacecraftConfigEndpoint, id)
}

// ListAgencies calls `agencies/`.
func (c *Client) ListAgencies(ctx context.Context, p ListParams) (*List[AgencyDetailed], error) {
	return list(ctx, c, AgencyEndpoint, p)
}

// GetAgency calls `agencies/{id}/`.
func (c *Client) GetAgency(ctx context.Context, id int) (*AgencyDetailed, error) {
	return detail(ctx, c, AgencyEndpoint, id)
}

// ListFamilies calls `spacecraft_configuration_families/`.
func (c *Client) ListFamilies(ctx context.Context, p ListParams) (*List[FamilyEndpointDetailed], error) {
	return list(ctx, c, FamilyEndpoint, p)
}

// GetFamily calls `spacecraft_configuration_families/{id}/`.
func (c *Client) GetFamily(ctx context.Context, id int) (*FamilyEndpointDetailed, error) {
	return detail(ctx, c, FamilyEndpoint, id)
}

// ListSpacecraftFlights calls `spacecraft_flights/`.
func (c *Client) ListSpacecraftFlights(ctx context.Context, p ListParams) (*List[SpacecraftFlight], error) {
	return list(ctx, c, SpacecraftFlightEndpoint, p)
}

// GetSpacecraftFlight calls `spacecraft_flights/{id}/`, which answers at the detailed
// level.
func (c *Client) GetSpacecraftFlight(ctx context.Context, id int) (*SpacecraftFlight, error) {
	return detail(ctx, c, SpacecraftFlightEndpoint, id)
}

// ListDockingEvents calls `docking_events/`.
func (c *Client) ListDockingEvents(ctx context.Context, p ListParams) (*List[DockingEvent], error) {
	return list(ctx, c, DockingEventEndpoint, p)
}

// GetDockingEvent calls `docking_events/{id}/`, which answers at the detailed level.
func (c *Client) GetDockingEvent(ctx context.Context, id int) (*DockingEvent, error) {
	return detail(ctx, c, DockingEventEndpoint, id)
}

// ListLookup calls one of the lookup tables (LookupPaths) and decodes its rows into T,
// e.g. SpacecraftStatus for PathSpacecraftStatuses.
func ListLookup[T any](ctx context.Context, c *Client, path string, limit, offset int) (*Page[T], error) {
	if limit < 0 || limit > MaxLimit || offset < 0 {
		return nil, &Error{Kind: KindBadRequest, Op: "GET " + path, Detail: fmt.Sprintf("limit %d, offset %d: want limit 1..100 and offset ≥ 0", limit, offset)}
	}
	if !slices.Contains(LookupPaths, path) {
		return nil, &Error{Kind: KindBadRequest, Op: "GET " + path, Detail: fmt.Sprintf("%s is not a lookup table (%v)", path, LookupPaths)}
	}
	v := url.Values{}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	page, err := get(ctx, c, path, v.Encode(), func(page Page[T]) error {
		if page.Results == nil {
			return errors.New("no results list in the page")
		}
		if page.Count < 0 {
			return fmt.Errorf("count %d", page.Count)
		}
		seen := make(map[int]bool, len(page.Results))
		for i, r := range page.Results {
			id, ok := lookupRowID(r)
			if !ok || id <= 0 {
				return fmt.Errorf("row %d has no positive integer id", i)
			}
			if seen[id] {
				return fmt.Errorf("id %d appears twice", id)
			}
			seen[id] = true
		}
		return checkPageLength(page.Count, offset, cmp.Or(limit, DefaultLimit), len(page.Results))
	})
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// lookupRowID reads the id of a lookup row of any of the types ListLookup decodes into.
func lookupRowID(r any) (int, bool) {
	switch v := r.(type) {
	case SpacecraftStatus:
		return v.ID, true
	case SpacecraftConfigType:
		return v.ID, true
	case AgencyType:
		return v.ID, true
	case Country:
		return v.ID, true
	case ImageLicense:
		return v.ID, true
	case ImageVariantType:
		return v.ID, true
	}
	b, err := json.Marshal(r)
	if err != nil {
		return 0, false
	}
	var row struct {
		ID *json.Number `json:"id"`
	}
	if json.Unmarshal(b, &row) != nil || row.ID == nil {
		return 0, false
	}
	n, err := strconv.Atoi(row.ID.String())
	return n, err == nil
}

// Throttle calls `api-throttle/`, which costs nothing against the limit, to learn the
// caller's limit and current use.
func (c *Client) Throttle(ctx context.Context) ([]APIThrottle, error) {
	return get[[]APIThrottle](ctx, c, PathAPIThrottle, "", nil)
}

// get performs one GET of path below the base URL, with query (url.Values' sorted
// encoding, without format), and decodes a 200 answer into a T, which
// check (when set) must accept. What it decodes from a SharedBody it keeps and hands
// out again for the same bytes, so the value may be shared: callers must not modify
// it. The request carries the same decoding and check as a BodyCheck, so that a
// caching transport keeps no answer this call would reject. Every failure comes back
// as an *Error.
func get[T any](ctx context.Context, c *Client, path string, query string, check func(T) error) (out T, err error) {
	enc := withFormat(query)
	op := "GET " + path
	if query != "" {
		op += "?" + enc
	}
	target, upath := c.target(path, enc)
	start := time.Now()
	status, size := 0, 0
	defer func() {
		if c.observe != nil {
			c.observe(Call{Method: http.MethodGet, Path: path, Query: enc, Status: status, Bytes: size, Duration: time.Since(start), Err: err})
		}
	}()
	// decode turns a 200 body into a checked T.
	decode := func(body []byte, contentType string) (T, error) {
		var zero T
		if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '<' {
			detail := "an HTML page instead of JSON"
			if contentType != "" {
				detail += " (" + contentType + ")"
			}
			return zero, &Error{Kind: KindBadResponse, Op: op, Status: http.StatusOK, Detail: detail}
		}
		v, err := decodeBody[T](body)
		if err != nil {
			return zero, &Error{Kind: KindBadResponse, Op: op, Status: http.StatusOK, Detail: "cannot decode the body", Err: err}
		}
		if check != nil {
			if err := check(v); err != nil {
				return zero, &Error{Kind: KindBadResponse, Op: op, Status: http.StatusOK, Detail: err.Error()}
			}
		}
		return v, nil
	}
	// decodeShared decodes a body shared with other callers (a kept answer, a
	// SharedBody) once: the value decoded for the same bytes is handed out again.
	decodeShared := func(body []byte, contentType string) (T, error) {
		if v, ok := c.decoded.get(target, body); ok {
			if t, ok := v.(T); ok {
				return t, nil
			}
		}
		v, err := decode(body, contentType)
		if err == nil {
			c.decoded.put(target, body, v)
		}
		return v, err
	}
	if c.keeper != nil {
		if body, ok := c.keeper.Kept(ctx, c.base.Host, upath, query); ok {
			status, size = http.StatusOK, len(body)
			return decodeShared(body, "")
		}
	}
	if KeptOnly(ctx) {
		return out, &Error{Kind: KindUnavailable, Op: op, Detail: "no fresh kept answer", Err: ErrNotKept}
	}
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > c.timeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	// A transport that checks the body before keeping it has decoded it: the value is
	// kept for the bytes it will serve, and not decoded again below.
	rctx := WithBodyCheck(ctx, func(body []byte) error {
		v, err := decode(body, "")
		if err == nil {
			c.decoded.put(target, body, v)
		}
		return err
	})
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, target, nil)
	if err != nil {
		return out, &Error{Kind: KindBadRequest, Op: op, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Token "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return out, &Error{Kind: KindUnavailable, Op: op, Timeout: isTimeout(ctx, err), Err: err}
	}
	defer resp.Body.Close()
	status = resp.StatusCode
	var body []byte
	shared, isShared := resp.Body.(SharedBody)
	if isShared {
		body = shared.SharedBytes()
	} else {
		body, err = io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	}
	size = len(body)
	if err != nil {
		return out, &Error{Kind: KindUnavailable, Op: op, Status: status, Timeout: isTimeout(ctx, err), Detail: "connection failed while reading the body", Err: err}
	}
	if int64(len(body)) > c.maxBody {
		return out, &Error{Kind: KindBadResponse, Op: op, Status: status, Detail: fmt.Sprintf("body larger than %d bytes", c.maxBody)}
	}
	if status != http.StatusOK {
		return out, statusError(op, resp, body)
	}
	if isShared {
		return decodeShared(body, resp.Header.Get("Content-Type"))
	}
	return decode(body, resp.Header.Get("Content-Type"))
}

// withFormat returns query (url.Values' sorted encoding) with format=json in its
// sorted place, as url.Values would encode it with format set.
func withFormat(query string) string {
	for i := 0; i < len(query); {
		end := strings.IndexByte(query[i:], '&')
		if end < 0 {
			end = len(query)
		} else {
			end += i
		}
		key, _, _ := strings.Cut(query[i:end], "=")
		if strings.ContainsAny(key, "%+") {
			key, _ = url.QueryUnescape(key) // url.Values sorts the keys unescaped
		}
		if key > "format" {
			return query[:i] + "format=json&" + query[i:]
		}
		i = end + 1
	}
	if query == "" {
		return "format=json"
	}
	return query + "&format=json"
}

// target returns the URL of path below the base with the encoded query enc, and its
// path. A plain path (what the endpoints' paths are) is written onto the base's text
// without the work of resolving a reference, with the same result.
func (c *Client) target(path, enc string) (target, urlPath string) {
	if plainPath(path) {
		return c.root + path + "?" + enc, c.base.Path + path
	}
	u := c.base.ResolveReference(&url.URL{Path: path, RawQuery: enc})
	return u.String(), u.Path
}

// plainPath reports whether path is relative and made of letters, digits, '_', '-'
// and '/' only: no dot segments, nothing to escape.
func plainPath(path string) bool {
	if path == "" || path[0] == '/' {
		return false
	}
	for i := 0; i < len(path); i++ {
		switch b := path[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '_', b == '-', b == '/':
		default:
			return false
		}
	}
	return true
}

func statusError(op string, resp *http.Response, body []byte) error {
	var d Detail
	if json.Unmarshal(body, &d) != nil || d.Detail == "" {
		d.Detail = strings.TrimSpace(string(body))
		if len(d.Detail) > 200 {
			d.Detail = d.Detail[:200] + "…"
		}
	}
	e := &Error{Op: op, Status: resp.StatusCode, Detail: d.Detail}
	switch s := resp.StatusCode; {
	case s == http.StatusNotFound:
		e.Kind = KindNotFound
	case s == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
		e.RetryAfter, e.RetryKnown = ParseRetryAfter(resp.Header, d.Detail, time.Now())
	case s >= 500:
		e.Kind = KindUnavailable
	case s == http.StatusBadRequest && notInSnapshot(body, e):
		e.Kind = KindNotInSnapshot
	case s >= 400:
		e.Kind = KindBadRequest
	default:
		e.Kind = KindBadResponse
		e.Detail = "unexpected status " + resp.Status
	}
	return e
}

// notInSnapshot reads a built-in server's NotInSnapshotBody into e; false for any
// other body.
func notInSnapshot(body []byte, e *Error) bool {
	var b NotInSnapshotBody
	if json.Unmarshal(body, &b) != nil || len(b.NotInSnapshot) == 0 {
		return false
	}
	e.Lacking = b.NotInSnapshot
	return true
}

func isTimeout(ctx context.Context, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
