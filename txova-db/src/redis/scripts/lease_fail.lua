-- Replaces the lease KEYS[1] by a failure marker ARGV[2] for ARGV[3] milliseconds, only if
-- the lease still holds its owner's token ARGV[1].
-- Atomically: a holder whose lease already expired and was taken by someone else never
-- overwrites the new holder's lease. Callers waiting on the lease read the marker and return
-- the holder's failure instead of each computing in turn. Returns 1 if marked, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
