-- Cluster, step 3 of 3: the copies are written; remove the dead letters and
-- their journal notes. ARGV[1] 'del' or 'keep' per id pair: ARGV is a list of
-- (id, action): 'del' = the copy is in place, XDEL it; 'keep' = its copy
-- failed, leave the dead letter where it is.
-- KEYS[1] dlq stream, KEYS[2] journal hash. Returns the number deleted.
local dlq, journal = KEYS[1], KEYS[2]
local deleted = 0
for i = 1, #ARGV, 2 do
  local id, action = ARGV[i], ARGV[i + 1]
  if action == 'del' then
    deleted = deleted + redis.call('XDEL', dlq, id)
  end
  redis.call('HDEL', journal, id)
end
return deleted
