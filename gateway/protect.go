package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzhttp"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"

	"spacegraph/errs"
	"spacegraph/graph"
	"spacegraph/internal/envflag"
)

// This file is the gateway's protection: the knobs (Protection, with their flags) and
// the HTTP middleware that applies them: panic recovery, the request body limit, the
// per-request deadline, CORS and compression. The query limits themselves are in
// graph/limits.go; the GraphQL-over-HTTP rules are in overhttp.go.

// The defaults of the protection knobs. Every example of the README, every playground
// tab and every query of the gateway's tests fits them with room to spare
// (TestLegitimateQueriesFitTheDefaults measures them); a 200-alias flood or a query
// nested twelve levels deep through reverse connections does not.
const (
	DefaultMaxDepth         = 10
	DefaultMaxComplexity    = 10000
	DefaultMaxAliases       = 50
	DefaultMaxRootFields    = 30
	DefaultMaxTokens        = 2000
	DefaultMaxDocumentBytes = 64 << 10
	DefaultMaxBodyBytes     = 256 << 10
	DefaultMaxResponseBytes = 4 << 20
	DefaultRequestTimeout   = 30 * time.Second
	DefaultCORSMaxAge       = time.Hour
	defaultDeadlineGrace    = time.Second
	defaultCORSAllowOrigin  = "*"
)

// DefaultMaxUpstreamCalls is the default bound on one request's LL2 calls: at most two
// thirds of LL2's anonymous budget of 15 calls an hour, and room for the heaviest
// query of the upstream-call table (8 calls: twelve ids of four kinds).
const DefaultMaxUpstreamCalls = 10

// Protection configures what the gateway refuses and how it guards itself. The zero
// value is the defaults. For the query limits, the body limit and the timeout, zero
// means the default and a negative value means none.
type Protection struct {
	// MaxDepth bounds the nesting of fields (default DefaultMaxDepth).
	MaxDepth int
	// MaxComplexity bounds the estimated cost of an operation: each field costs 1
	// plus its selection, a connection its page size (first/last, default 10) times
	// its selection (default DefaultMaxComplexity).
	MaxComplexity int
	// MaxAliases bounds the number of aliased fields (default DefaultMaxAliases).
	MaxAliases int
	// MaxRootFields bounds the fields at the top of an operation (default
	// DefaultMaxRootFields).
	MaxRootFields int
	// MaxTokens bounds the tokens of a document, comments included, checked by the
	// parser as it reads (default DefaultMaxTokens).
	MaxTokens int
	// MaxUpstreamCalls bounds the LL2 calls of one request: an operation that can
	// need more (graph.PlanCalls) is refused before it runs, and the calls of one that
	// runs stop there, answers from the caches not counted (default
	// DefaultMaxUpstreamCalls).
	MaxUpstreamCalls int
	// MaxDocumentBytes bounds the length of a document's text, whitespace and
	// comments included (a comment is one token however long), before it is parsed
	// (default DefaultMaxDocumentBytes: a document of the most tokens allowed, one
	// token a line and deeply indented, still fits).
	MaxDocumentBytes int
	// MaxBodyBytes bounds a POST body and a GET query string; larger requests get 413
	// (or 414) (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxResponseBytes bounds the encoded data of one answer: a larger one is
	// dropped whole for a RESPONSE_TOO_LARGE error (data null), which is never cached
	// (default DefaultMaxResponseBytes: more than ten times the largest answer the
	// complexity limit lets a legitimate query have, pages of a hundred objects with
	// every field and their nested objects, and less than what aliased introspection
	// would produce were its complexity not measured).
	MaxResponseBytes int
	// RequestTimeout is the deadline of a whole GraphQL request: LL2 calls still
	// pending then fail with UPSTREAM_TIMEOUT and the rest of the answer is sent; if
	// the answer is still not ready a second later, the gateway answers 504 with an
	// UPSTREAM_TIMEOUT error (default DefaultRequestTimeout).
	RequestTimeout time.Duration
	// IntrospectionOff refuses `__schema` and `__type` and removes the "Did you
	// mean …" suggestions from validation errors.
	IntrospectionOff bool
	// CORSOrigins are the origins browsers may call /graphql from ("*" for any;
	// "https://*.example.com" patterns allowed). Nil means any origin; an empty,
	// non-nil list allows no cross-origin calls.
	CORSOrigins []string
	// CORSMaxAge is how long browsers may cache a preflight's answer
	// (Access-Control-Max-Age; default DefaultCORSMaxAge).
	CORSMaxAge time.Duration
	// TrustedDocuments, when set, is the only documents the gateway runs (see
	// LoadTrustedDocuments); anything else is refused with PERSISTED_QUERY_NOT_FOUND
	// and status 400. Automatic persisted queries are off then.
	TrustedDocuments *TrustedDocuments
	// GzipOff turns off the compression of responses (gzip when the client accepts
	// it, for bodies of 1 KiB or more).
	GzipOff bool

	// testPanic, when set (only by tests, through export_test.go), is called at each
	// stage (panicInMiddleware, panicInResolver) of every request, so that a test can
	// panic there.
	testPanic func(ctx context.Context, stage string)
}

