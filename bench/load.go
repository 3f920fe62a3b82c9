// Package bench measures spacegraph's upstream economy: the LL2 calls each query
// costs cold and warm, the throughput of the reference query beside a ceiling that
// only writes its bytes, a cold stampede, the memory a long run of distinct queries
// takes under the cache bound, and an hour of simulated traffic within LL2's
// anonymous limit of 15 calls an hour. The command bench/cmd/spacebench runs the
// scenarios and prints their tables; the package's tests run short versions of them.
package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Load is a load to generate: Clients concurrent clients sending POST requests with
// a JSON body, each as soon as its previous one is answered, for Duration or until
// Requests requests in all have been sent. The target is a URL (over real HTTP) or,
// for in-process runs, a Handler.
type Load struct {
	// URL is the target of the POST requests; Handler, when set instead, is called
	// in-process with an httptest.ResponseRecorder.
	URL     string
	Handler http.Handler
	// Body is the JSON body of every request; Bodies, when set, gives the body of the
	// i-th request instead (i counts from 0 across all clients).
	Body   []byte
	Bodies func(i int) []byte
	// Clients is the number of concurrent clients (at least 1).
	Clients int
	// Duration bounds the run when Requests is 0.
	Duration time.Duration
	// Requests, when positive, is the number of requests to send in all.
	Requests int
	// Client sends the requests over HTTP (nil: a client from NewClient(Clients)).
	Client *http.Client
	// Verify, when set, checks each answer; an error counts as a failed request.
	Verify func(status int, body []byte) error
}

// Result is what a load measured.
type Result struct {
	// Requests counts the requests answered (with any status) or failed.
	Requests int
	// Errors counts the requests that failed: a transport error or Verify's refusal.
	Errors int
	// ErrorSamples are the first few distinct error messages.
	ErrorSamples []string
	// Status counts the answers by HTTP status.
	Status map[int]int
	// Bytes is the total size of the response bodies.
	Bytes int64
	// Elapsed is the time from the start of the first request to the end of the last.
	Elapsed time.Duration
	// Latency holds the time of every request, from sending it to reading the last
	// byte of its answer.
	Latency *Histogram
}

// RPS returns the requests per second.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// P50 returns the median latency.
func (r Result) P50() time.Duration { return r.Latency.Quantile(0.50) }

// P90 returns the 90th percentile of latency.
func (r Result) P90() time.Duration { return r.Latency.Quantile(0.90) }

// P99 returns the 99th percentile of latency.
func (r Result) P99() time.Duration { return r.Latency.Quantile(0.99) }

// Max returns the largest latency.
func (r Result) Max() time.Duration { return r.Latency.Max() }

// StatusText lists the status counts, e.g. "200×1000, 429×3".
func (r Result) StatusText() string {
	codes := make([]int, 0, len(r.Status))
	for c := range r.Status {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d×%d", c, r.Status[c])
	}
	return strings.Join(parts, ", ")
}

// NewClient returns an HTTP client tuned for a load of n clients on loopback: it
// keeps enough idle connections that no client ever dials again once warm, never
// asks for compression, and speaks HTTP/1.1 as most GraphQL clients do.
func NewClient(n int) *http.Client {
	n = max(n, 1)
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * n,
		MaxIdleConnsPerHost: 2 * n,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		WriteBufferSize:     16 << 10,
		ReadBufferSize:      64 << 10,
	}}
}

// maxErrorSamples bounds Result.ErrorSamples.
const maxErrorSamples = 5

// clientStats is one client's part of a Result.
type clientStats struct {
	hist     Histogram
	requests int
	errors   int
	samples  []string
	status   map[int]int
	bytes    int64
}

func (s *clientStats) fail(err error) {
	s.errors++
	if len(s.samples) < maxErrorSamples {
		s.samples = append(s.samples, err.Error())
	}
}

// Run generates the load and returns what it measured. All clients start together;
// it returns when every client is done, or early with ctx's error when ctx ends.
func (l Load) Run(ctx context.Context) (Result, error) {
	if (l.URL == "") == (l.Handler == nil) {
		return Result{}, errors.New("bench: a load needs exactly one of URL and Handler")
	}
	if l.Requests <= 0 && l.Duration <= 0 {
		return Result{}, errors.New("bench: a load needs a duration or a request count")
	}
	if l.Body == nil && l.Bodies == nil {
		return Result{}, errors.New("bench: a load needs a body")
	}
	clients := max(l.Clients, 1)
	hc := l.Client
	if hc == nil && l.URL != "" {
		hc = NewClient(clients)
		defer hc.CloseIdleConnections()
	}
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		stats = make([]*clientStats, clients)
		start = make(chan struct{})
		began time.Time
		stop  time.Time
	)
	for c := range clients {
		s := &clientStats{status: map[int]int{}}
		stats[c] = s
		wg.Go(func() {
			var buf bytes.Buffer
			<-start
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if l.Requests > 0 && i >= l.Requests {
					return
				}
				if l.Requests <= 0 && !time.Now().Before(stop) {
					return
				}
				body := l.Body
				if l.Bodies != nil {
					body = l.Bodies(i)
				}
				buf.Reset()
				t0 := time.Now()
				status, err := l.send(ctx, hc, body, &buf)
				s.hist.Record(time.Since(t0))
				s.requests++
				s.bytes += int64(buf.Len())
				if err != nil {
					if ctx.Err() != nil {
						// A request cut by the end of the run is not the target's fault.
						s.requests--
						return
					}
					s.fail(err)
					continue
				}
				s.status[status]++
				if l.Verify != nil {
					if err := l.Verify(status, buf.Bytes()); err != nil {
						s.fail(err)
					}
				}
			}
		})
	}
	began = time.Now()
	stop = began.Add(l.Duration)
	close(start)
	wg.Wait()
	res := Result{Status: map[int]int{}, Elapsed: time.Since(began), Latency: &Histogram{}}
	seen := map[string]bool{}
	for _, s := range stats {
		res.Latency.Merge(&s.hist)
		res.Requests += s.requests
		res.Errors += s.errors
		res.Bytes += s.bytes
		for k, v := range s.status {
			res.Status[k] += v
		}
		for _, m := range s.samples {
			if !seen[m] && len(res.ErrorSamples) < maxErrorSamples {
				seen[m] = true
				res.ErrorSamples = append(res.ErrorSamples, m)
			}
		}
	}
	return res, ctx.Err()
}

// send makes one request and reads its answer into buf.
func (l Load) send(ctx context.Context, hc *http.Client, body []byte, buf *bytes.Buffer) (int, error) {
	if l.Handler != nil {
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		rec.Body = buf
		l.Handler.ServeHTTP(rec, req)
		return rec.Code, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return resp.StatusCode, fmt.Errorf("reading the answer: %w", err)
	}
	return resp.StatusCode, nil
}
