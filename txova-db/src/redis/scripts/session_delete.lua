-- Deletes session ARGV[1]. If a rotation replaced that id, the session is deleted under its
-- newer id too, following the chain of rotations.
-- Atomically: a logout racing a rotation either runs first (the rotation then finds nothing)
-- or after it (and then follows the forwarding entry the rotation left).
-- Returns 1 if a live session was deleted, else 0.
local now = now_ms()
local id = ARGV[1]
local ended = 0
-- Each step removes one field, so the chain cannot loop; the bound is a guard.
for _ = 1, 10000 do
  local v = redis.call('HGET', KEYS[1], id)
  if not v then
    break
  end
  redis.call('HDEL', KEYS[1], id)
  local abs, target = parse_moved(v)
  if abs == nil then
    local s = parse(v)
    if s ~= nil and expiry(s) > now then
      ended = 1
    end
    break
  end
  id = target
end
return ended
