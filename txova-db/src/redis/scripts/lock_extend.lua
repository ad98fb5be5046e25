-- Sets the expiry of the lock KEYS[1] to ARGV[2] milliseconds if it is still held by the
-- owner token ARGV[1].
-- Atomically: the owner check and the new expiry see the same holder, so a lock that expired
-- and was taken by someone else is never extended. Returns 1 if extended, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
