-- One request folded into one cohort, atomically; a transcription of cohorts.update_cohort.
-- Sent in the same pipeline (the same round trip) as evaluate.lua. Every key of a cohort
-- carries its hash tag, so on Redis Cluster each cohort's call stays in one slot.
-- KEYS[1]: state (MessagePack: version, requests, elicit, focus, single, extract, ts,
--          tokens, tokens_ts)   KEYS[2], KEYS[3]: HyperLogLog of accounts today, yesterday
-- KEYS[4], KEYS[5]: HyperLogLog of young accounts today, yesterday
-- ARGV: now, account, young (0|1), traits, cost, min_young, full_young, min_young_share,
--       min_harvest, weight, half_life, bucket capacity, bucket refill/s, ttl
-- Reply: {allowed 0|1, accounts, young, packed doubles (score, harvest, retry_after)}
local now = tonumber(ARGV[1])
local young = ARGV[3] == '1'
local traits = tonumber(ARGV[4])
local cost = tonumber(ARGV[5])
local min_young = tonumber(ARGV[6])
local full_young = tonumber(ARGV[7])
local min_share = tonumber(ARGV[8])
local min_harvest = tonumber(ARGV[9])
local weight = tonumber(ARGV[10])
local half_life = tonumber(ARGV[11])
local cap = tonumber(ARGV[12])
local rate = tonumber(ARGV[13])
local ttl = tonumber(ARGV[14])

redis.call('PFADD', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ttl)
if young then
  redis.call('PFADD', KEYS[4], ARGV[2])
  redis.call('EXPIRE', KEYS[4], ttl)
end
-- The larger of today's and yesterday's counts: single-key PFCOUNTs are cached by Redis
-- (a two-key PFCOUNT merges two dense sketches on every call, ~10x the cost).
local accounts = math.max(redis.call('PFCOUNT', KEYS[2]), redis.call('PFCOUNT', KEYS[3]))
local young_n = math.max(redis.call('PFCOUNT', KEYS[4]), redis.call('PFCOUNT', KEYS[5]))

local v = {}
local raw = redis.call('GET', KEYS[1])
if raw then
  v = cmsgpack.unpack(raw)
  if v[1] ~= 1 then v = {} end
end
local function field(i)
  local x = v[i + 1]
  if x == false then return nil end
  return x
end
local ts = field(6)
local d = 0
if ts then
  local dt = now - ts
  if dt < 0 then dt = 0 end
  d = 0.5 ^ (dt / half_life)
end
local function bit_of(mask)
  if bit.band(traits, mask) ~= 0 then return 1 end
  return 0
end
local requests = (field(1) or 0) * d + 1
local elicit = (field(2) or 0) * d + bit_of(1)
local focus = (field(3) or 0) * d + bit_of(2)
local single = (field(4) or 0) * d + bit_of(4)
local extract = (field(5) or 0) * d + bit_of(8)
local harvest = (2 * elicit + 2 * focus + single + extract) / (6 * requests)

local score = 0
if young_n >= min_young and accounts > 0 then
  local share = young_n / math.max(accounts, young_n)
  if share >= min_share and harvest >= min_harvest then
    score = weight * math.min(1, young_n / full_young) * share * harvest
  end
end

local tokens, tokens_ts = field(7) or false, field(8) or false
local allowed, wait = 1, 0
if score > 0 then
  local t = cap
  if tokens and tokens_ts then
    local elapsed = now - tokens_ts
    if elapsed < 0 then elapsed = 0 end
    t = math.min(cap, tokens + elapsed * rate)
  end
  if cost > cap then cost = cap end
  if t >= cost then
    tokens = t - cost
  else
    allowed, wait = 0, (cost - t) / rate
    tokens = t
  end
  tokens_ts = now
end
redis.call('SET', KEYS[1], cmsgpack.pack({1, requests, elicit, focus, single, extract, now,
                                          tokens, tokens_ts}), 'EX', ttl)
return {allowed, accounts, young_n, struct.pack('<ddd', score, harvest, wait)}
