-- Moves live session ARGV[1] to the new id ARGV[2], keeping its data and absolute expiry and
-- marking it seen now. The old id becomes a forwarding entry to the new one, so a logout
-- with the old id still ends the session.
-- Atomically: the old id stops working in the same step the new one starts; a dead or
-- deleted session is not rotated. Returns the stored value under the new id, or false.
local now = now_ms()
local v = redis.call('HGET', KEYS[1], ARGV[1])
local s = parse(v)
if s == nil or expiry(s) <= now then
  if v and parse_moved(v) == nil then
    redis.call('HDEL', KEYS[1], ARGV[1])
  end
  return false
end
redis.call('HSET', KEYS[1], ARGV[1], string.format('>%.0f:', s.abs) .. ARGV[2])
s.seen = now
v = format(s)
redis.call('HSET', KEYS[1], ARGV[2], v)
keep_until(KEYS[1], expiry(s))
return v
