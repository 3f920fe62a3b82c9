package economy

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"spacegraph/internal/testkit"
)

// TestTransportCallLimit checks the per-request call limit: calls that go out count,
// answers from the cache are free, a refused call spends no budget and a stale copy
// stands in for it, a sub-report's calls count in its request's report, and a budget
// refusal gives back the call it had counted.
func TestTransportCallLimit(t *testing.T) {
	r := newRig(t, nil).withBudget(10, time.Hour)
	ctx, rep := WithReport(context.Background())
	rep.LimitCalls(2)
	for _, p := range []string{"spacecraft/1/", "spacecraft/2/", "spacecraft/1/"} {
		if g := testkit.Get(t, r.tr, ctx, root+p); g.Err != nil || g.Status != 200 {
			t.Fatalf("%s: %d %v", p, g.Status, g.Err)
		}
	}
	g := testkit.Get(t, r.tr, ctx, root+"spacecraft/3/")
	var cle *CallLimitError
	if !errors.As(g.Err, &cle) || cle.Limit != 2 {
		t.Fatalf("third distinct call: %d %v, want a *CallLimitError with limit 2", g.Status, g.Err)
	}
	if RefusedForAnother(ctx, g.Err) {
		t.Error("the request's own refusal is reported as another's")
	}
	if r.base.Calls() != 2 || rep.Summary().Calls != 2 || rep.Summary().Hits != 1 {
		t.Errorf("%d calls out, report %+v; want 2 calls and 1 hit", r.base.Calls(), rep.Summary())
	}
	if st, err := r.budget.Status(context.Background()); err != nil || st.Remaining(r.clk.Now()) != 8 {
		t.Errorf("budget %+v, %v: want 8 left (the refused call spent none)", st, err)
	}

	// Past its freshness, the refused call's stale copy stands in.
	r.clk.Advance(150 * time.Minute)
	if g := testkit.Get(t, r.tr, ctx, root+"spacecraft/1/"); g.Err != nil || !g.Stale() {
		t.Errorf("stale copy: %d stale=%v %v", g.Status, g.Stale(), g.Err)
	}
	if r.base.Calls() != 2 {
		t.Errorf("%d calls out, want still 2", r.base.Calls())
	}

	// A sub-report's calls are its request's.
	ctx2, rep2 := WithReport(context.Background())
	rep2.LimitCalls(2)
	sctx, sub := WithSubReport(ctx2)
	testkit.Get(t, r.tr, sctx, root+"agencies/1/")
	testkit.Get(t, r.tr, ctx2, root+"agencies/2/")
	if g := testkit.Get(t, r.tr, sctx, root+"agencies/3/"); !errors.As(g.Err, &cle) {
		t.Errorf("third call under the sub-report: %d %v, want refused", g.Status, g.Err)
	}
	if rep2.Summary().Calls != 2 || sub.Summary().Calls != 0 {
		t.Errorf("request report %+v, sub-report %+v: want the 2 calls in the request's", rep2.Summary(), sub.Summary())
	}

	// A call the budget refuses is not counted against the limit.
	r2 := newRig(t, nil).withBudget(1, time.Hour)
	ctx3, rep3 := WithReport(context.Background())
	rep3.LimitCalls(2)
	testkit.Get(t, r2.tr, ctx3, root+"spacecraft/1/")
	if g := testkit.Get(t, r2.tr, ctx3, root+"spacecraft/2/"); g.Status != 429 {
		t.Fatalf("over the budget: %d %v, want 429", g.Status, g.Err)
	}
	if rep3.Summary().Calls != 1 {
		t.Errorf("report %+v: want 1 call", rep3.Summary())
	}
}

// TestTransportCallLimitIsNotShared checks that a call refused by one request's limit
// does not fail another request that joined it: the other makes the call itself.
func TestTransportCallLimitIsNotShared(t *testing.T) {
	flight := &replayFlight{}
	r := newRig(t, func(o *Options) { o.Flight = flight })
	spent, rep := WithReport(context.Background())
	rep.LimitCalls(1)
	testkit.Get(t, r.tr, spent, root+"spacecraft/1/")
	if g := testkit.Get(t, r.tr, spent, root+"spacecraft/2/"); g.Err == nil {
		t.Fatal("the spent request's call went out")
	}
	other, _ := WithReport(context.Background())
	g := testkit.Get(t, r.tr, other, root+"spacecraft/2/")
	if g.Err != nil || g.Status != 200 || r.base.CallsFor("spacecraft/2/") != 1 {
		t.Fatalf("the joining request: %d %v, %d calls of spacecraft/2/; want its own call answered", g.Status, g.Err, r.base.CallsFor("spacecraft/2/"))
	}
}

// replayFlight shares a fetch with every later caller of the same key, as a joiner of
// a flight still under way would: it makes "joining a refused call" deterministic.
type replayFlight struct {
	mu   sync.Mutex
	done map[string]flightResult
}

type flightResult struct {
	res Result
	err error
}

func (f *replayFlight) Do(ctx context.Context, key string, fetch func(context.Context) (Result, error)) (Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done == nil {
		f.done = map[string]flightResult{}
	}
	if r, ok := f.done[key]; ok {
		return r.res, r.err
	}
	res, err := fetch(ctx)
	f.done[key] = flightResult{res, err}
	return res, err
}
