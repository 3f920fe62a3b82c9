package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/formatter"

	"spacegraph/graph"
	"spacegraph/observe"
	"spacegraph/upstream"
)

// This file is the whole-response cache and HTTP caching of /graphql: an identical
// operation with identical variables is answered from the cache without running a
// resolver, and every answer says how long it may be reused (Cache-Control, derived
// from the shortest freshness of the LL2 data it holds) with an ETag, so that a CDN
// or the browser can reuse it too and revalidate GETs with 304 Not Modified.

// defaultResponseTTL is the freshness of answers that hold no LL2 data (introspection).
const defaultResponseTTL = 5 * time.Minute

// maxCachedRequest bounds the request body the cache reads to compute its key; the
// GraphQL transport applies its own limit after.
const maxCachedRequest = 1 << 20

// responseKey computes the cache key of a request, or ok false when the request is not
// one to cache (not a well-formed GET or JSON POST). It reads the request with the
// very parsers the GraphQL transport runs (readGET, readPOST) and keys on the media
// type the transport will answer in: were the key read differently from the request
// that runs, a body such as {"query": A, "Query": B} would run A and store its answer
// under B's key, for every client asking B. The POST body is restored for the handler.
func responseKey(r *http.Request, memo *keyMemo, fingerprint string) (key string, ok bool) {
	media, ok := negotiate(r.Header.Values("Accept"))
	if !ok {
		return "", false
	}
	var raw []byte
	switch r.Method {
	case http.MethodGet:
		raw = []byte(r.URL.RawQuery)
	case http.MethodPost:
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/json" || r.Body == nil {
			return "", false
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxCachedRequest+1))
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		if err != nil || len(body) > maxCachedRequest {
			return "", false
		}
		raw = body
	default:
		return "", false
	}
	// The same bytes always make the same key, so the key of bytes seen before is
	// remembered by their hash: parsing the request again was a tenth of a hit's CPU.
	id := memo.id(r.Method, media, raw)
	if key, ok := memo.get(id); ok {
		return key, true
	}
	var (
		p      *graphql.RawParams
		status int
	)
	if r.Method == http.MethodGet {
		p, status, _ = readGET(r)
	} else {
		p, status, _ = readPOST(&http.Request{Body: io.NopCloser(bytes.NewReader(raw))})
	}
	if status != 0 {
		return "", false
	}
	// Maps encode with sorted keys, so equal variables written in another key order
	// share a key.
	vars, err := json.Marshal(p.Variables)
	if err != nil {
		return "", false
	}
	ext, err := json.Marshal(p.Extensions)
	if err != nil {
		return "", false
	}
	h := sha256.New()
	for _, part := range []string{fingerprint, p.Query, p.OperationName, string(vars), string(ext), media} {
		h.Write([]byte(strconv.Itoa(len(part))))
		h.Write([]byte{':'})
		h.Write([]byte(part))
	}
	key = hex.EncodeToString(h.Sum(nil))
	memo.add(id, key)
	return key, true
}

// responseFingerprint names everything besides the request that decides its answer:
// the schema and the settings that refuse or limit requests. It is a part of every
// response key because replicas share the response cache through Redis, and a replica
// with trusted documents, introspection off, tighter limits or another schema (during
// a rolling deploy) must not serve what a differently configured one stored.
func (g *Gateway) responseFingerprint() string {
	h := sha256.New()
	var sdl strings.Builder
	formatter.NewFormatter(&sdl).FormatSchema(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema())
	h.Write([]byte(sdl.String()))
	p := g.cfg.Protection.withDefaults()
	fmt.Fprintf(h, "\x00%d %d %d %d %d %d %d %t\x00", p.MaxDepth, p.MaxComplexity, p.MaxAliases, p.MaxRootFields, p.MaxTokens,
		p.MaxDocumentBytes, p.MaxResponseBytes, p.IntrospectionOff)
	if t := p.TrustedDocuments; t != nil {
		ids := make([]string, 0, len(t.byID))
		for id := range t.byID {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			fmt.Fprintf(h, "%d:%s%d:%s", len(id), id, len(t.byID[id]), t.byID[id])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// keyMemo remembers the cache keys of recent requests by the hash of their bytes
// (method, negotiated media type, query string or body). A nil keyMemo remembers
// nothing.
type keyMemo struct {
	keys *lru.Cache[[sha256.Size]byte, string]
}

// keyMemoSize is how many request keys are remembered: the distinct requests of a
// busy frontend, at about 100 bytes each.
const keyMemoSize = 10_000

func newKeyMemo() *keyMemo {
	c, err := lru.New[[sha256.Size]byte, string](keyMemoSize)
	if err != nil {
		// Only a size under one fails.
		panic(err)
	}
	return &keyMemo{keys: c}
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
	return m.keys.Get(id)
}

func (m *keyMemo) add(id [sha256.Size]byte, key string) {
	if m != nil {
		m.keys.Add(id, key)
	}
}

// recorder captures a response so that it can be cached and given headers.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
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
// cache hit (the ETag is kept with the cached answer): hashing a 70 KB answer on every
// hit was a third of a hit's CPU.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	// Weak, because the same answer goes out gzipped or not: a weak tag names the
	// content whatever the encoding, and a 304 (which has no encoding) can then carry
	// the very tag the 200 carried.
	return `W/"` + hex.EncodeToString(sum[:12]) + `"`
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

// responseCache wraps the GraphQL handler: it gives each request its upstream report,
// answers repeated requests from the cache, and sets Cache-Control and ETag.
func (g *Gateway) responseCache(next http.Handler) http.Handler {
	memo, fingerprint := newKeyMemo(), g.responseFingerprint()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, rep := upstream.WithReport(r.Context())
		r = r.WithContext(ctx)
		key, cacheable := "", false
		if g.Responses != nil {
			key, cacheable = responseKey(r, memo, fingerprint)
		}
		now := g.now()
		if cacheable {
			e, ok, err := g.Responses.Get(ctx, key)
			if err == nil && ok && e.Fresh(now) {
				g.cfg.Metrics.ResponseCache(ctx, observe.OutcomeHit)
				ct, etag, body := decodeCached(e.Body)
				g.write(w, r, ct, etag, body, e.Remaining(now), e.Age(now), true)
				return
			}
			outcome := observe.OutcomeMiss
			if err != nil {
				outcome = observe.OutcomeError
			}
			g.cfg.Metrics.ResponseCache(ctx, outcome)
		}
		rec := &recorder{header: w.Header()}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		body := rec.body.Bytes()
		sum := rep.Summary()
		ttl := defaultResponseTTL
		if sum.FreshKnown {
			ttl = sum.MinFresh
		}
		ok := rec.status == http.StatusOK && sum.Stale == 0 && ttl > 0 && !bytes.Contains(body, []byte(`"errors":`))
		if !ok {
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(rec.status)
			_, _ = w.Write(body)
			return
		}
		ct, etag := rec.header.Get("Content-Type"), etagOf(body)
		if cacheable {
			e := upstream.Entry{Status: http.StatusOK, Body: encodeCached(ct, etag, body), Fetched: now, TTL: ttl}
			if err := g.Responses.Set(ctx, key, e, ttl); err != nil {
				g.log.WarnContext(ctx, "response cache write failed", "err", err)
			}
		}
		g.write(w, r, ct, etag, body, ttl, 0, false)
	})
}

// write sends a cacheable answer: Cache-Control with its remaining freshness, an ETag,
// and 304 when a GET's If-None-Match already has it.
func (g *Gateway) write(w http.ResponseWriter, r *http.Request, contentType, etag string, body []byte, fresh, age time.Duration, hit bool) {
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
