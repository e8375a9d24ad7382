-- XINFO STREAM without the entry bodies: first-entry and last-entry become
-- {id, {}}. One large entry at a stream's head or tail would otherwise be
-- sent in full on every poll. Read-only; errors (no such key, wrong type)
-- are returned exactly as XINFO gives them.
local info = redis.pcall('XINFO', 'STREAM', KEYS[1])
if info.err then return info end
for i = 1, #info, 2 do
  if (info[i] == 'first-entry' or info[i] == 'last-entry') and info[i + 1] then
    info[i + 1] = {info[i + 1][1], {}}
  end
end
return info
