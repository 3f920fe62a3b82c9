// Package respcache is the whole-response cache of /graphql and its HTTP caching: an
// identical operation with identical variables is answered from the cache without
// running a resolver, and every answer says how long it may be reused (Cache-Control,
// derived from the shortest freshness of the LL2 data it holds) with an ETag, so that a
// CDN or the browser can reuse it too and revalidate GETs with 304 Not Modified.
package respcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/cespare/xxhash/v2"
	"github.com/maypok86/otter/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"

	"spacegraph/economy"
	"spacegraph/graphqlhttp"
	"spacegraph/internal/bufpool"
	"spacegraph/observe"
	"spacegraph/reqscope"
)

// defaultResponseTTL is the freshness of answers that hold no LL2 data (introspection).
const defaultResponseTTL = 5 * time.Minute

// maxCachedRequest bounds the request body the cache reads to compute its key; the
// GraphQL transport applies its own limit after.
const maxCachedRequest = 1 << 20

// responseKeys computes the cache keys of requests: fingerprint is Options.Fingerprint,
// normalize whether documents are keyed by their significant
// tokens (normalDocument) rather than their text.
type responseKeys struct {
	memo        *keyMemo
	fingerprint string
	normalize   bool
}

// key computes the cache key of a request, or ok false when the request is not one to
// cache (not a well-formed GET or JSON POST). It reads the request with the very
// parsers the GraphQL transport runs (graphqlhttp.ReadParams) and keys on the media type
// the transport will answer in: were the key read differently from the request that
// runs, a body such as {"query": A, "Query": B} would run A and store its answer under
// B's key, for every client asking B. The POST body is restored for the handler.
func (k responseKeys) key(r *http.Request) (key string, p *graphql.RawParams, ok bool) {
	memo := k.memo
	media, ok := graphqlhttp.Negotiate(r.Header.Values("Accept"))
	if !ok {
		return "", nil, false
	}
	var raw []byte
	switch r.Method {
	case http.MethodGet:
		raw = []byte(r.URL.RawQuery)
	case http.MethodPost:
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/json" || r.Body == nil {
			return "", nil, false
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxCachedRequest+1))
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		if err != nil || len(body) > maxCachedRequest {
			return "", nil, false
		}
		raw = body
	default:
		return "", nil, false
	}
	// The same bytes always make the same key, so the key of bytes seen before is
	// remembered by their hash: a hit hashes the request instead of parsing it.
	id := memo.id(r.Method, media, raw)
	if key, ok := memo.get(id); ok {
		return key, nil, true
	}
	var status int
	if r.Method == http.MethodGet {
		p, status, _ = graphqlhttp.ReadParams(r)
	} else {
		p, status, _ = graphqlhttp.ReadParams(&http.Request{Method: http.MethodPost, Body: io.NopCloser(bytes.NewReader(raw))})
	}
	if status != 0 {
		return "", nil, false
	}
	// Maps encode with sorted keys, so equal variables written in another key order
	// share a key.
	vars, err := json.Marshal(p.Variables)
	if err != nil {
		return "", nil, false
	}
	ext, err := json.Marshal(p.Extensions)
	if err != nil {
		return "", nil, false
	}
	// The document as a part of the key: its significant tokens, so that whitespace,
	// commas and comments do not make a new key for the same answer. Not for a
	// persisted query (the hash names the text) nor in trusted-documents mode (only
	// the manifest's very texts run): there another text of the same tokens is
	// refused, and may not be answered from the cache.
	//
	// The parts are hashed as one buffer, each after its length: the normalized
	// document is written into it token by token, not built as a string of its own
	// (a hundred ids in a document were a hundred strings).
	lent := bufpool.Bytes()
	defer bufpool.PutBytes(lent)
	b := *lent
	b = appendPart(b, k.fingerprint)
	_, persisted := p.Extensions["persistedQuery"]
	var normal bool
	if k.normalize && !persisted {
		scratch := bufpool.Bytes()
		norm, ok := appendNormal(append((*scratch)[:0], "tokens:"...), p.Query)
		if normal = ok; ok {
			b = appendPart(b, norm)
		}
		*scratch = norm
		bufpool.PutBytes(scratch)
	}
	if !normal {
		b = strconv.AppendInt(b, int64(len("text:")+len(p.Query)), 10)
		b = append(append(append(b, ':'), "text:"...), p.Query...)
	}
	for _, part := range []string{p.OperationName, string(vars), string(ext), media} {
		b = appendPart(b, part)
	}
	*lent = b
	sum := sha256.Sum256(b)
	key = hex.EncodeToString(sum[:])
	memo.add(id, key)
	return key, p, true
}

