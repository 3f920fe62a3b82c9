package testkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that records failures instead of failing, so that the
// kit's own failures can be tested.
type recorder struct {
	testing.TB
	failed []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}

// Fatalf records like Errorf and ends the goroutine as the real one does; run calls
// the function under test on a goroutine of its own.
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(r)
}

func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

// run calls f with a recorder and returns what it recorded.
func run(t *testing.T, f func(tb testing.TB)) []string {
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != r {
				panic(p)
			}
		}()
		f(r)
	}()
	return r.failed
}

func TestClock(t *testing.T) {
	c := NewClock()
	if !c.Now().Equal(Epoch) {
		t.Fatalf("a new clock reads %v, want Epoch", c.Now())
	}
	var moves []time.Duration
	c.OnMove(func(d time.Duration) { moves = append(moves, d) })
	c.Advance(90 * time.Minute)
	c.Set(Epoch.Add(time.Hour))
	if err := c.Sleep(context.Background(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if want := Epoch.Add(time.Hour + 5*time.Second); !c.Now().Equal(want) {
		t.Errorf("clock reads %v, want %v", c.Now(), want)
	}
	if want := []time.Duration{90 * time.Minute, -30 * time.Minute, 5 * time.Second}; !slices.Equal(moves, want) {
		t.Errorf("OnMove saw %v, want %v", moves, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("Sleep with a done context: %v, want context.Canceled", err)
	}
	if want := []time.Duration{5 * time.Second}; !slices.Equal(c.Slept(), want) {
		t.Errorf("Slept %v, want %v (a cancelled sleep does not count)", c.Slept(), want)
	}
}

func TestWaitFor(t *testing.T) {
	n := 0
	if failed := run(t, func(tb testing.TB) { WaitFor(tb, "three polls", func() bool { n++; return n == 3 }) }); failed != nil || n != 3 {
		t.Errorf("WaitFor: %d polls, failures %q; want 3 and none", n, failed)
	}
}

func TestRecv(t *testing.T) {
	ch := make(chan int, 1)
	ch <- 7
	var got int
	if failed := run(t, func(tb testing.TB) { got = Recv(tb, ch) }); failed != nil || got != 7 {
		t.Errorf("Recv = %d, failures %q; want 7 and none", got, failed)
	}
}

func TestGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "out.txt")
	if failed := run(t, func(tb testing.TB) { Golden(tb, path, []byte("a\n")) }); len(failed) != 1 || !strings.Contains(failed[0], "-update") {
		t.Errorf("a missing golden file: failures %q, want one that says -update", failed)
	}
	update = true
	failed := run(t, func(tb testing.TB) { Golden(tb, path, []byte("a\nb\n")) })
	update = false
	if b, _ := os.ReadFile(path); failed != nil || string(b) != "a\nb\n" {
		t.Fatalf("under -update: file %q, failures %q", b, failed)
	}
	if failed := run(t, func(tb testing.TB) { Golden(tb, path, []byte("a\nb\n")) }); failed != nil {
		t.Errorf("same output: failures %q", failed)
	}
	failed = run(t, func(tb testing.TB) { Golden(tb, path, []byte("a\nc\n")) })
	if len(failed) != 1 || !strings.Contains(failed[0], `line 2 is "b" in the file, "c" now`) {
		t.Errorf("changed output: failures %q, want one naming line 2", failed)
	}
}

func TestGoldenSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	const doc = "# Title\n<!-- table:begin -->\n| a |\n<!-- table:end -->\nafter\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if failed := run(t, func(tb testing.TB) { GoldenSection(tb, path, "table", "| a |\n") }); failed != nil {
		t.Errorf("same section: failures %q", failed)
	}
	if failed := run(t, func(tb testing.TB) { GoldenSection(tb, path, "table", "| b |\n") }); len(failed) != 1 || !strings.Contains(failed[0], "section is stale") {
		t.Errorf("changed section: failures %q", failed)
	}
	if failed := run(t, func(tb testing.TB) { GoldenSection(tb, path, "other", "") }); len(failed) != 1 || !strings.Contains(failed[0], "no ") {
		t.Errorf("missing section: failures %q", failed)
	}
	update = true
	failed := run(t, func(tb testing.TB) { GoldenSection(tb, path, "table", "| b |\n| c |\n") })
	update = false
	if b, _ := os.ReadFile(path); failed != nil || string(b) != "# Title\n<!-- table:begin -->\n| b |\n| c |\n<!-- table:end -->\nafter\n" {
		t.Errorf("under -update: file %q, failures %q", b, failed)
	}
}

