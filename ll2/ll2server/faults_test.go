package ll2server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"spacegraph/internal/testkit"
	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
)

// outcome fetches url and classifies what came back, the way a client sees it.
func outcome(c *http.Client, url string) (string, []byte) {
	res, err := c.Get(url)
	if err != nil {
		return "error", nil
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Sprintf("%d truncated", res.StatusCode), body
	}
	switch ct := res.Header.Get("Content-Type"); {
	case strings.HasPrefix(ct, "text/html"):
		return fmt.Sprintf("%d html", res.StatusCode), body
	case !json.Valid(body):
		return fmt.Sprintf("%d malformed", res.StatusCode), body
	}
	return fmt.Sprintf("%d json", res.StatusCode), body
}

func TestFaultScript(t *testing.T) {
	v := fxOnce()
	e := newEnv(t, v.data, ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{
		{Kind: ll2server.FaultServerError},
		{Kind: ll2server.FaultServerError},
		{Kind: ll2server.FaultHTML},
		{Kind: ll2server.FaultMalformed},
		{Kind: ll2server.FaultDrop},
		{Kind: ll2server.FaultStall, Stall: time.Millisecond},
		{Kind: ll2server.FaultWrongObjects},
		{Kind: ll2server.FaultWrongObjects},
		{Kind: ll2server.FaultNone},
		{Kind: ll2server.FaultMalformed},
	}}})
	get := func(target string) (string, []byte) { return outcome(e.client, e.base()+target) }

	// A proxy's error page: 503 or 502 (by the parity of the query's length).
	if o, body := get("spacecraft/?limit=2"); o != "503 html" || !strings.Contains(string(body), "<h1>503 Service Unavailable</h1>") {
		t.Errorf("server error (odd query): %s %s", o, body)
	}
	// Calls that reach no route do not take a fault from the script.
	if r := e.get("nope/"); r.status != http.StatusNotFound {
		t.Errorf("unknown path: %d", r.status)
	}
	if o, body := get("spacecraft/?limit=10"); o != "502 html" || !strings.Contains(string(body), "502 Bad Gateway") {
		t.Errorf("server error (even query): %s %s", o, body)
	}
	if o, _ := get("spacecraft/"); o != "200 html" {
		t.Errorf("html: %s", o)
	}
	o, malformed := get("spacecraft/?limit=5")
	if o != "200 malformed" || len(malformed) == 0 {
		t.Errorf("malformed: %s", o)
	}
	if o, _ := get("spacecraft/?limit=5"); o != "200 truncated" && o != "error" {
		t.Errorf("drop: %s, want a client-side error", o)
	}
	if o, body := get("spacecraft/14/"); o != "200 json" || !strings.Contains(string(body), `"id":14`) {
		t.Errorf("short stall: %s", o)
	}
	// Wrong objects: the filters and the search are ignored, the ordering is not.
	p := e.list("spacecraft/?status=2&search=soyuz&ordering=-id&limit=100")
	all := expectIDs(v.data.Spacecraft, scID, nil, func(a, b *ll2.SpacecraftDetailed) int { return -cmpInt(a.ID, b.ID) })
	if p.Count != len(all) {
		t.Errorf("wrong objects: count %d, want %d", p.Count, len(all))
	}
	assertIDs(t, "wrong objects", pageIDs(t, p), all)
	// On a detail call the fault changes nothing.
	if o, _ := get("spacecraft/14/"); o != "200 json" {
		t.Errorf("wrong objects on a detail call: %s", o)
	}
	// FaultNone lets the call through.
	retired := expectIDs(v.data.Spacecraft, scID, func(s *ll2.SpacecraftDetailed) bool { return s.Status != nil && s.Status.ID == 2 }, nil)
	assertIDs(t, "no fault", e.ids("spacecraft/?status=2&limit=100"), retired)
	// The malformed body was the real one cut in half.
	_, _ = get("spacecraft/?limit=5") // the script's last fault
	full := e.get("spacecraft/?limit=5").body
	if !bytes.HasPrefix(full, malformed) || len(malformed) != len(full)/2 {
		t.Errorf("malformed body is not the first half of the answer:\n%s\n%s", malformed, full)
	}
	// Then the script is over and the rates (zero) apply.
	for i := 0; i < 5; i++ {
		if o, _ := get("agencies/"); o != "200 json" {
			t.Errorf("after the script: %s", o)
		}
	}
	c := e.srv.Counters()
	if c.Faulted != 9 || c.Throttled != 0 || c.Total != 16 {
		t.Errorf("counters %+v", c)
	}
}

