package protect

import (
	"net/http"
	"time"
)

// writeChunk is how much of an answer goes to the connection under one write
// deadline: each chunk may take the whole stall allowance, so that a slow reader who
// keeps reading is served, while one who stops is cut within the allowance.
const writeChunk = 64 << 10

// WriteDeadline bounds every write of an answer: a chunk of it the client does not
// take within stall (the gateway gives the request timeout) fails, the handler
// returns, and the server closes the connection, releasing the goroutine and the buffered answer that a client asking
// for a large answer and never reading it would otherwise hold for ever. The
// allowance starts at each write, not at the request's start, so the time the
// answer took to compute (up to the request timeout) does not count against the
// client. http.Server.WriteTimeout cannot do this: it counts from the request's
// start and does not follow --request-timeout.
func WriteDeadline(stall time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if setWriteDeadline(w, time.Time{}) != nil {
			// No connection under w (a test's recorder): nothing to bound.
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&deadlineWriter{ResponseWriter: w, stall: stall}, r)
	})
}

// setWriteDeadline is http.ResponseController's SetWriteDeadline without its
// allocations (one for the controller, one for each "not supported" error), which
// every request would pay.
func setWriteDeadline(w http.ResponseWriter, t time.Time) error {
	for {
		switch v := w.(type) {
		case interface{ SetWriteDeadline(time.Time) error }:
			return v.SetWriteDeadline(t)
		case interface{ Unwrap() http.ResponseWriter }:
			w = v.Unwrap()
		default:
			return http.ErrNotSupported
		}
	}
}

// deadlineWriter sets the connection's write deadline before each chunk it writes.
type deadlineWriter struct {
	http.ResponseWriter
	stall time.Duration
}

func (w *deadlineWriter) extend() {
	_ = setWriteDeadline(w.ResponseWriter, time.Now().Add(w.stall))
}

func (w *deadlineWriter) WriteHeader(code int) {
	w.extend()
	w.ResponseWriter.WriteHeader(code)
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		c := min(len(p), writeChunk)
		w.extend()
		m, err := w.ResponseWriter.Write(p[:c])
		n += m
		if err != nil {
			return n, err
		}
		p = p[c:]
	}
	return n, nil
}

// FlushError flushes under a fresh deadline.
func (w *deadlineWriter) FlushError() error {
	w.extend()
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Flush is FlushError for callers that look for http.Flusher.
func (w *deadlineWriter) Flush() { _ = w.FlushError() }

// Unwrap lets http.ResponseController reach the connection.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
