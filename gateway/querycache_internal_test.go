package gateway

import (
	"context"
	"strconv"
	"testing"
)

// TestQueryCache checks the adapter gqlgen's document and APQ caches run on: what is
// added is found, and the cache stays within its size however many keys pass.
func TestQueryCache(t *testing.T) {
	ctx := context.Background()
	c := newQueryCache[string](100)
	if _, ok := c.Get(ctx, "missing"); ok {
		t.Fatal("a key never added was found")
	}
	c.Add(ctx, "hash", "{ a }")
	if v, ok := c.Get(ctx, "hash"); !ok || v != "{ a }" {
		t.Fatalf("Get = %q, %v", v, ok)
	}
	for i := range 10_000 {
		c.Add(ctx, strconv.Itoa(i), "q")
	}
	c.c.CleanUp()
	if n := c.c.EstimatedSize(); n > 100 {
		t.Fatalf("%d entries, want at most 100", n)
	}
}
