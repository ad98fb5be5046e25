-- Lists the live sessions of user ARGV[1], pruning dead ones.
-- Atomically: the list is one consistent view of the user's sessions.
-- Returns {id1, value1, id2, value2, ...}.
local now = now_ms()
local out = {}
for _, e in ipairs(prune(KEYS[1], now)) do
  if e[2].user == ARGV[1] then
    out[#out + 1] = e[1]
    out[#out + 1] = format(e[2])
  end
end
return out
