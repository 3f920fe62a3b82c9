package catalog

import (
	"runtime"
	"testing"
	"time"

	"spacegraph/ll2"
)

// rec stands for a decoded LL2 record: big enough, and with a pointer, to be its own
// allocation (the tiny allocator's objects may never see their cleanups run).
type rec struct {
	_ *string
	_ [4]int
}

func newRecs(n int) []*rec {
	out := make([]*rec, n)
	for i := range out {
		out[i] = &rec{}
	}
	return out
}

// TestPageMemoBuildsOncePerDecodedPage checks that the entities of a decoded page are
// built once, whatever List header the client hands each request, and again for
// another level or another page.
func TestPageMemoBuildsOncePerDecodedPage(t *testing.T) {
	var pm pageMemo[rec, string]
	builds := 0
	build := func() *builtPage[string] {
		builds++
		return &builtPage[string]{items: []*string{new(string)}}
	}
	recs := newRecs(3)
	a := pm.get(&ll2.List[rec]{Results: recs}, ll2.LevelNormal, build)
	b := pm.get(&ll2.List[rec]{Results: recs}, ll2.LevelNormal, build)
	if builds != 1 || a != b {
		t.Fatalf("the same decoded page was built %d times (same result: %v), want once", builds, a == b)
	}
	pm.get(&ll2.List[rec]{Results: recs}, ll2.LevelDetailed, build)
	pm.get(&ll2.List[rec]{Results: newRecs(3)}, ll2.LevelNormal, build)
	pm.get(&ll2.List[rec]{Results: recs[:2]}, ll2.LevelNormal, build)
	if builds != 4 {
		t.Fatalf("another level, another page and a shorter page gave %d builds in all, want 4", builds)
	}
	pm.get(&ll2.List[rec]{}, ll2.LevelNormal, build)
	pm.get(&ll2.List[rec]{}, ll2.LevelNormal, build)
	if builds != 6 {
		t.Fatalf("empty pages are built each time (nothing to key them by): %d builds, want 6", builds)
	}
	runtime.KeepAlive(recs)
}

// TestPageMemoForgetsCollectedPages checks that an entry goes once its decoded page
// is collected: the memo must not keep entities the client's memo has let go.
func TestPageMemoForgetsCollectedPages(t *testing.T) {
	var pm pageMemo[rec, string]
	func() {
		pm.get(&ll2.List[rec]{Results: newRecs(2)}, ll2.LevelNormal, func() *builtPage[string] { return &builtPage[string]{} })
	}()
	size := func() int {
		pm.mu.Lock()
		defer pm.mu.Unlock()
		return len(pm.m)
	}
	if size() != 1 {
		t.Fatalf("memo holds %d entries, want 1", size())
	}
	for range 100 {
		if size() == 0 {
			return
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("memo still holds %d entries after its page was collected", size())
}

// TestShareDue checks when a reused page's entities go to the entity cache again: the
// first time, when the answer behind them was fetched anew, and shareRefresh after the
// last time, not on every request between.
func TestShareDue(t *testing.T) {
	var b builtPage[string]
	t0 := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	fetched := t0.Add(-time.Minute)
	steps := []struct {
		now, fetched time.Time
		want         bool
	}{
		{t0, fetched, true},
		{t0.Add(time.Millisecond), fetched, false},
		// The same answer, its time computed anew (now minus its age): not newer.
		{t0.Add(2 * time.Millisecond), fetched.Add(37 * time.Nanosecond), false},
		{t0.Add(3 * time.Millisecond), fetched.Add(-25 * time.Nanosecond), false},
		{t0.Add(shareRefresh / 2), fetched, false},
		{t0.Add(shareRefresh / 2), t0, true}, // revalidated: newer answer time
		{t0.Add(shareRefresh), t0, false},
		{t0.Add(shareRefresh/2 + shareRefresh), t0, true},
	}
	for i, s := range steps {
		if got := b.shareDue(s.now, s.fetched); got != s.want {
			t.Fatalf("step %d: shareDue = %v, want %v", i, got, s.want)
		}
	}
}
