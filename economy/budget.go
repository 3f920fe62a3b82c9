package economy

import (
	"context"
	"errors"
	"fmt"
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
	// The budget's ceiling still applies: Sync never lets more calls out than the
	// operator allowed. An implausible answer (see CheckSync) is refused with an error
	// wrapping ErrImplausibleSync and changes nothing; a next use longer than the window
	// is cut to the window.
	Sync(ctx context.Context, limit int, window time.Duration, used int, nextUse time.Duration) error
	// Status reports the budget.
	Status(ctx context.Context) (BudgetStatus, error)
}

// Rule is one limit on calls: Limit calls in any Window.
type Rule struct {
	Limit  int
	Window time.Duration
}

// Bounds of what Sync accepts from LL2. LL2's tiers range from 15 calls an hour to a
// few thousand; the unthrottled development server reports a million. A limit past
// these bounds, or a window of more than a day, is a broken answer, not a budget.
const (
	MaxSyncLimit  = 1_000_000
	MaxSyncWindow = 24 * time.Hour
)

// ErrImplausibleSync is wrapped by Sync's refusals.
var ErrImplausibleSync = errors.New("implausible LL2 limit")

// CheckSync reports why a limit, window, count and next use read from LL2 must not
// be trusted, or nil. A missing field reads as zero, and a limit of zero would make
// the budget unlimited.
func CheckSync(limit int, window time.Duration, used int, nextUse time.Duration) error {
	switch {
	case limit <= 0 || limit > MaxSyncLimit:
		return fmt.Errorf("upstream: %w: limit %d, want 1..%d", ErrImplausibleSync, limit, MaxSyncLimit)
	case window <= 0 || window > MaxSyncWindow:
		return fmt.Errorf("upstream: %w: window %s, want more than 0 and at most %s", ErrImplausibleSync, window, MaxSyncWindow)
	case used < 0:
		return fmt.Errorf("upstream: %w: %d calls used", ErrImplausibleSync, used)
	case nextUse < 0:
		return fmt.Errorf("upstream: %w: next use in %s", ErrImplausibleSync, nextUse)
	}
	return nil
}

// BackgroundReserve is the share of the window that background refreshes leave to
// users (at least one call).
const BackgroundReserve = 0.2

func reserve(limit int) int { return max(1, int(float64(limit)*BackgroundReserve)) }

// MemoryBudget is a Budget in process memory.
type MemoryBudget struct {
	mu sync.Mutex
	// upstream is LL2's limit: the configured one until Sync brings LL2's own.
	upstream Rule
	// ceiling is the operator's cap, which Sync never raises (limit 0: none).
	ceiling Rule
	calls   []time.Time
	blocked time.Time
	now     func() time.Time
}

// NewMemoryBudget returns a budget of limit calls per window; limit 0 is unlimited
// (the built-in server without a throttle). now is the clock (nil: time.Now). Sync
// replaces the limit with LL2's; SetCeiling adds a cap that Sync cannot raise.
func NewMemoryBudget(limit int, window time.Duration, now func() time.Time) *MemoryBudget {
	if now == nil {
		now = time.Now
	}
	return &MemoryBudget{upstream: Rule{Limit: limit, Window: window}, now: now}
}

// SetCeiling caps the budget at limit calls per window, whatever LL2 allows (the
// operator's --budget-limit): a call goes out only when both the ceiling and LL2's
// limit have room. Limit 0 removes the cap.
func (b *MemoryBudget) SetCeiling(limit int, window time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ceiling = Rule{Limit: limit, Window: window}
}

// rules returns the limits in force. Callers hold mu.
func (b *MemoryBudget) rules() []Rule {
	rs := make([]Rule, 0, 2)
	for _, r := range [...]Rule{b.upstream, b.ceiling} {
		if r.Limit > 0 && r.Window > 0 {
			rs = append(rs, r)
		}
	}
	return rs
}

// keep is how long a call counts: the longest window in force. Callers hold mu.
func (b *MemoryBudget) keep() time.Duration { return max(b.upstream.Window, b.ceiling.Window) }

