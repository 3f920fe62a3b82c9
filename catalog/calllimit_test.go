package catalog_test

import (
	"context"
	"testing"
	"time"

	"spacegraph/catalog"
	"spacegraph/economy"
	"spacegraph/ll2"
	"spacegraph/ll2/ll2server"
	"spacegraph/snapshot/synthetic"
)

// TestCrawlRefusedForAnotherRequest checks that a crawl shared by two requests and
// stopped by the call limit of the one that started it is not lost for the other: the
// other crawls again (the pages already fetched come from the cache), rather than
// failing for a limit that is not its own or falling back to a detail call per id.
func TestCrawlRefusedForAnotherRequest(t *testing.T) {
	data := synthetic.Generate(synthetic.LL2Scale())
	srv := ll2server.New(ll2server.NewStore(data), ll2server.Options{Latency: 200 * time.Millisecond})
	client, err := ll2.New(ll2.Config{BaseURL: ll2server.EmbeddedBaseURL, Transport: economy.NewTransport(economy.Options{Base: ll2server.Transport(srv)})})
	if err != nil {
		t.Fatal(err)
	}
	c := catalog.New(catalog.Options{Client: client})
	ids := []int{1, 101, 201, 301, 401, 501, 599} // more than the six pages of a crawl

	// A may make one call: the crawl's first page, then it is refused.
	actx, arep := economy.WithReport(context.Background())
	arep.LimitCalls(1)
	adone := make(chan map[int]error, 1)
	go func() {
		_, failed, _ := c.GetSpacecraft(actx, ids, ll2.LevelNormal)
		adone <- failed
	}()
	// B joins the crawl while its first page is on the way.
	time.Sleep(50 * time.Millisecond)
	bctx, brep := economy.WithReport(context.Background())
	found, failed, _ := c.GetSpacecraft(bctx, ids, ll2.LevelNormal)
	if len(found) != len(ids) || len(failed) != 0 {
		t.Errorf("B found %d of %d, failed %v", len(found), len(ids), failed)
	}
	if got := brep.Summary().Calls; got != 5 {
		t.Errorf("B made %d calls, want the 5 pages A could not fetch (not a detail call per id)", got)
	}
	if failed := <-adone; len(failed) != len(ids) {
		t.Errorf("A: %d ids failed, want all %d refused by its limit", len(failed), len(ids))
	}
	if got := arep.Summary().Calls; got != 1 {
		t.Errorf("A made %d calls, want 1", got)
	}
}
