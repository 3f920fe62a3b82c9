package protect

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"spacegraph/errs"
	"spacegraph/graphqlhttp"
	"spacegraph/internal/bufpool"
	"spacegraph/reqscope"
)

// DeadlineGrace is how long past its deadline a request's answer may take before
// Deadline gives up on it.
const DeadlineGrace = time.Second

// Deadline gives each request a deadline of timeout (zero or less: none): LL2 calls
// waiting past it fail with UPSTREAM_TIMEOUT and the executor finishes the answer.
// Should the answer still not be ready DeadlineGrace later (some wait that does not
// heed the context), the client gets a 504 with an UPSTREAM_TIMEOUT error instead of a
// hang, and log a warning; the late handler's output is dropped. Panics of the handler
// are carried back to this goroutine, for Recover.
func Deadline(timeout time.Duration, log *slog.Logger, next http.Handler) http.Handler {
	if timeout <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		r = r.WithContext(ctx)
		bw := &bufferedWriter{header: w.Header().Clone(), body: bufpool.Get()}
		done := make(chan struct{})
		var panicked any
		go func() {
			defer close(done)
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panicked = v
						return
					}
					panicked = forwardedPanic{value: v, stack: debug.Stack()}
				}
			}()
			next.ServeHTTP(bw, r)
		}()
		timer := time.NewTimer(timeout + DeadlineGrace)
		defer timer.Stop()
		select {
		case <-done:
			if panicked != nil {
				panic(panicked)
			}
			bw.flushTo(w)
			// The handler has returned and its answer is written out: nothing holds
			// the buffer any more. (An abandoned one may still be written to.)
			bufpool.Put(bw.body)
		case <-timer.C:
			bw.abandon()
			id := reqscope.From(r.Context()).ID()
			log.WarnContext(r.Context(), "request deadline passed with no answer", "request_id", id, "timeout", timeout)
			graphqlhttp.WriteError(w, http.StatusGatewayTimeout, graphqlhttp.ErrorMediaType(r),
				fmt.Sprintf("the request did not finish within its deadline of %s", timeout),
				map[string]any{"code": string(errs.UpstreamTimeout), "requestId": id})
		}
	})
}

// forwardedPanic carries a panic from the handler's goroutine with its stack.
type forwardedPanic struct {
	value any
	stack []byte
}

// bufferedWriter holds a response until it is complete; once abandoned (the deadline
// answered instead), writes are dropped.
type bufferedWriter struct {
	mu        sync.Mutex
	header    http.Header
	status    int
	body      *bytes.Buffer
	abandoned bool
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(code int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.status == 0 && code >= 200 {
		b.status = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.status == 0 {
		b.status = http.StatusOK
	}
	if b.abandoned {
		return len(p), nil
	}
	return b.body.Write(p)
}

func (b *bufferedWriter) abandon() {
	b.mu.Lock()
	b.abandoned = true
	b.mu.Unlock()
}

func (b *bufferedWriter) flushTo(w http.ResponseWriter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := w.Header()
	for k, v := range b.header {
		h[k] = v
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}
