package testkit

import (
	"context"
	"sync"
	"time"
)

// Epoch is where every simulated clock starts: a fixed instant, so that a test's
// times are the same on every run.
var Epoch = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// Clock is a simulated clock: it stands still until the test moves it, so that hours
// of TTLs, budgets and throttles pass in no time and exactly. It is safe for
// concurrent use; give its Now (and Sleep) to the code under test.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	slept  []time.Duration
	onMove []func(time.Duration)
}

// NewClock returns a clock at Epoch.
func NewClock() *Clock { return &Clock{now: Epoch} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.move(d)
}

// Set moves the clock to t, forward or back.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.move(t.Sub(c.now))
}

// Sleep stands for a sleep of d: it advances the clock by d at once and records d
// (Slept), unless ctx is already done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.move(d)
	return nil
}

// Slept returns the durations given to Sleep, in order.
func (c *Clock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// OnMove registers f to be called with every move of the clock (d may be negative),
// for a simulated party whose own clock must follow: a Redis server's, say. f runs
// while the clock is locked, so that no reader sees the clock moved and the party
// not yet; it must not call the clock.
func (c *Clock) OnMove(f func(d time.Duration)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onMove = append(c.onMove, f)
}

func (c *Clock) move(d time.Duration) {
	c.now = c.now.Add(d)
	for _, f := range c.onMove {
		f(d)
	}
}
