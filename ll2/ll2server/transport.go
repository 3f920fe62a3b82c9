package ll2server

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// EmbeddedBaseURL is the base URL the gateway uses for the in-process server; the host
// is never resolved, the transport hands requests straight to the handler.
const EmbeddedBaseURL = "http://ll2.embedded" + Prefix

// Transport returns an http.RoundTripper that serves requests with h in-process, with
// no socket: the client's code path is the one it takes against the live API, only
// the wire is missing. A handler that cuts the connection (http.ErrAbortHandler) gives
// the error or truncated body a real connection would.
func Transport(h http.Handler) http.RoundTripper { return inProcess{h} }

type inProcess struct{ h http.Handler }

// errConnReset is what the caller sees when the handler cut the connection before
// writing anything.
var errConnReset = errors.New("ll2server: connection reset by the in-process server")

func (t inProcess) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sreq := req.Clone(ctx)
	sreq.RequestURI = req.URL.RequestURI()
	sreq.RemoteAddr = "127.0.0.1:0"
	if sreq.Host == "" {
		sreq.Host = req.URL.Host
	}
	if sreq.Body == nil {
		sreq.Body = http.NoBody
	}
	rec := &recorder{header: http.Header{}}
	aborted := func() (aborted bool) {
		defer func() {
			if v := recover(); v != nil {
				if v != http.ErrAbortHandler {
					panic(v)
				}
				aborted = true
			}
		}()
		t.h.ServeHTTP(rec, sreq)
		return false
	}()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if aborted && !rec.wrote {
		return nil, errConnReset
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	var body io.ReadCloser = io.NopCloser(bytes.NewReader(rec.body.Bytes()))
	if aborted {
		body = &truncated{r: bytes.NewReader(rec.body.Bytes())}
	}
	cl := int64(rec.body.Len())
	if n, err := strconv.ParseInt(rec.header.Get("Content-Length"), 10, 64); err == nil {
		cl = n
	}
	return &http.Response{
		Status:        strconv.Itoa(rec.status) + " " + http.StatusText(rec.status),
		StatusCode:    rec.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          body,
		ContentLength: cl,
		Request:       req,
	}, nil
}

// truncated reads what the handler wrote, then fails as a cut connection does.
type truncated struct{ r *bytes.Reader }

func (t *truncated) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func (t *truncated) Close() error { return nil }

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
		r.wrote = true
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

// Flush is a no-op: the whole answer is handed over at once.
func (r *recorder) Flush() {}
