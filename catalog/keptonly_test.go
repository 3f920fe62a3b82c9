package catalog_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"spacegraph/catalog"
	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot"
)

type countingTransport struct {
	next  http.RoundTripper
	calls atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.calls.Add(1)
	return c.next.RoundTrip(r)
}

// TestKeptOnlyNeverCalls checks that a parent's children asked for under
// ll2.WithKeptOnly make no call and start no crawl, which would be shared with the
// callers that do want it and fail for them: what is not kept fails with ErrNotKept;
// once a crawl has run, what it answers is answered.
func TestKeptOnlyNeverCalls(t *testing.T) {
	d, _, err := snapshot.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	rt := &countingTransport{next: ll2server.Transport(ll2server.New(ll2server.NewStore(d), ll2server.Options{}))}
	client, err := ll2.New(ll2.Config{BaseURL: ll2server.EmbeddedBaseURL, Transport: rt})
	if err != nil {
		t.Fatal(err)
	}
	c := catalog.New(catalog.Options{Client: client})
	cfg := d.Spacecraft[0].SpacecraftConfig.ID
	fam := d.Configs[0].Family[0].ID
	q := ll2.ListParams{Limit: 5, Ordering: []ll2.OrderKey{{Field: "id"}}}
	kept := ll2.WithKeptOnly(context.Background())

	askers := []struct {
		name string
		ask  func(context.Context) (int, error)
	}{
		{"spacecraft of a configuration (a call per parent)", func(ctx context.Context) (int, error) {
			pages, failed := c.SpacecraftOfConfigs(ctx, []int{cfg}, 1, q)
			if p := pages[cfg]; p != nil {
				return len(p.Items), nil
			}
			return 0, failed[cfg]
		}},
		{"configurations of a family (a crawl)", func(ctx context.Context) (int, error) {
			pages, failed := c.ConfigsOfFamilies(ctx, []int{fam}, 1, q)
			if p := pages[fam]; p != nil {
				return len(p.Items), nil
			}
			return 0, failed[fam]
		}},
	}
	for _, a := range askers {
		if _, err := a.ask(kept); !errors.Is(err, ll2.ErrNotKept) {
			t.Errorf("%s, cold: error %v, want ErrNotKept", a.name, err)
		}
	}
	if n := rt.calls.Load(); n != 0 {
		t.Fatalf("cold kept-only asks made %d calls, want none", n)
	}
	if err := c.Prefetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	crawled := rt.calls.Load()
	for _, a := range askers {
		n, err := a.ask(kept)
		if err != nil || n == 0 {
			t.Errorf("%s, after a crawl: %d items, error %v, want the crawl's answer", a.name, n, err)
		}
		want, err := a.ask(context.Background())
		if err != nil || want != n {
			t.Errorf("%s: %d items when calls are allowed (error %v), %d kept-only", a.name, want, err, n)
		}
	}
	if n := rt.calls.Load() - crawled; n != 0 {
		t.Errorf("asks after the crawl made %d calls, want none", n)
	}
}
