package crawl

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"spacegraph/internal/testkit"
	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
	"spacegraph/snapshot/synthetic"
)

// crawlEnv is a built-in server over generated LL2-scale data, on a real socket.
type crawlEnv struct {
	data snapshot.Data
	srv  *ll2server.Server
	base string
}

// crawlData is generated once: tests compare against it and never modify it.
var crawlData = sync.OnceValue(func() snapshot.Data { return synthetic.Generate(synthetic.LL2ScaleFlights()) })

// mechanicsData is smaller, for the tests of waiting, resuming and starting over,
// which need several pages of each kind but not LL2's size (whose detailed spacecraft,
// with every flight's launch, weigh megabytes a page).
var mechanicsData = sync.OnceValue(func() snapshot.Data {
	o := synthetic.LL2ScaleFlights()
	o.Spacecraft = 250
	return synthetic.Generate(o)
})

// newCrawlEnv serves the LL2-scale data; newMechanicsEnv the smaller data.
func newCrawlEnv(t *testing.T, opts ll2server.Options, wrap func(http.Handler) http.Handler) *crawlEnv {
	t.Helper()
	return newEnvOf(t, crawlData(), opts, wrap)
}

func newMechanicsEnv(t *testing.T, opts ll2server.Options, wrap func(http.Handler) http.Handler) *crawlEnv {
	t.Helper()
	return newEnvOf(t, mechanicsData(), opts, wrap)
}

func newEnvOf(t *testing.T, d snapshot.Data, opts ll2server.Options, wrap func(http.Handler) http.Handler) *crawlEnv {
	t.Helper()
	srv := ll2server.New(ll2server.NewStore(d), opts)
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &crawlEnv{data: d, srv: srv, base: ts.URL + ll2server.Prefix}
}

