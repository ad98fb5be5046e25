-- Replaces the data of live session ARGV[1] with ARGV[2], which must name the same user
-- ARGV[3]; lifetimes are unchanged.
-- Atomically: the write happens only if the session exists and is alive at that moment, so
-- an update racing a delete can never bring the session back.
-- Returns 1 if updated, 0 if the session does not exist, -1 if the user differs.
local now = now_ms()
local v = redis.call('HGET', KEYS[1], ARGV[1])
local s = parse(v)
if s == nil or expiry(s) <= now then
  if v and parse_moved(v) == nil then
    redis.call('HDEL', KEYS[1], ARGV[1])
  end
  return 0
end
if s.user ~= ARGV[3] then
  return -1
end
s.data = ARGV[2]
redis.call('HSET', KEYS[1], ARGV[1], format(s))
return 1
