package economy

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"spacegraph/internal/testkit"
	"spacegraph/ll2"
)

// These tests cover the LL2 client's decoded answers over the transport: the client
// keeps what it decoded from an entry and must never hand it out for another entry.

// spacecraftJSON is a detail answer for spacecraft id whose name is name (which, at
// the detailed level, lists the spacecraft's flights: none).
func spacecraftJSON(id int, name string) string {
	return `{"id":` + strconv.Itoa(id) + `,"name":"` + name + `","response_mode":"detailed","flights":[]}`
}

// newDecodingClient is an LL2 client over the rig's transport.
func newDecodingClient(t *testing.T, r *rig, decodedBytes int64) *ll2.Client {
	t.Helper()
	c, err := ll2.New(ll2.Config{BaseURL: root, Transport: r.tr, DecodedBytes: decodedBytes})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func getSpacecraft(t *testing.T, c *ll2.Client, id int) *ll2.SpacecraftDetailed {
	t.Helper()
	s, err := c.GetSpacecraft(context.Background(), id)
	if err != nil {
		t.Fatalf("spacecraft %d: %v", id, err)
	}
	return s
}

func nameOf(s *ll2.SpacecraftDetailed) string { return s.Name }

func TestTransportBodyIsShared(t *testing.T) {
	r := newRig(t, nil)
	r.base.Script("spacecraft/1/", testkit.OK(spacecraftJSON(1, "a")))
	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, root+"spacecraft/1/", nil)
		resp, err := r.tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		sb, ok := resp.Body.(ll2.SharedBody)
		if !ok {
			t.Fatalf("the body %T is not an ll2.SharedBody", resp.Body)
		}
		e, _, _ := r.store.Get(context.Background(), Key(req.URL))
		if b := sb.SharedBytes(); len(b) == 0 || &b[0] != &e.Body[0] || len(b) != len(e.Body) {
			t.Fatal("SharedBytes is not the entry's body")
		}
		_ = resp.Body.Close()
	}
}

// TestDecodedAnswerFollowsTheEntry walks one answer through every way the transport
// can replace its entry: the same entry again gives the very value decoded before; a
// stale entry still gives its own value; a refreshed, refetched or rewritten entry
// (even with the same fetch time and length) gives a value decoded from its bytes.
func TestDecodedAnswerFollowsTheEntry(t *testing.T) {
	r := newRig(t, nil)
	gate, open := newGate(t)
	r.base.Script("spacecraft/1/",
		testkit.OK(spacecraftJSON(1, "v1")),
		testkit.Answer{Status: http.StatusOK, Body: spacecraftJSON(1, "v2"), Gate: gate},
		testkit.OK(spacecraftJSON(1, "v3")))
	c := newDecodingClient(t, r, 0)

	first := getSpacecraft(t, c, 1)
	if again := getSpacecraft(t, c, 1); again != first || nameOf(again) != "v1" {
		t.Fatalf("a fresh hit gave %q at %p, want the value decoded before (%p)", nameOf(again), again, first)
	}

	// Stale while revalidating: the stale entry is served, and so is its value.
	r.clk.Advance(time.Hour + time.Minute)
	if s := getSpacecraft(t, c, 1); s != first {
		t.Fatalf("the stale entry gave %q, want the value decoded from it", nameOf(s))
	}
	testkit.WaitFor(t, "the refresh to reach the base", func() bool { return r.base.Held() == 1 })
	open()
	idle(t, r.tr)
	refreshed := getSpacecraft(t, c, 1)
	if nameOf(refreshed) != "v2" {
		t.Fatalf("after the refresh: %q, want v2", nameOf(refreshed))
	}
	if again := getSpacecraft(t, c, 1); again != refreshed {
		t.Fatal("the refreshed entry was decoded again")
	}

	// Past stale-while-revalidate the request itself fetches.
	r.clk.Advance(3 * time.Hour)
	if s := getSpacecraft(t, c, 1); nameOf(s) != "v3" {
		t.Fatalf("after a refetch: %q, want v3", nameOf(s))
	}

	// An entry rewritten with the same fetch time and the same length (another
	// replica's write, a clock that did not move): only the bytes tell.
	key := Key(mustURL(root + "spacecraft/1/"))
	e, ok, _ := r.store.Get(context.Background(), key)
	if !ok {
		t.Fatal("no entry")
	}
	e.Body = []byte(spacecraftJSON(1, "v4"))
	if err := r.store.Set(context.Background(), key, e, time.Hour); err != nil {
		t.Fatal(err)
	}
	if s := getSpacecraft(t, c, 1); nameOf(s) != "v4" {
		t.Fatalf("after a rewrite with the same Fetched: %q, want v4", nameOf(s))
	}
	if n := r.base.CallsFor("spacecraft/1/"); n != 3 {
		t.Fatalf("%d calls, want 3", n)
	}
}

// copyingStore returns a copy of each entry's body, as a store outside the process
// (Redis) does.
type copyingStore struct{ *clockStore }

func (s copyingStore) Get(ctx context.Context, key string) (Entry, bool, error) {
	e, ok, err := s.clockStore.Get(ctx, key)
	e.Body = bytes.Clone(e.Body)
	return e, ok, err
}

