-- One request's whole hot-path decision, atomically, in one round trip.
-- A transcription of antiextract/risk.py (update_profile, assess, refill_factor),
-- antiextract/bucket.py and MemoryStore.evaluate: keep them in step; the shared store
-- test-suite compares the two stores number by number.
-- KEYS[1]: the account's state   KEYS[2]: the client IP's request windows
-- With KEYS[1] alone (Redis Cluster: the two keys live in different slots) the IP windows
-- are left to ip.lua, sent in the same batch; the store merges the two replies, and when
-- the merged answer is a refusal gives back what either half took (undo.lua). An allowed
-- reply then carries a fifth element: {tokens before the take, stored t, stored u} as
-- '%.17g' strings ('' = unset), what undo.lua needs to restore the bucket exactly.
-- Each key holds one MessagePack array (see the layout below): one GET and one SET per
-- key, no per-field string formatting (an HMGET/HSET of ~25 fields cost ~70 µs of server
-- time per call; packed state costs a fraction of that).
-- ARGV: now, cost, traits, acute, skeleton, created_at ('' = unknown), tier.
-- The settings are constants the store writes before this text (RedisStore,
-- _lua_constants): cap, rate, acct_ttl, ip_ttl, block_at, block_seconds, W (the seven
-- trait weights), alpha, youth_days, half_life (acute), acute_cap, sweep_weight,
-- slow_above, slow_scale, acute_alpha, profile_half_life, acct_limits and ip_limits
-- ({scope, amount, seconds} each); and from the Python models, so that each number lives
-- in one place: risk.py's constants (PRIOR, PRIOR_WEIGHT, YOUTH_FLOOR, DAY, HOUR, the
-- trait bits ELICIT ... LOGIT_BIAS, PACING_MIN_GAPS, PACING_CV, HOURS_FROM, HOURS_SPAN,
-- TAKEOVER) and the state layout (VERSION, FIXED and I_<field>, the 1-based position of
-- each field: store/redis.py, _STATE).
-- Reply: {allowed 0|1, denied_by or "", packed doubles (tokens, retry_after, risk, youth,
--         elicit, focus, single, template, extract, pacing, hours, acute, age), day_count}
-- `now` (ARGV[1]) and the window helpers come from windows.lua, `refill` from bucket.lua,
-- both prepended by the store.
local cost = tonumber(ARGV[2])
local traits = tonumber(ARGV[3])
local req_acute = tonumber(ARGV[4])
local skeleton = ARGV[5]
local created_at = tonumber(ARGV[6])
local tier = tonumber(ARGV[7])
local function num(v, default)
  if v then return tonumber(v) end
  return default
end

local function youth(age)
  if age < 0 then age = 0 end
  local y = 1 / (1 + age / (youth_days * DAY))
  if y < YOUTH_FLOOR then y = YOUTH_FLOOR end
  return y
end

local function decayed(value, ts)
  if ts == nil or value <= 0 then return 0 end
  local dt = now - ts
  if dt < 0 then dt = 0 end
  return value * 0.5 ^ (dt / half_life)
end

local function popcount(x)
  local n = 0
  for _ = 1, 24 do
    n = n + bit.band(x, 1)
    x = bit.rshift(x, 1)
  end
  return n
end

-- 1. read the account -------------------------------------------------------------
-- Layout: FIXED entries (version, bucket t, u and refill factor rf, then the profile's
-- fields, then the block deadline bl), each at its I_<field>, then window quadruples,
-- then the tail (redis.py, _TAIL): `false`, the auth layer's last creation time and tier.
-- `false` marks "never set". Scripts older than the tail stop reading at its `false`.
local raw = redis.call('GET', KEYS[1])
local v = {}
if raw then
  v = cmsgpack.unpack(raw)
  if v[I_version] ~= VERSION then v = {} end
end
local function field(i)
  local x = v[i]
  if x == false then return nil end
  return x
end
local function tail_at(state)
  local i = FIXED + 1
  while state[i] do i = i + 4 end
  return i
end
local stored_created = nil
do
  local i = tail_at(v)
  if v[i] == false and v[i + 1] then stored_created = v[i + 1] end
end

-- 2. fold this request into the profile (risk.update_profile) ----------------------
local fresh = field(I_first_seen) == nil
local fs = num(field(I_first_seen), now)
local ls = num(field(I_last_seen), nil)
local gm, gv, gn = num(field(I_gap_mean), 0), num(field(I_gap_var), 0), num(field(I_gaps), 0)
local seen_before = 0
if ls ~= nil then seen_before = gn + 1 end
if ls ~= nil then
  local gap = now - ls
  if gap < 0 then gap = 0 end
  if gn == 0 then
    gm, gv = gap, 0
  else
    local dev = gap - gm
    gm = gm + alpha * dev
    gv = (1 - alpha) * (gv + alpha * dev * dev)
  end
  gn = gn + 1
end
local w = math.max(alpha, 1 / (seen_before + PRIOR_WEIGHT + 1))
-- Old evidence fades: idle time pulls the shares back towards the prior.
local fade = 1
if ls ~= nil and now > ls then fade = 0.5 ^ ((now - ls) / profile_half_life) end
local function share(old, bitmask)
  local x = 0
  if bit.band(traits, bitmask) ~= 0 then x = 1 end
  if fresh or old == nil then old = PRIOR end
  old = PRIOR + (old - PRIOR) * fade
  return old + w * (x - old)
end
local pe = share(field(I_elicit), ELICIT)
local pf = share(field(I_focus), FOCUS)
local ps = share(field(I_single), SINGLE)
local px = share(field(I_extract), EXTRACT)
local pt = num(field(I_template), 0) * fade
local dom = field(I_dominant) or ''
if skeleton ~= '' and skeleton == dom then
  pt = pt + alpha * (1 - pt)
