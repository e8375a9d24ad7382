-- The first entry not yet delivered to each group of a stream, without its
-- body: {group, last-delivered-id, id of the entry after it (false: none)}
-- for every group named in ARGV, or, with no ARGV, for every group whose
-- lag is not 0 (a NULL lag included). The last-delivered id is read here,
-- in the same instant as the entry after it. Read-only; errors (no such
-- key, wrong type) are returned exactly as XINFO gives them.
local groups = redis.pcall('XINFO', 'GROUPS', KEYS[1])
if groups.err then return groups end
local want = {}
for _, g in ipairs(ARGV) do want[g] = true end
local out = {}
for _, g in ipairs(groups) do
  local name, last, lag
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1]
    elseif g[i] == 'last-delivered-id' then last = g[i + 1]
    elseif g[i] == 'lag' then lag = g[i + 1] end
  end
  if (#ARGV == 0 and lag ~= 0) or want[name] then
    local first = false
    local after = redis.pcall('XRANGE', KEYS[1], '(' .. last, '+', 'COUNT', 1)
    if not after.err and after[1] then first = after[1][1] end
    out[#out + 1] = {name, last, first}
  end
end
return out