func TestDecodedAnswerFromCopiedBytes(t *testing.T) {
	r := newRig(t, func(o *Options) { o.Store = copyingStore{newClockStore(o.Now)} })
	r.base.Script("spacecraft/1/", testkit.OK(spacecraftJSON(1, "v1")))
	c := newDecodingClient(t, r, 0)
	first := getSpacecraft(t, c, 1)
	if again := getSpacecraft(t, c, 1); again != first {
		t.Fatal("equal bytes in another slice were decoded again")
	}
	key := Key(mustURL(root + "spacecraft/1/"))
	e, _, _ := r.tr.Store().Get(context.Background(), key)
	e.Body = []byte(spacecraftJSON(1, "v2"))
	if err := r.tr.Store().Set(context.Background(), key, e, time.Hour); err != nil {
		t.Fatal(err)
	}
	if s := getSpacecraft(t, c, 1); nameOf(s) != "v2" {
		t.Fatalf("after a rewrite: %q, want v2", nameOf(s))
	}
}

// TestUnsharedBodiesDecodedEachTime: a transport whose bodies are not SharedBody (the
// network) gives the client nothing to recognise an answer by.
func TestUnsharedBodiesDecodedEachTime(t *testing.T) {
	base := testkit.NewFakeLL2()
	base.Script("spacecraft/1/", testkit.OK(spacecraftJSON(1, "v1")))
	c, err := ll2.New(ll2.Config{BaseURL: root, Transport: base})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := getSpacecraft(t, c, 1), getSpacecraft(t, c, 1); a == b || c.DecodedSize() != 0 {
		t.Fatalf("unshared bodies: same value %v, %d bytes kept", a == b, c.DecodedSize())
	}
}

func TestDecodedAnswersBounded(t *testing.T) {
	r := newRig(t, func(o *Options) { o.TTLs = TTLs{Default: time.Hour} })
	pad := strings.Repeat("x", 2000)
	const bound = 64 << 10
	c := newDecodingClient(t, r, bound)
	for id := 1; id <= 200; id++ {
		r.base.Script(fmt.Sprintf("spacecraft/%d/", id), testkit.OK(spacecraftJSON(id, pad)))
		if s := getSpacecraft(t, c, id); s.ID != id {
			t.Fatalf("asked for %d, got %d", id, s.ID)
		}
	}
	// 200 answers of about 2 KB weigh over 1.6 MB by the estimate: the bound keeps a
	// few, whatever otter's eviction has still to catch up on.
	testkit.WaitFor(t, "the decoded answers to fit the bound", func() bool {
		getSpacecraft(t, c, 1) // reads and writes drive otter's maintenance
		return c.DecodedSize() <= bound
	})
	if c.DecodedSize() == 0 {
		t.Fatal("nothing kept")
	}

	// An answer heavier than the whole bound is not kept, and still answers.
	r.base.Script("spacecraft/999/", testkit.OK(spacecraftJSON(999, strings.Repeat("y", bound))))
	a, b := getSpacecraft(t, c, 999), getSpacecraft(t, c, 999)
	if a.ID != 999 || b.ID != 999 {
		t.Fatal("the heavy answer")
	}
	testkit.WaitFor(t, "the decoded answers to fit the bound", func() bool { return c.DecodedSize() <= bound })

	off := newDecodingClient(t, r, -1)
	if x, y := getSpacecraft(t, off, 1), getSpacecraft(t, off, 1); x == y || off.DecodedSize() != 0 {
		t.Fatal("DecodedBytes < 0 should keep nothing")
	}
}

// TestDecodedAnswersConcurrent reads one answer from many goroutines while its entry
// is rewritten: every value read must be one that some entry held (run with -race),
// and once the writes stop every read gives the last one.
func TestDecodedAnswersConcurrent(t *testing.T) {
	r := newRig(t, nil)
	r.base.Script("spacecraft/1/", testkit.OK(spacecraftJSON(1, "v0")))
	c := newDecodingClient(t, r, 0)
	getSpacecraft(t, c, 1)
	key := Key(mustURL(root + "spacecraft/1/"))
	const versions = 50
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	stop := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				s, err := c.GetSpacecraft(context.Background(), 1)
				if err != nil {
					errs <- err
					return
				}
				if n := nameOf(s); len(n) < 2 || n[0] != 'v' {
					errs <- fmt.Errorf("read %q", n)
					return
				}
			}
		})
	}
	for v := 1; v <= versions; v++ {
		e, _, _ := r.store.Get(context.Background(), key)
		e.Body = []byte(spacecraftJSON(1, "v"+strconv.Itoa(v)))
		if err := r.store.Set(context.Background(), key, e, time.Hour); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Microsecond)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := "v" + strconv.Itoa(versions)
	for range 3 {
		if s := getSpacecraft(t, c, 1); nameOf(s) != want {
			t.Fatalf("after the last write: %q, want %q", nameOf(s), want)
		}
	}
}

// TestClientRejectionIsNotKept runs the LL2 client over the transport: an answer the
// client rejects (another object) is reported as a bad response and not kept, so that
// the next call brings the right one; the good one is kept.
func TestClientRejectionIsNotKept(t *testing.T) {
	r := newRig(t, nil)
	r.base.Script("spacecraft/1/", testkit.OK(spacecraftJSON(2, "other")), testkit.OK(spacecraftJSON(1, "one")))
	c := newDecodingClient(t, r, 0)
	if _, err := c.GetSpacecraft(context.Background(), 1); ll2.KindOf(err) != ll2.KindBadResponse {
		t.Fatalf("another object: %v, want a bad response", err)
	}
	if r.store.Len() != 0 {
		t.Fatal("the rejected answer was kept")
	}
	if s := getSpacecraft(t, c, 1); nameOf(s) != "one" {
		t.Fatalf("after: %q", nameOf(s))
	}
	getSpacecraft(t, c, 1)
	if n := r.base.CallsFor("spacecraft/1/"); n != 2 || r.store.Len() != 1 {
		t.Fatalf("%d calls, %d entries; want 2 calls and the good answer kept", n, r.store.Len())
	}
}
