-- One account's records of a batch, folded in time order into its evidence state: a
-- transcription of model/evidence.py's kinds_shown + observe (the tests hold the two to
-- the same numbers on drawn records: tests/test_evidence_fold.py). Atomic per account.
-- KEYS: the account's state (packed little-endian doubles: version, t, day, three totals,
--       three positive and three negative counters of the day, the number of subnets
--       remembered, then NETWORKS subnet hashes, most recent first). One key: one slot.
-- ARGV: per record, in time order: t, trait bits, subnet hash (-1: none).
-- Constants written before this text (intel/evidence_fold.py, from the Python model):
--       STATE_VERSION, DAY, EXTRACT, HARVEST_SHAPE, NETWORKS, half_life, ttl, cap_pos,
--       cap_neg, floor, and the likelihood ratios harvest, harvest_not, extract,
--       extract_not, churn, churn_not.
-- Reply: four packed doubles: the last observation's time, then the three totals.
local N = 13 + NETWORKS
local FORMAT = '<' .. string.rep('d', N)
local YES = {harvest, extract, churn}
local NO = {harvest_not, extract_not, churn_not}
local s = {STATE_VERSION, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
local raw = redis.call('GET', KEYS[1])
if raw and #raw == 8 * N then
  local got = {struct.unpack(FORMAT, raw)}
  if got[1] == STATE_VERSION then
    for i = 1, N do s[i] = got[i] end
  end
end
local t_last, day_now = s[2], s[3]
local totals = {s[4], s[5], s[6]}
local pos = {s[7], s[8], s[9]}
local neg = {s[10], s[11], s[12]}
local nets = {}
for i = 1, s[13] do nets[i] = s[13 + i] end

local function bit_and(a, b)  -- trait bits are small non-negative integers
  local r, p = 0, 1
  while a > 0 and b > 0 do
    if a % 2 == 1 and b % 2 == 1 then r = r + p end
    a, b, p = math.floor(a / 2), math.floor(b / 2), p * 2
  end
  return r
end

for i = 1, #ARGV, 3 do
  local t, traits, net = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  if t_last >= 0 and t - t_last > ttl then  -- idle past ttl: forgotten, as AccountTable does
    t_last, day_now, totals, pos, neg, nets = -1, -1, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {}
  end
  -- kinds_shown
  local shown = {0, 0, -1}
  if bit_and(traits, HARVEST_SHAPE) == HARVEST_SHAPE then shown[1] = 1 end
  if bit_and(traits, EXTRACT) ~= 0 then shown[2] = 1 end
  if net >= 0 then
    local at = nil
    for j = 1, #nets do if nets[j] == net then at = j end end
    if #nets > 0 then shown[3] = at and 0 or 1 end
    if at then table.remove(nets, at) end
    table.insert(nets, 1, net)
    while #nets > NETWORKS do table.remove(nets) end
  end
  -- observe
  if t_last >= 0 then
    local dt = t - t_last
    if dt < 0 then dt = 0 end
    local d = 0.5 ^ (dt / half_life)
    for k = 1, 3 do totals[k] = totals[k] * d end
  end
  if t > t_last then t_last = t end
  local day = math.floor(t / DAY)
  if day > day_now then
    day_now = day
    pos = {0, 0, 0}
    neg = {0, 0, 0}
  end
  for k = 1, 3 do
    local v = shown[k]
    if v >= 0 then
      local x
      if v == 1 then
        x = math.min(YES[k], math.min(cap_pos, YES[k]) - pos[k])
        if x < 0 then x = 0 end
        pos[k] = pos[k] + x
      else
        x = math.max(NO[k], -cap_neg - neg[k])
        if x > 0 then x = 0 end
        neg[k] = neg[k] + x
      end
      totals[k] = math.max(-floor, totals[k] + x)
    end
  end
end

local out = {STATE_VERSION, t_last, day_now, totals[1], totals[2], totals[3], pos[1], pos[2],
             pos[3], neg[1], neg[2], neg[3], #nets}
for i = 1, NETWORKS do out[13 + i] = nets[i] or 0 end
redis.call('SET', KEYS[1], struct.pack(FORMAT, unpack(out)), 'EX', ttl)
return struct.pack('<dddd', t_last, totals[1], totals[2], totals[3])
