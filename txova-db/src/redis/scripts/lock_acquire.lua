-- Takes the lock KEYS[1] for the owner token ARGV[1] for ARGV[2] milliseconds, and on
-- success increments the fencing counter KEYS[2] (same hash tag, never expires).
-- Atomically: either the lock is free, it is taken and the counter grows by one (the new
-- value is returned), or nothing changes and {0, remaining ms of the holder} is returned.
-- No two acquisitions can see the same counter value.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {redis.call('INCR', KEYS[2]), 0}
end
return {0, redis.call('PTTL', KEYS[1])}