func TestBuffer(t *testing.T) {
	var b Buffer
	done := make(chan struct{})
	for range 4 {
		go func() {
			for range 100 {
				_, _ = b.Write([]byte("x"))
			}
			done <- struct{}{}
		}()
	}
	for range 4 {
		<-done
	}
	if n := len(b.String()); n != 400 {
		t.Errorf("%d bytes written, want 400", n)
	}
}

func TestFakeLL2(t *testing.T) {
	const root = "https://ll.thespacedevs.com/2.3.0/"
	f := NewFakeLL2()
	ctx := context.Background()
	f.Script("agencies/1/", Answer{Status: 429, Body: `{}`, Header: map[string]string{"Retry-After": "60"}}, OK(`{"id":1}`))
	for i, want := range []struct {
		status       int
		body, header string
	}{{429, `{}`, "60"}, {200, `{"id":1}`, ""}, {200, `{"id":1}`, ""}} {
		if g := Get(t, f, ctx, root+"agencies/1/"); g.Status != want.status || g.Body != want.body || g.Header.Get("Retry-After") != want.header {
			t.Errorf("scripted call %d: %+v, want %+v", i+1, g, want)
		}
	}
	for i := range 2 {
		// The path is below the version root, without the query.
		want := fmt.Sprintf(`{"path":"spacecraft/","call":%d}`, i+1)
		if g := Get(t, f, ctx, root+"spacecraft/?limit=1"); g.Status != 200 || g.Body != want {
			t.Errorf("unscripted call %d: %+v, want 200 %s", i+1, g, want)
		}
	}
	if f.Calls() != 5 || f.CallsFor("agencies/1/") != 3 || !maps.Equal(f.PerPath(), map[string]int{"agencies/1/": 3, "spacecraft/": 2}) {
		t.Errorf("counted %d calls, %v", f.Calls(), f.PerPath())
	}

	f.Script("cut/", Answer{Status: 200, Body: "abc", Cut: true})
	req, _ := http.NewRequest(http.MethodGet, root+"cut/", nil)
	resp, err := f.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(resp.Body); string(b) != "abc" || !errors.Is(err, ErrCut) {
		t.Errorf("cut body: %q, %v; want abc and ErrCut", b, err)
	}
	f.Script("down/", Answer{Err: ErrCut})
	if g := Get(t, f, ctx, root+"down/"); !errors.Is(g.Err, ErrCut) {
		t.Errorf("a failing round trip: %+v", g)
	}

	gate := make(chan struct{})
	f.Script("gated/", Answer{Status: 200, Body: "late", Gate: gate})
	done := make(chan Response)
	go func() { done <- Get(t, f, ctx, root+"gated/") }()
	WaitFor(t, "the call to reach the gate", func() bool { return f.Held() == 1 })
	close(gate)
	if g := Recv(t, done); g.Body != "late" || f.Held() != 0 {
		t.Errorf("after the gate opened: %+v, %d held", g, f.Held())
	}
	gctx, cancel := context.WithCancel(ctx)
	f.Script("gated/", Answer{Status: 200, Gate: make(chan struct{})})
	go func() { done <- Get(t, f, gctx, root+"gated/") }()
	WaitFor(t, "the call to reach the gate", func() bool { return f.Held() == 1 })
	cancel()
	if g := Recv(t, done); !errors.Is(g.Err, context.Canceled) || f.Held() != 0 {
		t.Errorf("a cancelled call at the gate: %+v, %d held", g, f.Held())
	}
}

func TestResponseStale(t *testing.T) {
	for _, c := range []struct {
		warning string
		stale   bool
	}{{`110 - "Response is Stale"`, true}, {"", false}, {`199 - "Miscellaneous"`, false}} {
		r := Response{Header: http.Header{}}
		if c.warning != "" {
			r.Header.Set("Warning", c.warning)
		}
		if r.Stale() != c.stale {
			t.Errorf("Warning %q: Stale() = %v", c.warning, r.Stale())
		}
	}
}
