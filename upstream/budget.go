package upstream

import (
	"context"
	"sync"
	"time"
)

// Priority orders the claims on the budget: a call a user waits for goes before a
// background refresh, which may not spend the last calls of the window.
type Priority int8

// The priorities.
const (
	PriorityUser Priority = iota
	PriorityBackground
)

// BudgetStatus describes the budget at a moment.
type BudgetStatus struct {
	// Limit is how many calls the window allows; 0 means unlimited.
	Limit  int
	Window time.Duration
	// Used is how many calls the window holds now.
	Used int
	// BlockedUntil is set after LL2 answered 429: no call goes out before it.
	BlockedUntil time.Time
}

// Remaining is how many calls may go out now.
func (s BudgetStatus) Remaining(now time.Time) int {
	if s.Limit <= 0 {
		return -1
	}
	if now.Before(s.BlockedUntil) {
		return 0
	}
	return max(0, s.Limit-s.Used)
}

// Budget is LL2's rate limit as seen from our side: a sliding window of calls, as
// Django REST framework's throttle counts them, so that the gateway never sends a call
// LL2 would refuse.
type Budget interface {
	// Take claims a call. When none is available it returns ok false and how long until
	// one is; it never waits.
	Take(ctx context.Context, p Priority) (wait time.Duration, ok bool, err error)
	// Block stops every call until t, after LL2 answered 429.
	Block(ctx context.Context, until time.Time) error
	// Sync adopts a limit and window (LL2's api-throttle/) and the calls LL2 has
	// counted, so that calls made by others under the same key or address are counted.
	Sync(ctx context.Context, limit int, window time.Duration, used int, nextUse time.Duration) error
	// Status reports the budget.
	Status(ctx context.Context) (BudgetStatus, error)
}

// BackgroundReserve is the share of the window that background refreshes leave to
// users (at least one call).
const BackgroundReserve = 0.2

func reserve(limit int) int { return max(1, int(float64(limit)*BackgroundReserve)) }

// MemoryBudget is a Budget in process memory.
type MemoryBudget struct {
	mu      sync.Mutex
	limit   int
	window  time.Duration
	calls   []time.Time
	blocked time.Time
	now     func() time.Time
}

// NewMemoryBudget returns a budget of limit calls per window; limit 0 is unlimited
// (the built-in server without a throttle). now is the clock (nil: time.Now).
func NewMemoryBudget(limit int, window time.Duration, now func() time.Time) *MemoryBudget {
	if now == nil {
		now = time.Now
	}
	return &MemoryBudget{limit: limit, window: window, now: now}
}

// prune drops calls that left the window. Callers hold mu.
func (b *MemoryBudget) prune(now time.Time) {
	cut := 0
	for cut < len(b.calls) && !b.calls[cut].After(now.Add(-b.window)) {
		cut++
	}
	b.calls = b.calls[cut:]
}

// Take claims a call.
func (b *MemoryBudget) Take(_ context.Context, p Priority) (time.Duration, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if now.Before(b.blocked) {
		return b.blocked.Sub(now), false, nil
	}
	if b.limit <= 0 {
		return 0, true, nil
	}
	b.prune(now)
	allowed := b.limit
	if p == PriorityBackground {
		allowed -= reserve(b.limit)
	}
	if len(b.calls) >= allowed {
		if allowed <= 0 {
			// The reserve is the whole limit (limit 1): the background never goes.
			return b.window, false, nil
		}
		// The call that frees a slot is the (len-allowed)-th oldest.
		i := len(b.calls) - allowed
		return b.window - now.Sub(b.calls[i]), false, nil
	}
	b.calls = append(b.calls, now)
	return 0, true, nil
}

// Block stops every call until t.
func (b *MemoryBudget) Block(_ context.Context, t time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.After(b.blocked) {
		b.blocked = t
	}
	return nil
}

// Sync adopts LL2's limit, window and count.
func (b *MemoryBudget) Sync(_ context.Context, limit int, window time.Duration, used int, nextUse time.Duration) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.limit, b.window = limit, window
	b.prune(now)
	// Calls LL2 counted that we did not make are assumed made now: the latest they can
	// have been, so the window frees them no earlier than LL2 does.
	for len(b.calls) < used {
		b.calls = append(b.calls, now)
	}
	if nextUse > 0 && now.Add(nextUse).After(b.blocked) {
		b.blocked = now.Add(nextUse)
	}
	return nil
}

// Status reports the budget.
func (b *MemoryBudget) Status(context.Context) (BudgetStatus, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.prune(b.now())
	return BudgetStatus{Limit: b.limit, Window: b.window, Used: len(b.calls), BlockedUntil: b.blocked}, nil
}
