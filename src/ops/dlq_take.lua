-- Cluster, DLQ and target on different slots (step 1 of 3): read a batch of
-- dead letters and note each in the journal (a hash in the DLQ's slot) before
-- any copy is written. Nothing else is written.
-- KEYS[1] dlq stream, KEYS[2] journal hash.
-- ARGV[1] mode: 'ids' (ARGV[3..] are ids) or 'range' (ARGV[3] start, ARGV[4]
-- end, both inclusive, ARGV[5] count); ARGV[2] the time noted (unix ms).
-- Returns {entries (as XRANGE gives them), missing ids, next start or ''}.
local dlq, journal, now = KEYS[1], KEYS[2], ARGV[2]
local entries, missing = {}, {}
if ARGV[1] == 'range' then
  entries = redis.call('XRANGE', dlq, ARGV[3], ARGV[4], 'COUNT', tonumber(ARGV[5]))
else
  for i = 3, #ARGV do
    local e = redis.call('XRANGE', dlq, ARGV[i], ARGV[i])
    if e[1] then entries[#entries + 1] = e[1] else missing[#missing + 1] = ARGV[i] end
  end
end
for _, e in ipairs(entries) do
  redis.call('HSET', journal, e[1], now)
end
local next_start = ''
if ARGV[1] == 'range' and #entries == tonumber(ARGV[5]) then
  next_start = '(' .. entries[#entries][1]
end
return {entries, missing, next_start}