// prune drops calls that left every window. Callers hold mu.
func (b *MemoryBudget) prune(now time.Time) {
	cut := 0
	for cut < len(b.calls) && !b.calls[cut].After(now.Add(-b.keep())) {
		cut++
	}
	b.calls = b.calls[cut:]
}

// inWindow returns the index of the first call within window before now. Callers
// hold mu; the calls are in time order.
func (b *MemoryBudget) inWindow(now time.Time, window time.Duration) int {
	i := 0
	for i < len(b.calls) && !b.calls[i].After(now.Add(-window)) {
		i++
	}
	return i
}

// Take claims a call.
func (b *MemoryBudget) Take(_ context.Context, p Priority) (time.Duration, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if now.Before(b.blocked) {
		return b.blocked.Sub(now), false, nil
	}
	rules := b.rules()
	if len(rules) == 0 {
		return 0, true, nil
	}
	b.prune(now)
	var wait time.Duration
	for _, r := range rules {
		allowed := r.Limit
		if p == PriorityBackground {
			allowed -= reserve(r.Limit)
		}
		first := b.inWindow(now, r.Window)
		used := len(b.calls) - first
		switch {
		case used < allowed:
			continue
		case allowed <= 0:
			// The reserve is the whole limit (limit 1): the background never goes.
			wait = max(wait, r.Window)
		default:
			// The call that frees a slot is the (used-allowed)-th oldest in the window.
			wait = max(wait, r.Window-now.Sub(b.calls[first+used-allowed]))
		}
	}
	if wait > 0 {
		return wait, false, nil
	}
	b.calls = append(b.calls, now)
	return 0, true, nil
}

// Block stops every call until t, or for the longest window at most: no 429 justifies
// a longer wait, and a wait read from a garbled header must not stop the gateway for
// days.
func (b *MemoryBudget) Block(_ context.Context, t time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	t = capWait(b.now(), t, b.keep())
	if t.After(b.blocked) {
		b.blocked = t
	}
	return nil
}

// capWait returns t, or now plus window when t is later.
func capWait(now, t time.Time, window time.Duration) time.Time {
	if window > 0 && t.After(now.Add(window)) {
		return now.Add(window)
	}
	return t
}

// SetLimit replaces the limit Sync would set, without Sync's checks of LL2's answer
// (limit 0: unlimited): for a budget whose limit is derived, not read from LL2, such as
// a replica's local share of a shared budget.
func (b *MemoryBudget) SetLimit(limit int, window time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.upstream = Rule{Limit: limit, Window: window}
}

// Sync adopts LL2's limit, window and count, under the ceiling.
func (b *MemoryBudget) Sync(_ context.Context, limit int, window time.Duration, used int, nextUse time.Duration) error {
	if err := CheckSync(limit, window, used, nextUse); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.upstream = Rule{Limit: limit, Window: window}
	b.prune(now)
	// Calls LL2 counted that we did not make are assumed made now: the latest they can
	// have been, so the window frees them no earlier than LL2 does.
	for n := len(b.calls) - b.inWindow(now, window); n < min(used, limit); n++ {
		b.calls = append(b.calls, now)
	}
	if t := now.Add(min(nextUse, window)); nextUse > 0 && t.After(b.blocked) {
		b.blocked = t
	}
	return nil
}

// Status reports the budget by the limit in force with the fewest calls left.
func (b *MemoryBudget) Status(context.Context) (BudgetStatus, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.prune(now)
	s := BudgetStatus{Window: b.upstream.Window, Used: len(b.calls) - b.inWindow(now, b.upstream.Window), BlockedUntil: b.blocked}
	for _, r := range b.rules() {
		used := len(b.calls) - b.inWindow(now, r.Window)
		if s.Limit == 0 || r.Limit-used < s.Limit-s.Used {
			s.Limit, s.Window, s.Used = r.Limit, r.Window, used
		}
	}
	return s, nil
}
