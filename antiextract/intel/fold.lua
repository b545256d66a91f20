-- A run of records of one cohort on one UTC day, folded into the cohort's counts in
-- order: the analyser's half of what cohort.lua did per request (the shared bucket is the
-- request plane's now). Sent once per (cohort, run) of a batch, never per request.
-- KEYS: state (STATE_DOUBLES packed little-endian doubles: version, requests, elicit,
--       focus, single, extract, ts, day, accounts today, accounts yesterday, young today,
--       young yesterday; -1 marks "not set"), then the HyperLogLogs of accounts today and
--       yesterday, of young accounts today and yesterday. One hash tag: one Cluster slot.
-- ARGV: the run summed up in Python (intel/redis.py, RedisAnalyzer._fold_all): the times of
--       its first and last records, then each count's sum over the run of its records'
--       weights decayed to the last record (requests, elicit, focus, single, extract), the
--       number of distinct accounts, those accounts, then the young ones among them. Its
--       records are in time order, so folding them one by one (model.cohorts.fold_counts)
--       is the state decayed to the first record (never back: as fold_counts clamps),
--       then to the last, plus the sums.
-- Constants written before this text (intel/redis.py, from the Python models so each
--       number lives in one place): STATE_VERSION, STATE_DOUBLES, DAY, ELICIT, FOCUS,
--       SINGLE, EXTRACT, half_life, ttl.
-- Reply: seven packed doubles: accounts, young accounts (the larger of today's and
--        yesterday's, as model.cohorts.fold_counts counts), then the decayed requests,
--        elicit, focus, single, extract. Harvest and score are computed in Python
--        (model.cohorts.harvest, campaign_score): no arithmetic is written twice.
local STATE = '<' .. string.rep('d', STATE_DOUBLES)
local first, last = tonumber(ARGV[1]), tonumber(ARGV[2])
local n_accounts = tonumber(ARGV[8])
local day = math.floor(last / DAY)
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

local d = 0
if ts >= 0 then
  local dt = first - ts
  if dt < 0 then dt = 0 end
  d = 0.5 ^ (dt / half_life) * 0.5 ^ ((last - first) / half_life)
end
requests = requests * d + tonumber(ARGV[3])
elicit = elicit * d + tonumber(ARGV[4])
focus = focus * d + tonumber(ARGV[5])
single = single * d + tonumber(ARGV[6])
extract = extract * d + tonumber(ARGV[7])
ts = last

-- PFADD takes many members at once; a sketch gets its TTL when PFADD changes it (it is
-- read for two days, the TTL is at least two).
local added = redis.call('PFADD', KEYS[2], unpack(ARGV, 9, 8 + n_accounts))
if added == 1 then redis.call('EXPIRE', KEYS[2], ttl) end
local young_added = 0
if #ARGV > 8 + n_accounts then
  young_added = redis.call('PFADD', KEYS[4], unpack(ARGV, 9 + n_accounts, #ARGV))
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
