package bufpool

import "testing"

// TestPutDropsHugeBuffers checks that a buffer grown past MaxKept is not kept: one
// huge answer must not pin its memory for every later request.
func TestPutDropsHugeBuffers(t *testing.T) {
	b := Get()
	b.Grow(MaxKept + 1)
	Put(b)
	for range 100 {
		if c := Get(); c.Cap() > MaxKept {
			t.Fatalf("a buffer of capacity %d came back from the pool", c.Cap())
		}
	}
	p := Bytes()
	*p = make([]byte, 0, MaxKept+1)
	PutBytes(p)
	for range 100 {
		if q := Bytes(); cap(*q) > MaxKept {
			t.Fatalf("a slice of capacity %d came back from the pool", cap(*q))
		}
	}
}

// TestBuffersComeBackEmpty checks that reuse never leaks one answer's bytes into the
// next.
func TestBuffersComeBackEmpty(t *testing.T) {
	b := Get()
	b.WriteString("an earlier answer")
	Put(b)
	for range 100 {
		if c := Get(); c.Len() != 0 {
			t.Fatalf("a buffer came back holding %q", c.String())
		}
	}
	p := Bytes()
	*p = append(*p, "an earlier answer"...)
	PutBytes(p)
	for range 100 {
		if q := Bytes(); len(*q) != 0 {
			t.Fatalf("a slice came back holding %q", *q)
		}
	}
}
