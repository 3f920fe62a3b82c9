package ll2server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"spacegraph/internal/testkit"
	"spacegraph/ll2/ll2server"
)

func inProcessClient(h http.Handler) *http.Client {
	return &http.Client{
		Transport:     ll2server.Transport(h),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// TestTransportMatchesHTTP: the in-process transport answers byte for byte what a
// real connection answers, but for the host in the urls.
func TestTransportMatchesHTTP(t *testing.T) {
	for _, src := range []string{"fixture", "embedded"} {
		t.Run(src, func(t *testing.T) {
			d := fxOnce().data
			if src == "embedded" {
				d = mustEmbedded(t)
			}
			store := ll2server.NewStore(d)
			e := newEnvHandler(t, nil, ll2server.New(store, optsNone))
			c := inProcessClient(ll2server.New(store, optsNone))
			for _, target := range []string{
				"spacecraft/", "spacecraft/?mode=detailed&limit=3&offset=2&format=json",
				"spacecraft/?status=1&ordering=-time_in_space&limit=4&offset=4", "spacecraft/?search=%22soyuz%20ms%22",
				"spacecraft/?status=bad", "spacecraft/12/", "spacecraft/14/", "spacecraft/99999/",
				"agencies/?mode=detailed", "agencies/?mode=list&limit=2&offset=1", "spacecraft_configurations/?mode=detailed",
				"spacecraft_configuration_families/?mode=detailed", "config/spacecraft_statuses/", "config/image_licenses/4/",
				"api-throttle/", "nope/", "/2.3.0/spacecraft?limit=2",
			} {
				real := e.get(target)
				url := ll2server.EmbeddedBaseURL + target
				if strings.HasPrefix(target, "/") {
					url = "http://ll2.embedded" + target
				}
				res, err := c.Get(url)
				if err != nil {
					t.Fatalf("in-process GET %s: %v", target, err)
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil {
					t.Fatalf("in-process GET %s: %v", target, err)
				}
				if res.StatusCode != real.status {
					t.Errorf("%s: status %d in process, %d over HTTP", target, res.StatusCode, real.status)
				}
				for _, h := range []string{"Content-Type", "Location", "Retry-After", "Allow"} {
					if res.Header.Get(h) != real.header.Get(h) {
						t.Errorf("%s: %s %q in process, %q over HTTP", target, h, res.Header.Get(h), real.header.Get(h))
					}
				}
				if res.Header.Get("Content-Type") == "application/json" {
					want := bytes.ReplaceAll(real.body, []byte(e.base()), []byte(ll2server.EmbeddedBaseURL))
					if !bytes.Equal(body, want) {
						t.Errorf("%s: bodies differ:\n in process %.300s\n over HTTP  %.300s", target, body, want)
					}
					if res.ContentLength != int64(len(body)) {
						t.Errorf("%s: ContentLength %d for %d bytes", target, res.ContentLength, len(body))
					}
				}
				if res.Request == nil || res.Request.URL.String() != url || res.ProtoMajor != 1 ||
					res.Status != strconv.Itoa(res.StatusCode)+" "+http.StatusText(res.StatusCode) {
					t.Errorf("%s: response fields %q %v", target, res.Status, res.Request)
				}
			}
		})
	}
}

func TestTransportHostAndIdent(t *testing.T) {
	clk := testkit.NewClock()
	srv := ll2server.New(ll2server.NewStore(fxOnce().data), ll2server.Options{
		Throttle: ll2server.Throttle{Limit: 1, Window: time.Minute}, Now: clk.Now,
	})
	c := inProcessClient(srv)
	req, _ := http.NewRequest(http.MethodGet, ll2server.EmbeddedBaseURL+"spacecraft/14/", nil)
	req.Host = "gateway.example"
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"url":"http://gateway.example/2.3.0/spacecraft/14/"`) {
		t.Errorf("the request's Host is not used: %.200s", body)
	}
	// The in-process caller is throttled like a local one.
	res, err = c.Get(ll2server.EmbeddedBaseURL + "spacecraft/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "60" {
		t.Errorf("second call: %d Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	res, err = c.Get(ll2server.EmbeddedBaseURL + "api-throttle/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"ident":"127.0.0.1"`) || !strings.Contains(string(body), `"current_use":1`) {
		t.Errorf("api-throttle/: %s", body)
	}
}

func TestTransportFaults(t *testing.T) {
	srv := ll2server.New(ll2server.NewStore(fxOnce().data), ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{
		{Kind: ll2server.FaultDrop},
		{Kind: ll2server.FaultStall, Stall: time.Hour},
		{Kind: ll2server.FaultMalformed},
	}}})
	c := inProcessClient(srv)
	// A dropped connection: the headers and half the body, then an error.
	res, err := c.Get(ll2server.EmbeddedBaseURL + "spacecraft/?limit=3")
	if err == nil {
		body, rerr := io.ReadAll(res.Body)
		res.Body.Close()
		if !errors.Is(rerr, io.ErrUnexpectedEOF) {
			t.Errorf("dropped connection: read %d bytes, error %v", len(body), rerr)
		}
		_, _ = outcomeInProcess(c, ll2server.EmbeddedBaseURL+"spacecraft/?limit=3", 1)   // the scripted stall, given up
		clean := mustGetInProcess(t, c, ll2server.EmbeddedBaseURL+"spacecraft/?limit=3") // the malformed half
		whole := mustGetInProcess(t, c, ll2server.EmbeddedBaseURL+"spacecraft/?limit=3")
		if !bytes.HasPrefix(whole, body) || len(body) == 0 || len(body) >= len(whole) || res.ContentLength != int64(len(whole)) {
			t.Errorf("the dropped body is not the start of the answer: %d of %d bytes, ContentLength %d", len(body), len(whole), res.ContentLength)
		}
		if !bytes.Equal(clean, whole[:len(whole)/2]) {
			t.Errorf("malformed in process: %q", clean)
		}
	} else {
		t.Errorf("dropped connection: the headers should arrive, got %v", err)
	}

	// A handler that cuts the connection before writing anything: no response.
	cut := inProcessClient(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	if res, err := cut.Get(ll2server.EmbeddedBaseURL + "spacecraft/"); err == nil {
		res.Body.Close()
		t.Error("a connection cut before the headers gave a response")
	}
	// Other panics are the handler's bugs: they are not hidden.
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Errorf("recovered %v, want the handler's panic", v)
			}
		}()
		req, _ := http.NewRequest(http.MethodGet, ll2server.EmbeddedBaseURL, nil)
		_, _ = ll2server.Transport(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })).RoundTrip(req)
	}()
	// A request whose context is already over is not served.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ll2server.EmbeddedBaseURL+"spacecraft/", nil)
	before := srv.Counters().Total
	if _, err := ll2server.Transport(srv).RoundTrip(req); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled request: %v", err)
	}
	if srv.Counters().Total != before {
		t.Error("a canceled request reached the server")
	}
	// A handler writing without WriteHeader answers 200.
	plain := inProcessClient(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hi")) }))
	if got := mustGetInProcess(t, plain, "http://x/"); string(got) != "hi" {
		t.Errorf("plain handler: %q", got)
	}
}

// outcomeInProcess GETs url with a deadline, for a call expected to stall.
func outcomeInProcess(c *http.Client, url string, ms int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(ms)*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	return io.ReadAll(res.Body)
}

func mustGetInProcess(t *testing.T, c *http.Client, url string) []byte {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, res.StatusCode)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return b
}

func TestTransportStall(t *testing.T) {
	srv := ll2server.New(ll2server.NewStore(fxOnce().data), ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{
		{Kind: ll2server.FaultStall, Stall: time.Hour},
	}}})
	c := inProcessClient(srv)
	done := make(chan error, 1)
	go func() {
		_, err := outcomeInProcess(c, ll2server.EmbeddedBaseURL+"spacecraft/", 20)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("stalled call: %v, want the deadline", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the in-process stall ignored the request's context")
	}
	if got := mustGetInProcess(t, c, ll2server.EmbeddedBaseURL+"spacecraft/?limit=1"); !strings.Contains(string(got), `"count":30`) {
		t.Errorf("after the stall: %.100s", got)
	}
}
