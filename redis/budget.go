package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"spacegraph/economy"
)

// Budget is an economy.Budget in Redis, shared by every replica: a sorted set of the
// calls in the window (DRF's sliding window, as LL2 counts), a key that blocks all
// calls after a 429, and the limit and window in a hash that api-throttle/ updates.
// Each operation is one Lua script on Redis's clock (TIME), so concurrent replicas
// never overspend and replicas whose clocks disagree still count one window. The
// three keys share a hash tag, so the scripts run on Redis Cluster too.
//
// While Redis is unreachable each replica spends from a local budget instead: a share
// of the shared limit (BudgetOptions.LocalShare), counted from when it lost Redis, so
// that N replicas cut off together spend at most N times that share.
type Budget struct {
	c                      *Client
	calls, blocked, config string
	limit                  int
	window                 time.Duration
	share                  float64
	local                  *economy.MemoryBudget

	// ceiling is this process's cap (--budget-limit), applied in every claim whatever
	// the shared limit says, so that neither LL2's answer nor another replica's
	// settings can raise it.
	ceiling economy.Rule

	mu           sync.Mutex
	sharedLimit  int
	sharedWindow time.Duration
}

// SetCeiling caps this process's claims at limit calls per window, counted over the
// shared calls, whatever the shared limit (LL2's, after Sync) allows; the local share
// spent while Redis is unreachable is capped too. Limit 0 removes the cap. Call it
// before the budget is used.
func (b *Budget) SetCeiling(limit int, window time.Duration) {
	b.ceiling = economy.Rule{Limit: limit, Window: window}
	b.local.SetCeiling(limit, window)
}

// ceilingArgs are the ceiling as script arguments: limit and window in ms.
func (b *Budget) ceilingArgs() []any {
	if b.ceiling.Limit <= 0 || b.ceiling.Window <= 0 {
		return []any{0, 0}
	}
	return []any{b.ceiling.Limit, b.ceiling.Window.Milliseconds()}
}

// BudgetOptions configure the shared budget.
type BudgetOptions struct {
	// Limit and Window seed the shared budget when no replica has (or when Redis
	// lost it); after that the budget in Redis rules. Limit 0 is unlimited.
	Limit  int
	Window time.Duration
	// Scope, when set, tells apart budgets of the same upstream that LL2 counts
	// apart (a digest of the API key); it is a part of the keys' hash tag.
	Scope string
	// LocalShare is the share of the shared limit this replica may spend per
	// window while Redis is unreachable (0: none; such a replica makes no call until
	// Redis is back). See DefaultLocalShare.
	LocalShare float64
}

// DefaultLocalShare is the default BudgetOptions.LocalShare: ten replicas cut off from
// Redis together spend at most one limit's worth more per window than the shared
// budget allows, which LL2's own count (api-throttle/) then corrects.
const DefaultLocalShare = 0.1

// noLocalShareWait is the wait a replica without a local share gives while Redis is
// unreachable: when Redis will be back is not known, and a minute is a sensible
// time for a client to try again.
const noLocalShareWait = time.Minute

