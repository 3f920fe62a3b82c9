package rediscache

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"spacegraph/catalog"
	"spacegraph/ll2"
)

// Entities is a catalog.EntityCache in Redis: each entity as JSON under its kind and
// id, with its level in front, so that a lookup can refuse a leaner copy without
// decoding it. A local memory of what this process wrote (and at which level) keeps
// re-reading the same page from rewriting the same entities. Every entity is also put
// in a local cache, if it has one, which answers while Redis is unreachable.
type Entities struct {
	c       *Client
	local   catalog.EntityCache
	ttl     catalog.EntityTTLs
	mu      sync.Mutex
	written map[string]written
}

// written is what this process wrote under a key: the level, and when the key expires
// (after which the entity must be written again when seen).
type written struct {
	level ll2.Level
	until time.Time
}

// Entities returns the shared entity cache; local, when not nil, is its in-process
// fallback.
func (c *Client) Entities(ttl catalog.EntityTTLs, local catalog.EntityCache) *Entities {
	return &Entities{c: c, local: local, ttl: ttl, written: map[string]written{}}
}

// maxWrittenMemory bounds the local memory of writes; it is cleared when full.
const maxWrittenMemory = 100_000

func (e *Entities) key(k catalog.Kind, id int) string {
	return e.c.prefix + "entity:" + strconv.Itoa(int(k)) + ":" + strconv.Itoa(id)
}

func newEntity(k catalog.Kind) any {
	switch k {
	case catalog.KindSpacecraft:
		return &catalog.Spacecraft{}
	case catalog.KindConfig:
		return &catalog.SpacecraftConfig{}
	case catalog.KindAgency:
		return &catalog.Agency{}
	}
	return &catalog.Family{}
}

// Get returns the cached entities at level l or richer.
func (e *Entities) Get(ctx context.Context, k catalog.Kind, ids []int, l ll2.Level) map[int]catalog.Cached {
	out := map[int]catalog.Cached{}
	if len(ids) == 0 {
		return out
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = e.key(k, id)
	}
	// One GET per key in a pipeline rather than an MGET: on Redis Cluster the keys
	// are in different slots, and the pipeline is split by node.
	pipe := e.c.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(keys))
	for i, key := range keys {
		cmds[i] = pipe.Get(ctx, key)
	}
	_, _ = pipe.Exec(ctx)
	vals := make([]string, len(cmds))
	for i, cmd := range cmds {
		v, err := cmd.Result()
		switch {
		case unreachable(err):
			return e.localGet(ctx, k, ids, l)
		case err != nil && !errors.Is(err, redis.Nil):
			e.c.log.WarnContext(ctx, "entity cache read failed", "key", keys[i], "err", err)
		}
		vals[i] = v
	}
	for i, s := range vals {
		if len(s) < 2 || ll2.Level(s[0]-'0') < l {
			continue
		}
		stored, body, ok := strings.Cut(s[1:], "|")
		ms, err := strconv.ParseInt(stored, 10, 64)
		n := newEntity(k)
		if !ok || err != nil || json.Unmarshal([]byte(body), n) != nil {
			e.c.log.WarnContext(ctx, "entity cache entry unreadable", "key", keys[i])
			continue
		}
		c := catalog.Cached{Value: n, Stored: time.UnixMilli(ms), TTL: e.ttl[k]}
		if e.c.now().Sub(c.Stored) >= c.TTL {
			continue
		}
		out[ids[i]] = c
	}
	// What Redis lacks (lost, or written by this process while Redis was away), the
	// local cache may have.
	if e.local != nil && len(out) < len(ids) {
		var missing []int
		for _, id := range ids {
			if _, ok := out[id]; !ok {
				missing = append(missing, id)
			}
		}
		for id, c := range e.local.Get(ctx, k, missing, l) {
			out[id] = c
		}
	}
	return out
}

func (e *Entities) localGet(ctx context.Context, k catalog.Kind, ids []int, l ll2.Level) map[int]catalog.Cached {
	if e.local == nil {
		return map[int]catalog.Cached{}
	}
	return e.local.Get(ctx, k, ids, l)
}

// putRicher writes ARGV[1] for ARGV[2] ms unless the key holds a richer level (the
// first byte of each value is the level) that is still fresh. Freshness is judged as
// Get judges it, by the stored time in the value and the writer's clock (ARGV[3], in
// ms), not by Redis's expiry: Redis keeps the key a little longer (its TTL starts when
// the write arrives), and a richer entry that Get already ignores must not refuse the
// leaner sighting that replaces it, or the entity would go uncached for a whole TTL.
var putRicher = redis.NewScript(`
local cur = redis.call("GET", KEYS[1])
if cur and string.byte(cur, 1) > string.byte(ARGV[1], 1) then
  local stored = tonumber(string.match(cur, "^%d(%d+)|"))
  if not stored or stored + tonumber(ARGV[2]) > tonumber(ARGV[3]) then return 0 end
end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return 1
`)

// Put writes the entities of one response that this process has not written at their
// level already; a leaner entity never replaces a richer one (the level is compared
// in Redis by a conditional write in a pipeline).
func (e *Entities) Put(ctx context.Context, s *catalog.Seen) {
	if e.local != nil {
		e.local.Put(ctx, s)
	}
	type item struct {
		key   string
		kind  catalog.Kind
		level ll2.Level
		v     any
	}
	var items []item
	// Milliseconds, as stored: the age Get computes and the rewrite memory agree.
	now := e.c.now().Truncate(time.Millisecond)
	add := func(k catalog.Kind, v any) {
		lv, id := catalog.EntityLevel(v)
		key := e.key(k, id)
		e.mu.Lock()
		defer e.mu.Unlock()
		if w, ok := e.written[key]; ok && w.level >= lv && now.Before(w.until) {
			return
		}
		if len(e.written) >= maxWrittenMemory {
			clear(e.written)
		}
		e.written[key] = written{level: lv, until: now.Add(e.ttl[k])}
		items = append(items, item{key, k, lv, v})
	}
	for _, n := range s.Spacecraft {
		add(catalog.KindSpacecraft, n)
	}
	for _, n := range s.Configs {
		add(catalog.KindConfig, n)
	}
	for _, n := range s.Agencies {
		add(catalog.KindAgency, n)
	}
	for _, n := range s.Families {
		add(catalog.KindFamily, n)
	}
	if len(items) == 0 {
		return
	}
	pipe := e.c.rdb.Pipeline()
	for _, it := range items {
		b, err := json.Marshal(it.v)
		if err != nil {
			continue
		}
		// The value is the level (one digit, compared by putRicher), the time it was
		// stored (so that responses can say how old it is), then the JSON.
		val := append(strconv.AppendInt([]byte{byte('0' + it.level)}, now.UnixMilli(), 10), '|')
		val = append(val, b...)
		if e.ttl[it.kind] <= 0 {
			continue // a kind that is not to be kept
		}
		putRicher.Eval(ctx, pipe, []string{it.key}, val, e.ttl[it.kind].Milliseconds(), now.UnixMilli())
	}
	if _, err := pipe.Exec(ctx); err != nil {
		if !unreachable(err) {
			e.c.log.WarnContext(ctx, "entity cache write failed", "err", err)
		}
		e.mu.Lock()
		clear(e.written)
		e.mu.Unlock()
	}
}
