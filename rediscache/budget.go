package rediscache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"spacegraph/upstream"
)

// Budget is an upstream.Budget in Redis, shared by every replica: a sorted set of the
// calls in the window (DRF's sliding window, as LL2 counts), a key that blocks all
// calls after a 429, and the limit and window in a hash that api-throttle/ updates.
// Each claim is one Lua script, so concurrent replicas never overspend.
type Budget struct {
	c                      *Client
	calls, blocked, config string
}

// Budget returns the shared budget, seeding its limit and window when no replica has.
func (c *Client) Budget(ctx context.Context, limit int, window time.Duration) (*Budget, error) {
	b := &Budget{c: c, calls: c.prefix + "budget:calls", blocked: c.prefix + "budget:blocked", config: c.prefix + "budget:config"}
	if err := c.rdb.HSetNX(ctx, b.config, "limit", limit).Err(); err != nil {
		return nil, err
	}
	if err := c.rdb.HSetNX(ctx, b.config, "window_ms", window.Milliseconds()).Err(); err != nil {
		return nil, err
	}
	return b, nil
}

// take claims a call: ARGV now_ms, member, background(0/1), reserve share.
// It returns {1, 0} when granted, {0, wait_ms} when not; limit 0 is unlimited.
var take = redis.NewScript(`
local now = tonumber(ARGV[1])
local blocked = tonumber(redis.call("GET", KEYS[2]) or "0")
if blocked > now then return {0, blocked - now} end
local limit = tonumber(redis.call("HGET", KEYS[3], "limit") or "0")
local window = tonumber(redis.call("HGET", KEYS[3], "window_ms") or "3600000")
if limit <= 0 then return {1, 0} end
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - window)
local used = redis.call("ZCARD", KEYS[1])
local allowed = limit
if ARGV[3] == "1" then
  allowed = limit - math.max(1, math.floor(limit * tonumber(ARGV[4])))
end
if used >= allowed then
  local idx = used - allowed
  local entry = redis.call("ZRANGE", KEYS[1], idx, idx, "WITHSCORES")
  local wait = window
  if entry[2] then wait = window - (now - tonumber(entry[2])) end
  return {0, wait}
end
redis.call("ZADD", KEYS[1], now, ARGV[2])
redis.call("PEXPIRE", KEYS[1], window)
return {1, 0}
`)

func (b *Budget) keys() []string { return []string{b.calls, b.blocked, b.config} }

func member(now time.Time) string {
	var r [6]byte
	_, _ = rand.Read(r[:])
	return strconv.FormatInt(now.UnixNano(), 36) + "-" + hex.EncodeToString(r[:])
}

// Take claims a call.
func (b *Budget) Take(ctx context.Context, p upstream.Priority) (time.Duration, bool, error) {
	now := b.c.now()
	bg := "0"
	if p == upstream.PriorityBackground {
		bg = "1"
	}
	res, err := take.Run(ctx, b.c.rdb, b.keys(), now.UnixMilli(), member(now), bg, strconv.FormatFloat(upstream.BackgroundReserve, 'f', -1, 64)).Int64Slice()
	if err != nil {
		return 0, false, err
	}
	return time.Duration(res[1]) * time.Millisecond, res[0] == 1, nil
}

// block extends the block to ARGV[1] (ms) unless a later one is set.
var block = redis.NewScript(`
local cur = tonumber(redis.call("GET", KEYS[1]) or "0")
local t = tonumber(ARGV[1])
if t > cur then redis.call("SET", KEYS[1], t, "PX", math.max(1, t - tonumber(ARGV[2]))) end
return 1
`)

// Block stops every replica's calls until t.
func (b *Budget) Block(ctx context.Context, t time.Time) error {
	return block.Run(ctx, b.c.rdb, []string{b.blocked}, t.UnixMilli(), b.c.now().UnixMilli()).Err()
}

// syncScript sets limit and window, tops the window up to the calls LL2 counted (assumed
// made now), and blocks until the next call LL2 will allow.
var syncScript = redis.NewScript(`
local now = tonumber(ARGV[1])
redis.call("HSET", KEYS[3], "limit", ARGV[2], "window_ms", ARGV[3])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - tonumber(ARGV[3]))
local used = redis.call("ZCARD", KEYS[1])
local want = tonumber(ARGV[4])
for i = used + 1, want do
  redis.call("ZADD", KEYS[1], now, ARGV[6] .. "-" .. i)
end
redis.call("PEXPIRE", KEYS[1], tonumber(ARGV[3]))
local next = tonumber(ARGV[5])
if next > 0 then
  local t = now + next
  local cur = tonumber(redis.call("GET", KEYS[2]) or "0")
  if t > cur then redis.call("SET", KEYS[2], t, "PX", next) end
end
return 1
`)

// Sync adopts LL2's limit, window and count for every replica.
func (b *Budget) Sync(ctx context.Context, limit int, window time.Duration, used int, nextUse time.Duration) error {
	now := b.c.now()
	return syncScript.Run(ctx, b.c.rdb, b.keys(), now.UnixMilli(), limit, window.Milliseconds(), used, nextUse.Milliseconds(), member(now)).Err()
}

// Status reports the shared budget.
func (b *Budget) Status(ctx context.Context) (upstream.BudgetStatus, error) {
	now := b.c.now()
	cfg, err := b.c.rdb.HGetAll(ctx, b.config).Result()
	if err != nil {
		return upstream.BudgetStatus{}, err
	}
	limit, _ := strconv.Atoi(cfg["limit"])
	windowMS, _ := strconv.ParseInt(cfg["window_ms"], 10, 64)
	window := time.Duration(windowMS) * time.Millisecond
	used, err := b.c.rdb.ZCount(ctx, b.calls, "("+strconv.FormatInt(now.Add(-window).UnixMilli(), 10), "+inf").Result()
	if err != nil {
		return upstream.BudgetStatus{}, err
	}
	s := upstream.BudgetStatus{Limit: limit, Window: window, Used: int(used)}
	blocked, err := b.c.rdb.Get(ctx, b.blocked).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return upstream.BudgetStatus{}, err
	}
	if blocked > 0 {
		s.BlockedUntil = time.UnixMilli(blocked)
	}
	return s, nil
}
