-- Operator read of one cohort (not on the hot path; changes no data).
-- KEYS: as cohort.lua: state, HyperLogLogs of accounts today, yesterday, of young accounts
--       today, yesterday.
-- Reply: {accounts, young, then the state's fields after the version: requests, elicit,
--         focus, single, extract, ts, tokens, tokens_ts}, every number as a string (a Lua
--         number in a reply would be cut to an integer) and "not set" as ''; only the two
--         counts when no state is stored.
-- Constants written before this text by the store: COHORT_VERSION, COHORT_DOUBLES.
-- Distinct counts exactly as cohort.lua reads them: the larger of today's and yesterday's.
local out = {
  tostring(math.max(redis.call('PFCOUNT', KEYS[2]), redis.call('PFCOUNT', KEYS[3]))),
  tostring(math.max(redis.call('PFCOUNT', KEYS[4]), redis.call('PFCOUNT', KEYS[5]))),
}
local raw = redis.call('GET', KEYS[1])
if not raw then return out end
if #raw ~= 8 * COHORT_DOUBLES then return out end
local v = {struct.unpack('<' .. string.rep('d', COHORT_DOUBLES), raw)}
if v[1] ~= COHORT_VERSION then return out end
for i = 2, 9 do
  local x = v[i]
  if x >= 0 then
    out[i + 1] = string.format('%.17g', x)
  else
    out[i + 1] = ''  -- -1: not set
  end
end
return out
