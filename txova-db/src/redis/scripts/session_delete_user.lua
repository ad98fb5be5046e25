-- Deletes every session of user ARGV[1].
-- Atomically: no session of the user survives, and none can be created half-way through.
-- Returns how many live sessions were deleted.
local now = now_ms()
local n = 0
for _, e in ipairs(prune(KEYS[1], now)) do
  if user_of(e[2]) == ARGV[1] then
    redis.call('HDEL', KEYS[1], e[1])
    n = n + 1
  end
end
return n
