-- A run of records of one cohort on one UTC day, folded into the cohort's counts in
-- order: the analyser's half of what cohort.lua did per request (the shared bucket is the
-- request plane's now). Sent once per (cohort, run) of a batch, never per request.
-- KEYS: state (STATE_DOUBLES packed little-endian doubles: version, requests, elicit,
--       focus, single, extract, ts, day, accounts today, accounts yesterday, young today,
--       young yesterday; -1 marks "not set"), then the HyperLogLogs of accounts today and
--       yesterday, of young accounts today and yesterday. One hash tag: one Cluster slot.
-- ARGV: then four per record: time, account, young (0|1), traits.
-- Constants written before this text (intel/redis.py, from the Python models so each
--       number lives in one place): STATE_VERSION, STATE_DOUBLES, DAY, ELICIT, FOCUS,
--       SINGLE, EXTRACT, half_life, ttl.
-- Reply: seven packed doubles: accounts, young accounts (the larger of today's and
--        yesterday's, as model.cohorts.fold_counts counts), then the decayed requests,
--        elicit, focus, single, extract. Harvest and score are computed in Python
--        (model.cohorts.harvest, campaign_score): no arithmetic is written twice.
local STATE = '<' .. string.rep('d', STATE_DOUBLES)
local n = #ARGV / 4
local day = math.floor(tonumber(ARGV[1]) / DAY)

local version, requests, elicit, focus, single, extract, ts, sday, a_cur, a_prev, y_cur,
      y_prev = STATE_VERSION, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1
local raw = redis.call('GET', KEYS[1])
if raw and #raw == 8 * STATE_DOUBLES then
  version, requests, elicit, focus, single, extract, ts, sday, a_cur, a_prev, y_cur, y_prev =
    struct.unpack(STATE, raw)
  if version ~= STATE_VERSION then
    requests, elicit, focus, single, extract, ts, sday = 0, 0, 0, 0, 0, -1, -1
  end
end

local members, young_members = {}, {}
for i = 0, n - 1 do
  local now = tonumber(ARGV[4 * i + 1])
  local traits = tonumber(ARGV[4 * i + 4])
  members[#members + 1] = ARGV[4 * i + 2]
  if ARGV[4 * i + 3] == '1' then young_members[#young_members + 1] = ARGV[4 * i + 2] end
  local d = 0
  if ts >= 0 then
    local dt = now - ts
    if dt < 0 then dt = 0 end
    d = 0.5 ^ (dt / half_life)
  end
  requests = requests * d + 1
  elicit = elicit * d + (bit.band(traits, ELICIT) ~= 0 and 1 or 0)
  focus = focus * d + (bit.band(traits, FOCUS) ~= 0 and 1 or 0)
  single = single * d + (bit.band(traits, SINGLE) ~= 0 and 1 or 0)
  extract = extract * d + (bit.band(traits, EXTRACT) ~= 0 and 1 or 0)
  ts = now
end

-- PFADD takes many members at once; a sketch gets its TTL when PFADD changes it (it is
-- read for two days, the TTL is at least two).
local added = redis.call('PFADD', KEYS[2], unpack(members))
if added == 1 then redis.call('EXPIRE', KEYS[2], ttl) end
local young_added = 0
if #young_members > 0 then
  young_added = redis.call('PFADD', KEYS[4], unpack(young_members))
  if young_added == 1 then redis.call('EXPIRE', KEYS[4], ttl) end
end
local stale = sday ~= day or a_cur < 0
if stale then
  a_prev = redis.call('PFCOUNT', KEYS[3])
  y_prev = redis.call('PFCOUNT', KEYS[5])
end
if stale or added == 1 then a_cur = redis.call('PFCOUNT', KEYS[2]) end
if stale or young_added == 1 or y_cur < 0 then y_cur = redis.call('PFCOUNT', KEYS[4]) end

redis.call('SET', KEYS[1], struct.pack(STATE, STATE_VERSION, requests, elicit, focus, single,
           extract, ts, day, a_cur, a_prev, y_cur, y_prev), 'EX', ttl)
return struct.pack('<ddddddd', math.max(a_cur, a_prev), math.max(y_cur, y_prev), requests,
                   elicit, focus, single, extract)
