package redis

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"spacegraph/catalog"
	"spacegraph/ll2"
)

// Entities is a catalog.EntityCache in Redis: each entity as JSON under its kind and
// id, with its level, the time of the answer it came from and its freshness in front,
// so that a lookup can refuse a leaner or older copy without decoding it. A local
// memory of what this process wrote keeps re-reading the same answer from rewriting
// the same entities. Every entity is also put in a local cache, if it has one, which
// answers while Redis is unreachable.
type Entities struct {
	c        *Client
	local    catalog.EntityCache
	ttl      catalog.EntityTTLs
	maxStale time.Duration
	mu       sync.Mutex
	written  map[string]written
}

// written is what this process wrote under a key: the level and the answer's time, and
// when to forget it (after which the entity is written again when seen).
type written struct {
	level  ll2.Level
	stored time.Time
	until  time.Time
}

// Entities returns the shared entity cache, which keeps stale entities for maxStale
// past their freshness; local, when not nil, is its in-process fallback.
func (c *Client) Entities(ttl catalog.EntityTTLs, maxStale time.Duration, local catalog.EntityCache) *Entities {
	return &Entities{c: c, local: local, ttl: ttl, maxStale: max(0, maxStale), written: map[string]written{}}
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
	case catalog.KindFlight:
		return &catalog.SpacecraftFlight{}
	case catalog.KindDockingEvent:
		return &catalog.DockingEvent{}
	}
	return &catalog.Family{}
}

// Get returns the fresh cached entities at level l or richer.
func (e *Entities) Get(ctx context.Context, k catalog.Kind, ids []int, l ll2.Level) map[int]catalog.Cached {
	return e.get(ctx, k, ids, l, 0)
}

// GetStale returns the cached entities at level l or richer, fresh or within
// maxStale past their freshness.
func (e *Entities) GetStale(ctx context.Context, k catalog.Kind, ids []int, l ll2.Level) map[int]catalog.Cached {
	return e.get(ctx, k, ids, l, e.maxStale)
}

func (e *Entities) get(ctx context.Context, k catalog.Kind, ids []int, l ll2.Level, stale time.Duration) map[int]catalog.Cached {
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
	cmds := make([]*goredis.StringCmd, len(keys))
	for i, key := range keys {
		cmds[i] = pipe.Get(ctx, key)
	}
	_, _ = pipe.Exec(ctx)
	vals := make([]string, len(cmds))
	for i, cmd := range cmds {
		v, err := cmd.Result()
		switch {
		case unreachable(err):
			return e.localGet(ctx, k, ids, l, stale)
		case err != nil && !errors.Is(err, goredis.Nil):
			e.c.log.WarnContext(ctx, "entity cache read failed", "key", keys[i], "err", err)
		}
		vals[i] = v
	}
	now := e.c.now()
	for i, s := range vals {
		if len(s) < 2 || ll2.Level(s[0]-'0') < l {
			continue
		}
		stored, fresh, body, ok := parseEntity(s)
		if !ok {
			// An entry of an earlier format, which knew no freshness: not to be
			// trusted, and soon replaced.
			continue
		}
		c := catalog.Cached{Stored: stored, TTL: fresh}
		if now.Sub(c.Stored) >= c.TTL+stale {
			continue
		}
		n := newEntity(k)
		if json.Unmarshal([]byte(body), n) != nil {
			e.c.log.WarnContext(ctx, "entity cache entry unreadable", "key", keys[i])
			continue
		}
		c.Value = n
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
		for id, c := range e.localGet(ctx, k, missing, l, stale) {
			out[id] = c
		}
	}
	return out
}

func (e *Entities) localGet(ctx context.Context, k catalog.Kind, ids []int, l ll2.Level, stale time.Duration) map[int]catalog.Cached {
	if e.local == nil {
		return map[int]catalog.Cached{}
	}
	if stale > 0 {
		return e.local.GetStale(ctx, k, ids, l)
	}
	return e.local.Get(ctx, k, ids, l)
}

