-- A run of records of one cohort on one UTC day, folded into the cohort's counts in
-- order: the analyser's half of what cohort.lua did per request (the shared bucket is the
-- request plane's now). One call folds several runs (on a Cluster: one, each cohort has its
-- own slot), in the order given; KEYS and ARGV come in one group per run.
-- KEYS, six per run: state (STATE_DOUBLES packed little-endian doubles: version, requests, elicit,
--       focus, single, extract, ts, day, accounts today, accounts yesterday, young today,
--       young yesterday; -1 marks "not set"), then the HyperLogLogs of accounts today and
--       yesterday, of young accounts today and yesterday, then the part's admission marker
--       (used by wrapper parts only). One hash tag: one Cluster slot.
-- ARGV, per run: the run summed up in Python (intel/redis.py, RedisAnalyzer._fold_all): the times of
--       its first and last records, then each count's sum over the run of its records'
--       weights decayed to the last record (requests, elicit, focus, single, extract), the
--       numbers of distinct accounts and of young ones, whether the run passes admission
--       ('1': a wrapper part, its accounts given as 8-byte hashes), the
--       accounts, the young ones. Its
--       records are in time order, so folding them one by one (model.cohorts.fold_counts)
--       is the state decayed to the first record (never back: as fold_counts clamps),
--       then to the last, plus the sums.
-- Constants written before this text (intel/redis.py, from the Python models so each
--       number lives in one place): STATE_VERSION, STATE_DOUBLES, DAY, ELICIT, FOCUS,
--       SINGLE, EXTRACT, half_life, ttl, MARKER_BYTES, marker_ttl.
-- Admission (intel/analyzer.py, model.cohorts.PartMarker): a part with no state whose run
--       is one account's (the marker's, or a first one) folds into the marker only: a
--       string of six packed doubles (ts, requests, elicit, focus, single, extract; its
--       day is ts's), a byte of flags (1 seen the day before, 2 young on the day, 4 young
--       the day before) and the account's 8-byte hash, with a TTL. Any other account promotes it: the state starts from
--       the marker (its account added to the sketches of its days) and the run folds on.
--       A marker idle longer than marker_ttl (record time) is forgotten.
-- Reply, per run: seven packed doubles: accounts, young accounts (the larger of today's and
--        yesterday's, as model.cohorts.fold_counts counts), then the decayed requests,
--        elicit, focus, single, extract. Harvest and score are computed in Python
--        (model.cohorts.harvest, campaign_score): no arithmetic is written twice.
local STATE = '<' .. string.rep('d', STATE_DOUBLES)
local MARKER = '<ddddddB'

local function add(key, member)
  if redis.call('PFADD', key, member) == 1 then redis.call('EXPIRE', key, ttl) end
end

-- A run's sums into the decayed counts a cohort state and an admission marker both keep
-- (model.cohorts._fold_request, per record there): counts last folded at ts (-1: none
-- yet, they are 0) decayed to the run's first record (never back), then to its last, plus
-- the run's sums ARGV[at + 2 .. at + 6].
local function fold_sums(ts, first, last, at, requests, elicit, focus, single, extract)
  local d = 0
  if ts >= 0 then
    local dt = first - ts
    if dt < 0 then dt = 0 end
    d = 0.5 ^ (dt / half_life) * 0.5 ^ ((last - first) / half_life)
  end
  return requests * d + tonumber(ARGV[at + 2]), elicit * d + tonumber(ARGV[at + 3]),
         focus * d + tonumber(ARGV[at + 4]), single * d + tonumber(ARGV[at + 5]),
         extract * d + tonumber(ARGV[at + 6])
end

local function fold(K1, K2, K3, K4, K5, K6, at)
  local first, last = tonumber(ARGV[at]), tonumber(ARGV[at + 1])
  local n_accounts, n_young = tonumber(ARGV[at + 7]), tonumber(ARGV[at + 8])
  local admit = ARGV[at + 9] == '1'
  local members = at + 10
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
  elseif admit then
    local mday, mts, who, flags = -1, -1, nil, 0
    local mark = redis.call('GET', K6)
    if mark and #mark == MARKER_BYTES then
      mts, requests, elicit, focus, single, extract, flags = struct.unpack(MARKER, mark)
      mday = math.floor(mts / DAY)
      who = string.sub(mark, 50)
      if first - mts > marker_ttl then
        mday, mts, who, flags, requests, elicit, focus, single, extract = -1, -1, nil, 0, 0,
          0, 0, 0, 0
      end
    end
    local prev, yc, yp = flags % 2 == 1, math.floor(flags / 2) % 2 == 1, flags >= 4
    if n_accounts == 1 and (who == nil or who == ARGV[members]) then
      -- one account's part: the marker only (model.cohorts.fold_marker)
      if mday ~= day then
        prev = mday == day - 1
        yp = prev and yc
        yc = false
      end
      if n_young > 0 then yc = true end
      requests, elicit, focus, single, extract =
        fold_sums(mts, first, last, at, requests, elicit, focus, single, extract)
      flags = (prev and 1 or 0) + (yc and 2 or 0) + (yp and 4 or 0)
      redis.call('SET', K6, struct.pack(MARKER, last, requests, elicit, focus, single, extract,
                 flags) .. ARGV[members], 'EX', marker_ttl)
      local reply = struct.pack('<ddddddd', 1, (yc or yp) and 1 or 0, requests, elicit, focus,
                                single, extract)
      return reply, members + n_accounts + n_young
    end
    if who then
      -- promoted (model.cohorts.promote): the state the marker stands for, its account in
      -- the sketches of its days that are still read
      ts, sday = mts, mday
      if mday == day then
        add(K2, who)
        if prev then add(K3, who) end
        if yc then add(K4, who) end
        if yp then add(K5, who) end
      elseif mday == day - 1 then
        add(K3, who)
        if yc then add(K5, who) end
      end
    end
    redis.call('DEL', K6)
  end
  requests, elicit, focus, single, extract =
    fold_sums(ts, first, last, at, requests, elicit, focus, single, extract)
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
for g = 0, #KEYS / 6 - 1 do
  local b = 6 * g
  out[g + 1], at = fold(KEYS[b + 1], KEYS[b + 2], KEYS[b + 3], KEYS[b + 4], KEYS[b + 5],
                        KEYS[b + 6], at)
end
return table.concat(out)
