-- GCRA (generic cell rate algorithm) on one key, KEYS[1], which holds the theoretical arrival
-- time (TAT) in microseconds of the server's clock.
-- ARGV[1] limit, ARGV[2] emission interval T in whole microseconds (window / limit),
-- ARGV[3] cost, ARGV[4] 1 to consume, 0 to only check.
-- Atomically: reading the TAT, deciding and writing the new TAT happen in one script, on the
-- server's clock (TIME), so concurrent callers are serialised and never over-admit.
-- All arithmetic is on integers below 2^53, exact in Lua numbers.
-- Returns {allowed (0|1), remaining, retry_after_us, reset_after_us, now_us}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local consume = ARGV[4] == '1'
local burst = limit * interval

local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then
  tat = now
end
local new_tat = tat + cost * interval
local allowed = new_tat - now <= burst
local retry_after = 0
if allowed then
  if consume then
    tat = new_tat
    local ttl_ms = math.ceil((tat - now) / 1000)
    if ttl_ms < 1 then
      ttl_ms = 1
    end
    redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', ttl_ms)
  end
else
  retry_after = new_tat - now - burst
end
local remaining = math.floor((burst - (tat - now)) / interval)
return {allowed and 1 or 0, remaining, retry_after, tat - now, now}
