-- One page of a DLQ for the DLQ pane, newest first, without the bodies:
-- every value is cut to 128 bytes, at most 4 fields beyond the metadata are
-- kept, and `redeye:omitted_bytes` says how much was left out (the pane
-- loads a whole entry only when it is opened). A page of 1 MiB dead letters
-- would otherwise be sent with every poll.
-- KEYS[1] dlq; ARGV[1] end ('+' or '(id'), ARGV[2] count, ARGV[3] the
-- metadata field names, comma-separated.
local meta = {}
for n in string.gmatch(ARGV[3], '[^,]+') do meta[n] = true end
local rows = redis.call('XREVRANGE', KEYS[1], ARGV[1], '-', 'COUNT', tonumber(ARGV[2]))
for _, e in ipairs(rows) do
  local f, kept, omitted, extra = e[2], {}, 0, 0
  for j = 1, #f, 2 do
    local k, v = f[j], f[j + 1]
    if meta[k] or extra < 4 then
      if not meta[k] then extra = extra + 1 end
      if #v > 128 then
        omitted = omitted + #v - 128
        v = string.sub(v, 1, 128)
      end
      kept[#kept + 1] = string.sub(k, 1, 128)
      kept[#kept + 1] = v
    else
      omitted = omitted + #k + #v
    end
  end
  if omitted > 0 then
    kept[#kept + 1] = 'redeye:omitted_bytes'
    kept[#kept + 1] = tostring(omitted)
  end
  e[2] = kept
end
return rows
