-- Shared by the session scripts (prepended to each). A user's sessions live in one hash,
-- KEYS[1] = {prefix}session:{<tag>}, whose tag is derived from the user id; each field is a
-- session id and each value is "seen:absolute:created:idle:" (milliseconds of the server's
-- clock) followed by the session data as JSON. A session is alive while
-- now < min(seen + idle, absolute).
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function parse(v)
  if not v then
    return nil
  end
  local seen, abs, created, idle, data = string.match(v, '^(%d+):(%d+):(%d+):(%d+):(.*)$')
  if not seen then
    return nil
  end
  return {seen = tonumber(seen), abs = tonumber(abs), created = tonumber(created),
          idle = tonumber(idle), data = data}
end

local function expiry(s)
  return math.min(s.seen + s.idle, s.abs)
end

local function format(s)
  return string.format('%.0f:%.0f:%.0f:%.0f:', s.seen, s.abs, s.created, s.idle) .. s.data
end

local function user_of(s)
  local ok, decoded = pcall(cjson.decode, s.data)
  if ok and type(decoded) == 'table' then
    return decoded['user_id']
  end
  return nil
end

-- Removes dead or unreadable sessions and makes the hash expire with its last live session.
-- Returns the live sessions as a list of {id, parsed}.
local function prune(key, now)
  local all = redis.call('HGETALL', key)
  local live = {}
  local latest = 0
  for i = 1, #all, 2 do
    local s = parse(all[i + 1])
    if s == nil or expiry(s) <= now then
      redis.call('HDEL', key, all[i])
    else
      live[#live + 1] = {all[i], s}
      if expiry(s) > latest then
        latest = expiry(s)
      end
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
