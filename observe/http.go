package observe

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"spacegraph/economy"
)

// RequestInfo is what the layers of one HTTP request learn for its log line: the
// route (Middleware), the GraphQL operation and its outcome (GraphQLExtension), the
// whole-response cache's outcome (Metrics.ResponseCache) and the upstream report. The
// log middleware creates it before anything else runs and reads it after everything
// has, so that layers deep inside the request can tell it what they found without the
// context flowing back out. Its methods accept a nil receiver (no log middleware).
type RequestInfo struct {
	mu            sync.Mutex
	route         string
	operation     string
	outcome       string
	code          string
	responseCache string
	traceID       string
	report        *economy.Report
}

type infoKey struct{}

// WithRequestInfo returns ctx with a new RequestInfo, or ctx unchanged with the one it
// already has, so that stacked middlewares share one.
func WithRequestInfo(ctx context.Context) (context.Context, *RequestInfo) {
	if i := InfoFrom(ctx); i != nil {
		return ctx, i
	}
	i := &RequestInfo{}
	return context.WithValue(ctx, infoKey{}, i), i
}

// InfoFrom returns the request's RequestInfo, or nil.
func InfoFrom(ctx context.Context) *RequestInfo {
	i, _ := ctx.Value(infoKey{}).(*RequestInfo)
	return i
}

// SetRoute names the route that served the request.
func (i *RequestInfo) SetRoute(route string) {
	if i == nil {
		return
	}
	i.mu.Lock()
	i.route = route
	i.mu.Unlock()
}

// SetReport attaches the request's upstream report. The GraphQL extension attaches
// the one it finds in the operation's context; a layer that creates the report
// outside GraphQL may attach it itself.
func (i *RequestInfo) SetReport(r *economy.Report) {
	if i == nil || r == nil {
		return
	}
	i.mu.Lock()
	i.report = r
	i.mu.Unlock()
}

// SetResponseCache records the whole-response cache's outcome (OutcomeHit or
// OutcomeMiss).
func (i *RequestInfo) SetResponseCache(outcome string) {
	if i == nil {
		return
	}
	i.mu.Lock()
	i.responseCache = outcome
	i.mu.Unlock()
}

// Route returns the route that served the request ("" when none did).
func (i *RequestInfo) Route() string {
	if i == nil {
		return ""
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.route
}

// Operation returns the GraphQL operation's name ("" before it is known or outside
// GraphQL), for other log lines of the request.
func (i *RequestInfo) Operation() string {
	if i == nil {
		return ""
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.operation
}

func (i *RequestInfo) setOperation(name, outcome, code string) {
	if i == nil {
		return
	}
	i.mu.Lock()
	i.operation, i.outcome, i.code = name, outcome, code
	i.mu.Unlock()
}

func (i *RequestInfo) setTraceID(id string) {
	if i == nil {
		return
	}
	i.mu.Lock()
	if i.traceID == "" {
		i.traceID = id
	}
	i.mu.Unlock()
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	// 1xx answers are interim; the final status comes after them.
	if w.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Flush passes flushes on, so that wrapping a handler keeps its streaming.
func (w *statusWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the writer's other abilities.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Middleware measures the requests of one route: their count by method and status,
// their duration, and the requests in flight. route is the label, a fixed name such
// as "/graphql" (names that are not short plain ASCII, and names past a few dozen,
// are "other"). It also names the route in the request's RequestInfo for the log line.
// A handler that panics is counted as a 500 before the panic goes on to the recovery
// middleware above.
func (m *Metrics) Middleware(route string, next http.Handler) http.Handler {
	if m == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			InfoFrom(r.Context()).SetRoute(route)
			next.ServeHTTP(w, r)
		})
	}
	label := Other
	if plainLabel(route) {
		label = m.routes.get(route, true)
	}
	duration := m.httpDuration.WithLabelValues(label)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		InfoFrom(r.Context()).SetRoute(route)
		m.httpInFlight.Inc()
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		panicked := true
		defer func() {
			m.httpInFlight.Dec()
			status := sw.code()
			if panicked {
				status = http.StatusInternalServerError
			}
			m.httpRequests.WithLabelValues(label, methodLabel(r.Method), statusLabel(status)).Inc()
			duration.Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
		panicked = false
	})
}

