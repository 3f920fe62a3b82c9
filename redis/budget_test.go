package redis

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"spacegraph/economy"
	"spacegraph/internal/testkit"
	"spacegraph/internal/testkit/redistest"
)

// budgets returns the shared budget as n processes see it, on one simulated clock.
func budgets(t *testing.T, r redistest.Backend, n, limit int, window time.Duration) ([]*Budget, *testkit.Clock) {
	t.Helper()
	clk := testkit.NewClock()
	cs := clients(t, r, n, clk)
	bs := make([]*Budget, n)
	for i, c := range cs {
		b, err := c.Budget(context.Background(), BudgetOptions{Limit: limit, Window: window})
		if err != nil {
			t.Fatal(err)
		}
		bs[i] = b
	}
	return bs, clk
}

// slack is how much real time a test may take between two claims: the budget counts
// on Redis's clock, which the simulated clock moves but real time moves too.
const slack = 2 * time.Second

func claim(t *testing.T, b economy.Budget, p economy.Priority, wantOK bool, wantWait time.Duration) {
	t.Helper()
	wait, ok, err := b.Take(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if ok != wantOK || wait > wantWait || wait < wantWait-slack {
		t.Fatalf("Take(%d) = %v, %v; want %v, %v", p, wait, ok, wantWait, wantOK)
	}
}

// near reports whether a is b give or take slack.
func near(a, b time.Time) bool { return a.Sub(b).Abs() <= slack }

func status(t *testing.T, b economy.Budget) economy.BudgetStatus {
	t.Helper()
	s, err := b.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBudgetSeededOnce(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		clk := testkit.NewClock()
		cs := clients(t, r, 2, clk)
		b1, err := cs[0].Budget(context.Background(), BudgetOptions{Limit: 15, Window: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		// A second process with other settings joins the budget as it is.
		b2, err := cs[1].Budget(context.Background(), BudgetOptions{Limit: 300, Window: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range []*Budget{b1, b2} {
			if s := status(t, b); s.Limit != 15 || s.Window != time.Hour || s.Used != 0 || !s.BlockedUntil.IsZero() {
				t.Fatalf("status %+v", s)
			}
		}
	})
}

func TestBudgetSharedConcurrentTake(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		bs, clk := budgets(t, r, 2, 15, time.Hour)
		var granted atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 200 {
			wg.Go(func() {
				<-start
				p := economy.PriorityUser
				if i%4 == 3 {
					p = economy.PriorityBackground
				}
				wait, ok, err := bs[i%2].Take(context.Background(), p)
				switch {
				case err != nil:
					t.Error(err)
				case ok:
					granted.Add(1)
				case wait <= 0 || wait > time.Hour:
					t.Errorf("refused with wait %v", wait)
				}
			})
		}
		close(start)
		wg.Wait()
		if granted.Load() != 15 {
			t.Fatalf("granted %d, want 15", granted.Load())
		}
		for _, b := range bs {
			if s := status(t, b); s.Used != 15 || s.Remaining(clk.Now()) != 0 {
				t.Fatalf("status %+v", s)
			}
		}
		// All calls were made at t0: the next frees at t0+1h.
		claim(t, bs[0], economy.PriorityUser, false, time.Hour)
		clk.Advance(time.Hour)
		claim(t, bs[1], economy.PriorityUser, true, 0)
	})
}

func TestBudgetSlidingWindow(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		bs, clk := budgets(t, r, 2, 3, time.Minute)
		a, b := bs[0], bs[1]
		claim(t, a, economy.PriorityUser, true, 0) // t0
		clk.Advance(10 * time.Second)
		claim(t, b, economy.PriorityUser, true, 0) // t0+10s
		clk.Advance(10 * time.Second)
		claim(t, a, economy.PriorityUser, true, 0) // t0+20s
		claim(t, b, economy.PriorityUser, false, 40*time.Second)
		clk.Advance(10 * time.Second)
		claim(t, a, economy.PriorityUser, false, 30*time.Second)
		if s := status(t, b); s.Used != 3 || s.Remaining(clk.Now()) != 0 {
			t.Fatalf("status %+v", s)
		}
		clk.Advance(30*time.Second - 2*slack)
		claim(t, b, economy.PriorityUser, false, 2*slack)
		clk.Advance(2 * slack) // t0+60s: the first call leaves
		if s := status(t, a); s.Used != 2 {
			t.Fatalf("at t0+60s: used %d", s.Used)
		}
		claim(t, b, economy.PriorityUser, true, 0)
		claim(t, a, economy.PriorityUser, false, 10*time.Second)
		clk.Advance(2 * time.Minute)
		if s := status(t, a); s.Used != 0 || s.Remaining(clk.Now()) != 3 {
			t.Fatalf("after a quiet window: %+v", s)
		}
	})
}

