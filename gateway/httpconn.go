package gateway

import (
	"io"
	"net/http"
	"strings"
	"time"
)

// This file guards the connection under each request: how long writing an answer
// may stall, and how a request whose body is refused as too large is closed.

// writeChunk is how much of an answer goes to the connection under one write
// deadline: each chunk may take the whole stall allowance, so that a slow reader who
// keeps reading is served, while one who stops is cut within the allowance.
const writeChunk = 64 << 10

// withWriteDeadline bounds every write of an answer: a chunk of it the client does
// not take within the stall allowance (the request timeout, or DefaultRequestTimeout
// when there is none) fails, the handler returns, and the server closes the
// connection, releasing the goroutine and the buffered answer that a client asking
// for a large answer and never reading it would otherwise hold for ever. The
// allowance starts at each write, not at the request's start, so the time the
// answer took to compute (up to the request timeout) does not count against the
// client. http.Server.WriteTimeout cannot do this: it counts from the request's
// start and does not follow --request-timeout.
func withWriteDeadline(p Protection, next http.Handler) http.Handler {
	stall := p.RequestTimeout
	if stall <= 0 {
		stall = DefaultRequestTimeout
	}
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

// How much of a refused body is read before the connection closes, and for how
// long: nginx's lingering close. Closing a socket while the client is still sending
// makes the kernel answer the data with a reset, and a client that sends its whole
// body before reading (Python's urllib and many simple clients) then gets
// "connection reset by peer" instead of the 413. A body with more than lingerBytes
// still to come is not read at all: it would be reset anyway.
const (
	lingerBytes = 32 << 20
	lingerTime  = 10 * time.Second
	lingerIdle  = 2 * time.Second
)

// lingerClose sends a refusal of a too-large body at once, then reads and drops what
// is left of the body, up to lingerBytes, for at most lingerTime (lingerIdle without
// data), so that the client is done sending when the server closes the connection
// (the refusal says Connection: close) and reads the status instead of a reset.
// body is the request's own body, under any limit; read is how much of it has been
// read already.
func lingerClose(w http.ResponseWriter, r *http.Request, body io.Reader, read int64) {
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil {
		return
	}
	// A client that waits for 100 Continue sends nothing once refused.
	if strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		return
	}
	if r.ContentLength >= 0 && r.ContentLength-read > lingerBytes {
		return
	}
	end := time.Now().Add(lingerTime)
	buf := make([]byte, 32<<10)
	for left := int64(lingerBytes); left > 0; {
		deadline := time.Now().Add(lingerIdle)
		if deadline.After(end) {
			deadline = end
		}
		if rc.SetReadDeadline(deadline) != nil {
			return
		}
		n, err := body.Read(buf[:min(int64(len(buf)), left)])
		left -= int64(n)
		if err != nil {
			break
		}
	}
	// The request's own deadline (http.Server.ReadTimeout) no longer matters: the
	// connection closes once this returns.
}
