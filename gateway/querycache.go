package gateway

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/maypok86/otter/v2"

	"spacegraph/redis"
)

// queryCache is a graphql.Cache (gqlgen's parsed documents and APQ hashes) in otter,
// the module's one cache library, in place of gqlgen's own LRU: its W-TinyLFU
// eviction keeps the documents every frontend sends when a burst of one-off ones
// arrives, and its reads take no lock.
type queryCache[T any] struct {
	c *otter.Cache[string, T]
}

var _ graphql.Cache[any] = queryCache[any]{}

// newQueryCache returns a cache of at most size entries.
func newQueryCache[T any](size int) queryCache[T] {
	return queryCache[T]{c: otter.Must(&otter.Options[string, T]{MaximumSize: size})}
}

// Get returns the value kept under key.
func (q queryCache[T]) Get(_ context.Context, key string) (T, bool) { return q.c.GetIfPresent(key) }

// Add keeps value under key.
func (q queryCache[T]) Add(_ context.Context, key string, value T) { q.c.Set(key, value) }

var _ graphql.Cache[string] = (*redis.Documents)(nil)

// persistedQueries returns the cache of automatic persisted queries, of at most size
// documents in the process. With Redis it is shared by every replica (redis.Documents,
// over the in-process cache as its fallback), so that a client whose requests are
// spread over replicas registers each document once, not once per replica.
func (g *Gateway) persistedQueries(size int) graphql.Cache[string] {
	local := newQueryCache[string](size)
	if g.redis == nil {
		return local
	}
	return g.redis.Documents(local, 0, g.cfg.Protection.MaxDocumentBytes)
}
