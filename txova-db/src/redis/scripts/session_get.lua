-- Reads session ARGV[1] and, if alive, marks it seen now (refreshing its idle expiry).
-- Atomically: a session found dead is removed, and a live one is refreshed in the same step
-- it is read, so a concurrent delete either happens before (nothing is returned) or after.
-- Returns the stored value, or false.
local now = now_ms()
local s = parse(redis.call('HGET', KEYS[1], ARGV[1]))
if s == nil then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return false
end
if expiry(s) <= now then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return false
end
s.seen = now
local v = format(s)
redis.call('HSET', KEYS[1], ARGV[1], v)
keep_until(KEYS[1], expiry(s))
return v