// The stages at which a test can make the gateway panic.
const (
	panicInMiddleware = "middleware"
	panicInResolver   = "resolver"
)

// withDefaults returns p with its zero knobs set to their defaults.
func (p Protection) withDefaults() Protection {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&p.MaxDepth, DefaultMaxDepth)
	def(&p.MaxComplexity, DefaultMaxComplexity)
	def(&p.MaxAliases, DefaultMaxAliases)
	def(&p.MaxRootFields, DefaultMaxRootFields)
	def(&p.MaxTokens, DefaultMaxTokens)
	def(&p.MaxUpstreamCalls, DefaultMaxUpstreamCalls)
	def(&p.MaxDocumentBytes, DefaultMaxDocumentBytes)
	def(&p.MaxResponseBytes, DefaultMaxResponseBytes)
	if p.MaxBodyBytes == 0 {
		p.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if p.RequestTimeout == 0 {
		p.RequestTimeout = DefaultRequestTimeout
	}
	if p.CORSOrigins == nil {
		p.CORSOrigins = []string{defaultCORSAllowOrigin}
	}
	if p.CORSMaxAge == 0 {
		p.CORSMaxAge = DefaultCORSMaxAge
	}
	return p
}

// limits returns the query limits of graph.Limits (zero or less: none), measured on
// schema.
func (p Protection) limits(schema *ast.Schema) graph.Limits {
	return graph.Limits{MaxDepth: p.MaxDepth, MaxComplexity: p.MaxComplexity, MaxAliases: p.MaxAliases,
		MaxRootFields: p.MaxRootFields, MaxDocumentBytes: p.MaxDocumentBytes, Schema: schema}
}

