-- Moves live session ARGV[1] to the new id ARGV[2], keeping its data and absolute expiry and
-- marking it seen now.
-- Atomically: the old id stops working in the same step the new one starts; a dead or
-- deleted session is not rotated. Returns the stored value under the new id, or false.
local now = now_ms()
local s = parse(redis.call('HGET', KEYS[1], ARGV[1]))
redis.call('HDEL', KEYS[1], ARGV[1])
if s == nil or expiry(s) <= now then
  return false
end
s.seen = now
local v = format(s)
redis.call('HSET', KEYS[1], ARGV[2], v)
keep_until(KEYS[1], expiry(s))
return v