// TestFaultStallRespectsContext: a stall, or the latency, ends when the caller gives up.
func TestFaultStallRespectsContext(t *testing.T) {
	for _, opts := range []ll2server.Options{
		{Faults: ll2server.Faults{Script: []ll2server.Fault{{Kind: ll2server.FaultStall, Stall: time.Hour}}}},
		{Faults: ll2server.Faults{Stall: 1, StallFor: time.Hour}},
		{Latency: time.Hour},
	} {
		srv := ll2server.New(ll2server.NewStore(fxOnce().data), opts)
		done := make(chan struct{}, 1)
		e := newEnvHandler(t, srv, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			srv.ServeHTTP(w, r)
			done <- struct{}{}
		}))
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.base()+"spacecraft/", nil)
		res, err := e.client.Do(req)
		if err == nil {
			res.Body.Close()
			t.Errorf("%+v: the call did not stall", opts)
		} else if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%+v: %v", opts, err)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%+v: the handler kept stalling after the caller left", opts)
		}
	}
}

// TestFaultRates: seeded rates draw the same faults in the same order, every time.
func TestFaultRates(t *testing.T) {
	faults := ll2server.Faults{Seed: 7, ServerError: 0.1, HTML: 0.1, Malformed: 0.1, Drop: 0.1, Stall: 0.1, StallFor: time.Millisecond}
	run := func(f ll2server.Faults, srv *ll2server.Server) ([]string, ll2server.Counters) {
		if srv == nil {
			srv = ll2server.New(ll2server.NewStore(fxOnce().data), ll2server.Options{Faults: f})
		}
		ts := httptest.NewServer(srv)
		defer ts.Close()
		var seq []string
		for i := 0; i < 60; i++ {
			o, _ := outcome(ts.Client(), fmt.Sprintf("%s/2.3.0/spacecraft/?limit=%d", ts.URL, 1+i%3))
			seq = append(seq, o)
		}
		return seq, srv.Counters()
	}
	a, ca := run(faults, nil)
	b, cb := run(faults, nil)
	if !slices.Equal(a, b) || ca.Faulted != cb.Faulted {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
	kinds := map[string]int{}
	for _, o := range a {
		kinds[o]++
	}
	for _, want := range []string{"200 json", "200 html", "200 malformed", "200 truncated"} {
		if kinds[want] == 0 {
			t.Errorf("no %q in %v", want, kinds)
		}
	}
	if kinds["502 html"]+kinds["503 html"] == 0 {
		t.Errorf("no server error in %v", kinds)
	}
	// Stalls answer normally after StallFor, so the counter tells them apart.
	visible := 60 - kinds["200 json"]
	if ca.Faulted <= visible || ca.Faulted >= 60 || ca.Total != 60 {
		t.Errorf("counters %+v with %d visible faults", ca, visible)
	}
	// Another seed draws another sequence.
	other := faults
	other.Seed = 8
	if c, _ := run(other, nil); slices.Equal(a, c) {
		t.Error("seeds 7 and 8 drew the same faults")
	}
	// SetOptions restarts the generator.
	srv := ll2server.New(ll2server.NewStore(fxOnce().data), ll2server.Options{Faults: faults})
	_, _ = run(faults, srv)
	srv.SetOptions(ll2server.Options{Faults: faults})
	if again, _ := run(faults, srv); !slices.Equal(a, again) {
		t.Errorf("after SetOptions:\n%v\n%v", a, again)
	}
	// A rate of 1 faults every call; throttled calls take no fault.
	clk := testkit.NewClock()
	e := newEnv(t, fxOnce().data, ll2server.Options{
		Faults:   ll2server.Faults{ServerError: 1},
		Throttle: ll2server.Throttle{Limit: 3, Window: time.Hour},
		Now:      clk.Now,
	})
	for i := 0; i < 5; i++ {
		r := e.get("spacecraft/?limit=1")
		want := http.StatusServiceUnavailable
		if i >= 3 {
			want = http.StatusTooManyRequests
		}
		if r.status != want {
			t.Errorf("call %d: %d, want %d", i, r.status, want)
		}
	}
	if c := e.srv.Counters(); c.Faulted != 3 || c.Throttled != 2 || c.Total != 5 {
		t.Errorf("counters %+v", c)
	}
}

func TestCounters(t *testing.T) {
	e := fxEnvOf(t)
	targets := []string{"spacecraft/", "spacecraft/14/", "spacecraft/18/?mode=normal", "spacecraft/99999/",
		"agencies/?search=nasa", "config/countries/", "config/countries/1/", "spacecraft_configurations/",
		"spacecraft_configurations/?agency=x", "spacecraft_configuration_families/4/"}
	for _, tg := range targets {
		e.get(tg)
	}
	e.get("api-throttle/")
	e.get("nope/")
	e.get("/2.3.0/agencies")
	c := e.srv.Counters()
	want := map[string]int{"spacecraft/": 1, "spacecraft/{id}/": 3, "agencies/": 1, "config/countries/": 1,
		"config/countries/{id}/": 1, "spacecraft_configurations/": 2, "spacecraft_configuration_families/{id}/": 1}
	if c.Total != len(targets) || !mapsEqual(c.ByRoute, want) || c.Throttled != 0 || c.Faulted != 0 {
		t.Errorf("counters %+v, want total %d by route %v", c, len(targets), want)
	}
	reqs := e.srv.Requests()
	if len(reqs) != len(targets) {
		t.Fatalf("Requests() = %v", reqs)
	}
	for i, tg := range targets {
		if reqs[i] != "/2.3.0/"+tg {
			t.Errorf("request %d: %q, want %q", i, reqs[i], "/2.3.0/"+tg)
		}
	}
	// Counters returns a copy.
	c.ByRoute["spacecraft/"] = 99
	if e.srv.Counters().ByRoute["spacecraft/"] != 1 {
		t.Error("Counters shares its map")
	}
	e.srv.Reset()
	if c := e.srv.Counters(); c.Total != 0 || len(c.ByRoute) != 0 || c.Throttled != 0 || c.Faulted != 0 || len(e.srv.Requests()) != 0 {
		t.Errorf("after Reset: %+v %v", c, e.srv.Requests())
	}
	// The request log keeps the latest 1000.
	for i := 0; i < 1005; i++ {
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/2.3.0/spacecraft/?offset=%d", i), nil))
	}
	reqs = e.srv.Requests()
	if len(reqs) != 1000 || reqs[0] != "/2.3.0/spacecraft/?offset=5" || reqs[999] != "/2.3.0/spacecraft/?offset=1004" {
		t.Errorf("request log: %d entries, first %q", len(reqs), reqs[0])
	}
	if c := e.srv.Counters(); c.Total != 1005 {
		t.Errorf("total %d", c.Total)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestFaultKindString(t *testing.T) {
	for k, want := range map[ll2server.FaultKind]string{
		ll2server.FaultNone: "none", ll2server.FaultServerError: "server-error", ll2server.FaultHTML: "html",
		ll2server.FaultMalformed: "malformed", ll2server.FaultDrop: "drop", ll2server.FaultStall: "stall",
		ll2server.FaultWrongObjects: "wrong-objects", ll2server.FaultWrongID: "wrong-id", ll2server.FaultErrorBody: "error-body",
		ll2server.FaultShortPage: "short-page", ll2server.FaultShiftedPage: "shifted-page", ll2server.FaultKind(99): "fault(99)",
	} {
		if k.String() != want {
			t.Errorf("%d: %q, want %q", k, k.String(), want)
		}
	}
}

// TestFaultWrongAnswers checks the faults that answer well-formed JSON that is wrong:
// another object, an error body with 200, a page missing its last result, and a page
// shifted by one (harmless on the first page).
func TestFaultWrongAnswers(t *testing.T) {
	v := fxOnce()
	e := newEnv(t, v.data, ll2server.Options{Faults: ll2server.Faults{Script: []ll2server.Fault{
		{Kind: ll2server.FaultWrongID},
		{Kind: ll2server.FaultWrongID},
		{Kind: ll2server.FaultErrorBody},
		{Kind: ll2server.FaultShortPage},
		{Kind: ll2server.FaultShiftedPage},
		{Kind: ll2server.FaultShiftedPage},
	}}})
	all := expectIDs(v.data.Spacecraft, scID, nil, func(a, b *ll2.SpacecraftDetailed) int { return cmpInt(a.ID, b.ID) })
	var got struct{ ID int }
	if r := e.get(fmt.Sprintf("spacecraft/%d/", all[0])); r.status != 200 || json.Unmarshal(r.body, &got) != nil || got.ID == all[0] {
		t.Errorf("wrong id: %d %s", r.status, r.body)
	}
	// On a list call it changes nothing.
	assertIDs(t, "wrong id on a list", e.ids("spacecraft/?ordering=id&limit=5"), all[:5])
	if r := e.get("spacecraft/?limit=5"); r.status != 200 || string(r.body) != `{"detail":"A server error occurred."}` {
		t.Errorf("error body: %d %s", r.status, r.body)
	}
	short := e.list("spacecraft/?ordering=id&limit=5")
	if short.Count != len(all) || short.Next == nil {
		t.Errorf("short page: count %d, next %v", short.Count, short.Next)
	}
	assertIDs(t, "short page", pageIDs(t, short), all[:4])
	assertIDs(t, "shifted first page", e.ids("spacecraft/?ordering=id&limit=5"), all[:5])
	shifted := e.list("spacecraft/?ordering=id&limit=5&offset=5")
	if shifted.Count != len(all) {
		t.Errorf("shifted page: count %d", shifted.Count)
	}
	assertIDs(t, "shifted page", pageIDs(t, shifted), all[4:9])
	if c := e.srv.Counters(); c.Faulted != 6 {
		t.Errorf("counters %+v", c)
	}
}
