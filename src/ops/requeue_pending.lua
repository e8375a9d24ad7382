-- Requeue pending entries: put each back at the tail of its stream as a new
-- entry with the same fields, and acknowledge the old one. Atomic per call.
-- KEYS[1] stream; ARGV[1] group, ARGV[2] consumer to claim with,
-- ARGV[3] min idle ms, ARGV[4..] ids.
-- XCLAIM with min-idle both proves the entry is still pending and idle long
-- enough (a live worker's entry is never taken) and returns its fields.
-- Returns {requeued, skipped (not pending or not idle), gone (deleted from the stream)}.
local stream, group, consumer, min_idle = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local requeued, skipped, gone = 0, 0, 0
for i = 4, #ARGV do
  local id = ARGV[i]
  local pending = redis.call('XPENDING', stream, group, 'IDLE', min_idle, id, id, 1)
  if #pending == 0 then
    skipped = skipped + 1
  else
    local claimed = redis.call('XCLAIM', stream, group, consumer, min_idle, id)
    local entry = claimed[1]
    if entry == nil or entry == false then
      -- deleted or trimmed from the stream: XCLAIM dropped it from the PEL
      redis.call('XACK', stream, group, id)
      gone = gone + 1
    else
      redis.call('XADD', stream, '*', unpack(entry[2]))
      redis.call('XACK', stream, group, id)
      requeued = requeued + 1
    end
  end
end
-- The helper consumer XCLAIM made is removed when it holds nothing (a
-- cross-slot move may hold entries in it between its steps): no
-- `redeye-…` consumer is left behind in the group. pcall: a user whose ACL
-- lacks XGROUP keeps the helper, and the moves made stand.
if #redis.call('XPENDING', stream, group, '-', '+', 1, consumer) == 0 then
  redis.pcall('XGROUP', 'DELCONSUMER', stream, group, consumer)
end
return {requeued, skipped, gone}