// LogOptions tune LogRequests.
type LogOptions struct {
	// RequestID returns the request's id (the gateway's RequestID); nil logs none.
	RequestID func(context.Context) string
	// Skip, when set, leaves out the requests it returns true for, such as the
	// scrapes of /metrics and the probes of /healthz that would drown the rest.
	Skip func(*http.Request) bool
	// Metrics, when set, counts the requests that no route's Middleware measured
	// (paths the mux does not know, methods it refuses) under the route "unmatched":
	// a catch-all route would count them too, but would turn the mux's 405s into
	// 404s.
	Metrics *Metrics
}

// Unmatched is the route label of requests that reached no route.
const Unmatched = "unmatched"

// LogRequests writes one line per request to log once the request is served: request
// id, method, route, path, status, duration, bytes, and for GraphQL the operation's
// name, outcome and error code, the LL2 calls it spent, its cache hits and stale
// answers, and a one-word cache summary ("response-hit", "stale", "miss", "hit" or
// "none"); trace_id too when the request was traced. Server errors (5xx) are logged at
// error level, the rest at info. Whether the line is JSON or text is the handler's
// choice.
//
// It must run inside the middleware that sets the request id and outside the routes,
// so that it sees every request, and it creates the request's RequestInfo, which the
// layers inside fill.
func LogRequests(log *slog.Logger, o LogOptions, next http.Handler) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.Skip != nil && o.Skip(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, info := WithRequestInfo(r.Context())
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		panicked := true
		defer func() {
			status := sw.code()
			if panicked {
				status = http.StatusInternalServerError
			}
			d := time.Since(start)
			if m := o.Metrics; m != nil && info.Route() == "" {
				m.httpRequests.WithLabelValues(Unmatched, methodLabel(r.Method), statusLabel(status)).Inc()
				m.httpDuration.WithLabelValues(Unmatched).Observe(d.Seconds())
			}
			logRequest(ctx, log, o, r, info, status, sw.bytes, d)
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
		panicked = false
	})
}

func logRequest(ctx context.Context, log *slog.Logger, o LogOptions, r *http.Request, info *RequestInfo, status int, size int64, d time.Duration) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	if !log.Enabled(ctx, level) {
		return
	}
	id := ""
	if o.RequestID != nil {
		id = o.RequestID(ctx)
	}
	info.mu.Lock()
	route, op, outcome, code, respCache, traceID, rep := info.route, info.operation, info.outcome, info.code, info.responseCache, info.traceID, info.report
	info.mu.Unlock()
	if rep == nil {
		// A layer outside the log middleware may have created the report.
		rep = economy.ReportFrom(ctx)
	}
	sum := rep.Summary()
	attrs := []slog.Attr{
		slog.String("request_id", id),
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.Int64("bytes", size),
		slog.String("operation", op),
		slog.String("outcome", outcome),
		slog.String("code", code),
		slog.Int("upstream_calls", sum.Calls),
		slog.Int("cache_hits", sum.Hits),
		slog.Int("stale", sum.Stale),
		slog.String("cache", cacheWord(respCache, sum)),
	}
	if traceID != "" {
		attrs = append(attrs, slog.String("trace_id", traceID))
	}
	log.LogAttrs(ctx, level, "request", attrs...)
}

// cacheWord sums up where a request's data came from, in the order an operator cares:
// a whole response from the cache, then stale data served, then calls spent.
func cacheWord(responseCache string, s economy.Summary) string {
	switch {
	case responseCache == OutcomeHit:
		return "response-hit"
	case s.Stale > 0:
		return OutcomeStale
	case s.Calls > 0:
		return OutcomeMiss
	case s.Hits > 0:
		return OutcomeHit
	}
	return "none"
}
