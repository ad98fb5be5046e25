-- Deletes every session of user ARGV[1], with the forwarding entries of its rotations.
-- Atomically: no session of the user survives, and none can be created half-way through.
-- Returns how many live sessions were deleted.
local now = now_ms()
local n = 0
for _, e in ipairs(prune(KEYS[1], now)) do
  if e[2].user == ARGV[1] then
    redis.call('HDEL', KEYS[1], e[1])
    n = n + 1
  end
end
if n > 0 then
  prune(KEYS[1], now)
end
return n