// ProtectionFlags defines the flags of the Protection knobs on fs, each with an
// environment variable twin (SPACEGRAPH_ and the flag's name in capitals, dashes as
// underscores) read through lookupEnv; a flag given on the command line wins. After
// fs.Parse, the returned function gives the Protection, with the trusted-documents
// manifest loaded, or the first bad value.
func ProtectionFlags(fs *flag.FlagSet, lookupEnv func(string) (string, bool)) func() (Protection, error) {
	var (
		p        Protection
		origins  string
		trusted  string
		noIntro  bool
		noGzip   bool
		haveOrig bool
	)
	flags := envflag.New(fs, lookupEnv)
	define := func(name, def, usage string, boolean bool, set func(string) error) {
		flags.Define(name, def, usage, envflag.Options{Bool: boolean}, set)
	}
	intFlag := func(name string, v *int, def int, usage string) {
		define(name, strconv.Itoa(def), usage, false, func(s string) error {
			n, err := strconv.Atoi(s)
			*v = n
			return err
		})
	}
	intFlag("max-depth", &p.MaxDepth, DefaultMaxDepth, "at most `n` levels of field nesting in a query; -1 for none")
	intFlag("max-complexity", &p.MaxComplexity, DefaultMaxComplexity, "at most `n` of estimated cost in a query (a connection costs first/last, default 10, times its selection); -1 for none")
	intFlag("max-aliases", &p.MaxAliases, DefaultMaxAliases, "at most `n` aliased fields in a query; -1 for none")
	intFlag("max-root-fields", &p.MaxRootFields, DefaultMaxRootFields, "at most `n` fields at the top of a query; -1 for none")
	intFlag("max-tokens", &p.MaxTokens, DefaultMaxTokens, "at most `n` tokens in a query document, comments included; -1 for none")
	intFlag("max-document-bytes", &p.MaxDocumentBytes, DefaultMaxDocumentBytes, "at most `n` bytes in a query document, whitespace and comments included; -1 for none")
	intFlag("max-response-bytes", &p.MaxResponseBytes, DefaultMaxResponseBytes, "at most `n` bytes in one answer: a larger one is refused with RESPONSE_TOO_LARGE; -1 for none")
	intFlag("max-upstream-calls", &p.MaxUpstreamCalls, DefaultMaxUpstreamCalls, "at most `n` LL2 calls for one request, counted before it runs (cold caches) and while it runs (cache misses); -1 for none")
	define("max-body-bytes", strconv.Itoa(DefaultMaxBodyBytes), "at most `n` bytes in a request body (and a GET query string); -1 for none", false, func(s string) error {
		n, err := strconv.ParseInt(s, 10, 64)
		p.MaxBodyBytes = n
		return err
	})
	durationFlag := func(name string, v *time.Duration, def time.Duration, usage string) {
		define(name, def.String(), usage, false, func(s string) error {
			d, err := time.ParseDuration(s)
			*v = d
			return err
		})
	}
	durationFlag("request-timeout", &p.RequestTimeout, DefaultRequestTimeout, "the `duration` a whole GraphQL request may take")
	define("introspection", "true", "answer introspection queries (__schema, __type) and suggest field names in errors", true, func(s string) error {
		on, err := strconv.ParseBool(s)
		noIntro = !on
		return err
	})
	define("cors-origins", defaultCORSAllowOrigin, "the `origins` (comma-separated) browsers may call /graphql from: * for any, empty for none", false, func(s string) error {
		origins, haveOrig = s, true
		return nil
	})
	durationFlag("cors-max-age", &p.CORSMaxAge, DefaultCORSMaxAge, "the `duration` browsers may cache a CORS preflight answer")
	define("trusted-documents", "", "run only the documents of this manifest `file` (Apollo persisted-query manifest JSON, or {\"id\": \"document\"})", false, func(s string) error {
		trusted = s
		return nil
	})
	define("gzip", "true", "compress responses with gzip when the client accepts it", true, func(s string) error {
		on, err := strconv.ParseBool(s)
		noGzip = !on
		return err
	})
	return func() (Protection, error) {
		if err := flags.Err(); err != nil {
			return Protection{}, err
		}
		out := p
		out.IntrospectionOff, out.GzipOff = noIntro, noGzip
		if haveOrig {
			out.CORSOrigins = []string{}
			for o := range strings.SplitSeq(origins, ",") {
				if o = strings.TrimSpace(o); o != "" {
					out.CORSOrigins = append(out.CORSOrigins, o)
				}
			}
		}
		if trusted != "" {
			docs, err := LoadTrustedDocuments(trusted)
			if err != nil {
				return Protection{}, err
			}
			out.TrustedDocuments = docs
		}
		return out, nil
	}
}

// TrustedDocuments is a manifest of the documents a gateway in trusted-documents
// mode runs, by id (as clients send it in `extensions.persistedQuery.sha256Hash`)
// and by the SHA-256 of their text (a client may also send the text itself).
type TrustedDocuments struct {
	byID   map[string]string
	byHash map[string]bool
}

// Len is the number of documents in the manifest.
func (t *TrustedDocuments) Len() int { return len(t.byID) }

// LoadTrustedDocuments reads a manifest file; see ParseTrustedDocuments.
func LoadTrustedDocuments(path string) (*TrustedDocuments, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("trusted documents: %w", err)
	}
	t, err := ParseTrustedDocuments(b)
	if err != nil {
		return nil, fmt.Errorf("trusted documents %s: %w", path, err)
	}
	return t, nil
}

