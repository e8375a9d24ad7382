-- Move pending entries to the DLQ stream with the DLQ metadata fields, and
-- acknowledge them. Atomic per call.
-- KEYS[1] stream, KEYS[2] dlq stream; ARGV[1] group, ARGV[2] consumer,
-- ARGV[3] min idle ms, ARGV[4] min deliveries, ARGV[5] error text,
-- ARGV[6] failed_at (unix seconds), ARGV[7..] ids.
-- Returns {moved, skipped (not pending, not idle, or too few deliveries),
-- gone, error or ''}.
-- Checked before the first write: the DLQ key is a stream (or absent). A
-- write refused later (OOM) stops the batch with the true count; the entry
-- it stopped at stays pending (claimed to ARGV[2]), never lost.
local stream, dlq = KEYS[1], KEYS[2]
local dlq_type = redis.call('TYPE', dlq)['ok']
if dlq_type ~= 'stream' and dlq_type ~= 'none' then
  return {0, 0, 0, 'the DLQ ' .. dlq .. ' is not a stream (it holds a ' .. dlq_type .. '); nothing was moved'}
end
local group, consumer, min_idle = ARGV[1], ARGV[2], ARGV[3]
local min_deliveries, err, failed_at = tonumber(ARGV[4]), ARGV[5], ARGV[6]
local moved, skipped, gone = 0, 0, 0
for i = 7, #ARGV do
  local id = ARGV[i]
  local p = redis.call('XPENDING', stream, group, 'IDLE', min_idle, id, id, 1)
  if #p == 0 or tonumber(p[1][4]) < min_deliveries then
    skipped = skipped + 1
  else
    local owner, deliveries = p[1][2], p[1][4]
    local claimed = redis.call('XCLAIM', stream, group, consumer, min_idle, id)
    local entry = claimed[1]
    if entry == nil or entry == false then
      redis.call('XACK', stream, group, id)
      gone = gone + 1
    else
      local fields = {'original_id', id, 'original_stream', stream, 'error', err,
        'retry_count', tostring(deliveries), 'failed_at', failed_at,
        'consumer_group', group, 'consumer_id', owner}
      for _, v in ipairs(entry[2]) do fields[#fields + 1] = v end
      local r = redis.pcall('XADD', dlq, '*', unpack(fields))
      if type(r) == 'table' and r.err then
        return {moved, skipped, gone, id .. ': ' .. r.err}
      end
      redis.call('XACK', stream, group, id)
      moved = moved + 1
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
return {moved, skipped, gone, ''}
