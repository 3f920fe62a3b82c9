package protect

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"spacegraph/errs"
	"spacegraph/graphqlhttp"
)

// BodyLimit refuses requests larger than limit bytes (negative: no limit): a declared
// Content-Length or a GET query string over it at once (413, 414), and bodies that
// turn out longer when read (the transport answers 413 then). A refused body is
// drained before the connection closes (lingerClose), so that the client reads the
// 413.
func BodyLimit(limit int64, next http.Handler) http.Handler {
	if limit < 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if int64(len(r.URL.RawQuery)) > limit {
			graphqlhttp.WriteError(w, http.StatusRequestURITooLong, graphqlhttp.ErrorMediaType(r),
				fmt.Sprintf("the query string is %d bytes, over the limit of %d", len(r.URL.RawQuery), limit), badInput())
			return
		}
		if r.ContentLength > limit {
			w.Header().Set("Connection", "close")
			graphqlhttp.WriteError(w, http.StatusRequestEntityTooLarge, graphqlhttp.ErrorMediaType(r), graphqlhttp.BodyTooLargeMessage(limit), badInput())
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

func badInput() map[string]any { return map[string]any{"code": string(errs.BadUserInput)} }

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