else
  pt = pt - alpha * pt
  if pt < TAKEOVER then dom = skeleton end
end
local hd, hc = num(field(I_hours_day), -1), num(field(I_hours_cur), 0)
local hp, dc = num(field(I_hours_prev), 0), num(field(I_day_count), 0)
local day = math.floor(now / DAY)
local hour_bit = bit.lshift(1, math.floor((now % DAY) / HOUR))
if day ~= hd then
  if day == hd + 1 then hp = hc else hp = 0 end
  hc, hd, dc = 0, day, 0
end
hc = bit.bor(hc, hour_bit)
dc = dc + 1
-- the trusted creation time: this request's, else the last one the auth layer sent
-- (risk.born); kept with the tier so that they are known between requests
local cr = created_at or stored_created
local first = fs
if cr then first = cr end
local y = youth(now - first) * tier
local add = req_acute * y
local lsk = field(I_last_skeleton) or ''
if bit.band(traits, LOGIT_BIAS) ~= 0 and skeleton ~= '' and skeleton == lsk then
  add = add + sweep_weight
end
local level = decayed(num(field(I_acute), 0), num(field(I_acute_ts), nil))
local ra = level + acute_alpha * (add - level)
if ra > acute_cap then ra = acute_cap end

-- 3. assess (risk.assess) ------------------------------------------------------------
local age = now - first
if age < 0 then age = 0 end
local pacing = 0
if gn >= PACING_MIN_GAPS and gm > 0 then
  local cv = math.sqrt(math.max(gv, 0)) / gm
  pacing = math.min(1, math.max(0, (PACING_CV - cv) / PACING_CV))
end
local hours = math.min(1, math.max(0, (popcount(bit.bor(hc, hp)) - HOURS_FROM) / HOURS_SPAN))
local S = {pe, pf, ps, pt, px, pacing, hours}
local profile = 0
for i = 1, 7 do profile = profile + W[i] * S[i] end
profile = y * profile
local risk = profile + ra
local factor = 1
if risk > slow_above then factor = 1 / (1 + (risk - slow_above) / slow_scale) end

-- Numbers go back as packed little-endian doubles: a Lua number in a reply would be cut
-- to an integer, and formatting thirteen of them as text cost ~12 µs per call.
local function reply(allowed, tokens, wait, denied)
  return {allowed, denied, struct.pack('<ddddddddddddd', tokens, wait, risk, y, pe, pf, ps,
                                       pt, px, pacing, hours, ra, age), dc}
end

-- 4. limits (bucket.py) ----------------------------------------------------------------
local bl = num(field(I_bl), 0)
if now >= bl and risk >= block_at then bl = now + block_seconds end
if cost > cap then cost = cap end
if cost < 0 then cost = 0 end
local tb, tu = field(I_t), field(I_u)
local tokens = cap
if tb and tu then tokens = refill(tb, tu, now, cap, rate, factor) end

-- The profile is always saved (refused requests are evidence too); the bucket and the
-- windows only change when the request is allowed.
local state = {}
state[I_version], state[I_rf], state[I_first_seen], state[I_last_seen] = VERSION, factor, fs, now
state[I_gap_mean], state[I_gap_var], state[I_gaps] = gm, gv, gn
state[I_elicit], state[I_focus], state[I_single] = pe, pf, ps
state[I_template], state[I_extract], state[I_dominant], state[I_last_skeleton] = pt, px, dom, skeleton
state[I_hours_day], state[I_hours_cur], state[I_hours_prev], state[I_day_count] = hd, hc, hp, dc
state[I_acute], state[I_acute_ts], state[I_bl] = ra, now, bl
local function save(t_saved, u_saved, windows_out)
  state[I_t], state[I_u] = t_saved, u_saved
  for i = 1, #windows_out do state[FIXED + i] = windows_out[i] end
  local n = FIXED + #windows_out
  state[n + 1], state[n + 2], state[n + 3] = false, cr or false, tier
  redis.call('SET', KEYS[1], cmsgpack.pack(state), 'EX', keep_for(acct_ttl, bl, now))
end
local function stored_quads()
  local out = {}
  for i = FIXED + 1, tail_at(v) - 1 do out[#out + 1] = v[i] end
  return out
end
local keep_t, keep_u = tb or false, tu or false

if now < bl then
  save(keep_t, keep_u, stored_quads())
  return reply(0, tokens, bl - now, 'blocked')
end
local wait, denied = 0, ''
if tokens < cost then
  wait = (cost - tokens) / (rate * factor)
  denied = 'tokens'
end
local acct_rows
acct_rows, wait, denied = windows(acct_limits, stored_windows(v, FIXED + 1), wait, denied)

local ip_rows = {}
if #ip_limits > 0 and KEYS[2] then
  local ip_raw = redis.call('GET', KEYS[2])
  local ipv = {}
  if ip_raw then
    ipv = cmsgpack.unpack(ip_raw)
    if ipv[1] ~= VERSION then ipv = {} end
  end
  ip_rows, wait, denied = windows(ip_limits, stored_windows(ipv, 2), wait, denied)
end

if denied ~= '' then
  save(keep_t, keep_u, stored_quads())
  return reply(0, tokens, wait, denied)
end
local before = tokens
tokens = tokens - cost
save(tokens, now, append_windows(acct_rows, {}, 1))
if #ip_rows > 0 then
  redis.call('SET', KEYS[2], cmsgpack.pack(append_windows(ip_rows, {VERSION}, 1)), 'EX', ip_ttl)
end
local out = reply(1, tokens, 0, '')
if not KEYS[2] then
  local function text(x)
    if x then return string.format('%.17g', x) end
    return ''
  end
  out[5] = {text(before), text(tb), text(tu)}
end
return out
