-- One account's records of a batch, folded in time order into its evidence state: a
-- transcription of model/evidence.py's kinds_shown + observe (the tests hold the two to
-- the same numbers on drawn records: tests/test_evidence_fold.py). Atomic per account.
-- KEYS: the account's state (packed little-endian doubles: version, t, day, K totals,
--       K positive and K negative counters of the day, the number of subnets
--       remembered, then NETWORKS subnet hashes, most recent first). One key: one slot.
-- ARGV: per record, in time order: t, trait bits, subnet hash (-1: none).
-- Constants written before this text (intel/evidence_fold.py, from the Python model):
--       STATE_VERSION, DAY, EXTRACT, SINGLE, HARVEST_SHAPE, REASON_SHAPE, NETWORKS,
--       half_life, ttl, cap_pos, cap_neg, floor, reason_cap_pos, reason_cap_neg, and the
--       likelihood ratios harvest, harvest_not, extract, extract_not, churn, churn_not,
--       reason, reason_not.
-- Reply: five packed doubles: the last observation's time, then the K = 4 totals.
local K = 4  -- kinds, in model/evidence.py's KINDS order: harvest, extract, churn, reason
local H = 3 + 3 * K  -- the header before the subnet count
local N = H + 1 + NETWORKS
local FORMAT = '<' .. string.rep('d', N)
local YES = {harvest, extract, churn, reason}
local NO = {harvest_not, extract_not, churn_not, reason_not}
local CAP_POS = {cap_pos, cap_pos, cap_pos, reason_cap_pos}
local CAP_NEG = {cap_neg, cap_neg, cap_neg, reason_cap_neg}
local s = {STATE_VERSION, -1, -1}
for i = 4, H + 1 do s[i] = 0 end
local raw = redis.call('GET', KEYS[1])
if raw and #raw == 8 * N then
  local got = {struct.unpack(FORMAT, raw)}
  if got[1] == STATE_VERSION then
    for i = 1, N do s[i] = got[i] end
  end
elseif raw and #raw == 8 * (13 + NETWORKS) then
  -- a version-1 state (three kinds, before reason) is upgraded, not forgotten: its
  -- kinds keep their totals and the day's counters, reason starts at 0
  local got = {struct.unpack('<' .. string.rep('d', 13 + NETWORKS), raw)}
  local c = got[13]  -- the subnet count: a whole number 0..NETWORKS, or the state is junk
  if got[1] == 1 and c >= 0 and c <= NETWORKS and c == math.floor(c) then
    s[2], s[3] = got[2], got[3]
    for j = 0, 2 do
      for k = 1, 3 do s[3 + j * K + k] = got[3 + j * 3 + k] end
    end
    for i = 13, 13 + got[13] do s[H + 1 + i - 13] = got[i] end
  end
end
-- a state this script cannot have written (a subnet count past NETWORKS, a time, day or
-- total that is not finite) is junk: it starts fresh rather than loop on a count or keep
-- a NaN that never decays
local sound = s[H + 1] >= 0 and s[H + 1] <= NETWORKS and s[H + 1] == math.floor(s[H + 1])
for i = 2, H do
  if not (s[i] == s[i] and s[i] > -math.huge and s[i] < math.huge) then sound = false end
end
if not sound then
  s = {STATE_VERSION, -1, -1}
  for i = 4, H + 1 do s[i] = 0 end
end
local t_last, day_now = s[2], s[3]
local totals, pos, neg = {}, {}, {}
for k = 1, K do
  totals[k], pos[k], neg[k] = s[3 + k], s[3 + K + k], s[3 + 2 * K + k]
end
local function zeros() return {0, 0, 0, 0} end
local nets = {}
for i = 1, s[H + 1] do nets[i] = s[H + 1 + i] end

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
    t_last, day_now, totals, pos, neg, nets = -1, -1, zeros(), zeros(), zeros(), {}
  end
  -- kinds_shown
  local shown = {0, 0, -1, 0}
  if bit_and(traits, HARVEST_SHAPE) == HARVEST_SHAPE then shown[1] = 1 end
  if bit_and(traits, EXTRACT) ~= 0 then shown[2] = 1 end
  if bit_and(traits, SINGLE) ~= 0 then
    shown[4] = -1
  elseif bit_and(traits, REASON_SHAPE) == REASON_SHAPE then
    shown[4], shown[1] = 1, -1
  end
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
    for k = 1, K do totals[k] = totals[k] * d end
  end
  if t > t_last then t_last = t end
  local day = math.floor(t / DAY)
  if day > day_now then
    day_now = day
    pos = zeros()
    neg = zeros()
  end
  for k = 1, K do
    local v = shown[k]
    if v >= 0 then
      local x
      if v == 1 then
        x = math.min(YES[k], math.min(CAP_POS[k], YES[k]) - pos[k])
        if x < 0 then x = 0 end
        pos[k] = pos[k] + x
      else
        x = math.max(NO[k], -CAP_NEG[k] - neg[k])
        if x > 0 then x = 0 end
        neg[k] = neg[k] + x
      end
      totals[k] = math.max(-floor, totals[k] + x)
    end
  end
end

local out = {STATE_VERSION, t_last, day_now}
for k = 1, K do
  out[3 + k], out[3 + K + k], out[3 + 2 * K + k] = totals[k], pos[k], neg[k]
end
out[H + 1] = #nets
for i = 1, NETWORKS do out[H + 1 + i] = nets[i] or 0 end
redis.call('SET', KEYS[1], struct.pack(FORMAT, unpack(out)), 'EX', ttl)
return struct.pack('<ddddd', t_last, totals[1], totals[2], totals[3], totals[4])
