-- Creates session ARGV[1] of user ARGV[2] with idle lifetime ARGV[3] ms, absolute lifetime
-- ARGV[4] ms and data ARGV[5], pruning the user's dead sessions.
-- Atomically: the session is written and the hash's expiry covers it in one step.
-- Returns the stored value.
local now = now_ms()
prune(KEYS[1], now)
local s = {seen = now, abs = now + tonumber(ARGV[4]), created = now, idle = tonumber(ARGV[3]),
           user = ARGV[2], data = ARGV[5]}
local v = format(s)
redis.call('HSET', KEYS[1], ARGV[1], v)
keep_until(KEYS[1], expiry(s))
return v