// normalDocument returns the significant tokens of a GraphQL document, one space
// apart, strings quoted, or ok false when the text does not lex. The GraphQL grammar
// ignores whitespace, commas, comments and a byte order mark, and a string means its
// value however it is written (escapes, block strings), so two documents with the
// same tokens are the same document: they parse to the same AST, validate alike, and
// meet the limits (depth, cost, tokens: the parser counts no comments) alike. It keeps
// everything that shapes an answer: field order (the answer's key order), aliases,
// argument values as written (1.0 and 1.00 stay apart), operation names. It does not
// use gqlparser's formatter, which prints an AST but drops what it does not know
// (directives of variable definitions), so that two different documents could print
// alike and share an answer.
func normalDocument(text string) (string, bool) {
	b, ok := appendNormal(nil, text)
	return string(b), ok
}

// appendNormal appends normalDocument's text of text to dst.
func appendNormal(dst []byte, text string) ([]byte, bool) {
	lx := lexer.New(&ast.Source{Input: text})
	start := len(dst)
	for {
		tok, err := lx.ReadToken()
		if err != nil {
			return dst, false
		}
		switch tok.Kind {
		case lexer.EOF:
			return dst, true
		case lexer.Comment:
			continue
		}
		if len(dst) > start {
			dst = append(dst, ' ')
		}
		switch tok.Kind {
		case lexer.String, lexer.BlockString:
			dst = appendQuote(dst, tok.Value)
		case lexer.Name, lexer.Int, lexer.Float:
			dst = append(dst, tok.Value...)
		default:
			dst = append(dst, tok.Kind.String()...)
		}
	}
}

