package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// ErrUnavailable is what every Redis operation returns, at once and without a round
// trip, while the client holds Redis for unreachable: from a failure that showed it
// (a timeout, a refused or broken connection, a cluster that is down) until a probe
// gets an answer again.
var ErrUnavailable = errors.New("redis: redis is unreachable")

// Defaults of the health of the connection.
const (
	// DefaultTimeout bounds each Redis operation, dial and retry included. Redis
	// answers in well under a millisecond on its network; an operation this slow is
	// an outage, and a request must not wait longer than this for a cache.
	DefaultTimeout = 250 * time.Millisecond
	// DefaultProbeEvery is how often the health probe pings Redis: while it is
	// reachable, so that an outage shows without traffic, and while it is not, to
	// notice its return.
	DefaultProbeEvery = 500 * time.Millisecond
)

// health is the circuit breaker in front of Redis: every command and pipeline of the
// client goes through it (as a go-redis hook), bounded by the timeout; one command
// that fails for want of Redis opens the breaker, and then every command fails at once
// with ErrUnavailable, so that no request pays a timeout while Redis is away. Only
// the probe, in the breaker's half-open state, tries Redis again; its success closes
// the breaker. The transitions are logged and reported once each.
type health struct {
	cb       *gobreaker.CircuitBreaker[struct{}]
	timeout  time.Duration
	log      *slog.Logger
	degraded atomic.Bool
	lastErr  atomic.Pointer[error]
	onChange func(degraded bool)
}

func newHealth(timeout, probeEvery time.Duration, log *slog.Logger, onChange func(bool)) *health {
	h := &health{timeout: timeout, log: log, onChange: onChange}
	h.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name: "redis",
		// One probe at a time in the half-open state; requests never probe.
		MaxRequests: 1,
		// Half-open comes before the next probe is due, so that each probe after a
		// failure does reach Redis.
		Timeout:      probeEvery / 2,
		ReadyToTrip:  func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 },
		IsSuccessful: func(err error) bool { return !unreachable(err) },
		IsExcluded: func(err error) bool {
			var g callerGaveUp
			return errors.As(err, &g)
		},
		OnStateChange: h.stateChanged,
	})
	return h
}

// stateChanged turns the breaker's three states into two (ok, degraded), logged once
// per transition.
func (h *health) stateChanged(_ string, from, to gobreaker.State) {
	switch {
	case from == gobreaker.StateClosed:
		h.degraded.Store(true)
		var err error
		if p := h.lastErr.Load(); p != nil {
			err = *p
		}
		h.log.Warn("redis is unreachable: serving from the in-process caches and a local share of the call budget until it answers again", "err", err)
	case to == gobreaker.StateClosed:
		h.degraded.Store(false)
		h.log.Info("redis answers again: the shared caches, locks and budget are back in use")
	default:
		return
	}
	if h.onChange != nil {
		h.onChange(to != gobreaker.StateClosed)
	}
}

// callerGaveUp marks a failure that is the caller's own (its context ended), which
// says nothing of Redis.
type callerGaveUp struct{ err error }

func (c callerGaveUp) Error() string { return c.err.Error() }

// probeKey marks the probe's context: the probe alone passes a breaker that is not
// closed.
type probeKey struct{}

// insideKey marks the context of an operation that passed the breaker: commands that
// go-redis sends on its behalf (a new connection's HELLO, a cluster's slot map) go
// through the hooks again and must not count, nor be refused, a second time.
type insideKey struct{}

// run runs one command or pipeline through the breaker, with its own deadline.
func (h *health) run(ctx context.Context, next func(context.Context) error) error {
	if ctx.Value(insideKey{}) != nil {
		return next(ctx)
	}
	if ctx.Value(probeKey{}) == nil && h.cb.State() != gobreaker.StateClosed {
		return ErrUnavailable
	}
	_, err := h.cb.Execute(func() (struct{}, error) {
		octx, cancel := context.WithTimeout(context.WithValue(ctx, insideKey{}, true), h.timeout)
		defer cancel()
		err := next(octx)
		if err != nil && ctx.Err() != nil {
			return struct{}{}, callerGaveUp{err}
		}
		if unreachable(err) {
			h.lastErr.Store(&err)
		}
		return struct{}{}, err
	})
	var g callerGaveUp
	switch {
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return ErrUnavailable
	case errors.As(err, &g):
		return g.err
	}
	return err
}

// DialHook leaves dialling alone: its time counts in the command's deadline.
func (h *health) DialHook(next goredis.DialHook) goredis.DialHook { return next }

// ProcessHook runs each command through the breaker.
func (h *health) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		err := h.run(ctx, func(ctx context.Context) error { return next(ctx, cmd) })
		if errors.Is(err, ErrUnavailable) {
			cmd.SetErr(err)
		}
		return err
	}
}

// ProcessPipelineHook runs each pipeline through the breaker, as one operation.
func (h *health) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		err := h.run(ctx, func(ctx context.Context) error { return next(ctx, cmds) })
		if errors.Is(err, ErrUnavailable) {
			for _, c := range cmds {
				c.SetErr(err)
			}
		}
		return err
	}
}

// unreachable reports whether err says that Redis could not serve (rather than that
// it answered: a miss, a wrong type, a script error). Replies that mean the server or
// cluster cannot serve now count as unreachable.
func unreachable(err error) bool {
	if err == nil || errors.Is(err, goredis.Nil) {
		return false
	}
	var re goredis.Error
	if errors.As(err, &re) {
		return goredis.IsClusterDownError(err) || goredis.IsLoadingError(err) || goredis.IsMasterDownError(err) ||
			goredis.IsTryAgainError(err) || goredis.IsReadOnlyError(err)
	}
	// Anything else (a timeout, a refused, reset or closed connection, an empty
	// pool, ErrUnavailable) is Redis not answering, except the caller's cancelling.
	return !errors.Is(err, context.Canceled)
}

// debugLogger passes go-redis's own log lines (a failed dial at each probe while
// Redis is away, …) to slog's default logger at debug level: the outage is logged
// once, by health, and a line per probe would bury it.
type debugLogger struct{}

func (debugLogger) Printf(ctx context.Context, format string, v ...any) {
	slog.Default().DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}

var quietOnce sync.Once

// quietGoRedis installs debugLogger; go-redis's logger is global to the process.
func quietGoRedis() { quietOnce.Do(func() { goredis.SetLogger(debugLogger{}) }) }

// probe pings Redis every interval until ctx ends; see health.
func (c *Client) probe(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	pctx := context.WithValue(ctx, probeKey{}, true)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_ = c.rdb.Ping(pctx).Err()
	}
}
