-- Delete consumers that hold no pending entries. The check and the delete are
-- one atomic step, so a consumer that holds entries is never deleted.
-- KEYS[1] stream; ARGV[1] group, ARGV[2..] consumer names.
-- Returns {deleted, kept (holding entries)}.
local stream, group = KEYS[1], ARGV[1]
local deleted, kept = 0, 0
for i = 2, #ARGV do
  local p = redis.call('XPENDING', stream, group, '-', '+', 1, ARGV[i])
  if #p == 0 then
    redis.call('XGROUP', 'DELCONSUMER', stream, group, ARGV[i])
    deleted = deleted + 1
  else
    kept = kept + 1
  end
end
return {deleted, kept}
