-- Requeue dead letters (Sidekiq's "retry now"): XADD the payload fields to the
-- original stream and XDEL the entry from the DLQ. Atomic per call.
-- KEYS[1] dlq stream, KEYS[2] default target stream (used when an entry has
-- no original_stream field).
-- ARGV[1] mode: 'ids' (ARGV[3..] are ids) or 'range' (ARGV[3] start, ARGV[4]
-- end, both inclusive, ARGV[5] count); ARGV[2] the DLQ metadata field names,
-- comma-separated (redeye's one list, model::dlq::FIELDS).
-- Metadata fields added by the dead-lettering code are dropped; the payload
-- fields (including `event` / `message`) are restored as they were.
-- Only targets that hash to the same slot as the DLQ can be written by a
-- script on a cluster; in standalone mode every target works.
-- Returns {requeued, missing (id not in the DLQ), next start id or ''}.
local dlq, fallback = KEYS[1], KEYS[2]
local meta = {}
for name in string.gmatch(ARGV[2], '[^,]+') do meta[name] = true end
local entries
if ARGV[1] == 'range' then
  entries = redis.call('XRANGE', dlq, ARGV[3], ARGV[4], 'COUNT', tonumber(ARGV[5]))
else
  entries = {}
  for i = 3, #ARGV do
    local e = redis.call('XRANGE', dlq, ARGV[i], ARGV[i])
    entries[#entries + 1] = e[1] or {ARGV[i], false}
  end
end
local requeued, missing = 0, 0
for _, e in ipairs(entries) do
  local id, f = e[1], e[2]
  if not f then
    missing = missing + 1
  else
    local target = fallback
    local payload = {}
    for j = 1, #f, 2 do
      if f[j] == 'original_stream' and f[j + 1] ~= '' then target = f[j + 1] end
      if not meta[f[j]] then
        payload[#payload + 1] = f[j]
        payload[#payload + 1] = f[j + 1]
      end
    end
    if #payload == 0 then payload = {'payload', ''} end
    redis.call('XADD', target, '*', unpack(payload))
    redis.call('XDEL', dlq, id)
    requeued = requeued + 1
  end
end
local next_start = ''
if ARGV[1] == 'range' and #entries == tonumber(ARGV[5]) then
  next_start = '(' .. entries[#entries][1]
end
return {requeued, missing, next_start}
