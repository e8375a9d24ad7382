-- XINFO STREAM without the entry bodies: first-entry and last-entry become
-- {id, {}}. One large entry at a stream's head or tail would otherwise be
-- sent in full on every poll. Adds 'redeye-dropped-bytes': the size of the
-- larger body it dropped, so the dashboard knows whether the next read of
-- this stream needs the script at all. Read-only; errors (no such key,
-- wrong type) are returned exactly as XINFO gives them.
local info = redis.pcall('XINFO', 'STREAM', KEYS[1])
if info.err then return info end
local dropped = 0
for i = 1, #info, 2 do
  if (info[i] == 'first-entry' or info[i] == 'last-entry') and info[i + 1] then
    local size = 0
    for _, v in ipairs(info[i + 1][2]) do size = size + #v end
    if size > dropped then dropped = size end
    info[i + 1] = {info[i + 1][1], {}}
  end
end
info[#info + 1] = 'redeye-dropped-bytes'
info[#info + 1] = dropped
return info