func TestBudgetBackgroundReserve(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		for _, c := range []struct{ limit, background int }{{15, 12}, {10, 8}, {5, 4}, {1, 0}} {
			bs, clk := budgets(t, r, 2, c.limit, time.Hour)
			for i := range c.background {
				clk.Advance(time.Second)
				if _, ok, _ := bs[i%2].Take(context.Background(), economy.PriorityBackground); !ok {
					t.Fatalf("limit %d: background call %d refused", c.limit, i+1)
				}
			}
			wantWait := time.Hour - time.Duration(c.background-1)*time.Second
			if c.background == 0 {
				wantWait = time.Hour
			}
			claim(t, bs[0], economy.PriorityBackground, false, wantWait)
			for i := c.background; i < c.limit; i++ {
				claim(t, bs[1], economy.PriorityUser, true, 0)
			}
			if _, ok, _ := bs[0].Take(context.Background(), economy.PriorityUser); ok {
				t.Fatalf("limit %d: over the limit", c.limit)
			}
			if s := status(t, bs[1]); s.Used != c.limit {
				t.Fatalf("limit %d: used %d", c.limit, s.Used)
			}
		}
	})
}

func TestBudgetBlockShared(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		bs, clk := budgets(t, r, 2, 15, time.Hour)
		claim(t, bs[1], economy.PriorityUser, true, 0)
		if err := bs[0].Block(context.Background(), clk.Now().Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		claim(t, bs[1], economy.PriorityUser, false, 2*time.Minute)
		claim(t, bs[1], economy.PriorityBackground, false, 2*time.Minute)
		// An earlier block does not shorten it.
		if err := bs[1].Block(context.Background(), clk.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		s := status(t, bs[1])
		if !near(s.BlockedUntil, t0.Add(2*time.Minute)) || s.Remaining(clk.Now()) != 0 || s.Used != 1 {
			t.Fatalf("status %+v", s)
		}
		clk.Advance(90 * time.Second)
		claim(t, bs[0], economy.PriorityUser, false, 30*time.Second)
		// A later one extends it.
		_ = bs[1].Block(context.Background(), clk.Now().Add(time.Minute))
		claim(t, bs[0], economy.PriorityUser, false, time.Minute)
		clk.Advance(time.Minute)
		claim(t, bs[0], economy.PriorityUser, true, 0)
		if s := status(t, bs[1]); s.Used != 2 || s.Remaining(clk.Now()) != 13 {
			t.Fatalf("after the block: %+v", s)
		}
	})
}

func TestBudgetUnlimited(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		bs, clk := budgets(t, r, 2, 0, time.Hour)
		for i := range 100 {
			claim(t, bs[i%2], economy.PriorityBackground, true, 0)
		}
		if s := status(t, bs[0]); s.Limit != 0 || s.Used != 0 || s.Remaining(clk.Now()) != -1 {
			t.Fatalf("status %+v", s)
		}
		// A 429 still stops every call of every process.
		_ = bs[0].Block(context.Background(), clk.Now().Add(5*time.Second))
		claim(t, bs[1], economy.PriorityUser, false, 5*time.Second)
		clk.Advance(5 * time.Second)
		claim(t, bs[1], economy.PriorityUser, true, 0)
	})
}

func TestBudgetSyncShared(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		bs, clk := budgets(t, r, 2, 15, time.Hour)
		a, b := bs[0], bs[1]
		claim(t, a, economy.PriorityUser, true, 0)
		claim(t, b, economy.PriorityUser, true, 0)
		clk.Advance(10 * time.Minute)
		// LL2 counted 5 (3 made by others behind the same address), with its own limit.
		if err := a.Sync(context.Background(), 6, 30*time.Minute, 5, 0); err != nil {
			t.Fatal(err)
		}
		for _, x := range bs {
			if s := status(t, x); s.Limit != 6 || s.Window != 30*time.Minute || s.Used != 5 || !s.BlockedUntil.IsZero() {
				t.Fatalf("after sync: %+v", s)
			}
		}
		claim(t, b, economy.PriorityUser, true, 0)
		// Our calls of t0 leave the new window at t0+30m.
		claim(t, a, economy.PriorityUser, false, 20*time.Minute)
		clk.Advance(20 * time.Minute)
		if s := status(t, b); s.Used != 4 {
			t.Fatalf("at t0+30m: used %d, want 4", s.Used)
		}
		// A lower count does not drop calls.
		if err := b.Sync(context.Background(), 6, 30*time.Minute, 1, 0); err != nil {
			t.Fatal(err)
		}
		if s := status(t, a); s.Used != 4 {
			t.Fatalf("after a lower count: used %d", s.Used)
		}
		// next_use blocks every process.
		if err := b.Sync(context.Background(), 6, 30*time.Minute, 0, 45*time.Second); err != nil {
			t.Fatal(err)
		}
		if s := status(t, a); !near(s.BlockedUntil, clk.Now().Add(45*time.Second)) {
			t.Fatalf("blocked until %v", s.BlockedUntil)
		}
		claim(t, a, economy.PriorityUser, false, 45*time.Second)
		clk.Advance(45 * time.Second)
		claim(t, a, economy.PriorityUser, true, 0)
		if err := a.Sync(context.Background(), 20, 2*time.Hour, 0, 0); err != nil {
			t.Fatal(err)
		}
		if s := status(t, b); s.Limit != 20 || s.Window != 2*time.Hour || s.Used != 5 || s.Remaining(clk.Now()) != 15 {
			t.Fatalf("after widening: %+v", s)
		}
	})
}

