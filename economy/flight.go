package economy

import (
	"context"

	"golang.org/x/sync/singleflight"
)

// Flight shares one fetch among everyone who needs the same key at once. fetch runs
// at most once per key at a time (across processes, for a distributed Flight); the
// others wait for its result. A Flight need not share errors across processes: a
// waiter that finds no result may fetch itself.
type Flight interface {
	Do(ctx context.Context, key string, fetch func(context.Context) (Result, error)) (Result, error)
}

// Result is the outcome of one fetch: the entry (its status says whether it is an
// answer worth caching) and, for a 429, LL2's Retry-After header.
type Result struct {
	Entry      Entry
	RetryAfter string
	// Usable is true for answers worth serving instead of a stale copy: a 200 with a
	// JSON body, or a 404.
	Usable bool
}

// MemoryFlight is a Flight within one process.
type MemoryFlight struct {
	g singleflight.Group
}

// Do runs fetch once per key at a time; waiters give up when their own context ends
// (the fetch goes on for the others).
func (f *MemoryFlight) Do(ctx context.Context, key string, fetch func(context.Context) (Result, error)) (Result, error) {
	ch := f.g.DoChan(key, func() (any, error) {
		return fetch(context.WithoutCancel(ctx))
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return Result{}, r.Err
		}
		return r.Val.(Result), nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}
