package economy

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"spacegraph/internal/testkit"
)

// take claims a call and checks the outcome.
func take(t *testing.T, b Budget, p Priority, wantOK bool, wantWait time.Duration) {
	t.Helper()
	wait, ok, err := b.Take(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if ok != wantOK || wait != wantWait {
		t.Fatalf("Take(%d) = %v, %v; want %v, %v", p, wait, ok, wantWait, wantOK)
	}
}

func status(t *testing.T, b Budget) BudgetStatus {
	t.Helper()
	s, err := b.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMemoryBudgetSlidingWindow(t *testing.T) {
	clk := testkit.NewClock()
	b := NewMemoryBudget(3, time.Minute, clk.Now)
	take(t, b, PriorityUser, true, 0) // t0
	clk.Advance(10 * time.Second)
	take(t, b, PriorityUser, true, 0) // t0+10s
	clk.Advance(10 * time.Second)
	take(t, b, PriorityUser, true, 0) // t0+20s
	// The fourth waits until the first leaves the window, at t0+60s.
	take(t, b, PriorityUser, false, 40*time.Second)
	clk.Advance(10 * time.Second)
	take(t, b, PriorityUser, false, 30*time.Second)
	if s := status(t, b); s.Used != 3 || s.Limit != 3 || s.Window != time.Minute || s.Remaining(clk.Now()) != 0 {
		t.Fatalf("status %+v, remaining %d", s, s.Remaining(clk.Now()))
	}
	// A nanosecond before the first call leaves, the slot is still taken.
	clk.Advance(30*time.Second - time.Nanosecond)
	take(t, b, PriorityUser, false, time.Nanosecond)
	// Exactly when it leaves, the slot frees.
	clk.Advance(time.Nanosecond)
	if s := status(t, b); s.Used != 2 || s.Remaining(clk.Now()) != 1 {
		t.Fatalf("at t0+60s: status %+v", s)
	}
	take(t, b, PriorityUser, true, 0) // t0+60s
	// Next free slot: the call of t0+10s leaves at t0+70s.
	take(t, b, PriorityUser, false, 10*time.Second)
	clk.Advance(10 * time.Second)
	take(t, b, PriorityUser, true, 0) // t0+70s
	take(t, b, PriorityUser, false, 10*time.Second)
	// After a whole quiet window, all of it is available again.
	clk.Advance(2 * time.Minute)
	if s := status(t, b); s.Used != 0 || s.Remaining(clk.Now()) != 3 {
		t.Fatalf("after a quiet window: status %+v", s)
	}
	for range 3 {
		take(t, b, PriorityUser, true, 0)
	}
	take(t, b, PriorityUser, false, time.Minute)
}

func TestMemoryBudgetBackgroundReserve(t *testing.T) {
	for _, c := range []struct {
		limit, background int
	}{
		{15, 12}, // LL2's anonymous limit: 3 calls kept for users
		{10, 8},
		{5, 4}, // at least one call is kept
		{2, 1},
		{1, 0},
	} {
		clk := testkit.NewClock()
		b := NewMemoryBudget(c.limit, time.Hour, clk.Now)
		for i := range c.background {
			clk.Advance(time.Second)
			if _, ok, _ := b.Take(context.Background(), PriorityBackground); !ok {
				t.Fatalf("limit %d: background call %d refused", c.limit, i+1)
			}
		}
		// The next background call waits until the oldest leaves; with no call at all
		// allowed to the background, for a whole window.
		wantWait := time.Hour - time.Duration(c.background-1)*time.Second
		if c.background == 0 {
			wantWait = time.Hour
		}
		wait, ok, _ := b.Take(context.Background(), PriorityBackground)
		if ok || wait != wantWait {
			t.Fatalf("limit %d: background call %d = %v, %v; want refused for %v", c.limit, c.background+1, wait, ok, wantWait)
		}
		// Users still have the reserve.
		for i := c.background; i < c.limit; i++ {
			if _, ok, _ := b.Take(context.Background(), PriorityUser); !ok {
				t.Fatalf("limit %d: user call %d refused", c.limit, i+1)
			}
		}
		if _, ok, _ := b.Take(context.Background(), PriorityUser); ok {
			t.Fatalf("limit %d: user call over the limit granted", c.limit)
		}
		if s := status(t, b); s.Used != c.limit {
			t.Fatalf("limit %d: used %d", c.limit, s.Used)
		}
	}
}

func TestMemoryBudgetBlock(t *testing.T) {
	clk := testkit.NewClock()
	b := NewMemoryBudget(15, time.Hour, clk.Now)
	take(t, b, PriorityUser, true, 0)
	if err := b.Block(context.Background(), clk.Now().Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	take(t, b, PriorityUser, false, 2*time.Minute)
	take(t, b, PriorityBackground, false, 2*time.Minute)
	// An earlier block does not shorten a later one.
	_ = b.Block(context.Background(), clk.Now().Add(time.Minute))
	s := status(t, b)
	if !s.BlockedUntil.Equal(t0.Add(2*time.Minute)) || s.Remaining(clk.Now()) != 0 || s.Used != 1 {
		t.Fatalf("status %+v, remaining %d", s, s.Remaining(clk.Now()))
	}
	clk.Advance(90 * time.Second)
	take(t, b, PriorityUser, false, 30*time.Second)
	// A later block extends it.
	_ = b.Block(context.Background(), clk.Now().Add(time.Minute))
	take(t, b, PriorityUser, false, time.Minute)
	clk.Advance(time.Minute)
	if s := status(t, b); s.Remaining(clk.Now()) != 14 {
		t.Fatalf("after the block: remaining %d", s.Remaining(clk.Now()))
	}
	take(t, b, PriorityUser, true, 0)
	// Refused calls while blocked were not counted.
	if s := status(t, b); s.Used != 2 {
		t.Fatalf("used %d, want 2", s.Used)
	}
}

func TestMemoryBudgetUnlimited(t *testing.T) {
	clk := testkit.NewClock()
	b := NewMemoryBudget(0, time.Hour, clk.Now)
	for range 1000 {
		take(t, b, PriorityBackground, true, 0)
	}
	s := status(t, b)
	if s.Limit != 0 || s.Used != 0 || s.Remaining(clk.Now()) != -1 {
		t.Fatalf("status %+v, remaining %d", s, s.Remaining(clk.Now()))
	}
	// A 429 still stops every call.
	_ = b.Block(context.Background(), clk.Now().Add(5*time.Second))
	take(t, b, PriorityUser, false, 5*time.Second)
	clk.Advance(5 * time.Second)
	take(t, b, PriorityUser, true, 0)
}

func TestMemoryBudgetSync(t *testing.T) {
	clk := testkit.NewClock()
	b := NewMemoryBudget(15, time.Hour, clk.Now)
	for range 2 {
		take(t, b, PriorityUser, true, 0)
	}
	clk.Advance(10 * time.Minute)
	// LL2 counted 5 (others behind the same address made 3) and has a lower limit.
	if err := b.Sync(context.Background(), 6, 30*time.Minute, 5, 0); err != nil {
		t.Fatal(err)
	}
	s := status(t, b)
	if s.Limit != 6 || s.Window != 30*time.Minute || s.Used != 5 || s.Remaining(clk.Now()) != 1 || !s.BlockedUntil.IsZero() {
		t.Fatalf("after sync: %+v", s)
	}
	take(t, b, PriorityUser, true, 0)
	// Our two calls of t0 leave the new window at t0+30m; the ones Sync added at t0+10m
	// leave at t0+40m.
	take(t, b, PriorityUser, false, 20*time.Minute)
	clk.Advance(20 * time.Minute)
	if s := status(t, b); s.Used != 4 {
		t.Fatalf("at t0+30m: used %d, want 4", s.Used)
	}
	// LL2 counting fewer than we did does not drop our calls.
	if err := b.Sync(context.Background(), 6, 30*time.Minute, 1, 0); err != nil {
		t.Fatal(err)
	}
	if s := status(t, b); s.Used != 4 {
		t.Fatalf("sync with a lower count: used %d, want 4", s.Used)
	}
	// next_use blocks every call for its length.
	if err := b.Sync(context.Background(), 6, 30*time.Minute, 0, 45*time.Second); err != nil {
		t.Fatal(err)
	}
	if s := status(t, b); !s.BlockedUntil.Equal(clk.Now().Add(45 * time.Second)) {
		t.Fatalf("blocked until %v", s.BlockedUntil)
	}
	take(t, b, PriorityUser, false, 45*time.Second)
	clk.Advance(45 * time.Second)
	take(t, b, PriorityUser, true, 0)
	// A new limit and window apply to the calls already counted.
	if err := b.Sync(context.Background(), 20, 2*time.Hour, 0, 0); err != nil {
		t.Fatal(err)
	}
	if s := status(t, b); s.Used != 5 || s.Remaining(clk.Now()) != 15 {
		t.Fatalf("after widening: %+v", s)
	}
	// A limit of zero would make the budget unlimited: it is refused, and nothing
	// changes.
	if err := b.Sync(context.Background(), 0, time.Hour, 3, 0); !errors.Is(err, ErrImplausibleSync) {
		t.Fatalf("Sync to a limit of 0: %v, want ErrImplausibleSync", err)
	}
	if s := status(t, b); s.Limit != 20 || s.Window != 2*time.Hour || s.Used != 5 {
		t.Fatalf("after a refused sync: %+v", s)
	}
}

func TestCheckSync(t *testing.T) {
	for _, c := range []struct {
		name          string
		limit         int
		window        time.Duration
		used          int
		nextUse       time.Duration
		wantPlausible bool
	}{
		{"anonymous", 15, time.Hour, 3, 0, true},
		{"unthrottled development server", MaxSyncLimit, time.Hour, 0, 0, true},
		{"a day's window", 5000, 24 * time.Hour, 0, time.Minute, true},
		{"more used than allowed", 15, time.Hour, 40, 0, true},
		{"a next use past the window", 15, time.Hour, 15, 10 * time.Hour, true},
		{"missing", 0, 0, 0, 0, false},
		{"zero limit", 0, time.Hour, 0, 0, false},
		{"negative limit", -1, time.Hour, 0, 0, false},
		{"absurd limit", MaxSyncLimit + 1, time.Hour, 0, 0, false},
		{"zero window", 15, 0, 0, 0, false},
		{"negative window", 15, -time.Hour, 0, 0, false},
		{"window past a day", 15, 24*time.Hour + time.Second, 0, 0, false},
		{"negative use", 15, time.Hour, -1, 0, false},
		{"negative next use", 15, time.Hour, 0, -time.Second, false},
	} {
		err := CheckSync(c.limit, c.window, c.used, c.nextUse)
		if (err == nil) != c.wantPlausible || (err != nil && !errors.Is(err, ErrImplausibleSync)) {
			t.Errorf("%s: CheckSync = %v, want plausible %v", c.name, err, c.wantPlausible)
		}
	}
}

// TestMemoryBudgetCeiling checks that the operator's ceiling holds whatever LL2 says:
// Sync lowers the budget below it but never raises it, implausible answers change
// nothing, and a ceiling and an LL2 limit on different windows both hold.
func TestMemoryBudgetCeiling(t *testing.T) {
	ctx := context.Background()
	clk := testkit.NewClock()
	b := NewMemoryBudget(3, time.Hour, clk.Now)
	b.SetCeiling(3, time.Hour)
	for _, bad := range []struct {
		limit  int
		window time.Duration
	}{{0, time.Hour}, {-1, time.Hour}, {MaxSyncLimit * 1000, time.Hour}, {100, 0}, {100, 30 * 24 * time.Hour}} {
		if err := b.Sync(ctx, bad.limit, bad.window, 0, 0); !errors.Is(err, ErrImplausibleSync) {
			t.Fatalf("Sync(%d, %s): %v, want ErrImplausibleSync", bad.limit, bad.window, err)
		}
	}
	// LL2 allows 300 an hour: the ceiling of 3 holds.
	if err := b.Sync(ctx, 300, time.Hour, 0, 0); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		take(t, b, PriorityUser, true, 0)
	}
	take(t, b, PriorityUser, false, time.Hour)
	if s := status(t, b); s.Limit != 3 || s.Used != 3 || s.Remaining(clk.Now()) != 0 {
		t.Fatalf("under the ceiling: %+v", s)
	}
	// LL2 allows 2 an hour: lower than the ceiling, so it holds.
	clk.Advance(time.Hour)
	if err := b.Sync(ctx, 2, time.Hour, 0, 0); err != nil {
		t.Fatal(err)
	}
	take(t, b, PriorityUser, true, 0)
	take(t, b, PriorityUser, true, 0)
	take(t, b, PriorityUser, false, time.Hour)
	if s := status(t, b); s.Limit != 2 || s.Remaining(clk.Now()) != 0 {
		t.Fatalf("under LL2's lower limit: %+v", s)
	}
	// LL2 allows 2 a minute: LL2's minute stops the third call at once, the
	// ceiling's hour the fourth a minute later.
	clk.Advance(time.Hour)
	if err := b.Sync(ctx, 2, time.Minute, 0, 0); err != nil {
		t.Fatal(err)
	}
	take(t, b, PriorityUser, true, 0)
	take(t, b, PriorityUser, true, 0)
	take(t, b, PriorityUser, false, time.Minute)
	clk.Advance(time.Minute)
	take(t, b, PriorityUser, true, 0)
	take(t, b, PriorityUser, false, time.Hour-time.Minute)
	if s := status(t, b); s.Limit != 3 || s.Window != time.Hour || s.Used != 3 {
		t.Fatalf("the ceiling binds: %+v", s)
	}
	// A next use past LL2's window is cut to it; a 429's wait to the longest window.
	if err := b.Sync(ctx, 2, time.Minute, 0, 10*time.Hour); err != nil {
		t.Fatal(err)
	}
	if s := status(t, b); !s.BlockedUntil.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("next use of 10 h: blocked until %v, want a minute from now", s.BlockedUntil)
	}
	if err := b.Block(ctx, clk.Now().Add(7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if s := status(t, b); !s.BlockedUntil.Equal(clk.Now().Add(time.Hour)) {
		t.Fatalf("a 429 of a week: blocked until %v, want an hour from now", s.BlockedUntil)
	}
	// Removing the ceiling leaves LL2's limit.
	b.SetCeiling(0, 0)
	clk.Advance(time.Hour)
	take(t, b, PriorityUser, true, 0)
	take(t, b, PriorityUser, true, 0)
	take(t, b, PriorityUser, false, time.Minute)
}

func TestBudgetStatusRemaining(t *testing.T) {
	for _, c := range []struct {
		name string
		s    BudgetStatus
		want int
	}{
		{"unlimited", BudgetStatus{Limit: 0, Used: 40}, -1},
		{"unlimited while blocked", BudgetStatus{Limit: 0, BlockedUntil: t0.Add(time.Hour)}, -1},
		{"fresh", BudgetStatus{Limit: 15}, 15},
		{"some used", BudgetStatus{Limit: 15, Used: 11}, 4},
		{"over", BudgetStatus{Limit: 15, Used: 20}, 0},
		{"blocked", BudgetStatus{Limit: 15, Used: 1, BlockedUntil: t0.Add(time.Second)}, 0},
		{"block over", BudgetStatus{Limit: 15, Used: 1, BlockedUntil: t0}, 14},
	} {
		if got := c.s.Remaining(t0); got != c.want {
			t.Errorf("%s: Remaining %d, want %d", c.name, got, c.want)
		}
	}
}

func TestMemoryBudgetConcurrentTake(t *testing.T) {
	clk := testkit.NewClock()
	b := NewMemoryBudget(15, time.Hour, clk.Now)
	var granted, refused atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 1000 {
		wg.Go(func() {
			<-start
			p := PriorityUser
			if i%2 == 1 {
				p = PriorityBackground
			}
			wait, ok, err := b.Take(context.Background(), p)
			switch {
			case err != nil:
				t.Error(err)
			case ok:
				granted.Add(1)
			case wait <= 0 || wait > time.Hour:
				t.Errorf("refused with wait %v", wait)
				fallthrough
			default:
				refused.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if granted.Load() != 15 || refused.Load() != 985 {
		t.Fatalf("granted %d, refused %d; want 15, 985", granted.Load(), refused.Load())
	}
	if s := status(t, b); s.Used != 15 {
		t.Fatalf("used %d", s.Used)
	}
}