// ParseTrustedDocuments parses a manifest: either Apollo's persisted-query manifest
// ({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id",
// "name", "type", "body"}]}) or a plain JSON object from ids (usually the SHA-256 of
// the text, in hex) to document texts.
func ParseTrustedDocuments(b []byte) (*TrustedDocuments, error) {
	t := &TrustedDocuments{byID: map[string]string{}, byHash: map[string]bool{}}
	add := func(id, body string) error {
		if id == "" || strings.TrimSpace(body) == "" {
			return fmt.Errorf("an operation without id or body (id %q)", id)
		}
		t.byID[id] = body
		t.byHash[sha256Hex(body)] = true
		return nil
	}
	var apollo struct {
		Format     string `json:"format"`
		Version    int    `json:"version"`
		Operations []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			Type string `json:"type"`
			Body string `json:"body"`
		} `json:"operations"`
	}
	if err := json.Unmarshal(b, &apollo); err == nil && apollo.Format != "" {
		if apollo.Format != "apollo-persisted-query-manifest" || apollo.Version != 1 {
			return nil, fmt.Errorf("unsupported manifest format %q version %d", apollo.Format, apollo.Version)
		}
		for _, op := range apollo.Operations {
			if err := add(op.ID, op.Body); err != nil {
				return nil, err
			}
		}
		return t, nil
	}
	var plain map[string]string
	if err := json.Unmarshal(b, &plain); err != nil {
		return nil, errors.New("neither an Apollo persisted-query manifest nor a JSON object of id to document")
	}
	for id, body := range plain {
		if err := add(id, body); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// errNotTrusted is the message of a refused document in trusted-documents mode.
const errNotTrusted = "this server runs trusted documents only, and this document is not one of them"

// resolve gives the text of a trusted request: the manifest's document for the id in
// extensions.persistedQuery.sha256Hash, or the text sent when it is in the manifest.
// ok is false, with a message, for anything else.
func (t *TrustedDocuments) resolve(query string, extensions map[string]any) (text, msg string, ok bool) {
	id := ""
	if pq, _ := extensions["persistedQuery"].(map[string]any); pq != nil {
		id, _ = pq["sha256Hash"].(string)
	}
	switch {
	case id != "" && query == "":
		if body, found := t.byID[id]; found {
			return body, "", true
		}
		return "", "PersistedQueryNotFound: no trusted document has the id " + strconv.Quote(id), false
	case query != "" && t.byHash[sha256Hex(query)]:
		if id != "" && t.byID[id] != query && sha256Hex(query) != id {
			return "", "the persisted query id does not match the document sent", false
		}
		return query, "", true
	}
	return "", errNotTrusted, false
}

// recoverPanics turns a panic anywhere below it (HTTP middleware included) into a 500
// with an INTERNAL error that carries the request id; the detail and the stack go to
// the log only, and the server goes on serving. http.ErrAbortHandler is let through.
func (g *Gateway) recoverPanics(p Protection, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			stack := debug.Stack()
			if p, ok := v.(forwardedPanic); ok {
				v, stack = p.value, p.stack
			}
			id := RequestID(r.Context())
			g.log.ErrorContext(r.Context(), "panic while serving a request", "request_id", id, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(stack))
			if tw.wrote {
				// Too late for a clean answer: cut the connection so that the client
				// sees a failure rather than a truncated body.
				panic(http.ErrAbortHandler)
			}
			writeHTTPError(w, http.StatusInternalServerError, "application/json; charset=utf-8",
				"internal error (request "+id+")", map[string]any{"code": string(errs.Internal), "requestId": id})
		}()
		if p.testPanic != nil {
			p.testPanic(r.Context(), panicInMiddleware)
		}
		next.ServeHTTP(tw, r)
	})
}

// trackingWriter notes whether anything was sent, so that a panic afterwards is not
// answered a second time.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *trackingWriter) WriteHeader(code int) {
	if code >= 200 {
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *trackingWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// limitBody refuses requests larger than the limit: a declared Content-Length or a
// GET query string over it at once (413, 414), and bodies that turn out longer when
// read (the transport answers 413 then). A refused body is drained before the
// connection closes (lingerClose), so that the client reads the 413.
func limitBody(p Protection, next http.Handler) http.Handler {
	limit := p.MaxBodyBytes
	if limit < 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if int64(len(r.URL.RawQuery)) > limit {
			writeHTTPError(w, http.StatusRequestURITooLong, negotiatedOrJSON(r),
				fmt.Sprintf("the query string is %d bytes, over the limit of %d", len(r.URL.RawQuery), limit), badInput())
			return
		}
		if r.ContentLength > limit {
			w.Header().Set("Connection", "close")
			writeHTTPError(w, http.StatusRequestEntityTooLarge, negotiatedOrJSON(r), bodyTooLargeMessage(limit), badInput())
			lingerClose(w, r, r.Body, 0)
			return
		}
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		body := &limitedBody{body: r.Body}
		body.limited = http.MaxBytesReader(w, r.Body, limit)
		r.Body = body
		next.ServeHTTP(w, r)
		if body.over {
			lingerClose(w, r, body.body, limit+1)
		}
	})
}

