package observe

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

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

// Instrument measures every request that next serves, with promhttp's instrumentation:
// spacegraph_http_requests_total by route, method and code,
// spacegraph_http_request_duration_seconds by route, and
// spacegraph_http_requests_in_flight. method and code are promhttp's labels
// (lower-case methods, "unknown" for a method it does not know). The route is the
// one the request's record names once it is served (see reqscope.Route):
// "unmatched" when no route took the request (a path the mux does not know, a
// method it refuses), "other" for a name that is not short plain ASCII or comes past
// a few dozen. A handler that panics is counted as a 500 on its way to the recovery
// middleware above, since promhttp counts nothing for a handler that does not
// return.
//
// It must run inside reqscope.Middleware, whose record it reads.
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	route := promhttp.WithLabelFromCtx("route", m.routeLabel)
	served := promhttp.InstrumentHandlerInFlight(m.httpInFlight,
		promhttp.InstrumentHandlerDuration(m.httpDuration,
			promhttp.InstrumentHandlerCounter(m.httpRequests, next, route), route))
	// A panic is counted by promhttp too, through a handler that answers 500 to no
	// one, so that its method and code are labelled as every other request's.
	panicked := promhttp.InstrumentHandlerCounter(m.httpRequests, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}), route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		returned := false
		defer func() {
			if returned {
				return
			}
			panicked.ServeHTTP(discardWriter{}, r)
			m.httpDuration.WithLabelValues(m.routeLabel(r.Context())).Observe(time.Since(start).Seconds())
		}()
		served.ServeHTTP(w, r)
		returned = true
	})
}

// routeLabel is the route label of the request of ctx; see Instrument.
func (m *Metrics) routeLabel(ctx context.Context) string {
	switch route := reqscope.From(ctx).Route(); {
	case route == "":
		return Unmatched
	case !plainLabel(route):
		return Other
	default:
		return m.routes.get(route, true)
	}
}

// discardWriter is the writer of the answer no one gets: Instrument's count of a
// panic.
type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) WriteHeader(int)             {}

// LogOptions tune LogRequests.
type LogOptions struct {
	// Skip, when set, leaves out the requests it returns true for, such as the
	// scrapes of /metrics and the probes of /healthz that would drown the rest.
	Skip func(*http.Request) bool
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
			logRequest(ctx, log, r, rec, status, sw.bytes, time.Since(start))
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
