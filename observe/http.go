package observe

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"spacegraph/economy"
	"spacegraph/reqscope"
)

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
// are "other"). It also names the route in the request's record for the log line.
// A handler that panics is counted as a 500 before the panic goes on to the recovery
// middleware above.
func (m *Metrics) Middleware(route string, next http.Handler) http.Handler {
	if m == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reqscope.From(r.Context()).SetRoute(route)
			next.ServeHTTP(w, r)
		})
	}
	label := Other
	if plainLabel(route) {
		label = m.routes.get(route, true)
	}
	duration := m.httpDuration.WithLabelValues(label)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqscope.From(r.Context()).SetRoute(route)
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
// It must run inside reqscope.Middleware, whose record it reads (it writes none of
// it), and outside the routes, so that it sees every request.
func LogRequests(log *slog.Logger, o LogOptions, next http.Handler) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.Skip != nil && o.Skip(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		rec := reqscope.From(ctx)
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		panicked := true
		defer func() {
			status := sw.code()
			if panicked {
				status = http.StatusInternalServerError
			}
			d := time.Since(start)
			if m := o.Metrics; m != nil && rec != nil && rec.Route() == "" {
				m.httpRequests.WithLabelValues(Unmatched, methodLabel(r.Method), statusLabel(status)).Inc()
				m.httpDuration.WithLabelValues(Unmatched).Observe(d.Seconds())
			}
			logRequest(ctx, log, r, rec, status, sw.bytes, d)
		}()
		next.ServeHTTP(sw, r)
		panicked = false
	})
}

func logRequest(ctx context.Context, log *slog.Logger, r *http.Request, rec *reqscope.Record, status int, size int64, d time.Duration) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	if !log.Enabled(ctx, level) {
		return
	}
	op, outcome, code := rec.Operation()
	sum := rec.Report().Summary()
	attrs := []slog.Attr{
		slog.String("request_id", rec.ID()),
		slog.String("method", r.Method),
		slog.String("route", rec.Route()),
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
		slog.String("cache", cacheWord(rec.ResponseCache(), sum)),
	}
	if traceID := rec.TraceID(); traceID != "" {
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