func (e *crawlEnv) client(t *testing.T, observe func(ll2.Call)) *ll2.Client {
	t.Helper()
	c, err := ll2.New(ll2.Config{BaseURL: e.base, Observe: observe})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantPages is the test's own count of the calls a full crawl takes at 100 a page.
func wantPages(d snapshot.Data) int {
	n := 0
	for _, size := range []int{len(d.Spacecraft), len(d.Configs), len(d.Agencies), len(d.Families)} {
		n += (size + 99) / 100
	}
	for _, p := range ll2.LookupPaths {
		n += max(1, (len(d.Lookups[p])+99)/100)
	}
	if d.DockingEvents != nil {
		n += max(1, (len(d.DockingEvents)+99)/100)
	} else {
		n++ // the call that finds the source does not hold them
	}
	return n
}

var planRE = regexp.MustCompile(`(?m)^crawl: plan: (\d+) calls`)

func printedPlan(t *testing.T, out string) int {
	t.Helper()
	m := planRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no plan printed:\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// checkCrawled loads the crawled directory and compares it with the served data.
func checkCrawled(t *testing.T, dir string, e *crawlEnv) {
	t.Helper()
	got, m, err := snapshot.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Source != e.base {
		t.Errorf("meta source %q, want %q", m.Source, e.base)
	}
	if _, err := os.Stat(filepath.Join(dir, PagesDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s left behind after success (%v)", PagesDir, err)
	}
	want := e.data
	if len(got.Spacecraft) != len(want.Spacecraft) || len(got.Configs) != len(want.Configs) ||
		len(got.Agencies) != len(want.Agencies) || len(got.Families) != len(want.Families) {
		t.Fatalf("crawled %d/%d/%d/%d spacecraft/configs/agencies/families, served %d/%d/%d/%d",
			len(got.Spacecraft), len(got.Configs), len(got.Agencies), len(got.Families),
			len(want.Spacecraft), len(want.Configs), len(want.Agencies), len(want.Families))
	}
	for i, s := range got.Spacecraft {
		w := want.Spacecraft[i]
		if s.ID != w.ID || s.Name != w.Name || s.TimeInSpace.String() != w.TimeInSpace.String() ||
			s.Status.ID != w.Status.ID || s.SpacecraftConfig.ID != w.SpacecraftConfig.ID ||
			*s.SpacecraftConfig.SpacecraftFlown != *w.SpacecraftConfig.SpacecraftFlown || s.Image.ID != w.Image.ID {
			t.Fatalf("spacecraft %d crawled as %d %q %s status %d config %d", w.ID, s.ID, s.Name, s.TimeInSpace, s.Status.ID, s.SpacecraftConfig.ID)
		}
		if s.ResponseMode != "detailed" || s.SnapshotMode != "detailed" || !strings.HasPrefix(s.URL, e.base+"spacecraft/") {
			t.Fatalf("spacecraft %d: response_mode %q, url %q", s.ID, s.ResponseMode, s.URL)
		}
	}
	for i, c := range got.Configs {
		w := want.Configs[i]
		if c.ID != w.ID || c.Name != w.Name || c.Agency.ID != w.Agency.ID || *c.MaidenFlight != *w.MaidenFlight ||
			c.FastestTurnaround.String() != w.FastestTurnaround.String() || len(c.Family) != len(w.Family) {
			t.Fatalf("configuration %d crawled as %d %q", w.ID, c.ID, c.Name)
		}
	}
	for i, a := range got.Agencies {
		w := want.Agencies[i]
		if a.ID != w.ID || a.Name != w.Name || *a.Country[0].Alpha3Code != *w.Country[0].Alpha3Code ||
			*a.TotalLaunchCount != *w.TotalLaunchCount || len(a.SpacecraftList) != len(w.SpacecraftList) {
			t.Fatalf("agency %d crawled as %d %q", w.ID, a.ID, a.Name)
		}
	}
	for i, f := range got.Families {
		w := want.Families[i]
		if f.ID != w.ID || f.Name != w.Name || f.Manufacturer.ID != w.Manufacturer.ID ||
			(f.Parent == nil) != (w.Parent == nil) || len(f.Spacecraft) != len(w.Spacecraft) {
			t.Fatalf("family %d crawled as %d %q", w.ID, f.ID, f.Name)
		}
	}
	if got.LookupsFromRecords {
		t.Error("whole lookup tables crawled as holding only what records carry")
	}
	// The flights come inside the detailed spacecraft, at the normal level (LL2 lists
	// the crews at the detailed level only); the docking events from their endpoint.
	if len(got.Flights) != len(want.Flights) || got.Flights == nil {
		t.Fatalf("crawled %d flights, served %d", len(got.Flights), len(want.Flights))
	}
	for i, f := range got.Flights {
		w := want.Flights[i]
		if f.ID != w.ID || f.SpacecraftID() != w.SpacecraftID() || f.SnapshotMode != "normal" || f.Launch == nil || f.Launch.ID != w.Launch.ID ||
			(f.MissionEnd == nil) != (w.MissionEnd == nil) || (f.Landing == nil) != (w.Landing == nil) {
			t.Fatalf("flight %d crawled as %d of spacecraft %d, snapshot_mode %q", w.ID, f.ID, f.SpacecraftID(), f.SnapshotMode)
		}
	}
	for _, s := range got.Spacecraft {
		if s.Flights != nil {
			t.Fatalf("spacecraft %d keeps a second copy of its flights", s.ID)
		}
	}
	if len(got.DockingEvents) != len(want.DockingEvents) {
		t.Fatalf("crawled %d docking events, served %d", len(got.DockingEvents), len(want.DockingEvents))
	}
	for i, e := range got.DockingEvents {
		w := want.DockingEvents[i]
		if e.ID != w.ID || e.ChaserFlightID() != w.ChaserFlightID() || !e.Docking.Time().Equal(w.Docking.Time()) || e.SnapshotMode != "detailed" {
			t.Fatalf("docking event %d crawled as %d chased by %d", w.ID, e.ID, e.ChaserFlightID())
		}
	}
	// Served, the copy knows every flight's docking events (its flights hold the normal
	// level: their crews are not in it).
	store := ll2server.NewStore(got)
	for i, f := range store.Flights() {
		if len(f.DockingEvents) != len(want.Flights[i].DockingEvents) {
			t.Fatalf("flight %d served with %d docking events, %d served by the source", f.ID, len(f.DockingEvents), len(want.Flights[i].DockingEvents))
		}
	}
	for _, p := range ll2.LookupPaths {
		if len(got.Lookups[p]) != len(want.Lookups[p]) {
			t.Fatalf("%s: %d rows crawled, %d served", p, len(got.Lookups[p]), len(want.Lookups[p]))
		}
		for i, r := range got.Lookups[p] {
			if r.ID != want.Lookups[p][i].ID || r.Name != want.Lookups[p][i].Name {
				t.Fatalf("%s row %d: %d %q, served %d %q", p, i, r.ID, r.Name, want.Lookups[p][i].ID, want.Lookups[p][i].Name)
			}
		}
	}
}

func TestCrawl(t *testing.T) {
	e := newCrawlEnv(t, ll2server.Options{}, nil)
	dir := t.TempDir()
	var out bytes.Buffer
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	err := Run(context.Background(), e.client(t, nil), dir, Options{Out: &out, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Log(out.String())
	want := wantPages(e.data)
	if want != 30 {
		t.Fatalf("LL2-scale data takes %d pages, the test expects 30", want)
	}
	c := e.srv.Counters()
	if plan := printedPlan(t, out.String()); plan != want || c.Total != plan {
		t.Fatalf("printed plan %d, calls made %d, want %d:\n%s", plan, c.Total, want, out.String())
	}
	for route, n := range map[string]int{"spacecraft/": 6, "spacecraft_configurations/": 1, "agencies/": 4, "spacecraft_configuration_families/": 1,
		"docking_events/": 12, "spacecraft_flights/": 0, ll2.PathCountries: 1} {
		if c.ByRoute[route] != n {
			t.Errorf("%s: %d calls, want %d", route, c.ByRoute[route], n)
		}
	}
	// LL2's usual sizes are LL2Scale's, so the estimate is exact here.
	if !strings.Contains(out.String(), "crawl: estimate: about 30 calls") {
		t.Errorf("no estimate of 30 calls before the first call:\n%s", out.String())
	}
	if i, j := strings.Index(out.String(), "estimate:"), strings.Index(out.String(), "plan:"); i < 0 || j < i {
		t.Errorf("the estimate must come before the plan:\n%s", out.String())
	}
	checkCrawled(t, dir, e)
	_, m, _ := snapshot.LoadDir(dir)
	if !m.Created.Equal(now) {
		t.Errorf("meta created %v, want %v", m.Created, now)
	}
	for _, q := range e.srv.Requests() {
		if strings.HasPrefix(q, ll2server.Prefix+"spacecraft/?") && (!strings.Contains(q, "mode=detailed") || !strings.Contains(q, "limit=100") || !strings.Contains(q, "ordering=id")) {
			t.Errorf("spacecraft request %s: want mode=detailed, limit=100, ordering=id", q)
		}
		if strings.HasPrefix(q, ll2server.Prefix+"docking_events/?") && (!strings.Contains(q, "mode=detailed") || !strings.Contains(q, "limit=100") || !strings.Contains(q, "ordering=docking")) {
			t.Errorf("docking events request %s: want mode=detailed, limit=100, ordering=docking", q)
		}
	}
}

// TestCrawlOfASourceWithoutFlights crawls a built-in server over the embedded
// snapshot, whose spacecraft hold the normal level and which holds no docking events:
// the copy holds neither flights nor docking events, rather than claiming there are
// none, and the refused call is counted and announced.
func TestCrawlOfASourceWithoutFlights(t *testing.T) {
	d, _, err := snapshot.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	srv := ll2server.New(ll2server.NewStore(d), ll2server.Options{})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c, err := ll2.New(ll2.Config{BaseURL: ts.URL + ll2server.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out bytes.Buffer
	if err := Run(context.Background(), c, dir, Options{Out: &out}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "docking_events/: the source does not hold them") || !strings.Contains(out.String(), "no flights, no docking events") {
		t.Errorf("the missing collections were not announced:\n%s", out.String())
	}
	if plan, calls := printedPlan(t, out.String()), srv.Counters().Total; plan != wantPages(d) || calls != plan {
		t.Errorf("plan %d, calls %d, want %d:\n%s", plan, calls, wantPages(d), out.String())
	}
	got, _, err := snapshot.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Flights != nil || got.DockingEvents != nil {
		t.Errorf("crawled %v flights and %v docking events from a source that holds neither", got.Flights, got.DockingEvents)
	}
	if !got.LookupsFromRecords {
		t.Error("the source's lookup tables hold only what its records carry; the copy's say otherwise")
	}
	for _, f := range []string{snapshot.FlightsFile, snapshot.DockingFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s written (%v)", f, err)
		}
	}
	// Served again, the copy refuses flights as its source did.
	again := ll2server.NewStore(got)
	if n := again.Counts()["spacecraft_flights/"]; n != 0 || len(again.Flights()) != 0 {
		t.Errorf("the copy serves %d flights", n)
	}
}

func TestCrawlWaitsOutThrottle(t *testing.T) {
	for _, noRetryAfter := range []bool{false, true} {
		t.Run("NoRetryAfter="+strconv.FormatBool(noRetryAfter), func(t *testing.T) {
			clock := testkit.NewClock()
			e := newMechanicsEnv(t, ll2server.Options{
				Throttle: ll2server.Throttle{Limit: 5, Window: time.Hour, NoRetryAfter: noRetryAfter},
				Now:      clock.Now,
			}, nil)
			dir := t.TempDir()
			var out bytes.Buffer
			if err := Run(context.Background(), e.client(t, nil), dir, Options{Out: &out, Sleep: clock.Sleep}); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			t.Log(out.String())
			c := e.srv.Counters()
			want := wantPages(e.data)
			if plan := printedPlan(t, out.String()); plan != want || c.Total-c.Throttled != want {
				t.Fatalf("plan %d, %d calls answered, want %d", plan, c.Total-c.Throttled, want)
			}
			slept := clock.Slept()
			// want calls at 5 an hour: a full window to wait per 5 calls after the
			// first 5, each announced by one 429.
			if waits := (want - 1) / 5; c.Throttled != waits || len(slept) != waits {
				t.Fatalf("%d calls throttled, %d waits (%v), want %d and %d:\n%s", c.Throttled, len(slept), slept, waits, waits, out.String())
			}
			for _, d := range slept {
				if d <= 0 || d > time.Hour {
					t.Errorf("waited %s: want the server's wait, at most the one-hour window", d)
				}
			}
			if !strings.Contains(out.String(), "limit 5 calls per 3600 s") || !strings.Contains(out.String(), "will wait out the throttle") {
				t.Errorf("the throttle's limit and the coming waits were not announced:\n%s", out.String())
			}
			checkCrawled(t, dir, e)
		})
	}
}

// TestCrawlDefaultWait serves a 429 that says nothing about when to come back.
func TestCrawlDefaultWait(t *testing.T) {
	var refused atomic.Bool
	e := newMechanicsEnv(t, ll2server.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/agencies/") && refused.CompareAndSwap(false, true) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = w.Write([]byte(`{"detail": "Slow down."}`))
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	for _, tc := range []struct {
		retry, want time.Duration
	}{{0, DefaultRetryWait}, {7 * time.Minute, 7 * time.Minute}} {
		refused.Store(false)
		clock := testkit.NewClock()
		err := Run(context.Background(), e.client(t, nil), t.TempDir(), Options{Sleep: clock.Sleep, RetryWait: tc.retry})
		if err != nil {
			t.Fatal(err)
		}
		if got := clock.Slept(); len(got) != 1 || got[0] != tc.want {
			t.Errorf("RetryWait %s: waited %v, want [%s]", tc.retry, got, tc.want)
		}
	}
}

func savedPages(t *testing.T, dir string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, PagesDir, "*_offset*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

func TestCrawlResumeAfterError(t *testing.T) {
	const before = 7
	script := make([]ll2server.Fault, before+1)
	script[before] = ll2server.Fault{Kind: ll2server.FaultServerError}
	e := newMechanicsEnv(t, ll2server.Options{Faults: ll2server.Faults{Script: script}}, nil)
	dir := t.TempDir()
	err := Run(context.Background(), e.client(t, nil), dir, Options{})
	if ll2.KindOf(err) != ll2.KindUnavailable {
		t.Fatalf("crawl through a 502: err = %v, want an unavailable error", err)
	}
	if n := savedPages(t, dir); n != before {
		t.Fatalf("%d pages saved before the failure, want %d", n, before)
	}
	if c := e.srv.Counters(); c.Total != before+1 {
		t.Fatalf("%d calls before the failure, want %d", c.Total, before+1)
	}
	// A page that was being written when the crawler died is fetched again.
	spoilt := filepath.Join(dir, PagesDir, "spacecraft_offset0000.json")
	b, err := os.ReadFile(spoilt)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spoilt, b[:len(b)/3], 0o644); err != nil {
		t.Fatal(err)
	}

	e.srv.SetOptions(ll2server.Options{})
	e.srv.Reset()
	var out bytes.Buffer
	if err := Run(context.Background(), e.client(t, nil), dir, Options{Out: &out, Resume: true}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	want := wantPages(e.data) - before + 1
	if plan, c := printedPlan(t, out.String()), e.srv.Counters(); plan != want || c.Total != want {
		t.Fatalf("resumed crawl: plan %d, calls %d, want %d:\n%s", plan, c.Total, want, out.String())
	}
	checkCrawled(t, dir, e)
}

func TestCrawlResumeAfterCancel(t *testing.T) {
	const before = 12 // past the first pages, into the second phase
	e := newMechanicsEnv(t, ll2server.Options{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pagesDone atomic.Int32
	observe := func(c ll2.Call) {
		if c.Status == http.StatusOK && c.Path != ll2.PathAPIThrottle && pagesDone.Add(1) == before {
			cancel()
		}
	}
	dir := t.TempDir()
	err := Run(ctx, e.client(t, observe), dir, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled crawl: err = %v, want context.Canceled", err)
	}
	if n := savedPages(t, dir); n != before {
		t.Fatalf("%d pages saved before the cancel, want %d", n, before)
	}
	if c := e.srv.Counters(); c.Total != before {
		t.Fatalf("%d calls before the cancel, want %d", c.Total, before)
	}

	e.srv.Reset()
	var out bytes.Buffer
	if err := Run(context.Background(), e.client(t, nil), dir, Options{Out: &out, Resume: true}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	want := wantPages(e.data) - before
	if plan, c := printedPlan(t, out.String()), e.srv.Counters(); plan != want || c.Total != want {
		t.Fatalf("resumed crawl: plan %d, calls %d, want %d:\n%s", plan, c.Total, want, out.String())
	}
	// Every first page was saved, so the estimate is already exact.
	if !strings.Contains(out.String(), "estimate: about "+strconv.Itoa(want)+" calls") {
		t.Errorf("estimate does not count the saved pages:\n%s", out.String())
	}
	checkCrawled(t, dir, e)
}

// TestCrawlWithoutResumeStartsOver checks that stale pages are not trusted unless asked.
func TestCrawlWithoutResumeStartsOver(t *testing.T) {
	e := newMechanicsEnv(t, ll2server.Options{}, nil)
	dir := t.TempDir()
	stale := filepath.Join(dir, PagesDir, "spacecraft_offset0000.json")
	if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte(`{"count": 1, "results": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), e.client(t, nil), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	if c := e.srv.Counters(); c.Total != wantPages(e.data) {
		t.Fatalf("%d calls, want %d", c.Total, wantPages(e.data))
	}
	checkCrawled(t, dir, e)
}
