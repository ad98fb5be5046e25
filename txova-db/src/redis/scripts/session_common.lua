-- Shared by the session scripts (prepended to each). A user's sessions live in one hash,
-- KEYS[1] = {prefix}session:{<tag>}, whose tag is a keyed hash of the user id (the server's
-- secret is needed to compute it). Each field is a session id and each value is either
--   a live session: "seen:absolute:created:idle:userlen:" (milliseconds of the server's
--     clock, then the length of the user id in bytes) followed by the user id and then the
--     session data as JSON. It is alive while now < min(seen + idle, absolute);
--   a forwarding entry left by a rotation: ">absolute:newid". It makes a logout with the old
--     id end the session under its new id; it lives no longer than the session could.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function parse(v)
  if not v then
    return nil
  end
  local seen, abs, created, idle, ulen, at =
    string.match(v, '^(%d+):(%d+):(%d+):(%d+):(%d+):()')
  if not seen then
    return nil
  end
  ulen = tonumber(ulen)
  return {seen = tonumber(seen), abs = tonumber(abs), created = tonumber(created),
          idle = tonumber(idle), user = string.sub(v, at, at + ulen - 1),
          data = string.sub(v, at + ulen)}
end

-- The absolute expiry and the new id of a forwarding entry, or nil.
local function parse_moved(v)
  if not v then
    return nil
  end
  local abs, target = string.match(v, '^>(%d+):(.+)$')
  if not abs then
    return nil
  end
  return tonumber(abs), target
end

local function expiry(s)
  return math.min(s.seen + s.idle, s.abs)
end

local function format(s)
  return string.format('%.0f:%.0f:%.0f:%.0f:%d:', s.seen, s.abs, s.created, s.idle, #s.user)
    .. s.user .. s.data
end

-- Removes dead or unreadable sessions and stale forwarding entries and makes the hash expire
-- with its last live session. Returns the live sessions as a list of {id, parsed}.
local function prune(key, now)
  local all = redis.call('HGETALL', key)
  local live = {}
  local present = {}
  local moved = {}
  local latest = 0
  for i = 1, #all, 2 do
    local s = parse(all[i + 1])
    if s ~= nil and expiry(s) > now then
      live[#live + 1] = {all[i], s}
      present[all[i]] = true
      if expiry(s) > latest then
        latest = expiry(s)
      end
    else
      local abs, target = parse_moved(all[i + 1])
      if abs ~= nil and abs > now then
        moved[#moved + 1] = {all[i], target}
        present[all[i]] = true
      else
        redis.call('HDEL', key, all[i])
      end
    end
  end
  for _, m in ipairs(moved) do
    if not present[m[2]] then
      redis.call('HDEL', key, m[1])
    end
  end
  if latest > 0 then
    redis.call('PEXPIREAT', key, string.format('%.0f', latest))
  end
  return live
end

-- Makes the hash live at least until `at`.
local function keep_until(key, at)
  if redis.call('PEXPIRETIME', key) < at then
    redis.call('PEXPIREAT', key, string.format('%.0f', at))
  end
end