// appendQuote is strconv.AppendQuote, byte for byte, with a shortcut for the strings
// of most documents (ids, names, search text): printable ASCII without a quote or a
// backslash is written as it is, between quotes, where AppendQuote decodes and checks
// every rune. A hundred ids in a document were half the cost of its key.
func appendQuote(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return strconv.AppendQuote(dst, s)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendPart appends a part of a response key's hashed text: its length, a colon
// and the part.
func appendPart[S string | []byte](b []byte, part S) []byte {
	b = strconv.AppendInt(b, int64(len(part)), 10)
	return append(append(b, ':'), part...)
}

// DefaultMaxBytes bounds one answer the response cache stores: several times the
// reference query's answer (a hundred spacecraft with their configurations and
// agencies), and a store of a quarter of the default cache size holds a hundred
// answers of this bound. Larger answers are served, not stored.
const DefaultMaxBytes = 512 << 10

// doorkeeperSize is how many keys asked for once a doorkeeper remembers, per
// generation: a few megabytes at most.
const doorkeeperSize = 32 << 10

// doorkeeper says whether a key has been asked for before, remembering the keys of
// the last one to two generations of doorkeeperSize keys: a key asked for again
// within that many distinct requests is admitted. A one-off key costs a map entry
// for a while, never an answer in the shared store. A nil doorkeeper admits every key.
type doorkeeper struct {
	mu        sync.Mutex
	cur, prev map[uint64]struct{}
	size      int
}

func newDoorkeeper(size int) *doorkeeper {
	return &doorkeeper{cur: make(map[uint64]struct{}, size), size: size}
}

// again records key and reports whether it was seen before.
func (d *doorkeeper) again(key string) bool {
	if d == nil {
		return true
	}
	// Keys are hex SHA-256: their first 16 digits are as good a hash as any.
	h, err := strconv.ParseUint(key[:16], 16, 64)
	if err != nil {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.cur[h]; ok {
		return true
	}
	if _, ok := d.prev[h]; ok {
		d.cur[h] = struct{}{}
		return true
	}
	if len(d.cur) >= d.size {
		d.prev, d.cur = d.cur, make(map[uint64]struct{}, d.size)
	}
	d.cur[h] = struct{}{}
	return false
}

// keyMemo remembers the cache keys of recent requests by the hash of their bytes
// (method, negotiated media type, query string or body). A nil keyMemo remembers
// nothing.
type keyMemo struct {
	keys *otter.Cache[[sha256.Size]byte, string]
}

// keyMemoSize is how many request keys are remembered: the distinct requests of a
// busy frontend, at about 100 bytes each.
const keyMemoSize = 10_000

func newKeyMemo() *keyMemo {
	return &keyMemo{keys: otter.Must(&otter.Options[[sha256.Size]byte, string]{MaximumSize: keyMemoSize})}
}

func (m *keyMemo) id(method, media string, raw []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write([]byte(media))
	h.Write([]byte{0})
	h.Write(raw)
	var id [sha256.Size]byte
	h.Sum(id[:0])
	return id
}

func (m *keyMemo) get(id [sha256.Size]byte) (string, bool) {
	if m == nil {
		return "", false
	}
	return m.keys.GetIfPresent(id)
}

func (m *keyMemo) add(id [sha256.Size]byte, key string) {
	if m != nil {
		m.keys.Set(id, key)
	}
}

// recorder captures a response so that it can be cached and given headers.
type recorder struct {
	header http.Header
	status int
	body   *bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

// etagOf names an answer by its content. It runs once per answer computed, never on a
// cache hit (the ETag is kept with the cached answer): a hit must not hash the whole
// answer it serves. A tag is no secret and guards against no one (a client that forged
// a collision would only fool itself), so a fast non-cryptographic hash (xxHash64,
// with the length) serves: SHA-256 of an 80 KB answer was 6% of an uncached query's CPU.
func etagOf(body []byte) string {
	// Weak, because the same answer goes out gzipped or not: a weak tag names the
	// content whatever the encoding, and a 304 (which has no encoding) can then carry
	// the very tag the 200 carried.
	b := make([]byte, 0, 40)
	b = append(b, `W/"`...)
	b = strconv.AppendUint(b, xxhash.Sum64(body), 16)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(len(body)), 16)
	return string(append(b, '"'))
}

// encodeCached stores the content type and the ETag with the body, since the same
// query can be answered as application/json or application/graphql-response+json,
// and so that a hit need not hash the body again. Neither can hold a newline.
func encodeCached(contentType, etag string, body []byte) []byte {
	b := make([]byte, 0, len(contentType)+len(etag)+2+len(body))
	b = append(b, contentType...)
	b = append(b, '\n')
	b = append(b, etag...)
	b = append(b, '\n')
	return append(b, body...)
}

// decodeCached splits what encodeCached joined. Entries written by an older gateway
// sharing the Redis cache (content type only) still decode, their ETag computed.
func decodeCached(b []byte) (contentType, etag string, body []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return "application/json", etagOf(b), b
	}
	contentType, rest := string(b[:i]), b[i+1:]
	// An answer is a JSON object, so a line that opens like an entity tag is one.
	if j := bytes.IndexByte(rest, '\n'); j > 0 && (rest[0] == '"' || bytes.HasPrefix(rest, []byte(`W/"`))) {
		return contentType, string(rest[:j]), rest[j+1:]
	}
	return contentType, etagOf(rest), rest
}

// notModified reports whether a GET's If-None-Match names etag.
func notModified(r *http.Request, etag string) bool {
	if r.Method != http.MethodGet {
		return false
	}
	// If-None-Match compares weakly (RFC 9110, 13.1.2): W/ prefixes do not count.
	opaque := strings.TrimPrefix(etag, "W/")
	for _, header := range r.Header.Values("If-None-Match") {
		for t := range strings.SplitSeq(header, ",") {
			if t = strings.TrimSpace(t); strings.TrimPrefix(t, "W/") == opaque || t == "*" {
				return true
			}
		}
	}
	return false
}

// Options configure the response cache.
type Options struct {
	// Store keeps the answers (nil: none are kept; answers still get Cache-Control and
	// an ETag).
	Store economy.Store
	// Shared says that Store is shared by replicas (Redis): an answer is then stored
	// only when it is asked for again. Clients looping over one-off documents would
	// otherwise fill it, evicting the LL2 answers every replica needs. The in-process
	// store needs no such guard: its W-TinyLFU eviction already keeps what is read
	// often over a burst of one-offs.
	Shared bool
	// Fingerprint names everything besides the request that decides its answer (the
	// schema, the limits); it is a part of every key, so that replicas configured
	// apart never serve each other's answers.
	Fingerprint string
	// Normalize keys documents by their significant tokens (normalDocument) rather
	// than their text. It must be off in trusted-documents mode, where only the
	// manifest's very texts run and another text of the same tokens is refused.
	Normalize bool
	// MaxBytes bounds one answer the cache stores (0: DefaultMaxBytes; negative: no
	// bound); larger answers are served but not stored.
	MaxBytes int64
	// Now is the clock of the entries (nil: time.Now).
	Now func() time.Time
	// Logger receives the failures to store an answer (nil: discarded).
	Logger *slog.Logger
	// Metrics counts the cache's outcomes (nil: none).
	Metrics *observe.Metrics
}

// New wraps the GraphQL handler: it answers repeated requests from the cache, and sets
// Cache-Control and ETag from the freshness of the data the request's report (in its
// reqscope record) says the answer holds.
func New(o Options, next http.Handler) http.Handler {
	keys := responseKeys{memo: newKeyMemo(), fingerprint: o.Fingerprint, normalize: o.Normalize}
	maxBytes := o.MaxBytes
	if maxBytes == 0 {
		maxBytes = DefaultMaxBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var admit *doorkeeper
	if o.Shared {
		admit = newDoorkeeper(doorkeeperSize)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		scope := reqscope.From(ctx)
		key, cacheable := "", false
		if o.Store != nil {
			var p *graphql.RawParams
			if key, p, cacheable = keys.key(r); p != nil {
				r = graphqlhttp.WithParams(r, p)
			}
		}
		now := o.Now()
		if cacheable {
			e, ok, err := o.Store.Get(ctx, key)
			if err == nil && ok && e.Fresh(now) {
				o.Metrics.CacheOutcome(observe.LayerResponse, observe.OutcomeHit)
				scope.SetResponseCache(observe.OutcomeHit)
				ct, etag, body := decodeCached(e.Body)
				write(w, r, ct, etag, body, e.Remaining(now), e.Age(now), true)
				return
			}
			outcome := observe.OutcomeMiss
			if err != nil {
				outcome = observe.OutcomeError
			}
			o.Metrics.CacheOutcome(observe.LayerResponse, outcome)
			scope.SetResponseCache(outcome)
		}
		rec := &recorder{header: w.Header(), body: bufpool.Get()}
		// Every path below writes the body out (Write keeps nothing) or copies it
		// into the cache entry before returning.
		defer bufpool.Put(rec.body)
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		body := rec.body.Bytes()
		sum := scope.Report().Summary()
		ttl := defaultResponseTTL
		if sum.FreshKnown {
			ttl = sum.MinFresh
		}
		withErrors, known := scope.Answer()
		if !known {
			withErrors = bytes.Contains(body, []byte(`"errors":`))
		}
		ok := rec.status == http.StatusOK && sum.Stale == 0 && ttl > 0 && !withErrors
		if !ok {
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(rec.status)
			_, _ = w.Write(body)
			return
		}
		ct, etag := rec.header.Get("Content-Type"), etagOf(body)
		if cacheable && (maxBytes < 0 || int64(len(body)) <= maxBytes) && admit.again(key) {
			e := economy.Entry{Status: http.StatusOK, Body: encodeCached(ct, etag, body), Fetched: now, TTL: ttl}
			if err := o.Store.Set(ctx, key, e, ttl); err != nil {
				o.Logger.WarnContext(ctx, "response cache write failed", "err", err)
			}
		}
		write(w, r, ct, etag, body, ttl, 0, false)
	})
}

// write sends a cacheable answer: Cache-Control with its remaining freshness, an ETag,
// and 304 when a GET's If-None-Match already has it.
func write(w http.ResponseWriter, r *http.Request, contentType, etag string, body []byte, fresh, age time.Duration, hit bool) {
	h := w.Header()
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(fresh/time.Second)))
	h.Set("ETag", etag)
	addVary(h, "Accept")
	if hit {
		h.Set("Age", strconv.Itoa(int(age/time.Second)))
		h.Set("X-Cache", "HIT")
	}
	if notModified(r, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// addVary adds a field to Vary unless it is there: CORS (Origin) and gzip
// (Accept-Encoding) put their own before the answer is written, and a CDN that lost
// them would serve one origin's or one encoding's answer to another.
func addVary(h http.Header, field string) {
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f == "*" || strings.EqualFold(f, field) {
				return
			}
		}
	}
	h.Add("Vary", field)
}
