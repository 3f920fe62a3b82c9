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
	// ceiling is this process's cap (--budget-limit), applied in every claim whatever
	// the shared limit says, so that neither LL2's answer nor another replica's
	// settings can raise it.
	ceiling upstream.Rule
}

// SetCeiling caps this process's claims at limit calls per window, counted over the
// shared calls, whatever the shared limit (LL2's, after Sync) allows. Limit 0 removes
// the cap. Call it before the budget is used.
func (b *Budget) SetCeiling(limit int, window time.Duration) {
	b.ceiling = upstream.Rule{Limit: limit, Window: window}
}

// ceilingArgs are the ceiling as script arguments: limit and window in ms.
func (b *Budget) ceilingArgs() []any {
	if b.ceiling.Limit <= 0 || b.ceiling.Window <= 0 {
		return []any{0, 0}
	}
	return []any{b.ceiling.Limit, b.ceiling.Window.Milliseconds()}
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

// take claims a call: ARGV now_ms, member, background(0/1), reserve share, ceiling
// limit, ceiling window_ms. It returns {1, 0} when granted, {0, wait_ms} when not. The
// shared limit (limit 0: unlimited) and the ceiling (limit 0: none) must both have
// room; the calls are kept for the longer of their windows.
var take = redis.NewScript(`
local now = tonumber(ARGV[1])
local blocked = tonumber(redis.call("GET", KEYS[2]) or "0")
if blocked > now then return {0, blocked - now} end
local rules = {}
local limit = tonumber(redis.call("HGET", KEYS[3], "limit") or "0")
local window = tonumber(redis.call("HGET", KEYS[3], "window_ms") or "3600000")
if limit > 0 then rules[#rules + 1] = {limit, window} end
local climit, cwindow = tonumber(ARGV[5]), tonumber(ARGV[6])
if climit > 0 and cwindow > 0 then rules[#rules + 1] = {climit, cwindow} end
if #rules == 0 then return {1, 0} end
local keep = math.max(window, cwindow)
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - keep)
local wait = 0
for _, r in ipairs(rules) do
  local allowed = r[1]
  if ARGV[3] == "1" then
    allowed = r[1] - math.max(1, math.floor(r[1] * tonumber(ARGV[4])))
  end
  local since = string.format("(%d", now - r[2])
  local used = redis.call("ZCOUNT", KEYS[1], since, "+inf")
  if used >= allowed then
    local w = r[2]
    if allowed > 0 then
      local entry = redis.call("ZRANGEBYSCORE", KEYS[1], since, "+inf", "WITHSCORES", "LIMIT", used - allowed, 1)
      if entry[2] then w = r[2] - (now - tonumber(entry[2])) end
    end
    wait = math.max(wait, w)
  end
end
if wait > 0 then return {0, wait} end
redis.call("ZADD", KEYS[1], now, ARGV[2])
redis.call("PEXPIRE", KEYS[1], keep)
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
	args := append([]any{now.UnixMilli(), member(now), bg, strconv.FormatFloat(upstream.BackgroundReserve, 'f', -1, 64)}, b.ceilingArgs()...)
	res, err := take.Run(ctx, b.c.rdb, b.keys(), args...).Int64Slice()
	if err != nil {
		return 0, false, err
	}
	return time.Duration(res[1]) * time.Millisecond, res[0] == 1, nil
}

// block extends the block to ARGV[1] (ms) unless a later one is set, and never past
// the longer of the shared window and ARGV[3] (the ceiling's window, ms) from now.
var block = redis.NewScript(`
local now = tonumber(ARGV[2])
local window = tonumber(redis.call("HGET", KEYS[2], "window_ms") or "3600000")
local t = math.min(tonumber(ARGV[1]), now + math.max(window, tonumber(ARGV[3])))
local cur = tonumber(redis.call("GET", KEYS[1]) or "0")
if t > cur then redis.call("SET", KEYS[1], t, "PX", math.max(1, t - now)) end
return 1
`)

// Block stops every replica's calls until t, or for the longest window at most: no
// 429 justifies a longer wait.
func (b *Budget) Block(ctx context.Context, t time.Time) error {
	return block.Run(ctx, b.c.rdb, []string{b.blocked, b.config}, t.UnixMilli(), b.c.now().UnixMilli(), b.ceiling.Window.Milliseconds()).Err()
}

// syncScript sets limit and window, tops the window up to the calls LL2 counted (assumed
// made now), and blocks until the next call LL2 will allow. ARGV[7] is the ceiling's
// window (ms): calls are kept for the longer of the two.
var syncScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
redis.call("HSET", KEYS[3], "limit", ARGV[2], "window_ms", ARGV[3])
local keep = math.max(window, tonumber(ARGV[7]))
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - keep)
local used = redis.call("ZCOUNT", KEYS[1], string.format("(%d", now - window), "+inf")
local want = tonumber(ARGV[4])
for i = used + 1, want do
  redis.call("ZADD", KEYS[1], now, ARGV[6] .. "-" .. i)
end
redis.call("PEXPIRE", KEYS[1], keep)
local next = tonumber(ARGV[5])
if next > 0 then
  local t = now + next
  local cur = tonumber(redis.call("GET", KEYS[2]) or "0")
  if t > cur then redis.call("SET", KEYS[2], t, "PX", next) end
end
return 1
`)

// Sync adopts LL2's limit, window and count for every replica; each replica's
// ceiling still applies to its claims.
func (b *Budget) Sync(ctx context.Context, limit int, window time.Duration, used int, nextUse time.Duration) error {
	if err := upstream.CheckSync(limit, window, used, nextUse); err != nil {
		return err
	}
	now := b.c.now()
	return syncScript.Run(ctx, b.c.rdb, b.keys(), now.UnixMilli(), limit, window.Milliseconds(), min(used, limit), min(nextUse, window).Milliseconds(), member(now), b.ceiling.Window.Milliseconds()).Err()
}

// Status reports the shared budget, by whichever of the shared limit and this
// process's ceiling leaves fewer calls.
func (b *Budget) Status(ctx context.Context) (upstream.BudgetStatus, error) {
	now := b.c.now()
	cfg, err := b.c.rdb.HGetAll(ctx, b.config).Result()
	if err != nil {
		return upstream.BudgetStatus{}, err
	}
	limit, _ := strconv.Atoi(cfg["limit"])
	windowMS, _ := strconv.ParseInt(cfg["window_ms"], 10, 64)
	window := time.Duration(windowMS) * time.Millisecond
	count := func(window time.Duration) (int, error) {
		n, err := b.c.rdb.ZCount(ctx, b.calls, "("+strconv.FormatInt(now.Add(-window).UnixMilli(), 10), "+inf").Result()
		return int(n), err
	}
	used, err := count(window)
	if err != nil {
		return upstream.BudgetStatus{}, err
	}
	s := upstream.BudgetStatus{Limit: limit, Window: window, Used: used}
	if c := b.ceiling; c.Limit > 0 && c.Window > 0 {
		cused, err := count(c.Window)
		if err != nil {
			return upstream.BudgetStatus{}, err
		}
		if limit <= 0 || c.Limit-cused < limit-used {
			s.Limit, s.Window, s.Used = c.Limit, c.Window, cused
		}
	}
	blocked, err := b.c.rdb.Get(ctx, b.blocked).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return upstream.BudgetStatus{}, err
	}
	if blocked > 0 {
		s.BlockedUntil = time.UnixMilli(blocked)
	}
	return s, nil
}
