package protect

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"spacegraph/errs"
	"spacegraph/graphqlhttp"
	"spacegraph/reqscope"
)

// Recover turns a panic anywhere below it (HTTP middleware included) into a 500 with
// an INTERNAL error that carries the request id; the detail and the stack go to log
// only, and the server goes on serving. http.ErrAbortHandler is let through.
func Recover(log *slog.Logger, next http.Handler) http.Handler {
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
			id := reqscope.From(r.Context()).ID()
			log.ErrorContext(r.Context(), "panic while serving a request", "request_id", id, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(stack))
			if tw.wrote {
				// Too late for a clean answer: cut the connection so that the client
				// sees a failure rather than a truncated body.
				panic(http.ErrAbortHandler)
			}
			graphqlhttp.WriteError(w, http.StatusInternalServerError, "application/json; charset=utf-8",
				"internal error (request "+id+")", map[string]any{"code": string(errs.Internal), "requestId": id})
		}()
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
