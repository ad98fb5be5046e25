-- Deletes KEYS[1] only if it still holds ARGV[1].
-- Atomically: the compare and the delete see the same value, so a lock released by its
-- owner, or a corrupt cache entry being removed, never deletes a value written meanwhile by
-- someone else. Returns 1 if deleted, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
