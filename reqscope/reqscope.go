// Package reqscope is the record of one HTTP request that every layer of the gateway
// reads: the request's id, the report of its LL2 calls, and what the layers found
// that its log line tells (the route, the GraphQL operation and its outcome, the
// response cache's outcome, the trace). Middleware, the outermost layer, creates it
// once; each layer then writes only its own fields, through the record's methods, and
// the log middleware reads them once the request is served. Nothing flows back out
// through the context, and no layer makes a record of its own.
package reqscope

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"

	"spacegraph/economy"
)

// Record is one request's scope. Its methods accept a nil receiver (no record: a
// handler run outside Middleware, as some tests do) and then record nothing.
type Record struct {
	id     string
	report *economy.Report

	mu            sync.Mutex
	route         string
	operation     string
	outcome       string
	code          string
	responseCache string
	traceID       string
	// answered is set once the GraphQL transport has written an operation's
	// answer, with whether it held errors.
	answered, answerErrors bool
}

type recordKey struct{}

// New returns ctx with a new record for the request of the given id, and the record.
// The record's report is also the economy's report of ctx (economy.ReportFrom), so
// that the calls the economy counts are the ones the record tells.
func New(ctx context.Context, id string) (context.Context, *Record) {
	ctx, rep := economy.WithReport(ctx)
	r := &Record{id: id, report: rep}
	return context.WithValue(ctx, recordKey{}, r), r
}

// From returns the record of ctx's request, or nil.
func From(ctx context.Context) *Record {
	r, _ := ctx.Value(recordKey{}).(*Record)
	return r
}

// Middleware gives each request its record, with an id: the caller's X-Request-Id
// when it is sane, else a random one. The id is echoed in the response's X-Request-Id,
// and found in every log line and every INTERNAL error of the request.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if len(id) == 0 || len(id) > 64 || strings.ContainsFunc(id, func(c rune) bool { return c < '!' || c > '~' }) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		ctx, _ := New(r.Context(), id)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// ID returns the request's id ("" without a record).
func (r *Record) ID() string {
	if r == nil {
		return ""
	}
	return r.id
}

// Report returns the report of the request's LL2 calls and cache hits (nil without a
// record; a nil report accepts every call).
func (r *Record) Report() *economy.Report {
	if r == nil {
		return nil
	}
	return r.report
}

// Route names the route next serves in the record of each request it takes, for the
// log line and the metrics of the requests: the name is the route's, a fixed string
// such as "/graphql", never the request's path, so that the metrics' labels stay
// few.
func Route(name string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		From(r.Context()).SetRoute(name)
		next.ServeHTTP(w, r)
	})
}

// SetRoute names the route that served the request; Route calls it.
func (r *Record) SetRoute(route string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.route = route
	r.mu.Unlock()
}

// Route returns the route that served the request ("" when none did).
func (r *Record) Route() string {
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.route
}

// SetOperation records the GraphQL operation's name, its outcome and its error code
// ("" for none); the GraphQL layer calls it.
func (r *Record) SetOperation(name, outcome, code string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.operation, r.outcome, r.code = name, outcome, code
	r.mu.Unlock()
}

// Operation returns what SetOperation recorded (empty outside GraphQL, and before the
// operation is known).
func (r *Record) Operation() (name, outcome, code string) {
	if r == nil {
		return "", "", ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.operation, r.outcome, r.code
}

// SetResponseCache records the whole-response cache's outcome; the response cache
// calls it. It is how the log line tells an answer from that cache (no resolver ran,
// the report is empty) from one that needed no LL2 data.
func (r *Record) SetResponseCache(outcome string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.responseCache = outcome
	r.mu.Unlock()
}

// ResponseCache returns the whole-response cache's outcome ("" when it did not look).
func (r *Record) ResponseCache() string {
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.responseCache
}

// SetAnswer records that the GraphQL transport wrote an operation's answer, and
// whether that answer held errors; the transport calls it. The response cache reads
// it to keep only clean answers, where it searched each answer's bytes for an errors
// key (3% of the CPU of a 100-object page).
func (r *Record) SetAnswer(withErrors bool) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.answered, r.answerErrors = true, withErrors
	r.mu.Unlock()
}

// Answer returns what SetAnswer recorded; known is false when no answer was recorded
// (no record, or a response that no operation wrote).
func (r *Record) Answer() (withErrors, known bool) {
	if r == nil {
		return false, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.answerErrors, r.answered
}

// SetTraceID records the id of the request's trace, when it is traced; the first one
// set stays.
func (r *Record) SetTraceID(id string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	if r.traceID == "" {
		r.traceID = id
	}
	r.mu.Unlock()
}

// TraceID returns the id of the request's trace ("" when it is not traced).
func (r *Record) TraceID() string {
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.traceID
}