// parseEntity reads a stored value: the level digit, the answer's time and the
// freshness in milliseconds, each followed by '|', then the JSON.
func parseEntity(s string) (stored time.Time, fresh time.Duration, body string, ok bool) {
	storedText, rest, ok1 := strings.Cut(s[1:], "|")
	freshText, body, ok2 := strings.Cut(rest, "|")
	ms, err1 := strconv.ParseInt(storedText, 10, 64)
	freshMS, err2 := strconv.ParseInt(freshText, 10, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil {
		return time.Time{}, 0, "", false
	}
	return time.UnixMilli(ms), time.Duration(freshMS) * time.Millisecond, body, true
}

// putBetter writes ARGV[1] for ARGV[2] ms unless the key holds a better entity, as
// catalog.Keeps judges: ARGV[3] is the writer's clock, ARGV[4] and ARGV[5] the new
// entity's time and freshness (ms). Freshness is judged by the times in the values
// and the writer's clock, not by Redis's expiry, which runs on Redis's clock. A value
// of an earlier format is replaced.
var putBetter = goredis.NewScript(`
local cur = redis.call("GET", KEYS[1])
if cur then
  local stored, fresh = string.match(cur, "^%d(%d+)|(%d+)|")
  if stored then
    local now = tonumber(ARGV[3])
    local nstored, nfresh = tonumber(ARGV[4]), tonumber(ARGV[5])
    stored, fresh = tonumber(stored), tonumber(fresh)
    local curFresh = now - stored < fresh
    local newFresh = now - nstored < nfresh
    if curFresh and not newFresh then return 0 end
    if curFresh == newFresh then
      local cl, nl = string.byte(cur, 1), string.byte(ARGV[1], 1)
      if cl > nl or (cl == nl and stored > nstored) then return 0 end
    end
  end
end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return 1
`)

// Put writes the entities of one response that this process has not written from
// the same answer (or a newer one) at their level already; a worse entity never
// replaces a better one (compared in Redis by a conditional write in a pipeline).
func (e *Entities) Put(ctx context.Context, s *catalog.Seen) {
	if e.local != nil {
		e.local.Put(ctx, s)
	}
	type item struct {
		key         string
		level       ll2.Level
		stored      time.Time
		fresh, keep time.Duration
		v           any
	}
	var items []item
	// Milliseconds, as stored: the age Get computes and the rewrite memory agree.
	now := e.c.now().Truncate(time.Millisecond)
	add := func(k catalog.Kind, v any) {
		if e.ttl[k] <= 0 {
			return // a kind that is not to be kept
		}
		lv, id := catalog.EntityLevel(v)
		stored, fresh := s.Lifetime(e.ttl[k], now)
		stored = stored.Truncate(time.Millisecond)
		keep := fresh + e.maxStale - now.Sub(stored)
		if keep <= 0 {
			return // too old even to stand in
		}
		key := e.key(k, id)
		e.mu.Lock()
		defer e.mu.Unlock()
		if w, ok := e.written[key]; ok && w.level >= lv && !stored.After(w.stored) && now.Before(w.until) {
			return
		}
		if len(e.written) >= maxWrittenMemory {
			clear(e.written)
		}
		e.written[key] = written{level: lv, stored: stored, until: now.Add(e.ttl[k])}
		items = append(items, item{key, lv, stored, fresh, keep, v})
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
	for _, n := range s.Flights {
		add(catalog.KindFlight, n)
	}
	for _, n := range s.DockingEvents {
		add(catalog.KindDockingEvent, n)
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
		// The value is the level (one digit), the time of the answer and how long
		// from then it is fresh (so that responses can say how old and how fresh it
		// is), then the JSON.
		val := strconv.AppendInt([]byte{byte('0' + it.level)}, it.stored.UnixMilli(), 10)
		val = append(val, '|')
		val = strconv.AppendInt(val, it.fresh.Milliseconds(), 10)
		val = append(val, '|')
		val = append(val, b...)
		putBetter.Eval(ctx, pipe, []string{it.key}, val, max(1, it.keep.Milliseconds()), now.UnixMilli(), it.stored.UnixMilli(), it.fresh.Milliseconds())
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
