-- Cluster, stream and DLQ on different slots (step 1 of 3): claim the
-- entries that qualify to the consumer `redeye-dead-letter` (the journal: an
-- entry pending there is being moved) and return them with their metadata.
-- Nothing is acknowledged here.
-- KEYS[1] stream; ARGV[1] group, ARGV[2] consumer, ARGV[3] min idle ms,
-- ARGV[4] min deliveries, ARGV[5..] ids.
-- Returns {moving: {id, owner, deliveries, fields}..., skipped, gone}.
local stream = KEYS[1]
local group, consumer, min_idle = ARGV[1], ARGV[2], ARGV[3]
local min_deliveries = tonumber(ARGV[4])
local moving, skipped, gone = {}, 0, 0
for i = 5, #ARGV do
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
      moving[#moving + 1] = {id, owner, tostring(deliveries), entry[2]}
    end
  end
end
return {moving, skipped, gone}
