-- Requeue dead letters (Sidekiq's "retry now"): XADD the payload fields to the
-- original stream and XDEL the entry from the DLQ.
-- KEYS[1] dlq stream, KEYS[2] default target stream (used when an entry has
-- no original_stream field).
-- ARGV[1] mode: 'ids' (ARGV[3..] are ids) or 'range' (ARGV[3] start, ARGV[4]
-- end, both inclusive, ARGV[5] count); ARGV[2] the DLQ metadata field names,
-- comma-separated (redeye's one list, model::dlq::FIELDS).
-- Metadata fields added by the dead-lettering code are dropped; the payload
-- fields (including `event` / `message`) are restored as they were.
--
-- Redis does not roll back a script that fails half-way, so everything that
-- can fail is checked before the first write: every entry's target must be a
-- stream (or not exist yet). An entry whose target is not a stream is
-- skipped and reported, and never blocks the others. What can still fail
-- while writing (OOM under maxmemory) stops the batch with the true count.
-- Only targets that hash to the same slot as the DLQ can be written by a
-- script on a cluster; redeye uses ops/cross.rs there.
-- Returns {requeued, missing, next start id or '', skipped {id, target,
-- type}..., error or ''}.
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
-- Check everything first.
local types, moves, skipped, missing = {}, {}, {}, 0
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
    if types[target] == nil then
      types[target] = redis.call('TYPE', target)['ok']
    end
    local t = types[target]
    if t == 'stream' or t == 'none' then
      moves[#moves + 1] = {id, target, payload}
    else
      skipped[#skipped + 1] = {id, target, t}
    end
  end
end
-- Then write. When the batch is the head of the DLQ (range mode, nothing
-- skipped, nothing older left in it), the moved entries are removed with
-- one XTRIM MINID after the copies instead of one XDEL each (XDEL costs
-- about eight XADDs): the entries below the threshold are exactly the ones
-- copied, because XRANGE returned a contiguous run from the first entry.
local head = false
if ARGV[1] == 'range' and #skipped == 0 and #moves > 0 and missing == 0 then
  local first = redis.call('XRANGE', dlq, '-', '+', 'COUNT', 1)[1]
  head = first ~= nil and first[1] == moves[1][1]
end
-- The id just above `id` (XTRIM MINID removes the ids below it); nil when
-- its sequence is too large for Lua's numbers to add one exactly.
local function above(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  if not ms or #seq > 15 then return nil end
  return ms .. '-' .. string.format('%d', tonumber(seq) + 1)
end
local requeued, err, last = 0, '', nil
for _, m in ipairs(moves) do
  local r = redis.pcall('XADD', m[2], '*', unpack(m[3]))
  if type(r) == 'table' and r.err then
    err = m[1] .. ': ' .. r.err
    break
  end
  if head then
    last = m[1]
  else
    redis.call('XDEL', dlq, m[1])
  end
  requeued = requeued + 1
end
if head and last then
  local min = above(last)
  if min then
    redis.call('XTRIM', dlq, 'MINID', '=', min)
  else
    for i = 1, requeued do redis.call('XDEL', dlq, moves[i][1]) end
  end
end
local next_start = ''
if err == '' and ARGV[1] == 'range' and #entries == tonumber(ARGV[5]) then
  next_start = '(' .. entries[#entries][1]
end
return {requeued, missing, next_start, skipped, err}
