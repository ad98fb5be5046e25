-- Reads session ARGV[1] and, if alive, marks it seen now (refreshing its idle expiry) when
-- its last-seen time is more than a tenth of its idle lifetime old; a read more recent than
-- that writes nothing.
-- Atomically: a session found dead is removed, and a live one is refreshed in the same step
-- it is read, so a concurrent delete either happens before (nothing is returned) or after.
-- Returns the stored value, or false (0 for a session found expired, which it removes). An
-- id a rotation replaced returns false.
local now = now_ms()
local v = redis.call('HGET', KEYS[1], ARGV[1])
local s = parse(v)
if s == nil then
  if v and parse_moved(v) == nil then
    redis.call('HDEL', KEYS[1], ARGV[1])
  end
  return false
end
if expiry(s) <= now then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 0
end
if now - s.seen > s.idle / 10 then
  s.seen = now
  v = format(s)
  redis.call('HSET', KEYS[1], ARGV[1], v)
  keep_until(KEYS[1], expiry(s))
end
return v
