package protect

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"spacegraph/reqscope"
)

// TestDeadlineBackstop checks the deadline's last resort: a handler that does not heed
// its context is answered for with a 504 and an UPSTREAM_TIMEOUT error carrying the
// request id, and its late output is dropped.
func TestDeadlineBackstop(t *testing.T) {
	release := make(chan struct{})
	finished := make(chan struct{})
	h := reqscope.Middleware(Deadline(10*time.Millisecond, slog.New(slog.DiscardHandler), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(finished)
		<-release // deaf to its context
		w.Header().Set("X-Late", "1")
		_, _ = w.Write([]byte("late"))
	})))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.Header.Set("X-Request-Id", "slow-1")
	h.ServeHTTP(rec, req)
	close(release)
	<-finished
	var body struct {
		Data   any `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	if rec.Code != http.StatusGatewayTimeout || len(body.Errors) != 1 || body.Errors[0].Extensions["code"] != "UPSTREAM_TIMEOUT" ||
		body.Errors[0].Extensions["requestId"] != "slow-1" || !strings.Contains(body.Errors[0].Message, "10ms") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("X-Late") != "" || bytes.Contains(rec.Body.Bytes(), []byte("late")) {
		t.Errorf("the late answer leaked: %v %s", rec.Header(), rec.Body)
	}
}

// TestPanicBelowTheDeadline checks that a panic in the handler the deadline runs in
// its own goroutine reaches Recover: a 500 with INTERNAL and the request id,
// the original stack in the log.
func TestPanicBelowTheDeadline(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	h := reqscope.Middleware(Recover(log, Deadline(time.Minute, log, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panicInAHandler()
	}))))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/graphql", nil)
	req.Header.Set("X-Request-Id", "oops-1")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"requestId":"oops-1"`) ||
		!strings.Contains(rec.Body.String(), `"code":"INTERNAL"`) || strings.Contains(rec.Body.String(), "a detail") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "panicInAHandler") || !strings.Contains(logs.String(), "a detail") {
		t.Errorf("the log lacks the panic's own stack:\n%s", logs.String())
	}
}

func panicInAHandler() { panic("a detail") }