// TestBudgetCeilingShared checks the ceiling on the shared budget: Sync cannot raise
// it (nor make the budget unlimited), a shared limit left by an earlier deployment
// cannot either, it counts every replica's calls, and a 429's wait or LL2's next use
// is cut to the window.
func TestBudgetCeilingShared(t *testing.T) {
	redistest.Run(t, func(t *testing.T, r redistest.Backend) {
		ctx := context.Background()
		// An earlier deployment left the shared limit unlimited.
		bs, clk := budgets(t, r, 2, 0, time.Hour)
		a, b := bs[0], bs[1]
		a.SetCeiling(3, time.Hour)
		for _, bad := range []struct {
			limit  int
			window time.Duration
		}{{0, time.Hour}, {-1, time.Hour}, {economy.MaxSyncLimit + 1, time.Hour}, {100, 0}, {100, 48 * time.Hour}} {
			if err := a.Sync(ctx, bad.limit, bad.window, 0, 0); !errors.Is(err, economy.ErrImplausibleSync) {
				t.Fatalf("Sync(%d, %s): %v, want ErrImplausibleSync", bad.limit, bad.window, err)
			}
		}
		// The shared limit left unlimited does not lift a's ceiling.
		for range 3 {
			claim(t, a, economy.PriorityUser, true, 0)
		}
		claim(t, a, economy.PriorityUser, false, time.Hour)
		if s := status(t, a); s.Limit != 3 || s.Window != time.Hour || s.Used != 3 || s.Remaining(clk.Now()) != 0 {
			t.Fatalf("a, at its ceiling: %+v", s)
		}
		// LL2 allows 300 an hour: b, without a ceiling, gets LL2's limit; a's ceiling
		// holds and counts b's calls.
		clk.Advance(time.Hour)
		if err := b.Sync(ctx, 300, time.Hour, 0, 0); err != nil {
			t.Fatal(err)
		}
		claim(t, b, economy.PriorityUser, true, 0)
		claim(t, a, economy.PriorityUser, true, 0)
		claim(t, a, economy.PriorityUser, true, 0)
		claim(t, a, economy.PriorityUser, false, time.Hour)
		claim(t, b, economy.PriorityUser, true, 0)
		if s := status(t, b); s.Limit != 300 || s.Used != 4 {
			t.Fatalf("b, under LL2's limit: %+v", s)
		}
		// LL2 allows 2 a minute: its minute stops a at once, then the ceiling's hour.
		clk.Advance(time.Hour)
		if err := b.Sync(ctx, 2, time.Minute, 0, 0); err != nil {
			t.Fatal(err)
		}
		claim(t, a, economy.PriorityUser, true, 0)
		claim(t, a, economy.PriorityUser, true, 0)
		claim(t, a, economy.PriorityUser, false, time.Minute)
		clk.Advance(time.Minute)
		claim(t, a, economy.PriorityUser, true, 0)
		claim(t, a, economy.PriorityUser, false, time.Hour-time.Minute)
		// The calls stay counted for the ceiling's hour although LL2's window is a minute.
		if s := status(t, a); s.Limit != 3 || s.Window != time.Hour || s.Used != 3 {
			t.Fatalf("a, at its ceiling on LL2's minute: %+v", s)
		}
		// A next use of ten hours is cut to LL2's window; a 429 of a week to the longer
		// of the windows.
		if err := b.Sync(ctx, 2, time.Minute, 0, 10*time.Hour); err != nil {
			t.Fatal(err)
		}
		if s := status(t, b); !near(s.BlockedUntil, clk.Now().Add(time.Minute)) {
			t.Fatalf("next use of 10 h: blocked until %v, want a minute from now", s.BlockedUntil)
		}
		if err := a.Block(ctx, clk.Now().Add(7*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if s := status(t, b); !near(s.BlockedUntil, clk.Now().Add(time.Hour)) {
			t.Fatalf("a 429 of a week: blocked until %v, want an hour from now", s.BlockedUntil)
		}
	})
}
