-- One request folded into its cohorts, atomically; a transcription of
-- cohorts.update_cohort. On Redis Cluster sent in the same batch (round trip) as evaluate.lua.
-- KEYS come in groups of five, one group per cohort; every key of a group carries the
-- cohort's hash tag, so on Redis Cluster the store sends one call per cohort (one slot
-- each). On a single Redis the store runs this text inside combined.lua, after
-- evaluate.lua, so the account and all its cohorts are one call: its KEYS and ARGV then
-- start after evaluate.lua's (the constants key0 and arg0 say where; 0 when alone).
-- Per group: KEYS[1]: state, COHORT_DOUBLES (15) packed little-endian doubles (version
--          COHORT_VERSION, requests, elicit,
--          focus, single, extract, ts, tokens, tokens_ts, then the cached distinct counts:
--          day, accounts today, accounts yesterday, young today, young yesterday; then
--          born, the server's clock in µs when this state was made); -1 marks "not set". (struct is cheaper than
--          MessagePack here: five per request.)
-- KEYS[2], KEYS[3]: HyperLogLog of accounts today, yesterday
-- KEYS[4], KEYS[5]: HyperLogLog of young accounts today, yesterday
-- ARGV: now, account, young (0|1), traits, cost, joined (a packed double per group: the
--       state's `born` under which the caller already added the account today, or 0).
-- Constants written before this text by the store: key0, arg0 (above), and from
--       CohortModel min_young, full_young, min_share, min_harvest, weight, half_life,
--       cap, rate (the shared bucket), ttl; from the Python side, so each number lives in
--       one place: DAY, the trait bits ELICIT, FOCUS, SINGLE, EXTRACT (risk.py), the
--       harvest weights HARVEST_ELICIT ... HARVEST_EXTRACT (cohorts.py), the state's
--       COHORT_VERSION and COHORT_DOUBLES (store/redis.py); `refill` from bucket.lua.
-- Reply: one string, per group seven packed doubles: allowed (0|1), accounts, young, score,
--        harvest, wait, born (one bulk reply is cheaper to read than an array per cohort).
--
-- Server time is what this script costs every request, five times over, so it does the
-- least it can: a cohort's counts only change when PFADD says a register changed, so
-- they are cached in the state (every PFADD is followed by the SET of that state inside
-- this one atomic script; a large count is read back in steps, see `grown`), yesterday's
-- sketch no longer changes at all, and a day's sketch gets its TTL when PFADD changes it
-- (it is only read for two days; the TTL is at least two, three by default). And an
-- account's second and later requests of a day skip PFADD altogether: the store remembers
-- which (account, youth, cohort, day, born) it has added and says so in `joined`. The
-- steady state is GET and SET per cohort.
local now = tonumber(ARGV[arg0 + 1])
local young = ARGV[arg0 + 3] == '1'
local traits = tonumber(ARGV[arg0 + 4])
local request_cost = tonumber(ARGV[arg0 + 5])
local joined = ARGV[arg0 + 6]

local day = math.floor(now / DAY)

local STATE = '<' .. string.rep('d', COHORT_DOUBLES)  -- -1 stands for "not set"
local STATE_LEN = 8 * COHORT_DOUBLES
local HARVEST_TOTAL = HARVEST_ELICIT + HARVEST_FOCUS + HARVEST_SINGLE + HARVEST_EXTRACT
local e_bit = bit.band(traits, ELICIT) ~= 0 and 1 or 0
local f_bit = bit.band(traits, FOCUS) ~= 0 and 1 or 0
local s_bit = bit.band(traits, SINGLE) ~= 0 and 1 or 0
local x_bit = bit.band(traits, EXTRACT) ~= 0 and 1 or 0
local member = ARGV[arg0 + 2]

-- A new state's `born`: the server's clock in µs (request clocks may repeat; this one
-- moves on between any two scripts, and across a restart).
local function server_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- A count after a PFADD that changed the sketch. Reading a sketch back (PFCOUNT) scans
-- all of it once it is dense: when a campaign's new accounts arrive, that was most of the
-- script's time (benchmarks/bench_scripts.py, "new accounts"). Counts under 256, where
-- the thresholds are, are read back after every change. From 256 to 16,383 a count is
-- read back when it reaches a multiple of a step of 1/256 to 1/128 of itself (2 from 256,
-- 64 from 8,192) and counts one up per change in between: a change means at least one
-- more account (PFADD changes no register for an account the sketch holds), and below the
-- sketch's 16,384 registers nearly every new account changes one, so the count lags by
-- about a step at most (under 1%; the sketch's own standard error is 0.8%). From 16,384
-- on most new accounts change no register, so counting changes would fall ever further
-- behind: there every change is read back again, and changes themselves grow rare.
local function grown(count, key)
  local _, e = math.frexp(count + 1)  -- count + 1 = m * 2^e, 0.5 <= m < 1
  if e <= 8 or e >= 15 or (count + 1) % 2 ^ (e - 8) == 0 then
    return redis.call('PFCOUNT', key)
  end
  return count + 1
end

local function fold(K1, K2, K3, K4, K5, expect)
  local cost = request_cost
  local version, requests, elicit, focus, single, extract, ts, tokens, tokens_ts,
        sday, a_cur, a_prev, y_cur, y_prev, born =
        COHORT_VERSION, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1
  local raw = redis.call('GET', K1)
  if raw and #raw == STATE_LEN then
    version, requests, elicit, focus, single, extract, ts, tokens, tokens_ts,
      sday, a_cur, a_prev, y_cur, y_prev, born = struct.unpack(STATE, raw)
    if version ~= COHORT_VERSION then
      requests, elicit, focus, single, extract, ts, tokens, tokens_ts = 0, 0, 0, 0, 0, -1, -1, -1
      sday, a_cur, born = -1, -1, -1
    end
  end
  if born < 0 then born = server_us() end
  -- `expect`: the caller already added this account (with this youth) to today's
  -- sketches while this state was the one born at `expect` (0: it did not). A state lost
  -- (FLUSHDB, a restart without persistence) and made again is born anew, so the caller's
  -- memory no longer matches and the account is added again (PFADD is idempotent).
  local added, young_added = 0, 0
  if expect == 0 or expect ~= born then
    added = redis.call('PFADD', K2, member)
    if added == 1 then redis.call('EXPIRE', K2, ttl) end
    if young then
      young_added = redis.call('PFADD', K4, member)
      if young_added == 1 then redis.call('EXPIRE', K4, ttl) end
    end
  end
  -- The larger of today's and yesterday's counts, as the memory store reads them.
  local stale = sday ~= day or a_cur < 0
  if stale then
    a_prev = redis.call('PFCOUNT', K3)
    y_prev = redis.call('PFCOUNT', K5)
  end
  if stale then
    a_cur = redis.call('PFCOUNT', K2)
  elseif added == 1 then
    a_cur = grown(a_cur, K2)
  end
  if stale or y_cur < 0 then
    y_cur = redis.call('PFCOUNT', K4)
  elseif young_added == 1 then
    y_cur = grown(y_cur, K4)
  end
  local accounts = math.max(a_cur, a_prev)
  local young_n = math.max(y_cur, y_prev)

  local d = 0
  if ts >= 0 then
    local dt = now - ts
    if dt < 0 then dt = 0 end
    d = 0.5 ^ (dt / half_life)
  end
  requests = requests * d + 1
  elicit = elicit * d + e_bit
  focus = focus * d + f_bit
  single = single * d + s_bit
  extract = extract * d + x_bit
  local harvest = (HARVEST_ELICIT * elicit + HARVEST_FOCUS * focus + HARVEST_SINGLE * single
                   + HARVEST_EXTRACT * extract) / (HARVEST_TOTAL * requests)

  local score = 0
  if young_n >= min_young and accounts > 0 then
    local share = young_n / math.max(accounts, young_n)
    if share >= min_share and harvest >= min_harvest then
      score = weight * math.min(1, young_n / full_young) * share * harvest
    end
  end

  local allowed, wait = 1, 0
  if score > 0 then
    local t = cap
    if tokens >= 0 and tokens_ts >= 0 then t = refill(tokens, tokens_ts, now, cap, rate, 1) end
    if cost > cap then cost = cap end
    if t >= cost then
      tokens = t - cost
    else
      allowed, wait = 0, (cost - t) / rate
      tokens = t
    end
    tokens_ts = now
  end
  -- The TTL is renewed by the first write of each day (and a new state's); later writes
  -- keep it: a SET that also sets an expiry does more work in Redis (the expiry table),
  -- five times per request. An idle cohort's state so lives from `ttl` less a day to
  -- `ttl` after its last request (two to three days by default; the memory store keeps
  -- it `ttl` after the last request: its counts have decayed by then either way).
  local state = struct.pack(STATE, COHORT_VERSION, requests, elicit, focus, single, extract,
                            now, tokens, tokens_ts, day, a_cur, a_prev, y_cur, y_prev, born)
  if stale then
    redis.call('SET', K1, state, 'EX', ttl)
  else
    redis.call('SET', K1, state, 'KEEPTTL')
  end
  return struct.pack('<ddddddd', allowed, accounts, young_n, score, harvest, wait, born)
end

local out = {}
for g = 0, (#KEYS - key0) / 5 - 1 do
  local b = key0 + 5 * g
  out[g + 1] = fold(KEYS[b + 1], KEYS[b + 2], KEYS[b + 3], KEYS[b + 4], KEYS[b + 5],
                    (struct.unpack('<d', joined, 8 * g + 1)))
end
return table.concat(out)
