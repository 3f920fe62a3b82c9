package testkit

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// Patience is how long WaitFor and Recv wait before they fail the test: long enough
// for a loaded CI machine, short enough that a hang is reported rather than killed.
const Patience = 10 * time.Second

// WaitFor polls cond until it holds, and fails the test, naming what it waited for,
// if it does not within Patience. It is for what happens in the background (a
// refresh, a reconnection); what the test drives itself needs no wait. The polls
// start a millisecond apart, so that a quick condition costs the test nothing, and
// space out to 16 ms, so that a slow one (an HTTP probe, say) does not take the CPU
// from what it waits for.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Patience)
	for pause := time.Millisecond; !cond(); pause = min(2*pause, 16*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(pause)
	}
}

// Recv receives from ch, failing the test instead of hanging when nothing comes
// within Patience.
func Recv[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(Patience):
		t.Fatal("timed out waiting for a result")
	}
	panic("unreachable")
}

// Buffer is a bytes.Buffer safe for concurrent use: a log sink for code that logs
// from many goroutines while the test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
