-- A run of records of one cohort on one UTC day, folded into the cohort's counts in
-- order: the analyser's half of what cohort.lua did per request (the shared bucket is the
-- request plane's now). One call folds several runs (on a Cluster: one, each cohort has its
-- own slot), in the order given; KEYS and ARGV come in one group per run.
-- KEYS, five per run: state (STATE_DOUBLES packed little-endian doubles: version, requests, elicit,
--       focus, single, extract, ts, day, accounts today, accounts yesterday, young today,
--       young yesterday; -1 marks "not set"), then the HyperLogLogs of accounts today and
--       yesterday, of young accounts today and yesterday. One hash tag: one Cluster slot.
-- ARGV, per run: the run summed up in Python (intel/redis.py, RedisAnalyzer._fold_all): the times of
--       its first and last records, then each count's sum over the run of its records'
--       weights decayed to the last record (requests, elicit, focus, single, extract), the
--       numbers of distinct accounts and of young ones, the accounts, the young ones. Its
--       records are in time order, so folding them one by one (model.cohorts.fold_counts)
--       is the state decayed to the first record (never back: as fold_counts clamps),
--       then to the last, plus the sums.
-- Constants written before this text (intel/redis.py, from the Python models so each
--       number lives in one place): STATE_VERSION, STATE_DOUBLES, DAY, ELICIT, FOCUS,
--       SINGLE, EXTRACT, half_life, ttl.
-- Reply, per run: seven packed doubles: accounts, young accounts (the larger of today's and
--        yesterday's, as model.cohorts.fold_counts counts), then the decayed requests,
--        elicit, focus, single, extract. Harvest and score are computed in Python
--        (model.cohorts.harvest, campaign_score): no arithmetic is written twice.
local STATE = '<' .. string.rep('d', STATE_DOUBLES)

local function fold(K1, K2, K3, K4, K5, at)
  local first, last = tonumber(ARGV[at]), tonumber(ARGV[at + 1])
  local n_accounts, n_young = tonumber(ARGV[at + 7]), tonumber(ARGV[at + 8])
  local members = at + 9
  local day = math.floor(last / DAY)
  local version, requests, elicit, focus, single, extract, ts, sday, a_cur, a_prev, y_cur,
        y_prev = STATE_VERSION, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1
  local raw = redis.call('GET', K1)
  if raw and #raw == 8 * STATE_DOUBLES then
    version, requests, elicit, focus, single, extract, ts, sday, a_cur, a_prev, y_cur,
      y_prev = struct.unpack(STATE, raw)
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
  requests = requests * d + tonumber(ARGV[at + 2])
  elicit = elicit * d + tonumber(ARGV[at + 3])
  focus = focus * d + tonumber(ARGV[at + 4])
  single = single * d + tonumber(ARGV[at + 5])
  extract = extract * d + tonumber(ARGV[at + 6])
  ts = last
  -- PFADD takes many members at once; a sketch gets its TTL when PFADD changes it (it is
  -- read for two days, the TTL is at least two).
  local added = redis.call('PFADD', K2, unpack(ARGV, members, members + n_accounts - 1))
  if added == 1 then redis.call('EXPIRE', K2, ttl) end
  local young_added = 0
  if n_young > 0 then
    local from = members + n_accounts
    young_added = redis.call('PFADD', K4, unpack(ARGV, from, from + n_young - 1))
    if young_added == 1 then redis.call('EXPIRE', K4, ttl) end
  end
  local stale = sday ~= day or a_cur < 0
  if stale then
    a_prev = redis.call('PFCOUNT', K3)
    y_prev = redis.call('PFCOUNT', K5)
  end
  if stale or added == 1 then a_cur = redis.call('PFCOUNT', K2) end
  if stale or young_added == 1 or y_cur < 0 then y_cur = redis.call('PFCOUNT', K4) end
  redis.call('SET', K1, struct.pack(STATE, STATE_VERSION, requests, elicit, focus, single,
             extract, ts, day, a_cur, a_prev, y_cur, y_prev), 'EX', ttl)
  local reply = struct.pack('<ddddddd', math.max(a_cur, a_prev), math.max(y_cur, y_prev),
                            requests, elicit, focus, single, extract)
  return reply, members + n_accounts + n_young
end

local out, at = {}, 1
for g = 0, #KEYS / 5 - 1 do
  local b = 5 * g
  out[g + 1], at = fold(KEYS[b + 1], KEYS[b + 2], KEYS[b + 3], KEYS[b + 4], KEYS[b + 5], at)
end
return table.concat(out)