// limitedBody is a request body under http.MaxBytesReader that notes whether the
// limit was reached.
type limitedBody struct {
	body    io.ReadCloser // the request's own
	limited io.ReadCloser
	over    bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.limited.Read(p)
	if _, ok := err.(*http.MaxBytesError); ok {
		b.over = true
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.limited.Close() }

func bodyTooLargeMessage(limit int64) string {
	return fmt.Sprintf("the request body is larger than the limit of %d bytes", limit)
}

func badInput() map[string]any { return map[string]any{"code": string(errs.BadUserInput)} }

// withDeadline gives each request the deadline of RequestTimeout: LL2 calls waiting
// past it fail with UPSTREAM_TIMEOUT and the executor finishes the answer. Should the
// answer still not be ready defaultDeadlineGrace later (some wait that does not heed
// the context), the client gets a 504 with an UPSTREAM_TIMEOUT error instead of a
// hang; the late handler's output is dropped. Panics of the handler are carried back
// to this goroutine, for recoverPanics.
func (g *Gateway) withDeadline(p Protection, next http.Handler) http.Handler {
	timeout := p.RequestTimeout
	if timeout <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		r = r.WithContext(ctx)
		bw := &bufferedWriter{header: w.Header().Clone()}
		done := make(chan struct{})
		var panicked any
		go func() {
			defer close(done)
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panicked = v
						return
					}
					panicked = forwardedPanic{value: v, stack: debug.Stack()}
				}
			}()
			next.ServeHTTP(bw, r)
		}()
		timer := time.NewTimer(timeout + defaultDeadlineGrace)
		defer timer.Stop()
		select {
		case <-done:
			if panicked != nil {
				panic(panicked)
			}
			bw.flushTo(w)
		case <-timer.C:
			bw.abandon()
			id := RequestID(r.Context())
			g.log.WarnContext(r.Context(), "request deadline passed with no answer", "request_id", id, "timeout", timeout)
			writeHTTPError(w, http.StatusGatewayTimeout, negotiatedOrJSON(r),
				fmt.Sprintf("the request did not finish within its deadline of %s", timeout),
				map[string]any{"code": string(errs.UpstreamTimeout), "requestId": id})
		}
	})
}

// forwardedPanic carries a panic from the handler's goroutine with its stack.
type forwardedPanic struct {
	value any
	stack []byte
}

// bufferedWriter holds a response until it is complete; once abandoned (the deadline
// answered instead), writes are dropped.
type bufferedWriter struct {
	mu        sync.Mutex
	header    http.Header
	status    int
	body      bytes.Buffer
	abandoned bool
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(code int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.status == 0 && code >= 200 {
		b.status = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.status == 0 {
		b.status = http.StatusOK
	}
	if b.abandoned {
		return len(p), nil
	}
	return b.body.Write(p)
}

func (b *bufferedWriter) abandon() {
	b.mu.Lock()
	b.abandoned = true
	b.mu.Unlock()
}

func (b *bufferedWriter) flushTo(w http.ResponseWriter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := w.Header()
	for k, v := range b.header {
		h[k] = v
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}

// withCORS answers CORS preflights (cached by browsers for CORSMaxAge) and marks
// answers to the allowed origins; with no allowed origin it adds nothing.
func withCORS(p Protection, next http.Handler) http.Handler {
	if len(p.CORSOrigins) == 0 {
		return next
	}
	maxAge := int(p.CORSMaxAge / time.Second)
	if maxAge <= 0 {
		maxAge = -1
	}
	return cors.New(cors.Options{
		AllowedOrigins: p.CORSOrigins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{"*"},
		ExposedHeaders: []string{"X-Request-Id", "ETag", "Age", "X-Cache"},
		MaxAge:         maxAge,
	}).Handler(next)
}

// withGzip compresses answers for clients that accept gzip. Every ETag the gateway
// sets is weak (it names the content, not the bytes), so one tag stands for both
// encodings and need not change here.
func withGzip(p Protection, next http.Handler) http.Handler {
	if p.GzipOff {
		return next
	}
	wrap, err := gzhttp.NewWrapper(gzhttp.EnableZstd(false))
	if err != nil {
		// The options are constant; NewWrapper fails only on invalid ones.
		panic(err)
	}
	return wrap(next)
}
