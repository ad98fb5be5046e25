-- GCRA (generic cell rate algorithm) on one key, KEYS[1], which holds "at:debt": the server
-- time `at` of the last write, in ticks of ARGV[6] microseconds (1, or more for very long
-- periods), and the debt then, in units of 1/rate tick (so a request of cost 1 adds `period`
-- units and every tick pays back `rate` units; the theoretical arrival time is
-- at + debt / rate). In these units every quantity is an integer even when the emission
-- interval (period / rate) is below one tick.
-- ARGV[1] rate, ARGV[2] period in ticks, ARGV[3] burst, ARGV[4] cost, ARGV[5] mode: 0 only
-- checks, 1 takes the whole cost or nothing, 2 takes as much of the cost as fits; ARGV[6]
-- the tick in microseconds.
-- Atomically: reading the debt, deciding and writing the new debt happen in one script, on
-- the server's clock (TIME), so concurrent callers are serialised and never over-admit.
-- All arithmetic is on integers below 2^53 (the caller keeps burst * period below 2^50 and picks
-- the tick for that),
-- exact in Lua numbers.
-- Returns {granted, remaining, retry_after_ticks, reset_after_ticks, now_us}.
local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tick = tonumber(ARGV[6])
local now = math.floor(now_us / tick)
local rate = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local mode = ARGV[5]
local full = burst * period

local debt = 0
local stored = redis.call('GET', KEYS[1])
if stored then
  local at, d = string.match(stored, '^(%d+):(%d+)$')
  if at then
    at = tonumber(at)
    d = tonumber(d)
    local elapsed = now - at
    if elapsed < 0 then
      elapsed = 0 -- the server's clock stepped back (a failover): pay nothing back
    end
    -- Capped so the product stays small; past the cap the debt is paid off anyway.
    local cap = math.floor(d / rate) + 1
    if elapsed > cap then
      elapsed = cap
    end
    debt = d - elapsed * rate
    if debt < 0 then
      debt = 0
    end
  end
end

local available = math.floor((full - debt) / period)
local granted = 0
if mode == '2' then
  granted = math.min(cost, available)
elseif cost <= available then
  granted = cost
end

local retry_after = 0
if granted == 0 then
  local need = cost
  if mode == '2' then
    need = 1
  end
  retry_after = math.ceil((debt + need * period - full) / rate)
elseif mode ~= '0' then
  debt = debt + granted * period
  -- One millisecond more than the time to pay the debt off, so rounding never drops it early.
  local ttl_ms = math.ceil(debt / rate * tick / 1000) + 1
  redis.call('SET', KEYS[1], string.format('%.0f:%.0f', now, debt), 'PX', ttl_ms)
end
local remaining = math.floor((full - debt) / period)
return {granted, remaining, retry_after, math.ceil(debt / rate), now_us}
