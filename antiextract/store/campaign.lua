-- The shared token buckets of the flagged campaigns one request belongs to; a
-- transcription of campaigns.take_shared. On a single Redis the store runs this text
-- inside combined.lua after evaluate.lua (one call for the account and its campaigns; the
-- constants key0 and arg0 say where its KEYS and ARGV start); on Redis Cluster one call
-- per campaign (its bucket's slot) in the same batch as the account's.
-- KEYS: one bucket per campaign: two packed little-endian doubles (tokens, ts).
-- ARGV: now, cost (already capped to the account's bucket by the store).
-- Constants written before this text by the store: key0, arg0; from CohortModel cap and
--   rate (bucket_capacity, bucket_refill) and ttl (campaigns.bucket_ttl); `refill` from
--   bucket.lua.
-- Reply: one string, per bucket two packed doubles: allowed (0|1), retry_after.
local now = tonumber(ARGV[arg0 + 1])
local cost = tonumber(ARGV[arg0 + 2])
if cost > cap then cost = cap end
local out = {}
for i = key0 + 1, #KEYS do
  local level = cap
  local raw = redis.call('GET', KEYS[i])
  if raw and #raw == 16 then
    local tokens, ts = struct.unpack('<dd', raw)
    level = refill(tokens, ts, now, cap, rate, 1)
  end
  local allowed, wait = 1, 0
  if level >= cost then
    level = level - cost
  else
    allowed, wait = 0, (cost - level) / rate
  end
  redis.call('SET', KEYS[i], struct.pack('<dd', level, now), 'EX', ttl)
  out[#out + 1] = struct.pack('<dd', allowed, wait)
end
return table.concat(out)