// Budget returns the shared budget, seeding its limit and window when no replica has.
// An unreachable Redis is not an error: the budget is then local until it answers.
func (c *Client) Budget(ctx context.Context, o BudgetOptions) (*Budget, error) {
	if o.Window <= 0 {
		o.Window = time.Hour
	}
	// The three keys share a hash tag (the scripts touch them together), made of
	// the namespace and scope, so that the budgets of different deployments spread
	// over a cluster's slots.
	tag := strings.Trim(c.ns+"/"+o.Scope, "/")
	if tag == "" {
		tag = "shared"
	}
	base := c.prefix + "budget:{" + tag + "}:"
	b := &Budget{c: c, calls: base + "calls", blocked: base + "blocked", config: base + "config",
		limit: o.Limit, window: o.Window, share: o.LocalShare}
	b.local = economy.NewMemoryBudget(0, o.Window, c.now)
	b.adopt(ctx, o.Limit, o.Window)
	if _, err := b.Status(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// prelude reads Redis's clock (shifted by ARGV[1], the tests' skew) and the budget's
// limit and window, seeding them from ARGV[2] and ARGV[3] when the hash is missing.
const prelude = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
if redis.call("EXISTS", KEYS[3]) == 0 then
  redis.call("HSET", KEYS[3], "limit", ARGV[2], "window_ms", ARGV[3])
end
local limit = tonumber(redis.call("HGET", KEYS[3], "limit") or "0")
local window = tonumber(redis.call("HGET", KEYS[3], "window_ms") or "3600000")
`

// take claims a call: ARGV[4] member, ARGV[5] background (0/1), ARGV[6] reserve
// share, ARGV[7] and ARGV[8] the ceiling's limit and window_ms (0: none). It returns
// {granted (0/1), wait_ms, limit, window_ms}. The shared limit (0: unlimited) and the
// ceiling must both have room; the calls are kept for the longer of their windows.
var take = goredis.NewScript(prelude + `
local blocked = tonumber(redis.call("GET", KEYS[2]) or "0")
if blocked > now then return {0, blocked - now, limit, window} end
local rules = {}
if limit > 0 then rules[#rules + 1] = {limit, window} end
local climit, cwindow = tonumber(ARGV[7]), tonumber(ARGV[8])
if climit > 0 and cwindow > 0 then rules[#rules + 1] = {climit, cwindow} end
if #rules == 0 then return {1, 0, limit, window} end
local keep = math.max(window, cwindow)
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - keep)
local wait = 0
for _, r in ipairs(rules) do
  local allowed = r[1]
  if ARGV[5] == "1" then
    allowed = r[1] - math.max(1, math.floor(r[1] * tonumber(ARGV[6])))
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
if wait > 0 then return {0, wait, limit, window} end
redis.call("ZADD", KEYS[1], now, ARGV[4])
redis.call("PEXPIRE", KEYS[1], keep)
return {1, 0, limit, window}
`)

func (b *Budget) keys() []string { return []string{b.calls, b.blocked, b.config} }

// args are the prelude's arguments followed by more.
func (b *Budget) args(more ...any) []any {
	return append([]any{b.c.skew.Load(), b.limit, b.window.Milliseconds()}, more...)
}

func member() string {
	var r [12]byte
	_, _ = rand.Read(r[:])
	return hex.EncodeToString(r[:])
}

// Take claims a call, from the local share while Redis is unreachable.
func (b *Budget) Take(ctx context.Context, p economy.Priority) (time.Duration, bool, error) {
	bg := "0"
	if p == economy.PriorityBackground {
		bg = "1"
	}
	res, err := take.Run(ctx, b.c.rdb, b.keys(), append(b.args(member(), bg, strconv.FormatFloat(economy.BackgroundReserve, 'f', -1, 64)), b.ceilingArgs()...)...).Int64Slice()
	if unreachable(err) {
		return b.localTake(ctx, p)
	}
	if err != nil {
		return 0, false, err
	}
	b.adopt(ctx, int(res[2]), time.Duration(res[3])*time.Millisecond)
	return time.Duration(res[1]) * time.Millisecond, res[0] == 1, nil
}

// localLimit is the local share of a shared limit; 0 with a limited budget means no
// local share at all.
func (b *Budget) localLimit(limit int) int {
	return int(math.Floor(b.share * float64(limit)))
}

// adopt follows the shared limit and window with the local budget.
func (b *Budget) adopt(ctx context.Context, limit int, window time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if limit == b.sharedLimit && window == b.sharedWindow {
		return
	}
	b.sharedLimit, b.sharedWindow = limit, window
	b.local.SetLimit(b.localLimit(limit), window)
}

// noLocalShare reports whether this replica may make no call while Redis is away.
func (b *Budget) noLocalShare() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sharedLimit > 0 && b.localLimit(b.sharedLimit) == 0
}

func (b *Budget) localTake(ctx context.Context, p economy.Priority) (time.Duration, bool, error) {
	if b.noLocalShare() {
		if st, _ := b.local.Status(ctx); b.c.now().Before(st.BlockedUntil) {
			return st.BlockedUntil.Sub(b.c.now()), false, nil
		}
		return noLocalShareWait, false, nil
	}
	return b.local.Take(ctx, p)
}

// block extends the block to ARGV[4] ms from now unless a later one is set, and never
// past the longer of the shared window and ARGV[5] (the ceiling's window, ms) from
// now: no 429 justifies a longer wait.
var block = goredis.NewScript(prelude + `
local t = now + math.min(tonumber(ARGV[4]), math.max(window, tonumber(ARGV[5])))
local cur = tonumber(redis.call("GET", KEYS[2]) or "0")
if t > cur then redis.call("SET", KEYS[2], t, "PX", math.max(1, t - now)) end
return 1
`)

// Block stops every replica's calls until t (this replica's too, whatever Redis
// does).
func (b *Budget) Block(ctx context.Context, t time.Time) error {
	_ = b.local.Block(ctx, t)
	d := t.Sub(b.c.now())
	if d <= 0 {
		return nil
	}
	err := block.Run(ctx, b.c.rdb, b.keys(), b.args(d.Milliseconds(), b.ceiling.Window.Milliseconds())...).Err()
	if unreachable(err) {
		return nil
	}
	return err
}

// syncScript sets limit and window, tops the window up to the calls LL2 counted
// (assumed made now), and blocks until the next call LL2 will allow. ARGV[4] limit,
// ARGV[5] window_ms, ARGV[6] used, ARGV[7] next use in ms, ARGV[8] member prefix,
// ARGV[9] the ceiling's window (ms): calls are kept for the longer of the two.
var syncScript = goredis.NewScript(prelude + `
local w = tonumber(ARGV[5])
redis.call("HSET", KEYS[3], "limit", ARGV[4], "window_ms", ARGV[5])
local keep = math.max(w, tonumber(ARGV[9]))
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - keep)
local used = redis.call("ZCOUNT", KEYS[1], string.format("(%d", now - w), "+inf")
local want = tonumber(ARGV[6])
for i = used + 1, want do
  redis.call("ZADD", KEYS[1], now, ARGV[8] .. "-" .. i)
end
redis.call("PEXPIRE", KEYS[1], keep)
local next = tonumber(ARGV[7])
if next > 0 then
  local t = now + next
  local cur = tonumber(redis.call("GET", KEYS[2]) or "0")
  if t > cur then redis.call("SET", KEYS[2], t, "PX", next) end
end
return 1
`)

// Sync adopts LL2's limit, window and count for every replica; each replica's
// ceiling still applies to its claims. The local budget takes its share of them: its
// share of the limit, and of what LL2 says remains.
func (b *Budget) Sync(ctx context.Context, limit int, window time.Duration, used int, nextUse time.Duration) error {
	if err := economy.CheckSync(limit, window, used, nextUse); err != nil {
		return err
	}
	used, nextUse = min(used, limit), min(nextUse, window)
	err := syncScript.Run(ctx, b.c.rdb, b.keys(), b.args(limit, window.Milliseconds(), used, nextUse.Milliseconds(), member(), b.ceiling.Window.Milliseconds())...).Err()
	if err != nil && !unreachable(err) {
		return err
	}
	b.mu.Lock()
	b.sharedLimit, b.sharedWindow = limit, window
	b.mu.Unlock()
	local := b.localLimit(limit)
	localUsed := local - int(math.Floor(b.share*float64(max(0, limit-used))))
	if local <= 0 {
		// No share: claims are refused while Redis is away (noLocalShare).
		b.local.SetLimit(0, window)
		return nil
	}
	return b.local.Sync(ctx, local, window, max(0, localUsed), nextUse)
}

// statusScript reports {limit, window_ms, used, blocked_ms (from now), used in the
// ceiling's window (ARGV[4], ms; 0 when none)}.
var statusScript = goredis.NewScript(prelude + `
local used = redis.call("ZCOUNT", KEYS[1], string.format("(%d", now - window), "+inf")
local cused = 0
if tonumber(ARGV[4]) > 0 then
  cused = redis.call("ZCOUNT", KEYS[1], string.format("(%d", now - tonumber(ARGV[4])), "+inf")
end
local blocked = tonumber(redis.call("GET", KEYS[2]) or "0")
return {limit, window, used, math.max(0, blocked - now), cused}
`)

// Status reports the shared budget, by whichever of the shared limit and this
// process's ceiling leaves fewer calls, or the local one while Redis is unreachable.
func (b *Budget) Status(ctx context.Context) (economy.BudgetStatus, error) {
	res, err := statusScript.Run(ctx, b.c.rdb, b.keys(), b.args(b.ceiling.Window.Milliseconds())...).Int64Slice()
	if unreachable(err) {
		return b.localStatus(ctx)
	}
	if err != nil {
		return economy.BudgetStatus{}, err
	}
	b.adopt(ctx, int(res[0]), time.Duration(res[1])*time.Millisecond)
	s := economy.BudgetStatus{Limit: int(res[0]), Window: time.Duration(res[1]) * time.Millisecond, Used: int(res[2])}
	if c, cused := b.ceiling, int(res[4]); c.Limit > 0 && c.Window > 0 && (s.Limit <= 0 || c.Limit-cused < s.Limit-s.Used) {
		s.Limit, s.Window, s.Used = c.Limit, c.Window, cused
	}
	if res[3] > 0 {
		s.BlockedUntil = b.c.now().Add(time.Duration(res[3]) * time.Millisecond)
	}
	return s, nil
}

// localStatus is the local budget's status; without a local share it is the shared
// limit, blocked for as long as a claim would be told to wait.
func (b *Budget) localStatus(ctx context.Context) (economy.BudgetStatus, error) {
	s, err := b.local.Status(ctx)
	if err != nil || !b.noLocalShare() {
		return s, err
	}
	b.mu.Lock()
	s.Limit, s.Window = b.sharedLimit, b.sharedWindow
	b.mu.Unlock()
	if until := b.c.now().Add(noLocalShareWait); until.After(s.BlockedUntil) {
		s.BlockedUntil = until
	}
	return s, nil
}
